"""Database states built once per run and put back before each test that wants them.

Building the small world of the API tests (an admin, three parties, an organizer, a CPPCC
member and a representative per party, each signed in) costs a dozen GraphQL calls and six
password hashes. The suite builds it once, keeps every row of every table in memory, and
puts those rows back in place for each test: one truncate and a few inserts on the test's
own connection in one transaction, on SQLite and PostgreSQL alike. Sequences are not reset, so ids keep
growing across tests as they would in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from tortoise import Tortoise
from tortoise.contrib.test import _topological_sort_models
from tortoise.transactions import in_transaction


@dataclass(frozen=True)
class TableRows:
    table: str
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]


@dataclass(frozen=True)
class SavedState:
    """Every row of every table, parents before children."""

    tables: tuple[TableRows, ...]


@cache
def _parents_first() -> list[str]:
    models = list(Tortoise.apps.get_models_iterable())
    return [model._meta.db_table for model in reversed(_topological_sort_models(models))]


# The rows the migrations themselves put in (the installation's first district, street and
# community): what "empty" means for a test.
_migrated: SavedState | None = None


async def remember_migrated() -> None:
    """Keep the freshly migrated database's rows, for put_back(None)."""
    global _migrated
    _migrated = await take()


def _connection():
    return Tortoise.get_connection("default")


async def take() -> SavedState:
    db = _connection()
    tables = []
    for table in _parents_first():
        rows = await db.execute_query_dict(f'SELECT * FROM "{table}" ORDER BY 1')
        if rows:
            columns = tuple(rows[0].keys())
            tables.append(TableRows(table, columns, tuple(tuple(row[c] for c in columns) for row in rows)))
    return SavedState(tuple(tables))


async def put_back(state: SavedState | None) -> None:
    """Empty every table, then insert the saved rows, parents first: one transaction, one commit.
    None puts back the database as the migrations left it."""
    tables = _parents_first()
    state = state or _migrated
    async with in_transaction() as db:
        postgres = db.capabilities.dialect == "postgres"
        if postgres:
            await db.execute_script("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
        else:
            for table in reversed(tables):
                await db.execute_script(f'DELETE FROM "{table}"')
        for saved in state.tables if state else ():
            marks = ", ".join(f"${i}" if postgres else "?" for i in range(1, len(saved.columns) + 1))
            names = ", ".join(f'"{c}"' for c in saved.columns)
            insert = f'INSERT INTO "{saved.table}" ({names}) VALUES ({marks})'
            await db.execute_many(insert, [list(row) for row in saved.rows])
