"""存入档案单: sealing a finished consultation into one canonical, hashed document."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

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
    Photo,
    Poll,
    PollOption,
    Proposal,
    Rating,
    Responsibility,
    StageChange,
)
from consult.money import format_fen
from consult.policies import PARTY_REP, RESIDENT, gate, permit, relations_of
from consult.services.base import (
    ServiceContext,
    audit,
    clean_text,
    decode_id,
    ensure_visible,
    lock_consultation,
    transaction,
)
from consult.services.photos import DEMAND, FINDING, FIX, PROGRESS, SITE, trail_entry
from consult.services.voting import TallyData, compute_tally, poll_rule, ranked_marks, rule_document

FORMS = ("提诉求单", "列责任单", "出方案单", "定时限单", "给反馈单", "签协议单", "存入档案单")

Row = TypeVar("Row")


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


@dataclass
class DossierRecord:
    """Every row the dossier is made of, read once, in a fixed number of queries.

    Lists are in the order the document shows them; the dicts group child rows under their
    parent's id, each group in that order too.
    """

    consultation: Consultation
    parties: dict[int, Party]  # those taking part, in their order
    accounts: dict[int, Account]  # everyone the rows below name
    history: list[StageChange]
    demands: list[Demand]
    responsibilities: list[Responsibility]
    proposals: list[Proposal]
    plans: dict[int, CostPlan]  # by proposal
    shares: dict[int, list[CostShare]]  # by plan
    contributions: dict[int, list[Contribution]]  # by share
    polls: list[Poll]
    options: dict[int, list[PollOption]]  # by poll
    tallies: dict[int, TallyData]  # by poll
    milestones: list[Milestone]
    updates: dict[int, list[MilestoneUpdate]]  # by milestone
    inspections: list[Inspection]
    findings: dict[int, list[Finding]]  # by inspection
    ratings: list[Rating]
    follow_ups: list[FollowUp]
    photos: dict[tuple[str, int], list[Photo]]  # by (subject kind, subject id)

    def photos_of(self, kind: str, pk: int) -> dict:
        """A thing's photos, by hash, for the item's entry; nothing when it has none."""
        found = self.photos.get((kind, pk), [])
        return {"photos": trail_entry(found)} if found else {}

    def name_of(self, account_id: int | None) -> str | None:
        account = self.accounts.get(account_id) if account_id is not None else None
        # A resident's name is their household: kept out of the public record.
        if account is None or not (account.role_set - {RESIDENT}):
            return None
        return account.display_name

    def party_name(self, pk: int | None) -> str | None:
        return self.parties[pk].name if pk in self.parties else None

    def adopted(self) -> Proposal | None:
        return next((p for p in self.proposals if p.status == "ADOPTED"), None)


# ---------------------------------------------------------------- reading the record


def _grouped(rows: Iterable[Row], key: Callable[[Row], int]) -> dict[int, list[Row]]:
    """Rows under their parent's id, each group in the order of `rows`."""
    groups: dict[int, list[Row]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups


async def _parties_of(cid: int, conn: Any) -> dict[int, Party]:
    rows = ConsultationParty.filter(consultation_id=cid).using_db(conn).order_by("position").values_list("party_id")
    links = [pk for (pk,) in await rows]
    by_id = {p.id: p for p in await Party.filter(id__in=links).using_db(conn)}
    return {pk: by_id[pk] for pk in links if pk in by_id}


async def _money_of(
    proposals: list[Proposal], conn: Any
) -> tuple[dict[int, CostPlan], dict[int, list[CostShare]], dict[int, list[Contribution]]]:
    """Cost plans by proposal, their shares by plan, and the money received by share."""
    plans = {p.proposal_id: p for p in await CostPlan.filter(proposal_id__in=[p.id for p in proposals]).using_db(conn)}
    share_rows = await CostShare.filter(plan_id__in=[p.id for p in plans.values()]).using_db(conn).order_by("position")
    contribution_rows = (
        await Contribution.filter(share_id__in=[s.id for s in share_rows]).using_db(conn).order_by("received_at", "id")
    )
    return plans, _grouped(share_rows, lambda s: s.plan_id), _grouped(contribution_rows, lambda c: c.share_id)


async def _polls_of(
    cid: int, conn: Any, secret_key: str
) -> tuple[list[Poll], dict[int, list[PollOption]], dict[int, TallyData]]:
    """The polls with their options and their count, as each poll stands (not as the clock would move it)."""
    polls = await Poll.filter(consultation_id=cid).using_db(conn).order_by("id")
    option_rows = await PollOption.filter(poll_id__in=[p.id for p in polls]).using_db(conn).order_by("position")
    options = _grouped(option_rows, lambda o: o.poll_id)
    # Instant runoff needs every ranked ballot: one query for all the RANKED polls.
    ranked = [p.id for p in polls if p.kind == "RANKED"]
    marks = await ranked_marks(secret_key, ranked, conn) if ranked else {}
    tallies = {
        poll.id: await compute_tally(
            poll,
            options.get(poll.id, []),
            poll.status,
            Count(poll.electorate_size, poll.electorate_weight_e4),
            secret_key,
            ranked_ballots=marks.get(poll.id, []),
        )
        for poll in polls
    }
    return polls, options, tallies


async def _supervision_of(
    cid: int, conn: Any
) -> tuple[list[Milestone], dict[int, list[MilestoneUpdate]], list[Inspection], dict[int, list[Finding]]]:
    """Milestones with their progress reports, inspections with their findings."""
    milestones = await Milestone.filter(consultation_id=cid).using_db(conn).order_by("planned_end", "id")
    update_rows = (
        await MilestoneUpdate.filter(milestone_id__in=[m.id for m in milestones]).using_db(conn).order_by("at", "id")
    )
    inspections = await Inspection.filter(consultation_id=cid).using_db(conn).order_by("visited_at", "id")
    finding_rows = await Finding.filter(consultation_id=cid).using_db(conn).order_by("id")
    return (
        milestones,
        _grouped(update_rows, lambda u: u.milestone_id),
        inspections,
        _grouped(finding_rows, lambda f: f.inspection_id),
    )


# The columns through which the record names a person: only their accounts are read, and
# name_of shows only the staff among them.
_PERSON_COLUMNS = ("convener_id", "author_id", "confirmed_by_id", "by_id", "inspector_id", "assignee_id")


async def _accounts_named(conn: Any, rows: Iterable[object]) -> dict[int, Account]:
    wanted = {getattr(row, column, None) for row in rows for column in _PERSON_COLUMNS} - {None}
    return {a.id: a for a in await Account.filter(id__in=list(wanted)).using_db(conn)} if wanted else {}


async def load_record(consultation: Consultation, conn: Any, secret_key: str) -> DossierRecord:
    """The rows of one consultation that its dossier shows, in 19 queries or fewer however many there are."""
    cid = consultation.id
    proposals = await Proposal.filter(consultation_id=cid).using_db(conn).order_by("id")
    plans, shares, contributions = await _money_of(proposals, conn)
    polls, options, tallies = await _polls_of(cid, conn, secret_key)
    milestones, updates, inspections, findings = await _supervision_of(cid, conn)
    follow_ups = await FollowUp.filter(consultation_id=cid).using_db(conn).order_by("at", "id")
    naming_rows = [
        consultation,
        *proposals,
        *(s for group in shares.values() for s in group),
        *(u for group in updates.values() for u in group),
        *inspections,
        *(f for group in findings.values() for f in group),
        *follow_ups,
    ]
    return DossierRecord(
        consultation=consultation,
        parties=await _parties_of(cid, conn),
        accounts=await _accounts_named(conn, naming_rows),
        history=await StageChange.filter(consultation_id=cid).using_db(conn).order_by("id"),
        demands=await Demand.filter(consultation_id=cid).using_db(conn).order_by("id"),
        responsibilities=await Responsibility.filter(consultation_id=cid).using_db(conn).order_by("id"),
        proposals=proposals,
        plans=plans,
        shares=shares,
        contributions=contributions,
        polls=polls,
        options=options,
        tallies=tallies,
        milestones=milestones,
        updates=updates,
        inspections=inspections,
        findings=findings,
        ratings=await Rating.filter(consultation_id=cid).using_db(conn).order_by("at", "id"),
        follow_ups=follow_ups,
        photos=_grouped_photos(
            await Photo.filter(consultation_id=cid).using_db(conn).order_by("attached_at", "position", "id")
        ),
    )


def _grouped_photos(rows: list[Photo]) -> dict[tuple[str, int], list[Photo]]:
    groups: dict[tuple[str, int], list[Photo]] = {}
    for row in rows:
        groups.setdefault((str(row.subject_kind), int(row.subject_id or 0)), []).append(row)
    return groups


# ---------------------------------------------------------------- writing the forms


def _header(record: DossierRecord) -> dict:
    c = record.consultation
    return {
        "id": to_global_id("Consultation", c.id),
        "title": c.title,
        "summary": c.summary,
        "location": c.location,
        "createdAt": _t(c.created_at),
        **record.photos_of(SITE, c.id),
        "convener": record.name_of(c.convener_id),
        "parties": [{"name": p.name, "kind": p.kind} for p in record.parties.values()],
        "stageHistory": [
            {"from": h.from_stage, "to": h.to_stage, "at": _t(h.at), "note": h.note} for h in record.history
        ],
    }


def _demands_form(record: DossierRecord) -> dict:
    """提诉求单: what residents asked for, without who asked."""
    return {
        "name": "提诉求单",
        "demands": [
            {
                "title": d.title,
                "body": d.body,
                "channel": d.channel,
                "status": d.status,
                "supportCount": d.support_count,
                "createdAt": _t(d.created_at),
                **record.photos_of(DEMAND, d.id),
            }
            for d in record.demands
        ],
    }


def _responsibilities_form(record: DossierRecord) -> dict:
    """列责任单: which party does what, by when."""
    return {
        "name": "列责任单",
        "responsibilities": [
            {"party": record.party_name(r.party_id), "duty": r.duty, "dueAt": _t(r.due_at)}
            for r in record.responsibilities
        ],
    }


def _on_behalf(record: DossierRecord, share: CostShare) -> bool | None:
    """Whether anyone but the party's own rep, with a password of their own, confirmed it (as
    CostShare.confirmedOnBehalf says); null while unconfirmed."""
    if share.confirmed_at is None:
        return None
    if share.confirmed_on_behalf is not None:
        return share.confirmed_on_behalf
    signer = record.accounts.get(share.confirmed_by_id) if share.confirmed_by_id is not None else None
    return not (signer is not None and PARTY_REP in signer.role_set and signer.party_id == share.party_id)


def _share_doc(record: DossierRecord, share: CostShare) -> dict:
    return {
        "party": record.party_name(share.party_id),
        "amount": format_fen(share.amount_fen),
        "percent": share.percent,
        "weight": share.weight,
        "confirmedAt": _t(share.confirmed_at),
        "confirmedBy": record.name_of(share.confirmed_by_id),
        "confirmedOnBehalf": _on_behalf(record, share),
        "paid": format_fen(share.paid_fen),
        "outstanding": format_fen(share.amount_fen - share.paid_fen),
        "contributions": [
            {"amount": format_fen(c.amount_fen), "receivedAt": _t(c.received_at), "note": c.note}
            for c in record.contributions.get(share.id, [])
        ],
    }


def _plan_doc(record: DossierRecord, proposal: Proposal) -> dict | None:
    plan = record.plans.get(proposal.id)
    if plan is None:
        return None
    shares = record.shares.get(plan.id, [])
    return {
        "total": format_fen(plan.total_fen),
        "method": plan.method,
        "fullyConfirmed": bool(shares) and all(s.confirmed_at for s in shares),
        "shares": [_share_doc(record, s) for s in shares],
    }


def _proposals_form(record: DossierRecord) -> dict:
    """出方案单: every proposal with its budget and, when it has one, its cost plan."""
    return {
        "name": "出方案单",
        "proposals": [
            {
                "title": p.title,
                "body": p.body,
                "status": p.status,
                "budget": format_fen(p.budget_fen),
                "author": record.name_of(p.author_id),
                "costPlan": _plan_doc(record, p),
            }
            for p in record.proposals
        ],
    }


def _milestone_doc(record: DossierRecord, m: Milestone, sealed_at: datetime) -> dict:
    return {
        "title": m.title,
        "kind": m.kind,
        "responsibleParty": record.party_name(m.responsible_party_id),
        "plannedStart": _t(m.planned_start),
        "plannedEnd": _t(m.planned_end),
        "actualStart": _t(m.actual_start),
        "actualEnd": _t(m.actual_end),
        "progress": m.progress,
        "status": milestone_status(
            progress=m.progress, planned_end=m.planned_end, actual_start=m.actual_start, now=sealed_at
        ),
        "updates": [
            {
                "at": _t(u.at),
                "by": record.name_of(u.by_id),
                "progress": u.progress,
                "note": u.note,
                **record.photos_of(PROGRESS, u.id),
            }
            for u in record.updates.get(m.id, [])
        ],
    }


def _finding_doc(record: DossierRecord, f: Finding, sealed_at: datetime) -> dict:
    return {
        "category": f.category,
        "description": f.description,
        "assignee": record.name_of(f.assignee_id),
        "responsibleParty": record.party_name(f.responsible_party_id),
        "dueAt": _t(f.due_at),
        "expectedOutcome": f.expected_outcome,
        "status": f.status,
        "resolution": f.resolution,
        "overdue": finding_overdue(status=f.status, due_at=f.due_at, now=sealed_at),
        **record.photos_of(FINDING, f.id),
        **{("fix" + k[0].upper() + k[1:]): v for k, v in record.photos_of(FIX, f.id).items()},
    }


def _inspection_doc(record: DossierRecord, i: Inspection, sealed_at: datetime) -> dict:
    titles = {m.id: m.title for m in record.milestones}
    return {
        "visitedAt": _t(i.visited_at),
        "inspector": record.name_of(i.inspector_id),
        "milestone": titles.get(i.milestone_id),
        "notes": i.notes,
        "findings": [_finding_doc(record, f, sealed_at) for f in record.findings.get(i.id, [])],
    }


def _milestones_form(record: DossierRecord, sealed_at: datetime) -> dict:
    """定时限单: the works step by step, and the CPPCC inspections with their findings, as of the seal."""
    return {
        "name": "定时限单",
        "milestones": [_milestone_doc(record, m, sealed_at) for m in record.milestones],
        "inspections": [_inspection_doc(record, i, sealed_at) for i in record.inspections],
    }


def _feedback_form(record: DossierRecord) -> dict:
    """给反馈单: the residents' ratings and the follow-up visits."""
    return {
        "name": "给反馈单",
        "evaluation": evaluation_summary([r.score for r in record.ratings]),
        # Scores and comments without times, in a fixed order: no rating can be told apart by when it came.
        "ratings": sorted(
            ({"score": r.score, "comment": r.comment} for r in record.ratings),
            key=lambda r: (-r["score"], r["comment"] or ""),
        ),
        "followUps": [{"at": _t(f.at), "by": record.name_of(f.by_id), "notes": f.notes} for f in record.follow_ups],
    }


def _funding(record: DossierRecord, adopted: Proposal | None) -> dict | None:
    plan = record.plans.get(adopted.id) if adopted is not None else None
    if plan is None:
        return None
    shares = record.shares.get(plan.id, [])
    paid = sum(s.paid_fen for s in shares)
    return {
        "total": format_fen(plan.total_fen),
        "pledged": format_fen(sum(s.amount_fen for s in shares if s.confirmed_at)),
        "paid": format_fen(paid),
        "outstanding": format_fen(plan.total_fen - paid),
        "ratio": ratio_4(paid, plan.total_fen),
    }


def _agreement_form(record: DossierRecord) -> dict:
    """签协议单: the adopted proposal, the shares its parties signed, and the money received."""
    adopted = record.adopted()
    return {
        "name": "签协议单",
        "adoptedProposal": adopted.title if adopted else None,
        "costPlan": _plan_doc(record, adopted) if adopted else None,
        "funding": _funding(record, adopted),
    }


def _archive_form(sealed_at: datetime, head: AuditEvent | None) -> dict:
    """存入档案单: when it was sealed, and the head of the audit trail it seals."""
    return {
        "name": "存入档案单",
        "sealedAt": _t(sealed_at),
        "auditTrail": {"length": head.seq if head else 0, "headHash": head.hash if head else None},
    }


def _tally_doc(record: DossierRecord, poll: Poll) -> dict:
    tally = record.tallies[poll.id]
    options = record.options.get(poll.id, [])
    titles = {p.id: p.title for p in record.proposals}

    def area(weight_e4: int) -> str:
        # Published only where the rule counts area (as in the API's tally).
        return format_weight(weight_e4) if poll.by_area else "0"

    return {
        "version": tally.version,
        "ballotsCast": tally.ballots_cast,
        "electorateSize": tally.electorate.heads,
        "turnout": ratio_4(tally.ballots_cast, tally.electorate.heads),
        "options": [
            {
                "label": o.label,
                "votes": count.heads,
                "weight": area(count.weight),
                "proposal": titles.get(o.proposal_id),
            }
            for o, count in zip(options, tally.counts, strict=True)
        ],
        "quorumMet": tally.quorum_met,
        "outcome": tally.outcome,
        "winner": options[tally.winner].label if tally.winner is not None else None,
        "rounds": [
            [{"label": options[i].label, "votes": h, "weight": area(w)} for i, (h, w) in enumerate(r)]
            for r in tally.rounds
        ]
        if tally.rounds is not None
        else None,
    }


def _poll_doc(record: DossierRecord, poll: Poll) -> dict:
    return {
        "question": poll.question,
        "kind": poll.kind,
        "status": poll.status,
        "secret": poll.secret,
        "rule": rule_document(poll_rule(poll)),
        "openedAt": _t(poll.opened_at),
        "closedAt": _t(poll.closed_at),
        "tally": _tally_doc(record, poll),
    }


def compose_document(record: DossierRecord, *, sealed_at: datetime, head: AuditEvent | None) -> dict:
    """The dossier of a record: the header, the seven forms in their order, and the votes."""
    return {
        "format": "consult-dossier/1",
        "consultation": _header(record),
        "forms": [
            _demands_form(record),
            _responsibilities_form(record),
            _proposals_form(record),
            _milestones_form(record, sealed_at),
            _feedback_form(record),
            _agreement_form(record),
            _archive_form(sealed_at, head),
        ],
        "votes": [_poll_doc(record, poll) for poll in record.polls],
        # Every photo's hash, so evidence cannot be swapped after the seal: the file served at
        # /photos/{id} must hash to `sha256`, and /photos/{id}/phone to `phoneSha256`.
        "photos": [
            {"id": to_global_id("Photo", p.id), "subject": p.subject_kind, **trail_entry([p])[0]}
            for group in record.photos.values()
            for p in group
        ],
    }


async def build_document(
    consultation: Consultation, conn: Any, *, sealed_at: datetime, head: AuditEvent | None, secret_key: str
) -> dict:
    """The whole record in one JSON value: strings, integers, booleans, null, lists and objects.

    Only what the public may read goes in: no household names, no contacts, no submitters, and
    no ballot's voter. The canonical text of this value is what the dossier's SHA-256 seals, so
    the same rows must always give the same bytes.
    """
    return compose_document(await load_record(consultation, conn, secret_key), sealed_at=sealed_at, head=head)


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
    text, digest = document_hash(
        await build_document(consultation, conn, sealed_at=now, head=head, secret_key=ctx.settings.secret_key)
    )
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
            community=consultation.community_id,
            stage_field="consultationId",
        )
        await seal(ctx, consultation, conn, clean_note)
        return consultation
