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

import contextlib
from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import PoolConnectionWrapper, TransactionContext, TransactionContextPooled
from tortoise.connection import get_connections

# Several pooled connections can be dead at once (the server ended them all), and the pool may
# hand them out before their closing is noticed: this many tries find a live one.
TRIES = 4

# What a pooled connection that the server ended (a restart, a failover, pg_terminate_backend)
# raises on its next use; and what one left half-way through an operation raises after that.
LOST = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.InternalClientError,
)


def _discard_if_lost(connection: Any, error: BaseException | None) -> None:
    """A connection that failed that way never goes back into use: with no reset query to
    fail on, the pool would otherwise hand it out again, half-way through its last operation
    ("another operation is in progress"). Terminated, it is replaced on the next acquire."""
    if connection is None or not isinstance(error, LOST):
        return
    # Closed under it, asyncpg has already taken it back (and will replace it): nothing to do.
    with contextlib.suppress(asyncpg.exceptions.InterfaceError):
        connection.terminate()


def _is_read(func: Any, args: tuple) -> bool:
    """A single SELECT, the only statement safe to send twice."""
    if func.__name__ not in ("execute_query", "execute_query_dict") or not args:
        return False
    return isinstance(args[0], str) and args[0].lstrip()[:6].upper() == "SELECT"


class _CheckedConnection(PoolConnectionWrapper):
    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        _discard_if_lost(self.connection, exc_val)
        await super().__aexit__(exc_type, exc_val, exc_tb)


async def keep_session(connection: Any) -> None:
    """The pool's reset: nothing to undo (see the module's docstring)."""


class _FreshTransaction(TransactionContextPooled):
    """A transaction whose BEGIN meets a connection the server ended starts again on another.

    Nothing ran on the dead connection, so starting over changes nothing; without this, every
    pooled connection would fail one request after the database restarts.
    """

    async def __aenter__(self) -> Any:
        await self.ensure_connection()
        pool = self.client._parent._pool
        for attempt in range(1, TRIES + 1):
            self.client._connection = await pool.acquire()
            self.token = get_connections().set(self.connection_name, self.client)
            try:
                await self.client.begin()
                return self.client
            except BaseException as error:
                # Whatever stopped the BEGIN (cancellation included), the connection goes back.
                get_connections().reset(self.token)
                _discard_if_lost(self.client._connection, error)
                await pool.release(self.client._connection)
                if attempt == TRIES or not isinstance(error, LOST):
                    raise
        raise AssertionError("unreachable")

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        _discard_if_lost(self.client._connection, exc_val)
        await super().__aexit__(exc_type, exc_val, exc_tb)


class ConsultAsyncpgClient(AsyncpgDBClient):
    async def create_pool(self, **kwargs: Any) -> asyncpg.Pool:
        return await asyncpg.create_pool(None, reset=keep_session, **kwargs)

    def _in_transaction(self) -> TransactionContext:
        return _FreshTransaction(TransactionWrapper(self), self._pool_init_lock)

    def acquire_connection(self) -> Any:
        return _CheckedConnection(self, self._pool_init_lock)

    async def _translate_exceptions(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        """A read run outside a transaction that meets a connection the server ended runs again,
        on another. Inside a transaction nothing is retried (TransactionWrapper)."""
        for attempt in range(1, TRIES + 1):
            try:
                return await super()._translate_exceptions(func, *args, **kwargs)
            except LOST:
                # Only a read runs again: a write whose answer was lost may have been done.
                if attempt == TRIES or not _is_read(func, args):
                    raise
        raise AssertionError("unreachable")


# What Tortoise looks for in an engine module.
client_class = ConsultAsyncpgClient


def connection_config(url: str, engine: str = __name__) -> dict[str, Any]:
    """The Tortoise connection entry for `url`, with `engine` as its engine module."""
    from tortoise.backends.base.config_generator import expand_db_url

    config = expand_db_url(url)
    config["engine"] = engine
    return config
