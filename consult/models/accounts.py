from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from consult.models.areas import StaffArea
    from consult.models.audit import AuditEvent, InstallationEvent
    from consult.models.consultations import Consultation, Party, StageChange
    from consult.models.costs import Contribution, CostPlan, CostShare
    from consult.models.demands import Demand, DemandSupport, Proposal
    from consult.models.reminders import Notice
    from consult.models.roll import VoterRollEntry
    from consult.models.supervision import Finding, FollowUp, Inspection, MilestoneUpdate
    from consult.models.voting import Ballot, Poll


class Account(Model):
    """A person who signs in: staff with a password, or a resident from an invitation slip."""

    id = fields.BigIntField(primary_key=True)
    # Residents who came in through an invitation have no username or password.
    username = fields.CharField(max_length=64, unique=True, null=True)
    password_hash = fields.CharField(max_length=256, null=True)
    display_name = fields.CharField(max_length=100)
    # Comma-separated Role names, e.g. "ORGANIZER,CPPCC_MEMBER".
    roles = fields.CharField(max_length=200)
    party: fields.ForeignKeyNullableRelation[Party] = fields.ForeignKeyField(
        "models.Party", null=True, related_name="representatives"
    )
    party_id: int | None
    created_at = fields.DatetimeField()
    # Whether the password is one its holder chose (changePassword), not one staff set when they
    # made the account or the CLI reset: what staff set, staff know, so a party rep's signature
    # made with it counts as on the party's behalf (consult.services.costs.confirm_share).
    own_password = fields.BooleanField(default=False, db_default=False)
    # How to reach a party's representative (organizers only): printed nowhere, shown to staff.
    phone = fields.CharField(max_length=30, null=True)
    # Where reminders go by email, when the installation sends email: set by its holder, or by
    # staff for a party's representative; shown to staff only.
    email = fields.CharField(max_length=254, null=True)

    # Filled in by Tortoise from the foreign keys that point here.
    areas: fields.ReverseRelation[StaffArea]
    slips: fields.ReverseRelation[AccountSlip]
    issued_slips: fields.ReverseRelation[AccountSlip]
    assigned_findings: fields.ReverseRelation[Finding]
    assisted_ballots: fields.ReverseRelation[Ballot]
    audit_events: fields.ReverseRelation[AuditEvent]
    installation_events: fields.ReverseRelation[InstallationEvent]
    confirmed_shares: fields.ReverseRelation[CostShare]
    contributions: fields.ReverseRelation[Contribution]
    convened_consultations: fields.ReverseRelation[Consultation]
    cost_plans: fields.ReverseRelation[CostPlan]
    created_consultations: fields.ReverseRelation[Consultation]
    demands: fields.ReverseRelation[Demand]
    follow_ups: fields.ReverseRelation[FollowUp]
    inspections: fields.ReverseRelation[Inspection]
    milestone_updates: fields.ReverseRelation[MilestoneUpdate]
    notices: fields.ReverseRelation[Notice]
    polls: fields.ReverseRelation[Poll]
    proposals: fields.ReverseRelation[Proposal]
    roll_entries: fields.ReverseRelation[VoterRollEntry]
    sessions: fields.ReverseRelation[Session]
    stage_changes: fields.ReverseRelation[StageChange]
    supports: fields.ReverseRelation[DemandSupport]

    class Meta:
        table = "account"

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class AccountSlip(Model):
    """The code on a printed slip that signs a party's representative in, without a password,
    as the slip of a household does. Only a keyed hash of the code is stored. A new slip for the
    same account voids the older ones."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="slips", db_index=True
    )
    account_id: int
    code_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    created_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="issued_slips"
    )
    created_by_id: int | None
    redeemed_at = fields.DatetimeField(null=True)
    voided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_slip"


class Session(Model):
    """A bearer token. Only its SHA-256 is stored."""

    id = fields.BigIntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="sessions", db_index=True
    )
    account_id: int
    # Set for resident sessions made from an invitation: the roll entry they vote for.
    roll_entry: fields.ForeignKeyNullableRelation[VoterRollEntry] = fields.ForeignKeyField(
        "models.VoterRollEntry", null=True, related_name="sessions"
    )
    roll_entry_id: int | None
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    # Opened with a slip reissued after approval, or with a slip already used before (another
    # phone, or whoever else kept the code): ballots cast with it are marked so in the trail.
    reissued = fields.BooleanField(default=False, db_default=False)
    # Opened with a slip that had been redeemed before: when it last was. The resident is
    # told, so a household whose slip someone else used (the office that printed it, say)
    # finds out when it next signs in.
    slip_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "session"


class AuthFailure(Model):
    """One failed login or redemption, kept briefly to slow down and refuse guessing."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=200, db_index=True)
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "auth_failure"
