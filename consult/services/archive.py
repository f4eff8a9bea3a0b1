"""存入档案单: sealing a finished consultation into one canonical, hashed document."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from consult.audit import canonical_json
from consult.clock import to_api
from consult.domain.decision import Count
from consult.domain.ratios import mean_2, ratio_4
from consult.domain.supervision import finding_overdue, milestone_status
from consult.domain.weights import format_weight
from consult.ids import to_global_id
from consult.models import (
    Account,
    AuditEvent,
    Consultation,
    ConsultationParty,
    Contribution,
    CostPlan,
    CostShare,
    Demand,
    Dossier,
    Finding,
    FollowUp,
    Inspection,
    Milestone,
    MilestoneUpdate,
    Party,
    Poll,
    PollOption,
    Proposal,
    Rating,
    Responsibility,
    StageChange,
)
from consult.money import format_fen
from consult.policies import RESIDENT, gate, permit, relations_of
from consult.services.base import (
    ServiceContext,
    audit,
    clean_text,
    decode_id,
    ensure_visible,
    lock_consultation,
    transaction,
)

FORMS = ("提诉求单", "列责任单", "出方案单", "定时限单", "给反馈单", "签协议单", "存入档案单")


def _t(value: datetime | None) -> str | None:
    return to_api(value) if value is not None else None


def evaluation_summary(scores: list[int]) -> dict[str, Any]:
    """count, average (2 decimals, half-up), distribution (index 0 = score 1), satisfaction rate."""
    return {
        "count": len(scores),
        "average": mean_2(scores),
        "distribution": [scores.count(i) for i in range(1, 6)],
        "satisfactionRate": ratio_4(sum(1 for s in scores if s >= 4), len(scores)) if scores else None,
    }


async def build_document(
    consultation: Consultation, conn: Any, *, sealed_at: datetime, head: AuditEvent | None
) -> dict:
    """The whole record in one JSON value: strings, integers, booleans, null, lists and objects.

    Only what the public may read goes in: no household names, no contacts, no submitters, and
    no ballot's voter.
    """
    from consult.services.voting import compute_tally, poll_rule

    cid = consultation.id
    accounts: dict[int, Account | None] = {}

    async def name_of(account_id: int | None) -> str | None:
        if account_id is None:
            return None
        if account_id not in accounts:
            accounts[account_id] = await Account.get_or_none(id=account_id).using_db(conn)
        account = accounts[account_id]
        # A resident's name is their household: kept out of the public record.
        if account is None or not (account.role_set - {RESIDENT}):
            return None
        return account.display_name

    links = (
        await ConsultationParty.filter(consultation_id=cid)
        .using_db(conn)
        .order_by("position")
        .values_list("party_id", flat=True)
    )
    by_id = {p.id: p for p in await Party.filter(id__in=list(links)).using_db(conn)}
    parties = {pk: by_id[pk] for pk in links if pk in by_id}

    def party_name(pk: int | None) -> str | None:
        return parties[pk].name if pk in parties else None

    demands = await Demand.filter(consultation_id=cid).using_db(conn).order_by("id")
    responsibilities = await Responsibility.filter(consultation_id=cid).using_db(conn).order_by("id")
    proposals = await Proposal.filter(consultation_id=cid).using_db(conn).order_by("id")
    plans = {p.proposal_id: p for p in await CostPlan.filter(proposal_id__in=[p.id for p in proposals]).using_db(conn)}
    shares_by_plan: dict[int, list[CostShare]] = {}
    for share in await CostShare.filter(plan_id__in=[p.id for p in plans.values()]).using_db(conn).order_by("position"):
        shares_by_plan.setdefault(share.plan_id, []).append(share)
    contributions: dict[int, list[Contribution]] = {}
    all_shares = [s for group in shares_by_plan.values() for s in group]
    for c in (
        await Contribution.filter(share_id__in=[s.id for s in all_shares]).using_db(conn).order_by("received_at", "id")
    ):
        contributions.setdefault(c.share_id, []).append(c)

    async def plan_doc(proposal: Proposal) -> dict | None:
        plan = plans.get(proposal.id)
        if plan is None:
            return None
        shares = shares_by_plan.get(plan.id, [])
        return {
            "total": format_fen(plan.total_fen),
            "method": plan.method,
            "fullyConfirmed": bool(shares) and all(s.confirmed_at for s in shares),
            "shares": [
                {
                    "party": party_name(s.party_id),
                    "amount": format_fen(s.amount_fen),
                    "percent": s.percent,
                    "weight": s.weight,
                    "confirmedAt": _t(s.confirmed_at),
                    "confirmedBy": await name_of(s.confirmed_by_id),
                    "paid": format_fen(s.paid_fen),
                    "outstanding": format_fen(s.amount_fen - s.paid_fen),
                    "contributions": [
                        {"amount": format_fen(c.amount_fen), "receivedAt": _t(c.received_at), "note": c.note}
                        for c in contributions.get(s.id, [])
                    ],
                }
                for s in shares
            ],
        }

    adopted = next((p for p in proposals if p.status == "ADOPTED"), None)
    funding = None
    if adopted is not None and adopted.id in plans:
        plan = plans[adopted.id]
        shares = shares_by_plan.get(plan.id, [])
        paid = sum(s.paid_fen for s in shares)
        funding = {
            "total": format_fen(plan.total_fen),
            "pledged": format_fen(sum(s.amount_fen for s in shares if s.confirmed_at)),
            "paid": format_fen(paid),
            "outstanding": format_fen(plan.total_fen - paid),
            "ratio": ratio_4(paid, plan.total_fen),
        }

    polls_doc = []
    for poll in await Poll.filter(consultation_id=cid).using_db(conn).order_by("id"):
        options = await PollOption.filter(poll_id=poll.id).using_db(conn).order_by("position")
        tally = await compute_tally(poll, options, poll.status, Count(poll.electorate_size, poll.electorate_weight_e4))
        rule = poll_rule(poll)
        polls_doc.append(
            {
                "question": poll.question,
                "kind": poll.kind,
                "status": poll.status,
                "secret": poll.secret,
                "rule": {
                    "preset": rule.preset,
                    "quorumPercent": rule.quorum_percent,
                    "threshold": rule.threshold_text,
                    "byArea": rule.by_area,
                },
                "openedAt": _t(poll.opened_at),
                "closedAt": _t(poll.closed_at),
                "tally": {
                    "version": tally.version,
                    "ballotsCast": tally.ballots_cast,
                    "electorateSize": tally.electorate.heads,
                    "turnout": ratio_4(tally.ballots_cast, tally.electorate.heads),
                    "options": [
                        {
                            "label": o.label,
                            "votes": o.votes,
                            "weight": format_weight(o.weight_e4),
                            "proposal": next((p.title for p in proposals if p.id == o.proposal_id), None),
                        }
                        for o in options
                    ],
                    "quorumMet": tally.quorum_met,
                    "outcome": tally.outcome,
                    "winner": options[tally.winner].label if tally.winner is not None else None,
                    "rounds": [
                        [
                            {"label": options[i].label, "votes": h, "weight": format_weight(w)}
                            for i, (h, w) in enumerate(r)
                        ]
                        for r in tally.rounds
                    ]
                    if tally.rounds is not None
                    else None,
                },
            }
        )

    milestones = await Milestone.filter(consultation_id=cid).using_db(conn).order_by("planned_end", "id")
    updates: dict[int, list[MilestoneUpdate]] = {}
    for u in (
        await MilestoneUpdate.filter(milestone_id__in=[m.id for m in milestones]).using_db(conn).order_by("at", "id")
    ):
        updates.setdefault(u.milestone_id, []).append(u)
    titles = {m.id: m.title for m in milestones}
    inspections = await Inspection.filter(consultation_id=cid).using_db(conn).order_by("visited_at", "id")
    findings = await Finding.filter(consultation_id=cid).using_db(conn).order_by("id")
    ratings = await Rating.filter(consultation_id=cid).using_db(conn).order_by("at", "id")
    scores = [r.score for r in ratings]
    follow_ups = await FollowUp.filter(consultation_id=cid).using_db(conn).order_by("at", "id")
    history = await StageChange.filter(consultation_id=cid).using_db(conn).order_by("id")

    async def finding_doc(f: Finding) -> dict:
        return {
            "category": f.category,
            "description": f.description,
            "assignee": await name_of(f.assignee_id),
            "responsibleParty": party_name(f.responsible_party_id),
            "dueAt": _t(f.due_at),
            "expectedOutcome": f.expected_outcome,
            "status": f.status,
            "resolution": f.resolution,
            "overdue": finding_overdue(status=f.status, due_at=f.due_at, now=sealed_at),
        }

    forms = [
        {
            "name": "提诉求单",
            "demands": [
                {
                    "title": d.title,
                    "body": d.body,
                    "channel": d.channel,
                    "status": d.status,
                    "supportCount": d.support_count,
                    "createdAt": _t(d.created_at),
                }
                for d in demands
            ],
        },
        {
            "name": "列责任单",
            "responsibilities": [
                {"party": party_name(r.party_id), "duty": r.duty, "dueAt": _t(r.due_at)} for r in responsibilities
            ],
        },
        {
            "name": "出方案单",
            "proposals": [
                {
                    "title": p.title,
                    "body": p.body,
                    "status": p.status,
                    "budget": format_fen(p.budget_fen),
                    "author": await name_of(p.author_id),
                    "costPlan": await plan_doc(p),
                }
                for p in proposals
            ],
        },
        {
            "name": "定时限单",
            "milestones": [
                {
                    "title": m.title,
                    "kind": m.kind,
                    "responsibleParty": party_name(m.responsible_party_id),
                    "plannedStart": _t(m.planned_start),
                    "plannedEnd": _t(m.planned_end),
                    "actualStart": _t(m.actual_start),
                    "actualEnd": _t(m.actual_end),
                    "progress": m.progress,
                    "status": milestone_status(
                        progress=m.progress, planned_end=m.planned_end, actual_start=m.actual_start, now=sealed_at
                    ),
                    "updates": [
                        {"at": _t(u.at), "by": await name_of(u.by_id), "progress": u.progress, "note": u.note}
                        for u in updates.get(m.id, [])
                    ],
                }
                for m in milestones
            ],
            "inspections": [
                {
                    "visitedAt": _t(i.visited_at),
                    "inspector": await name_of(i.inspector_id),
                    "milestone": titles.get(i.milestone_id),
                    "notes": i.notes,
                    "findings": [await finding_doc(f) for f in findings if f.inspection_id == i.id],
                }
                for i in inspections
            ],
        },
        {
            "name": "给反馈单",
            "evaluation": evaluation_summary(scores),
            # Scores and comments without times, in a fixed order: no rating can be told apart by when it came.
            "ratings": sorted(
                ({"score": r.score, "comment": r.comment} for r in ratings),
                key=lambda r: (-r["score"], r["comment"] or ""),
            ),
            "followUps": [{"at": _t(f.at), "by": await name_of(f.by_id), "notes": f.notes} for f in follow_ups],
        },
        {
            "name": "签协议单",
            "adoptedProposal": adopted.title if adopted else None,
            "costPlan": await plan_doc(adopted) if adopted else None,
            "funding": funding,
        },
        {
            "name": "存入档案单",
            "sealedAt": _t(sealed_at),
            "auditTrail": {"length": head.seq if head else 0, "headHash": head.hash if head else None},
        },
    ]
    return {
        "format": "consult-dossier/1",
        "consultation": {
            "id": to_global_id("Consultation", cid),
            "title": consultation.title,
            "summary": consultation.summary,
            "location": consultation.location,
            "createdAt": _t(consultation.created_at),
            "convener": await name_of(consultation.convener_id),
            "parties": [{"name": p.name, "kind": p.kind} for p in parties.values()],
            "stageHistory": [{"from": h.from_stage, "to": h.to_stage, "at": _t(h.at), "note": h.note} for h in history],
        },
        "forms": forms,
        "votes": polls_doc,
    }


def document_hash(document: dict) -> tuple[str, str]:
    """(canonical text, its SHA-256): json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))."""
    text = canonical_json(document)
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


async def seal(ctx: ServiceContext, consultation: Consultation, conn: Any, note: str | None) -> Dossier:
    """Move to ARCHIVED, build the document, hash it, and chain the hash into the audit trail."""
    now = ctx.now()
    await StageChange.create(
        consultation_id=consultation.id,
        from_stage=consultation.stage,
        to_stage="ARCHIVED",
        at=now,
        by_id=ctx.actor.account_id,
        note=note,
        using_db=conn,
    )
    consultation.stage = "ARCHIVED"
    await Consultation.filter(id=consultation.id).using_db(conn).update(stage="ARCHIVED")
    head = await AuditEvent.filter(consultation_id=consultation.id).using_db(conn).order_by("-seq").first()
    text, digest = document_hash(await build_document(consultation, conn, sealed_at=now, head=head))
    dossier = await Dossier.create(
        consultation_id=consultation.id, sealed_at=now, sha256=digest, document=text, using_db=conn
    )
    await audit(
        ctx,
        consultation,
        conn,
        action="consultation.archive",
        kind="ARCHIVED",
        subject=to_global_id("Consultation", consultation.id),
        summary=f"归档：存入档案单，SHA-256 {digest[:16]}…",
        payload={"sha256": digest, "sealedAt": now.isoformat(), "note": note, "from": "EVALUATING"},
    )
    return dossier


async def archive_consultation(ctx: ServiceContext, *, consultation_id: str, note: str | None = None) -> Consultation:
    """Seal an EVALUATING consultation into its dossier; it is read-only from then on.

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN (organizers and the convener), WRONG_STAGE.
    """
    gate(ctx.actor, "consultation.archive")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    clean_note = clean_text(note, "note", max_len=2000, required=False)
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        permit(
            ctx.actor,
            "consultation.archive",
            relations=relations_of(ctx.actor, consultation),
            stage=consultation.stage,
            stage_field="consultationId",
        )
        await seal(ctx, consultation, conn, clean_note)
        return consultation
