"""Statuses of supervision that are computed, never set: milestones and findings against the clock."""

from __future__ import annotations

from datetime import datetime

from consult.domain.vocabulary import FindingStatus, MilestoneStatus

FINDING_MOVES = {
    # who may make each move is the policy table's business; here only which moves exist
    FindingStatus.OPEN: {FindingStatus.RESOLVED},
    FindingStatus.REOPENED: {FindingStatus.RESOLVED},
    FindingStatus.RESOLVED: {FindingStatus.VERIFIED, FindingStatus.REOPENED},
    # A verified fix that did not hold: the CPPCC member opens the loop again, saying why.
    FindingStatus.VERIFIED: {FindingStatus.REOPENED},
}
CLOSED_FINDING = frozenset({FindingStatus.RESOLVED, FindingStatus.VERIFIED})


def milestone_status(
    *, progress: int, planned_end: datetime, actual_start: datetime | None, now: datetime
) -> MilestoneStatus:
    """DONE at 100; OVERDUE past the planned end; IN_PROGRESS once started or with progress; else PLANNED.

    "Started" means the actual start has been reached: a start reported ahead of time does not count yet.
    """
    if progress >= 100:
        return MilestoneStatus.DONE
    if planned_end < now:
        return MilestoneStatus.OVERDUE
    if (actual_start is not None and actual_start <= now) or progress > 0:
        return MilestoneStatus.IN_PROGRESS
    return MilestoneStatus.PLANNED


def finding_overdue(*, status: str, due_at: datetime, now: datetime) -> bool:
    return status not in CLOSED_FINDING and due_at < now
