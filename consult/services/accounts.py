"""Accounts, sessions, invitations' redemption and parties."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from consult.audit import append_installation_event, lock_installation
from consult.domain.labels import label_of
from consult.domain.vocabulary import PartyKind, Role
from consult.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, Unauthenticated
from consult.ids import to_global_id
from consult.models import Account, AuthFailure, Invitation, Party, Session, VoterRollEntry
from consult.policies import ADMIN, PARTY_REP, RESIDENT, ROLES, Actor, allowed, gate, grantable_roles, permit
from consult.security import (
    hash_password,
    invitation_digest,
    needs_rehash,
    new_token,
    normalize_code,
    token_digest,
    verify_password,
)
from consult.services.areas import (
    SCOPED_ROLES,
    check_areas,
    ensure_party_in_reach,
    give_areas,
    put_areas,
    reach_of,
    trail_staff_areas,
)
from consult.services.base import ServiceContext, clean_text, decode_id, transaction

security_log = logging.getLogger("consult.security")
USERNAME_RE = re.compile(r"^[A-Za-z0-9._-]{3,64}$")
MIN_PASSWORD = 8
MIN_PASSWORD_SCORE = 3
PARTY_KINDS = tuple(PartyKind)


@dataclass
class Login:
    token: str
    account: Account
    session: Session
    # For a redeemed invitation: the consultation whose roll the slip belongs to.
    consultation_id: int | None = None


# ---------------------------------------------------------------- rate limiting


@dataclass
class Attempt:
    """One sign-in attempt, counted under each of its keys before anything is checked."""

    rows: list[AuthFailure]
    # The most failures any of its keys had before it, within the window.
    worst: int


async def _attempt(ctx: ServiceContext, *keys: str) -> Attempt:
    """Count this attempt under every key first, then slow the client down by the worst count.

    Recording first closes the race where many concurrent guesses all see a low count. The
    rows are deleted again when the attempt succeeds, so only failures keep counting. The keys
    are the address and what the guess is aimed at (an account, a code's first characters), so
    rotating addresses does not reset the count against one target.
    """
    s = ctx.settings
    now = ctx.now()
    window = now - timedelta(seconds=s.auth_window_seconds)
    rows = [await AuthFailure.create(key=key, at=now) for key in keys]
    worst = 0
    for row in rows:
        earlier = await AuthFailure.filter(key=row.key, at__gte=window, id__lt=row.id).count()
        worst = max(worst, earlier)
    await _alert_if_widespread(ctx, window)
    if worst >= s.auth_slow_after:
        # Doubling delay, capped: a person who mistyped barely notices, a script crawls.
        await asyncio.sleep(min(s.auth_delay_seconds * 2 ** (worst - s.auth_slow_after), 8.0))
    # Old rows are useless; trimming here keeps the table small without a cron job.
    await AuthFailure.filter(at__lt=now - timedelta(seconds=s.auth_window_seconds * 4)).delete()
    return Attempt(rows, worst)


def _limited(ctx: ServiceContext, attempt: Attempt) -> bool:
    return attempt.worst >= ctx.settings.auth_refuse_after


_last_alert: dict[str, float] = {}


async def _alert_if_widespread(ctx: ServiceContext, window: datetime) -> None:
    """Failures across the whole installation, from every address: past a threshold, someone is
    guessing at scale. Logged at WARNING (at most every 5 minutes per process) for the operator."""
    failures = (
        await AuthFailure.filter(at__gte=window)
        .filter(Q(key__startswith="login:") | Q(key__startswith="redeem:"))
        .count()
    )
    if failures < ctx.settings.auth_alert_after:
        return
    now = time.monotonic()
    if now - _last_alert.get("sign-in", -1e9) >= 300:
        _last_alert["sign-in"] = now
        security_log.warning(
            "登录失败激增 Sign-in failures across the installation: %d in the last %d s (alert at %d).",
            failures,
            ctx.settings.auth_window_seconds,
            ctx.settings.auth_alert_after,
        )


async def _succeeded(attempt: Attempt) -> None:
    await AuthFailure.filter(id__in=[row.id for row in attempt.rows]).delete()


# ---------------------------------------------------------------- sessions


async def _new_session(
    ctx: ServiceContext,
    account: Account,
    conn,
    *,
    roll_entry_id: int | None,
    lifetime: timedelta,
    reissued: bool = False,
    slip_used_at: datetime | None = None,
) -> Login:
    token = new_token()
    now = ctx.now()
    session = await Session.create(
        token_hash=token_digest(token),
        account_id=account.id,
        roll_entry_id=roll_entry_id,
        created_at=now,
        expires_at=now + lifetime,
        reissued=reissued,
        slip_used_at=slip_used_at,
        using_db=conn,
    )
    return Login(token=token, account=account, session=session)


async def login(ctx: ServiceContext, *, username: str, password: str) -> Login:
    """Check a password and open a staff session.

    Errors: RATE_LIMITED after repeated failures from this client; UNAUTHENTICATED for a
    wrong username or password (the same message for both).
    """
    name = (username or "").strip()
    attempt = await _attempt(ctx, f"login:{ctx.client_key}", f"login-account:{name[:64].casefold()}")
    if _limited(ctx, attempt):
        # Too many failures from this address, or against this account from anywhere. A refusal
        # evaluates nothing, so it does not count as another failure: the lockout ends when the
        # window passes the last evaluated guess, however often the attacker knocks meanwhile.
        await _succeeded(attempt)
        raise RateLimited()
    account = await Account.get_or_none(username=name) if len(name) <= 64 else None
    # Always verify, against a dummy hash for unknown names, so timing does not tell them
    # apart; argon2 runs off the event loop so other requests are not held up.
    ok = await asyncio.to_thread(verify_password, account.password_hash if account else None, password or "")
    if account is None or not ok:
        raise Unauthenticated("bad_credentials")
    await _succeeded(attempt)
    async with transaction() as conn:
        if account.password_hash is not None and needs_rehash(account.password_hash):
            account.password_hash = await asyncio.to_thread(hash_password, password)
            await account.save(using_db=conn, update_fields=["password_hash"])
        return await _new_session(
            ctx, account, conn, roll_entry_id=None, lifetime=timedelta(hours=ctx.settings.staff_session_hours)
        )


async def _household_account(entry: VoterRollEntry, now: datetime, conn: Any) -> Account:
    """The household's account: made on its first redemption, the same one ever after."""
    if entry.account_id is not None:
        return await Account.get(id=entry.account_id, using_db=conn)
    account = await Account.create(display_name=entry.label[:100], roles=RESIDENT, created_at=now, using_db=conn)
    entry.account_id = account.id
    await entry.save(using_db=conn, update_fields=["account_id"])
    return account


async def last_use(redeemed_at: datetime | None, sessions: Any, conn: Any) -> datetime | None:
    """For a slip used before (`redeemed_at` set): when it last was, its holder's own earlier use
    or someone else's since, from the newest of `sessions` (a Session query), for the holder to
    be told. Read before those sessions are ended."""
    if redeemed_at is None:
        return None
    last = await sessions.using_db(conn).order_by("-created_at", "-id").first()
    return last.created_at if last is not None else redeemed_at


async def redeem_invitation(ctx: ServiceContext, *, code: str) -> Login:
    """Turn an invitation code into a resident session bound to one roll entry, or a party
    representative's slip into a session as that representative.

    Redeeming the same code again (say, on a new phone) ends the sessions opened with it
    before and opens a new one. Errors: RATE_LIMITED; INVALID on `code` for an unknown,
    replaced or retired code.
    """
    typed = normalize_code(code) if isinstance(code, str) else ""
    attempt = await _attempt(ctx, f"redeem:{ctx.client_key}", f"redeem-prefix:{typed[:4]}")
    # A wrong code from an address (or against a code's first characters) past the limit is
    # refused as such; a right one still works: 20 residents at one community office, some of
    # them mistyping, must not lock each other out. A code has 59 bits: a guess is worth nothing.
    bad = RateLimited() if _limited(ctx, attempt) else Invalid("bad_invitation", "code")
    if not isinstance(code, str) or not (6 <= len(typed) <= 40):
        raise bad
    digest = invitation_digest(ctx.settings.secret_key, code)
    async with transaction() as conn:
        # Locked, so a redemption racing issueInvitations cannot use a code being voided.
        invitation = await Invitation.select_for_update().using_db(conn).get_or_none(code_hash=digest, voided_at=None)
        if invitation is None:
            # Not a household's slip: perhaps a party representative's.
            from consult.services.representatives import redeem_slip

            login = await redeem_slip(ctx, digest, conn)
            if login is None:
                raise bad
        else:
            login = await _redeem_household(ctx, invitation, conn, bad)
    await _succeeded(attempt)
    return login


async def _redeem_household(ctx: ServiceContext, invitation: Invitation, conn: Any, bad: Exception) -> Login:
    """A household's slip: a resident session bound to its roll entry."""
    # Lock the entry too: two phones redeeming at once must not make two accounts.
    entry = await VoterRollEntry.select_for_update().using_db(conn).get_or_none(id=invitation.entry_id, active=True)
    if entry is None:
        raise bad
    now = ctx.now()
    account = await _household_account(entry, now, conn)
    used_at = await last_use(
        invitation.redeemed_at, Session.filter(account_id=account.id, roll_entry_id=entry.id), conn
    )
    # The slip moves the session: whatever phone used it before is signed out.
    await (
        Session.filter(account_id=account.id, roll_entry_id=entry.id, revoked_at=None)
        .using_db(conn)
        .update(revoked_at=now)
    )
    # A slip used again (another phone, or whoever else kept the code) or reissued: what the
    # new session casts is marked in the trail, so a swapped vote cannot pass unseen.
    moved = invitation.reissued or invitation.redeemed_at is not None
    if invitation.redeemed_at is None:
        invitation.redeemed_at = now
        await invitation.save(using_db=conn, update_fields=["redeemed_at"])
    # Once a newer slip is in use, older slips of the household (lost or photographed) stop working.
    await (
        Invitation.filter(entry_id=entry.id, id__lt=invitation.id, voided_at=None).using_db(conn).update(voided_at=now)
    )
    login = await _new_session(
        ctx,
        account,
        conn,
        roll_entry_id=entry.id,
        lifetime=timedelta(days=ctx.settings.resident_session_days),
        reissued=moved,
        slip_used_at=used_at,
    )
    login.consultation_id = entry.consultation_id
    return login


async def logout(ctx: ServiceContext) -> bool:
    """Revoke the session the request came with. False when there was none."""
    if ctx.actor.session_id is None:
        return False
    updated = await Session.filter(id=ctx.actor.session_id, revoked_at=None).update(revoked_at=ctx.now())
    return updated > 0


async def actor_for_token(token: str, now) -> Actor | None:
    """The actor behind a bearer token, or None if unknown, expired or revoked."""
    if not token or len(token) > 200:
        return None
    session = (
        await Session.filter(token_hash=token_digest(token), revoked_at=None, expires_at__gt=now)
        .select_related("account")
        .first()
    )
    if session is None:
        return None
    account = session.account
    roles = account.role_set
    scope = await reach_of(account.id) if roles & SCOPED_ROLES else None
    return Actor(
        account_id=account.id,
        roles=roles,
        party_id=account.party_id,
        session_id=session.id,
        roll_entry_id=session.roll_entry_id,
        display_name=account.display_name,
        reissued=session.reissued,
        slip_used_at=session.slip_used_at,
        scope=scope,
    )


async def change_password(ctx: ServiceContext, *, current_password: str, new_password: str) -> Account:
    """The signed-in holder of a password account replaces it with one only they know. Every
    other session of the account ends, and the installation trail records it.

    Errors: UNAUTHENTICATED; RATE_LIMITED after repeated wrong current passwords; INVALID
    (currentPassword wrong or the account has none; newPassword weak, guessable or unchanged).
    """
    gate(ctx.actor, "account.change_password")
    assert ctx.actor.account_id is not None
    account = await Account.get(id=ctx.actor.account_id)
    if account.password_hash is None or account.username is None:
        raise Invalid("no_password", "currentPassword")
    _check_password(new_password, "newPassword", about=[account.username, account.display_name])
    # Guesses at the current password count as sign-in guesses against the account.
    attempt = await _attempt(ctx, f"login:{ctx.client_key}", f"login-account:{account.username.casefold()}")
    if _limited(ctx, attempt):
        await _succeeded(attempt)
        raise RateLimited()
    if not await asyncio.to_thread(verify_password, account.password_hash, current_password or ""):
        raise Invalid("wrong_password", "currentPassword")
    await _succeeded(attempt)
    if new_password == current_password:
        raise Invalid("same_password", "newPassword")
    hashed = await asyncio.to_thread(hash_password, new_password)
    async with transaction() as conn:
        account = await Account.select_for_update().using_db(conn).get(id=account.id)
        account.password_hash, account.own_password = hashed, True
        await account.save(using_db=conn, update_fields=["password_hash", "own_password"])
        # Whoever else was signed in with the old password is signed out.
        await (
            Session.filter(account_id=account.id, revoked_at=None)
            .exclude(id=ctx.actor.session_id)
            .using_db(conn)
            .update(revoked_at=ctx.now())
        )
        await _trail_account(ctx, account, "account.password_change", "本人修改密码", conn)
    return account


# ---------------------------------------------------------------- accounts and parties


def _check_password(password: str | None, field_name: str = "password", *, about: Sequence[str] = ()) -> str:
    """Long enough, and not guessable: zxcvbn's estimate must reach 3 of 4 ("safely unguessable"),
    counting `about` (the username, the name shown) as words an attacker would try first."""
    if not password or len(password) < MIN_PASSWORD:
        raise Invalid("weak_password", field_name, min=MIN_PASSWORD)
    if len(password) > 256:
        raise Invalid("too_long", field_name, max=256)
    from zxcvbn import zxcvbn

    # zxcvbn's time grows with the length; the first 100 characters decide.
    if zxcvbn(password[:100], user_inputs=[a for a in about if a])["score"] < MIN_PASSWORD_SCORE:
        raise Invalid("guessable_password", field_name)
    return password


def _clean_username(username: str) -> str:
    name = (username or "").strip()
    if not USERNAME_RE.match(name):
        raise Invalid("bad_username", "username")
    return name


def _check_roles(wanted: list[str]) -> None:
    if not wanted:
        raise Invalid("no_roles", "roles")
    if any(r not in ROLES for r in wanted):
        raise Invalid("no_roles", "roles")


def name_key(display_name: str) -> str:
    """What makes two shown names the same to a reader: width, case and spacing aside."""
    return "".join(unicodedata.normalize("NFKC", display_name).casefold().split())


def shown_name(account: Account) -> str:
    """An account's name as people see it, with its roles: 王芳（政协委员）. A name alone can be
    copied; the role beside it says who acted."""
    roles = [r for r in account.role_set if r in ROLES]
    if not roles:
        return account.display_name
    return f"{account.display_name}（{'、'.join(label_of(Role, r) for r in sorted(roles, key=ROLES.index))}）"


async def _name_is_free(display: str, conn: Any) -> bool:
    """No staff or party account already shows this name (residents from slips are named by their
    household and may share a label across consultations)."""
    key = name_key(display)
    taken = (
        await Account.filter(Q(username__isnull=False) | Q(party_id__isnull=False))
        .using_db(conn)
        .values_list("display_name", flat=True)
    )
    return all(name_key(str(name)) != key for name in taken)


def _clean_party(party_id: str | None, wanted: list[str]) -> int | None:
    """The account's party: required for a party representative."""
    party_pk = decode_id(party_id, "Party", "partyId") if party_id else None
    if PARTY_REP in wanted and party_pk is None:
        raise Invalid("rep_needs_party", "partyId")
    return party_pk


async def create_account(
    ctx: ServiceContext,
    *,
    username: str,
    password: str,
    display_name: str,
    roles: Sequence[str],
    party_id: str | None = None,
    area_ids: list[str] | None = None,
) -> Account:
    """Create a staff, party-rep or resident account with a password. A staff account acts in
    the areas named (each within the creator's own), or else in the creator's areas.

    Errors: UNAUTHENTICATED; FORBIDDEN (organizers may not create admins or organizers);
    INVALID (username, password, displayName, roles, partyId); CONFLICT on a taken username;
    NOT_FOUND for an unknown party.
    """
    actor = ctx.actor
    wanted = list(dict.fromkeys(roles or []))
    if not allowed(actor, "account.create"):
        permit(actor, "account.create_limited")
    if any(r in ROLES and r not in grantable_roles(actor) for r in wanted):
        raise Forbidden("roles")
    name = _clean_username(username)
    _check_password(password, about=[username, display_name])
    display = clean_text(display_name, "displayName", max_len=100)
    _check_roles(wanted)
    party_pk = _clean_party(party_id, wanted)
    area_pks = _clean_area_ids(area_ids, wanted)
    hashed = await asyncio.to_thread(hash_password, password)
    async with transaction() as conn:
        if party_pk is not None and not await Party.filter(id=party_pk).using_db(conn).exists():
            raise NotFound("partyId")
        if party_pk is not None:
            await ensure_party_in_reach(ctx.actor, party_pk, conn)
        if await Account.filter(username=name).using_db(conn).exists():
            raise Conflict("username_taken", "username")
        # Two organizers creating look-alike names at once: the second waits and then sees the first.
        await lock_installation(conn)
        if not await _name_is_free(display, conn):
            raise Conflict("display_name_taken", "displayName")
        try:
            async with transaction() as inner:
                account = await Account.create(
                    username=name,
                    password_hash=hashed,
                    display_name=display,
                    roles=",".join(r for r in ROLES if r in wanted),
                    party_id=party_pk,
                    created_at=ctx.now(),
                    using_db=inner,
                )
                await _trail_account(ctx, account, "account.create", "建立账号", inner)
                await _staff_areas(ctx, account, area_pks, inner)
                return account
        except IntegrityError:
            # Two requests for the same name at once: the unique index decides.
            raise Conflict("username_taken", "username") from None


def _clean_area_ids(area_ids: list[str] | None, wanted: list[str]) -> list[int] | None:
    """The areas named for a new account: only a staff account has any."""
    if not area_ids:
        return None
    if not set(wanted) & SCOPED_ROLES:
        raise Invalid("area_not_staff", "areaIds")
    return [decode_id(a, "Area", f"areaIds.{i}") for i, a in enumerate(area_ids)]


async def _staff_areas(ctx: ServiceContext, account: Account, area_pks: list[int] | None, conn: Any) -> None:
    """A new staff account's areas: those named, or the creator's."""
    if not account.role_set & SCOPED_ROLES:
        return
    if area_pks:
        await check_areas(ctx.actor, area_pks, conn)
        await put_areas(account.id, area_pks, conn)
        await trail_staff_areas(ctx, account, area_pks, conn)
    else:
        await give_areas(account.id, ctx.actor.account_id, conn)


async def _trail_account(ctx: ServiceContext, account: Account, action: str, what: str, conn: Any) -> None:
    """The installation's trail: who made or changed which account, with which roles."""
    await append_installation_event(
        at=ctx.now(),
        actor_id=ctx.actor.account_id,
        action=action,
        subject=to_global_id("Account", account.id),
        summary=f"{what}：{shown_name(account)}，用户名 {account.username}",
        payload={
            "username": account.username,
            "displayName": account.display_name,
            "roles": [r for r in ROLES if r in account.role_set],
            "party": to_global_id("Party", account.party_id) if account.party_id else None,
        },
        using_db=conn,
    )


async def create_admin(
    ctx: ServiceContext, *, username: str, password: str, display_name: str | None = None
) -> Account:
    """For the CLI: make (or reset the password of) an administrator. No policy check."""
    name = _clean_username(username)
    _check_password(password, about=[username, display_name or ""])
    async with transaction() as conn:
        account = await Account.get_or_none(username=name, using_db=conn)
        if account is None:
            account = await Account.create(
                username=name,
                password_hash=hash_password(password),
                display_name=display_name or name,
                roles=ADMIN,
                created_at=ctx.now(),
                using_db=conn,
            )
            await give_areas(account.id, None, conn)
            await _trail_account(ctx, account, "account.create_admin", "命令行建立管理员账号", conn)
            return account
        granted = ADMIN not in account.role_set
        roles = account.role_set | {ADMIN}
        account.roles = ",".join(r for r in ROLES if r in roles)
        account.password_hash, account.own_password = hash_password(password), False
        await account.save(using_db=conn, update_fields=["roles", "password_hash", "own_password"])
        await give_areas(account.id, None, conn)
        if granted:
            await _trail_account(ctx, account, "account.grant_admin", "命令行授予管理员角色", conn)
        else:
            await _trail_account(ctx, account, "account.reset_password", "命令行重设管理员密码", conn)
        return account


async def create_party(ctx: ServiceContext, *, name: str, kind: str, contact: str | None = None) -> Party:
    """Errors: UNAUTHENTICATED, FORBIDDEN, INVALID (name, kind, contact)."""
    permit(ctx.actor, "party.create")
    fields = party_fields(name, kind, contact)
    async with transaction() as conn:
        return await insert_party(ctx, fields, conn)


def party_fields(name: str, kind: str, contact: str | None) -> tuple[str, str, str | None]:
    """A new party's name, kind and contact, checked: INVALID on the field that is not right."""
    clean_name = clean_text(name, "name", max_len=200)
    if kind not in PARTY_KINDS:
        raise Invalid("required", "kind")
    return clean_name, kind, clean_text(contact, "contact", max_len=200, required=False)


async def insert_party(ctx: ServiceContext, fields: tuple[str, str, str | None], conn: Any) -> Party:
    """Write a checked party and its entry in the installation trail."""
    clean_name, kind, clean_contact = fields
    party = await Party.create(name=clean_name, kind=kind, contact=clean_contact, created_at=ctx.now(), using_db=conn)
    # A rep speaks for a party; who added the party belongs in the same trail as the accounts.
    await append_installation_event(
        at=ctx.now(),
        actor_id=ctx.actor.account_id,
        action="party.create",
        subject=to_global_id("Party", party.id),
        summary=f"新增参与方：{clean_name}",
        payload={"name": clean_name, "kind": kind},
        using_db=conn,
    )
    return party
