from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from consult.models.accounts import Account
    from consult.models.consultations import Party
    from consult.models.demands import Proposal


class CostPlan(Model):
    """出资分担方案: how the cost of one proposal is split among the paying parties."""

    id = fields.BigIntField(primary_key=True)
    proposal: fields.OneToOneRelation[Proposal] = fields.OneToOneField("models.Proposal", related_name="cost_plan")
    proposal_id: int
    total_fen = fields.BigIntField()
    method = fields.CharField(max_length=20)
    updated_at = fields.DatetimeField()
    updated_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="cost_plans"
    )
    updated_by_id: int | None

    # Filled in by Tortoise from the foreign keys that point here.
    shares: fields.ReverseRelation[CostShare]

    class Meta:
        table = "cost_plan"


class CostShare(Model):
    """The share of one party in a plan, confirmed by its representative (签协议)."""

    id = fields.BigIntField(primary_key=True)
    plan: fields.ForeignKeyRelation[CostPlan] = fields.ForeignKeyField(
        "models.CostPlan", related_name="shares", db_index=True
    )
    plan_id: int
    party: fields.ForeignKeyRelation[Party] = fields.ForeignKeyField("models.Party", related_name="cost_shares")
    party_id: int
    position = fields.IntField()
    amount_fen = fields.BigIntField()
    percent = fields.CharField(max_length=20, null=True)
    weight = fields.CharField(max_length=30, null=True)
    confirmed_at = fields.DatetimeField(null=True)
    confirmed_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="confirmed_shares"
    )
    confirmed_by_id: int | None
    # Whether it was confirmed by anyone but the party's own rep signing with a password of
    # their own: fixed when confirmed. NULL for shares confirmed before this was kept.
    confirmed_on_behalf = fields.BooleanField(null=True)
    # Kept in step with the contributions inside the same transaction.
    paid_fen = fields.BigIntField(default=0)

    # Filled in by Tortoise from the foreign keys that point here.
    contributions: fields.ReverseRelation[Contribution]

    class Meta:
        table = "cost_share"
        unique_together = (("plan", "party"),)


class Contribution(Model):
    """Money received against a share."""

    id = fields.BigIntField(primary_key=True)
    share: fields.ForeignKeyRelation[CostShare] = fields.ForeignKeyField(
        "models.CostShare", related_name="contributions", db_index=True
    )
    share_id: int
    amount_fen = fields.BigIntField()
    received_at = fields.DatetimeField()
    note = fields.TextField(null=True)
    recorded_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="contributions"
    )
    recorded_by_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "contribution"
