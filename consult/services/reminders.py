"""Reminders that keep every deadline (定时限 that nobody forgets).

`sweep(now)` raises what is due as a handful of set-based statements, whatever the number of
consultations: one INSERT … SELECT per kind of deadline, each skipping what its dedupe key says
was raised before (the key names the deadline and its due time, so a moved deadline is reminded
again); then one INSERT each for the notices and the outbound deliveries of what is new. All in
one transaction: a crash raises nothing, or everything with its notices and deliveries.

`deliver(now)` sends the deliveries that are due. Each is claimed (PENDING → SENDING, attempts
+1) in a transaction of its own before anything is sent, and marked SENT after; a restart between
raise and delivery finds it PENDING and sends it once. A process that dies while sending leaves
it SENDING: after CLAIM_SECONDS it is taken up again, so that one message may go out twice,
never more, and never none.

The scheduler (`Scheduler`) runs both every CONSULT_REMINDER_SECONDS in one server process of
the installation, the holder of a leased row (SchedulerLease): it renews the lease each round,
and another process takes over only once it has run out. A leased row, not PostgreSQL's
advisory lock, because it works the same on SQLite and on PostgreSQL and needs no connection
of its own held open for the lock's lifetime.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import socket
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from consult import events
from consult.domain.vocabulary import DeliveryChannel, DeliveryStatus, Role
from consult.errors import Invalid, NotFound
from consult.ids import to_global_id
from consult.models import Account, Delivery, Notice, SchedulerLease
from consult.policies import Actor, gate
from consult.services.areas import ensure_party_in_reach
from consult.services.base import ServiceContext, decode_id, transaction
from consult.settings import ReminderSettings, Settings

log = logging.getLogger("consult.reminders")

LEASE = "reminders"
# A claimed delivery not marked SENT within this time was cut off mid-send: try it again.
CLAIM_SECONDS = 300
# Deliveries one round sends at most; the rest wait for the next round.
BATCH = 100
# The live key that tells every bell to re-read its count (consultation ids start at 1).
NOTICES_KEY = 0


def _sql(conn: Any) -> tuple[bool, str]:
    """Whether the connection is PostgreSQL, and how a timestamp parameter is written there."""
    pg = conn.capabilities.dialect == "postgres"
    return pg, ("CAST($1 AS TIMESTAMPTZ)" if pg else "$1")


def _epoch(column: str, pg: bool) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT)" if pg else f"CAST(strftime('%s', {column}) AS INTEGER)"


_LIVE = "c.stage NOT IN ('ARCHIVED', 'CANCELLED')"
_COLUMNS = (
    "(kind, subject_type, subject_id, consultation_id, party_id, person_id, due_at, text, dedupe_key, created_at)"
)


def _raise_statements(pg: bool, now_sql: str) -> list[tuple[str, str]]:
    """One INSERT … SELECT per kind of deadline, each with what its $2 is: "soon" (now + 24 h),
    "cutoff" (now less the days a share may stay unconfirmed) or nothing. $1 is now. Here the
    findings due and overdue; the rest in _works_statements."""
    ep = lambda column: _epoch(column, pg)  # noqa: E731
    tail = "ON CONFLICT (dedupe_key) DO NOTHING"
    finding = (
        f"INSERT INTO reminder {_COLUMNS} "
        "SELECT '{kind}', 'FINDING', f.id, f.consultation_id, f.responsible_party_id, f.assignee_id, f.due_at, "
        "'{words}' || substr(f.description, 1, 60) || '」', "
        "'{key}:' || f.id || ':' || " + ep("f.due_at") + f", {now_sql} "
        f"FROM finding f JOIN consultation c ON c.id = f.consultation_id "
        f"WHERE f.status <> 'VERIFIED' AND {_LIVE} AND {{when}} {tail}"
    )
    return [
        (
            finding.format(
                kind="FINDING_DUE",
                words="问题 24 小时内到期：「",
                key="finding-due",
                when="f.due_at > $1 AND f.due_at <= $2",
            ),
            "soon",
        ),
        (
            finding.format(
                kind="FINDING_OVERDUE",
                words="问题已过期限，还没有核实闭环：「",
                key="finding-overdue",
                when="f.due_at <= $1",
            ),
            "",
        ),
    ]


def _works_statements(pg: bool, now_sql: str) -> list[tuple[str, str]]:
    """Milestones overdue, shares unconfirmed, polls closing and follow-up visits near."""
    ep = lambda column: _epoch(column, pg)  # noqa: E731
    tail = "ON CONFLICT (dedupe_key) DO NOTHING"
    # When the adopted proposal was adopted: its consultation's latest adoption in the trail.
    adopted = (
        "(SELECT MAX(e.at) FROM audit_event e WHERE e.consultation_id = p.consultation_id "
        "AND e.action = 'proposal.adopt')"
    )
    return [
        (
            f"INSERT INTO reminder {_COLUMNS} "
            "SELECT 'MILESTONE_OVERDUE', 'MILESTONE', m.id, m.consultation_id, m.responsible_party_id, NULL, "
            "m.planned_end, '节点超期，还没有完成：「' || m.title || '」', "
            "'milestone-overdue:' || m.id || ':' || " + ep("m.planned_end") + f", {now_sql} "
            "FROM milestone m JOIN consultation c ON c.id = m.consultation_id "
            f"WHERE m.actual_end IS NULL AND m.planned_end <= $1 AND {_LIVE} {tail}",
            "",
        ),
        (
            f"INSERT INTO reminder {_COLUMNS} "
            f"SELECT 'SHARE_UNCONFIRMED', 'SHARE', s.id, p.consultation_id, s.party_id, NULL, {adopted}, "
            "'方案「' || p.title || '」采纳后，「' || pa.name || '」的出资份额还没有确认', "
            f"'share-unconfirmed:' || s.id, {now_sql} "
            "FROM cost_share s JOIN cost_plan cp ON cp.id = s.plan_id JOIN proposal p ON p.id = cp.proposal_id "
            "JOIN party pa ON pa.id = s.party_id JOIN consultation c ON c.id = p.consultation_id "
            f"WHERE s.confirmed_at IS NULL AND p.status = 'ADOPTED' AND {adopted} <= $2 AND {_LIVE} {tail}",
            "cutoff",
        ),
        (
            f"INSERT INTO reminder {_COLUMNS} "
            "SELECT 'POLL_CLOSING', 'POLL', v.id, v.consultation_id, NULL, NULL, v.closes_at, "
            "'投票 24 小时内截止：「' || substr(v.question, 1, 60) || '」，已投 ' || "
            "(CASE WHEN v.secret THEN v.shown_ballots ELSE v.ballots_cast END) || ' 户，共 ' || "
            "v.electorate_size || ' 户', "
            "'poll-closing:' || v.id || ':' || " + ep("v.closes_at") + f", {now_sql} "
            "FROM poll v JOIN consultation c ON c.id = v.consultation_id "
            f"WHERE v.status = 'OPEN' AND v.closes_at > $1 AND v.closes_at <= $2 AND {_LIVE} {tail}",
            "soon",
        ),
        (
            f"INSERT INTO reminder {_COLUMNS} "
            "SELECT 'FOLLOW_UP_DUE', 'FOLLOW_UP', u.id, u.consultation_id, NULL, NULL, u.at, "
            "'24 小时内要回访：' || substr(u.notes, 1, 60), "
            "'follow-up-due:' || u.id || ':' || " + ep("u.at") + f", {now_sql} "
            "FROM follow_up u JOIN consultation c ON c.id = u.consultation_id "
            f"WHERE u.at > $1 AND u.at <= $2 AND {_LIVE} {tail}",
            "soon",
        ),
    ]


def numbered(conn: Any, sql: str) -> str:
    """$1, $2… as PostgreSQL numbers parameters; ?1, ?2… on SQLite, which would otherwise number
    `$n` names by where they first appear."""
    return sql if conn.capabilities.dialect == "postgres" else re.sub(r"\$(\d+)", r"?\1", sql)


def _notice_statement(now_sql: str) -> str:
    """Every new reminder's recipients, once each: the responsible party's reps, the person
    named on a finding, the convener, and the organizers whose areas reach the community."""
    return (
        "INSERT INTO notice (account_id, reminder_id, created_at) "
        f"SELECT who.account_id, who.reminder_id, {now_sql} FROM ("
        "SELECT a.id AS account_id, r.id AS reminder_id FROM reminder r JOIN account a ON a.party_id = r.party_id "
        "WHERE r.fanned_out = FALSE "
        "UNION SELECT r.person_id, r.id FROM reminder r WHERE r.fanned_out = FALSE AND r.person_id IS NOT NULL "
        "UNION SELECT c.convener_id, r.id FROM reminder r JOIN consultation c ON c.id = r.consultation_id "
        "WHERE r.fanned_out = FALSE AND c.convener_id IS NOT NULL "
        "UNION SELECT sa.account_id, r.id FROM reminder r JOIN consultation c ON c.id = r.consultation_id "
        "JOIN area cm ON cm.id = c.community_id LEFT JOIN area st ON st.id = cm.parent_id "
        "JOIN staff_area sa ON sa.area_id = cm.id OR sa.area_id = st.id OR sa.area_id = st.parent_id "
        "JOIN account o ON o.id = sa.account_id "
        f"WHERE r.fanned_out = FALSE AND (',' || o.roles || ',') LIKE '%,{Role.ORGANIZER},%'"
        ") who WHERE TRUE ON CONFLICT (account_id, reminder_id) DO NOTHING"
    )


def _delivery_statements(settings: ReminderSettings, now_sql: str) -> list[tuple[str, list[Any]]]:
    """The outbound rows of the new reminders: an email to each recipient who gave an address,
    one post to the webhook. $2 is the webhook's address as shown (without its key)."""
    out: list[tuple[str, list[Any]]] = []
    head = "INSERT INTO delivery (reminder_id, channel, target, status, attempts, next_attempt_at, created_at) "
    if settings.smtp_host:
        out.append(
            (
                head + f"SELECT n.reminder_id, 'EMAIL', a.email, 'PENDING', 0, {now_sql}, {now_sql} "
                "FROM notice n JOIN reminder r ON r.id = n.reminder_id JOIN account a ON a.id = n.account_id "
                "WHERE r.fanned_out = FALSE AND a.email IS NOT NULL AND a.email <> '' "
                "ON CONFLICT (reminder_id, channel, target) DO NOTHING",
                [],
            )
        )
    if settings.webhook_url:
        out.append(
            (
                head + f"SELECT r.id, 'WEBHOOK', $2, 'PENDING', 0, {now_sql}, {now_sql} "
                "FROM reminder r WHERE r.fanned_out = FALSE ON CONFLICT (reminder_id, channel, target) DO NOTHING",
                [shown_url(settings.webhook_url)],
            )
        )
    return out


async def sweep(now: datetime, settings: ReminderSettings | None = None) -> int:
    """Raise every reminder that is due at `now` and not raised before, with its notices and
    deliveries; returns how many it raised. Set-based: the same dozen statements for one
    consultation or ten thousand."""
    settings = settings or _settings()
    soon, cutoff = now + timedelta(hours=24), now - timedelta(days=settings.share_days)
    async with transaction() as conn:
        pg, now_sql = _sql(conn)
        second = {"soon": [soon], "cutoff": [cutoff], "": []}
        for statement, which in [*_raise_statements(pg, now_sql), *_works_statements(pg, now_sql)]:
            await conn.execute_query(numbered(conn, statement), [now, *second[which]])
        await conn.execute_query(numbered(conn, _notice_statement(now_sql)), [now])
        for statement, params in _delivery_statements(settings, now_sql):
            await conn.execute_query(numbered(conn, statement), [now, *params])
        raised, _ = await conn.execute_query("UPDATE reminder SET fanned_out = TRUE WHERE fanned_out = FALSE")
        if raised:
            await _tell_bells(conn, pg)
    return int(raised or 0)


async def _tell_bells(conn: Any, pg: bool) -> None:
    """Every open bell re-reads its count once this commits (on PostgreSQL, in every process)."""
    events.written(NOTICES_KEY)
    if pg:
        await conn.execute_query("SELECT pg_notify($1, $2)", [events.CHANNEL, str(NOTICES_KEY)])


def _settings() -> ReminderSettings:
    from consult.settings import get_settings

    return get_settings().reminders


# ---------------------------------------------------------------- delivery


def backoff(settings: ReminderSettings, attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: doubling from the base, capped."""
    seconds = settings.retry_base_seconds * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, settings.retry_cap_seconds))


async def deliver(now: datetime, settings: ReminderSettings | None = None) -> int:
    """Send the deliveries that are due; returns how many went out. A delivery claimed by a
    process that died mid-send is due again CLAIM_SECONDS after its claim."""
    settings = settings or _settings()
    stale = now - timedelta(seconds=CLAIM_SECONDS)
    await Delivery.filter(status=DeliveryStatus.SENDING, claimed_at__lte=stale).update(status=DeliveryStatus.PENDING)
    idle = await _hold_unconfigured(settings)
    due = (
        await Delivery.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .exclude(channel__in=idle)
        .order_by("id")
        .limit(BATCH)
        .values_list("id", flat=True)
    )
    started = time.monotonic()
    sent = 0
    for delivery_id in due:
        # Each claim carries the time it is made, not the round's: a long round's last claims are
        # not already old, so no other process takes them for cut off while they are being sent.
        at = now + timedelta(seconds=time.monotonic() - started)
        sent += await _deliver_one(int(delivery_id), now, at, settings)  # type: ignore[call-overload]
    return sent


async def _hold_unconfigured(settings: ReminderSettings) -> list[str]:
    """The channels no longer configured (an email host or webhook address taken out since the
    reminders were raised): what waits for them is not tried, so uses up none of its tries, and
    says why it waits. Set up again, they are sent."""
    idle = []
    for channel, configured, variable in (
        (DeliveryChannel.EMAIL, settings.smtp_host, "CONSULT_SMTP_HOST"),
        (DeliveryChannel.WEBHOOK, settings.webhook_url, "CONSULT_WEBHOOK_URL"),
    ):
        if configured:
            continue
        idle.append(str(channel))
        why = f"未配置 {variable}，配置后再发送 ({variable} is not set; waiting)"
        said = Q(last_error__isnull=True) | Q(last_error__not=why)
        await Delivery.filter(said, status=DeliveryStatus.PENDING, channel=channel).update(last_error=why)
    return idle


async def _deliver_one(delivery_id: int, now: datetime, at: datetime, settings: ReminderSettings) -> int:
    """Claim (stamped `at`, when the claim is made), send, record; the round's `now` dates the rest."""
    async with in_transaction("default") as conn:
        claimed = (
            await Delivery.filter(id=delivery_id, status=DeliveryStatus.PENDING)
            .using_db(conn)
            .update(status=DeliveryStatus.SENDING, claimed_at=at, attempts=_plus_one())
        )
    if not claimed:
        return 0  # another round took it
    delivery = await Delivery.get(id=delivery_id).prefetch_related("reminder")
    # The outcome is written only while this claim still stands (its try, still SENDING): one taken
    # up again elsewhere after CLAIM_SECONDS is that process's to record.
    mine = Delivery.filter(id=delivery_id, status=DeliveryStatus.SENDING, attempts=delivery.attempts)
    try:
        await _send(delivery, settings)
    except Exception as error:  # any failure of the far side: try again later
        failed = delivery.attempts >= settings.max_attempts
        why = failure_text(error)
        await mine.update(
            status=DeliveryStatus.FAILED if failed else DeliveryStatus.PENDING,
            next_attempt_at=now + backoff(settings, delivery.attempts),
            last_error=why[:1000],
        )
        log.warning("reminder delivery %s failed (try %d): %s", delivery_id, delivery.attempts, why)
        return 0
    await mine.update(status=DeliveryStatus.SENT, sent_at=now, last_error=None)
    return 1


# A webhook's address carries its key, in the query (?key=…, ?access_token=…) or in the path
# (…/hook/<token>): what is stored, listed, logged and shown is the address without it.
_LONG_SEGMENT = re.compile(r"[^/]{16,}")
_URL = re.compile(r"https?://[^\s'\"<>]+", re.IGNORECASE)


def shown_url(url: str) -> str:
    """The address with its key left out: no user, query or fragment, and every path segment of
    16 characters or more (a token) as "…"."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]  # no user or password
    except ValueError:  # not an address after all (a bracket left open): nothing of it is shown
        return "…"
    return f"{parts.scheme}://{host}{_LONG_SEGMENT.sub('…', parts.path)}"


def failure_text(error: BaseException) -> str:
    """Why a send failed, in words safe to store and log: an HTTP status by its number, and any
    address in an error's text without its key."""
    import httpx

    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    return without_keys(f"{type(error).__name__}: {error}")


def without_keys(text: str) -> str:
    """Every web address in the text in its shown form (see shown_url)."""
    return _URL.sub(lambda m: shown_url(m.group(0)), text)


def _plus_one() -> Any:
    from tortoise.expressions import F

    return F("attempts") + 1


async def _send(delivery: Delivery, settings: ReminderSettings) -> None:
    reminder = delivery.reminder
    text = f"【协商提醒】{reminder.text}"
    if delivery.channel == DeliveryChannel.EMAIL:
        await _send_email(delivery.target, text, settings)
    elif not settings.webhook_url:
        raise RuntimeError("CONSULT_WEBHOOK_URL is no longer set")
    else:
        # The address as configured now: the stored target is only its shown form, and a key
        # changed since the reminder was raised takes effect for what is still to be sent.
        await _post_webhook(settings.webhook_url, text)


async def _send_email(to: str, text: str, settings: ReminderSettings) -> None:
    import aiosmtplib

    message = EmailMessage()
    message["From"] = settings.smtp_from or settings.smtp_user or "consult@localhost"
    message["To"] = to
    message["Subject"] = "协商提醒：" + text.removeprefix("【协商提醒】")[:40]
    message.set_content(text)
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_user or None,
        password=settings.smtp_password or None,
        start_tls=settings.smtp_tls == "starttls",
        use_tls=settings.smtp_tls == "tls",
        timeout=30,
    )


async def _post_webhook(url: str, text: str) -> None:
    """The enterprise-chat group robot's format; it answers {"errcode": 0} when it took it."""
    import httpx

    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(url, json={"msgtype": "text", "text": {"content": text}})
    response.raise_for_status()
    with contextlib.suppress(ValueError):
        answer = response.json()
        if isinstance(answer, dict) and answer.get("errcode", 0) != 0:
            raise RuntimeError(f"webhook refused: {answer.get('errcode')} {answer.get('errmsg', '')}")


# ---------------------------------------------------------------- the scheduler


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def take_lease(holder: str, now: datetime, seconds: float) -> bool:
    """Take or renew the scheduler's lease; False while another holder's has not run out."""
    async with in_transaction("default") as conn:
        await conn.execute_query(
            numbered(
                conn,
                "INSERT INTO scheduler_lease (name, holder, expires_at) "
                + "VALUES ($1, NULL, NULL) ON CONFLICT (name) DO NOTHING",
            ),
            [LEASE],
        )
        until = now + timedelta(seconds=seconds)
        rows, _ = await conn.execute_query(
            numbered(
                conn,
                "UPDATE scheduler_lease SET holder = $1, expires_at = $2 "
                "WHERE name = $3 AND (holder = $1 OR holder IS NULL OR expires_at IS NULL OR expires_at <= $4)",
            ),
            [holder, until, LEASE, now],
        )
    return bool(rows)


async def release_lease(holder: str) -> None:
    await SchedulerLease.filter(name=LEASE, holder=holder).update(holder=None, expires_at=None)


@dataclass
class Scheduler:
    """Sweeps and delivers every `every` seconds while it holds the lease. The lease lasts three
    rounds, so a holder that stops without letting go is replaced within them."""

    settings: Settings
    clock: Callable[[], datetime]
    holder: str = ""
    rounds: int = 0
    leading: bool = False

    def __post_init__(self) -> None:
        self.holder = self.holder or holder_name()

    async def lead(self) -> bool:
        """Take or renew the lease, for three rounds; whether this scheduler holds it."""
        every = self.settings.reminders.every_seconds or 60.0
        was = self.leading
        self.leading = await take_lease(self.holder, self.clock(), max(every * 3, 30.0))
        if self.leading != was:
            # which worker sweeps, for the operator reading the logs of several
            log.info("reminder scheduler %s %s", self.holder, "sweeps now" if self.leading else "lost its lease")
        return self.leading

    async def round(self) -> int:
        """One round: take or renew the lease; if held, sweep then deliver. Returns how many it raised."""
        self.rounds += 1
        if not await self.lead():
            return 0
        now = self.clock()
        raised = await sweep(now, self.settings.reminders)
        await deliver(now, self.settings.reminders)
        return raised

    async def stop(self) -> None:
        """Let go of the lease, so that another process takes over at its next round."""
        if self.leading:
            self.leading = False
            await release_lease(self.holder)
            log.info("reminder scheduler %s let go of its lease", self.holder)

    async def run(self) -> None:
        every = self.settings.reminders.every_seconds
        try:
            while True:
                try:
                    await self.round()
                except Exception:
                    log.exception("reminder round failed")
                await asyncio.sleep(every)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.stop())


# ---------------------------------------------------------------- the bell and the email address


async def unread_count(account_id: int) -> int:
    return await Notice.filter(account_id=account_id, read_at__isnull=True).count()


async def mark_read(ctx: ServiceContext, *, ids: list[str] | None, everything: bool) -> int:
    """Mark the viewer's notices read: those named, or all. Returns how many changed.

    Errors: UNAUTHENTICATED, INVALID (ids: neither ids nor all).
    """
    gate(ctx.actor, "notice.read")
    account_id = ctx.actor.account_id
    query = Notice.filter(account_id=account_id, read_at__isnull=True)
    if not everything:
        if not ids:
            raise Invalid("required", "ids")
        query = query.filter(id__in=[decode_id(i, "Notice", "ids") for i in ids])
    async with transaction() as conn:
        changed = await query.using_db(conn).update(read_at=ctx.now())
        if changed:
            await _tell_bells(conn, conn.capabilities.dialect == "postgres")
    return int(changed)


def _clean_email(value: str | None) -> str | None:
    """One plain address (name@example.cn, 张三@例子.中国), or None to remove it. Typed with a
    Chinese input method, a full-width ＠ or a 。 is read as @ or a dot. A list, a display name or
    anything else a mail server would read as more than one recipient is refused."""
    text = unicodedata.normalize("NFKC", value or "").strip().replace("。", ".")
    if not text:
        return None
    local, at, domain = text.partition("@")
    labels = domain.split(".")
    if (
        not at
        or not local
        or len(labels) < 2
        or not all(labels)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or len(text) > 254
        or any(c.isspace() or c in ',;<>()[]"\\:@' for c in local + domain)
    ):
        raise Invalid("email_invalid", "email")
    return text


async def set_email(ctx: ServiceContext, *, account_id: str | None, email: str | None) -> Account:
    """Set where an account's reminders go by email: one's own, or (staff) a party rep's. An
    empty address removes it.

    Errors: UNAUTHENTICATED, NOT_FOUND (accountId), FORBIDDEN (someone else's, not a rep), INVALID (email).
    """
    gate(ctx.actor, "account.email_own")
    clean = _clean_email(email)
    pk = decode_id(account_id, "Account", "accountId") if account_id else ctx.actor.account_id
    account = await Account.get_or_none(id=pk)
    if account is None:
        raise NotFound("accountId")
    if pk != ctx.actor.account_id:
        gate(ctx.actor, "account.email_rep", field="accountId")
        if not plain_rep(account):
            # a rep who is also staff keeps their own address, as every staff account does
            raise Invalid("email_reps_only", "accountId")
        if account.party_id is not None:
            await ensure_party_in_reach(ctx.actor, account.party_id, None, "accountId")
    account.email = clean
    await account.save(update_fields=["email"])
    return account


def sees_email(actor: Actor, account: Account) -> bool:
    """An email address is shown to its holder; a party rep's to the staff who keep reps' contacts
    (as a rep's phone is); a staff account's to the admins who make accounts."""
    from consult.policies import allowed

    if actor.account_id == account.id:
        return True
    if plain_rep(account):
        return allowed(actor, "account.email_rep")
    return allowed(actor, "account.create")


def plain_rep(account: Account) -> bool:
    """A party's representative who is not also staff (a resident too, perhaps)."""
    from consult.policies import SCOPED_ROLES

    return Role.PARTY_REP in account.role_set and not account.role_set & SCOPED_ROLES


def _described(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": to_global_id("Delivery", delivery.id),
        "reminder": delivery.reminder_id,
        "channel": delivery.channel,
        "target": shown_url(delivery.target) if delivery.channel == DeliveryChannel.WEBHOOK else delivery.target,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "nextAttemptAt": delivery.next_attempt_at.isoformat(),
        "sentAt": delivery.sent_at.isoformat() if delivery.sent_at else None,
        "lastError": without_keys(delivery.last_error) if delivery.last_error else None,
    }


async def deliveries_listed(status: str | None, limit: int) -> str:
    """`consult reminders`: the newest deliveries, one JSON object a line."""
    query = Delivery.all() if status is None else Delivery.filter(status=status)
    rows = await query.order_by("-id").limit(max(limit, 0))
    if not rows:
        return "没有发送记录 No deliveries."
    return "\n".join(json.dumps(_described(row), ensure_ascii=False) for row in rows)
