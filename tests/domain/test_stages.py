"""The stage machine, exhaustively: every pair of stages."""

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from consult.domain import stages
from consult.policies import RULES, stage_allows

ORDER = list(stages.ORDER)
ALL = [*ORDER, "CANCELLED"]


def expected(current: str, target: str) -> bool:
    if current in ("ARCHIVED", "CANCELLED"):
        return False
    if target == "CANCELLED":
        return True
    i, j = ORDER.index(current), ORDER.index(target)
    skipped = ORDER[i + 1 : j]
    return j > i and set(skipped) <= {"COLLECTING", "VOTING"}


def test_every_pair_of_stages_follows_the_rule():
    for current in ALL:
        for target in ALL:
            assert stages.can_move(current, target) == expected(current, target), (current, target)


def test_the_plain_path_moves_one_step_at_a_time():
    for a, b in pairwise(ORDER):
        assert stages.can_move(a, b)


def test_collecting_and_voting_may_be_skipped_but_nothing_else():
    assert stages.can_move("DRAFT", "DELIBERATING")
    assert stages.can_move("DELIBERATING", "AGREED")
    assert not stages.can_move("DRAFT", "VOTING")  # skips DELIBERATING
    assert not stages.can_move("AGREED", "EVALUATING")  # skips IMPLEMENTING
    assert not stages.can_move("EVALUATING", "EVALUATING")


def test_next_stages_from_draft():
    assert stages.next_stages("DRAFT") == ["COLLECTING", "DELIBERATING", "CANCELLED"]
    assert stages.next_stages("ARCHIVED") == []


@given(st.lists(st.sampled_from(ALL), min_size=1, max_size=20))
def test_any_accepted_walk_only_moves_forward(walk):
    current = "DRAFT"
    for target in walk:
        if stages.can_move(current, target):
            if target != "CANCELLED":
                assert ORDER.index(target) > ORDER.index(current)
            current = target
    assert current in ALL


def test_unknown_stage_names_are_refused():
    assert not stages.can_move("DRAFT", "DONE")
    assert not stages.can_move("NOPE", "COLLECTING")


def test_a_move_names_the_stages_it_skips():
    assert stages.skipped("DRAFT", "DELIBERATING") == ["COLLECTING"]
    assert stages.skipped("DELIBERATING", "AGREED") == ["VOTING"]
    assert stages.skipped("DRAFT", "COLLECTING") == []
    assert stages.skipped("VOTING", "CANCELLED") == []
    assert stages.skipped("DRAFT", "VOTING") == []  # not one move


def test_the_rule_book_allows_writes_per_stage():
    assert stage_allows("demand.submit", "COLLECTING")
    assert not stage_allows("demand.submit", "DELIBERATING")
    assert stage_allows("proposal.create", "VOTING")
    assert not stage_allows("responsibility.assign", "AGREED")
    assert not stage_allows("roll.set", "ARCHIVED")
    # Nothing writes to a consultation once it is archived or cancelled.
    for action, rule in RULES.items():
        if rule.stages is not None:
            assert not rule.stages & stages.FINAL, action
