"""Anchors: every audit event's hash, appended to a file outside the database once it commits.

The audit chain inside the database only catches clumsy tampering: whoever can write the
database can edit an event and recompute every later hash, or delete events and re-chain the
rest, and `chainValid` still says true. A line per event in an append-only file elsewhere (its
own disk, a log shipper, a WORM bucket) is what such a rewrite cannot reach. `consult verify`
checks the database against it.

One JSON line per event: {"at", "consultation", "seq", "hash"}, or for the installation's own
trail (accounts made, roles granted) {"at", "trail": "installation", "seq", "hash"}. Lines are appended after the
transaction commits, so a rolled-back write leaves none; a crash between the commit and the
append can leave an event without its anchor, which verify does not count against the database.

When an outbound channel is configured (CONSULT_ANCHOR_URL), the same lines are also POSTed
there, as application/x-ndjson, by a sender task in each worker: a receiver that appends each
body to a file keeps a copy `consult verify --anchors` reads. Sending never holds up or fails a
write. A refused or failed POST is retried with a growing pause (up to a minute), in order; a
worker keeps up to OUTBOX_CAP unsent lines, and past that drops the oldest, saying so in the
log (the file still has them).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("consult.anchors")
_file: Path | None = None
_channel: Channel | None = None
INSTALLATION = "installation"
_pending: contextvars.ContextVar[list[dict] | None] = contextvars.ContextVar("consult_anchors", default=None)


def default_file(database_url: str) -> Path:
    """Beside an embedded SQLite database; for PostgreSQL, under ./var, named after the database
    (a file holds the anchors of one database). Production sets CONSULT_ANCHOR_FILE elsewhere."""
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        return Path(database_url.removeprefix("sqlite://")).parent / "anchors.jsonl"
    name = database_url.rsplit("/", 1)[-1].split("?", 1)[0] or "consult"
    return Path("var") / f"anchors-{name}.jsonl"


def configure(path: Path | str | None, url: str = "", token: str = "") -> None:
    """Where anchors go from now on in this process: a file (None or "": none) and an outbound
    channel (url "": none)."""
    global _file, _channel
    _file = Path(path) if path else None
    if _channel is not None and (_channel.url, _channel.token) != (url, token):
        _channel.forget()
        _channel = None
    if url and _channel is None:
        _channel = Channel(url, token)


def configured() -> Path | None:
    return _file


def channel() -> Channel | None:
    return _channel


def note(consultation_id: int | None, seq: int, digest: str, at: datetime) -> None:
    """An event was appended: anchor it once its transaction commits. A consultation's event
    names its consultation; the installation's (accounts, roles) says "trail": "installation"."""
    if _file is None and _channel is None:
        return
    line: dict = {"at": at.astimezone(UTC).isoformat()}
    if consultation_id is None:
        line["trail"] = INSTALLATION
    else:
        line["consultation"] = consultation_id
    line |= {"seq": seq, "hash": digest}
    pending = _pending.get()
    if pending is None:
        _append([line])
    else:
        pending.append(line)


@contextmanager
def collecting() -> Iterator[list[dict]]:
    """Hold the anchors of a transaction; the caller writes them after it commits."""
    outer = _pending.get()
    if outer is not None:
        yield outer
        return
    pending: list[dict] = []
    token = _pending.set(pending)
    try:
        yield pending
    finally:
        _pending.reset(token)


def flush(lines: list[dict]) -> None:
    """Append a committed transaction's anchors. The write has committed whatever happens here:
    a full disk is logged for the operator (consult verify then finds the gap), never turned
    into an error for a request that succeeded."""
    if lines and _file is not None:
        try:
            _append(lines)
        except OSError as error:
            log.error("锚点写入失败 Could not append %d anchor(s) to %s: %s", len(lines), _file, error)
    if lines and _channel is not None:
        _channel.send(lines)


def _append(lines: list[dict]) -> None:
    if _file is None:
        return
    _file.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()
    # O_APPEND: each write lands whole at the end, whichever worker writes it.
    descriptor = os.open(_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, data)
    finally:
        os.close(descriptor)


def read(path: Path) -> list[dict]:
    """Every anchor in the file, oldest first; a torn last line is skipped."""
    if not path.exists():
        return []
    anchors = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if not isinstance(line, dict) or not {"seq", "hash"} <= line.keys():
            continue
        if "consultation" in line or line.get("trail") == INSTALLATION:
            anchors.append(line)
    return anchors


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would turn the POST into a GET without its body: count it as a failure."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)
OUTBOX_CAP = 100_000
BATCH = 500
POST_SECONDS = 10.0
MAX_PAUSE = 60.0


class Channel:
    """The outbound channel of one worker: an outbox of committed anchors and the task that
    POSTs them, oldest first, until the receiver answers 2xx."""

    def __init__(self, url: str, token: str = "") -> None:
        self.url = url
        self.token = token
        self.outbox: deque[dict] = deque()
        self.failures = 0  # in a row
        self._task: asyncio.Task | None = None
        self._wake: asyncio.Event | None = None
        self._in_flight = 0
        self._last_warning = 0.0

    def send(self, lines: list[dict]) -> None:
        """Queue committed anchors; the sender task POSTs them. Outside an event loop (a CLI
        command ending) they are posted at once, once."""
        self.outbox.extend(lines)
        over = len(self.outbox) - OUTBOX_CAP
        if over > 0:
            for _ in range(over):
                self.outbox.popleft()
            log.error(
                "锚点外发积压 %d anchor(s) not yet sent to %s were dropped (the anchor file keeps them)",
                over,
                self.url,
            )
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._post_now()
            return
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._wake = asyncio.Event()
            self._task = loop.create_task(self._run(), name="consult-anchor-sender")
        assert self._wake is not None
        self._wake.set()

    def pending(self) -> int:
        return len(self.outbox) + self._in_flight

    async def drain(self, seconds: float = 5.0) -> int:
        """Give the sender up to `seconds` to empty the outbox, then stop it; returns what is
        left unsent (logged)."""
        deadline = time.monotonic() + seconds
        while self.pending() and self._task is not None and not self._task.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        self.forget()
        left = self.pending()
        if left:
            log.error(
                "锚点未能外发 %d anchor(s) were not sent to %s before shutdown (the anchor file keeps them)",
                left,
                self.url,
            )
        return left

    def forget(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None

    async def _run(self) -> None:
        assert self._wake is not None
        pause = 0.5
        while True:
            if not self.outbox:
                self._wake.clear()
                await self._wake.wait()
            batch = [self.outbox.popleft() for _ in range(min(BATCH, len(self.outbox)))]
            self._in_flight = len(batch)
            try:
                error = await asyncio.to_thread(self._post, batch)
            finally:
                self._in_flight = 0
            if error is None:
                if self.failures:
                    log.warning("锚点外发恢复 Sending anchors to %s works again", self.url)
                self.failures = 0
                pause = 0.5
                continue
            # Put the batch back in front, in order, and try again after a pause.
            self.outbox.extendleft(reversed(batch))
            self.failures += 1
            now = time.monotonic()
            if self.failures == 1 or now - self._last_warning >= 60:
                self._last_warning = now
                log.error(
                    "锚点外发失败 Could not send %d anchor(s) to %s (%s); %d waiting, trying again",
                    len(batch),
                    self.url,
                    error,
                    len(self.outbox),
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)

    def _post_now(self) -> None:
        while self.outbox:
            batch = [self.outbox.popleft() for _ in range(min(BATCH, len(self.outbox)))]
            error = self._post(batch)
            if error is not None:
                log.error("锚点外发失败 Could not send %d anchor(s) to %s (%s)", len(batch), self.url, error)
                return

    def _post(self, batch: list[dict]) -> str | None:
        """POST one batch; None when the receiver took it, else what went wrong."""
        body = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in batch).encode()
        headers = {"Content-Type": "application/x-ndjson", "User-Agent": "consult-anchors"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with _OPENER.open(request, timeout=POST_SECONDS) as response:
                response.read(1024)
                return None if 200 <= response.status < 300 else f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            return f"HTTP {error.code}"
        except (urllib.error.URLError, OSError, ValueError) as error:
            return str(getattr(error, "reason", error))
