"""Party representatives who sign in with a printed slip, not a password (issue 14, item 2)."""

from __future__ import annotations

from tests.api.helpers import World, create_consultation

SLIP = "slip { code link qrSvg account { id shownName phone roles party { id } } party { name } }"
SESSION = "{ viewerSession { slipUsedBefore movedSlip } viewer { roles party { id } } }"


def codes(payload: dict) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def _market_rep(world: World, name: str = "菜园市场 王店主") -> dict:
    payload = await world.organizer.ok(
        "createRepresentative",
        {"partyId": world.parties["market"], "displayName": name, "phone": "138-0000-0000"},
        SLIP,
    )
    return payload["slip"]


async def _shares(world: World) -> tuple[str, dict[str, str]]:
    cid = await create_consultation(world, stage="DELIBERATING")
    made = await world.organizer.ok(
        "createProposal",
        {"consultationId": cid, "title": "路面硬化", "body": "两方分担", "budget": "160000"},
        "proposal { id }",
    )
    plan = await world.organizer.ok(
        "setCostPlan",
        {
            "proposalId": made["proposal"]["id"],
            "total": "160000",
            "method": "EQUAL",
            "shares": [{"partyId": world.parties[k]} for k in ("market", "street")],
        },
        "costPlan { shares { id party { id } } }",
    )
    return cid, {s["party"]["id"]: s["id"] for s in plan["costPlan"]["shares"]}


async def _trail(world: World, cid: str) -> list[str]:
    data = await world.anon.query(
        "query($id: ID!) { consultation(id: $id) { auditTrail(first: 100) { edges { node { action summary } } } } }",
        {"id": cid},
    )
    return [
        e["node"]["summary"]
        for e in data["consultation"]["auditTrail"]["edges"]
        if e["node"]["action"] == "share.confirm"
    ]


async def test_an_organizer_adds_a_rep_whose_slip_signs_them_in_for_their_party(world: World):
    # given an organizer adds the market's shopkeeper with their phone
    slip = await _market_rep(world)
    # then they get a code to print, with its link and QR code, and the account is the market's rep
    assert slip["account"]["roles"] == ["PARTY_REP"] and slip["account"]["party"] == {"id": world.parties["market"]}
    assert slip["account"]["shownName"] == "菜园市场 王店主（参与方代表）"
    assert slip["link"].endswith("/i/" + slip["code"]) and slip["qrSvg"].startswith("<svg")
    assert slip["party"]["name"] == "菜园市场"
    # when the shopkeeper types the code on the start page (lower case, no dashes)
    signed = await world.anon.ok(
        "redeemInvitation", {"code": slip["code"].replace("-", "").lower()}, "token consultation { id }"
    )
    rep = world.anon.as_(signed["token"])
    # then they are signed in as the market's representative, with no consultation to open
    assert signed["consultation"] is None
    session = await rep.query(SESSION)
    assert session["viewer"] == {"roles": ["PARTY_REP"], "party": {"id": world.parties["market"]}}
    assert session["viewerSession"] == {"slipUsedBefore": None, "movedSlip": False}
    # and they confirm the market's share themselves, not another party's
    cid, shares = await _shares(world)
    own = await rep.ok("confirmShare", {"shareId": shares[world.parties["market"]]}, "share { confirmedOnBehalf }")
    assert own["share"]["confirmedOnBehalf"] is False
    other = await rep.mutate("confirmShare", {"shareId": shares[world.parties["street"]]}, "share { id }")
    assert codes(other) == [("shareId", "FORBIDDEN")]
    assert not any("代为确认" in s for s in await _trail(world, cid))
    # and the installation trail says who added them
    trail = await world.admin.query("{ installationTrail(first: 100) { edges { node { action actor { id } } } } }")
    last = trail["installationTrail"]["edges"][-1]["node"]
    assert last == {"action": "account.create_representative", "actor": {"id": world.accounts["organizer"]}}


async def test_a_rep_slip_used_again_signs_the_first_phone_out_and_signs_only_on_the_partys_behalf(world: World):
    # given a rep's slip that someone used first
    slip = await _market_rep(world)
    first = world.anon.as_((await world.anon.ok("redeemInvitation", {"code": slip["code"]}, "token"))["token"])
    # when it is used again
    second = world.anon.as_((await world.anon.ok("redeemInvitation", {"code": slip["code"]}, "token"))["token"])
    # then the first phone is signed out, and the second told the slip was used before
    assert (await first.query(SESSION))["viewer"] is None
    session = (await second.query(SESSION))["viewerSession"]
    assert session["slipUsedBefore"] is not None and session["movedSlip"] is True
    # and what it confirms counts as on the party's behalf, and the trail says why
    cid, shares = await _shares(world)
    signed = await second.ok(
        "confirmShare", {"shareId": shares[world.parties["market"]]}, "share { confirmedOnBehalf }"
    )
    assert signed["share"]["confirmedOnBehalf"] is True
    assert any("邀请条此前已被使用过" in s for s in await _trail(world, cid))


async def test_a_new_slip_voids_the_old_one_and_ends_its_sessions(world: World):
    slip = await _market_rep(world)
    phone = world.anon.as_((await world.anon.ok("redeemInvitation", {"code": slip["code"]}, "token"))["token"])
    # when the organizer prints a new slip for the rep (the old one lost)
    fresh = (await world.organizer.ok("issueRepresentativeSlip", {"accountId": slip["account"]["id"]}, SLIP))["slip"]
    # then the old code no longer works, the old phone is signed out, and the new code works as a first use
    refused = await world.anon.mutate("redeemInvitation", {"code": slip["code"]}, "token")
    assert codes(refused) == [("code", "INVALID")]
    assert (await phone.query(SESSION))["viewer"] is None
    rep = world.anon.as_((await world.anon.ok("redeemInvitation", {"code": fresh["code"]}, "token"))["token"])
    assert (await rep.query(SESSION))["viewerSession"]["movedSlip"] is False


async def test_a_slip_is_never_issued_for_staff_and_only_organizers_issue_them(world: World):
    # a slip for the CPPCC member's account would sign anyone in as the supervisor
    staff = await world.organizer.mutate("issueRepresentativeSlip", {"accountId": world.accounts["cppcc"]}, SLIP)
    assert codes(staff) == [("accountId", "NOT_FOUND")]
    rep = world.reps["market"]
    for client, code in ((world.cppcc, "FORBIDDEN"), (rep, "FORBIDDEN"), (world.anon, "UNAUTHENTICATED")):
        payload = await client.mutate(
            "createRepresentative", {"partyId": world.parties["market"], "displayName": "某某"}, SLIP
        )
        assert payload["slip"] is None and [c for _, c in codes(payload)] == [code]


async def test_bad_input_is_refused_in_chinese_with_nothing_made(world: World):
    cases = [
        (
            {"partyId": world.parties["market"], "displayName": "菜园市场 李老板", "phone": "call me"},
            ("phone", "INVALID"),
        ),
        ({"partyId": world.parties["market"], "displayName": "  "}, ("displayName", "INVALID")),
        ({"partyId": world.parties["market"], "displayName": "政协委员"}, ("displayName", "CONFLICT")),
        ({"partyId": world.accounts["cppcc"], "displayName": "菜园市场 李老板"}, ("partyId", "NOT_FOUND")),
    ]
    for given, expected in cases:
        payload = await world.organizer.mutate("createRepresentative", given, SLIP)
        assert payload["slip"] is None and codes(payload) == [expected], given
        assert any("\u4e00" <= ch <= "\u9fff" for ch in payload["errors"][0]["message"])
    # and nothing was made: the name is still free
    await _market_rep(world, "菜园市场 李老板")


async def test_a_reps_phone_is_for_organizers_only(world: World):
    slip = await _market_rep(world)
    query = "query($id: ID!) { node(id: $id) { ... on Account { phone } } }"
    assert (await world.organizer.query(query, {"id": slip["account"]["id"]}))["node"]["phone"] == "138-0000-0000"
    for client in (world.anon, world.reps["street"]):
        data = await client.query(query, {"id": slip["account"]["id"]})
        assert data["node"] is None or data["node"]["phone"] is None


async def test_a_party_and_its_representative_are_added_in_one_step_or_not_at_all(world: World):
    select = "party { id name } slip { code account { shownName party { id } } }"
    given = {"name": "幸福里超市", "kind": "MERCHANT", "representative": {"displayName": "幸福里超市 陈老板"}}
    # given a representative whose phone is wrong: nothing is written, not even the party
    bad = await world.organizer.mutate(
        "createParty", {**given, "representative": {**given["representative"], "phone": "不知道"}}, select
    )
    assert bad["party"] is None and codes(bad) == [("representative.phone", "INVALID")]
    assert "幸福里超市" not in [p["name"] for p in (await world.organizer.query("{ parties { name } }"))["parties"]]
    # when it is right, the party, its representative and the slip come back together
    made = await world.organizer.ok("createParty", given, select)
    assert made["slip"]["account"] == {
        "shownName": "幸福里超市 陈老板（参与方代表）",
        "party": {"id": made["party"]["id"]},
    }
    signed = await world.anon.ok("redeemInvitation", {"code": made["slip"]["code"]}, "viewer { party { name } }")
    assert signed["viewer"]["party"]["name"] == "幸福里超市"


async def test_the_convener_list_is_for_those_who_create_consultations(world: World):
    listed = (await world.organizer.query("{ cppccMembers { id shownName } }"))["cppccMembers"]
    assert {"id": world.accounts["cppcc"], "shownName": "政协委员（政协委员）"} in listed
    for client in (world.anon, world.reps["market"], world.cppcc):
        assert (await client.query("{ cppccMembers { id } }"))["cppccMembers"] is None
