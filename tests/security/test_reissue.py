"""Votes no official can swap.

The review: issueInvitations gave fresh codes to households that had already signed in.
Redeeming one and voting turned a household's 赞成 into 反对; its phone was signed out and its
receipt stopped verifying, and the trail showed `invitations.issue`, then a `ballot.cast` with
no actor.
"""

from __future__ import annotations

from consult.models import AuditEvent
from tests.api.helpers import Client, World, create_consultation, create_poll

TRAIL = (
    "query($id: ID!) { consultation(id: $id) { auditTrail(first: 100) "
    "{ edges { node { action summary actor { id } } } } } }"
)


async def _signed_in_household(world: World, **poll) -> tuple[str, str, dict[str, str], Client, dict]:
    """A consultation in VOTING with one open poll and two households; 1号 signed in and voted 赞成."""
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await create_poll(world, cid, **poll)
    await world.organizer.ok(
        "setVoterRoll",
        {"consultationId": cid, "voters": [{"label": "菜园巷1号"}, {"label": "菜园巷2号"}]},
        "entries { id label }",
    )
    issued = await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { label code }")
    codes = {i["label"]: i["code"] for i in issued["invitations"]}
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "VOTING"}, "consultation { stage }")
    await world.organizer.ok("openPoll", {"pollId": pid}, "poll { status }")
    token = (await world.anon.ok("redeemInvitation", {"code": codes["菜园巷1号"]}, "token"))["token"]
    resident = world.anon.as_(token)
    data = await world.anon.query(
        "query($id: ID!) { node(id: $id) { ... on Poll { options { id label } } } }", {"id": pid}
    )
    options = {o["label"]: o["id"] for o in data["node"]["options"]}
    await resident.ok("castVote", {"pollId": pid, "choices": [options["赞成"]]}, "ballot { receipt }")
    roll = await world.organizer.query(
        "query($id: ID!) { consultation(id: $id) { voterRoll { id label } } }", {"id": cid}
    )
    entries = {e["label"]: e["id"] for e in roll["consultation"]["voterRoll"]}
    return cid, pid, entries, resident, options


async def test_issuing_again_gives_no_new_code_to_a_household_that_signed_in(world: World):
    # given 1号 signed in and voted, 2号 never used its slip
    cid, _pid, _entries, resident, _ = await _signed_in_household(world)
    # when the organizer issues invitations again
    again = await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { label code }")
    # then only 2号 gets a fresh code, and 1号's phone is still signed in
    assert [i["label"] for i in again["invitations"]] == ["菜园巷2号"]
    assert (await resident.query("{ viewer { id } }"))["viewer"] is not None


async def test_a_new_slip_for_a_signed_in_household_needs_a_second_person(world: World):
    cid, pid, entries, resident, options = await _signed_in_household(world)
    # when the organizer asks for a new slip for 1号, with a reason
    asked = await world.organizer.ok(
        "requestReissue", {"voterEntryId": entries["菜园巷1号"], "reason": "手机丢失"}, "request { id status }"
    )
    rid = asked["request"]["id"]
    assert asked["request"]["status"] == "PENDING"
    # then the organizer cannot approve it themselves
    own = await world.organizer.mutate("approveReissue", {"requestId": rid}, "invitation { code }")
    assert [e["code"] for e in own["errors"]] == ["FORBIDDEN"]
    # nor can an admin, while the installation has a CPPCC member to ask
    admin = await world.admin.mutate("approveReissue", {"requestId": rid}, "invitation { code }")
    assert [e["code"] for e in admin["errors"]] == ["FORBIDDEN"] and "政协委员" in admin["errors"][0]["message"]
    # and the household is still signed in
    assert (await resident.query("{ viewer { id } }"))["viewer"] is not None
    # when a CPPCC member approves
    approved = await world.cppcc.ok(
        "approveReissue", {"requestId": rid}, "request { status approvedBy { id } } invitation { label code }"
    )
    # then the code comes back once, to the approver, and the old phone is signed out
    assert approved["request"]["status"] == "APPROVED"
    assert approved["request"]["approvedBy"]["id"] == world.accounts["cppcc"]
    assert approved["invitation"]["label"] == "菜园巷1号"
    assert (await resident.query("{ viewer { id } }"))["viewer"] is None
    # and approving again is a conflict
    twice = await world.cppcc.mutate("approveReissue", {"requestId": rid}, "invitation { code }")
    assert [e["code"] for e in twice["errors"]] == ["CONFLICT"]
    # and the trail names who asked, who approved, and why
    trail = await world.organizer.query(TRAIL, {"id": cid})
    events = [e["node"] for e in trail["consultation"]["auditTrail"]["edges"]]
    asked_event = next(e for e in events if e["action"] == "invitations.reissue_request")
    approved_event = next(e for e in events if e["action"] == "invitations.reissue")
    assert asked_event["actor"]["id"] == world.accounts["organizer"] and "手机丢失" in asked_event["summary"]
    assert approved_event["actor"]["id"] == world.accounts["cppcc"] and "手机丢失" in approved_event["summary"]
    # when the household votes again with the new slip (revoting is allowed in this poll)
    token = (await world.anon.ok("redeemInvitation", {"code": approved["invitation"]["code"]}, "token"))["token"]
    await world.anon.as_(token).ok("castVote", {"pollId": pid, "choices": [options["反对"]]}, "ballot { receipt }")
    # then the trail counts that ballot as cast through a reissued slip, with its batch (here the
    # close, which takes the last partial batch), and says nothing of its choice
    await world.organizer.ok("closePoll", {"pollId": pid}, "poll { status }")
    trail = await world.organizer.query(TRAIL, {"id": cid})
    last = trail["consultation"]["auditTrail"]["edges"][-1]["node"]
    assert last["action"] == "poll.close" and "其中 1 张经补发" in last["summary"]
    stored = await AuditEvent.filter(action="poll.close").order_by("-id").first()
    assert stored is not None and '"movedSlips":1' in stored.payload
    assert options["反对"] not in stored.payload and "反对" not in last["summary"]


async def test_a_reissued_slip_never_gives_a_second_ballot_where_revoting_is_off(world: World):
    # given a poll without revoting, where 1号 voted
    _cid, pid, entries, _resident, options = await _signed_in_household(world, allowRevote=False)
    asked = await world.organizer.ok(
        "requestReissue", {"voterEntryId": entries["菜园巷1号"], "reason": "换了手机"}, "request { id }"
    )
    approved = await world.cppcc.ok("approveReissue", {"requestId": asked["request"]["id"]}, "invitation { code }")
    token = (await world.anon.ok("redeemInvitation", {"code": approved["invitation"]["code"]}, "token"))["token"]
    # when the new slip tries to vote
    again = await world.anon.as_(token).mutate(
        "castVote", {"pollId": pid, "choices": [options["反对"]]}, "ballot { id }"
    )
    # then there is no second ballot
    assert [e["code"] for e in again["errors"]] == ["ALREADY_VOTED"]


async def test_a_slip_used_again_marks_what_it_casts(world: World):
    # given 1号's slip, which whoever printed it could still hold; when it is redeemed again and votes
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await create_poll(world, cid)
    await world.organizer.ok(
        "setVoterRoll", {"consultationId": cid, "voters": [{"label": "菜园巷1号"}]}, "entries { id }"
    )
    issued = await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { code }")
    code = issued["invitations"][0]["code"]
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "VOTING"}, "consultation { stage }")
    await world.organizer.ok("openPoll", {"pollId": pid}, "poll { status }")
    first = world.anon.as_((await world.anon.ok("redeemInvitation", {"code": code}, "token"))["token"])
    data = await world.anon.query("query($id: ID!) { node(id: $id) { ... on Poll { options { id } } } }", {"id": pid})
    yes, no = data["node"]["options"][0]["id"], data["node"]["options"][1]["id"]
    await first.ok("castVote", {"pollId": pid, "choices": [yes]}, "ballot { id }")
    second = world.anon.as_((await world.anon.ok("redeemInvitation", {"code": code}, "token"))["token"])
    await second.ok("castVote", {"pollId": pid, "choices": [no]}, "ballot { id }")
    # then the household's first phone was signed out, and the trail counts one ballot (the
    # second) as cast through a moved slip, at the close
    assert (await first.query("{ viewer { id } }"))["viewer"] is None
    await world.organizer.ok("closePoll", {"pollId": pid}, "poll { status }")
    trail = await world.organizer.query(TRAIL, {"id": cid})
    events = [e["node"] for e in trail["consultation"]["auditTrail"]["edges"]]
    assert [e for e in events if e["action"] == "ballot.cast"] == []
    assert "其中 1 张经补发或再次使用" in next(e for e in events if e["action"] == "poll.close")["summary"]


async def test_a_moved_slip_is_counted_into_its_batchs_entry(world: World):
    # given a secret poll with live results and six households, the first of whose slips is redeemed twice
    cid = await create_consultation(world, stage="DELIBERATING")
    pid = await create_poll(world, cid)
    labels = [f"菜园巷{i}号" for i in range(1, 7)]
    await world.organizer.ok(
        "setVoterRoll", {"consultationId": cid, "voters": [{"label": x} for x in labels]}, "entries { id }"
    )
    issued = await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { code }")
    codes = [i["code"] for i in issued["invitations"]]
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "VOTING"}, "consultation { stage }")
    await world.organizer.ok("openPoll", {"pollId": pid}, "poll { status }")
    data = await world.anon.query("query($id: ID!) { node(id: $id) { ... on Poll { options { id } } } }", {"id": pid})
    yes = data["node"]["options"][0]["id"]
    await world.anon.ok("redeemInvitation", {"code": codes[0]}, "token")
    # when five households vote, the first through its slip's second use
    for code in codes[:5]:
        voter = world.anon.as_((await world.anon.ok("redeemInvitation", {"code": code}, "token"))["token"])
        await voter.ok("castVote", {"pollId": pid, "choices": [yes]}, "ballot { id }")
    # then the batch's one entry counts one moved slip, and names no voter
    trail = await world.organizer.query(TRAIL, {"id": cid})
    casts = [e["node"] for e in trail["consultation"]["auditTrail"]["edges"] if e["node"]["action"] == "ballot.cast"]
    assert len(casts) == 1 and casts[0]["actor"] is None
    assert "其中 1 张经补发或再次使用" in casts[0]["summary"] and "菜园巷" not in casts[0]["summary"]


async def test_a_household_that_never_signed_in_is_served_by_issuing_again(world: World):
    _cid, _pid, entries, _resident, _ = await _signed_in_household(world)
    refused = await world.organizer.mutate(
        "requestReissue", {"voterEntryId": entries["菜园巷2号"], "reason": "没收到"}, "request { id }"
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("voterEntryId", "INVALID")]
