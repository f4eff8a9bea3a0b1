"""Consultations: creation, parties and the stage machine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from consult.domain import stages
from consult.domain.labels import label_of
from consult.domain.vocabulary import AreaKind, EventKind, FindingStatus, PollStatus, ProposalStatus, Stage
from consult.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, WrongStage
from consult.ids import to_global_id
from consult.models import (
    Account,
    Area,
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
from consult.policies import CPPCC_MEMBER, Actor, gate, in_reach, permit, relations_of
from consult.services.areas import default_community
from consult.services.base import (
    ServiceContext,
    audit,
    clean_text,
    decode_id,
    ensure_visible,
    lock_consultation,
    transaction,
)
from consult.services.photos import SITE, attach_photos, photo_ids_of, trail_entry
from consult.services.representatives import clean_phone

# A consultation's parties: the street office, the units, the markets... never near this many.
MAX_PARTIES = 100


def _clean_party_ids(party_ids: list[str] | None) -> list[int]:
    if len(party_ids or []) > MAX_PARTIES:
        raise Invalid("too_many_items", "partyIds", max=MAX_PARTIES)
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


async def _community_for(actor: Actor, community_pk: int | None, conn: Any) -> int:
    """The community a new consultation goes to: the one named, if it is a community the actor's
    areas reach, else the first they reach. NOT_FOUND for an unknown area, FORBIDDEN otherwise."""
    if community_pk is None:
        found = await default_community(actor.scope, conn)
        if found is None:
            raise Forbidden("communityId")
        return found
    area = await Area.get_or_none(id=community_pk, using_db=conn)
    if area is None:
        raise NotFound("communityId")
    if area.kind != AreaKind.COMMUNITY or not in_reach(actor, area.id):
        raise Forbidden("communityId")
    return area.id


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
    photo_ids: list[str] | None = None,
    help_phone: str | None = None,
    community_id: str | None = None,
) -> Consultation:
    """Open a consultation in DRAFT, with photos of the place and the help phone if given. Its first audit event
    (seq 1) is CREATED. It belongs to the community named, or else the first the actor's areas reach.

    Errors: UNAUTHENTICATED, FORBIDDEN (also on communityId: not a community the actor reaches);
    INVALID (title, summary, location, a party listed twice, a convener who is not a CPPCC
    member); NOT_FOUND for an unknown party, convener or community.
    """
    permit(ctx.actor, "consultation.create")
    clean_title = clean_text(title, "title", max_len=200)
    clean_summary = clean_text(summary, "summary", max_len=10_000)
    clean_location = clean_text(location, "location", max_len=200)
    party_pks = _clean_party_ids(party_ids)
    convener_pk = decode_id(convener_id, "Account", "convenerId") if convener_id else None
    photo_pks = photo_ids_of(photo_ids, "photoIds")
    phone = clean_phone(help_phone, "helpPhone")
    community_pk = decode_id(community_id, "Area", "communityId") if community_id else None
    async with transaction() as conn:
        await _check_parties_and_convener(party_pks, convener_pk, conn)
        community_pk = await _community_for(ctx.actor, community_pk, conn)
        now = ctx.now()
        consultation = await Consultation.create(
            title=clean_title,
            summary=clean_summary,
            location=clean_location,
            help_phone=phone,
            stage=Stage.DRAFT,
            created_at=now,
            created_by_id=ctx.actor.account_id,
            convener_id=convener_pk,
            community_id=community_pk,
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
        photos = await attach_photos(ctx, conn, consultation, photo_pks, kind=SITE, subject_id=consultation.id)
        await _trail_creation(ctx, consultation, conn, party_pks, photos)
        return consultation


async def _trail_creation(
    ctx: ServiceContext, consultation: Consultation, conn: Any, party_pks: list[int], photos: list
) -> None:
    convener_pk = consultation.convener_id
    await audit(
        ctx,
        consultation,
        conn,
        action="consultation.create",
        kind=EventKind.CREATED,
        subject=to_global_id("Consultation", consultation.id),
        summary=f"创建协商：{consultation.title}",
        payload={
            "title": consultation.title,
            "summary": consultation.summary,
            "location": consultation.location,
            "parties": [to_global_id("Party", pk) for pk in party_pks],
            "convener": to_global_id("Account", convener_pk) if convener_pk else None,
            **({"helpPhone": consultation.help_phone} if consultation.help_phone else {}),
            **({"photos": trail_entry(photos)} if photos else {}),
        },
    )


async def set_help_phone(ctx: ServiceContext, *, consultation_id: str, help_phone: str | None) -> Consultation:
    """The number printed on the consultation's invitation slips; empty clears it.

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, INVALID (helpPhone).
    """
    gate(ctx.actor, "consultation.set_help_phone")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    phone = clean_phone(help_phone, "helpPhone")
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        permit(
            ctx.actor,
            "consultation.set_help_phone",
            relations=relations_of(ctx.actor, consultation),
            stage=consultation.stage,
            community=consultation.community_id,
            field="consultationId",
        )
        if consultation.help_phone == phone:
            return consultation
        consultation.help_phone = phone
        await Consultation.filter(id=cpk).using_db(conn).update(help_phone=phone)
        await audit(
            ctx,
            consultation,
            conn,
            action="consultation.set_help_phone",
            kind=EventKind.DETAILS_CHANGED,
            subject=to_global_id("Consultation", cpk),
            summary=f"求助电话：{phone}" if phone else "去掉了求助电话",
            payload={"helpPhone": phone},
        )
        return consultation


async def add_party(ctx: ServiceContext, *, consultation_id: str, party_id: str) -> Consultation:
    """Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, CONFLICT (already taking part)."""
    gate(ctx.actor, "consultation.add_party")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    ppk = decode_id(party_id, "Party", "partyId")
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        permit(ctx.actor, "consultation.add_party", stage=consultation.stage, community=consultation.community_id)
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
    WRONG_STAGE for any other move, and for a move whose guard fails (see `guard_refusal`);
    INVALID on `note` when cancelling without a reason.
    """
    gate(ctx.actor, "consultation.advance")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    clean_note = clean_text(note, "note", max_len=2000, required=False)
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        current = consultation.stage
        refusal = move_refusal(ctx.actor, consultation, to)
        if refusal is not None:
            raise refusal
        if needs_note(to) and not clean_note:
            raise Invalid("cancel_needs_note", "note")
        refusal = guard_refusal(current, to, await _move_facts(ctx, consultation, to, conn))
        if refusal is not None:
            raise refusal
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


# ---------------------------------------------------------------- what a stage move needs
#
# advanceStage and the API's Consultation.nextStages ask the same three questions, in the same
# order, through the same functions: may this viewer move the consultation there at all
# (move_refusal), does the move need a note (needs_note), and do the consultation's polls,
# proposals, shares and findings let it go there (guard_refusal, over MoveFacts). Only the
# reading of the facts differs: the service reads them under its lock, the API through its
# per-request loaders.


@dataclass
class MoveFacts:
    """What the guards of a stage move look at, as plain values."""

    has_poll: bool = False
    # Questions of the polls not yet closed (by hand or by their clock), oldest first.
    unclosed_polls: list[str] = field(default_factory=list)
    adopted: bool = False
    # Names of the parties whose share of the adopted plan is not confirmed, in plan order.
    unconfirmed: list[str] = field(default_factory=list)
    # Descriptions of the findings not yet VERIFIED, oldest first.
    unverified: list[str] = field(default_factory=list)


def move_refusal(actor: Actor, consultation: Consultation, to: str) -> DomainError | None:
    """Whether this actor may make this move at all: the rule book (who, in which stage), then
    the stage machine. UNAUTHENTICATED, FORBIDDEN, WRONG_STAGE (read_only, bad_transition)."""
    try:
        permit(
            actor,
            "consultation.cancel" if to == stages.CANCELLED else "consultation.advance",
            relations=relations_of(actor, consultation),
            stage=consultation.stage,
            community=consultation.community_id,
            stage_field="to",
        )
    except DomainError as refused:
        return refused
    if not stages.can_move(consultation.stage, to):
        return WrongStage("bad_transition", "to", from_stage=consultation.stage, to_stage=to)
    return None


def needs_note(to: str) -> bool:
    """Cancelling needs its reason, written in the stage history for everyone to read."""
    return to == stages.CANCELLED


def facts_needed(current: str, to: str) -> frozenset[str]:
    """Which facts the guards of this move read: "polls", "agreement", "findings"."""
    out = set()
    if to == Stage.VOTING or (current == Stage.VOTING and to != stages.CANCELLED):
        out.add("polls")
    if to == Stage.AGREED:
        out.add("agreement")
    if to == Stage.EVALUATING:
        out.add("findings")
    return frozenset(out)


def guard_refusal(current: str, to: str, facts: MoveFacts) -> DomainError | None:
    """What the consultation's own state says about the move (WRONG_STAGE on `to`).

    VOTING needs a poll to vote on; leaving VOTING (other than by cancelling) needs every poll
    closed; 签协议: AGREED needs an adopted proposal whose cost plan, if any, every party
    confirmed; 五定闭环: EVALUATING needs every finding verified by a CPPCC member.
    """
    if to == Stage.VOTING and not facts.has_poll:
        return WrongStage("voting_needs_poll", "to")
    if current == Stage.VOTING and to != stages.CANCELLED and facts.unclosed_polls:
        return WrongStage("polls_still_open", "to", polls="、".join(facts.unclosed_polls))
    if to == Stage.AGREED:
        if not facts.adopted:
            return WrongStage("agreed_needs_adopted", "to")
        if facts.unconfirmed:
            return WrongStage("agreed_needs_confirmations", "to", parties="、".join(facts.unconfirmed))
    if to == Stage.EVALUATING and facts.unverified:
        return WrongStage("evaluating_needs_verified", "to", findings="；".join(d[:40] for d in facts.unverified))
    return None


async def _move_facts(ctx: ServiceContext, consultation: Consultation, to: str, conn) -> MoveFacts:
    """The facts for this move, read under the consultation's lock. Leaving VOTING first writes
    down what the polls' clocks already decided."""
    from consult.services.voting import settle_all

    facts = MoveFacts()
    needed = facts_needed(consultation.stage, to)
    if "polls" in needed:
        if to == Stage.VOTING:
            facts.has_poll = await Poll.filter(consultation_id=consultation.id).using_db(conn).exists()
        if consultation.stage == Stage.VOTING:
            polls = await settle_all(ctx, consultation, conn)
            facts.unclosed_polls = [p.question for p in polls if p.status != PollStatus.CLOSED]
    if "agreement" in needed:
        adopted = (
            await Proposal.filter(consultation_id=consultation.id, status=ProposalStatus.ADOPTED).using_db(conn).first()
        )
        facts.adopted = adopted is not None
        plan = await CostPlan.get_or_none(proposal_id=adopted.id, using_db=conn) if adopted else None
        if plan is not None:
            facts.unconfirmed = cast(
                list[str],
                await CostShare.filter(plan_id=plan.id, confirmed_at=None)
                .using_db(conn)
                .order_by("position")
                .values_list("party__name", flat=True),
            )
    if "findings" in needed:
        facts.unverified = cast(
            list[str],
            await Finding.filter(consultation_id=consultation.id, status__not=FindingStatus.VERIFIED)
            .using_db(conn)
            .order_by("id")
            .values_list("description", flat=True),
        )
    return facts


def stages_label(stage: str) -> str:
    return label_of(Stage, stage)
