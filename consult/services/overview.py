"""协商成效: the CPPCC overview of a district's consultations, per community and in total.

Every figure is an SQL aggregate grouped by community: one statement for the areas and one per
kind of figure, however many communities and consultations there are. The per-community rows
carry sums and counts (never averages), so the totals are their sums and every average and
rate is taken from them exactly once.

Definitions the district reports rely on:
- a demand is received unless it was MERGED into another; it is resolved when ACCEPTED and its
  consultation has reached EVALUATING or ARCHIVED (67 of 73 received → "91.8");
- money pledged is the confirmed shares of adopted plans, paid what came in against them;
- a milestone is overdue when not done past its planned end; a finding is overdue when still
  open (not RESOLVED or VERIFIED) past its due time; a finding's days to close run from when it
  was raised to when it was VERIFIED (its last change);
- votes held are closed polls; turnout is ballots over electorate, averaged over the polls;
- satisfaction is the average rating (1–5), and its rate the share of ratings of 4 or 5.

The period is the consultations created between two Beijing dates, both included.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient

from consult.domain.vocabulary import AreaKind, PartyKind, Stage
from consult.errors import Forbidden, Invalid, NotFound
from consult.policies import gate
from consult.services.areas import reaches
from consult.services.base import ServiceContext

BEIJING = timezone(timedelta(hours=8))
ONE_DECIMAL = Decimal("0.1")


def percent(part: int | Decimal, whole: int | Decimal) -> str | None:
    """part/whole as a percentage with one decimal, rounded half up ("91.8"); None when whole is 0."""
    if not whole:
        return None
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP))


def one_decimal(total: int | Decimal, count: int) -> str | None:
    """total/count with one decimal; None when count is 0."""
    if not count:
        return None
    return str((Decimal(total) / count).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP))


@dataclass
class Figures:
    """The sums and counts of one community, or of all those shown."""

    stages: dict[str, int] = field(default_factory=dict)
    demands_received: int = 0
    demands_resolved: int = 0
    pledged_fen: dict[str, int] = field(default_factory=dict)
    paid_fen: dict[str, int] = field(default_factory=dict)
    milestones_overdue: int = 0
    findings_overdue: int = 0
    findings_verified: int = 0
    finding_close_seconds: Decimal = Decimal(0)
    polls_closed: int = 0
    polls_with_electorate: int = 0
    turnout_sum: Decimal = Decimal(0)
    ratings: int = 0
    rating_sum: int = 0
    ratings_satisfied: int = 0

    @property
    def consultations(self) -> int:
        return sum(self.stages.values())

    @property
    def resolution_rate(self) -> str | None:
        return percent(self.demands_resolved, self.demands_received)

    @property
    def pledged_total_fen(self) -> int:
        return sum(self.pledged_fen.values())

    @property
    def paid_total_fen(self) -> int:
        return sum(self.paid_fen.values())

    @property
    def average_close_days(self) -> str | None:
        return one_decimal(self.finding_close_seconds / 86400, self.findings_verified)

    @property
    def average_turnout(self) -> str | None:
        return one_decimal(self.turnout_sum * 100, self.polls_with_electorate)

    @property
    def average_satisfaction(self) -> str | None:
        return one_decimal(self.rating_sum, self.ratings)

    @property
    def satisfaction_rate(self) -> str | None:
        return percent(self.ratings_satisfied, self.ratings)

    def add(self, other: Figures) -> None:
        for name in ("stages", "pledged_fen", "paid_fen"):
            mine, theirs = getattr(self, name), getattr(other, name)
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0) + value
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


_COUNTS = (
    "demands_received",
    "demands_resolved",
    "milestones_overdue",
    "findings_overdue",
    "findings_verified",
    "finding_close_seconds",
    "polls_closed",
    "polls_with_electorate",
    "turnout_sum",
    "ratings",
    "rating_sum",
    "ratings_satisfied",
)


@dataclass
class CommunityRow:
    community_id: int
    name: str
    street_id: int | None
    street_name: str | None
    figures: Figures


@dataclass
class Overview:
    """The figures of the communities shown (those the viewer reaches, narrowed by the filters)."""

    start: date | None
    end: date | None
    street_id: int | None
    community_id: int | None
    total: Figures
    communities: list[CommunityRow]
    # Every community the viewer may filter by, whatever the filters (their figures stay empty).
    reachable: list[CommunityRow]

    @property
    def stages(self) -> list[str]:
        return list(Stage)

    @property
    def party_kinds(self) -> list[str]:
        return [k for k in PartyKind if k in self.total.pledged_fen or k in self.total.paid_fen]


@dataclass
class _Area:
    id: int
    kind: str
    name: str
    parent_id: int | None


async def overview(
    ctx: ServiceContext,
    *,
    start: date | None = None,
    end: date | None = None,
    street_id: int | None = None,
    community_id: int | None = None,
) -> Overview:
    """The overview for the viewer's reach. UNAUTHENTICATED for anonymous callers; FORBIDDEN for
    anyone but admins, organizers and CPPCC members, and on `streetId`/`communityId` for a filter
    outside the viewer's reach; NOT_FOUND on a filter naming no street or community; INVALID on
    `to` before `from`, or a year outside 1970–2200."""
    gate(ctx.actor, "overview.read")
    for day, name in ((start, "from"), (end, "to")):
        # as for every time the API takes: far years overflow between zones and mean nothing here
        if day is not None and not 1970 <= day.year <= 2200:
            raise Invalid("date_out_of_range", name)
    if start is not None and end is not None and end < start:
        raise Invalid("bad_period", "to")
    conn = connections.get("default")
    areas = await _areas(conn)
    shown = _shown(areas, ctx.actor.scope, street_id, community_id)
    rows = {a.id: CommunityRow(a.id, a.name, a.parent_id, _name(areas, a.parent_id), Figures()) for a in shown}
    if rows:
        where = _Where(conn, start, end, None if _everything(ctx, street_id, community_id) else list(rows))
        await _fill(conn, where, rows, ctx.now())
    total = Figures()
    for row in rows.values():
        total.add(row.figures)
    reachable = [
        CommunityRow(a.id, a.name, a.parent_id, _name(areas, a.parent_id), Figures())
        for a in _shown(areas, ctx.actor.scope, None, None)
    ]
    return Overview(start, end, street_id, community_id, total, list(rows.values()), reachable)


def _everything(ctx: ServiceContext, street_id: int | None, community_id: int | None) -> bool:
    return ctx.actor.scope is None and street_id is None and community_id is None


def _name(areas: dict[int, _Area], area_id: int | None) -> str | None:
    area = areas.get(area_id) if area_id is not None else None
    return area.name if area is not None else None


async def _areas(conn: Any) -> dict[int, _Area]:
    """Every street and community, in the order the district lists them."""
    sql = (
        "SELECT a.id, a.kind, a.name, a.parent_id FROM area a LEFT JOIN area p ON p.id = a.parent_id "
        "WHERE a.kind IN ('STREET', 'COMMUNITY') ORDER BY p.position, p.id, a.position, a.id"
    )
    _, rows = await conn.execute_query(sql)
    return {int(r[0]): _Area(int(r[0]), r[1], r[2], r[3]) for r in rows}


def _shown(
    areas: dict[int, _Area], scope: frozenset[int] | None, street_id: int | None, community_id: int | None
) -> list[_Area]:
    """The communities to show: those the scope reaches, narrowed by the filters."""
    communities = [a for a in areas.values() if a.kind == AreaKind.COMMUNITY]
    if street_id is not None:
        communities = _in_street(areas, communities, scope, street_id)
    if community_id is not None:
        _check_community(areas, scope, community_id)
        communities = [a for a in communities if a.id == community_id]
    return [a for a in communities if reaches(scope, a.id)]


def _in_street(
    areas: dict[int, _Area], communities: list[_Area], scope: frozenset[int] | None, street_id: int
) -> list[_Area]:
    """The street's communities; FORBIDDEN when the street has some and the scope reaches none."""
    street = areas.get(street_id)
    if street is None or street.kind != AreaKind.STREET:
        raise NotFound("streetId")
    mine = [a for a in communities if a.parent_id == street_id]
    if scope is not None and mine and not any(a.id in scope for a in mine):
        raise Forbidden("streetId")
    return mine


def _check_community(areas: dict[int, _Area], scope: frozenset[int] | None, community_id: int) -> None:
    community = areas.get(community_id)
    if community is None or community.kind != AreaKind.COMMUNITY:
        raise NotFound("communityId")
    if not reaches(scope, community_id):
        raise Forbidden("communityId")


class _Where:
    """The consultations counted, as SQL on `c` (the consultation table) and its parameters."""

    def __init__(self, conn: Any, start: date | None, end: date | None, community_ids: list[int] | None) -> None:
        self.postgres = conn.capabilities.dialect == "postgres"
        parts = ["c.community_id IS NOT NULL"]
        self.params: list[Any] = []
        if start is not None:
            parts.append("c.created_at >= ?")
            self.params.append(datetime.combine(start, time(), BEIJING).astimezone(UTC))
        if end is not None:
            parts.append("c.created_at < ?")
            self.params.append(datetime.combine(end + timedelta(days=1), time(), BEIJING).astimezone(UTC))
        if community_ids is not None:
            parts.append("c.community_id IN (" + ", ".join("?" for _ in community_ids) + ")")
            self.params.extend(community_ids)
        self.sql = " AND ".join(parts)

    def render(self, sql: str, before: list[Any]) -> tuple[str, list[Any]]:
        """The statement with `{where}` filled in, in the dialect's placeholders, and all its parameters."""
        text = sql.replace("{where}", self.sql)
        params = [*before, *self.params]
        if self.postgres:
            pieces = text.split("?")
            text = pieces[0] + "".join(f"${i}{piece}" for i, piece in enumerate(pieces[1:], start=1))
        return text, params

    def seconds(self, later: str, earlier: str) -> str:
        if self.postgres:
            return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
        return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


_STAGES = "SELECT c.community_id, c.stage, COUNT(*) FROM consultation c WHERE {where} GROUP BY c.community_id, c.stage"
_DEMANDS = (
    "SELECT c.community_id, SUM(CASE WHEN d.status <> 'MERGED' THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN d.status = 'ACCEPTED' AND c.stage IN ('EVALUATING', 'ARCHIVED') THEN 1 ELSE 0 END) "
    "FROM demand d JOIN consultation c ON c.id = d.consultation_id WHERE {where} GROUP BY c.community_id"
)
_MONEY = (
    "SELECT c.community_id, p.kind, SUM(CASE WHEN s.confirmed_at IS NOT NULL THEN s.amount_fen ELSE 0 END), "
    "SUM(s.paid_fen) FROM cost_share s JOIN cost_plan cp ON cp.id = s.plan_id "
    "JOIN proposal pr ON pr.id = cp.proposal_id JOIN consultation c ON c.id = pr.consultation_id "
    "JOIN party p ON p.id = s.party_id WHERE pr.status = 'ADOPTED' AND {where} GROUP BY c.community_id, p.kind"
)
_MILESTONES = (
    "SELECT c.community_id, COUNT(*) FROM milestone m JOIN consultation c ON c.id = m.consultation_id "
    "WHERE m.progress < 100 AND m.planned_end < ? AND {where} GROUP BY c.community_id"
)
_FINDINGS = (
    "SELECT c.community_id, "
    "SUM(CASE WHEN f.status NOT IN ('RESOLVED', 'VERIFIED') AND f.due_at < ? THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN f.status = 'VERIFIED' THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN f.status = 'VERIFIED' THEN {seconds} ELSE 0 END) "
    "FROM finding f JOIN consultation c ON c.id = f.consultation_id WHERE {where} GROUP BY c.community_id"
)
_POLLS = (
    "SELECT c.community_id, COUNT(*), SUM(CASE WHEN p.electorate_size > 0 THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN p.electorate_size > 0 THEN p.ballots_cast * 1.0 / p.electorate_size ELSE 0 END) "
    "FROM poll p JOIN consultation c ON c.id = p.consultation_id "
    "WHERE p.status = 'CLOSED' AND {where} GROUP BY c.community_id"
)
_RATINGS = (
    "SELECT c.community_id, COUNT(*), SUM(r.score), SUM(CASE WHEN r.score >= 4 THEN 1 ELSE 0 END) "
    "FROM rating r JOIN consultation c ON c.id = r.consultation_id WHERE {where} GROUP BY c.community_id"
)


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def _int(value: Any) -> int:
    return int(value) if value is not None else 0


async def _fill(conn: Any, where: _Where, rows: dict[int, CommunityRow], now: datetime) -> None:
    """Seven aggregate statements, each grouped by community, into the rows. On PostgreSQL they
    run side by side, each on its own pooled connection (unless called inside a transaction,
    whose one connection takes one statement at a time): the overview waits for the slowest
    rather than for their sum."""

    async def run(sql: str, before: list[Any] | None = None) -> list[Any]:
        text, params = where.render(sql, before or [])
        _, result = await conn.execute_query(text, params)
        return [r for r in result if int(r[0]) in rows]

    statements = [
        run(_STAGES),
        run(_DEMANDS),
        run(_MONEY),
        run(_MILESTONES, [now]),
        run(_FINDINGS.replace("{seconds}", where.seconds("f.updated_at", "f.created_at")), [now]),
        run(_POLLS),
        run(_RATINGS),
    ]
    if where.postgres and not isinstance(conn, TransactionalDBClient):
        results = await asyncio.gather(*statements)
    else:
        results = [await statement for statement in statements]
    _put(rows, *results)


def _put(rows: dict[int, CommunityRow], *results: list[Any]) -> None:
    stages, demands, money, milestones, findings, polls, ratings = results

    def of(r: Any) -> Figures:
        return rows[int(r[0])].figures

    for r in stages:
        of(r).stages[r[1]] = _int(r[2])
    for r in demands:
        of(r).demands_received, of(r).demands_resolved = _int(r[1]), _int(r[2])
    for r in money:
        of(r).pledged_fen[r[1]] = _int(r[2])
        of(r).paid_fen[r[1]] = _int(r[3])
    for r in milestones:
        of(r).milestones_overdue = _int(r[1])
    for r in findings:
        f = of(r)
        f.findings_overdue, f.findings_verified, f.finding_close_seconds = _int(r[1]), _int(r[2]), _dec(r[3])
    for r in polls:
        f = of(r)
        f.polls_closed, f.polls_with_electorate, f.turnout_sum = _int(r[1]), _int(r[2]), _dec(r[3])
    for r in ratings:
        f = of(r)
        f.ratings, f.rating_sum, f.ratings_satisfied = _int(r[1]), _int(r[2]), _int(r[3])
