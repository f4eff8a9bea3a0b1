"""Instant runoff for RANKED polls, round by round, so residents can follow the count.

Each ballot counts, with its voter's weight, for its highest-ranked option still in the
running; a ballot whose ranked options are all out is exhausted and no longer counts.
An option with strictly more than half of the counting ballots (by heads) wins. Else the
option with the fewest heads is eliminated and its ballots move on.

Ties for fewest are broken by looking back, most recent round first: the option that had
fewer heads there goes. The most recent round is the one closest to the ballots as
they now stand, so it speaks first. If the history does not separate them either,
the higher option index goes, a fixed, published rule rather than a lot drawn, so the
count can be redone by hand. Only when every option still in the running is level in
every round so far is there no fair way to pick: the result is an unbreakable tie.

Weights are reported in every round but decide nothing: the rule is one person, one
ranking. They are there for area-based reports alongside the headcount.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Round:
    counts: list[tuple[int, int]]  # per option index, in option order: (heads, weight); (0, 0) once eliminated
    eliminated: int | None  # option index eliminated after this round, None in the last round


@dataclass(frozen=True)
class RunoffResult:
    rounds: list[Round]
    winner: int | None  # None on an unbreakable tie or when no ballot ranks any option


def _check(n_options: int, ballots: list[tuple[list[int], int]]) -> None:
    # The callers validate user input; a bad index here is a bug, so it is a ValueError, not Invalid.
    if n_options < 0:
        raise ValueError("n_options must not be negative")
    for number, (ranking, weight) in enumerate(ballots):
        if not isinstance(weight, int) or weight < 0:
            raise ValueError(f"ballot {number}: weight must be a non-negative int, got {weight!r}")
        for option in ranking:
            if not isinstance(option, int) or not 0 <= option < n_options:
                raise ValueError(f"ballot {number}: option {option!r} out of range 0..{n_options - 1}")


def _count(n_options: int, ballots: list[tuple[list[int], int]], running: set[int]) -> list[tuple[int, int]]:
    heads, weight = [0] * n_options, [0] * n_options
    for ranking, ballot_weight in ballots:
        for option in ranking:
            if option in running:
                heads[option] += 1
                weight[option] += ballot_weight
                break
    return list(zip(heads, weight, strict=True))


def _to_eliminate(history: list[list[int]], running: set[int]) -> int | None:
    """The option to drop after the last round of `history`; None when all running options are level throughout."""
    current = history[-1]
    fewest = min(current[i] for i in running)
    tied = [i for i in sorted(running) if current[i] == fewest]
    for past in reversed(history[:-1]):
        if len(tied) == 1:
            break
        low = min(past[i] for i in tied)
        tied = [i for i in tied if past[i] == low]
    if len(tied) == len(running):
        return None
    return tied[-1]


def instant_runoff(n_options: int, ballots: Sequence[tuple[Sequence[int], int]]) -> RunoffResult:
    """Rounds and winner for `ballots`, each (ranking of option indices, most preferred first; voter weight).

    Options a ballot does not rank are simply never reached; repeating an option in a
    ranking is harmless. Ends with winner None when no ballot counts for anyone (no
    ballots, or only empty rankings) or on an unbreakable tie; the last round then names
    no elimination either.
    """
    listed = [(list(ranking), weight) for ranking, weight in ballots]
    _check(n_options, listed)
    running = set(range(n_options))
    history: list[list[int]] = []
    rounds: list[Round] = []
    while True:
        counts = _count(n_options, listed, running)
        heads = [h for h, _ in counts]
        history.append(heads)
        counting = sum(heads)
        if counting == 0:
            rounds.append(Round(counts, None))
            return RunoffResult(rounds, None)
        leader = max(sorted(running), key=lambda i: heads[i])
        if 2 * heads[leader] > counting or len(running) == 1:
            rounds.append(Round(counts, None))
            return RunoffResult(rounds, leader)
        out = _to_eliminate(history, running)
        rounds.append(Round(counts, out))
        if out is None:
            return RunoffResult(rounds, None)
        running.remove(out)
