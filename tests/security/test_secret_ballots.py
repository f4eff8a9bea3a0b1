"""A copy of the database alone names no secret voter.

The attacker holds every table, but not the server key. Before, the ballot rows kept each
household's floor area, which in the demo was unique to every household: joining
ballot.weight_e4 to voter_roll_entry.weight_e4 linked 102 of 102 ballots of each closed demo
poll, and cast times against sign-in times were a second link.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from tortoise import Tortoise

from consult.ids import expect_id
from tests.api.helpers import World, create_consultation, create_poll

AREAS = ["61.25", "72.5", "80", "88.75", "93.1", "101.4", "115", "120.6", "133.3", "142.8"]


async def _rows(sql: str, *values) -> list[dict]:
    return await Tortoise.get_connection("default").execute_query_dict(sql, list(values))


@dataclass
class Vote:
    """A secret vote as the test saw it happen, in voting order."""

    cid: str
    pid: str
    tokens: list[str] = field(default_factory=list)
    ballots: list[int] = field(default_factory=list)
    chosen: list[str] = field(default_factory=list)
    cast_at: list[str] = field(default_factory=list)


async def _secret_vote(world: World, clock, watch=None, n: int = 10, **poll: str) -> Vote:
    """A secret poll (live results, as the demo's) where ten households of distinct areas each sign
    in and vote in turn, a minute apart, in a random order. `watch` is awaited after each ballot."""
    cid = await create_consultation(world, stage="DELIBERATING")
    vote = Vote(cid, await create_poll(world, cid, **poll))
    labels = [f"菜园巷{i}号" for i in range(1, n + 1)]
    voters = [{"label": label, "weight": area} for label, area in zip(labels, AREAS[:n], strict=True)]
    await world.organizer.ok("setVoterRoll", {"consultationId": cid, "voters": voters}, "entries { id }")
    issued = await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { label code }")
    codes = {i["label"]: i["code"] for i in issued["invitations"]}
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "VOTING"}, "consultation { stage }")
    await world.organizer.ok("openPoll", {"pollId": vote.pid}, "poll { status }")
    poll = await world.anon.query(
        "query($id: ID!) { node(id: $id) { ... on Poll { options { id } } } }", {"id": vote.pid}
    )
    options = [o["id"] for o in poll["node"]["options"]]
    clock.set(datetime.fromisoformat("2026-12-01T09:00:00+08:00"))
    for label in random.sample(labels, len(labels)):
        clock.advance(minutes=1)
        token = (await world.anon.ok("redeemInvitation", {"code": codes[label]}, "token"))["token"]
        clock.advance(seconds=20)
        choice = random.choice(options)
        payload = await world.anon.as_(token).ok(
            "castVote", {"pollId": vote.pid, "choices": [choice]}, "ballot { id castAt }"
        )
        vote.tokens.append(token)
        vote.ballots.append(expect_id(payload["ballot"]["id"], "Ballot"))
        vote.chosen.append(choice)
        vote.cast_at.append(payload["ballot"]["castAt"])
        if watch is not None:
            await watch(vote)
    return vote


async def test_the_weight_join_links_no_secret_ballot(world, clock):
    # given a secret poll where ten households of ten different areas voted
    vote = await _secret_vote(world, clock)
    poll_pk, cid_pk = expect_id(vote.pid, "Poll"), expect_id(vote.cid, "Consultation")
    ballots = await _rows("SELECT * FROM ballot WHERE poll_id = $1", poll_pk)
    entries = await _rows("SELECT id, weight_e4, account_id FROM voter_roll_entry WHERE consultation_id = $1", cid_pk)
    assert len(ballots) == 10 and len({e["weight_e4"] for e in entries}) == 10
    # when the attacker joins every ballot column to the roll's areas, entry ids and accounts
    known = {e["weight_e4"] for e in entries} | {e["id"] for e in entries} | {e["account_id"] for e in entries}
    linked = [b for b in ballots if any(v in known for k, v in b.items() if k not in ("poll_id", "id"))]
    # then no ballot is linked, and no ballot shows its choice or its area in the clear
    assert linked == []
    assert all(b["choices"] is None and b["weight_e4"] is None and b["entry_id"] is None for b in ballots)
    assert all(b["sealed"] for b in ballots)
    # and the seals are all one length, though the areas have 6 or 7 digits (61.25 m², 101.4 m²)
    assert len({len(b["sealed"]) for b in ballots}) == 1


async def test_cast_times_and_sign_in_times_link_no_secret_ballot(world, clock):
    # given the same vote, each household signing in 20 seconds before it voted
    vote = await _secret_vote(world, clock)
    ballots = await _rows("SELECT * FROM ballot WHERE poll_id = $1", expect_id(vote.pid, "Poll"))
    # when the attacker looks for a time in any ballot column to match with the sessions' creation times
    timed = [
        (b["id"], k)
        for b in ballots
        for k, v in b.items()
        if isinstance(v, datetime) or (isinstance(v, str) and v[:4] == "2026" and v[4:5] == "-")
    ]
    # then there is none to match
    assert timed == []


async def test_the_order_of_ballot_ids_is_not_the_order_of_voting(world, clock):
    # given ten households that voted one after another (the test knows each vote's ballot)
    vote = await _secret_vote(world, clock)
    # when the attacker sorts the ballots by id, hoping it is the order of the sign-ins
    rows = await _rows("SELECT id FROM ballot WHERE poll_id = $1 ORDER BY id", expect_id(vote.pid, "Poll"))
    by_id = [r["id"] for r in rows]
    # then the ids are not serial, and their order is not the voting order (the chance is 1 in 10!)
    assert sorted(vote.ballots) == by_id
    assert max(by_id) - min(by_id) > 10**9
    assert by_id != vote.ballots


async def test_the_voter_still_reads_their_own_sealed_ballot_and_the_tally_is_whole(world, clock):
    # given the sealed ballots of a secret vote
    vote = await _secret_vote(world, clock)
    # then each voter's phone still shows their own choice and when they cast it
    for token, choice, cast_at in zip(vote.tokens, vote.chosen, vote.cast_at, strict=True):
        mine = await world.anon.as_(token).query(
            "query($id: ID!) { node(id: $id) { ... on Poll { myBallot { castAt choices { id } } } } }", {"id": vote.pid}
        )
        assert mine["node"]["myBallot"] == {"castAt": cast_at, "choices": [{"id": choice}]}
    # and the count is the count of the choices made
    data = await world.anon.query(
        "query($id: ID!) { node(id: $id) { ... on Poll { tally { ballotsCast options { option { id } votes } } } } }",
        {"id": vote.pid},
    )
    tally = data["node"]["tally"]
    assert tally["ballotsCast"] == 10
    assert {o["option"]["id"]: o["votes"] for o in tally["options"]} == {
        o["option"]["id"]: vote.chosen.count(o["option"]["id"]) for o in tally["options"]
    }


async def _closed_tally(world: World, clock, preset: str) -> tuple[Vote, dict]:
    vote = await _secret_vote(world, clock, preset=preset)
    await world.organizer.ok("closePoll", {"pollId": vote.pid}, "poll { status }")
    data = await world.anon.query(
        "query($id: ID!) { node(id: $id) { ... on Poll { rule { byArea } "
        "tally { options { option { id } votes weight } } } } }",
        {"id": vote.pid},
    )
    return vote, data["node"]


async def test_a_closed_count_shows_no_areas_when_its_rule_does_not_count_them(world, clock):
    # given a closed secret poll decided by heads alone, among households of ten different areas
    _, poll = await _closed_tally(world, clock, "SIMPLE_MAJORITY")
    assert poll["rule"]["byArea"] is False
    # when the organizer reads the areas behind each option, hoping to find which households chose it
    weights = [o["weight"] for o in poll["tally"]["options"]]
    # then there are none to read
    assert weights == ["0"] * len(weights)


async def test_a_closed_count_shows_areas_where_the_rule_counts_them(world, clock):
    # given the same vote under Civil Code art. 278, which counts area as well as heads
    _, poll = await _closed_tally(world, clock, "CIVIL_CODE_278_ORDINARY")
    assert poll["rule"]["byArea"] is True
    # then the areas are published, as the law needs them to decide
    total = sum(float(o["weight"]) for o in poll["tally"]["options"])
    assert abs(total - sum(float(a) for a in AREAS)) < 0.01


async def test_the_open_count_moves_only_by_whole_batches(world: World):
    # The review read the live count after every ballot, beside the roll (which shows each
    # household as it signs in), and attributed 20 of 20 ballots.
    from consult.services.voting import TALLY_BATCH
    from tests.api.helpers import create_poll

    # given a secret poll open to twelve households, signed in
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await create_poll(world, cid)
    labels = [f"菜园巷{i}号" for i in range(1, 13)]
    await world.organizer.ok(
        "setVoterRoll", {"consultationId": cid, "voters": [{"label": lb} for lb in labels]}, "entries { id }"
    )
    issued = await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { code }")
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "VOTING"}, "consultation { stage }")
    await world.organizer.ok("openPoll", {"pollId": pid}, "poll { status }")
    poll = await world.anon.query("query($id: ID!) { node(id: $id) { ... on Poll { options { id } } } }", {"id": pid})
    yes = poll["node"]["options"][0]["id"]
    seen = []
    # when they vote one by one and the organizer reads the count after each ballot
    for invitation in issued["invitations"]:
        token = (await world.anon.ok("redeemInvitation", {"code": invitation["code"]}, "token"))["token"]
        answer = await world.anon.as_(token).ok("castVote", {"pollId": pid, "choices": [yes]}, "tally { ballotsCast }")
        read = await world.organizer.query(
            "query($id: ID!) { node(id: $id) { ... on Poll { tally { ballotsCast } } } }", {"id": pid}
        )
        assert answer["tally"]["ballotsCast"] == read["node"]["tally"]["ballotsCast"]
        seen.append(read["node"]["tally"]["ballotsCast"])
    # then it moved only at each full batch, never by one household
    assert seen == [TALLY_BATCH * ((n + 1) // TALLY_BATCH) for n in range(12)]
    # and nothing in the trail counts the ballots between two batches
    trail = await world.organizer.query(
        "query($id: ID!) { consultation(id: $id) { auditTrail(first: 100) { edges { node { action summary } } } } }",
        {"id": cid},
    )
    casts = [
        e["node"]["summary"]
        for e in trail["consultation"]["auditTrail"]["edges"]
        if e["node"]["action"] == "ballot.cast"
    ]
    # and the trail has one entry per batch, none per ballot: a single ballot's time shows nowhere
    assert [int(s.split("已公布 ")[1].split(" ")[0]) for s in casts] == [5, 10]
    # and once it closes, the whole count is shown
    await world.organizer.ok("closePoll", {"pollId": pid}, "poll { status }")
    closed = await world.anon.query(
        "query($id: ID!) { node(id: $id) { ... on Poll { tally { ballotsCast } } } }", {"id": pid}
    )
    assert closed["node"]["tally"]["ballotsCast"] == 12


async def test_revotes_cannot_pad_a_batch_around_one_households_ballot(world: World):
    from consult.services.voting import TALLY_BATCH
    from tests.api.helpers import create_poll

    # given a secret poll where one household votes and then revotes over and over
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await create_poll(world, cid)
    await world.organizer.ok(
        "setVoterRoll",
        {"consultationId": cid, "voters": [{"label": "菜园巷1号"}, {"label": "菜园巷2号"}]},
        "entries { id }",
    )
    issued = await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { code }")
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "VOTING"}, "consultation { stage }")
    await world.organizer.ok("openPoll", {"pollId": pid}, "poll { status }")
    poll = await world.anon.query("query($id: ID!) { node(id: $id) { ... on Poll { options { id } } } }", {"id": pid})
    yes = poll["node"]["options"][0]["id"]
    tokens = [
        (await world.anon.ok("redeemInvitation", {"code": i["code"]}, "token"))["token"] for i in issued["invitations"]
    ]
    for _ in range(TALLY_BATCH):
        await world.anon.as_(tokens[0]).ok("castVote", {"pollId": pid, "choices": [yes]}, "ballot { id }")
    # when a second household votes once, right after
    await world.anon.as_(tokens[1]).ok("castVote", {"pollId": pid, "choices": [yes]}, "ballot { id }")
    # then the count has not moved: two households are not a batch, however many revotes came with them
    read = await world.organizer.query(
        "query($id: ID!) { node(id: $id) { ... on Poll { tally { ballotsCast } } } }", {"id": pid}
    )
    assert read["node"]["tally"]["ballotsCast"] == 0


# ---------------------------------------------------------------- the tally rows in the database


async def _tally_rows(poll_pk: int) -> dict:
    """Every clear column of a poll's tally rows, as a read-only SQL account polling them sees it."""
    poll = (await _rows("SELECT * FROM poll WHERE id = $1", poll_pk))[0]
    options = await _rows("SELECT * FROM poll_option WHERE poll_id = $1 ORDER BY position", poll_pk)
    sealed = poll.pop("running_sealed")
    return {"poll": poll, "options": options, "sealed length": len(sealed) if sealed else None}


async def test_the_tally_rows_in_the_database_move_only_by_whole_batches(world, clock):
    # The review found the running tally rows (poll_option.votes and weight_e4, poll.ballots_cast)
    # moving with every ballot: a read-only SQL account polling them, or a reader of the WAL, saw
    # each ballot's choice and area the moment it was cast, beside the household's sign-in.
    from consult.services.voting import TALLY_BATCH

    seen: list[dict] = []

    async def watch(vote: Vote) -> None:
        seen.append(await _tally_rows(expect_id(vote.pid, "Poll")))

    # given an attacker who reads the tally rows after every ballot of a secret vote by area
    vote = await _secret_vote(world, clock, watch=watch, preset="CIVIL_CODE_278_ORDINARY")
    # then the sealed count kept one length throughout (its digits say nothing)
    assert len({rows.pop("sealed length") for rows in seen}) == 1
    # and the rows changed only when a batch was full, never by one household
    changed = [n + 1 for n in range(1, len(seen)) if seen[n] != seen[n - 1]]
    assert changed == [n for n in range(2, 11) if n % TALLY_BATCH == 0] == [5, 10]
    assert [rows["poll"]["ballots_cast"] for rows in seen] == [TALLY_BATCH * (n // TALLY_BATCH) for n in range(1, 11)]
    # and no option's area is in the clear while the poll is open, even under a rule that counts area
    assert {o["weight_e4"] for rows in seen for o in rows["options"]} == {0}
    # and the count itself is whole: sealed, it opens to every ballot so far
    final = await world.organizer.ok("closePoll", {"pollId": vote.pid}, "poll { tally { ballotsCast } }")
    assert final["poll"]["tally"]["ballotsCast"] == 10


async def test_a_closed_count_keeps_no_areas_in_the_database_when_its_rule_does_not_count_them(world, clock):
    # given a closed secret poll decided by heads, among ten households of distinct areas
    vote, _ = await _closed_tally(world, clock, "SIMPLE_MAJORITY")
    rows = await _tally_rows(expect_id(vote.pid, "Poll"))
    # when the attacker looks for the areas that add up to each option's total (a subset sum
    # over the roll's areas names the households behind a small option)
    stored = [o["weight_e4"] for o in rows["options"]] + [
        rows["poll"]["ballots_weight_e4"],
        rows["poll"]["shown_weight_e4"],
    ]
    # then there is no total to start from, only the heads the API publishes anyway
    assert stored == [0] * len(stored)
    assert [o["votes"] for o in rows["options"]] == [vote.chosen.count(o) for o in await _option_ids(world, vote.pid)]
    # while a rule that counts area keeps them, to decide by them (next test)


async def test_a_closed_count_by_area_keeps_its_areas(world, clock):
    vote, _ = await _closed_tally(world, clock, "CIVIL_CODE_278_ORDINARY")
    rows = await _tally_rows(expect_id(vote.pid, "Poll"))
    assert sum(o["weight_e4"] for o in rows["options"]) == sum(round(float(a) * 10_000) for a in AREAS)


async def _option_ids(world: World, pid: str) -> list[str]:
    poll = await world.anon.query("query($id: ID!) { node(id: $id) { ... on Poll { options { id } } } }", {"id": pid})
    return [o["id"] for o in poll["node"]["options"]]


async def test_a_poll_closed_by_the_clock_shows_its_whole_count_before_anything_settles_it(world, clock):
    # given a secret poll with seven ballots (a full batch and two more) whose time runs out at 09:30
    clock.set(datetime.fromisoformat("2026-12-01T08:00:00+08:00"))
    vote = await _secret_vote(world, clock, n=7, closesAt="2026-12-01T09:30:00+08:00")
    assert (
        await world.anon.query(
            "query($id: ID!) { node(id: $id) { ... on Poll { tally { ballotsCast } } } }", {"id": vote.pid}
        )
    )["node"]["tally"]["ballotsCast"] == 5
    clock.set(datetime.fromisoformat("2026-12-01T09:31:00+08:00"))
    # when anyone reads it before a write or the clock's sweep settles it
    data = await world.anon.query(
        "query($id: ID!) { node(id: $id) { ... on Poll { status tally { ballotsCast } } } }", {"id": vote.pid}
    )
    # then it is closed, and shows every ballot, opened from the sealed count
    assert data["node"] == {"status": "CLOSED", "tally": {"ballotsCast": 7}}
    poll_pk = expect_id(vote.pid, "Poll")
    assert (await _rows("SELECT status FROM poll WHERE id = $1", poll_pk))[0]["status"] == "OPEN"
