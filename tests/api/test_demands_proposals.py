"""Demands (提诉求单), responsibilities (列责任单) and proposals (出方案单) over the public API."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from consult.ids import to_global_id
from tests.api.helpers import Client, World, create_consultation, create_poll, residents

DEMAND = "demand { id title body channel status supportCount supportedByViewer submittedBy { id } }"
PROPOSAL = "proposal { id title body status budget author { id } }"


# ---------------------------------------------------------------- helpers


def errors_of(payload: dict) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


def codes_of(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def advance(world: World, cid: str, to: str, note: str | None = None) -> None:
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": to, "note": note}, "consultation { stage }")


async def consultation_at(world: World, stage: str, **kwargs) -> str:
    if stage == "ARCHIVED":
        cid = await create_consultation(world, stage="EVALUATING", **kwargs)
        await advance(world, cid, "ARCHIVED")
        return cid
    if stage == "CANCELLED":
        cid = await create_consultation(world, stage="COLLECTING", **kwargs)
        await advance(world, cid, "CANCELLED", note="取消")
        return cid
    return await create_consultation(world, stage=stage, **kwargs)


async def submit(
    client: Client, cid: str, title: str = "路面积水", body: str = "一下雨巷子里就积水", channel: str | None = None
) -> dict:
    return await client.mutate(
        "submitDemand", {"consultationId": cid, "title": title, "body": body, "channel": channel}, DEMAND
    )


async def demand_id(client: Client, cid: str, title: str = "路面积水", channel: str | None = None) -> str:
    payload = await submit(client, cid, title, channel=channel)
    assert payload["errors"] == [], payload["errors"]
    return payload["demand"]["id"]


async def demand(client: Client, did: str) -> dict:
    data = await client.query(
        "query($id: ID!) { node(id: $id) { ... on Demand { id title status channel supportCount supportedByViewer "
        "submittedBy { id } mergedInto { id } } } }",
        {"id": did},
    )
    return data["node"]


async def demands_of(client: Client, cid: str) -> list[dict]:
    data = await client.query(
        "query($id: ID!) { consultation(id: $id) { demands(first: 500) { totalCount "
        "edges { node { id title supportCount } } } } }",
        {"id": cid},
    )
    return [e["node"] for e in data["consultation"]["demands"]["edges"]]


async def proposals_of(client: Client, cid: str) -> list[dict]:
    data = await client.query(
        "query($id: ID!) { consultation(id: $id) { proposals { id title status budget } adoptedProposal { id } } }",
        {"id": cid},
    )
    return data["consultation"]["proposals"]


async def adopted_of(client: Client, cid: str) -> dict | None:
    data = await client.query(
        "query($id: ID!) { consultation(id: $id) { adoptedProposal { id status } } }", {"id": cid}
    )
    return data["consultation"]["adoptedProposal"]


async def trail_length(client: Client, cid: str) -> int:
    data = await client.query("query($id: ID!) { consultation(id: $id) { auditTrail { totalCount } } }", {"id": cid})
    return data["consultation"]["auditTrail"]["totalCount"]


async def propose(client: Client, cid: str, title: str = "管网维修加路面硬化", budget: str = "240000") -> dict:
    return await client.mutate(
        "createProposal",
        {"consultationId": cid, "title": title, "body": "市场、街道办、辖区单位各出 8 万元", "budget": budget},
        PROPOSAL,
    )


async def proposal_id(client: Client, cid: str, title: str = "管网维修加路面硬化", budget: str = "240000") -> str:
    payload = await propose(client, cid, title, budget)
    assert payload["errors"] == [], payload["errors"]
    return payload["proposal"]["id"]


async def proposal(client: Client, pid: str) -> dict:
    data = await client.query(
        "query($id: ID!) { node(id: $id) { ... on Proposal { id title body status budget author { id } } } }",
        {"id": pid},
    )
    return data["node"]


async def update(client: Client, pid: str, **changes) -> dict:
    return await client.mutate("updateProposal", {"proposalId": pid, **changes}, PROPOSAL)


# ---------------------------------------------------------------- submitDemand


@pytest.mark.parametrize("stage", ["DRAFT", "DELIBERATING", "VOTING", "AGREED", "ARCHIVED", "CANCELLED"])
async def test_demands_are_only_submitted_while_collecting(world, stage):
    # given a consultation past or before COLLECTING
    cid = await consultation_at(world, stage)
    # when the organizer enters a hotline demand
    payload = await submit(world.organizer, cid, channel="HOTLINE")
    # then it is WRONG_STAGE and no demand exists
    assert codes_of(payload) == ["WRONG_STAGE"]
    assert payload["demand"] is None
    assert await demands_of(world.organizer, cid) == []


async def test_resident_demand_defaults_to_the_resident_channel(world):
    # given a COLLECTING consultation and a resident
    cid = await create_consultation(world, stage="COLLECTING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    # when the resident submits without naming a channel
    payload = await submit(resident, cid, title="  路面积水  ")
    # then it is an OPEN demand through RESIDENT with no support yet
    assert payload["errors"] == []
    d = payload["demand"]
    assert (d["title"], d["channel"], d["status"], d["supportCount"], d["supportedByViewer"]) == (
        "路面积水",
        "RESIDENT",
        "OPEN",
        0,
        False,
    )
    assert [x["id"] for x in await demands_of(world.anon, cid)] == [d["id"]]


@pytest.mark.parametrize("channel", ["HOTLINE", "GRID_WORKER", "COURIER"])
async def test_organizer_enters_demands_from_hotline_grid_workers_and_couriers(world, channel):
    # given a COLLECTING consultation
    cid = await create_consultation(world, stage="COLLECTING")
    # when the organizer enters a demand that came in by `channel`
    payload = await submit(world.organizer, cid, channel=channel)
    # then it is stored with that channel
    assert payload["errors"] == []
    assert (await demand(world.organizer, payload["demand"]["id"]))["channel"] == channel


async def test_organizer_may_not_submit_as_a_resident(world):
    # given a COLLECTING consultation
    cid = await create_consultation(world, stage="COLLECTING")
    # when the organizer claims the RESIDENT channel
    payload = await submit(world.organizer, cid, channel="RESIDENT")
    # then the channel is FORBIDDEN and nothing is stored
    assert errors_of(payload) == [("channel", "FORBIDDEN")]
    assert await demands_of(world.organizer, cid) == []


async def test_resident_may_not_submit_through_the_hotline_channel(world):
    # given a COLLECTING consultation and a resident
    cid = await create_consultation(world, stage="COLLECTING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    # when the resident claims the HOTLINE channel
    payload = await submit(resident, cid, channel="HOTLINE")
    # then the channel is FORBIDDEN
    assert errors_of(payload) == [("channel", "FORBIDDEN")]
    assert await demands_of(world.organizer, cid) == []


async def test_cppcc_member_demand_defaults_to_the_cppcc_member_channel(world):
    # given a COLLECTING consultation
    cid = await create_consultation(world, stage="COLLECTING")
    # when the CPPCC member submits without naming a channel
    payload = await submit(world.cppcc, cid)
    # then the channel is CPPCC_MEMBER
    assert payload["errors"] == []
    assert payload["demand"]["channel"] == "CPPCC_MEMBER"


async def test_anonymous_must_sign_in_and_party_reps_may_not_submit_demands(world):
    # given a COLLECTING consultation
    cid = await create_consultation(world, stage="COLLECTING")
    # when nobody signed in, or a party rep, submits
    anonymous = await submit(world.anon, cid)
    rep = await submit(world.reps["market"], cid)
    # then UNAUTHENTICATED and FORBIDDEN, and nothing is stored
    assert codes_of(anonymous) == ["UNAUTHENTICATED"]
    assert codes_of(rep) == ["FORBIDDEN"]
    assert await demands_of(world.organizer, cid) == []


@pytest.mark.parametrize(
    ("field", "title", "body"), [("body", "路面积水", "   "), ("body", "路面积水", ""), ("title", " ", "积水")]
)
async def test_blank_title_or_body_is_invalid(world, field, title, body):
    # given a COLLECTING consultation
    cid = await create_consultation(world, stage="COLLECTING")
    # when the CPPCC member submits a blank text
    payload = await submit(world.cppcc, cid, title=title, body=body)
    # then it is INVALID on that field and nothing is stored
    assert errors_of(payload) == [(field, "INVALID")]
    assert await demands_of(world.organizer, cid) == []


async def test_who_submitted_a_demand_is_shown_to_organizers_only(world):
    # given a demand raised by a resident
    cid = await create_consultation(world, stage="COLLECTING")
    [resident, neighbour] = await residents(world, cid, ["菜园巷 1 号", "菜园巷 2 号"])
    did = await demand_id(resident, cid)
    resident_id = (await resident.query("{ viewer { id } }"))["viewer"]["id"]
    # when organizers, the admin, anonymous viewers, residents and the CPPCC member read it
    # then only organizers and the admin see who submitted it
    assert (await demand(world.organizer, did))["submittedBy"] == {"id": resident_id}
    assert (await demand(world.admin, did))["submittedBy"] == {"id": resident_id}
    for client in (world.anon, neighbour, resident, world.cppcc, world.reps["market"]):
        assert (await demand(client, did))["submittedBy"] is None


# ---------------------------------------------------------------- supportDemand


async def support(client: Client, did: str) -> dict:
    return await client.mutate("supportDemand", {"demandId": did}, DEMAND)


async def test_only_residents_may_support_a_demand(world):
    # given a demand
    cid = await create_consultation(world, stage="COLLECTING")
    did = await demand_id(world.organizer, cid, channel="HOTLINE")
    # when the organizer, the CPPCC member or a party rep supports it
    for client in (world.organizer, world.cppcc, world.reps["market"], world.admin):
        # then it is FORBIDDEN
        assert codes_of(await support(client, did)) == ["FORBIDDEN"]
    # and anonymous viewers must sign in
    assert codes_of(await support(world.anon, did)) == ["UNAUTHENTICATED"]
    assert (await demand(world.organizer, did))["supportCount"] == 0


async def test_supporting_twice_counts_once(world):
    # given a demand and two residents
    cid = await create_consultation(world, stage="COLLECTING")
    [resident, neighbour] = await residents(world, cid, ["菜园巷 1 号", "菜园巷 2 号"])
    did = await demand_id(world.organizer, cid, channel="GRID_WORKER")
    # when one resident supports it three times
    for _ in range(3):
        payload = await support(resident, did)
        assert payload["errors"] == []
        # then every answer shows one supporter
        assert (payload["demand"]["supportCount"], payload["demand"]["supportedByViewer"]) == (1, True)
    # and the count stays 1: the supporter sees their support, others do not
    assert (await demand(resident, did))["supportedByViewer"] is True
    assert (await demand(neighbour, did))["supportedByViewer"] is False
    assert (await demand(world.anon, did))["supportedByViewer"] is False
    assert (await demand(world.organizer, did))["supportCount"] == 1


async def test_submitter_may_support_their_own_demand(world):
    # given a demand raised by a resident
    cid = await create_consultation(world, stage="COLLECTING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    did = await demand_id(resident, cid)
    # when they support it
    payload = await support(resident, did)
    # then it counts
    assert payload["errors"] == []
    assert payload["demand"]["supportCount"] == 1
    assert (await demand(world.anon, did))["supportCount"] == 1


async def test_two_residents_supporting_count_two(world):
    # given a demand and two residents
    cid = await create_consultation(world, stage="COLLECTING")
    [resident, neighbour] = await residents(world, cid, ["菜园巷 1 号", "菜园巷 2 号"])
    did = await demand_id(world.cppcc, cid)
    # when both support it
    await resident.ok("supportDemand", {"demandId": did}, "demand { id }")
    payload = await neighbour.ok("supportDemand", {"demandId": did}, "demand { supportCount }")
    # then it counts two
    assert payload["demand"]["supportCount"] == 2
    assert [d["supportCount"] for d in await demands_of(world.anon, cid)] == [2]


async def test_support_outside_collecting_is_wrong_stage(world):
    # given a demand whose consultation moved on to DELIBERATING
    cid = await create_consultation(world, stage="COLLECTING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    did = await demand_id(world.cppcc, cid)
    await advance(world, cid, "DELIBERATING")
    # when a resident supports it
    payload = await support(resident, did)
    # then it is WRONG_STAGE and the count stays 0
    assert codes_of(payload) == ["WRONG_STAGE"]
    assert (await demand(world.organizer, did))["supportCount"] == 0


async def test_supporting_an_unknown_demand_is_not_found(world):
    # given a resident
    cid = await create_consultation(world, stage="COLLECTING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    # when they support a demand that does not exist
    payload = await support(resident, to_global_id("Demand", 987654321))
    # then it is NOT_FOUND on demandId
    assert errors_of(payload) == [("demandId", "NOT_FOUND")]


# ---------------------------------------------------------------- setDemandStatus


async def set_status(client: Client, did: str, status: str, merged_into: str | None = None) -> dict:
    return await client.mutate(
        "setDemandStatus",
        {"demandId": did, "status": status, "mergedIntoId": merged_into},
        "demand { id status mergedInto { id } }",
    )


@pytest.mark.parametrize("stage", ["COLLECTING", "DELIBERATING"])
async def test_organizer_accepts_and_rejects_demands(world, stage):
    # given two demands, with the consultation now at `stage`
    cid = await create_consultation(world, stage="COLLECTING")
    first = await demand_id(world.cppcc, cid, "路面积水")
    second = await demand_id(world.cppcc, cid, "路灯不亮")
    if stage != "COLLECTING":
        await advance(world, cid, stage)
    # when the organizer accepts one and rejects the other
    accepted = await set_status(world.organizer, first, "ACCEPTED")
    rejected = await set_status(world.organizer, second, "REJECTED")
    # then each has its new status
    assert accepted["errors"] == [] and rejected["errors"] == []
    assert (await demand(world.anon, first))["status"] == "ACCEPTED"
    assert (await demand(world.anon, second))["status"] == "REJECTED"


async def test_organizer_merges_a_demand_into_another(world):
    # given two demands about the same thing
    cid = await create_consultation(world, stage="COLLECTING")
    original = await demand_id(world.cppcc, cid, "路面积水")
    duplicate = await demand_id(world.organizer, cid, "巷子积水", channel="HOTLINE")
    # when the organizer merges the duplicate into the original
    payload = await set_status(world.organizer, duplicate, "MERGED", original)
    # then it is MERGED and points at the original
    assert payload["errors"] == []
    d = await demand(world.organizer, duplicate)
    assert (d["status"], d["mergedInto"]) == ("MERGED", {"id": original})


async def test_merging_needs_a_target(world):
    # given a demand
    cid = await create_consultation(world, stage="COLLECTING")
    did = await demand_id(world.cppcc, cid)
    # when the organizer merges it without saying into what
    payload = await set_status(world.organizer, did, "MERGED")
    # then mergedIntoId is INVALID and the demand is still OPEN
    assert errors_of(payload) == [("mergedIntoId", "INVALID")]
    assert (await demand(world.organizer, did))["status"] == "OPEN"


async def test_a_demand_cannot_be_merged_into_itself(world):
    # given a demand
    cid = await create_consultation(world, stage="COLLECTING")
    did = await demand_id(world.cppcc, cid)
    # when the organizer merges it into itself
    payload = await set_status(world.organizer, did, "MERGED", did)
    # then mergedIntoId is INVALID
    assert errors_of(payload) == [("mergedIntoId", "INVALID")]
    assert (await demand(world.organizer, did))["status"] == "OPEN"


async def test_a_demand_cannot_be_merged_into_a_demand_of_another_consultation(world):
    # given demands in two consultations
    here = await create_consultation(world, stage="COLLECTING", title="菜园巷道路改造")
    there = await create_consultation(world, stage="COLLECTING", title="井盖更换")
    did = await demand_id(world.cppcc, here)
    elsewhere = await demand_id(world.cppcc, there)
    # when the organizer merges across consultations
    payload = await set_status(world.organizer, did, "MERGED", elsewhere)
    # then mergedIntoId is INVALID
    assert errors_of(payload) == [("mergedIntoId", "INVALID")]
    assert (await demand(world.organizer, did))["status"] == "OPEN"


async def test_a_merge_target_is_only_given_when_merging(world):
    # given two demands
    cid = await create_consultation(world, stage="COLLECTING")
    first = await demand_id(world.cppcc, cid, "甲")
    second = await demand_id(world.cppcc, cid, "乙")
    # when the organizer accepts one while naming a merge target
    payload = await set_status(world.organizer, first, "ACCEPTED", second)
    # then mergedIntoId is INVALID
    assert errors_of(payload) == [("mergedIntoId", "INVALID")]


async def test_only_organizers_triage_demands(world):
    # given a demand
    cid = await create_consultation(world, stage="COLLECTING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    did = await demand_id(resident, cid)
    # when the CPPCC convener, a party rep or even its submitter changes its status
    for client in (world.cppcc, world.reps["street"], resident):
        # then it is FORBIDDEN
        assert codes_of(await set_status(client, did, "ACCEPTED")) == ["FORBIDDEN"]
    assert codes_of(await set_status(world.anon, did, "ACCEPTED")) == ["UNAUTHENTICATED"]
    assert (await demand(world.organizer, did))["status"] == "OPEN"


async def test_triage_after_deliberating_is_wrong_stage(world):
    # given a demand whose consultation is VOTING
    cid = await create_consultation(world, stage="COLLECTING")
    did = await demand_id(world.cppcc, cid)
    await advance(world, cid, "DELIBERATING")
    await create_poll(world, cid)
    await advance(world, cid, "VOTING")
    # when the organizer accepts it
    payload = await set_status(world.organizer, did, "ACCEPTED")
    # then it is WRONG_STAGE
    assert codes_of(payload) == ["WRONG_STAGE"]
    assert (await demand(world.organizer, did))["status"] == "OPEN"


# ---------------------------------------------------------------- demands connection


async def test_demands_are_paged_oldest_first(world):
    # given five demands
    cid = await create_consultation(world, stage="COLLECTING")
    created = [await demand_id(world.cppcc, cid, f"诉求{i}") for i in range(5)]
    query = """
    query($id: ID!, $first: Int, $after: String) {
      consultation(id: $id) {
        demands(first: $first, after: $after) {
          totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id } }
        }
      }
    }
    """
    # when anonymous viewers page through two at a time
    seen, pages, after = [], [], None
    while True:
        page = (await world.anon.query(query, {"id": cid, "first": 2, "after": after}))["consultation"]["demands"]
        pages.append(page)
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then they see all five, oldest first, in pages of 2, 2, 1
    assert seen == created
    assert [len(p["edges"]) for p in pages] == [2, 2, 1]
    assert [p["totalCount"] for p in pages] == [5, 5, 5]
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True]
    assert all(p["pageInfo"]["endCursor"] == p["edges"][-1]["cursor"] for p in pages)


async def test_demands_of_one_consultation_do_not_leak_into_another(world):
    # given demands in two consultations
    here = await create_consultation(world, stage="COLLECTING", title="甲")
    there = await create_consultation(world, stage="COLLECTING", title="乙")
    mine = await demand_id(world.cppcc, here, "这里的诉求")
    await demand_id(world.cppcc, there, "那里的诉求")
    # when reading the first consultation's demands
    # then only its own demand is there
    assert [d["id"] for d in await demands_of(world.anon, here)] == [mine]


# ---------------------------------------------------------------- assignResponsibility


async def assign(client: Client, cid: str, party: str, duty: str = "组织施工", due_at: str | None = None) -> dict:
    return await client.mutate(
        "assignResponsibility",
        {"consultationId": cid, "partyId": party, "duty": duty, "dueAt": due_at},
        "responsibility { id duty dueAt party { id } }",
    )


async def responsibilities_of(client: Client, cid: str) -> list[dict]:
    data = await client.query(
        "query($id: ID!) { consultation(id: $id) { responsibilities { id duty dueAt party { id } } } }", {"id": cid}
    )
    return data["consultation"]["responsibilities"]


@pytest.mark.parametrize("stage", ["DELIBERATING", "VOTING"])
async def test_organizer_assigns_responsibility_while_deliberating_or_voting(world, stage):
    # given a consultation at `stage`
    cid = await create_consultation(world, stage=stage)
    # when the organizer records that the street office organizes the works
    payload = await assign(world.organizer, cid, world.parties["street"], "组织管网维修施工")
    # then it is listed for everyone
    assert payload["errors"] == []
    [item] = await responsibilities_of(world.anon, cid)
    assert (item["duty"], item["party"]["id"], item["dueAt"]) == ("组织管网维修施工", world.parties["street"], None)


@pytest.mark.parametrize("stage", ["COLLECTING", "AGREED", "IMPLEMENTING", "CANCELLED"])
async def test_responsibility_outside_deliberating_or_voting_is_wrong_stage(world, stage):
    # given a consultation at `stage`
    cid = await consultation_at(world, stage)
    # when the organizer assigns a responsibility
    payload = await assign(world.organizer, cid, world.parties["street"])
    # then it is WRONG_STAGE and nothing is listed
    assert codes_of(payload) == ["WRONG_STAGE"]
    assert await responsibilities_of(world.organizer, cid) == []


async def test_responsibility_needs_a_party_taking_part(world):
    # given a DELIBERATING consultation and a party that does not take part
    cid = await create_consultation(world, stage="DELIBERATING")
    outsider = (await world.admin.ok("createParty", {"name": "某物业公司", "kind": "ENTERPRISE"}, "party { id }"))[
        "party"
    ]["id"]
    # when the organizer assigns it a duty
    payload = await assign(world.organizer, cid, outsider)
    # then partyId is INVALID
    assert errors_of(payload) == [("partyId", "INVALID")]
    assert await responsibilities_of(world.organizer, cid) == []


@pytest.mark.parametrize(
    "due_at",
    ["2026-03-01T01:30:00+00:00", "2026-03-01T01:30:00Z", "2026-03-01T09:30:00+08:00", "2026-02-28T20:30:00-05:00"],
)
async def test_due_date_keeps_its_instant_and_comes_back_in_beijing_time(world, due_at):
    # given a DELIBERATING consultation
    cid = await create_consultation(world, stage="DELIBERATING")
    # when a deadline is given with some UTC offset
    payload = await assign(world.organizer, cid, world.parties["market"], due_at=due_at)
    # then it is returned at +08:00, the same instant, both now and when read back
    assert payload["errors"] == []
    instant = datetime.fromisoformat(due_at)
    for returned in (payload["responsibility"]["dueAt"], (await responsibilities_of(world.anon, cid))[0]["dueAt"]):
        assert returned.endswith("+08:00"), returned
        parsed = datetime.fromisoformat(returned)
        assert parsed == instant
        assert parsed.utcoffset() == timedelta(hours=8)
        assert returned.startswith("2026-03-01T09:30:00")


@pytest.mark.parametrize("due_at", ["tomorrow", "2026-13-01T00:00:00+08:00", "", "下周一"])
async def test_unreadable_due_date_is_invalid(world, due_at):
    # given a DELIBERATING consultation
    cid = await create_consultation(world, stage="DELIBERATING")
    # when the deadline is not an ISO 8601 time
    payload = await assign(world.organizer, cid, world.parties["market"], due_at=due_at)
    # then dueAt is INVALID and nothing is listed
    assert errors_of(payload) == [("dueAt", "INVALID")]
    assert await responsibilities_of(world.organizer, cid) == []


async def test_only_organizers_assign_responsibilities(world):
    # given a DELIBERATING consultation
    cid = await create_consultation(world, stage="DELIBERATING")
    # when the CPPCC convener or a party rep assigns one
    for client in (world.cppcc, world.reps["street"]):
        # then it is FORBIDDEN
        assert codes_of(await assign(client, cid, world.parties["street"])) == ["FORBIDDEN"]
    assert codes_of(await assign(world.anon, cid, world.parties["street"])) == ["UNAUTHENTICATED"]
    assert await responsibilities_of(world.organizer, cid) == []


# ---------------------------------------------------------------- createProposal


@pytest.mark.parametrize("stage", ["DELIBERATING", "VOTING"])
async def test_organizer_cppcc_member_and_party_rep_put_forward_proposals(world, stage):
    # given a consultation at `stage`
    cid = await create_consultation(world, stage=stage)
    authors = [(world.organizer, "organizer"), (world.cppcc, "cppcc"), (world.reps["market"], "rep_market")]
    for client, key in authors:
        # when each of them proposes a plan
        payload = await propose(client, cid, title=f"{key} 的方案")
        # then it starts as DRAFT, authored by them
        assert payload["errors"] == []
        p = payload["proposal"]
        assert (p["status"], p["author"], p["budget"]) == ("DRAFT", {"id": world.accounts[key]}, "240000.00")
    # and all three are listed, oldest first
    assert [p["title"] for p in await proposals_of(world.anon, cid)] == [f"{k} 的方案" for _, k in authors]


async def test_residents_may_not_put_forward_proposals(world):
    # given a DELIBERATING consultation and a resident
    cid = await create_consultation(world, stage="DELIBERATING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    # when the resident proposes a plan
    payload = await propose(resident, cid)
    # then it is FORBIDDEN, and anonymous viewers must sign in
    assert codes_of(payload) == ["FORBIDDEN"]
    assert codes_of(await propose(world.anon, cid)) == ["UNAUTHENTICATED"]
    assert await proposals_of(world.organizer, cid) == []


@pytest.mark.parametrize("stage", ["DRAFT", "COLLECTING", "AGREED", "ARCHIVED"])
async def test_proposals_outside_deliberating_or_voting_are_wrong_stage(world, stage):
    # given a consultation at `stage`
    cid = await consultation_at(world, stage)
    before = await proposals_of(world.organizer, cid)
    # when the organizer proposes a plan
    payload = await propose(world.organizer, cid)
    # then it is WRONG_STAGE and no proposal is added
    assert codes_of(payload) == ["WRONG_STAGE"]
    assert await proposals_of(world.organizer, cid) == before


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("240000", "240000.00"),
        ("80000.5", "80000.50"),
        ("80000.50", "80000.50"),
        ("8400", "8400.00"),
        ("0.01", "0.01"),
        ("0", "0.00"),
        ("99999999999.99", "99999999999.99"),  # beyond 32-bit fen
        ("10000000000000", "10000000000000.00"),  # 10^13 yuan
    ],
)
async def test_budget_is_stored_exactly_with_two_fraction_digits(world, given, stored):
    # given a DELIBERATING consultation
    cid = await create_consultation(world, stage="DELIBERATING")
    # when a proposal is put forward with budget `given`
    payload = await propose(world.organizer, cid, budget=given)
    # then the budget comes back exactly, with two fraction digits, now and when read back
    assert payload["errors"] == []
    assert payload["proposal"]["budget"] == stored
    assert (await proposal(world.anon, payload["proposal"]["id"]))["budget"] == stored
    assert [p["budget"] for p in await proposals_of(world.anon, cid)] == [stored]


@pytest.mark.parametrize(
    "budget", ["12.345", "-5", "abc", "1e5", "", "1,000", "80000.", ".5", "+5", "100000000000000", "１２"]
)
async def test_bad_budget_is_invalid_and_writes_nothing(world, budget):
    # given a DELIBERATING consultation with one proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    await proposal_id(world.organizer, cid, title="已有方案")
    before_trail = await trail_length(world.organizer, cid)
    # when a proposal is put forward with a malformed or out-of-range budget
    payload = await propose(world.organizer, cid, budget=budget)
    # then budget is INVALID and neither a proposal nor an audit event was written
    assert errors_of(payload) == [("budget", "INVALID")]
    assert payload["proposal"] is None
    assert [p["title"] for p in await proposals_of(world.organizer, cid)] == ["已有方案"]
    assert await trail_length(world.organizer, cid) == before_trail


# ---------------------------------------------------------------- updateProposal


async def test_author_edits_their_proposal(world):
    # given a proposal by the market's rep
    cid = await create_consultation(world, stage="DELIBERATING")
    rep = world.reps["market"]
    pid = await proposal_id(rep, cid)
    # when the rep changes its title, body and budget
    payload = await update(rep, pid, title="管网维修", body="先修管网", budget="160000.5")
    # then the changes are stored
    assert payload["errors"] == []
    p = await proposal(world.anon, pid)
    assert (p["title"], p["body"], p["budget"], p["status"]) == ("管网维修", "先修管网", "160000.50", "DRAFT")


async def test_organizer_may_edit_any_proposal(world):
    # given a proposal by a party rep
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.reps["market"], cid)
    # when the organizer edits it
    payload = await update(world.organizer, pid, title="修订后的方案")
    # then the change is stored
    assert payload["errors"] == []
    assert (await proposal(world.anon, pid))["title"] == "修订后的方案"


async def test_other_party_reps_and_cppcc_members_may_not_edit_a_proposal(world):
    # given a proposal by the market's rep
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.reps["market"], cid)
    # when another party's rep or the CPPCC member edits it
    for client in (world.reps["street"], world.cppcc):
        # then it is FORBIDDEN
        assert codes_of(await update(client, pid, title="改掉")) == ["FORBIDDEN"]
        assert codes_of(await update(client, pid, status="WITHDRAWN")) == ["FORBIDDEN"]
    assert codes_of(await update(world.anon, pid, title="改掉")) == ["UNAUTHENTICATED"]
    p = await proposal(world.anon, pid)
    assert (p["title"], p["status"]) == ("管网维修加路面硬化", "DRAFT")


async def test_author_tables_then_withdraws_a_proposal(world):
    # given a DRAFT proposal by the CPPCC member
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.cppcc, cid)
    # when they table it
    tabled = await update(world.cppcc, pid, status="TABLED")
    # then it is TABLED
    assert tabled["errors"] == []
    assert (await proposal(world.anon, pid))["status"] == "TABLED"
    # when they withdraw it
    withdrawn = await update(world.cppcc, pid, status="WITHDRAWN")
    # then it is WITHDRAWN
    assert withdrawn["errors"] == []
    assert (await proposal(world.anon, pid))["status"] == "WITHDRAWN"


async def test_organizer_rejects_a_tabled_proposal_but_its_author_may_not(world):
    # given a TABLED proposal by the market's rep
    cid = await create_consultation(world, stage="DELIBERATING")
    rep = world.reps["market"]
    pid = await proposal_id(rep, cid)
    await rep.ok("updateProposal", {"proposalId": pid, "status": "TABLED"}, "proposal { id }")
    # when its author tries to reject it
    payload = await update(rep, pid, status="REJECTED")
    # then that is FORBIDDEN on status and it stays TABLED
    assert errors_of(payload) == [("status", "FORBIDDEN")]
    assert (await proposal(world.anon, pid))["status"] == "TABLED"
    # when the organizer rejects it
    payload = await update(world.organizer, pid, status="REJECTED")
    # then it is REJECTED
    assert payload["errors"] == []
    assert (await proposal(world.anon, pid))["status"] == "REJECTED"


async def test_a_draft_proposal_cannot_be_rejected_directly(world):
    # given a DRAFT proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.cppcc, cid)
    # when the organizer rejects it before it is tabled
    payload = await update(world.organizer, pid, status="REJECTED")
    # then status is INVALID
    assert errors_of(payload) == [("status", "INVALID")]
    assert (await proposal(world.anon, pid))["status"] == "DRAFT"


@pytest.mark.parametrize("start", ["DRAFT", "TABLED"])
async def test_adopting_through_update_proposal_is_invalid(world, start):
    # given a DRAFT or TABLED proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.cppcc, cid)
    if start == "TABLED":
        await world.cppcc.ok("updateProposal", {"proposalId": pid, "status": "TABLED"}, "proposal { id }")
    # when the organizer sets ADOPTED through updateProposal
    payload = await update(world.organizer, pid, status="ADOPTED")
    # then status is INVALID and nothing is adopted
    assert errors_of(payload) == [("status", "INVALID")]
    assert (await proposal(world.anon, pid))["status"] == start
    assert await adopted_of(world.anon, cid) is None


async def test_a_withdrawn_proposal_can_no_longer_be_edited(world):
    # given a withdrawn proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.cppcc, cid)
    await world.cppcc.ok("updateProposal", {"proposalId": pid, "status": "WITHDRAWN"}, "proposal { id }")
    # when its author edits the title, or brings it back
    edit = await update(world.cppcc, pid, title="再试一次")
    revive = await update(world.cppcc, pid, status="DRAFT")
    # then both are INVALID and nothing changed
    assert codes_of(edit) == ["INVALID"]
    assert codes_of(revive) == ["INVALID"]
    p = await proposal(world.anon, pid)
    assert (p["title"], p["status"]) == ("管网维修加路面硬化", "WITHDRAWN")


async def test_bad_budget_on_update_is_invalid_and_changes_nothing(world):
    # given a proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.cppcc, cid)
    before = await trail_length(world.organizer, cid)
    # when its author sets a new title with a malformed budget
    payload = await update(world.cppcc, pid, title="新标题", budget="12.345")
    # then budget is INVALID, and neither the title nor the budget changed
    assert errors_of(payload) == [("budget", "INVALID")]
    p = await proposal(world.anon, pid)
    assert (p["title"], p["budget"]) == ("管网维修加路面硬化", "240000.00")
    assert await trail_length(world.organizer, cid) == before


async def test_proposals_cannot_be_updated_after_voting(world):
    # given a proposal, with the consultation moved on to AGREED
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.cppcc, cid)
    await world.organizer.ok("adoptProposal", {"proposalId": pid}, "proposal { id }")
    await advance(world, cid, "AGREED")
    # when its author edits it
    payload = await update(world.cppcc, pid, title="晚了")
    # then it is WRONG_STAGE
    assert codes_of(payload) == ["WRONG_STAGE"]
    assert (await proposal(world.anon, pid))["title"] == "管网维修加路面硬化"


# ---------------------------------------------------------------- adoptProposal


async def adopt(client: Client, pid: str) -> dict:
    return await client.mutate("adoptProposal", {"proposalId": pid}, "proposal { id status }")


@pytest.mark.parametrize("start", ["DRAFT", "TABLED"])
async def test_organizer_adopts_a_proposal(world, start):
    # given a DRAFT or TABLED proposal
    cid = await create_consultation(world, stage="VOTING")
    pid = await proposal_id(world.reps["market"], cid)
    if start == "TABLED":
        await world.reps["market"].ok("updateProposal", {"proposalId": pid, "status": "TABLED"}, "proposal { id }")
    # when the organizer adopts it
    payload = await adopt(world.organizer, pid)
    # then it is ADOPTED and is the consultation's adopted proposal
    assert payload["errors"] == []
    assert payload["proposal"]["status"] == "ADOPTED"
    assert await adopted_of(world.anon, cid) == {"id": pid, "status": "ADOPTED"}


async def test_only_organizers_adopt(world):
    # given a TABLED proposal by the market's rep
    cid = await create_consultation(world, stage="DELIBERATING")
    rep = world.reps["market"]
    pid = await proposal_id(rep, cid)
    await rep.ok("updateProposal", {"proposalId": pid, "status": "TABLED"}, "proposal { id }")
    # when its author or the CPPCC convener adopts it
    for client in (rep, world.cppcc):
        # then it is FORBIDDEN
        assert codes_of(await adopt(client, pid)) == ["FORBIDDEN"]
    assert codes_of(await adopt(world.anon, pid)) == ["UNAUTHENTICATED"]
    assert await adopted_of(world.anon, cid) is None


async def test_adopting_another_proposal_returns_the_first_to_tabled(world):
    # given an adopted proposal and a second one
    cid = await create_consultation(world, stage="DELIBERATING")
    first = await proposal_id(world.cppcc, cid, title="方案一")
    second = await proposal_id(world.organizer, cid, title="方案二")
    await world.organizer.ok("adoptProposal", {"proposalId": first}, "proposal { id }")
    # when the organizer adopts the second
    payload = await adopt(world.organizer, second)
    # then the second is adopted and the first is TABLED again
    assert payload["errors"] == []
    assert await adopted_of(world.anon, cid) == {"id": second, "status": "ADOPTED"}
    assert {p["title"]: p["status"] for p in await proposals_of(world.anon, cid)} == {
        "方案一": "TABLED",
        "方案二": "ADOPTED",
    }


async def test_adopting_only_touches_its_own_consultation(world):
    # given adopted proposals in two consultations
    here = await create_consultation(world, stage="DELIBERATING", title="甲")
    there = await create_consultation(world, stage="DELIBERATING", title="乙")
    theirs = await proposal_id(world.organizer, there)
    await world.organizer.ok("adoptProposal", {"proposalId": theirs}, "proposal { id }")
    mine = await proposal_id(world.organizer, here)
    # when a proposal of the first is adopted
    await world.organizer.ok("adoptProposal", {"proposalId": mine}, "proposal { id }")
    # then the other consultation keeps its adopted proposal
    assert await adopted_of(world.anon, there) == {"id": theirs, "status": "ADOPTED"}
    assert await adopted_of(world.anon, here) == {"id": mine, "status": "ADOPTED"}


@pytest.mark.parametrize("end", ["WITHDRAWN", "REJECTED"])
async def test_a_withdrawn_or_rejected_proposal_cannot_be_adopted(world, end):
    # given a withdrawn or rejected proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.cppcc, cid)
    await world.cppcc.ok("updateProposal", {"proposalId": pid, "status": "TABLED"}, "proposal { id }")
    await world.organizer.ok("updateProposal", {"proposalId": pid, "status": end}, "proposal { id }")
    # when the organizer adopts it
    payload = await adopt(world.organizer, pid)
    # then it is INVALID and nothing is adopted
    assert codes_of(payload) == ["INVALID"]
    assert await adopted_of(world.anon, cid) is None
    assert (await proposal(world.anon, pid))["status"] == end


async def test_adopting_the_adopted_proposal_again_is_a_conflict(world):
    # given an adopted proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.cppcc, cid)
    await world.organizer.ok("adoptProposal", {"proposalId": pid}, "proposal { id }")
    before = await trail_length(world.organizer, cid)
    # when the organizer adopts it again
    payload = await adopt(world.organizer, pid)
    # then it is a CONFLICT and nothing was written
    assert codes_of(payload) == ["CONFLICT"]
    assert await adopted_of(world.anon, cid) == {"id": pid, "status": "ADOPTED"}
    assert await trail_length(world.organizer, cid) == before


async def test_an_adopted_proposal_can_no_longer_be_edited(world):
    # given an adopted proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await proposal_id(world.cppcc, cid)
    await world.organizer.ok("adoptProposal", {"proposalId": pid}, "proposal { id }")
    # when its author edits or withdraws it
    edit = await update(world.cppcc, pid, budget="1")
    withdraw = await update(world.cppcc, pid, status="WITHDRAWN")
    # then both are INVALID and it stays adopted with its budget
    assert codes_of(edit) == ["INVALID"]
    assert errors_of(withdraw) == [("status", "INVALID")]
    p = await proposal(world.anon, pid)
    assert (p["status"], p["budget"]) == ("ADOPTED", "240000.00")
