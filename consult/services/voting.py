"""Polls and ballots (居民表决): one ballot per roll entry, secret by default, safe under races."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any, TypedDict

from tortoise.expressions import F, Q

from consult.clock import parse_datetime
from consult.domain.decision import Count, Rule, decide_choice, decide_yes_no, quorum_met, rule_for
from consult.domain.irv import RunoffResult, instant_runoff
from consult.domain.vocabulary import ReceiptStatus
from consult.errors import DomainError, Invalid, NotFound
from consult.ids import expect_id, to_global_id
from consult.models import (
    Ballot,
    Consultation,
    Poll,
    PollElector,
    PollOption,
    Proposal,
    ReplacedReceipt,
    VoterRollEntry,
)
from consult.policies import gate, permit, relations_of
from consult.security import seal, unseal
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

KINDS = ("YES_NO_ABSTAIN", "SINGLE_CHOICE", "MULTIPLE_CHOICE", "RANKED")
# An open secret poll's count moves once this many new ballots are in (revotes are shown with
# them): watching it beside the roll, an organizer learns how a group of at least this many
# households voted, never one household. The close shows the whole count.
TALLY_BATCH = 5
# Seals are padded to a length fixed by the poll's number of options: bytes for the count's
# totals, and per option (a 19-digit id, votes and area at full width, with punctuation).
SEAL_PAD = 160
SEAL_PAD_PER_OPTION = 64
YES_NO_ABSTAIN_LABELS = ("赞成", "反对", "弃权")
MAX_OPTIONS = 50
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class PollNotOpen(DomainError):
    def __init__(self, field: str | None = "pollId") -> None:
        super().__init__("POLL_NOT_OPEN", "poll_not_open", field)


class NotEligible(DomainError):
    def __init__(self, field: str | None = None) -> None:
        super().__init__("NOT_ELIGIBLE", "not_eligible", field)


class AlreadyVoted(DomainError):
    def __init__(self, key: str = "already_voted") -> None:
        super().__init__("ALREADY_VOTED", key, "pollId")


def poll_rule(poll: Poll) -> Rule:
    """The rule a poll decides by, read back from the columns `_rule_columns` stores it in."""
    return Rule(
        preset=poll.preset,
        quorum=Fraction(poll.quorum_num, poll.quorum_den),
        threshold=Fraction(poll.threshold_num, poll.threshold_den),
        strict=poll.threshold_strict,
        by_area=poll.by_area,
    )


def _rule_columns(rule: Rule) -> dict[str, Any]:
    """A rule as a poll stores it: the exact fractions, never a rounded percentage."""
    return {
        "preset": rule.preset,
        "quorum_num": rule.quorum.numerator,
        "quorum_den": rule.quorum.denominator,
        "threshold_num": rule.threshold.numerator,
        "threshold_den": rule.threshold.denominator,
        "threshold_strict": rule.strict,
        "by_area": rule.by_area,
    }


class RuleDocument(TypedDict):
    preset: str
    quorumPercent: int
    threshold: str
    byArea: bool


def rule_document(rule: Rule) -> RuleDocument:
    """A decision rule as people read it: the one description that the API shows, the audit trail
    records when a poll is created, and the sealed dossier keeps (its keys are part of the dossier's
    hashed format). The quorum is in whole percent, rounded up; the threshold is "a/b"."""
    return {
        "preset": rule.preset,
        "quorumPercent": rule.quorum_percent,
        "threshold": rule.threshold_text,
        "byArea": rule.by_area,
    }


def effective_status(poll: Poll, stage: str, now: datetime) -> str:
    """The status the clock implies: a poll past closesAt is closed whether or not anyone wrote since."""
    if poll.status == "CLOSED":
        return "CLOSED"
    if poll.closes_at is not None and poll.closes_at <= now:
        return "CLOSED"
    if poll.status == "OPEN":
        return "OPEN"
    if stage == "VOTING" and poll.opens_at is not None and poll.opens_at <= now:
        return "OPEN"
    return "SCHEDULED"


def voter_key(secret_key: str, poll_id: int, entry_id: int) -> str:
    return hmac.new(secret_key.encode(), f"ballot:{poll_id}:{entry_id}".encode(), hashlib.sha256).hexdigest()


def session_key(secret_key: str, session_id: int | None) -> str | None:
    """Which session cast a ballot, keyed so the column alone names no session.

    A secret ballot shows its choices only to the session that cast it. Whoever later gets a
    fresh slip for the household (a new phone, or someone at the community office) can still
    replace the ballot, but cannot read what was chosen.
    """
    if session_id is None:
        return None
    return hmac.new(secret_key.encode(), f"ballot-session:{session_id}".encode(), hashlib.sha256).hexdigest()


def new_ballot_id() -> int:
    """A ballot's id: random, so that the order of ids is not the order of voting. Drawn from
    2^40 (clear of the serial ids earlier versions gave) up to 10^18 (global IDs carry at most
    18 digits): a clash is unlikely (about one in 2 million for a million ballots in one
    database), and a clash only fails that one insert."""
    return secrets.randbelow(10**18 - 2**40) + 2**40


@dataclass(frozen=True)
class Marks:
    """What a ballot says: the options, most preferred first, its weight, and when it was cast."""

    choices: list[int]
    weight_e4: int
    cast_at: datetime


def _bound_to(poll_id: int, voter_key_: str) -> str:
    return f"ballot:{poll_id}:{voter_key_}"


def marks_of(secret_key: str, ballot: Ballot) -> Marks:
    """A ballot's marks, opened from its seal when its poll is secret."""
    return row_marks(
        secret_key, ballot.poll_id, ballot.voter_key, ballot.choices, ballot.weight_e4, ballot.cast_at, ballot.sealed
    )


def row_marks(
    secret_key: str,
    poll_id: int,
    voter_key_: str,
    choices: str | None,
    weight_e4: int | None,
    cast_at: datetime | None,
    sealed: str | None,
) -> Marks:
    if sealed is None:
        assert choices is not None and weight_e4 is not None and cast_at is not None
        return Marks(json.loads(choices), weight_e4, cast_at)
    opened = unseal(secret_key, _bound_to(poll_id, voter_key_), sealed)
    return Marks(opened["choices"], opened["weight_e4"], datetime.fromisoformat(opened["cast_at"]))


def _mark(secret_key: str, poll: Poll, ballot: Ballot, marks: Marks, n_options: int) -> None:
    """Write the marks onto the ballot: in the clear for a named poll, only sealed for a secret one.
    The seal is padded to a length set by the poll's number of options, so that its length says
    nothing of how many options it ranks, or of how many digits its area has."""
    if poll.secret:
        content = {"choices": marks.choices, "weight_e4": marks.weight_e4, "cast_at": marks.cast_at.isoformat()}
        pad = SEAL_PAD + SEAL_PAD_PER_OPTION // 2 * n_options
        ballot.sealed = seal(secret_key, _bound_to(poll.id, ballot.voter_key), content, pad_to=pad)
        # Tortoise types a nullable TextField as str; these columns are NULL by design here.
        ballot.choices, ballot.weight_e4, ballot.cast_at = None, None, None  # type: ignore[assignment]
    else:
        ballot.sealed = None  # type: ignore[assignment]
        ballot.choices, ballot.weight_e4, ballot.cast_at = json.dumps(marks.choices), marks.weight_e4, marks.cast_at


BALLOT_MARK_COLUMNS = ("poll_id", "voter_key", "choices", "weight_e4", "cast_at", "sealed")


def receipt_digest(secret_key: str, poll_id: int, receipt: str) -> str:
    """How a replaced receipt is kept (ReplacedReceipt): keyed, so a copy of the database cannot
    test receipts it guesses."""
    return hmac.new(secret_key.encode(), f"receipt:{poll_id}:{receipt}".encode(), hashlib.sha256).hexdigest()


async def receipt_status(secret_key: str, poll_id: int, receipt: str) -> str:
    """COUNTED (a ballot carries it), REPLACED (a revote of the same household replaced it) or UNKNOWN."""
    cleaned = receipt.strip().upper()
    if await Ballot.filter(poll_id=poll_id, receipt=cleaned).exists():
        return ReceiptStatus.COUNTED
    if await ReplacedReceipt.filter(digest=receipt_digest(secret_key, poll_id, cleaned), poll_id=poll_id).exists():
        return ReceiptStatus.REPLACED
    return ReceiptStatus.UNKNOWN


def new_receipt() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(20))
    return "-".join(raw[i : i + 5] for i in range(0, 20, 5))


# ---------------------------------------------------------------- creating, opening, closing


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise Invalid("required", "kind")


def _clean_options(kind: str, options: list[str] | None) -> list[str]:
    """The labels: 赞成/反对/弃权 for YES_NO_ABSTAIN (which takes none), else 2 to 50 distinct ones."""
    if kind == "YES_NO_ABSTAIN":
        if options:
            raise Invalid("options_not_for_yes_no", "options")
        return list(YES_NO_ABSTAIN_LABELS)
    labels = [clean_text(label, f"options.{i}", max_len=200) for i, label in enumerate(options or [])]
    if len(labels) < 2:
        raise Invalid("too_few_options", "options")
    if len(labels) > MAX_OPTIONS:
        raise Invalid("too_many_options", "options", max=MAX_OPTIONS)
    for i, label in enumerate(labels):
        if label in labels[:i]:
            raise Invalid("duplicate_option", f"options.{i}")
    return labels


def _clean_proposal_ids(kind: str, proposal_ids: list[str] | None, count: int) -> list[int | None]:
    """The proposal each option stands for, if any. A yes/no poll may name one: 赞成 stands for it."""
    if not proposal_ids:
        return [None] * count
    if kind == "YES_NO_ABSTAIN" and len(proposal_ids) == 1:
        return [decode_id(proposal_ids[0], "Proposal", "proposalIds.0"), None, None]
    if len(proposal_ids) != count:
        raise Invalid("proposals_mismatch", "proposalIds")
    return [decode_id(p, "Proposal", f"proposalIds.{i}") for i, p in enumerate(proposal_ids)]


def _clean_max_choices(kind: str, max_choices: int | None, count: int) -> int | None:
    """How many options a ballot may pick, as stored: up to all for MULTIPLE_CHOICE (the default),
    one for a single pick, and no cap (None) for RANKED, whose ballots rank as many as they like."""
    if kind == "MULTIPLE_CHOICE":
        chosen = count if max_choices is None else max_choices
        if not 1 <= chosen <= count:
            raise Invalid("bad_max_choices", "maxChoices", max=count)
        return chosen
    if max_choices is not None and max_choices != 1:
        raise Invalid("bad_max_choices", "maxChoices", max=1)
    return None if kind == "RANKED" else 1


def _clean_times(ctx: ServiceContext, opens_at: object, closes_at: object) -> tuple[datetime | None, datetime | None]:
    """When the poll opens and closes by itself, if set: it closes after it opens, and in the future."""
    opens = parse_datetime(opens_at, "opensAt") if opens_at is not None else None
    closes = parse_datetime(closes_at, "closesAt") if closes_at is not None else None
    if opens and closes and closes <= opens:
        raise Invalid("closes_before_opens", "closesAt")
    if closes and closes <= ctx.now():
        raise Invalid("closes_in_past", "closesAt")
    return opens, closes


def _secrecy_columns(secret: object, allow_revote: object, live_results: object) -> dict[str, bool]:
    """Who learns what, and when: a secret ballot keeps choices apart from voters; revoting
    replaces a ballot until the close; live results show the count while the poll is open."""
    return {"secret": bool(secret), "allow_revote": bool(allow_revote), "live_results": bool(live_results)}


async def _check_proposals(cpk: int, proposal_pks: list[int | None], conn: Any) -> None:
    """Each option's proposal belongs to this consultation."""
    wanted = [pk for pk in proposal_pks if pk is not None]
    if not wanted:
        return
    found = set(await Proposal.filter(id__in=wanted, consultation_id=cpk).using_db(conn).values_list("id", flat=True))
    for i, pk in enumerate(proposal_pks):
        if pk is not None and pk not in found:
            raise NotFound(f"proposalIds.{i}")


async def _audit_created(
    ctx: ServiceContext, consultation: Consultation, poll: Poll, labels: list[str], rule: Rule, conn: Any
) -> None:
    await audit(
        ctx,
        consultation,
        conn,
        action="poll.create",
        kind="POLL_CHANGED",
        subject=to_global_id("Poll", poll.id),
        summary=f"设立表决：{poll.question}",
        payload={
            "poll": to_global_id("Poll", poll.id),
            "question": poll.question,
            "kind": poll.kind,
            "options": labels,
            "secret": poll.secret,
            "allowRevote": poll.allow_revote,
            "liveResults": poll.live_results,
            "rule": rule_document(rule),
            "opensAt": poll.opens_at.isoformat() if poll.opens_at else None,
            "closesAt": poll.closes_at.isoformat() if poll.closes_at else None,
        },
    )


async def create_poll(
    ctx: ServiceContext,
    *,
    consultation_id: str,
    question: str,
    kind: str,
    options: list[str] | None = None,
    proposal_ids: list[str] | None = None,
    max_choices: int | None = None,
    opens_at: object = None,
    closes_at: object = None,
    secret: bool = True,
    allow_revote: bool = True,
    live_results: bool = True,
    preset: str = "SIMPLE_MAJORITY",
    quorum_percent: int | None = None,
    threshold: str | None = None,
    by_area: bool | None = None,
) -> Poll:
    """Create a poll in DELIBERATING or VOTING (organizers). YES_NO_ABSTAIN gets 赞成/反对/弃权.

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, INVALID (question, options,
    proposalIds, maxChoices, opensAt/closesAt, preset numbers).
    """
    gate(ctx.actor, "poll.create")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    clean_question = clean_text(question, "question", max_len=500)
    _check_kind(kind)
    labels = _clean_options(kind, options)
    proposal_pks = _clean_proposal_ids(kind, proposal_ids, len(labels))
    stored_max_choices = _clean_max_choices(kind, max_choices, len(labels))
    opens, closes = _clean_times(ctx, opens_at, closes_at)
    rule = rule_for(preset, quorum_percent=quorum_percent, threshold=threshold, by_area=by_area)
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        permit(ctx.actor, "poll.create", stage=consultation.stage, community=consultation.community_id)
        await _check_proposals(cpk, proposal_pks, conn)
        if rule.by_area:
            await _check_areas(cpk, conn, "byArea")
        poll = await Poll.create(
            consultation_id=cpk,
            question=clean_question,
            kind=kind,
            status="SCHEDULED",
            max_choices=stored_max_choices,
            opens_at=opens,
            closes_at=closes,
            **_secrecy_columns(secret, allow_revote, live_results),
            **_rule_columns(rule),
            created_by_id=ctx.actor.account_id,
            created_at=ctx.now(),
            using_db=conn,
        )
        choices = [
            PollOption(poll_id=poll.id, label=x, position=i, proposal_id=proposal_pks[i]) for i, x in enumerate(labels)
        ]
        await PollOption.bulk_create(choices, using_db=conn)
        await _audit_created(ctx, consultation, poll, labels, rule, conn)
        return poll


async def _check_areas(cpk: int, conn: Any, field: str) -> None:
    """A poll that counts area needs every household's area: one the roll gave none for is
    refused by name and count, never counted as 1 m²."""
    missing = await VoterRollEntry.filter(consultation_id=cpk, active=True, area_given=False).using_db(conn).count()
    if missing:
        raise Invalid("roll_area_missing", field, count=missing)


async def _snapshot_electorate(poll: Poll, conn: Any) -> None:
    """Copy the active roll into the poll's electorate in one statement, however long the roll."""
    dialect = conn.capabilities.dialect
    p = ["$1", "$2"] if dialect == "postgres" else ["?", "?"]
    await conn.execute_query(
        "INSERT INTO poll_elector (poll_id, entry_id, weight_e4) "
        f"SELECT {p[0]}, id, weight_e4 FROM voter_roll_entry WHERE consultation_id = {p[1]} AND active = TRUE",
        [poll.id, poll.consultation_id],
    )
    rows = await PollElector.filter(poll_id=poll.id).using_db(conn).values_list("weight_e4", flat=True)
    poll.electorate_size = len(rows)
    poll.electorate_weight_e4 = sum(rows)


async def _open(
    ctx: ServiceContext, consultation: Consultation, poll: Poll, conn: Any, *, at: datetime, automatic: bool
) -> None:
    await _snapshot_electorate(poll, conn)
    poll.status, poll.opened_at = "OPEN", at
    await poll.save(using_db=conn, update_fields=["status", "opened_at", "electorate_size", "electorate_weight_e4"])
    await audit(
        ctx,
        consultation,
        conn,
        action="poll.open",
        kind="POLL_CHANGED",
        subject=to_global_id("Poll", poll.id),
        summary=f"开始表决：{poll.question}（选民 {poll.electorate_size} 户）"
        + ("，按时自动开始" if automatic else ""),
        payload={
            "poll": to_global_id("Poll", poll.id),
            "status": "OPEN",
            "electorate": poll.electorate_size,
            "automatic": automatic,
        },
        anonymous=automatic,
    )


async def _close(
    ctx: ServiceContext, consultation: Consultation, poll: Poll, conn: Any, *, at: datetime, automatic: bool
) -> None:
    moved, poll.moved_pending = poll.moved_pending, 0
    if poll.secret:
        # The whole count goes into the clear now, and its seal goes.
        options = {o.id: o for o in await PollOption.filter(poll_id=poll.id).using_db(conn)}
        run = running_of(ctx.settings.secret_key, poll, options.values())
        moved = run.moved
        await _write_clear_count(poll, conn, run, options, final=True)
        poll.running_sealed = None  # type: ignore[assignment]
    poll.status, poll.closed_at = "CLOSED", at
    await poll.save(using_db=conn, update_fields=["status", "closed_at", "moved_pending", "running_sealed"])
    await audit(
        ctx,
        consultation,
        conn,
        action="poll.close",
        kind="POLL_CHANGED",
        subject=to_global_id("Poll", poll.id),
        summary=f"结束表决：{poll.question}（共 {poll.ballots_cast} 票{_moved_note(moved)}）"
        + ("，按时自动结束" if automatic else ""),
        payload={
            "poll": to_global_id("Poll", poll.id),
            "status": "CLOSED",
            "ballots": poll.ballots_cast,
            "version": poll.tally_version,
            "automatic": automatic,
        }
        # The secret ballots since the last batch's entry, cast through moved slips.
        | ({"movedSlips": moved} if moved else {}),
        anonymous=automatic,
    )


async def settle(ctx: ServiceContext, consultation: Consultation, poll: Poll, conn: Any) -> None:
    """Write down what the clock already decided: opening at opensAt, closing at closesAt."""
    if consultation.stage in ("ARCHIVED", "CANCELLED"):
        return  # read-only: the sealed record must stay as sealed
    now = ctx.now()
    target = effective_status(poll, consultation.stage, now)
    if target == poll.status:
        return
    if (
        poll.status == "SCHEDULED"
        and target in ("OPEN", "CLOSED")
        and poll.opens_at is not None
        and consultation.stage == "VOTING"
    ):
        await _open(ctx, consultation, poll, conn, at=poll.opens_at, automatic=True)
    if target == "CLOSED" and poll.status != "CLOSED":
        await _close(ctx, consultation, poll, conn, at=poll.closes_at or now, automatic=True)


async def settle_all(ctx: ServiceContext, consultation: Consultation, conn: Any) -> list[Poll]:
    polls = await Poll.filter(consultation_id=consultation.id).using_db(conn).order_by("id")
    for poll in polls:
        await settle(ctx, consultation, poll, conn)
    return polls


async def _locked_poll(ctx: ServiceContext, poll_id: str, conn: Any) -> tuple[Consultation, Poll]:
    consultation, poll = await lock_through(Poll, decode_id(poll_id, "Poll", "pollId"), conn, "pollId")
    ensure_visible(ctx.actor, consultation, "pollId")
    return consultation, poll


async def open_poll(ctx: ServiceContext, *, poll_id: str) -> Poll:
    """Open a SCHEDULED poll now (VOTING only); its electorate is the roll as it stands.

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, INVALID (not SCHEDULED, empty roll).
    """
    gate(ctx.actor, "poll.open")
    async with transaction() as conn:
        consultation, poll = await _locked_poll(ctx, poll_id, conn)
        permit(ctx.actor, "poll.open", stage=consultation.stage, community=consultation.community_id)
        await settle(ctx, consultation, poll, conn)
        if poll.status != "SCHEDULED":
            raise Invalid("poll_not_scheduled", "pollId", status=poll.status)
        if not await VoterRollEntry.filter(consultation_id=consultation.id, active=True).using_db(conn).exists():
            raise Invalid("roll_empty", "pollId")
        if poll.by_area:
            await _check_areas(consultation.id, conn, "pollId")
        await _open(ctx, consultation, poll, conn, at=ctx.now(), automatic=False)
        return poll


async def close_poll(ctx: ServiceContext, *, poll_id: str) -> Poll:
    """Close a poll now (VOTING only). A poll that never opened closes with no ballots.

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, POLL_NOT_OPEN (already closed).
    """
    gate(ctx.actor, "poll.close")
    async with transaction() as conn:
        consultation, poll = await _locked_poll(ctx, poll_id, conn)
        permit(ctx.actor, "poll.close", stage=consultation.stage, community=consultation.community_id)
        await settle(ctx, consultation, poll, conn)
        if poll.status == "CLOSED":
            raise PollNotOpen()
        await _close(ctx, consultation, poll, conn, at=ctx.now(), automatic=False)
        return poll


# ---------------------------------------------------------------- ballots


@dataclass
class Cast:
    ballot: Ballot
    poll: Poll
    # As committed: the consultation, and the poll's options with this ballot counted.
    consultation: Consultation
    options: list[PollOption]


def _check_choices(poll: Poll, options: list[PollOption], choices: list[str]) -> list[int]:
    by_id = {o.id: o for o in options}
    picked: list[int] = []
    for i, gid in enumerate(choices or []):
        pk = expect_id(gid, "PollOption") if isinstance(gid, str) else None
        if pk is None or pk not in by_id:
            raise Invalid("not_an_option", f"choices.{i}")
        if pk in picked:
            raise Invalid("duplicate_choice", f"choices.{i}")
        picked.append(pk)
    if not picked:
        raise Invalid("no_choice", "choices")
    if poll.kind in ("YES_NO_ABSTAIN", "SINGLE_CHOICE") and len(picked) != 1:
        raise Invalid("exactly_one_choice", "choices")
    if poll.kind == "MULTIPLE_CHOICE" and len(picked) > (poll.max_choices or len(options)):
        raise Invalid("too_many_choices", "choices", max=poll.max_choices)
    return picked


def _counted(poll: Poll, picked: list[int]) -> list[int]:
    """The options a ballot adds to the per-option tally: its first preference for RANKED."""
    return picked[:1] if poll.kind == "RANKED" else picked


@dataclass
class Running:
    """A secret poll's count as each ballot leaves it. It lives only sealed, in
    `Poll.running_sealed`: in the clear, a row that moved with every ballot would show each
    ballot's choice and area to whoever can read the database, at the moment it was cast."""

    version: int
    ballots: int
    weight_e4: int
    options: dict[int, list[int]]  # option id -> [votes, weight]
    # Online ballots since the last batch cast through a moved slip (reissued, or used before):
    # the batch's trail entry counts them. In the clear it would move with such a ballot.
    moved: int = 0
    # Not sealed: the moved slips of the batch this ballot just completed, for its trail entry.
    batch_moved: int = 0


def _tally_bound(poll_id: int) -> str:
    return f"tally:{poll_id}"


def running_of(secret_key: str, poll: Poll, options: Iterable[PollOption]) -> Running:
    """The count as the last ballot left it: opened from its seal, or read from the clear columns
    where nothing is sealed (a named poll, a secret poll without ballots, or a closed one)."""
    if poll.running_sealed is None:
        return Running(
            poll.tally_version,
            poll.ballots_cast,
            poll.ballots_weight_e4,
            {o.id: [o.votes, o.weight_e4] for o in options},
            poll.moved_pending,
        )
    opened = unseal(secret_key, _tally_bound(poll.id), poll.running_sealed)
    return Running(
        opened["version"],
        opened["ballots"],
        opened["weight_e4"],
        {int(pk): [int(v[0]), int(v[1])] for pk, v in opened["options"].items()},
        opened["moved"],
    )


def _seal_running(secret_key: str, poll: Poll, run: Running) -> str:
    content = {
        "version": run.version,
        "ballots": run.ballots,
        "weight_e4": run.weight_e4,
        "options": run.options,
        "moved": run.moved,
    }
    # Padded to a length that depends on the number of options alone: a seal that grew by a
    # digit would say which count just crossed 10, 100, ... (AES-GCM hides content, not length).
    return seal(secret_key, _tally_bound(poll.id), content, pad_to=SEAL_PAD + SEAL_PAD_PER_OPTION * len(run.options))


async def _apply(
    poll: Poll,
    conn: Any,
    picked: list[int],
    weight: int,
    sign: int,
    options: dict[int, PollOption],
    run: Running | None,
) -> None:
    """Move the running count: the sealed one of a secret poll, or the clear rows of a named one.
    `options` (read under the same lock) move with the clear rows, so the answer can show the
    tally as this ballot left it without reading it again."""
    for option_id in _counted(poll, picked):
        if run is not None:
            run.options[option_id][0] += sign
            run.options[option_id][1] += sign * weight
            continue
        await (
            PollOption.filter(id=option_id)
            .using_db(conn)
            .update(votes=F("votes") + sign, weight_e4=F("weight_e4") + sign * weight)
        )
        option = options[option_id]
        option.votes += sign
        option.weight_e4 += sign * weight


async def _replace_ballot(
    ctx: ServiceContext,
    poll: Poll,
    conn: Any,
    existing: Ballot,
    *,
    picked: list[int],
    weight: int,
    origin: str,
    now: datetime,
    options: dict[int, PollOption],
    run: Running | None,
) -> None:
    """A revote: an online ballot replaces an online ballot, where the poll allows revoting."""
    if existing.origin != "ONLINE":
        raise AlreadyVoted("already_voted_offline")
    if origin != "ONLINE" or not poll.allow_revote:
        raise AlreadyVoted()
    before = marks_of(ctx.settings.secret_key, existing)
    await _apply(poll, conn, before.choices, before.weight_e4, -1, options, run)
    _mark(ctx.settings.secret_key, poll, existing, Marks(picked, weight, now), len(options))
    # The old receipt still answers, with "replaced": a household that wrote it down is not told its vote was lost.
    await ReplacedReceipt.create(
        digest=receipt_digest(ctx.settings.secret_key, poll.id, existing.receipt), poll_id=poll.id, using_db=conn
    )
    existing.receipt = new_receipt()
    existing.session_key = session_key(ctx.settings.secret_key, ctx.actor.session_id)
    await existing.save(
        using_db=conn, update_fields=["choices", "weight_e4", "cast_at", "sealed", "receipt", "session_key"]
    )


async def _count_ballot(
    secret_key: str,
    poll: Poll,
    conn: Any,
    ballot: tuple[list[int], int, int],
    options: dict[int, PollOption],
    run: Running | None,
) -> bool:
    """Add the ballot (choices, weight, added) to the running count; `added` is 0 when it
    replaced an earlier one. True when, in a secret poll, this ballot completed a batch."""
    picked, weight, added = ballot
    await _apply(poll, conn, picked, weight, +1, options, run)
    if run is None:
        poll.tally_version += 1
        poll.ballots_cast += added
        poll.ballots_weight_e4 += added * weight
        changes = {
            "tally_version": poll.tally_version,
            "ballots_cast": poll.ballots_cast,
            "ballots_weight_e4": poll.ballots_weight_e4,
        }
        await Poll.filter(id=poll.id).using_db(conn).update(**changes)
        return False
    run.version += 1
    run.ballots += added
    run.weight_e4 += added * weight
    first_seal = poll.running_sealed is None
    poll.running_sealed = _seal_running(secret_key, poll, run)
    # A full batch of new ballots: the count in the clear moves by at least TALLY_BATCH
    # households at once. Revotes wait for such a batch too: counted towards one, a household
    # could pad it with revotes until its own new ballot stood alone in it. A secret poll whose
    # results wait for the close keeps the same batches, for its trail.
    full = run.ballots - poll.shown_ballots >= TALLY_BATCH
    if full:
        await _write_clear_count(poll, conn, run, options)
        # The batch's trail entry counts the moved slips; the next batch starts from none.
        run.batch_moved, run.moved = run.moved, 0
        poll.running_sealed = _seal_running(secret_key, poll, run)
    elif first_seal:
        # A count an earlier version kept in the clear goes back to its last batch.
        await _write_clear_count(poll, conn, None, options)
    poll.moved_pending = 0
    await Poll.filter(id=poll.id).using_db(conn).update(running_sealed=poll.running_sealed, moved_pending=0)
    return full


async def _write_clear_count(
    poll: Poll, conn: Any, run: Running | None, options: dict[int, PollOption], *, final: bool = False
) -> None:
    """Write a secret poll's count into its clear columns: `run` at a full batch or at the close,
    or (None) the last batch again. Areas go into the clear only at the close and only where the
    rule counts them: per option, they can say which households chose it."""
    areas = final and poll.by_area
    if run is not None:
        poll.tally_version, poll.ballots_cast = run.version, run.ballots
        poll.ballots_weight_e4 = run.weight_e4 if poll.by_area else 0
    else:
        poll.tally_version, poll.ballots_cast = poll.shown_version, poll.shown_ballots
        poll.ballots_weight_e4 = poll.shown_weight_e4 if poll.by_area else 0
    poll.shown_version, poll.shown_ballots, poll.shown_weight_e4 = (
        poll.tally_version,
        poll.ballots_cast,
        poll.ballots_weight_e4,
    )
    await (
        Poll.filter(id=poll.id)
        .using_db(conn)
        .update(
            tally_version=poll.tally_version,
            ballots_cast=poll.ballots_cast,
            ballots_weight_e4=poll.ballots_weight_e4,
            shown_version=poll.shown_version,
            shown_ballots=poll.shown_ballots,
            shown_weight_e4=poll.shown_weight_e4,
        )
    )
    for option in options.values():
        votes = run.options.get(option.id, [0, 0])[0] if run is not None else option.shown_votes
        weight = run.options.get(option.id, [0, 0])[1] if run is not None and areas else 0
        if (option.votes, option.shown_votes, option.weight_e4) != (votes, votes, weight):
            option.votes, option.shown_votes, option.weight_e4 = votes, votes, weight
            await (
                PollOption.filter(id=option.id).using_db(conn).update(votes=votes, shown_votes=votes, weight_e4=weight)
            )


def _ballot_trail(
    poll: Poll, *, entry_id: int, picked: list[int], origin: str, replaced: bool
) -> tuple[str, dict[str, Any]]:
    """What the public audit trail says about a ballot (summary, payload): no more than the poll's
    secrecy allows. A secret poll's online ballots get one entry per batch (`_batch_trail`)."""
    if poll.secret:
        # A paper or assisted ballot, entered by staff who are named on it: no choice, and no
        # count but the batch the public count has reached.
        payload: dict[str, Any] = {"poll": to_global_id("Poll", poll.id), "origin": origin}
        if not poll.live_results:
            return f"录入不记名选票（纸质或协助）：{poll.question}（结果在表决结束后公布）", payload
        return (
            f"录入不记名选票（纸质或协助）：{poll.question}（公开计票每 {TALLY_BATCH} 票更新，"
            f"已公布 {poll.shown_ballots} 票）",
            payload | {"version": poll.shown_version, "ballots": poll.shown_ballots},
        )
    return (
        f"记名投票：{poll.question}（第 {poll.tally_version} 版，共 {poll.ballots_cast} 票）",
        {
            "poll": to_global_id("Poll", poll.id),
            "version": poll.tally_version,
            "ballots": poll.ballots_cast,
            "voter": to_global_id("VoterRollEntry", entry_id),
            "choices": [to_global_id("PollOption", pk) for pk in picked],
            "origin": origin,
            "replaced": replaced,
        },
    )


def _moved_note(moved: int) -> str:
    return f"，其中 {moved} 张经补发或再次使用的邀请码登录后投出" if moved else ""


def _batch_trail(poll: Poll, moved: int) -> tuple[str, dict[str, Any]]:
    """The trail's entry for a full batch of a secret poll's online ballots: how many, and how
    many came through moved slips; no voter, no choice, and no time but the batch's."""
    payload: dict[str, Any] = {"poll": to_global_id("Poll", poll.id), "batch": TALLY_BATCH, "movedSlips": moved}
    if not poll.live_results:
        # Results hidden until the close: not even the running count goes into the public trail.
        return f"收到不记名选票一批：{poll.question}（结果在表决结束后公布{_moved_note(moved)}）", payload
    return (
        f"收到不记名选票一批：{poll.question}（公开计票每 {TALLY_BATCH} 票更新，已公布 {poll.shown_ballots} 票"
        f"{_moved_note(moved)}）",
        payload | {"version": poll.shown_version, "ballots": poll.shown_ballots},
    )


async def _record(
    ctx: ServiceContext,
    consultation: Consultation,
    poll: Poll,
    conn: Any,
    *,
    entry_id: int,
    weight: int,
    picked: list[int],
    origin: str,
    note: str | None,
    options: dict[int, PollOption],
) -> Ballot:
    key = voter_key(ctx.settings.secret_key, poll.id, entry_id)
    existing = await Ballot.select_for_update().using_db(conn).get_or_none(poll_id=poll.id, voter_key=key)
    now = ctx.now()
    run = running_of(ctx.settings.secret_key, poll, options.values()) if poll.secret else None
    if existing is not None:
        await _replace_ballot(
            ctx, poll, conn, existing, picked=picked, weight=weight, origin=origin, now=now, options=options, run=run
        )
        ballot, added = existing, 0
    else:
        ballot = Ballot(
            id=new_ballot_id(),
            poll_id=poll.id,
            voter_key=key,
            entry_id=None if poll.secret else entry_id,
            receipt=new_receipt(),
            origin=origin,
            assisted_by_id=ctx.actor.account_id if origin != "ONLINE" else None,
            note=note,
            session_key=session_key(ctx.settings.secret_key, ctx.actor.session_id) if origin == "ONLINE" else None,
        )
        _mark(ctx.settings.secret_key, poll, ballot, Marks(picked, weight, now), len(options))
        await ballot.save(using_db=conn, force_create=True)
        added = 1
    if run is not None and origin == "ONLINE" and ctx.actor.reissued:
        run.moved += 1
    full = await _count_ballot(ctx.settings.secret_key, poll, conn, (picked, weight, added), options, run)
    if poll.secret and origin == "ONLINE":
        assert run is not None
        if full:
            await _trail_batch(ctx, consultation, poll, conn, moved=run.batch_moved)
        return ballot
    await _trail_ballot(ctx, consultation, poll, conn, entry_id=entry_id, picked=picked, origin=origin, added=added)
    return ballot


async def _trail_ballot(
    ctx: ServiceContext,
    consultation: Consultation,
    poll: Poll,
    conn: Any,
    *,
    entry_id: int,
    picked: list[int],
    origin: str,
    added: int,
) -> None:
    """The trail entry of a named poll's ballot, or of a paper or assisted one."""
    summary, payload = _ballot_trail(poll, entry_id=entry_id, picked=picked, origin=origin, replaced=added == 0)
    if origin == "ONLINE" and ctx.actor.reissued:
        # Cast in a session opened with a reissued slip, or with a slip used before: said so.
        summary += "（经补发或再次使用的邀请码登录后投票）"
        payload = {**payload, "movedSlip": True}
    await audit(
        ctx,
        consultation,
        conn,
        action="ballot.cast" if origin == "ONLINE" else "ballot.offline",
        kind="TALLY_CHANGED",
        subject=to_global_id("Poll", poll.id),
        summary=summary,
        payload=payload,
        # Paper and assisted ballots name the staff member who entered them.
        anonymous=False,
    )


async def _trail_batch(ctx: ServiceContext, consultation: Consultation, poll: Poll, conn: Any, *, moved: int) -> None:
    """A secret online ballot leaves no entry of its own: its time, set beside the roll's sign-in
    times, would say who voted. The ballot that completes a batch appends one anonymous entry
    for the batch, counting the ballots in it cast through moved slips, without voter or choice.
    The close accounts for a last, partial batch."""
    summary, payload = _batch_trail(poll, moved)
    await audit(
        ctx,
        consultation,
        conn,
        action="ballot.cast",
        kind="TALLY_CHANGED",
        subject=to_global_id("Poll", poll.id),
        summary=summary,
        payload=payload,
        anonymous=True,
    )


async def cast_vote(ctx: ServiceContext, *, poll_id: str, choices: list[str]) -> Cast:
    """A resident votes for their own roll entry. Revoting replaces the ballot when allowed.

    Errors: UNAUTHENTICATED; NOT_FOUND; POLL_NOT_OPEN; NOT_ELIGIBLE (not in the electorate);
    ALREADY_VOTED (no revote, or a paper/assisted ballot stands); INVALID (choices.N).
    """
    gate(ctx.actor, "ballot.cast")
    async with transaction() as conn:
        consultation, poll = await _locked_poll(ctx, poll_id, conn)
        await settle(ctx, consultation, poll, conn)
        if poll.status != "OPEN":
            raise PollNotOpen()
        elector = await _elector_of(ctx, poll, conn)
        # A poll left open when its consultation was cancelled takes no more ballots.
        permit(
            ctx.actor,
            "ballot.cast",
            relations=relations_of(ctx.actor, poll, in_electorate=elector is not None),
            stage=consultation.stage,
            community=consultation.community_id,
            field="pollId",
        )
        assert elector is not None  # the rule grants a ballot to the electorate only
        options = await PollOption.filter(poll_id=poll.id).using_db(conn).order_by("position")
        picked = _check_choices(poll, options, choices)
        ballot = await _record(
            ctx,
            consultation,
            poll,
            conn,
            entry_id=elector.entry_id,
            weight=elector.weight_e4,
            picked=picked,
            origin="ONLINE",
            note=None,
            options={o.id: o for o in options},
        )
        return Cast(ballot=ballot, poll=poll, consultation=consultation, options=options)


async def record_offline_ballot(
    ctx: ServiceContext, *, poll_id: str, voter_entry_id: str, choices: list[str], origin: str, note: str | None = None
) -> Cast:
    """An organizer enters a PAPER or ASSISTED (代投) ballot for a roll entry in the electorate.

    Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, WRONG_STAGE, POLL_NOT_OPEN, NOT_ELIGIBLE,
    ALREADY_VOTED, INVALID (origin, choices, note).
    """
    gate(ctx.actor, "ballot.offline")
    if origin not in ("PAPER", "ASSISTED"):
        raise Invalid("bad_origin", "origin")
    entry_pk = decode_id(voter_entry_id, "VoterRollEntry", "voterEntryId")
    clean_note = clean_text(note, "note", max_len=1000, required=False)
    async with transaction() as conn:
        consultation, poll = await _locked_poll(ctx, poll_id, conn)
        permit(ctx.actor, "ballot.offline", stage=consultation.stage, community=consultation.community_id)
        await settle(ctx, consultation, poll, conn)
        if poll.status != "OPEN":
            raise PollNotOpen()
        elector = await PollElector.get_or_none(poll_id=poll.id, entry_id=entry_pk, using_db=conn)
        if elector is None:
            raise NotEligible("voterEntryId")
        # Choices first: an empty ballot must not serve as a free "has this household voted?" probe.
        options = await PollOption.filter(poll_id=poll.id).using_db(conn).order_by("position")
        picked = _check_choices(poll, options, choices)
        existing = (
            await Ballot.filter(poll_id=poll.id, voter_key=voter_key(ctx.settings.secret_key, poll.id, entry_pk))
            .using_db(conn)
            .exists()
        )
        if existing:
            raise AlreadyVoted()
        ballot = await _record(
            ctx,
            consultation,
            poll,
            conn,
            entry_id=entry_pk,
            weight=elector.weight_e4,
            picked=picked,
            origin=origin,
            note=clean_note,
            options={o.id: o for o in options},
        )
        return Cast(ballot=ballot, poll=poll, consultation=consultation, options=options)


async def _elector_of(ctx: ServiceContext, poll: Poll, conn: Any) -> PollElector | None:
    """The viewer's place in the poll's electorate: the roll entry bound to their account."""
    if ctx.actor.account_id is None:
        return None
    if ctx.actor.roll_entry_id is not None:
        # A resident's session names its household: one indexed lookup, no roll scan.
        return await PollElector.get_or_none(poll_id=poll.id, entry_id=ctx.actor.roll_entry_id, using_db=conn)
    entry_ids = (
        await VoterRollEntry.filter(consultation_id=poll.consultation_id, account_id=ctx.actor.account_id)
        .using_db(conn)
        .values_list("id", flat=True)
    )
    if not entry_ids:
        return None
    return await PollElector.filter(poll_id=poll.id, entry_id__in=list(entry_ids)).using_db(conn).first()


async def elector_for(actor_account_id: int | None, poll: Poll) -> PollElector | None:
    """For readers: the same lookup outside a write."""
    if actor_account_id is None:
        return None
    return await PollElector.filter(poll_id=poll.id, entry__account_id=actor_account_id).first()


async def seal_clear_ballots(key: Callable[[], str]) -> int:
    """Seal the secret polls' ballots that an earlier version stored in the clear, and give
    them random ids. Run by `consult migrate`; returns how many ballots it sealed. The server
    key is asked for only when there is something to seal."""
    sealed = 0
    async with transaction() as conn:
        secret_polls = {p.id: p for p in await Poll.filter(secret=True).using_db(conn)}
        rows = (
            await Ballot.filter(poll_id__in=list(secret_polls), sealed__isnull=True).using_db(conn).select_for_update()
            if secret_polls
            else []
        )
        secret_key = key() if rows else ""
        counts: dict[int, int] = {}
        for option in await PollOption.filter(poll_id__in=list(secret_polls)).using_db(conn):
            counts[option.poll_id] = counts.get(option.poll_id, 0) + 1
        for ballot in rows:
            marks = marks_of(secret_key, ballot)
            _mark(secret_key, secret_polls[ballot.poll_id], ballot, marks, counts.get(ballot.poll_id, 0))
            # Tortoise refuses to update a primary key: plain SQL, the same on SQLite and PostgreSQL.
            await conn.execute_query(
                "UPDATE ballot SET id = $1, sealed = $2, choices = NULL, weight_e4 = NULL, cast_at = NULL "
                "WHERE id = $3",
                [new_ballot_id(), ballot.sealed, ballot.id],
            )
            sealed += 1
    return sealed


async def seal_running_tallies(key: Callable[[], str]) -> int:
    """Seal the running count of each open secret poll that an earlier version kept in the clear,
    putting the clear columns back to its last batch. Run by `consult migrate`; returns how many
    polls it sealed. The server key is asked for only when there is something to seal."""
    sealed = 0
    async with transaction() as conn:
        polls = await Poll.filter(secret=True, running_sealed__isnull=True, status__not="CLOSED").using_db(conn)
        polls = [p for p in polls if p.tally_version or p.ballots_cast]
        secret_key = key() if polls else ""
        for poll in await Poll.filter(id__in=[p.id for p in polls]).using_db(conn).select_for_update():
            options = {o.id: o for o in await PollOption.filter(poll_id=poll.id).using_db(conn)}
            run = running_of(secret_key, poll, options.values())
            await _write_clear_count(poll, conn, None, options)
            poll.running_sealed = _seal_running(secret_key, poll, run)
            await Poll.filter(id=poll.id).using_db(conn).update(running_sealed=poll.running_sealed, moved_pending=0)
            sealed += 1
    return sealed


async def settle_due(ctx: ServiceContext) -> int:
    """Open and close the polls whose time has come, so that the record shows the moment the
    clock decided rather than the next request. Returns how many polls moved."""
    now = ctx.now()
    due = (
        await Poll.filter(status__in=("SCHEDULED", "OPEN"), consultation__stage__not_in=("ARCHIVED", "CANCELLED"))
        .filter(Q(closes_at__lte=now) | Q(status="SCHEDULED", opens_at__lte=now))
        .values_list("id", "consultation_id")
    )
    moved = 0
    for poll_id, consultation_id in due:
        async with transaction() as conn:
            consultation = await lock_consultation(consultation_id, conn)
            poll = await Poll.get(id=poll_id, using_db=conn)
            before = poll.status
            await settle(ctx, consultation, poll, conn)
            moved += poll.status != before
    return moved


# ---------------------------------------------------------------- counting


@dataclass
class TallyData:
    """A poll's count as plain values, for the API and the archive alike."""

    version: int
    ballots_cast: int
    electorate: Count
    # Per option, in option order: what this tally shows (heads, weight).
    counts: list[Count]
    options: list[PollOption]
    quorum_met: bool
    outcome: str
    winner: int | None
    rounds: list[list[tuple[int, int]]] | None


# RANKED rounds are computed from the ballots when read, and cached by tally version.
_ROUNDS_CACHE: dict[tuple[int, int], RunoffResult] = {}


async def ranked_marks(secret_key: str, poll_ids: list[int], conn: Any = None) -> dict[int, list[Marks]]:
    """Every ballot's marks in these polls, by poll (instant runoff counts from them)."""
    query = Ballot.filter(poll_id__in=poll_ids)
    rows = await (query.using_db(conn) if conn is not None else query).values_list(*BALLOT_MARK_COLUMNS)
    marks: dict[int, list[Marks]] = {pk: [] for pk in poll_ids}
    for row in rows:
        marks[row[0]].append(row_marks(secret_key, *row))
    return marks


async def _runoff(
    poll: Poll, version: int, options: list[PollOption], marks: list[Marks] | None, secret_key: str
) -> RunoffResult:
    key = (poll.id, version)
    if key not in _ROUNDS_CACHE:
        if marks is None:
            marks = (await ranked_marks(secret_key, [poll.id]))[poll.id]
        index = {o.id: i for i, o in enumerate(options)}
        ballots = [([index[pk] for pk in m.choices if pk in index], m.weight_e4) for m in marks]
        if len(_ROUNDS_CACHE) > 256:
            _ROUNDS_CACHE.clear()
        _ROUNDS_CACHE[key] = instant_runoff(len(options), ballots)
    return _ROUNDS_CACHE[key]


async def compute_tally(
    poll: Poll,
    options: list[PollOption],
    status: str,
    electorate: Count,
    secret_key: str,
    ranked_ballots: list[Marks] | None = None,
) -> TallyData:
    """The running count, and once CLOSED the outcome under the poll's rule.

    A RANKED poll's rounds come from its ballots' marks: read here (and opened with the server
    key) unless the caller already has them (the archive reads every poll's at once).
    """
    rule = poll_rule(poll)
    if poll.secret and status != "CLOSED":
        # Open and secret: the count as of the last full batch (weights are withheld anyway).
        version, counts = poll.shown_version, [Count(o.shown_votes, 0) for o in options]
        ballots = Count(poll.shown_ballots, poll.shown_weight_e4)
    else:
        # Closed by the clock but not yet settled, a secret poll's count is still only sealed.
        run = running_of(secret_key, poll, options)
        version, counts = run.version, [Count(*run.options.get(o.id, [0, 0])) for o in options]
        ballots = Count(run.ballots, run.weight_e4)
    met = quorum_met(rule, ballots, electorate)
    outcome, winner, rounds = "PENDING", None, None
    if poll.kind == "RANKED" and not (poll.secret and status != "CLOSED"):
        # An open secret poll's rounds are withheld, so they are not counted either.
        result = await _runoff(poll, version, options, ranked_ballots, secret_key)
        rounds = [list(r.counts) for r in result.rounds]
        if status == "CLOSED":
            outcome, winner = ("DECIDED", result.winner) if met and result.winner is not None else ("UNDECIDED", None)
    elif status == "CLOSED":
        if poll.kind == "YES_NO_ABSTAIN":
            verdict = decide_yes_no(rule, yes=counts[0], no=counts[1], abstain=counts[2], electorate=electorate)
        else:
            verdict = decide_choice(rule, options=counts, ballots=ballots, electorate=electorate)
        outcome, winner, met = verdict.outcome, verdict.winner, verdict.quorum_met
    return TallyData(
        version=version,
        ballots_cast=ballots.heads,
        electorate=electorate,
        counts=counts,
        options=options,
        quorum_met=met,
        outcome=outcome,
        winner=winner,
        rounds=rounds,
    )
