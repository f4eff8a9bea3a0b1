"""Money, weights, ids and the language pick: pure functions of plain values."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.domain.weights import format_weight, parse_weight
from consult.errors import DomainError
from consult.ids import expect_id, from_global_id, to_global_id
from consult.messages import pick_language, translate
from consult.money import MAX_FEN, format_fen, parse_money


@pytest.mark.parametrize(
    "text,fen",
    [
        ("80000", 8_000_000),
        ("80000.5", 8_000_050),
        ("80000.50", 8_000_050),
        ("0.01", 1),
        ("0", 0),
        ("10000000000000", MAX_FEN),
    ],
)
def test_money_parses_to_fen(text, fen):
    assert parse_money(text) == fen


@pytest.mark.parametrize(
    "text", ["12.345", "-5", "abc", "1e5", "", " ", "80000.", ".5", "1,000", "10000000000000.01", "+5"]
)
def test_bad_money_is_invalid(text):
    with pytest.raises(DomainError) as caught:
        parse_money(text, "budget")
    assert caught.value.code == "INVALID" and caught.value.field == "budget"


def test_money_refuses_floats():
    with pytest.raises(DomainError):
        parse_money(0.1, "amount")  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=MAX_FEN))
def test_money_round_trips(fen):
    assert parse_money(format_fen(fen)) == fen


@given(st.integers(min_value=1, max_value=10**15))
def test_weights_round_trip_exactly(scaled):
    assert parse_weight(format_weight(scaled)) == scaled


@pytest.mark.parametrize("text", ["0", "-1", "abc", "1.23456", "", "1e3"])
def test_bad_weights(text):
    assert parse_weight(text) is None


def test_weight_format_is_shortest():
    assert format_weight(parse_weight("85.50")) == "85.5"
    assert format_weight(parse_weight("1")) == "1"


@given(st.sampled_from(["Consultation", "Demand", "Account"]), st.integers(min_value=1, max_value=10**15))
def test_global_ids_round_trip_and_are_opaque(type_name, pk):
    gid = to_global_id(type_name, pk)
    assert from_global_id(gid) == (type_name, pk)
    assert expect_id(gid, type_name) == pk
    assert expect_id(gid, "Party" if type_name != "Party" else "Demand") is None
    assert type_name not in gid


@pytest.mark.parametrize("garbage", ["", "!!!", "Zm9v", "not base64 at all", "a" * 200])
def test_garbage_ids_decode_to_none(garbage):
    assert from_global_id(garbage) is None


@pytest.mark.parametrize(
    "header,lang",
    [
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("fr, en;q=0.5", "en"),
        ("en;q=0.3, zh;q=0.7", "zh-CN"),
        ("de", "zh-CN"),
    ],
)
def test_language_pick(header, lang):
    assert pick_language(header) == lang


def test_messages_exist_in_both_languages_and_format():
    zh = translate("wrong_stage", "zh-CN", stage="VOTING")
    en = translate("wrong_stage", "en", stage="VOTING")
    assert "居民表决" in zh and "voting" in en


@pytest.mark.parametrize(
    "part,whole,text",
    [
        (1, 3, "0.3333"),
        (2, 3, "0.6667"),
        (1, 20000, "0.0001"),
        (0, 5, "0.0000"),
        (5, 5, "1.0000"),
        (0, 0, "0.0000"),
        (12345, 100000, "0.1235"),
    ],
)
def test_ratio_rounds_half_up_exactly(part, whole, text):
    from consult.domain.ratios import ratio_4

    assert ratio_4(part, whole) == text


@pytest.mark.parametrize(
    "values,text",
    [
        ([], None),
        ([5, 4, 4], "4.33"),
        ([5, 4], "4.50"),
        ([1, 2], "1.50"),
        ([4, 5, 5, 5, 5, 5], "4.83"),
        ([1, 1, 2, 2, 2, 2, 2, 2], "1.75"),
        ([3] * 8 + [4], "3.11"),
        ([5, 5, 5, 5, 4, 4, 4, 1], "4.13"),
    ],
)
def test_mean_rounds_half_up_exactly(values, text):
    from consult.domain.ratios import mean_2

    assert mean_2(values) == text
