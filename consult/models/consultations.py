from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from consult.models.accounts import Account
    from consult.models.areas import Area
    from consult.models.audit import AuditEvent
    from consult.models.costs import CostShare
    from consult.models.demands import Demand, Proposal, Responsibility
    from consult.models.roll import VoterRollEntry
    from consult.models.supervision import Dossier, Finding, FollowUp, Inspection, Milestone, Rating
    from consult.models.voting import Poll


class Party(Model):
    """A paying or responsible party: merchants, units, the street office, departments..."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=20)
    contact = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField()

    # Filled in by Tortoise from the foreign keys that point here.
    consultation_links: fields.ReverseRelation[ConsultationParty]
    cost_shares: fields.ReverseRelation[CostShare]
    findings: fields.ReverseRelation[Finding]
    milestones: fields.ReverseRelation[Milestone]
    representatives: fields.ReverseRelation[Account]
    responsibilities: fields.ReverseRelation[Responsibility]

    class Meta:
        table = "party"


class Consultation(Model):
    id = fields.BigIntField(primary_key=True)
    title = fields.CharField(max_length=200)
    summary = fields.TextField()
    location = fields.CharField(max_length=200)
    # The number residents call for help, printed on every invitation slip (the community office's).
    help_phone = fields.CharField(max_length=30, null=True)
    stage = fields.CharField(max_length=20, db_index=True)
    # True once it has left DRAFT for a real stage. A DRAFT cancelled before that stays private.
    published = fields.BooleanField(default=False, db_default=False, db_index=True)
    created_at = fields.DatetimeField()
    created_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="created_consultations"
    )
    created_by_id: int | None
    convener: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="convened_consultations"
    )
    convener_id: int | None
    # The community (社区/村) it belongs to, which decides which staff act on it. Always set:
    # createConsultation picks one, and the upgrade put every older consultation in the
    # installation's first community.
    community: fields.ForeignKeyNullableRelation[Area] = fields.ForeignKeyField(
        "models.Area", null=True, related_name="consultations", db_index=True, on_delete=fields.NO_ACTION
    )
    community_id: int | None
    # Head of the audit hash chain, kept on the row so that appending an event takes the
    # consultation's row lock and never races another writer for the next seq.
    last_seq = fields.IntField(default=0)
    head_hash = fields.CharField(max_length=64, null=True)
    # Where the public chainValid last found the chain whole: it re-hashes only what came after.
    # `consult verify` always checks the whole chain, against the anchors outside the database.
    checked_seq = fields.IntField(default=0, db_default=0)
    checked_hash = fields.CharField(max_length=64, null=True)

    # Filled in by Tortoise from the foreign keys that point here.
    audit_events: fields.ReverseRelation[AuditEvent]
    demands: fields.ReverseRelation[Demand]
    dossier: fields.BackwardOneToOneRelation[Dossier]
    findings: fields.ReverseRelation[Finding]
    follow_ups: fields.ReverseRelation[FollowUp]
    inspections: fields.ReverseRelation[Inspection]
    milestones: fields.ReverseRelation[Milestone]
    party_links: fields.ReverseRelation[ConsultationParty]
    polls: fields.ReverseRelation[Poll]
    proposals: fields.ReverseRelation[Proposal]
    ratings: fields.ReverseRelation[Rating]
    responsibilities: fields.ReverseRelation[Responsibility]
    roll_entries: fields.ReverseRelation[VoterRollEntry]
    stage_changes: fields.ReverseRelation[StageChange]

    class Meta:
        table = "consultation"


class ConsultationParty(Model):
    id = fields.BigIntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="party_links"
    )
    consultation_id: int
    party: fields.ForeignKeyRelation[Party] = fields.ForeignKeyField("models.Party", related_name="consultation_links")
    party_id: int
    position = fields.IntField()

    class Meta:
        table = "consultation_party"
        unique_together = (("consultation", "party"),)


class StageChange(Model):
    id = fields.BigIntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="stage_changes", db_index=True
    )
    consultation_id: int
    from_stage = fields.CharField(max_length=20, null=True)
    to_stage = fields.CharField(max_length=20)
    at = fields.DatetimeField()
    by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", null=True, related_name="stage_changes"
    )
    by_id: int | None
    note = fields.TextField(null=True)

    class Meta:
        table = "stage_change"
