"""Reads shared by the streams that one signal wakes.

When a vote lands, every phone watching that poll wakes at once. Each used to read the poll,
its consultation and its options for itself: 10,000 phones, 30,000 queries for one vote. Now
the first stream to wake for a signal starts the read and the others await the same answer.

A read is keyed by what it reads and tagged with the bus's generation for the consultation,
taken before the read starts. A signal that arrives during a read bumps the generation and
wakes the streams again, so they read anew: nothing committed is missed, and nothing is served
from before the signal that woke the stream. A stream whose idle wait ran out bumps the
generation itself (EventBus.refresh), so a signal that never came (a half-open LISTEN socket,
a write from another process on SQLite) is caught up within RECHECK_SECONDS.

The reads live on the process's bus, one entry per key: a new entry replaces the old one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from consult import events

# Streams watch a few hundred polls and consultations at most; the least recently used fall out.
MAX_KEYS = 4096


def _failed(future: asyncio.Future[Any]) -> bool:
    """A read that failed is tried again by the next stream that asks."""
    return future.done() and (future.cancelled() or future.exception() is not None)


async def shared(key: Hashable, generation: Hashable, read: Callable[[], Awaitable[Any]]) -> Any:
    """read()'s answer for this key and generation, read once however many streams ask."""
    reads = events.bus().reads
    held = reads.get(key)
    if held is None or held[0] != generation or _failed(held[1]):
        future: asyncio.Future[Any] = asyncio.ensure_future(read())
        reads[key] = (generation, future)
        while len(reads) > MAX_KEYS:
            reads.popitem(last=False)
    else:
        future = held[1]
    reads.move_to_end(key)
    # shield: one stream going away must not cancel the read the others await.
    return await asyncio.shield(future)
