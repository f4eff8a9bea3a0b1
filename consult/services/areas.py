"""Where staff act: the communities an account's areas reach, and the staff who reach one.

A StaffArea row at the district reaches every community; at a street, the communities under
it; at a community, that community. An account's reach is read once per request, with its
session (consult.services.accounts.actor_for_token), and carried on the Actor as `scope`:
None for everything, else the set of community ids.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from tortoise.expressions import Q

from consult.domain.vocabulary import AreaKind, Role
from consult.models import Area, StaffArea

# The roles whose grants stop at the edge of the account's areas. Party reps speak for their
# party wherever it takes part, and residents hold their own slips: neither has areas.
SCOPED_ROLES = frozenset({Role.ADMIN, Role.ORGANIZER, Role.CPPCC_MEMBER})


async def reach_of(account_id: int, conn: Any = None) -> frozenset[int] | None:
    """The community ids the account's areas reach, or None when one of them is the district."""
    rows = await StaffArea.filter(account_id=account_id).using_db(conn).values_list("area_id", "area__kind")
    if any(kind == AreaKind.DISTRICT for _, kind in rows):
        return None
    area_ids = [area_id for area_id, _ in rows]
    if not area_ids:
        return frozenset()
    ids: list[Any] = await (
        Area.filter(Q(id__in=area_ids) | Q(parent_id__in=area_ids), kind=AreaKind.COMMUNITY)
        .using_db(conn)
        .values_list("id", flat=True)
    )
    return frozenset(int(i) for i in ids)


def reaches(scope: frozenset[int] | None, community_id: int | None) -> bool:
    """Whether a reach (None for everything) takes in the community."""
    return scope is None or (community_id is not None and community_id in scope)


async def areas_above(community_id: int, conn: Any = None) -> list[int]:
    """The community's own id, its street's and its district's: the rows that reach it."""
    out = [community_id]
    current: int | None = community_id
    while current is not None:
        area = await Area.filter(id=current).using_db(conn).first()
        current = area.parent_id if area is not None else None
        if current is not None:
            out.append(current)
    return out


async def staff_reaching(community_id: int, roles: Collection[str], conn: Any = None) -> list[int]:
    """The ids of accounts holding any of `roles` whose areas reach the community."""
    above = await areas_above(community_id, conn)
    rows = await StaffArea.filter(area_id__in=above).using_db(conn).values_list("account_id", "account__roles")
    wanted = set(roles)
    return sorted({int(account_id) for account_id, account_roles in rows if wanted & set(account_roles.split(","))})


async def default_community(scope: frozenset[int] | None, conn: Any = None) -> int | None:
    """The community a new consultation goes to when none is named: the first one (by id)
    the reach takes in."""
    query = Area.filter(kind=AreaKind.COMMUNITY)
    if scope is not None:
        query = query.filter(id__in=list(scope))
    first = await query.using_db(conn).order_by("id").first()
    return first.id if first is not None else None


async def give_areas(account_id: int, like_account_id: int | None, conn: Any = None) -> None:
    """A new staff account's areas: those of the account that made it, or the district for one
    made from the command line. Rows already there stay."""
    if like_account_id is None:
        wanted = await Area.filter(kind=AreaKind.DISTRICT).using_db(conn).values_list("id", flat=True)
    else:
        wanted = await StaffArea.filter(account_id=like_account_id).using_db(conn).values_list("area_id", flat=True)
    have = set(await StaffArea.filter(account_id=account_id).using_db(conn).values_list("area_id", flat=True))
    for area_id in wanted:
        if area_id not in have:
            await StaffArea.create(account_id=account_id, area_id=area_id, using_db=conn)
