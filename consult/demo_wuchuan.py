"""The demo's district tree and its second community: the 武川 case of 七单会商.

The upgrade (migration 0022) leaves one district, street and community named 本区/本街道/本社区;
the demo names them after the 菜园巷 case (临河区, 解放街道, 菜园巷社区) and adds a town, 可以力更镇,
with one community. That community holds what the newspaper tells of Wuchuan's 红色代办 (read
/work/shared/domain.md): a resident hurt in an uncovered telecom manhole, whose case six units
settled on the spot with 8,400 yuan (1,400 each) and a new cover the same night; the manhole
sweep that followed; and the cases that went up to the county. Its demands give the record the
article prints: 73 received, 67 resolved at township level or below.

The real 可以力更镇 is in 武川县, Hohhot, not in 临河区: the demo keeps one district so that the
overview has two communities side by side, and says so in the community's name.

As in consult.demo, every step goes through the services, so the audit chains are real.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from consult.clock import SHANGHAI, StoryClock
from consult.domain.vocabulary import (
    AreaKind,
    DemandChannel,
    DemandStatus,
    FindingCategory,
    FindingStatus,
    MilestoneKind,
    PartyKind,
    ProposalStatus,
    SplitMethod,
    Stage,
)
from consult.ids import to_global_id
from consult.models import Area, CostShare, Finding
from consult.services import accounts, areas, consultations, costs, demands, evaluation, proposals, roll, supervision
from consult.services import archive as archive_service
from consult.services.base import ServiceContext

DISTRICT = "临河区"
CAIYUAN_STREET = "解放街道"
CAIYUAN_COMMUNITY = "菜园巷社区"
TOWN = "可以力更镇"
COMMUNITY = "武川县可以力更镇社区"

MANHOLE_TITLE = "居民坠入无盖通信井受伤的责任分摊"
SWEEP_TITLE = "管井盖安全隐患清零专项行动"
COUNTY_TITLE = "跨部门疑难事项提请县级联席会商"
# 73 received (none merged), 67 resolved: the manhole case's own demand and the sweep's 66 are
# ACCEPTED in consultations that reached ARCHIVED; the 6 sent up to the county are ACCEPTED in a
# consultation still DELIBERATING, so they are received but not yet resolved.
SWEEP_ITEMS = 66
COUNTY_ITEMS = 6

WUCHUAN_ACCOUNT = ("wuchuan", "demo-wuchuan-2025", "可以力更镇 红色代办员", "ORGANIZER", None)
# The six units that settled the manhole case on the spot, each answering for 1,400 yuan.
UNITS = [
    ("xinfang", "武川县信访接待中心", PartyKind.DEPARTMENT, "牵头召集会商，跟踪赔偿款交付"),
    ("sifa", "武川县司法局", PartyKind.DEPARTMENT, "现场释法，确认责任分摊协议合法有效"),
    ("telecom", "涉事通信运营企业", PartyKind.ENTERPRISE, "承担井盖缺失责任份额，当晚更换井盖"),
    ("owner", "通信管道权属单位", PartyKind.UNIT, "核对管线档案和交接记录，加装警示设施"),
    ("road", "武川县城市管理部门", PartyKind.DEPARTMENT, "调阅竣工图纸，监督道路井盖整改"),
    ("town", "可以力更镇人民政府", PartyKind.STREET_OFFICE, "组织现场协商，回访伤者和周边居民"),
]
PLACES = ["和平路", "团结路", "新华街", "兴隆街", "建设路", "文化街"]
PROBLEMS = ["井盖缺失", "井盖破损", "井盖松动异响", "井盖下沉", "井盖与路面不平", "井盖标识不清"]


async def name_the_tree(admin: ServiceContext) -> Area:
    """临河区 → 解放街道 → 菜园巷社区 (the upgrade's default rows, renamed) and 可以力更镇 → its
    community (added), through the admin's area services, so the installation trail shows them.
    Returns the town."""
    district = await Area.filter(kind=AreaKind.DISTRICT).order_by("id").first()
    assert district is not None, "migration 0022 makes the district"
    street = await Area.filter(kind=AreaKind.STREET, parent_id=district.id).order_by("id").first()
    assert street is not None
    community = await Area.filter(kind=AreaKind.COMMUNITY, parent_id=street.id).order_by("id").first()
    assert community is not None
    for area, name in ((district, DISTRICT), (street, CAIYUAN_STREET), (community, CAIYUAN_COMMUNITY)):
        await areas.rename_area(admin, area_id=to_global_id("Area", area.id), name=name)
    town = await areas.create_area(admin, kind=AreaKind.STREET, name=TOWN, parent_id=to_global_id("Area", district.id))
    await areas.create_area(admin, kind=AreaKind.COMMUNITY, name=COMMUNITY, parent_id=to_global_id("Area", town.id))
    return town


async def town_organizer(admin: ServiceContext, town: Area) -> Any:
    """The town's 红色代办员: an organizer who acts in 可以力更镇 only."""
    username, password, display, role, _ = WUCHUAN_ACCOUNT
    return await accounts.create_account(
        admin,
        username=username,
        password=password,
        display_name=display,
        roles=[role],
        area_ids=[to_global_id("Area", town.id)],
    )


def _who(ctx: ServiceContext) -> int:
    """The account a demo context acts as (each one acts as an account)."""
    assert ctx.actor.account_id is not None
    return ctx.actor.account_id


def _households(n: int, where: str) -> list[tuple[str, str | None]]:
    return [(f"{where} {i // 8 + 1} 号楼 {i % 8 + 1:02d} 户", None) for i in range(n)]


async def _rate(cid: str, slips: list, scores: list[int], comments: dict[int, str], *, settings, clock, as_) -> None:
    for i, (slip, score) in enumerate(zip(slips, scores, strict=False)):
        login = await accounts.redeem_invitation(
            ServiceContext(settings=settings, clock=clock, client_key="demo"), code=slip.code
        )
        await evaluation.rate_outcome(
            as_(login.account, slip.entry_id), consultation_id=cid, score=score, comment=comments.get(i)
        )


async def _manhole(wc: ServiceContext, cppcc: ServiceContext, units: dict, clock: StoryClock, **kw: Any) -> None:
    """七单会商 of the manhole case, from the demand to the sealed dossier."""
    c = await consultations.create_consultation(
        wc,
        title=MANHOLE_TITLE,
        summary=(
            "居民王某某夜间路过时坠入一处无盖通信井受伤。红色代办员接诉后启动“七单会商”，"
            "连夜调阅竣工图纸、管线档案和交接记录，召集六家责任单位现场协商。"
        ),
        location="呼和浩特市武川县可以力更镇",
        party_ids=[to_global_id("Party", units[k].id) for k, *_ in UNITS],
        convener_id=to_global_id("Account", _who(cppcc)),
    )
    cid = to_global_id("Consultation", c.id)
    await roll.set_voter_roll(wc, consultation_id=cid, voters=_households(24, "可以力更镇事发路段"))
    slips = await roll.issue_invitations(wc, consultation_id=cid)
    await consultations.advance_stage(wc, consultation_id=cid, to=Stage.COLLECTING, note="受理登记：红色代办员接诉")
    demand = await demands.submit_demand(
        wc,
        consultation_id=cid,
        title="坠入无盖通信井受伤，请求赔偿并补上井盖",
        body="夜间路过时坠入路边一处没有井盖的通信井，腿部受伤。请查明责任、赔偿损失，尽快补上井盖。",
        channel=DemandChannel.GRID_WORKER,
    )
    clock.jump(hours=2)
    await consultations.advance_stage(wc, consultation_id=cid, to=Stage.DELIBERATING, note="联席会商：六家单位到现场")
    await demands.set_demand_status(wc, demand_id=to_global_id("Demand", demand.id), status=DemandStatus.ACCEPTED)
    for key, _name, _kind, duty in UNITS:
        await demands.assign_responsibility(
            wc,
            consultation_id=cid,
            party_id=to_global_id("Party", units[key].id),
            duty=duty,
            due_at=clock.at + timedelta(hours=12),
        )
    plan = await proposals.create_proposal(
        wc,
        consultation_id=cid,
        title="赔偿与井盖整改方案",
        body="一、六家单位各承担 1400 元，共 8400 元赔偿款当场交到伤者手中；二、当晚更换井盖；"
        "三、加装 4 根反光警示桩和 2 盏太阳能爆闪灯。",
        budget="8400",
    )
    plan_id = to_global_id("Proposal", plan.id)
    await proposals.update_proposal(wc, proposal_id=plan_id, status=ProposalStatus.TABLED)
    _, cost_plan = await costs.set_cost_plan(
        wc,
        proposal_id=plan_id,
        total="8400",
        method=SplitMethod.EQUAL,
        shares=[{"party_id": to_global_id("Party", units[k].id)} for k, *_ in UNITS],
    )
    shares = await CostShare.filter(plan_id=cost_plan.id).order_by("position")
    for share in shares:
        # Confirmed on the spot, each unit's representative at the table: recorded by the 代办员.
        await costs.confirm_share(wc, share_id=to_global_id("CostShare", share.id))
    await proposals.adopt_proposal(wc, proposal_id=plan_id)
    await consultations.advance_stage(
        wc, consultation_id=cid, to=Stage.AGREED, note="六家单位当场确认责任分摊，签订协议"
    )
    for share in shares:
        await costs.record_contribution(
            wc, share_id=to_global_id("CostShare", share.id), amount="1400", received_at=clock.at, note="现场交付伤者"
        )
    await _manhole_works(wc, cppcc, cid, units, clock)
    await consultations.advance_stage(wc, consultation_id=cid, to=Stage.EVALUATING, note="请周边居民评价")
    await _rate(
        cid,
        slips,
        [5, 5, 5, 4, 5, 5, 4, 5, 5],
        {0: "当晚就换了井盖，还装了爆闪灯，晚上走路放心了。"},
        clock=clock,
        **kw,
    )
    clock.jump(days=30)
    await evaluation.record_follow_up(
        cppcc, consultation_id=cid, at=clock.at, notes="一个月后回访：伤者已康复，井盖完好。"
    )
    clock.jump(days=1)
    await archive_service.archive_consultation(wc, consultation_id=cid, note="七单会商办结，存入档案单")


async def _manhole_works(wc: ServiceContext, cppcc: ServiceContext, cid: str, units: dict, clock: StoryClock) -> None:
    ids = []
    for title, kind, key, hours in (
        ("赔偿款 8400 元交到伤者手中", MilestoneKind.FUNDING, "xinfang", 1),
        ("当晚更换井盖", MilestoneKind.CONSTRUCTION, "telecom", 4),
        ("加装 4 根反光警示桩和 2 盏太阳能爆闪灯", MilestoneKind.CONSTRUCTION, "owner", 6),
    ):
        m = await supervision.add_milestone(
            wc,
            consultation_id=cid,
            title=title,
            kind=kind,
            responsible_party_id=to_global_id("Party", units[key].id),
            planned_start=clock.at,
            planned_end=clock.at + timedelta(hours=hours),
        )
        ids.append(to_global_id("Milestone", m.id))
    await consultations.advance_stage(wc, consultation_id=cid, to=Stage.IMPLEMENTING, note="当晚整改")
    for mid, note in zip(ids, ("赔偿款已交付", "井盖已更换", "警示桩和爆闪灯已安装"), strict=True):
        await supervision.update_milestone(wc, milestone_id=mid, progress=100, note=note)
    clock.jump(days=1)
    await supervision.record_inspection(
        cppcc,
        consultation_id=cid,
        visited_at=clock.at,
        notes="第二天到现场查看：井盖已更换，4 根警示桩和 2 盏爆闪灯已装好。",
        findings=[],
    )
    await evaluation.record_follow_up(wc, consultation_id=cid, at=clock.at, notes="回访伤者：赔偿款已收到，情绪稳定。")


async def _sweep(wc: ServiceContext, cppcc: ServiceContext, units: dict, clock: StoryClock, **kw: Any) -> None:
    """The sweep the case set off: 66 reported covers, fixed, checked and rated."""
    c = await consultations.create_consultation(
        wc,
        title=SWEEP_TITLE,
        summary="以无盖通信井伤人事件为契机，全镇排查、更换、修复问题井盖，从源头避免同类事件。",
        location="呼和浩特市武川县可以力更镇",
        party_ids=[to_global_id("Party", units[k].id) for k in ("telecom", "owner", "road", "town")],
        convener_id=to_global_id("Account", _who(cppcc)),
    )
    cid = to_global_id("Consultation", c.id)
    await roll.set_voter_roll(wc, consultation_id=cid, voters=_households(48, "可以力更镇城区"))
    slips = await roll.issue_invitations(wc, consultation_id=cid)
    await consultations.advance_stage(wc, consultation_id=cid, to=Stage.COLLECTING, note="网格员和居民上报问题井盖")
    reported = []
    for i in range(SWEEP_ITEMS):
        reported.append(
            await demands.submit_demand(
                wc,
                consultation_id=cid,
                title=f"{PLACES[i % 6]}{i // 6 + 1}号附近{PROBLEMS[(i // 6 + i) % 6]}",
                body="网格员巡查发现，请尽快更换或修复。",
                channel=DemandChannel.GRID_WORKER,
            )
        )
        clock.jump(hours=3)
    await consultations.advance_stage(wc, consultation_id=cid, to=Stage.DELIBERATING, note="联席会商，分单位认领")
    for d in reported:
        await demands.set_demand_status(wc, demand_id=to_global_id("Demand", d.id), status=DemandStatus.ACCEPTED)
    plan = await proposals.create_proposal(
        wc,
        consultation_id=cid,
        title="问题井盖分单位认领整改",
        body="通信井由运营企业和权属单位更换，道路井由城管部门修复，镇政府逐一回访。",
        budget="0",
    )
    plan_id = to_global_id("Proposal", plan.id)
    await proposals.update_proposal(wc, proposal_id=plan_id, status=ProposalStatus.TABLED)
    await proposals.adopt_proposal(wc, proposal_id=plan_id)
    await consultations.advance_stage(wc, consultation_id=cid, to=Stage.AGREED, note="各单位签订整改承诺")
    await _sweep_works(wc, cppcc, cid, units, clock)
    await consultations.advance_stage(wc, consultation_id=cid, to=Stage.EVALUATING, note="请居民评价")
    await _rate(cid, slips, [5] * 8 + [4] * 3 + [3], {1: "家门口的井盖换成新的了。"}, clock=clock, **kw)
    clock.jump(days=20)
    await archive_service.archive_consultation(wc, consultation_id=cid, note="专项行动办结，存入档案")


async def _sweep_works(wc: ServiceContext, cppcc: ServiceContext, cid: str, units: dict, clock: StoryClock) -> None:
    m = await supervision.add_milestone(
        wc,
        consultation_id=cid,
        title="更换、修复上报的 66 个问题井盖",
        kind=MilestoneKind.CONSTRUCTION,
        responsible_party_id=to_global_id("Party", units["road"].id),
        planned_start=clock.at,
        planned_end=clock.at + timedelta(days=20),
    )
    await consultations.advance_stage(wc, consultation_id=cid, to=Stage.IMPLEMENTING, note="分单位整改")
    clock.jump(days=8)
    inspection = await supervision.record_inspection(
        cppcc,
        consultation_id=cid,
        visited_at=clock.at,
        notes="抽查已整改的井盖。",
        findings=[
            {
                "category": FindingCategory.SAFETY,
                "description": "两处新换井盖高出路面，夜间易绊倒行人",
                "responsible_party_id": to_global_id("Party", units["road"].id),
                "due_at": clock.at + timedelta(days=3),
                "expected_outcome": "井盖与路面齐平",
            }
        ],
    )
    finding = await Finding.filter(inspection_id=inspection.id).first()
    assert finding is not None
    fid = to_global_id("Finding", finding.id)
    clock.jump(days=2)
    await supervision.update_finding(wc, finding_id=fid, status=FindingStatus.RESOLVED, resolution="重新找平安装")
    await supervision.update_finding(cppcc, finding_id=fid, status=FindingStatus.VERIFIED)
    clock.jump(days=8)
    await supervision.update_milestone(
        wc, milestone_id=to_global_id("Milestone", m.id), progress=100, note="66 个问题井盖全部整改"
    )
    await evaluation.record_follow_up(wc, consultation_id=cid, at=clock.at, notes="逐一回访上报的居民。")


async def _county(wc: ServiceContext, cppcc: ServiceContext, units: dict, clock: StoryClock) -> None:
    """The six cases the town could not settle: received, accepted, and still in joint consultation."""
    c = await consultations.create_consultation(
        wc,
        title=COUNTY_TITLE,
        summary="涉及多个县级部门和跨区域管线的疑难事项，镇里协调不了，提请县级联席会商。",
        location="呼和浩特市武川县可以力更镇",
        party_ids=[to_global_id("Party", units[k].id) for k in ("xinfang", "sifa", "town")],
        convener_id=to_global_id("Account", _who(cppcc)),
    )
    cid = to_global_id("Consultation", c.id)
    await consultations.advance_stage(wc, consultation_id=cid, to=Stage.COLLECTING, note="受理登记")
    items = [
        "跨区域供水管线漏水",
        "国道沿线排水沟堵塞",
        "老旧小区产权不清无法维修",
        "企业欠薪纠纷",
        "村道与县道交界处路灯无人管",
        "通信基站选址争议",
    ]
    accepted = [
        await demands.submit_demand(
            wc, consultation_id=cid, title=t, body="需要县级多个部门共同研究。", channel=DemandChannel.GRID_WORKER
        )
        for t in items[:COUNTY_ITEMS]
    ]
    await consultations.advance_stage(wc, consultation_id=cid, to=Stage.DELIBERATING, note="提请县级联席会商")
    for d in accepted:
        await demands.set_demand_status(wc, demand_id=to_global_id("Demand", d.id), status=DemandStatus.ACCEPTED)


async def load_wuchuan(admin: ServiceContext, cppcc: ServiceContext, settings: Any) -> None:
    """The town, its 红色代办员, its units and its three consultations."""
    from consult.demo import acting_as

    town = await name_the_tree(admin)
    me = await town_organizer(admin, town)
    units = {key: await accounts.create_party(admin, name=name, kind=kind) for key, name, kind, _ in UNITS}
    clock = StoryClock(datetime(2025, 5, 12, 20, 0, tzinfo=SHANGHAI).astimezone(UTC), minutes=11)

    def as_town(account: Any, roll_entry_id: int | None = None) -> ServiceContext:
        return acting_as(account, settings, clock, roll_entry_id)

    def staff(ctx: ServiceContext) -> ServiceContext:
        return ServiceContext(actor=ctx.actor, settings=settings, clock=clock)

    wc = await _in_town(as_town(me))
    kw = {"settings": settings, "as_": as_town}
    await _manhole(wc, staff(cppcc), units, clock, **kw)
    clock.jump(days=3)
    await _sweep(wc, staff(cppcc), units, clock, **kw)
    clock.at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=12)
    await _county(wc, staff(cppcc), units, clock)


async def _in_town(ctx: ServiceContext) -> ServiceContext:
    """The town organizer's context with its scope, as a request would load it."""
    from dataclasses import replace

    from consult.services.areas import reach_of

    return replace(ctx, actor=replace(ctx.actor, scope=await reach_of(_who(ctx))))
