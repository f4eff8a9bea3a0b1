"""Cost sharing (出资分担): cost plans, confirmed shares (签协议), money received and funding, over the public API."""

from __future__ import annotations

import json

import pytest

from consult.ids import expect_id, to_global_id
from consult.models import AuditEvent
from tests.api.helpers import Client, World, close_polls, create_consultation, residents

SHARE = (
    "id party { id name } amount percent weight confirmedAt confirmedBy { id } paid outstanding "
    "contributions { id amount receivedAt note recordedBy { id } }"
)
PLAN = f"total method fullyConfirmed shares {{ {SHARE} }}"
FUNDING = "total pledged paid outstanding ratio"
NAMES = {"market": "菜园市场", "street": "解放街道办事处", "units": "辖区单位联合体"}
CAIYUAN = ["market", "street", "units"]
RECEIVED = "2026-03-02T10:00:00+08:00"


# ---------------------------------------------------------------- helpers


def errors_of(payload: dict) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


def codes_of(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def amounts_of(plan: dict) -> list[str]:
    return [s["amount"] for s in plan["shares"]]


def fen(money: str) -> int:
    whole, _, frac = money.partition(".")
    return int(whole) * 100 + int(frac.ljust(2, "0"))


async def advance(world: World, cid: str, to: str, note: str | None = None) -> None:
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": to, "note": note}, "consultation { stage }")


async def try_advance(world: World, cid: str, to: str) -> dict:
    return await world.organizer.mutate("advanceStage", {"consultationId": cid, "to": to}, "consultation { stage }")


async def stage_of(client: Client, cid: str) -> str:
    data = await client.query("query($id: ID!) { consultation(id: $id) { stage } }", {"id": cid})
    return data["consultation"]["stage"]


async def proposal_id(client: Client, cid: str, title: str = "管网维修加路面硬化", budget: str = "240000") -> str:
    payload = await client.ok(
        "createProposal",
        {"consultationId": cid, "title": title, "body": "市场、街道办、辖区单位各出 8 万元", "budget": budget},
        "proposal { id }",
    )
    return payload["proposal"]["id"]


async def adopt(world: World, pid: str) -> None:
    await world.organizer.ok("adoptProposal", {"proposalId": pid}, "proposal { id }")


def lines(
    world: World, keys: list[str], field: str | None = None, values: list[str | None] | None = None
) -> list[dict]:
    """Share inputs for the parties `keys`, with `field` set to `values` (one per party)."""
    out = []
    for i, key in enumerate(keys):
        line = {"partyId": world.parties[key]}
        if field is not None and values is not None:
            line[field] = values[i]
        out.append(line)
    return out


async def set_plan(client: Client, pid: str, total: str, method: str, shares: list[dict]) -> dict:
    return await client.mutate(
        "setCostPlan",
        {"proposalId": pid, "total": total, "method": method, "shares": shares},
        f"proposal {{ id }} costPlan {{ {PLAN} }}",
    )


async def plan_ok(client: Client, pid: str, total: str, method: str, shares: list[dict]) -> dict:
    payload = await set_plan(client, pid, total, method, shares)
    assert payload["errors"] == [], payload["errors"]
    return payload["costPlan"]


async def plan_of(client: Client, pid: str) -> dict | None:
    data = await client.query(
        f"query($id: ID!) {{ node(id: $id) {{ ... on Proposal {{ costPlan {{ {PLAN} }} }} }} }}", {"id": pid}
    )
    return data["node"]["costPlan"]


async def share_ids(client: Client, pid: str) -> dict[str, str]:
    """Share ids by party key."""
    plan = await plan_of(client, pid)
    assert plan is not None
    by_name = {s["party"]["name"]: s["id"] for s in plan["shares"]}
    return {key: by_name[name] for key, name in NAMES.items() if name in by_name}


async def share(client: Client, sid: str) -> dict | None:
    data = await client.query(f"query($id: ID!) {{ node(id: $id) {{ ... on CostShare {{ {SHARE} }} }} }}", {"id": sid})
    return data["node"]


async def confirm(client: Client, sid: str) -> dict:
    return await client.mutate("confirmShare", {"shareId": sid}, f"share {{ {SHARE} }}")


async def pay(client: Client, sid: str, amount: str, received_at: str = RECEIVED, note: str | None = None) -> dict:
    return await client.mutate(
        "recordContribution",
        {"shareId": sid, "amount": amount, "receivedAt": received_at, "note": note},
        f"share {{ {SHARE} }}",
    )


async def received(world: World, sid: str, amount: str) -> None:
    """The organizer records `amount` received against a share."""
    await world.organizer.ok("recordContribution", {"shareId": sid, "amount": amount, "receivedAt": RECEIVED})


async def funding(client: Client, cid: str) -> dict | None:
    data = await client.query(f"query($id: ID!) {{ consultation(id: $id) {{ funding {{ {FUNDING} }} }} }}", {"id": cid})
    return data["consultation"]["funding"]


async def trail(client: Client, cid: str) -> list[dict]:
    data = await client.query(
        "query($id: ID!) { consultation(id: $id) { auditTrail(first: 500) {"
        " edges { node { seq action summary actor { id } } } } } }",
        {"id": cid},
    )
    return [e["node"] for e in data["consultation"]["auditTrail"]["edges"]]


async def trail_length(client: Client, cid: str) -> int:
    data = await client.query("query($id: ID!) { consultation(id: $id) { auditTrail { totalCount } } }", {"id": cid})
    return data["consultation"]["auditTrail"]["totalCount"]


async def stored_payloads(cid: str, action: str) -> list[dict]:
    """The audit payloads of `action`, oldest first: the only direct model read of this file."""
    pk = expect_id(cid, "Consultation")
    rows = await AuditEvent.filter(consultation_id=pk, action=action).order_by("seq")
    return [json.loads(r.payload) for r in rows]


async def caiyuan(world: World, stage: str = "DELIBERATING") -> tuple[str, str, dict[str, str]]:
    """菜园巷: 240000 split EQUAL among the market, the street office and the local units."""
    cid = await create_consultation(world, stage=stage)
    pid = await proposal_id(world.organizer, cid)
    await plan_ok(world.organizer, pid, "240000", "EQUAL", lines(world, CAIYUAN))
    return cid, pid, await share_ids(world.organizer, pid)


async def adopted_caiyuan(world: World) -> tuple[str, str, dict[str, str]]:
    cid, pid, shares = await caiyuan(world)
    await adopt(world, pid)
    return cid, pid, shares


async def single_share_plan(world: World, total: str) -> tuple[str, str]:
    """An adopted proposal whose whole `total` falls on the market; returns (consultation, share)."""
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.organizer, cid)
    await plan_ok(world.organizer, pid, total, "EQUAL", lines(world, ["market"]))
    await adopt(world, pid)
    return cid, (await share_ids(world.organizer, pid))["market"]


async def outsider_party(world: World, name: str = "外区物业公司") -> str:
    payload = await world.admin.ok("createParty", {"name": name, "kind": "ENTERPRISE"}, "party { id }")
    return payload["party"]["id"]


# ---------------------------------------------------------------- setCostPlan: the four methods


async def test_caiyuan_lane_240000_split_equally_among_three_is_80000_each(world):
    # given the 菜园巷 proposal with a budget of 240000
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.organizer, cid)
    # when the organizer splits 240000 EQUAL among the market, the street office and the local units
    payload = await set_plan(world.organizer, pid, "240000", "EQUAL", lines(world, CAIYUAN))
    # then each pays 80000.00, in the order given, with nothing confirmed or paid yet
    assert payload["errors"] == []
    assert payload["proposal"] == {"id": pid}
    for plan in (payload["costPlan"], await plan_of(world.anon, pid)):
        assert (plan["total"], plan["method"], plan["fullyConfirmed"]) == ("240000.00", "EQUAL", False)
        assert [s["party"]["name"] for s in plan["shares"]] == ["菜园市场", "解放街道办事处", "辖区单位联合体"]
        assert [s["party"]["id"] for s in plan["shares"]] == [world.parties[k] for k in CAIYUAN]
        assert amounts_of(plan) == ["80000.00", "80000.00", "80000.00"]
        for s in plan["shares"]:
            assert (s["percent"], s["weight"], s["confirmedAt"], s["confirmedBy"]) == (None, None, None, None)
            assert (s["paid"], s["outstanding"], s["contributions"]) == ("0.00", "80000.00", [])


async def test_wuchuan_8400_among_six_units_is_1400_each(world):
    # given a consultation with three more units added to the three parties
    cid = await create_consultation(world, stage="DELIBERATING", title="乌川路井盖更换")
    party_ids = list(world.parties.values())
    for name in ("乌川供电所", "乌川自来水公司", "乌川燃气公司"):
        created = await world.organizer.ok("createParty", {"name": name, "kind": "UNIT"}, "party { id }")
        party_ids.append(created["party"]["id"])
        await world.organizer.ok(
            "addParty", {"consultationId": cid, "partyId": created["party"]["id"]}, "consultation { id }"
        )
    pid = await proposal_id(world.organizer, cid, title="更换破损井盖", budget="8400")
    # when 8400 is split EQUAL among the six
    plan = await plan_ok(world.organizer, pid, "8400", "EQUAL", [{"partyId": p} for p in party_ids])
    # then each pays 1400.00
    assert amounts_of(plan) == ["1400.00"] * 6
    assert [s["party"]["id"] for s in plan["shares"]] == party_ids
    assert plan["total"] == "8400.00"


@pytest.mark.parametrize(
    "total, expected",
    [
        ("100", ["33.34", "33.33", "33.33"]),
        ("100.01", ["33.34", "33.34", "33.33"]),
        ("0.02", ["0.01", "0.01", "0.00"]),
        ("240000.01", ["80000.01", "80000.00", "80000.00"]),
    ],
)
async def test_equal_split_gives_the_leftover_fen_to_the_first_parties_in_order(world, total, expected):
    # given a proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.organizer, cid)
    # when a total that does not divide by three is split EQUAL
    plan = await plan_ok(world.organizer, pid, total, "EQUAL", lines(world, CAIYUAN))
    # then the leftover fen go one each to the first parties, and the shares add up to the total
    assert amounts_of(plan) == expected
    assert sum(fen(a) for a in amounts_of(plan)) == fen(total)


async def test_fixed_amounts_are_kept_exactly_as_given(world):
    # given a proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.organizer, cid)
    # when the amounts per party are fixed and add up to the total
    plan = await plan_ok(
        world.organizer, pid, "240000", "FIXED", lines(world, CAIYUAN, "amount", ["120000", "80000.5", "39999.50"])
    )
    # then each party pays exactly its amount
    assert (plan["method"], plan["total"]) == ("FIXED", "240000.00")
    assert amounts_of(plan) == ["120000.00", "80000.50", "39999.50"]
    assert [s["outstanding"] for s in plan["shares"]] == ["120000.00", "80000.50", "39999.50"]


@pytest.mark.parametrize(
    "total, expected",
    [
        ("100", ["33.33", "33.33", "33.34"]),
        ("240000", ["79999.92", "79999.92", "80000.16"]),
    ],
)
async def test_percentages_with_four_decimals_split_by_largest_remainder(world, total, expected):
    # given a proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.organizer, cid)
    # when it is split 33.3333 / 33.3333 / 33.3334 percent
    plan = await plan_ok(
        world.organizer, pid, total, "PERCENT", lines(world, CAIYUAN, "percent", ["33.3333", "33.3333", "33.3334"])
    )
    # then the amounts follow the percentages, the fen left over going to the largest remainder
    assert plan["method"] == "PERCENT"
    assert amounts_of(plan) == expected
    assert sum(fen(a) for a in amounts_of(plan)) == fen(total)
    assert [s["percent"] for s in plan["shares"]] == ["33.3333", "33.3333", "33.3334"]
    assert [s["weight"] for s in plan["shares"]] == [None, None, None]


async def test_a_zero_percent_line_pays_nothing(world):
    # given a proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.organizer, cid)
    # when the units are listed at 0 percent
    plan = await plan_ok(
        world.organizer, pid, "240000", "PERCENT", lines(world, CAIYUAN, "percent", ["62.5", "37.5", "0"])
    )
    # then they owe nothing and the others share the total
    assert amounts_of(plan) == ["150000.00", "90000.00", "0.00"]


@pytest.mark.parametrize(
    "total, expected",
    [
        # 240000 × 60/137 = 105109.489…, × 50/137 = 87591.240…, × 27/137 = 47299.270…: the fen left goes to the market
        ("240000", ["105109.49", "87591.24", "47299.27"]),
        # 10000 × 60/137 = 4379.562…, × 50/137 = 3649.635…, × 27/137 = 1970.802…: the fen left goes to the street office
        ("10000", ["4379.56", "3649.64", "1970.80"]),
        ("137", ["60.00", "50.00", "27.00"]),
    ],
)
async def test_weighted_by_households_adds_up_to_the_total_exactly(world, total, expected):
    # given a proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.organizer, cid)
    # when it is split by households: 60, 50 and 27
    plan = await plan_ok(world.organizer, pid, total, "WEIGHTED", lines(world, CAIYUAN, "weight", ["60", "50", "27"]))
    # then each pays in proportion, and the amounts add up to the total to the fen
    assert plan["method"] == "WEIGHTED"
    assert amounts_of(plan) == expected
    assert sum(fen(a) for a in amounts_of(plan)) == fen(total)
    assert [s["weight"] for s in plan["shares"]] == ["60", "50", "27"]
    assert [s["percent"] for s in plan["shares"]] == [None, None, None]


async def test_weighted_by_frontage_metres_takes_decimal_weights(world):
    # given a proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.organizer, cid)
    # when it is split by metres of frontage: 12.5, 7.5 and 10
    plan = await plan_ok(
        world.organizer, pid, "10000", "WEIGHTED", lines(world, CAIYUAN, "weight", ["12.5", "7.50", "10"])
    )
    # then 10000 × 12.5/30 = 4166.666… rounds up by the one fen left over
    assert amounts_of(plan) == ["4166.67", "2500.00", "3333.33"]
    assert [s["weight"] for s in plan["shares"]] == ["12.5", "7.5", "10"]


async def test_equal_remainders_go_to_the_party_listed_first(world):
    # given a proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.organizer, cid)
    # when 0.04 is split by weights 1, 2, 2: exact shares 0.008, 0.016, 0.016
    plan = await plan_ok(world.organizer, pid, "0.04", "WEIGHTED", lines(world, CAIYUAN, "weight", ["1", "2", "2"]))
    # then the largest remainder (the market's) gets a fen, and of the two equal ones the street office, listed first
    assert amounts_of(plan) == ["0.01", "0.02", "0.01"]


@pytest.mark.parametrize(
    "total, method, values, expected",
    [
        ("99999999999.99", "EQUAL", None, ["33333333333.33", "33333333333.33", "33333333333.33"]),
        ("10000000000000", "EQUAL", None, ["3333333333333.34", "3333333333333.33", "3333333333333.33"]),
        ("99999999999.99", "WEIGHTED", ["60", "50", "27"], ["43795620437.95", "36496350364.96", "19708029197.08"]),
        (
            "10000000000000",
            "WEIGHTED",
            ["60", "50", "27"],
            ["4379562043795.62", "3649635036496.35", "1970802919708.03"],
        ),
        (
            "10000000000000",
            "PERCENT",
            ["33.3333", "33.3333", "33.3334"],
            ["3333330000000.00", "3333330000000.00", "3333340000000.00"],
        ),
        (
            "10000000000000",
            "FIXED",
            ["9999999999999.98", "0.01", "0.01"],
            ["9999999999999.98", "0.01", "0.01"],
        ),
    ],
)
async def test_totals_far_beyond_32_bits_split_exactly(world, total, method, values, expected):
    # given a proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.organizer, cid)
    field = {"WEIGHTED": "weight", "PERCENT": "percent", "FIXED": "amount"}.get(method)
    # when a total of up to 10^13 yuan is split
    plan = await plan_ok(world.organizer, pid, total, method, lines(world, CAIYUAN, field, values))
    # then it is stored exactly and the shares add up to it to the fen
    assert plan["total"] == f"{fen(total) // 100}.{fen(total) % 100:02d}"
    assert amounts_of(plan) == expected
    assert sum(fen(a) for a in amounts_of(plan)) == fen(total)
    assert amounts_of(await plan_of(world.anon, pid)) == expected


async def test_money_beyond_32_bits_is_recorded_and_counted_exactly(world):
    # given an adopted proposal whose 10^13 yuan are split EQUAL among the three
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.organizer, cid)
    await plan_ok(world.organizer, pid, "10000000000000", "EQUAL", lines(world, CAIYUAN))
    await adopt(world, pid)
    shares = await share_ids(world.organizer, pid)
    # when the market pays its whole share and the street office part of its share
    await received(world, shares["market"], "3333333333333.34")
    await received(world, shares["street"], "2147483648.01")
    # then paid, outstanding and the funding are exact to the fen
    street = await share(world.anon, shares["street"])
    assert (street["paid"], street["outstanding"]) == ("2147483648.01", "3331185849685.32")
    assert await funding(world.anon, cid) == {
        "total": "10000000000000.00",
        "pledged": "0.00",
        "paid": "3335480816981.35",
        "outstanding": "6664519183018.65",
        "ratio": "0.3335",
    }


async def test_the_plan_total_may_differ_from_the_budget_and_funding_uses_the_plan(world):
    # given an adopted proposal with a budget of 240000
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.organizer, cid, budget="240000")
    await adopt(world, pid)
    # when the cost plan shares 250000
    plan = await plan_ok(
        world.organizer, pid, "250000", "FIXED", lines(world, CAIYUAN, "amount", ["100000", "100000", "50000"])
    )
    # then the plan and the funding use 250000 while the budget stays 240000
    assert plan["total"] == "250000.00"
    data = await world.anon.query("query($id: ID!) { node(id: $id) { ... on Proposal { budget } } }", {"id": pid})
    assert data["node"]["budget"] == "240000.00"
    assert (await funding(world.anon, cid))["total"] == "250000.00"
    assert (await funding(world.anon, cid))["outstanding"] == "250000.00"


# ---------------------------------------------------------------- setCostPlan: refused input


# (method, total, [(party key, value)], expected errors); the value goes to amount, percent or weight by method.
# Party keys: the three parties, "outsider" (exists, not taking part) and "unknown" (no such party).
# fmt: off
BAD_PLANS = [
    pytest.param("EQUAL", "12.345", [("market", None), ("street", None)],
                 [("total", "INVALID")], id="total-three-decimals"),
    pytest.param("EQUAL", "-5", [("market", None)],
                 [("total", "INVALID")], id="total-negative"),
    pytest.param("EQUAL", "abc", [("market", None)],
                 [("total", "INVALID")], id="total-not-a-number"),
    pytest.param("EQUAL", "1e5", [("market", None)],
                 [("total", "INVALID")], id="total-exponent"),
    pytest.param("EQUAL", "", [("market", None)],
                 [("total", "INVALID")], id="total-empty"),
    pytest.param("EQUAL", "10000000000000.01", [("market", None)],
                 [("total", "INVALID")], id="total-too-large"),
    pytest.param("FIXED", "100", [("market", "60"), ("street", "12.345")],
                 [("shares.1.amount", "INVALID")], id="amount-three-decimals"),
    pytest.param("FIXED", "100", [("market", "60"), ("street", "-5")],
                 [("shares.1.amount", "INVALID")], id="amount-negative"),
    pytest.param("FIXED", "100", [("market", "60"), ("street", "abc")],
                 [("shares.1.amount", "INVALID")], id="amount-not-a-number"),
    pytest.param("FIXED", "100", [("market", "60"), ("street", "40"), ("units", None)],
                 [("shares.2.amount", "INVALID")], id="amount-missing"),
    pytest.param("FIXED", "240000", [("market", "80000"), ("street", "80000"), ("units", "79999.99")],
                 [("shares", "SPLIT_MISMATCH")], id="fixed-short-by-a-fen"),
    pytest.param("FIXED", "240000", [("market", "80000"), ("street", "80000"), ("units", "80000.01")],
                 [("shares", "SPLIT_MISMATCH")], id="fixed-over-by-a-fen"),
    pytest.param("PERCENT", "100", [("market", "33.3333"), ("street", "33.3333"), ("units", "33.3333")],
                 [("shares", "SPLIT_MISMATCH")], id="percent-99.9999"),
    pytest.param("PERCENT", "100", [("market", "50"), ("street", "50.0001")],
                 [("shares", "SPLIT_MISMATCH")], id="percent-100.0001"),
    pytest.param("PERCENT", "100", [("market", "50"), ("street", "abc")],
                 [("shares.1.percent", "INVALID")], id="percent-not-a-number"),
    pytest.param("PERCENT", "100", [("market", "150"), ("street", "-50")],
                 [("shares.0.percent", "INVALID")], id="percent-above-100"),
    pytest.param("PERCENT", "100", [("market", "50"), ("street", "-50")],
                 [("shares.1.percent", "INVALID")], id="percent-negative"),
    pytest.param("PERCENT", "100", [("market", "50"), ("street", "49.99999"), ("units", "0.00001")],
                 [("shares.1.percent", "INVALID")], id="percent-five-decimals"),
    pytest.param("PERCENT", "100", [("market", "100"), ("street", None)],
                 [("shares.1.percent", "INVALID")], id="percent-missing"),
    pytest.param("WEIGHTED", "100", [("market", "60"), ("street", "0")],
                 [("shares.1.weight", "INVALID")], id="weight-zero"),
    pytest.param("WEIGHTED", "100", [("market", "60"), ("street", "-1")],
                 [("shares.1.weight", "INVALID")], id="weight-negative"),
    pytest.param("WEIGHTED", "100", [("market", "60"), ("street", "abc")],
                 [("shares.1.weight", "INVALID")], id="weight-not-a-number"),
    pytest.param("WEIGHTED", "100", [("market", "60"), ("street", None)],
                 [("shares.1.weight", "INVALID")], id="weight-missing"),
    pytest.param("EQUAL", "100", [("market", None), ("street", None), ("outsider", None)],
                 [("shares.2.partyId", "INVALID")], id="party-not-taking-part"),
    pytest.param("EQUAL", "100", [("market", None), ("street", None), ("market", None)],
                 [("shares.2.partyId", "INVALID")], id="party-twice"),
    pytest.param("EQUAL", "100", [("market", None), ("unknown", None)],
                 [("shares.1.partyId", "NOT_FOUND")], id="party-unknown"),
    pytest.param("EQUAL", "100", [],
                 [("shares", "INVALID")], id="no-shares"),
]
# fmt: on


@pytest.mark.parametrize("method, total, given, expected", BAD_PLANS)
async def test_a_bad_plan_is_refused_on_its_field_and_changes_nothing(world, method, total, given, expected):
    # given the 菜园巷 plan, confirmed by the market, and a party that does not take part
    cid, pid, shares = await caiyuan(world)
    await world.reps["market"].ok("confirmShare", {"shareId": shares["market"]})
    outsider = await outsider_party(world)
    party = {**world.parties, "outsider": outsider, "unknown": to_global_id("Party", 987654321)}
    field = {"FIXED": "amount", "PERCENT": "percent", "WEIGHTED": "weight"}.get(method)
    share_inputs = [{"partyId": party[key], **({field: value} if field else {})} for key, value in given]
    before_plan, before_trail = await plan_of(world.organizer, pid), await trail_length(world.organizer, cid)
    # when the organizer sets a plan with the bad input
    payload = await set_plan(world.organizer, pid, total, method, share_inputs)
    # then the error names the field, and neither the plan nor the audit trail changed
    assert errors_of(payload) == expected
    assert (payload["proposal"], payload["costPlan"]) == (None, None)
    assert await plan_of(world.organizer, pid) == before_plan
    assert await trail_length(world.organizer, cid) == before_trail


async def test_a_fixed_mismatch_message_gives_the_sum_and_the_total_in_yuan(world):
    # given a proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.organizer, cid)
    # when the fixed amounts add up to a fen less than the total
    payload = await set_plan(
        world.organizer, pid, "240000", "FIXED", lines(world, CAIYUAN, "amount", ["80000", "80000", "79999.99"])
    )
    # then the message states both sums in yuan
    assert errors_of(payload) == [("shares", "SPLIT_MISMATCH")]
    message = payload["errors"][0]["message"]
    assert "239999.99" in message and "240000.00" in message, message


async def test_a_percent_mismatch_message_gives_the_sum(world):
    # given a proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.organizer, cid)
    # when the percentages add up to 99.9999
    payload = await set_plan(
        world.organizer, pid, "100", "PERCENT", lines(world, CAIYUAN, "percent", ["33.3333", "33.3333", "33.3333"])
    )
    # then the message names that sum
    assert errors_of(payload) == [("shares", "SPLIT_MISMATCH")]
    assert "99.9999" in payload["errors"][0]["message"]
    assert await plan_of(world.organizer, pid) is None


async def test_a_plan_for_an_unknown_proposal_is_not_found(world):
    # given a DELIBERATING consultation
    await create_consultation(world, stage="DELIBERATING")
    # when a plan is set for a proposal that does not exist
    payload = await set_plan(
        world.organizer, to_global_id("Proposal", 987654321), "100", "EQUAL", lines(world, CAIYUAN)
    )
    # then it is NOT_FOUND on proposalId
    assert errors_of(payload) == [("proposalId", "NOT_FOUND")]


@pytest.mark.parametrize("end", ["WITHDRAWN", "REJECTED"])
async def test_a_withdrawn_or_rejected_proposal_gets_no_plan(world, end):
    # given a withdrawn or rejected proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.cppcc, cid)
    await world.cppcc.ok("updateProposal", {"proposalId": pid, "status": "TABLED"}, "proposal { id }")
    await world.organizer.ok("updateProposal", {"proposalId": pid, "status": end}, "proposal { id }")
    before = await trail_length(world.organizer, cid)
    # when the organizer sets a plan for it
    payload = await set_plan(world.organizer, pid, "240000", "EQUAL", lines(world, CAIYUAN))
    # then it is INVALID on proposalId and nothing was written
    assert errors_of(payload) == [("proposalId", "INVALID")]
    assert await plan_of(world.organizer, pid) is None
    assert await trail_length(world.organizer, cid) == before


# ---------------------------------------------------------------- setCostPlan: stages


@pytest.mark.parametrize("stage", ["DELIBERATING", "VOTING"])
async def test_a_plan_is_set_while_deliberating_or_voting(world, stage):
    # given a proposal of a consultation at `stage`
    cid = await create_consultation(world, stage=stage)
    pid = await proposal_id(world.organizer, cid)
    # when the organizer sets the plan
    payload = await set_plan(world.organizer, pid, "240000", "EQUAL", lines(world, CAIYUAN))
    # then it is stored
    assert payload["errors"] == []
    assert amounts_of(await plan_of(world.anon, pid)) == ["80000.00"] * 3


@pytest.mark.parametrize("stage", ["AGREED", "IMPLEMENTING", "EVALUATING", "ARCHIVED", "CANCELLED"])
async def test_a_plan_is_not_set_after_voting(world, stage):
    # given a proposal of a consultation that has moved past VOTING, or was cancelled
    if stage == "CANCELLED":
        cid = await create_consultation(world, stage="DELIBERATING")
        pid = await proposal_id(world.organizer, cid)
        await advance(world, cid, "CANCELLED", note="居民意见分歧太大")
    else:
        cid = await create_consultation(world, stage="EVALUATING" if stage == "ARCHIVED" else stage)
        if stage == "ARCHIVED":
            await advance(world, cid, "ARCHIVED")
        data = await world.organizer.query(
            "query($id: ID!) { consultation(id: $id) { adoptedProposal { id } } }", {"id": cid}
        )
        pid = data["consultation"]["adoptedProposal"]["id"]
    before = await trail_length(world.organizer, cid)
    # when the organizer sets a plan
    payload = await set_plan(world.organizer, pid, "240000", "EQUAL", lines(world, CAIYUAN))
    # then it is WRONG_STAGE and no plan exists
    assert codes_of(payload) == ["WRONG_STAGE"]
    assert await plan_of(world.organizer, pid) is None
    assert await trail_length(world.organizer, cid) == before


# ---------------------------------------------------------------- setCostPlan: who may


@pytest.mark.parametrize("who", ["organizer", "admin"])
async def test_organizers_and_admins_set_a_plan_for_any_proposal(world, who):
    # given a proposal by the market's rep
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.reps["market"], cid)
    # when an organizer or an admin sets its plan
    payload = await set_plan(getattr(world, who), pid, "240000", "EQUAL", lines(world, CAIYUAN))
    # then it is stored
    assert payload["errors"] == []
    assert (await plan_of(world.anon, pid))["total"] == "240000.00"


@pytest.mark.parametrize("author", ["market", "cppcc"])
async def test_the_proposal_author_sets_its_plan(world, author):
    # given a proposal by a party rep or by the CPPCC member
    client = world.reps["market"] if author == "market" else world.cppcc
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(client, cid)
    # when its author sets its plan
    payload = await set_plan(client, pid, "240000", "WEIGHTED", lines(world, CAIYUAN, "weight", ["60", "50", "27"]))
    # then it is stored
    assert payload["errors"] == []
    assert amounts_of(await plan_of(world.anon, pid)) == ["105109.49", "87591.24", "47299.27"]


async def test_residents_other_reps_and_other_cppcc_members_may_not_set_a_plan_and_anonymous_must_sign_in(world):
    # given a proposal by the organizer, and a resident on the roll
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.organizer, cid)
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    before = await trail_length(world.organizer, cid)
    # when a resident, a party rep, the CPPCC member (none of them its author) or nobody signed in sets its plan
    outcomes = {
        name: codes_of(await set_plan(client, pid, "240000", "EQUAL", lines(world, CAIYUAN)))
        for name, client in [
            ("resident", resident),
            ("rep", world.reps["market"]),
            ("cppcc", world.cppcc),
            ("anon", world.anon),
        ]
    }
    # then the signed-in are FORBIDDEN, the anonymous UNAUTHENTICATED, and nothing was written
    assert outcomes == {
        "resident": ["FORBIDDEN"],
        "rep": ["FORBIDDEN"],
        "cppcc": ["FORBIDDEN"],
        "anon": ["UNAUTHENTICATED"],
    }
    assert await plan_of(world.organizer, pid) is None
    assert await trail_length(world.organizer, cid) == before


# ---------------------------------------------------------------- setCostPlan: replacing and the audit trail


async def test_setting_a_plan_is_audited_with_no_old_plan_and_the_new_one(world):
    # given a proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.organizer, cid)
    before = await trail_length(world.organizer, cid)
    # when the organizer sets the 菜园巷 plan
    await plan_ok(world.organizer, pid, "240000", "EQUAL", lines(world, CAIYUAN))
    # then one costplan.set event by the organizer records no old plan and the new one
    events = await trail(world.anon, cid)
    assert len(events) == before + 1
    last = events[-1]
    assert (last["action"], last["actor"]) == ("costplan.set", {"id": world.accounts["organizer"]})
    assert "240000.00" in last["summary"]
    [payload] = await stored_payloads(cid, "costplan.set")
    assert payload["proposal"] == pid
    assert payload["old"] is None
    assert payload["new"]["total"] == "240000.00"
    assert payload["new"]["method"] == "EQUAL"
    assert [(s["party"], s["name"], s["amount"], s["confirmed"]) for s in payload["new"]["shares"]] == [
        (world.parties[k], NAMES[k], "80000.00", False) for k in CAIYUAN
    ]


async def test_replacing_a_plan_clears_every_confirmation_and_audits_old_and_new(world):
    # given the 菜园巷 plan, confirmed by the market and the street office
    cid, pid, shares = await caiyuan(world)
    await world.reps["market"].ok("confirmShare", {"shareId": shares["market"]})
    await world.organizer.ok("confirmShare", {"shareId": shares["street"]})
    before = await trail_length(world.organizer, cid)
    # when the organizer replaces it with a FIXED plan of 250000
    plan = await plan_ok(
        world.organizer, pid, "250000", "FIXED", lines(world, CAIYUAN, "amount", ["100000", "100000", "50000"])
    )
    # then the new plan holds, nothing of it is confirmed, and the old shares are gone
    assert (plan["total"], plan["method"], plan["fullyConfirmed"]) == ("250000.00", "FIXED", False)
    assert amounts_of(plan) == ["100000.00", "100000.00", "50000.00"]
    assert all(s["confirmedAt"] is None and s["confirmedBy"] is None for s in plan["shares"])
    assert await plan_of(world.anon, pid) == plan
    for old in shares.values():
        assert await share(world.organizer, old) is None
    # and one more audit event records the old plan (with its confirmations) and the new one
    assert await trail_length(world.organizer, cid) == before + 1
    assert (await trail(world.anon, cid))[-1]["action"] == "costplan.set"
    first, second = await stored_payloads(cid, "costplan.set")
    assert (second["old"]["total"], second["old"]["method"]) == ("240000.00", "EQUAL")
    assert [(s["name"], s["amount"], s["confirmed"]) for s in second["old"]["shares"]] == [
        ("菜园市场", "80000.00", True),
        ("解放街道办事处", "80000.00", True),
        ("辖区单位联合体", "80000.00", False),
    ]
    assert [s["party"] for s in second["old"]["shares"]] == [s["party"] for s in first["new"]["shares"]]
    assert (second["new"]["total"], second["new"]["method"]) == ("250000.00", "FIXED")
    assert [(s["name"], s["amount"], s["confirmed"]) for s in second["new"]["shares"]] == [
        ("菜园市场", "100000.00", False),
        ("解放街道办事处", "100000.00", False),
        ("辖区单位联合体", "50000.00", False),
    ]


async def test_a_replacement_may_drop_or_change_parties(world):
    # given the 菜园巷 plan
    _cid, pid, _shares = await caiyuan(world)
    # when it is replaced by a plan between the market and the local units only
    plan = await plan_ok(
        world.organizer, pid, "100", "PERCENT", lines(world, ["units", "market"], "percent", ["75", "25"])
    )
    # then only those two shares remain, in the new order
    assert [(s["party"]["name"], s["amount"], s["percent"]) for s in plan["shares"]] == [
        ("辖区单位联合体", "75.00", "75"),
        ("菜园市场", "25.00", "25"),
    ]


async def test_a_plan_with_money_recorded_can_no_longer_be_replaced(world):
    # given the adopted 菜园巷 plan with 10000 received from the market
    cid, pid, shares = await caiyuan(world)
    await world.organizer.ok("adoptProposal", {"proposalId": pid}, "proposal { id }")
    await received(world, shares["market"], "10000")
    before_plan, before_trail = await plan_of(world.organizer, pid), await trail_length(world.organizer, cid)
    # when the organizer replaces the plan
    payload = await set_plan(world.organizer, pid, "250000", "EQUAL", lines(world, CAIYUAN))
    # then it is a CONFLICT on proposalId and neither the plan, the money nor the trail changed
    assert errors_of(payload) == [("proposalId", "CONFLICT")]
    after = await plan_of(world.organizer, pid)
    assert after == before_plan
    assert after["shares"][0]["paid"] == "10000.00"
    assert await trail_length(world.organizer, cid) == before_trail


# ---------------------------------------------------------------- confirmShare (签协议)


async def test_a_party_rep_confirms_its_own_share(world):
    # given the 菜园巷 plan
    cid, _pid, shares = await caiyuan(world)
    before = await trail_length(world.organizer, cid)
    # when the market's rep confirms the market's share
    payload = await confirm(world.reps["market"], shares["market"])
    # then it is confirmed by the rep, and the audit trail records it as the party's own confirmation
    assert payload["errors"] == []
    confirmed = payload["share"]
    assert confirmed["id"] == shares["market"]
    assert confirmed["confirmedAt"] is not None
    assert confirmed["confirmedBy"] == {"id": world.accounts["rep_market"]}
    assert await share(world.anon, shares["market"]) == confirmed
    events = await trail(world.anon, cid)
    assert len(events) == before + 1
    assert (events[-1]["action"], events[-1]["actor"]) == ("share.confirm", {"id": world.accounts["rep_market"]})
    assert "菜园市场" in events[-1]["summary"] and "80000.00" in events[-1]["summary"]
    assert "代为确认" not in events[-1]["summary"]
    [stored] = await stored_payloads(cid, "share.confirm")
    assert stored == {
        "share": shares["market"],
        "party": world.parties["market"],
        "amount": "80000.00",
        "onBehalf": False,
    }


@pytest.mark.parametrize("who", ["organizer", "admin"])
async def test_an_organizer_confirms_on_the_partys_behalf_and_the_trail_says_so(world, who):
    # given the 菜园巷 plan
    cid, pid, shares = await caiyuan(world)
    client = getattr(world, who)
    viewer = (await client.query("{ viewer { id } }"))["viewer"]
    # when an organizer (or admin) confirms the street office's share for it
    payload = await confirm(client, shares["street"])
    # then it is confirmed by that account, and the audit trail says it was confirmed on the party's behalf
    assert payload["errors"] == []
    assert payload["share"]["confirmedBy"] == viewer
    assert (await plan_of(world.anon, pid))["fullyConfirmed"] is False
    last = (await trail(world.anon, cid))[-1]
    assert last["action"] == "share.confirm"
    assert "代为确认" in last["summary"] and "解放街道办事处" in last["summary"]
    [stored] = await stored_payloads(cid, "share.confirm")
    assert stored["onBehalf"] is True
    assert stored["party"] == world.parties["street"]


async def test_others_may_not_confirm_a_share_and_anonymous_must_sign_in(world):
    # given the 菜园巷 plan and a resident
    cid, _pid, shares = await caiyuan(world)
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    before = await trail_length(world.organizer, cid)
    # when the street office's rep, the CPPCC member, a resident or nobody confirms the market's share
    outcomes = {
        name: errors_of(await confirm(client, shares["market"]))
        for name, client in [
            ("rep", world.reps["street"]),
            ("cppcc", world.cppcc),
            ("resident", resident),
            ("anon", world.anon),
        ]
    }
    # then it is FORBIDDEN (UNAUTHENTICATED for nobody), and the share stays unconfirmed
    assert outcomes == {
        "rep": [("shareId", "FORBIDDEN")],
        "cppcc": [("shareId", "FORBIDDEN")],
        "resident": [("shareId", "FORBIDDEN")],
        "anon": [(None, "UNAUTHENTICATED")],
    }
    market = await share(world.organizer, shares["market"])
    assert (market["confirmedAt"], market["confirmedBy"]) == (None, None)
    assert await trail_length(world.organizer, cid) == before


async def test_the_plan_is_fully_confirmed_once_every_share_is(world):
    # given the 菜园巷 plan
    _cid, pid, shares = await caiyuan(world)
    # when the market and the street office confirm
    await world.reps["market"].ok("confirmShare", {"shareId": shares["market"]})
    await world.reps["street"].ok("confirmShare", {"shareId": shares["street"]})
    # then the plan is not yet fully confirmed
    assert (await plan_of(world.anon, pid))["fullyConfirmed"] is False
    # when the local units confirm too
    await world.reps["units"].ok("confirmShare", {"shareId": shares["units"]})
    # then it is
    plan = await plan_of(world.anon, pid)
    assert plan["fullyConfirmed"] is True
    assert [s["confirmedBy"]["id"] for s in plan["shares"]] == [world.accounts[f"rep_{k}"] for k in CAIYUAN]


async def test_confirming_twice_changes_nothing_and_adds_no_audit_event(world):
    # given the market's share, confirmed by its rep
    cid, _pid, shares = await caiyuan(world)
    first = (await world.reps["market"].ok("confirmShare", {"shareId": shares["market"]}, f"share {{ {SHARE} }}"))[
        "share"
    ]
    before = await trail_length(world.organizer, cid)
    # when the rep confirms again, and the organizer too
    again = await confirm(world.reps["market"], shares["market"])
    by_organizer = await confirm(world.organizer, shares["market"])
    # then both succeed without changing who confirmed it or when, and no event is added
    assert again["errors"] == [] and by_organizer["errors"] == []
    assert again["share"] == first and by_organizer["share"] == first
    assert await share(world.anon, shares["market"]) == first
    assert await trail_length(world.organizer, cid) == before
    assert len(await stored_payloads(cid, "share.confirm")) == 1


async def test_confirming_an_unknown_share_is_not_found(world):
    # given a DELIBERATING consultation
    await create_consultation(world, stage="DELIBERATING")
    # when the organizer confirms a share that does not exist, or passes another type's id
    missing = await confirm(world.organizer, to_global_id("CostShare", 987654321))
    wrong_type = await confirm(world.organizer, to_global_id("Proposal", 1))
    # then both are NOT_FOUND on shareId
    assert errors_of(missing) == [("shareId", "NOT_FOUND")]
    assert errors_of(wrong_type) == [("shareId", "NOT_FOUND")]


async def test_a_share_is_not_confirmed_after_the_agreement(world):
    # given a plan on a proposal that was not adopted, and the consultation AGREED on another one
    cid, _pid, shares = await caiyuan(world)
    other = await proposal_id(world.organizer, cid, title="只修管网")
    await adopt(world, other)
    await advance(world, cid, "AGREED")
    before = await trail_length(world.organizer, cid)
    # when the market's rep confirms its share of the plan that was not adopted
    payload = await confirm(world.reps["market"], shares["market"])
    # then it is WRONG_STAGE and nothing changed
    assert codes_of(payload) == ["WRONG_STAGE"]
    assert (await share(world.anon, shares["market"]))["confirmedAt"] is None
    assert await trail_length(world.organizer, cid) == before


# ---------------------------------------------------------------- recordContribution


async def test_organizer_records_money_received_and_paid_and_outstanding_follow(world):
    # given the adopted 菜园巷 plan
    cid, _pid, shares = await adopted_caiyuan(world)
    before = await trail_length(world.organizer, cid)
    # when the organizer records two payments from the market, the first given in UTC
    first = await pay(
        world.organizer, shares["market"], "30000", received_at="2026-03-02T02:00:00Z", note="银行转账 0001"
    )
    second = await pay(world.organizer, shares["market"], "20000.5", received_at="2026-03-09T09:30:00+08:00")
    # then the share shows both, oldest first, in Beijing time, with what is paid and what is outstanding
    assert first["errors"] == [] and second["errors"] == []
    assert (first["share"]["paid"], first["share"]["outstanding"]) == ("30000.00", "50000.00")
    market = await share(world.anon, shares["market"])
    assert second["share"] == market
    assert (market["paid"], market["outstanding"], market["amount"]) == ("50000.50", "29999.50", "80000.00")
    assert [(c["amount"], c["receivedAt"], c["note"]) for c in market["contributions"]] == [
        ("30000.00", "2026-03-02T10:00:00+08:00", "银行转账 0001"),
        ("20000.50", "2026-03-09T09:30:00+08:00", None),
    ]
    assert all(c["recordedBy"] == {"id": world.accounts["organizer"]} for c in market["contributions"])
    # and each payment is one audit event
    events = await trail(world.anon, cid)
    assert [e["action"] for e in events[before:]] == ["contribution.record", "contribution.record"]
    assert "菜园市场" in events[-1]["summary"] and "20000.50" in events[-1]["summary"]
    payloads = await stored_payloads(cid, "contribution.record")
    assert [(p["share"], p["amount"], p["paid"]) for p in payloads] == [
        (shares["market"], "30000.00", "30000.00"),
        (shares["market"], "20000.50", "50000.50"),
    ]
    assert [p["contribution"] for p in payloads] == [c["id"] for c in market["contributions"]]


async def test_paying_exactly_what_is_outstanding_settles_the_share(world):
    # given the market's share with 79999.99 paid
    _cid, _pid, shares = await adopted_caiyuan(world)
    await received(world, shares["market"], "79999.99")
    # when the last fen arrives
    payload = await pay(world.organizer, shares["market"], "0.01")
    # then the share is paid in full
    assert payload["errors"] == []
    assert (payload["share"]["paid"], payload["share"]["outstanding"]) == ("80000.00", "0.00")


@pytest.mark.parametrize("paid_before, amount", [(None, "80000.01"), ("50000", "30000.01"), ("80000", "0.01")])
async def test_a_payment_above_what_is_outstanding_is_refused_and_nothing_is_recorded(world, paid_before, amount):
    # given the market's share of 80000, partly or fully paid
    cid, _pid, shares = await adopted_caiyuan(world)
    if paid_before:
        await received(world, shares["market"], paid_before)
    before_share, before_trail = (
        await share(world.organizer, shares["market"]),
        await trail_length(world.organizer, cid),
    )
    before_funding = await funding(world.anon, cid)
    # when a payment would take paid above 80000
    payload = await pay(world.organizer, shares["market"], amount)
    # then amount is INVALID, the message tells what is still owed, and nothing is recorded
    assert errors_of(payload) == [("amount", "INVALID")]
    outstanding = before_share["outstanding"]
    assert outstanding in payload["errors"][0]["message"]
    assert payload["share"] is None
    assert await share(world.organizer, shares["market"]) == before_share
    assert await funding(world.anon, cid) == before_funding
    assert await trail_length(world.organizer, cid) == before_trail


@pytest.mark.parametrize(
    "amount, received_at, field",
    [
        ("0", RECEIVED, "amount"),
        ("0.00", RECEIVED, "amount"),
        ("12.345", RECEIVED, "amount"),
        ("-5", RECEIVED, "amount"),
        ("abc", RECEIVED, "amount"),
        ("", RECEIVED, "amount"),
        ("100", "yesterday", "receivedAt"),
        ("100", "2026-13-01T10:00:00+08:00", "receivedAt"),
        ("100", "", "receivedAt"),
    ],
)
async def test_a_bad_amount_or_time_is_invalid_and_nothing_is_recorded(world, amount, received_at, field):
    # given the market's share
    cid, _pid, shares = await adopted_caiyuan(world)
    before_share, before_trail = (
        await share(world.organizer, shares["market"]),
        await trail_length(world.organizer, cid),
    )
    # when a payment with a bad amount or time is recorded
    payload = await pay(world.organizer, shares["market"], amount, received_at=received_at)
    # then that field is INVALID and nothing is recorded
    assert errors_of(payload) == [(field, "INVALID")]
    assert await share(world.organizer, shares["market"]) == before_share
    assert await trail_length(world.organizer, cid) == before_trail


async def test_only_organizers_record_money_and_anonymous_must_sign_in(world):
    # given the market's share and a resident
    cid, _pid, shares = await adopted_caiyuan(world)
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    before = await trail_length(world.organizer, cid)
    # when the market's own rep, the CPPCC member, a resident or nobody records a payment
    outcomes = {
        name: codes_of(await pay(client, shares["market"], "100"))
        for name, client in [
            ("own rep", world.reps["market"]),
            ("cppcc", world.cppcc),
            ("resident", resident),
            ("anon", world.anon),
        ]
    }
    # then it is FORBIDDEN (UNAUTHENTICATED for nobody) and nothing is recorded
    assert outcomes == {
        "own rep": ["FORBIDDEN"],
        "cppcc": ["FORBIDDEN"],
        "resident": ["FORBIDDEN"],
        "anon": ["UNAUTHENTICATED"],
    }
    market = await share(world.organizer, shares["market"])
    assert (market["paid"], market["contributions"]) == ("0.00", [])
    assert await trail_length(world.organizer, cid) == before


async def test_recording_against_an_unknown_share_is_not_found(world):
    # given a DELIBERATING consultation
    await create_consultation(world, stage="DELIBERATING")
    # when the organizer records money against a share that does not exist
    payload = await pay(world.organizer, to_global_id("CostShare", 987654321), "100")
    # then it is NOT_FOUND on shareId
    assert errors_of(payload) == [("shareId", "NOT_FOUND")]


async def test_money_is_recorded_through_implementation_but_not_once_archived(world):
    # given the fully confirmed, adopted 菜园巷 plan, and the consultation AGREED
    cid, _pid, shares = await adopted_caiyuan(world)
    for key in CAIYUAN:
        await world.reps[key].ok("confirmShare", {"shareId": shares[key]})
    await advance(world, cid, "AGREED")
    # when money arrives while AGREED, IMPLEMENTING and EVALUATING
    for stage, key in [("AGREED", "market"), ("IMPLEMENTING", "street"), ("EVALUATING", "units")]:
        if stage != "AGREED":
            await advance(world, cid, stage)
        payload = await pay(world.organizer, shares[key], "80000")
        # then it is recorded
        assert payload["errors"] == [], stage
    assert (await funding(world.anon, cid))["paid"] == "240000.00"
    # when the consultation is ARCHIVED and the organizer records more
    await advance(world, cid, "ARCHIVED")
    before = await trail_length(world.organizer, cid)
    refused = await pay(world.organizer, shares["market"], "0.01")
    # then it is WRONG_STAGE
    assert codes_of(refused) == ["WRONG_STAGE"]
    assert await trail_length(world.organizer, cid) == before


# ---------------------------------------------------------------- funding


async def test_funding_is_null_before_a_proposal_is_adopted(world):
    # given the 菜园巷 plan on a proposal not adopted (yet)
    cid, _pid, shares = await caiyuan(world)
    await world.reps["market"].ok("confirmShare", {"shareId": shares["market"]})
    # when anyone reads the funding
    # then there is none
    assert await funding(world.anon, cid) is None
    assert await funding(world.organizer, cid) is None


async def test_funding_sums_the_adopted_plan(world):
    # given the adopted 菜园巷 plan
    cid, _pid, shares = await adopted_caiyuan(world)
    # then at first nothing is pledged or paid
    assert await funding(world.anon, cid) == {
        "total": "240000.00",
        "pledged": "0.00",
        "paid": "0.00",
        "outstanding": "240000.00",
        "ratio": "0.0000",
    }
    # when the market and the street office confirm, and 80000 + 20000 arrive
    await world.reps["market"].ok("confirmShare", {"shareId": shares["market"]})
    await world.organizer.ok("confirmShare", {"shareId": shares["street"]})
    await received(world, shares["market"], "80000")
    await received(world, shares["units"], "20000")
    # then pledged is the confirmed shares, paid counts every payment, and 100000/240000 = 0.41666… rounds to 0.4167
    assert await funding(world.anon, cid) == {
        "total": "240000.00",
        "pledged": "160000.00",
        "paid": "100000.00",
        "outstanding": "140000.00",
        "ratio": "0.4167",
    }


async def test_funding_follows_the_adopted_proposal(world):
    # given two proposals with plans: A (240000, adopted) and B (9000)
    cid, _first, _shares = await adopted_caiyuan(world)
    second = await proposal_id(world.organizer, cid, title="只修管网", budget="9000")
    await plan_ok(world.organizer, second, "9000", "EQUAL", lines(world, CAIYUAN))
    assert (await funding(world.anon, cid))["total"] == "240000.00"
    # when B is adopted instead
    await adopt(world, second)
    # then the funding is B's
    assert await funding(world.anon, cid) == {
        "total": "9000.00",
        "pledged": "0.00",
        "paid": "0.00",
        "outstanding": "9000.00",
        "ratio": "0.0000",
    }


@pytest.mark.parametrize(
    "total, payments, paid, ratio",
    [
        ("3", ["1"], "1.00", "0.3333"),  # 1/3
        ("3", ["1", "1"], "2.00", "0.6667"),  # 2/3
        ("3", ["2.99"], "2.99", "0.9967"),
        ("20000", ["1"], "1.00", "0.0001"),  # exactly 0.00005: half rounds up
        ("20000", ["0.99"], "0.99", "0.0000"),  # 0.0000495
        ("2000", ["246.9"], "246.90", "0.1235"),  # exactly 0.12345: half rounds up, not to even
        ("2000", ["246.89"], "246.89", "0.1234"),  # 0.123445
        ("240000", ["240000"], "240000.00", "1.0000"),
        ("99999999999.99", ["0.01"], "0.01", "0.0000"),
        ("99999999999.99", ["33333333333.33"], "33333333333.33", "0.3333"),
    ],
)
async def test_funding_ratio_is_paid_over_total_rounded_half_up_to_four_decimals(world, total, payments, paid, ratio):
    # given an adopted plan whose whole total falls on the market
    cid, sid = await single_share_plan(world, total)
    # when the payments arrive
    for amount in payments:
        await received(world, sid, amount)
    # then paid, outstanding and the ratio follow
    progress = await funding(world.anon, cid)
    assert (progress["paid"], progress["ratio"]) == (paid, ratio)
    assert fen(progress["outstanding"]) == fen(total) - fen(paid)


# ---------------------------------------------------------------- the stage guard (签协议)


@pytest.mark.parametrize("start", ["DELIBERATING", "VOTING"])
async def test_agreement_waits_for_every_share_and_names_the_unconfirmed_party(world, start):
    # given the adopted 菜园巷 plan, confirmed by the street office and the local units but not the market
    cid = await create_consultation(world, stage=start)
    pid = await proposal_id(world.organizer, cid)
    await plan_ok(world.organizer, pid, "240000", "EQUAL", lines(world, CAIYUAN))
    await adopt(world, pid)
    await close_polls(world, cid)
    shares = await share_ids(world.organizer, pid)
    await world.reps["street"].ok("confirmShare", {"shareId": shares["street"]})
    await world.organizer.ok("confirmShare", {"shareId": shares["units"]})
    before = await trail_length(world.organizer, cid)
    # when the organizer moves it to AGREED
    refused = await try_advance(world, cid, "AGREED")
    # then it is WRONG_STAGE, the message names the market and only the market, and nothing moved
    assert errors_of(refused) == [("to", "WRONG_STAGE")]
    message = refused["errors"][0]["message"]
    assert "菜园市场" in message
    assert "解放街道办事处" not in message and "辖区单位联合体" not in message
    assert await stage_of(world.anon, cid) == start
    assert await trail_length(world.organizer, cid) == before
    # when the market's rep confirms and the organizer tries again
    await world.reps["market"].ok("confirmShare", {"shareId": shares["market"]})
    moved = await try_advance(world, cid, "AGREED")
    # then the consultation is AGREED
    assert moved["errors"] == []
    assert await stage_of(world.anon, cid) == "AGREED"


async def test_agreement_names_every_unconfirmed_party_in_order(world):
    # given the adopted 菜园巷 plan with no confirmation
    cid, _pid, _shares = await adopted_caiyuan(world)
    # when the organizer moves it to AGREED
    refused = await try_advance(world, cid, "AGREED")
    # then all three parties are named, in the plan's order
    assert errors_of(refused) == [("to", "WRONG_STAGE")]
    message = refused["errors"][0]["message"]
    positions = [message.find(NAMES[k]) for k in CAIYUAN]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), message


async def test_agreement_needs_an_adopted_proposal(world):
    # given a proposal with a fully confirmed plan that is not adopted
    cid, _pid, shares = await caiyuan(world)
    for key in CAIYUAN:
        await world.reps[key].ok("confirmShare", {"shareId": shares[key]})
    # when the organizer moves to AGREED
    refused = await try_advance(world, cid, "AGREED")
    # then it is WRONG_STAGE: a proposal has to be adopted first
    assert errors_of(refused) == [("to", "WRONG_STAGE")]
    assert "采纳" in refused["errors"][0]["message"]
    assert await stage_of(world.anon, cid) == "DELIBERATING"


async def test_an_unconfirmed_plan_of_a_proposal_not_adopted_does_not_hold_up_the_agreement(world):
    # given an unconfirmed plan on one proposal, and another proposal adopted without a plan
    cid, _pid, _shares = await caiyuan(world)
    other = await proposal_id(world.organizer, cid, title="只修管网", budget="9000")
    await adopt(world, other)
    # when the organizer moves to AGREED
    moved = await try_advance(world, cid, "AGREED")
    # then it is AGREED
    assert moved["errors"] == []
    assert await stage_of(world.anon, cid) == "AGREED"


async def test_replacing_a_confirmed_plan_holds_up_the_agreement_again(world):
    # given the adopted 菜园巷 plan confirmed by all three
    cid, pid, shares = await adopted_caiyuan(world)
    for key in CAIYUAN:
        await world.reps[key].ok("confirmShare", {"shareId": shares[key]})
    assert (await plan_of(world.anon, pid))["fullyConfirmed"] is True
    # when the plan is replaced and the organizer moves to AGREED
    await plan_ok(world.organizer, pid, "240000", "WEIGHTED", lines(world, CAIYUAN, "weight", ["60", "50", "27"]))
    refused = await try_advance(world, cid, "AGREED")
    # then every party has to confirm again
    assert errors_of(refused) == [("to", "WRONG_STAGE")]
    message = refused["errors"][0]["message"]
    assert all(NAMES[k] in message for k in CAIYUAN), message
    assert await stage_of(world.anon, cid) == "DELIBERATING"


async def test_the_agreement_message_follows_accept_language(world):
    # given the adopted 菜园巷 plan, unconfirmed by the market only
    cid, _pid, shares = await adopted_caiyuan(world)
    for key in ("street", "units"):
        await world.reps[key].ok("confirmShare", {"shareId": shares[key]})
    # when an English-speaking organizer moves to AGREED
    refused = await world.organizer.as_(world.organizer.token, lang="en").mutate(
        "advanceStage", {"consultationId": cid, "to": "AGREED"}, "consultation { stage }"
    )
    # then the message is in English and still names the market
    assert errors_of(refused) == [("to", "WRONG_STAGE")]
    assert "confirm" in refused["errors"][0]["message"] and "菜园市场" in refused["errors"][0]["message"]


# ---------------------------------------------------------------- node(id:)


async def test_node_resolves_cost_shares_and_contributions(world):
    # given the adopted 菜园巷 plan with one payment from the market
    _cid, _pid, shares = await adopted_caiyuan(world)
    recorded = await world.organizer.ok(
        "recordContribution",
        {"shareId": shares["market"], "amount": "12345.67", "receivedAt": RECEIVED, "note": "首笔"},
        "share { contributions { id } }",
    )
    [contribution_id] = [c["id"] for c in recorded["share"]["contributions"]]
    # when anyone fetches the share and the contribution by id
    data = await world.anon.query(
        """query($share: ID!, $contribution: ID!) {
          share: node(id: $share) { __typename id ... on CostShare { amount paid outstanding party { name } } }
          contribution: node(id: $contribution) { __typename id ... on Contribution { amount receivedAt note } }
        }""",
        {"share": shares["market"], "contribution": contribution_id},
    )
    # then both resolve to what was recorded
    assert data["share"] == {
        "__typename": "CostShare",
        "id": shares["market"],
        "amount": "80000.00",
        "paid": "12345.67",
        "outstanding": "67654.33",
        "party": {"name": "菜园市场"},
    }
    assert data["contribution"] == {
        "__typename": "Contribution",
        "id": contribution_id,
        "amount": "12345.67",
        "receivedAt": "2026-03-02T10:00:00+08:00",
        "note": "首笔",
    }


async def test_node_of_a_missing_share_or_contribution_is_null(world):
    # given no cost plan at all
    await create_consultation(world, stage="DELIBERATING")
    # when ids of a share and a contribution that do not exist are fetched
    data = await world.organizer.query(
        "query($a: ID!, $b: ID!) { a: node(id: $a) { id } b: node(id: $b) { id } }",
        {"a": to_global_id("CostShare", 987654321), "b": to_global_id("Contribution", 987654321)},
    )
    # then both are null
    assert data == {"a": None, "b": None}


async def test_money_is_recorded_only_against_the_adopted_proposals_plan(world):
    # given the 菜园巷 plan on a proposal that is not adopted
    cid, _pid, shares = await caiyuan(world)
    before = await trail_length(world.organizer, cid)
    # when the organizer records a payment against one of its shares
    payload = await world.organizer.mutate(
        "recordContribution",
        {"shareId": shares["market"], "amount": "100", "receivedAt": "2025-05-01T10:00:00+08:00"},
        "share { paid }",
    )
    # then it is INVALID on shareId and nothing is recorded
    assert errors_of(payload) == [("shareId", "INVALID")]
    assert await trail_length(world.organizer, cid) == before
