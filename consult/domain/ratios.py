"""Exact decimal strings for shares and means, rounded half-up, with no floats."""

from __future__ import annotations


def ratio_4(part: int, whole: int) -> str:
    """part/whole to 4 decimals, half-up, e.g. "0.3333"; "0.0000" when whole is 0."""
    if whole <= 0:
        return "0.0000"
    scaled = (part * 20_000 + whole) // (2 * whole)
    return f"{scaled // 10_000}.{scaled % 10_000:04d}"


def mean_2(values: list[int]) -> str | None:
    """The mean to 2 decimals, half-up; None for no values."""
    if not values:
        return None
    total, n = sum(values), len(values)
    scaled = (total * 200 + n) // (2 * n)
    return f"{scaled // 100}.{scaled % 100:02d}"
