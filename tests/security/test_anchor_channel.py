"""Anchors sent to an outbound channel: every audit event's hash is POSTed, as it commits, to
CONSULT_ANCHOR_URL as well as appended to the anchor file, so a copy lives on a machine that
whoever can write the database does not hold. A receiver that is down or refusing never holds up
or fails a write; what it missed is sent again, in order, once it takes it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from consult.anchors import read
from tests.cli.test_cli import free_port, post, run, served

TOKEN = "anchor-receiver-token"


class Receiver:
    """A receiver as an operator might run one: it appends each accepted body to its own list,
    after refusing the first `refuse` POSTs with 503."""

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.lines: list[dict] = []
        self.posts: list[dict] = []  # every POST: its status, content type and authorization
        self.lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    refused = receiver.refuse > 0
                    receiver.refuse -= 1 if refused else 0
                    receiver.posts.append(
                        {
                            "status": 503 if refused else 200,
                            "type": self.headers["Content-Type"],
                            "auth": self.headers.get("Authorization"),
                        }
                    )
                    if not refused:
                        receiver.lines += [json.loads(line) for line in body.decode().splitlines()]
                self.send_response(503 if refused else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        return Handler

    def accepted(self) -> list[dict]:
        with self.lock:
            return list(self.lines)


@contextmanager
def receiving(receiver: Receiver) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/anchors"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def env(scratch_databases, tmp_path) -> dict[str, str]:
    return {
        "CONSULT_DATABASE_URL": scratch_databases.new(),
        "CONSULT_SECRET_KEY": "anchor-channel-secret",
        "CONSULT_ANCHOR_FILE": str(tmp_path / "anchors.jsonl"),
        "CONSULT_ANCHOR_TOKEN": TOKEN,
        "CONSULT_AUTH_DELAY_SECONDS": "0",
    }


def _wait_for(condition, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_the_demo_s_anchors_reach_the_channel_and_verify_accepts_the_receiver_s_copy(env, tmp_path):
    receiver = Receiver()
    with receiving(receiver) as url:
        # given the demo loaded with an outbound channel configured
        channelled = {**env, "CONSULT_ANCHOR_URL": url}
        run("migrate", env=channelled)
        run("demo", "--out-dir", str(tmp_path), env=channelled)
    # then the receiver holds every anchor the file holds, in the same order
    written = read(Path(env["CONSULT_ANCHOR_FILE"]))
    assert len(written) > 100
    assert receiver.accepted() == written
    # sent as JSON lines with the configured token
    assert {p["type"] for p in receiver.posts} == {"application/x-ndjson"}
    assert {p["auth"] for p in receiver.posts} == {f"Bearer {TOKEN}"}
    # and the receiver's copy is what `consult verify` checks the database against
    copy = tmp_path / "received.jsonl"
    copy.write_text("".join(json.dumps(line) + "\n" for line in receiver.accepted()), encoding="utf-8")
    checked = run("verify", "--anchors", str(copy), env=env)
    assert f"{len(written)} anchors" in checked.stdout


def test_a_refusing_receiver_holds_up_no_write_and_gets_every_anchor_in_order_once_it_takes_them(env, tmp_path):
    receiver = Receiver()
    with receiving(receiver) as url:
        channelled = {**env, "CONSULT_ANCHOR_URL": url}
        run("migrate", env=channelled)
        # given an admin, made by the CLI, whose anchor reached the receiver
        run("create-admin", "--username", "anchor-admin", "--password", "quiet-harbour-lamp-47", env=channelled)
        assert [a.get("trail") for a in receiver.accepted()] == ["installation"]
        with served(channelled, tmp_path) as port:
            # and a receiver that now refuses its next three POSTs
            receiver.refuse = 3
            login = post(
                port,
                "mutation($i: LoginInput!) { login(input: $i) { token errors { code } } }",
                {"i": {"username": "anchor-admin", "password": "quiet-harbour-lamp-47"}},
            )
            token = login["data"]["login"]["token"]
            assert token
            # when the admin makes accounts while the receiver still refuses
            for n in range(3):
                made = post(
                    port,
                    "mutation($i: CreateAccountInput!) { createAccount(input: $i) { account { id } errors { code } } }",
                    {
                        "i": {
                            "username": f"organizer-{n}",
                            "password": f"amber-river-stone-{n}9",
                            "displayName": f"组织者{n}号",
                            "roles": ["ORGANIZER"],
                        }
                    },
                    token,
                )
                # then each write is answered at once, whatever the receiver does
                assert made["data"]["createAccount"]["errors"] == [], made
            written = read(Path(env["CONSULT_ANCHOR_FILE"]))
            assert len(written) == 4
            # and once it takes them, every anchor arrives, none twice, in the order written
            assert _wait_for(lambda: len(receiver.accepted()) >= len(written))
            assert [p["status"] for p in receiver.posts].count(503) == 3
    assert receiver.accepted() == written


def test_a_receiver_that_is_down_fails_no_command_and_is_named_in_the_log(env, tmp_path):
    # given a channel nobody listens on
    down = {**env, "CONSULT_ANCHOR_URL": f"http://127.0.0.1:{free_port()}/anchors"}
    run("migrate", env=down)
    # when an admin is made
    made = run("create-admin", "--username", "down-admin", "--password", "quiet-harbour-lamp-47", env=down)
    # then the command succeeds, its anchor is in the file, and the log says what was not sent
    assert made.returncode == 0
    assert len(read(Path(env["CONSULT_ANCHOR_FILE"]))) >= 1
    assert "锚点外发失败" in made.stderr and "127.0.0.1" in made.stderr


def test_a_channel_that_is_not_http_is_refused_with_a_clear_message(env):
    bad = run(
        "create-admin",
        "--username",
        "x-admin",
        "--password",
        "quiet-harbour-lamp-47",
        check=False,
        env={**env, "CONSULT_ANCHOR_URL": "ftp://example.org/anchors"},
    )
    assert bad.returncode != 0 and "CONSULT_ANCHOR_URL" in bad.stderr and "Traceback" not in bad.stderr
