from tortoise import fields
from tortoise.models import Model


class VoterRollEntry(Model):
    """居民名册: one household or person who may vote and rate.

    Replacing the roll keeps entries whose label stays (so their invitations and sessions
    survive a corrected area) and retires the others instead of deleting them.
    """

    id = fields.BigIntField(primary_key=True)
    consultation = fields.ForeignKeyField("models.Consultation", related_name="roll_entries", db_index=True)
    label = fields.CharField(max_length=200)
    # Area in m² (or 1 per head) in units of 1/10,000, so sums stay exact integers.
    weight_e4 = fields.BigIntField()
    position = fields.IntField()
    account = fields.ForeignKeyField("models.Account", null=True, related_name="roll_entries")
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "voter_roll_entry"


class Invitation(Model):
    """The code on a printed invitation slip. Only a keyed hash of the code is stored."""

    id = fields.BigIntField(primary_key=True)
    entry = fields.ForeignKeyField("models.VoterRollEntry", related_name="invitations", db_index=True)
    code_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    redeemed_at = fields.DatetimeField(null=True)
    voided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invitation"
