from tortoise import fields
from tortoise.models import Model


class Milestone(Model):
    """定时限单: a step of the works with its planned and actual dates."""

    id = fields.BigIntField(primary_key=True)
    consultation = fields.ForeignKeyField("models.Consultation", related_name="milestones", db_index=True)
    title = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=20)
    responsible_party = fields.ForeignKeyField("models.Party", null=True, related_name="milestones")
    planned_start = fields.DatetimeField(null=True)
    planned_end = fields.DatetimeField()
    actual_start = fields.DatetimeField(null=True)
    actual_end = fields.DatetimeField(null=True)
    progress = fields.IntField(default=0)
    created_at = fields.DatetimeField()

    class Meta:
        table = "milestone"


class MilestoneUpdate(Model):
    id = fields.BigIntField(primary_key=True)
    milestone = fields.ForeignKeyField("models.Milestone", related_name="updates", db_index=True)
    at = fields.DatetimeField()
    by = fields.ForeignKeyField("models.Account", null=True, related_name="milestone_updates")
    progress = fields.IntField()
    note = fields.TextField(null=True)

    class Meta:
        table = "milestone_update"


class Inspection(Model):
    """A CPPCC member's visit to the works."""

    id = fields.BigIntField(primary_key=True)
    consultation = fields.ForeignKeyField("models.Consultation", related_name="inspections", db_index=True)
    inspector = fields.ForeignKeyField("models.Account", related_name="inspections")
    milestone = fields.ForeignKeyField("models.Milestone", null=True, related_name="inspections")
    visited_at = fields.DatetimeField()
    notes = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "inspection"


class Finding(Model):
    """A problem found while supervising, closed by the five-fixed loop (五定闭环)."""

    id = fields.BigIntField(primary_key=True)
    consultation = fields.ForeignKeyField("models.Consultation", related_name="findings", db_index=True)
    inspection = fields.ForeignKeyField("models.Inspection", related_name="findings", db_index=True)
    category = fields.CharField(max_length=30)
    description = fields.TextField()
    assignee = fields.ForeignKeyField("models.Account", null=True, related_name="assigned_findings")
    responsible_party = fields.ForeignKeyField("models.Party", related_name="findings")
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
    consultation = fields.ForeignKeyField("models.Consultation", related_name="ratings", db_index=True)
    entry = fields.ForeignKeyField("models.VoterRollEntry", related_name="ratings")
    score = fields.SmallIntField()
    comment = fields.TextField(null=True)
    at = fields.DatetimeField()

    class Meta:
        table = "rating"
        unique_together = (("consultation", "entry"),)


class FollowUp(Model):
    """跟踪回访: a follow-up visit after the works."""

    id = fields.BigIntField(primary_key=True)
    consultation = fields.ForeignKeyField("models.Consultation", related_name="follow_ups", db_index=True)
    at = fields.DatetimeField()
    by = fields.ForeignKeyField("models.Account", null=True, related_name="follow_ups")
    notes = fields.TextField()

    class Meta:
        table = "follow_up"


class Dossier(Model):
    """存入档案单: the sealed record of a finished consultation."""

    id = fields.BigIntField(primary_key=True)
    consultation = fields.OneToOneField("models.Consultation", related_name="dossier")
    sealed_at = fields.DatetimeField()
    sha256 = fields.CharField(max_length=64)
    # The canonical JSON text that sha256 was taken over.
    document = fields.TextField()

    class Meta:
        table = "dossier"
