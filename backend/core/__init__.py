"""Cross-cutting pieces of the service: settings, database, security, errors."""
