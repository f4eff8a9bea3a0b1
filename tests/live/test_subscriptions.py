"""Subscriptions end to end: a served app, real WebSocket clients, both protocols."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import websockets

from tests.cli.test_cli import post, run, served
from tests.conftest import BACKEND, POSTGRES_URL

EVENTS = (
    "subscription($id: ID!, $after: Int) { "
    "consultationEvents(consultationId: $id, afterSeq: $after) { seq kind summary subjectId } }"
)
TALLY = "subscription($id: ID!) { pollTally(pollId: $id) { version ballotsCast outcome options { votes } } }"


SECRET = {"CONSULT_SECRET_KEY": "live-test-secret"}


def _migrated_with_admin(url: str, _folder: Path) -> None:
    env = {"CONSULT_DATABASE_URL": url, **SECRET}
    run("migrate", env=env)
    run("create-admin", "--username", "admin", "--password", "admin-password", env=env)


@pytest.fixture
def app_env(scratch_databases):
    """A database of its own per test, copied from one migrated once with an admin."""
    return {"CONSULT_DATABASE_URL": scratch_databases.copy("live-admin", _migrated_with_admin), **SECRET}


def gql(port: int, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    body = post(port, query, variables, token)
    assert not body.get("errors"), body
    return body["data"]


def ok(port: int, name: str, input: dict, select: str, token: str, input_type: str | None = None) -> dict:
    t = input_type or name[0].upper() + name[1:] + "Input"
    data = gql(
        port,
        f"mutation($i: {t}!) {{ {name}(input: $i) {{ {select} errors {{ code message }} }} }}",
        {"i": input},
        token,
    )
    assert data[name]["errors"] == [], data[name]["errors"]
    return data[name]


def login(port: int, username: str, password: str) -> str:
    return gql(port, f'mutation {{ login(input: {{username: "{username}", password: "{password}"}}) {{ token }} }}')[
        "login"
    ]["token"]


def setup(port: int) -> dict:
    """An organizer and a COLLECTING consultation with two residents on the roll."""
    admin = login(port, "admin", "admin-password")
    ok(
        port,
        "createAccount",
        {"username": "org", "password": "org-caiyuan-lane", "displayName": "组织方", "roles": ["ORGANIZER"]},
        "account { id }",
        admin,
    )
    org = login(port, "org", "org-caiyuan-lane")
    cid = ok(
        port,
        "createConsultation",
        {"title": "菜园巷", "summary": "修路", "location": "临河区"},
        "consultation { id }",
        org,
    )["consultation"]["id"]
    ok(
        port,
        "setVoterRoll",
        {"consultationId": cid, "voters": [{"label": "1 号"}, {"label": "2 号"}]},
        "entries { id }",
        org,
    )
    codes = [
        i["code"]
        for i in ok(port, "issueInvitations", {"consultationId": cid}, "invitations { code }", org)["invitations"]
    ]
    residents = [
        gql(port, f'mutation {{ redeemInvitation(input: {{code: "{c}"}}) {{ token }} }}')["redeemInvitation"]["token"]
        for c in codes
    ]
    ok(port, "advanceStage", {"consultationId": cid, "to": "COLLECTING"}, "consultation { id }", org)
    return {"org": org, "cid": cid, "residents": residents}


def demand(port: int, s: dict, title: str) -> str:
    return ok(
        port,
        "submitDemand",
        {"consultationId": s["cid"], "title": title, "body": "内容", "channel": "HOTLINE"},
        "demand { id }",
        s["org"],
    )["demand"]["id"]


class Transport:
    """A minimal graphql-transport-ws client."""

    def __init__(self, ws) -> None:
        self.ws = ws

    @classmethod
    async def connect(cls, port: int, payload: dict | None = None) -> Transport:
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"], origin=f"http://127.0.0.1:{port}"
        )
        await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        return cls(ws)

    async def subscribe(self, query: str, variables: dict, op: str = "1") -> None:
        await self.ws.send(
            json.dumps({"id": op, "type": "subscribe", "payload": {"query": query, "variables": variables}})
        )

    async def next(self, timeout: float = 10) -> dict:
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if message["type"] in ("ping", "pong"):
                continue
            return message

    async def events(self, n: int) -> list[dict]:
        out = []
        while len(out) < n:
            m = await self.next()
            assert m["type"] == "next", m
            out.append(m["payload"]["data"]["consultationEvents"])
        return out

    async def nothing_for(self, seconds: float) -> None:
        with pytest.raises(TimeoutError):
            while True:
                m = json.loads(await asyncio.wait_for(self.ws.recv(), seconds))
                if m["type"] not in ("ping", "pong"):
                    raise AssertionError(f"unexpected {m}")

    async def close(self) -> None:
        await self.ws.close()


def test_replay_then_live_then_resume_without_gaps(app_env, tmp_path):
    with served(app_env, tmp_path) as port:
        s = setup(port)
        total = gql(port, "query($id: ID!) { consultation(id: $id) { auditTrail { totalCount } } }", {"id": s["cid"]})[
            "consultation"
        ]["auditTrail"]["totalCount"]

        async def scenario():
            # given a subscriber from the start: the whole trail is replayed, CREATED first
            t = await Transport.connect(port)
            await t.subscribe(EVENTS, {"id": s["cid"], "after": 0})
            replay = await t.events(total)
            assert [e["seq"] for e in replay] == list(range(1, total + 1))
            assert replay[0]["kind"] == "CREATED" and replay[-1]["kind"] == "STAGE_CHANGED"
            # when a demand is submitted, it arrives live with the next seq
            await asyncio.to_thread(demand, port, s, "路灯不亮")
            [live] = await t.events(1)
            assert (live["seq"], live["kind"]) == (total + 1, "DEMAND_SUBMITTED")
            await t.close()
            # when two more writes happen while disconnected, a resume with afterSeq gets exactly those
            await asyncio.to_thread(demand, port, s, "积水")
            await asyncio.to_thread(demand, port, s, "噪声")
            t = await Transport.connect(port)
            await t.subscribe(EVENTS, {"id": s["cid"], "after": total + 1})
            resumed = await t.events(2)
            assert [e["seq"] for e in resumed] == [total + 2, total + 3]
            await t.nothing_for(1.0)
            await t.close()

        asyncio.run(scenario())


def test_no_event_is_duplicated_or_lost_across_the_replay_live_edge_under_writes(app_env, tmp_path):
    with served(app_env, tmp_path) as port:
        s = setup(port)
        writes = 30
        did = demand(port, s, "路面破损")

        def burst():
            for i in range(writes):
                demand(port, s, f"诉求 {i}")

        async def scenario():
            writer = threading.Thread(target=burst)
            writer.start()
            # subscribe while the writes are landing
            t = await Transport.connect(port)
            await t.subscribe(EVENTS, {"id": s["cid"], "after": 0})
            await asyncio.to_thread(writer.join)
            head = gql(
                port, "query($id: ID!) { consultation(id: $id) { auditTrail { totalCount } } }", {"id": s["cid"]}
            )["consultation"]["auditTrail"]["totalCount"]
            got = await t.events(head)
            assert [e["seq"] for e in got] == list(range(1, head + 1))
            await t.nothing_for(1.0)
            await t.close()

        assert did
        asyncio.run(scenario())


def test_drafts_are_for_organizers_and_bad_tokens_are_refused(app_env, tmp_path):
    with served(app_env, tmp_path) as port:
        admin = login(port, "admin", "admin-password")
        cid = ok(
            port,
            "createConsultation",
            {"title": "草稿", "summary": "内部", "location": "某地"},
            "consultation { id }",
            admin,
        )["consultation"]["id"]

        async def scenario():
            # anonymous: the DRAFT does not exist for them
            t = await Transport.connect(port)
            await t.subscribe(EVENTS, {"id": cid, "after": 0})
            m = await t.next()
            assert m["payload"]["data"] is None and m["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND", m
            await t.close()
            # the admin with a bearer token in connection_init sees it
            t = await Transport.connect(port, {"Authorization": f"Bearer {admin}"})
            await t.subscribe(EVENTS, {"id": cid, "after": 0})
            [created] = await t.events(1)
            assert created["kind"] == "CREATED"
            await t.close()
            # a bad token is refused at connection time
            ws = await websockets.connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"])
            await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer nope"}}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd.code == 4403

        asyncio.run(scenario())


def test_a_signed_out_phone_stops_receiving_within_the_session_recheck(app_env, tmp_path):
    # Streams re-check the session on a schedule, not on every wake (CONSULT_SESSION_RECHECK_SECONDS).
    with served({**app_env, "CONSULT_SESSION_RECHECK_SECONDS": "1"}, tmp_path) as port:
        s = setup(port)
        resident = s["residents"][0]

        async def scenario():
            t = await Transport.connect(port, {"Authorization": f"Bearer {resident}"})
            seen = gql(
                port,
                "query($id: ID!) { consultation(id: $id) { auditTrail(first: 1) { totalCount } } }",
                {"id": s["cid"]},
                resident,
            )["consultation"]["auditTrail"]["totalCount"]
            await t.subscribe(EVENTS, {"id": s["cid"], "after": seen})
            # given a signed-in phone that receives a change
            demand(port, s, "路灯不亮")
            [event] = await t.events(1)
            assert event["kind"] == "DEMAND_SUBMITTED"
            # when it signs out, and a change comes after the re-check interval
            assert gql(port, "mutation { logout }", token=resident)["logout"] is True
            await asyncio.sleep(1.2)
            demand(port, s, "下水道堵了")
            # then the stream ends without sending it
            message = await t.next()
            assert message["type"] == "complete", message
            await t.close()

        asyncio.run(scenario())


def _moved_organizer(port: int) -> dict:
    """The setup's organizer, a draft of theirs in 本社区, and a village elsewhere (五川镇 五川村)."""
    s = setup(port)
    s["admin"] = login(port, "admin", "admin-password")
    areas = gql(port, "{ areas { id kind } }", token=s["admin"])["areas"]
    district = next(a["id"] for a in areas if a["kind"] == "DISTRICT")
    town = ok(port, "createArea", {"kind": "STREET", "name": "五川镇", "parentId": district}, "area { id }", s["admin"])
    under_town = {"kind": "COMMUNITY", "name": "五川村", "parentId": town["area"]["id"]}
    s["village"] = ok(port, "createArea", under_town, "area { id }", s["admin"])["area"]["id"]
    draft = {"title": "草拟中的事项", "summary": "还没公布", "location": "本社区"}
    s["draft"] = ok(port, "createConsultation", draft, "consultation { id }", s["org"])["consultation"]["id"]
    s["org_id"] = gql(port, "{ viewer { id } }", token=s["org"])["viewer"]["id"]
    return s


async def _moved_ends_the_stream(watched: int, written: int, s: dict) -> None:
    """The organizer watches its draft through `watched`; an admin moves them through `written`."""
    t = await Transport.connect(watched, {"Authorization": f"Bearer {s['org']}"})
    await t.subscribe(EVENTS, {"id": s["draft"]})
    [created] = await t.events(1)
    assert created["kind"] == "CREATED"
    # when an admin moves the organizer to a village elsewhere
    moved = {"accountId": s["org_id"], "areaIds": [s["village"]]}
    await asyncio.to_thread(ok, written, "setStaffAreas", moved, "account { id }", s["admin"])
    # then the stream of the draft it no longer reaches ends at once, with nothing more sent
    message = await t.next(timeout=5)
    assert message["type"] == "complete", message
    await t.close()


def test_an_organizer_moved_elsewhere_stops_receiving_a_drafts_events_at_once(app_env, tmp_path):
    # the session's periodic re-check is ten minutes away here; a move does not wait for it
    with served({**app_env, "CONSULT_SESSION_RECHECK_SECONDS": "600"}, tmp_path) as port:
        s = _moved_organizer(port)
        asyncio.run(_moved_ends_the_stream(port, port, s))


@pytest.mark.skipif(BACKEND != "postgres", reason="events cross processes through PostgreSQL LISTEN/NOTIFY")
def test_a_move_made_through_another_process_ends_the_stream_at_once_too(app_env, tmp_path):
    env = {**app_env, "CONSULT_SESSION_RECHECK_SECONDS": "600"}
    with served(env, tmp_path) as a, served(env, tmp_path) as b:
        s = _moved_organizer(a)
        asyncio.run(_moved_ends_the_stream(a, b, s))


def test_poll_tally_pushes_versions_and_respects_hidden_results(app_env, tmp_path):
    with served(app_env, tmp_path) as port:
        s = setup(port)
        org = s["org"]
        ok(port, "advanceStage", {"consultationId": s["cid"], "to": "DELIBERATING"}, "consultation { id }", org)
        live = ok(
            port,
            "createPoll",
            # named: its count is pushed with each ballot (a secret one is pushed per batch of 5)
            {"consultationId": s["cid"], "question": "同意吗？", "kind": "YES_NO_ABSTAIN", "secret": False},
            "poll { id options { id } }",
            org,
        )["poll"]
        hidden = ok(
            port,
            "createPoll",
            {"consultationId": s["cid"], "question": "保密吗？", "kind": "YES_NO_ABSTAIN", "liveResults": False},
            "poll { id options { id } }",
            org,
        )["poll"]
        ok(port, "advanceStage", {"consultationId": s["cid"], "to": "VOTING"}, "consultation { id }", org)
        for p in (live, hidden):
            ok(port, "openPoll", {"pollId": p["id"]}, "poll { id }", org, "PollIdInput")

        async def scenario():
            t = await Transport.connect(port)
            await t.subscribe(TALLY, {"id": live["id"]}, "live")
            await t.subscribe(TALLY, {"id": hidden["id"]}, "hidden")
            first = await t.next()
            assert first["id"] == "live" and first["payload"]["data"]["pollTally"]["ballotsCast"] == 0
            for p in (live, hidden):
                await asyncio.to_thread(
                    ok,
                    port,
                    "castVote",
                    {"pollId": p["id"], "choices": [p["options"][0]["id"]]},
                    "ballot { id }",
                    s["residents"][0],
                )
            pushed = await t.next()
            assert pushed["id"] == "live" and pushed["payload"]["data"]["pollTally"]["ballotsCast"] == 1
            await t.nothing_for(1.0)  # the hidden poll says nothing while open
            await asyncio.to_thread(ok, port, "closePoll", {"pollId": hidden["id"]}, "poll { id }", org, "PollIdInput")
            final = await t.next()
            assert final["id"] == "hidden"
            assert final["payload"]["data"]["pollTally"] == {
                "version": 1,
                "ballotsCast": 1,
                "outcome": "PASSED",
                "options": [{"votes": 1}, {"votes": 0}, {"votes": 0}],
            }
            await t.close()

        asyncio.run(scenario())


def test_the_legacy_graphql_ws_protocol_works_too(app_env, tmp_path):
    with served(app_env, tmp_path) as port:
        s = setup(port)

        async def scenario():
            ws = await websockets.connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-ws"])
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "start",
                        "payload": {"query": EVENTS, "variables": {"id": s["cid"], "after": 0}},
                    }
                )
            )
            seen = []
            while len(seen) < 3:
                m = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if m["type"] == "data":
                    seen.append(m["payload"]["data"]["consultationEvents"]["seq"])
            assert seen == [1, 2, 3]
            await ws.close()

        asyncio.run(scenario())


def test_on_the_legacy_protocol_each_operation_is_asked_as_who_the_token_is_now(app_env, tmp_path):
    with served(app_env, tmp_path) as port:
        s = setup(port)

        async def scenario():
            ws = await websockets.connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-ws"])
            await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {s['org']}"}}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"

            async def first_answer(op: str) -> dict:
                start = {"id": op, "type": "start", "payload": {"query": "subscription { noticesChanged { unread } }"}}
                await ws.send(json.dumps(start))
                while True:
                    m = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    if m.get("id") == op and m["type"] in ("data", "error"):
                        return m

            # given the organizer's bell on a socket opened while signed in
            bell = await first_answer("1")
            assert bell["type"] == "data" and bell["payload"]["data"]["noticesChanged"] == {"unread": 0}
            # when the organizer signs out elsewhere, a new operation on the same socket gets no bell
            assert gql(port, "mutation { logout }", token=s["org"])["logout"] is True
            after = await first_answer("2")
            assert after["type"] == "error" or after["payload"].get("errors"), after
            await ws.close()

        asyncio.run(scenario())


def terminate_backends(database: str, only: str = "") -> int:
    """pg_terminate_backend every connection to `database` (narrowed by the SQL in `only`)."""
    killed = subprocess.run(
        [
            "psql",
            POSTGRES_URL.replace("postgres://", "postgresql://", 1),
            "-Atc",
            f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{database}' {only}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(killed.stdout.strip())


@pytest.mark.skipif(BACKEND != "postgres", reason="events cross processes through PostgreSQL LISTEN/NOTIFY")
def test_events_cross_processes_and_survive_a_killed_listener(app_env, tmp_path):
    with served(app_env, tmp_path) as a, served(app_env, tmp_path) as b:
        s = setup(b)

        async def scenario():
            t = await Transport.connect(a)
            head = gql(b, "query($id: ID!) { consultation(id: $id) { auditTrail { totalCount } } }", {"id": s["cid"]})[
                "consultation"
            ]["auditTrail"]["totalCount"]
            await t.subscribe(EVENTS, {"id": s["cid"], "after": head})
            # a write through process B reaches the subscriber on process A
            await asyncio.to_thread(demand, b, s, "跨进程")
            [e] = await t.events(1)
            assert e["seq"] == head + 1
            # when every LISTEN connection is killed, the next writes still arrive, in order, without a gap
            name = app_env["CONSULT_DATABASE_URL"].rsplit("/", 1)[1]
            assert terminate_backends(name, "AND query LIKE 'LISTEN%'") >= 1
            await asyncio.to_thread(demand, b, s, "断线后一")
            await asyncio.to_thread(demand, b, s, "断线后二")
            got = await t.events(2)
            assert [x["seq"] for x in got] == [head + 2, head + 3]
            await t.close()

        asyncio.run(scenario())


JS = Path(__file__).resolve().parents[1] / "js"


@pytest.mark.skipif(
    shutil.which("node") is None or not (JS / "node_modules" / "graphql-ws").exists(),
    reason="needs node and `npm ci --prefix tests/js` (make test does it when node is present)",
)
def test_the_reference_graphql_ws_client_replays_and_receives_live(app_env, tmp_path):
    with served(app_env, tmp_path) as port:
        s = setup(port)
        total = gql(port, "query($id: ID!) { consultation(id: $id) { auditTrail { totalCount } } }", {"id": s["cid"]})[
            "consultation"
        ]["auditTrail"]["totalCount"]
        # given the reference client subscribed from the start and waiting for one live event
        node = subprocess.Popen(
            ["node", str(JS / "subscribe.mjs"), f"ws://127.0.0.1:{port}/graphql", s["cid"], "0", str(total + 1)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # when a demand is submitted once the replay is under way
        first = node.stdout.readline()
        demand(port, s, "参考客户端")
        # Read the rest through the same buffered file: communicate() reads the pipe itself and
        # would lose whatever readline() had already buffered (a replayed seq, now and then).
        out = node.stdout.read()
        err = node.stderr.read()
        node.wait(timeout=30)
        # then it saw every seq, in order, replay and live, and finished cleanly
        seqs = [json.loads(line)["seq"] for line in [first, *out.splitlines()] if line.strip()]
        assert node.returncode == 0, err
        assert seqs == list(range(1, total + 2))


def test_a_secret_ballot_event_names_no_voter_and_no_choice(app_env, tmp_path):
    with served(app_env, tmp_path) as port:
        s = setup(port)
        org = s["org"]
        ok(port, "advanceStage", {"consultationId": s["cid"], "to": "DELIBERATING"}, "consultation { id }", org)
        poll = ok(
            port,
            "createPoll",
            # named: its count is pushed with each ballot (a secret one is pushed per batch of 5)
            {"consultationId": s["cid"], "question": "同意吗？", "kind": "YES_NO_ABSTAIN", "secret": False},
            "poll { id options { id } }",
            org,
        )["poll"]
        ok(port, "advanceStage", {"consultationId": s["cid"], "to": "VOTING"}, "consultation { id }", org)
        ok(port, "openPoll", {"pollId": poll["id"]}, "poll { id }", org, "PollIdInput")
        head = gql(port, "query($id: ID!) { consultation(id: $id) { auditTrail { totalCount } } }", {"id": s["cid"]})[
            "consultation"
        ]["auditTrail"]["totalCount"]

        async def scenario():
            t = await Transport.connect(port, {"Authorization": f"Bearer {org}"})
            await t.subscribe(EVENTS, {"id": s["cid"], "after": head})
            await asyncio.to_thread(
                ok,
                port,
                "castVote",
                {"pollId": poll["id"], "choices": [poll["options"][1]["id"]]},
                "ballot { id }",
                s["residents"][0],
            )
            [e] = await t.events(1)
            # even the organizer's stream shows only that the tally moved
            assert e["kind"] == "TALLY_CHANGED" and e["subjectId"] == poll["id"]
            assert "1 号" not in e["summary"] and "反对" not in e["summary"]
            await t.close()

        asyncio.run(scenario())
