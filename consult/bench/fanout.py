"""Fan-out: many phones watching one poll's tally live, as the resident page watches it.

Each subscriber is one WebSocket (graphql-transport-ws) signed in as a household, holding the
page's two subscriptions: the consultation's events and the poll's tally. Then votes are cast
one at a time. The poll is secret, so its count moves once per batch of TALLY_BATCH ballots:
each push is one batch, and the time from the answer to its last ballot to every subscriber's
copy of the new tally version is taken.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from consult.bench import documents
from consult.bench.load import drive, graphql_ok, graphql_request
from consult.bench.seed import World
from consult.services.voting import TALLY_BATCH


@dataclass
class FanoutResult:
    subscribers: int
    subscribe_s: float = 0.0
    delivered: list[float] = field(default_factory=list)
    missing: int = 0
    idle_cpu_pct: float = 0.0
    kib_per_subscriber: float = 0.0
    rss_back_pct: float = 0.0
    errors: list[str] = field(default_factory=list)


class _Phone:
    """One subscriber: a WebSocket with the page's two subscriptions."""

    def __init__(self, token: str, arrivals: dict[int, list[float]]) -> None:
        self.token = token
        self.arrivals = arrivals
        self.ready = asyncio.Event()
        self.ws: Any = None
        self.error: str | None = None

    async def run(self, url: str, consultation: str, poll: str, after: int) -> None:
        from websockets.asyncio.client import connect
        from websockets.typing import Subprotocol

        try:
            async with connect(
                url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=120, ping_interval=None
            ) as ws:
                self.ws = ws
                await ws.send(
                    json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {self.token}"}})
                )
                ack = json.loads(await ws.recv())
                if ack.get("type") != "connection_ack":
                    raise RuntimeError(f"no connection_ack: {ack}")
                page = documents.constants("api.js", "resident.js")
                for sid, document, variables in (
                    ("events", page["EVENTS_SUBSCRIPTION"], {"id": consultation, "after": after}),
                    ("tally", page["TALLY_SUBSCRIPTION"], {"id": poll}),
                ):
                    message = {"id": sid, "type": "subscribe", "payload": {"query": document, "variables": variables}}
                    await ws.send(json.dumps(message))
                async for raw in ws:
                    message = json.loads(raw)
                    if message.get("type") == "next" and message.get("id") == "tally":
                        data = message["payload"].get("data") or {}
                        if message["payload"].get("errors") or not data.get("pollTally"):
                            raise RuntimeError(f"tally error: {message['payload']}")
                        self.arrivals[data["pollTally"]["version"]].append(time.perf_counter())
                        self.ready.set()
                    elif message.get("type") in ("error", "complete") and message.get("id") == "tally":
                        raise RuntimeError(f"tally subscription ended: {message}")
        except asyncio.CancelledError:
            raise
        except Exception as error:  # reported, and the bench fails
            self.error = repr(error)
            self.ready.set()


async def _page_seq(host: str, port: int, world: World) -> int:
    """Where the page starts its events: the audit trail's length when it was read."""
    request = graphql_request(
        "query($id: ID!) { consultation(id: $id) { auditTrail(first: 1) { totalCount } } }",
        {"id": world.consultation_id},
    )
    bodies: list[bytes] = []

    def keep(status: int, body: bytes) -> str | None:
        bodies.append(body)
        return graphql_ok()(status, body)

    await drive(host, port, [request], 1, keep)
    return json.loads(bodies[0])["data"]["consultation"]["auditTrail"]["totalCount"]


async def fanout(
    host: str,
    port: int,
    world: World,
    poll: str,
    subscribers: int,
    votes: int,
    cpu: Callable[[], float],
    rss: Callable[[], int],
    progress: Callable[[str, int, int], None],
) -> FanoutResult:
    result = FanoutResult(subscribers=subscribers)
    arrivals: dict[int, list[float]] = defaultdict(list)
    url = f"ws://{host}:{port}/graphql"
    after = await _page_seq(host, port, world)
    await asyncio.sleep(1.0)
    rss_before = rss()
    phones = [_Phone(world.tokens[i % len(world.tokens)], arrivals) for i in range(subscribers)]
    started = time.perf_counter()
    tasks = []
    for i, phone in enumerate(phones):
        tasks.append(asyncio.create_task(phone.run(url, world.consultation_id, poll, after)))
        if i % 100 == 99:
            # Phones arrive in waves of 100, as they would after a reminder is sent.
            await asyncio.gather(*(p.ready.wait() for p in phones[i - 99 : i + 1]))
            progress("订阅 subscribers", i + 1, subscribers)
    await asyncio.gather(*(p.ready.wait() for p in phones))
    progress("订阅 subscribers", subscribers, subscribers)
    result.subscribe_s = time.perf_counter() - started
    result.errors += [p.error for p in phones if p.error][:5]
    try:
        live = sum(1 for p in phones if not p.error)
        result.kib_per_subscriber = max(0, rss() - rss_before) / 1024 / max(live, 1)
        await asyncio.sleep(2.0)
        idle_cpu, idle_from = cpu(), time.perf_counter()
        await asyncio.sleep(5.0)
        result.idle_cpu_pct = 100 * (cpu() - idle_cpu) / (time.perf_counter() - idle_from)
        options = world.options[poll]
        for n in range(votes):
            bodies: list[bytes] = []

            def keep(status: int, body: bytes, bodies: list[bytes] = bodies) -> str | None:
                bodies.append(body)
                return graphql_ok("castVote")(status, body)

            # The bench's poll is secret: its count is pushed once a batch of TALLY_BATCH ballots
            # is in. Each push is one batch, timed from the answer to its last ballot.
            batch = [
                graphql_request(
                    documents.cast_vote(),
                    {"input": {"pollId": poll, "choices": [options[(n * TALLY_BATCH + j) % 3]]}},
                    world.tokens[(n * TALLY_BATCH + j) % len(world.tokens)],
                )
                for j in range(TALLY_BATCH)
            ]
            outcome = await drive(host, port, batch, 1, keep)
            answered = time.perf_counter()
            if outcome.errors:
                result.errors += outcome.errors
                continue
            version = json.loads(bodies[-1])["data"]["castVote"]["tally"]["version"]
            deadline = answered + 60
            while len(arrivals[version]) < live and time.perf_counter() < deadline:
                await asyncio.sleep(0.005)
            result.delivered += [max(0.0, t - answered) for t in arrivals[version]]
            result.missing += live - len(arrivals[version])
            progress("推送 pushes", n + 1, votes)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(3.0)
    result.rss_back_pct = 100 * (rss() - rss_before) / max(rss_before, 1)
    return result
