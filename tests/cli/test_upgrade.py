"""The upgrade from the previous release: a real installation of it, migrated by this one.

The fixtures in tests/cli/upgrade/ were made by the previous release itself (commit 668380e,
migrations 0001–0021), not by this code: on that commit, `consult migrate` then `consult demo`
(the 菜园巷 demo: four consultations, 582 audit events, 309 ballots, the installation trail),
with CONSULT_SECRET_KEY=upgrade-test-secret, once on SQLite and once on PostgreSQL 15. Each
database was then dumped as it stood: SQLite with `sqlite3.Connection.iterdump()`, PostgreSQL
with `pg_dump --no-owner --no-privileges --inserts --no-comments` (its `\\restrict` lines, which
only psql reads, taken out), and gzipped; the anchor file each run wrote is kept beside it.
tests/cli/upgrade/README.md has the commands to make them again.

A dump, rather than a script that rebuilds the old schema, because it holds what the previous
release really wrote (its hashes, its timestamps as its driver stored them, its migration
history) and needs neither git nor the old code at test time: the test restores it with the
database's own driver, runs this release's `consult migrate` and `consult verify`, and compares.
"""

from __future__ import annotations

import asyncio
import gzip
import sqlite3
from pathlib import Path

import pytest

from tests.cli.test_cli import run
from tests.conftest import BACKEND

UPGRADE = Path(__file__).resolve().parent / "upgrade"
SECRET = "upgrade-test-secret"  # the key the previous release's demo was loaded with
NEW_TABLES = {"area", "staff_area"}
STAFF_ROLES = ("ADMIN", "ORGANIZER", "CPPCC_MEMBER")


def _dump(kind: str) -> str:
    return gzip.decompress((UPGRADE / f"previous-release.{BACKEND}.{kind}.gz").read_bytes()).decode("utf-8")


async def _pg(url: str, work):
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        return await work(connection)
    finally:
        await connection.close()


def _restore(url: str, script: str) -> None:
    if BACKEND == "postgres":
        asyncio.run(_pg(url, lambda c: c.execute(script)))
        return
    with sqlite3.connect(url.removeprefix("sqlite://")) as connection:
        connection.executescript(script)


def _rows(url: str, sql: str) -> list[tuple]:
    if BACKEND == "postgres":
        return [tuple(r) for r in asyncio.run(_pg(url, lambda c: c.fetch(sql)))]
    with sqlite3.connect(url.removeprefix("sqlite://")) as connection:
        return [tuple(r) for r in connection.execute(sql).fetchall()]


def _since_previous_release() -> list[str]:
    """The migrations this release adds to the previous one's 0001–0021."""
    folder = Path(__file__).resolve().parents[2] / "migrations"
    return sorted(p.stem for p in folder.glob("0*.py") if p.stem > "0021_help_phone")


def _columns(url: str) -> dict[str, list[str]]:
    """Every table the application keeps, with its columns in order."""
    if BACKEND == "postgres":
        found = _rows(
            url,
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "ORDER BY table_name, ordinal_position",
        )
    else:
        tables = [t for (t,) in _rows(url, "SELECT name FROM sqlite_master WHERE type = 'table'")]
        found = [
            (t, c[1]) for t in tables if not t.startswith("sqlite_") for c in _rows(url, f'PRAGMA table_info("{t}")')
        ]
    out: dict[str, list[str]] = {}
    for table, column in found:
        out.setdefault(table, []).append(column)
    return out


def _snapshot(url: str, columns: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Every row of every table, in the columns the previous release had, in a stable order."""
    out = {}
    for table, names in columns.items():
        listed = ", ".join(f'"{n}"' for n in names)
        out[table] = sorted(_rows(url, f'SELECT {listed} FROM "{table}"'), key=repr)
    return out


@pytest.mark.skipif(BACKEND not in ("sqlite", "postgres"), reason="a dump per dialect")
def test_an_installation_of_the_previous_release_upgrades_with_nothing_lost(scratch_databases, tmp_path):
    # given a database the previous release made and used (the demo), restored as it was
    url = scratch_databases.new()
    _restore(url, _dump("sql"))
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(_dump("anchors.jsonl"), encoding="utf-8")
    env = {"CONSULT_DATABASE_URL": url, "CONSULT_SECRET_KEY": SECRET, "CONSULT_ANCHOR_FILE": str(anchors)}
    old_columns = _columns(url)
    assert not NEW_TABLES & set(old_columns) and "community_id" not in old_columns["consultation"]
    before = _snapshot(url, old_columns)
    assert len(before["consultation"]) == 4 and len(before["audit_event"]) > 500

    # when this release migrates it
    out = run("migrate", env=env)
    assert "0022_areas" in out.stdout

    # then every row of every table is still there, unchanged in every column it had; the
    # migration history gained this release's steps
    after = _snapshot(url, old_columns)
    for table, rows in after.items():
        if table == "tortoise_migrations":
            assert len(rows) == len(before[table]) + len(_since_previous_release())
            continue
        assert len(rows) == len(before[table]), table
        assert rows == before[table], table
    # and there is one district, one street and one community, and every consultation is in it
    areas = _rows(url, 'SELECT "id", "kind", "name", "parent_id" FROM "area" ORDER BY "id"')
    assert [(kind, name) for _, kind, name, _ in areas] == [
        ("DISTRICT", "本区"),
        ("STREET", "本街道"),
        ("COMMUNITY", "本社区"),
    ]
    district, street, community = (row[0] for row in areas)
    assert [row[3] for row in areas] == [None, district, street]
    assert _rows(url, 'SELECT DISTINCT "community_id" FROM "consultation"') == [(community,)]
    # and every staff account acts at the district; reps and residents have no areas
    accounts = _rows(url, 'SELECT "id", "roles" FROM "account"')
    staff = sorted(pk for pk, roles in accounts if set(roles.split(",")) & set(STAFF_ROLES))
    assert staff, "the demo has staff accounts"
    placed = _rows(url, 'SELECT "account_id", "area_id" FROM "staff_area" ORDER BY "account_id"')
    assert placed == [(pk, district) for pk in staff]
    # and every audit chain and the installation trail still verify, against the old anchors
    verified = run("verify", env=env)
    assert verified.returncode == 0 and "全部一致" in verified.stdout
    assert f"{len(before['audit_event']) + len(before['installation_event'])} events" in verified.stdout
    # and the operator sees the tree
    assert run("areas", env=env).stdout.splitlines() == [
        f"[{district}] 本区（区）",
        f"    [{street}] 本街道（街道/镇）",
        f"        [{community}] 本社区（社区/村）",
    ]
    # and a second migrate changes nothing
    upgraded = _snapshot(url, _columns(url))
    run("migrate", env=env)
    assert _snapshot(url, _columns(url)) == upgraded
