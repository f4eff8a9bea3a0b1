"""`consult demo` builds a district: 临河区 with 菜园巷's street and 可以力更镇, whose community holds
the 武川 cases, with the record the newspaper printed (73 received, 67 resolved)."""

from __future__ import annotations

import asyncio

from tests.cli.test_cli import db, run  # noqa: F401  (db is a fixture)


async def _facts(url: str) -> dict:
    from tortoise import Tortoise

    from consult.db import tortoise_config
    from consult.models import Area, Consultation, CostShare, Demand, Dossier, Milestone, Rating, StaffArea

    await Tortoise.init(config=tortoise_config(url))
    try:
        areas = {a.id: a for a in await Area.all()}
        tree = sorted((a.kind, a.name, areas[a.parent_id].name if a.parent_id else None) for a in areas.values())
        [community] = [a for a in areas.values() if a.name == "武川县可以力更镇社区"]
        here = Demand.filter(consultation__community_id=community.id)
        manhole = await Consultation.get(title="居民坠入无盖通信井受伤的责任分摊")
        shares = await CostShare.filter(plan__proposal__consultation_id=manhole.id).order_by("position")
        town_staff = await StaffArea.filter(account__username="wuchuan").values_list("area__name", flat=True)
        return {
            "tree": tree,
            "received": await here.exclude(status="MERGED").count(),
            "resolved": await here.filter(
                status="ACCEPTED", consultation__stage__in=["EVALUATING", "ARCHIVED"]
            ).count(),
            "stages": sorted(await Consultation.filter(community_id=community.id).values_list("title", "stage")),
            "caiyuan": await Consultation.filter(community__name="菜园巷社区").count(),
            "manhole": {
                "community": manhole.community_id == community.id,
                "shares": [(s.amount_fen, s.paid_fen, s.confirmed_at is not None) for s in shares],
                "milestones": sorted(
                    await Milestone.filter(consultation_id=manhole.id).values_list("title", "progress")
                ),
                "ratings": await Rating.filter(consultation_id=manhole.id).count(),
                "sealed": await Dossier.filter(consultation_id=manhole.id).exists(),
            },
            "town_staff": list(town_staff),
        }
    finally:
        await Tortoise.close_connections()


def test_the_demo_is_a_district_with_the_wuchuan_record_and_verifies(db, tmp_path):  # noqa: F811
    run("migrate", env=db)
    out = run("demo", "--out-dir", str(tmp_path), env=db, timeout=300)
    assert "武川县可以力更镇社区" in out.stdout and "demo-wuchuan-2025" in out.stdout
    facts = asyncio.run(_facts(db["CONSULT_DATABASE_URL"]))
    # the upgrade's default rows are named, and the town is added beside 解放街道: one district
    assert facts["tree"] == sorted(
        [
            ("DISTRICT", "临河区", None),
            ("STREET", "解放街道", "临河区"),
            ("COMMUNITY", "菜园巷社区", "解放街道"),
            ("STREET", "可以力更镇", "临河区"),
            ("COMMUNITY", "武川县可以力更镇社区", "可以力更镇"),
        ]
    )
    # the 菜园巷 stories stay in their community, and the town's three are in the second
    assert facts["caiyuan"] == 4
    assert facts["stages"] == sorted(
        [
            ("居民坠入无盖通信井受伤的责任分摊", "ARCHIVED"),
            ("管井盖安全隐患清零专项行动", "ARCHIVED"),
            ("跨部门疑难事项提请县级联席会商", "DELIBERATING"),
        ]
    )
    # the record the newspaper printed: 73 received (not merged), 67 resolved (accepted, and
    # their consultation reached EVALUATING or ARCHIVED): 67/73 = 91.8%
    assert (facts["received"], facts["resolved"]) == (73, 67)
    # the manhole case: six units, 1,400 yuan each, all confirmed and paid; the night's works done;
    # rated by the neighbours; its dossier sealed
    manhole = facts["manhole"]
    assert manhole["community"] is True
    assert manhole["shares"] == [(140000, 140000, True)] * 6
    assert manhole["milestones"] == sorted(
        [("赔偿款 8400 元交到伤者手中", 100), ("当晚更换井盖", 100), ("加装 4 根反光警示桩和 2 盏太阳能爆闪灯", 100)]
    )
    assert manhole["ratings"] == 9 and manhole["sealed"] is True
    # the town's 红色代办员 acts in the town alone
    assert facts["town_staff"] == ["可以力更镇"]
    # and every audit chain, tally and share of the whole demo checks out against its anchors
    assert "Everything matches" in run("verify", env=db).stdout
