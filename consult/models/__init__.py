"""Tortoise models. Tortoise discovers every model imported here."""

from consult.models.accounts import Account, AccountSlip, AuthFailure, Session
from consult.models.areas import Area, StaffArea
from consult.models.audit import AuditEvent, InstallationEvent
from consult.models.consultations import Consultation, ConsultationParty, Party, StageChange
from consult.models.costs import Contribution, CostPlan, CostShare
from consult.models.demands import Demand, DemandSupport, Proposal, Responsibility
from consult.models.photos import Photo
from consult.models.reminders import Delivery, Notice, Reminder, SchedulerLease
from consult.models.roll import Invitation, ReissueRequest, VoterRollEntry
from consult.models.supervision import Dossier, Finding, FollowUp, Inspection, Milestone, MilestoneUpdate, Rating
from consult.models.voting import Ballot, Poll, PollElector, PollOption, ReplacedReceipt

__all__ = [
    "Account",
    "AccountSlip",
    "Area",
    "AuditEvent",
    "AuthFailure",
    "Ballot",
    "Consultation",
    "ConsultationParty",
    "Contribution",
    "CostPlan",
    "CostShare",
    "Delivery",
    "Demand",
    "DemandSupport",
    "Dossier",
    "Finding",
    "FollowUp",
    "Inspection",
    "InstallationEvent",
    "Invitation",
    "Milestone",
    "MilestoneUpdate",
    "Notice",
    "Party",
    "Photo",
    "Poll",
    "PollElector",
    "PollOption",
    "Proposal",
    "Rating",
    "ReissueRequest",
    "Reminder",
    "ReplacedReceipt",
    "Responsibility",
    "SchedulerLease",
    "Session",
    "StaffArea",
    "StageChange",
    "VoterRollEntry",
]
