"""Tables an organizer pastes or uploads in the console: parties, duties (列责任单) and payments.

Each table is written in one transaction, all or nothing: every row is checked first, and when
any row is wrong nothing is written and every wrong row is named (`parties.3.name`,
`contributions.0.amount`...), so the organizer fixes them all at once. Each row written is
audited as the single-row mutation audits it, under the same policy rule.

Replaying a table does not write it twice: a row the same as an earlier row of the table is
refused, and so is a party already taking part, a duty already listed for its party, or a
payment already recorded (same party, amount, day of receipt and note). A second payment that
really arrived the same day for the same amount is told apart by its note (a bank reference).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, cast

from tortoise.expressions import Q

from consult.audit import lock_installation
from consult.clock import parse_datetime
from consult.domain.vocabulary import EventKind, ProposalStatus
from consult.errors import Conflict, DomainError, Invalid, NotFound, RowErrors
from consult.ids import to_global_id
from consult.models import (
    Account,
    ConsultationParty,
    Contribution,
    CostPlan,
    CostShare,
    Party,
    Proposal,
    Responsibility,
)
from consult.money import format_fen, parse_money
from consult.policies import gate, permit
from consult.services.accounts import insert_party, name_key, party_fields
from consult.services.base import (
    ServiceContext,
    audit,
    clean_text,
    decode_id,
    ensure_visible,
    lock_consultation,
    transaction,
)
from consult.services.consultations import MAX_PARTIES
from consult.services.representatives import IssuedSlip, _add, _may_issue, clean_phone

# A table of duties or payments: a few rows per party, never near this many.
MAX_TABLE_ROWS = 500
BEIJING = timezone(timedelta(hours=8))


class _Rows:
    """Collects the errors of a table's rows; `check()` raises them all at once."""

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DomainError as error:
            self.errors.append(error)
            return None

    def add(self, error: DomainError) -> None:
        self.errors.append(error)

    def check(self) -> None:
        if self.errors:
            raise RowErrors(self.errors)


def _bounded(rows: list[Any], field: str, most: int) -> None:
    if not rows:
        raise Invalid("table_empty", field)
    if len(rows) > most:
        raise Invalid("table_too_long", field, max=most)


def _prefixed(error: DomainError, prefix: str) -> DomainError:
    """The same error on the row's own field: `name` -> `parties.3.name`."""
    error.field = f"{prefix}.{error.field}" if error.field else prefix
    return error


# ---------------------------------------------------------------- parties


@dataclass
class PartyRow:
    """A row of the parties table as written: the party, and whether it was new, with its rep's slip."""

    party: Party
    created: bool
    slip: IssuedSlip | None


PartyFields = tuple[str, str, str | None]
Checked = tuple[PartyFields, tuple[str, str | None] | None]


async def add_parties(ctx: ServiceContext, *, consultation_id: str, rows: list[dict]) -> list[PartyRow]:
    """Add a table of parties to a consultation: each row's party is created (or, when a party of
    that name exists, that one joins), with its representative and slip when the row names one.

    Errors (all bad rows at once, on `parties.N.…`): UNAUTHENTICATED; FORBIDDEN (organizers and
    admins only); NOT_FOUND (consultationId); WRONG_STAGE; INVALID (a name, kind, contact or the
    representative's name or phone; a row repeated; an empty or too long table); CONFLICT (a
    party already taking part, a representative's name already shown by another account).
    """
    gate(ctx.actor, "consultation.add_party")
    permit(ctx.actor, "party.create")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    _bounded(rows, "parties", MAX_PARTIES)
    if any(r.get("representative") for r in rows):
        _may_issue(ctx)
    checked = _party_rows(rows)
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        permit(ctx.actor, "consultation.add_party", stage=consultation.stage, community=consultation.community_id)
        await lock_installation(conn)
        existing = {name_key(p.name): p for p in await Party.all().using_db(conn).order_by("id")}
        taking_part: set[int] = set(
            cast(
                list[int],
                await ConsultationParty.filter(consultation_id=cpk).using_db(conn).values_list("party_id", flat=True),
            )
        )
        await _parties_free(checked, existing, taking_part, conn)
        position = len(taking_part)
        written: list[PartyRow] = []
        for fields, person in checked:
            party = existing.get(name_key(fields[0]))
            created = party is None
            if party is None:
                party = await insert_party(ctx, fields, conn)
            await ConsultationParty.create(consultation_id=cpk, party_id=party.id, position=position, using_db=conn)
            position += 1
            await audit(
                ctx,
                consultation,
                conn,
                action="consultation.add_party",
                kind=EventKind.PARTY_ADDED,
                subject=to_global_id("Party", party.id),
                summary=f"加入参与方：{party.name}（表格导入）",
                payload={"party": to_global_id("Party", party.id), "name": party.name, "kind": party.kind},
            )
            slip = await _add(ctx, party, person[0], person[1], conn) if person else None
            written.append(PartyRow(party, created, slip))
        return written


def _party_rows(rows: list[dict]) -> list[Checked]:
    """Each row's party fields and representative, checked; every bad row raised at once."""
    bad = _Rows()
    checked: list[Checked] = []
    first_line: dict[str, int] = {}
    for i, row in enumerate(rows):
        at = f"parties.{i}"
        fields = bad.run(_prefixed_call, party_fields, at, row.get("name"), row.get("kind"), row.get("contact"))
        rep = row.get("representative")
        person = None
        if rep:
            display = bad.run(
                _prefixed_call, clean_text, at, rep.get("display_name"), "representative.displayName", max_len=100
            )
            phone = bad.run(_rep_phone, rep.get("phone"), f"{at}.representative.phone")
            person = (display, phone) if display else None
        if fields:
            key = name_key(fields[0])
            if key in first_line:
                bad.add(Invalid("duplicate_row", f"{at}.name", line=first_line[key] + 1))
            first_line.setdefault(key, i)
            checked.append((fields, person))
    bad.check()
    return checked


async def _parties_free(checked: list[Checked], existing: dict[str, Party], taking_part: set[int], conn: Any) -> None:
    """No row's party already takes part, and no representative's name is already shown."""
    bad = _Rows()
    shown = {
        name_key(str(n))
        for n in await Account.filter(Q(username__isnull=False) | Q(party_id__isnull=False))
        .using_db(conn)
        .values_list("display_name", flat=True)
    }
    for i, ((name, _, _), person) in enumerate(checked):
        found = existing.get(name_key(name))
        if found is not None and found.id in taking_part:
            bad.add(Conflict("party_already_added", f"parties.{i}.name"))
        if person:
            key = name_key(person[0])
            if key in shown:
                bad.add(Conflict("display_name_taken", f"parties.{i}.representative.displayName"))
            shown.add(key)
    bad.check()


def _prefixed_call(fn: Any, prefix: str, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except DomainError as error:
        raise _prefixed(error, prefix) from None


def _rep_phone(phone: str | None, field: str) -> str | None:
    try:
        return clean_phone(phone)
    except DomainError as error:
        error.field = field
        raise


# ---------------------------------------------------------------- duties (列责任单)


async def _parties_taking_part(
    cpk: int, party_pks: list[int | None], field: str, bad: _Rows, conn: Any
) -> dict[int, str]:
    """Names of the rows' parties; a row whose party is unknown or not taking part is wrong."""
    known = [pk for pk in party_pks if pk is not None]
    names = dict(await Party.filter(id__in=known).using_db(conn).values_list("id", "name")) if known else {}
    taking_part = set(
        await ConsultationParty.filter(consultation_id=cpk).using_db(conn).values_list("party_id", flat=True)
    )
    for i, pk in enumerate(party_pks):
        if pk is None:
            continue
        if pk not in names:
            bad.add(NotFound(f"{field}.{i}.partyId"))
        elif pk not in taking_part:
            bad.add(Invalid("party_not_in_consultation", f"{field}.{i}.partyId"))
    return names


async def assign_responsibilities(
    ctx: ServiceContext, *, consultation_id: str, rows: list[dict]
) -> list[Responsibility]:
    """列责任单 from a table: each row a party, what it answers for, and by when (DELIBERATING or VOTING).

    Errors (all bad rows at once, on `responsibilities.N.…`): UNAUTHENTICATED, FORBIDDEN,
    NOT_FOUND (consultationId, a row's partyId), WRONG_STAGE, INVALID (duty, dueAt, a party not
    taking part, a row repeated, an empty or too long table), CONFLICT (a duty already listed).
    """
    gate(ctx.actor, "responsibility.assign")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    _bounded(rows, "responsibilities", MAX_TABLE_ROWS)
    bad = _Rows()
    cleaned: list[tuple[int | None, str | None, datetime | None]] = []
    first_line: dict[tuple[int, str], int] = {}
    for i, row in enumerate(rows):
        at = f"responsibilities.{i}"
        pk = bad.run(decode_id, row.get("party_id"), "Party", f"{at}.partyId")
        duty = bad.run(_prefixed_call, clean_text, at, row.get("duty"), "duty", max_len=2000)
        due_at = row.get("due_at")
        due = bad.run(parse_datetime, due_at, f"{at}.dueAt") if due_at is not None else None
        if pk is not None and duty:
            if (pk, duty) in first_line:
                bad.add(Invalid("duplicate_row", f"{at}.duty", line=first_line[(pk, duty)] + 1))
            first_line.setdefault((pk, duty), i)
        cleaned.append((pk, duty, due))
    bad.check()
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        permit(ctx.actor, "responsibility.assign", stage=consultation.stage, community=consultation.community_id)
        names = await _parties_taking_part(cpk, [pk for pk, _, _ in cleaned], "responsibilities", bad, conn)
        listed = set(await Responsibility.filter(consultation_id=cpk).using_db(conn).values_list("party_id", "duty"))
        for i, (pk, duty, _) in enumerate(cleaned):
            if (pk, duty) in listed:
                bad.add(Conflict("duty_already_listed", f"responsibilities.{i}.duty"))
        bad.check()
        written = []
        from consult.services.demands import write_responsibility

        for pk, duty, due in cleaned:
            assert pk is not None and duty is not None
            item = await write_responsibility(ctx, consultation, conn, (pk, names[pk]), duty, due)
            written.append(item)
        return written


# ---------------------------------------------------------------- payments


def _day(at: datetime) -> Any:
    """The day of receipt as people in Beijing name it: what tells a replayed row."""
    return at.astimezone(BEIJING).date()


Payment = tuple[int, int, datetime, str | None]


async def record_contributions(ctx: ServiceContext, *, consultation_id: str, rows: list[dict]) -> list[CostShare]:
    """Money received, from a table: each row a party, an amount, when, and a note, recorded
    against that party's share of the adopted proposal's cost plan. Paid never exceeds a share,
    the rows of one party added together. Returns the shares paid into, in the plan's order.

    Errors (all bad rows at once, on `contributions.N.…`): UNAUTHENTICATED, FORBIDDEN,
    NOT_FOUND (consultationId, a row's partyId), WRONG_STAGE, INVALID (amount not positive or
    above what is still owed, receivedAt, note; no adopted plan; a party with no share; a row
    repeated; an empty or too long table), CONFLICT (a payment already recorded).
    """
    gate(ctx.actor, "contribution.record")
    cpk = decode_id(consultation_id, "Consultation", "consultationId")
    _bounded(rows, "contributions", MAX_TABLE_ROWS)
    cleaned = _payment_rows(rows)
    async with transaction() as conn:
        consultation = await lock_consultation(cpk, conn)
        ensure_visible(ctx.actor, consultation, "consultationId")
        permit(ctx.actor, "contribution.record", stage=consultation.stage, community=consultation.community_id)
        shares = await _adopted_shares(cpk, conn)
        bad = _Rows()
        names = await _parties_taking_part(cpk, [row[0] for row in cleaned], "contributions", bad, conn)
        await _payable(cleaned, shares, names, bad, conn)
        from consult.services.costs import write_contribution

        touched: set[int] = set()
        for pk, fen, received, note in cleaned:
            share = shares[pk]
            await write_contribution(ctx, consultation, share, names[pk], conn, fen, received, note)
            touched.add(share.id)
        return [s for s in shares.values() if s.id in touched]


def _payment_rows(rows: list[dict]) -> list[Payment]:
    """Each row's party, amount in fen, time and note, checked; every bad row raised at once."""
    bad = _Rows()
    cleaned: list[Payment] = []
    first_line: dict[tuple, int] = {}
    for i, row in enumerate(rows):
        at = f"contributions.{i}"
        pk = bad.run(decode_id, row.get("party_id"), "Party", f"{at}.partyId")
        fen = bad.run(parse_money, row.get("amount"), f"{at}.amount")
        if fen is not None and fen <= 0:
            bad.add(Invalid("contribution_positive", f"{at}.amount"))
            fen = None
        received = bad.run(parse_datetime, row.get("received_at"), f"{at}.receivedAt")
        note = bad.run(_prefixed_call, clean_text, at, row.get("note"), "note", max_len=2000, required=False)
        if pk is not None and fen is not None and received is not None:
            key = (pk, fen, _day(received), note or "")
            if key in first_line:
                bad.add(Invalid("duplicate_row", at, line=first_line[key] + 1))
            first_line.setdefault(key, i)
            cleaned.append((pk, fen, received, note))
    bad.check()
    return cleaned


async def _adopted_shares(cpk: int, conn: Any) -> dict[int, CostShare]:
    """The adopted proposal's shares by party, in the plan's order: INVALID while there is none."""
    adopted = await Proposal.filter(consultation_id=cpk, status=ProposalStatus.ADOPTED).using_db(conn).first()
    plan = await CostPlan.get_or_none(proposal_id=adopted.id, using_db=conn) if adopted else None
    if plan is None:
        raise Invalid("no_adopted_plan", "contributions")
    return {s.party_id: s for s in await CostShare.filter(plan_id=plan.id).using_db(conn).order_by("position")}


async def _payable(
    cleaned: list[Payment], shares: dict[int, CostShare], names: dict[int, str], bad: _Rows, conn: Any
) -> None:
    """Each row pays into a share, is not recorded already, and no share is paid past its amount."""
    party_of = {s.id: pk for pk, s in shares.items()}
    paid_in = await Contribution.filter(share_id__in=list(party_of)).using_db(conn)
    recorded = {(party_of[c.share_id], c.amount_fen, _day(c.received_at), c.note or "") for c in paid_in}
    owed = {pk: s.amount_fen - s.paid_fen for pk, s in shares.items()}
    for i, (pk, fen, received, note) in enumerate(cleaned):
        at = f"contributions.{i}"
        if pk not in names:
            continue  # already said: unknown, or not taking part
        if pk not in shares:
            bad.add(Invalid("no_share_for_party", f"{at}.partyId"))
            continue
        if (pk, fen, _day(received), note or "") in recorded:
            bad.add(Conflict("contribution_already_recorded", at))
        if fen > owed[pk]:
            bad.add(Invalid("overpayment", f"{at}.amount", outstanding=format_fen(max(owed[pk], 0))))
        owed[pk] -= fen
    bad.check()
