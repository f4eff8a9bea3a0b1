"""The live event bus: tells subscribers that a consultation has new audit events.

Events themselves are never carried on the bus. A subscriber keeps the last seq it sent and
re-reads the audit trail from there when signalled, so a lost, late or repeated signal can
only make it read once more: nothing is skipped, duplicated or reordered, and a slow
subscriber costs one flag, not a growing queue.

- In one process (the SQLite default) the bus is in memory; the write path signals after commit.
- On PostgreSQL every write also sends NOTIFY inside its transaction, so it is delivered only
  on commit and reaches every server process. Each process keeps one LISTEN connection and
  reconnects with backoff; after a reconnect all its subscribers re-read, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import urllib.parse
from collections import OrderedDict, defaultdict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from consult import memory, metrics

if TYPE_CHECKING:
    import asyncpg

log = logging.getLogger("consult.events")
CHANNEL = "consult_events"
# The payload that says an account's reach changed, in every process: "viewers:<account id>".
VIEWERS = "viewers:"


class Signal:
    """One subscriber's wake-up flag, and when it was first raised since it was last cleared."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.since: float | None = None

    def set(self) -> None:
        if not self._event.is_set():
            self.since = time.monotonic()
        self._event.set()

    def clear(self) -> float | None:
        """Lower the flag; returns when it was raised (time.monotonic), or None if it was not."""
        since, self.since = (self.since if self._event.is_set() else None), None
        self._event.clear()
        return since

    async def wait(self, timeout: float | None = None) -> bool:
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
            return True
        except TimeoutError:
            return False


class EventBus:
    """In-process signalling, keyed by consultation id."""

    def __init__(self) -> None:
        self._subscribers: dict[int, set[Signal]] = defaultdict(set)
        # Bumped by every signal: streams woken by the same signal share one read (schema/live.py).
        self._generations: dict[int, int] = defaultdict(int)
        self._epoch = 0
        # Per account, bumped when what it may see changed (its areas): its streams re-read it.
        self.moves: dict[int, int] = defaultdict(int)
        # The live streams' shared reads (schema/live.py): key -> (generation, the read).
        self.reads: OrderedDict[Hashable, tuple[Hashable, asyncio.Future[Any]]] = OrderedDict()
        self._count = 0
        self._peak = 0

    def generation(self, consultation_id: int) -> tuple[int, int]:
        """Changes whenever this consultation is signalled (or everything is)."""
        return self._epoch, self._generations.get(consultation_id, 0)

    def refresh(self, consultation_id: int) -> None:
        """The next shared read of this consultation goes to the database, without waking anyone."""
        self._generations[consultation_id] += 1

    @contextmanager
    def subscription(self, consultation_id: int) -> Iterator[Signal]:
        signal = Signal()
        self._subscribers[consultation_id].add(signal)
        self._count += 1
        self._peak = max(self._peak, self._count)
        metrics.subscribed(+1)
        try:
            yield signal
        finally:
            metrics.subscribed(-1)
            self._subscribers[consultation_id].discard(signal)
            if not self._subscribers[consultation_id]:
                del self._subscribers[consultation_id]
            self._left()

    def _left(self) -> None:
        """After a crowd leaves (down to half of the most this process held, from 200 or more), give memory back."""
        self._count -= 1
        if self._peak >= 200 and self._count <= self._peak // 2:
            self._peak = self._count
            memory.give_back_soon()

    def notify(self, consultation_id: int) -> None:
        self._generations[consultation_id] += 1
        for signal in list(self._subscribers.get(consultation_id, ())):
            signal.set()

    def notify_all(self) -> None:
        self._epoch += 1
        for signals in list(self._subscribers.values()):
            for signal in list(signals):
                signal.set()

    def viewer_moved(self, account_id: int) -> None:
        """What the account may see changed: every stream wakes, and the account's own re-read
        who it is before they read on (the others only find nothing new)."""
        self.moves[account_id] += 1
        self.notify_all()

    @property
    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class PostgresEventBus(EventBus):
    """Adds one LISTEN connection per process, reconnecting with backoff."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.dsn = _asyncpg_dsn(database_url)
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task | None = None
        self._lost = asyncio.Event()
        self._stopping = False
        self.reconnects = 0

    async def start(self) -> None:
        await self._connect()
        self._task = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        self._stopping = True
        if self._task:
            self._task.cancel()
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()

    async def _connect(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.dsn)
        await conn.add_listener(CHANNEL, self._on_notify)
        conn.add_termination_listener(lambda _conn: self._lost.set())
        self._conn = conn
        self._lost.clear()

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        if isinstance(payload, str) and payload.isdigit():
            self.notify(int(payload))
        elif isinstance(payload, str) and payload.startswith(VIEWERS) and payload[len(VIEWERS) :].isdigit():
            self.viewer_moved(int(payload[len(VIEWERS) :]))

    async def _watch(self) -> None:
        while not self._stopping:
            await self._lost.wait()
            delay = 0.2
            while not self._stopping:
                try:
                    await self._connect()
                    self.reconnects += 1
                    log.warning("event listener reconnected (%d)", self.reconnects)
                    # Anything committed while we were deaf is in the audit trail: re-read it.
                    self.notify_all()
                    break
                except Exception as error:
                    log.warning("event listener reconnect failed: %s", error)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)


def _asyncpg_dsn(url: str) -> str:
    parsed = urllib.parse.urlsplit(url)
    # Tortoise's pool options (minsize, maxsize...) mean nothing to a single connection.
    return parsed._replace(scheme="postgresql", query="").geturl()


# ---------------------------------------------------------------- the process's bus

_bus: EventBus = EventBus()


def bus() -> EventBus:
    return _bus


def use(new_bus: EventBus) -> None:
    global _bus
    _bus = new_bus


# ---------------------------------------------------------------- after commit

# The consultations a transaction wrote to; signalled once it commits.
_pending: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar("consult_pending_events", default=None)


def pending_is_empty() -> bool:
    return _pending.get() is None


def written(consultation_id: int) -> None:
    pending = _pending.get()
    if pending is not None:
        pending.add(consultation_id)
    else:
        _bus.notify(consultation_id)


@contextmanager
def collecting() -> Iterator[set[int]]:
    """Collect the consultations written inside; the caller signals them after commit."""
    outer = _pending.get()
    if outer is not None:
        # A nested transaction: the outermost one commits, and signals.
        yield outer
        return
    pending: set[int] = set()
    token = _pending.set(pending)
    try:
        yield pending
    finally:
        _pending.reset(token)


async def announce_viewer_moved(conn: Any, account_id: int) -> None:
    """Inside the transaction that changes what an account may see: once it commits, its streams
    in the other processes re-read it (through PostgreSQL's channel). This process's are told
    by the caller after the commit (bus().viewer_moved)."""
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query("SELECT pg_notify($1, $2)", [CHANNEL, f"{VIEWERS}{account_id}"])
