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
from schema.context import Info
from schema.errors import UserError, user_error
from schema.photos import Photo, upload
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
    username: str
    password: str


@strawberry.input(description="The password now, and the one to replace it.")
class ChangePasswordInput:
    current_password: str
    new_password: str


@strawberry.input(description="The code from a printed invitation slip (or its QR link).")
class RedeemInvitationInput:
    code: str


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
    name: str
    kind: PartyKind
    contact: str | None = None
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
    party: Party | None
    errors: list[UserError]
    slip: RepresentativeSlip | None = strawberry.field(
        default=None, description="The representative's slip, when one was added with the party; shown once."
    )


@strawberry.input(description="A new account with a password. Organizers may not create admins or organizers.")
class CreateAccountInput:
    username: str
    password: str
    display_name: str
    roles: list[Role]
    party_id: strawberry.ID | None = None


@strawberry.type(description="The account created, or why not.")
class AccountPayload:
    account: Account | None
    errors: list[UserError]


@strawberry.input(description="A new consultation, created in DRAFT.")
class CreateConsultationInput:
    title: str
    summary: str
    location: str
    party_ids: list[strawberry.ID] | None = None
    convener_id: strawberry.ID | None = strawberry.field(
        default=None, description="The CPPCC member who convenes it; they may then move its stages on."
    )
    photo_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="现场照片: photos of the place from uploadPhoto (at most 6)."
    )
    help_phone: str | None = strawberry.field(
        default=None, description="The number residents call for help, printed on every invitation slip."
    )


@strawberry.input(description="The number printed on a consultation's invitation slips; null or empty clears it.")
class SetHelpPhoneInput:
    consultation_id: strawberry.ID
    help_phone: str | None = None


@strawberry.input(description="Photos of the place (现场照片) to add to a consultation.")
class AddConsultationPhotosInput:
    consultation_id: strawberry.ID
    photo_ids: list[strawberry.ID] = strawberry.field(description="From uploadPhoto; at most 6 per consultation.")


@strawberry.input(description="Add a party to a consultation.")
class AddPartyInput:
    consultation_id: strawberry.ID
    party_id: strawberry.ID


@strawberry.input(description="Move a consultation to another stage; `note` is required to cancel.")
class AdvanceStageInput:
    consultation_id: strawberry.ID
    to: Stage
    note: str | None = None


@strawberry.type(description="The consultation after the change, or why not.")
class ConsultationPayload:
    consultation: Consultation | None
    errors: list[UserError]


@strawberry.input(description="Raise a demand. The channel defaults from the submitter's role.")
class SubmitDemandInput:
    consultation_id: strawberry.ID
    title: str
    body: str
    channel: DemandChannel | None = None
    photo_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="随手拍: photos from uploadPhoto to go with it (at most 6), in the order to show them.",
    )


@strawberry.input(description="Support a demand; supporting twice counts once.")
class SupportDemandInput:
    demand_id: strawberry.ID


@strawberry.input(description="Triage a demand; `mergedIntoId` is required for MERGED.")
class SetDemandStatusInput:
    demand_id: strawberry.ID
    status: DemandStatus
    merged_into_id: strawberry.ID | None = None


@strawberry.type(description="The demand after the change, or why not.")
class DemandPayload:
    demand: Demand | None
    errors: list[UserError]


@strawberry.input(description="列责任单: record what a taking-part party answers for.")
class AssignResponsibilityInput:
    consultation_id: strawberry.ID
    party_id: strawberry.ID
    duty: str
    due_at: datetime | None = None


@strawberry.type(description="The responsibility recorded, or why not.")
class ResponsibilityPayload:
    responsibility: Responsibility | None
    errors: list[UserError]


@strawberry.input(description="A new proposal with its budget; it starts as DRAFT.")
class CreateProposalInput:
    consultation_id: strawberry.ID
    title: str
    body: str
    budget: Money


@strawberry.input(
    description="Edit a proposal, or move it: DRAFT ⇄ TABLED, → WITHDRAWN, or (organizers) TABLED → REJECTED."
)
class UpdateProposalInput:
    proposal_id: strawberry.ID
    title: str | None = None
    body: str | None = None
    budget: Money | None = None
    status: ProposalStatus | None = None


@strawberry.input(description="Adopt a proposal; any previously adopted one goes back to TABLED.")
class AdoptProposalInput:
    proposal_id: strawberry.ID


@strawberry.type(description="The proposal after the change, or why not.")
class ProposalPayload:
    proposal: Proposal | None
    errors: list[UserError]


@strawberry.input(description="One household or person of the roll.")
class VoterInput:
    label: str
    weight: str | None = strawberry.field(
        default=None,
        description=(
            "Area in m² as a decimal string. Left out, the household counts as one head (1), unless a poll "
            "still to open counts area: then it is refused (voters.N.weight), never counted as 1 m²."
        ),
    )


@strawberry.input(description="The whole roll; it replaces the previous one.")
class SetVoterRollInput:
    consultation_id: strawberry.ID
    voters: list[VoterInput]


@strawberry.type(description="The roll as it now stands, or why not.")
class VoterRollPayload:
    entries: list[VoterRollEntry]
    errors: list[UserError]


@strawberry.input(description="A party's representative who signs in with a printed slip, not a password.")
class CreateRepresentativeInput:
    party_id: strawberry.ID
    display_name: str = strawberry.field(description="As people will see it, e.g. 菜园市场 张经理.")
    phone: str | None = strawberry.field(default=None, description="How to reach them; organizers only.")


@strawberry.input(description="A new slip for a representative whose slip was lost.")
class IssueRepresentativeSlipInput:
    account_id: strawberry.ID


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
    slip: RepresentativeSlip | None
    errors: list[UserError]


@strawberry.input(description="Issue a fresh invitation code for every roll entry.")
class IssueInvitationsInput:
    consultation_id: strawberry.ID


@strawberry.type(description="The codes to print, one per roll entry, or why not.")
class InvitationsPayload:
    invitations: list[Invitation]
    errors: list[UserError]


@strawberry.input(description="Ask for a new slip for a household that already signed in.")
class RequestReissueInput:
    voter_entry_id: strawberry.ID
    reason: str = strawberry.field(description="Why: a lost phone, a changed number... (up to 500 characters).")


@strawberry.type(description="The request, waiting for a second person, or why not.")
class ReissueRequestPayload:
    request: ReissueRequest | None
    errors: list[UserError]


@strawberry.input(description="Approve a request for a new slip.")
class ApproveReissueInput:
    request_id: strawberry.ID


@strawberry.type(description="The approved request and the new code to print, shown once, or why not.")
class ApproveReissuePayload:
    request: ReissueRequest | None
    invitation: Invitation | None
    errors: list[UserError]


@strawberry.input(description="One party's line of a cost plan; which value counts depends on the method.")
class ShareInput:
    party_id: strawberry.ID
    amount: Money | None = strawberry.field(default=None, description="FIXED: the party's amount.")
    percent: str | None = strawberry.field(
        default=None, description='PERCENT: e.g. "33.3333"; all add up to exactly 100.'
    )
    weight: str | None = strawberry.field(
        default=None, description="WEIGHTED: a positive weight, e.g. households or frontage metres."
    )


@strawberry.input(description="Replace a proposal's cost plan; every confirmation is cleared.")
class SetCostPlanInput:
    proposal_id: strawberry.ID
    total: Money
    method: SplitMethod
    shares: list[ShareInput]


@strawberry.type(description="The proposal and its new cost plan, or why not.")
class CostPlanPayload:
    proposal: Proposal | None
    cost_plan: CostPlan | None
    errors: list[UserError]


@strawberry.input(description="签协议: confirm a share, as the party's representative or an organizer on its behalf.")
class ConfirmShareInput:
    share_id: strawberry.ID


@strawberry.input(description="Money received against a share.")
class RecordContributionInput:
    share_id: strawberry.ID
    amount: Money
    received_at: datetime
    note: str | None = None


@strawberry.type(description="The share after the change, or why not.")
class CostSharePayload:
    share: CostShare | None
    errors: list[UserError]


@strawberry.input(description="A new poll. Defaults: secret, revote allowed, live results, simple majority.")
class CreatePollInput:
    consultation_id: strawberry.ID
    question: str
    kind: PollKind
    options: list[str] | None = strawberry.field(
        default=None, description="labels for SINGLE_CHOICE, MULTIPLE_CHOICE and RANKED"
    )
    proposal_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="proposals the options stand for, in the same order as options"
    )
    max_choices: int | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    secret: bool | None = True
    allow_revote: bool | None = True
    live_results: bool | None = True
    preset: DecisionPreset | None = DecisionPreset.SIMPLE_MAJORITY
    quorum_percent: int | None = strawberry.field(default=None, description="with preset CUSTOM only")
    threshold: str | None = strawberry.field(default=None, description="with preset CUSTOM only")
    by_area: bool | None = strawberry.field(default=None, description="with preset CUSTOM only")


@strawberry.input(description="Which poll.")
class PollIdInput:
    poll_id: strawberry.ID


@strawberry.type(description="The poll after the change, or why not.")
class PollPayload:
    poll: Poll | None
    errors: list[UserError]


@strawberry.input(description="A ballot.")
class CastVoteInput:
    poll_id: strawberry.ID
    choices: list[strawberry.ID] = strawberry.field(
        description="option ids; for YES_NO_ABSTAIN exactly one; for RANKED all ranked options, most preferred first"
    )


@strawberry.input(description="A paper or assisted ballot entered by an organizer.")
class RecordOfflineBallotInput:
    poll_id: strawberry.ID
    voter_entry_id: strawberry.ID
    choices: list[strawberry.ID]
    origin: BallotOrigin = strawberry.field(description="PAPER or ASSISTED")
    note: str | None = None


@strawberry.type(
    description="The ballot and the tally after it, or why not. The tally is null while results are hidden."
)
class VotePayload:
    ballot: Ballot | None
    tally: Tally | None
    errors: list[UserError]


@strawberry.input(description="A new step of the works.")
class AddMilestoneInput:
    consultation_id: strawberry.ID
    title: str
    kind: MilestoneKind
    responsible_party_id: strawberry.ID | None = None
    planned_start: datetime | None = None
    planned_end: datetime


@strawberry.input(description="A progress report; every report is kept.")
class UpdateMilestoneInput:
    milestone_id: strawberry.ID
    progress: int | None = None
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    note: str | None = None
    photo_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Photos from uploadPhoto that show the progress (at most 6)."
    )


@strawberry.type(description="The milestone after the change, or why not.")
class MilestonePayload:
    milestone: Milestone | None
    errors: list[UserError]


@strawberry.input(description="A problem with its five fixed things (五定).")
class FindingInput:
    category: FindingCategory
    description: str
    responsible_party_id: strawberry.ID
    assignee_id: strawberry.ID | None = None
    due_at: datetime
    expected_outcome: str
    photo_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Photos from uploadPhoto that show the problem (at most 6)."
    )


@strawberry.input(description="A CPPCC member's visit, with the problems it found.")
class RecordInspectionInput:
    consultation_id: strawberry.ID
    milestone_id: strawberry.ID | None = None
    visited_at: datetime
    notes: str
    findings: list[FindingInput] | None = None


@strawberry.type(description="The inspection recorded, or why not.")
class InspectionPayload:
    inspection: Inspection | None
    errors: list[UserError]


@strawberry.input(
    description=(
        "RESOLVED (with a resolution) by the responsible party or organizers; VERIFIED or REOPENED by CPPCC members."
    )
)
class UpdateFindingInput:
    finding_id: strawberry.ID
    status: FindingStatus
    resolution: str | None = None
    photo_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Photos from uploadPhoto: the fix (RESOLVED), or what is still wrong (REOPENED); at most 6.",
    )


@strawberry.type(description="The finding after the change, or why not.")
class FindingPayload:
    finding: Finding | None
    errors: list[UserError]


@strawberry.type(description="The photo kept, or why not.")
class PhotoPayload:
    photo: Photo | None
    errors: list[UserError]


@strawberry.input(description="A household's rating, 1 to 5; rating again replaces it.")
class RateOutcomeInput:
    consultation_id: strawberry.ID
    score: int
    comment: str | None = None


@strawberry.type(description="The rating and the summary after it, or why not.")
class RatingPayload:
    rating: Rating | None
    evaluation: EvaluationSummary | None
    errors: list[UserError]


@strawberry.input(description="跟踪回访: a follow-up visit.")
class RecordFollowUpInput:
    consultation_id: strawberry.ID
    at: datetime
    notes: str


@strawberry.type(description="The follow-up recorded, or why not.")
class FollowUpPayload:
    follow_up: FollowUp | None
    errors: list[UserError]


@strawberry.input(description="Seal an EVALUATING consultation into its dossier.")
class ArchiveInput:
    consultation_id: strawberry.ID
    note: str | None = None


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


@strawberry.type(description="Change things. Every mutation is one transaction: on any error nothing is written.")
class Mutation:
    @strawberry.mutation(description="Sign in with a password; returns a bearer token and sets an HttpOnly cookie.")
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:
        result, errors = await call(info, accounts.login, username=input.username, password=input.password)
        return await _auth_payload(info, result, errors)

    @strawberry.mutation(
        description=(
            "a resident turns an invitation code (printed slip or QR) into a session bound to one voter-roll entry; "
            "redeeming again on another phone moves the session there"
        )
    )
    async def redeem_invitation(self, info: Info, input: RedeemInvitationInput) -> AuthPayload:
        result, errors = await call(info, accounts.redeem_invitation, code=input.code)
        return await _auth_payload(info, result, errors)

    @strawberry.mutation(
        description=(
            "Replace the signed-in account's password with one only its holder knows. Other sessions of the "
            "account end. Until a representative has done so, their signature counts as on the party's behalf."
        )
    )
    async def change_password(self, info: Info, input: ChangePasswordInput) -> AccountPayload:
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

    @strawberry.mutation(description="Add a party (organizers).")
    async def create_party(self, info: Info, input: CreatePartyInput) -> PartyPayload:
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
        description="Create an account (admins; organizers for CPPCC, party-rep and resident accounts)."
    )
    async def create_account(self, info: Info, input: CreateAccountInput) -> AccountPayload:
        account, errors = await call(
            info,
            accounts.create_account,
            username=input.username,
            password=input.password,
            display_name=input.display_name,
            roles=list(input.roles),
            party_id=input.party_id,
        )
        return AccountPayload(account=Account.of(account) if account else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Add a party's representative who signs in with a printed slip instead of a password (organizers). "
            "The slip's code, on the start page or as its QR code, signs them in as that party's representative."
        )
    )
    async def create_representative(self, info: Info, input: CreateRepresentativeInput) -> RepresentativeSlipPayload:
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
            "A new slip for a party's representative (organizers): older slips stop working and their sessions end."
        )
    )
    async def issue_representative_slip(
        self, info: Info, input: IssueRepresentativeSlipInput
    ) -> RepresentativeSlipPayload:
        issued, errors = await call(info, representatives.issue_representative_slip, account_id=input.account_id)
        return _slip_payload(info, issued, errors)

    @strawberry.mutation(description="Open a consultation in DRAFT (organizers).")
    async def create_consultation(self, info: Info, input: CreateConsultationInput) -> ConsultationPayload:
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
        )
        return ConsultationPayload(consultation=Consultation.of(c) if c else None, errors=errors)

    @strawberry.mutation(
        description="Set the help phone printed on the invitation slips (organizers, the convener), before the end."
    )
    async def set_help_phone(self, info: Info, input: SetHelpPhoneInput) -> ConsultationPayload:
        c, errors = await call(
            info, consultations.set_help_phone, consultation_id=input.consultation_id, help_phone=input.help_phone
        )
        return ConsultationPayload(consultation=Consultation.of(c) if c else None, errors=errors)

    @strawberry.mutation(
        description="Add photos of the place (现场照片) to a consultation (organizers, its convener), DRAFT included."
    )
    async def add_consultation_photos(self, info: Info, input: AddConsultationPhotosInput) -> ConsultationPayload:
        c, errors = await call(
            info, photo_service.add_site_photos, consultation_id=input.consultation_id, photo_ids=input.photo_ids
        )
        return ConsultationPayload(consultation=Consultation.of(c) if c else None, errors=errors)

    @strawberry.mutation(description="Add a party to a consultation (organizers).")
    async def add_party(self, info: Info, input: AddPartyInput) -> ConsultationPayload:
        c, errors = await call(
            info, consultations.add_party, consultation_id=input.consultation_id, party_id=input.party_id
        )
        return ConsultationPayload(consultation=Consultation.of(c) if c else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Move a consultation forward (COLLECTING and VOTING may be skipped) or cancel it (organizers, convener)."
        )
    )
    async def advance_stage(self, info: Info, input: AdvanceStageInput) -> ConsultationPayload:
        c, errors = await call(
            info, consultations.advance_stage, consultation_id=input.consultation_id, to=input.to, note=input.note
        )
        return ConsultationPayload(consultation=Consultation.of(c) if c else None, errors=errors)

    @strawberry.mutation(description="Raise a demand while the consultation is COLLECTING.")
    async def submit_demand(self, info: Info, input: SubmitDemandInput) -> DemandPayload:
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
    async def upload_photo(self, info: Info, file: Upload) -> PhotoPayload:
        p, errors = await call(info, upload, file=file)
        return PhotoPayload(photo=Photo(m=p) if p else None, errors=errors)

    @strawberry.mutation(description="Support a demand (residents); a second support by the same person counts once.")
    async def support_demand(self, info: Info, input: SupportDemandInput) -> DemandPayload:
        d, errors = await call(info, demands.support_demand, demand_id=input.demand_id)
        return DemandPayload(demand=Demand.of(d) if d else None, errors=errors)

    @strawberry.mutation(description="Accept, reject or merge a demand (organizers).")
    async def set_demand_status(self, info: Info, input: SetDemandStatusInput) -> DemandPayload:
        d, errors = await call(
            info,
            demands.set_demand_status,
            demand_id=input.demand_id,
            status=input.status,
            merged_into_id=input.merged_into_id,
        )
        return DemandPayload(demand=Demand.of(d) if d else None, errors=errors)

    @strawberry.mutation(description="列责任单: record what a party answers for (organizers).")
    async def assign_responsibility(self, info: Info, input: AssignResponsibilityInput) -> ResponsibilityPayload:
        r, errors = await call(
            info,
            demands.assign_responsibility,
            consultation_id=input.consultation_id,
            party_id=input.party_id,
            duty=input.duty,
            due_at=input.due_at,
        )
        return ResponsibilityPayload(responsibility=Responsibility.of(r) if r else None, errors=errors)

    @strawberry.mutation(description="Put forward a proposal (organizers, CPPCC members, party reps).")
    async def create_proposal(self, info: Info, input: CreateProposalInput) -> ProposalPayload:
        p, errors = await call(
            info,
            proposals.create_proposal,
            consultation_id=input.consultation_id,
            title=input.title,
            body=input.body,
            budget=input.budget,
        )
        return ProposalPayload(proposal=Proposal.of(p) if p else None, errors=errors)

    @strawberry.mutation(description="Edit, table, withdraw or reject a proposal (its author or organizers).")
    async def update_proposal(self, info: Info, input: UpdateProposalInput) -> ProposalPayload:
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

    @strawberry.mutation(description="Adopt a proposal (organizers).")
    async def adopt_proposal(self, info: Info, input: AdoptProposalInput) -> ProposalPayload:
        p, errors = await call(info, proposals.adopt_proposal, proposal_id=input.proposal_id)
        return ProposalPayload(proposal=Proposal.of(p) if p else None, errors=errors)

    @strawberry.mutation(description="Replace a proposal's cost plan (organizers, or the proposal's author).")
    async def set_cost_plan(self, info: Info, input: SetCostPlanInput) -> CostPlanPayload:
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
        description="签协议: confirm a share (the party's representative, or an organizer on its behalf)."
    )
    async def confirm_share(self, info: Info, input: ConfirmShareInput) -> CostSharePayload:
        share, errors = await call(info, costs.confirm_share, share_id=input.share_id)
        return CostSharePayload(share=CostShare.of(share) if share else None, errors=errors)

    @strawberry.mutation(
        description="Record money received against a share (organizers); paid never exceeds the share."
    )
    async def record_contribution(self, info: Info, input: RecordContributionInput) -> CostSharePayload:
        share, errors = await call(
            info,
            costs.record_contribution,
            share_id=input.share_id,
            amount=input.amount,
            received_at=input.received_at,
            note=input.note,
        )
        return CostSharePayload(share=CostShare.of(share) if share else None, errors=errors)

    @strawberry.mutation(description="Create a poll in DELIBERATING or VOTING (organizers).")
    async def create_poll(self, info: Info, input: CreatePollInput) -> PollPayload:
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
        description="Open a poll now (organizers, VOTING only); the electorate is the roll as it stands."
    )
    async def open_poll(self, info: Info, input: PollIdInput) -> PollPayload:
        poll, errors = await call(info, voting.open_poll, poll_id=input.poll_id)
        return PollPayload(poll=Poll.of(poll) if poll else None, errors=errors)

    @strawberry.mutation(description="Close a poll now (organizers, VOTING only).")
    async def close_poll(self, info: Info, input: PollIdInput) -> PollPayload:
        poll, errors = await call(info, voting.close_poll, poll_id=input.poll_id)
        return PollPayload(poll=Poll.of(poll) if poll else None, errors=errors)

    @strawberry.mutation(description="Vote for your own roll entry; with allowRevote a second vote replaces the first.")
    async def cast_vote(self, info: Info, input: CastVoteInput) -> VotePayload:
        cast, errors = await call(info, voting.cast_vote, poll_id=input.poll_id, choices=input.choices)
        return await _vote_payload(info, cast, errors)

    @strawberry.mutation(
        description=(
            "organizers enter a paper or assisted ballot for a voter-roll "
            "entry that has not voted online; the same one-ballot rule holds"
        )
    )
    async def record_offline_ballot(self, info: Info, input: RecordOfflineBallotInput) -> VotePayload:
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

    @strawberry.mutation(description="Add a milestone (organizers, AGREED or IMPLEMENTING).")
    async def add_milestone(self, info: Info, input: AddMilestoneInput) -> MilestonePayload:
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

    @strawberry.mutation(description="Report progress (organizers or the responsible party's rep).")
    async def update_milestone(self, info: Info, input: UpdateMilestoneInput) -> MilestonePayload:
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

    @strawberry.mutation(description="Record an inspection with its findings (CPPCC members).")
    async def record_inspection(self, info: Info, input: RecordInspectionInput) -> InspectionPayload:
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

    @strawberry.mutation(description="Move a finding along the five-fixed loop.")
    async def update_finding(self, info: Info, input: UpdateFindingInput) -> FindingPayload:
        f, errors = await call(
            info,
            supervision.update_finding,
            finding_id=input.finding_id,
            status=input.status,
            resolution=input.resolution,
            photo_ids=input.photo_ids,
        )
        return FindingPayload(finding=Finding.of(f) if f else None, errors=errors)

    @strawberry.mutation(description="A household rates the outcome in EVALUATING (百姓说了算).")
    async def rate_outcome(self, info: Info, input: RateOutcomeInput) -> RatingPayload:
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

    @strawberry.mutation(description="Record a follow-up visit (organizers and CPPCC members).")
    async def record_follow_up(self, info: Info, input: RecordFollowUpInput) -> FollowUpPayload:
        f, errors = await call(
            info, evaluation.record_follow_up, consultation_id=input.consultation_id, at=input.at, notes=input.notes
        )
        return FollowUpPayload(follow_up=FollowUp.of(f) if f else None, errors=errors)

    @strawberry.mutation(description="Seal an EVALUATING consultation into its dossier; read-only from then on.")
    async def archive_consultation(self, info: Info, input: ArchiveInput) -> ConsultationPayload:
        c, errors = await call(
            info, archive.archive_consultation, consultation_id=input.consultation_id, note=input.note
        )
        return ConsultationPayload(consultation=Consultation.of(c) if c else None, errors=errors)

    @strawberry.mutation(
        description=(
            "replaces the consultation's voter roll; a poll's electorate is the roll as it stood when the poll opened"
        )
    )
    async def set_voter_roll(self, info: Info, input: SetVoterRollInput) -> VoterRollPayload:
        entries, errors = await call(
            info,
            roll.set_voter_roll,
            consultation_id=input.consultation_id,
            voters=[(v.label, v.weight) for v in input.voters],
        )
        return VoterRollPayload(entries=[VoterRollEntry.of(e) for e in entries or []], errors=errors)

    @strawberry.mutation(
        description=(
            "one invitation code per voter-roll entry; each call issues fresh codes and voids unredeemed old ones"
        )
    )
    async def issue_invitations(self, info: Info, input: IssueInvitationsInput) -> InvitationsPayload:
        issued, errors = await call(info, roll.issue_invitations, consultation_id=input.consultation_id)
        base_url = public_base_url(info)
        return InvitationsPayload(
            invitations=[Invitation(label=i.label, code=i.code, base_url=base_url) for i in issued or []],
            errors=errors,
        )

    @strawberry.mutation(
        description=(
            "ask for a new slip for a household that already signed in (issueInvitations skips those); a second "
            "person must approve it with approveReissue"
        )
    )
    async def request_reissue(self, info: Info, input: RequestReissueInput) -> ReissueRequestPayload:
        request, errors = await call(
            info, roll.request_reissue, voter_entry_id=input.voter_entry_id, reason=input.reason
        )
        return ReissueRequestPayload(request=ReissueRequest(m=request) if request else None, errors=errors)

    @strawberry.mutation(
        description=(
            "approve a request for a new slip: a CPPCC member (an admin where there is none), never the requester; "
            "the household's phone is signed out and the new code is returned here, once"
        )
    )
    async def approve_reissue(self, info: Info, input: ApproveReissueInput) -> ApproveReissuePayload:
        result, errors = await call(info, roll.approve_reissue, request_id=input.request_id)
        if result is None:
            return ApproveReissuePayload(request=None, invitation=None, errors=errors)
        request, issued = result
        return ApproveReissuePayload(
            request=ReissueRequest(m=request),
            invitation=Invitation(label=issued.label, code=issued.code, base_url=public_base_url(info)),
            errors=errors,
        )
