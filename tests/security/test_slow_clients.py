"""Slow and idle connections are closed by `consult serve` itself: the review held 500 connections
open for 40 s by sending nothing, or a request's head a byte at a time."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
import websockets

from tests.cli.test_cli import get_status, post, run, served

DEADLINE = 1.0  # CONSULT_CLIENT_SECONDS in these tests (10 s by default)
HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\nAccept: */*\r\n\r\n"


@pytest.fixture
def slow_env(scratch_databases, tmp_path):
    env = {
        "CONSULT_DATABASE_URL": scratch_databases.new(),
        "CONSULT_SECRET_KEY": "slow-clients-secret",
        "CONSULT_ANCHOR_FILE": str(tmp_path / "anchors.jsonl"),
    }
    run("migrate", env=env)
    return {**env, "CONSULT_CLIENT_SECONDS": str(DEADLINE)}


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """What the server sent before closing; fails if it still holds the connection after `seconds`."""
    received = b""
    async with asyncio.timeout(seconds):
        while chunk := await reader.read(4096):
            received += chunk
    return received


def test_connections_that_send_nothing_or_half_a_head_are_closed(slow_env, tmp_path):
    async def attack(port: int) -> None:
        # given 100 connections that send nothing and 100 that send half a request head
        silent = [await asyncio.open_connection("127.0.0.1", port) for _ in range(100)]
        halves = [await asyncio.open_connection("127.0.0.1", port) for _ in range(100)]
        for _reader, writer in halves:
            writer.write(HEAD[:20])
            await writer.drain()
        # then the server still answers meanwhile
        assert await asyncio.to_thread(get_status, port, "/healthz") == 200
        # and closes every one of them soon after the deadline, the half heads with a 408
        opened = time.monotonic()
        answers = await asyncio.gather(*(_closed_within(r, DEADLINE + 5) for r, _w in silent + halves))
        assert time.monotonic() - opened < DEADLINE + 5
        assert all(a.startswith(b"HTTP/1.1 408") for a in answers[100:])
        for _r, writer in silent + halves:
            writer.close()

    with served(slow_env, tmp_path) as port:
        asyncio.run(attack(port))


def test_a_head_sent_a_byte_at_a_time_is_cut_off(slow_env, tmp_path):
    with served(slow_env, tmp_path) as port:
        # when a client sends a request's head one byte every 0.1 s (7 s for the whole head)
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        started, sent = time.monotonic(), 0
        try:
            for byte in HEAD:
                sock.sendall(bytes([byte]))
                sent += 1
                time.sleep(0.1)
        except OSError:
            pass  # the server closed it
        # then the server closes it before the head is done, soon after the deadline
        assert sent < len(HEAD)
        assert time.monotonic() - started < DEADLINE + 3
        sock.close()


def test_a_body_sent_too_slowly_is_cut_off_and_a_normal_request_is_not(slow_env, tmp_path):
    async def attack(port: int) -> None:
        # when a client promises a 1,000-byte body and sends 10 bytes of it
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            b"content-length: 1000\r\n\r\n" + b'{"query": '
        )
        await writer.drain()
        # then it is answered 408 and closed soon after the deadline
        answer = await _closed_within(reader, DEADLINE + 5)
        assert answer.startswith(b"HTTP/1.1 408")
        writer.close()
        # and an ordinary request on a kept-alive connection, sent at once, is answered
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(2):
            writer.write(HEAD)
            await writer.drain()
            status = await reader.readline()
            assert status.startswith(b"HTTP/1.1 200"), status
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
        # and left idle, the kept-alive connection is closed too
        assert await _closed_within(reader, DEADLINE + 5) == b""
        writer.close()

    with served(slow_env, tmp_path) as port:
        asyncio.run(attack(port))


def test_a_websocket_is_not_cut_off_by_the_deadline(slow_env, tmp_path):
    async def subscriber(port: int) -> None:
        # given a live subscription connection, quiet for longer than the deadline
        async with websockets.connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send('{"type": "connection_init"}')
            assert '"connection_ack"' in await ws.recv()
            await asyncio.sleep(DEADLINE * 2.5)
            # then it still answers
            await ws.send('{"type": "ping"}')
            assert '"pong"' in await asyncio.wait_for(ws.recv(), 5)

    with served(slow_env, tmp_path) as port:
        asyncio.run(subscriber(port))
        assert post(port, "{ __typename }") == {"data": {"__typename": "Query"}}


def test_a_photo_sent_slowly_but_steadily_is_received_and_a_trickle_is_not(slow_env, tmp_path):
    # A photo from a phone on a weak network takes minutes: a body keeps its connection while it
    # comes at a working pace (20 KB in each deadline's time), and only then.
    boundary = "consultboundary"
    operations = (
        '{"query": "mutation($f: Upload!) { uploadPhoto(file: $f) { errors { code } } }", "variables": {"f": null}}'
    )
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{operations}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{{"0": ["variables.f"]}}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="a.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + b"\xff" * 120_000
        + f"\r\n--{boundary}--\r\n".encode()
    )
    head = (
        "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"content-type: multipart/form-data; boundary={boundary}\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode()

    async def steady(port: int) -> None:
        # when a client sends a 120 KB upload at 40 KB/s: three times the deadline in all
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head)
        started = time.monotonic()
        for start in range(0, len(body), 4096):
            writer.write(body[start : start + 4096])
            await writer.drain()
            await asyncio.sleep(0.1)
        assert time.monotonic() - started > DEADLINE * 2.5
        # then it is answered (signed out, so refused by GraphQL, not by the connection)
        status = await asyncio.wait_for(reader.readline(), 10)
        assert status.startswith(b"HTTP/1.1 200"), status
        rest = await asyncio.wait_for(reader.read(65536), 10)
        assert b"UNAUTHENTICATED" in rest
        writer.close()

    async def trickle(port: int) -> None:
        # when another sends the same upload at 2 KB/s
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head)
        await writer.drain()

        async def send_slowly() -> None:
            for start in range(0, len(body), 200):
                writer.write(body[start : start + 200])
                await writer.drain()
                await asyncio.sleep(0.1)

        sender = asyncio.create_task(send_slowly())
        try:
            # then it is answered 408 and closed soon after the deadline
            answer = await _closed_within(reader, DEADLINE + 5)
            assert answer.startswith(b"HTTP/1.1 408")
        finally:
            sender.cancel()
            writer.close()

    with served(slow_env, tmp_path) as port:
        asyncio.run(steady(port))
        asyncio.run(trickle(port))
