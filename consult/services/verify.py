"""`consult verify`: check the database against itself and against the anchors kept outside it.

Four checks, each naming every mismatch it finds:
- each consultation's audit chain, link by link, against the head its row records, and the
  installation's own chain (accounts made, roles granted);
- every anchor (consult.anchors) against the event it names: a rewritten trail, re-chained so
  that it looks whole, still differs from what was anchored when it was written;
- every poll's running tally against a recount of its ballots (sealed ones opened with the
  server key): votes and weight per option, ballots cast and their weight;
- every share's paid amount against the sum of its contributions;
- every attached photo's two files against the sha256 they are kept (and sealed) under.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from consult import anchors, blobs
from consult.audit import chain_break, installation_chain_is_valid
from consult.models import (
    AuditEvent,
    Ballot,
    Consultation,
    Contribution,
    CostShare,
    InstallationEvent,
    Photo,
    Poll,
    PollOption,
)
from consult.services.voting import BALLOT_MARK_COLUMNS, TALLY_BATCH, Running, _counted, row_marks, running_of


@dataclass
class Report:
    consultations: int = 0
    events: int = 0
    anchors: int = 0
    polls: int = 0
    ballots: int = 0
    shares: int = 0
    photos: int = 0
    problems: list[str] = field(default_factory=list)


async def _chains(report: Report) -> dict[int, dict[int, str]]:
    """Check every chain; returns the stored hashes by consultation and seq, for the anchors."""
    hashes: dict[int, dict[int, str]] = {}
    for consultation in await Consultation.all().order_by("id"):
        events = await AuditEvent.filter(consultation_id=consultation.id).order_by("seq")
        report.consultations += 1
        report.events += len(events)
        hashes[consultation.id] = {e.seq: e.hash for e in events}
        broken = chain_break(events, consultation.head_hash)
        if broken is None and len(events) != consultation.last_seq:
            broken = f"the trail ends at seq {len(events)}, but the consultation records seq {consultation.last_seq}"
        if broken:
            report.problems.append(f"consultation {consultation.id}: audit chain broken: {broken}")
    return hashes


async def _installation_chain(report: Report) -> dict[int, str]:
    events = await InstallationEvent.all().order_by("seq")
    report.events += len(events)
    if not installation_chain_is_valid(events):
        report.problems.append("installation trail: audit chain broken")
    return {e.seq: e.hash for e in events}


def _anchors(report: Report, hashes: dict[int, dict[int, str]], installation: dict[int, str], path: Path) -> None:
    for anchor in anchors.read(path):
        report.anchors += 1
        seq, anchored = anchor["seq"], anchor["hash"]
        if "consultation" in anchor:
            name, stored = f"consultation {anchor['consultation']}", hashes.get(anchor["consultation"], {}).get(seq)
        else:
            name, stored = "installation trail", installation.get(seq)
        if stored is None:
            report.problems.append(f"{name}: seq {seq} was anchored at {anchor.get('at')} but is not in the database")
        elif stored != anchored:
            report.problems.append(
                f"{name}: seq {seq} differs from its anchor: anchored {anchored[:16]}…, the database has {stored[:16]}…"
            )


async def _tallies(report: Report, secret_key: str) -> None:
    polls = {p.id: p for p in await Poll.all()}
    options: dict[int, list[PollOption]] = defaultdict(list)
    for option in await PollOption.all():
        options[option.poll_id].append(option)
    cast, recount = await _recount(report, polls, secret_key)
    for poll in polls.values():
        report.polls += 1
        try:
            run = running_of(secret_key, poll, options[poll.id])
        except ValueError:
            report.problems.append(f"poll {poll.id}: its sealed running count does not open under this server key")
            continue
        _compare(report, poll, run, cast[poll.id], {o: recount[o.id] for o in options[poll.id]})
        if poll.running_sealed is not None:
            _check_batch(report, poll, run, options[poll.id])
        elif poll.secret and poll.status != "CLOSED" and run.ballots:
            report.problems.append(
                f"poll {poll.id}: an open secret poll counted in the clear; run `consult migrate` to seal it"
            )


Tally = dict[int, list[int]]


async def _recount(report: Report, polls: dict[int, Poll], secret_key: str) -> tuple[Tally, Tally]:
    """Every ballot opened and counted again: per poll [ballots, weight], per option [votes, weight]."""
    recount: Tally = defaultdict(lambda: [0, 0])
    cast: Tally = defaultdict(lambda: [0, 0])
    for row in await Ballot.all().values_list(*BALLOT_MARK_COLUMNS):
        report.ballots += 1
        poll = polls[row[0]]
        try:
            marks = row_marks(secret_key, *row)
        except ValueError:
            report.problems.append(f"poll {poll.id}: a sealed ballot does not open under this server key")
            continue
        cast[poll.id][0] += 1
        cast[poll.id][1] += marks.weight_e4
        for option_id in _counted(poll, marks.choices):
            recount[option_id][0] += 1
            recount[option_id][1] += marks.weight_e4
    return cast, recount


def _compare(report: Report, poll: Poll, run: Running, cast: list[int], recount: dict[PollOption, list[int]]) -> None:
    """The count the poll records against the recount of its ballots."""
    # Areas stay out of the clear where a closed secret poll's rule does not count them. (An open
    # one that an earlier version counted in the clear still has them, until migrate seals it.)
    areas = not (poll.secret and poll.status == "CLOSED" and not poll.by_area)
    ballots, weight = cast[0], cast[1] if areas else 0
    if (run.ballots, run.weight_e4) != (ballots, weight):
        report.problems.append(
            f"poll {poll.id}: the tally records {run.ballots} ballots, the ballots number {ballots}"
            + ("" if run.weight_e4 == weight else " (and their weight differs)")
        )
    for option, (votes, option_weight) in recount.items():
        option_weight = option_weight if areas else 0
        recorded_votes, recorded_weight = run.options.get(option.id, [0, 0])
        if (recorded_votes, recorded_weight) != (votes, option_weight):
            report.problems.append(
                f"poll {poll.id}: option {option.label!r} records {recorded_votes} votes, "
                f"its ballots give {votes}"
                + ("" if recorded_weight == option_weight else " (and their weight differs)")
            )


def _check_batch(report: Report, poll: Poll, run: Running, options: list[PollOption]) -> None:
    """An open secret poll shows the count of its last full batch: that count must be one the
    sealed count went through, and no newer than it."""
    if poll.status == "CLOSED":
        report.problems.append(f"poll {poll.id}: closed, yet its count is still sealed")
    clear = (poll.tally_version, poll.ballots_cast, poll.ballots_weight_e4, poll.moved_pending)
    area = poll.shown_weight_e4 if poll.by_area else 0
    shown = clear == (poll.shown_version, poll.shown_ballots, area, 0) and all(
        o.votes == o.shown_votes and o.weight_e4 == 0 for o in options
    )
    behind = run.ballots - poll.shown_ballots
    if not shown or not 0 <= behind < TALLY_BATCH or poll.shown_version > run.version:
        report.problems.append(
            f"poll {poll.id}: the count it shows ({poll.shown_ballots} ballots) is not a batch its ballots "
            f"went through ({run.ballots} ballots counted)"
        )
        return
    total = sum(o.shown_votes for o in options)
    if poll.kind == "MULTIPLE_CHOICE":  # one to max_choices options each
        fits = poll.shown_ballots <= total <= poll.shown_ballots * (poll.max_choices or len(options))
    else:  # every other ballot counts for exactly one option
        fits = total == poll.shown_ballots
    if not fits:
        report.problems.append(
            f"poll {poll.id}: the count it shows gives {total} votes for {poll.shown_ballots} ballots"
        )


async def _funding(report: Report) -> None:
    received: dict[int, int] = defaultdict(int)
    for share_id, amount in await Contribution.all().values_list("share_id", "amount_fen"):
        received[share_id] += amount
    for share in await CostShare.all():
        report.shares += 1
        if share.paid_fen != received[share.id]:
            report.problems.append(
                f"share {share.id}: records {share.paid_fen} fen paid, its contributions add up to {received[share.id]}"
            )


async def _photos(report: Report, photo_dir: str | None) -> None:
    if photo_dir is None:
        return
    store = blobs.store(photo_dir)
    for pk, sha, phone in await Photo.filter(subject_kind__isnull=False).values_list("id", "sha256", "phone_sha256"):
        report.photos += 1
        for name in (sha, phone):
            data = await store.get(name)
            if data is None:
                report.problems.append(f"photo {pk}: its file {name} is missing from {photo_dir}")
            elif blobs.digest(data) != name:
                report.problems.append(f"photo {pk}: its file {name} no longer hashes to its name")


async def verify(secret_key: str, anchor_file: Path | None, photo_dir: str | None = None) -> Report:
    report = Report()
    hashes = await _chains(report)
    installation = await _installation_chain(report)
    if anchor_file is not None:
        _anchors(report, hashes, installation, anchor_file)
    await _tallies(report, secret_key)
    await _funding(report)
    await _photos(report, photo_dir)
    return report
