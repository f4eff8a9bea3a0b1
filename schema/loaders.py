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
from consult.domain.vocabulary import Role
from consult.services.voting import voter_key


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


async def _photos_by_subject(keys: Sequence[tuple[str, int]]) -> list[list[models.Photo]]:
    groups: dict[tuple[str, int], list[models.Photo]] = defaultdict(list)
    kinds = {kind for kind, _ in keys}
    for kind in kinds:
        ids = [pk for k, pk in keys if k == kind]
        for row in await models.Photo.filter(subject_kind=kind, subject_id__in=ids).order_by("attached_at", "position"):
            groups[(kind, row.subject_id)].append(row)
    return [groups.get(key, []) for key in keys]


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


async def _representatives_by_party(keys: Sequence[int]) -> list[list[models.Account]]:
    """Each party's representatives: the accounts of the party holding the PARTY_REP role, oldest first."""
    groups: dict[int, list[models.Account]] = defaultdict(list)
    for account in await models.Account.filter(party_id__in=list(keys)).order_by("id"):
        if Role.PARTY_REP in account.role_set and account.party_id is not None:
            groups[account.party_id].append(account)
    return [groups.get(key, []) for key in keys]


class _Lazy:
    """A loader built on first use and then kept on the instance (a non-data descriptor)."""

    def __init__(self, make: Callable[[Loaders], Callable[[Sequence[Any]], Any]]) -> None:
        self.make = make

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, loaders: Loaders | None, owner: type) -> DataLoader[Any, Any]:
        if loaders is None:
            raise AttributeError(self.name)
        loader: DataLoader[Any, Any] = DataLoader(load_fn=self.make(loaders))
        loaders.__dict__[self.name] = loader
        return loader


class Loaders:
    """The loaders of one request, each built when first used: most requests need few of them."""

    def __init__(self, account_id: int | None) -> None:
        self.account_id = account_id
        self._own_ballots: dict[str, DataLoader[int, Any]] = {}

    account_by_id = _Lazy(lambda loaders: _by_id(models.Account))
    party_by_id = _Lazy(lambda loaders: _by_id(models.Party))
    consultation_by_id = _Lazy(lambda loaders: _by_id(models.Consultation))
    demand_by_id = _Lazy(lambda loaders: _by_id(models.Demand))
    proposal_by_id = _Lazy(lambda loaders: _by_id(models.Proposal))
    responsibility_by_id = _Lazy(lambda loaders: _by_id(models.Responsibility))
    roll_entry_by_id = _Lazy(lambda loaders: _by_id(models.VoterRollEntry))
    audit_event_by_id = _Lazy(lambda loaders: _by_id(models.AuditEvent))
    area_by_id = _Lazy(lambda loaders: _by_id(models.Area))
    areas_by_parent = _Lazy(lambda loaders: _grouped(models.Area, "parent_id", ("position", "id")))
    staff_areas_by_account = _Lazy(lambda loaders: _grouped(models.StaffArea, "account_id", ("area_id",)))
    parties_by_consultation = _Lazy(lambda loaders: _parties_by_consultation)
    representatives_by_party = _Lazy(lambda loaders: _representatives_by_party)
    stage_changes_by_consultation = _Lazy(lambda loaders: _grouped(models.StageChange, "consultation_id"))
    responsibilities_by_consultation = _Lazy(lambda loaders: _grouped(models.Responsibility, "consultation_id"))
    proposals_by_consultation = _Lazy(lambda loaders: _grouped(models.Proposal, "consultation_id"))
    roll_by_consultation = _Lazy(
        lambda loaders: _grouped(models.VoterRollEntry, "consultation_id", ("position", "id"), active=True)
    )
    supported_by_viewer = _Lazy(lambda loaders: loaders._supported(loaders.account_id))
    cost_plan_by_proposal = _Lazy(lambda loaders: _one_by(models.CostPlan, "proposal_id"))
    cost_plan_by_id = _Lazy(lambda loaders: _by_id(models.CostPlan))
    cost_shares_by_plan = _Lazy(lambda loaders: _grouped(models.CostShare, "plan_id", ("position", "id")))
    contributions_by_share = _Lazy(lambda loaders: _grouped(models.Contribution, "share_id", ("received_at", "id")))
    cost_share_by_id = _Lazy(lambda loaders: _by_id(models.CostShare))
    contribution_by_id = _Lazy(lambda loaders: _by_id(models.Contribution))
    poll_by_id = _Lazy(lambda loaders: _by_id(models.Poll))
    option_by_id = _Lazy(lambda loaders: _by_id(models.PollOption))
    polls_by_consultation = _Lazy(lambda loaders: _grouped(models.Poll, "consultation_id"))
    options_by_poll = _Lazy(lambda loaders: _grouped(models.PollOption, "poll_id", ("position", "id")))
    elector_by_poll_for_viewer = _Lazy(lambda loaders: loaders._electors(loaders.account_id))
    household_by_consultation = _Lazy(lambda loaders: loaders._households(loaders.account_id))
    milestone_by_id = _Lazy(lambda loaders: _by_id(models.Milestone))
    milestones_by_consultation = _Lazy(
        lambda loaders: _grouped(models.Milestone, "consultation_id", ("planned_end", "id"))
    )
    updates_by_milestone = _Lazy(lambda loaders: _grouped(models.MilestoneUpdate, "milestone_id", ("at", "id")))
    inspections_by_consultation = _Lazy(
        lambda loaders: _grouped(models.Inspection, "consultation_id", ("visited_at", "id"))
    )
    findings_by_inspection = _Lazy(lambda loaders: _grouped(models.Finding, "inspection_id"))
    findings_by_consultation = _Lazy(lambda loaders: _grouped(models.Finding, "consultation_id"))
    ratings_by_consultation = _Lazy(lambda loaders: _grouped(models.Rating, "consultation_id", ("at", "id")))
    follow_ups_by_consultation = _Lazy(lambda loaders: _grouped(models.FollowUp, "consultation_id", ("at", "id")))
    photos_by_subject = _Lazy(lambda loaders: _photos_by_subject)
    dossier_by_consultation = _Lazy(lambda loaders: _one_by(models.Dossier, "consultation_id"))

    def own_ballots(self, secret_key: str) -> DataLoader[int, Any]:
        """The viewer's own ballot in each poll, or None: one query for all the polls of a page."""
        loader: DataLoader[int, Any] | None = self._own_ballots.get(secret_key)
        if loader is None:

            async def load(poll_ids: Sequence[int]) -> list[Any]:
                electors = await self.elector_by_poll_for_viewer.load_many(list(poll_ids))
                keys = {
                    pid: voter_key(secret_key, pid, e.entry_id)
                    for pid, e in zip(poll_ids, electors, strict=True)
                    if e is not None
                }
                if not keys:
                    return [None for _ in poll_ids]
                rows = await models.Ballot.filter(poll_id__in=list(keys), voter_key__in=list(keys.values()))
                found = {(row.poll_id, row.voter_key): row for row in rows}
                return [found.get((pid, keys[pid])) if pid in keys else None for pid in poll_ids]

            loader = self._own_ballots[secret_key] = DataLoader(load_fn=load)
        return loader

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
