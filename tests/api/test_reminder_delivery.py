"""Reminders going out: by email to a local SMTP server (aiosmtpd) and to a local HTTP receiver in the
enterprise-chat group robot's format, both started here. Each goes out exactly once per channel and
target, failures are retried with backoff, a restart between raise and delivery still delivers once,
and of two schedulers on one database only one sweeps."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from consult.models import Delivery
from consult.services.reminders import CLAIM_SECONDS, Scheduler, deliver, sweep
from consult.settings import ReminderSettings
from tests.api.helpers import World, create_consultation
from tests.api.test_supervision import open_finding, open_findings, problem, start
from tests.cli.test_cli import run

DELIVERIES = "query { deliveries(first: 50) { totalCount edges { node { channel target status attempts text } } } }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """What the local SMTP server received."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class Receiver:
    """A local HTTP receiver, answering as a group robot does; it fails the first `failures` posts."""

    def __init__(self, failures: int = 0) -> None:
        self.bodies: list[dict] = []
        self.hits = 0
        self.failures = failures
        self.delay = 0.0  # seconds each post takes to be answered

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(receiver.delay)
                receiver.hits += 1
                if receiver.hits <= receiver.failures:
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.bodies.append(json.loads(body))
                answer = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        return Handler


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def receiver(request) -> Iterator[tuple[Receiver, str]]:
    found = Receiver(getattr(request, "param", 0))
    server = ThreadingHTTPServer(("127.0.0.1", 0), found.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found, f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/webhook/send?key=test"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def channels(mailbox, receiver) -> ReminderSettings:
    return ReminderSettings(
        smtp_host="127.0.0.1",
        smtp_port=mailbox[1],
        smtp_tls="off",
        smtp_from="reminders@example.cn",
        webhook_url=receiver[1],
    )


async def finding_due(world: World, clock) -> datetime:
    """A finding due in 2 h; the market's rep and the organizer gave email addresses."""
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    await open_finding(world, cid, t0)
    await world.reps["market"].ok("setAccountEmail", {"email": "market@example.cn"}, "account { id }")
    await world.organizer.ok("setAccountEmail", {"email": "organizer@example.cn"}, "account { id }")
    return t0


async def _sent(box: Mailbox, found: Receiver) -> tuple[list[str], int]:
    # the SMTP server runs in its own thread: give it the moment it needs to hand the message over
    await asyncio.sleep(0)
    return sorted(str(m["To"]) for m in box.messages), len(found.bodies)


async def test_each_reminder_goes_out_once_by_email_and_webhook(
    world: World, clock, channels, mailbox, receiver, database_url
):
    t0 = await finding_due(world, clock)
    box, found = mailbox[0], receiver[0]
    assert await sweep(t0, channels) == 1
    # when it is delivered, and delivery runs again, and the sweep too
    assert await deliver(t0, channels) == 3
    assert await deliver(t0 + timedelta(minutes=10), channels) == 0
    assert await sweep(t0 + timedelta(minutes=10), channels) == 0
    assert await deliver(t0 + timedelta(minutes=20), channels) == 0
    # then each address got one email, and the group one post, in the robot's format
    assert await _sent(box, found) == (["market@example.cn", "organizer@example.cn"], 1)
    [mail] = [m for m in box.messages if str(m["To"]) == "market@example.cn"]
    assert "问题 24 小时内到期" in mail.get_content() and str(mail["From"]) == "reminders@example.cn"
    [post] = found.bodies
    assert post["msgtype"] == "text" and "问题 24 小时内到期" in post["text"]["content"]
    # and the admin sees what went out
    data = await world.admin.query(DELIVERIES)
    rows = sorted(
        (e["node"]["channel"], e["node"]["status"], e["node"]["attempts"]) for e in data["deliveries"]["edges"]
    )
    assert rows == [("EMAIL", "SENT", 1), ("EMAIL", "SENT", 1), ("WEBHOOK", "SENT", 1)]
    # the robot's key, in the webhook's query, is not shown
    [hook] = [e["node"]["target"] for e in data["deliveries"]["edges"] if e["node"]["channel"] == "WEBHOOK"]
    assert hook.endswith("/cgi-bin/webhook/send") and "key" not in hook
    # and so does the operator, from the command line
    listed = await asyncio.to_thread(
        run, "reminders", "--status", "SENT", env={"CONSULT_DATABASE_URL": database_url, "CONSULT_SECRET_KEY": "x"}
    )
    lines = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(line["target"] for line in lines if line["channel"] == "EMAIL") == [
        "market@example.cn",
        "organizer@example.cn",
    ]
    assert {line["status"] for line in lines} == {"SENT"} and len(lines) == 3


@pytest.mark.parametrize("receiver", [2], indirect=True)
async def test_a_failing_receiver_is_tried_again_with_backoff_until_it_takes_it(world: World, clock, receiver):
    t0 = await finding_due(world, clock)
    found, url = receiver
    webhook = ReminderSettings(webhook_url=url, retry_base_seconds=30, retry_cap_seconds=50)
    await sweep(t0, webhook)
    assert await deliver(t0, webhook) == 0
    [row] = await Delivery.all()
    assert (row.status, row.attempts, row.next_attempt_at) == ("PENDING", 1, t0 + timedelta(seconds=30))
    assert "500" in (row.last_error or "")
    # not before its time
    assert await deliver(t0 + timedelta(seconds=29), webhook) == 0 and found.hits == 1
    assert await deliver(t0 + timedelta(seconds=30), webhook) == 0 and found.hits == 2
    await row.refresh_from_db()
    # doubled, but capped
    assert (row.attempts, row.next_attempt_at) == (2, t0 + timedelta(seconds=30 + 50))
    assert await deliver(t0 + timedelta(seconds=80), webhook) == 1 and found.hits == 3
    assert await deliver(t0 + timedelta(hours=1), webhook) == 0 and found.hits == 3
    data = await world.admin.query(DELIVERIES)
    assert [(e["node"]["status"], e["node"]["attempts"]) for e in data["deliveries"]["edges"]] == [("SENT", 3)]


async def test_a_receiver_that_never_takes_it_is_given_up_and_recorded(world: World, clock):
    t0 = await finding_due(world, clock)
    dead = ReminderSettings(webhook_url=f"http://127.0.0.1:{free_port()}/gone", retry_base_seconds=1, max_attempts=2)
    await sweep(t0, dead)
    await deliver(t0, dead)
    await deliver(t0 + timedelta(minutes=1), dead)
    data = await world.admin.query("query { deliveries(status: FAILED) { totalCount } }")
    assert data["deliveries"]["totalCount"] == 1
    assert await deliver(t0 + timedelta(days=1), dead) == 0


async def test_a_restart_between_raise_and_delivery_still_delivers_exactly_once(
    world: World, clock, settings, channels, mailbox, receiver
):
    await finding_due(world, clock)
    box, found = mailbox[0], receiver[0]
    configured = dataclasses.replace(settings, reminders=channels)
    # given a server that raised the reminder and stopped before delivering it
    first = Scheduler(configured, clock)
    assert await first.lead()
    assert await sweep(clock(), channels) == 1
    await first.stop()
    # when a new server starts on the same database
    second = Scheduler(configured, clock)
    await second.round()
    await second.round()
    clock.advance(minutes=30)
    await second.round()
    # then each went out once
    assert await _sent(box, found) == (["market@example.cn", "organizer@example.cn"], 1)


async def test_a_send_cut_off_midway_is_sent_again_once_after_its_claim_runs_out(
    world: World, clock, channels, mailbox, receiver
):
    t0 = await finding_due(world, clock)
    box, found = mailbox[0], receiver[0]
    await sweep(t0, channels)
    # given a process that claimed the webhook's delivery and died before marking it sent
    await Delivery.filter(channel="WEBHOOK").update(status="SENDING", claimed_at=t0, attempts=1)
    assert await deliver(t0, channels) == 2  # the emails
    assert await deliver(t0 + timedelta(seconds=CLAIM_SECONDS - 1), channels) == 0
    assert await deliver(t0 + timedelta(seconds=CLAIM_SECONDS), channels) == 1
    assert await deliver(t0 + timedelta(seconds=CLAIM_SECONDS * 3), channels) == 0
    assert await _sent(box, found) == (["market@example.cn", "organizer@example.cn"], 1)


async def test_of_two_schedulers_on_one_database_one_sweeps(world: World, clock, settings):
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    await open_finding(world, cid, t0)
    quiet = dataclasses.replace(settings, reminders=ReminderSettings(every_seconds=60))
    a, b = Scheduler(quiet, clock, holder="a"), Scheduler(quiet, clock, holder="b")
    # when both run a round at once
    raised = await asyncio.gather(a.round(), b.round())
    # then one leads and raised the reminder, and the other did nothing
    assert sorted(raised) == [0, 1]
    assert sorted([a.leading, b.leading]) == [False, True]
    leader, other = (a, b) if a.leading else (b, a)
    clock.advance(seconds=60)
    await asyncio.gather(leader.round(), other.round())
    assert leader.leading and not other.leading
    # a leader that stops without letting go is replaced once its lease runs out (three rounds)
    clock.advance(seconds=179)
    await other.round()
    assert not other.leading
    clock.advance(seconds=1)
    await other.round()
    assert other.leading
    await leader.round()
    assert not leader.leading
    # one that lets go is replaced at once
    await other.stop()
    await leader.round()
    assert leader.leading


@pytest.mark.parametrize("receiver", [1], indirect=True)
async def test_a_webhooks_key_is_never_stored_shown_or_logged(world: World, clock, receiver, database_url, caplog):
    t0 = await finding_due(world, clock)
    found, url = receiver
    # given a robot whose address carries its key twice: in the path, as some services do, and in the query
    keyed = url.replace("/cgi-bin/webhook/send?key=test", "/open-apis/bot/v2/hook/6f1c2d3e-0a1b-4c5d?key=SEKRET-0000")
    hook = ReminderSettings(webhook_url=keyed, retry_base_seconds=1)
    await sweep(t0, hook)
    # when the first post fails (500) and the second goes through
    assert await deliver(t0, hook) == 0
    assert await deliver(t0 + timedelta(seconds=1), hook) == 1
    assert found.hits == 2
    # then the database, the admins' list, the command line and the log hold no part of the key
    stored = [(row.target, row.last_error) for row in await Delivery.all()]
    assert stored == [(url.split("/cgi-bin")[0] + "/open-apis/bot/v2/hook/…", None)]
    data = await world.admin.query(
        "query { deliveries(first: 5) { edges { node { target lastError attempts status } } } }"
    )
    listed = await asyncio.to_thread(
        run, "reminders", env={"CONSULT_DATABASE_URL": database_url, "CONSULT_SECRET_KEY": "x"}
    )
    failed = [r.getMessage() for r in caplog.records if r.name == "consult.reminders"]
    assert any("HTTP 500" in line for line in failed)
    for text in (json.dumps(stored), json.dumps(data), listed.stdout, "\n".join(failed)):
        assert "SEKRET" not in text and "6f1c2d3e" not in text


async def test_a_webhook_address_changed_before_delivery_is_the_one_used(world: World, clock, receiver):
    t0 = await finding_due(world, clock)
    found, url = receiver
    # given a reminder raised while the old address (since retired) was configured
    await sweep(t0, ReminderSettings(webhook_url=f"http://127.0.0.1:{free_port()}/cgi-bin/webhook/send?key=old"))
    # when the server delivers it with the new address
    assert await deliver(t0, ReminderSettings(webhook_url=url)) == 1
    # then it went to the new one; and with no address left configured, it waits, recorded as why
    assert len(found.bodies) == 1
    await sweep(t0 + timedelta(days=2), ReminderSettings(webhook_url=url))
    assert await deliver(t0 + timedelta(days=2), ReminderSettings()) == 0
    waiting = await Delivery.all().order_by("-id").first()
    assert waiting is not None and waiting.status == "PENDING" and "CONSULT_WEBHOOK_URL" in (waiting.last_error or "")
    # and waiting uses up none of its tries: configured again, it goes out
    for hours in range(1, 30):
        assert await deliver(t0 + timedelta(days=2, hours=hours), ReminderSettings()) == 0
    await waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts) == ("PENDING", 0)
    assert await deliver(t0 + timedelta(days=3), ReminderSettings(webhook_url=url)) == 1
    assert len(found.bodies) == 2


async def test_each_claim_carries_its_own_time_and_a_claim_taken_over_is_recorded_by_the_taker(
    world: World, clock, receiver
):
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    await open_findings(world, cid, t0, [problem(world, t0 + timedelta(hours=h)) for h in (2, 3)])
    found, url = receiver
    hook = ReminderSettings(webhook_url=url)
    assert await sweep(t0, hook) == 2
    found.delay = 0.4
    # when one round sends both posts, each taking 0.4 s
    assert await deliver(t0, hook) == 2
    first, second = await Delivery.all().order_by("id")
    # then the second claim was stamped when it was made, not when the round began
    assert first.claimed_at is not None and second.claimed_at is not None
    assert second.claimed_at - first.claimed_at >= timedelta(seconds=0.4)
    # given a third post that a slow process is still sending when another takes its claim up again
    await open_finding(world, cid, t0)
    later = t0 + timedelta(minutes=1)
    await sweep(later, hook)
    found.delay = 1.0
    slow = asyncio.create_task(deliver(later, hook))
    await asyncio.sleep(0.5)
    taken_over = later + timedelta(seconds=CLAIM_SECONDS + 1)
    assert await deliver(taken_over, hook) == 1
    await slow
    # then the record is the taker's (its try, its time), not overwritten by the slow process
    third = await Delivery.all().order_by("-id").first()
    assert third is not None
    assert (third.status, third.attempts) == ("SENT", 2)
    assert third.sent_at is not None and third.sent_at >= taken_over
