"""GraphQL over HTTP to its spec, for clients other people wrote (Apollo, urql, Relay, graphql-http):
the refusals, their statuses and media types, and graphql-http's own audit of the served app."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_cli import run, served

GRAPHQL_RESPONSE = "application/graphql-response+json"
JS = Path(__file__).resolve().parents[1] / "js"


def _post(http, body, accept: str = GRAPHQL_RESPONSE, **headers):
    return http.post("/graphql", json=body, headers={"Accept": accept, **headers})


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{", None),  # does not parse
        ("{ noSuchField }", None),  # does not validate
        ("{ }", None),  # asks for nothing
        ("{ viewer { } }", None),
        ("query($id: ID!) { consultation(id: $id) { id } }", {"id": 7.5}),  # variables that do not fit
        ("query($id: ID!) { consultation(id: $id) { id } }", None),
        ("query A { viewer { id } } query B { viewer { id } }", None),  # which one to run?
    ],
    ids=["parse", "validation", "empty", "empty nested", "variable type", "variable missing", "two operations"],
)
async def test_a_request_that_cannot_run_is_a_400_without_data_for_graphql_response_clients(http, query, variables):
    answer = await _post(http, {"query": query, "variables": variables})
    assert answer.status_code == 400
    assert answer.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    body = answer.json()
    assert "data" not in body and body["errors"] and all(e["message"] for e in body["errors"])
    # while a client that asks for plain JSON keeps the older convention: 200 and "data": null
    legacy = await _post(http, {"query": query, "variables": variables}, accept="application/json")
    assert legacy.status_code == 200 and legacy.headers["content-type"].startswith("application/json")
    assert legacy.json()["data"] is None and legacy.json()["errors"]


async def test_an_error_while_running_is_still_a_200_with_data(http):
    # a field that fails as it runs (a negative page size) is an answer, not a refused request
    answer = await _post(http, {"query": "{ consultations(first: -1) { totalCount } }"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = answer.json()
    assert "data" in body and body["errors"][0]["path"] == ["consultations"], body
    assert "first" in body["errors"][0]["message"]


async def test_the_media_type_follows_the_accept_header(http):
    query = {"query": "{ __typename }"}
    for accept, media in [
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", "application/json"),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
    ]:
        answer = await _post(http, query, accept=accept)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(media), accept
        assert answer.json() == {"data": {"__typename": "Query"}}


async def test_a_mutation_by_get_is_405_and_names_post(http):
    answer = await http.get("/graphql", params={"query": "mutation { logout }"}, headers={"Accept": "application/json"})
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert "POST" in answer.json()["errors"][0]["message"]
    # a query by GET runs
    ok = await http.get("/graphql", params={"query": "{ __typename }"}, headers={"Accept": "application/json"})
    assert ok.status_code == 200 and ok.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("content_type", ["text/plain", "application/graphql", "application/x-www-form-urlencoded"])
async def test_a_body_that_is_not_json_is_415_in_json(http, content_type):
    answer = await http.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers={"Content-Type": content_type, "Accept": "*/*"}
    )
    assert answer.status_code == 415
    assert "application/json" in answer.json()["errors"][0]["message"]


async def test_an_unknown_operation_name_and_a_missing_query_are_400_in_json(http):
    named = await _post(http, {"query": "query A { __typename }", "operationName": "B"})
    assert named.status_code == 400 and '"B"' in named.json()["errors"][0]["message"]
    assert named.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    empty = await _post(http, {})
    assert empty.status_code == 400 and empty.json()["errors"][0]["message"]
    # and the operation named is the one that runs
    picked = await _post(http, {"query": "query A { a: __typename } query B { b: __typename }", "operationName": "B"})
    assert picked.json() == {"data": {"b": "Query"}}


async def test_a_subscription_over_http_is_refused_with_where_it_is_served(http):
    answer = await _post(
        http, {"query": 'subscription { consultationEvents(consultationId: "x") { seq } }'}, accept="application/json"
    )
    assert answer.status_code == 400
    assert "WebSocket" in answer.json()["errors"][0]["message"]


async def test_a_query_nested_past_the_limit_through_fragments_is_refused_and_cycles_do_not_hang(http):
    # seven levels in the operation and seven more in a fragment it spreads: fourteen, past the twelve allowed
    fragment = "fragment F on Query { " + "".join(f"g{i} {{ " for i in range(7)) + "id" + " }" * 8
    query = "{ " + "".join(f"f{i} {{ " for i in range(7)) + "...F" + " }" * 8 + " " + fragment
    answer = await _post(http, {"query": query}, accept="application/json")
    assert any("exceeds maximum operation depth" in e["message"] for e in answer.json()["errors"])
    cycle = "fragment A on Query { ...B } fragment B on Query { ...A } { ...A }"
    looped = await _post(http, {"query": cycle}, accept="application/json")
    assert looped.status_code == 200 and looped.json()["errors"]


@pytest.fixture
def audit_env(scratch_databases, tmp_path):
    env = {
        "CONSULT_DATABASE_URL": scratch_databases.new(),
        "CONSULT_SECRET_KEY": "graphql-http-audit",
        "CONSULT_ANCHOR_FILE": str(tmp_path / "anchors.jsonl"),
    }
    run("migrate", env=env)
    return env


@pytest.mark.skipif(
    shutil.which("node") is None or not (JS / "node_modules" / "graphql-http").exists(),
    reason="needs node and `npm ci --prefix tests/js` (make test does it when node is present)",
)
def test_graphql_http_audits_the_served_app_and_every_audit_passes(audit_env, tmp_path):
    with served(audit_env, tmp_path) as port:
        out = subprocess.run(
            ["node", str(JS / "audit-http.mjs"), f"http://127.0.0.1:{port}/graphql"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert out.returncode == 0, out.stderr
    results = [json.loads(line) for line in out.stdout.splitlines()]
    # MUST and SHOULD alike
    assert len(results) >= 61
    assert [r for r in results if r["status"] != "ok"] == []
