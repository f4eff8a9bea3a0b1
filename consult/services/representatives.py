"""Party representatives who sign in with a printed slip instead of a password.

Shopkeepers and unit staff get a slip like a household's: an organizer adds the representative
(name, phone, party) and prints the slip; its code, typed on the start page or scanned as a QR
code, signs them in as that party's representative and nothing more. Passwords stay possible
(createAccount). A slip used again (another phone, or whoever else kept the code) still signs in,
but that session is marked, and what it signs counts as signed on the party's behalf.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from consult.audit import lock_installation
from consult.errors import Conflict, Invalid, NotFound
from consult.models import Account, AccountSlip, Party, Session
from consult.policies import PARTY_REP, allowed, permit
from consult.security import invitation_digest, new_invitation_code
from consult.services.accounts import (
    Login,
    _name_is_free,
    _new_session,
    _trail_account,
    insert_party,
    last_use,
    party_fields,
)
from consult.services.areas import ensure_party_in_reach
from consult.services.base import ServiceContext, clean_text, decode_id, transaction

# Digits with the separators people write: +86 138-0000-0000, (0478) 8123456, 0478 812 3456.
PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,28}$")
REP_SESSION_DAYS = 60


@dataclass
class IssuedSlip:
    """A representative and the code of their new slip: shown once, to print."""

    account: Account
    party: Party
    code: str


def _may_issue(ctx: ServiceContext) -> None:
    """Organizers add party representatives, as they may with a password (account.create_limited)."""
    if not allowed(ctx.actor, "account.create"):
        permit(ctx.actor, "account.create_limited")


def clean_phone(phone: str | None, field: str = "phone") -> str | None:
    """A phone number as people write it (digits, spaces, brackets, dashes, a leading +), or None."""
    text = clean_text(phone, field, max_len=30, required=False)
    if text is None:
        return None
    if not PHONE.fullmatch(text):
        raise Invalid("bad_phone", field)
    return text


async def _new_slip(ctx: ServiceContext, account: Account, conn: Any) -> str:
    """A fresh code for the account; its older slips stop working."""
    now = ctx.now()
    await AccountSlip.filter(account_id=account.id, voided_at=None).using_db(conn).update(voided_at=now)
    code = new_invitation_code()
    await AccountSlip.create(
        account_id=account.id,
        code_hash=invitation_digest(ctx.settings.secret_key, code),
        created_at=now,
        created_by_id=ctx.actor.account_id,
        using_db=conn,
    )
    return code


async def create_representative(
    ctx: ServiceContext, *, party_id: str, display_name: str, phone: str | None = None
) -> IssuedSlip:
    """Add a party's representative who signs in with a printed slip, and return its code.

    Errors: UNAUTHENTICATED; FORBIDDEN (not an organizer or admin); NOT_FOUND (partyId);
    INVALID (displayName, phone); CONFLICT (displayName already shown by another account).
    """
    _may_issue(ctx)
    party_pk = decode_id(party_id, "Party", "partyId")
    display = clean_text(display_name, "displayName", max_len=100)
    number = clean_phone(phone)
    async with transaction() as conn:
        party = await Party.get_or_none(id=party_pk, using_db=conn)
        if party is None:
            raise NotFound("partyId")
        return await _add(ctx, party, display, number, conn)


async def create_party_with_representative(
    ctx: ServiceContext,
    *,
    name: str,
    kind: str,
    contact: str | None,
    display_name: str,
    phone: str | None,
) -> IssuedSlip:
    """createParty with its representative and slip in the same step, all or nothing.

    Errors: those of createParty and of createRepresentative (on `representative.displayName`,
    `representative.phone`).
    """
    permit(ctx.actor, "party.create")
    _may_issue(ctx)
    fields = party_fields(name, kind, contact)
    display = clean_text(display_name, "representative.displayName", max_len=100)
    try:
        number = clean_phone(phone)
    except Invalid as error:
        raise Invalid("bad_phone", "representative.phone") from error
    async with transaction() as conn:
        party = await insert_party(ctx, fields, conn)
        return await _add(ctx, party, display, number, conn, name_field="representative.displayName")


async def _add(
    ctx: ServiceContext,
    party: Party,
    display: str,
    phone: str | None,
    conn: Any,
    name_field: str = "displayName",
) -> IssuedSlip:
    """The representative's account and first slip, in the caller's transaction."""
    await ensure_party_in_reach(
        ctx.actor, party.id, conn, name_field.rsplit(".", 1)[0] if "." in name_field else "partyId"
    )
    # Two organizers adding look-alike names at once: the second waits and then sees the first.
    await lock_installation(conn)
    if not await _name_is_free(display, conn):
        raise Conflict("display_name_taken", name_field)
    account = await Account.create(
        display_name=display,
        roles=PARTY_REP,
        party_id=party.id,
        phone=phone,
        created_at=ctx.now(),
        using_db=conn,
    )
    code = await _new_slip(ctx, account, conn)
    await _trail_account(ctx, account, "account.create_representative", "建立参与方代表（凭邀请条登录）", conn)
    return IssuedSlip(account, party, code)


async def issue_representative_slip(ctx: ServiceContext, *, account_id: str) -> IssuedSlip:
    """A new slip for a representative (the old one lost): older slips stop working, and every
    session of the account ends.

    Errors: UNAUTHENTICATED; FORBIDDEN; NOT_FOUND (accountId: no such party representative).
    """
    _may_issue(ctx)
    pk = decode_id(account_id, "Account", "accountId")
    async with transaction() as conn:
        account = await Account.select_for_update().using_db(conn).get_or_none(id=pk)
        # Only an account that is a party's representative and nothing else: a slip must never
        # sign anyone in as staff or a supervisor.
        if account is None or account.role_set != {PARTY_REP} or account.party_id is None:
            raise NotFound("accountId")
        await ensure_party_in_reach(ctx.actor, account.party_id, conn, "accountId")
        party = await Party.get(id=account.party_id, using_db=conn)
        code = await _new_slip(ctx, account, conn)
        await Session.filter(account_id=account.id, revoked_at=None).using_db(conn).update(revoked_at=ctx.now())
        await _trail_account(ctx, account, "account.issue_slip", "补发参与方代表邀请条", conn)
    return IssuedSlip(account, party, code)


async def redeem_slip(ctx: ServiceContext, digest: str, conn: Any) -> Login | None:
    """A representative's slip (by its code's digest): a session as that representative. None
    when no live slip has this code. A slip used before still signs in; the session is marked
    (its signatures count as on the party's behalf) and its holder told when it was last used."""
    slip = await AccountSlip.select_for_update().using_db(conn).get_or_none(code_hash=digest, voided_at=None)
    if slip is None:
        return None
    account = await Account.get(id=slip.account_id, using_db=conn)
    if account.role_set != {PARTY_REP}:
        return None
    now = ctx.now()
    used_at = await last_use(slip.redeemed_at, Session.filter(account_id=account.id), conn)
    if used_at is not None:
        # The slip moves the session, as a household's does: the phone that used it before is signed out.
        await Session.filter(account_id=account.id, revoked_at=None).using_db(conn).update(revoked_at=now)
    else:
        slip.redeemed_at = now
        await slip.save(using_db=conn, update_fields=["redeemed_at"])
    return await _new_session(
        ctx,
        account,
        conn,
        roll_entry_id=None,
        lifetime=timedelta(days=REP_SESSION_DAYS),
        reissued=used_at is not None,
        slip_used_at=used_at,
    )
