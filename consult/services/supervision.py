"""Supervision (定时限单): milestones, CPPCC inspections and the five-fixed loop (五定闭环)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from consult.clock import parse_datetime
from consult.domain.labels import label_of
from consult.domain.supervision import FINDING_MOVES
from consult.domain.vocabulary import EventKind, FindingCategory, FindingStatus, MilestoneKind
from consult.errors import Invalid, NotFound
from consult.ids import to_global_id
from consult.models import (
    Account,
    Consultation,
    ConsultationParty,
    Finding,
    Inspection,
    Milestone,
    MilestoneUpdate,
    Party,
)
from consult.money import format_fen
from consult.policies import authenticate, gate, permit, relations_of
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
from consult.services.photos import FINDING, FIX, PROGRESS, attach_photos, photo_ids_of, trail_entry

MILESTONE_KINDS = tuple(MilestoneKind)
FINDING_CATEGORIES = tuple(FindingCategory)
# Findings recorded at one inspection visit.
MAX_FINDINGS = 100


async def _party_of_consultation(cpk: int, party_pk: int, conn: Any, field: str) -> Party:
    party = await Party.get_or_none(id=party_pk, using_db=conn)
    if party is None:
        raise NotFound(field)
    if not await ConsultationParty.filter(consultation_id=cpk, party_id=party_pk).using_db(conn).exists():
        raise Invalid("party_not_in_consultation", field)
    return party


async def add_milestone(
    ctx: ServiceContext,
    *,
    consultation_id: str,
    title: str,
    kind: str,
    responsible_party_id: str | None = None,
    planned_start: object = None,
    planned_end: object = None,
) -> Milestone:
    """Add a step of the works (organizers, AGREED or IMPLEMENTING).

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, INVALID (title, kind, dates,
    a party not taking part).
    """
    gate(ctx.actor, "milestone.add")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    clean_title = clean_text(title, "title", max_len=200)
    if kind not in MILESTONE_KINDS:
        raise Invalid("required", "kind")
    end = parse_datetime(planned_end, "plannedEnd")
    start = parse_datetime(planned_start, "plannedStart") if planned_start is not None else None
    if start is not None and start > end:
        raise Invalid("end_before_start", "plannedEnd")
    party_pk = decode_id(responsible_party_id, "Party", "responsiblePartyId") if responsible_party_id else None
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        permit(ctx.actor, "milestone.add", stage=consultation.stage, community=consultation.community_id)
        if party_pk is not None:
            await _party_of_consultation(cpk, party_pk, conn, "responsiblePartyId")
        milestone = await Milestone.create(
            consultation_id=cpk,
            title=clean_title,
            kind=kind,
            responsible_party_id=party_pk,
            planned_start=start,
            planned_end=end,
            created_at=ctx.now(),
            using_db=conn,
        )
        await audit(
            ctx,
            consultation,
            conn,
            action="milestone.add",
            kind=EventKind.MILESTONE_UPDATED,
            subject=to_global_id("Milestone", milestone.id),
            summary=f"定时限：{clean_title}，计划 {end.date().isoformat()} 前完成",
            payload={
                "milestone": to_global_id("Milestone", milestone.id),
                "title": clean_title,
                "kind": kind,
                "responsibleParty": to_global_id("Party", party_pk) if party_pk else None,
                "plannedStart": start.isoformat() if start else None,
                "plannedEnd": end.isoformat(),
            },
        )
        return milestone


def _clean_report(
    progress: int | None, actual_start: object, actual_end: object
) -> tuple[datetime | None, datetime | None]:
    """A progress report's checks before the database: progress within 0..100, and the actual dates."""
    if progress is not None and not 0 <= progress <= 100:
        raise Invalid("bad_progress", "progress")
    start = parse_datetime(actual_start, "actualStart") if actual_start is not None else None
    end = parse_datetime(actual_end, "actualEnd") if actual_end is not None else None
    return start, end


def _apply_report(
    milestone: Milestone, progress: int | None, start: datetime | None, end: datetime | None, now: datetime
) -> None:
    """The first progress starts the step and reaching 100 ends it, unless the report gives those dates."""
    if progress is not None:
        milestone.progress = progress
    if start is not None:
        milestone.actual_start = start
    elif milestone.actual_start is None and milestone.progress > 0:
        milestone.actual_start = now
    if end is not None:
        milestone.actual_end = end
    elif milestone.progress == 100 and milestone.actual_end is None:
        milestone.actual_end = now
    elif milestone.progress < 100:
        milestone.actual_end = end
    if milestone.actual_start and milestone.actual_end and milestone.actual_end < milestone.actual_start:
        raise Invalid("end_before_start", "actualEnd")


async def update_milestone(
    ctx: ServiceContext,
    *,
    milestone_id: str,
    progress: int | None = None,
    actual_start: object = None,
    actual_end: object = None,
    note: str | None = None,
    photo_ids: list[str] | None = None,
) -> Milestone:
    """Report progress (organizers, or the responsible party's rep), with photos. Every update is kept.

    Reaching 100 sets actualEnd to that moment unless given; the first progress sets
    actualStart. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, INVALID
    (progress outside 0..100, dates, note, photoIds).
    """
    gate(ctx.actor, "milestone.update")
    mpk = decode_id(milestone_id, "Milestone", "milestoneId")
    start, end = _clean_report(progress, actual_start, actual_end)
    clean_note = clean_text(note, "note", max_len=2000, required=False)
    photo_pks = photo_ids_of(photo_ids, "photoIds")
    async with transaction() as conn:
        consultation, milestone = await lock_through(Milestone, mpk, conn, "milestoneId")
        ensure_visible(ctx.actor, consultation, "milestoneId")
        permit(
            ctx.actor,
            "milestone.update",
            relations=relations_of(ctx.actor, milestone),
            stage=consultation.stage,
            community=consultation.community_id,
        )
        await _report(
            ctx,
            consultation,
            milestone,
            conn,
            progress=progress,
            start=start,
            end=end,
            note=clean_note,
            photos=photo_pks,
        )
        return milestone


async def follow_funding(
    ctx: ServiceContext, consultation: Consultation, conn: Any, *, paid_fen: int, total_fen: int
) -> None:
    """The funding milestones (资金筹集) follow the money: their progress becomes the part of the
    adopted plan paid in, whenever a payment is recorded. They never move back, and a report
    someone made above that figure stands. Each move is kept and trailed as any report is."""
    progress = min(100, paid_fen * 100 // total_fen) if total_fen > 0 else 0
    milestones = (
        await Milestone.filter(consultation_id=consultation.id, kind=MilestoneKind.FUNDING)
        .using_db(conn)
        .select_for_update()
    )
    for milestone in milestones:
        if milestone.progress >= progress:
            continue
        note = f"资金到位 {format_fen(paid_fen)} / {format_fen(total_fen)} 元（按到账自动更新）"
        await _report(ctx, consultation, milestone, conn, progress=progress, start=None, end=None, note=note)


async def _report(
    ctx: ServiceContext,
    consultation: Consultation,
    milestone: Milestone,
    conn: Any,
    *,
    progress: int | None,
    start: datetime | None,
    end: datetime | None,
    note: str | None,
    photos: list[int] | None = None,
) -> None:
    """A progress report on a locked milestone: applied, kept (Milestone.updates), with its
    photos, and trailed."""
    now = ctx.now()
    _apply_report(milestone, progress, start, end, now)
    await milestone.save(using_db=conn, update_fields=["progress", "actual_start", "actual_end"])
    update = await MilestoneUpdate.create(
        milestone_id=milestone.id,
        at=now,
        by_id=ctx.actor.account_id,
        progress=milestone.progress,
        note=note,
        using_db=conn,
    )
    attached = await attach_photos(ctx, conn, consultation, photos or [], kind=PROGRESS, subject_id=update.id)
    await audit(
        ctx,
        consultation,
        conn,
        action="milestone.update",
        kind=EventKind.MILESTONE_UPDATED,
        subject=to_global_id("Milestone", milestone.id),
        summary=f"进度更新：{milestone.title} {milestone.progress}%" + (f"（{note[:60]}）" if note else ""),
        payload={
            "milestone": to_global_id("Milestone", milestone.id),
            "progress": milestone.progress,
            "actualStart": milestone.actual_start.isoformat() if milestone.actual_start else None,
            "actualEnd": milestone.actual_end.isoformat() if milestone.actual_end else None,
            "note": note,
            **({"photos": trail_entry(attached)} if attached else {}),
        },
    )


def _clean_findings(findings: list[dict] | None) -> list[dict[str, Any]]:
    """Each finding's five fixed things (五定), cleaned, in input order."""
    if len(findings or []) > MAX_FINDINGS:
        raise Invalid("too_many_items", "findings", max=MAX_FINDINGS)
    prepared = []
    for i, f in enumerate(findings or []):
        base = f"findings.{i}"
        if f.get("category") not in FINDING_CATEGORIES:
            raise Invalid("required", f"{base}.category")
        prepared.append(
            {
                "category": f["category"],
                "description": clean_text(f.get("description"), f"{base}.description", max_len=5000),
                "party_pk": decode_id(f.get("responsible_party_id"), "Party", f"{base}.responsiblePartyId"),
                "assignee_pk": decode_id(f["assignee_id"], "Account", f"{base}.assigneeId")
                if f.get("assignee_id")
                else None,
                "due_at": parse_datetime(f.get("due_at"), f"{base}.dueAt"),
                "expected_outcome": clean_text(f.get("expected_outcome"), f"{base}.expectedOutcome", max_len=5000),
                "photos": photo_ids_of(f.get("photo_ids"), f"{base}.photoIds"),
            }
        )
    return prepared


async def _responsible_names(cpk: int, prepared: list[dict[str, Any]], conn: Any) -> dict[int, str]:
    """Each finding's responsible party takes part in the consultation, and its assignee exists."""
    names = {}
    for i, f in enumerate(prepared):
        names[i] = (await _party_of_consultation(cpk, f["party_pk"], conn, f"findings.{i}.responsiblePartyId")).name
        if f["assignee_pk"] is not None and not await Account.filter(id=f["assignee_pk"]).using_db(conn).exists():
            raise NotFound(f"findings.{i}.assigneeId")
    return names


async def _open_finding(
    ctx: ServiceContext,
    consultation: Consultation,
    inspection: Inspection,
    f: dict[str, Any],
    party_name: str,
    now: datetime,
    conn: Any,
    field: str,
) -> None:
    """Open one finding of the inspection, with its photos and its own event in the trail."""
    finding = await Finding.create(
        consultation_id=consultation.id,
        inspection_id=inspection.id,
        category=f["category"],
        description=f["description"],
        assignee_id=f["assignee_pk"],
        responsible_party_id=f["party_pk"],
        due_at=f["due_at"],
        expected_outcome=f["expected_outcome"],
        status=FindingStatus.OPEN,
        created_at=now,
        updated_at=now,
        using_db=conn,
    )
    photos = await attach_photos(ctx, conn, consultation, f["photos"], kind=FINDING, subject_id=finding.id, field=field)
    # One event per finding, so that a subscriber sees each problem as it is opened.
    await audit(
        ctx,
        consultation,
        conn,
        action="finding.open",
        kind=EventKind.FINDING_CHANGED,
        subject=to_global_id("Finding", finding.id),
        summary=f"发现问题（{party_name} 负责，{f['due_at'].date().isoformat()} 前）：{f['description'][:60]}",
        payload={
            "finding": to_global_id("Finding", finding.id),
            "category": f["category"],
            "description": f["description"],
            "responsibleParty": to_global_id("Party", f["party_pk"]),
            "assignee": to_global_id("Account", f["assignee_pk"]) if f["assignee_pk"] else None,
            "dueAt": f["due_at"].isoformat(),
            "expectedOutcome": f["expected_outcome"],
            "status": FindingStatus.OPEN,
            **({"photos": trail_entry(photos)} if photos else {}),
        },
    )


async def record_inspection(
    ctx: ServiceContext,
    *,
    consultation_id: str,
    milestone_id: str | None = None,
    visited_at: object = None,
    notes: str = "",
    findings: list[dict] | None = None,
) -> Inspection:
    """A CPPCC member records a visit; each finding carries the five fixed things.

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN (CPPCC members only), WRONG_STAGE, INVALID
    (visitedAt, notes, findings.N.*: category, description, responsiblePartyId, assigneeId,
    dueAt, expectedOutcome).
    """
    gate(ctx.actor, "inspection.record")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    visited = parse_datetime(visited_at, "visitedAt")
    clean_notes = clean_text(notes, "notes", max_len=10_000)
    mpk = decode_id(milestone_id, "Milestone", "milestoneId") if milestone_id else None
    prepared = _clean_findings(findings)
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        permit(ctx.actor, "inspection.record", stage=consultation.stage, community=consultation.community_id)
        if mpk is not None and not await Milestone.filter(id=mpk, consultation_id=cpk).using_db(conn).exists():
            raise NotFound("milestoneId")
        names = await _responsible_names(cpk, prepared, conn)
        now = ctx.now()
        inspection = await Inspection.create(
            consultation_id=cpk,
            inspector_id=ctx.actor.account_id,
            milestone_id=mpk,
            visited_at=visited,
            notes=clean_notes,
            created_at=now,
            using_db=conn,
        )
        await audit(
            ctx,
            consultation,
            conn,
            action="inspection.record",
            kind=EventKind.INSPECTION_RECORDED,
            subject=to_global_id("Inspection", inspection.id),
            summary=f"政协委员视察：{clean_notes[:60]}" + (f"，发现问题 {len(prepared)} 项" if prepared else ""),
            payload={
                "inspection": to_global_id("Inspection", inspection.id),
                "milestone": to_global_id("Milestone", mpk) if mpk else None,
                "visitedAt": visited.isoformat(),
                "notes": clean_notes,
                "findings": len(prepared),
            },
        )
        for i, f in enumerate(prepared):
            await _open_finding(ctx, consultation, inspection, f, names[i], now, conn, f"findings.{i}.photoIds")
        return inspection


def _check_move(finding: Finding, status: str, resolution: str | None) -> None:
    """The loop's own rules: a move it has, a fix with its account, a reopening with its reason."""
    if status not in FINDING_MOVES.get(FindingStatus(finding.status), set()):
        raise Invalid("bad_finding_move", "status", from_status=finding.status, to_status=status)
    if status == FindingStatus.RESOLVED and not resolution:
        raise Invalid("resolution_required", "resolution")
    if finding.status == FindingStatus.VERIFIED and not resolution:
        # Opening a closed loop again needs its reason, for the party and the record.
        raise Invalid("reopen_reason_required", "resolution")


async def update_finding(
    ctx: ServiceContext,
    *,
    finding_id: str,
    status: str,
    resolution: str | None = None,
    photo_ids: list[str] | None = None,
) -> Finding:
    """Move a finding along the loop.

    RESOLVED (with a resolution) by the responsible party's rep or an organizer: the fix
    report, whose photos show the fix; VERIFIED or REOPENED by a CPPCC member, and a VERIFIED
    one REOPENED again, with the reason, whose photos join the finding's own.
    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE,
    INVALID (a move the loop does not have, a missing resolution).
    """
    authenticate(ctx.actor)
    fpk = decode_id(finding_id, "Finding", "findingId")
    clean_resolution = clean_text(resolution, "resolution", max_len=5000, required=False)
    photo_pks = photo_ids_of(photo_ids, "photoIds")
    async with transaction() as conn:
        consultation, finding = await lock_through(Finding, fpk, conn, "findingId")
        ensure_visible(ctx.actor, consultation, "findingId")
        if status not in (FindingStatus.RESOLVED, FindingStatus.VERIFIED, FindingStatus.REOPENED):
            raise Invalid("bad_finding_move", "status", from_status=finding.status, to_status=status)
        permit(
            ctx.actor,
            "finding.resolve" if status == "RESOLVED" else "finding.verify",
            relations=relations_of(ctx.actor, finding),
            stage=consultation.stage,
            community=consultation.community_id,
            field="status",
        )
        _check_move(finding, status, clean_resolution)
        old = finding.status
        finding.status, finding.updated_at = status, ctx.now()
        if clean_resolution:
            finding.resolution = clean_resolution
        await finding.save(using_db=conn, update_fields=["status", "updated_at", "resolution"])
        kind = FIX if status == FindingStatus.RESOLVED else FINDING
        photos = await attach_photos(ctx, conn, consultation, photo_pks, kind=kind, subject_id=fpk)
        await audit(
            ctx,
            consultation,
            conn,
            action="finding.update",
            kind=EventKind.FINDING_CHANGED,
            subject=to_global_id("Finding", fpk),
            summary=f"问题{label_of(FindingStatus, status)}：{finding.description[:60]}",
            payload={
                "finding": to_global_id("Finding", fpk),
                "from": old,
                "to": status,
                "resolution": clean_resolution,
                **({"photos": trail_entry(photos)} if photos else {}),
            },
        )
        return finding
