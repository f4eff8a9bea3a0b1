"""Evaluation (给反馈单, 百姓说了算): residents rate the outcome; organizers record follow-up visits."""

from __future__ import annotations

from consult.clock import parse_datetime
from consult.domain.vocabulary import EventKind
from consult.errors import Invalid
from consult.ids import to_global_id
from consult.models import FollowUp, Rating, VoterRollEntry
from consult.policies import gate, permit, relations_of
from consult.services.base import (
    ServiceContext,
    audit,
    clean_text,
    decode_id,
    ensure_visible,
    lock_consultation,
    transaction,
)


async def rate_outcome(ctx: ServiceContext, *, consultation_id: str, score: int, comment: str | None = None) -> Rating:
    """A household on the roll rates the outcome 1..5 in EVALUATING; rating again replaces it.

    Errors: UNAUTHENTICATED, NOT_FOUND, WRONG_STAGE, NOT_ELIGIBLE (not on the roll), INVALID
    (score outside 1..5, comment too long).
    """
    gate(ctx.actor, "rating.add")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise Invalid("bad_score", "score")
    clean_comment = clean_text(comment, "comment", max_len=2000, required=False)
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        entry = (
            await VoterRollEntry.filter(consultation_id=cpk, account_id=ctx.actor.account_id, active=True)
            .using_db(conn)
            .first()
        )
        permit(
            ctx.actor,
            "rating.add",
            relations=relations_of(ctx.actor, consultation, on_roll=entry is not None),
            stage=consultation.stage,
            community=consultation.community_id,
            field="consultationId",
        )
        assert entry is not None  # the rule grants rating to households on the roll only
        now = ctx.now()
        rating = await Rating.get_or_none(consultation_id=cpk, entry_id=entry.id, using_db=conn)
        replaced = rating is not None
        if rating is None:
            rating = await Rating.create(
                consultation_id=cpk, entry_id=entry.id, score=score, comment=clean_comment, at=now, using_db=conn
            )
        else:
            # Tortoise types a nullable TextField as plain str; a rating's comment may be empty.
            rating.comment = clean_comment  # type: ignore[assignment]
            rating.score, rating.at = score, now
            await rating.save(using_db=conn, update_fields=["score", "comment", "at"])
        # Ratings are anonymous in the trail: the score counts, the household stays unnamed.
        await audit(
            ctx,
            consultation,
            conn,
            action="rating.add",
            kind=EventKind.RATING_ADDED,
            subject=to_global_id("Consultation", cpk),
            summary=f"居民评价：{score} 分" + ("（修改）" if replaced else ""),
            payload={"score": score, "replaced": replaced},
            anonymous=True,
        )
        return rating


async def record_follow_up(ctx: ServiceContext, *, consultation_id: str, at: object, notes: str) -> FollowUp:
    """跟踪回访 (organizers and CPPCC members, IMPLEMENTING or EVALUATING).

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, INVALID (at, notes).
    """
    gate(ctx.actor, "followup.record")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    when = parse_datetime(at, "at")
    clean_notes = clean_text(notes, "notes", max_len=10_000)
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        permit(ctx.actor, "followup.record", stage=consultation.stage, community=consultation.community_id)
        follow_up = await FollowUp.create(
            consultation_id=cpk, at=when, by_id=ctx.actor.account_id, notes=clean_notes, using_db=conn
        )
        await audit(
            ctx,
            consultation,
            conn,
            action="followup.record",
            kind=EventKind.FOLLOW_UP_RECORDED,
            subject=to_global_id("FollowUp", follow_up.id),
            summary=f"跟踪回访：{clean_notes[:60]}",
            payload={"followUp": to_global_id("FollowUp", follow_up.id), "at": when.isoformat(), "notes": clean_notes},
        )
        return follow_up
