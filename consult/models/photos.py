from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from consult.models.accounts import Account
    from consult.models.consultations import Consultation


class Photo(Model):
    """One photo as evidence (随手拍): kept re-encoded, by content hash (consult.blobs).

    Uploaded first and attached in the same step as the thing it shows (a demand, a finding,
    a fix report or a progress report). Until then only its uploader sees it, and it has no
    consultation; attached, it is seen by whoever sees its consultation, and never moves again.
    """

    id = fields.BigIntField(primary_key=True)
    uploaded_by: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField("models.Account", related_name="photos")
    uploaded_by_id: int
    uploaded_at = fields.DatetimeField()
    # What the upload was, judged by its content: JPEG, PNG or WEBP.
    format = fields.CharField(max_length=8)
    sha256 = fields.CharField(max_length=64)
    byte_size = fields.IntField()
    width = fields.IntField()
    height = fields.IntField()
    phone_sha256 = fields.CharField(max_length=64)
    phone_byte_size = fields.IntField()
    phone_width = fields.IntField()
    phone_height = fields.IntField()
    # Set together when the photo is attached: DEMAND, FINDING, FIX (a finding's fix report,
    # subject_id the finding) or PROGRESS (subject_id the MilestoneUpdate).
    consultation: fields.ForeignKeyNullableRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", null=True, related_name="photos"
    )
    consultation_id: int | None
    subject_kind = fields.CharField(max_length=12, null=True)
    subject_id = fields.BigIntField(null=True)
    attached_at = fields.DatetimeField(null=True)
    position = fields.SmallIntField(default=0)

    class Meta:
        table = "photo"
        indexes = (
            ("subject_kind", "subject_id"),
            ("uploaded_by_id", "attached_at"),
            ("consultation_id", "subject_kind"),
        )
