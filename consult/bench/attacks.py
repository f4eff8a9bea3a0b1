"""Attacks against a served app, each beside a prober that times `/healthz`.

These are the requests a security review used to freeze the server. Each now gets a cheap
refusal, so while one is sent over and over, `/healthz` should still answer within
HEALTH_TARGET_MS. The prober asks every PROBE_EVERY seconds on a connection of its own; each
attack runs for a fixed time, and its refusals are checked after the clock stops (an attack
that is answered as if it were fine is an error of the bench).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.typing import Subprotocol

from consult.bench.load import Request, _encode, _read_response, graphql_request
from consult.bench.seed import World

HEALTH_TARGET_MS = 200.0
PROBE_EVERY = 0.05
SENDERS = 2  # connections sending the attack's request, each its next as soon as answered


@dataclass
class AttackResult:
    name: str
    sent: int = 0
    expected: int = 0  # answered as the server should: refused, or (chainValid) answered
    probes: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _deep_json() -> Request:
    return Request(b"[" * 100_000 + b"]" * 100_000)


def _wide_preview() -> Request:
    query = (
        'query($s: [SharePreviewInput!]!) { previewCostSplit(total: "240000", method: EQUAL, shares: $s) '
        "{ amounts sum } }"
    )
    return graphql_request(query, {"s": [{}] * 300_000})


def _long_choices(world: World) -> Request:
    query = "mutation($input: CastVoteInput!) { castVote(input: $input) { errors { code } } }"
    poll = world.polls[0]
    return graphql_request(query, {"input": {"pollId": poll, "choices": [world.options[poll][0]] * 200_000}})


def _forty_pages() -> Request:
    inner = (
        "edges { node { id title polls { id options { id label } } demands(first: 100) { edges { node { id } } } } }"
    )
    pages = " ".join(f"a{i}: consultations(first: 100) {{ {inner} }}" for i in range(40))
    return graphql_request("{ " + pages + " }", {})


def _chain_valid(world: World) -> Request:
    query = "query($id: ID!) { consultation(id: $id) { auditTrail(first: 1) { chainValid totalCount } } }"
    return graphql_request(query, {"id": world.finished_id})


def _wrong_password() -> Request:
    query = "mutation($i: LoginInput!) { login(input: $i) { token errors { code } } }"
    return graphql_request(query, {"i": {"username": "organizer", "password": "not-the-password-1"}})


def _refused_with(*codes: str) -> Callable[[int, bytes], bool]:
    """A check: the answer is a refusal with one of `codes` (HTTP status or GraphQL code)."""

    def check(status: int, body: bytes) -> bool:
        if str(status) in codes:
            return True
        try:
            data = json.loads(body)
        except ValueError:
            return False
        found = [e.get("extensions", {}).get("code") for e in data.get("errors") or []]
        for payload in (data.get("data") or {}).values():
            if isinstance(payload, dict):
                found += [e.get("code") for e in payload.get("errors") or []]
        return any(code in codes for code in found)

    return check


def _answered(status: int, body: bytes) -> bool:
    return status == 200 and not json.loads(body).get("errors")


async def _probe(host: str, port: int, stop: asyncio.Event, into: list[float]) -> None:
    """GET /healthz every PROBE_EVERY seconds; a probe that gets no answer counts as its wait."""
    wire = f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while not stop.is_set():
            started = time.perf_counter()
            writer.write(wire)
            try:
                await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            into.append(time.perf_counter() - started)
            await asyncio.sleep(PROBE_EVERY)
    finally:
        writer.close()


async def _repeat(
    host: str, port: int, request: Request, ok: Callable[[int, bytes], bool], stop: asyncio.Event, result: AttackResult
) -> None:
    wire = _encode(host, port, request)
    answers: list[tuple[int, bytes]] = []

    async def sender() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while not stop.is_set():
                writer.write(wire)
                answers.append(await _read_response(reader))
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            result.errors.append(f"{result.name}: connection failed: {error!r}")
        finally:
            writer.close()

    await asyncio.gather(*(sender() for _ in range(SENDERS)))
    result.sent = len(answers)
    result.expected = sum(1 for status, body in answers if ok(status, body))
    if result.expected < result.sent:
        status, body = next((s, b) for s, b in answers if not ok(s, b))
        result.errors.append(f"{result.name}: not refused as expected: HTTP {status} {body[:160]!r}")


async def _subscriptions(host: str, port: int, world: World, stop: asyncio.Event, result: AttackResult) -> None:
    """300 signed-out subscriptions from one address, held open: at most the address's limit are let in."""
    query = "subscription($id: ID!) { pollTally(pollId: $id) { version } }"
    sockets = []
    try:
        for i in range(300):
            ws = await websockets.connect(
                f"ws://{host}:{port}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
            )
            sockets.append(ws)
            await ws.send(json.dumps({"type": "connection_init"}))
            await ws.recv()
            payload = {"query": query, "variables": {"id": world.polls[-1]}}
            await ws.send(json.dumps({"type": "subscribe", "id": str(i), "payload": payload}))
        result.sent = len(sockets)
        for ws in sockets:
            try:
                answer = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
            except TimeoutError:
                continue  # let in, and waiting for a tally change
            text = json.dumps(answer)
            if "TOO_MANY_SUBSCRIPTIONS" in text:
                result.expected += 1
        await stop.wait()
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    if result.expected < result.sent - 100:
        result.errors.append(f"{result.name}: only {result.expected} of {result.sent} refused")


async def _slow_connections(host: str, port: int, stop: asyncio.Event, result: AttackResult) -> None:
    """500 connections, each holding half a request head."""
    writers = []
    try:
        for _ in range(500):
            _reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: ")
            writers.append(writer)
        result.sent = result.expected = len(writers)
        await stop.wait()
    finally:
        for writer in writers:
            writer.close()


async def run_attacks(
    host: str, port: int, world: World, seconds: float, say: Callable[[str], None]
) -> list[AttackResult]:
    """Each attack for `seconds`, one after another, with /healthz timed throughout."""
    too_large = _refused_with("TOO_LARGE")
    refused_login = _refused_with("INVALID", "RATE_LIMITED", "UNAUTHENTICATED")
    plans: list[tuple[str, Callable[[asyncio.Event, AttackResult], Coroutine[Any, Any, None]]]] = [
        ("deep JSON body", lambda s, r: _repeat(host, port, _deep_json(), _refused_with("400"), s, r)),
        ("previewCostSplit ×300k", lambda s, r: _repeat(host, port, _wide_preview(), too_large, s, r)),
        ("castVote ×200k choices", lambda s, r: _repeat(host, port, _long_choices(world), too_large, s, r)),
        ("40 pages of 100", lambda s, r: _repeat(host, port, _forty_pages(), too_large, s, r)),
        ("chainValid", lambda s, r: _repeat(host, port, _chain_valid(world), _answered, s, r)),
        ("wrong passwords", lambda s, r: _repeat(host, port, _wrong_password(), refused_login, s, r)),
        ("300 subscriptions", lambda s, r: _subscriptions(host, port, world, s, r)),
        ("500 slow connections", lambda s, r: _slow_connections(host, port, s, r)),
    ]
    results = []
    for name, attack in plans:
        result = AttackResult(name)
        stop = asyncio.Event()
        prober = asyncio.create_task(_probe(host, port, stop, result.probes))
        task = asyncio.create_task(attack(stop, result))
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.gather(prober, task, return_exceptions=False)
        worst = max(result.probes, default=0.0) * 1000
        say(f"  {name:<24} sent {result.sent:6d}, as expected {result.expected:6d}; /healthz worst {worst:6.1f} ms")
        results.append(result)
    return results
