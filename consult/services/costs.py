"""Cost sharing (出资分担): plans, signed shares (签协议) and money received."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from consult.clock import parse_datetime
from consult.domain.splits import ShareSpec, SplitLine, split
from consult.domain.vocabulary import EventKind, ProposalStatus
from consult.errors import Conflict, Invalid, NotFound
from consult.ids import to_global_id
from consult.models import Account, Consultation, ConsultationParty, Contribution, CostPlan, CostShare, Party, Proposal
from consult.money import format_fen, parse_money
from consult.policies import Relation, gate, permit, relations_of
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


def describe_plan(plan: CostPlan | None, shares: list[CostShare], names: dict[int, str]) -> dict | None:
    """The plan as the audit trail records it."""
    if plan is None:
        return None
    return {
        "total": format_fen(plan.total_fen),
        "method": plan.method,
        "shares": [
            {
                "party": to_global_id("Party", s.party_id),
                "name": names.get(s.party_id, ""),
                "amount": format_fen(s.amount_fen),
                "percent": s.percent,
                "weight": s.weight,
                "confirmed": s.confirmed_at is not None,
            }
            for s in shares
        ],
    }


# One share per paying party of the consultation (consult.services.consultations.MAX_PARTIES).
MAX_SHARES = 100


def _share_party_pks(shares: list[dict]) -> list[int]:
    if len(shares) > MAX_SHARES:
        raise Invalid("too_many_shares", "shares", max=MAX_SHARES)
    party_pks: list[int] = []
    for i, share in enumerate(shares):
        pk = decode_id(share.get("party_id"), "Party", f"shares.{i}.partyId")
        if pk in party_pks:
            raise Invalid("duplicate_party", f"shares.{i}.partyId")
        party_pks.append(pk)
    return party_pks


async def _names_of_paying_parties(consultation_id: int, party_pks: list[int], conn: Any) -> dict[int, str]:
    """The paying parties' names; each must exist and take part in the consultation."""
    taking_part = set(
        await ConsultationParty.filter(consultation_id=consultation_id)
        .using_db(conn)
        .values_list("party_id", flat=True)
    )
    names = dict(await Party.filter(id__in=party_pks).using_db(conn).values_list("id", "name")) if party_pks else {}
    for i, pk in enumerate(party_pks):
        if pk not in names:
            raise NotFound(f"shares.{i}.partyId")
        if pk not in taking_part:
            raise Invalid("party_not_in_consultation", f"shares.{i}.partyId")
    return names


async def _reset_plan(
    ctx: ServiceContext, ppk: int, total_fen: int, method: str, conn: Any
) -> tuple[CostPlan, dict | None]:
    """The proposal's plan with its new total and method and no shares, and the old plan as the trail describes it."""
    plan = await CostPlan.get_or_none(proposal_id=ppk, using_db=conn)
    old_description = None
    if plan is not None:
        old_shares = await CostShare.filter(plan_id=plan.id).using_db(conn).order_by("position")
        if any(s.paid_fen for s in old_shares):
            raise Conflict("plan_has_payments", "proposalId")
        old_names = dict(
            await Party.filter(id__in=[s.party_id for s in old_shares]).using_db(conn).values_list("id", "name")
        )
        old_description = describe_plan(plan, old_shares, old_names)
        await CostShare.filter(plan_id=plan.id).using_db(conn).delete()
        plan.total_fen, plan.method, plan.updated_at, plan.updated_by_id = (
            total_fen,
            method,
            ctx.now(),
            ctx.actor.account_id,
        )
        await plan.save(using_db=conn)
    else:
        plan = await CostPlan.create(
            proposal_id=ppk,
            total_fen=total_fen,
            method=method,
            updated_at=ctx.now(),
            updated_by_id=ctx.actor.account_id,
            using_db=conn,
        )
    return plan, old_description


async def _write_shares(plan: CostPlan, party_pks: list[int], lines: list[SplitLine], conn: Any) -> list[CostShare]:
    new_shares = [
        CostShare(
            plan_id=plan.id,
            party_id=pk,
            position=position,
            amount_fen=line.amount_fen,
            percent=line.percent,
            weight=line.weight,
        )
        for position, (pk, line) in enumerate(zip(party_pks, lines, strict=True))
    ]
    await CostShare.bulk_create(new_shares, using_db=conn)
    return await CostShare.filter(plan_id=plan.id).using_db(conn).order_by("position")


async def set_cost_plan(
    ctx: ServiceContext, *, proposal_id: str, total: str, method: str, shares: list[dict]
) -> tuple[Proposal, CostPlan]:
    """Replace a proposal's cost plan (DELIBERATING or VOTING). Every confirmation is cleared.

    Errors: UNAUTHENTICATED; NOT_FOUND (proposal, shares.N.partyId); FORBIDDEN (organizers
    and the proposal's author only); WRONG_STAGE; INVALID (total, method, a share's value,
    a party not taking part or listed twice, a withdrawn or rejected proposal); SPLIT_MISMATCH
    (FIXED amounts or PERCENT values that do not add up); CONFLICT once money was recorded.
    """
    gate(ctx.actor, "costplan.set")
    ppk = decode_id(proposal_id, "Proposal", "proposalId")
    total_fen = parse_money(total, "total")
    party_pks = _share_party_pks(shares)
    lines = split(
        method,
        total_fen,
        [ShareSpec(amount=s.get("amount"), percent=s.get("percent"), weight=s.get("weight")) for s in shares],
    )
    async with transaction() as conn:
        consultation, proposal = await lock_through(Proposal, ppk, conn, "proposalId")
        ensure_visible(ctx.actor, consultation, "proposalId")
        permit(
            ctx.actor,
            "costplan.set",
            relations=relations_of(ctx.actor, proposal),
            stage=consultation.stage,
            community=consultation.community_id,
        )
        if proposal.status in (ProposalStatus.WITHDRAWN, ProposalStatus.REJECTED):
            raise Invalid("proposal_locked", "proposalId", status=proposal.status)
        names = await _names_of_paying_parties(consultation.id, party_pks, conn)
        plan, old_description = await _reset_plan(ctx, ppk, total_fen, method, conn)
        created = await _write_shares(plan, party_pks, lines, conn)
        await audit(
            ctx,
            consultation,
            conn,
            action="costplan.set",
            kind=EventKind.COST_PLAN_SET,
            subject=to_global_id("Proposal", ppk),
            summary=f"设定出资分担：{proposal.title}，共 {format_fen(total_fen)} 元，{len(created)} 方分担",
            payload={
                "proposal": to_global_id("Proposal", ppk),
                "old": old_description,
                "new": describe_plan(plan, created, names),
            },
        )
        return proposal, plan


async def _share_under_lock(spk: int, conn: Any) -> CostShare:
    """The share read again under the consultation's lock: a plan replaced meanwhile took it away."""
    share = await CostShare.get_or_none(id=spk, using_db=conn)
    if share is None:
        raise NotFound("shareId")
    return share


async def confirm_share(ctx: ServiceContext, *, share_id: str) -> CostShare:
    """签协议: the share's party confirms it, through its representative or an organizer on its behalf.

    Confirming again changes nothing. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN (a rep of
    another party, anyone else), WRONG_STAGE.
    """
    gate(ctx.actor, "share.confirm")
    spk = decode_id(share_id, "CostShare", "shareId")
    probe = await CostShare.get_or_none(id=spk).prefetch_related("plan__proposal")
    if probe is None:
        raise NotFound("shareId")
    async with transaction() as conn:
        consultation = await lock_consultation(probe.plan.proposal.consultation_id, conn, "shareId")
        ensure_visible(ctx.actor, consultation, "shareId")
        share = await _share_under_lock(spk, conn)
        relations = relations_of(ctx.actor, share)
        permit(
            ctx.actor,
            "share.confirm",
            relations=relations,
            stage=consultation.stage,
            community=consultation.community_id,
            field="shareId",
        )
        if share.confirmed_at is not None:
            return share
        signer = await Account.get(id=ctx.actor.account_id, using_db=conn)
        # The party's own rep, signing with a password only they know, or a slip on its first use.
        # A rep account signing with the password staff gave it, or with a slip used before (by
        # whoever else kept the code), is not surely the rep's signature: said so.
        rep = Relation.PARTY_REP in relations
        staff_password = rep and signer.password_hash is not None and not signer.own_password
        moved_slip = rep and signer.password_hash is None and ctx.actor.reissued
        on_behalf = not rep or staff_password or moved_slip
        share.confirmed_at = ctx.now()
        share.confirmed_by_id = ctx.actor.account_id
        share.confirmed_on_behalf = on_behalf
        await share.save(using_db=conn, update_fields=["confirmed_at", "confirmed_by_id", "confirmed_on_behalf"])
        party = await Party.get(id=share.party_id, using_db=conn)
        await audit(
            ctx,
            consultation,
            conn,
            action="share.confirm",
            kind=EventKind.SHARE_CONFIRMED,
            subject=to_global_id("CostShare", spk),
            summary=f"{party.name} 确认分担 {format_fen(share.amount_fen)} 元"
            + ("（由组织方代为确认）" if not rep else "")
            + ("（由组织方代为确认：代表账号仍用工作人员设定的密码）" if staff_password else "")
            + ("（视为代为确认：代表的邀请条此前已被使用过）" if moved_slip else ""),
            payload={
                "share": to_global_id("CostShare", spk),
                "party": to_global_id("Party", share.party_id),
                "amount": format_fen(share.amount_fen),
                "onBehalf": on_behalf,
            },
        )
        return share


async def _follow_funding(ctx: ServiceContext, consultation: Any, share: CostShare, conn: Any) -> None:
    """After a payment, the funding milestones follow the whole plan's money paid in."""
    from consult.services.supervision import follow_funding

    rows = await CostShare.filter(plan_id=share.plan_id).using_db(conn).values_list("paid_fen", "amount_fen")
    paid, total = sum(r[0] for r in rows), sum(r[1] for r in rows)
    await follow_funding(ctx, consultation, conn, paid_fen=paid, total_fen=total)


async def write_contribution(
    ctx: ServiceContext,
    consultation: Consultation,
    share: CostShare,
    party_name: str,
    conn: Any,
    amount_fen: int,
    received: datetime,
    note: str | None,
) -> Contribution:
    """One payment on a locked share, checked by the caller: kept, added to what the share has
    paid, followed by the funding milestones, and trailed."""
    contribution = await Contribution.create(
        share_id=share.id,
        amount_fen=amount_fen,
        received_at=received,
        note=note,
        recorded_by_id=ctx.actor.account_id,
        created_at=ctx.now(),
        using_db=conn,
    )
    share.paid_fen += amount_fen
    await CostShare.filter(id=share.id).using_db(conn).update(paid_fen=share.paid_fen)
    await _follow_funding(ctx, consultation, share, conn)
    await audit(
        ctx,
        consultation,
        conn,
        action="contribution.record",
        kind=EventKind.CONTRIBUTION_RECORDED,
        subject=to_global_id("CostShare", share.id),
        summary=_contribution_summary(party_name, amount_fen, share),
        payload={
            "contribution": to_global_id("Contribution", contribution.id),
            "share": to_global_id("CostShare", share.id),
            "amount": format_fen(amount_fen),
            "receivedAt": received.isoformat(),
            "paid": format_fen(share.paid_fen),
        },
    )
    return contribution


def _contribution_summary(party_name: str, amount_fen: int, share: CostShare) -> str:
    return (
        f"收到 {party_name} 出资 {format_fen(amount_fen)} 元（累计 "
        f"{format_fen(share.paid_fen)} / {format_fen(share.amount_fen)} 元）"
    )


async def record_contribution(
    ctx: ServiceContext, *, share_id: str, amount: str, received_at: object, note: str | None = None
) -> CostShare:
    """Record money received against a share (organizers). `paid` never exceeds the share.

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, INVALID (amount not positive
    or above what is still outstanding, receivedAt, note too long).
    """
    gate(ctx.actor, "contribution.record")
    spk = decode_id(share_id, "CostShare", "shareId")
    amount_fen = parse_money(amount, "amount")
    if amount_fen <= 0:
        raise Invalid("contribution_positive", "amount")
    received = parse_datetime(received_at, "receivedAt")
    clean_note = clean_text(note, "note", max_len=2000, required=False)
    probe = await CostShare.get_or_none(id=spk).prefetch_related("plan__proposal")
    if probe is None:
        raise NotFound("shareId")
    async with transaction() as conn:
        consultation = await lock_consultation(probe.plan.proposal.consultation_id, conn, "shareId")
        ensure_visible(ctx.actor, consultation, "shareId")
        permit(ctx.actor, "contribution.record", stage=consultation.stage, community=consultation.community_id)
        share = await _share_under_lock(spk, conn)
        proposal_status = (
            await Proposal.filter(id=probe.plan.proposal_id).using_db(conn).values_list("status", flat=True)
        )
        if proposal_status != [ProposalStatus.ADOPTED]:
            # Money follows the agreed plan only; a draft plan may still be replaced.
            raise Invalid("share_not_adopted", "shareId")
        if share.paid_fen + amount_fen > share.amount_fen:
            raise Invalid("overpayment", "amount", outstanding=format_fen(share.amount_fen - share.paid_fen))
        party = await Party.get(id=share.party_id, using_db=conn)
        await write_contribution(ctx, consultation, share, party.name, conn, amount_fen, received, clean_note)
        return share
