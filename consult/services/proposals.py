"""Proposals (出方案单)."""

from __future__ import annotations

from consult.domain.vocabulary import EventKind, ProposalStatus
from consult.errors import Conflict, Invalid
from consult.ids import to_global_id
from consult.models import ConsultationParty, Proposal
from consult.money import format_fen, parse_money
from consult.policies import gate, permit, relations_of
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

# What updateProposal may set. ADOPTED only comes through adoptProposal.
STATUS_MOVES = {
    ProposalStatus.DRAFT: {ProposalStatus.TABLED, ProposalStatus.WITHDRAWN},
    ProposalStatus.TABLED: {ProposalStatus.DRAFT, ProposalStatus.WITHDRAWN, ProposalStatus.REJECTED},
    ProposalStatus.ADOPTED: set(),
    ProposalStatus.REJECTED: set(),
    ProposalStatus.WITHDRAWN: set(),
}
EDITABLE = {ProposalStatus.DRAFT, ProposalStatus.TABLED}


async def create_proposal(ctx: ServiceContext, *, consultation_id: str, title: str, body: str, budget: str) -> Proposal:
    """Draft a plan with its budget (DELIBERATING or VOTING). It starts as DRAFT.

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, INVALID (title, body, budget).
    """
    gate(ctx.actor, "proposal.create")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    clean_title = clean_text(title, "title", max_len=200)
    clean_body = clean_text(body, "body", max_len=20_000)
    budget_fen = parse_money(budget, "budget")
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        taking_part = ConsultationParty.filter(consultation_id=cpk).using_db(conn)
        party_ids: list[int] = [pk for (pk,) in await taking_part.values_list("party_id")]
        permit(
            ctx.actor,
            "proposal.create",
            relations=relations_of(ctx.actor, consultation, party_ids=party_ids),
            stage=consultation.stage,
            community=consultation.community_id,
        )
        proposal = await Proposal.create(
            consultation_id=cpk,
            title=clean_title,
            body=clean_body,
            status=ProposalStatus.DRAFT,
            author_id=ctx.actor.account_id,
            budget_fen=budget_fen,
            created_at=ctx.now(),
            using_db=conn,
        )
        await audit(
            ctx,
            consultation,
            conn,
            action="proposal.create",
            kind=EventKind.PROPOSAL_CHANGED,
            subject=to_global_id("Proposal", proposal.id),
            summary=f"提出方案：{clean_title}（预算 {format_fen(budget_fen)} 元）",
            payload={
                "proposal": to_global_id("Proposal", proposal.id),
                "title": clean_title,
                "body": clean_body,
                "budget": format_fen(budget_fen),
                "status": ProposalStatus.DRAFT,
            },
        )
        return proposal


def _clean_edits(title: str | None, body: str | None, budget: str | None) -> dict[str, object]:
    """The fields an edit changes, cleaned: only those given."""
    changes: dict[str, object] = {}
    if title is not None:
        changes["title"] = clean_text(title, "title", max_len=200)
    if body is not None:
        changes["body"] = clean_text(body, "body", max_len=20_000)
    if budget is not None:
        changes["budget_fen"] = parse_money(budget, "budget")
    return changes


def _update_payload(changes: dict[str, object], ppk: int) -> dict[str, object]:
    """The changes as the trail records them: the budget as a decimal string."""
    payload = {k: v for k, v in changes.items() if k != "budget_fen"}
    budget_fen = changes.get("budget_fen")
    if isinstance(budget_fen, int):
        payload["budget"] = format_fen(budget_fen)
    payload["proposal"] = to_global_id("Proposal", ppk)
    return payload


async def update_proposal(
    ctx: ServiceContext,
    *,
    proposal_id: str,
    title: str | None = None,
    body: str | None = None,
    budget: str | None = None,
    status: str | None = None,
) -> Proposal:
    """Edit a DRAFT or TABLED proposal, table it, withdraw it, or (organizers) reject it.

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN (not the author nor an organizer; only
    organizers reject), WRONG_STAGE, INVALID (texts, budget, a status move not allowed, an
    edit to a proposal that is no longer DRAFT or TABLED).
    """
    gate(ctx.actor, "proposal.update")
    ppk = decode_id(proposal_id, "Proposal", "proposalId")
    changes = _clean_edits(title, body, budget)
    async with transaction() as conn:
        consultation, proposal = await lock_through(Proposal, ppk, conn, "proposalId")
        ensure_visible(ctx.actor, consultation, "proposalId")
        stage, community = consultation.stage, consultation.community_id
        permit(
            ctx.actor, "proposal.update", relations=relations_of(ctx.actor, proposal), stage=stage, community=community
        )
        old_status = proposal.status
        if changes and old_status not in EDITABLE:
            raise Invalid("proposal_locked", "proposalId", status=old_status)
        if status is not None and status != old_status:
            if status not in STATUS_MOVES.get(old_status, set()):
                raise Invalid("bad_proposal_status", "status", from_status=old_status, to_status=status)
            if status == ProposalStatus.REJECTED:
                permit(ctx.actor, "proposal.adopt", stage=stage, community=community, field="status")
            changes["status"] = status
        if not changes:
            return proposal
        for name, value in changes.items():
            setattr(proposal, name, value)
        await proposal.save(using_db=conn, update_fields=list(changes))
        payload = _update_payload(changes, ppk)
        await audit(
            ctx,
            consultation,
            conn,
            action="proposal.update",
            kind=EventKind.PROPOSAL_CHANGED,
            subject=to_global_id("Proposal", ppk),
            summary=f"修改方案：{proposal.title}"
            + (f"（{old_status} → {proposal.status}）" if "status" in changes else ""),
            payload=payload,
        )
        return proposal


async def adopt_proposal(ctx: ServiceContext, *, proposal_id: str) -> Proposal:
    """Adopt a proposal; a previously adopted one goes back to TABLED.

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN (organizers only), WRONG_STAGE, INVALID
    (withdrawn or rejected), CONFLICT (already adopted).
    """
    gate(ctx.actor, "proposal.adopt")
    ppk = decode_id(proposal_id, "Proposal", "proposalId")
    async with transaction() as conn:
        consultation, proposal = await lock_through(Proposal, ppk, conn, "proposalId")
        ensure_visible(ctx.actor, consultation, "proposalId")
        permit(ctx.actor, "proposal.adopt", stage=consultation.stage, community=consultation.community_id)
        if proposal.status == ProposalStatus.ADOPTED:
            raise Conflict("proposal_already_adopted", "proposalId")
        if proposal.status in (ProposalStatus.WITHDRAWN, ProposalStatus.REJECTED):
            raise Invalid("proposal_not_adoptable", "proposalId")
        previous = (
            await Proposal.filter(consultation_id=proposal.consultation_id, status=ProposalStatus.ADOPTED)
            .using_db(conn)
            .values_list("id", flat=True)
        )
        previous_ids = [int(pk) for pk in previous]  # type: ignore[call-overload]  # flat values_list is typed as tuples
        if previous:
            await Proposal.filter(id__in=previous_ids).using_db(conn).update(status=ProposalStatus.TABLED)
        old = proposal.status
        proposal.status = ProposalStatus.ADOPTED
        await proposal.save(using_db=conn, update_fields=["status"])
        await audit(
            ctx,
            consultation,
            conn,
            action="proposal.adopt",
            kind=EventKind.PROPOSAL_CHANGED,
            subject=to_global_id("Proposal", ppk),
            summary=f"采纳方案：{proposal.title}",
            payload={
                "proposal": to_global_id("Proposal", ppk),
                "from": old,
                "to": ProposalStatus.ADOPTED,
                "previouslyAdopted": [to_global_id("Proposal", pk) for pk in previous_ids],
            },
        )
        return proposal
