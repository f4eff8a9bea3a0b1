"""Cost splits: exact to the fen, deterministic, never more than a fen from the exact share."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.domain.splits import ShareSpec, largest_remainder, split
from consult.errors import DomainError
from consult.money import MAX_FEN, format_fen

totals = st.integers(min_value=0, max_value=MAX_FEN)


def amounts(lines):
    return [line.amount_fen for line in lines]


def test_the_caiyuan_lane_split_is_80000_each():
    lines = split("EQUAL", 240_000_00, [ShareSpec()] * 3)
    assert [format_fen(a) for a in amounts(lines)] == ["80000.00"] * 3


def test_one_hundred_in_three_goes_34_33_33():
    assert amounts(split("EQUAL", 100_00, [ShareSpec()] * 3)) == [3334, 3333, 3333]


def test_the_wuchuan_manhole_case_six_units_8400():
    assert amounts(split("EQUAL", 8_400_00, [ShareSpec()] * 6)) == [1_400_00] * 6


def test_fixed_must_add_up():
    ok = split("FIXED", 100_00, [ShareSpec(amount="60"), ShareSpec(amount="40.00")])
    assert amounts(ok) == [6000, 4000]
    with pytest.raises(DomainError) as caught:
        split("FIXED", 100_00, [ShareSpec(amount="60"), ShareSpec(amount="39.99")])
    assert caught.value.code == "SPLIT_MISMATCH" and caught.value.field == "shares"


def test_fixed_bad_amount_names_its_field():
    with pytest.raises(DomainError) as caught:
        split("FIXED", 100_00, [ShareSpec(amount="60"), ShareSpec(amount="12.345")])
    assert caught.value.code == "INVALID" and caught.value.field == "shares.1.amount"


def test_percent_with_four_decimals_must_add_to_exactly_100():
    lines = split(
        "PERCENT", 100_00, [ShareSpec(percent="33.3333"), ShareSpec(percent="33.3333"), ShareSpec(percent="33.3334")]
    )
    assert sum(amounts(lines)) == 100_00
    assert [line.percent for line in lines] == ["33.3333", "33.3333", "33.3334"]
    with pytest.raises(DomainError) as caught:
        split("PERCENT", 100_00, [ShareSpec(percent="50"), ShareSpec(percent="49.9999")])
    assert caught.value.code == "SPLIT_MISMATCH"


@pytest.mark.parametrize("bad", ["-5", "abc", "12.34567", "101", None, "1e2"])
def test_bad_percent(bad):
    with pytest.raises(DomainError) as caught:
        split("PERCENT", 100_00, [ShareSpec(percent="50"), ShareSpec(percent=bad)])
    assert caught.value.code == "INVALID" and caught.value.field == "shares.1.percent"


def test_weighted_by_households():
    lines = split("WEIGHTED", 240_000_00, [ShareSpec(weight="60"), ShareSpec(weight="50"), ShareSpec(weight="27")])
    assert sum(amounts(lines)) == 240_000_00
    assert [line.weight for line in lines] == ["60", "50", "27"]


@pytest.mark.parametrize("bad", ["0", "-1", "x", None, "0.00001"])
def test_bad_weight(bad):
    with pytest.raises(DomainError) as caught:
        split("WEIGHTED", 100, [ShareSpec(weight="1"), ShareSpec(weight=bad)])
    assert caught.value.field == "shares.1.weight"


def test_no_shares_is_invalid():
    with pytest.raises(DomainError) as caught:
        split("EQUAL", 100, [])
    assert caught.value.field == "shares"


def _check(total, weights, result):
    assert sum(result) == total
    whole = sum(weights)
    for w, a in zip(weights, result, strict=True):
        assert abs(Fraction(a) - Fraction(total * w, whole)) < 1


@given(totals, st.lists(st.integers(min_value=1, max_value=10**8), min_size=1, max_size=30))
def test_largest_remainder_sums_exactly_and_stays_within_a_fen(total, weights):
    result = largest_remainder(total, weights)
    _check(total, weights, result)
    assert largest_remainder(total, weights) == result  # deterministic


@given(totals, st.integers(min_value=1, max_value=50))
def test_equal_splits_differ_by_at_most_a_fen_and_favour_earlier_parties(total, n):
    result = amounts(split("EQUAL", total, [ShareSpec()] * n))
    _check(total, [1] * n, result)
    assert result == sorted(result, reverse=True)


@given(totals, st.lists(st.integers(min_value=0, max_value=100 * 10_000), min_size=1, max_size=10))
def test_percent_splits(total, raw):
    # Make the percentages add up to exactly 100 by giving the remainder to the last line.
    used, percents = 0, []
    for value in raw[:-1]:
        value = min(value, 100 * 10_000 - used)
        percents.append(value)
        used += value
    percents.append(100 * 10_000 - used)
    specs = [ShareSpec(percent=f"{p // 10_000}.{p % 10_000:04d}") for p in percents]
    result = amounts(split("PERCENT", total, specs))
    assert sum(result) == total
    for p, a in zip(percents, result, strict=True):
        assert abs(Fraction(a) - Fraction(total * p, 100 * 10_000)) < 1
    assert amounts(split("PERCENT", total, specs)) == result


@given(totals, st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=20))
def test_weighted_splits(total, raw):
    specs = [ShareSpec(weight=f"{w // 10_000}.{w % 10_000:04d}") for w in raw]
    result = amounts(split("WEIGHTED", total, specs))
    _check(total, raw, result)
    assert amounts(split("WEIGHTED", total, specs)) == result


@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=10))
def test_fixed_accepts_exactly_the_sum(parts):
    specs = [ShareSpec(amount=format_fen(p)) for p in parts]
    assert amounts(split("FIXED", sum(parts), specs)) == parts
