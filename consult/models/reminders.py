"""Reminders that keep every deadline (定时限): what was raised, who was told in the app, and
what went out by email or webhook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from consult.models.accounts import Account
    from consult.models.consultations import Consultation


class Reminder(Model):
    """One reminder, raised once by the sweep (consult.services.reminders.sweep). `dedupe_key`
    names the deadline it is about, with its due time, so a second sweep cannot raise it again
    while a moved deadline gets a new one."""

    id = fields.BigIntField(primary_key=True)
    # ReminderKind: FINDING_DUE, FINDING_OVERDUE, MILESTONE_OVERDUE, SHARE_UNCONFIRMED,
    # POLL_CLOSING, FOLLOW_UP_DUE.
    kind = fields.CharField(max_length=30)
    # What it is about: FINDING, MILESTONE, SHARE, POLL or FOLLOW_UP, and that row's id.
    subject_type = fields.CharField(max_length=20)
    subject_id = fields.BigIntField()
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="reminders", db_index=True
    )
    consultation_id: int
    # The party answering for it (its reps are told), and the person named on a finding.
    party_id = fields.BigIntField(null=True)
    person_id = fields.BigIntField(null=True)
    due_at = fields.DatetimeField()
    text = fields.TextField()
    dedupe_key = fields.CharField(max_length=120, unique=True)
    created_at = fields.DatetimeField()
    # Set once its notices and deliveries are made, in the sweep's own transaction.
    fanned_out = fields.BooleanField(default=False, db_default=False, db_index=True)

    class Meta:
        table = "reminder"


class Notice(Model):
    """A reminder as one account sees it in the app (the bell)."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField("models.Account", related_name="notices")
    account_id: int
    reminder: fields.ForeignKeyRelation[Reminder] = fields.ForeignKeyField(
        "models.Reminder", related_name="notices", db_index=True
    )
    reminder_id: int
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notice"
        unique_together = (("account", "reminder"),)
        indexes = (("account_id", "read_at"),)


class Delivery(Model):
    """One reminder going out by one channel to one target (an email address, or the webhook's
    address). Claimed (SENDING) in a transaction before it is sent and marked SENT after, so it
    goes out once; retried with backoff while it fails, FAILED when it has run out of tries."""

    id = fields.BigIntField(primary_key=True)
    reminder: fields.ForeignKeyRelation[Reminder] = fields.ForeignKeyField(
        "models.Reminder", related_name="deliveries", db_index=True
    )
    reminder_id: int
    # DeliveryChannel: EMAIL or WEBHOOK.
    channel = fields.CharField(max_length=10)
    target = fields.CharField(max_length=500)
    # DeliveryStatus: PENDING, SENDING, SENT or FAILED.
    status = fields.CharField(max_length=10, db_index=True)
    attempts = fields.IntField(default=0, db_default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "delivery"
        unique_together = (("reminder", "channel", "target"),)


class SchedulerLease(Model):
    """Which server process runs the reminder scheduler: the one whose lease has not run out.
    It renews on every round; another takes over only once it has expired."""

    name = fields.CharField(max_length=40, primary_key=True)
    holder = fields.CharField(max_length=120, null=True)
    expires_at = fields.DatetimeField(null=True)

    class Meta:
        table = "scheduler_lease"
