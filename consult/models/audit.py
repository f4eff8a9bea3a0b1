from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from consult.models.accounts import Account
    from consult.models.consultations import Consultation


class AuditEvent(Model):
    """One link of the hash chain of a consultation, and the replay source for live events."""

    id = fields.BigIntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="audit_events"
    )
    consultation_id: int
    seq = fields.IntField()
    at = fields.DatetimeField()
    actor: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="audit_events"
    )
    actor_id: int | None
    action = fields.CharField(max_length=60)
    kind = fields.CharField(max_length=40)
    subject = fields.CharField(max_length=120, null=True)
    summary = fields.TextField()
    # Canonical JSON of what changed; hashed as stored.
    payload = fields.TextField()
    prev_hash = fields.CharField(max_length=64, null=True)
    hash = fields.CharField(max_length=64)

    class Meta:
        table = "audit_event"
        unique_together = (("consultation", "seq"),)


class InstallationEvent(Model):
    """One link of the installation's own hash chain: who made which account, with which roles.

    A consultation's trail records what happens in it; accounts and roles belong to no
    consultation, and were recorded nowhere. Same hashing as AuditEvent (consult.audit).
    """

    id = fields.BigIntField(primary_key=True)
    seq = fields.IntField(unique=True)
    at = fields.DatetimeField()
    # NULL for the command line (`consult create-admin`), which runs as no account.
    actor: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="installation_events"
    )
    actor_id: int | None
    action = fields.CharField(max_length=60)
    subject = fields.CharField(max_length=120, null=True)
    summary = fields.TextField()
    payload = fields.TextField()
    prev_hash = fields.CharField(max_length=64, null=True)
    hash = fields.CharField(max_length=64)

    class Meta:
        table = "installation_event"
