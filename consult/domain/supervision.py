"""Statuses of supervision that are computed, never set: milestones and findings against the clock."""

from __future__ import annotations

from datetime import datetime

FINDING_MOVES = {
    # who may make each move is the policy table's business; here only which moves exist
    "OPEN": {"RESOLVED"},
    "REOPENED": {"RESOLVED"},
    "RESOLVED": {"VERIFIED", "REOPENED"},
    "VERIFIED": set(),
}
CLOSED_FINDING = frozenset({"RESOLVED", "VERIFIED"})


def milestone_status(*, progress: int, planned_end: datetime, actual_start: datetime | None, now: datetime) -> str:
    """DONE at 100; OVERDUE past the planned end; IN_PROGRESS once started or with progress; else PLANNED.

    "Started" means the actual start has been reached: a start reported ahead of time does not count yet.
    """
    if progress >= 100:
        return "DONE"
    if planned_end < now:
        return "OVERDUE"
    if (actual_start is not None and actual_start <= now) or progress > 0:
        return "IN_PROGRESS"
    return "PLANNED"


def finding_overdue(*, status: str, due_at: datetime, now: datetime) -> bool:
    return status not in CLOSED_FINDING and due_at < now
