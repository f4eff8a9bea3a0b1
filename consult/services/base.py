"""What every service shares: the call context, input cleaning and the consultation lock."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast, overload

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from consult import anchors, events
from consult.audit import append_event
from consult.clock import utcnow
from consult.errors import Invalid, NotFound
from consult.ids import expect_id
from consult.models import Consultation, VoterRollEntry
from consult.policies import ANONYMOUS, Actor, allowed, relations_of, slip_bound
from consult.settings import Settings


@dataclass
class ServiceContext:
    actor: Actor = ANONYMOUS
    settings: Settings = field(default_factory=Settings)
    clock: Callable[[], datetime] = utcnow
    # Who is calling from where, for rate limits ("ip:203.0.113.5").
    client_key: str = "local"

    def now(self) -> datetime:
        return self.clock()


# Control characters (tabs and line breaks are fine) and lone surrogates: databases refuse them.
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Invisible characters that reorder or hide text: bidi overrides and isolates (a title that
# reads one way and sorts or searches another), zero-width spaces and marks (two names that
# look the same and are not). No Chinese text needs them.
_INVISIBLE_CHARS = re.compile("[\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# The zero-width joiner builds emoji sequences in longer text; in a short one (a title, a name,
# a label) it only makes look-alikes.
_SHORT_TEXT = 200


def strip_unstorable(text: str) -> str:
    """For search terms: drop what clean_text would refuse."""
    return _FORBIDDEN_CHARS.sub("", text)


@overload
def clean_text(value: Any, field_name: str, *, max_len: int, required: Literal[True] = True) -> str: ...
@overload
def clean_text(value: Any, field_name: str, *, max_len: int, required: bool) -> str | None: ...
def clean_text(value: Any, field_name: str, *, max_len: int, required: bool = True) -> str | None:
    """Trim, require and bound a text input."""
    if value is None:
        if required:
            raise Invalid("required", field_name)
        return None
    text = str(value).strip()
    if _FORBIDDEN_CHARS.search(text):
        raise Invalid("bad_characters", field_name)
    if _INVISIBLE_CHARS.search(text) or (max_len <= _SHORT_TEXT and "\u200d" in text):
        raise Invalid("invisible_characters", field_name)
    if not text:
        if required:
            raise Invalid("required", field_name)
        return None
    if len(text) > max_len:
        raise Invalid("too_long", field_name, max=max_len)
    return text


def decode_id(global_id: Any, type_name: str, field_name: str) -> int:
    """A global ID of the expected type, or NOT_FOUND on the field."""
    pk = expect_id(global_id, type_name) if isinstance(global_id, str) else None
    if pk is None:
        raise NotFound(field_name)
    return pk


@asynccontextmanager
async def transaction():
    """One database transaction; live subscribers are signalled once it has committed."""
    outermost = events.pending_is_empty()
    with events.collecting() as written, anchors.collecting() as anchored:
        async with in_transaction("default") as conn:
            yield conn
    if outermost:
        anchors.flush(anchored)
        for consultation_id in written:
            events.bus().notify(consultation_id)


async def lock_consultation(pk: int, conn: Any, field_name: str = "consultationId") -> Consultation:
    """Load and row-lock a consultation for the rest of the transaction.

    The lock serializes writers of one consultation on PostgreSQL, so stage checks and the
    audit chain's next seq cannot race. SQLite serializes transactions by itself.
    """
    consultation = await Consultation.select_for_update().using_db(conn).get_or_none(id=pk)
    if consultation is None:
        raise NotFound(field_name)
    return consultation


async def lock_through(model: Any, pk: int, conn: Any, field_name: str) -> tuple[Consultation, Any]:
    """Lock the consultation a row belongs to, then read the row under that lock.

    Every write to a consultation's things takes the consultation's lock first, so stage
    checks, the audit chain and the row itself cannot race another writer. The lock is taken
    through the row in one statement.
    """
    owner = model.filter(id=pk).values("consultation_id")
    consultation = await Consultation.filter(id=Subquery(owner)).select_for_update().using_db(conn).first()
    if consultation is None:
        raise NotFound(field_name)
    # The row was found before the lock was granted: whoever held it may have deleted it.
    row = await model.get_or_none(id=pk, using_db=conn)
    if row is None:
        raise NotFound(field_name)
    return consultation, row


def can_see(actor: Actor, consultation: Consultation) -> bool:
    if consultation.published:
        return True
    return allowed(
        actor, "consultation.read_draft", relations_of(actor, consultation), community=consultation.community_id
    )


def ensure_visible(actor: Actor, consultation: Consultation, field_name: str) -> None:
    """A DRAFT is invisible to outsiders: they get NOT_FOUND, not a hint that it exists."""
    if not can_see(actor, consultation):
        raise NotFound(field_name)


async def slip_consultation(actor: Actor, conn: Any) -> int | None:
    """The consultation of the invitation slip a slip-bound resident came in with."""
    if not slip_bound(actor):
        return None
    found = await VoterRollEntry.filter(id=actor.roll_entry_id).using_db(conn).values_list("consultation_id", flat=True)
    return cast(int, found[0]) if found else None


async def audit(
    ctx: ServiceContext,
    consultation: Consultation,
    conn: Any,
    *,
    action: str,
    kind: str,
    subject: str | None,
    summary: str,
    payload: dict[str, Any],
    anonymous: bool = False,
):
    """Append the call's audit event. `anonymous` leaves the actor out (secret ballots, the clock)."""
    return await append_event(
        consultation,
        at=ctx.now(),
        actor_id=None if anonymous else ctx.actor.account_id,
        action=action,
        kind=kind,
        subject=subject,
        summary=summary,
        payload=payload,
        using_db=conn,
    )
