"""Live progress over GraphQL subscriptions: every event of a consultation, and a poll's tally.

Both streams read from the database when the bus signals; the signal carries no data. So a
subscriber sees exactly what it could query, in seq order, with nothing skipped or repeated,
even across its switch from replay to live and across a listener reconnect. The streams that
one signal wakes share their reads (schema/live.py): a vote watched by 10,000 phones costs a
few queries, not 10,000 of each.

Every wake re-checks that the viewer may still see the consultation. The viewer's session is
re-checked at most every CONSULT_SESSION_RECHECK_SECONDS (10 by default) while changes come,
and on the idle wake-up every RECHECK_SECONDS (spread by ±20% so that idle streams do not all
wake together): a phone that signs out stops receiving within that time.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import AsyncGenerator, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import strawberry
from graphql import GraphQLError

from consult import events, metrics, models
from consult.domain.vocabulary import EventKind
from consult.ids import expect_id, to_global_id
from consult.services.accounts import actor_for_token
from consult.services.base import can_see
from schema.context import Info
from schema.enums import graphql_enum
from schema.live import shared
from schema.loaders import Loaders
from schema.reminders import ReminderSubscription
from schema.voting import Poll, Tally

BATCH = 200
# A stream re-checks its viewer's session and rights at least this often, even when idle.
RECHECK_SECONDS = 30.0

graphql_enum(
    EventKind,
    description=(
        "What an event is about. In a secret poll, ballot events carry neither the voter nor the choice: "
        "only TALLY_CHANGED is published."
    ),
)


@strawberry.type(description="One audited change of a consultation, as pushed to subscribers.")
class ConsultationEvent:
    seq: int = strawberry.field(
        description="The audit event's seq: a client that reconnects with afterSeq misses nothing"
    )
    at: datetime = strawberry.field(description="When it happened.")
    kind: EventKind = strawberry.field(description="What it is about.")
    consultation_id: strawberry.ID = strawberry.field(description="The consultation.")
    subject_id: strawberry.ID | None = strawberry.field(description="The entity the event is about")
    summary: str = strawberry.field(description="A sentence for people, in Chinese.")


async def _consultation(cid: int) -> models.Consultation | None:
    """The consultation as of the latest signal, read once for every stream it woke."""
    return await shared(("consultation", cid), events.bus().generation(cid), lambda: _read_consultation(cid))


async def _read_consultation(cid: int) -> models.Consultation | None:
    return await models.Consultation.get_or_none(id=cid)


class _Viewer:
    """Whether a stream's viewer may still see its consultation: a revoked session or a hidden
    consultation ends the stream."""

    def __init__(self, info: Info) -> None:
        self.info = info
        self.session_checked = 0.0
        self.account = info.context.actor.account_id or 0
        self.moves = events.bus().moves.get(self.account, 0)

    async def allowed(self, cid: int, *, session_due: bool = False) -> bool:
        ctx = self.info.context
        every = min(ctx.settings.session_recheck_seconds, RECHECK_SECONDS)
        # this viewer's areas changed since the last look (setStaffAreas)
        moves = events.bus().moves.get(self.account, 0)
        due = session_due or moves != self.moves or time.monotonic() - self.session_checked >= every
        if ctx.token and due:
            self.moves = moves
            actor = await actor_for_token(ctx.token, ctx.now())
            if actor is None:
                return False
            ctx.actor = actor
            self.session_checked = time.monotonic()
        consultation = await _consultation(cid)
        return consultation is not None and can_see(ctx.actor, consultation)


async def _idle(signal: events.Signal, cid: int) -> bool:
    """Wait for a signal; False when the wait ran out instead. Then the session is re-checked and
    the next reads go to the database, in case a signal was lost."""
    woke = await signal.wait(RECHECK_SECONDS * random.uniform(0.8, 1.2))
    if not woke:
        events.bus().refresh(cid)
    return woke


async def _events_after(cid: int, last: int) -> list[models.AuditEvent]:
    async def read() -> list[models.AuditEvent]:
        return await models.AuditEvent.filter(consultation_id=cid, seq__gt=last).order_by("seq").limit(BATCH)

    # One entry per consultation: streams at the same seq (the usual case) share it.
    return await shared(("events", cid), (events.bus().generation(cid), last), read)


async def _poll_state(pk: int, cid: int) -> tuple[models.Poll, list[models.PollOption]]:
    """The poll and its options as of the latest signal, read once for every stream it woke."""

    async def read() -> tuple[models.Poll, list[models.PollOption]]:
        poll = await models.Poll.get(id=pk)
        return poll, await models.PollOption.filter(poll_id=pk).order_by("position", "id")

    return await shared(("poll", pk), events.bus().generation(cid), read)


# Open subscriptions in this worker, by signed-in session or, for the signed-out, by address.
_open: Counter[str] = Counter()


@contextmanager
def _admitted(info: Info) -> Iterator[None]:
    """Hold one of the caller's subscription places for as long as the stream runs.

    300 signed-out subscriptions from one address once cut vote throughput from 37.5/s to 1.5/s.
    A phone's page holds two; the limits leave room for a few tabs, and a community office's
    shared address serves its residents' signed-in phones by their sessions.
    """
    ctx = info.context
    if ctx.actor.session_id is not None:
        key, limit = f"session:{ctx.actor.session_id}", ctx.settings.subscriptions_per_session
    else:
        key, limit = f"address:{ctx.client_key}", ctx.settings.subscriptions_per_address
    if _open[key] >= limit:
        raise GraphQLError(
            f"同时订阅的数量已达上限（{limit}）。Too many live subscriptions at once (at most {limit}).",
            extensions={"code": "TOO_MANY_SUBSCRIPTIONS", "max": limit},
        )
    _open[key] += 1
    try:
        yield
    finally:
        _open[key] -= 1
        if _open[key] <= 0:
            del _open[key]


def _refuse() -> GraphQLError:
    return GraphQLError(
        "找不到该协商，或您无权查看。Not found, or you may not see it.", extensions={"code": "NOT_FOUND"}
    )


@strawberry.type(description="Live progress.")
class Subscription(ReminderSubscription):
    @strawberry.subscription(
        description="Every event of one consultation, oldest first; with afterSeq, events after it are replayed first"
    )
    async def consultation_events(
        self,
        info: Info,
        consultation_id: Annotated[
            strawberry.ID, strawberry.argument(description="The consultation, by its global ID.")
        ],
        after_seq: Annotated[
            int | None,
            strawberry.argument(
                description=(
                    "The last `seq` the client has seen: the events after it are replayed first, then live ones "
                    "follow. Left out, every event from the first."
                )
            ),
        ] = None,
    ) -> AsyncGenerator[ConsultationEvent, None]:
        cid = expect_id(consultation_id, "Consultation")
        viewer = _Viewer(info)
        if cid is None or not await viewer.allowed(cid, session_due=True):
            raise _refuse()
        last = max(after_seq or 0, 0)
        # Subscribe before the replay: anything committed during it is then signalled too.
        with _admitted(info), events.bus().subscription(cid) as signal:
            while True:
                signalled_at = signal.clear()
                rows = await _events_after(cid, last)
                for row in rows:
                    last = row.seq
                    metrics.pushed(signalled_at)
                    signalled_at = None
                    yield ConsultationEvent(
                        seq=row.seq,
                        at=row.at,
                        kind=EventKind(row.kind),
                        consultation_id=strawberry.ID(to_global_id("Consultation", cid)),
                        subject_id=strawberry.ID(row.subject) if row.subject else None,
                        summary=row.summary,
                    )
                if len(rows) == BATCH:
                    # a long replay: still this viewer's to read?
                    if not await viewer.allowed(cid):
                        return
                    continue
                woke = await _idle(signal, cid)
                if not await viewer.allowed(cid, session_due=not woke):
                    return

    @strawberry.subscription(
        description="The current tally at once, then again whenever it changes (only while the viewer may see it)"
    )
    async def poll_tally(
        self,
        info: Info,
        poll_id: Annotated[strawberry.ID, strawberry.argument(description="The poll, by its global ID.")],
    ) -> AsyncGenerator[Tally, None]:
        pk = expect_id(poll_id, "Poll")
        poll = await models.Poll.get_or_none(id=pk) if pk is not None else None
        viewer = _Viewer(info)
        if poll is None or pk is None or not await viewer.allowed(poll.consultation_id, session_due=True):
            raise _refuse()
        cid = poll.consultation_id
        sent: tuple[int, str] | None = None
        with _admitted(info), events.bus().subscription(cid) as signal:
            while True:
                signalled_at = signal.clear()
                row, options = await _poll_state(pk, cid)
                # Fresh loaders per push (a WebSocket lives long), primed with the shared reads.
                loaders = info.context.loaders = Loaders(info.context.actor.account_id)
                consultation = await _consultation(cid)
                if consultation is not None:
                    loaders.consultation_by_id.prime(cid, consultation)
                loaders.options_by_poll.prime(pk, options)
                wrapper = Poll.of(row)
                status = await wrapper._status(info)
                tally = await wrapper.visible_tally(info)
                # Coalesced: only the newest version is ever sent, and each at most once.
                if tally is not None and sent != (tally.version, status):
                    sent = (tally.version, status)
                    metrics.pushed(signalled_at)
                    yield tally
                woke = await _idle(signal, cid)
                if not await viewer.allowed(cid, session_due=not woke):
                    return
