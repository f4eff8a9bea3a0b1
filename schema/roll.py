"""The voter roll a page at a time, searchable by label (居民名册分页、查找).

`Consultation.voterRoll` still returns the whole roll (the contract names it). A district's
rolls reach hundreds of thousands of households, so the console reads `Consultation.roll`:
a Relay connection keyed on (position, id), the roll's own order, so every page is one
indexed range read however deep it is, and one COUNT.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

import strawberry
from tortoise.expressions import Q
from tortoise.functions import Coalesce, Count, Sum

from consult import models
from consult.domain.weights import format_weight
from schema.context import Info
from schema.pagination import DEFAULT_PAGE, PageInfo, _count
from schema.types import VoterRollEntry

# Spaces, dashes, slashes and the Chinese list marks split a search into fragments that must
# all appear, in any order: "3-2-401", "3 401" and "2单元 401" all find "3号楼2单元401".
_SPLIT = re.compile(r"[\s,，、/\\\-－—_]+")
MAX_SEARCH = 100


def search_terms(text: str | None) -> list[str]:
    """The fragments a search asks for, without blanks."""
    if not text:
        return []
    return [t for t in _SPLIT.split(text[:MAX_SEARCH]) if t]


def encode_roll_cursor(entry: models.VoterRollEntry) -> str:
    return base64.urlsafe_b64encode(f"roll:{entry.position}:{entry.id}".encode()).decode().rstrip("=")


def decode_roll_cursor(cursor: str | None) -> tuple[int, int] | None:
    """(position, id), or None for a cursor that is missing or not one of ours."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    parts = raw.split(":")
    if len(parts) != 3 or parts[0] != "roll":
        return None
    if not all(p.isascii() and p.isdigit() and len(p) <= 18 for p in parts[1:]):
        return None
    return int(parts[1]), int(parts[2])


def _after(key: tuple[int, int]) -> Q:
    # The position bound alone lets the (consultation, position, id) index start at the key.
    position, pk = key
    return Q(position__gte=position) & (Q(position__gt=position) | Q(id__gt=pk))


def _before(key: tuple[int, int]) -> Q:
    position, pk = key
    return Q(position__lte=position) & (Q(position__lt=position) | Q(id__lt=pk))


@dataclass
class RollPage:
    rows: list[models.VoterRollEntry]
    total: int
    has_next: bool
    has_previous: bool


async def roll_page(
    queryset: Any, first: int | None, after: str | None, last: int | None, before: str | None
) -> RollPage:
    """Relay's cursor pagination over (position, id): one COUNT and one SELECT of at most
    first+1 (or last+1) rows, as schema.pagination.paginate does over the primary key."""
    first_n, last_n = _count("first", first), _count("last", last)
    if first_n is None and last_n is None:
        first_n = DEFAULT_PAGE
    total = await queryset.count()
    after_key, before_key = decode_roll_cursor(after), decode_roll_cursor(before)
    qs = queryset
    if after_key is not None:
        qs = qs.filter(_after(after_key))
    if before_key is not None:
        qs = qs.filter(_before(before_key))
    if first_n is None:
        assert last_n is not None
        rows = await qs.order_by("-position", "-id").limit(last_n + 1)
        return RollPage(rows[:last_n][::-1], total, before_key is not None, len(rows) > last_n)
    rows = await qs.order_by("position", "id").limit(first_n + 1)
    page = RollPage(rows[:first_n], total, len(rows) > first_n, after_key is not None)
    if last_n is not None and len(page.rows) > last_n:
        page.rows, page.has_previous = page.rows[len(page.rows) - last_n :], True
    return page


@strawberry.type(description="An edge of a page of the voter roll.")
class VoterRollEntryEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this entry.")
    node: VoterRollEntry = strawberry.field(description="The roll entry.")


@strawberry.type(description="A page of a consultation's voter roll, in the roll's order.")
class VoterRollEntryConnection:
    edges: list[VoterRollEntryEdge] = strawberry.field(description="The entries of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")
    total_count: int = strawberry.field(
        description="How many entries match (the search, if one was given), over all pages."
    )


def _connection(page: RollPage) -> VoterRollEntryConnection:
    rows = page.rows
    return VoterRollEntryConnection(
        edges=[VoterRollEntryEdge(cursor=encode_roll_cursor(r), node=VoterRollEntry.of(r)) for r in rows],
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=encode_roll_cursor(rows[0]) if rows else None,
            end_cursor=encode_roll_cursor(rows[-1]) if rows else None,
        ),
        total_count=page.total,
    )


def roll_queryset(consultation_id: int, search: str | None) -> Any:
    """The active entries of one consultation whose label holds every search fragment."""
    qs = models.VoterRollEntry.filter(consultation_id=consultation_id, active=True)
    for term in search_terms(search):
        qs = qs.filter(label__contains=term)
    return qs


async def resolve_roll(
    info: Info,
    consultation_id: int,
    community_id: int | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    search: str | None,
) -> VoterRollEntryConnection:
    """Staff page through the whole roll; a resident finds only their own entry (policy roll.read);
    an anonymous visitor finds nothing, as with voterRoll."""
    ctx = info.context
    if not ctx.actor.authenticated:
        return _connection(RollPage([], 0, False, False))
    qs = roll_queryset(consultation_id, search)
    if not ctx.may("roll.read", community=community_id):
        # The relation roll.read grants beyond staff roles: the entry bound to the account (SELF).
        qs = qs.filter(account_id=ctx.actor.account_id)
    return _connection(await roll_page(qs, first, after, last, before))


@strawberry.type(description="How big a consultation's voter roll is, counted in the database (居民名册合计).")
class RollSummary:
    households: int = strawberry.field(description="How many households (or people) the roll lists now.")
    weight: str = strawberry.field(
        description="Their areas added up, in m² as a decimal string (a household without an area counts 1)."
    )
    signed_in: int = strawberry.field(description="How many of them have come in with their invitation code.")


async def resolve_roll_summary(info: Info, consultation_id: int, community_id: int | None) -> RollSummary | None:
    """Three aggregates in one statement over the roll's active entries; null for anyone who may
    not read the whole roll (policy roll.read, in scope), as a resident or a visitor."""
    ctx = info.context
    if not ctx.actor.authenticated or not ctx.may("roll.read", community=community_id):
        return None
    row = await (
        models.VoterRollEntry.filter(consultation_id=consultation_id, active=True)
        .annotate(
            households=Count("id"),
            total=Coalesce(Sum("weight_e4"), 0),
            signed_in=Count("id", _filter=Q(account_id__isnull=False)),
        )
        .first()
        .values("households", "total", "signed_in")
    )
    row = row or {"households": 0, "total": 0, "signed_in": 0}
    return RollSummary(
        households=int(row["households"] or 0),
        weight=format_weight(int(row["total"] or 0)),
        signed_in=int(row["signed_in"] or 0),
    )
