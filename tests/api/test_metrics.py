"""GET /metrics and the request logs: what a scrape shows after real requests, who may scrape,
and what the served app's JSON log lines carry (a request ID) and never carry (codes, tokens)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families

from consult.app import create_app
from consult.settings import Settings
from tests.api.helpers import Client, cookieless_client
from tests.cli.test_cli import run, served
from tests.conftest import BACKEND
from tests.live.test_subscriptions import EVENTS, SECRET, Transport, _migrated_with_admin, demand, gql, setup

LOCAL = ("127.0.0.1", 51000)
SLIP_CODE = "WXYZ-2345-6789"


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a scrape, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scrape: dict, name: str, **labels: str) -> float:
    return scrape.get((name, frozenset(labels.items())), 0.0)


async def scrape(app) -> dict:
    async with cookieless_client(app, LOCAL) as local:
        response = await local.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return samples(response.text)


async def test_a_scrape_shows_operations_errors_routes_and_the_pool(app, anon: Client):
    # given a scrape before anything happens
    before = await scrape(app)
    # when a named query, an unnamed one, an overlong name, a refused mutation, a bad field and a slip's page come in
    await anon.query("query PartyList { parties { id } }")
    await anon.query("{ parties { id } }")
    await anon.query(f"query {'X' * 80} {{ parties {{ id }} }}")
    refused = await anon.mutate("createParty", {"name": "菜园市场", "kind": "MERCHANT"}, "party { id }")
    assert [e["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]
    bad = await anon.raw("query Broken { noSuchField }")
    assert bad["errors"]
    page = await anon.http.get(f"/i/{SLIP_CODE}")
    assert page.status_code == 200
    async with cookieless_client(app, LOCAL) as local:
        text = (await local.get("/metrics")).text
    after = samples(text)

    # then each moved by exactly what happened
    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("consult_graphql_operations_total", operation="PartyList", type="query") == 1
    assert moved("consult_graphql_operation_duration_seconds_count", operation="PartyList", type="query") == 1
    assert moved("consult_graphql_operations_total", operation="anonymous:parties", type="query") == 1
    assert moved("consult_graphql_operations_total", operation="other", type="query") == 1
    assert moved("consult_graphql_operations_total", operation="anonymous:createParty", type="mutation") == 1
    assert moved("consult_errors_total", kind="user", code="UNAUTHENTICATED") == 1
    assert moved("consult_errors_total", kind="graphql", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert moved("consult_http_requests_total", method="POST", route="/graphql", status="200") == 5
    assert moved("consult_http_request_duration_seconds_count", method="POST", route="/graphql") == 5
    assert moved("consult_http_requests_total", method="GET", route="/i/{code}", status="200") == 1
    # the slip's code is nowhere, nor the overlong name
    assert SLIP_CODE not in text and "X" * 80 not in text
    # the database pool: SQLite's one connection, PostgreSQL's pool
    assert value(after, "consult_db_pool_connections", state="max") >= 1
    assert value(after, "consult_db_pool_connections", state="open") >= 1
    assert (
        0
        <= value(after, "consult_db_pool_connections", state="idle")
        <= value(after, "consult_db_pool_connections", state="open")
    )
    assert ("consult_live_subscriptions", frozenset()) in after


async def test_every_answer_carries_a_request_id_and_a_sane_one_is_kept(app, anon: Client):
    made = await anon.http.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32
    again = await anon.http.get("/healthz")
    assert again.headers["x-request-id"] != made.headers["x-request-id"]
    kept = await anon.http.get("/healthz", headers={"X-Request-ID": "lb-7f3a.2"})
    assert kept.headers["x-request-id"] == "lb-7f3a.2"
    for bad in ["a" * 65, "two words", SLIP_CODE, "<script>"]:
        replaced = await anon.http.get("/healthz", headers={"X-Request-ID": bad})
        assert replaced.headers["x-request-id"] != bad and len(replaced.headers["x-request-id"]) == 32


async def test_by_default_only_this_machine_may_scrape_and_not_through_a_proxy(app, anon: Client):
    # the test client's address is 198.51.100.7, not this machine
    remote = await anon.http.get("/metrics")
    assert remote.status_code == 403 and "consult_" not in remote.text
    async with cookieless_client(app, LOCAL) as local:
        proxied = await local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert proxied.status_code == 403 and "consult_" not in proxied.text
        assert (await local.get("/metrics", headers={"Forwarded": "for=203.0.113.9"})).status_code == 403
        posted = await local.post("/metrics")
        assert posted.status_code == 405
    async with cookieless_client(app, ("::1", 51000)) as local6:
        assert (await local6.get("/metrics")).status_code == 200


async def test_with_a_token_anyone_holding_it_may_scrape_and_no_one_else(settings, session_clock):
    token = "scrape-token-0123456789abcdef"
    app = create_app(
        Settings(**{**settings.__dict__, "metrics": "token", "metrics_token": token}),
        manage_database=False,
        clock=session_clock,
    )
    async with cookieless_client(app) as remote:
        assert (await remote.get("/metrics", headers={"Authorization": f"Bearer {token}"})).status_code == 200
        for header in [None, "Bearer wrong-token-0123456789abcdef", f"Basic {token}", f"Bearer {token}x", "Bearer "]:
            refused = await remote.get("/metrics", headers={"Authorization": header} if header else {})
            assert refused.status_code == 403 and "consult_" not in refused.text
    # this machine is no exception in token mode
    async with cookieless_client(app, LOCAL) as local:
        assert (await local.get("/metrics")).status_code == 403


async def test_metrics_can_be_turned_off(settings, session_clock):
    app = create_app(Settings(**{**settings.__dict__, "metrics": "off"}), manage_database=False, clock=session_clock)
    async with cookieless_client(app, LOCAL) as local:
        gone = await local.get("/metrics")
    assert gone.status_code == 404 and "consult_" not in gone.text


@pytest.mark.parametrize(
    "env",
    [
        {"CONSULT_METRICS": "token"},
        {"CONSULT_METRICS": "token", "CONSULT_METRICS_TOKEN": "short"},
        {"CONSULT_METRICS": "everyone"},
        {"CONSULT_LOG_FORMAT": "xml"},
    ],
)
def test_serve_refuses_a_metrics_or_log_setting_it_cannot_honour(env, tmp_path):
    result = run(
        "serve",
        "--port",
        "1",
        env={"CONSULT_DATABASE_URL": f"sqlite://{tmp_path}/x.sqlite3", "CONSULT_SECRET_KEY": "k", **env},
        check=False,
    )
    assert result.returncode == 2 and "Bad configuration" in result.stderr


# ---------------------------------------------------------------- a served app


@pytest.fixture
def app_env(scratch_databases):
    """A database of its own, migrated, with an admin (as the live tests build it)."""
    return {"CONSULT_DATABASE_URL": scratch_databases.copy("live-admin", _migrated_with_admin), **SECRET}


def http_get(port: int, path: str, headers: dict | None = None) -> tuple[int, str, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def served_scrape(port: int) -> dict:
    status, text, _ = http_get(port, "/metrics")
    assert status == 200, text
    return samples(text)


def test_json_logs_carry_request_ids_and_never_a_code_or_token(app_env, tmp_path):
    # given the served app writing JSON logs
    env = {**app_env, "CONSULT_LOG_FORMAT": "json"}
    server = served(env, tmp_path, log_level="info")
    with server as port:
        # when residents redeem their slips (codes written into the query), sign in, and open a slip's page
        s = setup(port)
        assert gql(port, "query Roll { parties { id } }", token=s["org"]) == {"parties": []}
        status, _, headers = http_get(port, f"/i/{SLIP_CODE}", {"X-Request-ID": "trace-42", "Cookie": "a=b"})
        assert status == 200 and headers["x-request-id"] == "trace-42"
        time.sleep(0.5)
    log = server.log_path.read_text()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    # then every line is JSON with the fields, and each request's line has its ID, route and status
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    requests = [line for line in lines if line["logger"] == "consult.access"]
    assert len(requests) >= 10
    assert all(len(line["request_id"]) >= 8 and isinstance(line["duration_ms"], float) for line in requests)
    assert len({line["request_id"] for line in requests}) == len(requests)
    slip = [line for line in requests if line["request_id"] == "trace-42"]
    assert [(line["method"], line["route"], line["status"]) for line in slip] == [("GET", "/i/{code}", 200)]
    assert {"operation": "Roll", "route": "/graphql", "status": 200}.items() <= next(
        line for line in requests if line.get("operation") == "Roll"
    ).items()
    # and no code, token or cookie reached the log, in any line, JSON or not
    for secret in [SLIP_CODE, s["org"], *s["residents"], "a=b"]:
        assert secret not in log
    assert "redeemInvitation(input" not in log


def test_a_live_subscription_and_its_push_delay_show_in_the_scrape(app_env, tmp_path):
    with served(app_env, tmp_path) as port:
        s = setup(port)
        before = served_scrape(port)
        assert value(before, "consult_live_subscriptions") == 0

        async def scenario() -> tuple[dict, dict]:
            # given a subscriber that has had the replay
            t = await Transport.connect(port)
            await t.subscribe(EVENTS, {"id": s["cid"], "after": 0})
            replay = await t.events(1)
            assert replay[0]["kind"] == "CREATED"
            while True:  # the rest of the replay
                try:
                    await t.next(timeout=0.5)
                except TimeoutError:
                    break
            during = await asyncio.to_thread(served_scrape, port)
            # when a demand is submitted, it is pushed
            await asyncio.to_thread(demand, port, s, "路灯不亮")
            [live] = await t.events(1)
            assert live["kind"] == "DEMAND_SUBMITTED"
            await t.close()
            await asyncio.sleep(0.5)
            return during, await asyncio.to_thread(served_scrape, port)

        during, after = asyncio.run(scenario())
    # then the gauge counted the stream while it was open, and the push was timed
    assert value(during, "consult_live_subscriptions") == 1
    assert value(after, "consult_live_subscriptions") == 0
    assert (
        value(after, "consult_live_push_delay_seconds_count") - value(before, "consult_live_push_delay_seconds_count")
        == 1
    )
    assert 0 < value(after, "consult_live_push_delay_seconds_sum") < 5
    assert (
        value(during, "consult_graphql_operations_total", operation="anonymous:consultationEvents", type="subscription")
        == 1
    )


@pytest.mark.skipif(BACKEND != "postgres", reason="several workers need PostgreSQL")
def test_with_two_workers_any_scrape_counts_what_both_did(app_env, tmp_path):
    # given two workers told to share a metrics directory where an earlier run left its files
    shared = tmp_path / "metrics"
    shared.mkdir()
    (shared / "gauge_livesum_999999.db").write_bytes(b"left over from a run that crashed")
    env = {**app_env, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    with served(env, tmp_path, workers=2) as port:
        # when twenty requests come in (each on a new connection, to whichever worker takes it)
        for _ in range(20):
            assert gql(port, "query Twenty { parties { id } }") == {"parties": []}
        files = sorted(path.name for path in shared.iterdir())
        # and a worker that was killed left 5 live subscriptions in its gauge file
        gone = subprocess.Popen(["true"])
        gone.wait()
        ghost = MmapedDict(str(shared / f"gauge_livesum_{gone.pid}.db"))
        help_text = "Live subscriptions open."
        ghost.write_value(mmap_key("consult_live_subscriptions", "consult_live_subscriptions", [], [], help_text), 5, 0)
        ghost.close()
        scrapes = [served_scrape(port) for _ in range(6)]
    # then both workers write there, what the earlier run left is gone, and the operator's directory stays
    assert "gauge_livesum_999999.db" not in files
    assert len({name.rsplit("_", 1)[1] for name in files if name.startswith("gauge_livesum_")}) == 2
    assert shared.is_dir()
    # the dead worker's gauge was dropped at the first scrape
    assert not (shared / f"gauge_livesum_{gone.pid}.db").exists()
    # and every scrape, whichever worker answered it, counts all twenty
    for scrape in scrapes:
        assert value(scrape, "consult_graphql_operations_total", operation="Twenty", type="query") == 20
        assert value(scrape, "consult_graphql_operation_duration_seconds_count", operation="Twenty", type="query") == 20
        assert value(scrape, "consult_live_subscriptions") == 0
        assert value(scrape, "consult_db_pool_connections", state="open") >= 1
