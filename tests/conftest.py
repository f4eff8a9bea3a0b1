"""Shared test set-up.

The suite runs on SQLite by default. With CONSULT_TEST_DB=postgres (set by `make test`
when CONSULT_TEST_POSTGRES_URL is given) the same tests run against a fresh PostgreSQL
database that is created for the run and dropped after it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import secrets
import urllib.parse

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests check rules, not speed: a busy CI machine must not fail them on a deadline.
hypothesis_settings.register_profile("consult", deadline=None)
hypothesis_settings.load_profile("consult")

BACKEND = os.environ.get("CONSULT_TEST_DB", "sqlite")
POSTGRES_URL = os.environ.get("CONSULT_TEST_POSTGRES_URL", "")


def pytest_report_header(config):
    return f"consult test database: {BACKEND}"


def _pg_admin_dsn(url: str) -> tuple[str, str]:
    """asyncpg DSN of the server's maintenance database, and the URL without a db name."""
    parsed = urllib.parse.urlsplit(url.replace("postgres://", "postgresql://", 1))
    return parsed._replace(scheme="postgresql").geturl(), parsed._replace(path="").geturl()


async def _pg_create(url: str, name: str) -> str:
    import asyncpg

    dsn, base = _pg_admin_dsn(url)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base.replace("postgresql://", "postgres://", 1) + f"/{name}"


async def _pg_drop(url: str, name: str) -> None:
    import asyncpg

    dsn, _ = _pg_admin_dsn(url)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _run(coro):
    """asyncio.run, also from inside a running loop (Playwright's, in the browser tests): then in a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class ScratchDatabases:
    """Makes empty databases of the run's backend, for tests that need their own."""

    def __init__(self, tmp_path_factory) -> None:
        self.tmp = tmp_path_factory
        self.pg_names: list[str] = []

    def new(self) -> str:
        if BACKEND == "postgres":
            name = f"consult_test_{os.getpid()}_{secrets.token_hex(4)}"
            self.pg_names.append(name)
            return _run(_pg_create(POSTGRES_URL, name))
        return "sqlite://" + str(self.tmp.mktemp("db") / "consult.sqlite3")

    def cleanup(self) -> None:
        for name in self.pg_names:
            _run(_pg_drop(POSTGRES_URL, name))


@pytest.fixture(scope="session")
def scratch_databases(tmp_path_factory):
    if BACKEND == "postgres" and not POSTGRES_URL:
        pytest.exit("CONSULT_TEST_DB=postgres needs CONSULT_TEST_POSTGRES_URL", returncode=2)
    dbs = ScratchDatabases(tmp_path_factory)
    yield dbs
    dbs.cleanup()
