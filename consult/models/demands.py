from tortoise import fields
from tortoise.models import Model


class Demand(Model):
    """提诉求单: one demand as raised."""

    id = fields.BigIntField(primary_key=True)
    consultation = fields.ForeignKeyField("models.Consultation", related_name="demands", db_index=True)
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    channel = fields.CharField(max_length=20)
    status = fields.CharField(max_length=20)
    submitted_by = fields.ForeignKeyField("models.Account", null=True, related_name="demands")
    merged_into = fields.ForeignKeyField("models.Demand", null=True, related_name="merged")
    # Kept in step with DemandSupport inside the same transaction, so lists need no COUNT.
    support_count = fields.IntField(default=0)
    created_at = fields.DatetimeField()

    class Meta:
        table = "demand"


class DemandSupport(Model):
    id = fields.BigIntField(primary_key=True)
    demand = fields.ForeignKeyField("models.Demand", related_name="supports")
    account = fields.ForeignKeyField("models.Account", related_name="supports")
    at = fields.DatetimeField()

    class Meta:
        table = "demand_support"
        unique_together = (("demand", "account"),)


class Responsibility(Model):
    """列责任单: which party answers for what."""

    id = fields.BigIntField(primary_key=True)
    consultation = fields.ForeignKeyField("models.Consultation", related_name="responsibilities", db_index=True)
    party = fields.ForeignKeyField("models.Party", related_name="responsibilities")
    duty = fields.TextField()
    due_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "responsibility"


class Proposal(Model):
    """出方案单: a plan put to the parties and residents."""

    id = fields.BigIntField(primary_key=True)
    consultation = fields.ForeignKeyField("models.Consultation", related_name="proposals", db_index=True)
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    status = fields.CharField(max_length=20)
    author = fields.ForeignKeyField("models.Account", null=True, related_name="proposals")
    budget_fen = fields.BigIntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "proposal"
