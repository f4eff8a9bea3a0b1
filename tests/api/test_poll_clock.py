"""The server's poll clock: polls open and close on time, and the record says so, with no request."""

from __future__ import annotations

from datetime import timedelta

from consult.services.base import ServiceContext
from consult.services.voting import settle_due
from tests.api.helpers import create_consultation, create_poll, residents

TRAIL = """query($id: ID!) { consultation(id: $id) {
  polls { status electorateSize }
  auditTrail(first: 100) { chainValid edges { node { action summary actor { id } } } } } }"""


async def test_the_clock_opens_and_closes_a_poll_and_records_both(world, clock, settings):
    # given a poll set to open in one hour and close in three, in a VOTING consultation with a roll
    cid = await create_consultation(world, stage="DELIBERATING")
    await residents(world, cid, ["1 号", "2 号"])
    start = clock()
    clock.set(start)
    await create_poll(
        world, cid, opensAt=(start + timedelta(hours=1)).isoformat(), closesAt=(start + timedelta(hours=3)).isoformat()
    )
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "VOTING"}, "consultation { id }")
    sweep = ServiceContext(settings=settings, clock=clock)
    # when the clock passes the opening time and the sweep runs
    clock.advance(hours=1, minutes=1)
    assert await settle_due(sweep) == 1
    data = (await world.organizer.query(TRAIL, {"id": cid}))["consultation"]
    # then the poll is open with the roll as its electorate, and the trail records the automatic opening
    assert data["polls"] == [{"status": "OPEN", "electorateSize": 2}]
    # when the closing time passes
    clock.advance(hours=2)
    assert await settle_due(sweep) == 1
    assert await settle_due(sweep) == 0
    data = (await world.organizer.query(TRAIL, {"id": cid}))["consultation"]
    # then it is closed, once, by nobody in particular, and the chain still holds
    assert data["polls"][0]["status"] == "CLOSED"
    actions = [(e["node"]["action"], e["node"]["actor"]) for e in data["auditTrail"]["edges"]]
    assert ("poll.open", None) in actions and ("poll.close", None) in actions
    assert [a for a, _ in actions].count("poll.close") == 1
    assert data["auditTrail"]["chainValid"] is True


async def test_the_clock_never_writes_into_a_cancelled_or_archived_consultation(world, clock, settings):
    # given a poll due to close in an hour, in a consultation that is then cancelled
    cid = await create_consultation(world, stage="DELIBERATING")
    start = clock()
    clock.set(start)
    await create_poll(world, cid, closesAt=(start + timedelta(hours=1)).isoformat())
    await world.organizer.ok(
        "advanceStage", {"consultationId": cid, "to": "CANCELLED", "note": "撤销"}, "consultation { id }"
    )
    before = (await world.organizer.query(TRAIL, {"id": cid}))["consultation"]["auditTrail"]["edges"]
    # when the closing time passes and the sweep runs
    clock.advance(hours=2)
    assert await settle_due(ServiceContext(settings=settings, clock=clock)) == 0
    # then the read-only record is untouched
    after = (await world.organizer.query(TRAIL, {"id": cid}))["consultation"]["auditTrail"]["edges"]
    assert after == before
