"""Decision rules: quorum and approval thresholds, compared exactly.

A rule says how many must take part (the quorum, a share of the electorate) and how
large a share of those taking part must approve (the threshold). The art. 278 presets of
the PRC Civil Code count residential owners twice, by headcount and by floor area, and a
vote only carries when both counts pass; `by_area` models that.

Every comparison is done with integers and `Fraction`, never floats: "exactly two
thirds" has to pass a two-thirds rule and "exactly one half" has to fail a simple
majority, and 0.1 + 0.2 style rounding would get such edges wrong.

Abstentions count as taking part (they help reach the quorum) but not as approval, so
they lower the approval share; that is how art. 278 reads "those taking part".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from consult.errors import Invalid

SIMPLE_MAJORITY = "SIMPLE_MAJORITY"
TWO_THIRDS = "TWO_THIRDS"
CIVIL_CODE_278_ORDINARY = "CIVIL_CODE_278_ORDINARY"
CIVIL_CODE_278_MAJOR = "CIVIL_CODE_278_MAJOR"
CUSTOM = "CUSTOM"
PRESETS = (SIMPLE_MAJORITY, TWO_THIRDS, CIVIL_CODE_278_ORDINARY, CIVIL_CODE_278_MAJOR, CUSTOM)

PASSED = "PASSED"
FAILED = "FAILED"
DECIDED = "DECIDED"
UNDECIDED = "UNDECIDED"

HALF = Fraction(1, 2)
# Digits are capped so a hostile "1/10000…0" cannot make every later comparison slow.
_THRESHOLD_RE = re.compile(r"^([0-9]{1,9})/([0-9]{1,9})$")


@dataclass(frozen=True)
class Rule:
    preset: str
    quorum: Fraction  # minimum turnout as a share of the electorate (headcount, and area when by_area)
    threshold: Fraction  # approval needed, as a share of those taking part
    strict: bool  # True: strictly more than threshold; False: at least threshold
    by_area: bool  # count headcount and area; both must pass

    @property
    def quorum_percent(self) -> int:
        """Rounded up, so the shown percentage never promises less than the rule asks: 2/3 -> 67."""
        return math.ceil(self.quorum * 100)

    @property
    def threshold_text(self) -> str:
        """The reduced fraction as "a/b", the form CUSTOM rules are entered in: "1/2", "2/3"."""
        return f"{self.threshold.numerator}/{self.threshold.denominator}"


_PRESET_RULES: dict[str, Rule] = {
    SIMPLE_MAJORITY: Rule(SIMPLE_MAJORITY, Fraction(0), HALF, strict=True, by_area=False),
    TWO_THIRDS: Rule(TWO_THIRDS, Fraction(0), Fraction(2, 3), strict=False, by_area=False),
    # Art. 278: two thirds of owners by area and by number take part; ordinary matters need
    # more than half of those taking part, major ones (278(1)(6)-(8)) at least three quarters.
    CIVIL_CODE_278_ORDINARY: Rule(CIVIL_CODE_278_ORDINARY, Fraction(2, 3), HALF, strict=True, by_area=True),
    CIVIL_CODE_278_MAJOR: Rule(CIVIL_CODE_278_MAJOR, Fraction(2, 3), Fraction(3, 4), strict=False, by_area=True),
}


def parse_threshold(text: object) -> Fraction | None:
    """ "2/3" -> Fraction(2, 3); None unless it is "a/b" with 0 < a/b < 1."""
    if not isinstance(text, str):
        return None
    match = _THRESHOLD_RE.match(text.strip())
    if not match:
        return None
    a, b = int(match.group(1)), int(match.group(2))
    if b == 0:
        return None
    value = Fraction(a, b)
    return value if 0 < value < 1 else None


def rule_for(
    preset: str,
    *,
    quorum_percent: int | None = None,
    threshold: str | None = None,
    by_area: bool | None = None,
) -> Rule:
    """The rule for a preset, or a CUSTOM rule built from its inputs.

    Presets are fixed by law or convention, so their parameters cannot be overridden:
    passing one raises INVALID `custom_only` on that field (a `by_area` equal to the
    preset's own value is accepted, so a form can always send it). A CUSTOM threshold of
    exactly 1/2 means "more than half", as people say "a majority"; every other CUSTOM
    threshold means "at least", as people say "two thirds".
    """
    if preset not in PRESETS:
        raise Invalid("bad_preset", "preset")
    if preset != CUSTOM:
        rule = _PRESET_RULES[preset]
        if quorum_percent is not None:
            raise Invalid("custom_only", "quorumPercent")
        if threshold is not None:
            raise Invalid("custom_only", "threshold")
        if by_area is not None and by_area != rule.by_area:
            raise Invalid("custom_only", "byArea")
        return rule
    # bool is an int in Python; True is not a quorum of 1%.
    if not isinstance(quorum_percent, int) or isinstance(quorum_percent, bool) or not 0 <= quorum_percent <= 100:
        raise Invalid("bad_quorum", "quorumPercent")
    value = parse_threshold(threshold)
    if value is None:
        raise Invalid("bad_threshold", "threshold")
    return Rule(CUSTOM, Fraction(quorum_percent, 100), value, strict=value == HALF, by_area=bool(by_area))


@dataclass(frozen=True)
class Count:
    heads: int  # number of ballots / voters
    weight: int  # sum of voter weights (area in 1/10000 m²)

    def __post_init__(self) -> None:
        # Database sums arrive as Decimal or None; fail here, loudly, rather than deep in Fraction.
        for name in ("heads", "weight"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Count.{name} must be a non-negative int, got {value!r}")

    def __add__(self, other: Count) -> Count:
        return Count(self.heads + other.heads, self.weight + other.weight)


@dataclass(frozen=True)
class Verdict:
    quorum_met: bool
    outcome: str  # PASSED | FAILED (yes/no), DECIDED | UNDECIDED (choice); UNDECIDED for either
    winner: int | None  # index of the winning option for choice polls, else None


def _reaches(part: int, whole: int, share: Fraction, strict: bool) -> bool:
    """part / whole > share (strict) or >= share, by cross-multiplying; whole must be positive."""
    left, right = part * share.denominator, share.numerator * whole
    return left > right if strict else left >= right


def quorum_met(rule: Rule, taking_part: Count, electorate: Count) -> bool:
    """Turnout reaches the quorum by headcount and, for area rules, by area.

    A zero quorum is always met. Otherwise an empty electorate never meets it: nobody can
    be two thirds of nobody, and an empty roll is a setup mistake, not a valid vote.
    """
    if rule.quorum == 0:
        return True
    checks = [(taking_part.heads, electorate.heads)]
    if rule.by_area:
        checks.append((taking_part.weight, electorate.weight))
    return all(whole > 0 and _reaches(part, whole, rule.quorum, strict=False) for part, whole in checks)


def _approves(rule: Rule, part: Count, taking_part: Count) -> bool:
    if not _reaches(part.heads, taking_part.heads, rule.threshold, rule.strict):
        return False
    return not rule.by_area or _reaches(part.weight, taking_part.weight, rule.threshold, rule.strict)


def _countable(rule: Rule, taking_part: Count) -> bool:
    # Shares of nothing are undefined: no ballots, or (by area) ballots without any area.
    return taking_part.heads > 0 and (not rule.by_area or taking_part.weight > 0)


def decide_yes_no(rule: Rule, *, yes: Count, no: Count, abstain: Count, electorate: Count) -> Verdict:
    """PASSED or FAILED when the quorum is met and somebody took part, else UNDECIDED.

    Under an area rule, yes must reach the threshold by headcount and by area; passing on
    one count only is FAILED, because art. 278 requires both majorities.
    """
    taking_part = yes + no + abstain
    met = quorum_met(rule, taking_part, electorate)
    if not met or not _countable(rule, taking_part):
        return Verdict(met, UNDECIDED, None)
    return Verdict(met, PASSED if _approves(rule, yes, taking_part) else FAILED, None)


def decide_choice(rule: Rule, *, options: list[Count], ballots: Count, electorate: Count) -> Verdict:
    """DECIDED with the winning option's index, or UNDECIDED.

    The winner is the option with strictly the most heads (and, for area rules, strictly
    the most area too: a plurality by one count only is no clear choice). It must also
    reach the threshold as a share of the ballots cast; a plurality of 30% does not
    carry a majority rule. For MULTIPLE_CHOICE the option counts may add up to more than
    the ballots; each option is still measured against the ballots.
    """
    met = quorum_met(rule, ballots, electorate)
    if not met or not options or not _countable(rule, ballots):
        return Verdict(met, UNDECIDED, None)
    most = max(option.heads for option in options)
    leaders = [i for i, option in enumerate(options) if option.heads == most]
    if most == 0 or len(leaders) > 1:
        return Verdict(met, UNDECIDED, None)
    winner = leaders[0]
    if rule.by_area and any(o.weight >= options[winner].weight for i, o in enumerate(options) if i != winner):
        return Verdict(met, UNDECIDED, None)
    if not _approves(rule, options[winner], ballots):
        return Verdict(met, UNDECIDED, None)
    return Verdict(met, DECIDED, winner)
