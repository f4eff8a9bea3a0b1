"""The voter roll (居民名册) and invitation slips."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Subquery

from consult.domain.vocabulary import EventKind
from consult.domain.weights import SCALE, format_weight, parse_weight
from consult.errors import Invalid
from consult.ids import to_global_id
from consult.models import Invitation, Session, VoterRollEntry
from consult.policies import gate, permit
from consult.security import invitation_digest, new_invitation_code
from consult.services.base import (
    ServiceContext,
    audit,
    clean_text,
    decode_id,
    lock_consultation,
    transaction,
)

MAX_ROLL = 200_000
BATCH = 1000


@dataclass
class IssuedInvitation:
    label: str
    code: str
    entry_id: int


def _roll_digest(rows: list[tuple[str, int]]) -> str:
    """Commits the audit trail to the roll's content without putting names in it."""
    h = hashlib.sha256()
    for label, weight in rows:
        h.update(f"{label}\t{format_weight(weight)}\n".encode())
    return h.hexdigest()


def _clean_voters(voters: list[tuple[str, str | None]]) -> list[tuple[str, int]]:
    """(label, weight in 1/10000) per row: labels distinct, a missing weight counts as 1."""
    rows: list[tuple[str, int]] = []
    seen: set[str] = set()
    for i, (label, weight) in enumerate(voters):
        clean_label = clean_text(label, f"voters.{i}.label", max_len=100)
        if clean_label in seen:
            raise Invalid("duplicate_label", f"voters.{i}.label", label=clean_label)
        seen.add(clean_label)
        parsed = SCALE if weight is None or str(weight).strip() == "" else parse_weight(str(weight))
        if parsed is None:
            raise Invalid("bad_weight", f"voters.{i}.weight")
        scaled = parsed
        rows.append((clean_label, scaled))
    return rows


def _roll_changes(
    cpk: int, existing: dict[str, VoterRollEntry], rows: list[tuple[str, int]], now: datetime
) -> tuple[list[VoterRollEntry], list[VoterRollEntry]]:
    """The entries to create and to update so that the roll reads `rows`.

    Takes out of `existing` every entry whose label stays: those left are no longer listed.
    """
    to_create: list[VoterRollEntry] = []
    to_update: list[VoterRollEntry] = []
    for position, (label, weight) in enumerate(rows):
        entry = existing.pop(label, None)
        if entry is None:
            to_create.append(
                VoterRollEntry(
                    consultation_id=cpk,
                    label=label,
                    weight_e4=weight,
                    position=position,
                    active=True,
                    created_at=now,
                )
            )
        elif (entry.weight_e4, entry.position, entry.active) != (weight, position, True):
            entry.weight_e4, entry.position, entry.active = weight, position, True
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

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, INVALID (voters.N.label
    missing, too long or repeated; voters.N.weight not a positive decimal; too many rows).
    """
    gate(ctx.actor, "roll.set")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    if len(voters) > MAX_ROLL:
        raise Invalid("roll_too_large", "voters", max=MAX_ROLL)
    rows = _clean_voters(voters)
    from consult.services.voting import settle_all

    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        permit(ctx.actor, "roll.set", stage=consultation.stage)
        # A poll the clock has opened takes its electorate from the roll as it was then, not as replaced here.
        await settle_all(ctx, consultation, conn)
        existing = {e.label: e for e in await VoterRollEntry.filter(consultation_id=cpk).using_db(conn)}
        now = ctx.now()
        to_create, to_update = _roll_changes(cpk, existing, rows, now)
        retired = [e.id for e in existing.values() if e.active]
        if to_create:
            await VoterRollEntry.bulk_create(to_create, batch_size=BATCH, using_db=conn)
        if to_update:
            await VoterRollEntry.bulk_update(
                to_update, fields=["weight_e4", "position", "active"], batch_size=BATCH, using_db=conn
            )
        await _retire(retired, now, conn)
        total_weight = sum(w for _, w in rows)
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
        permit(ctx.actor, "invitations.issue", stage=consultation.stage)
        entries = await VoterRollEntry.filter(consultation_id=cpk, active=True).using_db(conn).order_by("position")
        if not entries:
            raise Invalid("roll_empty", "consultationId")
        now = ctx.now()
        roll_ids = Subquery(VoterRollEntry.filter(consultation_id=cpk).values("id"))
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
            summary=f"发放邀请码 {len(issued)} 份，作废未使用的旧码 {voided} 份",
            payload={"issued": len(issued), "voided": voided},
        )
        return issued
