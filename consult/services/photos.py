"""Photos as evidence (随手拍): uploaded first, then attached with what they show.

An upload is judged, cleaned and shrunk (consult.images), its two files kept by content hash
(consult.blobs), and a Photo row made that only its uploader sees. The action the photo goes
with (submitDemand, recordInspection's findings, a fix report, a progress report) names its
ID in `photoIds`, and attaches it in the same transaction as the rest of the action: the
action's audit event lists each photo's sha256, so the trail, and the sealed dossier after it,
pin the evidence. A photo is attached once and never moves. Uploads nobody attached within a
day are swept, with the files no photo names any more.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from consult import blobs, images
from consult.domain.vocabulary import EventKind, Stage
from consult.errors import Conflict, Invalid, WrongStage
from consult.ids import to_global_id
from consult.models import Consultation, Photo
from consult.policies import Actor, gate, permit, relations_of
from consult.services.base import (
    ServiceContext,
    audit,
    can_see,
    decode_id,
    ensure_visible,
    lock_consultation,
    transaction,
)

MAX_PER_ITEM = 6
# Photos one account has uploaded and not yet attached: enough for a form or two.
MAX_PENDING = 30
PENDING_HOURS = 24
MAX_MB = images.MAX_INPUT_BYTES // (1024 * 1024)

# SITE: the consultation's own photos of the place (现场照片), subject_id the consultation.
SITE, DEMAND, FINDING, FIX, PROGRESS = "SITE", "DEMAND", "FINDING", "FIX", "PROGRESS"

# Decoding a 50-megapixel picture takes a few hundred MB; two at a time per worker at most.
_decoding = threading.BoundedSemaphore(2)


def _process(raw: bytes) -> images.Processed:
    with _decoding:
        return images.process(raw)


async def read_limited(stream: Any, limit: int = images.MAX_INPUT_BYTES) -> bytes:
    """Read an uploaded file, refusing it (and keeping nothing) once it passes the limit."""
    chunks: list[bytes] = []
    seen = 0
    while True:
        chunk = await stream.read(256 * 1024)
        if not chunk:
            return b"".join(chunks)
        seen += len(chunk)
        if seen > limit:
            raise Invalid("photo_too_large", "file", max_mb=MAX_MB)
        chunks.append(chunk)


async def upload_photo(ctx: ServiceContext, raw: bytes) -> Photo:
    """Keep one photo, cleaned, for its uploader to attach.

    Errors: UNAUTHENTICATED; INVALID on `file` (photo_wrong_type, photo_too_large,
    photo_broken, photo_empty, photo_too_many_pixels); CONFLICT (too many photos uploaded and
    not attached).
    """
    gate(ctx.actor, "photo.upload", "file")
    if len(raw) > images.MAX_INPUT_BYTES:
        raise Invalid("photo_too_large", "file", max_mb=MAX_MB)
    pending = await Photo.filter(uploaded_by_id=ctx.actor.account_id, subject_kind__isnull=True).count()
    if pending >= MAX_PENDING:
        raise Conflict("too_many_pending_photos", "file", max=MAX_PENDING)
    try:
        processed = await asyncio.to_thread(_process, raw)
    except images.ImageRefused as refused:
        raise Invalid(refused.key, "file", max_mb=MAX_MB) from None
    store = blobs.store(ctx.settings.photo_dir)
    sha = await store.put(processed.full.data)
    phone_sha = await store.put(processed.phone.data)
    return await Photo.create(
        uploaded_by_id=ctx.actor.account_id,
        uploaded_at=ctx.now(),
        format=processed.format,
        sha256=sha,
        byte_size=len(processed.full.data),
        width=processed.full.width,
        height=processed.full.height,
        phone_sha256=phone_sha,
        phone_byte_size=len(processed.phone.data),
        phone_width=processed.phone.width,
        phone_height=processed.phone.height,
    )


def photo_ids_of(photo_ids: Sequence[Any] | None, field: str) -> list[int]:
    """The photo IDs an action names, checked before anything is locked."""
    if not photo_ids:
        return []
    if len(photo_ids) > MAX_PER_ITEM:
        raise Invalid("too_many_photos", field, max=MAX_PER_ITEM)
    pks = [decode_id(pid, "Photo", f"{field}.{i}") for i, pid in enumerate(photo_ids)]
    for i, pk in enumerate(pks):
        if pk in pks[:i]:
            raise Invalid("photo_used", f"{field}.{i}")
    return pks


async def attach_photos(
    ctx: ServiceContext,
    conn: Any,
    consultation: Consultation,
    pks: list[int],
    *,
    kind: str,
    subject_id: int,
    field: str = "photoIds",
) -> list[Photo]:
    """Attach the caller's own unattached photos to a subject, inside the action's transaction.

    A photo someone else uploaded, or one already attached (a replay, or two forms racing for
    it), is refused on its field; the action then writes nothing at all.
    """
    if not pks:
        return []
    if consultation.stage == Stage.ARCHIVED:
        raise WrongStage("photo_archived", field)
    # At most MAX_PER_ITEM on one thing, over all its reports (a fix reported again after a
    # reopening adds to the same finding's fix photos).
    have = await Photo.filter(subject_kind=kind, subject_id=subject_id).using_db(conn).count()
    if have + len(pks) > MAX_PER_ITEM:
        raise Invalid("too_many_photos", field, max=MAX_PER_ITEM)
    rows = (
        await Photo.filter(id__in=pks, uploaded_by_id=ctx.actor.account_id, subject_kind__isnull=True)
        .select_for_update()
        .using_db(conn)
    )
    found = {row.id: row for row in rows}
    for i, pk in enumerate(pks):
        if pk not in found:
            raise Invalid("photo_used", f"{field}.{i}")
    now = ctx.now()
    for position, pk in enumerate(pks):
        photo = found[pk]
        photo.consultation_id, photo.subject_kind, photo.subject_id = consultation.id, kind, subject_id
        photo.attached_at, photo.position = now, position
        await photo.save(
            using_db=conn, update_fields=["consultation_id", "subject_kind", "subject_id", "attached_at", "position"]
        )
    return [found[pk] for pk in pks]


async def add_site_photos(ctx: ServiceContext, *, consultation_id: str, photo_ids: list[str]) -> Consultation:
    """Add photos of the place to a consultation (organizers, its convener), DRAFT included.

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE (final stages), INVALID (photoIds).
    """
    gate(ctx.actor, "consultation.add_photos")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    pks = photo_ids_of(photo_ids, "photoIds")
    if not pks:
        raise Invalid("required", "photoIds")
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        permit(
            ctx.actor,
            "consultation.add_photos",
            relations=relations_of(ctx.actor, consultation),
            stage=consultation.stage,
            community=consultation.community_id,
            field="consultationId",
        )
        photos = await attach_photos(ctx, conn, consultation, pks, kind=SITE, subject_id=cpk)
        await audit(
            ctx,
            consultation,
            conn,
            action="consultation.add_photos",
            kind=EventKind.PHOTOS_ADDED,
            subject=to_global_id("Consultation", cpk),
            summary=f"添加现场照片 {len(photos)} 张",
            payload={"photos": trail_entry(photos)},
        )
        return consultation


def trail_entry(photos: Sequence[Photo]) -> list[dict[str, Any]]:
    """What the audit event and the dossier keep of each photo: enough to check the files."""
    return [
        {"sha256": p.sha256, "phoneSha256": p.phone_sha256, "format": p.format, "width": p.width, "height": p.height}
        for p in photos
    ]


async def visible_photo(actor: Actor, pk: int) -> Photo | None:
    """The photo, if this viewer may see it: its uploader until it is attached, then whoever
    sees its consultation (a draft's photos stay with the organizers and the convener)."""
    photo = await Photo.get_or_none(id=pk)
    if photo is None:
        return None
    if photo.consultation_id is None:
        return photo if actor.account_id is not None and actor.account_id == photo.uploaded_by_id else None
    consultation = await Consultation.get_or_none(id=photo.consultation_id)
    return photo if consultation is not None and can_see(actor, consultation) else None


async def sweep(ctx: ServiceContext) -> int:
    """Forget uploads nobody attached within a day, and the files no photo names any more."""
    cutoff = ctx.now() - timedelta(hours=PENDING_HOURS)
    gone = await Photo.filter(subject_kind__isnull=True, uploaded_at__lt=cutoff).delete()
    store = blobs.store(ctx.settings.photo_dir)
    # Files written in the last hour may belong to an upload whose row is not committed yet.
    candidates = list(store.names(older_than_seconds=3600))
    if not candidates:
        return gone
    named: set[str] = set()
    for start in range(0, len(candidates), 500):
        chunk = candidates[start : start + 500]
        named.update(str(v) for v in await Photo.filter(sha256__in=chunk).values_list("sha256", flat=True))
        named.update(str(v) for v in await Photo.filter(phone_sha256__in=chunk).values_list("phone_sha256", flat=True))
    for sha in candidates:
        if sha not in named:
            store.delete(sha)
    return gone
