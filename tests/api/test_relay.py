"""Relay's cursor connections, both ways: every connection pages forward with first/after and
backward with last/before, and the two walks meet the same items in the same order."""

from __future__ import annotations

import pytest

from tests.api.helpers import Client, World, create_consultation, create_poll, residents

EDGES = (
    "totalCount edges {{ cursor node {{ {key} }} }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}"
)


def _ids(page: dict) -> list:
    return [e["node"].get("id", e["node"].get("seq")) for e in page["edges"]]


async def _page(client: Client, path: tuple[str, ...], args: str) -> dict:
    """The connection at `path` (e.g. ('consultation(id: "…")', 'demands')), asked with `args`."""
    *outer, field = path
    key = "seq" if field == "installationTrail" else "id"  # the installation's trail is told apart by seq
    query = "{ " + " { ".join([*outer, f"{field}({args}) {{ {EDGES.format(key=key)} }}"]) + " }" * len(outer) + " }"
    data = await client.query(query)
    for key in [p.split("(")[0] for p in path if not p.startswith("...")]:
        data = data[key]
    return data


async def _walk(client: Client, path: tuple[str, ...], size: int) -> tuple[list[str], list[str], int]:
    """The ids met walking forward by `size`, the ids met walking backward by `size`, and the total."""
    forward, after = [], None
    while True:
        page = await _page(client, path, f"first: {size}" + (f', after: "{after}"' if after else ""))
        forward += _ids(page)
        assert [e["cursor"] for e in page["edges"]][-1:] == [page["pageInfo"]["endCursor"]] or not page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    backward, before = [], None
    while True:
        page = await _page(client, path, f"last: {size}" + (f', before: "{before}"' if before else ""))
        backward = _ids(page) + backward
        assert [e["cursor"] for e in page["edges"]][:1] == [page["pageInfo"]["startCursor"]] or not page["edges"]
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    return forward, backward, page["totalCount"]


@pytest.fixture
async def lists(world: World) -> dict[str, tuple[Client, tuple[str, ...], int]]:
    """Every connection of the API with at least 7 items, and who may read it."""
    for i in range(6):
        await create_consultation(world, stage="COLLECTING", title=f"第 {i} 项协商")
    cid = await create_consultation(world, stage="COLLECTING", title="名册表决")
    for i in range(7):
        await world.organizer.ok(
            "submitDemand",
            {"consultationId": cid, "title": f"诉求 {i}", "body": "内容", "channel": "HOTLINE"},
            "demand { id }",
        )
    households = await residents(world, cid, [f"{i} 号" for i in range(7)])
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "DELIBERATING"}, "consultation { stage }")
    pid = await create_poll(world, cid, secret=False)
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "VOTING"}, "consultation { stage }")
    await world.organizer.ok("openPoll", {"pollId": pid}, "poll { status }")
    options = await world.organizer.query(f'{{ node(id: "{pid}") {{ ... on Poll {{ options {{ id }} }} }} }}')
    yes = options["node"]["options"][0]["id"]
    for household in households:
        await household.ok("castVote", {"pollId": pid, "choices": [yes]}, "ballot { receipt }")
    return {
        "consultations": (world.anon, ("consultations",), 7),
        "demands": (world.anon, (f'consultation(id: "{cid}")', "demands"), 7),
        "auditTrail": (world.anon, (f'consultation(id: "{cid}")', "auditTrail"), 7),
        "ballots": (world.organizer, (f'node(id: "{pid}")', "... on Poll", "ballots"), 7),
        "installationTrail": (world.admin, ("installationTrail",), 7),
    }


@pytest.mark.parametrize("name", ["consultations", "demands", "auditTrail", "ballots", "installationTrail"])
@pytest.mark.parametrize("size", [1, 3])
async def test_every_connection_walks_both_ways_to_the_same_items(lists, name, size):
    client, path, at_least = lists[name]
    forward, backward, total = await _walk(client, path, size)
    assert len(forward) == total >= at_least
    assert len(set(forward)) == total  # no item twice, none left out
    assert backward == forward


async def test_first_and_last_and_both_cursors_narrow_the_list_as_the_spec_says(lists):
    client, path, _ = lists["demands"]
    every = _ids(await _page(client, path, "first: 100"))
    page = await _page(client, path, "first: 100")
    cursors = [e["cursor"] for e in page["edges"]]
    # between two cursors: only what lies strictly between them
    between = await _page(client, path, f'after: "{cursors[1]}", before: "{cursors[5]}"')
    assert _ids(between) == every[2:5]
    # first and last together: the last of the first
    both = await _page(client, path, "first: 5, last: 2")
    assert _ids(both) == every[3:5]
    assert both["pageInfo"]["hasPreviousPage"] and both["pageInfo"]["hasNextPage"]
    # the last page from the end says there is more before it, and nothing after
    tail = await _page(client, path, "last: 2")
    assert _ids(tail) == every[-2:]
    assert tail["pageInfo"]["hasPreviousPage"] and not tail["pageInfo"]["hasNextPage"]
    # last: 0 is an empty page, not an error
    assert (await _page(client, path, "last: 0"))["edges"] == []


@pytest.mark.parametrize("args", ["first: -1", "last: -1", "first: 2, last: -3"])
async def test_a_negative_count_is_an_error_naming_it(world: World, args):
    body = await world.anon.raw(f"{{ consultations({args}) {{ totalCount }} }}")
    assert body["data"] is None
    [error] = body["errors"]
    assert error["path"] == ["consultations"] and error["extensions"]["code"] == "BAD_USER_INPUT"
    assert args.split(":")[-2].split(",")[-1].strip() in error["message"]
