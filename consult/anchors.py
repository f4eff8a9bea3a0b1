"""Anchors: every audit event's hash, appended to a file outside the database once it commits.

The audit chain inside the database only catches clumsy tampering: whoever can write the
database can edit an event and recompute every later hash, or delete events and re-chain the
rest, and `chainValid` still says true. A line per event in an append-only file elsewhere (its
own disk, a log shipper, a WORM bucket) is what such a rewrite cannot reach. `consult verify`
checks the database against it.

One JSON line per event: {"at", "consultation", "seq", "hash"}. Lines are appended after the
transaction commits, so a rolled-back write leaves none; a crash between the commit and the
append can leave an event without its anchor, which verify does not count against the database.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("consult.anchors")
_file: Path | None = None
_pending: contextvars.ContextVar[list[dict] | None] = contextvars.ContextVar("consult_anchors", default=None)


def default_file(database_url: str) -> Path:
    """Beside an embedded SQLite database; for PostgreSQL, under ./var, named after the database
    (a file holds the anchors of one database). Production sets CONSULT_ANCHOR_FILE elsewhere."""
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        return Path(database_url.removeprefix("sqlite://")).parent / "anchors.jsonl"
    name = database_url.rsplit("/", 1)[-1].split("?", 1)[0] or "consult"
    return Path("var") / f"anchors-{name}.jsonl"


def configure(path: Path | str | None) -> None:
    """Where anchors go from now on in this process; None or "" turns them off."""
    global _file
    _file = Path(path) if path else None


def configured() -> Path | None:
    return _file


def note(consultation_id: int, seq: int, digest: str, at: datetime) -> None:
    """An event was appended: anchor it once its transaction commits."""
    if _file is None:
        return
    line = {"at": at.astimezone(UTC).isoformat(), "consultation": consultation_id, "seq": seq, "hash": digest}
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


def _append(lines: list[dict]) -> None:
    assert _file is not None
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
        if isinstance(line, dict) and {"consultation", "seq", "hash"} <= line.keys():
            anchors.append(line)
    return anchors
