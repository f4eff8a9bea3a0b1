"""What the viewer may do, asked of the rule book: the `viewerCan` objects and `nextStages`.

Every Boolean here is `consult.policies.permits` for one action, with the viewer's roles, their
relationships to the object (worked out by `relations_of`, with the rows it needs read through
the per-request loaders) and the consultation's stage: the same question the service asks
before it writes. The pages show an action when its Boolean is true, and hide it otherwise.
"""

from __future__ import annotations

from types import EllipsisType

import strawberry

from consult import models
from consult.domain import stages
from consult.domain.vocabulary import FindingStatus, PollStatus, ProposalStatus
from consult.policies import ROLES, grantable_roles, permits, relations_of, slip_bound, stage_allows
from consult.services.consultations import MoveFacts, facts_needed, guard_refusal, move_refusal, needs_note
from consult.services.voting import effective_status
from schema.context import Info
from schema.errors import UserError, user_error
from schema.types import Role, Stage  # the enums as registered with the schema

# Why each object's Booleans say nothing about the object's own state.
_STATE_NOTE = (
    " Each Boolean answers for the viewer's roles, their relationship to it and the consultation's stage, as the "
    "rule book has them; the state of the thing itself (already closed, withdrawn, confirmed) is in its other fields."
)


async def stage_of(info: Info, consultation_id: int) -> dict:
    """Where a consultation stands, through the request's loader (one query for all of them): its
    stage and its community, as the viewerCan objects of the things in it take them."""
    consultation = await info.context.loaders.consultation_by_id.load(consultation_id)
    if consultation is None:
        return {"stage": Stage.ARCHIVED, "community": None}
    return {"stage": consultation.stage, "community": consultation.community_id}


def _can(
    info: Info,
    action: str,
    *,
    stage: str | None = None,
    community: int | EllipsisType | None = ...,
    relations: frozenset[str] = frozenset(),
) -> bool:
    return permits(info.context.actor, action, relations=relations, stage=stage, community=community)


# ---------------------------------------------------------------- the platform


@strawberry.type(description="What the viewer may do outside any one consultation: which pages and forms to offer.")
class PlatformViewerCan:
    @strawberry.field(description="Use the organizers' console (组织方工作台): organizers and admins.")
    def open_console(self, info: Info) -> bool:
        return _can(info, "consultation.create")

    @strawberry.field(description="Watch the supervision board (监督看板): CPPCC members, organizers and admins.")
    def open_board(self, info: Info) -> bool:
        return _can(info, "board.watch")

    @strawberry.field(
        description="Use the party workspace (参与方工作台, /party): party representatives; organizers as any party."
    )
    def open_party(self, info: Info) -> bool:
        return _can(info, "party.workspace")

    @strawberry.field(description="`createConsultation`.")
    def create_consultation(self, info: Info) -> bool:
        return _can(info, "consultation.create")

    @strawberry.field(
        description="`createArea`, `renameArea` and `setStaffAreas`: admins, within their own areas (设置辖区)."
    )
    def manage_areas(self, info: Info) -> bool:
        return _can(info, "areas.manage")

    @strawberry.field(description="`createParty`.")
    def create_party(self, info: Info) -> bool:
        return _can(info, "party.create")

    @strawberry.field(description="`createAccount`, for at least one role (see grantRoles).")
    def create_account(self, info: Info) -> bool:
        return _can(info, "account.create") or _can(info, "account.create_limited")

    @strawberry.field(
        description="The roles createAccount accepts from this viewer: every role for admins; organizers may not "
        "create admins or organizers. Empty for everyone else."
    )
    def grant_roles(self, info: Info) -> list[Role]:
        grantable = grantable_roles(info.context.actor)
        return [r for r in ROLES if r in grantable]

    @strawberry.field(
        description="Open the overview (协商成效, /overview) and its exports: admins, organizers and CPPCC members."
    )
    def open_overview(self, info: Info) -> bool:
        return _can(info, "overview.read")


# ---------------------------------------------------------------- a consultation


@strawberry.type(
    description="What the viewer may do to this consultation now. Each Boolean answers for the viewer's roles, "
    "their relationship to it (its convener; a household on its roll) and its stage, as the rule book has them."
)
class ConsultationViewerCan:
    m: strawberry.Private[models.Consultation]

    def _rel(self, info: Info) -> frozenset[str]:
        return relations_of(info.context.actor, self.m)

    @strawberry.field(description="`advanceStage` to a later stage; nextStages says which moves would succeed now.")
    def advance(self, info: Info) -> bool:
        return _can(
            info, "consultation.advance", stage=self.m.stage, community=self.m.community_id, relations=self._rel(info)
        )

    @strawberry.field(description="`advanceStage` to CANCELLED, with the reason as its note.")
    def cancel(self, info: Info) -> bool:
        return _can(
            info, "consultation.cancel", stage=self.m.stage, community=self.m.community_id, relations=self._rel(info)
        )

    @strawberry.field(description="`archiveConsultation`: seal the dossier, in EVALUATING.")
    def archive(self, info: Info) -> bool:
        return _can(
            info, "consultation.archive", stage=self.m.stage, community=self.m.community_id, relations=self._rel(info)
        )

    @strawberry.field(description="`addParty`.")
    def add_party(self, info: Info) -> bool:
        return _can(info, "consultation.add_party", stage=self.m.stage, community=self.m.community_id)

    async def _voice_rel(self, info: Info) -> frozenset[str]:
        """Relationships for speaking up: a resident with a slip speaks in that slip's consultation only."""
        actor = info.context.actor
        slip = None
        if slip_bound(actor) and actor.roll_entry_id is not None:
            entry = await info.context.loaders.roll_entry_by_id.load(actor.roll_entry_id)
            slip = entry.consultation_id if entry else None
        return relations_of(actor, self.m, slip_consultation_id=slip)

    @strawberry.field(description="`submitDemand` (提诉求单), in COLLECTING.")
    async def submit_demand(self, info: Info) -> bool:
        if not stage_allows("demand.submit", self.m.stage):
            return False
        return _can(
            info,
            "demand.submit",
            stage=self.m.stage,
            community=self.m.community_id,
            relations=await self._voice_rel(info),
        )

    @strawberry.field(description="`supportDemand` on this consultation's demands: residents, in COLLECTING.")
    async def support_demand(self, info: Info) -> bool:
        if not stage_allows("demand.support", self.m.stage):
            return False
        return _can(
            info,
            "demand.support",
            stage=self.m.stage,
            community=self.m.community_id,
            relations=await self._voice_rel(info),
        )

    @strawberry.field(description="`setDemandStatus` on this consultation's demands: accept, reject or merge them.")
    def triage_demands(self, info: Info) -> bool:
        return _can(info, "demand.set_status", stage=self.m.stage, community=self.m.community_id)

    @strawberry.field(description="`assignResponsibility` (列责任单).")
    def assign_responsibility(self, info: Info) -> bool:
        return _can(info, "responsibility.assign", stage=self.m.stage, community=self.m.community_id)

    @strawberry.field(description="`createProposal` (出方案单).")
    async def create_proposal(self, info: Info) -> bool:
        if not _can(info, "proposal.create", stage=self.m.stage, community=self.m.community_id):
            return False
        parties = await info.context.loaders.parties_by_consultation.load(self.m.id)
        relations = relations_of(info.context.actor, self.m, party_ids=[p.id for p in parties])
        return _can(info, "proposal.create", stage=self.m.stage, community=self.m.community_id, relations=relations)

    @strawberry.field(description="`createPoll`.")
    def create_poll(self, info: Info) -> bool:
        return _can(info, "poll.create", stage=self.m.stage, community=self.m.community_id)

    @strawberry.field(description="`setVoterRoll` (居民名册).")
    def set_voter_roll(self, info: Info) -> bool:
        return _can(info, "roll.set", stage=self.m.stage, community=self.m.community_id)

    @strawberry.field(description="`issueInvitations`: fresh invitation slips for the roll.")
    def issue_invitations(self, info: Info) -> bool:
        return _can(info, "invitations.issue", stage=self.m.stage, community=self.m.community_id)

    @strawberry.field(description="`requestReissue`: ask for a new slip for a household that signed in.")
    def request_reissue(self, info: Info) -> bool:
        return _can(info, "invitations.reissue_request", stage=self.m.stage, community=self.m.community_id)

    @strawberry.field(
        description="`approveReissue`: a CPPCC member (or an admin where there is none) approves another's request."
    )
    def approve_reissue(self, info: Info) -> bool:
        return _can(info, "invitations.reissue_approve", stage=self.m.stage, community=self.m.community_id)

    @strawberry.field(description="`addMilestone` (定时限单).")
    def add_milestone(self, info: Info) -> bool:
        return _can(info, "milestone.add", stage=self.m.stage, community=self.m.community_id)

    @strawberry.field(description="`recordInspection`: CPPCC members, while the works are supervised.")
    def record_inspection(self, info: Info) -> bool:
        return _can(info, "inspection.record", stage=self.m.stage, community=self.m.community_id)

    @strawberry.field(description="`recordFollowUp` (跟踪回访).")
    def record_follow_up(self, info: Info) -> bool:
        return _can(info, "followup.record", stage=self.m.stage, community=self.m.community_id)

    @strawberry.field(
        description="`rateOutcome`: a household on this consultation's roll, in EVALUATING. Rating again replaces "
        "the rating; evaluation.myRating says whether the viewer rated already."
    )
    async def rate(self, info: Info) -> bool:
        if not stage_allows("rating.add", self.m.stage) or not info.context.actor.authenticated:
            return False
        on_roll = await info.context.loaders.household_by_consultation.load(self.m.id) is not None
        return _can(
            info,
            "rating.add",
            stage=self.m.stage,
            community=self.m.community_id,
            relations=relations_of(info.context.actor, self.m, on_roll=on_roll),
        )


@strawberry.type(
    description="One stage the consultation could move to in one step, by the stage machine, and whether the "
    "viewer may move it there now: advanceStage to it succeeds exactly when `allowed` (with a note when "
    "`needsNote`), and otherwise answers with `reason`."
)
class NextStage:
    stage: Stage = strawberry.field(description="The stage to move to.")
    skips: list[Stage] = strawberry.field(
        description="The stages this move passes over (COLLECTING or VOTING); "
        "empty for the next stage and for CANCELLED."
    )
    allowed: bool = strawberry.field(description="Whether advanceStage to this stage would succeed now.")
    needs_note: bool = strawberry.field(
        description="Whether the move needs a note: cancelling needs its reason, "
        "or advanceStage answers INVALID on `note`."
    )
    reason: UserError | None = strawberry.field(
        description="Why the move is refused, as advanceStage would answer, in the request's language; "
        "null when allowed."
    )


async def next_stages(info: Info, consultation: models.Consultation) -> list[NextStage]:
    """Each one-step move, judged by the service's own refusals over facts read through loaders."""
    actor, current = info.context.actor, consultation.stage
    targets = stages.next_stages(current)
    refusals = {to: move_refusal(actor, consultation, to) for to in targets}
    needed = frozenset().union(*(facts_needed(current, to) for to in targets if refusals[to] is None))
    facts = await _move_facts(info, consultation, needed)
    out = []
    for to in targets:
        refusal = refusals[to] or guard_refusal(current, to, facts)
        out.append(
            NextStage(
                stage=to,
                skips=stages.skipped(current, to),
                allowed=refusal is None,
                needs_note=needs_note(to),
                reason=user_error(refusal, info.context.lang) if refusal else None,
            )
        )
    return out


async def _move_facts(info: Info, consultation: models.Consultation, needed: frozenset[str]) -> MoveFacts:
    """What the guards read, through the loaders; polls as their clocks have them now."""
    loaders, facts = info.context.loaders, MoveFacts()
    if "polls" in needed:
        polls = await loaders.polls_by_consultation.load(consultation.id)
        now = info.context.now()
        facts.has_poll = bool(polls)
        facts.unclosed_polls = [
            p.question for p in polls if effective_status(p, consultation.stage, now) != PollStatus.CLOSED
        ]
    if "agreement" in needed:
        proposals = await loaders.proposals_by_consultation.load(consultation.id)
        adopted = next((p for p in proposals if p.status == ProposalStatus.ADOPTED), None)
        facts.adopted = adopted is not None
        plan = await loaders.cost_plan_by_proposal.load(adopted.id) if adopted else None
        if plan is not None:
            waiting = [s for s in await loaders.cost_shares_by_plan.load(plan.id) if s.confirmed_at is None]
            parties = await loaders.party_by_id.load_many([s.party_id for s in waiting])
            facts.unconfirmed = [p.name for p in parties if p is not None]
    if "findings" in needed:
        findings = await loaders.findings_by_consultation.load(consultation.id)
        facts.unverified = [f.description for f in findings if f.status != FindingStatus.VERIFIED]
    return facts


# ---------------------------------------------------------------- things inside a consultation


@strawberry.type(description="What the viewer may do to this proposal now." + _STATE_NOTE)
class ProposalViewerCan:
    m: strawberry.Private[models.Proposal]
    stage: strawberry.Private[str]
    community: strawberry.Private[int | None]

    def _rel(self, info: Info) -> frozenset[str]:
        return relations_of(info.context.actor, self.m)

    @strawberry.field(description="`updateProposal`: edit, table or withdraw it (organizers and its author).")
    def update(self, info: Info) -> bool:
        return _can(info, "proposal.update", stage=self.stage, community=self.community, relations=self._rel(info))

    @strawberry.field(description="`adoptProposal` (organizers).")
    def adopt(self, info: Info) -> bool:
        return _can(info, "proposal.adopt", stage=self.stage, community=self.community)

    @strawberry.field(description="`updateProposal` to REJECTED: organizers only, as for adopting.")
    def reject(self, info: Info) -> bool:
        return _can(
            info, "proposal.update", stage=self.stage, community=self.community, relations=self._rel(info)
        ) and _can(info, "proposal.adopt", stage=self.stage, community=self.community)

    @strawberry.field(description="`setCostPlan` (organizers and its author).")
    def set_cost_plan(self, info: Info) -> bool:
        return _can(info, "costplan.set", stage=self.stage, community=self.community, relations=self._rel(info))


@strawberry.type(description="What the viewer may do with this poll now." + _STATE_NOTE)
class PollViewerCan:
    m: strawberry.Private[models.Poll]
    stage: strawberry.Private[str]
    community: strawberry.Private[int | None]

    @strawberry.field(description="`openPoll`, in VOTING.")
    def open(self, info: Info) -> bool:
        return _can(info, "poll.open", stage=self.stage, community=self.community)

    @strawberry.field(description="`closePoll`, in VOTING.")
    def close(self, info: Info) -> bool:
        return _can(info, "poll.close", stage=self.stage, community=self.community)

    @strawberry.field(
        description="`castVote`, as a household of the poll's electorate (before it opens: of the roll it will be "
        "taken from), in VOTING. viewerCanVote also weighs the poll's status and a ballot already cast."
    )
    async def vote(self, info: Info) -> bool:
        actor = info.context.actor
        if not stage_allows("ballot.cast", self.stage) or not actor.authenticated:
            return False
        loaders = info.context.loaders
        if self.m.status == PollStatus.SCHEDULED:
            in_electorate = await loaders.household_by_consultation.load(self.m.consultation_id) is not None
        else:
            in_electorate = await loaders.elector_by_poll_for_viewer.load(self.m.id) is not None
        relations = relations_of(actor, self.m, in_electorate=in_electorate)
        return _can(info, "ballot.cast", stage=self.stage, community=self.community, relations=relations)

    @strawberry.field(description="`recordOfflineBallot`: enter a paper or assisted (代投) ballot, in VOTING.")
    def record_paper_ballot(self, info: Info) -> bool:
        return _can(info, "ballot.offline", stage=self.stage, community=self.community)


@strawberry.type(description="What the viewer may do with this share now." + _STATE_NOTE)
class CostShareViewerCan:
    m: strawberry.Private[models.CostShare]
    stage: strawberry.Private[str]
    community: strawberry.Private[int | None]

    @strawberry.field(description="`confirmShare` (签协议): the party's rep, or an organizer on its behalf.")
    def confirm(self, info: Info) -> bool:
        return _can(
            info,
            "share.confirm",
            stage=self.stage,
            community=self.community,
            relations=relations_of(info.context.actor, self.m),
        )

    @strawberry.field(description="`recordContribution`: money received against the share (organizers).")
    def record_contribution(self, info: Info) -> bool:
        return _can(info, "contribution.record", stage=self.stage, community=self.community)


@strawberry.type(description="What the viewer may do with this milestone now." + _STATE_NOTE)
class MilestoneViewerCan:
    m: strawberry.Private[models.Milestone]
    stage: strawberry.Private[str]
    community: strawberry.Private[int | None]

    @strawberry.field(description="`updateMilestone`: organizers, or a rep of the party answering for it.")
    def update(self, info: Info) -> bool:
        return _can(
            info,
            "milestone.update",
            stage=self.stage,
            community=self.community,
            relations=relations_of(info.context.actor, self.m),
        )


@strawberry.type(description="What the viewer may do with this finding now." + _STATE_NOTE)
class FindingViewerCan:
    m: strawberry.Private[models.Finding]
    stage: strawberry.Private[str]
    community: strawberry.Private[int | None]

    @strawberry.field(
        description="`updateFinding` to RESOLVED: organizers, or a rep of the responsible party (OPEN or REOPENED)."
    )
    def resolve(self, info: Info) -> bool:
        return _can(
            info,
            "finding.resolve",
            stage=self.stage,
            community=self.community,
            relations=relations_of(info.context.actor, self.m),
        )

    @strawberry.field(description="`updateFinding` to VERIFIED or REOPENED: CPPCC members (a RESOLVED finding).")
    def verify(self, info: Info) -> bool:
        return _can(info, "finding.verify", stage=self.stage, community=self.community)

    @strawberry.field(
        description=(
            "`updateFinding` of a VERIFIED finding to REOPENED, with the reason: CPPCC members, during the works."
        )
    )
    def reopen(self, info: Info) -> bool:
        return self.m.status == "VERIFIED" and _can(info, "finding.verify", stage=self.stage, community=self.community)
