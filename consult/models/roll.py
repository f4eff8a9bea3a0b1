from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from consult.models.accounts import Account, Session
    from consult.models.consultations import Consultation
    from consult.models.supervision import Rating
    from consult.models.voting import Ballot, PollElector


class VoterRollEntry(Model):
    """居民名册: one household or person who may vote and rate.

    Replacing the roll keeps entries whose label stays (so their invitations and sessions
    survive a corrected area) and retires the others instead of deleting them.
    """

    id = fields.BigIntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="roll_entries", db_index=True
    )
    consultation_id: int
    label = fields.CharField(max_length=200)
    # Area in m² (or 1 per head) in units of 1/10,000, so sums stay exact integers.
    weight_e4 = fields.BigIntField()
    # False when the roll gave no area and the household counts as one head (weight 1): a poll
    # that counts area may not be taken from such a roll (never 1 m² by default).
    area_given = fields.BooleanField(default=True, db_default=True)
    position = fields.IntField()
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="roll_entries", db_index=True
    )
    account_id: int | None
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()

    # Filled in by Tortoise from the foreign keys that point here.
    electorates: fields.ReverseRelation[PollElector]
    invitations: fields.ReverseRelation[Invitation]
    named_ballots: fields.ReverseRelation[Ballot]
    ratings: fields.ReverseRelation[Rating]
    sessions: fields.ReverseRelation[Session]

    class Meta:
        table = "voter_roll_entry"
        # A page of the roll (schema.roll) is one range read of this index at any depth.
        indexes = (("consultation_id", "active", "position", "id"),)


class Invitation(Model):
    """The code on a printed invitation slip. Only a keyed hash of the code is stored."""

    id = fields.BigIntField(primary_key=True)
    entry: fields.ForeignKeyRelation[VoterRollEntry] = fields.ForeignKeyField(
        "models.VoterRollEntry", related_name="invitations", db_index=True
    )
    entry_id: int
    code_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    redeemed_at = fields.DatetimeField(null=True)
    voided_at = fields.DatetimeField(null=True)
    # Issued again, with a second person's approval, to a household that had already signed in.
    reissued = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "invitation"


class ReissueRequest(Model):
    """A household that signed in needs a new slip (a lost phone, a changed number). One person
    asks, with a reason; another approves: a CPPCC member, or an admin where there is none."""

    id = fields.BigIntField(primary_key=True)
    entry: fields.ForeignKeyRelation[VoterRollEntry] = fields.ForeignKeyField(
        "models.VoterRollEntry", related_name="reissue_requests", db_index=True
    )
    entry_id: int
    reason = fields.TextField()
    status = fields.CharField(max_length=20)  # PENDING, APPROVED
    requested_by: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="reissues_requested"
    )
    requested_by_id: int
    requested_at = fields.DatetimeField()
    approved_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="reissues_approved"
    )
    approved_by_id: int | None
    approved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "reissue_request"
