from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from consult.models.accounts import Account
    from consult.models.consultations import Consultation
    from consult.models.demands import Proposal
    from consult.models.roll import VoterRollEntry


class Poll(Model):
    """A question put to the voter roll, with its decision rule and a running tally."""

    id = fields.BigIntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="polls", db_index=True
    )
    consultation_id: int
    question = fields.TextField()
    kind = fields.CharField(max_length=20)
    # SCHEDULED, OPEN or CLOSED as last written. Times can move it on before the next write,
    # so readers use the effective status (consult.services.voting.effective_status).
    status = fields.CharField(max_length=20)
    max_choices = fields.IntField(null=True)
    opens_at = fields.DatetimeField(null=True)
    closes_at = fields.DatetimeField(null=True)
    opened_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    secret = fields.BooleanField()
    allow_revote = fields.BooleanField()
    live_results = fields.BooleanField()
    preset = fields.CharField(max_length=30)
    quorum_num = fields.IntField()
    quorum_den = fields.IntField()
    threshold_num = fields.IntField()
    threshold_den = fields.IntField()
    threshold_strict = fields.BooleanField()
    by_area = fields.BooleanField()
    # The electorate as it stood when the poll opened.
    electorate_size = fields.IntField(default=0)
    electorate_weight_e4 = fields.BigIntField(default=0)
    # The running tally, kept in the same transaction as each ballot. A secret poll keeps it
    # here only as of its last full batch, and its areas only once closed (running_sealed).
    tally_version = fields.IntField(default=0)
    ballots_cast = fields.IntField(default=0)
    ballots_weight_e4 = fields.BigIntField(default=0)
    # What an open secret poll shows: the tally as it stood at the last full batch of ballots
    # (consult.services.voting.TALLY_BATCH), so that no change in it is one household's.
    shown_version = fields.IntField(default=0, db_default=0)
    shown_ballots = fields.IntField(default=0, db_default=0)
    shown_weight_e4 = fields.BigIntField(default=0, db_default=0)
    # Online ballots of a secret poll reach the audit trail as one entry per batch, not one each
    # (each entry's time would be one household's): how many since the last entry were cast with
    # a moved slip (a reissued one, or one redeemed before), which that entry then counts.
    # Kept by earlier versions; the count is now sealed with the running count (Running.moved)
    # and this stays 0, as a clear counter would move with each such ballot.
    moved_pending = fields.IntField(default=0, db_default=0)
    # A secret poll's count as the last ballot left it, sealed under the server key
    # (consult.services.voting.Running): the clear columns above hold only the last full batch,
    # without areas, until the close writes the whole count into them and drops this.
    running_sealed = fields.TextField(null=True)
    created_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="polls"
    )
    created_by_id: int | None
    created_at = fields.DatetimeField()

    # Filled in by Tortoise from the foreign keys that point here.
    ballots: fields.ReverseRelation[Ballot]
    electors: fields.ReverseRelation[PollElector]
    options: fields.ReverseRelation[PollOption]

    class Meta:
        table = "poll"


class PollOption(Model):
    id = fields.BigIntField(primary_key=True)
    poll: fields.ForeignKeyRelation[Poll] = fields.ForeignKeyField("models.Poll", related_name="options", db_index=True)
    poll_id: int
    label = fields.CharField(max_length=200)
    position = fields.IntField()
    proposal: fields.ForeignKeyNullableRelation[Proposal] = fields.ForeignKeyField(
        "models.Proposal", null=True, related_name="poll_options"
    )
    proposal_id: int | None
    # Ballots naming this option (first preference for RANKED), and their weight.
    votes = fields.IntField(default=0)
    weight_e4 = fields.BigIntField(default=0)
    # The votes an open secret poll shows (Poll.shown_version).
    shown_votes = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "poll_option"


class PollElector(Model):
    """One roll entry in the electorate of a poll, with its weight when the poll opened."""

    id = fields.BigIntField(primary_key=True)
    poll: fields.ForeignKeyRelation[Poll] = fields.ForeignKeyField("models.Poll", related_name="electors")
    poll_id: int
    entry: fields.ForeignKeyRelation[VoterRollEntry] = fields.ForeignKeyField(
        "models.VoterRollEntry", related_name="electorates"
    )
    entry_id: int
    weight_e4 = fields.BigIntField()

    class Meta:
        table = "poll_elector"
        unique_together = (("poll", "entry"),)


class Ballot(Model):
    """One ballot per roll entry and poll.

    `voter_key` is an HMAC of (poll, roll entry) under the server key: it enforces one ballot
    per voter and lets the voter find their own ballot, but without the key it links the
    ballot to nobody. Only named polls also keep `entry` in the clear.

    A secret poll's ballot keeps its choices, its weight and its time only in `sealed`
    (AES-GCM under the server key, bound to the row's poll and voter key): `choices`,
    `weight_e4` and `cast_at` are NULL. A household's floor area is as good as its name when
    areas differ, and a time can be matched with a sign-in. Ids are random, not serial, so
    their order is not the order of voting (consult.services.voting.new_ballot_id).
    """

    id = fields.BigIntField(primary_key=True, generated=False)
    poll: fields.ForeignKeyRelation[Poll] = fields.ForeignKeyField("models.Poll", related_name="ballots", db_index=True)
    poll_id: int
    voter_key = fields.CharField(max_length=64)
    entry: fields.ForeignKeyNullableRelation[VoterRollEntry] = fields.ForeignKeyField(
        "models.VoterRollEntry", null=True, related_name="named_ballots"
    )
    entry_id: int | None
    receipt = fields.CharField(max_length=40, unique=True)
    origin = fields.CharField(max_length=10)
    # Option ids, most preferred first, as JSON text (NULL when sealed).
    choices = fields.TextField(null=True)
    weight_e4 = fields.BigIntField(null=True)
    cast_at = fields.DatetimeField(null=True)
    sealed = fields.TextField(null=True)
    assisted_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="assisted_ballots"
    )
    assisted_by_id: int | None
    note = fields.TextField(null=True)
    # HMAC of the session that cast it online (consult.services.voting.session_key).
    session_key = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "ballot"
        unique_together = (("poll", "voter_key"),)


class ReplacedReceipt(Model):
    """A receipt a revote replaced, kept only as its keyed digest beside its poll.

    Checking that receipt later can then say that a later ballot of the same household replaced
    it, and counts instead. Nothing links the row to the household, to either ballot, or to a
    time: the digest is its key, so not even the order of revotes shows.
    """

    digest = fields.CharField(max_length=64, primary_key=True)
    poll: fields.ForeignKeyRelation[Poll] = fields.ForeignKeyField("models.Poll", related_name="replaced_receipts")
    poll_id: int

    class Meta:
        table = "replaced_receipt"
