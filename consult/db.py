"""Tortoise configuration for SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

MODELS_MODULE = "consult.models"
MIGRATIONS_MODULE = "migrations"


def is_postgres(url: str) -> bool:
    return url.startswith("postgres://")


def tortoise_config(url: str) -> dict[str, Any]:
    if url.startswith("sqlite://") and ":memory:" not in url:
        Path(url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)
    connection: str | dict[str, Any] = url
    if is_postgres(url):
        from consult import pg, sqlstats

        connection = pg.connection_config(url, "consult.sqlstats" if sqlstats.enabled() else "consult.pg")
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": [MODELS_MODULE],
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _default_config() -> dict[str, Any]:
    import os

    from consult.settings import DEFAULT_DATABASE_URL, normalize_database_url

    return tortoise_config(normalize_database_url(os.environ.get("CONSULT_DATABASE_URL") or DEFAULT_DATABASE_URL))


def __getattr__(name: str) -> Any:
    # For the `tortoise` CLI (makemigrations, history, sqlmigrate): -c consult.db.TORTOISE_ORM.
    # Computed on access so that importing this module touches no disk.
    if name == "TORTOISE_ORM":
        return _default_config()
    raise AttributeError(name)


async def migrate(url: str, progress=None) -> None:
    """Apply every pending migration. Run once per deploy, not in each worker."""
    from tortoise import Tortoise
    from tortoise.migrations.api import migrate as run

    try:
        await run(config=tortoise_config(url), progress=progress)
    finally:
        await Tortoise.close_connections()
