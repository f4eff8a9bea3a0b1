"""Demands (提诉求单) and responsibilities (列责任单)."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import F

from consult.clock import parse_datetime
from consult.domain.labels import label_of
from consult.domain.vocabulary import DemandStatus, EventKind
from consult.errors import DomainError, Invalid, NotFound
from consult.ids import to_global_id
from consult.models import ConsultationParty, Demand, DemandSupport, Party, Responsibility
from consult.policies import default_channel, demand_channels, gate, permit, relations_of
from consult.services.base import (
    ServiceContext,
    audit,
    clean_text,
    decode_id,
    ensure_visible,
    lock_consultation,
    lock_through,
    slip_consultation,
    transaction,
)
from consult.services.photos import DEMAND, attach_photos, photo_ids_of, trail_entry

DEMAND_STATUSES = tuple(DemandStatus)


async def submit_demand(
    ctx: ServiceContext,
    *,
    consultation_id: str,
    title: str,
    body: str,
    channel: str | None = None,
    photo_ids: list[str] | None = None,
) -> Demand:
    """Raise a demand while the consultation is COLLECTING.

    Residents submit as RESIDENT, CPPCC members as CPPCC_MEMBER; organizers enter what came
    by HOTLINE, GRID_WORKER or COURIER. Photos the caller uploaded go with it (随手拍).
    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN (role, or a channel the role may not use),
    WRONG_STAGE, INVALID (title, body, photoIds).
    """
    gate(ctx.actor, "demand.submit")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    chosen = channel or default_channel(ctx.actor)
    if chosen not in demand_channels(ctx.actor):
        raise DomainError("FORBIDDEN", "channel_not_allowed", "channel")
    clean_title = clean_text(title, "title", max_len=200)
    clean_body = clean_text(body, "body", max_len=10_000)
    photo_pks = photo_ids_of(photo_ids, "photoIds")
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        slip = await slip_consultation(ctx.actor, conn)
        permit(
            ctx.actor,
            "demand.submit",
            relations=relations_of(ctx.actor, consultation, slip_consultation_id=slip),
            stage=consultation.stage,
            community=consultation.community_id,
            field="consultationId",
        )
        demand = await Demand.create(
            consultation_id=cpk,
            title=clean_title,
            body=clean_body,
            channel=chosen,
            status=DemandStatus.OPEN,
            submitted_by_id=ctx.actor.account_id,
            created_at=ctx.now(),
            using_db=conn,
        )
        photos = await attach_photos(ctx, conn, consultation, photo_pks, kind=DEMAND, subject_id=demand.id)
        await _trail_demand(ctx, consultation, conn, demand, photos)
        return demand


async def _trail_demand(ctx: ServiceContext, consultation: Any, conn: Any, demand: Demand, photos: list) -> None:
    await audit(
        ctx,
        consultation,
        conn,
        action="demand.submit",
        kind=EventKind.DEMAND_SUBMITTED,
        subject=to_global_id("Demand", demand.id),
        summary=f"提交诉求：{demand.title}" + (f"（附照片 {len(photos)} 张）" if photos else ""),
        payload={
            "demand": to_global_id("Demand", demand.id),
            "title": demand.title,
            "body": demand.body,
            "channel": demand.channel,
            **({"photos": trail_entry(photos)} if photos else {}),
        },
    )


async def support_demand(ctx: ServiceContext, *, demand_id: str) -> Demand:
    """Add the resident's support. Supporting again changes nothing and writes no event.

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN (residents only), WRONG_STAGE.
    """
    gate(ctx.actor, "demand.support")
    dpk = decode_id(demand_id, "Demand", "demandId")
    async with transaction() as conn:
        consultation, demand = await lock_through(Demand, dpk, conn, "demandId")
        ensure_visible(ctx.actor, consultation, "demandId")
        slip = await slip_consultation(ctx.actor, conn)
        permit(
            ctx.actor,
            "demand.support",
            relations=relations_of(ctx.actor, consultation, slip_consultation_id=slip),
            stage=consultation.stage,
            community=consultation.community_id,
            field="demandId",
        )
        if await DemandSupport.filter(demand_id=dpk, account_id=ctx.actor.account_id).using_db(conn).exists():
            return demand
        await DemandSupport.create(demand_id=dpk, account_id=ctx.actor.account_id, at=ctx.now(), using_db=conn)
        await Demand.filter(id=dpk).using_db(conn).update(support_count=F("support_count") + 1)
        demand.support_count += 1
        await audit(
            ctx,
            consultation,
            conn,
            action="demand.support",
            kind=EventKind.DEMAND_SUPPORTED,
            subject=to_global_id("Demand", dpk),
            summary=f"支持诉求：{demand.title}（共 {demand.support_count} 人支持）",
            payload={"demand": to_global_id("Demand", dpk), "supportCount": demand.support_count},
        )
        return demand


async def set_demand_status(
    ctx: ServiceContext, *, demand_id: str, status: str, merged_into_id: str | None = None
) -> Demand:
    """Accept, reject or merge a demand (COLLECTING or DELIBERATING).

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, INVALID (mergedIntoId
    missing, unexpected, itself, merged, or from another consultation).
    """
    gate(ctx.actor, "demand.set_status")
    dpk = decode_id(demand_id, "Demand", "demandId")
    if status not in DEMAND_STATUSES:
        raise Invalid("required", "status")
    target_pk = None
    if status == DemandStatus.MERGED:
        if not merged_into_id:
            raise Invalid("merge_needs_target", "mergedIntoId")
        target_pk = decode_id(merged_into_id, "Demand", "mergedIntoId")
    elif merged_into_id:
        raise Invalid("merge_target_unexpected", "mergedIntoId")
    async with transaction() as conn:
        consultation, demand = await lock_through(Demand, dpk, conn, "demandId")
        ensure_visible(ctx.actor, consultation, "demandId")
        permit(ctx.actor, "demand.set_status", stage=consultation.stage, community=consultation.community_id)
        if target_pk is not None:
            target = await Demand.get_or_none(id=target_pk, using_db=conn)
            if target is None:
                raise NotFound("mergedIntoId")
            if (
                target.id == demand.id
                or target.consultation_id != demand.consultation_id
                or target.status == DemandStatus.MERGED
            ):
                raise Invalid("merge_target_invalid", "mergedIntoId")
        old = demand.status
        demand.status = status
        demand.merged_into_id = target_pk
        await demand.save(using_db=conn, update_fields=["status", "merged_into_id"])
        await audit(
            ctx,
            consultation,
            conn,
            action="demand.set_status",
            kind=EventKind.DEMAND_STATUS_CHANGED,
            subject=to_global_id("Demand", dpk),
            summary=f"诉求状态：{demand.title}：{label_of(DemandStatus, old)} → {label_of(DemandStatus, status)}",
            payload={
                "demand": to_global_id("Demand", dpk),
                "from": old,
                "to": status,
                "mergedInto": to_global_id("Demand", target_pk) if target_pk else None,
            },
        )
        return demand


async def assign_responsibility(
    ctx: ServiceContext, *, consultation_id: str, party_id: str, duty: str, due_at: object = None
) -> Responsibility:
    """列责任单: record which party answers for what (DELIBERATING or VOTING).

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, INVALID (duty, dueAt, a
    party not taking part in the consultation).
    """
    gate(ctx.actor, "responsibility.assign")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    ppk = decode_id(party_id, "Party", "partyId")
    clean_duty = clean_text(duty, "duty", max_len=2000)
    due = parse_datetime(due_at, "dueAt") if due_at is not None else None
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        permit(ctx.actor, "responsibility.assign", stage=consultation.stage, community=consultation.community_id)
        party = await Party.get_or_none(id=ppk, using_db=conn)
        if party is None:
            raise NotFound("partyId")
        if not await ConsultationParty.filter(consultation_id=cpk, party_id=ppk).using_db(conn).exists():
            raise Invalid("party_not_in_consultation", "partyId")
        return await write_responsibility(ctx, consultation, conn, (party.id, party.name), clean_duty, due)


async def write_responsibility(
    ctx: ServiceContext, consultation: Any, conn: Any, party: tuple[int, str], duty: str, due: Any
) -> Responsibility:
    """One duty of a party taking part (its id and name), checked by the caller: kept and trailed."""
    party_id, party_name = party
    item = await Responsibility.create(
        consultation_id=consultation.id, party_id=party_id, duty=duty, due_at=due, created_at=ctx.now(), using_db=conn
    )
    await audit(
        ctx,
        consultation,
        conn,
        action="responsibility.assign",
        kind=EventKind.RESPONSIBILITY_ASSIGNED,
        subject=to_global_id("Responsibility", item.id),
        summary=f"列明责任：{party_name}：{duty[:60]}",
        payload={
            "responsibility": to_global_id("Responsibility", item.id),
            "party": to_global_id("Party", party_id),
            "duty": duty,
            "dueAt": due.isoformat() if due else None,
        },
    )
    return item
