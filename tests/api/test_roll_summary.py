"""The roll's size counted by the database (Consultation.rollSummary), through the GraphQL API:
what the console shows instead of loading the whole roll."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.api.helpers import World, create_consultation, residents
from tests.api.test_areas import District, district  # noqa: F401 (the fixture)
from tests.api.test_roll import set_roll

pytestmark = pytest.mark.asyncio

SUMMARY = "query($id: ID!) { consultation(id: $id) { rollSummary { households weight signedIn } } }"
WHOLE = "query($id: ID!) { consultation(id: $id) { voterRoll { label weight active account { id } } } }"


async def summary_of(client, cid: str) -> dict | None:
    return (await client.query(SUMMARY, {"id": cid}))["consultation"]["rollSummary"]


async def test_the_summary_counts_what_the_whole_roll_holds(world: World):
    cid = await create_consultation(world, stage="COLLECTING")
    # given an empty roll, the summary says nothing is there
    assert await summary_of(world.organizer, cid) == {"households": 0, "weight": "0", "signedIn": 0}
    # given four households, two of which came in with their slips
    await residents(world, cid, ["菜园巷 1 号", "菜园巷 2 号"])
    payload = await set_roll(
        world.organizer,
        cid,
        [
            {"label": "菜园巷 1 号", "weight": "80"},
            {"label": "菜园巷 2 号", "weight": "80"},
            {"label": "菜园巷 3 号", "weight": "65.25"},
            {"label": "菜园巷 4 号"},
        ],
    )
    assert payload["errors"] == []
    summary = await summary_of(world.organizer, cid)
    # then it agrees with a count by hand over the whole roll
    roll = [e for e in (await world.organizer.query(WHOLE, {"id": cid}))["consultation"]["voterRoll"] if e["active"]]
    assert summary == {
        "households": len(roll),
        "weight": str(sum(Decimal(e["weight"]) for e in roll).normalize()),
        "signedIn": sum(1 for e in roll if e["account"]),
    }
    assert summary == {"households": 4, "weight": "226.25", "signedIn": 2}
    # when the roll is replaced without 菜园巷 1 号 and 菜园巷 3 号
    await set_roll(world.organizer, cid, [{"label": "菜园巷 2 号", "weight": "80"}, {"label": "菜园巷 4 号"}])
    # then the retired entries no longer count
    assert await summary_of(world.organizer, cid) == {"households": 2, "weight": "81", "signedIn": 1}


async def test_the_summary_is_for_the_staff_who_may_read_the_whole_roll(world: World, district: District):  # noqa: F811
    # given a roll in 五川村 with one household signed in
    cid = await create_consultation(world, stage="COLLECTING", community=district.village)
    (household,) = await residents(world, cid, ["五川村 7 号"])
    expected = {"households": 1, "weight": "80", "signedIn": 1}
    # then the district's organizer and admin read its summary
    assert await summary_of(world.organizer, cid) == expected
    assert await summary_of(world.admin, cid) == expected
    # and an organizer of another community or street gets null, not a count
    for outsider in (district.home_organizer, district.street_organizer):
        assert await summary_of(outsider, cid) is None
    # and so do the household itself, a CPPCC member (roll.read is for organizers) and a visitor
    assert await summary_of(household, cid) is None
    assert await summary_of(district.village_cppcc, cid) is None
    assert await summary_of(world.anon, cid) is None
