"""The stage machine of a consultation (七单会商).

DRAFT → COLLECTING → DELIBERATING → VOTING → AGREED → IMPLEMENTING → EVALUATING → ARCHIVED.
A consultation only moves forward. COLLECTING and VOTING may be skipped, no other stage.
CANCELLED is reachable from every stage before ARCHIVED.
"""

from __future__ import annotations

ORDER: tuple[str, ...] = (
    "DRAFT",
    "COLLECTING",
    "DELIBERATING",
    "VOTING",
    "AGREED",
    "IMPLEMENTING",
    "EVALUATING",
    "ARCHIVED",
)
SKIPPABLE = frozenset({"COLLECTING", "VOTING"})
CANCELLED = "CANCELLED"
FINAL = frozenset({"ARCHIVED", CANCELLED})
ALL_STAGES = frozenset(ORDER) | {CANCELLED}


def can_move(current: str, target: str) -> bool:
    """Whether `current` may move to `target` in one step."""
    if current in FINAL or current not in ALL_STAGES or target not in ALL_STAGES:
        return False
    if target == CANCELLED:
        return True
    i, j = ORDER.index(current), ORDER.index(target)
    if j <= i:
        return False
    return all(stage in SKIPPABLE for stage in ORDER[i + 1 : j])


def next_stages(current: str) -> list[str]:
    """Every stage reachable in one step, in order, CANCELLED last."""
    return [s for s in (*ORDER, CANCELLED) if can_move(current, s)]


def publishes(current: str, target: str) -> bool:
    """Whether this move makes a consultation public: leaving DRAFT for anything but CANCELLED.

    Past DRAFT everything is open to read; a DRAFT, and a DRAFT cancelled as such, stay
    with its organizers.
    """
    return current == "DRAFT" and target != CANCELLED


# Which writes each stage allows. Later issues add their own actions here.
WRITES_BY_STAGE: dict[str, frozenset[str]] = {
    "demand.submit": frozenset({"COLLECTING"}),
    "demand.support": frozenset({"COLLECTING"}),
    "demand.set_status": frozenset({"COLLECTING", "DELIBERATING"}),
    "responsibility.assign": frozenset({"DELIBERATING", "VOTING"}),
    "proposal.create": frozenset({"DELIBERATING", "VOTING"}),
    "proposal.update": frozenset({"DELIBERATING", "VOTING"}),
    "proposal.adopt": frozenset({"DELIBERATING", "VOTING"}),
    "costplan.set": frozenset({"DELIBERATING", "VOTING"}),
    "share.confirm": frozenset({"DELIBERATING", "VOTING"}),
    "contribution.record": frozenset({"DELIBERATING", "VOTING", "AGREED", "IMPLEMENTING", "EVALUATING"}),
    "poll.create": frozenset({"DELIBERATING", "VOTING"}),
    "poll.open": frozenset({"VOTING"}),
    "poll.close": frozenset({"VOTING"}),
    "ballot.offline": frozenset({"VOTING"}),
    "ballot.cast": frozenset({"VOTING"}),
    "milestone.add": frozenset({"AGREED", "IMPLEMENTING"}),
    "milestone.update": frozenset({"AGREED", "IMPLEMENTING"}),
    "inspection.record": frozenset({"AGREED", "IMPLEMENTING"}),
    "finding.update": frozenset({"AGREED", "IMPLEMENTING"}),
    "rating.add": frozenset({"EVALUATING"}),
    "followup.record": frozenset({"IMPLEMENTING", "EVALUATING"}),
    "party.add": frozenset(ORDER) - FINAL,
    "roll.set": frozenset(ORDER) - FINAL,
    "invitations.issue": frozenset(ORDER) - FINAL,
}


def allows(stage: str, action: str) -> bool:
    return stage in WRITES_BY_STAGE[action]
