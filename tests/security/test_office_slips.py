"""Slips the office still holds.

A household that has not yet collected its printed slip leaves its code with the office that
printed it. Whoever there redeems it can vote for the household. That ballot stands, like a
paper ballot filled in at the office, but it cannot pass unseen: the batch it is counted in
says it came through a slip used before, and the household, at its first sign-in, is told
when its slip was last used before and sees that a ballot was cast in its name; where the poll
allows revoting, its own vote replaces that one.
"""

from __future__ import annotations

from datetime import datetime

from tests.api.helpers import World, create_consultation, create_poll

SESSION = "{ viewerSession { slipUsedBefore movedSlip } }"


async def test_a_household_whose_slip_the_office_used_is_told_at_its_first_sign_in(world: World, clock):
    # given a secret poll whose household 1号 has not collected its slip yet
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await create_poll(world, cid)
    await world.organizer.ok(
        "setVoterRoll", {"consultationId": cid, "voters": [{"label": "菜园巷1号"}]}, "entries { id }"
    )
    issued = await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { code }")
    code = issued["invitations"][0]["code"]
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "VOTING"}, "consultation { stage }")
    await world.organizer.ok("openPoll", {"pollId": pid}, "poll { status }")
    poll = await world.anon.query("query($id: ID!) { node(id: $id) { ... on Poll { options { id } } } }", {"id": pid})
    no = poll["node"]["options"][1]["id"]
    # when someone at the office redeems the slip first and votes 反对 with it
    clock.set(datetime.fromisoformat("2026-12-01T09:00:00+08:00"))
    office = world.anon.as_((await world.anon.ok("redeemInvitation", {"code": code}, "token"))["token"])
    assert (await office.query(SESSION))["viewerSession"] == {"slipUsedBefore": None, "movedSlip": False}
    await office.ok("castVote", {"pollId": pid, "choices": [no]}, "ballot { id }")
    # and the household signs in with its slip an hour later
    clock.set(datetime.fromisoformat("2026-12-01T10:00:00+08:00"))
    household = world.anon.as_((await world.anon.ok("redeemInvitation", {"code": code}, "token"))["token"])
    # then its session says when the slip was used before
    session = (await household.query(SESSION))["viewerSession"]
    assert datetime.fromisoformat(session["slipUsedBefore"]) == datetime.fromisoformat("2026-12-01T09:00:00+08:00")
    assert session["movedSlip"] is True
    # and it sees that a ballot was cast in its name, and when, though not what it chose: a
    # secret ballot's choice shows only to the session that cast it
    mine = await household.query(
        "query($id: ID!) { node(id: $id) { ... on Poll { allowRevote myBallot { castAt choices { id } } } } }",
        {"id": pid},
    )
    ballot = mine["node"]["myBallot"]
    assert datetime.fromisoformat(ballot["castAt"]) == datetime.fromisoformat("2026-12-01T09:00:00+08:00")
    assert ballot["choices"] == []
    # and where the poll allows revoting, its own vote replaces the office's
    assert mine["node"]["allowRevote"] is True
    yes = poll["node"]["options"][0]["id"]
    await household.ok("castVote", {"pollId": pid, "choices": [yes]}, "ballot { id }")
    await world.organizer.ok("closePoll", {"pollId": pid}, "poll { status }")
    tally = await world.anon.query(
        "query($id: ID!) { node(id: $id) { ... on Poll { tally { ballotsCast options { votes } } } } }", {"id": pid}
    )
    assert tally["node"]["tally"]["ballotsCast"] == 1
    assert [o["votes"] for o in tally["node"]["tally"]["options"]] == [1, 0, 0]
    # and the office's session is signed out
    assert (await office.query(SESSION))["viewerSession"] is None
    # and signed out, there is no session to read
    assert (await world.anon.query(SESSION))["viewerSession"] is None


async def test_a_household_that_signed_in_before_is_told_of_a_later_use_not_its_own(world: World, clock):
    # given a household that signed in at 08:00, whose slip someone else used at 09:00
    cid = await create_consultation(world, stage="COLLECTING")
    await world.organizer.ok(
        "setVoterRoll", {"consultationId": cid, "voters": [{"label": "菜园巷1号"}]}, "entries { id }"
    )
    issued = await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { code }")
    code = issued["invitations"][0]["code"]
    for hour in ("08", "09"):
        clock.set(datetime.fromisoformat(f"2026-12-01T{hour}:00:00+08:00"))
        await world.anon.ok("redeemInvitation", {"code": code}, "token")
    # when the household signs in again at 10:00, its phone having been signed out
    clock.set(datetime.fromisoformat("2026-12-01T10:00:00+08:00"))
    household = world.anon.as_((await world.anon.ok("redeemInvitation", {"code": code}, "token"))["token"])
    # then it is told of the use at 09:00, not of its own at 08:00
    session = (await household.query(SESSION))["viewerSession"]
    assert datetime.fromisoformat(session["slipUsedBefore"]) == datetime.fromisoformat("2026-12-01T09:00:00+08:00")
