"""The installation's places: one district, its streets and towns, their communities and villages.

Everyone may read the tree (names are not private). Admins build it and say where staff act,
each within their own areas; staff act on consultations in the communities their areas reach
(consult.policies: a rule's `scoped` flag).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from tortoise.queryset import QuerySet

from consult import models
from consult.domain.vocabulary import AreaKind
from consult.ids import from_global_id
from consult.policies import SCOPED_ROLES, Actor
from consult.services import areas as area_service
from schema.context import Info
from schema.enums import graphql_enum
from schema.errors import UserError, errors_field
from schema.types import Node

if TYPE_CHECKING:
    from schema.types import Account

graphql_enum(
    AreaKind,
    description=(
        "The level of a place: the district (区), a street or town (街道/镇), a community or village (社区/村)."
    ),
)


@strawberry.type(
    description=(
        "A place in the installation's tree. Every consultation belongs to one community; staff act on the "
        "consultations of the communities their areas reach (a street reaches its communities, the district all)."
    )
)
class Area(Node):
    m: strawberry.Private[models.Area]

    @classmethod
    def of(cls, m: models.Area) -> Area:
        return cls(pk=m.id, m=m)

    @strawberry.field(description="Its level: DISTRICT, STREET or COMMUNITY.")
    def kind(self) -> AreaKind:
        return AreaKind(self.m.kind)

    @strawberry.field(description="Its name, e.g. 解放街道 or 菜园社区.")
    def name(self) -> str:
        return self.m.name

    @strawberry.field(description="The place it lies in; null for the district.")
    async def parent(self, info: Info) -> Area | None:
        if self.m.parent_id is None:
            return None
        row = await info.context.loaders.area_by_id.load(self.m.parent_id)
        return Area.of(row) if row else None

    @strawberry.field(description="The places in it, in their order: a district's streets, a street's communities.")
    async def children(self, info: Info) -> list[Area]:
        return [Area.of(a) for a in await info.context.loaders.areas_by_parent.load(self.m.id)]

    @strawberry.field(
        description="Whether the viewer's own areas take it in: what a staff account may act on (district staff: all)."
    )
    async def in_viewer_reach(self, info: Info) -> bool:
        actor, loaders = info.context.actor, info.context.loaders
        if actor.account_id is None or not actor.has(*SCOPED_ROLES):
            return False
        if actor.scope is None:
            return True
        mine = {row.area_id for row in await loaders.staff_areas_by_account.load(actor.account_id)}
        current: models.Area | None = self.m
        while current is not None:
            if current.id in mine:
                return True
            current = await loaders.area_by_id.load(current.parent_id) if current.parent_id else None
        return False


async def areas_of_account(info: Info, account_id: int) -> list[Area]:
    """The areas a staff account acts in, through the loaders."""
    rows = await info.context.loaders.staff_areas_by_account.load(account_id)
    found = await info.context.loaders.area_by_id.load_many([r.area_id for r in rows])
    return [Area.of(a) for a in found if a is not None]


@strawberry.type(description="What the query root gives about places.")
class AreaQuery:
    @strawberry.field(
        description=(
            "The installation's places, top down: the district first, each street after its district, each "
            "community after its street. Everyone may read them."
        )
    )
    async def areas(
        self,
        info: Info,
        kind: Annotated[
            AreaKind | None, strawberry.argument(description="Only places of this level; left out, every level.")
        ] = None,
    ) -> list[Area]:
        out = []
        for _, row in await area_service.area_tree():
            info.context.loaders.area_by_id.prime(row.id, row)
            if kind is None or row.kind == kind:
                out.append(Area.of(row))
        return out

    @strawberry.field(
        description=(
            "The staff accounts (organizers, admins, CPPCC members) whose areas the viewer may set "
            "(setStaffAreas), by name: all of them for an admin of the whole district, and for an admin of "
            "streets or communities those acting only within them; null for everyone else."
        )
    )
    async def staff_accounts(self, info: Info) -> list[Annotated[Account, strawberry.lazy("schema.types")]] | None:
        from schema.types import Account

        if not info.context.may("areas.manage"):
            return None
        return [Account.of(a) for a in await area_service.staff_within(info.context.actor)]


@strawberry.input(description="A new street or town under the district, or community or village under a street.")
class CreateAreaInput:
    kind: AreaKind = strawberry.field(description="STREET (under the district) or COMMUNITY (under a street).")
    name: str = strawberry.field(description="Its name (up to 100 characters), unique among its siblings.")
    parent_id: strawberry.ID = strawberry.field(description="The district or street it goes under.")


@strawberry.input(description="A new name for a place.")
class RenameAreaInput:
    area_id: strawberry.ID = strawberry.field(description="The place.")
    name: str = strawberry.field(description="Its new name (up to 100 characters), unique among its siblings.")


@strawberry.input(description="Where a staff account acts.")
class SetStaffAreasInput:
    account_id: strawberry.ID = strawberry.field(description="An organizer, admin or CPPCC member account.")
    area_ids: list[strawberry.ID] = strawberry.field(
        description="Its areas, at least one: the district (everything), streets or communities."
    )


@strawberry.type(description="The place created or renamed, or why not.")
class AreaPayload:
    area: Area | None = strawberry.field(description="The place; null when `errors` is not empty.")
    errors: list[UserError] = errors_field()


@strawberry.type(description="The account whose areas were set, or why not.")
class StaffAreasPayload:
    account: Annotated[Account, strawberry.lazy("schema.types")] | None = strawberry.field(
        description="The account, with its new areas; null when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.type(description="The mutations about places.")
class AreaMutation:
    @strawberry.mutation(
        description=(
            "Add a street under the district or a community under a street (admins, within their own areas); "
            "written to the installation trail. Errors: UNAUTHENTICATED; FORBIDDEN; NOT_FOUND (parentId); "
            "INVALID (kind under that parent, name); CONFLICT (a sibling has the name)."
        )
    )
    async def create_area(
        self, info: Info, input: Annotated[CreateAreaInput, strawberry.argument(description="The new place.")]
    ) -> AreaPayload:
        from schema.mutations import call

        area, errors = await call(
            info, area_service.create_area, kind=input.kind, name=input.name, parent_id=input.parent_id
        )
        return AreaPayload(area=Area.of(area) if area else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Rename a place (admins, within their own areas); written to the installation trail. Errors: "
            "UNAUTHENTICATED; FORBIDDEN; NOT_FOUND (areaId); INVALID (name); CONFLICT (a sibling has the name)."
        )
    )
    async def rename_area(
        self, info: Info, input: Annotated[RenameAreaInput, strawberry.argument(description="The place and name.")]
    ) -> AreaPayload:
        from schema.mutations import call

        area, errors = await call(info, area_service.rename_area, area_id=input.area_id, name=input.name)
        return AreaPayload(area=Area.of(area) if area else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Set where a staff account acts, replacing its areas (admins: only areas within their own, and only "
            "for accounts whose areas lie within theirs); written to the installation trail. Errors: "
            "UNAUTHENTICATED; FORBIDDEN (accountId, areaIds.N); NOT_FOUND; INVALID (not a staff account; no area)."
        )
    )
    async def set_staff_areas(
        self,
        info: Info,
        input: Annotated[SetStaffAreasInput, strawberry.argument(description="The account and its areas.")],
    ) -> StaffAreasPayload:
        from schema.mutations import call
        from schema.types import Account

        account, errors = await call(
            info, area_service.set_staff_areas, account_id=input.account_id, area_ids=list(input.area_ids)
        )
        return StaffAreasPayload(account=Account.of(account) if account else None, errors=errors)


def in_areas(
    qs: QuerySet[models.Consultation],
    actor: Actor,
    *,
    in_reach: bool,
    community_id: strawberry.ID | None,
    street_id: strawberry.ID | None,
) -> QuerySet[models.Consultation]:
    """The consultation list's place filters: the viewer's reach, one community, one street. An id
    that is not of a place of that level matches nothing."""
    if in_reach and actor.scope is not None:
        qs = qs.filter(community_id__in=list(actor.scope))
    for given, field_name in ((community_id, "community_id"), (street_id, "community__parent_id")):
        if given is None:
            continue
        decoded = from_global_id(given)
        if decoded is None or decoded[0] != "Area":
            return qs.filter(id__in=[])
        qs = qs.filter(**{field_name: decoded[1]})
    return qs
