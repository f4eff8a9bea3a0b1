from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from consult.models.accounts import Account
    from consult.models.consultations import Consultation


class Area(Model):
    """One place in the installation's tree: the district (区) at the top, its streets and towns
    (街道/镇), and under each its communities and villages (社区/村). Every consultation belongs
    to one community; staff act where their areas reach (StaffArea)."""

    id = fields.BigIntField(primary_key=True)
    # AreaKind: DISTRICT, STREET or COMMUNITY.
    kind = fields.CharField(max_length=20)
    name = fields.CharField(max_length=100)
    parent: fields.ForeignKeyNullableRelation[Area] = fields.ForeignKeyField(
        "models.Area", null=True, related_name="children", db_index=True, on_delete=fields.NO_ACTION
    )
    parent_id: int | None
    # Where it is listed among its siblings.
    position = fields.IntField(default=0, db_default=0)

    # Filled in by Tortoise from the foreign keys that point here.
    children: fields.ReverseRelation[Area]
    consultations: fields.ReverseRelation[Consultation]
    staff: fields.ReverseRelation[StaffArea]

    class Meta:
        table = "area"


class StaffArea(Model):
    """Where one staff account acts: a district row reaches everything, a street row its
    communities, a community row that community. Organizers, admins and CPPCC members act on
    consultations in the communities their rows reach; an account with none reaches nothing."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="areas", db_index=True
    )
    account_id: int
    area: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField("models.Area", related_name="staff", db_index=True)
    area_id: int

    class Meta:
        table = "staff_area"
        unique_together = (("account", "area"),)
