from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from consult.models.accounts import Account
    from consult.models.consultations import Consultation, Party
    from consult.models.roll import VoterRollEntry


class Milestone(Model):
    """定时限单: a step of the works with its planned and actual dates."""

    id = fields.BigIntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="milestones", db_index=True
    )
    consultation_id: int
    title = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=20)
    responsible_party: fields.ForeignKeyNullableRelation[Party] = fields.ForeignKeyField(
        "models.Party", null=True, related_name="milestones"
    )
    responsible_party_id: int | None
    planned_start = fields.DatetimeField(null=True)
    planned_end = fields.DatetimeField()
    actual_start = fields.DatetimeField(null=True)
    actual_end = fields.DatetimeField(null=True)
    progress = fields.IntField(default=0)
    created_at = fields.DatetimeField()

    # Filled in by Tortoise from the foreign keys that point here.
    inspections: fields.ReverseRelation[Inspection]
    updates: fields.ReverseRelation[MilestoneUpdate]

    class Meta:
        table = "milestone"


class MilestoneUpdate(Model):
    id = fields.BigIntField(primary_key=True)
    milestone: fields.ForeignKeyRelation[Milestone] = fields.ForeignKeyField(
        "models.Milestone", related_name="updates", db_index=True
    )
    milestone_id: int
    at = fields.DatetimeField()
    by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="milestone_updates"
    )
    by_id: int | None
    progress = fields.IntField()
    note = fields.TextField(null=True)

    class Meta:
        table = "milestone_update"


class Inspection(Model):
    """A CPPCC member's visit to the works."""

    id = fields.BigIntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="inspections", db_index=True
    )
    consultation_id: int
    inspector: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField("models.Account", related_name="inspections")
    inspector_id: int
    milestone: fields.ForeignKeyNullableRelation[Milestone] = fields.ForeignKeyField(
        "models.Milestone", null=True, related_name="inspections"
    )
    milestone_id: int | None
    visited_at = fields.DatetimeField()
    notes = fields.TextField()
    created_at = fields.DatetimeField()

    # Filled in by Tortoise from the foreign keys that point here.
    findings: fields.ReverseRelation[Finding]

    class Meta:
        table = "inspection"


class Finding(Model):
    """A problem found while supervising, closed by the five-fixed loop (五定闭环)."""

    id = fields.BigIntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="findings", db_index=True
    )
    consultation_id: int
    inspection: fields.ForeignKeyRelation[Inspection] = fields.ForeignKeyField(
        "models.Inspection", related_name="findings", db_index=True
    )
    inspection_id: int
    category = fields.CharField(max_length=30)
    description = fields.TextField()
    assignee: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="assigned_findings"
    )
    assignee_id: int | None
    responsible_party: fields.ForeignKeyRelation[Party] = fields.ForeignKeyField(
        "models.Party", related_name="findings"
    )
    responsible_party_id: int
    due_at = fields.DatetimeField()
    expected_outcome = fields.TextField()
    status = fields.CharField(max_length=20)
    resolution = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "finding"


class Rating(Model):
    """A household rating of the outcome (给反馈单), one per roll entry."""

    id = fields.BigIntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="ratings", db_index=True
    )
    consultation_id: int
    entry: fields.ForeignKeyRelation[VoterRollEntry] = fields.ForeignKeyField(
        "models.VoterRollEntry", related_name="ratings"
    )
    entry_id: int
    score = fields.SmallIntField()
    comment = fields.TextField(null=True)
    at = fields.DatetimeField()

    class Meta:
        table = "rating"
        unique_together = (("consultation", "entry"),)


class FollowUp(Model):
    """跟踪回访: a follow-up visit after the works."""

    id = fields.BigIntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="follow_ups", db_index=True
    )
    consultation_id: int
    at = fields.DatetimeField()
    by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="follow_ups"
    )
    by_id: int | None
    notes = fields.TextField()

    class Meta:
        table = "follow_up"


class Dossier(Model):
    """存入档案单: the sealed record of a finished consultation."""

    id = fields.BigIntField(primary_key=True)
    consultation: fields.OneToOneRelation[Consultation] = fields.OneToOneField(
        "models.Consultation", related_name="dossier"
    )
    consultation_id: int
    sealed_at = fields.DatetimeField()
    sha256 = fields.CharField(max_length=64)
    # The canonical JSON text that sha256 was taken over.
    document = fields.TextField()

    class Meta:
        table = "dossier"
