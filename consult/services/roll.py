"""The voter roll (居民名册) and invitation slips."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Subquery

from consult.domain.vocabulary import EventKind, PollStatus
from consult.domain.weights import SCALE, format_weight, parse_weight
from consult.errors import Conflict, Forbidden, Invalid, NotFound, RowErrors
from consult.ids import to_global_id
from consult.models import Invitation, Poll, ReissueRequest, Session, VoterRollEntry
from consult.policies import CPPCC_MEMBER, allowed, gate, permit
from consult.security import invitation_digest, new_invitation_code
from consult.services.areas import staff_reaching
from consult.services.base import (
    ServiceContext,
    audit,
    clean_text,
    decode_id,
    ensure_visible,
    lock_consultation,
    lock_through,
    transaction,
)

MAX_ROLL = 200_000
BATCH = 1000


@dataclass
class IssuedInvitation:
    label: str
    code: str
    entry_id: int


def _roll_digest(rows: list[tuple[str, int, bool]]) -> str:
    """Commits the audit trail to the roll's content without putting names in it."""
    h = hashlib.sha256()
    for label, weight, _ in rows:
        h.update(f"{label}\t{format_weight(weight)}\n".encode())
    return h.hexdigest()


def _clean_voters(voters: list[tuple[str, str | None]]) -> list[tuple[str, int | None]]:
    """(label, weight in 1/10000, None when no area was given) per row: labels distinct."""
    rows: list[tuple[str, int | None]] = []
    seen: set[str] = set()
    for i, (label, weight) in enumerate(voters):
        clean_label = clean_text(label, f"voters.{i}.label", max_len=100)
        if clean_label in seen:
            raise Invalid("duplicate_label", f"voters.{i}.label", label=clean_label)
        seen.add(clean_label)
        if weight is None or str(weight).strip() == "":
            rows.append((clean_label, None))
            continue
        parsed = parse_weight(str(weight))
        if parsed is None:
            raise Invalid("bad_weight", f"voters.{i}.weight")
        rows.append((clean_label, parsed))
    return rows


async def _weigh(cpk: int, rows: list[tuple[str, int | None]], conn: Any) -> list[tuple[str, int, bool]]:
    """The rows with their weights. A row with no area counts 1 (a head) only while no poll still
    to open counts area; otherwise it is refused, every such row named (`voters.N.weight`), never
    silently counted as 1 m²."""
    missing = [i for i, (_, weight) in enumerate(rows) if weight is None]
    if missing:
        by_area = (
            await Poll.filter(consultation_id=cpk, status=PollStatus.SCHEDULED, by_area=True).using_db(conn).exists()
        )
        if by_area:
            raise RowErrors([Invalid("area_required", f"voters.{i}.weight") for i in missing])
    return [(label, SCALE if weight is None else weight, weight is not None) for label, weight in rows]


def _roll_changes(
    cpk: int, existing: dict[str, VoterRollEntry], rows: list[tuple[str, int, bool]], now: datetime
) -> tuple[list[VoterRollEntry], list[VoterRollEntry]]:
    """The entries to create and to update so that the roll reads `rows`.

    Takes out of `existing` every entry whose label stays: those left are no longer listed.
    """
    to_create: list[VoterRollEntry] = []
    to_update: list[VoterRollEntry] = []
    for position, (label, weight, given) in enumerate(rows):
        entry = existing.pop(label, None)
        if entry is None:
            to_create.append(
                VoterRollEntry(
                    consultation_id=cpk,
                    label=label,
                    weight_e4=weight,
                    area_given=given,
                    position=position,
                    active=True,
                    created_at=now,
                )
            )
        elif (entry.weight_e4, entry.area_given, entry.position, entry.active) != (weight, given, position, True):
            entry.weight_e4, entry.area_given, entry.position, entry.active = weight, given, position, True
            to_update.append(entry)
    return to_create, to_update


async def _retire(retired: list[int], now: datetime, conn: Any) -> None:
    for start in range(0, len(retired), BATCH):
        chunk = retired[start : start + BATCH]
        await VoterRollEntry.filter(id__in=chunk).using_db(conn).update(active=False)
        # A retired household's slip and phone session stop working with it.
        await Invitation.filter(entry_id__in=chunk, voided_at=None).using_db(conn).update(voided_at=now)
        await Session.filter(roll_entry_id__in=chunk, revoked_at=None).using_db(conn).update(revoked_at=now)


async def set_voter_roll(
    ctx: ServiceContext, *, consultation_id: str, voters: list[tuple[str, str | None]]
) -> list[VoterRollEntry]:
    """Replace the roll. Entries whose label stays keep their invitations and sessions;
    entries no longer listed are retired (kept for history, no longer eligible).

    A row with no area counts as one head (weight 1) while no poll still to open counts area;
    when one does, every row without an area is refused.

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, INVALID (voters.N.label
    missing, too long or repeated; voters.N.weight not a positive decimal, or missing while a
    poll to open counts area; too many rows).
    """
    gate(ctx.actor, "roll.set")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    if len(voters) > MAX_ROLL:
        raise Invalid("roll_too_large", "voters", max=MAX_ROLL)
    given = _clean_voters(voters)
    from consult.services.voting import settle_all

    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        permit(ctx.actor, "roll.set", stage=consultation.stage, community=consultation.community_id)
        # A poll the clock has opened takes its electorate from the roll as it was then, not as replaced here.
        await settle_all(ctx, consultation, conn)
        rows = await _weigh(cpk, given, conn)
        existing = {e.label: e for e in await VoterRollEntry.filter(consultation_id=cpk).using_db(conn)}
        now = ctx.now()
        to_create, to_update = _roll_changes(cpk, existing, rows, now)
        retired = [e.id for e in existing.values() if e.active]
        if to_create:
            await VoterRollEntry.bulk_create(to_create, batch_size=BATCH, using_db=conn)
        if to_update:
            await VoterRollEntry.bulk_update(
                to_update, fields=["weight_e4", "area_given", "position", "active"], batch_size=BATCH, using_db=conn
            )
        await _retire(retired, now, conn)
        total_weight = sum(w for _, w, _ in rows)
        await audit(
            ctx,
            consultation,
            conn,
            action="roll.set",
            kind=EventKind.VOTER_ROLL_SET,
            subject=to_global_id("Consultation", cpk),
            summary=(
                f"更新居民名册：共 {len(rows)} 户，新增 {len(to_create)}，调整 {len(to_update)}，移出 {len(retired)}"
            ),
            payload={
                "entries": len(rows),
                "added": len(to_create),
                "changed": len(to_update),
                "retired": len(retired),
                "totalWeight": format_weight(total_weight),
                "digest": _roll_digest(rows),
            },
        )
        return await VoterRollEntry.filter(consultation_id=cpk, active=True).using_db(conn).order_by("position")


async def issue_invitations(ctx: ServiceContext, *, consultation_id: str) -> list[IssuedInvitation]:
    """One fresh code per active roll entry; unredeemed older codes are voided.

    Codes are returned once, here, and stored only as keyed hashes.
    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, INVALID (empty roll).
    """
    gate(ctx.actor, "invitations.issue")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        permit(ctx.actor, "invitations.issue", stage=consultation.stage, community=consultation.community_id)
        everyone = await VoterRollEntry.filter(consultation_id=cpk, active=True).using_db(conn).order_by("position")
        if not everyone:
            raise Invalid("roll_empty", "consultationId")
        # A household that already signed in gets no fresh code here: a new slip would sign it
        # out and let whoever holds the slip vote in its name. That takes requestReissue and a
        # second person's approval.
        entries = [e for e in everyone if e.account_id is None]
        signed_in = len(everyone) - len(entries)
        now = ctx.now()
        roll_ids = Subquery(VoterRollEntry.filter(consultation_id=cpk, account_id=None).values("id"))
        voided = (
            await Invitation.filter(entry_id__in=roll_ids, redeemed_at=None, voided_at=None)
            .using_db(conn)
            .update(voided_at=now)
        )
        issued: list[IssuedInvitation] = []
        rows: list[Invitation] = []
        for entry in entries:
            code = new_invitation_code()
            issued.append(IssuedInvitation(label=entry.label, code=code, entry_id=entry.id))
            rows.append(
                Invitation(
                    entry_id=entry.id, code_hash=invitation_digest(ctx.settings.secret_key, code), created_at=now
                )
            )
        await Invitation.bulk_create(rows, batch_size=BATCH, using_db=conn)
        await audit(
            ctx,
            consultation,
            conn,
            action="invitations.issue",
            kind=EventKind.INVITATIONS_ISSUED,
            subject=to_global_id("Consultation", cpk),
            summary=f"发放邀请码 {len(issued)} 份，作废未使用的旧码 {voided} 份；已登录的 {signed_in} 户不重发",
            payload={"issued": len(issued), "voided": voided, "signedIn": signed_in},
        )
        return issued


# ---------------------------------------------------------------- reissuing a slip


async def request_reissue(ctx: ServiceContext, *, voter_entry_id: str, reason: str) -> ReissueRequest:
    """Ask for a new slip for a household that already signed in, saying why.

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, INVALID (reason; a household
    that never signed in, which issueInvitations serves), CONFLICT (a request already waits).
    """
    gate(ctx.actor, "invitations.reissue_request")
    epk = decode_id(voter_entry_id, "VoterRollEntry", "voterEntryId")
    why = clean_text(reason, "reason", max_len=500)
    async with transaction() as conn:
        consultation, entry = await lock_through(VoterRollEntry, epk, conn, "voterEntryId")
        ensure_visible(ctx.actor, consultation, "voterEntryId")
        permit(ctx.actor, "invitations.reissue_request", stage=consultation.stage, community=consultation.community_id)
        if not entry.active:
            raise NotFound("voterEntryId")
        if entry.account_id is None:
            raise Invalid("reissue_not_signed_in", "voterEntryId")
        if await ReissueRequest.filter(entry_id=epk, status="PENDING").using_db(conn).exists():
            raise Conflict("reissue_pending", "voterEntryId")
        request = await ReissueRequest.create(
            entry_id=epk,
            reason=why,
            status="PENDING",
            requested_by_id=ctx.actor.account_id,
            requested_at=ctx.now(),
            using_db=conn,
        )
        await audit(
            ctx,
            consultation,
            conn,
            action="invitations.reissue_request",
            kind=EventKind.INVITATIONS_ISSUED,
            subject=to_global_id("VoterRollEntry", epk),
            summary=f"申请为一户已登录的住户补发邀请码，待第二人批准。原因：{why}",
            payload={"request": to_global_id("ReissueRequest", request.id), "reason": why},
        )
        return request


async def _may_approve_reissues(ctx: ServiceContext, community_id: int | None, conn: Any) -> None:
    """A CPPCC member approves; an admin only where no CPPCC member's areas reach the community."""
    if CPPCC_MEMBER in ctx.actor.roles:
        return
    if community_id is not None and await staff_reaching(community_id, [CPPCC_MEMBER], conn):
        raise Forbidden(None, key="reissue_needs_cppcc")


async def approve_reissue(ctx: ServiceContext, *, request_id: str) -> tuple[ReissueRequest, IssuedInvitation]:
    """The second person approves: the household's old phone is signed out, its unused slips
    are voided, and a new code is returned, once, to the approver.

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN (the requester themselves; an admin where a
    CPPCC member could approve), WRONG_STAGE, CONFLICT (already approved).
    """
    gate(ctx.actor, "invitations.reissue_approve")
    rpk = decode_id(request_id, "ReissueRequest", "requestId")
    async with transaction() as conn:
        owner = await ReissueRequest.get_or_none(id=rpk, using_db=conn)
        if owner is None:
            raise NotFound("requestId")
        consultation, entry = await lock_through(VoterRollEntry, owner.entry_id, conn, "requestId")
        # Approvers (CPPCC members) do not read drafts, yet approve what is listed to them.
        if not allowed(ctx.actor, "invitations.reissue_approve", community=consultation.community_id):
            ensure_visible(ctx.actor, consultation, "requestId")
        permit(
            ctx.actor,
            "invitations.reissue_approve",
            stage=consultation.stage,
            community=consultation.community_id,
            field="requestId",
        )
        request = await ReissueRequest.select_for_update().using_db(conn).get(id=rpk)
        if request.requested_by_id == ctx.actor.account_id:
            raise Forbidden("requestId", key="reissue_second_person")
        await _may_approve_reissues(ctx, consultation.community_id, conn)
        if request.status != "PENDING":
            raise Conflict("reissue_decided", "requestId")
        now = ctx.now()
        await Invitation.filter(entry_id=entry.id, voided_at=None).using_db(conn).update(voided_at=now)
        signed_out = await Session.filter(roll_entry_id=entry.id, revoked_at=None).using_db(conn).update(revoked_at=now)
        code = new_invitation_code()
        await Invitation.create(
            entry_id=entry.id,
            code_hash=invitation_digest(ctx.settings.secret_key, code),
            created_at=now,
            reissued=True,
            using_db=conn,
        )
        request.status, request.approved_by_id, request.approved_at = "APPROVED", ctx.actor.account_id, now
        await request.save(using_db=conn, update_fields=["status", "approved_by_id", "approved_at"])
        await audit(
            ctx,
            consultation,
            conn,
            action="invitations.reissue",
            kind=EventKind.INVITATIONS_ISSUED,
            subject=to_global_id("VoterRollEntry", entry.id),
            summary=f"批准补发邀请码：一户住户的旧登录已退出（{signed_out} 个），旧码作废。原因：{request.reason}",
            payload={
                "request": to_global_id("ReissueRequest", request.id),
                "requestedBy": to_global_id("Account", request.requested_by_id),
                "approvedBy": to_global_id("Account", ctx.actor.account_id or 0),
                "reason": request.reason,
                "signedOut": signed_out,
            },
        )
        return request, IssuedInvitation(label=entry.label, code=code, entry_id=entry.id)
