"""Per-request DataLoaders, so that lists resolve in a fixed number of queries.

Named <thing>_by_<key>. A loader caches for its whole life, so long-lived subscription
streams build a fresh set for each push (schema/subscriptions.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from consult import models


def _by_id(model: type[Model]) -> Callable[[Sequence[int]], Any]:
    async def load(keys: Sequence[int]) -> list[Any]:
        rows = {row.pk: row for row in await model.filter(id__in=list(keys))}
        return [rows.get(key) for key in keys]

    return load


def _grouped(model: type[Model], key_field: str, order: tuple[str, ...] = ("id",), **filters: Any):
    async def load(keys: Sequence[int]) -> list[list[Any]]:
        groups: dict[int, list[Any]] = defaultdict(list)
        rows = await model.filter(**{f"{key_field}__in": list(keys)}, **filters).order_by(*order)
        for row in rows:
            groups[getattr(row, key_field)].append(row)
        return [groups.get(key, []) for key in keys]

    return load


def _one_by(model: type[Model], key_field: str):
    async def load(keys: Sequence[int]) -> list[Any]:
        rows = {getattr(row, key_field): row for row in await model.filter(**{f"{key_field}__in": list(keys)})}
        return [rows.get(key) for key in keys]

    return load


async def _parties_by_consultation(keys: Sequence[int]) -> list[list[models.Party]]:
    links = (
        await models.ConsultationParty.filter(consultation_id__in=list(keys))
        .order_by("position")
        .select_related("party")
    )
    groups: dict[int, list[models.Party]] = defaultdict(list)
    for link in links:
        groups[link.consultation_id].append(link.party)
    return [groups.get(key, []) for key in keys]


class Loaders:
    def __init__(self, account_id: int | None) -> None:
        self.account_by_id = DataLoader(load_fn=_by_id(models.Account))
        self.party_by_id = DataLoader(load_fn=_by_id(models.Party))
        self.consultation_by_id = DataLoader(load_fn=_by_id(models.Consultation))
        self.demand_by_id = DataLoader(load_fn=_by_id(models.Demand))
        self.proposal_by_id = DataLoader(load_fn=_by_id(models.Proposal))
        self.responsibility_by_id = DataLoader(load_fn=_by_id(models.Responsibility))
        self.roll_entry_by_id = DataLoader(load_fn=_by_id(models.VoterRollEntry))
        self.audit_event_by_id = DataLoader(load_fn=_by_id(models.AuditEvent))
        self.parties_by_consultation = DataLoader(load_fn=_parties_by_consultation)
        self.stage_changes_by_consultation = DataLoader(load_fn=_grouped(models.StageChange, "consultation_id"))
        self.responsibilities_by_consultation = DataLoader(load_fn=_grouped(models.Responsibility, "consultation_id"))
        self.proposals_by_consultation = DataLoader(load_fn=_grouped(models.Proposal, "consultation_id"))
        self.roll_by_consultation = DataLoader(
            load_fn=_grouped(models.VoterRollEntry, "consultation_id", ("position", "id"), active=True)
        )
        self.supported_by_viewer = DataLoader(load_fn=self._supported(account_id))
        self.cost_plan_by_proposal = DataLoader(load_fn=_one_by(models.CostPlan, "proposal_id"))
        self.cost_plan_by_id = DataLoader(load_fn=_by_id(models.CostPlan))
        self.cost_shares_by_plan = DataLoader(load_fn=_grouped(models.CostShare, "plan_id", ("position", "id")))
        self.contributions_by_share = DataLoader(
            load_fn=_grouped(models.Contribution, "share_id", ("received_at", "id"))
        )
        self.cost_share_by_id = DataLoader(load_fn=_by_id(models.CostShare))
        self.contribution_by_id = DataLoader(load_fn=_by_id(models.Contribution))
        self.poll_by_id = DataLoader(load_fn=_by_id(models.Poll))
        self.option_by_id = DataLoader(load_fn=_by_id(models.PollOption))
        self.polls_by_consultation = DataLoader(load_fn=_grouped(models.Poll, "consultation_id"))
        self.options_by_poll = DataLoader(load_fn=_grouped(models.PollOption, "poll_id", ("position", "id")))
        self.elector_by_poll_for_viewer = DataLoader(load_fn=self._electors(account_id))
        self.household_by_consultation = DataLoader(load_fn=self._households(account_id))
        self.milestone_by_id = DataLoader(load_fn=_by_id(models.Milestone))
        self.milestones_by_consultation = DataLoader(
            load_fn=_grouped(models.Milestone, "consultation_id", ("planned_end", "id"))
        )
        self.updates_by_milestone = DataLoader(load_fn=_grouped(models.MilestoneUpdate, "milestone_id", ("at", "id")))
        self.inspections_by_consultation = DataLoader(
            load_fn=_grouped(models.Inspection, "consultation_id", ("visited_at", "id"))
        )
        self.findings_by_inspection = DataLoader(load_fn=_grouped(models.Finding, "inspection_id"))
        self.findings_by_consultation = DataLoader(load_fn=_grouped(models.Finding, "consultation_id"))
        self.ratings_by_consultation = DataLoader(load_fn=_grouped(models.Rating, "consultation_id", ("at", "id")))
        self.follow_ups_by_consultation = DataLoader(load_fn=_grouped(models.FollowUp, "consultation_id", ("at", "id")))
        self.dossier_by_consultation = DataLoader(load_fn=_one_by(models.Dossier, "consultation_id"))

    @staticmethod
    def _electors(account_id: int | None):
        """The viewer's place in each poll's electorate, or None."""

        async def load(keys: Sequence[int]) -> list[Any]:
            if account_id is None:
                return [None for _ in keys]
            rows = await models.PollElector.filter(poll_id__in=list(keys), entry__account_id=account_id)
            found = {row.poll_id: row for row in rows}
            return [found.get(key) for key in keys]

        return load

    @staticmethod
    def _households(account_id: int | None):
        """The viewer's own active roll entry in each consultation, or None: their household there."""

        async def load(keys: Sequence[int]) -> list[Any]:
            if account_id is None:
                return [None for _ in keys]
            rows = await models.VoterRollEntry.filter(
                consultation_id__in=list(keys), account_id=account_id, active=True
            ).order_by("id")
            found: dict[int, Any] = {}
            for row in rows:
                found.setdefault(row.consultation_id, row)
            return [found.get(key) for key in keys]

        return load

    @staticmethod
    def _supported(account_id: int | None):
        async def load(keys: Sequence[int]) -> list[bool]:
            if account_id is None:
                return [False for _ in keys]
            found = set(
                await models.DemandSupport.filter(demand_id__in=list(keys), account_id=account_id).values_list(
                    "demand_id", flat=True
                )
            )
            return [key in found for key in keys]

        return load
