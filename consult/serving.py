"""The HTTP connection as `consult serve` runs it: uvicorn's, with deadlines for slow clients.

uvicorn closes a keep-alive connection that stays idle after a response, but a connection that
never sends a request, or sends its head or body a byte at a time, it holds forever: 500 such
connections held a worker's sockets for as long as their senders liked. Here a client has
`CONSULT_CLIENT_SECONDS` (10 s) to send a request's head, counted from the moment the connection
opens or the previous response ends. A body (a photo from a phone on a slow network takes
minutes) has as long again for each stretch of it: every `CONSULT_CLIENT_SECONDS` it must bring
at least MIN_BODY_BYTES, about 2 KB/s, far below the slowest mobile network that still works
and far above a body sent a byte at a time. Past a deadline the connection is closed, with a
408 answer where part of a request had come in. A WebSocket, once upgraded, is not timed here:
its pings find dead peers.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("consult.serving")

DEFAULT_CLIENT_SECONDS = 10.0
# What a request body must bring in each deadline's time to keep its connection.
MIN_BODY_BYTES = 20 * 1024

REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 0\r\n"
    b"connection: close\r\n\r\n"
)


# How long a connection answered 408 still swallows what its client sends before it is closed.
LINGER_SECONDS = 2.0


def client_seconds() -> float:
    """The deadline from the environment; a bad value falls back to the default (the CLI
    checks it before starting, with a clear message)."""
    raw = os.environ.get("CONSULT_CLIENT_SECONDS", "")
    try:
        value = float(raw) if raw else DEFAULT_CLIENT_SECONDS
    except ValueError:
        return DEFAULT_CLIENT_SECONDS
    return value if value > 0 else DEFAULT_CLIENT_SECONDS


class DeadlineHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a deadline on the request head and on the body."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client_seconds = client_seconds()
        self.deadline: asyncio.TimerHandle | None = None
        self.receiving = False  # part of a request has come in, not all of it
        self.in_body = False  # the head is in, the body is coming
        self.body_bytes = 0  # of the body, since the deadline was last armed
        self.lingering = False  # answered 408 and half-closed: what still comes in is dropped

    def _arm(self) -> None:
        self._disarm()
        self.body_bytes = 0
        self.deadline = self.loop.call_later(self.client_seconds, self._too_slow)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _too_slow(self) -> None:
        self.deadline = None
        if self.transport.is_closing():
            return
        if self.in_body and (self.body_bytes >= MIN_BODY_BYTES or self.flow.read_paused):
            # A body still coming at a working pace (or held back because the app has not read
            # what came): another stretch of time.
            self._arm()
            return
        answering = self.cycle is not None and not self.cycle.response_complete and self.cycle.response_started
        log.info("closed a connection from %s that sent too slowly", self.client)
        if self.receiving and not answering and self.transport.can_write_eof():
            # Half a request: say why, then stop sending and drop what still trickles in for a
            # moment before closing. Closing at once, with the client's bytes unread, would reset
            # the connection, and a reset can throw away the answer before the client reads it.
            self.transport.write(REQUEST_TIMEOUT)
            self.transport.write_eof()
            self.lingering = True
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
            return
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        if not self.lingering:
            super().data_received(data)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a connection that sends nothing at all

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        self.receiving = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        # The head is in: the body (if any) now has a deadline of its own. An upgrade to a
        # WebSocket hands the connection over, untimed.
        if self.parser.should_upgrade() and self._should_upgrade():
            self._disarm()
        else:
            self._arm()
            self.in_body = True
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self.body_bytes += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self.receiving = False
        self.in_body = False
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        queued = bool(self.pipeline)  # a request already read, which super() starts now
        super().on_response_complete()
        if not self.transport.is_closing() and not queued:
            self._arm()  # the next request's head, however long the keep-alive lasts
