from tortoise import fields
from tortoise.models import Model


class Party(Model):
    """A paying or responsible party: merchants, units, the street office, departments..."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=20)
    contact = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "party"


class Consultation(Model):
    id = fields.BigIntField(primary_key=True)
    title = fields.CharField(max_length=200)
    summary = fields.TextField()
    location = fields.CharField(max_length=200)
    stage = fields.CharField(max_length=20, db_index=True)
    # True once it has left DRAFT for a real stage. A DRAFT cancelled before that stays private.
    published = fields.BooleanField(default=False, db_default=False, db_index=True)
    created_at = fields.DatetimeField()
    created_by = fields.ForeignKeyField("models.Account", null=True, related_name="created_consultations")
    convener = fields.ForeignKeyField("models.Account", null=True, related_name="convened_consultations")
    # Head of the audit hash chain, kept on the row so that appending an event takes the
    # consultation's row lock and never races another writer for the next seq.
    last_seq = fields.IntField(default=0)
    head_hash = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "consultation"


class ConsultationParty(Model):
    id = fields.BigIntField(primary_key=True)
    consultation = fields.ForeignKeyField("models.Consultation", related_name="party_links")
    party = fields.ForeignKeyField("models.Party", related_name="consultation_links")
    position = fields.IntField()

    class Meta:
        table = "consultation_party"
        unique_together = (("consultation", "party"),)


class StageChange(Model):
    id = fields.BigIntField(primary_key=True)
    consultation = fields.ForeignKeyField("models.Consultation", related_name="stage_changes", db_index=True)
    from_stage = fields.CharField(max_length=20, null=True)
    to_stage = fields.CharField(max_length=20)
    at = fields.DatetimeField()
    by = fields.ForeignKeyField("models.Account", null=True, related_name="stage_changes")
    note = fields.TextField(null=True)

    class Meta:
        table = "stage_change"
