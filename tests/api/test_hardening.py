"""Abuse and edge cases found in review: leaks, races, odd input and oversized requests."""

from __future__ import annotations

import asyncio
import json

import pytest

from consult.ids import to_global_id
from consult.models import VoterRollEntry
from tests.api.helpers import cookieless_client, create_consultation, residents

NODE_ENTRY = "query($id: ID!) { node(id: $id) { ... on VoterRollEntry { label weight } } }"


def codes(payload: dict) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def test_an_unredeemed_roll_entry_is_not_readable_anonymously_by_id(world):
    # given a roll whose entries nobody has redeemed yet
    cid = await create_consultation(world, stage="COLLECTING")
    await world.organizer.ok(
        "setVoterRoll", {"consultationId": cid, "voters": [{"label": "菜园巷 12 号 张大爷"}]}, "entries { id }"
    )
    entry = await VoterRollEntry.get(label="菜园巷 12 号 张大爷")
    gid = to_global_id("VoterRollEntry", entry.id)
    # when anonymous, CPPCC and organizer viewers ask for it by id
    anon = (await world.anon.query(NODE_ENTRY, {"id": gid}))["node"]
    cppcc = (await world.cppcc.query(NODE_ENTRY, {"id": gid}))["node"]
    organizer = (await world.organizer.query(NODE_ENTRY, {"id": gid}))["node"]
    # then only the organizer sees it
    assert anon is None and cppcc is None
    assert organizer == {"label": "菜园巷 12 号 张大爷", "weight": "1"}


async def test_a_draft_cancelled_as_a_draft_stays_private(world):
    # given a DRAFT that is cancelled before it was ever opened
    cid = await create_consultation(world)
    await world.organizer.ok(
        "advanceStage", {"consultationId": cid, "to": "CANCELLED", "note": "内部撤销"}, "consultation { id }"
    )
    # when anonymous viewers look for it
    query = "query($id: ID!) { consultation(id: $id) { id } consultations { totalCount } }"
    data = await world.anon.query(query, {"id": cid})
    # then it does not exist for them, while a consultation cancelled after opening is public
    assert data == {"consultation": None, "consultations": {"totalCount": 0}}
    opened = await create_consultation(world, stage="COLLECTING", title="开放后取消")
    await world.organizer.ok(
        "advanceStage", {"consultationId": opened, "to": "CANCELLED", "note": "资金无法落实"}, "consultation { id }"
    )
    assert (await world.anon.query(query, {"id": opened}))["consultation"] == {"id": opened}


async def test_a_slip_resident_speaks_only_in_the_slips_consultation(world):
    # given a resident who came in with a slip for consultation A, and another consultation B
    a = await create_consultation(world, stage="COLLECTING", title="甲")
    b = await create_consultation(world, stage="COLLECTING", title="乙")
    [resident] = await residents(world, a, ["甲 1 号"])
    other = await world.organizer.ok(
        "submitDemand",
        {"consultationId": b, "title": "乙的诉求", "body": "内容", "channel": "HOTLINE"},
        "demand { id }",
    )
    # when the resident submits or supports in B
    submit = await resident.mutate(
        "submitDemand", {"consultationId": b, "title": "越界", "body": "内容"}, "demand { id }"
    )
    support = await resident.mutate("supportDemand", {"demandId": other["demand"]["id"]}, "demand { supportCount }")
    # then both are FORBIDDEN, while A works
    assert codes(submit) == [("consultationId", "FORBIDDEN")]
    assert codes(support) == [("demandId", "FORBIDDEN")]
    await resident.ok("submitDemand", {"consultationId": a, "title": "本巷诉求", "body": "内容"}, "demand { id }")


async def test_full_width_codes_typed_with_a_chinese_input_method_redeem(world):
    # given an issued code
    cid = await create_consultation(world, stage="COLLECTING")
    await world.organizer.ok("setVoterRoll", {"consultationId": cid, "voters": [{"label": "1 号"}]}, "entries { id }")
    issued = await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { code }")
    code = issued["invitations"][0]["code"]
    # when it is typed in full-width characters with a full-width dash and spaces
    full_width = "".join(chr(ord(ch) + 0xFEE0) if ch.isalnum() else "－" for ch in code)
    payload = await world.anon.mutate("redeemInvitation", {"code": f"　{full_width}　"}, "viewer { displayName }")
    # then it redeems
    assert payload["errors"] == [] and payload["viewer"]["displayName"] == "1 号"


@pytest.mark.parametrize("text", ["路面\x00破损", "积水\x1b", "\ud800"])
async def test_control_characters_and_lone_surrogates_are_invalid_not_a_crash(world, text):
    # given a collecting consultation
    cid = await create_consultation(world, stage="COLLECTING")
    # when a demand carries characters no database stores (sent as JSON escapes, as a browser would)
    document = "mutation($i: SubmitDemandInput!) { submitDemand(input: $i) { demand { id } errors { field code } } }"
    body = json.dumps(
        {
            "query": document,
            "variables": {"i": {"consultationId": cid, "title": text, "body": "内容", "channel": "HOTLINE"}},
        }
    )
    response = await world.organizer.http.post(
        "/graphql",
        content=body,
        headers={"content-type": "application/json", "authorization": f"Bearer {world.organizer.token}"},
    )
    # then it is INVALID on that field
    assert codes(response.json()["data"]["submitDemand"]) == [("title", "INVALID")]


async def test_a_very_long_username_is_a_failed_login_not_a_crash(anon):
    payload = await anon.mutate("login", {"username": "x" * 500, "password": "whatever-password"}, "token")
    assert codes(payload) == [(None, "UNAUTHENTICATED")]


async def test_concurrent_wrong_logins_cannot_slip_past_the_limit(app, settings, admin):
    # given a client that fires many wrong passwords at once
    async with cookieless_client(app, ("203.0.113.50", 1234)) as http:
        body = {
            "query": 'mutation { login(input: {username: "admin", password: "wrong-password"}) { errors { code } } }'
        }
        responses = await asyncio.gather(
            *(http.post("/graphql", json=body) for _ in range(3 * settings.auth_refuse_after))
        )
    outcomes = [r.json()["data"]["login"]["errors"][0]["code"] for r in responses]
    # then no more than the limit were even checked; the rest were refused
    assert outcomes.count("UNAUTHENTICATED") <= settings.auth_refuse_after
    assert outcomes.count("RATE_LIMITED") >= 2 * settings.auth_refuse_after


async def test_an_oversized_request_body_is_refused_before_parsing(http, settings):
    big = "x" * (settings.max_body_bytes + 1)
    response = await http.post("/graphql", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413


async def test_pages_are_capped(world):
    cid = await create_consultation(world, stage="COLLECTING")
    for i in range(3):
        await world.organizer.ok(
            "submitDemand",
            {"consultationId": cid, "title": f"诉求{i}", "body": "内容", "channel": "HOTLINE"},
            "demand { id }",
        )
    data = await world.anon.query(
        "query($id: ID!) { consultation(id: $id) { demands(first: 100000) { totalCount edges { cursor } } } }",
        {"id": cid},
    )
    assert data["consultation"]["demands"]["totalCount"] == 3
    assert len(data["consultation"]["demands"]["edges"]) == 3


async def test_a_search_term_with_a_nul_character_is_just_a_search(world):
    await create_consultation(world, stage="COLLECTING")
    data = await world.anon.query('{ consultations(search: "菜园\\u0000巷") { totalCount } }')
    assert data == {"consultations": {"totalCount": 1}}


@pytest.mark.parametrize(
    ("query", "says"),
    [
        # fourteen nested selections; the depth rule reports it whatever the field names are
        (
            "{ " + "".join(f"f{i} {{ " for i in range(14)) + "id" + " }" * 15,
            "exceeds maximum operation depth",
        ),
        ("{ " + " ".join(f"a{i}: __typename" for i in range(51)) + " }", "aliases found"),
        ("{ " + "__typename " * 4001 + "}", "more than 4000 tokens"),
    ],
    ids=["too deep", "too many aliases", "too many tokens"],
)
async def test_a_query_past_the_limits_is_refused_every_time_it_is_sent(anon, query, says):
    # Parsed and validated queries are remembered; a refusal must be remembered as a refusal.
    for _ in range(2):
        body = await anon.raw(query)
        assert "data" not in body or body["data"] is None
        assert any(says in error["message"] for error in body["errors"]), body["errors"]


async def test_the_same_query_text_answers_for_each_caller_with_their_own_variables(world):
    first = await create_consultation(world, title="第一件事", stage="COLLECTING")
    second = await create_consultation(world, title="第二件事", stage="COLLECTING")
    text = "query($id: ID!) { consultation(id: $id) { title } }"
    titles = [(await world.anon.query(text, {"id": cid}))["consultation"]["title"] for cid in (first, second, first)]
    assert titles == ["第一件事", "第二件事", "第一件事"]
