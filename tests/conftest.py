"""Shared test set-up.

The suite runs on SQLite by default. With CONSULT_TEST_DB=postgres (set by `make test`
when CONSULT_TEST_POSTGRES_URL is given) the same tests run against a fresh PostgreSQL
database that is created for the run and dropped after it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fcntl
import os
import secrets
import shutil
import tempfile
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests check rules, not speed: a busy CI machine must not fail them on a deadline.
hypothesis_settings.register_profile("consult", deadline=None)
hypothesis_settings.load_profile("consult")

BACKEND = os.environ.get("CONSULT_TEST_DB", "sqlite")
POSTGRES_URL = os.environ.get("CONSULT_TEST_POSTGRES_URL", "")


def pytest_report_header(config):
    return f"consult test database: {BACKEND}, scratch files in {config.option.basetemp or 'the system temp'}"


def _scratch_root() -> Path | None:
    """Where the run keeps its scratch files: CONSULT_TEST_TMP, else /dev/shm when it is a
    writable RAM disk. Every SQLite commit waits for the disk; on a RAM disk that wait is
    nothing, and the databases are the same files with the same settings."""
    chosen = os.environ.get("CONSULT_TEST_TMP")
    if chosen is not None:
        return Path(chosen) if chosen else None
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # Only the controlling process decides; pytest-xdist's workers inherit its environment and
    # are each handed a folder inside its basetemp.
    if hasattr(config, "workerinput"):
        return
    root = _scratch_root()
    if root is not None and not config.option.basetemp:
        config.option.basetemp = tempfile.mkdtemp(prefix="consult-tests-", dir=root)
        config._consult_scratch = config.option.basetemp
    # Templates (a migrated database, the demo loaded) are built once per run, by whichever
    # process needs one first, and copied by all; they live here until the run ends.
    shared = tempfile.mkdtemp(prefix="consult-templates-", dir=root)
    os.environ["CONSULT_TEST_TEMPLATES"] = shared
    # Served apps and CLI runs anchor their audit events here, not in the checkout's var/.
    os.environ.setdefault("CONSULT_ANCHOR_FILE", os.path.join(shared, "anchors.jsonl"))
    os.environ["CONSULT_TEST_RUN"] = secrets.token_hex(4)
    config._consult_templates = shared


def pytest_unconfigure(config):
    # A RAM disk keeps what is left on it until the machine stops.
    for folder in (getattr(config, "_consult_scratch", None), getattr(config, "_consult_templates", None)):
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    if getattr(config, "_consult_templates", None) and BACKEND == "postgres" and POSTGRES_URL:
        _run(_pg_drop_templates(POSTGRES_URL, _template_prefix()))


# The packages whose tests each take seconds (a browser, a served app in a subprocess) run first,
# in this order; the API and domain tests, a fraction of a second each, come after them. With
# several workers the long tests then start at once and the short ones fill in at the end,
# instead of one worker finishing the browser tests alone while the others wait.
_LONG_FIRST = ("browser", "live", "cli")


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        parts = item.nodeid.split("/")
        return _LONG_FIRST.index(parts[1]) if len(parts) > 2 and parts[1] in _LONG_FIRST else len(_LONG_FIRST)

    items.sort(key=rank)


def _template_prefix() -> str:
    return f"consult_tpl_{os.environ.get('CONSULT_TEST_RUN', 'serial')}_"


def _pg_admin_dsn(url: str) -> tuple[str, str]:
    """asyncpg DSN of the server's maintenance database, and the URL without a db name."""
    parsed = urllib.parse.urlsplit(url.replace("postgres://", "postgresql://", 1))
    return parsed._replace(scheme="postgresql").geturl(), parsed._replace(path="").geturl()


async def _pg_create(url: str, name: str, template: str | None = None) -> str:
    import asyncpg

    dsn, base = _pg_admin_dsn(url)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        await conn.close()
    return base.replace("postgresql://", "postgres://", 1) + f"/{name}"


async def _pg_drop_templates(url: str, prefix: str) -> None:
    import asyncpg

    dsn, _ = _pg_admin_dsn(url)
    conn = await asyncpg.connect(dsn)
    try:
        names = await conn.fetch("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix)
    finally:
        await conn.close()
    for row in names:
        await _pg_drop(url, row["datname"])


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
    """Makes databases of the run's backend for tests that need their own: empty, or copies
    of a template that is built once per run (a migrated database, the demo loaded).

    A copy is a file copy on SQLite and `CREATE DATABASE … TEMPLATE` on PostgreSQL, so a test
    starts from the template's exact contents without running the steps that made it. With
    pytest-xdist the first worker to need a template builds it under a file lock; the others
    wait for it and copy it.
    """

    def __init__(self, tmp_path_factory) -> None:
        self.tmp = tmp_path_factory
        self.pg_names: list[str] = []
        self.shared = Path(os.environ.get("CONSULT_TEST_TEMPLATES") or tmp_path_factory.mktemp("templates"))

    def new(self, template: str | None = None) -> str:
        if BACKEND == "postgres":
            name = f"consult_test_{os.getpid()}_{secrets.token_hex(4)}"
            self.pg_names.append(name)
            return _run(_pg_create(POSTGRES_URL, name, template))
        path = self.tmp.mktemp("db") / "consult.sqlite3"
        if template:
            shutil.copyfile(template.removeprefix("sqlite://"), path)
        return f"sqlite://{path}"

    def folder(self, key: str) -> Path:
        """Files the template's build wrote beside it (the demo's invitation lists)."""
        return self.shared / key

    def copy(self, key: str, build: Callable[[str, Path], object]) -> str:
        """A new database holding what `build(url, folder)` put into the template named `key`."""
        template = self._template(key, build)
        return self.new(template.rsplit("/", 1)[1] if BACKEND == "postgres" else template)

    def _template(self, key: str, build: Callable[[str, Path], object]) -> str:
        built = self.shared / f"{key}.url"
        with (self.shared / f"{key}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if built.exists():
                return built.read_text()
            folder = self.folder(key)
            shutil.rmtree(folder, ignore_errors=True)  # what a failed build left
            folder.mkdir()
            if BACKEND == "postgres":
                name = _template_prefix() + key.replace("-", "_")
                _run(_pg_drop(POSTGRES_URL, name))  # what a failed build left
                url = _run(_pg_create(POSTGRES_URL, name))
            else:
                url = f"sqlite://{folder / 'consult.sqlite3'}"
            build(url, folder)
            built.write_text(url)
            return url

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
