"""协商成效: the overview of a district's consultations for its staff and CPPCC members."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from consult.errors import DomainError
from consult.ids import expect_id, to_global_id
from consult.money import format_fen
from consult.services import overview as service
from schema.context import Info
from schema.errors import UserError, user_error
from schema.scalars import Money
from schema.types import PartyKind, Stage  # the enums as registered with the schema

AREA = "Area"


@strawberry.type(description="How many consultations stand at one stage.")
class StageCount:
    stage: Stage = strawberry.field(description="The stage.")
    count: int = strawberry.field(description="How many consultations are at it.")


@strawberry.type(description="Money of one kind of party: what its confirmed shares pledge and what it has paid.")
class PartyKindMoney:
    kind: PartyKind = strawberry.field(description="The kind of party.")
    pledged: Money = strawberry.field(description="Confirmed shares of adopted plans (认缴).")
    paid: Money = strawberry.field(description="Contributions received against those plans (实缴).")


@strawberry.type(
    description=(
        "The figures of one community, or of all the communities shown. Rates and averages are decimal strings "
        "with one decimal, null when there is nothing to take them from."
    )
)
class OverviewFigures:
    f: strawberry.Private[service.Figures]

    @strawberry.field(description="Consultations created in the period, at any stage.")
    def consultations(self) -> int:
        return self.f.consultations

    @strawberry.field(description="Consultations by stage, every stage in order (zero included).")
    def by_stage(self) -> list[StageCount]:
        return [StageCount(stage=s, count=self.f.stages.get(s, 0)) for s in Stage]

    @strawberry.field(description="Demands received: every demand not merged into another.")
    def demands_received(self) -> int:
        return self.f.demands_received

    @strawberry.field(
        description="Demands resolved: accepted demands whose consultation has reached EVALUATING or ARCHIVED."
    )
    def demands_resolved(self) -> int:
        return self.f.demands_resolved

    @strawberry.field(
        description='Resolved over received, in percent with one decimal (67 of 73 → "91.8"); null when none received.'
    )
    def resolution_rate(self) -> str | None:
        return self.f.resolution_rate

    @strawberry.field(description="Money pledged: the confirmed shares of adopted plans, all parties.")
    def pledged(self) -> Money:
        return Money(format_fen(self.f.pledged_total_fen))

    @strawberry.field(description="Money paid against adopted plans, all parties.")
    def paid(self) -> Money:
        return Money(format_fen(self.f.paid_total_fen))

    @strawberry.field(description="Money pledged and paid by kind of party, for the kinds that have any.")
    def money_by_party_kind(self) -> list[PartyKindMoney]:
        kinds = [k for k in PartyKind if k in self.f.pledged_fen or k in self.f.paid_fen]
        return [
            PartyKindMoney(
                kind=k,
                pledged=Money(format_fen(self.f.pledged_fen.get(k, 0))),
                paid=Money(format_fen(self.f.paid_fen.get(k, 0))),
            )
            for k in kinds
        ]

    @strawberry.field(description="Milestones not done and past their planned end.")
    def overdue_milestones(self) -> int:
        return self.f.milestones_overdue

    @strawberry.field(description="Findings still open (not resolved or verified) and past their due time.")
    def overdue_findings(self) -> int:
        return self.f.findings_overdue

    @strawberry.field(description="Findings verified by a CPPCC member: the closed loops.")
    def findings_closed(self) -> int:
        return self.f.findings_verified

    @strawberry.field(description="Average days from raising a finding to its verification; null when none closed.")
    def average_days_to_close(self) -> str | None:
        return self.f.average_close_days

    @strawberry.field(description="Votes held: closed polls.")
    def votes_held(self) -> int:
        return self.f.polls_closed

    @strawberry.field(description="Average turnout of the closed polls (ballots over electorate), in percent.")
    def average_turnout(self) -> str | None:
        return self.f.average_turnout

    @strawberry.field(description="Household ratings of the outcome.")
    def ratings(self) -> int:
        return self.f.ratings

    @strawberry.field(description="The average rating, from 1 (very dissatisfied) to 5 (very satisfied).")
    def average_satisfaction(self) -> str | None:
        return self.f.average_satisfaction

    @strawberry.field(description="The share of ratings at 4 or 5, in percent (满意率).")
    def satisfaction_rate(self) -> str | None:
        return self.f.satisfaction_rate


@strawberry.type(description="A community (社区/村) the viewer may follow, with its street.")
class OverviewPlace:
    id: strawberry.ID = strawberry.field(description="The community's global ID (an Area).")
    name: str = strawberry.field(description="The community's name.")
    street_id: strawberry.ID | None = strawberry.field(description="Its street's or town's global ID.")
    street_name: str | None = strawberry.field(description="Its street's or town's name.")


@strawberry.type(description="One community's row of the overview.")
class OverviewCommunity:
    id: strawberry.ID = strawberry.field(description="The community's global ID (an Area).")
    name: str = strawberry.field(description="The community's name.")
    street_id: strawberry.ID | None = strawberry.field(description="Its street's or town's global ID.")
    street_name: str | None = strawberry.field(description="Its street's or town's name.")
    figures: OverviewFigures = strawberry.field(description="Its figures.")


@strawberry.type(
    description=(
        "协商成效: the figures of the communities the viewer's areas reach, narrowed by the filters, per community "
        "and in total. Every figure counts the consultations created in the period (Beijing dates)."
    )
)
class Overview:
    start: date | None = strawberry.field(name="from", description="The period's first day, or null for all time.")
    end: date | None = strawberry.field(name="to", description="The period's last day, or null for all time.")
    total: OverviewFigures | None = strawberry.field(description="All the communities shown; null when refused.")
    communities: list[OverviewCommunity] = strawberry.field(
        description="One row per community shown, by street and community in the district's order."
    )
    places: list[OverviewPlace] = strawberry.field(
        description="Every community the viewer may filter by, whatever the filters: for the page's choices."
    )
    errors: list[UserError] = strawberry.field(
        description="Why nothing was shown (FORBIDDEN, NOT_FOUND, INVALID on a filter); empty when shown."
    )


def _id(pk: int | None) -> strawberry.ID | None:
    return strawberry.ID(to_global_id(AREA, pk)) if pk is not None else None


def _place(row: service.CommunityRow) -> OverviewPlace:
    return OverviewPlace(
        id=strawberry.ID(to_global_id(AREA, row.community_id)),
        name=row.name,
        street_id=_id(row.street_id),
        street_name=row.street_name,
    )


def _area_id(value: strawberry.ID | None, field: str) -> int | None:
    if value is None:
        return None
    pk = expect_id(str(value), AREA)
    if pk is None:
        raise DomainError("NOT_FOUND", "not_found", field)
    return pk


def of(result: service.Overview) -> Overview:
    return Overview(
        start=result.start,
        end=result.end,
        total=OverviewFigures(f=result.total),
        communities=[
            OverviewCommunity(
                id=strawberry.ID(to_global_id(AREA, row.community_id)),
                name=row.name,
                street_id=_id(row.street_id),
                street_name=row.street_name,
                figures=OverviewFigures(f=row.figures),
            )
            for row in result.communities
        ],
        places=[_place(row) for row in result.reachable],
        errors=[],
    )


async def resolve_overview(
    info: Info,
    start: Annotated[
        date | None, strawberry.argument(name="from", description="The period's first day (Beijing), included.")
    ] = None,
    end: Annotated[
        date | None, strawberry.argument(name="to", description="The period's last day (Beijing), included.")
    ] = None,
    street_id: Annotated[
        strawberry.ID | None, strawberry.argument(description="Only this street's or town's communities.")
    ] = None,
    community_id: Annotated[strawberry.ID | None, strawberry.argument(description="Only this community.")] = None,
) -> Overview:
    try:
        result = await service.overview(
            info.context.service(),
            start=start,
            end=end,
            street_id=_area_id(street_id, "streetId"),
            community_id=_area_id(community_id, "communityId"),
        )
    except DomainError as error:
        return Overview(
            start=start, end=end, total=None, communities=[], places=[], errors=[user_error(error, info.context.lang)]
        )
    return of(result)
