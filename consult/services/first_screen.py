"""The first screen of a slip link (/i/<code>), drawn by the server before any script runs.

On a weak mobile network every round trip costs seconds, so the page a slip opens carries its
open votes in its HTML: the consultation's title and each open poll's question and choices, all
of them public. Yes/no, single- and multiple-choice votes are a plain form: tapping a choice (or
ticking several and 下一步) redeems the slip and opens the confirmation (`choose`), with no
script needed; a ranked vote's choices are listed, to be put in order once the script is there. Nothing about the
household is shown (not even whether it has voted), and a GET writes nothing but the sign-in
throttle's count, which it shares with redeemInvitation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from consult.domain.vocabulary import PollStatus
from consult.ids import to_global_id
from consult.models import AccountSlip, Consultation, Invitation, Poll, PollOption, VoterRollEntry
from consult.security import invitation_digest, normalize_code
from consult.services.accounts import _attempt, _limited, _succeeded
from consult.services.base import ServiceContext


@dataclass
class FirstPoll:
    id: str
    question: str
    kind: str
    options: list[tuple[str, str]]  # (option id, label), in order
    max_choices: int | None = None


@dataclass
class FirstScreen:
    consultation_id: str
    title: str
    location: str
    polls: list[FirstPoll] = field(default_factory=list)


async def slip_first_screen(ctx: ServiceContext, code: str) -> FirstScreen | None:
    """The open votes a household's slip leads to, or None (not a household's slip, a wrong code,
    too many wrong codes from here, or nothing published yet)."""
    typed = normalize_code(code)
    if not 6 <= len(typed) <= 40:
        return None
    attempt = await _attempt(ctx, f"redeem:{ctx.client_key}", f"redeem-prefix:{typed[:4]}")
    if _limited(ctx, attempt):
        return None
    digest = invitation_digest(ctx.settings.secret_key, code)
    invitation = await Invitation.get_or_none(code_hash=digest, voided_at=None)
    if invitation is None:
        if await AccountSlip.filter(code_hash=digest).exists():
            await _succeeded(attempt)  # a representative's slip: right, but no ballot to show
        return None
    entry = await VoterRollEntry.get_or_none(id=invitation.entry_id, active=True)
    if entry is None:
        return None
    await _succeeded(attempt)
    consultation = await Consultation.get_or_none(id=entry.consultation_id, published=True)
    if consultation is None:
        return None
    screen = FirstScreen(
        consultation_id=to_global_id("Consultation", consultation.id),
        title=consultation.title,
        location=consultation.location,
    )
    polls = await Poll.filter(consultation_id=consultation.id, status=PollStatus.OPEN).order_by("id")
    # The options of every open poll in one query, each poll's in its own order.
    options_of: dict[int, list[PollOption]] = {poll.id: [] for poll in polls}
    for option in await PollOption.filter(poll_id__in=list(options_of)).order_by("position", "id"):
        options_of[option.poll_id].append(option)
    for poll in polls:
        options = options_of[poll.id]
        screen.polls.append(
            FirstPoll(
                id=to_global_id("Poll", poll.id),
                question=poll.question,
                kind=poll.kind,
                max_choices=poll.max_choices,
                options=[(to_global_id("PollOption", o.id), o.label) for o in options],
            )
        )
    return screen
