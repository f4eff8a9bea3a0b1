"""A lean HTTP/1.1 load client: keep-alive connections, requests prepared before the clock starts.

The client shares the machine with the server, so it does as little as it can per request:
the request bytes are built beforehand, and a response is read by its Content-Length.
Every response is still checked (status, GraphQL errors, payload errors) after the clock stops.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Request:
    body: bytes
    token: str | None = None


@dataclass
class Outcome:
    """One measured run: how long each request took and what came back."""

    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.latencies)


def graphql_request(query: str, variables: dict, token: str | None = None) -> Request:
    return Request(json.dumps({"query": query, "variables": variables}, ensure_ascii=False).encode(), token)


def _encode(host: str, port: int, request: Request) -> bytes:
    auth = f"Authorization: Bearer {request.token}\r\n" if request.token else ""
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Accept: application/json\r\n{auth}Content-Length: {len(request.body)}\r\n\r\n"
    )
    return head.encode() + request.body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    if length is None:
        raise ValueError("response without Content-Length")
    return status, await reader.readexactly(length)


async def drive(
    host: str,
    port: int,
    requests: Sequence[Request],
    connections: int,
    check: Callable[[int, bytes], str | None],
) -> Outcome:
    """Send every request over `connections` keep-alive connections, each sending its next when answered."""
    wire = [_encode(host, port, r) for r in requests]
    answers: list[tuple[int, bytes] | None] = [None] * len(wire)
    latencies = [0.0] * len(wire)
    failures: list[str] = []
    next_index = 0

    async def connection() -> None:
        nonlocal next_index
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while next_index < len(wire):
                i = next_index
                next_index += 1
                started = time.perf_counter()
                writer.write(wire[i])
                answers[i] = await _read_response(reader)
                latencies[i] = time.perf_counter() - started
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            failures.append(f"connection failed: {error!r}")
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(min(connections, len(wire)))))
    elapsed = time.perf_counter() - started
    outcome = Outcome(latencies=[t for t, a in zip(latencies, answers, strict=True) if a is not None], elapsed=elapsed)
    outcome.errors = failures
    for answer in answers:
        problem = "no answer" if answer is None else check(*answer)
        if problem:
            outcome.errors.append(problem)
    return outcome


def graphql_ok(payload: str | None = None) -> Callable[[int, bytes], str | None]:
    """A check: HTTP 200, no GraphQL errors and, for a mutation, an empty `errors` list in its payload."""

    def check(status: int, body: bytes) -> str | None:
        if status != 200:
            return f"HTTP {status}: {body[:200].decode(errors='replace')}"
        data = json.loads(body)
        if data.get("errors"):
            return f"GraphQL error: {data['errors'][0].get('message')}"
        if payload is not None:
            refused = (data.get("data") or {}).get(payload, {}).get("errors")
            if refused:
                return f"{payload} refused: {refused[0].get('code')} {refused[0].get('message')}"
        return None

    return check
