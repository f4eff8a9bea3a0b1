"""Who may do what, and when: the one rule book.

Every action has one rule. It grants the action to accounts holding any of its roles, or
standing in any of its relationships to the subject (the convener of a consultation, the
author of a proposal, the rep of a share's party...), and only in the stages of the
consultation it lists. `relations_of` works out the relationships; services refuse through
`gate` and `permit`, and the API's `viewerCan` fields ask `permits` the same question, so a
page never offers what the server would refuse for who the viewer is or where the
consultation stands.

What a rule does not cover is the state of the thing itself (a poll already closed, a
proposal withdrawn): the services check that, and the pages read it from the data.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import EllipsisType

from consult.domain import stages
from consult.domain.vocabulary import DemandChannel, Role, Stage
from consult.errors import DomainError, Forbidden, Unauthenticated, WrongStage
from consult.models import Account, Consultation, CostShare, Finding, Milestone, Poll, Proposal, VoterRollEntry

ADMIN = Role.ADMIN
ORGANIZER = Role.ORGANIZER
CPPCC_MEMBER = Role.CPPCC_MEMBER
PARTY_REP = Role.PARTY_REP
RESIDENT = Role.RESIDENT
ROLES = tuple(Role)

STAFF = frozenset({ADMIN, ORGANIZER})
# The roles whose grants on one consultation stop at the edge of the account's areas. Party
# reps speak for their party wherever it takes part, and residents hold their own slips:
# neither has areas. (consult.services.areas.SCOPED_ROLES is the same set.)
SCOPED_ROLES = frozenset({ADMIN, ORGANIZER, CPPCC_MEMBER})
# What a caller passes as `community` when the action is about no one consultation.
Community = int | None | EllipsisType


class Relation(StrEnum):
    """How an account stands to one subject, as opposed to what it is everywhere (its roles)."""

    SELF = "self"  # the account itself, or the roll entry bound to it
    CONVENER = "convener"  # the CPPCC member named to convene the consultation
    AUTHOR = "author"  # who put the proposal forward
    PARTY_REP = "party_rep"  # a rep of the party whose share it is
    RESPONSIBLE_REP = "responsible_rep"  # a rep of the party answering for the milestone or finding
    HOUSEHOLD = "household"  # the account's household is on the consultation's active roll
    ELECTOR = "elector"  # in the poll's electorate (before it opens: on the roll it will be taken from)
    # A resident who came in with an invitation slip for another consultation: they speak only
    # in their slip's consultation. A relationship that bars, where the others grant.
    ANOTHER_SLIP = "another_slip"
    # A party rep whose party takes no part in the consultation: they speak for their party
    # only where it sits at the table. Bars, like ANOTHER_SLIP.
    OUTSIDE_PARTY = "outside_party"
    # A resident who signed in with a password, not a slip, and whose household is not on the
    # consultation's roll: residents speak where they live, and no organizer's account-making
    # reaches past its own communities. Bars, like ANOTHER_SLIP.
    OFF_ROLL = "off_roll"


DELIBERATION = frozenset({Stage.DELIBERATING, Stage.VOTING})
WORKS = frozenset({Stage.AGREED, Stage.IMPLEMENTING})


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    relations: frozenset[Relation] = frozenset()
    # The stages the action is allowed in; None for what is not a write to one consultation.
    stages: frozenset[Stage] | None = None
    # What someone outside the roles and relations is told. A rule about eligibility (on the
    # roll, in the electorate) says NOT_ELIGIBLE and asks the stage first: a household hears
    # "not now" before "not you". Every other rule says FORBIDDEN, before the stage.
    refusal: tuple[str, str] = ("FORBIDDEN", "forbidden")
    # One message for every stage outside `stages`, final ones included, instead of the
    # generic wrong_stage / read_only.
    wrong_stage_key: str | None = None
    # Relationships that refuse the action even to a role that has it.
    barred: frozenset[Relation] = frozenset()
    # Whether staff roles grant it only in the communities their areas reach: every rule about
    # one consultation (a write with `stages`, or a private read of one). Relationships grant
    # wherever the consultation is: a convener named for it acts on it in any community.
    scoped: bool = False
    why: str = ""

    @property
    def eligibility(self) -> bool:
        return self.refusal[0] != "FORBIDDEN"


def _rule(
    roles: set[Role] | frozenset[Role],
    relations: set[Relation] | None = None,
    stages: frozenset[Stage] | set[Stage] | None = None,
    why: str = "",
    **extra,
) -> Rule:
    extra.setdefault("scoped", stages is not None)
    return Rule(
        frozenset(roles),
        frozenset(relations or ()),
        frozenset(stages) if stages is not None else None,
        why=why,
        **extra,
    )


RULES: dict[str, Rule] = {
    # people and parties
    "party.create": _rule(STAFF, why="organizers keep the list of parties"),
    "party.read_contact": _rule(STAFF, why="contacts are personal data"),
    "party.read_representatives": _rule(
        {ADMIN, ORGANIZER, CPPCC_MEMBER},
        why="who speaks for a party is for the staff and supervisors who name them to follow up a finding (定人员)",
    ),
    "account.create": _rule({ADMIN}, why="admins create accounts of any role"),
    "account.create_limited": _rule(
        {ORGANIZER},
        why="organizers create party-rep and resident accounts; a supervisor's role comes from an admin",
    ),
    "account.change_password": _rule(
        set(ROLES), why="whoever signs in with a password may change it, and then only they know it"
    ),
    "areas.manage": _rule(
        {ADMIN},
        why="admins add streets and communities and say where staff act, each admin within their own areas",
    ),
    "installation.read_trail": _rule({ADMIN}, why="who made which account is for the installation's admins"),
    "account.read_private": _rule(
        STAFF,
        {Relation.SELF},
        scoped=True,
        why="a resident's name is the household label: staff see it in the communities their areas reach",
    ),
    "account.read_areas": _rule(STAFF, {Relation.SELF}, why="where a staff account acts is for staff and itself"),
    "party.workspace": _rule(
        {ADMIN, ORGANIZER, PARTY_REP},
        why="a party's representative sees what their party owes and must do; organizers may look as any party",
    ),
    "photo.upload": _rule(
        set(ROLES),
        why="anyone signed in may upload a photo; no one else sees it until it goes with something they may do",
    ),
    "board.watch": _rule(
        {ADMIN, ORGANIZER, CPPCC_MEMBER}, why="the supervision board is for the supervisors and the organizers"
    ),
    # consultations
    "consultation.create": _rule(STAFF, why="organizers and admins run consultations"),
    "consultation.read_draft": _rule(STAFF, {Relation.CONVENER}, scoped=True, why="a DRAFT is for its organizers only"),
    "consultation.advance": _rule(
        STAFF, {Relation.CONVENER}, stages.OPEN, why="the convening CPPCC member may move stages on"
    ),
    "consultation.cancel": _rule(STAFF, {Relation.CONVENER}, stages.OPEN, why="whoever moves stages on may stop"),
    "consultation.add_party": _rule(STAFF, stages=stages.OPEN),
    "consultation.set_help_phone": _rule(
        STAFF, {Relation.CONVENER}, stages.OPEN, why="the number printed on the slips is the office's to give"
    ),
    "consultation.add_photos": _rule(
        STAFF, {Relation.CONVENER}, stages.OPEN, why="photos of the place (现场照片), from the draft on"
    ),
    "consultation.archive": _rule(
        STAFF, {Relation.CONVENER}, {Stage.EVALUATING}, wrong_stage_key="archive_from_evaluating"
    ),
    # demands (提诉求单)
    "demand.submit": _rule(
        {ADMIN, ORGANIZER, CPPCC_MEMBER, RESIDENT},
        stages={Stage.COLLECTING},
        barred=frozenset({Relation.ANOTHER_SLIP, Relation.OFF_ROLL}),
        why="a resident's slip admits them to its own consultation only",
    ),
    "demand.support": _rule(
        {RESIDENT},
        stages={Stage.COLLECTING},
        barred=frozenset({Relation.ANOTHER_SLIP, Relation.OFF_ROLL}),
        why="support is the residents' voice, each in their own consultation",
    ),
    "demand.set_status": _rule(STAFF, stages={Stage.COLLECTING, Stage.DELIBERATING}),
    "demand.read_submitter": _rule(STAFF, scoped=True, why="who raised a demand is personal data"),
    # responsibilities and proposals (列责任单, 出方案单)
    "responsibility.assign": _rule(STAFF, stages=DELIBERATION),
    "proposal.create": _rule(
        {ADMIN, ORGANIZER, CPPCC_MEMBER, PARTY_REP},
        stages=DELIBERATION,
        barred=frozenset({Relation.OUTSIDE_PARTY}),
        why="a party rep puts plans forward only where their party takes part",
    ),
    "proposal.update": _rule(STAFF, {Relation.AUTHOR}, DELIBERATION),
    "proposal.adopt": _rule(STAFF, stages=DELIBERATION, why="adopting (or rejecting) stays an explicit organizer act"),
    # cost sharing (出资分担, 签协议)
    "costplan.set": _rule(
        STAFF, {Relation.AUTHOR}, DELIBERATION, why="organizers, or the proposal's author, draft the split"
    ),
    "share.confirm": _rule(
        STAFF,
        {Relation.PARTY_REP},
        DELIBERATION,
        why="a party signs through its rep; organizers may sign on its behalf",
    ),
    "contribution.record": _rule(
        STAFF,
        stages={Stage.DELIBERATING, Stage.VOTING, Stage.AGREED, Stage.IMPLEMENTING, Stage.EVALUATING},
        why="organizers record money as it arrives",
    ),
    # voting (居民表决)
    "poll.create": _rule(STAFF, stages=DELIBERATION),
    "poll.open": _rule(STAFF, stages={Stage.VOTING}, why="organizers open polls"),
    "poll.close": _rule(STAFF, stages={Stage.VOTING}, why="organizers close polls"),
    "ballot.cast": _rule(
        set(),
        {Relation.ELECTOR},
        {Stage.VOTING},
        why="one ballot per household of the electorate",
        refusal=("NOT_ELIGIBLE", "not_eligible"),
    ),
    "ballot.offline": _rule(
        STAFF, stages={Stage.VOTING}, why="paper and assisted (代投) ballots are entered by organizers"
    ),
    "ballots.read_named": _rule(
        {ADMIN, ORGANIZER, CPPCC_MEMBER}, scoped=True, why="named polls list their voters for supervision"
    ),
    "tally.read_hidden": _rule(
        {ADMIN}, scoped=True, why="hidden results stay hidden, organizers included, until the close"
    ),
    # supervision (定时限单, 五定闭环)
    "milestone.add": _rule(STAFF, stages=WORKS),
    "milestone.update": _rule(
        STAFF, {Relation.RESPONSIBLE_REP}, WORKS, why="the responsible party reports its own progress"
    ),
    "inspection.record": _rule({CPPCC_MEMBER}, stages=WORKS, why="CPPCC members supervise the works"),
    "finding.resolve": _rule(STAFF, {Relation.RESPONSIBLE_REP}, WORKS, why="the responsible party fixes and reports"),
    "finding.verify": _rule({CPPCC_MEMBER}, stages=WORKS, why="the supervisor checks the fix, or sends it back"),
    # evaluation and archive (给反馈单, 存入档案单)
    "rating.add": _rule(
        set(),
        {Relation.HOUSEHOLD},
        {Stage.EVALUATING},
        why="百姓说了算: the households on the roll judge the outcome",
        refusal=("NOT_ELIGIBLE", "not_on_roll"),
    ),
    "followup.record": _rule({ADMIN, ORGANIZER, CPPCC_MEMBER}, stages={Stage.IMPLEMENTING, Stage.EVALUATING}),
    # voter roll and invitations
    "roll.set": _rule(STAFF, stages=stages.OPEN),
    "roll.read": _rule(
        STAFF, {Relation.SELF}, scoped=True, why="organizers see the whole roll, a resident only their own entry"
    ),
    "invitations.issue": _rule(STAFF, stages=stages.OPEN),
    "invitations.reissue_request": _rule(
        STAFF, stages=stages.OPEN, why="a household that signed in gets a new slip only through a second person"
    ),
    "invitations.reissue_approve": _rule(
        {CPPCC_MEMBER, ADMIN},
        stages=stages.OPEN,
        why="a CPPCC member approves a new slip (an admin, where no CPPCC member acts in the community)",
    ),
    # overview
    "overview.read": _rule(
        {ADMIN, ORGANIZER, CPPCC_MEMBER},
        why="协商成效: district staff and CPPCC members follow the communities their areas reach",
    ),
    # reminders
    "notice.read": _rule(
        {ADMIN, ORGANIZER, CPPCC_MEMBER, PARTY_REP}, why="staff and reps are reminded of the deadlines they keep"
    ),
    "account.email_own": _rule(
        {ADMIN, ORGANIZER, CPPCC_MEMBER, PARTY_REP}, why="whoever is reminded says where reminders go by email"
    ),
    "account.email_rep": _rule(STAFF, why="organizers keep the reps' contacts, and see the addresses"),
    "delivery.read": _rule({ADMIN}, why="admins check that reminders went out by email and webhook"),
}

# The channels each role may submit a demand through. Organizers enter what came in by
# hotline, grid workers and couriers; residents and CPPCC members speak for themselves.
DEMAND_CHANNELS: dict[str, frozenset[DemandChannel]] = {
    ADMIN: frozenset(DemandChannel),
    ORGANIZER: frozenset(
        {DemandChannel.GRID_WORKER, DemandChannel.COURIER, DemandChannel.HOTLINE, DemandChannel.OTHER}
    ),
    CPPCC_MEMBER: frozenset({DemandChannel.CPPCC_MEMBER}),
    RESIDENT: frozenset({DemandChannel.RESIDENT}),
}
DEFAULT_CHANNEL = {
    ADMIN: DemandChannel.OTHER,
    ORGANIZER: DemandChannel.HOTLINE,
    CPPCC_MEMBER: DemandChannel.CPPCC_MEMBER,
    RESIDENT: DemandChannel.RESIDENT,
}


@dataclass(frozen=True)
class Actor:
    """Who is asking. Anonymous when account_id is None."""

    account_id: int | None = None
    roles: frozenset[str] = frozenset()
    party_id: int | None = None
    session_id: int | None = None
    roll_entry_id: int | None = None
    display_name: str = ""
    # Signed in with a slip reissued after approval: the trail marks what this session casts.
    reissued: bool = False
    # Signed in with a slip redeemed before: when that first was (Session.slip_used_at).
    slip_used_at: datetime | None = None
    # The communities the account's staff areas reach (consult.services.areas.reach_of):
    # None for the whole installation. Only staff roles are bound by it.
    scope: frozenset[int] | None = None

    @property
    def authenticated(self) -> bool:
        return self.account_id is not None

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


ANONYMOUS = Actor()

Subject = Account | Consultation | CostShare | Finding | Milestone | Poll | Proposal | VoterRollEntry


def slip_bound(actor: Actor) -> bool:
    """Whether the actor is a resident who came in with an invitation slip, and nothing more."""
    return actor.roll_entry_id is not None and not actor.roles - {RESIDENT}


def relations_of(
    actor: Actor,
    subject: Subject,
    *,
    on_roll: bool = False,
    in_electorate: bool = False,
    slip_consultation_id: int | None = None,
    party_ids: Collection[int] | None = None,
) -> frozenset[Relation]:
    """The relationships `actor` stands in to `subject`, one of the platform's rows.

    Some relationships need rows beyond the subject, which the caller reads its own way (a
    service under its lock, the API through its loaders) and passes in: `on_roll`, whether
    the actor's household has an active entry on the consultation's roll; `in_electorate`,
    whether the actor is in the poll's electorate; `slip_consultation_id`, the consultation
    of the slip a slip-bound resident came in with; `party_ids`, the parties taking part in
    the consultation (needed to tell a party rep from outside it).
    """
    if actor.account_id is None:
        return frozenset()
    me = actor.account_id
    rep = actor.has(PARTY_REP) and actor.party_id is not None
    out: set[Relation] = set()
    if isinstance(subject, Consultation):
        if subject.convener_id == me:
            out.add(Relation.CONVENER)
        if on_roll:
            out.add(Relation.HOUSEHOLD)
        if slip_bound(actor) and slip_consultation_id != subject.id:
            out.add(Relation.ANOTHER_SLIP)
        if actor.roles == {RESIDENT} and actor.roll_entry_id is None and not on_roll:
            out.add(Relation.OFF_ROLL)
        if rep and party_ids is not None and actor.party_id not in party_ids:
            out.add(Relation.OUTSIDE_PARTY)
    elif isinstance(subject, Proposal):
        if subject.author_id == me:
            out.add(Relation.AUTHOR)
    elif isinstance(subject, CostShare):
        if rep and subject.party_id == actor.party_id:
            out.add(Relation.PARTY_REP)
    elif isinstance(subject, Milestone | Finding):
        if rep and subject.responsible_party_id == actor.party_id:
            out.add(Relation.RESPONSIBLE_REP)
    elif isinstance(subject, Poll):
        if in_electorate:
            out.add(Relation.ELECTOR)
    elif isinstance(subject, VoterRollEntry):
        if subject.account_id == me:
            out.add(Relation.SELF)
    elif isinstance(subject, Account) and subject.id == me:
        out.add(Relation.SELF)
    return frozenset(out)


def in_reach(actor: Actor, community_id: int | None) -> bool:
    """Whether the actor's areas take in the community (no areas bound: the whole district)."""
    return actor.scope is None or (community_id is not None and community_id in actor.scope)


def _bound(action: str, rule: Rule, community: Community) -> bool:
    """Whether the rule's staff grants are bound to a community here; a scoped rule asked
    without the consultation's community is a bug at the call site, not a grant."""
    if not rule.scoped:
        return False
    if community is ...:
        raise ValueError(f"{action} is bound to a community: pass the consultation's community_id")
    return True


def allowed(
    actor: Actor, action: str, relations: frozenset[str] | set[str] = frozenset(), *, community: Community = ...
) -> bool:
    """Whether the actor's roles, or its relationships to the subject, grant the action.

    For a scoped rule, `community` is the consultation's community: staff roles grant only
    where the actor's areas reach it, relationships wherever it is.
    """
    rule = RULES[action]
    bound = _bound(action, rule, community)
    if not actor.authenticated or rule.barred & set(relations):
        return False
    if rule.relations & set(relations):
        return True
    held = actor.roles & rule.roles
    if bound and not in_reach(actor, community if isinstance(community, int) else None):
        held -= SCOPED_ROLES
    return bool(held)


def reach_for(actor: Actor, action: str) -> frozenset[int] | None:
    """The communities where the actor's roles grant a scoped action, for lists of many
    consultations: None for every community, empty where no role grants it. Relationships
    (a convener's consultation) are for the caller to add."""
    rule = RULES[action]
    held = actor.roles & rule.roles if actor.authenticated else frozenset()
    if not held:
        return frozenset()
    if held - SCOPED_ROLES or not rule.scoped or actor.scope is None:
        return None
    return actor.scope


def stage_allows(action: str, stage: str | None) -> bool:
    """Whether the action may happen while the consultation is at `stage`."""
    allowed_stages = RULES[action].stages
    return allowed_stages is None or stage in allowed_stages


def permits(
    actor: Actor,
    action: str,
    *,
    relations: frozenset[str] | set[str] = frozenset(),
    stage: str | None = None,
    community: Community = ...,
) -> bool:
    """Whether `permit` would let the actor through: the question the pages' viewerCan fields ask."""
    return allowed(actor, action, relations, community=community) and stage_allows(action, stage)


def _refused(rule: Rule, field: str | None) -> DomainError:
    code, key = rule.refusal
    return Forbidden(field) if code == "FORBIDDEN" else DomainError(code, key, field)


def _wrong_stage(rule: Rule, stage: str | None, field: str | None) -> DomainError:
    if rule.wrong_stage_key:
        return WrongStage(rule.wrong_stage_key, field)
    return WrongStage("read_only" if stage in stages.FINAL else "wrong_stage", field, stage=stage)


def authenticate(actor: Actor) -> None:
    """UNAUTHENTICATED for anonymous callers: for a service that learns its action from its input."""
    if not actor.authenticated:
        raise Unauthenticated()


def gate(actor: Actor, action: str, field: str | None = None) -> None:
    """The check before anything is read: UNAUTHENTICATED for anonymous callers, and the
    rule's refusal for those no role grants it to when no relationship could either."""
    if not actor.authenticated:
        raise Unauthenticated()
    rule = RULES[action]
    if not rule.relations and not actor.roles & rule.roles:
        raise _refused(rule, field)


def permit(
    actor: Actor,
    action: str,
    *,
    relations: frozenset[str] | set[str] = frozenset(),
    stage: str | None = None,
    community: Community = ...,
    field: str | None = None,
    stage_field: str | None = None,
) -> None:
    """Refuse unless the rule grants the action to this actor, on this subject, at this stage,
    in this community (the consultation's, for a scoped rule: ValueError when left out).

    UNAUTHENTICATED for anonymous callers; then FORBIDDEN (on `field`) before WRONG_STAGE
    (on `stage_field`), or for eligibility rules WRONG_STAGE before NOT_ELIGIBLE. Staff outside
    their areas are FORBIDDEN like anyone the rule does not name.
    """
    if not actor.authenticated:
        raise Unauthenticated()
    rule = RULES[action]
    if rule.stages is not None and stage is None:
        raise ValueError(f"{action} is allowed by stage: pass the consultation's stage")
    who_ok = allowed(actor, action, relations, community=community)
    when_ok = stage_allows(action, stage)
    if rule.eligibility and not when_ok:
        raise _wrong_stage(rule, stage, stage_field)
    if not who_ok:
        raise _refused(rule, field)
    if not when_ok:
        raise _wrong_stage(rule, stage, stage_field)


def can_see_roll_entry(actor: Actor, entry: VoterRollEntry, community_id: int | None) -> bool:
    """Organizers see the whole roll of the communities they reach; a resident sees only the
    entry bound to their account. `community_id` is the entry's consultation's."""
    return allowed(actor, "roll.read", relations_of(actor, entry), community=community_id)


# The roles an organizer may give new accounts; admins may give every role. Not CPPCC_MEMBER:
# an organizer who could make supervisors could verify their own findings through them.
LIMITED_GRANTS = frozenset({PARTY_REP, RESIDENT})


def grantable_roles(actor: Actor) -> frozenset[Role]:
    """The roles createAccount accepts from this actor."""
    if allowed(actor, "account.create"):
        return frozenset(ROLES)
    if allowed(actor, "account.create_limited"):
        return LIMITED_GRANTS
    return frozenset()


def demand_channels(actor: Actor) -> frozenset[DemandChannel]:
    out: set[DemandChannel] = set()
    for role in actor.roles:
        out |= DEMAND_CHANNELS.get(role, frozenset())
    return frozenset(out)


def default_channel(actor: Actor) -> DemandChannel | None:
    for role in (RESIDENT, CPPCC_MEMBER, ORGANIZER, ADMIN):
        if role in actor.roles:
            return DEFAULT_CHANNEL[role]
    return None
