"""Polls, ballots and tallies."""

from __future__ import annotations

from datetime import datetime

import strawberry

from consult import models
from consult.domain.decision import Count
from consult.domain.ratios import ratio_4
from consult.domain.vocabulary import (
    BallotOrigin,
    DecisionPreset,
    PollKind,
    PollOutcome,
    PollStatus,
    ReceiptStatus,
    Stage,
)
from consult.domain.weights import format_weight
from consult.services.voting import (
    TALLY_BATCH,
    Marks,
    compute_tally,
    effective_status,
    marks_of,
    poll_rule,
    rule_document,
    session_key,
)
from schema.context import Info
from schema.enums import graphql_enum
from schema.pagination import After, Before, First, Last, PageInfo, encode_cursor, paginate
from schema.types import Account, Node, Proposal
from schema.viewer_can import PollViewerCan

graphql_enum(PollKind, description="What kind of question a poll asks.")

graphql_enum(ReceiptStatus, description="What a ballot receipt says when it is checked (Query.receiptStatus).")

graphql_enum(PollStatus, description="Where a poll stands; times move it on by themselves.")

graphql_enum(
    DecisionPreset,
    description=(
        "How a poll decides. Presets fill the numbers: SIMPLE_MAJORITY: more than half of the ballots cast, no "
        "quorum. TWO_THIRDS: at least two thirds of the ballots cast. CIVIL_CODE_278_ORDINARY / CIVIL_CODE_278_MAJOR: "
        "PRC Civil Code art. 278: turnout of at least 2/3 of the eligible by headcount AND by area, and approval by "
        "more than half (ORDINARY) or at least 3/4 (MAJOR) of those taking part, again by headcount AND by area."
    ),
)

graphql_enum(PollOutcome, description="What a poll decided.")

graphql_enum(BallotOrigin, description="How a ballot reached the count.")


@strawberry.type(description="The rule a poll decides by.")
class DecisionRule:
    preset: DecisionPreset = strawberry.field(description="The preset, or CUSTOM.")
    quorum_percent: int = strawberry.field(
        description="Minimum turnout, percent of the electorate by headcount (and by area when byArea); 2/3 shows as 67"
    )
    threshold: str = strawberry.field(
        description='Approval needed, as a fraction string such as "1/2" (strictly more than) or "2/3" (at least)'
    )
    by_area: bool = strawberry.field(description="Count both headcount and area (weights); both must pass")


@strawberry.type(description="One option of a poll.")
class PollOption(Node):
    m: strawberry.Private[models.PollOption]

    @classmethod
    def of(cls, m: models.PollOption) -> PollOption:
        return cls(pk=m.id, m=m)

    @strawberry.field(description="What the option says, e.g. 赞成.")
    def label(self) -> str:
        return self.m.label

    @strawberry.field(description="The proposal this option stands for, if any")
    async def proposal(self, info: Info) -> Proposal | None:
        if self.m.proposal_id is None:
            return None
        p = await info.context.loaders.proposal_by_id.load(self.m.proposal_id)
        return Proposal.of(p) if p else None


@strawberry.type(description="One option's count.")
class OptionTally:
    option: PollOption = strawberry.field(description="The option.")
    votes: int = strawberry.field(description="Ballots for it (first preferences for RANKED).")
    weight: str = strawberry.field(
        description=(
            'Sum of the voters\' weights (area in m²) as a decimal string; "0" when the rule does not count '
            "area (rule.byArea false), and for a secret poll until it closes: areas could name households"
        )
    )


@strawberry.type(description="The count of a poll, kept up to date with every ballot.")
class Tally:
    version: int = strawberry.field(
        description="Increases by one with every accepted ballot change; lets clients drop stale pushes"
    )
    ballots_cast: int = strawberry.field(description="Ballots counted.")
    electorate_size: int = strawberry.field(description="Roll entries that may vote.")
    turnout: str = strawberry.field(description="`ballotsCast` / electorateSize, decimal string with 4 fraction digits")
    options: list[OptionTally] = strawberry.field(description="Per option, in option order.")
    quorum_met: bool = strawberry.field(description="Whether turnout reaches the rule's quorum.")
    outcome: PollOutcome = strawberry.field(description="PENDING until the poll closes.")
    winner: PollOption | None = strawberry.field(description="The winning option of a decided multi-option poll.")
    rounds: list[list[OptionTally]] | None = strawberry.field(
        description="Instant-runoff rounds for RANKED polls, first round first; for a secret poll only once it closes"
    )


@strawberry.type(description="A ballot. In a secret poll only its voter ever sees it.")
class Ballot(Node):
    m: strawberry.Private[models.Ballot]
    named: strawberry.Private[bool]
    show_choices: strawberry.Private[bool] = True

    @classmethod
    def of(cls, m: models.Ballot, named: bool, show_choices: bool = True) -> Ballot:
        return cls(pk=m.id, m=m, named=named, show_choices=show_choices)

    @classmethod
    def for_viewer(cls, info: Info, m: models.Ballot, poll: models.Poll) -> Ballot:
        """A secret ballot's choices are shown only to the session that cast it."""
        key = session_key(info.context.settings.secret_key, info.context.actor.session_id)
        return cls.of(
            m, named=not poll.secret, show_choices=not poll.secret or (key is not None and key == m.session_key)
        )

    @strawberry.field(description="How it reached the count.")
    def origin(self) -> BallotOrigin:
        return BallotOrigin(self.m.origin)

    @strawberry.field(
        description="A voter-held code that proves this ballot was counted, without revealing the voter to others"
    )
    def receipt(self) -> str:
        return self.m.receipt

    def _marks(self, info: Info) -> Marks:
        """What the ballot says, opened from its seal in a secret poll (only its voter gets this far)."""
        return marks_of(info.context.settings.secret_key, self.m)

    @strawberry.field(description="When it was cast (or last replaced).")
    def cast_at(self, info: Info) -> datetime:
        return self._marks(info).cast_at

    @strawberry.field(
        description=(
            "The options chosen, most preferred first; for a secret ballot, empty except on the device that cast it."
        )
    )
    async def choices(self, info: Info) -> list[PollOption]:
        if not self.show_choices:
            return []
        options = {o.id: o for o in await info.context.loaders.options_by_poll.load(self.m.poll_id)}
        return [PollOption.of(options[pk]) for pk in self._marks(info).choices if pk in options]

    @strawberry.field(description="Who voted: named polls only")
    async def voter(self, info: Info) -> Account | None:
        if not self.named or self.m.entry_id is None:
            return None
        entry = await info.context.loaders.roll_entry_by_id.load(self.m.entry_id)
        if entry is None or entry.account_id is None:
            return None
        account = await info.context.loaders.account_by_id.load(entry.account_id)
        return Account.of(account) if account else None


@strawberry.type(description="An edge of a list of ballots.")
class BallotEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: Ballot = strawberry.field(description="The ballot.")


@strawberry.type(description="A page of ballots of a named poll.")
class BallotConnection:
    edges: list[BallotEdge] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")
    total_count: int = strawberry.field(description="How many ballots, over all pages.")


async def build_tally(info: Info, poll: models.Poll, status: str, electorate: Count) -> Tally:
    options = await info.context.loaders.options_by_poll.load(poll.id)
    data = await compute_tally(poll, options, status, electorate, info.context.settings.secret_key)
    # While a secret poll is open, one ballot's area (and a ranked ballot's whole order) would
    # show in the difference between two tallies and could name the household: withheld until the close.
    withhold = poll.secret and status != PollStatus.CLOSED
    # Areas are published only where the rule counts them: in a small poll, the area behind each
    # option of a closed count named the households that chose it.
    area = "0" if withhold or not poll.by_area else None

    def row(i: int, heads: int, weight: int) -> OptionTally:
        return OptionTally(option=PollOption.of(options[i]), votes=heads, weight=area or format_weight(weight))

    return Tally(
        version=data.version,
        ballots_cast=data.ballots_cast,
        electorate_size=electorate.heads,
        turnout=ratio_4(data.ballots_cast, electorate.heads),
        options=[row(i, c.heads, c.weight) for i, c in enumerate(data.counts)],
        quorum_met=data.quorum_met,
        outcome=PollOutcome(data.outcome),
        winner=PollOption.of(options[data.winner]) if data.winner is not None else None,
        rounds=[[row(i, h, w) for i, (h, w) in enumerate(r)] for r in data.rounds]
        if data.rounds is not None and not withhold
        else None,
    )


@strawberry.type(description="A question put to the voter roll.")
class Poll(Node):
    m: strawberry.Private[models.Poll]

    @classmethod
    def of(cls, m: models.Poll) -> Poll:
        return cls(pk=m.id, m=m)

    async def _stage(self, info: Info) -> str:
        consultation = await info.context.loaders.consultation_by_id.load(self.m.consultation_id)
        return consultation.stage if consultation else Stage.ARCHIVED

    async def _community(self, info: Info) -> int | None:
        consultation = await info.context.loaders.consultation_by_id.load(self.m.consultation_id)
        return consultation.community_id if consultation else None

    async def _status(self, info: Info) -> str:
        return effective_status(self.m, await self._stage(info), info.context.now())

    async def _electorate(self, info: Info, status: str) -> Count:
        if self.m.status != PollStatus.SCHEDULED or status == PollStatus.CLOSED:
            return Count(self.m.electorate_size, self.m.electorate_weight_e4)
        # Not opened yet: the roll as it stands now is what the electorate would be.
        entries = await info.context.loaders.roll_by_consultation.load(self.m.consultation_id)
        return Count(len(entries), sum(e.weight_e4 for e in entries))

    async def _own_ballot(self, info: Info) -> models.Ballot | None:
        ctx = info.context
        if ctx.actor.account_id is None:
            return None
        ballot: models.Ballot | None = await ctx.loaders.own_ballots(ctx.settings.secret_key).load(self.m.id)
        return ballot

    @strawberry.field(description="The question, in plain words.")
    def question(self) -> str:
        return self.m.question

    @strawberry.field(description="What kind of question it is.")
    def kind(self) -> PollKind:
        return PollKind(self.m.kind)

    @strawberry.field(description="Where it stands now, by the clock.")
    async def status(self, info: Info) -> PollStatus:
        return PollStatus(await self._status(info))

    @strawberry.field(description="The options, in order.")
    async def options(self, info: Info) -> list[PollOption]:
        return [PollOption.of(o) for o in await info.context.loaders.options_by_poll.load(self.m.id)]

    @strawberry.field(description="For MULTIPLE_CHOICE: how many options a voter may choose.")
    def max_choices(self) -> int | None:
        return self.m.max_choices

    @strawberry.field(description="When it opens by itself, if set.")
    def opens_at(self) -> datetime | None:
        return self.m.opens_at

    @strawberry.field(description="When it closes by itself, if set.")
    def closes_at(self) -> datetime | None:
        return self.m.closes_at

    @strawberry.field(description="Secret ballot (无记名): no one, organizers included, can learn who chose what")
    def secret(self) -> bool:
        return self.m.secret

    @strawberry.field(description="Voters may change their ballot until the poll closes")
    def allow_revote(self) -> bool:
        return self.m.allow_revote

    @strawberry.field(description="Show running results while open; otherwise the tally is hidden until CLOSED")
    def live_results(self) -> bool:
        return self.m.live_results

    @strawberry.field(
        description=(
            "While open, the count moves only when this many new ballots are in (revotes are shown with them), so "
            "that no change "
            "in it is one household's; null where it moves with each ballot (named polls) or is not shown to the "
            "viewer (results hidden until the close)."
        )
    )
    async def tally_batch(self, info: Info) -> int | None:
        shown = self.m.live_results or info.context.may("tally.read_hidden", community=await self._community(info))
        return TALLY_BATCH if self.m.secret and shown else None

    @strawberry.field(description="The rule it decides by.")
    def rule(self) -> DecisionRule:
        rule = rule_document(poll_rule(self.m))
        return DecisionRule(
            preset=DecisionPreset(rule["preset"]),
            quorum_percent=rule["quorumPercent"],
            threshold=rule["threshold"],
            by_area=rule["byArea"],
        )

    @strawberry.field(description="Roll entries that may vote: fixed when the poll opens.")
    async def electorate_size(self, info: Info) -> int:
        return (await self._electorate(info, await self._status(info))).heads

    @strawberry.field(description="Null while results are hidden from the viewer")
    async def tally(self, info: Info) -> Tally | None:
        return await self.visible_tally(info)

    async def visible_tally(self, info: Info) -> Tally | None:
        status = await self._status(info)
        if (
            not self.m.live_results
            and status != PollStatus.CLOSED
            and not info.context.may("tally.read_hidden", community=await self._community(info))
        ):
            return None
        return await build_tally(info, self.m, status, await self._electorate(info, status))

    @strawberry.field(description="The viewer's own ballot, if they voted")
    async def my_ballot(self, info: Info) -> Ballot | None:
        ballot = await self._own_ballot(info)
        return Ballot.for_viewer(info, ballot, self.m) if ballot else None

    @strawberry.field(description="What the viewer may do with this poll now, action by action.")
    async def viewer_can(self, info: Info) -> PollViewerCan:
        return PollViewerCan(m=self.m, stage=await self._stage(info), community=await self._community(info))

    @strawberry.field(description="Whether the viewer may vote now")
    async def viewer_can_vote(self, info: Info) -> bool:
        if await self._status(info) != PollStatus.OPEN or await self._stage(info) != Stage.VOTING:
            return False
        if self.m.status == PollStatus.SCHEDULED:
            # Opened by the clock and not written down yet: no ballot exists, and the electorate
            # will be the roll as it stands (as electorateSize already shows).
            household = await info.context.loaders.household_by_consultation.load(self.m.consultation_id)
            return household is not None
        elector = await info.context.loaders.elector_by_poll_for_viewer.load(self.m.id)
        if elector is None:
            return False
        ballot = await self._own_ballot(info)
        return ballot is None or (self.m.allow_revote and ballot.origin == BallotOrigin.ONLINE)

    @strawberry.field(description="Named (non-secret) polls only, for organizers and CPPCC members")
    async def ballots(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> BallotConnection | None:
        if self.m.secret or not info.context.may("ballots.read_named", community=await self._community(info)):
            return None
        page = await paginate(models.Ballot.filter(poll_id=self.m.id), first, after, last=last, before=before)
        return BallotConnection(
            edges=[BallotEdge(cursor=encode_cursor(b.pk), node=Ballot.of(b, named=True)) for b in page.rows],
            page_info=page.page_info(),
            total_count=page.total,
        )
