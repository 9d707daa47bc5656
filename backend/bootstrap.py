"""First start and every start: migrate the database, then seed what must exist.

Seeds, each only once: the company root distributor (id 1, the default sponsor) and the first
admin account (from LINEAGE_ADMIN_EMAIL / LINEAGE_ADMIN_PASSWORD, or generated; a generated
password is returned so the caller can print it once, it is stored nowhere in clear). Every
start publishes the repository's training courses (a new version only when one changed).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import backend.db_models  # noqa: F401  (every table, before the schema is checked or seeded)
from backend.accounts.models import User
from backend.core.config import Settings
from backend.core.db import make_engine
from backend.core.model_base import Role
from backend.core.security import hash_password, load_or_create_secret, utcnow
from backend.documents.versions import sync_repository_templates
from backend.genealogy.models import Distributor
from backend.genealogy.service import create_root
from backend.training import service as training

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_ADMIN_EMAIL = "admin@lineage.local"


@dataclass(frozen=True)
class BootstrapResult:
    admin_email: str | None
    generated_password: str | None
    root_created: bool


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def migrate(engine: Engine) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def seed(engine: Engine, settings: Settings) -> BootstrapResult:
    with Session(engine) as session:
        root_created = session.exec(select(Distributor.id).limit(1)).first() is None
        if root_created:
            root = create_root(session, now=utcnow())
            if root.id != settings.default_sponsor_id:
                raise RuntimeError(
                    f"the root got id {root.id}; the default sponsor is "
                    f"{settings.default_sponsor_id}: start from an empty database"
                )
        admin_exists = session.exec(select(User.id).where(User.role == Role.admin)).first()
        email: str | None = None
        generated: str | None = None
        if admin_exists is None:
            email = (settings.admin_email or DEFAULT_ADMIN_EMAIL).lower()
            if settings.admin_password is not None:
                password = settings.admin_password.get_secret_value()
            else:
                password = generated = secrets.token_urlsafe(12)
            session.add(
                User(
                    email=email,
                    full_name="Administrator",
                    role=Role.admin,
                    hashed_password=hash_password(password),
                )
            )
        session.commit()
        # The repository's courses (the onboarding one): a new version only when changed.
        training.sync_repository_courses(session, utcnow())
        # The starter agreement and offer texts: version 1 of each, once.
        sync_repository_templates(session, utcnow())
    return BootstrapResult(
        admin_email=email, generated_password=generated, root_created=root_created
    )


def bootstrap(settings: Settings, engine: Engine | None = None) -> BootstrapResult:
    """What `lineage run` calls before serving: data folder, secret, schema, seeds."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    load_or_create_secret(settings)
    own_engine = engine is None
    engine = engine or make_engine(settings.resolved_database_url)
    try:
        migrate(engine)
        return seed(engine, settings)
    finally:
        if own_engine:
            engine.dispose()
