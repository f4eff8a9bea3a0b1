"""Mutation root: each resolver maps its input, calls one service and maps the result or error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry
from strawberry.file_uploads import Upload

from consult import metrics
from consult.errors import DomainError, RowErrors
from consult.security import clear_session_cookies, set_session_cookies
from consult.services import (
    accounts,
    archive,
    consultations,
    costs,
    demands,
    evaluation,
    proposals,
    representatives,
    roll,
    supervision,
    voting,
)
from consult.services import photos as photo_service
from schema.areas import AreaMutation
from schema.context import Info
from schema.errors import UserError, errors_field, user_error
from schema.photos import Photo, upload
from schema.reminders import ReminderMutation
from schema.scalars import Money
from schema.supervision import (
    EvaluationSummary,
    Finding,
    FindingCategory,
    FindingStatus,
    FollowUp,
    Inspection,
    Milestone,
    MilestoneKind,
    Rating,
)
from schema.types import (
    Account,
    Consultation,
    CostPlan,
    CostShare,
    Demand,
    DemandChannel,
    DemandStatus,
    Invitation,
    Party,
    PartyKind,
    Proposal,
    ProposalStatus,
    ReissueRequest,
    Responsibility,
    Role,
    SplitMethod,
    Stage,
    VoterRollEntry,
    invitation_link,
    public_base_url,
    qr_svg,
)
from schema.voting import Ballot, BallotOrigin, DecisionPreset, Poll, PollKind, Tally

if TYPE_CHECKING:
    from schema.query import ViewerSession

T = TypeVar("T")


async def call(info: Info, fn: Callable[..., Awaitable[T]], **kwargs: Any) -> tuple[T | None, list[UserError]]:
    if info.context.websocket:
        # Writes go over HTTP, where sessions, cookies and rate limits apply per request.
        failures: list[DomainError] = [DomainError("FORBIDDEN", "http_only")]
    else:
        try:
            return await fn(info.context.service(), **kwargs), []
        except RowErrors as several:
            # A table's every bad row, so that all of them are fixed in one go.
            failures = list(several.errors)
        except DomainError as error:
            failures = [error]
    metrics.errors("user", (failure.code for failure in failures))
    return None, [user_error(failure, info.context.lang) for failure in failures]


# ---------------------------------------------------------------- inputs and payloads


@strawberry.input(description="Sign in with a username and password.")
class LoginInput:
    username: str = strawberry.field(description="The account's username (3–64 letters, digits, `.`, `_` or `-`).")
    password: str = strawberry.field(
        description="The account's password. Repeated failures from one client get RATE_LIMITED."
    )


@strawberry.input(description="The password now, and the one to replace it.")
class ChangePasswordInput:
    current_password: str = strawberry.field(
        description="The password in use now; a wrong one is INVALID, and repeated wrong ones RATE_LIMITED."
    )
    new_password: str = strawberry.field(
        description=(
            "The new password: 8–256 characters, hard to guess (not the username or name shown), and not the "
            "current one."
        )
    )


@strawberry.input(description="The code from a printed invitation slip (or its QR link).")
class RedeemInvitationInput:
    code: str = strawberry.field(
        description="The invitation code as printed, e.g. ABCD-EFGH-JKMN; case, spaces and dashes do not matter."
    )


@strawberry.type(
    description="A new session: send the token as `Authorization: Bearer <token>`; browsers also get a cookie."
)
class AuthPayload:
    token: str | None = strawberry.field(description="The bearer token; shown once.")
    viewer: Account | None = strawberry.field(description="Who is now signed in.")
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")
    consultation: Consultation | None = strawberry.field(
        default=None,
        description=(
            "For a redeemed invitation, the consultation the slip belongs to, so the phone can open it at once. "
            "Everything selected here is resolved as the one now signed in (viewerCanVote, myBallot…), so a "
            "page can draw itself from this answer without asking again."
        ),
    )
    session: Annotated[ViewerSession, strawberry.lazy("schema.query")] | None = strawberry.field(
        default=None, description="The new session, as Query.viewerSession would show it (a slip used before…)."
    )


@strawberry.input(description="A new party.")
class CreatePartyInput:
    name: str = strawberry.field(
        description="The party's name as people know it (up to 200 characters), e.g. 菜园市场."
    )
    kind: PartyKind = strawberry.field(description="What kind of party it is (参与方类别).")
    contact: str | None = strawberry.field(
        default=None, description="How to reach the party (up to 200 characters); shown to organizers only."
    )
    representative: NewRepresentativeInput | None = strawberry.field(
        default=None,
        description="Its representative, added in the same step with a slip to print (organizers); all or nothing.",
    )


@strawberry.input(description="A representative added with their party, who signs in with a printed slip.")
class NewRepresentativeInput:
    display_name: str = strawberry.field(description="As people will see it, e.g. 菜园市场 张经理.")
    phone: str | None = strawberry.field(default=None, description="How to reach them; organizers only.")


@strawberry.type(description="The party created, or why not.")
class PartyPayload:
    party: Party | None = strawberry.field(description="The party created; null when `errors` is not empty.")
    errors: list[UserError] = errors_field()
    slip: RepresentativeSlip | None = strawberry.field(
        default=None, description="The representative's slip, when one was added with the party; shown once."
    )


@strawberry.input(description="A new account with a password. Organizers may not create admins or organizers.")
class CreateAccountInput:
    username: str = strawberry.field(description="The sign-in name: 3–64 letters, digits, `.`, `_` or `-`; unique.")
    password: str = strawberry.field(
        description=(
            "The first password: 8–256 characters, hard to guess. Its holder should change it with changePassword."
        )
    )
    display_name: str = strawberry.field(
        description="The name people see (up to 100 characters); unique among accounts."
    )
    roles: list[Role] = strawberry.field(
        description=(
            "At least one role (角色). Organizers may give only PARTY_REP and RESIDENT (FORBIDDEN otherwise); "
            "admins any."
        )
    )
    party_id: strawberry.ID | None = strawberry.field(
        default=None, description="The party a PARTY_REP account speaks for; required with that role."
    )
    area_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description=(
            "Where a staff account acts (each within the creator's own areas); left out, the creator's areas. "
            "Only for ADMIN, ORGANIZER and CPPCC_MEMBER accounts."
        ),
    )


@strawberry.type(description="The account created, or why not.")
class AccountPayload:
    account: Account | None = strawberry.field(description="The account; null when `errors` is not empty.")
    errors: list[UserError] = errors_field()


@strawberry.input(description="A new consultation, created in DRAFT.")
class CreateConsultationInput:
    title: str = strawberry.field(description="A short title (up to 200 characters), e.g. 菜园巷改造.")
    summary: str = strawberry.field(description="What it is about, for residents (up to 10,000 characters).")
    location: str = strawberry.field(description="Where (up to 200 characters), e.g. a lane or a building.")
    party_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Parties taking part from the start (at most 100, no repeats); more can be added later.",
    )
    convener_id: strawberry.ID | None = strawberry.field(
        default=None, description="The CPPCC member who convenes it; they may then move its stages on."
    )
    photo_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="现场照片: photos of the place from uploadPhoto (at most 6)."
    )
    help_phone: str | None = strawberry.field(
        default=None, description="The number residents call for help, printed on every invitation slip."
    )
    community_id: strawberry.ID | None = strawberry.field(
        default=None,
        description=(
            "The community (社区/村) it belongs to: one the viewer's areas reach (FORBIDDEN otherwise); left out, "
            "the first community they reach."
        ),
    )


@strawberry.input(description="The number printed on a consultation's invitation slips; null or empty clears it.")
class SetHelpPhoneInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation, by its global ID.")
    help_phone: str | None = strawberry.field(
        default=None,
        description=(
            "A phone number as people write it (digits, spaces, brackets, dashes, a leading +; up to 30 "
            "characters); null or empty clears it."
        ),
    )


@strawberry.input(description="Photos of the place (现场照片) to add to a consultation.")
class AddConsultationPhotosInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation, by its global ID.")
    photo_ids: list[strawberry.ID] = strawberry.field(description="From uploadPhoto; at most 6 per consultation.")


@strawberry.input(description="Add a party to a consultation.")
class AddPartyInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation, by its global ID.")
    party_id: strawberry.ID = strawberry.field(description="The party to add; one already taking part is a CONFLICT.")


@strawberry.input(description="Move a consultation to another stage; `note` is required to cancel.")
class AdvanceStageInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation, by its global ID.")
    to: Stage = strawberry.field(
        description="The stage to move to: a later one (only COLLECTING and VOTING may be skipped), or CANCELLED."
    )
    note: str | None = strawberry.field(
        default=None, description="Why (up to 2,000 characters), kept in the stage history; required to cancel."
    )


@strawberry.type(description="The consultation after the change, or why not.")
class ConsultationPayload:
    consultation: Consultation | None = strawberry.field(
        description="The consultation as it now stands; null when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.input(description="Raise a demand. The channel defaults from the submitter's role.")
class SubmitDemandInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation, which must be COLLECTING.")
    title: str = strawberry.field(description="The demand in a few words (up to 200 characters).")
    body: str = strawberry.field(description="The details (up to 10,000 characters).")
    channel: DemandChannel | None = strawberry.field(
        default=None,
        description=(
            "Where it came in from (诉求来源); each role may use only its own channels, and by default its own "
            "(residents RESIDENT, CPPCC members CPPCC_MEMBER, organizers HOTLINE, admins OTHER). Another is "
            "FORBIDDEN."
        ),
    )
    photo_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="随手拍: photos from uploadPhoto to go with it (at most 6), in the order to show them.",
    )


@strawberry.input(description="Support a demand; supporting twice counts once.")
class SupportDemandInput:
    demand_id: strawberry.ID = strawberry.field(description="The demand to support, by its global ID.")


@strawberry.input(description="Triage a demand; `mergedIntoId` is required for MERGED.")
class SetDemandStatusInput:
    demand_id: strawberry.ID = strawberry.field(description="The demand to triage, by its global ID.")
    status: DemandStatus = strawberry.field(description="ACCEPTED (受理), REJECTED, MERGED, or OPEN again.")
    merged_into_id: strawberry.ID | None = strawberry.field(
        default=None,
        description=(
            "With MERGED only: the demand of the same consultation it duplicates (not itself, not one merged already)."
        ),
    )


@strawberry.type(description="The demand after the change, or why not.")
class DemandPayload:
    demand: Demand | None = strawberry.field(
        description="The demand as it now stands; null when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.input(description="列责任单: record what a taking-part party answers for.")
class AssignResponsibilityInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation, DELIBERATING or VOTING.")
    party_id: strawberry.ID = strawberry.field(
        description="The party that answers for it; it must take part in the consultation."
    )
    duty: str = strawberry.field(description="What it answers for (up to 2,000 characters).")
    due_at: datetime | None = strawberry.field(default=None, description="By when, if there is a deadline.")


@strawberry.type(description="The responsibility recorded, or why not.")
class ResponsibilityPayload:
    responsibility: Responsibility | None = strawberry.field(
        description="The responsibility recorded; null when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.input(description="A new proposal with its budget; it starts as DRAFT.")
class CreateProposalInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation, DELIBERATING or VOTING.")
    title: str = strawberry.field(description="A short title (up to 200 characters).")
    body: str = strawberry.field(description="The plan in full (up to 20,000 characters).")
    budget: Money = strawberry.field(description="What it costs in total, in yuan.")


@strawberry.input(
    description="Edit a proposal, or move it: DRAFT ⇄ TABLED, → WITHDRAWN, or (organizers) TABLED → REJECTED."
)
class UpdateProposalInput:
    proposal_id: strawberry.ID = strawberry.field(description="The proposal, by its global ID.")
    title: str | None = strawberry.field(
        default=None, description="A new title (up to 200 characters); left out, unchanged."
    )
    body: str | None = strawberry.field(
        default=None, description="A new text (up to 20,000 characters); left out, unchanged."
    )
    budget: Money | None = strawberry.field(default=None, description="A new budget in yuan; left out, unchanged.")
    status: ProposalStatus | None = strawberry.field(
        default=None,
        description=(
            "Where to move it: TABLED, DRAFT, WITHDRAWN, or (organizers) REJECTED; left out, unchanged. Title, "
            "body and budget change only while DRAFT or TABLED."
        ),
    )


@strawberry.input(description="Adopt a proposal; any previously adopted one goes back to TABLED.")
class AdoptProposalInput:
    proposal_id: strawberry.ID = strawberry.field(
        description="The proposal to adopt; a withdrawn or rejected one cannot be."
    )


@strawberry.type(description="The proposal after the change, or why not.")
class ProposalPayload:
    proposal: Proposal | None = strawberry.field(
        description="The proposal as it now stands; null when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.input(description="One household or person of the roll.")
class VoterInput:
    label: str = strawberry.field(
        description=(
            "The household or person as organizers know it, e.g. 3号楼2单元501 (up to 100 characters); shown on its "
            "invitation slip."
        )
    )
    weight: str | None = strawberry.field(
        default=None,
        description=(
            "Area in m² as a decimal string. Left out, the household counts as one head (1), unless a poll "
            "still to open counts area: then it is refused (voters.N.weight), never counted as 1 m²."
        ),
    )


@strawberry.input(description="The whole roll; it replaces the previous one.")
class SetVoterRollInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation, by its global ID.")
    voters: list[VoterInput] = strawberry.field(
        description="Every entry of the new roll (at most 200,000); entries kept by label keep their invitations."
    )


@strawberry.type(description="The roll as it now stands, or why not.")
class VoterRollPayload:
    entries: list[VoterRollEntry] = strawberry.field(
        description="The roll as it now stands; empty when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.input(description="A party's representative who signs in with a printed slip, not a password.")
class CreateRepresentativeInput:
    party_id: strawberry.ID = strawberry.field(description="The party they speak for.")
    display_name: str = strawberry.field(description="As people will see it, e.g. 菜园市场 张经理.")
    phone: str | None = strawberry.field(default=None, description="How to reach them; organizers only.")


@strawberry.input(description="A new slip for a representative whose slip was lost.")
class IssueRepresentativeSlipInput:
    account_id: strawberry.ID = strawberry.field(description="The representative's account, by its global ID.")


@strawberry.type(description="A representative's slip to print. The code is shown once, when issued.")
class RepresentativeSlip:
    account: Account = strawberry.field(description="The representative.")
    party: Party = strawberry.field(description="The party the slip signs them in for.")
    code: str = strawberry.field(description="The code to print, e.g. ABCD-EFGH-JKMN.")
    base_url: strawberry.Private[str] = ""

    @classmethod
    def of(cls, info: Info, account: Any, party: Any, code: str) -> RepresentativeSlip:
        """A slip just issued (account and party rows), with links to this server."""
        return cls(account=Account.of(account), party=Party.of(party), code=code, base_url=public_base_url(info))

    @strawberry.field(description="The link a phone opens to sign in: <server>/i/<code>.")
    def link(self) -> str:
        return invitation_link(self.base_url, self.code)

    @strawberry.field(description="The link as a QR code, an SVG document to print on the slip.")
    def qr_svg(self) -> str:
        return qr_svg(invitation_link(self.base_url, self.code))


@strawberry.type(description="The representative's slip, or why not.")
class RepresentativeSlipPayload:
    slip: RepresentativeSlip | None = strawberry.field(
        description="The slip to print; null when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.input(description="Issue a fresh invitation code for every roll entry.")
class IssueInvitationsInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation, by its global ID.")


@strawberry.type(description="The codes to print, one per roll entry, or why not.")
class InvitationsPayload:
    invitations: list[Invitation] = strawberry.field(
        description="One new code per roll entry that has not signed in yet; empty when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.input(description="Ask for a new slip for a household that already signed in.")
class RequestReissueInput:
    voter_entry_id: strawberry.ID = strawberry.field(description="The roll entry (household) that needs a new slip.")
    reason: str = strawberry.field(description="Why: a lost phone, a changed number... (up to 500 characters).")


@strawberry.type(description="The request, waiting for a second person, or why not.")
class ReissueRequestPayload:
    request: ReissueRequest | None = strawberry.field(
        description="The request, waiting for approval; null when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.input(description="Approve a request for a new slip.")
class ApproveReissueInput:
    request_id: strawberry.ID = strawberry.field(description="The request, by its global ID.")


@strawberry.type(description="The approved request and the new code to print, shown once, or why not.")
class ApproveReissuePayload:
    request: ReissueRequest | None = strawberry.field(
        description="The request, now approved; null when `errors` is not empty."
    )
    invitation: Invitation | None = strawberry.field(
        description="The new code for the household, shown only in this answer; null when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.input(description="One party's line of a cost plan; which value counts depends on the method.")
class ShareInput:
    party_id: strawberry.ID = strawberry.field(
        description="The party paying this share; it must take part in the consultation, once per plan."
    )
    amount: Money | None = strawberry.field(default=None, description="FIXED: the party's amount.")
    percent: str | None = strawberry.field(
        default=None, description='PERCENT: e.g. "33.3333"; all add up to exactly 100.'
    )
    weight: str | None = strawberry.field(
        default=None, description="WEIGHTED: a positive weight, e.g. households or frontage metres."
    )


@strawberry.input(description="Replace a proposal's cost plan; every confirmation is cleared.")
class SetCostPlanInput:
    proposal_id: strawberry.ID = strawberry.field(
        description="The proposal whose plan this is; not a withdrawn or rejected one."
    )
    total: Money = strawberry.field(
        description="The whole cost in yuan, split among the shares exactly (largest remainder, to the fen)."
    )
    method: SplitMethod = strawberry.field(
        description="How the total is split (分摊方式): EQUAL, FIXED, PERCENT or WEIGHTED."
    )
    shares: list[ShareInput] = strawberry.field(description="One line per paying party (at most 100).")


@strawberry.type(description="The proposal and its new cost plan, or why not.")
class CostPlanPayload:
    proposal: Proposal | None = strawberry.field(description="The proposal; null when `errors` is not empty.")
    cost_plan: CostPlan | None = strawberry.field(
        description="The new plan, every share unconfirmed; null when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.input(description="签协议: confirm a share, as the party's representative or an organizer on its behalf.")
class ConfirmShareInput:
    share_id: strawberry.ID = strawberry.field(description="The share to confirm, by its global ID.")


@strawberry.input(description="Money received against a share.")
class RecordContributionInput:
    share_id: strawberry.ID = strawberry.field(description="The share paid into, by its global ID.")
    amount: Money = strawberry.field(
        description="How much was received, in yuan; more than is still outstanding is INVALID."
    )
    received_at: datetime = strawberry.field(description="When the money arrived.")
    note: str | None = strawberry.field(
        default=None, description="A note, e.g. a receipt number (up to 2,000 characters)."
    )


@strawberry.type(description="The share after the change, or why not.")
class CostSharePayload:
    share: CostShare | None = strawberry.field(
        description="The share as it now stands; null when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.input(description="A new poll. Defaults: secret, revote allowed, live results, simple majority.")
class CreatePollInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation, DELIBERATING or VOTING.")
    question: str = strawberry.field(description="What is asked (up to 500 characters).")
    kind: PollKind = strawberry.field(description="How ballots are marked (投票方式).")
    options: list[str] | None = strawberry.field(
        default=None, description="labels for SINGLE_CHOICE, MULTIPLE_CHOICE and RANKED"
    )
    proposal_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="proposals the options stand for, in the same order as options"
    )
    max_choices: int | None = strawberry.field(
        default=None,
        description=(
            "MULTIPLE_CHOICE: how many options a ballot may pick, 1 to all (the default). Other kinds: 1 or left out."
        ),
    )
    opens_at: datetime | None = strawberry.field(
        default=None,
        description=(
            "When it opens by itself once the consultation is VOTING; left out, an organizer opens it with openPoll."
        ),
    )
    closes_at: datetime | None = strawberry.field(
        default=None,
        description=(
            "When it closes by itself: after opensAt and in the future; left out, an organizer closes it with "
            "closePoll."
        ),
    )
    secret: bool | None = strawberry.field(
        default=True,
        description="Secret ballot (无记名): no one, organizers included, can learn who chose what. Default true.",
    )
    allow_revote: bool | None = strawberry.field(
        default=True, description="A voter may vote again until the close, replacing their ballot. Default true."
    )
    live_results: bool | None = strawberry.field(
        default=True,
        description=(
            "The tally is shown while the poll is open; false hides it until the close (admins excepted). Default true."
        ),
    )
    preset: DecisionPreset | None = strawberry.field(
        default=DecisionPreset.SIMPLE_MAJORITY, description="The decision rule (表决规则). Default SIMPLE_MAJORITY."
    )
    quorum_percent: int | None = strawberry.field(default=None, description="with preset CUSTOM only")
    threshold: str | None = strawberry.field(default=None, description="with preset CUSTOM only")
    by_area: bool | None = strawberry.field(default=None, description="with preset CUSTOM only")


@strawberry.input(description="Which poll.")
class PollIdInput:
    poll_id: strawberry.ID = strawberry.field(description="The poll, by its global ID.")


@strawberry.type(description="The poll after the change, or why not.")
class PollPayload:
    poll: Poll | None = strawberry.field(description="The poll as it now stands; null when `errors` is not empty.")
    errors: list[UserError] = errors_field()


@strawberry.input(description="A ballot.")
class CastVoteInput:
    poll_id: strawberry.ID = strawberry.field(description="The poll, which must be OPEN.")
    choices: list[strawberry.ID] = strawberry.field(
        description="option ids; for YES_NO_ABSTAIN exactly one; for RANKED all ranked options, most preferred first"
    )


@strawberry.input(description="A paper or assisted ballot entered by an organizer.")
class RecordOfflineBallotInput:
    poll_id: strawberry.ID = strawberry.field(description="The poll, which must be OPEN.")
    voter_entry_id: strawberry.ID = strawberry.field(
        description="The roll entry the ballot is for; it must be in the poll's electorate and not have voted."
    )
    choices: list[strawberry.ID] = strawberry.field(description="Option IDs, as for castVote.")
    origin: BallotOrigin = strawberry.field(description="PAPER or ASSISTED")
    note: str | None = strawberry.field(
        default=None, description="E.g. who helped, or where the paper ballot is kept (up to 1,000 characters)."
    )


@strawberry.type(
    description="The ballot and the tally after it, or why not. The tally is null while results are hidden."
)
class VotePayload:
    ballot: Ballot | None = strawberry.field(description="The ballot counted; null when `errors` is not empty.")
    tally: Tally | None = strawberry.field(
        description="The count after this ballot; null while results are hidden from the viewer, or on error."
    )
    errors: list[UserError] = errors_field()


@strawberry.input(description="A new step of the works.")
class AddMilestoneInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation, AGREED or IMPLEMENTING.")
    title: str = strawberry.field(description="What is to be done (up to 200 characters).")
    kind: MilestoneKind = strawberry.field(description="What kind of step it is (节点类别).")
    responsible_party_id: strawberry.ID | None = strawberry.field(
        default=None, description="The party that carries it out, if one does; it must take part in the consultation."
    )
    planned_start: datetime | None = strawberry.field(default=None, description="When it should start, if known.")
    planned_end: datetime = strawberry.field(
        description="The deadline (定时限): when it should be done; not before plannedStart."
    )


@strawberry.input(description="A progress report; every report is kept.")
class UpdateMilestoneInput:
    milestone_id: strawberry.ID = strawberry.field(description="The milestone, by its global ID.")
    progress: int | None = strawberry.field(default=None, description="Percent done, 0 to 100; left out, unchanged.")
    actual_start: datetime | None = strawberry.field(
        default=None, description="When work really started; left out, unchanged."
    )
    actual_end: datetime | None = strawberry.field(
        default=None, description="When work really ended; not before the start. Left out, unchanged."
    )
    note: str | None = strawberry.field(default=None, description="What happened (up to 2,000 characters).")
    photo_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Photos from uploadPhoto that show the progress (at most 6)."
    )


@strawberry.type(description="The milestone after the change, or why not.")
class MilestonePayload:
    milestone: Milestone | None = strawberry.field(
        description="The milestone as it now stands; null when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.input(description="A problem with its five fixed things (五定).")
class FindingInput:
    category: FindingCategory = strawberry.field(description="What kind of problem (问题类别).")
    description: str = strawberry.field(description="定问题: the problem (up to 5,000 characters).")
    responsible_party_id: strawberry.ID = strawberry.field(
        description="定责任: the party that must fix it; it must take part in the consultation."
    )
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="定人员: the account of the person who sees to it, if named."
    )
    due_at: datetime = strawberry.field(description="定时限: by when it is to be fixed.")
    expected_outcome: str = strawberry.field(description="定标准: what counts as fixed (up to 5,000 characters).")
    photo_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Photos from uploadPhoto that show the problem (at most 6)."
    )


@strawberry.input(description="A CPPCC member's visit, with the problems it found.")
class RecordInspectionInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation, AGREED or IMPLEMENTING.")
    milestone_id: strawberry.ID | None = strawberry.field(
        default=None, description="The milestone the visit looked at, if one."
    )
    visited_at: datetime = strawberry.field(description="When the visit took place.")
    notes: str = strawberry.field(description="What was seen (up to 10,000 characters).")
    findings: list[FindingInput] | None = strawberry.field(
        default=None, description="The problems found, each opened as a finding (at most 100)."
    )


@strawberry.type(description="The inspection recorded, or why not.")
class InspectionPayload:
    inspection: Inspection | None = strawberry.field(
        description="The inspection recorded; null when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.input(
    description=(
        "RESOLVED (with a resolution) by the responsible party or organizers; VERIFIED or REOPENED by CPPCC members."
    )
)
class UpdateFindingInput:
    finding_id: strawberry.ID = strawberry.field(description="The finding, by its global ID.")
    status: FindingStatus = strawberry.field(description="RESOLVED, VERIFIED or REOPENED; any other move is INVALID.")
    resolution: str | None = strawberry.field(
        default=None,
        description="How it was fixed (required for RESOLVED), or why it is reopened (required for REOPENED).",
    )
    photo_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Photos from uploadPhoto: the fix (RESOLVED), or what is still wrong (REOPENED); at most 6.",
    )


@strawberry.type(description="The finding after the change, or why not.")
class FindingPayload:
    finding: Finding | None = strawberry.field(
        description="The finding as it now stands; null when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.type(description="The photo kept, or why not.")
class PhotoPayload:
    photo: Photo | None = strawberry.field(description="The photo kept; null when `errors` is not empty.")
    errors: list[UserError] = errors_field()


@strawberry.input(description="A household's rating, 1 to 5; rating again replaces it.")
class RateOutcomeInput:
    consultation_id: strawberry.ID = strawberry.field(
        description="The consultation, EVALUATING; the viewer's household must be on its roll."
    )
    score: int = strawberry.field(description="1 (very dissatisfied) to 5 (very satisfied).")
    comment: str | None = strawberry.field(
        default=None, description="What the household thinks (up to 2,000 characters)."
    )


@strawberry.type(description="The rating and the summary after it, or why not.")
class RatingPayload:
    rating: Rating | None = strawberry.field(description="The household's rating; null when `errors` is not empty.")
    evaluation: EvaluationSummary | None = strawberry.field(
        description="The consultation's summary after this rating; null when `errors` is not empty."
    )
    errors: list[UserError] = errors_field()


@strawberry.input(description="跟踪回访: a follow-up visit.")
class RecordFollowUpInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation, IMPLEMENTING or EVALUATING.")
    at: datetime = strawberry.field(description="When the visit took place.")
    notes: str = strawberry.field(description="What was heard and seen (up to 10,000 characters).")


@strawberry.type(description="The follow-up recorded, or why not.")
class FollowUpPayload:
    follow_up: FollowUp | None = strawberry.field(description="The visit recorded; null when `errors` is not empty.")
    errors: list[UserError] = errors_field()


@strawberry.input(description="Seal an EVALUATING consultation into its dossier.")
class ArchiveInput:
    consultation_id: strawberry.ID = strawberry.field(
        description="The consultation, EVALUATING, every finding verified."
    )
    note: str | None = strawberry.field(
        default=None, description="A closing note for the dossier (up to 2,000 characters)."
    )


# ---------------------------------------------------------------- helpers for sessions


def _set_session_cookie(info: Info, token: str, max_age: int) -> None:
    set_session_cookies(info.context.response, token, max_age=max_age, secure=info.context.settings.cookie_secure)


async def _auth_payload(info: Info, login: accounts.Login | None, errors: list[UserError]) -> AuthPayload:
    if login is None:
        return AuthPayload(token=None, viewer=None, errors=errors)
    lifetime = int((login.session.expires_at - login.session.created_at).total_seconds())
    _set_session_cookie(info, login.token, lifetime)
    # The rest of the answer is resolved as the one now signed in.
    from consult.services.accounts import actor_for_token
    from schema.loaders import Loaders
    from schema.query import ViewerSession

    actor = await actor_for_token(login.token, info.context.now())
    session = None
    if actor is not None:
        info.context.actor, info.context.token, info.context.loaders = actor, login.token, Loaders(actor.account_id)
        session = ViewerSession(slip_used_before=actor.slip_used_at, moved_slip=actor.reissued)
    consultation = None
    if login.consultation_id is not None:
        from consult.models import Consultation as ConsultationModel

        # A slip handed out before the consultation is published opens nothing yet.
        found = await ConsultationModel.get_or_none(id=login.consultation_id, published=True)
        consultation = Consultation.of(found) if found else None
    return AuthPayload(
        token=login.token, viewer=Account.of(login.account), errors=[], consultation=consultation, session=session
    )


async def _vote_payload(info: Info, cast: voting.Cast | None, errors: list[UserError]) -> VotePayload:
    if cast is None:
        return VotePayload(ballot=None, tally=None, errors=errors)
    # The answer shows the tally as this ballot left it, from what the write already holds.
    loaders = info.context.loaders
    loaders.consultation_by_id.prime(cast.consultation.id, cast.consultation, force=True)
    loaders.options_by_poll.prime(cast.poll.id, cast.options, force=True)
    poll = Poll.of(cast.poll)
    return VotePayload(
        ballot=Ballot.of(cast.ballot, named=not cast.poll.secret), tally=await poll.visible_tally(info), errors=[]
    )


def _slip_payload(
    info: Info, issued: representatives.IssuedSlip | None, errors: list[UserError]
) -> RepresentativeSlipPayload:
    if issued is None:
        return RepresentativeSlipPayload(slip=None, errors=errors)
    return RepresentativeSlipPayload(
        slip=RepresentativeSlip.of(info, issued.account, issued.party, issued.code), errors=errors
    )


@strawberry.type(
    description=(
        "Change things. Every mutation is one transaction: on any error nothing is written. Expected failures "
        "come back in the payload's `errors` (see ErrorCode), never as top-level GraphQL errors, which are for "
        "malformed documents and server faults. Writes go over HTTP: one sent over a WebSocket is FORBIDDEN."
    )
)
class Mutation(AreaMutation, ReminderMutation):
    @strawberry.mutation(
        description=(
            "Sign in with a password; returns a bearer token and sets an HttpOnly cookie. Errors: "
            "RATE_LIMITED after repeated failures from this client; UNAUTHENTICATED for a wrong username or "
            "password (one message for both)."
        )
    )
    async def login(
        self, info: Info, input: Annotated[LoginInput, strawberry.argument(description="The username and password.")]
    ) -> AuthPayload:
        result, errors = await call(info, accounts.login, username=input.username, password=input.password)
        return await _auth_payload(info, result, errors)

    @strawberry.mutation(
        description=(
            "A resident turns an invitation code (printed slip or QR) into a session bound to one voter-roll "
            "entry; redeeming again on another phone moves the session there. Errors: INVALID on `code` for "
            "an unknown, replaced or retired code; RATE_LIMITED after repeated wrong codes."
        )
    )
    async def redeem_invitation(
        self,
        info: Info,
        input: Annotated[RedeemInvitationInput, strawberry.argument(description="The code from the slip.")],
    ) -> AuthPayload:
        result, errors = await call(info, accounts.redeem_invitation, code=input.code)
        return await _auth_payload(info, result, errors)

    @strawberry.mutation(
        description=(
            "Replace the signed-in account's password with one only its holder knows. Other sessions of the "
            "account end. Until a representative has done so, their signature counts as on the party's "
            "behalf. Errors: UNAUTHENTICATED; INVALID on `currentPassword` (wrong, or the account has none) "
            "or `newPassword` (short, guessable or unchanged); RATE_LIMITED after repeated wrong current "
            "passwords."
        )
    )
    async def change_password(
        self,
        info: Info,
        input: Annotated[ChangePasswordInput, strawberry.argument(description="The current password and the new one.")],
    ) -> AccountPayload:
        account, errors = await call(
            info,
            accounts.change_password,
            current_password=input.current_password,
            new_password=input.new_password,
        )
        return AccountPayload(account=Account.of(account) if account else None, errors=errors)

    @strawberry.mutation(description="End the current session and clear the cookie; false when there was none.")
    async def logout(self, info: Info) -> bool:
        if info.context.websocket:
            return False
        done = await accounts.logout(info.context.service())
        clear_session_cookies(info.context.response)
        return done

    @strawberry.mutation(
        description=(
            "Add a party (organizers). Errors: UNAUTHENTICATED; FORBIDDEN; INVALID (name, kind, contact); "
            "with a representative, also those of createRepresentative on `representative.displayName` and "
            "`representative.phone`."
        )
    )
    async def create_party(
        self,
        info: Info,
        input: Annotated[
            CreatePartyInput, strawberry.argument(description="The party, and optionally its representative.")
        ],
    ) -> PartyPayload:
        if input.representative is not None:
            issued, errors = await call(
                info,
                representatives.create_party_with_representative,
                name=input.name,
                kind=input.kind,
                contact=input.contact,
                display_name=input.representative.display_name,
                phone=input.representative.phone,
            )
            payload = _slip_payload(info, issued, errors)
            return PartyPayload(party=payload.slip.party if payload.slip else None, errors=errors, slip=payload.slip)
        party, errors = await call(info, accounts.create_party, name=input.name, kind=input.kind, contact=input.contact)
        return PartyPayload(party=Party.of(party) if party else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Create an account with a password (admins any role; organizers only PARTY_REP and RESIDENT "
            "accounts). Errors: UNAUTHENTICATED; FORBIDDEN (a role the viewer may not give); INVALID "
            "(username, password, displayName, roles, partyId); CONFLICT (username or displayName taken); "
            "NOT_FOUND (partyId)."
        )
    )
    async def create_account(
        self,
        info: Info,
        input: Annotated[CreateAccountInput, strawberry.argument(description="The account to create.")],
    ) -> AccountPayload:
        account, errors = await call(
            info,
            accounts.create_account,
            username=input.username,
            password=input.password,
            display_name=input.display_name,
            roles=list(input.roles),
            party_id=input.party_id,
            area_ids=list(input.area_ids) if input.area_ids else None,
        )
        return AccountPayload(account=Account.of(account) if account else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Add a party's representative who signs in with a printed slip instead of a password "
            "(organizers). The slip's code, on the start page or as its QR code, signs them in as that "
            "party's representative. Errors: UNAUTHENTICATED; FORBIDDEN; NOT_FOUND (partyId); INVALID "
            "(displayName, phone); CONFLICT (displayName already shown by another account)."
        )
    )
    async def create_representative(
        self,
        info: Info,
        input: Annotated[
            CreateRepresentativeInput, strawberry.argument(description="The representative and their party.")
        ],
    ) -> RepresentativeSlipPayload:
        issued, errors = await call(
            info,
            representatives.create_representative,
            party_id=input.party_id,
            display_name=input.display_name,
            phone=input.phone,
        )
        return _slip_payload(info, issued, errors)

    @strawberry.mutation(
        description=(
            "A new slip for a party's representative (organizers): older slips stop working and their "
            "sessions end. Errors: UNAUTHENTICATED; FORBIDDEN; NOT_FOUND (accountId: no such party "
            "representative)."
        )
    )
    async def issue_representative_slip(
        self,
        info: Info,
        input: Annotated[IssueRepresentativeSlipInput, strawberry.argument(description="Whose slip to replace.")],
    ) -> RepresentativeSlipPayload:
        issued, errors = await call(info, representatives.issue_representative_slip, account_id=input.account_id)
        return _slip_payload(info, issued, errors)

    @strawberry.mutation(
        description=(
            "Open a consultation in DRAFT (organizers). Errors: UNAUTHENTICATED; FORBIDDEN; INVALID (title, "
            "summary, location, helpPhone, photoIds, a party listed twice, a convener who is not a CPPCC "
            "member); NOT_FOUND (partyIds.N, convenerId)."
        )
    )
    async def create_consultation(
        self,
        info: Info,
        input: Annotated[CreateConsultationInput, strawberry.argument(description="The new consultation.")],
    ) -> ConsultationPayload:
        c, errors = await call(
            info,
            consultations.create_consultation,
            title=input.title,
            summary=input.summary,
            location=input.location,
            party_ids=input.party_ids,
            convener_id=input.convener_id,
            photo_ids=input.photo_ids,
            help_phone=input.help_phone,
            community_id=input.community_id,
        )
        return ConsultationPayload(consultation=Consultation.of(c) if c else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Set the help phone printed on the invitation slips (organizers, the convener), before the end. "
            "Errors: UNAUTHENTICATED; NOT_FOUND; FORBIDDEN; WRONG_STAGE; INVALID (helpPhone)."
        )
    )
    async def set_help_phone(
        self,
        info: Info,
        input: Annotated[SetHelpPhoneInput, strawberry.argument(description="The consultation and its help phone.")],
    ) -> ConsultationPayload:
        c, errors = await call(
            info, consultations.set_help_phone, consultation_id=input.consultation_id, help_phone=input.help_phone
        )
        return ConsultationPayload(consultation=Consultation.of(c) if c else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Add photos of the place (现场照片) to a consultation (organizers, its convener), DRAFT included. "
            "Errors: UNAUTHENTICATED; NOT_FOUND; FORBIDDEN; WRONG_STAGE (ARCHIVED, CANCELLED); INVALID "
            "(photoIds)."
        )
    )
    async def add_consultation_photos(
        self,
        info: Info,
        input: Annotated[
            AddConsultationPhotosInput, strawberry.argument(description="The consultation and the photos.")
        ],
    ) -> ConsultationPayload:
        c, errors = await call(
            info, photo_service.add_site_photos, consultation_id=input.consultation_id, photo_ids=input.photo_ids
        )
        return ConsultationPayload(consultation=Consultation.of(c) if c else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Add a party to a consultation (organizers). Errors: UNAUTHENTICATED; NOT_FOUND; FORBIDDEN; "
            "WRONG_STAGE; CONFLICT (already taking part)."
        )
    )
    async def add_party(
        self,
        info: Info,
        input: Annotated[AddPartyInput, strawberry.argument(description="The consultation and the party.")],
    ) -> ConsultationPayload:
        c, errors = await call(
            info, consultations.add_party, consultation_id=input.consultation_id, party_id=input.party_id
        )
        return ConsultationPayload(consultation=Consultation.of(c) if c else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Move a consultation forward (COLLECTING and VOTING may be skipped) or cancel it (organizers, "
            "convener). Errors: UNAUTHENTICATED; NOT_FOUND; FORBIDDEN; WRONG_STAGE for a move backwards or a "
            "skip, and for a move whose condition fails (the message says which: polls still open, shares "
            "unconfirmed, findings not verified…); INVALID on `note` when cancelling without a reason."
        )
    )
    async def advance_stage(
        self,
        info: Info,
        input: Annotated[
            AdvanceStageInput, strawberry.argument(description="The consultation, the stage to move to, and why.")
        ],
    ) -> ConsultationPayload:
        c, errors = await call(
            info, consultations.advance_stage, consultation_id=input.consultation_id, to=input.to, note=input.note
        )
        return ConsultationPayload(consultation=Consultation.of(c) if c else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Raise a demand while the consultation is COLLECTING. Errors: UNAUTHENTICATED; NOT_FOUND; "
            "FORBIDDEN (role, or a channel the role may not use); WRONG_STAGE; INVALID (title, body, "
            "photoIds)."
        )
    )
    async def submit_demand(
        self, info: Info, input: Annotated[SubmitDemandInput, strawberry.argument(description="The demand.")]
    ) -> DemandPayload:
        d, errors = await call(
            info,
            demands.submit_demand,
            consultation_id=input.consultation_id,
            title=input.title,
            body=input.body,
            channel=input.channel,
            photo_ids=input.photo_ids,
        )
        return DemandPayload(demand=Demand.of(d) if d else None, errors=errors)

    @strawberry.mutation(
        description=(
            "随手拍: upload one photo (JPEG, PNG or WebP, judged by content; at most 10 MB) as a GraphQL "
            "multipart request (`operations`, `map`, then the file). It is re-encoded with no EXIF (no GPS) "
            "and kept unattached, seen by its uploader only, until an action names it in `photoIds`; "
            "unattached photos are forgotten after a day. Errors on `file`: photo_wrong_type, photo_too_large, "
            "photo_broken (INVALID); too many unattached uploads (CONFLICT)."
        )
    )
    async def upload_photo(
        self,
        info: Info,
        file: Annotated[Upload, strawberry.argument(description="The photo, as a file part of the multipart request.")],
    ) -> PhotoPayload:
        p, errors = await call(info, upload, file=file)
        return PhotoPayload(photo=Photo(m=p) if p else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Support a demand (residents); a second support by the same person counts once. Errors: "
            "UNAUTHENTICATED; NOT_FOUND; FORBIDDEN (residents only); WRONG_STAGE (COLLECTING only)."
        )
    )
    async def support_demand(
        self,
        info: Info,
        input: Annotated[SupportDemandInput, strawberry.argument(description="The demand to support.")],
    ) -> DemandPayload:
        d, errors = await call(info, demands.support_demand, demand_id=input.demand_id)
        return DemandPayload(demand=Demand.of(d) if d else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Accept, reject or merge a demand (organizers). Errors: UNAUTHENTICATED; NOT_FOUND; FORBIDDEN; "
            "WRONG_STAGE (COLLECTING and DELIBERATING only); INVALID (mergedIntoId missing, unexpected, "
            "itself, merged, or of another consultation)."
        )
    )
    async def set_demand_status(
        self,
        info: Info,
        input: Annotated[SetDemandStatusInput, strawberry.argument(description="The demand and its new status.")],
    ) -> DemandPayload:
        d, errors = await call(
            info,
            demands.set_demand_status,
            demand_id=input.demand_id,
            status=input.status,
            merged_into_id=input.merged_into_id,
        )
        return DemandPayload(demand=Demand.of(d) if d else None, errors=errors)

    @strawberry.mutation(
        description=(
            "列责任单: record what a party answers for (organizers). Errors: UNAUTHENTICATED; NOT_FOUND; "
            "FORBIDDEN; WRONG_STAGE (DELIBERATING and VOTING only); INVALID (duty, dueAt, a party not taking "
            "part)."
        )
    )
    async def assign_responsibility(
        self,
        info: Info,
        input: Annotated[
            AssignResponsibilityInput, strawberry.argument(description="The party and what it answers for.")
        ],
    ) -> ResponsibilityPayload:
        r, errors = await call(
            info,
            demands.assign_responsibility,
            consultation_id=input.consultation_id,
            party_id=input.party_id,
            duty=input.duty,
            due_at=input.due_at,
        )
        return ResponsibilityPayload(responsibility=Responsibility.of(r) if r else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Put forward a proposal (organizers, CPPCC members, party reps). Errors: UNAUTHENTICATED; "
            "NOT_FOUND; FORBIDDEN; WRONG_STAGE (DELIBERATING and VOTING only); INVALID (title, body, "
            "budget)."
        )
    )
    async def create_proposal(
        self, info: Info, input: Annotated[CreateProposalInput, strawberry.argument(description="The proposal.")]
    ) -> ProposalPayload:
        p, errors = await call(
            info,
            proposals.create_proposal,
            consultation_id=input.consultation_id,
            title=input.title,
            body=input.body,
            budget=input.budget,
        )
        return ProposalPayload(proposal=Proposal.of(p) if p else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Edit, table, withdraw or reject a proposal (its author or organizers). Errors: UNAUTHENTICATED; "
            "NOT_FOUND; FORBIDDEN (neither its author nor an organizer; only organizers reject); "
            "WRONG_STAGE; INVALID (texts, budget, a move not allowed, an edit once it is no longer DRAFT or "
            "TABLED)."
        )
    )
    async def update_proposal(
        self,
        info: Info,
        input: Annotated[UpdateProposalInput, strawberry.argument(description="The proposal and what changes.")],
    ) -> ProposalPayload:
        p, errors = await call(
            info,
            proposals.update_proposal,
            proposal_id=input.proposal_id,
            title=input.title,
            body=input.body,
            budget=input.budget,
            status=input.status,
        )
        return ProposalPayload(proposal=Proposal.of(p) if p else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Adopt a proposal (organizers). Errors: UNAUTHENTICATED; NOT_FOUND; FORBIDDEN; WRONG_STAGE; "
            "INVALID (withdrawn or rejected); CONFLICT (already adopted)."
        )
    )
    async def adopt_proposal(
        self,
        info: Info,
        input: Annotated[AdoptProposalInput, strawberry.argument(description="The proposal to adopt.")],
    ) -> ProposalPayload:
        p, errors = await call(info, proposals.adopt_proposal, proposal_id=input.proposal_id)
        return ProposalPayload(proposal=Proposal.of(p) if p else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Replace a proposal's cost plan (organizers, or the proposal's author). Errors: UNAUTHENTICATED; "
            "NOT_FOUND (proposalId, shares.N.partyId); FORBIDDEN; WRONG_STAGE; INVALID (total, method, a "
            "share's value, a party not taking part or listed twice, a withdrawn or rejected proposal); "
            "SPLIT_MISMATCH; CONFLICT once money was recorded against the plan."
        )
    )
    async def set_cost_plan(
        self,
        info: Info,
        input: Annotated[SetCostPlanInput, strawberry.argument(description="The proposal and its new plan.")],
    ) -> CostPlanPayload:
        result, errors = await call(
            info,
            costs.set_cost_plan,
            proposal_id=input.proposal_id,
            total=input.total,
            method=input.method,
            shares=[
                {"party_id": s.party_id, "amount": s.amount, "percent": s.percent, "weight": s.weight}
                for s in input.shares
            ],
        )
        if result is None:
            return CostPlanPayload(proposal=None, cost_plan=None, errors=errors)
        proposal, plan = result
        return CostPlanPayload(proposal=Proposal.of(proposal), cost_plan=CostPlan(m=plan), errors=[])

    @strawberry.mutation(
        description=(
            "签协议: confirm a share (the party's representative, or an organizer on its behalf). Errors: "
            "UNAUTHENTICATED; NOT_FOUND; FORBIDDEN (a rep of another party, anyone else); WRONG_STAGE."
        )
    )
    async def confirm_share(
        self, info: Info, input: Annotated[ConfirmShareInput, strawberry.argument(description="The share to confirm.")]
    ) -> CostSharePayload:
        share, errors = await call(info, costs.confirm_share, share_id=input.share_id)
        return CostSharePayload(share=CostShare.of(share) if share else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Record money received against a share (organizers); paid never exceeds the share. Errors: "
            "UNAUTHENTICATED; NOT_FOUND; FORBIDDEN; WRONG_STAGE; INVALID (amount not positive or above what "
            "is still outstanding, receivedAt, note)."
        )
    )
    async def record_contribution(
        self,
        info: Info,
        input: Annotated[RecordContributionInput, strawberry.argument(description="The share and the money received.")],
    ) -> CostSharePayload:
        share, errors = await call(
            info,
            costs.record_contribution,
            share_id=input.share_id,
            amount=input.amount,
            received_at=input.received_at,
            note=input.note,
        )
        return CostSharePayload(share=CostShare.of(share) if share else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Create a poll in DELIBERATING or VOTING (organizers). Errors: UNAUTHENTICATED; NOT_FOUND; "
            "FORBIDDEN; WRONG_STAGE; INVALID (question, options, proposalIds, maxChoices, opensAt, closesAt, "
            "the CUSTOM rule's numbers)."
        )
    )
    async def create_poll(
        self,
        info: Info,
        input: Annotated[CreatePollInput, strawberry.argument(description="The question, its options and its rule.")],
    ) -> PollPayload:
        preset = input.preset or DecisionPreset.SIMPLE_MAJORITY
        poll, errors = await call(
            info,
            voting.create_poll,
            consultation_id=input.consultation_id,
            question=input.question,
            kind=input.kind,
            options=input.options,
            proposal_ids=input.proposal_ids,
            max_choices=input.max_choices,
            opens_at=input.opens_at,
            closes_at=input.closes_at,
            secret=True if input.secret is None else input.secret,
            allow_revote=True if input.allow_revote is None else input.allow_revote,
            live_results=True if input.live_results is None else input.live_results,
            preset=preset,
            quorum_percent=input.quorum_percent,
            threshold=input.threshold,
            by_area=input.by_area,
        )
        return PollPayload(poll=Poll.of(poll) if poll else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Open a poll now (organizers, VOTING only); the electorate is the roll as it stands. Errors: "
            "UNAUTHENTICATED; NOT_FOUND; FORBIDDEN; WRONG_STAGE; INVALID (not SCHEDULED, or the roll is "
            "empty)."
        )
    )
    async def open_poll(
        self, info: Info, input: Annotated[PollIdInput, strawberry.argument(description="The poll to open.")]
    ) -> PollPayload:
        poll, errors = await call(info, voting.open_poll, poll_id=input.poll_id)
        return PollPayload(poll=Poll.of(poll) if poll else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Close a poll now (organizers, VOTING only). Errors: UNAUTHENTICATED; NOT_FOUND; FORBIDDEN; "
            "WRONG_STAGE; POLL_NOT_OPEN (already closed)."
        )
    )
    async def close_poll(
        self, info: Info, input: Annotated[PollIdInput, strawberry.argument(description="The poll to close.")]
    ) -> PollPayload:
        poll, errors = await call(info, voting.close_poll, poll_id=input.poll_id)
        return PollPayload(poll=Poll.of(poll) if poll else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Vote for your own roll entry; with allowRevote a second vote replaces the first. Errors: "
            "UNAUTHENTICATED; NOT_FOUND; POLL_NOT_OPEN; NOT_ELIGIBLE (not in the electorate); ALREADY_VOTED "
            "(no revote, or a paper or assisted ballot stands); INVALID (choices.N)."
        )
    )
    async def cast_vote(
        self, info: Info, input: Annotated[CastVoteInput, strawberry.argument(description="The poll and the choices.")]
    ) -> VotePayload:
        cast, errors = await call(info, voting.cast_vote, poll_id=input.poll_id, choices=input.choices)
        return await _vote_payload(info, cast, errors)

    @strawberry.mutation(
        description=(
            "Organizers enter a paper or assisted ballot for a voter-roll entry that has not voted online; "
            "the same one-ballot rule holds. Errors: UNAUTHENTICATED; NOT_FOUND; FORBIDDEN; WRONG_STAGE; "
            "POLL_NOT_OPEN; NOT_ELIGIBLE; ALREADY_VOTED; INVALID (origin, choices, note)."
        )
    )
    async def record_offline_ballot(
        self,
        info: Info,
        input: Annotated[
            RecordOfflineBallotInput, strawberry.argument(description="The poll, the roll entry and its choices.")
        ],
    ) -> VotePayload:
        cast, errors = await call(
            info,
            voting.record_offline_ballot,
            poll_id=input.poll_id,
            voter_entry_id=input.voter_entry_id,
            choices=input.choices,
            origin=input.origin,
            note=input.note,
        )
        return await _vote_payload(info, cast, errors)

    @strawberry.mutation(
        description=(
            "Add a milestone (organizers, AGREED or IMPLEMENTING). Errors: UNAUTHENTICATED; NOT_FOUND; "
            "FORBIDDEN; WRONG_STAGE; INVALID (title, kind, dates, a party not taking part)."
        )
    )
    async def add_milestone(
        self,
        info: Info,
        input: Annotated[AddMilestoneInput, strawberry.argument(description="The step and its deadline.")],
    ) -> MilestonePayload:
        m, errors = await call(
            info,
            supervision.add_milestone,
            consultation_id=input.consultation_id,
            title=input.title,
            kind=input.kind,
            responsible_party_id=input.responsible_party_id,
            planned_start=input.planned_start,
            planned_end=input.planned_end,
        )
        return MilestonePayload(milestone=Milestone.of(m) if m else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Report progress (organizers or the responsible party's rep). Errors: UNAUTHENTICATED; "
            "NOT_FOUND; FORBIDDEN; WRONG_STAGE; INVALID (progress outside 0..100, dates, note, photoIds)."
        )
    )
    async def update_milestone(
        self,
        info: Info,
        input: Annotated[UpdateMilestoneInput, strawberry.argument(description="The milestone and the report.")],
    ) -> MilestonePayload:
        m, errors = await call(
            info,
            supervision.update_milestone,
            milestone_id=input.milestone_id,
            progress=input.progress,
            actual_start=input.actual_start,
            actual_end=input.actual_end,
            note=input.note,
            photo_ids=input.photo_ids,
        )
        return MilestonePayload(milestone=Milestone.of(m) if m else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Record an inspection with its findings (CPPCC members). Errors: UNAUTHENTICATED; NOT_FOUND; "
            "FORBIDDEN (CPPCC members only); WRONG_STAGE; INVALID (visitedAt, notes, findings.N.…)."
        )
    )
    async def record_inspection(
        self,
        info: Info,
        input: Annotated[RecordInspectionInput, strawberry.argument(description="The visit and its findings.")],
    ) -> InspectionPayload:
        i, errors = await call(
            info,
            supervision.record_inspection,
            consultation_id=input.consultation_id,
            milestone_id=input.milestone_id,
            visited_at=input.visited_at,
            notes=input.notes,
            findings=[
                {
                    "category": f.category,
                    "description": f.description,
                    "responsible_party_id": f.responsible_party_id,
                    "assignee_id": f.assignee_id,
                    "due_at": f.due_at,
                    "expected_outcome": f.expected_outcome,
                    "photo_ids": f.photo_ids,
                }
                for f in input.findings or []
            ],
        )
        return InspectionPayload(inspection=Inspection.of(i) if i else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Move a finding along the five-fixed loop. Errors: UNAUTHENTICATED; NOT_FOUND; FORBIDDEN; "
            "WRONG_STAGE; INVALID (a move the loop does not have, a missing resolution or reason, photoIds)."
        )
    )
    async def update_finding(
        self,
        info: Info,
        input: Annotated[UpdateFindingInput, strawberry.argument(description="The finding and where it moves.")],
    ) -> FindingPayload:
        f, errors = await call(
            info,
            supervision.update_finding,
            finding_id=input.finding_id,
            status=input.status,
            resolution=input.resolution,
            photo_ids=input.photo_ids,
        )
        return FindingPayload(finding=Finding.of(f) if f else None, errors=errors)

    @strawberry.mutation(
        description=(
            "A household rates the outcome in EVALUATING (百姓说了算). Errors: UNAUTHENTICATED; NOT_FOUND; "
            "WRONG_STAGE; NOT_ELIGIBLE (the household is not on the roll); INVALID (score outside 1..5, "
            "comment too long)."
        )
    )
    async def rate_outcome(
        self,
        info: Info,
        input: Annotated[RateOutcomeInput, strawberry.argument(description="The consultation and the score.")],
    ) -> RatingPayload:
        r, errors = await call(
            info,
            evaluation.rate_outcome,
            consultation_id=input.consultation_id,
            score=input.score,
            comment=input.comment,
        )
        if r is None:
            return RatingPayload(rating=None, evaluation=None, errors=errors)
        consultation = await info.context.loaders.consultation_by_id.load(r.consultation_id)
        summary = await Consultation.of(consultation).evaluation_summary(info)
        return RatingPayload(rating=Rating(score=r.score, comment=r.comment, at=r.at), evaluation=summary, errors=[])

    @strawberry.mutation(
        description=(
            "Record a follow-up visit (organizers and CPPCC members). Errors: UNAUTHENTICATED; NOT_FOUND; "
            "FORBIDDEN; WRONG_STAGE (IMPLEMENTING and EVALUATING only); INVALID (at, notes)."
        )
    )
    async def record_follow_up(
        self,
        info: Info,
        input: Annotated[RecordFollowUpInput, strawberry.argument(description="The consultation and the visit.")],
    ) -> FollowUpPayload:
        f, errors = await call(
            info, evaluation.record_follow_up, consultation_id=input.consultation_id, at=input.at, notes=input.notes
        )
        return FollowUpPayload(follow_up=FollowUp.of(f) if f else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Seal an EVALUATING consultation into its dossier; read-only from then on. Errors: "
            "UNAUTHENTICATED; NOT_FOUND; FORBIDDEN (organizers and the convener only); WRONG_STAGE."
        )
    )
    async def archive_consultation(
        self, info: Info, input: Annotated[ArchiveInput, strawberry.argument(description="The consultation to seal.")]
    ) -> ConsultationPayload:
        c, errors = await call(
            info, archive.archive_consultation, consultation_id=input.consultation_id, note=input.note
        )
        return ConsultationPayload(consultation=Consultation.of(c) if c else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Replaces the consultation's voter roll; a poll's electorate is the roll as it stood when the "
            "poll opened. Errors: UNAUTHENTICATED; NOT_FOUND; FORBIDDEN; WRONG_STAGE; INVALID "
            "(voters.N.label missing, too long or repeated; voters.N.weight not a positive decimal, or "
            "missing while a poll to open counts area; too many rows)."
        )
    )
    async def set_voter_roll(
        self,
        info: Info,
        input: Annotated[SetVoterRollInput, strawberry.argument(description="The consultation and its whole roll.")],
    ) -> VoterRollPayload:
        entries, errors = await call(
            info,
            roll.set_voter_roll,
            consultation_id=input.consultation_id,
            voters=[(v.label, v.weight) for v in input.voters],
        )
        return VoterRollPayload(entries=[VoterRollEntry.of(e) for e in entries or []], errors=errors)

    @strawberry.mutation(
        description=(
            "One invitation code per voter-roll entry; each call issues fresh codes and voids unredeemed old "
            "ones. Errors: UNAUTHENTICATED; NOT_FOUND; FORBIDDEN; WRONG_STAGE; INVALID (the roll is empty)."
        )
    )
    async def issue_invitations(
        self, info: Info, input: Annotated[IssueInvitationsInput, strawberry.argument(description="The consultation.")]
    ) -> InvitationsPayload:
        issued, errors = await call(info, roll.issue_invitations, consultation_id=input.consultation_id)
        base_url = public_base_url(info)
        return InvitationsPayload(
            invitations=[Invitation(label=i.label, code=i.code, base_url=base_url) for i in issued or []],
            errors=errors,
        )

    @strawberry.mutation(
        description=(
            "Ask for a new slip for a household that already signed in (issueInvitations skips those); a "
            "second person must approve it with approveReissue. Errors: UNAUTHENTICATED; NOT_FOUND; "
            "FORBIDDEN; WRONG_STAGE; INVALID (reason; a household that never signed in, which "
            "issueInvitations serves); CONFLICT (a request already waits)."
        )
    )
    async def request_reissue(
        self,
        info: Info,
        input: Annotated[RequestReissueInput, strawberry.argument(description="The roll entry and why.")],
    ) -> ReissueRequestPayload:
        request, errors = await call(
            info, roll.request_reissue, voter_entry_id=input.voter_entry_id, reason=input.reason
        )
        return ReissueRequestPayload(request=ReissueRequest(m=request) if request else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Approve a request for a new slip: a CPPCC member (an admin where there is none), never the "
            "requester; the household's phone is signed out and the new code is returned here, once. Errors: "
            "UNAUTHENTICATED; NOT_FOUND; FORBIDDEN (the requester themselves; an admin where a CPPCC member "
            "could approve); WRONG_STAGE; CONFLICT (already approved)."
        )
    )
    async def approve_reissue(
        self,
        info: Info,
        input: Annotated[ApproveReissueInput, strawberry.argument(description="The request to approve.")],
    ) -> ApproveReissuePayload:
        result, errors = await call(info, roll.approve_reissue, request_id=input.request_id)
        if result is None:
            return ApproveReissuePayload(request=None, invitation=None, errors=errors)
        request, issued = result
        return ApproveReissuePayload(
            request=ReissueRequest(m=request),
            invitation=Invitation(label=issued.label, code=issued.code, base_url=public_base_url(info)),
            errors=errors,
        )
