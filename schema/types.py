"""The object types of the API. Each wraps a model row and resolves relations through loaders."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from consult import models
from consult.audit import chain_is_valid_from, installation_chain_is_valid
from consult.domain.ratios import ratio_4
from consult.domain.vocabulary import DemandChannel, DemandStatus, PartyKind, ProposalStatus, Role, SplitMethod, Stage
from consult.domain.weights import format_weight
from consult.ids import to_global_id
from consult.money import format_fen
from consult.policies import RESIDENT, can_see_roll_entry, relations_of
from consult.services.accounts import shown_name
from schema.context import Info
from schema.enums import graphql_enum
from schema.pagination import After, Before, First, Last, PageInfo, encode_cursor, paginate
from schema.scalars import Money

if TYPE_CHECKING:
    from schema.areas import Area
    from schema.photos import Photo
    from schema.roll import RollSummary, VoterRollEntryConnection
    from schema.supervision import Dossier, EvaluationSummary, Finding, FindingStatus, FollowUp, Inspection, Milestone
    from schema.viewer_can import ConsultationViewerCan, CostShareViewerCan, NextStage, ProposalViewerCan
    from schema.voting import Poll

# ---------------------------------------------------------------- enums

graphql_enum(Role, description="What an account may do; an account can hold several roles.")

graphql_enum(PartyKind, description="The kind of a party.")

graphql_enum(
    Stage,
    description=(
        "The life of one consultation follows the seven forms of joint consultation (七单会商): 提诉求单 → 列责任单 → "
        "出方案单 → 定时限单 → 给反馈单 → 签协议单 → 存入档案单, with a resident vote before the agreement is signed. "
        "A stage is only ever left forward (or to CANCELLED)."
    ),
)

graphql_enum(DemandChannel, description="Where a demand came in from.")

graphql_enum(DemandStatus, description="How organizers triaged a demand.")

graphql_enum(ProposalStatus, description="Where a proposal stands.")

graphql_enum(SplitMethod, description="How a cost plan divides its total among the paying parties.")


# ---------------------------------------------------------------- Node


@strawberry.interface(description="An object with an opaque global ID; `node(id:)` fetches any of them.")
class Node:
    pk: strawberry.Private[int]

    @strawberry.field(description="Opaque global ID.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id(type(self).__name__, self.pk))


def account_visible(info: Info, account: models.Account | None, community: int | None = None) -> bool:
    """Staff, CPPCC members and party reps act in public; a resident's account is their household,
    which staff see only where they act: in a consultation of a community their areas reach
    (`community`, where the account shows up), or anywhere for district staff."""
    if account is None:
        return False
    ctx = info.context
    if account.role_set - {RESIDENT}:
        return True
    return ctx.may("account.read_private", relations_of(ctx.actor, account), community=community)


async def load_account(info: Info, account_id: int | None, community: int | None = None) -> Account | None:
    if account_id is None:
        return None
    account = await info.context.loaders.account_by_id.load(account_id)
    return Account.of(account) if account_visible(info, account, community) else None


# ---------------------------------------------------------------- people


@strawberry.type(description="A person who signs in: staff with a password, or a resident from an invitation slip.")
class Account(Node):
    m: strawberry.Private[models.Account]

    @classmethod
    def of(cls, m: models.Account) -> Account:
        return cls(pk=m.id, m=m)

    @strawberry.field(description="The name shown to others; for residents, their household label.")
    def display_name(self) -> str:
        return self.m.display_name

    @strawberry.field(
        description=(
            "The name with the account's roles, as pages show who acted: 王芳（政协委员）. Names of staff and "
            "reps are unique (width, case and spacing aside), and the role beside one can't be copied."
        )
    )
    def shown_name(self) -> str:
        return shown_name(self.m)

    @strawberry.field(description="What this account may do.")
    def roles(self) -> list[Role]:
        return [r for r in Role if r in self.m.role_set]

    @strawberry.field(
        description=(
            "Where a staff account acts (the district, streets or communities), to the account itself and to staff; "
            "empty for accounts without areas (party reps, residents); null for everyone else."
        )
    )
    async def areas(self, info: Info) -> list[Annotated[Area, strawberry.lazy("schema.areas")]] | None:
        from schema.areas import areas_of_account

        if not info.context.may("account.read_areas", relations_of(info.context.actor, self.m)):
            return None
        return await areas_of_account(info, self.m.id)

    @strawberry.field(
        description=(
            "Only to the account itself: whether its password is one its holder set (changePassword), not one "
            "staff gave it; null for accounts that sign in with a slip, and for everyone else."
        )
    )
    def own_password(self, info: Info) -> bool | None:
        if info.context.actor.account_id != self.m.id or self.m.password_hash is None:
            return None
        return self.m.own_password

    @strawberry.field(description="A representative's phone, for organizers to reach them; null for everyone else.")
    def phone(self, info: Info) -> str | None:
        return self.m.phone if info.context.may("party.read_contact") else None

    @strawberry.field(
        description=(
            "Where reminders go by email: shown to its holder; a party representative's also to organizers "
            "and admins, a staff account's to admins; null for everyone else."
        )
    )
    def email(self, info: Info) -> str | None:
        from consult.services.reminders import sees_email

        return self.m.email if sees_email(info.context.actor, self.m) else None

    @strawberry.field(description="The party this account speaks for, if it represents one.")
    async def party(self, info: Info) -> Party | None:
        if self.m.party_id is None:
            return None
        party = await info.context.loaders.party_by_id.load(self.m.party_id)
        return Party.of(party) if party else None


@strawberry.type(
    description="A paying or responsible party: a merchant, a local unit, the street office, a department..."
)
class Party(Node):
    m: strawberry.Private[models.Party]

    @classmethod
    def of(cls, m: models.Party) -> Party:
        return cls(pk=m.id, m=m)

    @strawberry.field(description="The party's name, e.g. 解放街道办事处.")
    def name(self) -> str:
        return self.m.name

    @strawberry.field(description="What kind of party this is.")
    def kind(self) -> PartyKind:
        return PartyKind(self.m.kind)

    @strawberry.field(description="How to reach the party; organizers only, null for everyone else.")
    def contact(self, info: Info) -> str | None:
        return self.m.contact if info.context.may("party.read_contact") else None

    @strawberry.field(
        description=(
            "The party's representatives (accounts with the PARTY_REP role), for naming who follows up a "
            "finding; to organizers, admins and CPPCC members only, null for everyone else."
        )
    )
    async def representatives(self, info: Info) -> list[Account] | None:
        if not info.context.may("party.read_representatives"):
            return None
        return [Account.of(a) for a in await info.context.loaders.representatives_by_party.load(self.m.id)]


# ---------------------------------------------------------------- consultations


@strawberry.type(description="One move of a consultation between stages.")
class StageChange:
    m: strawberry.Private[models.StageChange]

    @strawberry.field(name="from", description="The stage left; null for the creation.")
    def from_(self) -> Stage | None:
        return Stage(self.m.from_stage) if self.m.from_stage else None

    @strawberry.field(description="The stage entered.")
    def to(self) -> Stage:
        return Stage(self.m.to_stage)

    @strawberry.field(description="When it moved.")
    def at(self) -> datetime:
        return self.m.at

    @strawberry.field(description="Who moved it.")
    async def by(self, info: Info) -> Account | None:
        return await load_account(info, self.m.by_id)

    @strawberry.field(description="Why, when given; always given for a cancellation.")
    def note(self) -> str | None:
        return self.m.note


@strawberry.type(description="One consultation (协商), from the first demand to the sealed archive.")
class Consultation(Node):
    m: strawberry.Private[models.Consultation]

    @classmethod
    def of(cls, m: models.Consultation) -> Consultation:
        return cls(pk=m.id, m=m)

    @strawberry.field(description="A short title, e.g. 菜园巷道路改造.")
    def title(self) -> str:
        return self.m.title

    @strawberry.field(description="What the consultation is about, in a few sentences.")
    def summary(self) -> str:
        return self.m.summary

    @strawberry.field(description="Where it happens, e.g. 临河区解放街道菜园巷.")
    def location(self) -> str:
        return self.m.location

    @strawberry.field(description="The number residents call for help, printed on the invitation slips; null if none.")
    def help_phone(self) -> str | None:
        return self.m.help_phone

    @strawberry.field(
        description="The community (社区/村) it belongs to: its staff, its street's and the district's act on it."
    )
    async def community(self, info: Info) -> Annotated[Area, strawberry.lazy("schema.areas")]:
        from schema.areas import Area

        row = await info.context.loaders.area_by_id.load(self.m.community_id)
        return Area.of(row)

    @strawberry.field(description="Where the consultation stands.")
    def stage(self) -> Stage:
        return Stage(self.m.stage)

    @strawberry.field(
        description="Every move between stages, oldest first; the first is the creation (from null to DRAFT)."
    )
    async def stage_history(self, info: Info) -> list[StageChange]:
        rows = await info.context.loaders.stage_changes_by_consultation.load(self.m.id)
        return [StageChange(m=r) for r in rows]

    @strawberry.field(
        description="Every stage the consultation could move to in one step, in order, CANCELLED last, each with "
        "whether the viewer may move it there now and, if not, why: the answer advanceStage would give."
    )
    async def next_stages(self, info: Info) -> list[Annotated[NextStage, strawberry.lazy("schema.viewer_can")]]:
        from schema.viewer_can import next_stages

        return await next_stages(info, self.m)

    @strawberry.field(description="What the viewer may do to this consultation now, action by action.")
    def viewer_can(self) -> Annotated[ConsultationViewerCan, strawberry.lazy("schema.viewer_can")]:
        from schema.viewer_can import ConsultationViewerCan

        return ConsultationViewerCan(m=self.m)

    @strawberry.field(description="When it was created.")
    def created_at(self) -> datetime:
        return self.m.created_at

    @strawberry.field(description="The CPPCC member who convenes it, if one was named.")
    async def convener(self, info: Info) -> Account | None:
        return await load_account(info, self.m.convener_id)

    @strawberry.field(description="现场照片: photos of the place, in the order added.")
    async def photos(self, info: Info) -> list[Annotated[Photo, strawberry.lazy("schema.photos")]]:
        from schema.photos import photos_of

        return await photos_of(info, "SITE", self.m.id)

    @strawberry.field(description="The parties taking part, in the order they joined.")
    async def parties(self, info: Info) -> list[Party]:
        return [Party.of(p) for p in await info.context.loaders.parties_by_consultation.load(self.m.id)]

    @strawberry.field(description="提诉求单: the demands raised, oldest first.")
    async def demands(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> DemandConnection:
        page = await paginate(models.Demand.filter(consultation_id=self.m.id), first, after, last=last, before=before)
        return DemandConnection(
            edges=[DemandEdge(cursor=c, node=Demand.of(r)) for c, r in _cursored(page)],
            page_info=page.page_info(),
            total_count=page.total,
        )

    @strawberry.field(description="列责任单: which party answers for what.")
    async def responsibilities(self, info: Info) -> list[Responsibility]:
        return [
            Responsibility.of(r) for r in await info.context.loaders.responsibilities_by_consultation.load(self.m.id)
        ]

    @strawberry.field(description="出方案单: every proposal, oldest first.")
    async def proposals(self, info: Info) -> list[Proposal]:
        return [Proposal.of(p) for p in await info.context.loaders.proposals_by_consultation.load(self.m.id)]

    @strawberry.field(description="The proposal adopted by vote or agreement, if any.")
    async def adopted_proposal(self, info: Info) -> Proposal | None:
        for p in await info.context.loaders.proposals_by_consultation.load(self.m.id):
            if p.status == ProposalStatus.ADOPTED:
                return Proposal.of(p)
        return None

    @strawberry.field(description="The polls put to the voter roll, oldest first.")
    async def polls(self, info: Info) -> list[Annotated[Poll, strawberry.lazy("schema.voting")]]:
        from schema.voting import Poll

        return [Poll.of(p) for p in await info.context.loaders.polls_by_consultation.load(self.m.id)]

    @strawberry.field(description="定时限单: the steps of the works, by planned end.")
    async def milestones(self, info: Info) -> list[Annotated[Milestone, strawberry.lazy("schema.supervision")]]:
        from schema.supervision import Milestone

        return [Milestone.of(m) for m in await info.context.loaders.milestones_by_consultation.load(self.m.id)]

    @strawberry.field(description="CPPCC members' visits, oldest first.")
    async def inspections(self, info: Info) -> list[Annotated[Inspection, strawberry.lazy("schema.supervision")]]:
        from schema.supervision import Inspection

        return [Inspection.of(i) for i in await info.context.loaders.inspections_by_consultation.load(self.m.id)]

    @strawberry.field(description="Problems found in supervision, optionally only those with one status.")
    async def findings(
        self,
        info: Info,
        status: Annotated[
            Annotated[FindingStatus, strawberry.lazy("schema.supervision")] | None,
            strawberry.argument(description="Only the findings with this status; left out, all of them."),
        ] = None,
    ) -> list[Annotated[Finding, strawberry.lazy("schema.supervision")]]:
        from schema.supervision import Finding

        rows = await info.context.loaders.findings_by_consultation.load(self.m.id)
        return [Finding.of(f) for f in rows if status is None or f.status == status]

    @strawberry.field(description="给反馈单: the residents' ratings of the outcome.")
    async def evaluation(self, info: Info) -> Annotated[EvaluationSummary, strawberry.lazy("schema.supervision")]:
        return await self.evaluation_summary(info)

    async def evaluation_summary(self, info: Info) -> EvaluationSummary:
        from consult.services.archive import evaluation_summary
        from schema.supervision import EvaluationSummary, Rating

        ctx = info.context
        ratings = await ctx.loaders.ratings_by_consultation.load(self.m.id)
        summary = evaluation_summary([r.score for r in ratings])
        mine = None
        household = await ctx.loaders.household_by_consultation.load(self.m.id)
        if household is not None:
            mine = next((r for r in ratings if r.entry_id == household.id), None)
        return EvaluationSummary(
            count=summary["count"],
            average=summary["average"],
            distribution=summary["distribution"],
            satisfaction_rate=summary["satisfactionRate"],
            my_rating=Rating(score=mine.score, comment=mine.comment, at=mine.at) if mine else None,
        )

    @strawberry.field(description="跟踪回访: follow-up visits, oldest first.")
    async def follow_ups(self, info: Info) -> list[Annotated[FollowUp, strawberry.lazy("schema.supervision")]]:
        from schema.supervision import FollowUp

        return [FollowUp.of(f) for f in await info.context.loaders.follow_ups_by_consultation.load(self.m.id)]

    @strawberry.field(description="Present once the consultation is ARCHIVED.")
    async def dossier(self, info: Info) -> Annotated[Dossier, strawberry.lazy("schema.supervision")] | None:
        from schema.supervision import Dossier

        d = await info.context.loaders.dossier_by_consultation.load(self.m.id)
        return Dossier(m=d) if d else None

    @strawberry.field(description="Funding of the adopted proposal's cost plan, null before one is adopted.")
    async def funding(self, info: Info) -> FundingProgress | None:
        loaders = info.context.loaders
        proposals = await loaders.proposals_by_consultation.load(self.m.id)
        adopted = next((p for p in proposals if p.status == ProposalStatus.ADOPTED), None)
        if adopted is None:
            return None
        plan = await loaders.cost_plan_by_proposal.load(adopted.id)
        if plan is None:
            return None
        shares = await loaders.cost_shares_by_plan.load(plan.id)
        return FundingProgress(
            total_fen=plan.total_fen,
            pledged_fen=sum(s.amount_fen for s in shares if s.confirmed_at is not None),
            paid_fen=sum(s.paid_fen for s in shares),
        )

    @strawberry.field(
        description=(
            "居民名册: the households or people who may vote and rate; "
            "organizers see every entry, a resident only their own"
        )
    )
    async def voter_roll(self, info: Info) -> list[VoterRollEntry]:
        ctx = info.context
        if not ctx.actor.authenticated:
            return []
        entries = await ctx.loaders.roll_by_consultation.load(self.m.id)
        return [VoterRollEntry.of(e) for e in entries if can_see_roll_entry(ctx.actor, e, self.m.community_id)]

    @strawberry.field(
        description=(
            "居民名册, a page at a time in the roll's order, optionally searched by label: organizers page "
            "through every active entry, a resident finds only their own, a visitor nothing."
        )
    )
    async def roll(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description=(
                    "Only the entries whose label holds every fragment of this text, in any order (split at spaces, "
                    "dashes and commas), e.g. '401', '2单元 401' or '3-2-401'. Left out or blank, the whole roll."
                )
            ),
        ] = None,
    ) -> Annotated[VoterRollEntryConnection, strawberry.lazy("schema.roll")]:
        from schema.roll import resolve_roll

        return await resolve_roll(info, self.m.id, self.m.community_id, first, after, last, before, search)

    @strawberry.field(
        description=(
            "居民名册合计: how many households the roll lists, their area and how many signed in, counted in "
            "the database; for the staff who may read the whole roll, null for everyone else."
        )
    )
    async def roll_summary(self, info: Info) -> Annotated[RollSummary, strawberry.lazy("schema.roll")] | None:
        from schema.roll import resolve_roll_summary

        return await resolve_roll_summary(info, self.m.id, self.m.community_id)

    @strawberry.field(
        description=(
            "Requests for new slips for households that already signed in, newest first: for the organizers "
            "who ask and the CPPCC members (or admins) who approve; null for everyone else."
        )
    )
    async def reissue_requests(self, info: Info) -> list[ReissueRequest] | None:
        ctx = info.context
        where = self.m.community_id
        if not (
            ctx.may("invitations.reissue_request", community=where)
            or ctx.may("invitations.reissue_approve", community=where)
        ):
            return None
        rows = await models.ReissueRequest.filter(entry__consultation_id=self.m.id).order_by("-requested_at", "-id")
        return [ReissueRequest(m=r) for r in rows]

    @strawberry.field(description="Every write to this consultation, oldest first, as a hash chain.")
    async def audit_trail(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> AuditEventConnection:
        page = await paginate(
            models.AuditEvent.filter(consultation_id=self.m.id), first, after, last=last, before=before
        )
        return AuditEventConnection(
            edges=[AuditEventEdge(cursor=c, node=AuditEvent.of(r)) for c, r in _cursored(page)],
            page_info=page.page_info(),
            total_count=page.total,
            consultation=self.m,
        )


# The checkpoint moves on once this many events past it have been found whole.
CHECKPOINT_EVERY = 200


async def chain_valid_from_checkpoint(cid: int) -> bool:
    """chainValid at a cost that does not grow with the trail: from the last checkpoint on.

    The head is read afresh, then only the events up to it: a write landing in between adds
    events past the head and must not look like tampering. The checkpoint's own event must still
    carry the hash recorded for it.
    """
    rows = await models.Consultation.filter(id=cid).values("last_seq", "head_hash", "checked_seq", "checked_hash")
    if not rows:
        return True
    head = rows[0]
    start, prev = 0, None
    if head["checked_seq"] and head["checked_seq"] <= head["last_seq"]:
        at = await models.AuditEvent.filter(consultation_id=cid, seq=head["checked_seq"]).values_list("hash", flat=True)
        if list(at) != [head["checked_hash"]]:
            return False
        start, prev = head["checked_seq"], head["checked_hash"]
    events = await models.AuditEvent.filter(consultation_id=cid, seq__gt=start, seq__lte=head["last_seq"]).order_by(
        "seq"
    )
    valid = chain_is_valid_from(events, head["head_hash"], prev=prev, first_seq=start + 1)
    if valid and head["last_seq"] - start >= CHECKPOINT_EVERY:
        await models.Consultation.filter(id=cid, checked_seq__lt=head["last_seq"]).update(
            checked_seq=head["last_seq"], checked_hash=head["head_hash"]
        )
    return valid


def _is_rep_of(account: models.Account, party_id: int) -> bool:
    return "PARTY_REP" in account.role_set and account.party_id == party_id


def _cursored(page):
    return [(encode_cursor(r.pk), r) for r in page.rows]


@strawberry.type(description="An edge of a list of consultations.")
class ConsultationEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: Consultation = strawberry.field(description="The consultation.")


@strawberry.type(description="A page of consultations.")
class ConsultationConnection:
    edges: list[ConsultationEdge] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")
    total_count: int = strawberry.field(description="How many match, over all pages.")


# ---------------------------------------------------------------- demands


@strawberry.type(description="提诉求单: one demand as raised.")
class Demand(Node):
    m: strawberry.Private[models.Demand]

    @classmethod
    def of(cls, m: models.Demand) -> Demand:
        return cls(pk=m.id, m=m)

    @strawberry.field(description="A short title.")
    def title(self) -> str:
        return self.m.title

    @strawberry.field(description="The demand in the words it came in.")
    def body(self) -> str:
        return self.m.body

    @strawberry.field(description="Where it came in from.")
    def channel(self) -> DemandChannel:
        return DemandChannel(self.m.channel)

    @strawberry.field(description="How organizers triaged it.")
    def status(self) -> DemandStatus:
        return DemandStatus(self.m.status)

    @strawberry.field(description="Who entered it; organizers only, null for everyone else.")
    async def submitted_by(self, info: Info) -> Account | None:
        if self.m.submitted_by_id is None:
            return None
        consultation = await info.context.loaders.consultation_by_id.load(self.m.consultation_id)
        where = consultation.community_id if consultation else None
        if not info.context.may("demand.read_submitter", community=where):
            return None
        account = await info.context.loaders.account_by_id.load(self.m.submitted_by_id)
        return Account.of(account) if account else None

    @strawberry.field(description="How many people support it; each person counts once.")
    def support_count(self) -> int:
        return self.m.support_count

    @strawberry.field(description="Whether the viewer has already supported it.")
    async def supported_by_viewer(self, info: Info) -> bool:
        return await info.context.loaders.supported_by_viewer.load(self.m.id)

    @strawberry.field(description="When it was raised.")
    def created_at(self) -> datetime:
        return self.m.created_at

    @strawberry.field(description="The demand this one was merged into, when its status is MERGED.")
    async def merged_into(self, info: Info) -> Demand | None:
        if self.m.merged_into_id is None:
            return None
        target = await info.context.loaders.demand_by_id.load(self.m.merged_into_id)
        return Demand.of(target) if target else None

    @strawberry.field(description="随手拍: the photos that came with it, in the order given.")
    async def photos(self, info: Info) -> list[Annotated[Photo, strawberry.lazy("schema.photos")]]:
        from schema.photos import photos_of

        return await photos_of(info, "DEMAND", self.m.id)


@strawberry.type(description="An edge of a list of demands.")
class DemandEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: Demand = strawberry.field(description="The demand.")


@strawberry.type(description="A page of demands.")
class DemandConnection:
    edges: list[DemandEdge] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")
    total_count: int = strawberry.field(description="How many demands there are, over all pages.")


@strawberry.type(description="列责任单: which party answers for what.")
class Responsibility(Node):
    m: strawberry.Private[models.Responsibility]

    @classmethod
    def of(cls, m: models.Responsibility) -> Responsibility:
        return cls(pk=m.id, m=m)

    @strawberry.field(description="The party that answers for it.")
    async def party(self, info: Info) -> Party:
        return Party.of(await info.context.loaders.party_by_id.load(self.m.party_id))

    @strawberry.field(description="What the party answers for.")
    def duty(self) -> str:
        return self.m.duty

    @strawberry.field(description="By when, if a deadline was set.")
    def due_at(self) -> datetime | None:
        return self.m.due_at


@strawberry.type(description="出方案单: a plan with its budget, put to the parties and the residents.")
class Proposal(Node):
    m: strawberry.Private[models.Proposal]

    @classmethod
    def of(cls, m: models.Proposal) -> Proposal:
        return cls(pk=m.id, m=m)

    @strawberry.field(description="A short title.")
    def title(self) -> str:
        return self.m.title

    @strawberry.field(description="The plan in full.")
    def body(self) -> str:
        return self.m.body

    @strawberry.field(description="Where the proposal stands.")
    def status(self) -> ProposalStatus:
        return ProposalStatus(self.m.status)

    @strawberry.field(description="Who put it forward.")
    async def author(self, info: Info) -> Account | None:
        return await load_account(info, self.m.author_id)

    @strawberry.field(description="What the plan costs in all.")
    def budget(self) -> Money:
        return Money(format_fen(self.m.budget_fen))

    @strawberry.field(description="When it was put forward.")
    def created_at(self) -> datetime:
        return self.m.created_at

    @strawberry.field(description="How the cost is split among the paying parties, if a plan was set.")
    async def cost_plan(self, info: Info) -> CostPlan | None:
        plan = await info.context.loaders.cost_plan_by_proposal.load(self.m.id)
        return CostPlan(m=plan) if plan else None

    @strawberry.field(description="What the viewer may do to this proposal now, action by action.")
    async def viewer_can(self, info: Info) -> Annotated[ProposalViewerCan, strawberry.lazy("schema.viewer_can")]:
        from schema.viewer_can import ProposalViewerCan, stage_of

        return ProposalViewerCan(m=self.m, **await stage_of(info, self.m.consultation_id))


# ---------------------------------------------------------------- cost sharing


@strawberry.type(description="出资分担方案: how a proposal's cost is split; every amount is exact to the fen.")
class CostPlan:
    m: strawberry.Private[models.CostPlan]

    @strawberry.field(description="The amount to be shared; it may differ from the proposal's budget.")
    def total(self) -> Money:
        return Money(format_fen(self.m.total_fen))

    @strawberry.field(description="How the total was divided.")
    def method(self) -> SplitMethod:
        return SplitMethod(self.m.method)

    @strawberry.field(description="One share per paying party, in the order given.")
    async def shares(self, info: Info) -> list[CostShare]:
        return [CostShare.of(s) for s in await info.context.loaders.cost_shares_by_plan.load(self.m.id)]

    @strawberry.field(description="True once every share is confirmed by its party.")
    async def fully_confirmed(self, info: Info) -> bool:
        shares = await info.context.loaders.cost_shares_by_plan.load(self.m.id)
        return bool(shares) and all(s.confirmed_at is not None for s in shares)


@strawberry.type(description="One party's share of a cost plan, its confirmation (签协议) and the money paid in.")
class CostShare(Node):
    m: strawberry.Private[models.CostShare]

    @classmethod
    def of(cls, m: models.CostShare) -> CostShare:
        return cls(pk=m.id, m=m)

    @strawberry.field(description="The paying party.")
    async def party(self, info: Info) -> Party:
        return Party.of(await info.context.loaders.party_by_id.load(self.m.party_id))

    @strawberry.field(description="What the party pays.")
    def amount(self) -> Money:
        return Money(format_fen(self.m.amount_fen))

    @strawberry.field(description="The percentage given, for PERCENT plans.")
    def percent(self) -> str | None:
        return self.m.percent

    @strawberry.field(description="The weight given, for WEIGHTED plans.")
    def weight(self) -> str | None:
        return self.m.weight

    @strawberry.field(description="When the party confirmed its share; null until then.")
    def confirmed_at(self) -> datetime | None:
        return self.m.confirmed_at

    @strawberry.field(description="Who confirmed it: the party's representative, or an organizer on its behalf.")
    async def confirmed_by(self, info: Info) -> Account | None:
        return await load_account(info, self.m.confirmed_by_id)

    @strawberry.field(
        description=(
            "Whether someone other than the party's own representative confirmed it (an organizer on its "
            "behalf: 由组织方代为确认), or the representative did with a password staff set and they never "
            "changed (changePassword); pages say so wherever they show the confirmation. Null until confirmed."
        )
    )
    async def confirmed_on_behalf(self, info: Info) -> bool | None:
        if self.m.confirmed_on_behalf is not None:
            return self.m.confirmed_on_behalf
        if self.m.confirmed_by_id is None:
            return None if self.m.confirmed_at is None else True
        account = await info.context.loaders.account_by_id.load(self.m.confirmed_by_id)
        return not (account is not None and _is_rep_of(account, self.m.party_id))

    @strawberry.field(description="Money received against this share, oldest first.")
    async def contributions(self, info: Info) -> list[Contribution]:
        return [Contribution.of(c) for c in await info.context.loaders.contributions_by_share.load(self.m.id)]

    @strawberry.field(description="What has been paid in so far.")
    def paid(self) -> Money:
        return Money(format_fen(self.m.paid_fen))

    @strawberry.field(description="What is still to be paid.")
    def outstanding(self) -> Money:
        return Money(format_fen(self.m.amount_fen - self.m.paid_fen))

    @strawberry.field(description="What the viewer may do with this share now, action by action.")
    async def viewer_can(self, info: Info) -> Annotated[CostShareViewerCan, strawberry.lazy("schema.viewer_can")]:
        from schema.viewer_can import CostShareViewerCan, stage_of

        loaders = info.context.loaders
        plan = await loaders.cost_plan_by_id.load(self.m.plan_id)
        proposal = await loaders.proposal_by_id.load(plan.proposal_id)
        return CostShareViewerCan(m=self.m, **await stage_of(info, proposal.consultation_id))


@strawberry.type(description="Money received from a party against its share.")
class Contribution(Node):
    m: strawberry.Private[models.Contribution]

    @classmethod
    def of(cls, m: models.Contribution) -> Contribution:
        return cls(pk=m.id, m=m)

    @strawberry.field(description="How much arrived.")
    def amount(self) -> Money:
        return Money(format_fen(self.m.amount_fen))

    @strawberry.field(description="When it arrived.")
    def received_at(self) -> datetime:
        return self.m.received_at

    @strawberry.field(description="A note, e.g. the transfer's reference.")
    def note(self) -> str | None:
        return self.m.note

    @strawberry.field(description="The organizer who recorded it.")
    async def recorded_by(self, info: Info) -> Account | None:
        return await load_account(info, self.m.recorded_by_id)


@strawberry.type(description="How far the adopted proposal's money has come in.")
class FundingProgress:
    total_fen: strawberry.Private[int]
    pledged_fen: strawberry.Private[int]
    paid_fen: strawberry.Private[int]

    @strawberry.field(description="The plan's total.")
    def total(self) -> Money:
        return Money(format_fen(self.total_fen))

    @strawberry.field(description="The sum of the confirmed shares.")
    def pledged(self) -> Money:
        return Money(format_fen(self.pledged_fen))

    @strawberry.field(description="The money paid in.")
    def paid(self) -> Money:
        return Money(format_fen(self.paid_fen))

    @strawberry.field(description="What is still to be paid: total minus paid.")
    def outstanding(self) -> Money:
        return Money(format_fen(self.total_fen - self.paid_fen))

    @strawberry.field(description="Paid / total, 0..1, as a decimal string with 4 fraction digits")
    def ratio(self) -> str:
        return ratio_4(self.paid_fen, self.total_fen)


# ---------------------------------------------------------------- voter roll


@strawberry.type(
    description=(
        "One line of a consultation's voter roll: a household or person, with a weight (area in m², 1 by default)."
    )
)
class VoterRollEntry(Node):
    m: strawberry.Private[models.VoterRollEntry]

    @classmethod
    def of(cls, m: models.VoterRollEntry) -> VoterRollEntry:
        return cls(pk=m.id, m=m)

    @strawberry.field(description="The household or person, e.g. 菜园巷 12 号.")
    def label(self) -> str:
        return self.m.label

    @strawberry.field(description="Area in m² (or 1 per head) as a decimal string.")
    def weight(self) -> str:
        return format_weight(self.m.weight_e4)

    @strawberry.field(
        description="Whether the roll gave this household's area; when not, it counts as one head and a poll "
        "that counts area cannot be created or opened on the roll."
    )
    def area_given(self) -> bool:
        return self.m.area_given

    @strawberry.field(description="The resident account that redeemed this entry's invitation, if any.")
    async def account(self, info: Info) -> Account | None:
        if self.m.account_id is None:
            return None
        account = await info.context.loaders.account_by_id.load(self.m.account_id)
        return Account.of(account) if account else None

    @strawberry.field(description="False once a replaced roll no longer lists this entry.")
    def active(self) -> bool:
        return self.m.active


@strawberry.type(description="A printed slip's code for one roll entry. Shown once, when issued.")
class Invitation:
    label: str = strawberry.field(description="The roll entry the code is for.")
    code: str = strawberry.field(description="The code to print, e.g. ABCD-EFGH-JKMN.")
    base_url: strawberry.Private[str] = ""

    @strawberry.field(description="The link a phone opens to redeem the code: <server>/i/<code>.")
    def link(self) -> str:
        return invitation_link(self.base_url, self.code)

    @strawberry.field(description="The link as a QR code, an SVG document to print on the slip.")
    def qr_svg(self) -> str:
        return qr_svg(invitation_link(self.base_url, self.code))


def invitation_link(base_url: str, code: str) -> str:
    from urllib.parse import quote

    return f"{base_url.rstrip('/')}/i/{quote(code, safe='')}"


def qr_svg(text: str) -> str:
    import segno

    # Medium error correction survives a crease or a smudge on a printed slip.
    return segno.make(text, error="m", micro=False).svg_inline(scale=4, border=2, omitsize=True, title="扫码参与表决")


def public_base_url(info: Any) -> str:
    """Where phones reach this server: CONSULT_PUBLIC_URL, else the address the request came to."""
    configured = info.context.settings.public_url
    if configured:
        return configured
    request = info.context.request
    return str(request.base_url) if request is not None else ""


# ---------------------------------------------------------------- audit trail


@strawberry.type(description="One link of a consultation's audit hash chain.")
class AuditEvent(Node):
    m: strawberry.Private[models.AuditEvent]

    @classmethod
    def of(cls, m: models.AuditEvent) -> AuditEvent:
        return cls(pk=m.id, m=m)

    @strawberry.field(description="Position in this consultation's event stream, 1, 2, 3...")
    def seq(self) -> int:
        return self.m.seq

    @strawberry.field(description="When it happened.")
    def at(self) -> datetime:
        return self.m.at

    @strawberry.field(
        description="Who did it; null for residents, and for who raised a demand, unless the viewer is an organizer."
    )
    async def actor(self, info: Info) -> Account | None:
        ctx = info.context
        consultation = await ctx.loaders.consultation_by_id.load(self.m.consultation_id)
        where = consultation.community_id if consultation else None
        hidden = self.m.action == "demand.submit" and not ctx.may("demand.read_submitter", community=where)
        if hidden and self.m.actor_id != ctx.actor.account_id:
            return None
        return await load_account(info, self.m.actor_id, where)

    @strawberry.field(description="What was done, e.g. demand.submit.")
    def action(self) -> str:
        return self.m.action

    @strawberry.field(description="A sentence for people, in Chinese.")
    def summary(self) -> str:
        return self.m.summary

    @strawberry.field(description="SHA-256 over the previous hash and this event's canonical content")
    def hash(self) -> str:
        return self.m.hash

    @strawberry.field(description="The previous event's hash; null for the first.")
    def prev_hash(self) -> str | None:
        return self.m.prev_hash


@strawberry.type(description="An edge of the audit trail.")
class AuditEventEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: AuditEvent = strawberry.field(description="The event.")


@strawberry.type(description="A page of the audit trail.")
class AuditEventConnection:
    edges: list[AuditEventEdge] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")
    total_count: int = strawberry.field(description="How many events the trail has.")
    consultation: strawberry.Private[models.Consultation]

    @strawberry.field(
        description=(
            "The newest event's hash, as the consultation records it: printed in the dossier and anchored outside "
            "the database, so anyone can hold the record to it."
        )
    )
    def head_hash(self) -> str | None:
        return self.consultation.head_hash

    @strawberry.field(
        description=(
            "Recomputes the hash chain from its last checkpoint; false means the stored trail was altered there. "
            "`consult verify` checks the whole chain against the anchors kept outside the database."
        )
    )
    async def chain_valid(self, info: Info) -> bool:
        cache = info.context.chain_checks
        key = self.consultation.id
        if key not in cache:
            # Read the head afresh, then only the events up to it: a write landing in between
            # adds events past the head and must not look like tampering.
            cache[key] = await chain_valid_from_checkpoint(key)
        return cache[key]


@strawberry.type(description="One entry of the installation's trail: an account made, a role granted, a party added.")
class InstallationEvent:
    m: strawberry.Private[models.InstallationEvent]

    @strawberry.field(description="Position in the trail, from 1.")
    def seq(self) -> int:
        return self.m.seq

    @strawberry.field(description="When it happened.")
    def at(self) -> datetime:
        return self.m.at

    @strawberry.field(description="Who did it; null for the command line (consult create-admin).")
    async def actor(self, info: Info) -> Account | None:
        if self.m.actor_id is None:
            return None
        account = await info.context.loaders.account_by_id.load(self.m.actor_id)
        return Account.of(account) if account else None

    @strawberry.field(
        description="What was done: `account.create`, `account.create_admin`, account.grant_admin, party.create..."
    )
    def action(self) -> str:
        return self.m.action

    @strawberry.field(description="The ID of the account or party it is about.")
    def subject_id(self) -> strawberry.ID | None:
        return strawberry.ID(self.m.subject) if self.m.subject else None

    @strawberry.field(description="A sentence for people, in Chinese.")
    def summary(self) -> str:
        return self.m.summary

    @strawberry.field(description="The event's details as canonical JSON text.")
    def payload(self) -> str:
        return self.m.payload

    @strawberry.field(description="SHA-256 of the previous entry's hash and this entry's canonical JSON.")
    def hash(self) -> str:
        return self.m.hash

    @strawberry.field(description="The previous entry's hash; null for the first.")
    def prev_hash(self) -> str | None:
        return self.m.prev_hash


@strawberry.type(description="An edge of the installation's trail.")
class InstallationEventEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: InstallationEvent = strawberry.field(description="The entry.")


@strawberry.type(description="A page of the installation's trail, oldest first.")
class InstallationEventConnection:
    edges: list[InstallationEventEdge] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")
    total_count: int = strawberry.field(description="How many entries the trail has.")

    @strawberry.field(description="Recomputes the whole chain; false means the stored trail was altered")
    async def chain_valid(self) -> bool:
        return installation_chain_is_valid(await models.InstallationEvent.all().order_by("seq"))


async def installation_trail(
    first: int | None, after: str | None, last: int | None = None, before: str | None = None
) -> InstallationEventConnection:
    page = await paginate(models.InstallationEvent.all(), first, after, last=last, before=before)
    return InstallationEventConnection(
        edges=[InstallationEventEdge(cursor=c, node=InstallationEvent(m=r)) for c, r in _cursored(page)],
        page_info=page.page_info(),
        total_count=page.total,
    )


@strawberry.type(
    description=(
        "A request for a new slip for a household that already signed in: one person asks, with a reason, and "
        "another approves (a CPPCC member, or an admin where the installation has none)."
    )
)
class ReissueRequest:
    m: strawberry.Private[models.ReissueRequest]

    @strawberry.field(description="The request's ID, for approveReissue.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("ReissueRequest", self.m.id))

    @strawberry.field(description="The household it is for.")
    async def voter_entry(self, info: Info) -> VoterRollEntry | None:
        entry = await info.context.loaders.roll_entry_by_id.load(self.m.entry_id)
        return VoterRollEntry.of(entry) if entry else None

    @strawberry.field(description="The consultation whose roll the household is on.")
    async def consultation(self, info: Info) -> Consultation | None:
        entry = await info.context.loaders.roll_entry_by_id.load(self.m.entry_id)
        if entry is None:
            return None
        consultation = await info.context.loaders.consultation_by_id.load(entry.consultation_id)
        return Consultation.of(consultation) if info.context.can_see(consultation) else None

    @strawberry.field(description="Why a new slip is needed, as the requester wrote it.")
    def reason(self) -> str:
        return self.m.reason

    @strawberry.field(description="PENDING until approved, then APPROVED.")
    def status(self) -> str:
        return self.m.status

    @strawberry.field(description="Who asked.")
    async def requested_by(self, info: Info) -> Account | None:
        return await load_account(info, self.m.requested_by_id)

    @strawberry.field(description="When it was asked.")
    def requested_at(self) -> datetime:
        return self.m.requested_at

    @strawberry.field(description="Who approved it; null while pending.")
    async def approved_by(self, info: Info) -> Account | None:
        return await load_account(info, self.m.approved_by_id)

    @strawberry.field(description="When it was approved; null while pending.")
    def approved_at(self) -> datetime | None:
        return self.m.approved_at
