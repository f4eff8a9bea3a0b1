"""The floor: raw asyncpg doing the work of a workload with the fewest statements, no HTTP and no ORM.

- insert: one single-row INSERT of a ballot-shaped row per request, autocommitted (the durable
  write every vote needs at least);
- read: the resident page's public data in one statement (the consultation with its demands,
  duties, plans and shares, polls and options, milestones, findings and ratings, as JSON), after
  the session lookup a signed-in page needs.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from consult.bench.seed import World

SCRATCH = """
CREATE TABLE IF NOT EXISTS bench_floor_ballot (
    id BIGSERIAL PRIMARY KEY,
    poll_id BIGINT NOT NULL,
    voter_key VARCHAR(64) NOT NULL,
    receipt VARCHAR(32) NOT NULL,
    choices TEXT NOT NULL,
    weight_e4 BIGINT NOT NULL,
    cast_at TIMESTAMPTZ NOT NULL,
    UNIQUE (poll_id, voter_key)
)"""

INSERT = (
    "INSERT INTO bench_floor_ballot (poll_id, voter_key, receipt, choices, weight_e4, cast_at) "
    "VALUES ($1, $2, $3, $4, $5, $6)"
)

SESSION = (
    "SELECT account_id, roll_entry_id FROM session WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()"
)


def _rows(sql: str) -> str:
    return f"(SELECT coalesce(json_agg(x), '[]'::json) FROM ({sql}) x)"


_PARTS = {
    "consultation": "row_to_json(c)",
    "demands": _rows("SELECT * FROM demand WHERE consultation_id = c.id ORDER BY created_at DESC, id DESC LIMIT 100"),
    "demandCount": "(SELECT count(*) FROM demand WHERE consultation_id = c.id)",
    "responsibilities": _rows(
        "SELECT r.*, p.name AS party_name FROM responsibility r "
        "JOIN party p ON p.id = r.party_id WHERE r.consultation_id = c.id"
    ),
    "proposals": _rows(
        "SELECT pr.*, (SELECT row_to_json(cp) FROM cost_plan cp WHERE cp.proposal_id = pr.id) AS plan, "
        + _rows(
            "SELECT cs.*, p.name AS party_name FROM cost_share cs JOIN cost_plan cp ON cp.id = cs.plan_id "
            "JOIN party p ON p.id = cs.party_id WHERE cp.proposal_id = pr.id ORDER BY cs.position"
        )
        + " AS shares FROM proposal pr WHERE pr.consultation_id = c.id"
    ),
    "polls": _rows(
        "SELECT po.*, (SELECT coalesce(json_agg(o ORDER BY o.position), '[]'::json) "
        "FROM poll_option o WHERE o.poll_id = po.id) AS options FROM poll po WHERE po.consultation_id = c.id"
    ),
    "milestones": _rows("SELECT * FROM milestone WHERE consultation_id = c.id"),
    "findings": _rows("SELECT * FROM finding WHERE consultation_id = c.id"),
    "ratings": "(SELECT json_build_object('count', count(*), 'average', avg(score)) "
    "FROM rating WHERE consultation_id = c.id)",
}
PAGE = (
    "SELECT json_build_object("
    + ", ".join(f"'{name}', {sql}" for name, sql in _PARTS.items())
    + ") FROM consultation c WHERE c.id = $1"
)


class Floor:
    def __init__(self, pool: Any, world: World, consultation_pk: int) -> None:
        self.pool = pool
        self.world = world
        self.consultation_pk = consultation_pk
        self.token_hashes = [hashlib.sha256(t.encode()).hexdigest() for t in world.tokens]
        self.batch = 0

    @classmethod
    async def open(cls, url: str, connections: int, world: World) -> Floor:
        import asyncpg

        from consult.ids import expect_id

        pool = await asyncpg.create_pool(url, min_size=connections, max_size=connections)
        await pool.execute(SCRATCH)
        pk = expect_id(world.consultation_id, "Consultation")
        assert pk is not None
        return cls(pool, world, pk)

    async def close(self) -> None:
        await self.pool.close()

    async def run(self, kind: str, count: int, at_least: float = 1.0) -> float:
        """Requests per second of this kind over the pool's connections: `count` of them, and more
        until `at_least` seconds have passed, so that a fast floor is not timed on a blink."""
        self.batch += 1
        batch, now = self.batch, datetime.now(UTC)
        counter = itertools.count()
        started = time.perf_counter()
        deadline = started + at_least

        async def insert(con: Any, i: int) -> None:
            await con.execute(INSERT, batch, f"{i:064x}", secrets.token_hex(8), "[1]", 10000, now)

        async def read(con: Any, i: int) -> None:
            await con.fetchrow(SESSION, self.token_hashes[i % len(self.token_hashes)])
            await con.fetchval(PAGE, self.consultation_pk)

        work = insert if kind == "insert" else read

        async def worker() -> None:
            async with self.pool.acquire() as con:
                while (i := next(counter)) < count or time.perf_counter() < deadline:
                    await work(con, i)

        await asyncio.gather(*(worker() for _ in range(self.pool.get_max_size())))
        elapsed = time.perf_counter() - started
        done = next(counter) - self.pool.get_max_size()
        return done / elapsed
