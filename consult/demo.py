"""The 菜园巷 demo: the reference case from the domain brief, loaded through the services.

Everything goes through the same write path as the API, so the demo's audit trail is a
valid hash chain and the demo doubles as an end-to-end exercise of the services.
"""

from __future__ import annotations

import csv
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from consult import anchors
from consult.clock import SHANGHAI, StoryClock, utcnow
from consult.demo_wuchuan import CAIYUAN_STREET, COMMUNITY, MANHOLE_TITLE, WUCHUAN_ACCOUNT, load_wuchuan
from consult.domain.labels import label
from consult.domain.vocabulary import (
    AreaKind,
    BallotOrigin,
    DecisionPreset,
    DemandChannel,
    DemandStatus,
    FindingCategory,
    FindingStatus,
    MilestoneKind,
    PartyKind,
    PollKind,
    ProposalStatus,
    Role,
    SplitMethod,
    Stage,
)
from consult.ids import to_global_id
from consult.models import Area, Consultation, CostShare, Finding, PollOption, VoterRollEntry
from consult.policies import Actor
from consult.services import (
    accounts,
    areas,
    consultations,
    costs,
    demands,
    evaluation,
    proposals,
    roll,
    supervision,
    voting,
)
from consult.services import archive as archive_service
from consult.services.base import ServiceContext
from consult.settings import get_settings

DEMO_TITLE = "菜园巷道路改造"
ARCHIVED_TITLE = "菜园巷道路改造（已归档副本）"
# The same story stopped earlier, ending today, so that a new install has a vote to try on a
# phone and works for the supervision board: (title, where it stops, days the story takes to get there).
LIVE_COPIES = [
    ("菜园巷道路改造（表决中演示副本）", Stage.VOTING, 20),
    ("菜园巷道路改造（施工中演示副本）", Stage.IMPLEMENTING, 70),
]
# Demo-only passwords, printed by `consult demo` and listed in the README. Never use them for real.
DEMO_ACCOUNTS = [
    # username, password, display name, roles, party key
    ("admin", "demo-admin-2025", "系统管理员", [Role.ADMIN], None),
    ("organizer", "demo-organizer-2025", "解放街道 王主任", [Role.ORGANIZER], None),
    ("cppcc", "demo-cppcc-2025", "区政协委员 李委员", [Role.CPPCC_MEMBER], None),
    ("rep-market", "demo-market-2025", "菜园市场 张经理", [Role.PARTY_REP], "market"),
    ("rep-street", "demo-street-2025", "解放街道办事处 赵科长", [Role.PARTY_REP], "street"),
    ("rep-units", "demo-units-2025", "辖区单位 刘主任", [Role.PARTY_REP], "units"),
]
# Printed with the others; made by consult.demo_wuchuan, acting in 可以力更镇 only.
SHOWN_ACCOUNTS = [*DEMO_ACCOUNTS, (*WUCHUAN_ACCOUNT[:3], [Role.ORGANIZER], None)]
DEMO_PARTIES = [
    ("market", "菜园市场", PartyKind.MERCHANT, "市场管理办公室"),
    ("street", "解放街道办事处", PartyKind.STREET_OFFICE, "街道综合办"),
    ("units", "菜园巷辖区单位", PartyKind.UNIT, "辖区单位联络员"),
    ("cppcc", "临河区政协社会和法制委员会", PartyKind.CPPCC, None),
]


def households() -> list[tuple[str, str | None]]:
    """137 households along the lane, each with a plausible floor area in m²."""
    rows: list[tuple[str, str | None]] = []
    for n in range(1, 138):
        building = (n - 1) // 12 + 1
        unit = (n - 1) % 12 + 1
        area = 52 + (n * 37) % 61 + (n % 4) * 0.25
        rows.append((f"菜园巷 {building} 号院 {unit:02d} 户", f"{area:.2f}".rstrip("0").rstrip(".")))
    return rows


async def _story(
    title, *, org, cppcc, as_, people, parties, clock, settings, archive: bool = False, stop: str | None = None
):
    """The whole 菜园巷 case, told through the services, from the first demand to the residents' rating.

    With stop="VOTING" the story ends with the vote open (three households have voted on their
    phones); with stop="IMPLEMENTING" it ends mid-works, with a fix waiting for the CPPCC
    member's check and the funding still short.
    """

    c = await consultations.create_consultation(
        org,
        title=title,
        summary=(
            "菜园巷是市场旁一条宽约 3 米、长近 1 公里的背街小巷，137 户居民和部分商户每天通行。"
            "路面破损，雨雪天积水，多年未修，根源在于维修资金无人承担。"
            "区政协工商联界委员会同街道办事处，召集居民、市场业主、街道和辖区单位协商解决。"
        ),
        location="巴彦淖尔市临河区解放街道菜园巷",
        party_ids=[to_global_id("Party", parties[k].id) for k in ("market", "street", "units")],
        convener_id=to_global_id("Account", people["cppcc"].id),
    )
    cid = to_global_id("Consultation", c.id)
    await consultations.add_party(org, consultation_id=cid, party_id=to_global_id("Party", parties["cppcc"].id))
    await roll.set_voter_roll(org, consultation_id=cid, voters=households())
    slips = await roll.issue_invitations(org, consultation_id=cid)

    clock.jump(days=2)
    await consultations.advance_stage(cppcc, consultation_id=cid, to=Stage.COLLECTING, note="开始征集居民诉求")
    # Three residents take their slips and speak for themselves.
    voices = []
    for slip in slips[:3]:
        login = await accounts.redeem_invitation(
            ServiceContext(settings=settings, clock=clock, client_key="demo"), code=slip.code
        )
        voices.append(as_(login.account, slip.entry_id))
    d1 = await demands.submit_demand(
        voices[0],
        consultation_id=cid,
        title="路面坑洼，雨雪天积水",
        body="巷子路面破损多年，一下雨就积水，老人出门很不方便，希望尽快修路。",
    )
    d2 = await demands.submit_demand(
        org,
        consultation_id=cid,
        title="热线反映：巷内排水管网堵塞",
        body="12345 热线接到居民来电：菜园巷地下管网老化堵塞，雨后污水外溢。",
        channel=DemandChannel.HOTLINE,
    )
    d3 = await demands.submit_demand(
        org,
        consultation_id=cid,
        title="随手拍：市场卸货车辆占道",
        body="外卖骑手随手拍：早市期间卸货车辆停在巷口，行人和电动车难以通行。",
        channel=DemandChannel.COURIER,
    )
    d4 = await demands.submit_demand(
        cppcc,
        consultation_id=cid,
        title="维修资金无人承担",
        body="走访发现：道路多年未修的根本原因是资金没有着落，需要各方协商分担。",
    )
    await demands.submit_demand(
        voices[1], consultation_id=cid, title="巷子里路灯不亮", body="晚上巷子很黑，路面又不平，容易摔倒。"
    )
    for voice in voices:
        await demands.support_demand(voice, demand_id=to_global_id("Demand", d1.id))
    await demands.support_demand(voices[2], demand_id=to_global_id("Demand", d2.id))

    clock.jump(days=10)
    await consultations.advance_stage(
        cppcc, consultation_id=cid, to=Stage.DELIBERATING, note="社会和法制委员会召集多轮协商"
    )
    for d in (d1, d2, d4):
        await demands.set_demand_status(org, demand_id=to_global_id("Demand", d.id), status=DemandStatus.ACCEPTED)
    await demands.set_demand_status(org, demand_id=to_global_id("Demand", d3.id), status=DemandStatus.REJECTED)
    due = datetime(2025, 6, 30, 18, 0, tzinfo=SHANGHAI)
    for key, duty in [
        ("market", "承担道路改造资金 8 万元；施工期间协调市场卸货车辆避让"),
        ("street", "承担道路改造资金 8 万元；组织工程招标，协调施工"),
        ("units", "承担道路改造资金 8 万元；配合管网维修"),
    ]:
        await demands.assign_responsibility(
            org, consultation_id=cid, party_id=to_global_id("Party", parties[key].id), duty=duty, due_at=due
        )
    plan = await proposals.create_proposal(
        cppcc,
        consultation_id=cid,
        title="菜园巷管网维修与路面硬化方案",
        body=(
            "一、维修巷内排水管网；二、路面硬化，全长近 1 公里；三、总投资 24 万元，"
            "由菜园市场、解放街道办事处、辖区单位各承担 8 万元；"
            "四、政协委员全程监督资金筹集、工程招标、施工进度和工程质量。"
        ),
        budget="240000",
    )
    plan_id = to_global_id("Proposal", plan.id)
    await proposals.update_proposal(cppcc, proposal_id=plan_id, status=ProposalStatus.TABLED)

    # 出资分担: three parties, 80,000 yuan each, confirmed by each party's representative.
    clock.jump(days=3)
    payers = ("market", "street", "units")
    _, cost_plan = await costs.set_cost_plan(
        org,
        proposal_id=plan_id,
        total="240000",
        method=SplitMethod.EQUAL,
        shares=[{"party_id": to_global_id("Party", parties[k].id)} for k in payers],
    )
    shares = {s.party_id: s for s in await CostShare.filter(plan_id=cost_plan.id)}
    for key in payers:
        rep = people[f"rep-{key}"]
        await costs.confirm_share(as_(rep), share_id=to_global_id("CostShare", shares[parties[key].id].id))

    # 居民表决: a secret yes/no vote on the plan; most households vote on paper at the community office.
    poll = await voting.create_poll(
        org,
        consultation_id=cid,
        question="是否同意《菜园巷管网维修与路面硬化方案》（总投资 24 万元，三方各出资 8 万元）？",
        kind=PollKind.YES_NO_ABSTAIN,
        proposal_ids=[plan_id],
        preset=DecisionPreset.SIMPLE_MAJORITY,
    )
    poll_id = to_global_id("Poll", poll.id)
    clock.jump(days=2)
    await consultations.advance_stage(cppcc, consultation_id=cid, to=Stage.VOTING, note="方案提交居民表决")
    await voting.open_poll(org, poll_id=poll_id)
    yes, no, abstain = (
        to_global_id("PollOption", o.id) for o in await PollOption.filter(poll_id=poll.id).order_by("position")
    )
    for voice in voices:
        await voting.cast_vote(voice, poll_id=poll_id, choices=[yes])
    if stop == Stage.VOTING:
        return slips
    entries = await VoterRollEntry.filter(consultation_id=c.id, active=True).order_by("position")
    paper = [yes] * 88 + [no] * 7 + [abstain] * 4
    # 99 paper ballots from the 134 households that did not vote online: the rest stayed home.
    for entry, choice in zip(entries[3:], paper, strict=False):
        await voting.record_offline_ballot(
            org,
            poll_id=poll_id,
            voter_entry_id=to_global_id("VoterRollEntry", entry.id),
            choices=[choice],
            origin=BallotOrigin.PAPER,
        )
    clock.jump(days=3)
    await voting.close_poll(org, poll_id=poll_id)
    await proposals.adopt_proposal(org, proposal_id=plan_id)
    clock.jump(days=1)
    await consultations.advance_stage(
        cppcc, consultation_id=cid, to=Stage.AGREED, note="表决通过，三方签订出资协议，各出资 8 万元"
    )
    # Money comes in; the local units have paid only half so far (资金筹集不到位).
    for key, amount, day in (("market", "80000", 3), ("street", "80000", 5), ("units", "40000", 8)):
        clock.jump(days=day)
        await costs.record_contribution(
            org,
            share_id=to_global_id("CostShare", shares[parties[key].id].id),
            amount=amount,
            received_at=clock.at,
            note="银行转账到账",
        )

    # 定时限单: the works, milestone by milestone, supervised by the CPPCC member.
    async def milestone(title_, kind, party_key, start_days, end_days):
        base = clock.at
        m = await supervision.add_milestone(
            org,
            consultation_id=cid,
            title=title_,
            kind=kind,
            responsible_party_id=to_global_id("Party", parties[party_key].id),
            planned_start=base + timedelta(days=start_days),
            planned_end=base + timedelta(days=end_days),
        )
        return to_global_id("Milestone", m.id)

    m_funds = await milestone("资金筹集：三方各出资 8 万元到位", MilestoneKind.FUNDING, "street", 0, 20)
    m_tender = await milestone("工程招标", MilestoneKind.TENDER, "street", 5, 15)
    m_pipes = await milestone("维修管网", MilestoneKind.CONSTRUCTION, "units", 16, 32)
    m_road = await milestone("路面硬化", MilestoneKind.CONSTRUCTION, "street", 28, 45)
    m_accept = await milestone("竣工验收", MilestoneKind.ACCEPTANCE, "street", 45, 50)
    await consultations.advance_stage(cppcc, consultation_id=cid, to=Stage.IMPLEMENTING, note="开工，政协委员全程监督")
    rep = {k: as_(people[f"rep-{k}"]) for k in ("market", "street", "units")}
    clock.jump(days=10)
    await supervision.update_milestone(
        rep["street"], milestone_id=m_tender, progress=100, note="完成招标，确定施工单位"
    )
    await supervision.update_milestone(
        org, milestone_id=m_funds, progress=83, note="已到位 20 万元，辖区单位尚缺 4 万元"
    )
    clock.jump(days=8)
    await supervision.update_milestone(rep["units"], milestone_id=m_pipes, progress=40, note="管网开挖")
    inspection = await supervision.record_inspection(
        cppcc,
        consultation_id=cid,
        milestone_id=m_pipes,
        visited_at=clock.at,
        notes="现场查看管网维修进度和资金到位情况，走访沿街居民。",
        findings=[
            {
                "category": FindingCategory.NOISE,
                "description": "夜间施工噪声扰民，沿街老人反映休息受影响",
                "responsible_party_id": to_global_id("Party", parties["street"].id),
                "assignee_id": to_global_id("Account", people["rep-street"].id),
                "due_at": clock.at + timedelta(days=3),
                "expected_outcome": "晚 8 点后停止高噪声作业，居民不再反映",
            },
            {
                "category": FindingCategory.FUNDING_SHORTFALL,
                "description": "辖区单位 4 万元出资尚未到位",
                "responsible_party_id": to_global_id("Party", parties["units"].id),
                "assignee_id": to_global_id("Account", people["rep-units"].id),
                "due_at": clock.at + timedelta(days=10),
                "expected_outcome": "余款 4 万元全部到位",
            },
        ],
    )
    noise, shortfall = (
        to_global_id("Finding", f.id) for f in await Finding.filter(inspection_id=inspection.id).order_by("id")
    )
    clock.jump(days=2)
    await supervision.update_finding(
        rep["street"], finding_id=noise, status=FindingStatus.RESOLVED, resolution="调整施工时间，晚 8 点后停止机械作业"
    )
    if stop == Stage.IMPLEMENTING:
        return slips
    await supervision.update_finding(cppcc, finding_id=noise, status=FindingStatus.VERIFIED)
    clock.jump(days=5)
    await costs.record_contribution(
        org,
        share_id=to_global_id("CostShare", shares[parties["units"].id].id),
        amount="40000",
        received_at=clock.at,
        note="余款到账",
    )
    await supervision.update_milestone(org, milestone_id=m_funds, progress=100, note="24 万元全部到位")
    await supervision.update_finding(
        rep["units"], finding_id=shortfall, status=FindingStatus.RESOLVED, resolution="余款 4 万元已到账"
    )
    await supervision.update_finding(cppcc, finding_id=shortfall, status=FindingStatus.VERIFIED)
    clock.jump(days=9)
    await supervision.update_milestone(rep["units"], milestone_id=m_pipes, progress=100, note="管网维修完成")
    clock.jump(days=12)
    await supervision.update_milestone(rep["street"], milestone_id=m_road, progress=100, note="路面硬化完成")
    clock.jump(days=3)
    await supervision.update_milestone(org, milestone_id=m_accept, progress=100, note="竣工验收合格")
    await evaluation.record_follow_up(
        org, consultation_id=cid, at=clock.at, notes="回访沿街住户，路面平整，雨后不再积水。"
    )

    # 给反馈单: the residents have the last word (百姓说了算).
    await consultations.advance_stage(cppcc, consultation_id=cid, to=Stage.EVALUATING, note="请居民评价")
    scores = [5] * 21 + [4] * 9 + [3] * 2 + [2]
    comments = {
        0: "路修好了，下雨天出门不用再蹚水了。",
        1: "施工期间晚上有点吵，后来改了，满意。",
        30: "希望以后多维护。",
    }
    # The first 33 households rate; the others do not.
    for i, (slip, score) in enumerate(zip(slips, scores, strict=False)):
        login = await accounts.redeem_invitation(
            ServiceContext(settings=settings, clock=clock, client_key="demo"), code=slip.code
        )
        await evaluation.rate_outcome(
            as_(login.account, slip.entry_id), consultation_id=cid, score=score, comment=comments.get(i)
        )
    clock.jump(days=20)
    await evaluation.record_follow_up(
        cppcc, consultation_id=cid, at=clock.at, notes="一个月后回访：路面完好，管网通畅。"
    )
    if archive:
        clock.jump(days=1)
        await archive_service.archive_consultation(org, consultation_id=cid, note="协商事项办结，存入档案")
    return slips


def acting_as(account, settings, clock=utcnow, roll_entry_id: int | None = None) -> ServiceContext:
    """A service call made by `account`, as the services see one from the API."""
    return ServiceContext(
        actor=Actor(
            account_id=account.id,
            roles=account.role_set,
            party_id=account.party_id,
            roll_entry_id=roll_entry_id,
            display_name=account.display_name,
        ),
        settings=settings,
        clock=clock,
    )


async def load_demo(*, if_empty: bool = False, out_dir: Path = Path("var")) -> str:
    if await Consultation.filter(title=DEMO_TITLE).exists():
        return "演示数据已存在，未重复加载 The 菜园巷 demo is already loaded."
    if if_empty and await Consultation.all().exists():
        return "数据库中已有协商，未加载演示数据 The database already holds consultations; demo not loaded."

    settings = get_settings()
    anchors.configure(settings.anchor_file, settings.anchor_url, settings.anchor_token)
    # The spring of 2025, a few hours per step.
    clock = StoryClock(datetime(2025, 4, 7, 9, 0, tzinfo=SHANGHAI).astimezone(UTC))

    def as_(account, roll_entry_id: int | None = None) -> ServiceContext:
        return acting_as(account, settings, clock, roll_entry_id)

    system = ServiceContext(settings=settings, clock=clock)
    admin = await accounts.create_admin(
        system, username="admin", password=DEMO_ACCOUNTS[0][1], display_name="系统管理员"
    )
    parties = {}
    for key, name, kind, contact in DEMO_PARTIES:
        parties[key] = await accounts.create_party(as_(admin), name=name, kind=kind, contact=contact)
    people = {"admin": admin}
    for username, password, display, roles, party_key in DEMO_ACCOUNTS[1:]:
        reps = Role.PARTY_REP in roles
        people[username] = await accounts.create_account(
            as_(admin),
            username=username,
            # A rep gets a first password from the office and sets their own before signing
            # anything for their party (the README lists the one they set).
            password=f"{password}-from-the-office" if reps else password,
            display_name=display,
            roles=roles,
            party_id=to_global_id("Party", parties[party_key].id) if party_key else None,
        )
        if reps:
            people[username] = await accounts.change_password(
                as_(people[username]), current_password=f"{password}-from-the-office", new_password=password
            )
    org, cppcc = as_(people["organizer"]), as_(people["cppcc"])
    # The district's tree and the 武川 community first: the 菜园巷 stories stay the newest.
    await load_wuchuan(as_(admin), cppcc, settings)
    # 王主任 of 解放街道 acts in his street's communities; the CPPCC member and the admin, the district.
    street = await Area.get(kind=AreaKind.STREET, name=CAIYUAN_STREET)
    await areas.set_staff_areas(
        as_(admin),
        account_id=to_global_id("Account", people["organizer"].id),
        area_ids=[to_global_id("Area", street.id)],
    )
    slips = await _story(
        DEMO_TITLE,
        org=org,
        cppcc=cppcc,
        as_=as_,
        people=people,
        parties=parties,
        clock=clock,
        settings=settings,
        archive=False,
    )
    clock.at = datetime(2025, 4, 7, 9, 0, tzinfo=SHANGHAI).astimezone(UTC)
    await _story(
        ARCHIVED_TITLE,
        org=org,
        cppcc=cppcc,
        as_=as_,
        people=people,
        parties=parties,
        clock=clock,
        settings=settings,
        archive=True,
    )
    live_slips = []
    for title, stop, days in LIVE_COPIES:
        clock.at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days)
        live_slips.append(
            await _story(
                title,
                org=org,
                cppcc=cppcc,
                as_=as_,
                people=people,
                parties=parties,
                clock=clock,
                settings=settings,
                stop=stop,
            )
        )

    out_dir.mkdir(parents=True, exist_ok=True)
    slips_file = out_dir / "demo-invitations.csv"
    voting_file = out_dir / "demo-invitations-voting.csv"
    for path, written in ((slips_file, slips), (voting_file, live_slips[0])):
        # The codes sign households in: readable by their owner only, like the server key.
        path.unlink(missing_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(descriptor, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["label", "code"])
            for slip in written:
                writer.writerow([slip.label, slip.code])

    lines = [
        f"已加载演示协商「{DEMO_TITLE}」（{len(slips)} 户居民名册），阶段：{label(Stage.EVALUATING)}；"
        f"另有一份已归档副本「{ARCHIVED_TITLE}」，"
        f"一份正在表决的「{LIVE_COPIES[0][0]}」和一份正在施工的「{LIVE_COPIES[1][0]}」。"
        f"第二个社区「{COMMUNITY}」有已办结的「{MANHOLE_TITLE}」等武川案例（73 件诉求，化解 67 件）。",
        "Loaded the 菜园巷 demo. Demo-only accounts (username / password):",
    ]
    lines += [f"  {u:<11} {p:<20} {d}" for u, p, d, _, _ in SHOWN_ACCOUNTS]
    lines.append(
        f"居民邀请码 Residents' invitation codes: {slips_file}, e.g. (redeeming one signs out the demo's earlier use)"
    )
    lines += [f"  {s.label}: {s.code}" for s in slips[33:36]]
    lines.append(f"正在表决的副本 The copy with an open vote: {voting_file}, e.g. (try /i/<code> on a phone)")
    lines += [f"  {s.label}: {s.code}" for s in live_slips[0][3:6]]
    return "\n".join(lines)
