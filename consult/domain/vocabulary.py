"""The closed sets of words of a consultation: roles, stages, statuses, kinds and categories.

Each set is a `StrEnum`, so a member *is* its string: it compares equal to the value stored in
the database's CharField columns and to the value the GraphQL API carries, and it serialises to
JSON as that string. Rows keep their columns as they are; code writes `Stage.VOTING` where it
used to write `"VOTING"`, and a typo becomes an AttributeError instead of a silent mismatch.

The GraphQL enums in `schema/` wrap these classes, and the labels people read come from one
catalogue (`consult.domain.labels`), keyed by these members.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What an account may do; an account can hold several roles."""

    ADMIN = "ADMIN"
    ORGANIZER = "ORGANIZER"
    CPPCC_MEMBER = "CPPCC_MEMBER"
    PARTY_REP = "PARTY_REP"
    RESIDENT = "RESIDENT"


class AreaKind(StrEnum):
    """The levels of an installation's places: one district, its streets and towns, their
    communities and villages."""

    DISTRICT = "DISTRICT"
    STREET = "STREET"
    COMMUNITY = "COMMUNITY"


class PartyKind(StrEnum):
    """The kind of a party."""

    CPPCC = "CPPCC"
    RESIDENTS = "RESIDENTS"
    MERCHANT = "MERCHANT"
    UNIT = "UNIT"
    STREET_OFFICE = "STREET_OFFICE"
    DEPARTMENT = "DEPARTMENT"
    ENTERPRISE = "ENTERPRISE"
    OTHER = "OTHER"


class Stage(StrEnum):
    """The stages of one consultation, in order; CANCELLED is reachable from any stage before ARCHIVED."""

    DRAFT = "DRAFT"
    COLLECTING = "COLLECTING"
    DELIBERATING = "DELIBERATING"
    VOTING = "VOTING"
    AGREED = "AGREED"
    IMPLEMENTING = "IMPLEMENTING"
    EVALUATING = "EVALUATING"
    ARCHIVED = "ARCHIVED"
    CANCELLED = "CANCELLED"


class DemandChannel(StrEnum):
    """Where a demand came in from."""

    RESIDENT = "RESIDENT"
    GRID_WORKER = "GRID_WORKER"
    COURIER = "COURIER"
    HOTLINE = "HOTLINE"
    CPPCC_MEMBER = "CPPCC_MEMBER"
    OTHER = "OTHER"


class DemandStatus(StrEnum):
    """How organizers triaged a demand."""

    OPEN = "OPEN"
    ACCEPTED = "ACCEPTED"
    MERGED = "MERGED"
    REJECTED = "REJECTED"


class ProposalStatus(StrEnum):
    """Where a proposal stands."""

    DRAFT = "DRAFT"
    TABLED = "TABLED"
    ADOPTED = "ADOPTED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


class SplitMethod(StrEnum):
    """How a cost plan divides its total among the paying parties."""

    EQUAL = "EQUAL"
    FIXED = "FIXED"
    PERCENT = "PERCENT"
    WEIGHTED = "WEIGHTED"


class PollKind(StrEnum):
    """What kind of question a poll asks."""

    YES_NO_ABSTAIN = "YES_NO_ABSTAIN"
    SINGLE_CHOICE = "SINGLE_CHOICE"
    MULTIPLE_CHOICE = "MULTIPLE_CHOICE"
    RANKED = "RANKED"


class PollStatus(StrEnum):
    """Where a poll stands; times move it on by themselves."""

    SCHEDULED = "SCHEDULED"
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class DecisionPreset(StrEnum):
    """How a poll decides: named rules, or CUSTOM numbers."""

    SIMPLE_MAJORITY = "SIMPLE_MAJORITY"
    TWO_THIRDS = "TWO_THIRDS"
    CIVIL_CODE_278_ORDINARY = "CIVIL_CODE_278_ORDINARY"
    CIVIL_CODE_278_MAJOR = "CIVIL_CODE_278_MAJOR"
    CUSTOM = "CUSTOM"


class PollOutcome(StrEnum):
    """What a poll decided."""

    PENDING = "PENDING"
    PASSED = "PASSED"
    FAILED = "FAILED"
    DECIDED = "DECIDED"
    UNDECIDED = "UNDECIDED"


class BallotOrigin(StrEnum):
    """How a ballot reached the count."""

    ONLINE = "ONLINE"
    PAPER = "PAPER"
    ASSISTED = "ASSISTED"


class MilestoneKind(StrEnum):
    """What kind of step of the works a milestone is."""

    FUNDING = "FUNDING"
    TENDER = "TENDER"
    CONSTRUCTION = "CONSTRUCTION"
    ACCEPTANCE = "ACCEPTANCE"
    OTHER = "OTHER"


class MilestoneStatus(StrEnum):
    """Where a milestone stands; computed from progress, dates and the clock, never stored."""

    PLANNED = "PLANNED"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    OVERDUE = "OVERDUE"


class FindingCategory(StrEnum):
    """Kinds of problem seen in supervision."""

    FUNDING_SHORTFALL = "FUNDING_SHORTFALL"
    SLOW_PROGRESS = "SLOW_PROGRESS"
    QUALITY = "QUALITY"
    NOISE = "NOISE"
    SAFETY = "SAFETY"
    OTHER = "OTHER"


class FindingStatus(StrEnum):
    """Where a finding stands in the loop of rectification and verification."""

    OPEN = "OPEN"
    RESOLVED = "RESOLVED"
    VERIFIED = "VERIFIED"
    REOPENED = "REOPENED"


class EventKind(StrEnum):
    """What an audit event is about; also the kind of the live event pushed to subscribers."""

    CREATED = "CREATED"
    PARTY_ADDED = "PARTY_ADDED"
    STAGE_CHANGED = "STAGE_CHANGED"
    DEMAND_SUBMITTED = "DEMAND_SUBMITTED"
    DEMAND_SUPPORTED = "DEMAND_SUPPORTED"
    DEMAND_STATUS_CHANGED = "DEMAND_STATUS_CHANGED"
    VOTER_ROLL_SET = "VOTER_ROLL_SET"
    INVITATIONS_ISSUED = "INVITATIONS_ISSUED"
    RESPONSIBILITY_ASSIGNED = "RESPONSIBILITY_ASSIGNED"
    PROPOSAL_CHANGED = "PROPOSAL_CHANGED"
    COST_PLAN_SET = "COST_PLAN_SET"
    SHARE_CONFIRMED = "SHARE_CONFIRMED"
    CONTRIBUTION_RECORDED = "CONTRIBUTION_RECORDED"
    POLL_CHANGED = "POLL_CHANGED"
    TALLY_CHANGED = "TALLY_CHANGED"
    MILESTONE_UPDATED = "MILESTONE_UPDATED"
    INSPECTION_RECORDED = "INSPECTION_RECORDED"
    FINDING_CHANGED = "FINDING_CHANGED"
    RATING_ADDED = "RATING_ADDED"
    FOLLOW_UP_RECORDED = "FOLLOW_UP_RECORDED"
    PHOTOS_ADDED = "PHOTOS_ADDED"
    DETAILS_CHANGED = "DETAILS_CHANGED"
    ARCHIVED = "ARCHIVED"


class PhotoFormat(StrEnum):
    """What an uploaded photo was, judged by its content."""

    JPEG = "JPEG"
    PNG = "PNG"
    WEBP = "WEBP"


class ReceiptStatus(StrEnum):
    """What a ballot receipt says when it is checked."""

    COUNTED = "COUNTED"
    REPLACED = "REPLACED"
    UNKNOWN = "UNKNOWN"


class ReminderKind(StrEnum):
    """What a reminder is about (定时限): a deadline coming or passed."""

    FINDING_DUE = "FINDING_DUE"
    FINDING_OVERDUE = "FINDING_OVERDUE"
    MILESTONE_OVERDUE = "MILESTONE_OVERDUE"
    SHARE_UNCONFIRMED = "SHARE_UNCONFIRMED"
    POLL_CLOSING = "POLL_CLOSING"
    FOLLOW_UP_DUE = "FOLLOW_UP_DUE"


class DeliveryChannel(StrEnum):
    """How a reminder goes out besides the bell."""

    EMAIL = "EMAIL"
    WEBHOOK = "WEBHOOK"


class DeliveryStatus(StrEnum):
    """Where one outbound reminder stands."""

    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"


# Every vocabulary, by the name the GraphQL schema gives it.
VOCABULARIES: tuple[type[StrEnum], ...] = (
    Role,
    AreaKind,
    PartyKind,
    Stage,
    DemandChannel,
    DemandStatus,
    ProposalStatus,
    SplitMethod,
    PollKind,
    PollStatus,
    DecisionPreset,
    PollOutcome,
    BallotOrigin,
    MilestoneKind,
    MilestoneStatus,
    FindingCategory,
    FindingStatus,
    EventKind,
    PhotoFormat,
    ReceiptStatus,
    ReminderKind,
    DeliveryChannel,
    DeliveryStatus,
)
