"""Live progress over GraphQL subscriptions: every event of a consultation, and a poll's tally.

Both streams read from the database when the bus signals; the signal carries no data. So a
subscriber sees exactly what it could query, in seq order, with nothing skipped or repeated,
even across its switch from replay to live and across a listener reconnect.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from graphql import GraphQLError

from consult import events, models
from consult.domain.vocabulary import EventKind
from consult.ids import expect_id, to_global_id
from consult.services.accounts import actor_for_token
from consult.services.base import can_see
from schema.context import Info
from schema.enums import graphql_enum
from schema.loaders import Loaders
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
        description="the audit event's seq: a client that reconnects with afterSeq misses nothing"
    )
    at: datetime = strawberry.field(description="When it happened.")
    kind: EventKind = strawberry.field(description="What it is about.")
    consultation_id: strawberry.ID = strawberry.field(description="The consultation.")
    subject_id: strawberry.ID | None = strawberry.field(description="the entity the event is about")
    summary: str = strawberry.field(description="A sentence for people, in Chinese.")


async def _still_allowed(info: Info, consultation_id: int) -> bool:
    """Re-check on every wake: a revoked session or a hidden consultation ends the stream."""
    ctx = info.context
    if ctx.token:
        actor = await actor_for_token(ctx.token, ctx.now())
        if actor is None:
            return False
        ctx.actor = actor
    consultation = await models.Consultation.get_or_none(id=consultation_id)
    return consultation is not None and can_see(ctx.actor, consultation)


def _refuse() -> GraphQLError:
    return GraphQLError(
        "找不到该协商，或您无权查看。Not found, or you may not see it.", extensions={"code": "NOT_FOUND"}
    )


@strawberry.type(description="Live progress.")
class Subscription:
    @strawberry.subscription(
        description="every event of one consultation, oldest first; with afterSeq, events after it are replayed first"
    )
    async def consultation_events(
        self, info: Info, consultation_id: strawberry.ID, after_seq: int | None = None
    ) -> AsyncGenerator[ConsultationEvent, None]:
        cid = expect_id(consultation_id, "Consultation")
        if cid is None or not await _still_allowed(info, cid):
            raise _refuse()
        last = max(after_seq or 0, 0)
        # Subscribe before the replay: anything committed during it is then signalled too.
        with events.bus().subscription(cid) as signal:
            while True:
                signal.clear()
                rows = await models.AuditEvent.filter(consultation_id=cid, seq__gt=last).order_by("seq").limit(BATCH)
                for row in rows:
                    last = row.seq
                    yield ConsultationEvent(
                        seq=row.seq,
                        at=row.at,
                        kind=EventKind(row.kind),
                        consultation_id=strawberry.ID(to_global_id("Consultation", cid)),
                        subject_id=strawberry.ID(row.subject) if row.subject else None,
                        summary=row.summary,
                    )
                if len(rows) == BATCH:
                    continue
                await signal.wait(RECHECK_SECONDS)
                if not await _still_allowed(info, cid):
                    return

    @strawberry.subscription(
        description="the current tally at once, then again whenever it changes (only while the viewer may see it)"
    )
    async def poll_tally(self, info: Info, poll_id: strawberry.ID) -> AsyncGenerator[Tally, None]:
        pk = expect_id(poll_id, "Poll")
        poll = await models.Poll.get_or_none(id=pk) if pk is not None else None
        if poll is None or not await _still_allowed(info, poll.consultation_id):
            raise _refuse()
        sent: tuple[int, str] | None = None
        with events.bus().subscription(poll.consultation_id) as signal:
            while True:
                signal.clear()
                # Fresh loaders per push: a WebSocket lives long, and its data must not go stale.
                info.context.loaders = Loaders(info.context.actor.account_id)
                row = await models.Poll.get(id=pk)
                wrapper = Poll.of(row)
                status = await wrapper._status(info)
                tally = await wrapper.visible_tally(info)
                # Coalesced: only the newest version is ever sent, and each at most once.
                if tally is not None and sent != (tally.version, status):
                    sent = (tally.version, status)
                    yield tally
                await signal.wait(RECHECK_SECONDS)
                if not await _still_allowed(info, row.consultation_id):
                    return
