"""Counting the SQL statements this process sends to PostgreSQL, for `consult bench`.

Off unless CONSULT_BENCH_STATS=1. Then the Tortoise connection uses this module as its engine:
consult's asyncpg client (consult.pg), whose connections count every statement they send (BEGIN, COMMIT and
the pool's reset on release included, since each is a round trip), and the app answers
GET /_bench/stats with this process's count.
"""

from __future__ import annotations

import os
from typing import Any

import asyncpg

from consult.pg import ConsultAsyncpgClient

statements = 0


def enabled() -> bool:
    return os.environ.get("CONSULT_BENCH_STATS") == "1"


def _count(_record: Any) -> None:
    global statements
    statements += 1


class CountingConnection(asyncpg.connection.Connection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_query_logger(_count)


class CountingClient(ConsultAsyncpgClient):
    connection_class = CountingConnection  # type: ignore[assignment]


# What Tortoise looks for in an engine module.
client_class = CountingClient
