"""What the migration environment and the schema test share."""

from __future__ import annotations

# Optional, PostgreSQL-only indexes created by migrations but absent from the models
# (the trigram search index needs the pg_trgm extension, which SQLite has no equivalent of).
UNMODELLED_INDEXES = frozenset({"ix_distributor_search_name_trgm"})


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    return not (type_ == "index" and reflected and name in UNMODELLED_INDEXES)
