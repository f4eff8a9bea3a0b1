"""The bench's world: the 菜园巷 demo, plus a district-sized vote told through the services.

Everything is written by the same services the API calls, so the rows, the audit chain and the
sessions are exactly what a real deployment holds. Only the size differs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from consult.domain.vocabulary import DecisionPreset, PollKind, ProposalStatus, Stage
from consult.ids import to_global_id
from consult.models import Account, PollOption
from consult.services import accounts, consultations, proposals, roll, voting
from consult.services.base import ServiceContext

BENCH_TITLE = "菜园巷片区道路改造（压力测试）"


@dataclass
class World:
    """What the workloads need: the consultation, its polls and one session per household."""

    consultation_id: str
    finished_id: str
    polls: list[str]
    # Per poll: its options' ids, 赞成 first.
    options: dict[str, list[str]]
    tokens: list[str]
    households: int
    staff_token: str = ""
    cppcc_token: str = ""


def bench_households(n: int) -> list[tuple[str, str | None]]:
    """n households in buildings of 24, each with a floor area in m²."""
    rows: list[tuple[str, str | None]] = []
    for i in range(1, n + 1):
        building, unit = (i - 1) // 24 + 1, (i - 1) % 24 + 1
        area = 48 + (i * 37) % 71 + (i % 4) * 0.25
        rows.append((f"菜园巷片区 {building} 号楼 {unit:02d} 户", f"{area:.2f}".rstrip("0").rstrip(".")))
    return rows


async def seed(households: int, polls: int, progress: Callable[[str, int, int], None]) -> World:
    """Load the demo, then a VOTING consultation of `households` households with `polls` open polls."""
    from consult.demo import DEMO_TITLE, acting_as, load_demo
    from consult.models import Consultation
    from consult.settings import get_settings

    settings = get_settings()
    progress("菜园巷演示 demo", 0, 1)
    with tempfile.TemporaryDirectory() as out:
        await load_demo(out_dir=Path(out))
    progress("菜园巷演示 demo", 1, 1)
    finished = await Consultation.get(title=DEMO_TITLE)
    org = acting_as(await Account.get(username="organizer"), settings)
    cppcc_account = await Account.get(username="cppcc")
    cppcc = acting_as(cppcc_account, settings)

    c = await consultations.create_consultation(
        org,
        title=BENCH_TITLE,
        summary="片区背街小巷整体改造，全片区居民在手机上表决。",
        location="巴彦淖尔市临河区解放街道菜园巷片区",
        party_ids=[],
        convener_id=to_global_id("Account", cppcc_account.id),
    )
    cid = to_global_id("Consultation", c.id)
    await roll.set_voter_roll(org, consultation_id=cid, voters=bench_households(households))
    slips = await roll.issue_invitations(org, consultation_id=cid)
    await consultations.advance_stage(cppcc, consultation_id=cid, to=Stage.COLLECTING)
    await consultations.advance_stage(cppcc, consultation_id=cid, to=Stage.DELIBERATING)
    plan = await proposals.create_proposal(
        cppcc, consultation_id=cid, title="片区道路改造方案", body="管网维修与路面硬化。", budget="2400000"
    )
    plan_id = to_global_id("Proposal", plan.id)
    await proposals.update_proposal(cppcc, proposal_id=plan_id, status=ProposalStatus.TABLED)
    poll_ids: list[str] = []
    poll_pks: list[int] = []
    for n in range(polls):
        poll = await voting.create_poll(
            org,
            consultation_id=cid,
            question=f"是否同意片区道路改造方案（第 {n + 1} 轮）？",
            kind=PollKind.YES_NO_ABSTAIN,
            proposal_ids=[plan_id],
            preset=DecisionPreset.SIMPLE_MAJORITY,
        )
        poll_ids.append(to_global_id("Poll", poll.id))
        poll_pks.append(poll.id)
    await consultations.advance_stage(cppcc, consultation_id=cid, to=Stage.VOTING)
    options: dict[str, list[str]] = {}
    for pid, pk in zip(poll_ids, poll_pks, strict=True):
        await voting.open_poll(org, poll_id=pid)
        options[pid] = [
            to_global_id("PollOption", o.id) for o in await PollOption.filter(poll_id=pk).order_by("position")
        ]
    tokens: list[str] = []
    redeemer = ServiceContext(settings=settings, client_key="bench")
    for i, slip in enumerate(slips):
        login = await accounts.redeem_invitation(redeemer, code=slip.code)
        tokens.append(login.token)
        if i % 200 == 0 or i == len(slips) - 1:
            progress("居民登录 sessions", i + 1, len(slips))
    staff = await accounts.login(ServiceContext(settings=settings, client_key="bench"), **_demo_login("organizer"))
    member = await accounts.login(ServiceContext(settings=settings, client_key="bench"), **_demo_login("cppcc"))
    return World(
        consultation_id=cid,
        finished_id=to_global_id("Consultation", finished.id),
        polls=poll_ids,
        options=options,
        tokens=tokens,
        households=households,
        staff_token=staff.token,
        cppcc_token=member.token,
    )


def _demo_login(who: str) -> dict[str, str]:
    from consult.demo import DEMO_ACCOUNTS

    username, password = next((u, p) for u, p, *_ in DEMO_ACCOUNTS if u == who)
    return {"username": username, "password": password}
