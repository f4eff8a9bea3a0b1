"""Reminders in the API: the viewer's notices (the bell), their live count, marking them read,
where reminders go by email, and (admins) what went out by email and webhook."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry

from consult import events, models
from consult.domain.vocabulary import DeliveryChannel, DeliveryStatus, ReminderKind
from consult.ids import to_global_id
from consult.services import reminders
from consult.services.accounts import actor_for_token
from schema.context import Info
from schema.enums import graphql_enum
from schema.errors import UserError, errors_field
from schema.pagination import After, First, PageInfo, encode_cursor, paginate
from schema.types import Account, Consultation

graphql_enum(ReminderKind, description="What a reminder is about (定时限): a deadline coming or passed.")
graphql_enum(DeliveryChannel, description="How a reminder goes out besides the bell.")
graphql_enum(DeliveryStatus, description="Where one outbound reminder stands.")

# An idle bell re-reads its count this often even without a signal, in case one was lost.
RECHECK_SECONDS = 60.0


@strawberry.type(description="One reminder as the viewer sees it in the bell.")
class Notice:
    m: strawberry.Private[models.Notice]
    r: strawberry.Private[models.Reminder]

    @strawberry.field(description="The notice's global ID, for markNoticesRead.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Notice", self.m.id))

    @strawberry.field(description="What it is about.")
    def kind(self) -> ReminderKind:
        return ReminderKind(self.r.kind)

    @strawberry.field(description="What to do, in a sentence for people (Chinese).")
    def text(self) -> str:
        return self.r.text

    @strawberry.field(description="The deadline it is about (for an unconfirmed share: when the plan was adopted).")
    def due_at(self) -> datetime:
        return self.r.due_at

    @strawberry.field(description="When the viewer was told.")
    def created_at(self) -> datetime:
        return self.m.created_at

    @strawberry.field(description="When the viewer marked it read; null while unread.")
    def read_at(self) -> datetime | None:
        return self.m.read_at

    @strawberry.field(description="The consultation it is about; null if the viewer may no longer see it.")
    async def consultation(self, info: Info) -> Consultation | None:
        row = await info.context.loaders.consultation_by_id.load(self.r.consultation_id)
        return Consultation.of(row) if info.context.can_see(row) else None


@strawberry.type(description="An edge of the viewer's notices.")
class NoticeEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: Notice = strawberry.field(description="The notice.")


@strawberry.type(description="A page of the viewer's notices, newest first.")
class NoticeConnection:
    edges: list[NoticeEdge] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")
    total_count: int = strawberry.field(description="How many match, over all pages.")
    unread_count: int = strawberry.field(description="How many of the viewer's notices are unread, over all pages.")


@strawberry.type(description="One reminder going out by email or webhook, and how that went (admins).")
class Delivery:
    m: strawberry.Private[models.Delivery]
    reminder_text: strawberry.Private[str]

    @strawberry.field(description="The delivery's global ID.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Delivery", self.m.id))

    @strawberry.field(description="Email or webhook.")
    def channel(self) -> DeliveryChannel:
        return DeliveryChannel(self.m.channel)

    @strawberry.field(
        description=(
            "The email address, or the webhook's address without its key: no query, and any long path "
            "segment (a token) shown as …."
        )
    )
    def target(self) -> str:
        from consult.services.reminders import shown_url

        if self.m.channel == DeliveryChannel.WEBHOOK:
            return shown_url(self.m.target)
        return self.m.target

    @strawberry.field(description="PENDING (waiting, or to be tried again), SENDING, SENT or FAILED (gave up).")
    def status(self) -> DeliveryStatus:
        return DeliveryStatus(self.m.status)

    @strawberry.field(description="How many times it was tried.")
    def attempts(self) -> int:
        return self.m.attempts

    @strawberry.field(description="When it is tried next, while PENDING.")
    def next_attempt_at(self) -> datetime:
        return self.m.next_attempt_at

    @strawberry.field(description="When it went out; null until then.")
    def sent_at(self) -> datetime | None:
        return self.m.sent_at

    @strawberry.field(description="Why the last try failed; null when it did not.")
    def last_error(self) -> str | None:
        from consult.services.reminders import without_keys

        return without_keys(self.m.last_error) if self.m.last_error else None

    @strawberry.field(description="The reminder's text, as sent.")
    def text(self) -> str:
        return self.reminder_text


@strawberry.type(description="An edge of the deliveries.")
class DeliveryEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: Delivery = strawberry.field(description="The delivery.")


@strawberry.type(description="A page of deliveries, newest first.")
class DeliveryConnection:
    edges: list[DeliveryEdge] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")
    total_count: int = strawberry.field(description="How many match, over all pages.")


@strawberry.type(description="Reminders: the viewer's notices, and what went out (admins).")
class ReminderQuery:
    @strawberry.field(
        description=(
            "The viewer's notices (the bell), newest first: reminders of deadlines they keep. Staff and party "
            "representatives; null for everyone else."
        )
    )
    async def notices(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        unread_only: Annotated[bool, strawberry.argument(description="Only the notices not yet marked read.")] = False,
    ) -> NoticeConnection | None:
        account_id = info.context.actor.account_id
        if account_id is None or not info.context.may("notice.read"):
            return None
        qs = models.Notice.filter(account_id=account_id)
        if unread_only:
            qs = qs.filter(read_at__isnull=True)
        page = await paginate(qs, first, after, descending=True)
        by_id = {r.id: r for r in await models.Reminder.filter(id__in=[n.reminder_id for n in page.rows])}
        return NoticeConnection(
            edges=[NoticeEdge(cursor=encode_cursor(n.pk), node=Notice(m=n, r=by_id[n.reminder_id])) for n in page.rows],
            page_info=page.page_info(),
            total_count=page.total,
            unread_count=await reminders.unread_count(account_id),
        )

    @strawberry.field(
        description="How many of the viewer's notices are unread (the bell's count); null for those without a bell."
    )
    async def unread_notices(self, info: Info) -> int | None:
        account_id = info.context.actor.account_id
        if account_id is None or not info.context.may("notice.read"):
            return None
        return await reminders.unread_count(account_id)

    @strawberry.field(
        description=(
            "Reminders going out by email and webhook, newest first, with how each went: admins only; null for "
            "everyone else."
        )
    )
    async def deliveries(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        status: Annotated[
            DeliveryStatus | None, strawberry.argument(description="Only deliveries in this state.")
        ] = None,
    ) -> DeliveryConnection | None:
        if not info.context.may("delivery.read"):
            return None
        qs = models.Delivery.all() if status is None else models.Delivery.filter(status=status)
        scope = info.context.actor.scope
        if scope is not None:
            # An admin of a street or community sees what went out about its own consultations.
            qs = qs.filter(reminder__consultation__community_id__in=sorted(scope) or [0])
        page = await paginate(qs, first, after, descending=True)
        texts = dict(await models.Reminder.filter(id__in=[d.reminder_id for d in page.rows]).values_list("id", "text"))
        return DeliveryConnection(
            edges=[
                DeliveryEdge(cursor=encode_cursor(d.pk), node=Delivery(m=d, reminder_text=texts.get(d.reminder_id, "")))
                for d in page.rows
            ],
            page_info=page.page_info(),
            total_count=page.total,
        )


@strawberry.input(description="Which of the viewer's notices to mark read: some, or all.")
class MarkNoticesReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(default=None, description="The notices, by their global IDs.")
    all: bool = strawberry.field(default=False, description="Every unread notice of the viewer's.")


@strawberry.type(description="How many notices were marked read, and how many stay unread.")
class MarkNoticesReadPayload:
    marked: int = strawberry.field(description="How many were marked read now.")
    unread: int | None = strawberry.field(description="How many stay unread.")
    errors: list[UserError] = errors_field()


@strawberry.input(description="Where an account's reminders go by email.")
class SetAccountEmailInput:
    account_id: strawberry.ID | None = strawberry.field(
        default=None, description="A party representative's account (staff); left out, the viewer's own."
    )
    email: str | None = strawberry.field(description="The address; empty or null removes it.")


@strawberry.type(description="The account with its email address, or why not.")
class SetAccountEmailPayload:
    account: Account | None = strawberry.field(description="The account; null when `errors` is not empty.")
    errors: list[UserError] = errors_field()


@strawberry.type(description="Reminders: marking notices read, and email addresses.")
class ReminderMutation:
    @strawberry.mutation(
        description=(
            "Mark the viewer's notices read: those named in `ids`, or `all`. Errors: UNAUTHENTICATED; FORBIDDEN; "
            "INVALID (ids: neither ids nor all)."
        )
    )
    async def mark_notices_read(
        self, info: Info, input: Annotated[MarkNoticesReadInput, strawberry.argument(description="Which notices.")]
    ) -> MarkNoticesReadPayload:
        from schema.mutations import call

        marked, errors = await call(info, reminders.mark_read, ids=input.ids, everything=input.all)
        account_id = info.context.actor.account_id
        unread = await reminders.unread_count(account_id) if account_id is not None else None
        return MarkNoticesReadPayload(marked=marked or 0, unread=unread, errors=errors)

    @strawberry.mutation(
        description=(
            "Set where reminders go by email: the viewer's own address, or (organizers) a party representative's. "
            "Errors: UNAUTHENTICATED; NOT_FOUND (accountId); FORBIDDEN; INVALID (email; accountId: not a rep)."
        )
    )
    async def set_account_email(
        self,
        info: Info,
        input: Annotated[SetAccountEmailInput, strawberry.argument(description="The account and its address.")],
    ) -> SetAccountEmailPayload:
        from schema.mutations import call

        account, errors = await call(info, reminders.set_email, account_id=input.account_id, email=input.email)
        return SetAccountEmailPayload(account=Account.of(account) if account else None, errors=errors)


@strawberry.type(description="The bell's count, as pushed.")
class NoticeCount:
    unread: int = strawberry.field(description="How many of the viewer's notices are unread.")


@strawberry.type(description="Live reminders.")
class ReminderSubscription:
    @strawberry.subscription(
        description=(
            "The viewer's unread notices: the count at once, then again whenever it changes (a reminder raised, "
            "notices marked read). Staff and party representatives."
        )
    )
    async def notices_changed(self, info: Info) -> AsyncGenerator[NoticeCount, None]:
        from schema.subscriptions import _admitted, _refuse

        account_id = info.context.actor.account_id
        if account_id is None or not info.context.may("notice.read"):
            raise _refuse()
        sent: int | None = None
        with _admitted(info), events.bus().subscription(reminders.NOTICES_KEY) as signal:
            while True:
                signal.clear()
                unread = await reminders.unread_count(account_id)
                if unread != sent:
                    sent = unread
                    yield NoticeCount(unread=unread)
                await signal.wait(RECHECK_SECONDS)
                if info.context.token and await actor_for_token(info.context.token, info.context.now()) is None:
                    return  # signed out: the bell stops
