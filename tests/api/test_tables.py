"""Tables pasted in the console (issue 14, item 4): parties, duties and payments, each written in
one call, all or nothing, every bad row named, and a table sent twice never written twice."""

from __future__ import annotations

from tests.api.helpers import World, create_consultation, residents

ROWS = "rows { created party { id name kind } slip { code account { displayName phone } } }"
CONSULTATION = """query($id: ID!) { consultation(id: $id) {
  parties { id name }
  responsibilities { party { id } duty dueAt }
  funding { paid }
  auditTrail(first: 100) { edges { node { action summary } } }
} }"""


def codes(payload: dict) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def state(world: World, cid: str) -> dict:
    return (await world.organizer.query(CONSULTATION, {"id": cid}))["consultation"]


async def actions(world: World, cid: str, action: str) -> list[str]:
    edges = (await state(world, cid))["auditTrail"]["edges"]
    return [e["node"]["summary"] for e in edges if e["node"]["action"] == action]


async def empty_consultation(world: World) -> str:
    payload = await world.organizer.ok(
        "createConsultation",
        {"title": "五川村排水沟", "summary": "雨季积水。", "location": "五川村", "partyIds": []},
        "consultation { id }",
    )
    return payload["consultation"]["id"]


PARTIES = [
    {
        "name": "五川村委会",
        "kind": "UNIT",
        "representative": {"displayName": "五川村委会 李会计", "phone": "0478-8123456"},
    },
    {"name": "五川农贸点", "kind": "MERCHANT", "contact": "村口"},
    {"name": "菜园市场", "kind": "MERCHANT"},
]


async def test_a_parties_table_adds_new_parties_with_their_reps_and_joins_known_ones(world: World):
    # given a consultation with no party yet
    cid = await empty_consultation(world)
    # when the organizer sends a table of three rows, one naming a party already listed
    payload = await world.organizer.ok("addParties", {"consultationId": cid, "parties": PARTIES}, ROWS)
    rows = payload["rows"]
    # then two parties are new, the known one joins as it is, and the rep's slip comes back once
    assert [(r["party"]["name"], r["created"]) for r in rows] == [
        ("五川村委会", True),
        ("五川农贸点", True),
        ("菜园市场", False),
    ]
    assert rows[2]["party"]["id"] == world.parties["market"]
    assert rows[0]["slip"]["account"] == {"displayName": "五川村委会 李会计", "phone": "0478-8123456"}
    assert rows[0]["slip"]["code"] and rows[1]["slip"] is None
    # and all three take part, each audited as addParty audits it
    assert [p["name"] for p in (await state(world, cid))["parties"]] == ["五川村委会", "五川农贸点", "菜园市场"]
    assert len(await actions(world, cid, "consultation.add_party")) == 3
    # and the rep's slip signs them in for their party
    signed = await world.anon.ok("redeemInvitation", {"code": rows[0]["slip"]["code"]}, "token viewer { party { id } }")
    assert signed["viewer"]["party"]["id"] == rows[0]["party"]["id"]

    # when the same table is sent again
    again = await world.organizer.mutate("addParties", {"consultationId": cid, "parties": PARTIES}, ROWS)
    # then every row is refused (already taking part) and nothing more is written
    assert codes(again) == [
        ("parties.0.name", "CONFLICT"),
        ("parties.0.representative.displayName", "CONFLICT"),
        ("parties.1.name", "CONFLICT"),
        ("parties.2.name", "CONFLICT"),
    ]
    assert len((await state(world, cid))["parties"]) == 3
    listed = (await world.organizer.query("{ parties { name } }"))["parties"]
    assert [p["name"] for p in listed].count("五川村委会") == 1


async def test_one_bad_row_writes_nothing_and_every_bad_row_is_named(world: World):
    cid = await empty_consultation(world)
    before = len((await world.organizer.query("{ parties { id } }"))["parties"])
    table = [
        {"name": "甲组", "kind": "UNIT"},
        {"name": "  ", "kind": "UNIT"},
        {"name": "乙组", "kind": "UNIT", "representative": {"displayName": "乙组 王组长", "phone": "打电话"}},
        {"name": "甲组", "kind": "MERCHANT"},
    ]
    payload = await world.organizer.mutate("addParties", {"consultationId": cid, "parties": table}, ROWS)
    assert codes(payload) == [
        ("parties.1.name", "INVALID"),
        ("parties.2.representative.phone", "INVALID"),
        ("parties.3.name", "INVALID"),
    ]
    # the messages are in Chinese, and the repeated row points at the row it repeats
    assert payload["errors"][2]["message"] == "与第 1 行重复。"
    assert payload["rows"] == []
    assert len((await world.organizer.query("{ parties { id } }"))["parties"]) == before
    assert (await state(world, cid))["parties"] == []


async def test_only_organizers_send_tables(world: World):
    cid = await create_consultation(world, stage="DELIBERATING")
    households = await residents(world, cid, ["五川村 1 组 1 号"])
    row = {"partyId": world.parties["market"], "duty": "清理排水沟"}
    for who in (world.reps["market"], households[0], world.cppcc):
        refused = await who.mutate(
            "assignResponsibilities", {"consultationId": cid, "responsibilities": [row]}, "responsibilities { id }"
        )
        assert codes(refused) == [(None, "FORBIDDEN")]
        parties = await who.mutate(
            "addParties", {"consultationId": cid, "parties": [{"name": "某单位", "kind": "UNIT"}]}, ROWS
        )
        assert codes(parties) == [(None, "FORBIDDEN")]
        paid = await who.mutate(
            "recordContributions",
            {
                "consultationId": cid,
                "contributions": [
                    {"partyId": world.parties["market"], "amount": "1", "receivedAt": "2025-06-01T10:00:00+08:00"}
                ],
            },
            "shares { id }",
        )
        assert codes(paid) == [(None, "FORBIDDEN")]
    assert (await world.anon.mutate("addParties", {"consultationId": cid, "parties": []}, ROWS))["errors"][0][
        "code"
    ] == "UNAUTHENTICATED"
    assert (await state(world, cid))["responsibilities"] == []


async def test_a_duties_table_is_written_whole_or_not_at_all_and_never_twice(world: World):
    cid = await create_consultation(world, stage="DELIBERATING")
    market, street = world.parties["market"], world.parties["street"]
    table = [
        {"partyId": market, "duty": "清理沟渠淤泥", "dueAt": "2025-07-01T23:59:59+08:00"},
        {"partyId": street, "duty": "协调施工队"},
    ]
    # given one bad row (a party from no consultation at all), nothing is written
    other = await empty_consultation(world)
    outsider = (
        await world.organizer.ok(
            "addParties", {"consultationId": other, "parties": [{"name": "外村施工队", "kind": "ENTERPRISE"}]}, ROWS
        )
    )["rows"][0]["party"]["id"]
    bad = [
        *table,
        {"partyId": outsider, "duty": "运走渣土"},
        {"partyId": market, "duty": "清理沟渠淤泥"},
        {"partyId": street, "duty": " "},
    ]
    refused = await world.organizer.mutate(
        "assignResponsibilities", {"consultationId": cid, "responsibilities": bad}, "responsibilities { id }"
    )
    assert codes(refused) == [
        ("responsibilities.3.duty", "INVALID"),
        ("responsibilities.4.duty", "INVALID"),
    ]
    bad = [*table, {"partyId": outsider, "duty": "运走渣土"}]
    refused = await world.organizer.mutate(
        "assignResponsibilities", {"consultationId": cid, "responsibilities": bad}, "responsibilities { id }"
    )
    assert codes(refused) == [("responsibilities.2.partyId", "INVALID")]
    assert (await state(world, cid))["responsibilities"] == []
    # when the good table is sent, every row is written and audited
    done = await world.organizer.ok(
        "assignResponsibilities", {"consultationId": cid, "responsibilities": table}, "responsibilities { duty }"
    )
    assert [r["duty"] for r in done["responsibilities"]] == ["清理沟渠淤泥", "协调施工队"]
    written = (await state(world, cid))["responsibilities"]
    assert [(r["party"]["id"], r["duty"], r["dueAt"]) for r in written] == [
        (market, "清理沟渠淤泥", "2025-07-01T23:59:59+08:00"),
        (street, "协调施工队", None),
    ]
    assert len(await actions(world, cid, "responsibility.assign")) == 2
    # and the same table sent again is refused, row by row
    again = await world.organizer.mutate(
        "assignResponsibilities", {"consultationId": cid, "responsibilities": table}, "responsibilities { id }"
    )
    assert codes(again) == [("responsibilities.0.duty", "CONFLICT"), ("responsibilities.1.duty", "CONFLICT")]
    assert len((await state(world, cid))["responsibilities"]) == 2


async def _adopted_plan(world: World, cid: str) -> None:
    made = await world.organizer.ok(
        "createProposal",
        {"consultationId": cid, "title": "排水沟疏浚", "body": "两方分担", "budget": "8400"},
        "proposal { id }",
    )
    pid = made["proposal"]["id"]
    await world.organizer.ok(
        "setCostPlan",
        {
            "proposalId": pid,
            "total": "8400",
            "method": "EQUAL",
            "shares": [{"partyId": world.parties[k]} for k in ("market", "street")],
        },
        "costPlan { total }",
    )
    await world.organizer.ok("adoptProposal", {"proposalId": pid}, "proposal { id }")


def pay(party: str, amount: str, day: str = "2025-06-01", note: str | None = None) -> dict:
    return {"partyId": party, "amount": amount, "receivedAt": f"{day}T10:00:00+08:00", "note": note}


async def test_a_payments_table_pays_the_shares_and_a_replay_pays_nothing_more(world: World):
    cid = await create_consultation(world, stage="DELIBERATING")
    market, street, units = world.parties["market"], world.parties["street"], world.parties["units"]
    # before any plan is adopted, there is nothing to pay against
    early = await world.organizer.mutate(
        "recordContributions", {"consultationId": cid, "contributions": [pay(market, "100")]}, "shares { id }"
    )
    assert codes(early) == [("contributions", "INVALID")]
    await _adopted_plan(world, cid)
    # one bad row among good ones: every bad row named, nothing paid
    bad = [
        pay(market, "4200"),
        pay(street, "4200.001"),
        pay(units, "100"),
        pay(market, "0.01", day="2025-06-02"),
        pay(street, "0"),
        pay(market, "4200"),
    ]
    refused = await world.organizer.mutate(
        "recordContributions", {"consultationId": cid, "contributions": bad}, "shares { id }"
    )
    assert codes(refused) == [
        ("contributions.1.amount", "INVALID"),
        ("contributions.4.amount", "INVALID"),
        ("contributions.5", "INVALID"),
    ]
    refused = await world.organizer.mutate(
        "recordContributions",
        {
            "consultationId": cid,
            "contributions": [pay(market, "4200"), pay(units, "100"), pay(market, "0.01", "2025-06-02")],
        },
        "shares { id }",
    )
    # units has no share; the market's two rows together are more than it owes
    assert codes(refused) == [("contributions.1.partyId", "INVALID"), ("contributions.2.amount", "INVALID")]
    assert "0.00" in refused["errors"][1]["message"]
    assert (await state(world, cid))["funding"]["paid"] == "0.00"

    # a good table: the market pays in two parts, the street office in one
    table = [pay(market, "2000", note="转账 001"), pay(street, "4200"), pay(market, "2200", day="2025-06-03")]
    done = await world.organizer.ok(
        "recordContributions",
        {"consultationId": cid, "contributions": table},
        "shares { party { id } paid outstanding contributions { amount note } }",
    )
    assert [(s["party"]["id"], s["paid"], s["outstanding"]) for s in done["shares"]] == [
        (market, "4200.00", "0.00"),
        (street, "4200.00", "0.00"),
    ]
    assert (await state(world, cid))["funding"]["paid"] == "8400.00"
    assert len(await actions(world, cid, "contribution.record")) == 3

    # the same table again: every row was recorded already, nothing is paid twice
    again = await world.organizer.mutate(
        "recordContributions", {"consultationId": cid, "contributions": table}, "shares { id }"
    )
    assert [c for _, c in codes(again)].count("CONFLICT") == 3
    assert again["errors"][0]["field"] == "contributions.0"
    assert (await state(world, cid))["funding"]["paid"] == "8400.00"


async def _roll(world: World, cid: str) -> list[dict]:
    data = await world.organizer.query(
        "query($id: ID!) { consultation(id: $id) { voterRoll { label areaGiven } } }", {"id": cid}
    )
    return data["consultation"]["voterRoll"]


async def test_a_roll_row_without_an_area_is_refused_while_a_poll_to_open_counts_area(world: World):
    cid = await create_consultation(world, stage="DELIBERATING")
    voters = [{"label": "1 号", "weight": "80"}, {"label": "2 号"}, {"label": "3 号", "weight": " "}]
    # while no poll counts area, a row without one counts as one head
    headcount = await world.organizer.ok(
        "setVoterRoll", {"consultationId": cid, "voters": voters}, "entries { label weight }"
    )
    assert [e["weight"] for e in headcount["entries"]] == ["80", "1", "1"]
    assert [e["areaGiven"] for e in (await _roll(world, cid))] == [True, False, False]
    # and a poll that counts area (民法典第 278 条) cannot be taken from that roll: the 2 households are counted
    area_poll = {
        "consultationId": cid,
        "question": "是否同意？",
        "kind": "YES_NO_ABSTAIN",
        "preset": "CIVIL_CODE_278_ORDINARY",
    }
    early = await world.organizer.mutate("createPoll", area_poll, "poll { id }")
    assert codes(early) == [("byArea", "INVALID")]
    assert "有 2 户没有填写面积" in early["errors"][0]["message"]
    # once the roll has every area and such a poll waits to open, a row without an area is named and nothing changes
    given = [{"label": v["label"], "weight": "80"} for v in voters]
    await world.organizer.ok("setVoterRoll", {"consultationId": cid, "voters": given}, "entries { id }")
    await world.organizer.ok("createPoll", area_poll, "poll { id }")
    refused = await world.organizer.mutate(
        "setVoterRoll", {"consultationId": cid, "voters": [*voters, {"label": "4 号"}]}, "entries { id }"
    )
    assert codes(refused) == [(f"voters.{i}.weight", "INVALID") for i in (1, 2, 3)]
    assert refused["errors"][0]["message"] == "本协商有按面积计票的表决，请填写这一户的面积（平方米）。"
    data = await world.organizer.query("query($id: ID!) { consultation(id: $id) { voterRoll { label } } }", {"id": cid})
    assert [e["label"] for e in data["consultation"]["voterRoll"]] == ["1 号", "2 号", "3 号"]
    assert all(e["areaGiven"] for e in await _roll(world, cid))
    # with every area given, the roll is saved
    full = [{"label": v["label"], "weight": "75"} for v in voters]
    await world.organizer.ok("setVoterRoll", {"consultationId": cid, "voters": full}, "entries { id }")
