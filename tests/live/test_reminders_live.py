"""The bell's count over a real WebSocket: a served app whose own scheduler raises a reminder, and
a second worker process serving the same database (on PostgreSQL) that runs no sweep of its own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.cli.test_cli import served
from tests.live.test_subscriptions import Transport, app_env, gql, ok, setup

__all__ = ["app_env"]  # the fixture, shared

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
