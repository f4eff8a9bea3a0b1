"""consult's PostgreSQL engine for Tortoise: asyncpg, with a pool that does not reset what nothing changes.

asyncpg's pool resets every connection it takes back (`SELECT pg_advisory_unlock_all(); CLOSE
ALL; UNLISTEN *; RESET ALL;`), and Tortoise checks a connection out for each query run outside
a transaction, so every such query cost two round trips. consult's pooled connections never
take session-level advisory locks (the installation trail's lock lasts only its transaction),
never LISTEN (the event bus has its own connection), never SET session
settings and never leave a cursor open, so that reset undoes nothing. What still matters is
kept: asyncpg rolls back a transaction left open on a connection before it goes back to the
pool, whatever `reset` says.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient


async def keep_session(connection: Any) -> None:
    """The pool's reset: nothing to undo (see the module's docstring)."""


class ConsultAsyncpgClient(AsyncpgDBClient):
    async def create_pool(self, **kwargs: Any) -> asyncpg.Pool:
        return await asyncpg.create_pool(None, reset=keep_session, **kwargs)


# What Tortoise looks for in an engine module.
client_class = ConsultAsyncpgClient


def connection_config(url: str, engine: str = __name__) -> dict[str, Any]:
    """The Tortoise connection entry for `url`, with `engine` as its engine module."""
    from tortoise.backends.base.config_generator import expand_db_url

    config = expand_db_url(url)
    config["engine"] = engine
    return config
