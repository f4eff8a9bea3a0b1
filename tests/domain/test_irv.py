"""Instant runoff, counted by hand round by round and checked against its invariants."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.domain.irv import Round, RunoffResult, instant_runoff

A, B, C, D, E = range(5)


def heads_per_round(result: RunoffResult) -> list[list[int]]:
    return [[h for h, _ in r.counts] for r in result.rounds]


def eliminations(result: RunoffResult) -> list[int | None]:
    return [r.eliminated for r in result.rounds]


def test_the_first_round_leader_can_lose_in_round_three():
    # Four painters bid for the stairwells. A has a loyal core; the rest prefer anyone but A.
    ballots = (
        [([A], 10)] * 8
        + [([B, A], 20)] * 7
        + [([C, B], 5)] * 3
        + [([C], 7)]  # exhausted once C is out
        + [([D, C, B], 3)] * 2
    )
    result = instant_runoff(4, ballots)
    assert result == RunoffResult(
        rounds=[
            # 21 ballots count; 11 would be a majority. D has the fewest and goes.
            Round([(8, 80), (7, 140), (4, 22), (2, 6)], eliminated=D),
            # D's two ballots move to C. Still no majority; C has the fewest and goes.
            Round([(8, 80), (7, 140), (6, 28), (0, 0)], eliminated=C),
            # Five of C's six ballots move to B, one is exhausted: B has 12 of 20.
            Round([(8, 80), (12, 20 * 7 + 5 * 3 + 3 * 2), (0, 0), (0, 0)], eliminated=None),
        ],
        winner=B,
    )


def test_a_majority_in_round_one_ends_the_count():
    result = instant_runoff(3, [([A, B], 1)] * 4 + [([B], 1)] * 2 + [([C, B], 1)])
    assert result == RunoffResult([Round([(4, 4), (2, 2), (1, 1)], None)], A)


def test_exactly_half_is_no_majority():
    result = instant_runoff(3, [([A], 1)] * 2 + [([B], 1)] + [([C, B], 1)])
    # A has 2 of 4: not more than half. B and C are level with no history: C, the higher index, goes.
    # Then A and B are level at 2 of 4; in round one B had fewer, so B goes and A stands alone.
    assert heads_per_round(result) == [[2, 1, 1], [2, 2, 0], [2, 0, 0]]
    assert eliminations(result) == [C, B, None]
    assert result.winner == A


def test_exhausted_ballots_no_longer_count_towards_the_majority():
    ballots = [([A], 1)] * 3 + [([B], 1)] * 4 + [([C], 1)] * 2
    result = instant_runoff(3, ballots)
    # B has 4 of 9 at first (no majority), then 4 of the 7 ballots still counting.
    assert heads_per_round(result) == [[3, 4, 2], [3, 4, 0]]
    assert eliminations(result) == [C, None]
    assert result.winner == B


def test_a_ballot_may_rank_only_some_options_and_skips_eliminated_ones():
    ballots = [([A], 1)] * 5 + [([B], 1)] * 3 + [([D, C, B], 2)] * 2 + [([C, D], 3)]
    result = instant_runoff(4, ballots)
    assert [r.counts for r in result.rounds] == [
        [(5, 5), (3, 3), (1, 3), (2, 4)],
        # C's ballot moves to D, skipping nothing; B and D are level, D had fewer in round one.
        [(5, 5), (3, 3), (0, 0), (3, 7)],
        # D's ballots skip the eliminated C and land on B; the C-D ballot is exhausted.
        # A has 5 of 10, not more than half; A and B are level, B had fewer in round two.
        [(5, 5), (5, 7), (0, 0), (0, 0)],
        [(5, 5), (0, 0), (0, 0), (0, 0)],
    ]
    assert eliminations(result) == [C, D, B, None]
    assert result.winner == A


def test_unbreakable_tie_between_two():
    result = instant_runoff(2, [([A, B], 5), ([B, A], 7)])
    assert result == RunoffResult([Round([(1, 5), (1, 7)], None)], None)


def test_unbreakable_tie_between_three():
    ballots = [([A], 1), ([B], 1), ([C], 1)] * 2
    assert instant_runoff(3, ballots) == RunoffResult([Round([(2, 2), (2, 2), (2, 2)], None)], None)


def test_unbreakable_tie_after_an_elimination():
    ballots = [([A], 1)] * 2 + [([B], 1)] * 2 + [([C], 1)]
    result = instant_runoff(3, ballots)
    assert heads_per_round(result) == [[2, 2, 1], [2, 2, 0]]
    assert eliminations(result) == [C, None]
    assert result.winner is None


def test_a_tie_for_fewest_is_broken_by_the_previous_round():
    # Round 1: A 10, B 5, C 6, D 1. D's ballot goes to B: round 2 has B and C level at 6.
    # B had fewer in round 1, so B goes, although the index rule alone would drop C.
    ballots = [([A], 1)] * 10 + [([B, C], 1)] * 5 + [([C], 1)] * 6 + [([D, B], 1)]
    result = instant_runoff(4, ballots)
    # D's ballot then has nobody left and is exhausted: C has 11 of 21.
    assert heads_per_round(result) == [[10, 5, 6, 1], [10, 6, 6, 0], [10, 0, 11, 0]]
    assert eliminations(result) == [D, B, None]
    assert result.winner == C


def test_the_most_recent_round_speaks_first():
    # Options P, X, Y, D1, D2. X and Y are level in round 3; X had fewer in round 2 but more
    # in round 1. Looking back from the most recent round, X goes.
    P, X, Y, D1, D2 = range(5)
    ballots = (
        [([P], 1)] * 10 + [([X, Y], 1)] * 5 + [([Y], 1)] * 4 + [([D1, Y], 1)] * 2 + [([D2, X, Y], 1)] + [([D2], 1)] * 2
    )
    result = instant_runoff(5, ballots)
    assert heads_per_round(result) == [
        [10, 5, 4, 2, 3],
        [10, 5, 6, 0, 3],
        [10, 6, 6, 0, 0],
        [10, 0, 12, 0, 0],
    ]
    assert eliminations(result) == [D1, D2, X, None]
    assert result.winner == Y


def test_a_tie_with_equal_histories_drops_the_higher_index():
    # B and C are level in the first round, which has no history: C, the higher index, goes.
    # Not every option is level (A and D are ahead), so the tie is breakable.
    ballots = [([A], 1)] * 3 + [([D], 1)] * 2 + [([B, A], 1)] + [([C, B], 1)]
    result = instant_runoff(4, ballots)
    assert heads_per_round(result) == [[3, 1, 1, 2], [3, 2, 0, 2], [4, 0, 0, 2]]
    assert eliminations(result) == [C, B, None]
    assert result.winner == A


def test_weight_is_reported_but_does_not_decide():
    ballots = [([A], 1)] * 3 + [([B], 1_000_000)] * 2
    result = instant_runoff(2, ballots)
    assert result == RunoffResult([Round([(3, 3), (2, 2_000_000)], None)], A)


def test_zero_ballots():
    assert instant_runoff(3, []) == RunoffResult([Round([(0, 0)] * 3, None)], None)
    assert instant_runoff(1, []) == RunoffResult([Round([(0, 0)], None)], None)
    assert instant_runoff(0, []) == RunoffResult([Round([], None)], None)


def test_only_empty_rankings():
    assert instant_runoff(2, [([], 1), ([], 2)]) == RunoffResult([Round([(0, 0), (0, 0)], None)], None)


def test_a_single_option_wins_with_any_vote():
    assert instant_runoff(1, [([A], 4), ([], 1)]) == RunoffResult([Round([(1, 4)], None)], A)


def test_repeated_options_in_a_ranking_are_harmless():
    assert instant_runoff(2, [([A, A, B], 1)] * 2 + [([B, B], 1)]) == instant_runoff(2, [([A, B], 1)] * 2 + [([B], 1)])


def test_rankings_may_be_tuples():
    assert instant_runoff(2, [((B, A), 1)]) == RunoffResult([Round([(0, 0), (1, 1)], None)], B)


@pytest.mark.parametrize(
    "n_options, ballots",
    [
        (2, [([2], 1)]),
        (2, [([-1], 1)]),
        (2, [([0], -1)]),
        (2, [([0], 1.5)]),
        (2, [(["0"], 1)]),
        (-1, []),
    ],
)
def test_malformed_input_is_a_programming_error(n_options, ballots):
    with pytest.raises(ValueError):
        instant_runoff(n_options, ballots)


# --- properties ------------------------------------------------------------------------------


@st.composite
def elections(draw):
    n = draw(st.integers(min_value=1, max_value=5))
    ranking = st.lists(st.integers(min_value=0, max_value=n - 1), unique=True, max_size=n)
    ballots = draw(st.lists(st.tuples(ranking, st.integers(min_value=0, max_value=1000)), max_size=40))
    return n, ballots


@given(elections())
def test_the_winner_has_a_majority_of_counting_ballots_or_stands_alone(election):
    n, ballots = election
    result = instant_runoff(n, ballots)
    last = result.rounds[-1]
    assert last.eliminated is None
    if result.winner is not None:
        winner_heads = last.counts[result.winner][0]
        counting = sum(h for h, _ in last.counts)
        eliminated = {r.eliminated for r in result.rounds[:-1]}
        assert 2 * winner_heads > counting or eliminated == set(range(n)) - {result.winner}
        assert result.winner not in eliminated


@given(elections())
def test_results_are_deterministic_and_ignore_ballot_order(election):
    n, ballots = election
    result = instant_runoff(n, ballots)
    assert instant_runoff(n, ballots) == result
    assert instant_runoff(n, list(reversed(ballots))) == result
    assert instant_runoff(n, sorted(ballots)) == result


@given(elections())
def test_heads_never_exceed_the_ballots_and_only_fall(election):
    n, ballots = election
    result = instant_runoff(n, ballots)
    totals = [sum(h for h, _ in r.counts) for r in result.rounds]
    assert all(total <= len(ballots) for total in totals)
    assert totals == sorted(totals, reverse=True)  # ballots only ever drop out by exhaustion
    assert totals[0] == sum(1 for ranking, _ in ballots if ranking)


@given(elections())
def test_eliminated_options_stay_out_and_every_round_lists_every_option(election):
    n, ballots = election
    result = instant_runoff(n, ballots)
    assert 1 <= len(result.rounds) <= max(n, 1)
    out: set[int] = set()
    for r in result.rounds:
        assert len(r.counts) == n
        assert all(r.counts[i] == (0, 0) for i in out)
        if r.eliminated is not None:
            assert r.eliminated not in out
            out.add(r.eliminated)
    assert all(r.eliminated is not None for r in result.rounds[:-1])


@given(elections())
def test_weights_follow_the_heads(election):
    n, ballots = election
    result = instant_runoff(n, ballots)
    out: set[int] = set()
    for r in result.rounds:
        expected = [[0, 0] for _ in range(n)]
        for ranking, weight in ballots:
            for option in ranking:
                if option not in out:
                    expected[option][0] += 1
                    expected[option][1] += weight
                    break
        assert r.counts == [tuple(pair) for pair in expected]
        if r.eliminated is not None:
            out.add(r.eliminated)


@given(elections())
def test_no_winner_only_when_nobody_counts_or_everyone_left_is_level_throughout(election):
    n, ballots = election
    result = instant_runoff(n, ballots)
    if result.winner is not None:
        return
    out = {r.eliminated for r in result.rounds[:-1]}
    left = [i for i in range(n) if i not in out]
    history = [[r.counts[i][0] for i in left] for r in result.rounds]
    assert all(len(set(heads)) <= 1 for heads in history)
