"""Reminders from served apps: the bell's count over a real WebSocket when the app's own scheduler
raises a reminder, and (on PostgreSQL) two server processes on one database that send each reminder once."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.test_reminder_delivery import receiver
from tests.cli.test_cli import served
from tests.conftest import BACKEND
from tests.live.test_subscriptions import Transport, app_env, gql, ok, setup

__all__ = ["app_env", "receiver"]  # the fixtures, shared

BELL = "subscription { noticesChanged { unread } }"


def poll_closing_soon(port: int, s: dict) -> None:
    """The setup's consultation goes to a vote on a poll that closes in ten hours."""
    ok(port, "advanceStage", {"consultationId": s["cid"], "to": "DELIBERATING"}, "consultation { id }", s["org"])
    closes = (datetime.now(UTC) + timedelta(hours=10)).isoformat()
    poll = ok(
        port,
        "createPoll",
        {"consultationId": s["cid"], "question": "是否同意加装路灯？", "kind": "YES_NO_ABSTAIN", "closesAt": closes},
        "poll { id }",
        s["org"],
    )["poll"]["id"]
    ok(port, "advanceStage", {"consultationId": s["cid"], "to": "VOTING"}, "consultation { id }", s["org"])
    ok(port, "openPoll", {"pollId": poll}, "poll { id }", s["org"], input_type="PollIdInput")


def test_the_bell_count_arrives_live_when_the_scheduler_raises_a_reminder(app_env, tmp_path):
    env = {**app_env, "CONSULT_REMINDER_SECONDS": "0.5"}
    with served(env, tmp_path) as port:
        s = setup(port)

        async def scenario():
            # given the organizer's bell, subscribed: nothing unread yet
            t = await Transport.connect(port, {"Authorization": f"Bearer {s['org']}"})
            await t.subscribe(BELL, {})
            first = await t.next()
            assert first["payload"]["data"]["noticesChanged"] == {"unread": 0}
            # when a poll comes within a day of closing
            await asyncio.to_thread(poll_closing_soon, port, s)
            # then the scheduler raises the reminder and the count arrives, once
            raised = await t.next()
            assert raised["payload"]["data"]["noticesChanged"] == {"unread": 1}
            await t.nothing_for(1.5)
            # and marking it read brings the count down, live
            await asyncio.to_thread(ok, port, "markNoticesRead", {"all": True}, "marked", s["org"])
            read = await t.next()
            assert read["payload"]["data"]["noticesChanged"] == {"unread": 0}
            await t.close()

        asyncio.run(scenario())
        data = gql(port, "{ notices { totalCount edges { node { kind text } } } }", token=s["org"])
        [notice] = [e["node"] for e in data["notices"]["edges"]]
        assert notice["kind"] == "POLL_CLOSING" and "已投 0 户，共 2 户" in notice["text"]


@pytest.mark.skipif(BACKEND != "postgres", reason="several server processes share one database on PostgreSQL only")
def test_two_server_processes_on_one_database_send_each_reminder_once(app_env, tmp_path, receiver):
    found, hook = receiver
    env = {**app_env, "CONSULT_REMINDER_SECONDS": "0.5", "CONSULT_WEBHOOK_URL": hook}
    staying, leaving = served(env, tmp_path, log_level="info"), served(env, tmp_path, log_level="info")
    with staying as port:
        with leaving as other:
            s = _two_polls_and_the_first_reminder(other, found)
            # and only one of the processes swept
            assert _sweeping(staying) + _sweeping(leaving) == 1
        # when one process stops and the other serves on alone, and the second poll opens
        ok(port, "openPoll", {"pollId": s["later"]}, "poll { id }", s["org"], input_type="PollIdInput")
        # then that one is sent too, by the process that stayed (taking over at once if the other led), once
        _wait_for(lambda: len(found.bodies) >= 2)
        time.sleep(2)
        assert len(found.bodies) == 2 and "是否同意增设垃圾分类亭？" in found.bodies[1]["text"]["content"]
        assert _sweeping(staying) == 1
        data = gql(port, "{ notices { totalCount } }", token=s["org"])
        assert data["notices"]["totalCount"] == 2
    # and neither server's log, at info, holds the robot's key (its address is in every post)
    for server in (staying, leaving):
        assert "key=test" not in server.log_path.read_text()


def _sweeping(server: served) -> int:
    """How often the process has taken the scheduler's lease, by its log."""
    return server.log_path.read_text().count("sweeps now")


def _two_polls_and_the_first_reminder(port: int, found) -> dict:
    """Through `port`: a poll that opens and closes within a day, reminded once though two
    schedulers run; and a second one, closing within a day, not yet open."""
    s = setup(port)
    closes = (datetime.now(UTC) + timedelta(hours=10)).isoformat()
    poll_closing_soon(port, s)
    s["later"] = ok(
        port,
        "createPoll",
        {
            "consultationId": s["cid"],
            "question": "是否同意增设垃圾分类亭？",
            "kind": "YES_NO_ABSTAIN",
            "closesAt": closes,
        },
        "poll { id }",
        s["org"],
    )["poll"]["id"]
    # when both processes run their schedulers for a while
    _wait_for(lambda: len(found.bodies) >= 1)
    time.sleep(3)  # six rounds of each
    # then the group got the first poll's reminder once, though two schedulers ran
    assert [p["text"]["content"].count("是否同意加装路灯？") for p in found.bodies] == [1]
    return s


def _wait_for(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "no reminder arrived"
        time.sleep(0.1)
