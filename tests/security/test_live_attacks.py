"""Live subscriptions under attack, replayed against a served app with real WebSocket clients.

The review held 300 signed-out subscriptions open and cut vote throughput from 37.5/s to 1.5/s;
and after it killed every PostgreSQL backend (`pg_terminate_backend`), a live subscription died
in 1 run of 4 ("another operation is in progress").
"""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.cli.test_cli import served
from tests.conftest import BACKEND
from tests.live.test_subscriptions import EVENTS, Transport, app_env, demand, gql, setup, terminate_backends

__all__ = ["app_env"]  # the fixture, from the live suite


def test_subscriptions_are_limited_per_address_signed_out_and_per_session_signed_in(app_env, tmp_path):
    # given a server that lets one address hold 3 signed-out subscriptions and one session 2
    env = {**app_env, "CONSULT_SUBSCRIPTIONS_PER_ADDRESS": "3", "CONSULT_SUBSCRIPTIONS_PER_SESSION": "2"}
    with served(env, tmp_path) as port:
        s = setup(port)

        async def first_for(t: Transport, op: str) -> dict:
            """The first message for operation `op`, passing over the others' replays."""
            while True:
                message = await t.next()
                if message.get("id") == op:
                    return message

        def errors_of(message: dict) -> list[dict]:
            return message["payload"] if message["type"] == "error" else message["payload"]["errors"]

        async def scenario():
            anon = await Transport.connect(port)
            for op in ("1", "2", "3"):
                await anon.subscribe(EVENTS, {"id": s["cid"], "after": 0}, op)
                assert (await first_for(anon, op))["type"] == "next"
            # when a fourth is asked from the same address, then it is refused with the limit named
            await anon.subscribe(EVENTS, {"id": s["cid"], "after": 0}, "4")
            refused = await first_for(anon, "4")
            assert errors_of(refused)[0]["extensions"] == {"code": "TOO_MANY_SUBSCRIPTIONS", "max": 3}
            # and once one ends, its place is free again
            await anon.ws.send(json.dumps({"id": "1", "type": "complete"}))
            await asyncio.sleep(0.3)
            await anon.subscribe(EVENTS, {"id": s["cid"], "after": 0}, "5")
            assert (await first_for(anon, "5"))["type"] == "next"
            # while a signed-in phone counts by its session, not by the shared address
            phone = await Transport.connect(port, {"Authorization": f"Bearer {s['residents'][0]}"})
            for op in ("a", "b"):
                await phone.subscribe(EVENTS, {"id": s["cid"], "after": 0}, op)
                assert (await first_for(phone, op))["type"] == "next"
            await phone.subscribe(EVENTS, {"id": s["cid"], "after": 0}, "c")
            assert errors_of(await first_for(phone, "c"))[0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
            await anon.close()
            await phone.close()

        asyncio.run(scenario())


@pytest.mark.skipif(BACKEND != "postgres", reason="kills PostgreSQL backends")
def test_a_subscription_survives_every_connection_of_its_database_being_killed(app_env, tmp_path):
    # the review killed every backend of the database (the pool's and the listener's) and lost a
    # live subscription in 1 run of 4 ("another operation is in progress")
    with served(app_env, tmp_path) as a, served(app_env, tmp_path) as b:
        s = setup(b)

        async def scenario():
            name = app_env["CONSULT_DATABASE_URL"].rsplit("/", 1)[1]
            t = await Transport.connect(a)
            head = gql(b, "query($id: ID!) { consultation(id: $id) { auditTrail { totalCount } } }", {"id": s["cid"]})[
                "consultation"
            ]["auditTrail"]["totalCount"]
            await t.subscribe(EVENTS, {"id": s["cid"], "after": head})
            for round_ in range(4):
                terminate_backends(name)
                # the next write goes through, though the pool's connections were all killed
                await asyncio.to_thread(demand, b, s, f"断线第{round_}轮")
                [e] = await t.events(1)
                assert e["seq"] > head
                head = e["seq"]
            await t.close()

        asyncio.run(scenario())
