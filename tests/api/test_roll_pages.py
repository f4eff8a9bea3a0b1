"""The voter roll a page at a time, searchable (Consultation.roll), through the GraphQL API."""

from __future__ import annotations

from tests.api.helpers import create_consultation, residents
from tests.api.test_roll import given_roll

PAGE = """
query($id: ID!, $first: Int, $after: String, $last: Int, $before: String, $search: String) {
  consultation(id: $id) {
    roll(first: $first, after: $after, last: $last, before: $before, search: $search) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id label weight account { id } } }
    }
  }
}
"""

# A building of 5 staircases, 6 floors, 2 flats a floor: 60 households, in roll order.
LABELS = [f"3号楼{s}单元{f}0{n}" for s in range(1, 6) for f in range(1, 7) for n in (1, 2)]


async def page(client, cid: str, **args) -> dict:
    return (await client.query(PAGE, {"id": cid, **args}))["consultation"]["roll"]


def labels(connection: dict) -> list[str]:
    return [e["node"]["label"] for e in connection["edges"]]


async def building(world) -> str:
    cid = await create_consultation(world, stage="COLLECTING")
    await given_roll(world, cid, LABELS)
    return cid


async def test_pages_forward_through_the_whole_roll_in_roll_order(world):
    cid = await building(world)
    # when the organizer reads pages of 25 one after another
    seen, after, pages = [], None, []
    while True:
        connection = await page(world.organizer, cid, first=25, after=after)
        pages.append(connection)
        seen += labels(connection)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    # then three pages (25, 25, 10) give every household once, in order, each counting all 60
    assert [len(p["edges"]) for p in pages] == [25, 25, 10]
    assert seen == LABELS
    assert {p["totalCount"] for p in pages} == {60}
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True]


async def test_pages_backward_from_a_cursor(world):
    cid = await building(world)
    second = await page(
        world.organizer, cid, first=20, after=(await page(world.organizer, cid, first=20))["pageInfo"]["endCursor"]
    )
    # when the organizer goes back from the second page
    back = await page(world.organizer, cid, last=20, before=second["pageInfo"]["startCursor"])
    # then they see the first page again, which has nothing before it
    assert labels(back) == LABELS[:20]
    assert back["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": back["edges"][0]["cursor"],
        "endCursor": back["edges"][-1]["cursor"],
    }
    # and the last page of all is the last 7 without a cursor
    tail = await page(world.organizer, cid, last=7)
    assert labels(tail) == LABELS[-7:]
    assert tail["pageInfo"]["hasPreviousPage"] is True


async def test_the_order_is_the_rolls_own_not_the_order_the_rows_were_made(world):
    cid = await create_consultation(world, stage="COLLECTING")
    await given_roll(world, cid, ["乙", "丙"])
    # when the roll is replaced with a new household first: 乙 and 丙 keep their rows, 甲 is a newer row
    await given_roll(world, cid, ["甲", "乙", "丙"])
    first = await page(world.organizer, cid, first=2)
    rest = await page(world.organizer, cid, first=2, after=first["pageInfo"]["endCursor"])
    # then pages follow the roll as given
    assert labels(first) + labels(rest) == ["甲", "乙", "丙"]


async def test_search_finds_labels_by_a_fragment_or_number_fragments(world):
    cid = await building(world)
    # when the organizer searches
    found = {
        text: labels(await page(world.organizer, cid, first=100, search=text))
        for text in ["401", "2单元", "3-2-401", "2单元 601", "  ", "9号楼"]
    }
    # then each fragment must appear in the label, in any order
    assert found["401"] == [x for x in LABELS if "401" in x]
    assert len(found["401"]) == 5
    assert found["2单元"] == [x for x in LABELS if "2单元" in x]
    assert found["3-2-401"] == ["3号楼2单元401"]
    assert found["2单元 601"] == ["3号楼2单元601"]
    assert found["  "] == LABELS
    assert found["9号楼"] == []


async def test_a_search_pages_and_counts_only_what_it_finds(world):
    cid = await building(world)
    # when the organizer pages through a search for the 2nd staircase, 5 at a time
    first = await page(world.organizer, cid, first=5, search="2单元")
    second = await page(world.organizer, cid, first=5, after=first["pageInfo"]["endCursor"], search="2单元")
    third = await page(world.organizer, cid, first=5, after=second["pageInfo"]["endCursor"], search="2单元")
    # then the count is what the search found, and the pages continue within it
    want = [x for x in LABELS if "2单元" in x]
    assert first["totalCount"] == second["totalCount"] == len(want) == 12
    assert labels(first) + labels(second) + labels(third) == want
    assert third["pageInfo"]["hasNextPage"] is False


async def test_retired_entries_are_not_on_the_pages(world):
    cid = await building(world)
    await given_roll(world, cid, LABELS[:10])
    connection = await page(world.organizer, cid, first=100)
    assert connection["totalCount"] == 10
    assert labels(connection) == LABELS[:10]


async def test_who_pages_the_roll(world):
    cid = await create_consultation(world, stage="COLLECTING")
    first, second = await residents(world, cid, ["甲", "乙"])
    # when each kind of viewer reads a page of the roll
    seen = {
        name: labels(await page(client, cid, first=50))
        for name, client in {
            "organizer": world.organizer,
            "admin": world.admin,
            "first": first,
            "second": second,
            "cppcc": world.cppcc,
            "rep": world.reps["market"],
            "anon": world.anon,
        }.items()
    }
    # then the same as voterRoll: staff every entry, a resident only their own, everyone else nothing
    assert seen == {
        "organizer": ["甲", "乙"],
        "admin": ["甲", "乙"],
        "first": ["甲"],
        "second": ["乙"],
        "cppcc": [],
        "rep": [],
        "anon": [],
    }
    # and a resident's search cannot find a neighbour, nor the count tell of one
    other = await page(first, cid, first=50, search="乙")
    assert other["totalCount"] == 0 and other["edges"] == []


async def test_a_bad_cursor_starts_from_the_beginning_and_a_negative_count_is_an_error(world):
    cid = await building(world)
    connection = await page(world.organizer, cid, first=3, after="not-a-cursor")
    assert labels(connection) == LABELS[:3]
    response = await world.organizer.raw(PAGE, {"id": cid, "first": -1})
    assert response["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
