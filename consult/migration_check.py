"""Do the models and `migrations/` describe the same schema?

Tortoise's `makemigrations` replays every migration into an in-memory state, reads the state the
models declare, and writes the operations that turn one into the other. This module asks the same
autodetector the same question and returns those operations as sentences, without writing a file
or opening a database, so a forgotten `tortoise makemigrations` fails the lint gate instead of a
deployment.
"""

from __future__ import annotations

from typing import Any

from consult.db import MIGRATIONS_MODULE, MODELS_MODULE

APP_LABEL = "models"


def _describe(operation: Any) -> str:
    text = operation.describe()
    field = getattr(operation, "field", None)
    if field is not None and hasattr(field, "describe"):
        # "Add field nickname to Party" does not say what the field is; its type and options do.
        desc = field.describe(serializable=True)
        detail = ", ".join(
            f"{key}={desc[key]}"
            for key in ("field_type", "db_column", "nullable", "unique", "indexed", "default", "constraints")
            if desc.get(key) not in (None, {}, False)
        )
        text = f"{text} ({detail})"
    return text


async def pending_operations(
    models_module: str = MODELS_MODULE, migrations_module: str = MIGRATIONS_MODULE
) -> list[str]:
    """The operations a new migration would hold, described; empty when nothing has drifted."""
    from tortoise.context import TortoiseContext
    from tortoise.migrations.autodetector import MigrationAutodetector

    apps_config: dict[str, dict[str, Any]] = {
        APP_LABEL: {"models": [models_module], "default_connection": "default", "migrations": migrations_module}
    }
    # An in-memory database that nothing ever connects to: only the model registry is needed.
    config = {"connections": {"default": "sqlite://:memory:"}, "apps": apps_config, "use_tz": True, "timezone": "UTC"}
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        assert ctx.apps is not None
        # changes() only builds the MigrationWriters; nothing is written until write() is called.
        writers = await MigrationAutodetector(ctx.apps, apps_config).changes()
    return [_describe(operation) for writer in writers for operation in writer.operations]
