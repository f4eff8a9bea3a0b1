from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from consult.models.accounts import Account
    from consult.models.consultations import Consultation, Party
    from consult.models.costs import CostPlan
    from consult.models.voting import PollOption


class Demand(Model):
    """提诉求单: one demand as raised."""

    id = fields.BigIntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="demands", db_index=True
    )
    consultation_id: int
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    channel = fields.CharField(max_length=20)
    status = fields.CharField(max_length=20)
    submitted_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="demands"
    )
    submitted_by_id: int | None
    merged_into: fields.ForeignKeyNullableRelation[Demand] = fields.ForeignKeyField(
        "models.Demand", null=True, related_name="merged"
    )
    merged_into_id: int | None
    # Kept in step with DemandSupport inside the same transaction, so lists need no COUNT.
    support_count = fields.IntField(default=0)
    created_at = fields.DatetimeField()

    # Filled in by Tortoise from the foreign keys that point here.
    merged: fields.ReverseRelation[Demand]
    supports: fields.ReverseRelation[DemandSupport]

    class Meta:
        table = "demand"


class DemandSupport(Model):
    id = fields.BigIntField(primary_key=True)
    demand: fields.ForeignKeyRelation[Demand] = fields.ForeignKeyField("models.Demand", related_name="supports")
    demand_id: int
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField("models.Account", related_name="supports")
    account_id: int
    at = fields.DatetimeField()

    class Meta:
        table = "demand_support"
        unique_together = (("demand", "account"),)


class Responsibility(Model):
    """列责任单: which party answers for what."""

    id = fields.BigIntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="responsibilities", db_index=True
    )
    consultation_id: int
    party: fields.ForeignKeyRelation[Party] = fields.ForeignKeyField("models.Party", related_name="responsibilities")
    party_id: int
    duty = fields.TextField()
    due_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "responsibility"


class Proposal(Model):
    """出方案单: a plan put to the parties and residents."""

    id = fields.BigIntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="proposals", db_index=True
    )
    consultation_id: int
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    status = fields.CharField(max_length=20)
    author: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="proposals"
    )
    author_id: int | None
    budget_fen = fields.BigIntField()
    created_at = fields.DatetimeField()

    # Filled in by Tortoise from the foreign keys that point here.
    cost_plan: fields.BackwardOneToOneRelation[CostPlan]
    poll_options: fields.ReverseRelation[PollOption]

    class Meta:
        table = "proposal"
