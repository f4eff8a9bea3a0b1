"""Resident voting (居民表决): polls, ballots, tallies, decision rules and secrecy, over the public API."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from consult.ids import expect_id, to_global_id
from consult.models import AuditEvent, Ballot, ReplacedReceipt
from tests.api.helpers import Client, World, create_consultation, create_poll, residents

OPTION_TALLY = "option { id label } votes weight"
TALLY = (
    "version ballotsCast electorateSize turnout quorumMet outcome winner { id label } "
    f"options {{ {OPTION_TALLY} }} rounds {{ {OPTION_TALLY} }}"
)
BALLOT = "id origin receipt castAt choices { id label } voter { id }"
POLL = (
    "id question kind status maxChoices opensAt closesAt secret allowRevote liveResults electorateSize viewerCanVote "
    "options { id label } rule { preset quorumPercent threshold byArea }"
)
VOTE = f"ballot {{ {BALLOT} }} tally {{ {TALLY} }}"
QUESTION = "是否同意道路改造方案？"
YES, NO, ABSTAIN = "赞成", "反对", "弃权"
# A named poll counts each ballot at once; a secret one shows its open count in batches of
# TALLY_BATCH (tests/security/test_secret_ballots.py). Tests of the counting itself use named polls.
COUNTED_AT_ONCE = {"secret": False}
# A rule that counts area as well as heads: only then does a tally publish the areas.
COUNTS_AREA = {"preset": "CUSTOM", "quorumPercent": 0, "threshold": "1/2", "byArea": True}


# ---------------------------------------------------------------- helpers


def errors_of(payload: dict) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


def codes_of(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def advance(world: World, cid: str, to: str, note: str | None = None) -> None:
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": to, "note": note}, "consultation { stage }")


async def try_advance(world: World, cid: str, to: str) -> dict:
    return await world.organizer.mutate("advanceStage", {"consultationId": cid, "to": to}, "consultation { stage }")


async def new_poll(client: Client, cid: str, **fields) -> dict:
    """createPoll as `client`, the yes/no/abstain road question unless told otherwise; returns the payload."""
    return await client.mutate(
        "createPoll",
        {"consultationId": cid, "question": QUESTION, "kind": "YES_NO_ABSTAIN", **fields},
        f"poll {{ {POLL} }}",
    )


async def open_poll(world: World, pid: str) -> dict:
    return (await world.organizer.ok("openPoll", {"pollId": pid}, f"poll {{ {POLL} }}"))["poll"]


async def close_poll(world: World, pid: str) -> dict:
    return (await world.organizer.ok("closePoll", {"pollId": pid}, f"poll {{ {POLL} }}"))["poll"]


async def poll_of(client: Client, pid: str) -> dict | None:
    data = await client.query(
        f"query($id: ID!) {{ node(id: $id) {{ ... on Poll {{ {POLL} "
        f"tally {{ {TALLY} }} myBallot {{ {BALLOT} }} }} }} }}",
        {"id": pid},
    )
    return data["node"]


async def tally_of(client: Client, pid: str) -> dict | None:
    poll = await poll_of(client, pid)
    assert poll is not None
    return poll["tally"]


async def ballots_of(client: Client, pid: str) -> dict | None:
    data = await client.query(
        "query($id: ID!) { node(id: $id) { ... on Poll { "
        f"ballots(first: 50) {{ totalCount edges {{ node {{ {BALLOT} }} }} }} }} }} }}",
        {"id": pid},
    )
    return data["node"]["ballots"]


async def options_of(client: Client, pid: str) -> list[str]:
    poll = await poll_of(client, pid)
    assert poll is not None
    return [o["id"] for o in poll["options"]]


async def status_of(client: Client, pid: str) -> str:
    poll = await poll_of(client, pid)
    assert poll is not None
    return poll["status"]


async def vote(client: Client, pid: str, choices: list[str]) -> dict:
    return await client.mutate("castVote", {"pollId": pid, "choices": choices}, VOTE)


async def voted(client: Client, pid: str, choices: list[str]) -> dict:
    payload = await vote(client, pid, choices)
    assert payload["errors"] == [], payload["errors"]
    return payload


async def offline(
    client: Client, pid: str, entry: str, choices: list[str], origin: str = "PAPER", note: str | None = None
) -> dict:
    return await client.mutate(
        "recordOfflineBallot",
        {"pollId": pid, "voterEntryId": entry, "choices": choices, "origin": origin, "note": note},
        VOTE,
    )


async def set_roll(world: World, cid: str, voters: list[tuple[str, str]]) -> None:
    """Replace the roll with (label, weight) households."""
    await world.organizer.ok(
        "setVoterRoll",
        {"consultationId": cid, "voters": [{"label": label, "weight": weight} for label, weight in voters]},
        "entries { id }",
    )


async def roll_entries(world: World, cid: str) -> dict[str, str]:
    """The roll's entry ids by label, as the organizer sees them."""
    data = await world.organizer.query(
        "query($id: ID!) { consultation(id: $id) { voterRoll { id label } } }", {"id": cid}
    )
    return {e["label"]: e["id"] for e in data["consultation"]["voterRoll"]}


async def join_roll(world: World, cid: str, labels: list[str], newcomer: str) -> Client:
    """Put `newcomer` on the roll next to `labels` (weight 80 each) and sign them in with a fresh slip."""
    await set_roll(world, cid, [(label, "80") for label in [*labels, newcomer]])
    issued = await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { label code }")
    code = next(i["code"] for i in issued["invitations"] if i["label"] == newcomer)
    payload = await world.anon.ok("redeemInvitation", {"code": code}, "token")
    return world.anon.as_(payload["token"])


async def account_of(client: Client) -> str:
    return (await client.query("{ viewer { id } }"))["viewer"]["id"]


async def trail(client: Client, cid: str) -> list[dict]:
    data = await client.query(
        "query($id: ID!) { consultation(id: $id) { auditTrail(first: 500) {"
        " edges { node { seq action summary actor { id } } } } } }",
        {"id": cid},
    )
    return [e["node"] for e in data["consultation"]["auditTrail"]["edges"]]


async def stored_payloads(cid: str, action: str) -> list[str]:
    """The stored audit payloads of `action`, oldest first, as the JSON text kept in the database."""
    rows = await AuditEvent.filter(consultation_id=expect_id(cid, "Consultation"), action=action).order_by("seq")
    return [r.payload for r in rows]


async def deliberating_poll(world: World, **extra) -> tuple[str, str]:
    """A consultation in DELIBERATING with one poll (the yes/no/abstain road question unless told otherwise)."""
    cid = await create_consultation(world, stage="DELIBERATING")
    return cid, await create_poll(world, cid, **extra)


async def open_with_residents(world: World, labels: list[str], **extra) -> tuple[str, str, list[Client]]:
    """A poll open in VOTING, its electorate the households `labels`, each signed in as a resident."""
    cid, pid = await deliberating_poll(world, **extra)
    voters = await residents(world, cid, labels)
    await advance(world, cid, "VOTING")
    await open_poll(world, pid)
    return cid, pid, voters


def households(n: int) -> list[str]:
    return [f"菜园巷{i}号" for i in range(1, n + 1)]


async def paper_count(world: World, weights: list[str], marks: str, **extra) -> dict:
    """Open a poll for households of `weights`, enter one paper ballot per mark, close it, return the tally.

    For yes/no/abstain polls a mark is Y, N or A; for choice polls it is the option's letter
    (a, b, c...); "-" leaves that household without a ballot.
    """
    cid, pid = await deliberating_poll(world, **extra)
    labels = households(len(weights))
    await set_roll(world, cid, list(zip(labels, weights, strict=True)))
    await advance(world, cid, "VOTING")
    await open_poll(world, pid)
    entries = await roll_entries(world, cid)
    options = await options_of(world.organizer, pid)
    # One mark per household, so a table row with a missing mark fails here rather than miscounting.
    for label, mark in zip(labels, marks, strict=True):
        if mark == "-":
            continue
        index = "YNA".index(mark) if mark in "YNA" else "abcdefgh".index(mark)
        payload = await offline(world.organizer, pid, entries[label], [options[index]])
        assert payload["errors"] == [], payload["errors"]
    await close_poll(world, pid)
    tally = await tally_of(world.anon, pid)
    assert tally is not None
    return tally


def votes_by_label(tally: dict) -> dict[str, int]:
    return {o["option"]["label"]: o["votes"] for o in tally["options"]}


# ---------------------------------------------------------------- kinds of poll


async def test_a_yes_no_abstain_poll_gets_its_three_options_from_the_server(world):
    # given a consultation being deliberated
    cid = await create_consultation(world, stage="DELIBERATING")
    # when the organizer puts a yes/no/abstain question without options
    payload = await new_poll(world.organizer, cid)
    # then the server creates 赞成, 反对, 弃权 in that order, with the documented defaults
    assert payload["errors"] == []
    poll = payload["poll"]
    assert (poll["question"], poll["kind"], poll["status"]) == (QUESTION, "YES_NO_ABSTAIN", "SCHEDULED")
    assert [o["label"] for o in poll["options"]] == [YES, NO, ABSTAIN]
    assert (poll["secret"], poll["allowRevote"], poll["liveResults"]) == (True, True, True)
    assert poll["rule"] == {"preset": "SIMPLE_MAJORITY", "quorumPercent": 0, "threshold": "1/2", "byArea": False}
    # and the consultation lists it
    data = await world.anon.query("query($id: ID!) { consultation(id: $id) { polls { id kind } } }", {"id": cid})
    assert data["consultation"]["polls"] == [{"id": poll["id"], "kind": "YES_NO_ABSTAIN"}]


async def test_a_yes_no_abstain_poll_with_options_is_invalid(world):
    # given a consultation being deliberated
    cid = await create_consultation(world, stage="DELIBERATING")
    # when the organizer passes options of their own for a yes/no/abstain question
    payload = await new_poll(world.organizer, cid, options=["同意", "不同意"])
    # then the poll is refused on `options` and nothing is created
    assert errors_of(payload) == [("options", "INVALID")]
    assert payload["poll"] is None
    data = await world.organizer.query("query($id: ID!) { consultation(id: $id) { polls { id } } }", {"id": cid})
    assert data["consultation"]["polls"] == []


async def test_a_single_choice_poll_keeps_its_options_in_order(world):
    # given a consultation being deliberated
    cid = await create_consultation(world, stage="DELIBERATING")
    # when the organizer asks which of three surfaces to lay
    payload = await new_poll(
        world.organizer, cid, question="路面用哪种材料？", kind="SINGLE_CHOICE", options=["沥青", "水泥", "透水砖"]
    )
    # then the options are kept as given
    assert payload["errors"] == []
    assert payload["poll"]["kind"] == "SINGLE_CHOICE"
    assert [o["label"] for o in payload["poll"]["options"]] == ["沥青", "水泥", "透水砖"]


@pytest.mark.parametrize(
    "kind, options, field",
    [
        ("SINGLE_CHOICE", None, "options"),
        ("SINGLE_CHOICE", ["只有一个"], "options"),
        ("MULTIPLE_CHOICE", ["路灯", "路灯"], "options.1"),
        ("RANKED", [], "options"),
    ],
)
async def test_a_choice_poll_needs_two_distinct_options(world, kind, options, field):
    # given a consultation being deliberated
    cid = await create_consultation(world, stage="DELIBERATING")
    # when a choice poll comes with fewer than two options, or one twice
    payload = await new_poll(world.organizer, cid, question="选哪个？", kind=kind, options=options)
    # then it is refused on the options
    assert errors_of(payload) == [(field, "INVALID")]


async def test_a_multiple_choice_ballot_counts_for_every_option_up_to_max_choices(world):
    # given a poll on three improvements, choose up to two, open to two households
    _, pid, (first, second) = await open_with_residents(
        world,
        households(2),
        question="优先做哪些？",
        kind="MULTIPLE_CHOICE",
        options=["路灯", "排水", "绿化"],
        maxChoices=2,
        **COUNTED_AT_ONCE,
    )
    lamps, drains, greens = await options_of(world.organizer, pid)
    # when one household picks two and the other one
    await voted(first, pid, [lamps, drains])
    payload = await voted(second, pid, [drains])
    # then each chosen option counts once per ballot, against two ballots
    assert payload["tally"]["ballotsCast"] == 2
    assert votes_by_label(payload["tally"]) == {"路灯": 1, "排水": 2, "绿化": 0}
    assert [c["id"] for c in payload["ballot"]["choices"]] == [drains]
    # and three choices are one too many
    refused = await vote(first, pid, [lamps, drains, greens])
    assert errors_of(refused) == [("choices", "INVALID")]
    assert votes_by_label(await tally_of(world.organizer, pid)) == {"路灯": 1, "排水": 2, "绿化": 0}


@pytest.mark.parametrize("max_choices", [0, 4])
async def test_max_choices_must_fit_the_options(world, max_choices):
    # given a consultation being deliberated
    cid = await create_consultation(world, stage="DELIBERATING")
    # when a three-option multiple choice poll allows no choice, or more choices than options
    payload = await new_poll(
        world.organizer,
        cid,
        question="优先做哪些？",
        kind="MULTIPLE_CHOICE",
        options=["路灯", "排水", "绿化"],
        maxChoices=max_choices,
    )
    # then it is refused on maxChoices
    assert errors_of(payload) == [("maxChoices", "INVALID")]


async def test_a_multiple_choice_poll_without_max_choices_allows_every_option(world):
    # given a consultation being deliberated
    cid = await create_consultation(world, stage="DELIBERATING")
    # when a multiple choice poll leaves maxChoices out
    payload = await new_poll(
        world.organizer, cid, question="优先做哪些？", kind="MULTIPLE_CHOICE", options=["路灯", "排水", "绿化"]
    )
    # then every option may be chosen
    assert payload["errors"] == []
    assert payload["poll"]["maxChoices"] == 3


async def test_a_ranked_poll_is_decided_by_instant_runoff_and_shows_every_round(world):
    # given a ranked poll on four plans and ten households of 80 m² each
    plans = ["甲方案", "乙方案", "丙方案", "丁方案"]
    _, pid, voters = await open_with_residents(
        world, households(10), question="方案排序", kind="RANKED", options=plans, **COUNTS_AREA
    )
    a, b, c, d = await options_of(world.organizer, pid)
    # when four rank 甲 first, three 乙, two 丙 then 乙, and one 丁 then 乙
    rankings = [[a, d, c, b]] * 4 + [[b, c, a, d]] * 3 + [[c, b, a, d]] * 2 + [[d, b, c, a]]
    for voter, ranking in zip(voters, rankings, strict=True):
        await voted(voter, pid, ranking)
    # then the first preferences are counted per option while the poll is open, with the rounds so far
    tally = await tally_of(world.anon, pid)
    assert votes_by_label(tally) == {"甲方案": 4, "乙方案": 3, "丙方案": 2, "丁方案": 1}
    assert tally["outcome"] == "PENDING"
    # and after the close, 丁 goes in round one, 丙 in round two, and 乙 wins round three with 6 of 10
    await close_poll(world, pid)
    tally = await tally_of(world.anon, pid)
    assert [[(o["option"]["id"], o["votes"]) for o in r] for r in tally["rounds"]] == [
        [(a, 4), (b, 3), (c, 2), (d, 1)],
        [(a, 4), (b, 4), (c, 2), (d, 0)],
        [(a, 4), (b, 6), (c, 0), (d, 0)],
    ]
    assert [o["weight"] for o in tally["rounds"][0]] == ["320", "240", "160", "80"]
    assert [o["weight"] for o in tally["rounds"][-1]] == ["320", "480", "0", "0"]
    assert (tally["outcome"], tally["winner"]) == ("DECIDED", {"id": b, "label": "乙方案"})
    assert tally["ballotsCast"] == 10


async def test_a_ranked_ballot_keeps_its_order(world):
    # given a ranked poll on three plans
    _, pid, (voter,) = await open_with_residents(
        world, ["菜园巷1号"], question="方案排序", kind="RANKED", options=["甲", "乙", "丙"], **COUNTED_AT_ONCE
    )
    a, b, c = await options_of(world.organizer, pid)
    # when a resident ranks 丙, 甲, 乙
    payload = await voted(voter, pid, [c, a, b])
    # then their ballot keeps that order, and only the first preference counts per option
    assert [ch["label"] for ch in payload["ballot"]["choices"]] == ["丙", "甲", "乙"]
    assert votes_by_label(payload["tally"]) == {"甲": 0, "乙": 0, "丙": 1}


async def test_a_single_choice_poll_with_a_clear_winner_is_decided(world):
    # when three of four households choose 沥青 and one 水泥
    tally = await paper_count(
        world, ["1"] * 4, "aaab", question="路面用哪种材料？", kind="SINGLE_CHOICE", options=["沥青", "水泥", "透水砖"]
    )
    # then 沥青 wins
    assert (tally["outcome"], tally["winner"]["label"]) == ("DECIDED", "沥青")
    assert votes_by_label(tally) == {"沥青": 3, "水泥": 1, "透水砖": 0}


async def test_a_single_choice_tie_is_undecided(world):
    # when two households choose 沥青 and two 水泥
    tally = await paper_count(
        world, ["1"] * 4, "aabb", question="路面用哪种材料？", kind="SINGLE_CHOICE", options=["沥青", "水泥", "透水砖"]
    )
    # then nobody wins
    assert (tally["outcome"], tally["winner"]) == ("UNDECIDED", None)


# ---------------------------------------------------------------- stages


@pytest.mark.parametrize("stage", ["DELIBERATING", "VOTING"])
async def test_polls_are_created_while_deliberating_or_voting(world, stage):
    # given a consultation in DELIBERATING or VOTING
    cid = await create_consultation(world, stage=stage)
    # when the organizer creates a poll
    payload = await new_poll(world.organizer, cid, question="是否同意增设路灯？")
    # then it is created, not yet open
    assert payload["errors"] == []
    assert payload["poll"]["status"] == "SCHEDULED"


@pytest.mark.parametrize("stage", ["DRAFT", "COLLECTING", "AGREED"])
async def test_polls_are_not_created_in_other_stages(world, stage):
    # given a consultation before deliberating or past voting
    cid = await create_consultation(world, stage=stage)
    # when the organizer tries to create a poll
    payload = await new_poll(world.organizer, cid, question="是否同意增设路灯？")
    # then it is the wrong stage
    assert codes_of(payload) == ["WRONG_STAGE"]


async def test_polls_are_created_by_staff_only(world):
    # given a consultation being deliberated and a resident of it
    cid = await create_consultation(world, stage="DELIBERATING")
    (resident,) = await residents(world, cid, ["菜园巷1号"])
    # when others try to create a poll
    # then the CPPCC member, a party rep and the resident are forbidden, and anonymous callers must sign in
    for client, code in [
        (world.cppcc, "FORBIDDEN"),
        (world.reps["market"], "FORBIDDEN"),
        (resident, "FORBIDDEN"),
        (world.anon, "UNAUTHENTICATED"),
    ]:
        assert codes_of(await new_poll(client, cid)) == [code]


async def test_polls_open_and_close_only_while_voting(world):
    # given a poll of a consultation still deliberating, with a roll
    cid, pid = await deliberating_poll(world)
    await residents(world, cid, ["菜园巷1号"])
    # when the organizer tries to open or close it
    opened = await world.organizer.mutate("openPoll", {"pollId": pid}, "poll { status }")
    closed = await world.organizer.mutate("closePoll", {"pollId": pid}, "poll { status }")
    # then both are the wrong stage, and it stays scheduled
    assert codes_of(opened) == ["WRONG_STAGE"]
    assert codes_of(closed) == ["WRONG_STAGE"]
    assert await status_of(world.organizer, pid) == "SCHEDULED"
    # and once voting, it opens and closes
    await advance(world, cid, "VOTING")
    assert (await open_poll(world, pid))["status"] == "OPEN"
    assert (await close_poll(world, pid))["status"] == "CLOSED"


async def test_a_closed_poll_does_not_open_again_and_closes_once(world):
    # given a poll that was opened and closed
    _, pid, _ = await open_with_residents(world, ["菜园巷1号"])
    await close_poll(world, pid)
    # when the organizer opens or closes it again
    opened = await world.organizer.mutate("openPoll", {"pollId": pid}, "poll { status }")
    closed = await world.organizer.mutate("closePoll", {"pollId": pid}, "poll { status }")
    # then neither is allowed
    assert errors_of(opened) == [("pollId", "INVALID")]
    assert errors_of(closed) == [("pollId", "POLL_NOT_OPEN")]
    assert await status_of(world.anon, pid) == "CLOSED"


async def test_a_poll_does_not_open_with_an_empty_roll(world):
    # given a voting consultation with a poll and no roll
    cid, pid = await deliberating_poll(world)
    await advance(world, cid, "VOTING")
    # when the organizer opens it
    payload = await world.organizer.mutate("openPoll", {"pollId": pid}, "poll { status }")
    # then there is nobody to vote: invalid
    assert errors_of(payload) == [("pollId", "INVALID")]


async def test_only_staff_open_and_close_polls(world):
    # given a voting consultation with a scheduled poll and a resident
    cid, pid = await deliberating_poll(world)
    (resident,) = await residents(world, cid, ["菜园巷1号"])
    await advance(world, cid, "VOTING")
    # when the CPPCC member or the resident try to open it, or anonymous callers
    # then they are refused
    for client, code in [(world.cppcc, "FORBIDDEN"), (resident, "FORBIDDEN"), (world.anon, "UNAUTHENTICATED")]:
        for name in ("openPoll", "closePoll"):
            payload = await client.mutate(name, {"pollId": pid}, "poll { status }")
            assert codes_of(payload) == [code]
    assert await status_of(world.organizer, pid) == "SCHEDULED"


async def test_voting_needs_a_poll(world):
    # given a consultation being deliberated without any poll
    cid = await create_consultation(world, stage="DELIBERATING")
    # when the organizer moves it to VOTING
    payload = await try_advance(world, cid, "VOTING")
    # then it is the wrong stage, and it stays where it was
    assert errors_of(payload) == [("to", "WRONG_STAGE")]
    data = await world.anon.query("query($id: ID!) { consultation(id: $id) { stage } }", {"id": cid})
    assert data["consultation"]["stage"] == "DELIBERATING"
    # and with a poll it moves
    await create_poll(world, cid)
    await advance(world, cid, "VOTING")


async def test_leaving_voting_needs_every_poll_closed(world):
    # given a voting consultation with one poll closed and another still open, and an adopted proposal
    cid, first = await deliberating_poll(world)
    second = await create_poll(world, cid, question="是否同意增设路灯？")
    await residents(world, cid, ["菜园巷1号"])
    await advance(world, cid, "VOTING")
    await open_poll(world, first)
    await open_poll(world, second)
    await close_poll(world, first)
    created = await world.organizer.ok(
        "createProposal",
        {"consultationId": cid, "title": "道路改造方案", "body": "管网维修与路面硬化", "budget": "240000"},
        "proposal { id }",
    )
    await world.organizer.ok("adoptProposal", {"proposalId": created["proposal"]["id"]}, "proposal { id }")
    # when the organizer moves on to AGREED
    payload = await try_advance(world, cid, "AGREED")
    # then it is the wrong stage, naming the open poll's question
    assert errors_of(payload) == [("to", "WRONG_STAGE")]
    assert "是否同意增设路灯？" in payload["errors"][0]["message"]
    assert QUESTION not in payload["errors"][0]["message"]
    # and once it is closed the consultation moves on
    await close_poll(world, second)
    await advance(world, cid, "AGREED")


async def test_a_scheduled_poll_also_holds_voting_open(world):
    # given a voting consultation whose poll never opened
    cid, _ = await deliberating_poll(world)
    await advance(world, cid, "VOTING")
    # when the organizer moves on
    payload = await try_advance(world, cid, "AGREED")
    # then the unopened poll still has to be closed first
    assert errors_of(payload) == [("to", "WRONG_STAGE")]
    assert QUESTION in payload["errors"][0]["message"]


async def test_a_poll_past_its_closing_time_is_closed_without_any_request(world, clock):
    # given a poll opened now that closes in an hour, with two households
    start = datetime.now(UTC).replace(microsecond=0)
    clock.set(start)
    _, pid, (first, second) = await open_with_residents(
        world, households(2), closesAt=(start + timedelta(hours=1)).isoformat()
    )
    yes = (await options_of(world.organizer, pid))[0]
    await voted(first, pid, [yes])
    assert (await poll_of(second, pid))["viewerCanVote"] is True
    # when two hours pass with nobody writing anything
    clock.advance(hours=2)
    # then everyone reads it as CLOSED with its result, and the second household can no longer vote
    for client in (world.anon, world.organizer, second):
        poll = await poll_of(client, pid)
        assert poll["status"] == "CLOSED"
        assert (poll["tally"]["outcome"], poll["tally"]["ballotsCast"]) == ("PASSED", 1)
    assert (await poll_of(second, pid))["viewerCanVote"] is False
    assert errors_of(await vote(second, pid, [yes])) == [("pollId", "POLL_NOT_OPEN")]
    assert (await tally_of(world.anon, pid))["ballotsCast"] == 1


async def test_a_poll_past_its_closing_time_lets_the_consultation_leave_voting(world, clock):
    # given a voting consultation whose only poll closes in an hour, and an adopted proposal
    start = datetime.now(UTC).replace(microsecond=0)
    clock.set(start)
    cid, pid, _ = await open_with_residents(world, ["菜园巷1号"], closesAt=(start + timedelta(hours=1)).isoformat())
    created = await world.organizer.ok(
        "createProposal",
        {"consultationId": cid, "title": "道路改造方案", "body": "管网维修与路面硬化", "budget": "240000"},
        "proposal { id }",
    )
    await world.organizer.ok("adoptProposal", {"proposalId": created["proposal"]["id"]}, "proposal { id }")
    assert codes_of(await try_advance(world, cid, "AGREED")) == ["WRONG_STAGE"]
    # when the closing time passes and the organizer moves on
    clock.advance(hours=2)
    await advance(world, cid, "AGREED")
    # then the poll was closed by the clock, and the trail says so without naming anyone
    assert await status_of(world.anon, pid) == "CLOSED"
    closes = [e for e in await trail(world.organizer, cid) if e["action"] == "poll.close"]
    assert len(closes) == 1
    assert closes[0]["actor"] is None


async def test_a_closing_time_in_the_past_is_invalid(world):
    # given a consultation being deliberated
    cid = await create_consultation(world, stage="DELIBERATING")
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    # when a poll is to close an hour ago, or before it opens
    late = await new_poll(world.organizer, cid, closesAt=past)
    backwards = await new_poll(
        world.organizer,
        cid,
        opensAt=(datetime.now(UTC) + timedelta(hours=3)).isoformat(),
        closesAt=(datetime.now(UTC) + timedelta(hours=2)).isoformat(),
    )
    # then both are refused on closesAt
    assert errors_of(late) == [("closesAt", "INVALID")]
    assert errors_of(backwards) == [("closesAt", "INVALID")]


async def test_a_poll_opens_by_itself_at_its_opening_time_once_voting(world, clock):
    # given a poll that opens in an hour, created while deliberating, with a household
    start = datetime.now(UTC).replace(microsecond=0)
    clock.set(start)
    cid, pid = await deliberating_poll(world, opensAt=(start + timedelta(hours=1)).isoformat(), **COUNTED_AT_ONCE)
    (resident,) = await residents(world, cid, ["菜园巷1号"])
    # when its opening time passes while the consultation is still deliberating
    clock.advance(hours=2)
    # then it waits for VOTING
    assert await status_of(world.anon, pid) == "SCHEDULED"
    assert (await poll_of(resident, pid))["viewerCanVote"] is False
    # and when the consultation moves to VOTING it is open at once, with nobody opening it
    await advance(world, cid, "VOTING")
    poll = await poll_of(resident, pid)
    assert (poll["status"], poll["viewerCanVote"], poll["electorateSize"]) == ("OPEN", True, 1)
    payload = await voted(resident, pid, [poll["options"][0]["id"]])
    assert payload["tally"]["ballotsCast"] == 1
    opens = [e for e in await trail(world.organizer, cid) if e["action"] == "poll.open"]
    assert len(opens) == 1
    assert opens[0]["actor"] is None


async def test_a_scheduled_poll_opens_by_itself_while_voting(world, clock):
    # given a voting consultation whose poll opens in an hour
    start = datetime.now(UTC).replace(microsecond=0)
    clock.set(start)
    cid, pid = await deliberating_poll(world, opensAt=(start + timedelta(hours=1)).isoformat(), **COUNTED_AT_ONCE)
    (resident,) = await residents(world, cid, ["菜园巷1号"])
    await advance(world, cid, "VOTING")
    yes = (await options_of(world.organizer, pid))[0]
    assert await status_of(world.anon, pid) == "SCHEDULED"
    assert errors_of(await vote(resident, pid, [yes])) == [("pollId", "POLL_NOT_OPEN")]
    # when the hour passes
    clock.advance(minutes=61)
    # then the poll is open and takes the vote
    assert await status_of(world.anon, pid) == "OPEN"
    assert (await voted(resident, pid, [yes]))["tally"]["ballotsCast"] == 1


# ---------------------------------------------------------------- the electorate


async def test_the_electorate_is_the_roll_when_the_poll_opens(world):
    # given a poll opened with two households on the roll
    cid, pid, (first, _) = await open_with_residents(world, households(2), **COUNTED_AT_ONCE)
    yes = (await options_of(world.organizer, pid))[0]
    # when a third household is added to the roll and signs in
    newcomer = await join_roll(world, cid, households(2), "菜园巷3号")
    # then the poll's electorate is still the two, and the newcomer may not vote
    poll = await poll_of(newcomer, pid)
    assert (poll["electorateSize"], poll["tally"]["electorateSize"], poll["viewerCanVote"]) == (2, 2, False)
    assert errors_of(await vote(newcomer, pid, [yes])) == [("pollId", "NOT_ELIGIBLE")]
    # while the households on the roll at the opening still vote
    payload = await voted(first, pid, [yes])
    assert (payload["tally"]["electorateSize"], payload["tally"]["turnout"]) == (2, "0.5000")


async def test_a_weight_changed_after_the_opening_does_not_change_the_count(world):
    # given a poll opened with 1号 at 80 m² and 2号 at 80 m²
    cid, pid, (first, _) = await open_with_residents(world, households(2), **COUNTS_AREA)
    yes = (await options_of(world.organizer, pid))[0]
    # when the roll is corrected to 120 m² for 1号 after the opening, and 1号 votes
    await set_roll(world, cid, [("菜园巷1号", "120"), ("菜园巷2号", "80")])
    payload = await voted(first, pid, [yes])
    # then the ballot weighs what the household weighed at the opening (shown once the secret poll closes)
    assert [o["weight"] for o in payload["tally"]["options"]] == WITHHELD
    assert payload["tally"]["electorateSize"] == 2
    assert await weights_after_close(world, pid) == ["80", "0", "0"]


async def test_a_scheduled_poll_shows_the_roll_as_it_stands(world):
    # given a poll not opened yet and a roll of two
    cid, pid = await deliberating_poll(world)
    await residents(world, cid, households(2))
    assert (await poll_of(world.anon, pid))["electorateSize"] == 2
    # when the roll grows to three before the opening
    await set_roll(world, cid, [(label, "80") for label in households(3)])
    await advance(world, cid, "VOTING")
    # then the poll opens with three
    assert (await open_poll(world, pid))["electorateSize"] == 3


async def test_a_roll_change_after_an_automatic_opening_does_not_touch_the_electorate(world, clock):
    # given a voting consultation whose poll opened by the clock, with two households and nobody voting yet
    start = datetime.now(UTC).replace(microsecond=0)
    clock.set(start)
    cid, pid = await deliberating_poll(world, opensAt=(start + timedelta(hours=1)).isoformat())
    await residents(world, cid, households(2))
    await advance(world, cid, "VOTING")
    clock.advance(hours=2)
    assert (await poll_of(world.anon, pid))["status"] == "OPEN"
    assert (await poll_of(world.anon, pid))["electorateSize"] == 2
    # when a third household is added to the roll afterwards and signs in
    newcomer = await join_roll(world, cid, households(2), "菜园巷3号")
    # then the electorate is still the two of the opening, and the newcomer may not vote
    assert (await poll_of(world.anon, pid))["electorateSize"] == 2
    yes = (await options_of(world.organizer, pid))[0]
    assert errors_of(await vote(newcomer, pid, [yes])) == [("pollId", "NOT_ELIGIBLE")]
    assert (await poll_of(world.organizer, pid))["tally"]["electorateSize"] == 2


# ---------------------------------------------------------------- who may vote


async def test_a_resident_votes_for_their_own_roll_entry(world):
    # given an open poll and a resident of the consultation
    _, pid, (resident,) = await open_with_residents(world, ["菜园巷1号"], **COUNTED_AT_ONCE)
    poll = await poll_of(resident, pid)
    assert (poll["viewerCanVote"], poll["myBallot"]) == (True, None)
    yes = poll["options"][0]["id"]
    # when they vote 赞成
    payload = await vote(resident, pid, [yes])
    # then the ballot is theirs, online, and counted
    assert payload["errors"] == []
    ballot = payload["ballot"]
    me = (await resident.query("{ viewer { id } }"))["viewer"]
    # (a named poll: the ballot names its household's account)
    assert (ballot["origin"], [c["label"] for c in ballot["choices"]], ballot["voter"]) == ("ONLINE", [YES], me)
    tally = payload["tally"]
    assert (tally["version"], tally["ballotsCast"], tally["electorateSize"], tally["turnout"]) == (1, 1, 1, "1.0000")
    assert votes_by_label(tally) == {YES: 1, NO: 0, ABSTAIN: 0}
    assert [o["weight"] for o in tally["options"]] == WITHHELD
    mine = (await poll_of(resident, pid))["myBallot"]
    assert (mine["id"], mine["receipt"]) == (ballot["id"], ballot["receipt"])


async def test_people_not_on_the_roll_are_not_eligible(world):
    # given an open poll, and a resident of another consultation
    _, pid, _ = await open_with_residents(world, ["菜园巷1号"])
    other = await create_consultation(world, stage="DELIBERATING", title="乌川路井盖更换")
    (outsider,) = await residents(world, other, ["乌川路1号"])
    yes = (await options_of(world.organizer, pid))[0]
    # when the organizer, the CPPCC member, the admin, a party rep and the outsider try to vote
    # then none of them is on this poll's roll
    for client in (world.organizer, world.cppcc, world.admin, world.reps["market"], outsider):
        assert errors_of(await vote(client, pid, [yes])) == [("pollId", "NOT_ELIGIBLE")]
        assert (await poll_of(client, pid))["viewerCanVote"] is False
    assert (await tally_of(world.anon, pid))["ballotsCast"] == 0


async def test_votes_before_opening_and_after_closing_are_refused(world):
    # given a voting consultation with a scheduled poll and a resident
    cid, pid = await deliberating_poll(world)
    (resident,) = await residents(world, cid, ["菜园巷1号"])
    yes = (await options_of(world.organizer, pid))[0]
    # when the resident votes before the poll opens
    # then the poll is not open, while deliberating or while voting
    assert errors_of(await vote(resident, pid, [yes])) == [("pollId", "POLL_NOT_OPEN")]
    await advance(world, cid, "VOTING")
    assert errors_of(await vote(resident, pid, [yes])) == [("pollId", "POLL_NOT_OPEN")]
    # and after it closed, nor then
    await open_poll(world, pid)
    await close_poll(world, pid)
    assert errors_of(await vote(resident, pid, [yes])) == [("pollId", "POLL_NOT_OPEN")]
    assert (await tally_of(world.anon, pid))["ballotsCast"] == 0


async def test_a_cancelled_consultation_takes_no_more_votes(world):
    # given an open poll, one household having voted
    cid, pid, (first, second) = await open_with_residents(world, households(2), **COUNTED_AT_ONCE)
    entry = (await roll_entries(world, cid))["菜园巷2号"]
    yes = (await options_of(world.organizer, pid))[0]
    await voted(first, pid, [yes])
    # when the consultation is cancelled while the poll is open
    await advance(world, cid, "CANCELLED", note="居民另行自筹解决")
    # then nobody may vote any more, online or on paper, and the count stays as it was
    assert (await poll_of(second, pid))["viewerCanVote"] is False
    assert codes_of(await vote(second, pid, [yes])) == ["WRONG_STAGE"]
    assert codes_of(await vote(first, pid, [yes])) == ["WRONG_STAGE"]
    assert codes_of(await offline(world.organizer, pid, entry, [yes])) == ["WRONG_STAGE"]
    tally = await tally_of(world.anon, pid)
    assert (tally["ballotsCast"], tally["version"]) == (1, 1)


async def test_anonymous_votes_must_sign_in(world):
    # given an open poll
    _, pid, _ = await open_with_residents(world, ["菜园巷1号"])
    yes = (await options_of(world.organizer, pid))[0]
    # when someone votes without signing in
    payload = await vote(world.anon, pid, [yes])
    # then they are unauthenticated
    assert codes_of(payload) == ["UNAUTHENTICATED"]
    assert (await poll_of(world.anon, pid))["viewerCanVote"] is False


async def test_a_vote_for_an_unknown_poll_is_not_found(world):
    # given a resident with an open poll
    cid, pid, (resident,) = await open_with_residents(world, ["菜园巷1号"])
    yes = (await options_of(world.organizer, pid))[0]
    # when they vote with a consultation's id, or a poll id that does not exist
    # then the poll is not found
    for bad in (cid, to_global_id("Poll", 10**12)):
        assert errors_of(await vote(resident, bad, [yes])) == [("pollId", "NOT_FOUND")]


# ---------------------------------------------------------------- choices


@pytest.mark.parametrize(
    "kind, picks, field",
    [
        ("YES_NO_ABSTAIN", [0, 1], "choices"),
        ("YES_NO_ABSTAIN", [], "choices"),
        ("YES_NO_ABSTAIN", [2, 2], "choices.1"),
        ("SINGLE_CHOICE", [0, 2], "choices"),
        ("MULTIPLE_CHOICE", [1, 1], "choices.1"),
        ("MULTIPLE_CHOICE", [0, 1, 2], "choices"),
        ("RANKED", [2, 0, 2], "choices.2"),
    ],
)
async def test_choices_must_fit_the_kind_of_poll(world, kind, picks, field):
    # given an open poll of `kind` (multiple choice: up to two of three)
    extra = {"kind": kind}
    if kind != "YES_NO_ABSTAIN":
        extra.update(question="优先做哪个？", options=["路灯", "排水", "绿化"])
    if kind == "MULTIPLE_CHOICE":
        extra["maxChoices"] = 2
    _, pid, (resident,) = await open_with_residents(world, ["菜园巷1号"], **extra)
    options = await options_of(world.organizer, pid)
    # when a resident's choices do not fit it
    payload = await vote(resident, pid, [options[i] for i in picks])
    # then the ballot is refused on the choices, and nothing is counted
    assert errors_of(payload) == [(field, "INVALID")]
    assert (payload["ballot"], payload["tally"]) == (None, None)
    tally = await tally_of(world.anon, pid)
    assert (tally["ballotsCast"], tally["version"]) == (0, 0)
    assert (await poll_of(resident, pid))["myBallot"] is None


async def test_an_option_of_another_poll_is_not_a_choice(world):
    # given two polls of one consultation, the first open
    cid, pid, (resident,) = await open_with_residents(world, ["菜园巷1号"])
    other = await create_poll(world, cid, question="是否同意增设路灯？")
    foreign = (await options_of(world.organizer, other))[0]
    # when the resident votes on the first with an option of the second
    payload = await vote(resident, pid, [foreign])
    # then it is not a choice of this poll
    assert errors_of(payload) == [("choices.0", "INVALID")]
    # and nor is an id that is no option at all
    assert errors_of(await vote(resident, pid, [pid])) == [("choices.0", "INVALID")]
    assert errors_of(await vote(resident, pid, ["not-an-id"])) == [("choices.0", "INVALID")]
    assert (await tally_of(world.anon, pid))["ballotsCast"] == 0


# ---------------------------------------------------------------- one ballot per roll entry


async def test_a_revote_replaces_the_ballot_and_moves_exactly_one_vote(world):
    # given an open poll where two households voted 赞成
    _, pid, (first, second) = await open_with_residents(world, households(2), **COUNTED_AT_ONCE)
    yes, no, _ = await options_of(world.organizer, pid)
    old = (await voted(first, pid, [yes]))["ballot"]
    before = (await voted(second, pid, [yes]))["tally"]
    assert (before["version"], before["ballotsCast"], votes_by_label(before)) == (2, 2, {YES: 2, NO: 0, ABSTAIN: 0})
    # when the first household changes its mind to 反对
    payload = await voted(first, pid, [no])
    # then its ballot is replaced: same count of ballots, one vote moved, one more version
    after = payload["tally"]
    assert (after["version"], after["ballotsCast"]) == (3, 2)
    assert votes_by_label(after) == {YES: 1, NO: 1, ABSTAIN: 0}
    assert [o["weight"] for o in after["options"]] == WITHHELD
    assert [c["id"] for c in payload["ballot"]["choices"]] == [no]
    # and the old receipt no longer verifies while the new one does
    new = payload["ballot"]
    assert new["receipt"] != old["receipt"]
    check = "query($p: ID!, $r: String!) { verifyReceipt(pollId: $p, receipt: $r) }"
    assert (await world.anon.query(check, {"p": pid, "r": old["receipt"]}))["verifyReceipt"] is False
    assert (await world.anon.query(check, {"p": pid, "r": new["receipt"]}))["verifyReceipt"] is True
    mine = (await poll_of(first, pid))["myBallot"]
    assert ([c["label"] for c in mine["choices"]], mine["receipt"]) == ([NO], new["receipt"])
    assert await Ballot.filter(poll_id=expect_id(pid, "Poll")).count() == 2
    # and checking the old receipt says it was replaced by a later ballot, not that it was lost
    status = "query($p: ID!, $r: String!) { receiptStatus(pollId: $p, receipt: $r) }"
    assert (await world.anon.query(status, {"p": pid, "r": old["receipt"].lower()}))["receiptStatus"] == "REPLACED"
    assert (await world.anon.query(status, {"p": pid, "r": new["receipt"]}))["receiptStatus"] == "COUNTED"
    assert (await world.anon.query(status, {"p": pid, "r": "ABCDE-FGHJK-MNPQR-STUVW"}))["receiptStatus"] == "UNKNOWN"
    # and a third vote replaces the second receipt too, each old one still saying so
    third = (await voted(first, pid, [yes]))["ballot"]
    for code, expected in ((old, "REPLACED"), (new, "REPLACED"), (third, "COUNTED")):
        assert (await world.anon.query(status, {"p": pid, "r": code["receipt"]}))["receiptStatus"] == expected
    # and the database keeps only keyed digests of replaced receipts, with nothing to tie them to a household
    kept = await ReplacedReceipt.filter(poll_id=expect_id(pid, "Poll")).values_list("digest", flat=True)
    assert len(kept) == 2 and old["receipt"] not in kept and all(len(d) == 64 for d in kept)


async def test_without_revote_a_second_vote_is_already_voted(world):
    # given an open poll that does not allow changing a ballot, and a resident who voted 赞成
    _, pid, (resident,) = await open_with_residents(world, ["菜园巷1号"], allowRevote=False, **COUNTED_AT_ONCE)
    yes, no, _ = await options_of(world.organizer, pid)
    first = await voted(resident, pid, [yes])
    assert (await poll_of(resident, pid))["viewerCanVote"] is False
    # when they vote again
    payload = await vote(resident, pid, [no])
    # then they have already voted, and the first ballot stands
    assert errors_of(payload) == [("pollId", "ALREADY_VOTED")]
    tally = await tally_of(world.anon, pid)
    assert (tally["version"], tally["ballotsCast"], votes_by_label(tally)) == (1, 1, {YES: 1, NO: 0, ABSTAIN: 0})
    assert (await poll_of(resident, pid))["myBallot"]["receipt"] == first["ballot"]["receipt"]


async def test_a_burst_of_votes_by_one_voter_leaves_one_ballot(world):
    # given an open poll and one resident
    _, pid, (resident,) = await open_with_residents(world, ["菜园巷1号"], **COUNTED_AT_ONCE)
    yes = (await options_of(world.organizer, pid))[0]
    # when the resident's phone sends the same vote twenty times at once
    results = await asyncio.gather(*(vote(resident, pid, [yes]) for _ in range(20)))
    # then each is accepted in turn, replacing the last, and exactly one ballot is counted
    assert [r["errors"] for r in results] == [[]] * 20
    tally = await tally_of(world.anon, pid)
    assert (tally["ballotsCast"], votes_by_label(tally)) == (1, {YES: 1, NO: 0, ABSTAIN: 0})
    assert tally["version"] == 20
    assert sorted(r["tally"]["version"] for r in results) == list(range(1, 21))
    assert await Ballot.filter(poll_id=expect_id(pid, "Poll")).count() == 1


async def test_a_burst_of_different_votes_without_revote_accepts_exactly_one(world):
    # given an open poll that does not allow changing a ballot, and one resident
    _, pid, (resident,) = await open_with_residents(world, ["菜园巷1号"], allowRevote=False, **COUNTED_AT_ONCE)
    options = await options_of(world.organizer, pid)
    # when twenty different votes arrive at once
    results = await asyncio.gather(*(vote(resident, pid, [options[i % 3]]) for i in range(20)))
    # then one is accepted and the other nineteen have already voted
    accepted = [r for r in results if r["errors"] == []]
    assert len(accepted) == 1
    assert sorted(codes_of(r)[0] for r in results if r["errors"]) == ["ALREADY_VOTED"] * 19
    # and the tally holds exactly that ballot
    chosen = accepted[0]["ballot"]["choices"][0]["id"]
    tally = await tally_of(world.anon, pid)
    assert (tally["ballotsCast"], tally["version"]) == (1, 1)
    assert {o["option"]["id"]: o["votes"] for o in tally["options"]} == {o: int(o == chosen) for o in options}
    assert [c["id"] for c in (await poll_of(resident, pid))["myBallot"]["choices"]] == [chosen]
    assert await Ballot.filter(poll_id=expect_id(pid, "Poll")).count() == 1


async def test_ten_residents_voting_at_once_are_all_counted(world):
    # given an open poll and ten households
    _, pid, voters = await open_with_residents(world, households(10), **COUNTS_AREA)
    yes, no, _ = await options_of(world.organizer, pid)
    # when all ten vote at the same moment, seven 赞成 and three 反对
    results = await asyncio.gather(*(vote(v, pid, [yes if i < 7 else no]) for i, v in enumerate(voters)))
    # then every ballot is counted once
    assert [r["errors"] for r in results] == [[]] * 10
    tally = await tally_of(world.anon, pid)
    assert (tally["ballotsCast"], tally["version"], tally["turnout"]) == (10, 10, "1.0000")
    assert votes_by_label(tally) == {YES: 7, NO: 3, ABSTAIN: 0}
    assert len({r["ballot"]["receipt"] for r in results}) == 10
    assert await weights_after_close(world, pid) == ["560", "240", "0"]
    assert await Ballot.filter(poll_id=expect_id(pid, "Poll")).count() == 10


# ---------------------------------------------------------------- paper and assisted ballots


async def test_organizers_enter_paper_and_assisted_ballots(world):
    # given an open poll of three households, none of whom votes online
    cid, pid, _ = await open_with_residents(world, households(3), **COUNTED_AT_ONCE)
    entries = await roll_entries(world, cid)
    yes, no, _ = await options_of(world.organizer, pid)
    # when the organizer enters a paper ballot for 1号 and an assisted one for 2号
    paper = await offline(world.organizer, pid, entries["菜园巷1号"], [yes], "PAPER", note="纸质选票第 1 张")
    assisted = await offline(world.organizer, pid, entries["菜园巷2号"], [no], "ASSISTED", note="网格员代投，本人同意")
    # then both count, with their origin
    assert paper["errors"] == [] and assisted["errors"] == []
    assert (paper["ballot"]["origin"], assisted["ballot"]["origin"]) == ("PAPER", "ASSISTED")
    assert len(paper["ballot"]["receipt"]) >= 16
    tally = assisted["tally"]
    assert (tally["ballotsCast"], votes_by_label(tally)) == (2, {YES: 1, NO: 1, ABSTAIN: 0})
    # and the trail records who entered them
    entered = [e for e in await trail(world.organizer, cid) if e["action"] == "ballot.offline"]
    assert [e["actor"] for e in entered] == [{"id": world.accounts["organizer"]}] * 2


async def test_an_offline_ballot_is_paper_or_assisted(world):
    # given an open poll
    cid, pid, _ = await open_with_residents(world, ["菜园巷1号"])
    entry = (await roll_entries(world, cid))["菜园巷1号"]
    yes = (await options_of(world.organizer, pid))[0]
    # when the organizer enters a ballot with origin ONLINE
    payload = await offline(world.organizer, pid, entry, [yes], "ONLINE")
    # then the origin is invalid
    assert errors_of(payload) == [("origin", "INVALID")]
    assert (await tally_of(world.anon, pid))["ballotsCast"] == 0


async def test_a_standing_paper_ballot_cannot_be_replaced_online(world):
    # given an open poll (revote allowed) where the organizer entered 1号's paper ballot
    cid, pid, (resident,) = await open_with_residents(world, ["菜园巷1号"], **COUNTED_AT_ONCE)
    entry = (await roll_entries(world, cid))["菜园巷1号"]
    yes, no, _ = await options_of(world.organizer, pid)
    assert (await offline(world.organizer, pid, entry, [yes]))["errors"] == []
    # when the household votes online
    poll = await poll_of(resident, pid)
    assert (poll["viewerCanVote"], poll["myBallot"]["origin"]) == (False, "PAPER")
    payload = await vote(resident, pid, [no])
    # then it has already voted, and the paper ballot stands
    assert errors_of(payload) == [("pollId", "ALREADY_VOTED")]
    tally = await tally_of(world.anon, pid)
    assert (tally["ballotsCast"], votes_by_label(tally)) == (1, {YES: 1, NO: 0, ABSTAIN: 0})


async def test_a_household_that_voted_online_gets_no_paper_ballot(world):
    # given an open poll where 1号 voted online
    cid, pid, (resident,) = await open_with_residents(world, ["菜园巷1号"], **COUNTED_AT_ONCE)
    entry = (await roll_entries(world, cid))["菜园巷1号"]
    yes, no, _ = await options_of(world.organizer, pid)
    await voted(resident, pid, [yes])
    # when the organizer enters a paper ballot, or a second one, for it
    paper = await offline(world.organizer, pid, entry, [no])
    assisted = await offline(world.organizer, pid, entry, [no], "ASSISTED")
    # then it has already voted
    assert codes_of(paper) == ["ALREADY_VOTED"]
    assert codes_of(assisted) == ["ALREADY_VOTED"]
    tally = await tally_of(world.anon, pid)
    assert (tally["ballotsCast"], tally["version"], votes_by_label(tally)) == (1, 1, {YES: 1, NO: 0, ABSTAIN: 0})


async def test_a_second_paper_ballot_for_one_household_is_already_voted(world):
    # given an open poll where 1号's paper ballot was entered
    cid, pid, _ = await open_with_residents(world, ["菜园巷1号"], **COUNTED_AT_ONCE)
    entry = (await roll_entries(world, cid))["菜园巷1号"]
    yes, no, _ = await options_of(world.organizer, pid)
    assert (await offline(world.organizer, pid, entry, [yes]))["errors"] == []
    # when a second paper ballot is entered for it
    payload = await offline(world.organizer, pid, entry, [no])
    # then it has already voted
    assert codes_of(payload) == ["ALREADY_VOTED"]
    assert votes_by_label(await tally_of(world.anon, pid)) == {YES: 1, NO: 0, ABSTAIN: 0}


async def test_only_organizers_enter_offline_ballots(world):
    # given an open poll and its household
    cid, pid, (resident,) = await open_with_residents(world, ["菜园巷1号"])
    entry = (await roll_entries(world, cid))["菜园巷1号"]
    yes = (await options_of(world.organizer, pid))[0]
    # when the CPPCC member, a party rep, the resident themselves or an anonymous caller enter a paper ballot
    # then they are refused
    for client, code in [
        (world.cppcc, "FORBIDDEN"),
        (world.reps["street"], "FORBIDDEN"),
        (resident, "FORBIDDEN"),
        (world.anon, "UNAUTHENTICATED"),
    ]:
        assert codes_of(await offline(client, pid, entry, [yes])) == [code]
    assert (await tally_of(world.anon, pid))["ballotsCast"] == 0


async def test_an_offline_ballot_for_an_entry_outside_the_electorate_is_not_eligible(world):
    # given a poll opened with one household, and a second household added to the roll later
    cid, pid, _ = await open_with_residents(world, ["菜园巷1号"])
    await set_roll(world, cid, [("菜园巷1号", "80"), ("菜园巷2号", "80")])
    late = (await roll_entries(world, cid))["菜园巷2号"]
    other = await create_consultation(world, stage="DELIBERATING", title="乌川路井盖更换")
    await set_roll(world, other, [("乌川路1号", "80")])
    foreign = (await roll_entries(world, other))["乌川路1号"]
    yes = (await options_of(world.organizer, pid))[0]
    # when the organizer enters paper ballots for the late household and for another consultation's
    # then neither is in the poll's electorate
    assert errors_of(await offline(world.organizer, pid, late, [yes])) == [("voterEntryId", "NOT_ELIGIBLE")]
    assert errors_of(await offline(world.organizer, pid, foreign, [yes])) == [("voterEntryId", "NOT_ELIGIBLE")]
    assert (await tally_of(world.anon, pid))["ballotsCast"] == 0


async def test_offline_ballots_need_an_open_poll(world):
    # given a voting consultation with a scheduled poll
    cid, pid = await deliberating_poll(world)
    await set_roll(world, cid, [("菜园巷1号", "80")])
    await advance(world, cid, "VOTING")
    entry = (await roll_entries(world, cid))["菜园巷1号"]
    yes = (await options_of(world.organizer, pid))[0]
    # when the organizer enters a paper ballot before the opening and after the close
    before = await offline(world.organizer, pid, entry, [yes])
    await open_poll(world, pid)
    await close_poll(world, pid)
    after = await offline(world.organizer, pid, entry, [yes])
    # then the poll is not open either time
    assert codes_of(before) == ["POLL_NOT_OPEN"]
    assert codes_of(after) == ["POLL_NOT_OPEN"]


# ---------------------------------------------------------------- decision rules


@pytest.mark.parametrize(
    "preset, quorum_percent, threshold, by_area",
    [
        ("SIMPLE_MAJORITY", 0, "1/2", False),
        ("TWO_THIRDS", 0, "2/3", False),
        ("CIVIL_CODE_278_ORDINARY", 67, "1/2", True),
        ("CIVIL_CODE_278_MAJOR", 67, "3/4", True),
    ],
)
async def test_a_preset_shows_its_rule(world, preset, quorum_percent, threshold, by_area):
    # given a consultation being deliberated
    cid = await create_consultation(world, stage="DELIBERATING")
    # when a poll is created with a preset
    payload = await new_poll(world.organizer, cid, preset=preset)
    # then its rule shows the preset's numbers
    assert payload["errors"] == []
    assert payload["poll"]["rule"] == {
        "preset": preset,
        "quorumPercent": quorum_percent,
        "threshold": threshold,
        "byArea": by_area,
    }


@pytest.mark.parametrize(
    "preset, weights, marks, outcome, quorum_met",
    [
        # more than half of the ballots cast; exactly half fails
        ("SIMPLE_MAJORITY", ["1"] * 4, "YYNN", "FAILED", True),
        ("SIMPLE_MAJORITY", ["1"] * 4, "YYYN", "PASSED", True),
        # no quorum: one yes among four households carries
        ("SIMPLE_MAJORITY", ["1"] * 4, "Y---", "PASSED", True),
        # abstentions take part and lower the yes share: 2 of 4 is not more than half
        ("SIMPLE_MAJORITY", ["1"] * 4, "YYNA", "FAILED", True),
        ("SIMPLE_MAJORITY", ["1"] * 4, "YYAA", "FAILED", True),
        # at least two thirds: exactly 2/3 passes, 3/5 does not
        ("TWO_THIRDS", ["1"] * 3, "YYN", "PASSED", True),
        ("TWO_THIRDS", ["1"] * 3, "YYA", "PASSED", True),
        ("TWO_THIRDS", ["1"] * 5, "YYYNN", "FAILED", True),
        # art. 278: turnout below two thirds of the households decides nothing
        ("CIVIL_CODE_278_ORDINARY", ["80"] * 6, "YYY---", "UNDECIDED", False),
        # two thirds of the households took part, but not two thirds of the area
        ("CIVIL_CODE_278_ORDINARY", ["100", "100", "400"], "YY-", "UNDECIDED", False),
        # exactly two thirds by both is a quorum; 3 of 4 taking part approve
        ("CIVIL_CODE_278_ORDINARY", ["80"] * 6, "YYYN--", "PASSED", True),
        # an abstention helps the quorum but 1 yes of 2 taking part is not more than half
        ("CIVIL_CODE_278_ORDINARY", ["80"] * 3, "YA-", "FAILED", True),
        # major matters: exactly 3/4 by heads and by area passes
        ("CIVIL_CODE_278_MAJOR", ["90"] * 4, "YYYN", "PASSED", True),
        ("CIVIL_CODE_278_MAJOR", ["90"] * 4, "YYYA", "PASSED", True),
        ("CIVIL_CODE_278_MAJOR", ["90"] * 4, "YYAA", "FAILED", True),
        # the area passes (310 of 330 m²) but the headcount (2 of 4) fails
        ("CIVIL_CODE_278_MAJOR", ["300", "10", "10", "10"], "YYNN", "FAILED", True),
        # the headcount passes (3 of 4) but the area (30 of 330 m²) fails
        ("CIVIL_CODE_278_MAJOR", ["10", "10", "10", "300"], "YYYN", "FAILED", True),
    ],
)
async def test_presets_at_their_edges(world, preset, weights, marks, outcome, quorum_met):
    # given a yes/no/abstain poll under `preset` and households of `weights` m²
    # when paper ballots are entered as marked (Y 赞成, N 反对, A 弃权, - none) and the poll closes
    tally = await paper_count(world, weights, marks, preset=preset)
    # then it decides as the rule says
    assert (tally["outcome"], tally["quorumMet"]) == (outcome, quorum_met)
    assert tally["ballotsCast"] == len(marks.replace("-", ""))
    assert tally["winner"] is None


@pytest.mark.parametrize(
    "quorum_percent, threshold, by_area, weights, marks, outcome, quorum_met",
    [
        # at least 3/5 of those taking part
        (50, "3/5", False, ["1"] * 5, "YYYNN", "PASSED", True),
        (50, "3/5", False, ["1"] * 5, "YYNNA", "FAILED", True),
        # 2 of 5 is below a 50% quorum; 3 of 6 is exactly on it
        (50, "3/5", False, ["1"] * 5, "YY---", "UNDECIDED", False),
        (50, "3/5", False, ["1"] * 6, "YYY---", "PASSED", True),
        # "1/2" means more than half
        (0, "1/2", False, ["1"] * 4, "YYNN", "FAILED", True),
        # by area: heads pass (2 of 3) but the area (20 of 120 m²) does not
        (0, "2/3", True, ["10", "10", "100"], "YYN", "FAILED", True),
        (0, "2/3", False, ["10", "10", "100"], "YYN", "PASSED", True),
        # by area the quorum counts area too: 2 of 3 households, 20 of 120 m²
        (60, "1/2", True, ["10", "10", "100"], "YY-", "UNDECIDED", False),
    ],
)
async def test_a_custom_rule_decides_by_its_own_numbers(
    world, quorum_percent, threshold, by_area, weights, marks, outcome, quorum_met
):
    # given a yes/no/abstain poll with a CUSTOM rule
    extra = {"preset": "CUSTOM", "quorumPercent": quorum_percent, "threshold": threshold, "byArea": by_area}
    # when paper ballots are entered as marked and the poll closes
    tally = await paper_count(world, weights, marks, **extra)
    # then it decides by those numbers
    assert (tally["outcome"], tally["quorumMet"]) == (outcome, quorum_met)


async def test_a_custom_rule_shows_its_numbers(world):
    # given a consultation being deliberated
    cid = await create_consultation(world, stage="DELIBERATING")
    # when a CUSTOM poll asks for 50% turnout and 3/5 approval by headcount and area
    payload = await new_poll(world.organizer, cid, preset="CUSTOM", quorumPercent=50, threshold="3/5", byArea=True)
    # then the rule shows them
    assert payload["errors"] == []
    assert payload["poll"]["rule"] == {"preset": "CUSTOM", "quorumPercent": 50, "threshold": "3/5", "byArea": True}


@pytest.mark.parametrize(
    "preset, extra, field",
    [
        ("SIMPLE_MAJORITY", {"quorumPercent": 50}, "quorumPercent"),
        ("TWO_THIRDS", {"threshold": "3/4"}, "threshold"),
        ("CIVIL_CODE_278_ORDINARY", {"byArea": False}, "byArea"),
        ("SIMPLE_MAJORITY", {"byArea": True}, "byArea"),
        ("CIVIL_CODE_278_MAJOR", {"quorumPercent": 67}, "quorumPercent"),
        ("CUSTOM", {"threshold": "1/2"}, "quorumPercent"),
        ("CUSTOM", {"quorumPercent": 50}, "threshold"),
        ("CUSTOM", {"quorumPercent": 101, "threshold": "1/2"}, "quorumPercent"),
        ("CUSTOM", {"quorumPercent": 50, "threshold": "3/2"}, "threshold"),
        ("CUSTOM", {"quorumPercent": 50, "threshold": "0.5"}, "threshold"),
    ],
)
async def test_custom_numbers_go_with_custom_only(world, preset, extra, field):
    # given a consultation being deliberated
    cid = await create_consultation(world, stage="DELIBERATING")
    # when a preset comes with custom numbers, or CUSTOM without sound ones
    payload = await new_poll(world.organizer, cid, preset=preset, **extra)
    # then it is refused on that field
    assert errors_of(payload) == [(field, "INVALID")]


async def test_a_preset_accepts_its_own_by_area(world):
    # given a consultation being deliberated
    cid = await create_consultation(world, stage="DELIBERATING")
    # when a form sends the preset's own byArea along
    payload = await new_poll(world.organizer, cid, preset="CIVIL_CODE_278_MAJOR", byArea=True)
    # then it is accepted
    assert payload["errors"] == []


async def test_the_outcome_is_pending_while_the_poll_is_open(world):
    # given an open poll where every household voted 赞成
    _, pid, voters = await open_with_residents(world, households(2), **COUNTED_AT_ONCE)
    yes = (await options_of(world.organizer, pid))[0]
    for voter in voters:
        await voted(voter, pid, [yes])
    # when the tally is read before the close
    tally = await tally_of(world.anon, pid)
    # then it is still pending, with no winner
    assert (tally["outcome"], tally["winner"], tally["ballotsCast"]) == ("PENDING", None, 2)
    # and the close decides it
    await close_poll(world, pid)
    assert (await tally_of(world.anon, pid))["outcome"] == "PASSED"


# ---------------------------------------------------------------- secrecy


async def test_a_secret_poll_lists_no_ballots_to_anyone(world):
    # given a secret poll (the default) where two households voted
    _, pid, voters = await open_with_residents(world, households(2))
    yes, no, _ = await options_of(world.organizer, pid)
    await voted(voters[0], pid, [yes])
    await voted(voters[1], pid, [no])
    assert (await poll_of(world.anon, pid))["secret"] is True
    # when anyone asks for its ballots, open or closed
    # then there is no list, for organizers, the CPPCC member and admins included
    for client in (world.organizer, world.cppcc, world.admin, voters[0], world.anon):
        assert await ballots_of(client, pid) is None
    await close_poll(world, pid)
    for client in (world.organizer, world.cppcc, world.admin):
        assert await ballots_of(client, pid) is None


async def test_the_voter_sees_their_own_secret_ballot_and_nobody_else_does(world):
    # given a secret poll where 1号 voted 反对
    _, pid, (first, second) = await open_with_residents(world, households(2))
    no = (await options_of(world.organizer, pid))[1]
    cast = (await voted(first, pid, [no]))["ballot"]
    # when each viewer reads the poll
    mine = (await poll_of(first, pid))["myBallot"]
    # then the voter sees their choices and receipt
    assert ([c["label"] for c in mine["choices"]], mine["receipt"], mine["origin"]) == ([NO], cast["receipt"], "ONLINE")
    assert mine["voter"] is None
    # and for everyone else there is no ballot of theirs to see
    for client in (second, world.organizer, world.cppcc, world.admin, world.anon):
        assert (await poll_of(client, pid))["myBallot"] is None


async def test_secret_ballots_reach_the_trail_by_batch_without_voter_or_choice(world):
    # given a secret poll and six households
    cid, pid, voters = await open_with_residents(world, households(6))
    yes, no, abstain = await options_of(world.organizer, pid)
    entries = await roll_entries(world, cid)
    accounts = [await account_of(v) for v in voters]
    # when four vote, mixing 赞成 and 反对, the trail has no entry for any of them yet: each
    # entry's time would be one household's, beside the roll's sign-in times
    for voter, pick in zip(voters[:4], [yes, no, yes, no], strict=True):
        await voted(voter, pid, [pick])
    for viewer in (world.organizer, world.admin, world.anon):
        assert [e for e in await trail(viewer, cid) if e["action"] == "ballot.cast"] == []
    # when the fifth votes, one entry stands for the batch; the sixth waits for the next
    await voted(voters[4], pid, [abstain])
    await voted(voters[5], pid, [yes])
    for viewer in (world.organizer, world.cppcc, world.admin, voters[0], world.anon):
        events = [e for e in await trail(viewer, cid) if e["action"] == "ballot.cast"]
        assert len(events) == 1
        assert events[0]["actor"] is None
    events = [e for e in await trail(world.organizer, cid) if e["action"] == "ballot.cast"]
    for event in events:
        assert not any(label in event["summary"] for label in (YES, NO, ABSTAIN, "菜园巷"))
    # and the stored payloads hold no option, roll entry or account of anybody
    secrets = [yes, no, abstain, *entries.values(), *accounts]
    payloads = await stored_payloads(cid, "ballot.cast")
    assert len(payloads) == 1
    for payload in payloads:
        assert not any(s in payload for s in secrets), payload
        assert not any(label in payload for label in (YES, NO, ABSTAIN, "菜园巷"))
        keys = set(json.loads(payload))
        assert not keys & {"voter", "entry", "account", "choices", "option", "options"}


async def test_a_secret_ballot_is_stored_without_its_roll_entry(world):
    # given a secret poll
    _, pid, (resident,) = await open_with_residents(world, ["菜园巷1号"])
    yes, no, _ = await options_of(world.organizer, pid)
    # when the household votes online, then changes its mind
    await voted(resident, pid, [yes])
    await voted(resident, pid, [no])
    # then the stored ballot keeps no roll entry
    rows = await Ballot.filter(poll_id=expect_id(pid, "Poll"))
    assert len(rows) == 1
    assert rows[0].entry_id is None


async def test_a_secret_paper_ballot_is_stored_without_its_roll_entry(world):
    # given a secret poll
    cid, pid, _ = await open_with_residents(world, ["菜园巷1号"])
    entry = (await roll_entries(world, cid))["菜园巷1号"]
    yes = (await options_of(world.organizer, pid))[0]
    # when the organizer enters the household's paper ballot
    assert (await offline(world.organizer, pid, entry, [yes]))["errors"] == []
    # then the stored ballot keeps no roll entry either
    rows = await Ballot.filter(poll_id=expect_id(pid, "Poll"))
    assert [r.entry_id for r in rows] == [None]


async def test_a_named_poll_lists_ballots_with_voters_for_supervisors_only(world):
    # given a named poll where both households voted
    _, pid, (first, second) = await open_with_residents(world, households(2), secret=False)
    yes, no, _ = await options_of(world.organizer, pid)
    await voted(first, pid, [yes])
    await voted(second, pid, [no])
    accounts = {await account_of(first): YES, await account_of(second): NO}
    # when the organizer and the CPPCC member list its ballots
    # then they see who chose what
    for client in (world.organizer, world.cppcc):
        listed = await ballots_of(client, pid)
        assert listed["totalCount"] == 2
        seen = {e["node"]["voter"]["id"]: [c["label"] for c in e["node"]["choices"]] for e in listed["edges"]}
        assert seen == {account: [label] for account, label in accounts.items()}
    # and residents and anonymous callers get no list
    for client in (first, second, world.anon, world.reps["market"]):
        assert await ballots_of(client, pid) is None
    # while the voter sees themself on their own ballot
    assert (await poll_of(first, pid))["myBallot"]["voter"] == {"id": await account_of(first)}


# ---------------------------------------------------------------- receipts


async def test_receipts_verify_for_anyone_in_their_own_poll(world):
    # given two open polls and a household that voted in the first
    cid, pid, (resident,) = await open_with_residents(world, ["菜园巷1号"])
    other = await create_poll(world, cid, question="是否同意增设路灯？")
    yes = (await options_of(world.organizer, pid))[0]
    receipt = (await voted(resident, pid, [yes]))["ballot"]["receipt"]
    check = "query($p: ID!, $r: String!) { verifyReceipt(pollId: $p, receipt: $r) }"
    # when anyone checks receipts
    # then the real receipt verifies in its poll, for anonymous callers too
    assert len(receipt) >= 16
    assert (await world.anon.query(check, {"p": pid, "r": receipt}))["verifyReceipt"] is True
    assert (await world.organizer.query(check, {"p": pid, "r": receipt}))["verifyReceipt"] is True
    # and a made-up receipt, or the right one with another poll, does not
    assert (await world.anon.query(check, {"p": pid, "r": "ABCDE-FGHJK-MNPQR-STUVW"}))["verifyReceipt"] is False
    assert (await world.anon.query(check, {"p": other, "r": receipt}))["verifyReceipt"] is False
    assert (await world.anon.query(check, {"p": cid, "r": receipt}))["verifyReceipt"] is False


async def test_receipts_stay_verifiable_after_the_close(world):
    # given a household that voted before the poll closed
    _, pid, (resident,) = await open_with_residents(world, ["菜园巷1号"])
    yes = (await options_of(world.organizer, pid))[0]
    receipt = (await voted(resident, pid, [yes]))["ballot"]["receipt"]
    # when the poll closes
    await close_poll(world, pid)
    # then the receipt still proves the ballot was counted
    check = "query($p: ID!, $r: String!) { verifyReceipt(pollId: $p, receipt: $r) }"
    assert (await world.anon.query(check, {"p": pid, "r": receipt}))["verifyReceipt"] is True


# ---------------------------------------------------------------- hidden results


async def test_hidden_results_stay_hidden_until_the_close_except_for_admins(world):
    # given an open poll without live results
    _, pid, (first, second) = await open_with_residents(world, households(2), liveResults=False)
    yes = (await options_of(world.organizer, pid))[0]
    # when a household votes
    payload = await voted(first, pid, [yes])
    # then the voter gets their ballot but no tally
    assert payload["ballot"] is not None
    assert payload["tally"] is None
    # and residents, organizers, the CPPCC member and anonymous readers see no tally while it is open
    for client in (first, second, world.organizer, world.cppcc, world.anon):
        assert await tally_of(client, pid) is None
    # while admins do, though a secret poll's count moves only by whole batches, for them as well
    assert (await tally_of(world.admin, pid))["ballotsCast"] == 0
    named = await open_with_residents(world, households(1), liveResults=False, secret=False)
    await voted(named[2][0], named[1], [(await options_of(world.organizer, named[1]))[0]])
    assert (await tally_of(world.admin, named[1]))["ballotsCast"] == 1
    # and after the close everyone sees it
    closed = await close_poll(world, pid)
    assert closed["liveResults"] is False
    for client in (first, second, world.organizer, world.cppcc, world.anon):
        tally = await tally_of(client, pid)
        assert (tally["ballotsCast"], tally["outcome"]) == (1, "PASSED")


async def test_hidden_results_are_hidden_from_paper_ballot_payloads_too(world):
    # given an open poll without live results
    cid, pid, _ = await open_with_residents(world, ["菜园巷1号"], liveResults=False)
    entry = (await roll_entries(world, cid))["菜园巷1号"]
    yes = (await options_of(world.organizer, pid))[0]
    # when the organizer enters a paper ballot
    payload = await offline(world.organizer, pid, entry, [yes])
    # then the payload carries no tally for them either
    assert payload["errors"] == []
    assert payload["tally"] is None


# ---------------------------------------------------------------- the audit trail


async def test_creating_opening_and_closing_a_poll_are_in_the_audit_trail(world):
    # given a consultation being deliberated with a roll
    cid = await create_consultation(world, stage="DELIBERATING")
    await residents(world, cid, ["菜园巷1号"])
    # when the organizer creates a poll, the consultation moves to VOTING, and the poll opens and closes
    pid = await create_poll(world, cid)
    await advance(world, cid, "VOTING")
    await open_poll(world, pid)
    await close_poll(world, pid)
    # then the trail records each step, by the organizer, naming the question, and the chain holds
    events = [e for e in await trail(world.anon, cid) if e["action"].startswith("poll.")]
    assert [e["action"] for e in events] == ["poll.create", "poll.open", "poll.close"]
    for event in events:
        assert event["actor"] == {"id": world.accounts["organizer"]}
        assert QUESTION in event["summary"]
    data = await world.anon.query(
        "query($id: ID!) { consultation(id: $id) { auditTrail { chainValid } } }", {"id": cid}
    )
    assert data["consultation"]["auditTrail"]["chainValid"] is True


async def test_the_audit_chain_holds_after_votes_and_revotes(world):
    # given an open named poll with two households
    cid, pid, (first, second) = await open_with_residents(world, households(2), **COUNTED_AT_ONCE)
    yes, no, _ = await options_of(world.organizer, pid)
    # when they vote, one twice
    await voted(first, pid, [yes])
    await voted(second, pid, [no])
    await voted(first, pid, [no])
    # then there are three ballot events and the chain is valid
    events = [e for e in await trail(world.anon, cid) if e["action"] == "ballot.cast"]
    assert len(events) == 3
    data = await world.anon.query(
        "query($id: ID!) { consultation(id: $id) { auditTrail { chainValid } } }", {"id": cid}
    )
    assert data["consultation"]["auditTrail"]["chainValid"] is True


# ---------------------------------------------------------------- adopting a proposal


async def test_adopting_a_proposal_tables_the_previously_adopted_one(world):
    # given a consultation with two proposals, the first adopted
    cid = await create_consultation(world, stage="DELIBERATING")
    ids = []
    for title in ("管网维修方案", "路面硬化方案"):
        created = await world.organizer.ok(
            "createProposal",
            {"consultationId": cid, "title": title, "body": "详见附件", "budget": "120000"},
            "proposal { id }",
        )
        ids.append(created["proposal"]["id"])
    await world.organizer.ok("adoptProposal", {"proposalId": ids[0]}, "proposal { id }")
    # when the organizer adopts the second
    payload = await world.organizer.ok("adoptProposal", {"proposalId": ids[1]}, "proposal { id status }")
    # then the second is adopted and the first goes back to TABLED
    assert payload["proposal"] == {"id": ids[1], "status": "ADOPTED"}
    data = await world.anon.query(
        "query($id: ID!) { consultation(id: $id) { adoptedProposal { id } proposals { id status } } }", {"id": cid}
    )
    assert data["consultation"]["adoptedProposal"] == {"id": ids[1]}
    assert {p["id"]: p["status"] for p in data["consultation"]["proposals"]} == {ids[0]: "TABLED", ids[1]: "ADOPTED"}


# ---------------------------------------------------------------- node(id:)


async def test_node_resolves_polls_and_their_options(world):
    # given a poll of a published consultation
    _, pid = await deliberating_poll(world, question="路面用哪种材料？", kind="SINGLE_CHOICE", options=["沥青", "水泥"])
    asphalt = (await options_of(world.organizer, pid))[0]
    # when anyone looks them up by id
    poll = await world.anon.query("query($id: ID!) { node(id: $id) { id ... on Poll { question } } }", {"id": pid})
    option = await world.anon.query(
        "query($id: ID!) { node(id: $id) { id ... on PollOption { label } } }", {"id": asphalt}
    )
    # then they resolve
    assert poll["node"] == {"id": pid, "question": "路面用哪种材料？"}
    assert option["node"] == {"id": asphalt, "label": "沥青"}


async def test_unknown_poll_option_and_ballot_ids_are_null(world):
    # given ids of a poll, an option and a ballot that do not exist
    # when anyone looks them up
    query = "query($id: ID!) { node(id: $id) { id } }"
    # then it is null, not an error
    assert (await world.anon.query(query, {"id": to_global_id("Poll", 10**12)}))["node"] is None
    assert (await world.anon.query(query, {"id": to_global_id("PollOption", 10**12)}))["node"] is None
    assert (await world.anon.query(query, {"id": to_global_id("Ballot", 10**12)}))["node"] is None


async def test_a_secret_ballot_id_resolves_only_for_its_voter(world):
    # given a secret poll where 1号 voted
    _, pid, (first, second) = await open_with_residents(world, households(2))
    yes = (await options_of(world.organizer, pid))[0]
    ballot = (await voted(first, pid, [yes]))["ballot"]
    query = "query($id: ID!) { node(id: $id) { id ... on Ballot { receipt choices { label } } } }"
    # when the voter looks it up by id
    own = await first.query(query, {"id": ballot["id"]})
    # then it resolves for them
    assert own["node"] == {"id": ballot["id"], "receipt": ballot["receipt"], "choices": [{"label": YES}]}
    # and for nobody else: the other household, organizers, the CPPCC member, admins, anonymous callers
    for client in (second, world.organizer, world.cppcc, world.admin, world.anon):
        assert (await client.query(query, {"id": ballot["id"]}))["node"] is None


async def test_a_named_ballot_id_resolves_for_supervisors(world):
    # given a named poll where 1号 voted
    _, pid, (first, second) = await open_with_residents(world, households(2), secret=False)
    yes = (await options_of(world.organizer, pid))[0]
    ballot = (await voted(first, pid, [yes]))["ballot"]
    query = "query($id: ID!) { node(id: $id) { id ... on Ballot { voter { id } } } }"
    voter = {"id": await account_of(first)}
    # when the organizer and the CPPCC member look it up
    # then it resolves with its voter, while other residents and anonymous callers get null
    for client in (world.organizer, world.cppcc, first):
        assert (await client.query(query, {"id": ballot["id"]}))["node"] == {"id": ballot["id"], "voter": voter}
    for client in (second, world.anon):
        assert (await client.query(query, {"id": ballot["id"]}))["node"] is None


# While a secret poll is open its tally withholds areas: one ballot's area could name its household.
WITHHELD = ["0", "0", "0"]


async def weights_after_close(world, pid: str) -> list[str]:
    closed = await world.organizer.ok("closePoll", {"pollId": pid}, "poll { tally { options { weight } } }")
    return [o["weight"] for o in closed["poll"]["tally"]["options"]]


async def test_a_secret_polls_areas_and_rounds_are_withheld_until_the_close(world):
    # given an open secret poll where 1号 has a telling area
    _cid, pid, (first, _) = await open_with_residents(world, households(2), **COUNTS_AREA)
    yes = (await options_of(world.organizer, pid))[0]
    # when 1号 votes
    payload = await voted(first, pid, [yes])
    # then the running tally shows the count but not the area, until the poll closes
    assert [o["weight"] for o in payload["tally"]["options"]] == WITHHELD
    assert await weights_after_close(world, pid) == ["80", "0", "0"]


async def test_a_fresh_slip_can_replace_a_secret_ballot_but_not_read_it(world):
    # given 1号 voted 反对 on their phone in a secret poll
    cid, pid, (first, _) = await open_with_residents(world, households(2))
    _, no, _ = await options_of(world.organizer, pid)
    await voted(first, pid, [no])
    # when the community office gets a fresh slip approved for the household and someone redeems it
    entry = (await roll_entries(world, cid))[households(2)[0]]
    asked = await world.organizer.ok("requestReissue", {"voterEntryId": entry, "reason": "换手机"}, "request { id }")
    approved = await world.cppcc.ok("approveReissue", {"requestId": asked["request"]["id"]}, "invitation { code }")
    code = approved["invitation"]["code"]
    token = (await world.anon.ok("redeemInvitation", {"code": code}, "token"))["token"]
    newcomer = world.anon.as_(token)
    # then the new session sees that a ballot exists, with its receipt, but not what it chose
    mine = (await poll_of(newcomer, pid))["myBallot"]
    assert mine is not None and mine["choices"] == []
