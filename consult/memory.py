"""Giving memory back to the system after a crowd of live subscribers has left.

CPython frees the objects of a closed WebSocket, but glibc's allocator keeps the freed pages
for reuse, so a worker that once held 10,000 phones keeps their memory for good. After a large
drop in subscribers, the bus asks the allocator to return what it can (malloc_trim), once,
a second later. On systems without glibc this does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import time

log = logging.getLogger("consult.memory")
_libc: ctypes.CDLL | None = None
_scheduled = False
_last = 0.0
# gc.collect() and malloc_trim() hold the event loop for a moment: not more often than this.
MIN_INTERVAL = 30.0


def _trim() -> None:
    global _libc, _scheduled, _last
    _scheduled = False
    _last = time.monotonic()
    gc.collect()
    try:
        if _libc is None:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _libc.malloc_trim(0)
    except (OSError, AttributeError) as error:
        log.debug("malloc_trim is not available: %s", error)


def give_back_soon(delay: float = 1.0) -> None:
    """Trim the allocator after `delay` seconds (once, however often this is called meanwhile)."""
    global _scheduled
    if _scheduled or time.monotonic() - _last < MIN_INTERVAL:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    _scheduled = True
    loop.call_later(delay, _trim)
