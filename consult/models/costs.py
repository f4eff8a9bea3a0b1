from tortoise import fields
from tortoise.models import Model


class CostPlan(Model):
    """出资分担方案: how the cost of one proposal is split among the paying parties."""

    id = fields.BigIntField(primary_key=True)
    proposal = fields.OneToOneField("models.Proposal", related_name="cost_plan")
    total_fen = fields.BigIntField()
    method = fields.CharField(max_length=20)
    updated_at = fields.DatetimeField()
    updated_by = fields.ForeignKeyField("models.Account", null=True, related_name="cost_plans")

    class Meta:
        table = "cost_plan"


class CostShare(Model):
    """The share of one party in a plan, confirmed by its representative (签协议)."""

    id = fields.BigIntField(primary_key=True)
    plan = fields.ForeignKeyField("models.CostPlan", related_name="shares", db_index=True)
    party = fields.ForeignKeyField("models.Party", related_name="cost_shares")
    position = fields.IntField()
    amount_fen = fields.BigIntField()
    percent = fields.CharField(max_length=20, null=True)
    weight = fields.CharField(max_length=30, null=True)
    confirmed_at = fields.DatetimeField(null=True)
    confirmed_by = fields.ForeignKeyField("models.Account", null=True, related_name="confirmed_shares")
    # Kept in step with the contributions inside the same transaction.
    paid_fen = fields.BigIntField(default=0)

    class Meta:
        table = "cost_share"
        unique_together = (("plan", "party"),)


class Contribution(Model):
    """Money received against a share."""

    id = fields.BigIntField(primary_key=True)
    share = fields.ForeignKeyField("models.CostShare", related_name="contributions", db_index=True)
    amount_fen = fields.BigIntField()
    received_at = fields.DatetimeField()
    note = fields.TextField(null=True)
    recorded_by = fields.ForeignKeyField("models.Account", null=True, related_name="contributions")
    created_at = fields.DatetimeField()

    class Meta:
        table = "contribution"
