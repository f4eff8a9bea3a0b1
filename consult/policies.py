"""Who may do what: one table of (action → roles, relationships).

A rule grants an action to accounts holding any of its roles, or standing in any of its
relationships to the subject (the service works out which relationships hold: for example
"convener" when the actor convenes the consultation, "author" for a proposal's author).
"""

from __future__ import annotations

from dataclasses import dataclass

from consult.errors import Forbidden, Unauthenticated

ADMIN = "ADMIN"
ORGANIZER = "ORGANIZER"
CPPCC_MEMBER = "CPPCC_MEMBER"
PARTY_REP = "PARTY_REP"
RESIDENT = "RESIDENT"
ROLES = (ADMIN, ORGANIZER, CPPCC_MEMBER, PARTY_REP, RESIDENT)

STAFF = frozenset({ADMIN, ORGANIZER})


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    relations: frozenset[str] = frozenset()
    why: str = ""


def _rule(roles: set[str], relations: set[str] | None = None, why: str = "") -> Rule:
    return Rule(frozenset(roles), frozenset(relations or ()), why)


POLICY: dict[str, Rule] = {
    # people and parties
    "party.create": _rule(STAFF, why="organizers keep the list of parties"),
    "party.read_contact": _rule(STAFF, why="contacts are personal data"),
    "account.create": _rule({ADMIN}, why="admins create accounts of any role"),
    "account.create_limited": _rule({ORGANIZER}, why="organizers create CPPCC, party-rep and resident accounts"),
    "account.read_private": _rule(STAFF, {"self"}, why="a resident's name is the household label"),
    # consultations
    "consultation.create": _rule(STAFF, why="organizers and admins run consultations"),
    "consultation.read_draft": _rule(STAFF, {"convener"}, why="a DRAFT is for its organizers only"),
    "consultation.advance": _rule(STAFF, {"convener"}, why="the convening CPPCC member may move stages on"),
    "consultation.add_party": _rule(STAFF),
    # demands (提诉求单)
    "demand.submit": _rule({ADMIN, ORGANIZER, CPPCC_MEMBER, RESIDENT}),
    "demand.support": _rule({RESIDENT}, why="support is the residents' voice"),
    "demand.set_status": _rule(STAFF),
    "demand.read_submitter": _rule(STAFF, why="who raised a demand is personal data"),
    # responsibilities and proposals (列责任单, 出方案单)
    "responsibility.assign": _rule(STAFF),
    "proposal.create": _rule({ADMIN, ORGANIZER, CPPCC_MEMBER, PARTY_REP}),
    "proposal.update": _rule(STAFF, {"author"}),
    "proposal.adopt": _rule(STAFF, why="adopting stays an explicit organizer act"),
    # cost sharing (出资分担, 签协议)
    "costplan.set": _rule(STAFF, {"author"}, why="organizers, or the proposal's author, draft the split"),
    "share.confirm": _rule(
        STAFF, {"party_rep"}, why="a party signs through its rep; organizers may sign on its behalf"
    ),
    "contribution.record": _rule(STAFF, why="organizers record money as it arrives"),
    # voting (居民表决)
    "poll.create": _rule(STAFF),
    "poll.manage": _rule(STAFF, why="organizers open and close polls"),
    "ballot.offline": _rule(STAFF, why="paper and assisted (代投) ballots are entered by organizers"),
    "ballots.read_named": _rule({ADMIN, ORGANIZER, CPPCC_MEMBER}, why="named polls list their voters for supervision"),
    "tally.read_hidden": _rule({ADMIN}, why="hidden results stay hidden, organizers included, until the close"),
    # supervision (定时限单, 五定闭环)
    "milestone.add": _rule(STAFF),
    "milestone.update": _rule(STAFF, {"responsible_rep"}, why="the responsible party reports its own progress"),
    "inspection.record": _rule({CPPCC_MEMBER}, why="CPPCC members supervise the works"),
    "finding.resolve": _rule(STAFF, {"responsible_rep"}, why="the responsible party fixes and reports"),
    "finding.verify": _rule({CPPCC_MEMBER}, why="the supervisor checks the fix, or sends it back"),
    # evaluation and archive (给反馈单, 存入档案单)
    "followup.record": _rule({ADMIN, ORGANIZER, CPPCC_MEMBER}),
    "consultation.archive": _rule(STAFF, {"convener"}),
    # voter roll and invitations
    "roll.set": _rule(STAFF),
    "roll.read_all": _rule(STAFF),
    "invitations.issue": _rule(STAFF),
}

# The channels each role may submit a demand through. Organizers enter what came in by
# hotline, grid workers and couriers; residents and CPPCC members speak for themselves.
DEMAND_CHANNELS: dict[str, frozenset[str]] = {
    ADMIN: frozenset({"RESIDENT", "GRID_WORKER", "COURIER", "HOTLINE", "CPPCC_MEMBER", "OTHER"}),
    ORGANIZER: frozenset({"GRID_WORKER", "COURIER", "HOTLINE", "OTHER"}),
    CPPCC_MEMBER: frozenset({"CPPCC_MEMBER"}),
    RESIDENT: frozenset({"RESIDENT"}),
}
DEFAULT_CHANNEL = {ADMIN: "OTHER", ORGANIZER: "HOTLINE", CPPCC_MEMBER: "CPPCC_MEMBER", RESIDENT: "RESIDENT"}


@dataclass(frozen=True)
class Actor:
    """Who is asking. Anonymous when account_id is None."""

    account_id: int | None = None
    roles: frozenset[str] = frozenset()
    party_id: int | None = None
    session_id: int | None = None
    roll_entry_id: int | None = None
    display_name: str = ""

    @property
    def authenticated(self) -> bool:
        return self.account_id is not None

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


ANONYMOUS = Actor()


def allowed(actor: Actor, action: str, relations: frozenset[str] | set[str] = frozenset()) -> bool:
    rule = POLICY[action]
    if not actor.authenticated:
        return False
    return bool(actor.roles & rule.roles) or bool(rule.relations & set(relations))


def require(
    actor: Actor, action: str, relations: frozenset[str] | set[str] = frozenset(), field: str | None = None
) -> None:
    """Raise UNAUTHENTICATED for anonymous callers and FORBIDDEN for the rest."""
    if not actor.authenticated:
        raise Unauthenticated()
    if not allowed(actor, action, relations):
        raise Forbidden(field)


def can_see_roll_entry(actor: Actor, entry_account_id: int | None) -> bool:
    """Organizers see the whole roll; a resident sees only the entry bound to their account."""
    if allowed(actor, "roll.read_all"):
        return True
    return actor.account_id is not None and entry_account_id == actor.account_id


def demand_channels(actor: Actor) -> frozenset[str]:
    out: set[str] = set()
    for role in actor.roles:
        out |= DEMAND_CHANNELS.get(role, frozenset())
    return frozenset(out)


def default_channel(actor: Actor) -> str | None:
    for role in (RESIDENT, CPPCC_MEMBER, ORGANIZER, ADMIN):
        if role in actor.roles:
            return DEFAULT_CHANNEL[role]
    return None
