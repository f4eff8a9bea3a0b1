"""The stage machine of a consultation (七单会商).

DRAFT → COLLECTING → DELIBERATING → VOTING → AGREED → IMPLEMENTING → EVALUATING → ARCHIVED.
A consultation only moves forward. COLLECTING and VOTING may be skipped, no other stage.
CANCELLED is reachable from every stage before ARCHIVED.

Which actions each stage allows is not here: it is part of each action's rule in the rule
book (`consult.policies`), beside who may take it.
"""

from __future__ import annotations

from consult.domain.vocabulary import Stage

ORDER: tuple[Stage, ...] = (
    Stage.DRAFT,
    Stage.COLLECTING,
    Stage.DELIBERATING,
    Stage.VOTING,
    Stage.AGREED,
    Stage.IMPLEMENTING,
    Stage.EVALUATING,
    Stage.ARCHIVED,
)
SKIPPABLE = frozenset({Stage.COLLECTING, Stage.VOTING})
CANCELLED = Stage.CANCELLED
FINAL = frozenset({Stage.ARCHIVED, Stage.CANCELLED})
ALL_STAGES = frozenset(ORDER) | {CANCELLED}
# The stages in which a consultation can still change: all but the final two.
OPEN = frozenset(ORDER) - FINAL


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


def next_stages(current: str) -> list[Stage]:
    """Every stage reachable in one step, in order, CANCELLED last."""
    return [s for s in (*ORDER, CANCELLED) if can_move(current, s)]


def skipped(current: str, target: str) -> list[Stage]:
    """The stages a one-step move from `current` to `target` passes over (none for CANCELLED)."""
    if target == CANCELLED or not can_move(current, target):
        return []
    return list(ORDER[ORDER.index(current) + 1 : ORDER.index(target)])


def publishes(current: str, target: str) -> bool:
    """Whether this move makes a consultation public: leaving DRAFT for anything but CANCELLED.

    Past DRAFT everything is open to read; a DRAFT, and a DRAFT cancelled as such, stay
    with its organizers.
    """
    return current == Stage.DRAFT and target != CANCELLED
