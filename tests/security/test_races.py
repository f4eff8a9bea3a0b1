"""Races the review ran against a served install: each must end in an answer, never an internal error."""

from __future__ import annotations

import asyncio

from tests.api.helpers import World, create_consultation

PLAN = "costPlan { shares { id party { name } } }"
MARKET = "菜园市场"  # the world's market party


async def _plan(world: World, pid: str, parties: list[str]) -> dict:
    payload = await world.organizer.mutate(
        "setCostPlan",
        {
            "proposalId": pid,
            "total": "240000",
            "method": "EQUAL",
            "shares": [{"partyId": world.parties[k]} for k in parties],
        },
        PLAN,
    )
    return payload


async def test_confirming_a_share_while_the_plan_is_replaced_is_never_an_internal_error(world):
    # given a proposal with a plan that splits 240,000 among three parties, the market among them
    cid = await create_consultation(world, stage="DELIBERATING")
    created = await world.organizer.ok(
        "createProposal",
        {"consultationId": cid, "title": "管网维修加路面硬化", "body": "三方分担", "budget": "240000"},
        "proposal { id }",
    )
    pid = created["proposal"]["id"]
    parties = list(world.parties)[:3]
    assert "market" in parties
    plan = await _plan(world, pid, parties)
    outcomes: list[str] = []
    for _ in range(25):
        market_share = next(s["id"] for s in plan["costPlan"]["shares"] if s["party"]["name"] == MARKET)
        # when the organizer replaces the plan just as the market's rep signs its old share
        replaced, signed = await asyncio.gather(
            _plan(world, pid, parties),
            world.reps["market"].raw(
                "mutation($input: ConfirmShareInput!) { confirmShare(input: $input) { share { id } "
                "errors { field code } } }",
                {"input": {"shareId": market_share}},
            ),
        )
        # then both get an answer: the plan is replaced, and the signature either landed first or
        # is told its share no longer exists
        assert replaced["errors"] == []
        assert "errors" not in signed, signed
        errors = signed["data"]["confirmShare"]["errors"]
        assert errors in ([], [{"field": "shareId", "code": "NOT_FOUND"}]), errors
        outcomes.append("signed" if not errors else "gone")
        plan = replaced
    assert "gone" in outcomes  # the race was really run
