"""Milestones, inspections, findings (五定闭环), ratings, follow-ups and the sealed dossier."""

from __future__ import annotations

import json
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from consult import models
from consult.domain.supervision import finding_overdue, milestone_status
from consult.domain.vocabulary import FindingCategory, FindingStatus, MilestoneKind, MilestoneStatus
from consult.ids import to_global_id
from schema.context import Info
from schema.enums import graphql_enum
from schema.photos import Photo, photos_of
from schema.types import Account, Node, Party, load_account
from schema.viewer_can import FindingViewerCan, MilestoneViewerCan, stage_of

graphql_enum(MilestoneKind, description="What kind of step of the works a milestone is.")


graphql_enum(MilestoneStatus, description="Where a milestone stands; computed from progress, dates and the clock.")


graphql_enum(FindingCategory, description="Kinds of problem seen in supervision.")


graphql_enum(FindingStatus, description="Where a finding stands in the five-fixed loop.")


@strawberry.type(description="One progress report on a milestone.")
class MilestoneUpdate:
    m: strawberry.Private[models.MilestoneUpdate]

    @strawberry.field(description="When it was reported.")
    def at(self) -> datetime:
        return self.m.at

    @strawberry.field(description="Who reported it.")
    async def by(self, info: Info) -> Account | None:
        return await load_account(info, self.m.by_id)

    @strawberry.field(description="Progress after this report, 0..100.")
    def progress(self) -> int:
        return self.m.progress

    @strawberry.field(description="What was said.")
    def note(self) -> str | None:
        return self.m.note

    @strawberry.field(description="随手拍: the photos that came with the report.")
    async def photos(self, info: Info) -> list[Photo]:
        return await photos_of(info, "PROGRESS", self.m.id)


@strawberry.type(description="定时限单: a step of the works with its planned and actual dates.")
class Milestone(Node):
    m: strawberry.Private[models.Milestone]

    @classmethod
    def of(cls, m: models.Milestone) -> Milestone:
        return cls(pk=m.id, m=m)

    @strawberry.field(description="What the step is, e.g. 路面硬化.")
    def title(self) -> str:
        return self.m.title

    @strawberry.field(description="The kind of step.")
    def kind(self) -> MilestoneKind:
        return MilestoneKind(self.m.kind)

    @strawberry.field(description="The party answering for it.")
    async def responsible_party(self, info: Info) -> Party | None:
        if self.m.responsible_party_id is None:
            return None
        return Party.of(await info.context.loaders.party_by_id.load(self.m.responsible_party_id))

    @strawberry.field(description="Planned start, if set.")
    def planned_start(self) -> datetime | None:
        return self.m.planned_start

    @strawberry.field(description="Planned end.")
    def planned_end(self) -> datetime:
        return self.m.planned_end

    @strawberry.field(description="When it actually started.")
    def actual_start(self) -> datetime | None:
        return self.m.actual_start

    @strawberry.field(description="When it actually ended; the moment it reached 100 unless given.")
    def actual_end(self) -> datetime | None:
        return self.m.actual_end

    @strawberry.field(description="0..100")
    def progress(self) -> int:
        return self.m.progress

    @strawberry.field(description="Computed from progress, dates and the clock.")
    def status(self, info: Info) -> MilestoneStatus:
        return MilestoneStatus(
            milestone_status(
                progress=self.m.progress,
                planned_end=self.m.planned_end,
                actual_start=self.m.actual_start,
                now=info.context.now(),
            )
        )

    @strawberry.field(description="Every progress report, oldest first.")
    async def updates(self, info: Info) -> list[MilestoneUpdate]:
        return [MilestoneUpdate(m=u) for u in await info.context.loaders.updates_by_milestone.load(self.m.id)]

    @strawberry.field(description="What the viewer may do with this milestone now, action by action.")
    async def viewer_can(self, info: Info) -> MilestoneViewerCan:
        return MilestoneViewerCan(m=self.m, **await stage_of(info, self.m.consultation_id))


@strawberry.type(
    description=(
        "A problem found while supervising, closed by the five-fixed loop (五定闭环): 定事项 (description), "
        "定人员 (assignee), 定时限 (dueAt), 定责任 (responsibleParty), 定效果 (expectedOutcome)."
    )
)
class Finding(Node):
    m: strawberry.Private[models.Finding]

    @classmethod
    def of(cls, m: models.Finding) -> Finding:
        return cls(pk=m.id, m=m)

    @strawberry.field(description="Kind of problem.")
    def category(self) -> FindingCategory:
        return FindingCategory(self.m.category)

    @strawberry.field(description="定事项: the matter.")
    def description(self) -> str:
        return self.m.description

    @strawberry.field(description="定人员: the person following it up.")
    async def assignee(self, info: Info) -> Account | None:
        return await load_account(info, self.m.assignee_id)

    @strawberry.field(description="定责任: the responsible party.")
    async def responsible_party(self, info: Info) -> Party:
        return Party.of(await info.context.loaders.party_by_id.load(self.m.responsible_party_id))

    @strawberry.field(description="定时限: the deadline.")
    def due_at(self) -> datetime:
        return self.m.due_at

    @strawberry.field(description="定效果: the expected effect.")
    def expected_outcome(self) -> str:
        return self.m.expected_outcome

    @strawberry.field(description="Where it stands in the loop.")
    def status(self) -> FindingStatus:
        return FindingStatus(self.m.status)

    @strawberry.field(description="How it was fixed, once resolved.")
    def resolution(self) -> str | None:
        return self.m.resolution

    @strawberry.field(description="True while neither resolved nor verified and past its deadline.")
    def overdue(self, info: Info) -> bool:
        return finding_overdue(status=self.m.status, due_at=self.m.due_at, now=info.context.now())

    @strawberry.field(description="When it was found.")
    def created_at(self) -> datetime:
        return self.m.created_at

    @strawberry.field(
        description="随手拍: the CPPCC member's photos of the problem (at the visit, and with a reopening)."
    )
    async def photos(self, info: Info) -> list[Photo]:
        return await photos_of(info, "FINDING", self.m.id)

    @strawberry.field(description="The photos of the fix, from every fix report, oldest first.")
    async def fix_photos(self, info: Info) -> list[Photo]:
        return await photos_of(info, "FIX", self.m.id)

    @strawberry.field(description="What the viewer may do with this finding now, action by action.")
    async def viewer_can(self, info: Info) -> FindingViewerCan:
        return FindingViewerCan(m=self.m, **await stage_of(info, self.m.consultation_id))


@strawberry.type(description="A CPPCC member's visit to the works.")
class Inspection(Node):
    m: strawberry.Private[models.Inspection]

    @classmethod
    def of(cls, m: models.Inspection) -> Inspection:
        return cls(pk=m.id, m=m)

    @strawberry.field(description="The CPPCC member who visited.")
    async def inspector(self, info: Info) -> Account:
        return Account.of(await info.context.loaders.account_by_id.load(self.m.inspector_id))

    @strawberry.field(description="The milestone visited, if any.")
    async def milestone(self, info: Info) -> Milestone | None:
        if self.m.milestone_id is None:
            return None
        m = await info.context.loaders.milestone_by_id.load(self.m.milestone_id)
        return Milestone.of(m) if m else None

    @strawberry.field(description="When.")
    def visited_at(self) -> datetime:
        return self.m.visited_at

    @strawberry.field(description="What was seen.")
    def notes(self) -> str:
        return self.m.notes

    @strawberry.field(description="The problems it opened.")
    async def findings(self, info: Info) -> list[Finding]:
        return [Finding.of(f) for f in await info.context.loaders.findings_by_inspection.load(self.m.id)]


@strawberry.type(description="One household's rating of the outcome.")
class Rating:
    score: int = strawberry.field(description="1 (very dissatisfied) .. 5 (very satisfied)")
    comment: str | None = strawberry.field(description="What they said.")
    at: datetime = strawberry.field(description="When.")


@strawberry.type(description="给反馈单: how the residents judged the outcome (百姓说了算).")
class EvaluationSummary:
    count: int = strawberry.field(description="Ratings given.")
    average: str | None = strawberry.field(
        description="Mean score, decimal string with 2 fraction digits; null with no ratings"
    )
    distribution: list[int] = strawberry.field(description="Count of ratings per score, index 0 is score 1")
    satisfaction_rate: str | None = strawberry.field(
        description="Share of ratings with score >= 4, decimal string with 4 fraction digits; null with none"
    )
    my_rating: Rating | None = strawberry.field(description="The viewer's own rating, if they gave one.")


@strawberry.type(description="跟踪回访")
class FollowUp(Node):
    m: strawberry.Private[models.FollowUp]

    @classmethod
    def of(cls, m: models.FollowUp) -> FollowUp:
        return cls(pk=m.id, m=m)

    @strawberry.field(description="When the visit took place.")
    def at(self) -> datetime:
        return self.m.at

    @strawberry.field(description="Who visited.")
    async def by(self, info: Info) -> Account | None:
        return await load_account(info, self.m.by_id)

    @strawberry.field(description="What was found.")
    def notes(self) -> str:
        return self.m.notes


@strawberry.type(description="存入档案单: the sealed record of a finished consultation.")
class Dossier:
    m: strawberry.Private[models.Dossier]

    @strawberry.field(description="When it was sealed.")
    def sealed_at(self) -> datetime:
        return self.m.sealed_at

    @strawberry.field(description="SHA-256 of the canonical JSON document")
    def sha256(self) -> str:
        return self.m.sha256

    @strawberry.field(
        description="The whole record as one document: the seven forms, votes, money, supervision, evaluation"
    )
    def document(self) -> JSON:
        return json.loads(self.m.document)

    @strawberry.field(description="Path of a printable HTML rendering, served by the same server")
    def html_url(self) -> str:
        return f"/dossiers/{to_global_id('Consultation', self.m.consultation_id)}.html"
