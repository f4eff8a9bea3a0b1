"""`consult bench district`: a whole district on one PostgreSQL database, and the queries it leans on.

The seed is 1 district, 20 streets, 200 communities, 10,000 consultations spread over every
stage (with demands, parties, duties, adopted plans with shares and contributions, polls,
milestones, inspections, findings, follow-ups and ratings) and 1,000,000 voter-roll entries,
written with COPY (asyncpg's copy_records_to_table), not through the services: the services
would take hours for this, and the bench measures reads. So the seeded consultations carry no
audit events: `consult verify` has nothing to check on them, and the bench database is for
measuring only.

Seeding takes minutes, so a seeded database is kept and reused: its `bench_district` table says
at which scale it was seeded, and a later run at the same scale skips straight to measuring.

Measured, p50/p95 over --runs, through the real GraphQL app in-process (create_app on httpx's
ASGI transport: the context, strawberry and the loaders, without the network):
- a roll page: the first page, a deep page (by cursor, past the middle of the largest roll)
  and a search, 50 entries each (target ≤ 50 ms p50);
- the overview (协商成效) through the GraphQL app, as the district's admin sees it, and the
  reminder sweep (consult.services.reminders.sweep) over the whole district.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from consult.bench import BenchError, _percentile, _say, check_target

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/consult_bench_district"
FULL = {"streets": 20, "communities": 200, "consultations": 10_000, "roll": 1_000_000}
# The largest roll: one consultation (a whole street's estates voting, 20,000 households at full
# scale) holds this share of all entries, so that a deep page is deep and a count is large; the
# rest spread evenly, about 100 a consultation. The roll measures read the largest.
BIG_ROLL_SHARE = 0.02
PAGE_SIZE = 50
TARGETS_MS = {
    "roll first page": 50.0,
    "roll deep page": 50.0,
    "roll search": 50.0,
    "overview": 300.0,
    "overview year": 300.0,
    "reminder sweep": 5000.0,
}
STAGES = ["DRAFT", "COLLECTING", "DELIBERATING", "VOTING", "AGREED", "IMPLEMENTING", "EVALUATING", "ARCHIVED"]
ADMIN_USER, ADMIN_PASSWORD = "bench-admin", "bench-admin-口令-2026"


@dataclass
class Sizes:
    streets: int
    communities: int
    consultations: int
    roll: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        n = {k: max(1, round(v * scale)) for k, v in FULL.items()}
        n["communities"] = max(n["communities"], n["streets"])
        n["consultations"] = max(n["consultations"], len(STAGES))
        n["roll"] = max(n["roll"], n["consultations"] * 2)
        return cls(**n)


@dataclass
class Measured:
    name: str
    times_ms: list[float] = field(default_factory=list)
    note: str = ""

    def row(self) -> dict[str, Any]:
        built = bool(self.times_ms)
        return {
            "measure": self.name,
            "p50_ms": round(_percentile(self.times_ms, 0.5), 2) if built else None,
            "p95_ms": round(_percentile(self.times_ms, 0.95), 2) if built else None,
            "target_ms": TARGETS_MS.get(self.name),
            "runs": len(self.times_ms),
            "note": self.note,
        }


# ---------------------------------------------------------------- the seed


class _Ids:
    """Ids handed out before COPY, so rows can point at each other without reading them back."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    async def start(self, con: Any, tables: list[str]) -> None:
        for t in tables:
            self.next[t] = (await con.fetchval(f'SELECT coalesce(max(id), 0) FROM "{t}"')) + 1

    def take(self, table: str) -> int:
        n = self.next[table]
        self.next[table] = n + 1
        return n


TABLES = [
    "area",
    "party",
    "consultation",
    "consultation_party",
    "stage_change",
    "demand",
    "responsibility",
    "voter_roll_entry",
    "proposal",
    "cost_plan",
    "cost_share",
    "contribution",
    "poll",
    "poll_option",
    "milestone",
    "inspection",
    "finding",
    "follow_up",
    "rating",
]


def _roll_sizes(sizes: Sizes) -> list[int]:
    # At a small scale the largest roll still spans every staircase, so the search finds some.
    big = max(int(sizes.roll * BIG_ROLL_SHARE), min(sizes.roll // 2, 500)) if sizes.consultations > 1 else sizes.roll
    rest, others = sizes.roll - big, sizes.consultations - 1
    each = [rest // others + (1 if i < rest % others else 0) for i in range(others)] if others else []
    return [big, *each]


def _label(i: int) -> str:
    building, unit, floor, flat = i // 240 + 1, (i // 24) % 10 + 1, (i // 2) % 12 + 1, i % 2 + 1
    return f"{building}号楼{unit}单元{floor}0{flat}"


class _Rows:
    """The rows of every table, built in memory before they are copied."""

    def __init__(self, ids: _Ids, now: datetime) -> None:
        self.ids, self.now = ids, now
        self.t: dict[str, list[tuple]] = {name: [] for name in TABLES}
        self.cols: dict[str, tuple[str, ...]] = {}

    def add(self, table: str, **row: Any) -> int:
        pk = self.ids.take(table)
        row = {"id": pk, **row}
        self.cols.setdefault(table, tuple(row))
        self.t[table].append(tuple(row.values()))
        return pk


def _areas(rows: _Rows, district_id: int, sizes: Sizes) -> list[int]:
    communities = []
    streets = [
        rows.add("area", kind="STREET", name=f"第{s + 1}街道", parent_id=district_id, position=s + 1)
        for s in range(sizes.streets)
    ]
    for c in range(sizes.communities):
        communities.append(
            rows.add(
                "area", kind="COMMUNITY", name=f"第{c + 1}社区", parent_id=streets[c % len(streets)], position=c + 1
            )
        )
    return communities


def _parties(rows: _Rows, n: int) -> list[int]:
    kinds = ["STREET_OFFICE", "MERCHANT", "UNIT", "RESIDENTS", "DEPARTMENT", "ENTERPRISE"]
    return [
        rows.add("party", name=f"协商单位{i + 1}", kind=kinds[i % len(kinds)], contact=None, created_at=rows.now)
        for i in range(n)
    ]


def _consultation(rows: _Rows, i: int, community: int, stage: str, parties: list[int], roll: int, admin: int) -> None:
    now = rows.now
    created = now - timedelta(days=(i % 300) + 30)
    cid = rows.add(
        "consultation",
        title=f"第{i + 1}号协商事项",
        summary="道路、管网、楼道和小区环境。",
        location=f"第{community}社区",
        stage=stage,
        created_at=created,
        last_seq=0,
        head_hash=None,
        convener_id=admin,
        created_by_id=admin,
        published=stage != "DRAFT",
        checked_hash=None,
        checked_seq=0,
        help_phone=None,
        community_id=community,
    )
    level = STAGES.index(stage)
    mine = [parties[(i + k) % len(parties)] for k in range(3)]
    for k, p in enumerate(mine):
        rows.add("consultation_party", position=k, consultation_id=cid, party_id=p)
    rows.add("stage_change", from_stage=None, to_stage="DRAFT", at=created, note=None, by_id=admin, consultation_id=cid)
    if level >= 1:
        _demands(rows, cid, level, created, admin)
    if level >= 2:
        for k, p in enumerate(mine[:2]):
            rows.add(
                "responsibility",
                duty=f"负责第{k + 1}项",
                due_at=now + timedelta(days=30),
                created_at=created,
                consultation_id=cid,
                party_id=p,
            )
    entries = _roll(rows, cid, roll, created)
    if level >= 3:
        _poll(rows, cid, level, roll, created, admin)
    if level >= 4:
        _plan(rows, cid, level, mine, created, admin)
    if level >= 5:
        _works(rows, cid, level, mine, created, admin, i)
    if level >= 6:
        for k, entry in enumerate(entries[:5]):
            rows.add(
                "rating",
                score=3 + (i + k) % 3,
                comment=None,
                at=now - timedelta(days=3),
                consultation_id=cid,
                entry_id=entry,
            )


def _demands(rows: _Rows, cid: int, level: int, created: datetime, admin: int) -> None:
    for k in range(5):
        status = "OPEN" if level < 2 else ["ACCEPTED", "ACCEPTED", "ACCEPTED", "REJECTED", "MERGED"][k]
        rows.add(
            "demand",
            title=f"诉求{k + 1}",
            body="路面坑洼，雨天积水。",
            channel="RESIDENT",
            status=status,
            support_count=k,
            created_at=created + timedelta(days=1),
            consultation_id=cid,
            merged_into_id=None,
            submitted_by_id=admin,
        )


def _roll(rows: _Rows, cid: int, n: int, created: datetime) -> list[int]:
    return [
        rows.add(
            "voter_roll_entry",
            label=_label(k),
            weight_e4=(60 + k % 40) * 10_000,
            position=k,
            active=True,
            created_at=created,
            account_id=None,
            consultation_id=cid,
            area_given=True,
        )
        for k in range(n)
    ]


def _poll(rows: _Rows, cid: int, level: int, roll: int, created: datetime, admin: int) -> None:
    now, voting = rows.now, level == 3
    cast = roll * 2 // 3
    pid = rows.add(
        "poll",
        question="是否同意方案？",
        kind="YES_NO_ABSTAIN",
        status="OPEN" if voting else "CLOSED",
        max_choices=None,
        opens_at=created + timedelta(days=10),
        closes_at=now + timedelta(hours=12 + cid % 72) if voting else created + timedelta(days=17),
        opened_at=created + timedelta(days=10),
        closed_at=None if voting else created + timedelta(days=17),
        secret=False,
        allow_revote=True,
        live_results=True,
        preset="SIMPLE_MAJORITY",
        quorum_num=1,
        quorum_den=2,
        threshold_num=1,
        threshold_den=2,
        threshold_strict=True,
        by_area=False,
        electorate_size=roll,
        electorate_weight_e4=roll * 10_000,
        tally_version=cast,
        ballots_cast=cast,
        ballots_weight_e4=cast * 10_000,
        created_at=created + timedelta(days=9),
        consultation_id=cid,
        created_by_id=admin,
        shown_ballots=cast,
        shown_version=cast,
        shown_weight_e4=cast * 10_000,
        moved_pending=0,
        running_sealed=None,
    )
    for k, (label, share) in enumerate((("赞成", 0.8), ("反对", 0.15), ("弃权", 0.05))):
        votes = int(cast * share)
        rows.add(
            "poll_option",
            label=label,
            position=k,
            votes=votes,
            weight_e4=votes * 10_000,
            poll_id=pid,
            proposal_id=None,
            shown_votes=votes,
        )


def _plan(rows: _Rows, cid: int, level: int, parties: list[int], created: datetime, admin: int) -> None:
    total = 240_000_00
    proposal = rows.add(
        "proposal",
        title="改造方案",
        body="管网维修与路面硬化。",
        status="ADOPTED",
        budget_fen=total,
        created_at=created + timedelta(days=5),
        author_id=admin,
        consultation_id=cid,
    )
    plan = rows.add(
        "cost_plan",
        total_fen=total,
        method="EQUAL",
        updated_at=created + timedelta(days=18),
        updated_by_id=admin,
        proposal_id=proposal,
    )
    for k, party in enumerate(parties):
        confirmed = level >= 5 or k == 0
        paid = total // 3 if level >= 6 else (total // 6 if level == 5 else 0)
        share = rows.add(
            "cost_share",
            position=k,
            amount_fen=total // 3 + (total % 3 if k == 0 else 0),
            percent=None,
            weight=None,
            confirmed_at=created + timedelta(days=19) if confirmed else None,
            paid_fen=paid,
            confirmed_by_id=admin if confirmed else None,
            party_id=party,
            plan_id=plan,
            confirmed_on_behalf=False,
        )
        if paid:
            rows.add(
                "contribution",
                amount_fen=paid,
                received_at=created + timedelta(days=20),
                note=None,
                created_at=created + timedelta(days=20),
                recorded_by_id=admin,
                share_id=share,
            )


def _works(rows: _Rows, cid: int, level: int, parties: list[int], created: datetime, admin: int, i: int) -> None:
    now, done = rows.now, level >= 6
    start = created + timedelta(days=21)
    milestones = []
    for k, (title, kind) in enumerate((("资金到位", "FUNDING"), ("工程招标", "TENDER"), ("施工", "CONSTRUCTION"))):
        # Some works under way run late: a milestone past its planned end, not finished.
        late = not done and k == 2 and i % 4 == 0
        end = now - timedelta(days=2) if late else start + timedelta(days=10 * (k + 1))
        milestones.append(
            rows.add(
                "milestone",
                title=title,
                kind=kind,
                planned_start=start,
                planned_end=end,
                actual_start=start,
                actual_end=end if done or k < 2 else None,
                progress=100 if done or k < 2 else 60,
                created_at=start,
                consultation_id=cid,
                responsible_party_id=parties[k % len(parties)],
            )
        )
    inspection = rows.add(
        "inspection",
        visited_at=start + timedelta(days=5),
        notes="现场查看施工。",
        created_at=start + timedelta(days=5),
        consultation_id=cid,
        inspector_id=admin,
        milestone_id=milestones[2],
    )
    status = "VERIFIED" if done else ["OPEN", "RESOLVED", "OPEN"][i % 3]
    due = (
        now + timedelta(hours=12) if i % 3 == 0 else now - timedelta(days=1) if i % 3 == 2 else now + timedelta(days=5)
    )
    rows.add(
        "finding",
        category=["FUNDING_SHORTFALL", "SLOW_PROGRESS", "NOISE"][i % 3],
        description="发现的问题。",
        due_at=due if not done else start + timedelta(days=12),
        expected_outcome="按期整改。",
        status=status,
        resolution="已整改。" if status != "OPEN" else None,
        created_at=start + timedelta(days=5),
        updated_at=start + timedelta(days=9),
        assignee_id=admin,
        consultation_id=cid,
        inspection_id=inspection,
        responsible_party_id=parties[0],
    )
    if done:
        rows.add("follow_up", at=now - timedelta(days=4), notes="回访居民，满意。", by_id=admin, consultation_id=cid)


async def _copy(con: Any, rows: _Rows, progress: Callable[[str, int, int], None]) -> None:
    for n, table in enumerate(TABLES):
        records = rows.t[table]
        if records:
            await con.copy_records_to_table(table, records=records, columns=list(rows.cols[table]))
            await con.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))"
            )
        progress("写入 COPY", n + 1, len(TABLES))


async def _seed_rows(url: str, sizes: Sizes, admin_id: int, progress: Callable[[str, int, int], None]) -> None:
    import asyncpg

    con = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        ids = _Ids()
        await ids.start(con, TABLES)
        rows = _Rows(ids, datetime.now(UTC))
        district = await con.fetchval("SELECT id FROM area WHERE kind = 'DISTRICT' ORDER BY id LIMIT 1")
        await con.execute("UPDATE area SET name = '压测区' WHERE id = $1", district)
        communities = _areas(rows, district, sizes)
        parties = _parties(rows, max(6, sizes.communities // 2))
        rolls = _roll_sizes(sizes)
        for i in range(sizes.consultations):
            stage = STAGES[i % len(STAGES)]
            _consultation(rows, i, communities[i % len(communities)], stage, parties, rolls[i], admin_id)
            if (i + 1) % 1000 == 0 or i + 1 == sizes.consultations:
                progress("生成 rows", i + 1, sizes.consultations)
        async with con.transaction():
            await _copy(con, rows, progress)
        # What autovacuum would do before long: statistics, and the visibility map that lets the
        # roll's count be an index-only scan.
        await con.execute("VACUUM ANALYZE")
    finally:
        await con.close()


def _kept_as(scale: float) -> str:
    """What the kept database's marker says: its scale and the last migration it was built with,
    so a database seeded by an older release is seeded again rather than reused."""
    from pathlib import Path

    import migrations

    names = sorted(p.stem for p in Path(migrations.__file__).parent.glob("0*.py"))
    return f"{scale} {names[-1] if names else ''}"


async def _marker(url: str) -> str | None:
    import asyncpg

    try:
        con = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        return await con.fetchval("SELECT scale FROM bench_district LIMIT 1")
    except asyncpg.UndefinedTableError:
        return None
    finally:
        await con.close()


async def prepare(url: str, scale: float, fresh: bool) -> tuple[bool, float]:
    """A database seeded at `scale`: the kept one, or a new one. Returns (reused, seconds taken)."""
    import asyncpg
    from tortoise import Tortoise

    from consult.bench import _progress, _recreate
    from consult.db import migrate, tortoise_config
    from consult.services.accounts import create_admin
    from consult.services.base import ServiceContext

    name = check_target(url)
    if not fresh and await _marker(url) == _kept_as(scale):
        return True, 0.0
    started = time.perf_counter()
    await _recreate(url, name)
    from pathlib import Path

    from consult.settings import Settings

    # The rebuilt database starts a new audit history: its anchors start afresh too.
    anchor_file = Settings.from_env(url).anchor_file
    if anchor_file:
        Path(anchor_file).unlink(missing_ok=True)
    await migrate(url)
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    try:
        admin = await create_admin(ServiceContext(), username=ADMIN_USER, password=ADMIN_PASSWORD)
    finally:
        await Tortoise.close_connections()
    await _seed_rows(url, Sizes.at(scale), admin.id, _progress)
    seconds = time.perf_counter() - started
    con = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await con.execute("CREATE TABLE bench_district (scale TEXT NOT NULL, seconds DOUBLE PRECISION NOT NULL)")
        await con.execute("INSERT INTO bench_district VALUES ($1, $2)", _kept_as(scale), seconds)
    finally:
        await con.close()
    return False, seconds


# ---------------------------------------------------------------- the measures

ROLL = """query($id: ID!, $first: Int, $after: String, $search: String) {
  consultation(id: $id) { roll(first: $first, after: $after, search: $search) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id label weight account { id } } } } } }"""


async def _timed(runs: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    await call()  # warm: caches, plans, the pool
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return times


async def _roll_measures(client: Any, token: str, runs: int, errors: list[str]) -> list[Measured]:
    from consult.ids import to_global_id
    from consult.models import Consultation, VoterRollEntry

    first = await Consultation.all().order_by("id").first()
    if first is None:
        raise BenchError("压测数据库里没有协商 The bench database holds no consultation: run with --fresh")
    first_id = first.id
    cid = to_global_id("Consultation", first_id)
    size = await VoterRollEntry.filter(consultation_id=first_id).count()
    deep = (
        await VoterRollEntry.filter(consultation_id=first_id)
        .order_by("position", "id")
        .offset(max(0, size * 3 // 4))
        .first()
    )

    async def page(**args: Any) -> Any:
        response = await client.post(
            "/graphql",
            json={"query": ROLL, "variables": {"id": cid, "first": PAGE_SIZE, **args}},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.json()
        if body.get("errors") or not body["data"]["consultation"]["roll"]["edges"]:
            errors.append(f"roll {args}: {str(body)[:300]}")
        return body

    from schema.roll import encode_roll_cursor

    after = encode_roll_cursor(deep) if deep else None
    return [
        Measured("roll first page", await _timed(runs, page), f"{size} 户的名册 entries"),
        Measured("roll deep page", await _timed(runs, lambda: page(after=after)), "第 3/4 处 at 3/4"),
        Measured("roll search", await _timed(runs, lambda: page(search="2单元 01")), "查找 '2单元 01'"),
    ]


_FIGURES = (
    "consultations byStage { stage count } demandsReceived demandsResolved resolutionRate pledged paid "
    "moneyByPartyKind { kind pledged paid } overdueMilestones overdueFindings findingsClosed averageDaysToClose "
    "votesHeld averageTurnout ratings averageSatisfaction satisfactionRate"
)
OVERVIEW_QUERY = (
    "query($from: Date, $to: Date) { overview(from: $from, to: $to) { total { "
    + _FIGURES
    + " } communities { id name streetName figures { "
    + _FIGURES
    + " } } errors { code } } }"
)


async def _overview_measures(client: Any, token: str, runs: int, errors: list[str]) -> list[Measured]:
    """协商成效 for the whole district as its admin sees it, through the GraphQL app: every
    community's row and the totals, for all time and for one year."""

    async def ask(**variables: str) -> Any:
        response = await client.post(
            "/graphql",
            json={"query": OVERVIEW_QUERY, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.json()
        data = (body.get("data") or {}).get("overview") or {}
        if body.get("errors") or data.get("errors") or not data.get("communities"):
            errors.append(f"overview {variables}: {str(body)[:300]}")
        return body

    return [
        Measured("overview", await _timed(runs, ask), "全区，全部时间 whole district, all time"),
        Measured(
            "overview year",
            await _timed(runs, lambda: ask(**{"from": "2025-01-01", "to": "2025-12-31"})),
            "全区，一年 one year",
        ),
    ]


async def _sweep_measure(runs: int) -> Measured:
    """The reminder sweep over the whole district: the first run raises what is due, the later
    runs find it raised already (what every round of the scheduler does)."""
    from consult.services.reminders import sweep

    return Measured("reminder sweep", await _timed(runs, lambda: sweep(datetime.now(UTC))), "提醒扫描 one round")


async def measure(url: str, runs: int) -> tuple[list[Measured], list[str]]:
    import httpx
    from tortoise import Tortoise

    from consult.app import create_app
    from consult.db import tortoise_config
    from consult.services.accounts import login
    from consult.services.base import ServiceContext
    from consult.settings import get_settings

    errors: list[str] = []
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    try:
        token = (await login(ServiceContext(client_key="bench"), username=ADMIN_USER, password=ADMIN_PASSWORD)).token
        app = create_app(get_settings(), manage_database=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            measured = await _roll_measures(client, token, runs, errors)
            measured += await _overview_measures(client, token, runs, errors)
        measured.append(await _sweep_measure(max(3, runs // 10)))
    finally:
        await Tortoise.close_connections()
    return measured, errors


def print_district(rows: list[dict[str, Any]]) -> None:
    _say(f"{'measure':<18}{'p50 ms':>10}{'p95 ms':>10}{'target':>10}{'runs':>6}  note")
    for r in rows:
        p50 = "—" if r["p50_ms"] is None else f"{r['p50_ms']:.1f}"
        p95 = "—" if r["p95_ms"] is None else f"{r['p95_ms']:.1f}"
        target = "—" if r["target_ms"] is None else f"≤{r['target_ms']:.0f}"
        met = (
            ""
            if r["p50_ms"] is None or r["target_ms"] is None
            else (" ok" if r["p50_ms"] <= r["target_ms"] else " SLOW")
        )
        _say(f"{r['measure']:<18}{p50:>10}{p95:>10}{target:>10}{r['runs']:>6}  {r['note']}{met}")


def cmd_district(args: Any) -> int:
    """`consult bench district`: seed (or reuse) the district, then time the roll, the overview and the sweep."""
    url = (args.database or os.environ.get("CONSULT_BENCH_DISTRICT_URL") or DEFAULT_URL).replace(
        "postgresql://", "postgres://", 1
    )
    if not url.startswith("postgres://"):
        print(
            "consult bench district 只在 PostgreSQL 上运行，SQLite 上跳过 "
            "runs on PostgreSQL only: skipped on SQLite. Give --database postgres://…/consult_bench…",
            file=sys.stderr,
        )
        return 2
    os.environ.setdefault("CONSULT_SECRET_KEY", secrets.token_hex(16))
    os.environ["CONSULT_DATABASE_URL"] = url
    try:
        check_target(url)
        reused, seconds = asyncio.run(prepare(url, args.scale, args.fresh))
        sizes = Sizes.at(args.scale)
        _say(
            ("沿用已有的区 Reusing the seeded district" if reused else f"播种用时 Seeded in {seconds:.1f} s")
            + f": {sizes.streets} streets, {sizes.communities} communities, {sizes.consultations} consultations, "
            f"{sizes.roll} roll entries"
        )
        measured, errors = asyncio.run(measure(url, args.runs))
    except BenchError as error:
        print(error, file=sys.stderr)
        return 2
    rows = [m.row() for m in measured]
    print_district(rows)
    if args.json:
        import json

        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "scale": args.scale,
                    "sizes": sizes.__dict__,
                    "reused": reused,
                    "seed_seconds": seconds,
                    "results": rows,
                    "errors": errors,
                },
                f,
                ensure_ascii=False,
                indent=2,
            )
    if errors:
        print(f"{len(errors)} 个错误 errors, e.g.:", *errors[:5], sep="\n  ", file=sys.stderr)
        return 1
    return 0
