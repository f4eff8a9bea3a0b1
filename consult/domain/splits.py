"""Cost splits, exact to the fen.

EQUAL, PERCENT and WEIGHTED use the largest-remainder method: every party first gets the
floor of its exact quota, and the fen left over go one each to the largest remainders,
ties to the earlier party in input order. The amounts therefore always add up to the total,
and each is within one fen of its exact proportion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from consult.errors import DomainError, Invalid
from consult.money import format_fen, parse_money

PERCENT_SCALE = 10_000  # percentages carry at most 4 decimals
WEIGHT_SCALE = 10_000  # weights carry at most 4 decimals
_DECIMAL_RE = re.compile(r"^([0-9]{1,15})(?:\.([0-9]{1,4}))?$")

METHODS = ("EQUAL", "FIXED", "PERCENT", "WEIGHTED")


@dataclass(frozen=True)
class ShareSpec:
    """One party's line as entered: which of amount, percent or weight applies depends on the method."""

    amount: str | None = None
    percent: str | None = None
    weight: str | None = None


@dataclass(frozen=True)
class SplitLine:
    amount_fen: int
    # Normalized inputs, kept for the record: "33.3333" and "2.5".
    percent: str | None = None
    weight: str | None = None


def largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Split `total` units in proportion to positive integer `weights`; ties go to the earlier index."""
    if not weights:
        return []
    whole = sum(weights)
    if whole <= 0 or any(w <= 0 for w in weights):
        raise ValueError("weights must be positive")
    floors = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(floors)
    # Largest remainder first; among equals, input order.
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def parse_scaled(text: str | None, scale_digits: int = 4) -> int | None:
    """ "33.3333" -> 333333 (in units of 10^-4); None when not a plain non-negative decimal."""
    if text is None:
        return None
    match = _DECIMAL_RE.match(str(text).strip())
    if not match:
        return None
    return int(match.group(1)) * 10**scale_digits + int((match.group(2) or "").ljust(scale_digits, "0"))


def format_scaled(value: int, scale: int = 10_000) -> str:
    whole, frac = divmod(value, scale)
    return str(whole) if frac == 0 else f"{whole}.{frac:04d}".rstrip("0")


def _split_fixed(total_fen: int, specs: list[ShareSpec]) -> list[SplitLine]:
    """Each party's amount as entered; together they must make the total, to the fen."""
    amounts = []
    for i, spec in enumerate(specs):
        if spec.amount is None:
            raise Invalid("required", f"shares.{i}.amount")
        amounts.append(parse_money(spec.amount, f"shares.{i}.amount"))
    if sum(amounts) != total_fen:
        # The message speaks yuan: "239999.99", not the fen inside.
        raise DomainError(
            "SPLIT_MISMATCH", "fixed_mismatch", "shares", total=format_fen(total_fen), sum=format_fen(sum(amounts))
        )
    return [SplitLine(a) for a in amounts]


def _split_percent(total_fen: int, specs: list[ShareSpec]) -> list[SplitLine]:
    """Percentages with up to 4 decimals that make exactly 100."""
    percents = []
    for i, spec in enumerate(specs):
        value = parse_scaled(spec.percent)
        if value is None:
            raise Invalid("bad_percent", f"shares.{i}.percent")
        if value > 100 * PERCENT_SCALE:
            raise Invalid("bad_percent", f"shares.{i}.percent")
        percents.append(value)
    if sum(percents) != 100 * PERCENT_SCALE:
        raise DomainError("SPLIT_MISMATCH", "percent_mismatch", "shares", sum=format_scaled(sum(percents)))
    # A 0% line gets nothing; the rest share by largest remainder.
    positive = [i for i, p in enumerate(percents) if p > 0]
    amounts = [0] * len(specs)
    for i, amount in zip(positive, largest_remainder(total_fen, [percents[i] for i in positive]), strict=True):
        amounts[i] = amount
    return [SplitLine(a, percent=format_scaled(p)) for a, p in zip(amounts, percents, strict=True)]


def _split_weighted(total_fen: int, specs: list[ShareSpec]) -> list[SplitLine]:
    """Positive weights with up to 4 decimals, in any unit: only their proportions count."""
    weights = []
    for i, spec in enumerate(specs):
        value = parse_scaled(spec.weight)
        if value is None or value <= 0:
            raise Invalid("bad_split_weight", f"shares.{i}.weight")
        weights.append(value)
    return [
        SplitLine(a, weight=format_scaled(w))
        for a, w in zip(largest_remainder(total_fen, weights), weights, strict=True)
    ]


def split(method: str, total_fen: int, specs: list[ShareSpec]) -> list[SplitLine]:
    """Amounts per party, in input order.

    Raises INVALID (field `shares`, `shares.N.amount|percent|weight`) for a missing or
    malformed value, and SPLIT_MISMATCH when FIXED amounts or PERCENT values do not add up.
    """
    if method not in METHODS:
        raise Invalid("bad_split_method", "method")
    if not specs:
        raise Invalid("no_shares", "shares")
    if method == "EQUAL":
        return [SplitLine(a) for a in largest_remainder(total_fen, [1] * len(specs))]
    if method == "FIXED":
        return _split_fixed(total_fen, specs)
    if method == "PERCENT":
        return _split_percent(total_fen, specs)
    return _split_weighted(total_fen, specs)
