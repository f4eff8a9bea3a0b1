"""Tables pasted or uploaded in the organizer console: parties, duties (列责任单) and payments,
each written in one call, all or nothing (consult.services.tables).

The root Mutation type is the one of schema.mutations with these added, so that the single-row
mutations and their inputs stay where they are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeVar

import strawberry

from consult.services import tables
from schema.context import Info
from schema.errors import UserError, errors_field
from schema.mutations import Mutation as RowMutation
from schema.mutations import NewRepresentativeInput, RepresentativeSlip, call
from schema.scalars import Money
from schema.types import CostShare, Party, PartyKind, Responsibility

T = TypeVar("T")


@strawberry.input(description="A row of a parties table: the party, and its representative if the row names one.")
class PartyRowInput:
    name: str = strawberry.field(description="The party's name; a party of that name already listed joins as it is.")
    kind: PartyKind = strawberry.field(description="What kind of party it is (参与方类别).")
    contact: str | None = strawberry.field(
        default=None, description="How to reach the party (up to 200 characters); shown to organizers only."
    )
    representative: NewRepresentativeInput | None = strawberry.field(
        default=None, description="Its representative, added with a slip to print."
    )


@strawberry.input(description="A table of parties to add to a consultation, all or nothing.")
class AddPartiesInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation, by its global ID.")
    parties: list[PartyRowInput] = strawberry.field(description="The rows, in the table's order.")


@strawberry.type(description="A row of the parties table as written.")
class PartyRowResult:
    party: Party = strawberry.field(description="The party, new or already listed, now taking part.")
    created: bool = strawberry.field(description="True for a new party; false for one already listed that joined.")
    slip: RepresentativeSlip | None = strawberry.field(
        description="The representative's slip, when the row named one; its code is shown once."
    )


@strawberry.type(description="The parties added, in the table's order, or why not (every bad row).")
class AddPartiesPayload:
    rows: list[PartyRowResult] = strawberry.field(
        description="One result per row, in the table's order; empty when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.input(description="A row of a duties table (列责任单).")
class ResponsibilityRowInput:
    party_id: strawberry.ID = strawberry.field(
        description="The party that answers for it; it must take part in the consultation."
    )
    duty: str = strawberry.field(description="What it answers for (up to 2,000 characters).")
    due_at: datetime | None = strawberry.field(default=None, description="By when, if there is a deadline.")


@strawberry.input(description="A table of duties, all or nothing.")
class AssignResponsibilitiesInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation, DELIBERATING or VOTING.")
    responsibilities: list[ResponsibilityRowInput] = strawberry.field(description="The rows, in the table's order.")


@strawberry.type(description="The duties recorded, in the table's order, or why not (every bad row).")
class ResponsibilitiesPayload:
    responsibilities: list[Responsibility] = strawberry.field(
        description="The duties recorded, in the table's order; empty when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.input(description="A row of a payments table: money received from a party.")
class ContributionRowInput:
    party_id: strawberry.ID = strawberry.field(description="The party; paid against its share of the adopted plan.")
    amount: Money = strawberry.field(
        description="How much was received, in yuan; more than the share still owes is INVALID."
    )
    received_at: datetime = strawberry.field(description="When the money arrived.")
    note: str | None = strawberry.field(
        default=None, description="A note, e.g. a receipt number (up to 2,000 characters)."
    )


@strawberry.input(description="A table of payments, all or nothing.")
class RecordContributionsInput:
    consultation_id: strawberry.ID = strawberry.field(
        description="The consultation, from DELIBERATING to EVALUATING, with an adopted plan."
    )
    contributions: list[ContributionRowInput] = strawberry.field(description="The rows, in the table's order.")


@strawberry.type(description="The shares paid into, in the plan's order, or why not (every bad row).")
class ContributionsPayload:
    shares: list[CostShare] = strawberry.field(
        description="The shares paid into, each once, in the plan's order; empty when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.type(
    description=(
        "Change things. Every mutation is one transaction: on any error nothing is written. Expected failures "
        "come back in the payload's `errors` (see ErrorCode), never as top-level GraphQL errors, which are for "
        "malformed documents and server faults. Writes go over HTTP: one sent over a WebSocket is FORBIDDEN."
    )
)
class Mutation(RowMutation):
    @strawberry.mutation(
        description=(
            "Add a table of parties to a consultation (organizers): each row's party is created, or joins when a "
            "party of that name exists, with its representative and slip when the row names one. All or nothing; "
            "every bad row is reported (`parties.N.…`). A party already taking part is refused, so a table sent "
            "twice adds nothing the second time."
        )
    )
    async def add_parties(
        self,
        info: Info,
        input: Annotated[
            AddPartiesInput, strawberry.argument(description="The consultation and the table of parties.")
        ],
    ) -> AddPartiesPayload:
        written, errors = await call(
            info,
            tables.add_parties,
            consultation_id=input.consultation_id,
            rows=[
                {
                    "name": r.name,
                    "kind": r.kind,
                    "contact": r.contact,
                    "representative": (
                        {"display_name": r.representative.display_name, "phone": r.representative.phone}
                        if r.representative
                        else None
                    ),
                }
                for r in input.parties
            ],
        )
        if written is None:
            return AddPartiesPayload(rows=[], errors=errors)
        return AddPartiesPayload(
            rows=[
                PartyRowResult(
                    party=Party.of(w.party),
                    created=w.created,
                    slip=RepresentativeSlip.of(info, w.slip.account, w.party, w.slip.code) if w.slip else None,
                )
                for w in written
            ],
            errors=[],
        )

    @strawberry.mutation(
        description=(
            "列责任单 from a table (organizers, DELIBERATING or VOTING). All or nothing; every bad row is "
            "reported (`responsibilities.N.…`). A row repeated, or a duty already listed for its party, is "
            "refused. Errors: UNAUTHENTICATED; FORBIDDEN; NOT_FOUND (consultationId, a row's partyId); "
            "WRONG_STAGE; INVALID (duty, dueAt, a party not taking part, a row repeated, an empty or too "
            "long table); CONFLICT (a duty already listed)."
        )
    )
    async def assign_responsibilities(
        self,
        info: Info,
        input: Annotated[
            AssignResponsibilitiesInput, strawberry.argument(description="The consultation and the table of duties.")
        ],
    ) -> ResponsibilitiesPayload:
        written, errors = await call(
            info,
            tables.assign_responsibilities,
            consultation_id=input.consultation_id,
            rows=[{"party_id": r.party_id, "duty": r.duty, "due_at": r.due_at} for r in input.responsibilities],
        )
        return ResponsibilitiesPayload(responsibilities=[Responsibility.of(r) for r in written or []], errors=errors)

    @strawberry.mutation(
        description=(
            "Record a table of payments against the parties' shares of the adopted plan (organizers). All or "
            "nothing; every bad row is reported (`contributions.N.…`); paid never exceeds a share. Replays "
            "are refused: a row repeated in the table, or one already recorded (same party, amount, day and "
            "note). Errors: UNAUTHENTICATED; FORBIDDEN; NOT_FOUND (consultationId, a row's partyId); "
            "WRONG_STAGE; INVALID (amount not positive or above what is still owed, receivedAt, note; no "
            "adopted plan; a party with no share; a row repeated; an empty or too long table); CONFLICT (a "
            "payment already recorded)."
        )
    )
    async def record_contributions(
        self,
        info: Info,
        input: Annotated[
            RecordContributionsInput, strawberry.argument(description="The consultation and the table of payments.")
        ],
    ) -> ContributionsPayload:
        shares, errors = await call(
            info,
            tables.record_contributions,
            consultation_id=input.consultation_id,
            rows=[
                {"party_id": r.party_id, "amount": r.amount, "received_at": r.received_at, "note": r.note}
                for r in input.contributions
            ],
        )
        return ContributionsPayload(shares=[CostShare.of(s) for s in shares or []], errors=errors)
