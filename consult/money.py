"""Money is integer fen inside and a decimal string at the API. No floats, ever."""

from __future__ import annotations

import re

from consult.errors import Invalid

# At least 10^13 yuan must fit; BIGINT holds about 9.2 * 10^18 fen.
MAX_FEN = 10**13 * 100

_MONEY_RE = re.compile(r"^([0-9]{1,20})(?:\.([0-9]{1,2}))?$")


def parse_money(value: object, field: str | None = None) -> int:
    """Parse "80000", "80000.5" or "80000.50" into fen; anything else is INVALID."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # a whole number of yuan is exact; floats stay refused
    if not isinstance(value, str):
        raise Invalid("bad_money", field)
    match = _MONEY_RE.match(value.strip())
    if not match:
        raise Invalid("bad_money", field)
    whole, frac = match.group(1), (match.group(2) or "").ljust(2, "0")
    fen = int(whole) * 100 + int(frac)
    if fen > MAX_FEN:
        raise Invalid("money_too_large", field)
    return fen


def format_fen(fen: int) -> str:
    """80000_00 -> "80000.00"."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"
