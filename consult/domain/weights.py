"""Voter weights (area in m², or 1 per head) as exact integers in units of 1/10,000."""

from __future__ import annotations

import re

SCALE = 10_000
_WEIGHT_RE = re.compile(r"^([0-9]{1,12})(?:\.([0-9]{1,4}))?$")


def parse_weight(text: str) -> int | None:
    """ "85.5" -> 855000; None for anything that is not a positive decimal with ≤ 4 decimals."""
    match = _WEIGHT_RE.match(text.strip())
    if not match:
        return None
    value = int(match.group(1)) * SCALE + int((match.group(2) or "").ljust(4, "0"))
    return value if value > 0 else None


def format_weight(scaled: int) -> str:
    """855000 -> "85.5"; 10000 -> "1": the shortest exact decimal."""
    whole, frac = divmod(scaled, SCALE)
    if frac == 0:
        return str(whole)
    return f"{whole}.{frac:04d}".rstrip("0")
