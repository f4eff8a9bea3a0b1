from tortoise import fields
from tortoise.models import Model


class Account(Model):
    """A person who signs in: staff with a password, or a resident from an invitation slip."""

    id = fields.BigIntField(primary_key=True)
    # Residents who came in through an invitation have no username or password.
    username = fields.CharField(max_length=64, unique=True, null=True)
    password_hash = fields.CharField(max_length=256, null=True)
    display_name = fields.CharField(max_length=100)
    # Comma-separated Role names, e.g. "ORGANIZER,CPPCC_MEMBER".
    roles = fields.CharField(max_length=200)
    party = fields.ForeignKeyField("models.Party", null=True, related_name="representatives")
    created_at = fields.DatetimeField()

    class Meta:
        table = "account"

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class Session(Model):
    """A bearer token. Only its SHA-256 is stored."""

    id = fields.BigIntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    account = fields.ForeignKeyField("models.Account", related_name="sessions", db_index=True)
    # Set for resident sessions made from an invitation: the roll entry they vote for.
    roll_entry = fields.ForeignKeyField("models.VoterRollEntry", null=True, related_name="sessions")
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "session"


class AuthFailure(Model):
    """One failed login or redemption, kept briefly to slow down and refuse guessing."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=200, db_index=True)
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "auth_failure"
