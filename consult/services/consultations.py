"""Consultations: creation, parties and the stage machine."""

from __future__ import annotations

from typing import Any

from consult.domain import stages
from consult.domain.labels import label_of
from consult.domain.vocabulary import EventKind, FindingStatus, PollStatus, ProposalStatus, Stage
from consult.errors import Conflict, Invalid, NotFound, WrongStage
from consult.ids import to_global_id
from consult.models import (
    Account,
    Consultation,
    ConsultationParty,
    CostPlan,
    CostShare,
    Finding,
    Party,
    Poll,
    Proposal,
    StageChange,
)
from consult.policies import CPPCC_MEMBER, require
from consult.services.base import (
    ServiceContext,
    audit,
    clean_text,
    decode_id,
    ensure_stage,
    ensure_visible,
    lock_consultation,
    relations_to,
    transaction,
)


def _clean_party_ids(party_ids: list[str] | None) -> list[int]:
    party_pks: list[int] = []
    for i, gid in enumerate(party_ids or []):
        pk = decode_id(gid, "Party", f"partyIds.{i}")
        if pk in party_pks:
            raise Invalid("duplicate_party", f"partyIds.{i}")
        party_pks.append(pk)
    return party_pks


async def _check_parties_and_convener(party_pks: list[int], convener_pk: int | None, conn: Any) -> None:
    """The parties exist, and the convener is a CPPCC member."""
    found = (
        set(await Party.filter(id__in=party_pks).using_db(conn).values_list("id", flat=True)) if party_pks else set()
    )
    for i, pk in enumerate(party_pks):
        if pk not in found:
            raise NotFound(f"partyIds.{i}")
    if convener_pk is not None:
        convener = await Account.get_or_none(id=convener_pk, using_db=conn)
        if convener is None:
            raise NotFound("convenerId")
        if CPPCC_MEMBER not in convener.role_set:
            raise Invalid("convener_not_cppcc", "convenerId")


async def _link_parties(consultation: Consultation, party_pks: list[int], conn: Any) -> None:
    for position, pk in enumerate(party_pks):
        await ConsultationParty.create(consultation_id=consultation.id, party_id=pk, position=position, using_db=conn)


async def create_consultation(
    ctx: ServiceContext,
    *,
    title: str,
    summary: str,
    location: str,
    party_ids: list[str] | None = None,
    convener_id: str | None = None,
) -> Consultation:
    """Open a consultation in DRAFT. Its first audit event (seq 1) is CREATED.

    Errors: UNAUTHENTICATED, FORBIDDEN; INVALID (title, summary, location, a party listed
    twice, a convener who is not a CPPCC member); NOT_FOUND for an unknown party or convener.
    """
    require(ctx.actor, "consultation.create")
    clean_title = clean_text(title, "title", max_len=200)
    clean_summary = clean_text(summary, "summary", max_len=10_000)
    clean_location = clean_text(location, "location", max_len=200)
    party_pks = _clean_party_ids(party_ids)
    convener_pk = decode_id(convener_id, "Account", "convenerId") if convener_id else None
    async with transaction() as conn:
        await _check_parties_and_convener(party_pks, convener_pk, conn)
        now = ctx.now()
        consultation = await Consultation.create(
            title=clean_title,
            summary=clean_summary,
            location=clean_location,
            stage=Stage.DRAFT,
            created_at=now,
            created_by_id=ctx.actor.account_id,
            convener_id=convener_pk,
            using_db=conn,
        )
        await _link_parties(consultation, party_pks, conn)
        await StageChange.create(
            consultation_id=consultation.id,
            from_stage=None,
            to_stage=Stage.DRAFT,
            at=now,
            by_id=ctx.actor.account_id,
            using_db=conn,
        )
        await audit(
            ctx,
            consultation,
            conn,
            action="consultation.create",
            kind=EventKind.CREATED,
            subject=to_global_id("Consultation", consultation.id),
            summary=f"创建协商：{clean_title}",
            payload={
                "title": clean_title,
                "summary": clean_summary,
                "location": clean_location,
                "parties": [to_global_id("Party", pk) for pk in party_pks],
                "convener": to_global_id("Account", convener_pk) if convener_pk else None,
            },
        )
        return consultation


async def add_party(ctx: ServiceContext, *, consultation_id: str, party_id: str) -> Consultation:
    """Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, CONFLICT (already taking part)."""
    require(ctx.actor, "consultation.add_party")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    ppk = decode_id(party_id, "Party", "partyId")
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_stage(consultation, "party.add")
        party = await Party.get_or_none(id=ppk, using_db=conn)
        if party is None:
            raise NotFound("partyId")
        if await ConsultationParty.filter(consultation_id=cpk, party_id=ppk).using_db(conn).exists():
            raise Conflict("party_already_added", "partyId")
        position = await ConsultationParty.filter(consultation_id=cpk).using_db(conn).count()
        await ConsultationParty.create(consultation_id=cpk, party_id=ppk, position=position, using_db=conn)
        await audit(
            ctx,
            consultation,
            conn,
            action="consultation.add_party",
            kind=EventKind.PARTY_ADDED,
            subject=to_global_id("Party", ppk),
            summary=f"加入参与方：{party.name}",
            payload={"party": to_global_id("Party", ppk), "name": party.name, "kind": party.kind},
        )
        return consultation


async def advance_stage(ctx: ServiceContext, *, consultation_id: str, to: str, note: str | None = None) -> Consultation:
    """Move a consultation forward (COLLECTING and VOTING may be skipped) or cancel it.

    Errors: UNAUTHENTICATED; NOT_FOUND; FORBIDDEN (only organizers, admins and the convener);
    WRONG_STAGE for any other move; INVALID on `note` when cancelling without a reason.
    """
    if not ctx.actor.authenticated:
        require(ctx.actor, "consultation.advance")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    clean_note = clean_text(note, "note", max_len=2000, required=False)
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        require(ctx.actor, "consultation.advance", relations_to(ctx.actor, consultation))
        current = consultation.stage
        if current in stages.FINAL:
            raise WrongStage("read_only", "to", stage=current)
        if not stages.can_move(current, to):
            raise WrongStage("bad_transition", "to", from_stage=current, to_stage=to)
        if to == stages.CANCELLED and not clean_note:
            raise Invalid("cancel_needs_note", "note")
        await _check_polls(ctx, consultation, to, conn)
        if to == Stage.AGREED:
            await _check_agreement(cpk, conn)
        if to == Stage.EVALUATING:
            await _check_findings(cpk, conn)
        if to == Stage.ARCHIVED:
            # Archiving by stage move seals the same dossier as archiveConsultation.
            from consult.services.archive import seal

            await seal(ctx, consultation, conn, clean_note)
            return consultation
        now = ctx.now()
        consultation.stage = to
        consultation.published = consultation.published or stages.publishes(current, to)
        await Consultation.filter(id=cpk).using_db(conn).update(stage=to, published=consultation.published)
        await StageChange.create(
            consultation_id=cpk,
            from_stage=current,
            to_stage=to,
            at=now,
            by_id=ctx.actor.account_id,
            note=clean_note,
            using_db=conn,
        )
        await audit(
            ctx,
            consultation,
            conn,
            action="consultation.advance_stage",
            kind=EventKind.STAGE_CHANGED,
            subject=to_global_id("Consultation", cpk),
            summary=f"阶段变更：{stages_label(current)} → {stages_label(to)}",
            payload={"from": current, "to": to, "note": clean_note},
        )
        return consultation


async def _check_polls(ctx: ServiceContext, consultation: Consultation, to: str, conn) -> None:
    """VOTING needs a poll to vote on; leaving VOTING (other than by cancelling) needs them all closed."""
    from consult.services.voting import settle_all

    if to == Stage.VOTING and not await Poll.filter(consultation_id=consultation.id).using_db(conn).exists():
        raise WrongStage("voting_needs_poll", "to")
    if consultation.stage == Stage.VOTING and to != stages.CANCELLED:
        polls = await settle_all(ctx, consultation, conn)
        still_open = [p.question for p in polls if p.status != PollStatus.CLOSED]
        if still_open:
            raise WrongStage("polls_still_open", "to", polls="、".join(still_open))


async def _check_findings(consultation_id: int, conn) -> None:
    """五定闭环: every finding must be verified by a CPPCC member before the residents rate."""
    open_ones = (
        await Finding.filter(consultation_id=consultation_id, status__not=FindingStatus.VERIFIED)
        .using_db(conn)
        .order_by("id")
        .values_list("description", flat=True)
    )
    if open_ones:
        raise WrongStage("evaluating_needs_verified", "to", findings="；".join(str(d)[:40] for d in open_ones))


async def _check_agreement(consultation_id: int, conn) -> None:
    """签协议: AGREED needs an adopted proposal whose cost plan, if any, every party confirmed."""
    adopted = (
        await Proposal.filter(consultation_id=consultation_id, status=ProposalStatus.ADOPTED).using_db(conn).first()
    )
    if adopted is None:
        raise WrongStage("agreed_needs_adopted", "to")
    plan = await CostPlan.get_or_none(proposal_id=adopted.id, using_db=conn)
    if plan is None:
        return
    missing = (
        await CostShare.filter(plan_id=plan.id, confirmed_at=None)
        .using_db(conn)
        .order_by("position")
        .values_list("party__name", flat=True)
    )
    if missing:
        raise WrongStage("agreed_needs_confirmations", "to", parties="、".join(str(name) for name in missing))


def stages_label(stage: str) -> str:
    return label_of(Stage, stage)
