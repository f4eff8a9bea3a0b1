"""The migrated database has every index and UNIQUE the models declare, on this run's backend.

SQLite alters a column by rebuilding its table, and Tortoise's rebuild keeps neither the
table's indexes nor its multi-column UNIQUE constraints. A migration that alters a column must
put them back; this compares a migrated database with one built straight from the models.
"""

from __future__ import annotations

import asyncpg
import pytest
from tortoise import Tortoise

from consult.db import migrate, tortoise_config
from tests.conftest import BACKEND

Shape = dict[str, set[tuple[bool, tuple[str, ...]]]]


async def _sqlite_shape(url: str) -> Shape:
    import sqlite3

    con = sqlite3.connect(url.removeprefix("sqlite://"))
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        shape: Shape = {}
        for table in tables:
            if table.startswith("sqlite_") or table.startswith("tortoise"):
                continue
            found = set()
            for _, name, unique, *_ in con.execute(f'PRAGMA index_list("{table}")'):
                columns = tuple(r[2] for r in con.execute(f'PRAGMA index_info("{name}")'))
                found.add((bool(unique), columns))
            shape[table] = found
        return shape
    finally:
        con.close()


async def _postgres_shape(url: str) -> Shape:
    con = await asyncpg.connect(url)
    try:
        rows = await con.fetch(
            """
            SELECT t.relname AS tbl, ix.indisunique AS uniq,
                   array_agg(a.attname ORDER BY k.n) AS cols
            FROM pg_index ix
            JOIN pg_class t ON t.oid = ix.indrelid
            JOIN pg_namespace ns ON ns.oid = t.relnamespace AND ns.nspname = 'public'
            CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
            WHERE t.relname NOT LIKE 'tortoise%'
            GROUP BY t.relname, ix.indexrelid, ix.indisunique
            """
        )
        shape: Shape = {}
        for row in rows:
            shape.setdefault(row["tbl"], set()).add((row["uniq"], tuple(row["cols"])))
        return shape
    finally:
        await con.close()


async def _shape(url: str) -> Shape:
    return await (_postgres_shape(url) if BACKEND == "postgres" else _sqlite_shape(url))


def _without_duplicates(shape: Shape) -> Shape:
    """An index that another index with the same columns already covers says nothing more."""
    return {table: {(u, c) for u, c in found if u or (True, c) not in found} for table, found in shape.items()}


@pytest.mark.asyncio(loop_scope="function")
async def test_the_migrated_database_keeps_every_index_and_unique_the_models_declare(scratch_databases):
    # given one database built by the migrations, and one built straight from the models
    migrated, generated = scratch_databases.new(), scratch_databases.new()
    await migrate(migrated)
    await Tortoise.init(config=tortoise_config(generated))
    try:
        await Tortoise.generate_schemas()
    finally:
        await Tortoise.close_connections()
    # then every table has the same indexes and UNIQUE constraints, column for column
    want, got = _without_duplicates(await _shape(generated)), _without_duplicates(await _shape(migrated))
    missing = {t: sorted(want[t] - got.get(t, set())) for t in want if want[t] - got.get(t, set())}
    assert missing == {}, f"the migrations lost these (unique?, columns) on {BACKEND}: {missing}"
    # and the one-ballot-per-household rule is among them
    assert (True, ("poll_id", "voter_key")) in got["ballot"]
