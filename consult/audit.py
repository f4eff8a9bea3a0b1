"""The audit trail: every write to a consultation appends one event to its hash chain.

hash = sha256(prevHash + canonical JSON of the event), where the canonical form is UTF-8
JSON with sorted keys, no spaces and non-ASCII kept. The same events are the replay source
for live subscriptions, so a reconnecting client that passes afterSeq misses nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from consult import anchors, events
from consult.ids import to_global_id
from consult.models import AuditEvent, Consultation, InstallationEvent


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def event_content(
    *,
    seq: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    kind: str | None,
    subject: str | None,
    summary: str,
    payload: str,
) -> str:
    """The canonical JSON a link of a chain hashes. The installation's trail has no `kind`."""
    content = {
        "seq": seq,
        "at": _iso(at),
        "actor": to_global_id("Account", actor_id) if actor_id else None,
        "action": action,
        "kind": kind,
        "subject": subject,
        "summary": summary,
        "payload": json.loads(payload),
    }
    if kind is None:
        del content["kind"]
    return canonical_json(content)


def stored_content(event: AuditEvent) -> str:
    """The canonical content of an event as stored, which its hash must cover."""
    return event_content(
        seq=event.seq,
        at=event.at,
        actor_id=event.actor_id,
        action=event.action,
        kind=event.kind,
        subject=event.subject,
        summary=event.summary,
        payload=event.payload,
    )


def chain_hash(prev_hash: str | None, content: str) -> str:
    return hashlib.sha256(((prev_hash or "") + content).encode()).hexdigest()


async def append_event(
    consultation: Consultation,
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    kind: str,
    subject: str | None,
    summary: str,
    payload: dict[str, Any],
    using_db: Any,
) -> AuditEvent:
    """Append to the chain. The caller holds the consultation's row lock in `using_db`."""
    seq = consultation.last_seq + 1
    payload_json = canonical_json(payload)
    content = event_content(
        seq=seq,
        at=at,
        actor_id=actor_id,
        action=action,
        kind=kind,
        subject=subject,
        summary=summary,
        payload=payload_json,
    )
    digest = chain_hash(consultation.head_hash, content)
    event = await AuditEvent.create(
        consultation_id=consultation.id,
        seq=seq,
        at=at,
        actor_id=actor_id,
        action=action,
        kind=kind,
        subject=subject,
        summary=summary,
        payload=payload_json,
        prev_hash=consultation.head_hash,
        hash=digest,
        using_db=using_db,
    )
    consultation.last_seq = seq
    consultation.head_hash = digest
    # Live subscribers: other processes hear NOTIFY when this transaction commits (and not
    # before); this process is signalled after the commit by the write path. On PostgreSQL the
    # notification rides on the head's update: one round trip for both.
    if using_db.capabilities.dialect == "postgres":
        await using_db.execute_query(
            'UPDATE "consultation" SET "last_seq" = $1, "head_hash" = $2 WHERE "id" = $3 RETURNING pg_notify($4, $5)',
            [seq, digest, consultation.id, events.CHANNEL, str(consultation.id)],
        )
    else:
        await Consultation.filter(id=consultation.id).using_db(using_db).update(last_seq=seq, head_hash=digest)
    events.written(consultation.id)
    anchors.note(consultation.id, seq, digest, at)
    return event


def chain_is_valid(events: Iterable[AuditEvent], head_hash: str | None) -> bool:
    """Recompute the chain from the first event; any edit, gap, reordering or cut tail breaks it.

    `head_hash` is the hash the consultation row recorded for its last event.
    """
    return chain_is_valid_from(events, head_hash, prev=None, first_seq=1)


def chain_is_valid_from(
    events: Iterable[AuditEvent], head_hash: str | None, *, prev: str | None, first_seq: int
) -> bool:
    """The same check from a checkpoint: `events` start at `first_seq` and link to `prev`."""
    return chain_break(events, head_hash, prev=prev, first_seq=first_seq) is None


def chain_break(
    events: Iterable[AuditEvent], head_hash: str | None, *, prev: str | None = None, first_seq: int = 1
) -> str | None:
    """Where the chain breaks, in words (for `consult verify`), or None when it holds up to `head_hash`."""
    expected_seq = first_seq
    for event in events:
        if event.seq != expected_seq:
            return f"seq {expected_seq} is missing (found {event.seq})"
        if event.prev_hash != prev:
            return f"seq {event.seq} does not link to the event before it"
        try:
            content = stored_content(event)
        except (ValueError, TypeError):
            return f"seq {event.seq} cannot be read back"
        if chain_hash(prev, content) != event.hash:
            return f"seq {event.seq} was edited: its hash does not match its content"
        prev = event.hash
        expected_seq += 1
    if prev != head_hash:
        return f"the trail ends at seq {expected_seq - 1}, but the consultation records another head"
    return None


# ---------------------------------------------------------------- the installation's trail

# Taken for the rest of the transaction on PostgreSQL, so that two writers never read the same
# head; SQLite runs one write transaction at a time by itself.
_INSTALLATION_LOCK = 0x636F6E73  # "cons"


def installation_content(event: InstallationEvent) -> str:
    return event_content(
        seq=event.seq,
        at=event.at,
        actor_id=event.actor_id,
        action=event.action,
        kind=None,
        subject=event.subject,
        summary=event.summary,
        payload=event.payload,
    )


async def lock_installation(using_db: Any) -> None:
    """Serialize the installation's account changes until the transaction ends: one chain, and
    one check of a name against the names taken (SQLite's single writer does this by itself).
    Taking it twice in one transaction is harmless."""
    if using_db.capabilities.dialect == "postgres":
        await using_db.execute_query("SELECT pg_advisory_xact_lock($1)", [_INSTALLATION_LOCK])


async def append_installation_event(
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    subject: str | None,
    summary: str,
    payload: dict[str, Any],
    using_db: Any,
) -> InstallationEvent:
    """Append to the installation's chain: accounts made, roles granted, passwords reset."""
    await lock_installation(using_db)
    head = await InstallationEvent.all().using_db(using_db).order_by("-seq").first()
    event = InstallationEvent(
        seq=(head.seq if head else 0) + 1,
        at=at,
        actor_id=actor_id,
        action=action,
        subject=subject,
        summary=summary,
        payload=canonical_json(payload),
        prev_hash=head.hash if head else None,
    )
    event.hash = chain_hash(event.prev_hash, installation_content(event))
    await event.save(using_db=using_db)
    anchors.note(None, event.seq, event.hash, at)
    return event


def installation_chain_is_valid(events: Iterable[InstallationEvent]) -> bool:
    prev: str | None = None
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq or event.prev_hash != prev:
            return False
        try:
            if chain_hash(prev, installation_content(event)) != event.hash:
                return False
        except (ValueError, TypeError):
            return False
        prev = event.hash
    return True
