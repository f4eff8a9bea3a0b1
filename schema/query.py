"""Query root."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.dataloader import DataLoader
from tortoise.expressions import Q

from consult import models
from consult.domain.splits import ShareSpec, split
from consult.errors import DomainError, Invalid
from consult.ids import expect_id, from_global_id
from consult.money import format_fen, parse_money
from consult.policies import can_see_roll_entry, reach_for
from consult.services.base import strip_unstorable
from consult.services.costs import MAX_SHARES
from consult.services.voting import receipt_status
from schema.areas import Area, AreaQuery, in_areas
from schema.context import Info
from schema.errors import UserError, user_error
from schema.overview import Overview, resolve_overview
from schema.pagination import After, Before, First, Last, encode_cursor, paginate
from schema.reminders import ReminderQuery
from schema.scalars import Money
from schema.types import (
    Account,
    AuditEvent,
    Consultation,
    ConsultationConnection,
    ConsultationEdge,
    Contribution,
    CostShare,
    Demand,
    InstallationEventConnection,
    Node,
    Party,
    Proposal,
    ReissueRequest,
    Responsibility,
    SplitMethod,
    Stage,
    VoterRollEntry,
    account_visible,
    installation_trail,
)
from schema.viewer_can import PlatformViewerCan
from schema.voting import ReceiptStatus

RECEIPT_ARGUMENT = (
    "The receipt as the voter noted it, e.g. ABCDE-FGHJK-MNPQR-STUVW; case and surrounding spaces do not matter."
)
# The two arguments verifyReceipt and receiptStatus share.
ReceiptPollArgument = Annotated[strawberry.ID, strawberry.argument(description="The poll, by its global ID.")]
ReceiptArgument = Annotated[str, strawberry.argument(description=RECEIPT_ARGUMENT)]


@strawberry.input(description="One line of a split to preview: which value counts depends on the method.")
class SharePreviewInput:
    amount: Money | None = strawberry.field(default=None, description="FIXED: the party's amount in yuan.")
    percent: str | None = strawberry.field(
        default=None, description='PERCENT: e.g. "33.3333"; all add up to exactly 100.'
    )
    weight: str | None = strawberry.field(
        default=None, description="WEIGHTED: a positive weight, e.g. households or frontage metres."
    )


@strawberry.type(description="The signed-in session, as its holder may see it.")
class ViewerSession:
    slip_used_before: datetime | None = strawberry.field(
        description="When the slip that opened this session had last been used before; null at its first use."
    )
    moved_slip: bool = strawberry.field(
        description=(
            "Opened with a slip used before, or with one reissued after approval: the audit trail counts "
            "what this session casts in a secret poll as cast through a moved slip."
        )
    )


@strawberry.type(description="A previewed split: one amount per line in input order, or why the split is not valid.")
class CostSplitPreview:
    amounts: list[Money] = strawberry.field(description="Each line's amount, in input order; empty when errors.")
    sum: Money | None = strawberry.field(description="The amounts added up; always the total when valid.")
    errors: list[UserError] = strawberry.field(description="The same errors setCostPlan would give for these values.")


SUPERVISION_MODELS: dict[str, type[models.Milestone | models.Inspection | models.Finding | models.FollowUp]] = {
    "Milestone": models.Milestone,
    "Inspection": models.Inspection,
    "Finding": models.Finding,
    "FollowUp": models.FollowUp,
}


async def _consultation_of(info: Info, consultation_id: int) -> models.Consultation | None:
    consultation = await info.context.loaders.consultation_by_id.load(consultation_id)
    return consultation if info.context.can_see(consultation) else None


async def resolve_node(info: Info, type_name: str, pk: int) -> Node | None:
    """Fetch any Node the viewer may see; everything else is null, never an error."""
    loaders = info.context.loaders
    ctx = info.context
    if type_name == "Consultation":
        c = await _consultation_of(info, pk)
        return Consultation.of(c) if c else None
    if type_name == "Account":
        a = await loaders.account_by_id.load(pk)
        return Account.of(a) if account_visible(info, a) else None
    if type_name == "Party":
        p = await loaders.party_by_id.load(pk)
        return Party.of(p) if p else None
    if type_name == "Area":
        area = await loaders.area_by_id.load(pk)
        return Area.of(area) if area else None
    if type_name in ("CostShare", "Contribution"):
        return await _money_node(info, type_name, pk)
    if type_name in ("Poll", "PollOption", "Ballot"):
        return await _voting_node(info, type_name, pk)
    if type_name in SUPERVISION_MODELS:
        from schema import supervision

        row = await SUPERVISION_MODELS[type_name].get_or_none(id=pk)
        if row is None or await _consultation_of(info, row.consultation_id) is None:
            return None
        return getattr(supervision, type_name).of(row)
    scoped: dict[str, tuple[DataLoader[int, Any], Callable[[Any], Node]]] = {
        "Demand": (loaders.demand_by_id, Demand.of),
        "Proposal": (loaders.proposal_by_id, Proposal.of),
        "Responsibility": (loaders.responsibility_by_id, Responsibility.of),
        "VoterRollEntry": (loaders.roll_entry_by_id, VoterRollEntry.of),
        "AuditEvent": (loaders.audit_event_by_id, AuditEvent.of),
    }
    if type_name not in scoped:
        return None
    loader, wrap = scoped[type_name]
    row = await loader.load(pk)
    if row is None or await _consultation_of(info, row.consultation_id) is None:
        return None
    if type_name == "VoterRollEntry":
        consultation = await loaders.consultation_by_id.load(row.consultation_id)
        if consultation is None or not can_see_roll_entry(ctx.actor, row, consultation.community_id):
            return None
    return wrap(row)


async def _money_node(info: Info, type_name: str, pk: int) -> Node | None:
    if type_name == "CostShare":
        share = await models.CostShare.filter(id=pk).select_related("plan__proposal").first()
        if share is None or await _consultation_of(info, share.plan.proposal.consultation_id) is None:
            return None
        return CostShare.of(share)
    contribution = await models.Contribution.filter(id=pk).select_related("share__plan__proposal").first()
    if contribution is None or await _consultation_of(info, contribution.share.plan.proposal.consultation_id) is None:
        return None
    return Contribution.of(contribution)


async def _voting_node(info: Info, type_name: str, pk: int) -> Node | None:
    from schema.voting import Ballot, Poll, PollOption

    loaders = info.context.loaders
    if type_name == "PollOption":
        option = await loaders.option_by_id.load(pk)
        if option is None:
            return None
        poll_id = option.poll_id
    elif type_name == "Ballot":
        ballot = await models.Ballot.get_or_none(id=pk)
        if ballot is None:
            return None
        poll_id = ballot.poll_id
    else:
        poll_id = pk
    poll = await loaders.poll_by_id.load(poll_id)
    consultation = await _consultation_of(info, poll.consultation_id) if poll is not None else None
    if poll is None or consultation is None:
        return None
    if type_name == "Poll":
        return Poll.of(poll)
    if type_name == "PollOption":
        return PollOption.of(option)
    # A ballot by id: its own voter, or a named poll's supervisors; a secret ballot is nobody else's.
    assert ballot is not None  # type_name is "Ballot": it was found above
    wrapper = Poll.of(poll)
    own = await wrapper._own_ballot(info)
    if own is not None and own.id == ballot.id:
        return Ballot.for_viewer(info, ballot, poll)
    if not poll.secret and info.context.may("ballots.read_named", community=consultation.community_id):
        return Ballot.of(ballot, named=True)
    return None


@strawberry.type(description="Read the consultations and everything in them.")
class Query(AreaQuery, ReminderQuery):
    @strawberry.field(
        description="Any object by its global ID; null when it does not exist or the viewer may not see it."
    )
    async def node(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The global ID of any object.")]
    ) -> Node | None:
        decoded = from_global_id(id)
        if decoded is None:
            return None
        return await resolve_node(info, *decoded)

    @strawberry.field(description="The signed-in account, or null.")
    async def viewer(self, info: Info) -> Account | None:
        if info.context.actor.account_id is None:
            return None
        account = await info.context.loaders.account_by_id.load(info.context.actor.account_id)
        return Account.of(account) if account else None

    @strawberry.field(
        description=(
            "The viewer's own session, or null when signed out. Its slipUsedBefore says when the invitation slip "
            "that opened it had last been used before, if it had: by another phone of the household, or by whoever "
            "else had the code. Pages tell the resident, so a household whose slip someone else used finds out."
        )
    )
    def viewer_session(self, info: Info) -> ViewerSession | None:
        actor = info.context.actor
        if actor.account_id is None:
            return None
        return ViewerSession(slip_used_before=actor.slip_used_at, moved_slip=actor.reissued)

    @strawberry.field(description="What the viewer may do outside any one consultation: the pages and forms to offer.")
    def viewer_can(self) -> PlatformViewerCan:
        return PlatformViewerCan()

    @strawberry.field(
        description=(
            "Requests for new slips waiting for approval, oldest first, for those who approve them (CPPCC members, "
            "and admins); null for everyone else."
        )
    )
    async def pending_reissue_requests(self, info: Info) -> list[ReissueRequest] | None:
        reach = reach_for(info.context.actor, "invitations.reissue_approve")
        if reach is not None and not reach:
            return None
        pending = models.ReissueRequest.filter(status="PENDING")
        if reach is not None:
            pending = pending.filter(entry__consultation__community_id__in=list(reach))
        return [ReissueRequest(m=r) for r in await pending.order_by("requested_at", "id")]

    @strawberry.field(
        description=(
            "The installation's own hash-chained trail: every account made, role granted and party added, and by "
            "whom. Admins only; null for everyone else."
        )
    )
    async def installation_trail(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> InstallationEventConnection | None:
        if not info.context.may("installation.read_trail"):
            return None
        return await installation_trail(first, after, last, before)

    @strawberry.field(
        description="Consultations the viewer may see, newest first. `search` matches title, summary and location."
    )
    async def consultations(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        stage: Annotated[
            Stage | None, strawberry.argument(description="Only consultations in this stage; left out, every stage.")
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description=(
                    "Words to look for in the title, summary or location (case-insensitive; first 100 characters)."
                )
            ),
        ] = None,
        in_reach: Annotated[
            bool,
            strawberry.argument(
                description=(
                    "Only those in the communities the viewer's areas reach, as the console and the board list them "
                    "(district staff: all; accounts without areas: no change)."
                )
            ),
        ] = False,
        community_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only those of this community.")
        ] = None,
        street_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only those of the communities of this street.")
        ] = None,
    ) -> ConsultationConnection:
        actor = info.context.actor
        qs = models.Consultation.all()
        drafts = reach_for(actor, "consultation.read_draft")
        if drafts is not None:
            visible = Q(published=True) | Q(community_id__in=list(drafts))
            if actor.account_id is not None:
                visible |= Q(convener_id=actor.account_id)
            qs = qs.filter(visible)
        qs = in_areas(qs, actor, in_reach=in_reach, community_id=community_id, street_id=street_id)
        if stage is not None:
            qs = qs.filter(stage=stage)
        term = strip_unstorable(search or "").strip()[:100]
        if term:
            qs = qs.filter(Q(title__icontains=term) | Q(summary__icontains=term) | Q(location__icontains=term))
        page = await paginate(qs, first, after, last=last, before=before, descending=True)
        for row in page.rows:
            info.context.loaders.consultation_by_id.prime(row.id, row)
        return ConsultationConnection(
            edges=[ConsultationEdge(cursor=encode_cursor(r.pk), node=Consultation.of(r)) for r in page.rows],
            page_info=page.page_info(),
            total_count=page.total,
        )

    @strawberry.field(description="One consultation; null when it does not exist or the viewer may not see it.")
    async def consultation(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The consultation's global ID.")]
    ) -> Consultation | None:
        decoded = from_global_id(id)
        if decoded is None or decoded[0] != "Consultation":
            return None
        c = await _consultation_of(info, decoded[1])
        return Consultation.of(c) if c else None

    @strawberry.field(description="Checks a ballot receipt: true if a ballot with this receipt is counted in the poll")
    async def verify_receipt(
        self,
        info: Info,
        poll_id: ReceiptPollArgument,
        receipt: ReceiptArgument,
    ) -> bool:
        pk = expect_id(poll_id, "Poll")
        if pk is None or not isinstance(receipt, str) or len(receipt) > 64:
            return False
        poll = await info.context.loaders.poll_by_id.load(pk)
        if poll is None or await _consultation_of(info, poll.consultation_id) is None:
            return False
        cleaned = receipt.strip().upper()
        return await models.Ballot.filter(poll_id=pk, receipt=cleaned).exists()

    @strawberry.field(
        description=(
            "What a ballot receipt says now: COUNTED (a ballot in the poll carries it), REPLACED (a later ballot of "
            "the same household replaced that one, and the later one counts), or UNKNOWN. Never which choice "
            "either ballot made. verifyReceipt answers true for COUNTED only."
        )
    )
    async def receipt_status(
        self,
        info: Info,
        poll_id: ReceiptPollArgument,
        receipt: ReceiptArgument,
    ) -> ReceiptStatus:
        pk = expect_id(poll_id, "Poll")
        if pk is None or not isinstance(receipt, str) or len(receipt) > 64:
            return ReceiptStatus.UNKNOWN
        poll = await info.context.loaders.poll_by_id.load(pk)
        if poll is None or await _consultation_of(info, poll.consultation_id) is None:
            return ReceiptStatus.UNKNOWN
        return ReceiptStatus(await receipt_status(info.context.settings.secret_key, pk, receipt))

    @strawberry.field(
        description=(
            "The exact split a cost plan would get, computed by the same rules as setCostPlan, without saving "
            "anything: for editors that preview amounts as they are typed."
        )
    )
    def preview_cost_split(
        self,
        info: Info,
        total: Annotated[Money, strawberry.argument(description="The whole cost in yuan.")],
        method: Annotated[SplitMethod, strawberry.argument(description="How the total is split (分摊方式).")],
        shares: Annotated[
            list[SharePreviewInput], strawberry.argument(description="One line per paying party (at most 100).")
        ],
    ) -> CostSplitPreview:
        try:
            if len(shares) > MAX_SHARES:
                raise Invalid("too_many_shares", "shares", max=MAX_SHARES)
            total_fen = parse_money(total, "total")
            specs = [ShareSpec(amount=s.amount, percent=s.percent, weight=s.weight) for s in shares]
            lines = split(method, total_fen, specs)
        except DomainError as error:
            return CostSplitPreview(amounts=[], sum=None, errors=[user_error(error, info.context.lang)])
        return CostSplitPreview(
            amounts=[Money(format_fen(line.amount_fen)) for line in lines],
            sum=Money(format_fen(sum(line.amount_fen for line in lines))),
            errors=[],
        )

    @strawberry.field(
        description=(
            "The CPPCC members who can convene a consultation (createConsultation's convenerId), by name: for those "
            "who create consultations; null for everyone else."
        )
    )
    async def cppcc_members(self, info: Info) -> list[Account] | None:
        if not info.context.may("consultation.create"):
            return None
        members = await models.Account.filter(roles__contains="CPPCC_MEMBER").order_by("display_name", "id")
        return [Account.of(a) for a in members if "CPPCC_MEMBER" in a.role_set]

    @strawberry.field(description="Every party known to the platform, by name.")
    async def parties(self, info: Info) -> list[Party]:
        return [Party.of(p) for p in await models.Party.all().order_by("name", "id")]

    overview: Overview = strawberry.field(
        resolver=resolve_overview,
        description=(
            "协商成效: consultations by stage, demands resolved, money pledged and paid, overdue work, votes and "
            "satisfaction, per community and in total, for admins, organizers and CPPCC members within their "
            "areas. A filter outside them comes back as FORBIDDEN in `errors`."
        ),
    )
