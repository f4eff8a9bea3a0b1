"""Consultations over the public API: creation, the stage machine, visibility, listing, node(id:), parties."""

from __future__ import annotations

import base64
import itertools
import re

import pytest

from consult.ids import to_global_id
from consult.models import Consultation as ConsultationRow
from tests.api.helpers import (
    Client,
    World,
    adopt_a_proposal,
    close_polls,
    create_consultation,
    create_poll,
    login,
    make_account,
    residents,
)

FORWARD = ["DRAFT", "COLLECTING", "DELIBERATING", "VOTING", "AGREED", "IMPLEMENTING", "EVALUATING", "ARCHIVED"]
BEFORE_ARCHIVED = FORWARD[:-1]

CONSULTATION = """
query($id: ID!) {
  consultation(id: $id) {
    id title summary location stage
    stageHistory { from to note by { id } }
    convener { id }
    parties { id name }
    demands { totalCount edges { node { id title } } }
    proposals { id title }
  }
}
"""

LIST = """
query($first: Int, $after: String, $stage: Stage, $search: String) {
  consultations(first: $first, after: $after, stage: $stage, search: $search) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id title stage } }
  }
}
"""

NODE_ID = "query($id: ID!) { node(id: $id) { __typename id } }"


async def test_anonymous_client_is_really_anonymous(world):
    # given the world, whose accounts all signed in through the same HTTP client
    # when the anonymous client asks who it is
    data = await world.anon.query("{ viewer { id } }")
    # then nobody is signed in
    assert data == {"viewer": None}


# ---------------------------------------------------------------- helpers


async def read(client: Client, cid: str) -> dict | None:
    return (await client.query(CONSULTATION, {"id": cid}))["consultation"]


async def listed_ids(client: Client, **variables) -> list[str]:
    data = await client.query(LIST, {"first": 500, **variables})
    return [edge["node"]["id"] for edge in data["consultations"]["edges"]]


async def advance(client: Client, cid: str, to: str, note: str | None = None) -> dict:
    return await client.mutate(
        "advanceStage", {"consultationId": cid, "to": to, "note": note}, "consultation { id stage }"
    )


async def consultation_at(world: World, stage: str, **kwargs) -> str:
    """A consultation moved by the organizer to any stage, ARCHIVED and CANCELLED included."""
    if stage == "ARCHIVED":
        cid = await create_consultation(world, stage="EVALUATING", **kwargs)
        await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "ARCHIVED"}, "consultation { stage }")
        return cid
    if stage == "CANCELLED":
        cid = await create_consultation(world, stage="COLLECTING", **kwargs)
        await world.organizer.ok(
            "advanceStage", {"consultationId": cid, "to": "CANCELLED", "note": "资金无法落实"}, "consultation { stage }"
        )
        return cid
    return await create_consultation(world, stage=stage, **kwargs)


async def new_consultation(world: World, title: str, summary: str = "路面破损", location: str = "临河区") -> str:
    payload = await world.organizer.ok(
        "createConsultation", {"title": title, "summary": summary, "location": location}, "consultation { id }"
    )
    return payload["consultation"]["id"]


async def stage_of(world: World, cid: str) -> str:
    return (await read(world.admin, cid))["stage"]


async def count_consultations(world: World) -> int:
    return (await world.admin.query(LIST, {"first": 1}))["consultations"]["totalCount"]


def errors_of(payload: dict) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


# ---------------------------------------------------------------- createConsultation


async def test_organizer_creates_a_draft_whose_history_starts_with_its_creation(world):
    # given the organizer and three parties
    # when the organizer creates a consultation naming the CPPCC member as convener
    payload = await world.organizer.ok(
        "createConsultation",
        {
            "title": "  菜园巷道路改造  ",
            "summary": "菜园巷路面破损、雨雪天积水。",
            "location": "临河区解放街道菜园巷",
            "partyIds": [world.parties["street"], world.parties["market"]],
            "convenerId": world.accounts["cppcc"],
        },
        "consultation { id title stage stageHistory { from to by { id } } convener { id displayName } parties { id } }",
    )
    created = payload["consultation"]

    # then it starts in DRAFT with one history entry from null, by the organizer
    assert created["title"] == "菜园巷道路改造"
    assert created["stage"] == "DRAFT"
    assert [(h["from"], h["to"]) for h in created["stageHistory"]] == [(None, "DRAFT")]
    assert created["stageHistory"][0]["by"] == {"id": world.accounts["organizer"]}
    assert created["convener"] == {"id": world.accounts["cppcc"], "displayName": "政协委员"}
    assert [p["id"] for p in created["parties"]] == [world.parties["street"], world.parties["market"]]
    # and it reads back the same way
    assert (await read(world.organizer, created["id"]))["stage"] == "DRAFT"


async def test_admin_may_create_a_consultation_without_convener_or_parties(world):
    # when the admin creates a bare consultation
    payload = await world.admin.ok(
        "createConsultation",
        {"title": "井盖更换", "summary": "电信井盖缺失。", "location": "武川县"},
        "consultation { id stage convener { id } parties { id } }",
    )
    # then it exists in DRAFT with no convener and no parties
    assert payload["consultation"]["stage"] == "DRAFT"
    assert payload["consultation"]["convener"] is None
    assert payload["consultation"]["parties"] == []


async def test_convener_who_is_not_a_cppcc_member_is_invalid_and_nothing_is_created(world):
    # given the organizer's own account, which is not a CPPCC member
    before = await count_consultations(world)
    # when it is named as convener
    payload = await world.organizer.mutate(
        "createConsultation",
        {"title": "t", "summary": "s", "location": "l", "convenerId": world.accounts["organizer"]},
        "consultation { id }",
    )
    # then the input is INVALID on convenerId and nothing was created
    assert payload["consultation"] is None
    assert errors_of(payload) == [("convenerId", "INVALID")]
    assert await count_consultations(world) == before


async def test_convener_id_of_a_party_is_not_found(world):
    # when a party's id is passed as convenerId
    payload = await world.organizer.mutate(
        "createConsultation",
        {"title": "t", "summary": "s", "location": "l", "convenerId": world.parties["market"]},
        "consultation { id }",
    )
    # then it is NOT_FOUND on convenerId
    assert errors_of(payload) == [("convenerId", "NOT_FOUND")]


async def test_anonymous_may_not_create_a_consultation(world):
    # when nobody signed in tries
    payload = await world.anon.mutate(
        "createConsultation", {"title": "t", "summary": "s", "location": "l"}, "consultation { id }"
    )
    # then it is UNAUTHENTICATED and nothing is created
    assert payload["consultation"] is None
    assert [e["code"] for e in payload["errors"]] == ["UNAUTHENTICATED"]
    assert await count_consultations(world) == 0


async def test_residents_cppcc_members_and_party_reps_may_not_create_a_consultation(world):
    # given a resident (from an invitation slip), the CPPCC member and a party rep
    cid = await create_consultation(world)
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    for client in (resident, world.cppcc, world.reps["market"]):
        # when each of them tries to create a consultation
        payload = await client.mutate(
            "createConsultation", {"title": "t", "summary": "s", "location": "l"}, "consultation { id }"
        )
        # then it is FORBIDDEN
        assert payload["consultation"] is None
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    # and only the first consultation exists
    assert await count_consultations(world) == 1


@pytest.mark.parametrize("title", ["", "   ", "\n\t"])
async def test_blank_title_is_invalid(world, title):
    # when the title is empty or only whitespace
    payload = await world.organizer.mutate(
        "createConsultation", {"title": title, "summary": "s", "location": "l"}, "consultation { id }"
    )
    # then it is INVALID on title
    assert errors_of(payload) == [("title", "INVALID")]
    assert await count_consultations(world) == 0


async def test_party_listed_twice_is_invalid_at_the_second_position(world):
    # when the same party is listed twice
    market = world.parties["market"]
    payload = await world.organizer.mutate(
        "createConsultation",
        {"title": "t", "summary": "s", "location": "l", "partyIds": [market, market]},
        "consultation { id }",
    )
    # then the second mention is INVALID
    assert errors_of(payload) == [("partyIds.1", "INVALID")]
    assert await count_consultations(world) == 0


async def test_unknown_party_is_not_found_at_its_position(world):
    # when the first party does not exist
    missing = to_global_id("Party", 987654321)
    payload = await world.organizer.mutate(
        "createConsultation",
        {"title": "t", "summary": "s", "location": "l", "partyIds": [missing, world.parties["market"]]},
        "consultation { id }",
    )
    # then it is NOT_FOUND on partyIds.0
    assert errors_of(payload) == [("partyIds.0", "NOT_FOUND")]
    assert await count_consultations(world) == 0


# ---------------------------------------------------------------- the stage machine


async def test_every_forward_step_from_draft_to_archived_is_allowed(world):
    # given a DRAFT consultation
    cid = await create_consultation(world)
    # when the organizer moves it one stage at a time to ARCHIVED
    for step in FORWARD[1:]:
        if step == "VOTING":
            await create_poll(world, cid)
        if step == "AGREED":
            await close_polls(world, cid)
            await adopt_a_proposal(world, cid)
        payload = await world.organizer.ok(
            "advanceStage", {"consultationId": cid, "to": step}, "consultation { stage }"
        )
        assert payload["consultation"]["stage"] == step
    # then the history records every step in order
    history = (await read(world.organizer, cid))["stageHistory"]
    assert [(h["from"], h["to"]) for h in history] == [(None, "DRAFT"), *itertools.pairwise(FORWARD)]


async def test_collecting_may_be_skipped(world):
    # given a DRAFT consultation
    cid = await create_consultation(world)
    # when it goes straight to DELIBERATING
    payload = await advance(world.organizer, cid, "DELIBERATING")
    # then that is allowed
    assert payload["errors"] == []
    assert await stage_of(world, cid) == "DELIBERATING"


async def test_voting_may_be_skipped(world):
    # given a DELIBERATING consultation with an adopted proposal
    cid = await create_consultation(world, stage="DELIBERATING")
    await adopt_a_proposal(world, cid)
    # when it goes straight to AGREED
    payload = await advance(world.organizer, cid, "AGREED")
    # then that is allowed
    assert payload["errors"] == []
    assert await stage_of(world, cid) == "AGREED"


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("DRAFT", "VOTING"),
        ("DRAFT", "AGREED"),
        ("COLLECTING", "AGREED"),
        ("COLLECTING", "VOTING"),
        ("DELIBERATING", "IMPLEMENTING"),
        ("VOTING", "IMPLEMENTING"),
        ("AGREED", "EVALUATING"),
        ("IMPLEMENTING", "ARCHIVED"),
        ("DRAFT", "ARCHIVED"),
    ],
)
async def test_skipping_a_stage_that_may_not_be_skipped_is_wrong_stage(world, start, target):
    # given a consultation at `start`
    cid = await consultation_at(world, start)
    # when it is moved past a stage other than COLLECTING or VOTING
    payload = await advance(world.organizer, cid, target)
    # then it is WRONG_STAGE on `to` and the stage is unchanged
    assert payload["consultation"] is None
    assert errors_of(payload) == [("to", "WRONG_STAGE")]
    assert await stage_of(world, cid) == start


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("COLLECTING", "DRAFT"),
        ("VOTING", "DELIBERATING"),
        ("AGREED", "COLLECTING"),
        ("EVALUATING", "IMPLEMENTING"),
        ("DELIBERATING", "DELIBERATING"),
        ("DRAFT", "DRAFT"),
    ],
)
async def test_moving_backward_or_to_the_same_stage_is_wrong_stage(world, start, target):
    # given a consultation at `start`
    cid = await consultation_at(world, start)
    # when it is moved back (or nowhere)
    payload = await advance(world.organizer, cid, target)
    # then it is WRONG_STAGE on `to` and nothing changed
    assert errors_of(payload) == [("to", "WRONG_STAGE")]
    assert await stage_of(world, cid) == start
    assert len((await read(world.admin, cid))["stageHistory"]) == FORWARD.index(start) + 1


@pytest.mark.parametrize("start", BEFORE_ARCHIVED)
async def test_any_stage_before_archived_may_be_cancelled_with_a_note(world, start):
    # given a consultation at `start`
    cid = await consultation_at(world, start)
    # when it is cancelled with a reason
    payload = await advance(world.organizer, cid, "CANCELLED", note="出资方退出")
    # then it is CANCELLED and the reason is in the history
    assert payload["errors"] == []
    c = await read(world.admin, cid)
    assert c["stage"] == "CANCELLED"
    assert (c["stageHistory"][-1]["from"], c["stageHistory"][-1]["to"], c["stageHistory"][-1]["note"]) == (
        start,
        "CANCELLED",
        "出资方退出",
    )


@pytest.mark.parametrize("note", [None, "", "   "])
async def test_cancelling_without_a_note_is_invalid(world, note):
    # given a COLLECTING consultation
    cid = await create_consultation(world, stage="COLLECTING")
    # when it is cancelled with no reason
    payload = await advance(world.organizer, cid, "CANCELLED", note=note)
    # then it is INVALID on note and still COLLECTING
    assert errors_of(payload) == [("note", "INVALID")]
    assert await stage_of(world, cid) == "COLLECTING"


@pytest.mark.parametrize("final", ["ARCHIVED", "CANCELLED"])
async def test_nothing_moves_from_archived_or_cancelled(world, final):
    # given a finished consultation
    cid = await consultation_at(world, final)
    history = len((await read(world.admin, cid))["stageHistory"])
    for target in [*FORWARD, "CANCELLED"]:
        # when the organizer tries to move it anywhere, even with a note
        payload = await advance(world.organizer, cid, target, note="重新开始")
        # then it is WRONG_STAGE on `to` and nothing changed
        assert errors_of(payload) == [("to", "WRONG_STAGE")], target
    after = await read(world.admin, cid)
    assert after["stage"] == final
    assert len(after["stageHistory"]) == history


async def test_the_convening_cppcc_member_may_move_stages_on(world):
    # given a consultation convened by the CPPCC member
    cid = await create_consultation(world)
    # when the convener moves it on, from DRAFT and again later
    first = await advance(world.cppcc, cid, "COLLECTING")
    second = await advance(world.cppcc, cid, "DELIBERATING")
    # then both moves happen and are recorded as theirs
    assert first["errors"] == [] and second["errors"] == []
    history = (await read(world.admin, cid))["stageHistory"]
    assert [h["by"]["id"] for h in history[1:]] == [world.accounts["cppcc"]] * 2


async def test_a_cppcc_member_who_does_not_convene_may_not_move_stages(world, admin):
    # given a COLLECTING consultation convened by someone else
    cid = await create_consultation(world, stage="COLLECTING")
    await make_account(admin, "cppcc2", ["CPPCC_MEMBER"])
    other = await login(world.anon, "cppcc2", "cppcc2-password")
    # when another CPPCC member tries to move it on
    payload = await advance(other, cid, "DELIBERATING")
    # then it is FORBIDDEN and the stage is unchanged
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    assert await stage_of(world, cid) == "COLLECTING"


async def test_consultation_without_convener_cannot_be_moved_by_a_cppcc_member(world):
    # given a COLLECTING consultation with no convener
    cid = await create_consultation(world, stage="COLLECTING", convener=False)
    # when the CPPCC member tries to move it on
    payload = await advance(world.cppcc, cid, "DELIBERATING")
    # then it is FORBIDDEN
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    assert await stage_of(world, cid) == "COLLECTING"


async def test_residents_and_party_reps_may_not_move_stages_and_anonymous_must_sign_in(world):
    # given a COLLECTING consultation and a resident on its roll
    cid = await create_consultation(world, stage="COLLECTING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    # when a resident or a party rep tries to move it on, or cancel it
    for client in (resident, world.reps["street"]):
        for target, note in (("DELIBERATING", None), ("CANCELLED", "不想要了")):
            payload = await advance(client, cid, target, note)
            # then it is FORBIDDEN
            assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    # and anonymous callers are told to sign in
    payload = await advance(world.anon, cid, "DELIBERATING")
    assert [e["code"] for e in payload["errors"]] == ["UNAUTHENTICATED"]
    assert await stage_of(world, cid) == "COLLECTING"


async def test_wrong_stage_message_names_the_stages_in_chinese_by_default(world):
    # given a DRAFT consultation
    cid = await create_consultation(world)
    # when it is moved to VOTING without an Accept-Language header
    payload = await advance(world.organizer, cid, "VOTING")
    # then the message names both stages in Chinese
    message = payload["errors"][0]["message"]
    assert "草稿" in message and "居民表决" in message
    assert "DRAFT" not in message and "VOTING" not in message


async def test_wrong_stage_message_follows_accept_language_english(world):
    # given a DRAFT consultation
    cid = await create_consultation(world)
    # when an English-speaking organizer moves it to VOTING
    payload = await advance(world.organizer.as_(world.organizer.token, lang="en-US,en;q=0.9"), cid, "VOTING")
    # then the message is in English, with the same code and field
    assert errors_of(payload) == [("to", "WRONG_STAGE")]
    message = payload["errors"][0]["message"]
    assert "draft" in message and "voting" in message
    assert not re.search(r"[\u4e00-\u9fff]", message)


# ---------------------------------------------------------------- visibility


async def test_a_draft_is_hidden_from_anonymous_residents_and_other_cppcc_members(world, admin):
    # given a DRAFT convened by the CPPCC member, a resident on its roll and a second CPPCC member
    cid = await create_consultation(world)
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    await make_account(admin, "cppcc2", ["CPPCC_MEMBER"])
    outsider = await login(world.anon, "cppcc2", "cppcc2-password")
    for client in (world.anon, resident, outsider, world.reps["market"]):
        # when they look it up, list consultations or resolve its node
        # then it is as if it did not exist
        assert await read(client, cid) is None
        assert cid not in await listed_ids(client)
        assert (await client.query(LIST, {}))["consultations"]["totalCount"] == 0
        assert (await client.query(NODE_ID, {"id": cid}))["node"] is None


async def test_a_draft_is_visible_to_organizers_admins_and_its_convener(world):
    # given a DRAFT convened by the CPPCC member
    cid = await create_consultation(world)
    for client in (world.organizer, world.admin, world.cppcc):
        # when they look it up, list consultations or resolve its node
        # then they see it
        assert (await read(client, cid))["stage"] == "DRAFT"
        assert await listed_ids(client) == [cid]
        assert (await client.query(NODE_ID, {"id": cid}))["node"] == {"__typename": "Consultation", "id": cid}


async def test_past_draft_everyone_reads_title_stage_demands_and_proposals(world, admin):
    # given a consultation with a demand and a proposal, now DELIBERATING
    cid = await create_consultation(world, stage="COLLECTING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    await resident.ok(
        "submitDemand", {"consultationId": cid, "title": "路面积水", "body": "一下雨就积水"}, "demand { id }"
    )
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "DELIBERATING"}, "consultation { id }")
    await world.organizer.ok(
        "createProposal",
        {"consultationId": cid, "title": "管网维修加路面硬化", "body": "三方分担", "budget": "240000"},
        "proposal { id }",
    )
    await make_account(admin, "cppcc2", ["CPPCC_MEMBER"])
    outsider = await login(world.anon, "cppcc2", "cppcc2-password")
    for client in (world.anon, resident, outsider, world.reps["units"]):
        # when anyone reads it
        c = await read(client, cid)
        # then they see its title, stage, demands and proposals
        assert c["title"] == "菜园巷道路改造"
        assert c["stage"] == "DELIBERATING"
        assert [e["node"]["title"] for e in c["demands"]["edges"]] == ["路面积水"]
        assert [p["title"] for p in c["proposals"]] == ["管网维修加路面硬化"]
        assert cid in await listed_ids(client)
        assert (await client.query(NODE_ID, {"id": cid}))["node"]["id"] == cid


# ---------------------------------------------------------------- the consultations query


async def test_stage_filter_returns_only_consultations_at_that_stage(world):
    # given consultations at three stages
    draft = await consultation_at(world, "DRAFT", title="甲")
    collecting = await consultation_at(world, "COLLECTING", title="乙")
    deliberating = await consultation_at(world, "DELIBERATING", title="丙")
    # when the organizer filters by stage
    # then each filter returns exactly its consultation
    assert await listed_ids(world.organizer, stage="DRAFT") == [draft]
    assert await listed_ids(world.organizer, stage="COLLECTING") == [collecting]
    assert await listed_ids(world.organizer, stage="DELIBERATING") == [deliberating]
    assert await listed_ids(world.organizer, stage="VOTING") == []
    # and anonymous filtering by DRAFT still sees none
    assert await listed_ids(world.anon, stage="DRAFT") == []
    data = await world.organizer.query(LIST, {"stage": "COLLECTING"})
    assert data["consultations"]["totalCount"] == 1


async def test_search_matches_title_summary_or_location_by_chinese_substring(world):
    # given three consultations that differ in title, summary and location
    lane = await new_consultation(world, "菜园巷道路改造", summary="路面破损", location="临河区解放街道")
    manhole = await new_consultation(world, "井盖更换", summary="电信井盖缺失，居民摔伤", location="武川县")
    noise = await new_consultation(world, "夜间施工", summary="施工噪声扰民", location="临河区菜园巷")
    # when the organizer searches by substrings
    # then title, summary and location all match, newest first
    assert await listed_ids(world.organizer, search="道路") == [lane]
    assert await listed_ids(world.organizer, search="井盖") == [manhole]
    assert await listed_ids(world.organizer, search="噪声") == [noise]
    assert await listed_ids(world.organizer, search="武川") == [manhole]
    assert await listed_ids(world.organizer, search="菜园巷") == [noise, lane]
    assert await listed_ids(world.organizer, search="临河区") == [noise, lane]
    assert await listed_ids(world.organizer, search="包头") == []
    # and a blank search matches everything
    assert await listed_ids(world.organizer, search="  ") == [noise, manhole, lane]


async def test_search_and_stage_filter_combine(world):
    # given two lane consultations at different stages and another one
    lane_draft = await new_consultation(world, "菜园巷道路排水")
    lane_collecting = await consultation_at(world, "COLLECTING", title="菜园巷道路")
    await consultation_at(world, "COLLECTING", title="井盖更换")
    # when searching 道路 among COLLECTING consultations
    data = await world.organizer.query(LIST, {"search": "道路", "stage": "COLLECTING"})
    # then only the collecting lane consultation matches
    assert [e["node"]["id"] for e in data["consultations"]["edges"]] == [lane_collecting]
    assert data["consultations"]["totalCount"] == 1
    assert await listed_ids(world.organizer, search="道路") == [lane_collecting, lane_draft]


async def test_consultations_are_listed_newest_first_in_relay_pages(world):
    # given five consultations created one after the other
    created = [await new_consultation(world, f"协商{i}") for i in range(5)]
    newest_first = list(reversed(created))
    # when the organizer pages through two at a time
    seen: list[str] = []
    after = None
    pages = []
    while True:
        data = (await world.organizer.query(LIST, {"first": 2, "after": after}))["consultations"]
        pages.append(data)
        seen += [e["node"]["id"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    # then the pages hold every consultation once, newest first
    assert seen == newest_first
    assert [len(p["edges"]) for p in pages] == [2, 2, 1]
    assert [p["totalCount"] for p in pages] == [5, 5, 5]
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, True, False]
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True]
    # and endCursor is the cursor of the page's last edge
    for p in pages:
        assert p["pageInfo"]["endCursor"] == p["edges"][-1]["cursor"]
        assert p["pageInfo"]["startCursor"] == p["edges"][0]["cursor"]


async def test_pagination_after_the_last_item_is_empty(world):
    # given two consultations
    await new_consultation(world, "甲")
    await new_consultation(world, "乙")
    first = (await world.organizer.query(LIST, {"first": 2}))["consultations"]
    assert first["pageInfo"]["hasNextPage"] is False
    # when asking for the page after the last one
    rest = (await world.organizer.query(LIST, {"first": 2, "after": first["pageInfo"]["endCursor"]}))["consultations"]
    # then it is empty, with null cursors
    assert rest["edges"] == []
    assert rest["pageInfo"]["hasNextPage"] is False
    assert rest["pageInfo"]["endCursor"] is None
    assert rest["totalCount"] == 2


@pytest.mark.parametrize("after", ["cursor:" + "9" * 30, "cursor:²", "cursor:-1", "not a cursor"])
async def test_a_cursor_that_is_not_ours_is_not_a_server_error(world, after):
    # given a consultation with a demand and an audit trail
    cid = await create_consultation(world, stage="COLLECTING")
    await world.cppcc.ok("submitDemand", {"consultationId": cid, "title": "积水", "body": "雨后积水"}, "demand { id }")
    cursor = _b64(after)
    # when every connection is asked for the page after a forged or out-of-range cursor
    data = await world.organizer.query(
        """
        query($id: ID!, $after: String) {
          consultations(first: 10, after: $after) { totalCount edges { node { id } } }
          consultation(id: $id) {
            demands(first: 10, after: $after) { totalCount }
            auditTrail(first: 10, after: $after) { totalCount chainValid }
          }
        }
        """,
        {"id": cid, "after": cursor},
    )
    # then the API answers without an error (query() raises on one) with the true totals
    assert data["consultations"]["totalCount"] == 1
    assert data["consultation"]["demands"]["totalCount"] == 1
    assert data["consultation"]["auditTrail"]["totalCount"] == 3
    assert data["consultation"]["auditTrail"]["chainValid"] is True


# ---------------------------------------------------------------- node(id:) and global IDs


async def _one_of_everything(world: World) -> dict[str, str]:
    """A consultation with a demand, a responsibility, a proposal, a roll entry and audit events."""
    cid = await create_consultation(world, stage="COLLECTING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    demand = await resident.ok(
        "submitDemand", {"consultationId": cid, "title": "积水", "body": "雨后积水"}, "demand { id }"
    )
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "DELIBERATING"}, "consultation { id }")
    responsibility = await world.organizer.ok(
        "assignResponsibility",
        {"consultationId": cid, "partyId": world.parties["street"], "duty": "组织施工"},
        "responsibility { id }",
    )
    proposal = await world.organizer.ok(
        "createProposal",
        {"consultationId": cid, "title": "方案", "body": "三方分担", "budget": "240000"},
        "proposal { id }",
    )
    data = await world.organizer.query(
        "query($id: ID!) { consultation(id: $id) { voterRoll { id } auditTrail(first: 1) { edges { node { id } } } } }",
        {"id": cid},
    )
    return {
        "Consultation": cid,
        "Demand": demand["demand"]["id"],
        "Proposal": proposal["proposal"]["id"],
        "Responsibility": responsibility["responsibility"]["id"],
        "Party": world.parties["market"],
        "Account": world.accounts["cppcc"],
        "VoterRollEntry": data["consultation"]["voterRoll"][0]["id"],
        "AuditEvent": data["consultation"]["auditTrail"]["edges"][0]["node"]["id"],
    }


async def test_node_resolves_every_exposed_type(world):
    # given one object of every type
    ids = await _one_of_everything(world)
    for type_name, gid in ids.items():
        # when the organizer resolves its id through node(id:) with a fragment on its type
        data = await world.organizer.query(
            f"query($id: ID!) {{ node(id: $id) {{ __typename ... on {type_name} {{ id }} }} }}", {"id": gid}
        )
        # then the node is of that type with that id
        assert data["node"] == {"__typename": type_name, "id": gid}, type_name


async def test_every_id_is_distinct_opaque_and_free_of_the_raw_integer(world):
    # given one object of every type
    ids = await _one_of_everything(world)
    # then no two ids are equal, even for rows that share a primary key
    assert len(set(ids.values())) == len(ids)
    consultation_pk = (await ConsultationRow.get()).id
    for gid in ids.values():
        # and every id is URL-safe base64 text, not a number or "Type:pk"
        assert re.fullmatch(r"[A-Za-z0-9_-]+=*", gid), gid
        assert not gid.isdigit()
        assert ":" not in gid
    assert ids["Consultation"] != str(consultation_pk)
    assert not ids["Consultation"].endswith(f":{consultation_pk}")
    assert "Consultation" not in ids["Consultation"]


MALFORMED_IDS = [
    "",
    "abc",
    "!!!!",
    "中文编号",
    "Q29uc3VsdGF0aW9u",  # base64 of a type name with no key
    base64.urlsafe_b64encode(b"Consultation:abc").decode(),
    base64.urlsafe_b64encode(b"NoSuchType:1").decode(),
    base64.urlsafe_b64encode(b"Consultation:-1").decode(),
    "Consultation:1",
    "1",
    "x" * 200,
]


async def test_malformed_or_unknown_ids_resolve_to_null(world):
    # given an existing consultation
    await create_consultation(world, stage="COLLECTING")
    for bad_id in MALFORMED_IDS:
        # when an id that is not one of ours is looked up
        data = await world.admin.query(
            "query($id: ID!) { node(id: $id) { id } consultation(id: $id) { id } }", {"id": bad_id}
        )
        # then both lookups are null rather than errors
        assert data == {"node": None, "consultation": None}, bad_id


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


async def test_non_canonical_spellings_of_a_real_id_resolve_to_null(world):
    # given a consultation and its id
    cid = await create_consultation(world, stage="COLLECTING")
    raw = base64.urlsafe_b64decode(cid + "=" * (-len(cid) % 4)).decode()
    type_name, _, pk = raw.partition(":")
    arabic_indic = pk.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    variants = [f"{type_name}:0{pk}", f"{type_name}:{arabic_indic}", f"{type_name}:{pk}²", f"{type_name}:²"]
    for variant in map(_b64, variants):
        # when the same key is spelled another way (leading zero, non-ASCII digits)
        data = await world.admin.query(
            "query($id: ID!) { node(id: $id) { id } consultation(id: $id) { id } }", {"id": variant}
        )
        # then it is not one of our ids: null, not an alias and not a server error
        assert data == {"node": None, "consultation": None}, variant
        # and a mutation given it answers NOT_FOUND
        payload = await world.organizer.mutate(
            "advanceStage", {"consultationId": variant, "to": "DELIBERATING"}, "consultation { id }"
        )
        assert errors_of(payload) == [("consultationId", "NOT_FOUND")], variant
    assert await stage_of(world, cid) == "COLLECTING"


async def test_id_of_a_missing_row_resolves_to_null(world):
    # given an id of the right shape for a row that does not exist
    await create_consultation(world, stage="COLLECTING")
    missing = to_global_id("Consultation", 987654321)
    # when it is looked up
    data = await world.admin.query(
        "query($id: ID!) { node(id: $id) { id } consultation(id: $id) { id } }", {"id": missing}
    )
    # then it is null
    assert data == {"node": None, "consultation": None}


async def test_an_id_of_another_type_is_not_found_in_mutations(world):
    # given a COLLECTING consultation with a demand
    cid = await create_consultation(world, stage="COLLECTING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    demand_id = (
        await resident.ok("submitDemand", {"consultationId": cid, "title": "积水", "body": "雨后积水"}, "demand { id }")
    )["demand"]["id"]
    # when a Demand id is passed as consultationId
    submitted = await resident.mutate(
        "submitDemand", {"consultationId": demand_id, "title": "t", "body": "b"}, "demand { id }"
    )
    moved = await world.organizer.mutate(
        "advanceStage", {"consultationId": demand_id, "to": "DELIBERATING"}, "consultation { id }"
    )
    added = await world.organizer.mutate(
        "addParty", {"consultationId": cid, "partyId": world.accounts["cppcc"]}, "consultation { id }"
    )
    supported = await resident.mutate("supportDemand", {"demandId": cid}, "demand { id }")
    # then each is NOT_FOUND on the field that got the wrong kind of id
    assert errors_of(submitted) == [("consultationId", "NOT_FOUND")]
    assert errors_of(moved) == [("consultationId", "NOT_FOUND")]
    assert errors_of(added) == [("partyId", "NOT_FOUND")]
    assert errors_of(supported) == [("demandId", "NOT_FOUND")]
    # and the consultation did not move
    assert await stage_of(world, cid) == "COLLECTING"


async def test_node_of_a_type_behind_a_draft_is_hidden_like_the_draft(world):
    # given a DRAFT with a voter roll
    cid = await create_consultation(world)
    await world.organizer.ok("setVoterRoll", {"consultationId": cid, "voters": [{"label": "1 号"}]}, "entries { id }")
    data = await world.organizer.query(
        "query($id: ID!) { consultation(id: $id) { auditTrail { edges { node { id } } } } }", {"id": cid}
    )
    event_id = data["consultation"]["auditTrail"]["edges"][0]["node"]["id"]
    # when anonymous resolves one of its audit events
    # then it is null, while the organizer gets it
    assert (await world.anon.query(NODE_ID, {"id": event_id}))["node"] is None
    assert (await world.organizer.query(NODE_ID, {"id": event_id}))["node"] == {
        "__typename": "AuditEvent",
        "id": event_id,
    }


# ---------------------------------------------------------------- addParty


async def _new_party(world: World, name: str = "菜园巷居民代表") -> str:
    payload = await world.admin.ok("createParty", {"name": name, "kind": "RESIDENTS"}, "party { id }")
    return payload["party"]["id"]


@pytest.mark.parametrize("stage", ["DRAFT", "COLLECTING", "EVALUATING"])
async def test_organizer_adds_a_party_at_the_end_of_the_list(world, stage):
    # given a consultation with three parties and a fourth party
    cid = await consultation_at(world, stage)
    party = await _new_party(world)
    # when the organizer adds it
    payload = await world.organizer.ok(
        "addParty", {"consultationId": cid, "partyId": party}, "consultation { parties { id } }"
    )
    # then it takes part, last in order
    expected = [*world.parties.values(), party]
    assert [p["id"] for p in payload["consultation"]["parties"]] == expected
    assert [p["id"] for p in (await read(world.admin, cid))["parties"]] == expected


async def test_adding_a_party_twice_is_a_conflict(world):
    # given a consultation the market already takes part in
    cid = await create_consultation(world, stage="COLLECTING")
    # when the organizer adds the market again
    payload = await world.organizer.mutate(
        "addParty", {"consultationId": cid, "partyId": world.parties["market"]}, "consultation { id }"
    )
    # then it is a CONFLICT and the list is unchanged
    assert errors_of(payload) == [("partyId", "CONFLICT")]
    assert [p["id"] for p in (await read(world.admin, cid))["parties"]] == list(world.parties.values())


@pytest.mark.parametrize("final", ["ARCHIVED", "CANCELLED"])
async def test_adding_a_party_to_a_finished_consultation_is_wrong_stage(world, final):
    # given an archived or cancelled consultation
    cid = await consultation_at(world, final)
    party = await _new_party(world)
    # when the organizer adds a party
    payload = await world.organizer.mutate("addParty", {"consultationId": cid, "partyId": party}, "consultation { id }")
    # then it is WRONG_STAGE and nothing changed
    assert [e["code"] for e in payload["errors"]] == ["WRONG_STAGE"]
    assert party not in [p["id"] for p in (await read(world.admin, cid))["parties"]]


async def test_only_organizers_add_parties(world):
    # given a COLLECTING consultation and a new party
    cid = await create_consultation(world, stage="COLLECTING")
    party = await _new_party(world)
    # when the CPPCC convener or a party rep tries to add it
    for client in (world.cppcc, world.reps["market"]):
        payload = await client.mutate("addParty", {"consultationId": cid, "partyId": party}, "consultation { id }")
        # then it is FORBIDDEN
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    # and anonymous callers must sign in
    payload = await world.anon.mutate("addParty", {"consultationId": cid, "partyId": party}, "consultation { id }")
    assert [e["code"] for e in payload["errors"]] == ["UNAUTHENTICATED"]
    assert party not in [p["id"] for p in (await read(world.admin, cid))["parties"]]


async def test_adding_an_unknown_party_is_not_found(world):
    # given a consultation
    cid = await create_consultation(world, stage="COLLECTING")
    # when the organizer adds a party that does not exist
    payload = await world.organizer.mutate(
        "addParty", {"consultationId": cid, "partyId": to_global_id("Party", 987654321)}, "consultation { id }"
    )
    # then it is NOT_FOUND on partyId
    assert errors_of(payload) == [("partyId", "NOT_FOUND")]


async def test_the_help_phone_printed_on_slips_is_set_by_organizers_and_the_convener_only(world):
    # given a consultation created with the community office's phone
    made = await world.organizer.ok(
        "createConsultation",
        {
            "title": "五川村排水沟",
            "summary": "清淤",
            "location": "五川村",
            "helpPhone": "0478-8123456",
            "convenerId": world.accounts["cppcc"],
        },
        "consultation { id helpPhone }",
    )
    cid = made["consultation"]["id"]
    assert made["consultation"]["helpPhone"] == "0478-8123456"
    # when a party rep tries to change it, or anyone gives something that is not a phone number
    rep = await world.reps["market"].mutate("setHelpPhone", {"consultationId": cid, "helpPhone": "0478-0000000"}, "")
    assert [e["code"] for e in rep["errors"]] == ["NOT_FOUND"]  # a DRAFT does not exist for them
    bad = await world.organizer.mutate("setHelpPhone", {"consultationId": cid, "helpPhone": "打电话给我"}, "")
    assert [(e["field"], e["code"]) for e in bad["errors"]] == [("helpPhone", "INVALID")]
    assert "电话号码" in bad["errors"][0]["message"]
    # then the convener may change it, and the trail says so
    changed = await world.cppcc.ok(
        "setHelpPhone", {"consultationId": cid, "helpPhone": " 0478 812 0000 "}, "consultation { helpPhone }"
    )
    assert changed["consultation"]["helpPhone"] == "0478 812 0000"
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "COLLECTING"}, "consultation { stage }")
    refused = await world.reps["market"].mutate(
        "setHelpPhone", {"consultationId": cid, "helpPhone": "0478-0000000"}, ""
    )
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    trail = await world.anon.query(
        "query($id: ID!) { consultation(id: $id) { helpPhone auditTrail(first: 20) { edges { node { summary } } } } }",
        {"id": cid},
    )
    assert trail["consultation"]["helpPhone"] == "0478 812 0000"
    assert any("求助电话：0478 812 0000" in e["node"]["summary"] for e in trail["consultation"]["auditTrail"]["edges"])
