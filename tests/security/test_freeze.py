"""One request must not freeze the server, nor crash it into a traceback."""

from __future__ import annotations

import pytest

from tests.api.helpers import create_consultation


@pytest.mark.parametrize("depth", [2_000, 100_000])
async def test_a_deeply_nested_json_body_is_a_400_json_error(http, depth):
    # given a body nested deeper than any GraphQL request needs
    body = '{"query": "{ __typename }", "variables": {"x": ' + "[" * depth + "]" * depth + "}}"
    # when it is posted
    response = await http.post("/graphql", content=body, headers={"content-type": "application/json"})
    # then it is refused as a bad request, in JSON, and names no Python internals
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "Traceback" not in response.text and "Recursion" not in response.text


async def test_a_body_that_is_not_json_is_a_400_json_error(http):
    response = await http.post("/graphql", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_the_server_still_answers_after_a_deep_body(http):
    await http.post("/graphql", content="[" * 100_000, headers={"content-type": "application/json"})
    response = await http.post("/graphql", json={"query": "{ __typename }"})
    assert response.json() == {"data": {"__typename": "Query"}}


def _too_large(body: dict) -> dict:
    (error,) = body["errors"]
    assert error.get("extensions", {}).get("code") == "TOO_LARGE", error
    assert body.get("data") is None
    return error


async def test_a_cost_preview_with_300000_items_is_refused_before_coercion(anon):
    # given the review's request: previewCostSplit with 300,000 empty share items (0.9 MB), signed out
    query = (
        'query($s: [SharePreviewInput!]!) { previewCostSplit(total: "240000", method: EQUAL, shares: $s) '
        "{ amounts sum } }"
    )
    # when it is sent, then it is refused as too large, naming the cap, with nothing executed
    error = _too_large(await anon.raw(query, {"s": [{}] * 300_000}))
    assert error["extensions"]["max"] == 100


async def test_a_signed_out_voter_roll_of_200000_rows_is_refused_before_coercion(anon, world):
    # given a signed-out caller sending a roll within the roll's own cap (200,000 rows), which
    # coercion would turn into 200,000 input objects before the sign-in check refused it
    query = "mutation($input: SetVoterRollInput!) { setVoterRoll(input: $input) { errors { code } } }"
    voters = [{"label": f"{n}号"} for n in range(200_000)]
    body = await anon.raw(query, {"input": {"consultationId": "Q29uc3VsdGF0aW9uOjE=", "voters": voters}})
    # then it is refused as too large at the signed-out ceiling
    error = _too_large(body)
    assert (error["extensions"]["field"], error["extensions"]["max"]) == ("voters", 100)
    # while the organizer, signed in, still sets a roll of 1,000 households
    cid = await create_consultation(world)
    rows = [{"label": f"{n}号"} for n in range(1_000)]
    payload = await world.organizer.ok("setVoterRoll", {"consultationId": cid, "voters": rows}, "entries { id }")
    assert len(payload["entries"]) == 1_000


async def test_a_castvote_with_a_huge_choice_list_is_refused_before_sign_in_is_even_checked(anon):
    # given a signed-out caller sending 200,000 choices
    query = "mutation($input: CastVoteInput!) { castVote(input: $input) { errors { code } } }"
    body = await anon.raw(query, {"input": {"pollId": "UG9sbDox", "choices": ["UG9sbE9wdGlvbjox"] * 200_000}})
    # then the list itself is refused, at its real maximum (a poll has at most 50 options)
    error = _too_large(body)
    assert (error["extensions"]["field"], error["extensions"]["max"]) == ("choices", 50)


async def test_an_input_object_with_thousands_of_unknown_keys_is_refused(anon):
    query = "mutation($input: CastVoteInput!) { castVote(input: $input) { errors { code } } }"
    junk = {f"k{i}": 1 for i in range(50_000)}
    _too_large(await anon.raw(query, {"input": {"pollId": "UG9sbDox", "choices": [], **junk}}))


async def test_a_list_at_its_cap_still_goes_through_to_the_usual_checks(anon):
    # 50 choices is allowed past the size check; the sign-in check then answers as always
    query = "mutation($input: CastVoteInput!) { castVote(input: $input) { errors { code } } }"
    body = await anon.raw(query, {"input": {"pollId": "UG9sbDox", "choices": ["UG9sbE9wdGlvbjox"] * 50}})
    assert body["data"]["castVote"]["errors"][0]["code"] == "UNAUTHENTICATED"


async def test_forty_aliased_pages_of_consultations_are_refused_by_the_cost_budget(anon):
    # given the review's request: 40 aliases of consultations(first: 100) with nested lists
    inner = (
        "edges { node { id title polls { id options { id label } } demands(first: 100) { edges { node { id } } } } }"
    )
    query = "{ " + " ".join(f"a{i}: consultations(first: 100) {{ {inner} }}" for i in range(40)) + " }"
    # then it is refused before any of it runs, saying what it would cost and what is allowed
    error = _too_large(await anon.raw(query))
    assert error["extensions"]["cost"] > error["extensions"]["max"] == 25_000


def _page_documents() -> list[tuple[str, str, str]]:
    """Every query and subscription the pages send: (script, constant, document)."""
    import re

    from consult.bench import documents

    found = []
    for script in sorted(p.name for p in documents.ASSETS.glob("*.js")):
        for name, text in documents.constants("api.js", script).items():
            if re.match(r"\s*(query|subscription)\b", text):
                found.append((script, name, text))
    return found


def test_every_page_query_fits_its_callers_budget():
    # the resident page is read signed out too; the board and the console are read by signed-in staff
    from graphql import parse

    from schema import schema
    from schema.limits import ANONYMOUS_BUDGET, SIGNED_IN_BUDGET, _operation, document_cost

    pages = _page_documents()
    assert {script for script, _, _ in pages} >= {"resident.js", "board.js", "console-case.js"}
    for script, name, text in pages:
        document = parse(text)
        cost = document_cost(schema._schema, document, _operation(document, None), {})
        budget = ANONYMOUS_BUDGET if script == "resident.js" else SIGNED_IN_BUDGET
        assert cost <= budget, f"{script} {name} costs {cost}, over its budget of {budget}"


async def test_a_request_past_its_time_budget_is_a_503_json_error(settings, session_clock):
    # given a server whose requests may take no time at all (the default is 30 s)
    from dataclasses import replace

    from consult.app import create_app
    from tests.api.helpers import cookieless_client

    hurried = create_app(replace(settings, request_seconds=1e-6), manage_database=False, clock=session_clock)
    async with cookieless_client(hurried) as http:
        response = await http.post("/graphql", json={"query": "{ consultations(first: 5) { totalCount } }"})
    # then the request is stopped and answered as such, in JSON
    assert response.status_code == 503
    assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"


async def test_the_time_budget_leaves_other_paths_and_ordinary_requests_alone(http):
    assert (await http.get("/healthz")).status_code == 200
    assert (await http.post("/graphql", json={"query": "{ __typename }"})).json() == {"data": {"__typename": "Query"}}


async def test_the_cost_budget_sees_through_fragments_and_variable_defaults(anon):
    # the same breadth asked through node(id:) with an inline fragment, or pages given as a variable's default
    inner = "polls { id options { id label } } demands(first: 100) { edges { node { id } } }"
    through_node = (
        "{ "
        + " ".join(f'a{i}: node(id: "Q29uc3VsdGF0aW9uOjE") {{ ... on Consultation {{ {inner} }} }}' for i in range(50))
        + " }"
    )
    _too_large(await anon.raw(through_node))
    by_default = (
        "query($n: Int = 100) { "
        + " ".join(
            f"a{i}: consultations(first: $n) {{ edges {{ node {{ demands(first: $n) {{ totalCount }} }} }} }}"
            for i in range(3)
        )
        + " }"
    )
    _too_large(await anon.raw(by_default))


async def test_refused_requests_write_no_log_line_each(anon, caplog):
    # given a flood of requests that are each refused: too large, and invalid
    import logging

    too_large = 'query($s: [SharePreviewInput!]!) { previewCostSplit(total: "1", method: EQUAL, shares: $s) { sum } }'
    with caplog.at_level(logging.INFO):
        for _ in range(20):
            _too_large(await anon.raw(too_large, {"s": [{}] * 101}))
            await anon.raw("{ nosuchfield }")
    # then none of them is logged: a request flood does not become a log flood
    assert [r for r in caplog.records if r.name.startswith("strawberry")] == []
