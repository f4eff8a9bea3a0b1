"""A district on one installation: its streets and communities, and staff who act where their
areas reach (issue 17, item 1), over the public API.

The district made here: 本区 → 本街道 (本社区, 东风社区) and 五川镇 (五川村). Organizers at 本社区,
at 本街道 and (the test world's own) at the district; a CPPCC member at 五川村.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from consult.ids import to_global_id
from tests.api.helpers import Client, World, create_consultation, login, residents

pytestmark = pytest.mark.asyncio

TREE = "query { areas { id kind name parent { id } children { id } } }"
DUE = "2030-01-01T00:00:00+08:00"
VIEWER_CAN = "advance setVoterRoll issueInvitations addMilestone recordInspection triageDemands createPoll"


@dataclass
class District:
    district: str
    street: str  # 本街道
    home: str  # 本社区, under 本街道
    east: str  # 东风社区, under 本街道
    town: str  # 五川镇
    village: str  # 五川村, under 五川镇
    home_organizer: Client
    street_organizer: Client
    village_cppcc: Client
    accounts: dict[str, str]


def errors_of(payload: dict) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def add_area(admin: Client, kind: str, name: str, parent: str) -> str:
    payload = await admin.ok("createArea", {"kind": kind, "name": name, "parentId": parent}, "area { id }")
    return payload["area"]["id"]


async def staff(admin: Client, anon: Client, username: str, roles: list[str], areas: list[str]) -> tuple[str, Client]:
    payload = await admin.ok(
        "createAccount",
        {
            "username": username,
            "password": f"{username}-password",
            "displayName": username,
            "roles": roles,
            "areaIds": areas,
        },
        "account { id }",
    )
    return payload["account"]["id"], await login(anon, username, f"{username}-password")


@pytest.fixture
async def district(world: World) -> District:
    areas = (await world.admin.query(TREE))["areas"]
    by_kind = {a["kind"]: a["id"] for a in areas}
    district, street, home = by_kind["DISTRICT"], by_kind["STREET"], by_kind["COMMUNITY"]
    east = await add_area(world.admin, "COMMUNITY", "东风社区", street)
    town = await add_area(world.admin, "STREET", "五川镇", district)
    village = await add_area(world.admin, "COMMUNITY", "五川村", town)
    accounts = {}
    accounts["home_organizer"], home_organizer = await staff(world.admin, world.anon, "home-org", ["ORGANIZER"], [home])
    accounts["street_organizer"], street_organizer = await staff(
        world.admin, world.anon, "street-org", ["ORGANIZER"], [street]
    )
    accounts["village_cppcc"], village_cppcc = await staff(
        world.admin, world.anon, "village-cppcc", ["CPPCC_MEMBER"], [village]
    )
    return District(
        district, street, home, east, town, village, home_organizer, street_organizer, village_cppcc, accounts
    )


async def community_of(client: Client, cid: str) -> str | None:
    data = await client.query("query($id: ID!) { consultation(id: $id) { community { id } } }", {"id": cid})
    return data["consultation"]["community"]["id"] if data["consultation"] else None


async def viewer_can(client: Client, cid: str) -> dict:
    data = await client.query(
        f"query($id: ID!) {{ consultation(id: $id) {{ viewerCan {{ {VIEWER_CAN} }} }} }}", {"id": cid}
    )
    return data["consultation"]["viewerCan"]


# ---------------------------------------------------------------- the tree


async def test_an_upgraded_installation_is_one_district_one_street_one_community(world: World):
    areas = (await world.anon.query(TREE))["areas"]
    assert [(a["kind"], a["name"]) for a in areas] == [
        ("DISTRICT", "本区"),
        ("STREET", "本街道"),
        ("COMMUNITY", "本社区"),
    ]
    assert areas[1]["parent"] == {"id": areas[0]["id"]} and areas[1]["children"] == [{"id": areas[2]["id"]}]
    # The admin made from the command line, and the staff accounts it made, act at the district.
    data = await world.organizer.query("{ viewer { areas { kind name } } }")
    assert data["viewer"]["areas"] == [{"kind": "DISTRICT", "name": "本区"}]


async def test_admins_build_the_tree_and_bad_input_is_refused_in_chinese(world: World, district: District):
    names = [(a["kind"], a["name"]) for a in (await world.anon.query(TREE))["areas"]]
    assert names == [
        ("DISTRICT", "本区"),
        ("STREET", "本街道"),
        ("COMMUNITY", "本社区"),
        ("COMMUNITY", "东风社区"),
        ("STREET", "五川镇"),
        ("COMMUNITY", "五川村"),
    ]
    wrong_level = await world.admin.mutate(
        "createArea", {"kind": "COMMUNITY", "name": "新村", "parentId": district.district}, "area { id }"
    )
    assert errors_of(wrong_level) == [("kind", "INVALID")]
    assert "社区/村建在街道/镇下面" in wrong_level["errors"][0]["message"]
    empty = await world.admin.mutate("createArea", {"kind": "STREET", "name": "  ", "parentId": district.district})
    assert errors_of(empty) == [("name", "INVALID")]
    twice = await world.admin.mutate(
        "createArea", {"kind": "COMMUNITY", "name": "东风社区", "parentId": district.street}
    )
    assert errors_of(twice) == [("name", "CONFLICT")]
    assert twice["errors"][0]["message"] == "同一上级下已经有这个名称了。"
    by_organizer = await world.organizer.mutate(
        "createArea", {"kind": "COMMUNITY", "name": "西风社区", "parentId": district.street}
    )
    assert errors_of(by_organizer) == [(None, "FORBIDDEN")]
    renamed = await world.admin.ok("renameArea", {"areaId": district.east, "name": "东风村"}, "area { name }")
    assert renamed["area"]["name"] == "东风村"
    trail = await world.admin.query("{ installationTrail(last: 3) { edges { node { action } } } }")
    assert [e["node"]["action"] for e in trail["installationTrail"]["edges"]][-1] == "area.rename"


async def test_an_admin_at_a_street_administers_that_street_only(world: World, district: District):
    street_admin_id, street_admin = await staff(world.admin, world.anon, "street-admin", ["ADMIN"], [district.town])
    # The staff it may place: the town's and the village's only, itself among them; the district's
    # admin lists every staff account.
    listed = (await street_admin.query("{ staffAccounts { id } }"))["staffAccounts"]
    assert {a["id"] for a in listed} == {district.accounts["village_cppcc"], street_admin_id}
    everyone = (await world.admin.query("{ staffAccounts { id } }"))["staffAccounts"]
    assert {district.accounts["home_organizer"], district.accounts["street_organizer"]} <= {a["id"] for a in everyone}
    assert (await district.home_organizer.query("{ staffAccounts { id } }"))["staffAccounts"] is None
    added = await street_admin.ok(
        "createArea", {"kind": "COMMUNITY", "name": "五川二村", "parentId": district.town}, "area { id }"
    )
    assert added["area"]["id"]
    elsewhere = await street_admin.mutate(
        "createArea", {"kind": "COMMUNITY", "name": "西风社区", "parentId": district.street}
    )
    assert errors_of(elsewhere) == [("parentId", "FORBIDDEN")]
    # Areas it gives stay within its own, for accounts whose areas lie within its own.
    outside = await street_admin.mutate(
        "setStaffAreas", {"accountId": district.accounts["village_cppcc"], "areaIds": [district.home]}
    )
    assert errors_of(outside) == [("areaIds.0", "FORBIDDEN")]
    not_theirs = await street_admin.mutate(
        "setStaffAreas", {"accountId": district.accounts["home_organizer"], "areaIds": [district.village]}
    )
    assert errors_of(not_theirs) == [("accountId", "FORBIDDEN")]
    await street_admin.ok(
        "setStaffAreas", {"accountId": district.accounts["village_cppcc"], "areaIds": [district.town]}, "account { id }"
    )
    # A street admin's consultations: only its street's; consultation.create goes to its first community.
    cid = (
        await street_admin.ok(
            "createConsultation", {"title": "五川道路", "summary": "修路", "location": "五川镇"}, "consultation { id }"
        )
    )["consultation"]["id"]
    assert await community_of(street_admin, cid) == district.village


async def test_set_staff_areas_is_on_the_installation_trail_and_read_by_staff(world: World, district: District):
    payload = await world.admin.ok(
        "setStaffAreas",
        {"accountId": district.accounts["home_organizer"], "areaIds": [district.home, district.east]},
        "account { areas { name } }",
    )
    assert [a["name"] for a in payload["account"]["areas"]] == ["本社区", "东风社区"]
    trail = await world.admin.query("{ installationTrail(last: 1) { edges { node { action summary } } } }")
    node = trail["installationTrail"]["edges"][0]["node"]
    assert node["action"] == "account.set_areas" and "本社区、东风社区" in node["summary"]
    by_organizer = await world.organizer.mutate(
        "setStaffAreas", {"accountId": district.accounts["home_organizer"], "areaIds": [district.home]}
    )
    assert errors_of(by_organizer) == [(None, "FORBIDDEN")]
    rep = await world.admin.mutate(
        "setStaffAreas", {"accountId": world.accounts["rep_market"], "areaIds": [district.home]}
    )
    assert errors_of(rep) == [("accountId", "INVALID")]
    none = await world.admin.mutate("setStaffAreas", {"accountId": district.accounts["home_organizer"], "areaIds": []})
    assert errors_of(none) == [("areaIds", "INVALID")]
    # Another account's areas: to staff, not to a party rep.
    query = "query($id: ID!) { node(id: $id) { ... on Account { areas { name } } } }"
    assert (await world.reps["market"].query(query, {"id": district.accounts["home_organizer"]}))["node"][
        "areas"
    ] is None
    # The new areas hold from the account's next request: it now reaches 东风社区.
    cid = await create_consultation(world, community=district.east)
    assert (await viewer_can(district.home_organizer, cid))["advance"] is True


# ---------------------------------------------------------------- creating in a community


async def test_a_community_organizer_creates_in_their_community_only(world: World, district: District):
    base = {"title": "本社区路灯", "summary": "路灯不亮", "location": "本社区"}
    made = await district.home_organizer.ok("createConsultation", base, "consultation { id community { id name } }")
    assert made["consultation"]["community"] == {"id": district.home, "name": "本社区"}
    named = await district.home_organizer.ok(
        "createConsultation", {**base, "communityId": district.home}, "consultation { community { id } }"
    )
    assert named["consultation"]["community"]["id"] == district.home
    for other in (district.east, district.village, district.street):
        refused = await district.home_organizer.mutate("createConsultation", {**base, "communityId": other})
        assert errors_of(refused) == [("communityId", "FORBIDDEN")]
    # District staff create anywhere.
    anywhere = await world.organizer.ok(
        "createConsultation", {**base, "communityId": district.village}, "consultation { community { name } }"
    )
    assert anywhere["consultation"]["community"]["name"] == "五川村"


# ---------------------------------------------------------------- acting on a consultation


async def test_organizers_act_where_their_areas_reach_and_are_forbidden_elsewhere(world: World, district: District):
    # Given a consultation in VOTING with a poll in each of 本社区, 东风社区 and 五川村.
    at = {
        c: await create_consultation(world, stage="VOTING", community=c)
        for c in (district.home, district.east, district.village)
    }
    allowed = {
        "home": (district.home_organizer, {district.home}),
        "street": (district.street_organizer, {district.home, district.east}),
        "district": (world.organizer, {district.home, district.east, district.village}),
    }
    for who, (client, reach) in allowed.items():
        for community, cid in at.items():
            inside = community in reach
            can = await viewer_can(client, cid)
            assert can["advance"] is inside and can["setVoterRoll"] is inside, (who, community)
            # The server agrees with viewerCan: FORBIDDEN outside, before any stage check.
            for name, input in [
                ("setVoterRoll", {"consultationId": cid, "voters": [{"label": "1 号", "weight": "80"}]}),
                (
                    "addMilestone",
                    {"consultationId": cid, "title": "管网维修", "kind": "CONSTRUCTION", "plannedEnd": DUE},
                ),
                ("submitDemand", {"consultationId": cid, "title": "路灯", "body": "不亮", "channel": "HOTLINE"}),
            ]:
                codes = [e["code"] for e in (await client.mutate(name, input))["errors"]]
                assert ("FORBIDDEN" in codes) is not inside, (who, community, name, codes)
    # Opening a poll and moving a stage on: the community organizer in 本社区 only.
    for community, cid in at.items():
        data = await world.organizer.query("query($id: ID!) { consultation(id: $id) { polls { id } } }", {"id": cid})
        poll = data["consultation"]["polls"][0]["id"]
        opened = await district.home_organizer.mutate("openPoll", {"pollId": poll}, "poll { status }")
        issued = await district.home_organizer.mutate("issueInvitations", {"consultationId": cid})
        if community == district.home:
            assert opened["errors"] == [] and issued["errors"] == []
        else:
            assert errors_of(opened) == [(None, "FORBIDDEN")] and errors_of(issued) == [(None, "FORBIDDEN")]


async def test_a_cppcc_member_supervises_the_communities_assigned_only(world: World, district: District, clock):
    village = await create_consultation(world, stage="IMPLEMENTING", community=district.village)
    home = await create_consultation(world, stage="IMPLEMENTING", community=district.home)
    visit = {"visitedAt": datetime.now(UTC).replace(microsecond=0).isoformat(), "notes": "现场查看施工进度"}
    there = await district.village_cppcc.mutate(
        "recordInspection", {"consultationId": village, **visit}, "inspection { id }"
    )
    assert there["errors"] == [] and there["inspection"]["id"]
    elsewhere = await district.village_cppcc.mutate("recordInspection", {"consultationId": home, **visit})
    assert errors_of(elsewhere) == [(None, "FORBIDDEN")]
    assert (await viewer_can(district.village_cppcc, village))["recordInspection"] is True
    assert (await viewer_can(district.village_cppcc, home))["recordInspection"] is False
    # The district's CPPCC member supervises everywhere.
    assert (await world.cppcc.mutate("recordInspection", {"consultationId": home, **visit}))["errors"] == []


async def test_a_draft_out_of_reach_answers_as_if_it_did_not_exist(world: World, district: District):
    # Given a draft in 五川村, where the community organizer of 本社区 does not act, and an id of nothing.
    draft = await create_consultation(world, stage="DRAFT", community=district.village)
    nothing = to_global_id("Consultation", 999_999)
    answers = {}
    for cid in (draft, nothing):
        for name, input in [
            ("setVoterRoll", {"consultationId": cid, "voters": [{"label": "1 号"}]}),
            ("issueInvitations", {"consultationId": cid}),
            ("addMilestone", {"consultationId": cid, "title": "管网", "kind": "CONSTRUCTION", "plannedEnd": DUE}),
            ("createPoll", {"consultationId": cid, "question": "是否同意？", "kind": "YES_NO_ABSTAIN"}),
            ("advanceStage", {"consultationId": cid, "to": "COLLECTING"}),
            ("submitDemand", {"consultationId": cid, "title": "路灯", "body": "不亮", "channel": "HOTLINE"}),
        ]:
            payload = await district.home_organizer.mutate(name, input)
            answers.setdefault(name, []).append(errors_of(payload))
    # then every write gets the same NOT_FOUND for both: nothing says the draft is there
    for name, (on_draft, on_nothing) in answers.items():
        assert on_draft == on_nothing == [("consultationId", "NOT_FOUND")], name
    data = await district.home_organizer.query(
        "query($id: ID!) { consultation(id: $id) { id } node(id: $id) { id } }", {"id": draft}
    )
    assert data == {"consultation": None, "node": None}
    # while the district's organizer, who acts everywhere, sees it
    assert await community_of(world.organizer, draft) == district.village


async def test_a_cppcc_member_approves_a_new_slip_for_a_draft_in_their_areas(world: World, district: District):
    # Given a draft in 五川村 (the village's CPPCC member does not convene it) and a household signed in.
    cid = await create_consultation(world, stage="DRAFT", community=district.village, convener=False)
    await residents(world, cid, ["五川村 1 号"])
    roll = await world.organizer.query("query($id: ID!) { consultation(id: $id) { voterRoll { id } } }", {"id": cid})
    entry = roll["consultation"]["voterRoll"][0]["id"]
    asked = await world.organizer.ok("requestReissue", {"voterEntryId": entry, "reason": "换手机"}, "request { id }")
    # the request is listed to the village's CPPCC member, who may approve it, draft or not
    listed = (await district.village_cppcc.query("{ pendingReissueRequests { id } }"))["pendingReissueRequests"]
    assert [r["id"] for r in listed] == [asked["request"]["id"]]
    approved = await district.village_cppcc.ok(
        "approveReissue", {"requestId": asked["request"]["id"]}, "invitation { code }"
    )
    assert approved["invitation"]["code"]


async def test_a_convener_acts_on_their_consultation_wherever_it_is(world: World, district: District):
    # 本社区's consultation, convened by the CPPCC member whose areas are 五川村.
    cid = await create_consultation(world, community=district.home, convener_id=district.accounts["village_cppcc"])
    assert (await viewer_can(district.village_cppcc, cid))["advance"] is True
    moved = await district.village_cppcc.ok(
        "advanceStage", {"consultationId": cid, "to": "COLLECTING"}, "consultation { stage }"
    )
    assert moved["consultation"]["stage"] == "COLLECTING"
    # ...but a convener is not an organizer: the roll stays with 本社区's staff.
    assert (await viewer_can(district.village_cppcc, cid))["setVoterRoll"] is False


# ---------------------------------------------------------------- reading


async def test_private_reads_stop_at_the_edge_public_reads_stay_public(world: World, district: District):
    draft = await create_consultation(world, community=district.village, convener=False)
    published = await create_consultation(world, stage="COLLECTING", community=district.village, convener=False)
    await residents(world, published, ["五川村 1 号"])
    await world.organizer.ok(
        "submitDemand",
        {"consultationId": published, "title": "修路", "body": "路面坑槽", "channel": "HOTLINE"},
        "demand { id }",
    )
    query = """query($id: ID!) { consultation(id: $id) { title stage community { name }
        voterRoll { label } demands(first: 10) { edges { node { title submittedBy { id } } } } } }"""
    # Outside: a draft is not there at all; a published consultation shows its public parts only.
    assert (await district.home_organizer.query(query, {"id": draft}))["consultation"] is None
    seen = (await district.home_organizer.query(query, {"id": published}))["consultation"]
    assert seen["title"] and seen["community"]["name"] == "五川村"
    assert seen["voterRoll"] == [] and seen["demands"]["edges"][0]["node"]["submittedBy"] is None
    public = (await world.anon.query(query, {"id": published}))["consultation"]
    assert public["demands"]["edges"][0]["node"]["title"] == "修路"
    # Inside (the district): everything.
    inside = (await world.organizer.query(query, {"id": published}))["consultation"]
    assert inside["voterRoll"] == [{"label": "五川村 1 号"}]
    assert inside["demands"]["edges"][0]["node"]["submittedBy"] is not None
    assert (await world.organizer.query(query, {"id": draft}))["consultation"]["title"]


async def test_lists_show_what_the_scope_reaches_and_filter_by_street_and_community(world: World, district: District):
    made = {
        c: await create_consultation(world, community=c, title=t)
        for c, t in [(district.home, "本社区的事"), (district.east, "东风社区的事"), (district.village, "五川村的事")]
    }
    await world.organizer.ok(
        "advanceStage", {"consultationId": made[district.village], "to": "COLLECTING"}, "consultation { id }"
    )
    query = """query($reach: Boolean!, $community: ID, $street: ID) {
        consultations(first: 50, inReach: $reach, communityId: $community, streetId: $street) {
          edges { node { title } } } }"""

    async def titles(client: Client, reach: bool = True, community: str | None = None, street: str | None = None):
        data = await client.query(query, {"reach": reach, "community": community, "street": street})
        return sorted(e["node"]["title"] for e in data["consultations"]["edges"])

    assert await titles(district.home_organizer) == ["本社区的事"]
    assert await titles(district.street_organizer) == ["东风社区的事", "本社区的事"]
    assert await titles(world.organizer) == ["东风社区的事", "五川村的事", "本社区的事"]
    # Without inReach a community organizer also sees what is published elsewhere, not others' drafts.
    assert await titles(district.home_organizer, reach=False) == ["五川村的事", "本社区的事"]
    assert await titles(world.organizer, community=district.east) == ["东风社区的事"]
    assert await titles(world.organizer, street=district.street) == ["东风社区的事", "本社区的事"]
    assert await titles(world.organizer, street=district.town) == ["五川村的事"]
    assert await titles(world.anon, reach=False, street=district.town) == ["五川村的事"]


async def test_new_slips_are_asked_for_and_approved_within_reach_and_shares_signed_on_behalf_there(
    world: World, district: District
):
    # given a COLLECTING consultation in 五川村 whose household signed in, and one in 本社区
    village = await create_consultation(world, stage="COLLECTING", community=district.village)
    await residents(world, village, ["五川村 1 号"])
    roll = await world.organizer.query(
        "query($id: ID!) { consultation(id: $id) { voterRoll { id } } }", {"id": village}
    )
    entry = roll["consultation"]["voterRoll"][0]["id"]
    # when 本社区's organizer asks for a new slip there: refused; the district's organizer may
    refused = await district.home_organizer.mutate("requestReissue", {"voterEntryId": entry, "reason": "换手机"})
    assert errors_of(refused) == [(None, "FORBIDDEN")]
    asked = await world.organizer.ok("requestReissue", {"voterEntryId": entry, "reason": "换手机"}, "request { id }")
    # then the CPPCC member of 五川村 sees it waiting and approves it; the district's sees it too
    pending = "{ pendingReissueRequests { id } }"
    assert (await district.village_cppcc.query(pending))["pendingReissueRequests"] == [asked["request"]]
    assert asked["request"] in (await world.cppcc.query(pending))["pendingReissueRequests"]
    # and a CPPCC member of another place does not see it, nor may approve it
    _, home_cppcc = await staff(world.admin, world.anon, "home-cppcc", ["CPPCC_MEMBER"], [district.home])
    assert (await home_cppcc.query(pending))["pendingReissueRequests"] == []
    refused = await home_cppcc.mutate("approveReissue", {"requestId": asked["request"]["id"]})
    assert errors_of(refused) == [("requestId", "FORBIDDEN")]
    await district.village_cppcc.ok("approveReissue", {"requestId": asked["request"]["id"]}, "invitation { code }")


async def test_shares_are_signed_on_a_partys_behalf_only_within_reach(world: World, district: District):
    # given a DELIBERATING consultation in 五川村 with a cost plan of three shares
    cid = await create_consultation(world, stage="DELIBERATING", community=district.village)
    proposal = await world.organizer.ok(
        "createProposal",
        {"consultationId": cid, "title": "道路改造方案", "body": "管网维修", "budget": "240000"},
        "proposal { id }",
    )
    plan = await world.organizer.ok(
        "setCostPlan",
        {
            "proposalId": proposal["proposal"]["id"],
            "total": "240000",
            "method": "EQUAL",
            "shares": [{"partyId": p} for p in world.parties.values()],
        },
        "costPlan { shares { id viewerCan { confirm } } }",
    )
    share = plan["costPlan"]["shares"][0]["id"]
    query = "query($id: ID!) { node(id: $id) { ... on CostShare { viewerCan { confirm } } } }"
    # then 本社区's organizer is told no, and refused; the market's own rep signs wherever it is
    assert (await district.home_organizer.query(query, {"id": share}))["node"]["viewerCan"]["confirm"] is False
    refused = await district.home_organizer.mutate("confirmShare", {"shareId": share})
    assert errors_of(refused) == [("shareId", "FORBIDDEN")]
    assert (await world.reps["market"].query(query, {"id": share}))["node"]["viewerCan"]["confirm"] is True
    assert (await world.organizer.query(query, {"id": share}))["node"]["viewerCan"]["confirm"] is True
    await world.reps["market"].ok("confirmShare", {"shareId": share}, "share { id }")


async def test_a_households_name_is_for_the_staff_who_reach_its_community(world: World, district: District):
    # given a COLLECTING consultation in 五川村 where a household supported a demand
    cid = await create_consultation(world, stage="COLLECTING", community=district.village)
    (household,) = await residents(world, cid, ["五川村 7 号"])
    demand = await world.organizer.ok(
        "submitDemand",
        {"consultationId": cid, "title": "井盖", "body": "缺失", "channel": "HOTLINE"},
        "demand { id }",
    )
    await household.ok("supportDemand", {"demandId": demand["demand"]["id"]}, "demand { id }")
    me = (await household.query("{ viewer { id } }"))["viewer"]["id"]
    trail = """query($id: ID!) { consultation(id: $id) {
        auditTrail(last: 5) { edges { node { action actor { id displayName } } } } } }"""

    def supporters(data: dict) -> list:
        edges = data["consultation"]["auditTrail"]["edges"]
        return [e["node"]["actor"] for e in edges if e["node"]["action"] == "demand.support"]

    # then the district's organizer sees who supported it, and the household sees itself
    assert supporters(await world.organizer.query(trail, {"id": cid})) == [{"id": me, "displayName": "五川村 7 号"}]
    assert supporters(await household.query(trail, {"id": cid})) == [{"id": me, "displayName": "五川村 7 号"}]
    # and 本社区's organizer reads the public trail without the household's name, nor finds it by id
    assert supporters(await district.home_organizer.query(trail, {"id": cid})) == [None]
    node = "query($id: ID!) { node(id: $id) { ... on Account { displayName } } }"
    assert (await district.home_organizer.query(node, {"id": me}))["node"] is None
    assert (await world.organizer.query(node, {"id": me}))["node"] == {"displayName": "五川村 7 号"}


async def test_a_partys_representatives_are_named_by_staff_who_reach_every_consultation_it_sits_in(
    world: World, district: District
):
    # given the market sitting at a consultation in 五川村
    await create_consultation(world, community=district.village)
    market, rep = world.parties["market"], world.accounts["rep_market"]
    # when 本社区's organizer names a new rep for it, makes one with a password, issues its rep a
    # new slip, or sets its rep's email: each refused, and the market's rep keeps signing in
    refused = await district.home_organizer.mutate(
        "createRepresentative", {"partyId": market, "displayName": "冒名代表"}
    )
    assert errors_of(refused) == [("partyId", "FORBIDDEN")]
    refused = await district.home_organizer.mutate(
        "createAccount",
        {
            "username": "fake-rep",
            "password": "fake-rep-password-9Q",
            "displayName": "冒名代表",
            "roles": ["PARTY_REP"],
            "partyId": market,
        },
    )
    assert errors_of(refused) == [("partyId", "FORBIDDEN")]
    refused = await district.home_organizer.mutate("issueRepresentativeSlip", {"accountId": rep})
    assert errors_of(refused) == [("accountId", "FORBIDDEN")]
    refused = await district.home_organizer.mutate("setAccountEmail", {"accountId": rep, "email": "me@example.cn"})
    assert errors_of(refused) == [("accountId", "FORBIDDEN")]
    assert (await world.reps["market"].query("{ viewer { id } }"))["viewer"]["id"] == rep
    # then the district's organizer may, and 本社区's organizer names reps of a party of its own
    await world.organizer.ok(
        "createRepresentative", {"partyId": market, "displayName": "菜园市场 新代表"}, "slip { code }"
    )
    own = await district.home_organizer.ok(
        "createParty", {"name": "东风社区物业", "kind": "ENTERPRISE"}, "party { id }"
    )
    await district.home_organizer.ok(
        "createRepresentative", {"partyId": own["party"]["id"], "displayName": "物业 孙经理"}, "slip { code }"
    )


async def test_an_admin_approves_new_slips_where_no_cppcc_member_acts(world: World, district: District):
    # given a household that signed in, in 东风社区, which no CPPCC member but the district's reaches,
    # and one in 五川村, which its own CPPCC member reaches
    east = await create_consultation(world, stage="COLLECTING", community=district.east)
    await residents(world, east, ["东风社区 1 号"])
    roll = "query($id: ID!) { consultation(id: $id) { voterRoll { id } } }"
    entry = (await world.organizer.query(roll, {"id": east}))["consultation"]["voterRoll"][0]["id"]
    # when the district's CPPCC member acts only in 本社区 from now on
    await world.admin.ok(
        "setStaffAreas", {"accountId": world.accounts["cppcc"], "areaIds": [district.home]}, "account { id }"
    )
    asked = await world.organizer.ok("requestReissue", {"voterEntryId": entry, "reason": "换手机"}, "request { id }")
    # then the admin approves, as no CPPCC member acts in 东风社区
    await world.admin.ok("approveReissue", {"requestId": asked["request"]["id"]}, "invitation { code }")
    # and in 五川村, where one does, the admin is refused
    village = await create_consultation(world, stage="COLLECTING", community=district.village)
    await residents(world, village, ["五川村 2 号"])
    entry = (await world.organizer.query(roll, {"id": village}))["consultation"]["voterRoll"][0]["id"]
    asked = await world.organizer.ok("requestReissue", {"voterEntryId": entry, "reason": "换手机"}, "request { id }")
    refused = await world.admin.mutate("approveReissue", {"requestId": asked["request"]["id"]})
    assert errors_of(refused) == [(None, "FORBIDDEN")]


async def test_a_resident_made_with_a_password_speaks_in_no_consultation_off_their_roll(
    world: World, district: District
):
    # given a COLLECTING consultation in 五川村 with a demand, and a resident account that
    # 本社区's organizer made with a password (no slip, on no roll)
    cid = await create_consultation(world, stage="COLLECTING", community=district.village)
    demand = await world.organizer.ok(
        "submitDemand",
        {"consultationId": cid, "title": "井盖", "body": "缺失", "channel": "HOTLINE"},
        "demand { id }",
    )
    made = {
        "username": "made-up",
        "password": "made-up-resident-9Q",
        "displayName": "编出来的住户",
        "roles": ["RESIDENT"],
    }
    await district.home_organizer.ok("createAccount", made, "account { id }")
    resident = await login(world.anon, "made-up", "made-up-resident-9Q")
    # when it raises or supports a demand there, then it is refused, and the page offers neither
    raised = await resident.mutate("submitDemand", {"consultationId": cid, "title": "路灯", "body": "不亮"})
    assert errors_of(raised) == [("consultationId", "FORBIDDEN")]
    supported = await resident.mutate("supportDemand", {"demandId": demand["demand"]["id"]})
    assert errors_of(supported) == [("demandId", "FORBIDDEN")]
    can = "query($id: ID!) { consultation(id: $id) { viewerCan { submitDemand } } }"
    assert (await resident.query(can, {"id": cid}))["consultation"]["viewerCan"]["submitDemand"] is False
    # while a household of that roll, signed in with its slip, still speaks
    (household,) = await residents(world, cid, ["五川村 3 号"])
    await household.ok("supportDemand", {"demandId": demand["demand"]["id"]}, "demand { id }")
