"""The review's smaller findings, each replayed."""

from __future__ import annotations

import re

import pytest

from tests.api.helpers import World, create_consultation

VIEWER_CAN = "query($id: ID!) { consultation(id: $id) { viewerCan { createProposal } } }"


def codes(payload: dict) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def _consultation_with(world: World, party_keys: list[str]) -> str:
    """A consultation in DELIBERATING whose table seats only these parties."""
    payload = await world.organizer.ok(
        "createConsultation",
        {
            "title": "菜园巷道路改造",
            "summary": "路面破损。",
            "location": "菜园巷",
            "partyIds": [world.parties[k] for k in party_keys],
            "convenerId": world.accounts["cppcc"],
        },
        "consultation { id }",
    )
    cid = payload["consultation"]["id"]
    for stage in ("COLLECTING", "DELIBERATING"):
        await world.organizer.ok("advanceStage", {"consultationId": cid, "to": stage}, "consultation { stage }")
    return cid


async def test_a_rep_of_a_party_outside_the_consultation_cannot_put_a_plan_forward(world):
    # given a consultation that seats one party, and a rep of another
    seated, *others = list(world.parties)
    outsider = others[0]
    cid = await _consultation_with(world, [seated])
    proposal = {"consultationId": cid, "title": "另起炉灶", "body": "我方方案", "budget": "1000"}
    # when the outsider's rep proposes, then they are refused, and the page never offered it
    refused = await world.reps[outsider].mutate("createProposal", proposal, "proposal { id }")
    assert codes(refused) == [(None, "FORBIDDEN")] and refused["proposal"] is None
    viewer = await world.reps[outsider].query(VIEWER_CAN, {"id": cid})
    assert viewer["consultation"]["viewerCan"]["createProposal"] is False
    # while the seated party's rep still may, and is offered it
    assert (await world.reps[seated].mutate("createProposal", proposal, "proposal { id }"))["errors"] == []
    assert (await world.reps[seated].query(VIEWER_CAN, {"id": cid}))["consultation"]["viewerCan"]["createProposal"]


@pytest.mark.parametrize(
    "title",
    [
        "菜园巷\u202e改造方案",  # right-to-left override: reads backwards
        "菜园巷\u2066改造\u2069方案",  # an isolate
        "菜园\u200b巷改造",  # zero-width space: looks like 菜园巷改造 and is not
        "菜园\u200d巷改造",  # zero-width joiner in a short text
        "\ufeff菜园巷改造",  # a byte-order mark
    ],
)
async def test_invisible_and_direction_characters_are_refused_in_titles(world, title):
    cid = await create_consultation(world, stage="DELIBERATING")
    payload = await world.organizer.mutate(
        "createProposal", {"consultationId": cid, "title": title, "body": "内容", "budget": "1000"}, "proposal { id }"
    )
    assert codes(payload) == [("title", "INVALID")]
    assert "看不见的字符" in payload["errors"][0]["message"]


async def test_an_emoji_sequence_in_a_longer_text_is_still_welcome(world):
    cid = await create_consultation(world, stage="DELIBERATING")
    payload = await world.organizer.mutate(
        "createProposal",
        {"consultationId": cid, "title": "方案", "body": "全家支持 👨\u200d👩\u200d👧", "budget": "1000"},
        "proposal { body }",
    )
    assert payload["errors"] == [] and payload["proposal"]["body"].endswith("👧")


async def test_graphiql_runs_only_its_own_scripts_and_cannot_be_framed(http):
    response = await http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200 and "graphiql" in response.text.lower()
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy
    # nothing from another site: its scripts and styles are this server's own copies
    assert "unpkg" not in policy and "https://" not in response.text
    for src in re.findall(r'(?:src|href)="(/[^"]+)"', response.text):
        assert (await http.get(src)).status_code == 200, src
    assert response.headers["x-frame-options"] == "DENY"


async def test_a_deployment_can_turn_graphiql_and_introspection_off(settings, session_clock):
    # given an app served with CONSULT_GRAPHIQL=off and CONSULT_INTROSPECTION=off
    from dataclasses import replace

    from consult.app import create_app
    from tests.api.helpers import cookieless_client

    closed = create_app(
        replace(settings, graphiql=False, introspection=False), manage_database=False, clock=session_clock
    )
    async with cookieless_client(closed) as http:
        # then GET /graphql shows no GraphiQL
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 404 and "graphiql" not in page.text.lower()
        # and the schema cannot be read through the API, while queries still answer
        schema = (await http.post("/graphql", json={"query": "{ __schema { types { name } } }"})).json()
        assert schema.get("data") is None and "introspection" in schema["errors"][0]["message"].lower()
        plain = (await http.post("/graphql", json={"query": "{ __typename }"})).json()
        assert plain == {"data": {"__typename": "Query"}}


# The review sent dueAt 1970-01-01T05:00:00+14:00, which is 1969 in UTC, and it was stored.
@pytest.mark.parametrize(
    "when",
    [
        "0001-01-01T00:00:00+08:00",
        "9999-12-31T23:00:00+00:00",
        "1969-12-31T00:00:00Z",
        # the bounds hold for the instant, whatever the offset: 1969 and 2201 in UTC
        "1970-01-01T05:00:00+14:00",
        "2200-12-31T20:00:00-12:00",
    ],
)
async def test_dates_outside_1970_to_2200_are_invalid(world, when):
    cid = await create_consultation(world, stage="DELIBERATING")
    payload = await world.organizer.mutate(
        "assignResponsibility",
        {"consultationId": cid, "partyId": world.parties["market"], "duty": "出资", "dueAt": when},
        "responsibility { id }",
    )
    assert codes(payload) == [("dueAt", "INVALID")]


def test_the_demo_s_invitation_lists_are_readable_by_their_owner_only(scratch_databases, tmp_path):
    # The review found the demo's invitation CSVs world-readable: each code signs a household in.
    from tests.cli.test_cli import run

    env = {
        "CONSULT_DATABASE_URL": scratch_databases.new(),
        "CONSULT_SECRET_KEY": "csv-mode-secret",
        "CONSULT_ANCHOR_FILE": str(tmp_path / "anchors.jsonl"),
    }
    run("migrate", env=env)
    run("demo", "--out-dir", str(tmp_path), env=env)
    for listing in ("demo-invitations.csv", "demo-invitations-voting.csv"):
        assert (tmp_path / listing).stat().st_mode & 0o077 == 0, listing
