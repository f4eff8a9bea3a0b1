"""graphql-transport-ws to the letter (the graphql-ws library's PROTOCOL.md), rule by rule, with raw
frames against a served app; and the reference client's view: one bad operation is answered on
its own and every other subscription on the socket lives on."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import websockets

from tests.cli.test_cli import served
from tests.live.test_subscriptions import EVENTS, _migrated_with_admin, demand, gql, login, ok, setup

PROTOCOL = "graphql-transport-ws"
TYPENAME = "{ __typename }"


@pytest.fixture(scope="module")
def port(scratch_databases, tmp_path_factory):
    env = {
        "CONSULT_DATABASE_URL": scratch_databases.copy("live-admin", _migrated_with_admin),
        "CONSULT_SECRET_KEY": "live-test-secret",
    }
    with served(env, tmp_path_factory.mktemp("ws")) as p:
        yield p


@pytest.fixture(scope="module")
def case(port):
    """An organizer and a consultation collecting demands, on the module's server."""
    return setup(port)


async def _open(port: int, init: bool = True):
    ws = await websockets.connect(
        f"ws://127.0.0.1:{port}/graphql", subprotocols=[PROTOCOL], origin=f"http://127.0.0.1:{port}"
    )
    if init:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {"type": "connection_ack"}
    return ws


async def _message(ws, timeout: float = 10) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if message["type"] not in ("ping", "pong"):
            return message


async def _closed_with(ws) -> tuple[int | None, str]:
    """The close code and reason the server sent (waiting for it)."""
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    return ws.close_code, ws.close_reason or ""


def _subscribe(op: str | object, query: object, **payload) -> str:
    return json.dumps({"id": op, "type": "subscribe", "payload": {"query": query, **payload}})


def _run(coroutine) -> None:
    asyncio.run(coroutine)


@pytest.mark.parametrize(
    "frame",
    [
        "null",
        '"connection_init"',
        "42",
        "[]",
        "{}",
        '{"type": 1}',
        "not json",
        '{"type": "ping", "payload": "x"}',
        '{"type": "complete", "id": 7}',
        '{"type": "whatever"}',
    ],
    ids=[
        "null",
        "string",
        "number",
        "array",
        "no type",
        "numeric type",
        "not json",
        "ping payload",
        "numeric id",
        "unknown",
    ],
)
def test_a_frame_that_is_no_message_closes_with_4400(port, frame):
    async def scenario() -> None:
        ws = await _open(port)
        await ws.send(frame)
        code, _reason = await _closed_with(ws)
        assert code == 4400

    _run(scenario())


@pytest.mark.parametrize(
    "frame",
    [
        _subscribe("", TYPENAME),
        _subscribe(5, TYPENAME),
        _subscribe(None, TYPENAME),
        json.dumps({"id": "1", "type": "subscribe"}),
        json.dumps({"id": "1", "type": "subscribe", "payload": "query"}),
        _subscribe("1", 5),
        _subscribe("1", TYPENAME, variables=[1]),
        _subscribe("1", TYPENAME, variables="x"),
        _subscribe("1", TYPENAME, operationName=3),
        _subscribe("1", TYPENAME, extensions=[]),
    ],
    ids=[
        "empty id",
        "numeric id",
        "null id",
        "no payload",
        "string payload",
        "numeric query",
        "array variables",
        "string variables",
        "numeric operationName",
        "array extensions",
    ],
)
def test_a_malformed_subscribe_closes_with_4400_and_runs_nothing(port, frame):
    async def scenario() -> None:
        ws = await _open(port)
        await ws.send(frame)
        code, reason = await _closed_with(ws)
        assert code == 4400 and reason

    _run(scenario())


def test_the_handshake_rules(port):
    async def scenario() -> None:
        # a subscribe before connection_init is 4401
        ws = await _open(port, init=False)
        await ws.send(_subscribe("1", TYPENAME))
        assert (await _closed_with(ws))[0] == 4401
        # a second connection_init is 4429
        ws = await _open(port)
        await ws.send(json.dumps({"type": "connection_init"}))
        assert (await _closed_with(ws))[0] == 4429
        # a ping is answered with a pong, before and after the handshake; a pong needs no answer
        ws = await _open(port, init=False)
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong"
        await ws.send(json.dumps({"type": "connection_init", "payload": None}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        await ws.send(json.dumps({"type": "pong"}))
        await ws.send(json.dumps({"type": "ping", "payload": {"at": 1}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong"
        await ws.close()
        # a subprotocol other than the two served is refused
        other = await websockets.connect(
            f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-sse"], origin=f"http://127.0.0.1:{port}"
        )
        assert (await _closed_with(other))[0] == 4406

    _run(scenario())


def test_a_query_is_answered_then_completed_and_its_id_is_free_again(port):
    async def scenario() -> None:
        ws = await _open(port)
        for _ in range(2):
            await ws.send(_subscribe("q", TYPENAME))
            assert await _message(ws) == {"id": "q", "type": "next", "payload": {"data": {"__typename": "Query"}}}
            assert await _message(ws) == {"id": "q", "type": "complete"}
        await ws.close()

    _run(scenario())


def test_a_bad_operation_gets_an_error_for_itself_and_the_other_subscriptions_live_on(port, case):
    async def scenario() -> None:
        s = case
        head = gql(port, "query($id: ID!) { consultation(id: $id) { auditTrail { totalCount } } }", {"id": s["cid"]})[
            "consultation"
        ]["auditTrail"]["totalCount"]
        ws = await _open(port)
        # given a live subscription on the socket
        await ws.send(_subscribe("live", EVENTS, variables={"id": s["cid"], "after": head}))
        await asyncio.sleep(0.5)
        # when operations that cannot run arrive on the same socket
        bad = {
            "syntax": "subscription {",
            "validation": "subscription { noSuchField }",
            "unknown name": "query A { __typename }",
            "empty": "{ }",
        }
        for op, query in bad.items():
            extra = {"operationName": "B"} if op == "unknown name" else {}
            await ws.send(_subscribe(op, query, **extra))
            answer = await _message(ws)
            # then each gets an error message of its own, in words, and nothing else
            assert answer["type"] == "error" and answer["id"] == op, answer
            assert answer["payload"] and all(e["message"] for e in answer["payload"])
            assert "Internal error" not in json.dumps(answer, ensure_ascii=False)
        unknown = [e["message"] for e in answer["payload"]]
        # while the live subscription still delivers
        title = await asyncio.to_thread(demand, port, s, "协议测试")
        event = await _message(ws)
        assert event["id"] == "live" and event["type"] == "next", event
        assert event["payload"]["data"]["consultationEvents"]["kind"] == "DEMAND_SUBMITTED", title
        # a client's complete stops it: nothing more arrives for it
        await ws.send(json.dumps({"id": "live", "type": "complete"}))
        await asyncio.sleep(0.3)
        await asyncio.to_thread(demand, port, s, "停止以后")
        with pytest.raises(TimeoutError):
            await _message(ws, timeout=1.5)
        # and an id in use is 4409
        await ws.send(_subscribe("again", EVENTS, variables={"id": s["cid"], "after": 10_000}))
        await ws.send(_subscribe("again", EVENTS, variables={"id": s["cid"], "after": 10_000}))
        code, reason = await _closed_with(ws)
        assert code == 4409 and "again" in reason
        assert unknown and all(m for m in unknown)

    _run(scenario())


def test_an_unknown_operation_name_says_so(port):
    async def scenario() -> None:
        ws = await _open(port)
        await ws.send(_subscribe("1", "query A { __typename } query B { __typename }", operationName="C"))
        answer = await _message(ws)
        assert answer["type"] == "error" and '"C"' in answer["payload"][0]["message"]
        await ws.close()

    _run(scenario())


JS = Path(__file__).resolve().parents[1] / "js"


@pytest.mark.skipif(
    shutil.which("node") is None or not (JS / "node_modules" / "graphql-ws").exists(),
    reason="needs node and `npm ci --prefix tests/js` (make test does it when node is present)",
)
def test_the_reference_client_sees_a_bad_operation_refused_while_its_live_one_goes_on(port, case):
    s = case
    head = gql(port, "query($id: ID!) { consultation(id: $id) { auditTrail { totalCount } } }", {"id": s["cid"]})[
        "consultation"
    ]["auditTrail"]["totalCount"]
    node = subprocess.Popen(
        ["node", str(JS / "bad-beside-live.mjs"), f"ws://127.0.0.1:{port}/graphql", s["cid"], str(head)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # the bad operation is refused with its syntax error, as an error of its own
    refused = json.loads(node.stdout.readline())
    assert refused["bad"] and "Syntax Error" in refused["bad"][0]
    # and a write afterwards still reaches the live subscription on the same socket
    demand(port, s, "参考客户端坏操作")
    out, err = node.stdout.read(), node.stderr.read()
    node.wait(timeout=30)
    assert node.returncode == 0, err
    assert json.loads(out.splitlines()[0]) == {"live": head + 1}


def test_each_operation_on_a_socket_is_asked_as_who_the_token_stands_for_now(port):
    # given an organizer of its own with a consultation and its roll, acting at the district
    admin = login(port, "admin", "admin-password")
    me = ok(
        port,
        "createAccount",
        {
            "username": "moved-org",
            "password": "moved-org-lane-7Q",
            "displayName": "调动的组织方",
            "roles": ["ORGANIZER"],
        },
        "account { id }",
        admin,
    )["account"]["id"]
    org = login(port, "moved-org", "moved-org-lane-7Q")
    new = {"title": "别处的路", "summary": "修路", "location": "临河区"}
    cid = ok(port, "createConsultation", new, "consultation { id }", org)["consultation"]["id"]
    ok(port, "setVoterRoll", {"consultationId": cid, "voters": [{"label": "9 号"}]}, "entries { id }", org)
    street = gql(port, "{ areas(kind: STREET) { id } }")["areas"][0]["id"]
    elsewhere = {"kind": "COMMUNITY", "name": "别处社区", "parentId": street}
    elsewhere_id = ok(port, "createArea", elsewhere, "area { id }", admin)["area"]["id"]
    roll = "query($id: ID!) { consultation(id: $id) { voterRoll { label } } }"

    async def go():
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port}/graphql", subprotocols=[PROTOCOL], origin=f"http://127.0.0.1:{port}"
        )
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {org}"}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {"type": "connection_ack"}
        await ws.send(_subscribe("1", roll, variables={"id": cid}))
        first = await _message(ws)
        assert first["payload"]["data"]["consultation"]["voterRoll"] == [{"label": "9 号"}]
        assert (await _message(ws)) == {"id": "1", "type": "complete"}
        # when an admin moves the organizer to another community, the socket still open
        ok(port, "setStaffAreas", {"accountId": me, "areaIds": [elsewhere_id]}, "account { id }", admin)
        # then the next query on the same socket reads as the organizer acts now: the draft, out
        # of their reach, is not there for them
        await ws.send(_subscribe("2", roll, variables={"id": cid}))
        second = await _message(ws)
        assert second["id"] == "2" and second["payload"]["data"] == {"consultation": None}
        await ws.close()

    _run(go())
