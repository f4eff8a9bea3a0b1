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

from consult import events
from consult.audit import append_installation_event, lock_installation
from consult.domain.vocabulary import AreaKind, Role
from consult.errors import Conflict, Forbidden, Invalid, NotFound
from consult.ids import to_global_id
from consult.models import Account, Area, ConsultationParty, StaffArea
from consult.policies import Actor, permit
from consult.services.base import ServiceContext, clean_text, decode_id, transaction

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


# ---------------------------------------------------------------- building the tree (admins)

# The level each kind goes under.
PARENT_KIND = {AreaKind.STREET: AreaKind.DISTRICT, AreaKind.COMMUNITY: AreaKind.STREET}
KIND_WORD = {AreaKind.DISTRICT: "区", AreaKind.STREET: "街道/镇", AreaKind.COMMUNITY: "社区/村"}


async def covers(actor: Actor, area_id: int, conn: Any = None) -> bool:
    """Whether the actor's own areas take in this area: it, or a place above it, is one of them."""
    if actor.scope is None:
        return True
    if actor.account_id is None:
        return False
    above = await areas_above(area_id, conn)
    return await StaffArea.filter(account_id=actor.account_id, area_id__in=above).using_db(conn).exists()


async def _check_name(name: str, parent_id: int | None, conn: Any, *, other_than: int | None = None) -> str:
    clean = clean_text(name, "name", max_len=100)
    same = Area.filter(parent_id=parent_id, name=clean).using_db(conn)
    if other_than is not None:
        same = same.exclude(id=other_than)
    if await same.exists():
        raise Conflict("area_name_taken", "name")
    return clean


async def _trail_area(ctx: ServiceContext, area: Area, action: str, what: str, conn: Any) -> None:
    await append_installation_event(
        at=ctx.now(),
        actor_id=ctx.actor.account_id,
        action=action,
        subject=to_global_id("Area", area.id),
        summary=f"{what}：{KIND_WORD.get(AreaKind(area.kind), '')} {area.name}",
        payload={
            "kind": area.kind,
            "name": area.name,
            "parent": to_global_id("Area", area.parent_id) if area.parent_id else None,
        },
        using_db=conn,
    )


async def create_area(ctx: ServiceContext, *, kind: str, name: str, parent_id: str) -> Area:
    """Add a street or town under the district, or a community or village under a street, within
    the admin's own areas; written to the installation trail.

    Errors: UNAUTHENTICATED, FORBIDDEN (not an admin; the parent outside their areas); NOT_FOUND
    (parentId); INVALID (kind under that parent, an empty name); CONFLICT (a sibling's name).
    """
    permit(ctx.actor, "areas.manage")
    parent_pk = decode_id(parent_id, "Area", "parentId")
    async with transaction() as conn:
        parent = await _own_area(ctx.actor, parent_pk, conn, "parentId")
        return await _insert_area(ctx, kind, name, parent, conn)


async def _own_area(actor: Actor, pk: int, conn: Any, field_name: str) -> Area:
    """The area, when it lies within the actor's own areas: NOT_FOUND, else FORBIDDEN, on `field_name`."""
    area = await Area.get_or_none(id=pk, using_db=conn)
    if area is None:
        raise NotFound(field_name)
    if not await covers(actor, area.id, conn):
        raise Forbidden(field_name)
    return area


async def _insert_area(ctx: ServiceContext, kind: str, name: str, parent: Area, conn: Any) -> Area:
    if kind not in PARENT_KIND or PARENT_KIND[AreaKind(kind)] != parent.kind:
        raise Invalid("area_kind_under", "kind")
    await lock_installation(conn)
    clean = await _check_name(name, parent.id, conn)
    position = await Area.filter(parent_id=parent.id).using_db(conn).count()
    area = await Area.create(kind=kind, name=clean, parent_id=parent.id, position=position, using_db=conn)
    await _trail_area(ctx, area, "area.create", "新建", conn)
    return area


async def _rename(ctx: ServiceContext, area: Area, name: str, conn: Any) -> Area:
    await lock_installation(conn)
    area.name = await _check_name(name, area.parent_id, conn, other_than=area.id)
    await area.save(using_db=conn, update_fields=["name"])
    await _trail_area(ctx, area, "area.rename", "改名", conn)
    return area


# ---------------------------------------------------------------- from the command line (no policy check)


async def find_area(ref: str, field_name: str, conn: Any = None) -> Area:
    """An area by its number (as `consult areas` prints it) or its name; NOT_FOUND, or CONFLICT
    when the name is not unique."""
    if ref.strip().isdigit():
        found = await Area.filter(id=int(ref)).using_db(conn).first()
        if found is None:
            raise NotFound(field_name)
        return found
    rows = await Area.filter(name=ref.strip()).using_db(conn).all()
    if not rows:
        raise NotFound(field_name)
    if len(rows) > 1:
        raise Conflict("area_name_ambiguous", field_name)
    return rows[0]


async def add_area_by_name(ctx: ServiceContext, *, kind: str, name: str, parent: str) -> Area:
    """For the CLI: add a street or community under the parent named (or numbered)."""
    async with transaction() as conn:
        found = await find_area(parent, "parent", conn)
        return await _insert_area(ctx, kind, name, found, conn)


async def rename_area_by_name(ctx: ServiceContext, *, area: str, name: str) -> Area:
    """For the CLI: rename the area named (or numbered)."""
    async with transaction() as conn:
        found = await find_area(area, "area", conn)
        return await _rename(ctx, found, name, conn)


async def area_tree(conn: Any = None) -> list[tuple[int, Area]]:
    """Every area, top down, with its depth: what `consult areas` prints."""
    rows = await Area.all().using_db(conn).order_by("position", "id")
    children: dict[int | None, list[Area]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    out: list[tuple[int, Area]] = []

    def walk(parent: int | None, depth: int) -> None:
        for row in children.get(parent, []):
            out.append((depth, row))
            walk(row.id, depth + 1)

    walk(None, 0)
    return out


async def rename_area(ctx: ServiceContext, *, area_id: str, name: str) -> Area:
    """Give a place in the tree a new name, within the admin's own areas; written to the trail.

    Errors: UNAUTHENTICATED, FORBIDDEN; NOT_FOUND (areaId); INVALID (an empty name); CONFLICT
    (a sibling's name).
    """
    permit(ctx.actor, "areas.manage")
    pk = decode_id(area_id, "Area", "areaId")
    async with transaction() as conn:
        area = await _own_area(ctx.actor, pk, conn, "areaId")
        return await _rename(ctx, area, name, conn)


async def check_areas(actor: Actor, area_pks: list[int], conn: Any, field_name: str = "areaIds") -> None:
    """Every area named exists and lies within the actor's own areas (an admin gives no more than
    they hold): NOT_FOUND or FORBIDDEN on the item; INVALID when none is named."""
    if not area_pks:
        raise Invalid("area_none", field_name)
    for i, pk in enumerate(area_pks):
        if not await Area.filter(id=pk).using_db(conn).exists():
            raise NotFound(f"{field_name}.{i}")
        if not await covers(actor, pk, conn):
            raise Forbidden(f"{field_name}.{i}")


async def put_areas(account_id: int, area_pks: list[int], conn: Any) -> None:
    """Replace the account's areas with these."""
    await StaffArea.filter(account_id=account_id).using_db(conn).delete()
    for pk in dict.fromkeys(area_pks):
        await StaffArea.create(account_id=account_id, area_id=pk, using_db=conn)


async def set_staff_areas(ctx: ServiceContext, *, account_id: str, area_ids: list[str]) -> Account:
    """Set where a staff account acts. An admin gives only areas within their own, and changes
    only accounts whose areas all lie within theirs; written to the installation trail.

    Errors: UNAUTHENTICATED, FORBIDDEN (on accountId or the area); NOT_FOUND; INVALID (not a
    staff account; no area).
    """
    permit(ctx.actor, "areas.manage")
    pk = decode_id(account_id, "Account", "accountId")
    area_pks = [decode_id(a, "Area", f"areaIds.{i}") for i, a in enumerate(area_ids or [])]
    async with transaction() as conn:
        # One change of areas at a time: what the account holds is read, checked and replaced
        # while no other admin can change it (a street admin never removes a district row
        # another admin has just given).
        await lock_installation(conn)
        account = await Account.get_or_none(id=pk, using_db=conn)
        if account is None:
            raise NotFound("accountId")
        if not account.role_set & SCOPED_ROLES:
            raise Invalid("area_not_staff", "accountId")
        held: list[Any] = await StaffArea.filter(account_id=pk).using_db(conn).values_list("area_id", flat=True)
        for area_pk in held:
            if not await covers(ctx.actor, int(area_pk), conn):
                raise Forbidden("accountId")
        await check_areas(ctx.actor, area_pks, conn)
        await put_areas(pk, area_pks, conn)
        await trail_staff_areas(ctx, account, area_pks, conn)
        await events.announce_viewer_moved(conn, pk)
    # The account's open live streams re-read it now, not at their next periodic check.
    events.bus().viewer_moved(pk)
    return account


async def staff_within(actor: Actor) -> list[Account]:
    """The staff accounts whose areas an admin may set (setStaffAreas), by name: every one for an
    admin of the whole district; for an admin of streets or communities, those whose areas all
    lie within the admin's own (an account that acts nowhere yet among them). Three statements."""
    permit(actor, "areas.manage")
    accounts = [a for a in await Account.all().order_by("display_name", "id") if a.role_set & SCOPED_ROLES]
    if actor.scope is None:
        return accounts
    tree = await area_tree()
    rows = await StaffArea.filter(account_id__in=[a.id for a in accounts] + [actor.account_id]).values_list(
        "account_id", "area_id"
    )
    held: dict[int, set[int]] = {}
    for account_id, area_id in rows:
        held.setdefault(int(account_id), set()).add(int(area_id))
    covered = held.get(actor.account_id or 0, set())
    for _, area in tree:  # top down: a place is covered when it or the place above it is
        if area.parent_id in covered:
            covered.add(area.id)
    return [a for a in accounts if held.get(a.id, set()) <= covered]


async def trail_staff_areas(ctx: ServiceContext, account: Account, area_pks: list[int], conn: Any) -> None:
    names = await Area.filter(id__in=area_pks).using_db(conn).order_by("id").values_list("name", flat=True)
    await append_installation_event(
        at=ctx.now(),
        actor_id=ctx.actor.account_id,
        action="account.set_areas",
        subject=to_global_id("Account", account.id),
        summary=f"设定工作范围：{account.display_name}，{'、'.join(str(n) for n in names)}",
        payload={"areas": [to_global_id("Area", a) for a in dict.fromkeys(area_pks)]},
        using_db=conn,
    )


async def ensure_party_in_reach(actor: Actor, party_pk: int, conn: Any, field_name: str = "partyId") -> None:
    """Who speaks for a party acts in every consultation it sits in: staff name or change its
    representatives (a new account, a slip, an email address) only where their areas reach all of
    them. FORBIDDEN on `field_name` when one lies outside."""
    if actor.scope is None:
        return
    links = ConsultationParty.filter(party_id=party_pk).using_db(conn)
    if actor.scope:
        links = links.exclude(consultation__community_id__in=sorted(actor.scope))
    if await links.exists():
        raise Forbidden(field_name)
