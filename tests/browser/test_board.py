"""The CPPCC supervision board (政协委员监督看板), in a real browser.

Each test walks its own consultation through the API to IMPLEMENTING (poll closed, proposal
adopted, every share confirmed by the organizer on the party's behalf), adds milestones, one
of them past its planned end, and then uses /board as a CPPCC member would. Other tests share
the served site, so a card is always found by its consultation's title.

Tests ask for `site` before `new_page`: on PostgreSQL the site's database is created with
asyncio.run, which must happen before Playwright's sync API starts its own event loop.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CPPCC, DESKTOP, ORGANIZER, PHONE, axe_violations, no_stray_words, screenshot, sign_in

FINDINGS = """findings { id category description status resolution overdue dueAt expectedOutcome
  assignee { id displayName } responsibleParty { id name } }"""


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def implementing(site, title: str, *, paid: tuple[str, ...] = ("80000",)) -> dict[str, Any]:
    """A consultation at IMPLEMENTING with an overdue and a current milestone, and some money paid in."""
    case = site.consultation(title, stage="VOTING", households=3)
    cid = case["id"]
    closed = site.gql(
        "mutation($i: PollIdInput!) { closePoll(input: $i) { poll { status } errors { message } } }",
        {"i": {"pollId": case["poll"]}},
        site.token(ORGANIZER),
    )["closePoll"]
    assert closed["errors"] == [], closed
    site.ok("adoptProposal", {"proposalId": case["proposal"]}, "proposal { status }")
    plan = site.gql(
        "query($id: ID!) { consultation(id: $id) { adoptedProposal { costPlan { shares { id party { name } } } } } }",
        {"id": cid},
        site.token(ORGANIZER),
    )["consultation"]["adoptedProposal"]["costPlan"]
    case["shares"] = {s["party"]["name"]: s["id"] for s in plan["shares"]}
    for share in plan["shares"]:
        site.ok("confirmShare", {"shareId": share["id"]}, "share { confirmedAt }")
    site.ok("advanceStage", {"consultationId": cid, "to": "AGREED"}, "consultation { stage }")
    site.ok("advanceStage", {"consultationId": cid, "to": "IMPLEMENTING"}, "consultation { stage }")
    parties = site.parties()
    case["late"] = site.ok(
        "addMilestone",
        {
            "consultationId": cid,
            "title": "维修地下管网",
            "kind": "CONSTRUCTION",
            "responsiblePartyId": parties["解放街道办事处"],
            "plannedStart": iso(timedelta(days=-20)),
            "plannedEnd": iso(timedelta(days=-3)),
        },
        "milestone { id status }",
    )["milestone"]
    assert case["late"]["status"] == "OVERDUE"
    case["road"] = site.ok(
        "addMilestone",
        {
            "consultationId": cid,
            "title": "路面硬化",
            "kind": "CONSTRUCTION",
            "responsiblePartyId": parties["菜园巷辖区单位"],
            "plannedStart": iso(timedelta(days=-2)),
            "plannedEnd": iso(timedelta(days=25)),
        },
        "milestone { id status }",
    )["milestone"]
    # The amounts go to the first shares in order; the later ones stay unpaid.
    for share_id, amount in zip(case["shares"].values(), paid, strict=False):
        site.ok(
            "recordContribution",
            {"shareId": share_id, "amount": amount, "receivedAt": iso(timedelta(days=-5))},
            "share { paid }",
        )
    return case


def finding_input(
    site, description: str, *, party: str = "菜园市场", due: timedelta = timedelta(days=10), **extra
) -> dict:
    return {
        "category": extra.get("category", "NOISE"),
        "description": description,
        "responsiblePartyId": site.parties()[party],
        "dueAt": iso(due),
        "expectedOutcome": extra.get("outcome", "夜间不再施工，居民不再投诉。"),
    }


def inspect(site, case: dict, *findings: dict) -> list[str]:
    """Record an inspection through the API as the CPPCC member; the new findings' ids."""
    payload = site.ok(
        "recordInspection",
        {
            "consultationId": case["id"],
            "visitedAt": iso(timedelta(hours=-1)),
            "notes": "到现场查看施工。",
            "findings": list(findings),
        },
        "inspection { findings { id } }",
        who=CPPCC,
    )
    return [f["id"] for f in payload["inspection"]["findings"]]


def resolve(site, finding_id: str, how: str) -> None:
    site.ok("updateFinding", {"findingId": finding_id, "status": "RESOLVED", "resolution": how}, "finding { status }")


def state(site, case: dict) -> dict:
    return site.gql(
        f"query($id: ID!) {{ consultation(id: $id) {{ inspections {{ id notes milestone {{ id }} }} {FINDINGS} }} }}",
        {"id": case["id"]},
        site.token(CPPCC),
    )["consultation"]


def open_board(new_page, size=DESKTOP, on=None):
    page = new_page(size, on=on)
    sign_in(page, CPPCC, "/board")
    return page


def card_of(page, title: str):
    card = page.get_by_role("article", name=title)
    expect(card).to_be_visible()
    return card


def start_inspection(card):
    card.get_by_text("记录一次视察", exact=True).click()
    card.get_by_role("button", name="添加一个发现的问题").click()


# The README image, on a site of its own so that no other test adds cards to the board.
def test_screenshot_of_a_board_with_milestones_findings_and_money(demo_only_site, new_page):
    site = demo_only_site
    title = "胜利巷路面硬化"
    case = implementing(site, title, paid=("80000", "80000", "30000"))
    road = case["road"]["id"]
    site.ok(
        "updateMilestone",
        {"milestoneId": road, "progress": 35, "actualStart": iso(timedelta(days=-2)), "note": "东段已开挖"},
        "milestone { id }",
    )
    site.ok(
        "updateMilestone",
        {"milestoneId": case["late"]["id"], "progress": 70, "actualStart": iso(timedelta(days=-18))},
        "milestone { id }",
    )
    noisy, _slow, _shortfall = inspect(
        site,
        case,
        finding_input(site, "夜间施工噪声扰民，22 点后仍有机械作业", due=timedelta(days=-1)),
        finding_input(
            site,
            "管网维修进度慢于计划",
            party="解放街道办事处",
            due=timedelta(days=7),
            category="SLOW_PROGRESS",
            outcome="一周内完成管网维修，恢复通行",
        ),
        finding_input(
            site,
            "辖区单位出资尚未全部到位",
            party="菜园巷辖区单位",
            due=timedelta(days=-2),
            category="FUNDING_SHORTFALL",
            outcome="余款 5 万元到账",
        ),
    )
    resolve(site, noisy, "已调整作业时间，22 点后停工")
    page = open_board(new_page, on=site)
    card = card_of(page, title)
    expect(card.locator("li.finding", has_text="管网维修进度慢于计划")).to_be_visible()
    expect(card.locator("li.finding-resolved", has_text="夜间施工噪声扰民")).to_be_visible()
    expect(card.get_by_role("progressbar")).to_be_visible()
    screenshot(card, "supervision-board.png")  # this card only: the demo case is on the board too
    assert page.errors == []


def test_a_member_records_an_inspection_with_a_five_fixed_finding(site, new_page):
    title = "看板测试：记录视察"
    case = implementing(site, title)
    me = site.gql("{ viewer { id displayName } }", token=site.token(CPPCC))["viewer"]
    page = open_board(new_page)
    card = card_of(page, title)

    # The overdue milestone is marked, and counted.
    expect(card.locator("li.ms-overdue", has_text="维修地下管网")).to_contain_text("已超期")
    expect(card.locator(".overdue-line")).to_contain_text("1 个节点已超期")
    expect(card.locator(".card-counts")).to_contain_text("超期节点 1 个")
    expect(page.locator("#board-summary")).to_contain_text(re.compile(r"超期节点 [1-9]"))

    start_inspection(card)
    card.get_by_label("视察的施工节点").select_option(label="维修地下管网（已超期）")
    card.get_by_label("视察情况").fill("管网维修工地停工两天，现场无人。")
    card.get_by_label("问题类别").select_option("SLOW_PROGRESS")
    card.get_by_label("定事项").fill("管网维修停工，进度落后计划三天")
    card.get_by_label("定人员").select_option(label=f"我自己（{me['displayName']}）")
    card.get_by_label("定责任").select_option(label="解放街道办事处")
    card.get_by_label("定时限").fill("2030-06-30")
    card.get_by_label("定效果").fill("增加施工人员，一周内追回进度")
    card.get_by_role("button", name="保存视察记录").click()
    expect(card.locator(".inspection-form .msg-ok")).to_contain_text("视察记录已保存")

    item = card.locator("li.finding", has_text="管网维修停工，进度落后计划三天")
    expect(item).to_contain_text("待整改")
    for text in ("解放街道办事处", "2030年6月30日", "增加施工人员，一周内追回进度", me["displayName"]):
        expect(item).to_contain_text(text)
    expect(card.get_by_role("heading", name="待整改的问题（1 项）")).to_be_visible()
    # The form is emptied for the next visit.
    expect(card.get_by_label("视察情况")).to_have_value("")
    expect(card.locator("fieldset.finding-block")).to_have_count(0)

    data = state(site, case)
    assert [i["notes"] for i in data["inspections"]] == ["管网维修工地停工两天，现场无人。"]
    assert data["inspections"][0]["milestone"]["id"] == case["late"]["id"]
    [finding] = data["findings"]
    assert finding["category"] == "SLOW_PROGRESS"
    assert finding["description"] == "管网维修停工，进度落后计划三天"
    assert finding["assignee"] == me
    assert finding["responsibleParty"]["name"] == "解放街道办事处"
    assert finding["dueAt"] == "2030-06-30T23:59:00+08:00"
    assert finding["expectedOutcome"] == "增加施工人员，一周内追回进度"
    assert finding["status"] == "OPEN"
    assert page.errors == []


def test_a_member_verifies_one_fix_and_sends_another_back(site, new_page):
    title = "看板测试：核实整改"
    case = implementing(site, title)
    fixed, not_fixed, late = inspect(
        site,
        case,
        finding_input(site, "围挡破损，行人易受伤", category="SAFETY", outcome="围挡完整，夜间有警示灯"),
        finding_input(site, "路面积水未清理", party="解放街道办事处", category="QUALITY", outcome="雨后路面无积水"),
        finding_input(site, "施工车辆堵住巷口", due=timedelta(days=3), category="OTHER", outcome="巷口保持畅通"),
    )
    resolve(site, fixed, "已更换围挡，加装警示灯")
    page = open_board(new_page)
    card = card_of(page, title)
    resolved = card.locator("ul.findings.resolved")
    expect(resolved.locator("li.finding", has_text="围挡破损")).to_contain_text("已更换围挡，加装警示灯")

    # Reported fixed while the board is open: it moves to the awaiting list by itself.
    resolve(site, not_fixed, "已清扫")
    waiting = resolved.locator("li.finding", has_text="路面积水未清理")
    expect(waiting).to_contain_text("已整改")
    expect(card.get_by_role("heading", name="已整改、等待核实的问题（2 项）")).to_be_visible()

    resolved.locator("li.finding", has_text="围挡破损").get_by_role("button", name="核实闭环").click()
    expect(card.locator(".msg-ok", has_text="已核实闭环")).to_be_visible()
    expect(resolved.locator("li.finding", has_text="围挡破损")).to_have_count(0)

    # Sending back needs a reason; without one nothing is sent.
    waiting.get_by_role("button", name="退回重新整改").click()
    expect(waiting.get_by_role("alert")).to_contain_text("请写明退回的原因")
    assert {f["id"]: f["status"] for f in state(site, case)["findings"]}[not_fixed] == "RESOLVED"
    waiting.get_by_label("退回原因").fill("低洼处仍有积水，请补做排水坡度")
    waiting.get_by_role("button", name="退回重新整改").click()
    expect(card.locator(".msg-ok", has_text="退回重新整改")).to_be_visible()
    reopened = card.locator("ul.findings.open li.finding", has_text="路面积水未清理")
    expect(reopened).to_contain_text("重新整改")
    expect(reopened).to_contain_text("低洼处仍有积水，请补做排水坡度")
    expect(card.get_by_role("heading", name="待整改的问题（2 项）")).to_be_visible()

    found = {f["id"]: f for f in state(site, case)["findings"]}
    assert found[fixed]["status"] == "VERIFIED"
    assert found[fixed]["resolution"] == "已更换围挡，加装警示灯"
    assert found[not_fixed]["status"] == "REOPENED"
    assert found[not_fixed]["resolution"] == "低洼处仍有积水，请补做排水坡度"
    assert found[late]["status"] == "OPEN"
    assert page.errors == []


def test_the_board_follows_milestone_progress_without_a_reload(site, new_page):
    title = "看板测试：实时进度"
    case = implementing(site, title)
    page = open_board(new_page)
    card = card_of(page, title)
    expect(card.locator("li.ms", has_text="路面硬化")).to_contain_text("完成 0%")
    page.evaluate("window.notReloaded = true")
    # A half-typed inspection survives the refresh.
    start_inspection(card)
    card.get_by_label("视察情况").fill("正在写的视察记录")
    card.get_by_label("定事项").fill("正在写的问题")

    site.ok(
        "updateMilestone",
        {"milestoneId": case["road"]["id"], "progress": 60, "note": "路基完成"},
        "milestone { progress }",
    )
    expect(card.locator("li.ms", has_text="路面硬化")).to_contain_text("完成 60%")
    expect(card.locator("li.ms", has_text="路面硬化")).to_contain_text("进行中")
    site.ok("updateMilestone", {"milestoneId": case["late"]["id"], "progress": 100}, "milestone { progress }")
    expect(card.locator("li.ms", has_text="维修地下管网")).to_contain_text("已完成")
    expect(card.locator(".card-counts")).to_contain_text("没有超期节点")

    assert page.evaluate("window.notReloaded") is True
    expect(card.get_by_label("视察情况")).to_have_value("正在写的视察记录")
    expect(card.get_by_label("定事项")).to_have_value("正在写的问题")
    assert page.errors == []


def test_a_refused_inspection_shows_the_server_message_and_records_nothing(site, new_page):
    title = "看板测试：拒绝记录"
    case = implementing(site, title)
    # What the server says to a deadline it cannot take (the page only checks that one is given), asked directly.
    refusal = site.gql(
        """mutation($i: RecordInspectionInput!) { recordInspection(input: $i) { errors { field message } } }""",
        {
            "i": {
                "consultationId": case["id"],
                "visitedAt": iso(timedelta(0)),
                "notes": "x",
                "findings": [{**finding_input(site, "x"), "dueAt": "1900-01-01T23:59:00+08:00"}],
            }
        },
        site.token(CPPCC),
    )
    [too_early] = refusal["recordInspection"]["errors"]
    assert too_early["field"] == "findings.0.dueAt"

    page = open_board(new_page)
    card = card_of(page, title)
    start_inspection(card)
    card.get_by_label("视察情况").fill("巷口围挡倒塌")
    card.get_by_label("问题类别").select_option("SAFETY")
    card.get_by_label("定事项").fill("围挡倒塌")
    card.get_by_label("定责任").select_option(label="菜园市场")
    card.get_by_label("定时限").fill("1900-01-01")
    card.get_by_label("定效果").fill("围挡重新立好")
    card.get_by_role("button", name="保存视察记录").click()
    alert = card.locator(".inspection-form").get_by_role("alert")
    expect(alert).to_contain_text(too_early["message"])
    expect(alert).to_contain_text("定时限")
    due = card.get_by_label("定时限")
    expect(due).to_have_attribute("aria-invalid", "true")
    # ...and beside the field, in the server's own words.
    expect(beside(page, due)).to_have_text(too_early["message"])

    card.get_by_label("定时限").fill("2030-01-31")
    card.get_by_label("定事项").fill("   ")
    card.get_by_role("button", name="保存视察记录").click()
    expect(alert).to_contain_text("定事项")
    expect(alert).not_to_contain_text(too_early["message"])
    expect(card.get_by_label("定事项")).to_have_attribute("aria-invalid", "true")
    expect(beside(page, card.get_by_label("定事项"))).to_have_text("请写明问题是什么。")
    expect(due).not_to_have_attribute("aria-invalid", "true")
    expect(card.locator(".field-error")).to_have_count(1)
    # What was typed stays, to be corrected.
    expect(card.get_by_label("视察情况")).to_have_value("巷口围挡倒塌")

    data = state(site, case)
    assert data["inspections"] == [] and data["findings"] == []
    expect(card.get_by_role("heading", name="待整改的问题（0 项）")).to_be_visible()
    assert page.errors == []


def beside(page, control):
    """The message shown beside a control: the first element its aria-describedby names."""
    first = (control.get_attribute("aria-describedby") or "").split()
    assert first, "the control names no description"
    message = page.locator(f"#{first[0]}")
    expect(message).to_have_class(re.compile(r"\bfield-error\b"))
    # Beside it: in the same .field as the control.
    assert control.evaluate("(el, id) => el.closest('.field').contains(document.getElementById(id))", first[0])
    return message


def test_the_category_starts_empty_and_an_empty_one_is_refused_beside_the_field(site, new_page):
    title = "看板测试：问题类别"
    case = implementing(site, title)
    page = open_board(new_page)
    card = card_of(page, title)
    start_inspection(card)
    category = card.get_by_label("问题类别")
    # Nothing is chosen for the member: a safety problem is not filed as a money problem by default.
    expect(category).to_have_value("")
    card.get_by_label("视察情况").fill("巷口井盖松动")
    card.get_by_label("定事项").fill("井盖松动，有人踩空")
    card.get_by_label("定责任").select_option(label="解放街道办事处")
    card.get_by_label("定时限").fill("2030-03-01")
    card.get_by_label("定效果").fill("井盖固定牢靠")
    card.get_by_role("button", name="保存视察记录").click()

    alert = card.locator(".inspection-form").get_by_role("alert")
    expect(alert).to_contain_text("第 1 个问题的“问题类别”：请选择问题类别。")
    expect(category).to_have_attribute("aria-invalid", "true")
    expect(beside(page, category)).to_have_text("请选择问题类别。")
    expect(category).to_be_focused()
    assert state(site, case)["inspections"] == []

    category.select_option("SAFETY")
    card.get_by_role("button", name="保存视察记录").click()
    expect(card.locator(".inspection-form .msg-ok")).to_contain_text("视察记录已保存")
    [finding] = state(site, case)["findings"]
    assert (finding["category"], finding["description"]) == ("SAFETY", "井盖松动，有人踩空")
    assert page.errors == []


def test_the_assignee_may_be_a_representative_of_the_responsible_party(site, new_page):
    title = "看板测试：定人员"
    case = implementing(site, title)
    parties = site.gql("{ parties { name representatives { id displayName } } }", token=site.token(CPPCC))["parties"]
    reps = {p["name"]: p["representatives"] for p in parties}
    assert any(r["displayName"] == "菜园市场 张经理" for r in reps["菜园市场"])  # the demo's rep-market
    me = site.gql("{ viewer { displayName } }", token=site.token(CPPCC))["viewer"]
    page = open_board(new_page)
    card = card_of(page, title)
    start_inspection(card)
    assignee = card.get_by_label("定人员")

    def offered() -> list[str]:
        return assignee.locator("option").all_inner_texts()

    # Before a party is chosen: nobody, the member, the convener.
    assert offered()[:2] == ["不指定", f"我自己（{me['displayName']}）"]
    assert not any(text.startswith("参与方代表") for text in offered())
    # Each party chosen offers its own representatives, and only them.
    for name in ("解放街道办事处", "菜园市场"):
        card.get_by_label("定责任").select_option(label=name)
        expect(assignee.locator("option", has_text="参与方代表")).to_have_count(len(reps[name]))
        assert [t for t in offered() if t.startswith("参与方代表")] == [
            f"参与方代表（{r['displayName']}）" for r in reps[name]
        ]
    assignee.select_option(label="参与方代表（菜园市场 张经理）")
    card.get_by_label("视察情况").fill("市场门口占道经营")
    card.get_by_label("问题类别").select_option("OTHER")
    card.get_by_label("定事项").fill("摊位占用施工通道")
    card.get_by_label("定时限").fill("2030-04-01")
    card.get_by_label("定效果").fill("施工通道畅通")
    card.get_by_role("button", name="保存视察记录").click()
    expect(card.locator(".inspection-form .msg-ok")).to_contain_text("视察记录已保存")
    [finding] = state(site, case)["findings"]
    market_rep = next(r for r in reps["菜园市场"] if r["displayName"] == "菜园市场 张经理")
    assert finding["assignee"] == market_rep
    expect(card.locator("li.finding", has_text="摊位占用施工通道")).to_contain_text("菜园市场 张经理")
    assert page.errors == []


def test_the_gantt_chart_names_each_milestone_row(site, new_page):
    title = "看板测试：甘特图"
    implementing(site, title)
    page = open_board(new_page, PHONE)
    card = card_of(page, title)
    labels = card.locator("svg.timeline-chart text.timeline-label")
    # One label per row, in the chart's order (by planned end), each shown.
    expect(labels).to_have_text(["维修地下管网", "路面硬化"])
    for i in range(2):
        expect(labels.nth(i)).to_be_visible()
    # Each label sits above its own row's plan bar.
    rows = card.locator("svg.timeline-chart").evaluate(
        """svg => [...svg.querySelectorAll("text.timeline-label")].map((t) => t.getBBox().y)"""
    )
    assert rows == sorted(rows) and rows[0] < rows[1]
    assert page.errors == []


def test_verified_findings_stay_folded_on_the_card_and_a_problem_back_is_recorded_again(site, new_page):
    title = "看板测试：已核实"
    case = implementing(site, title)
    fixed, _open = inspect(
        site,
        case,
        finding_input(site, "脚手架无防护网", party="解放街道办事处", category="SAFETY", outcome="挂好防护网"),
        finding_input(site, "材料堆放占道", category="OTHER"),
    )
    resolve(site, fixed, "已挂防护网")
    site.ok("updateFinding", {"findingId": fixed, "status": "VERIFIED"}, "finding { status }", who=CPPCC)
    page = open_board(new_page)
    card = card_of(page, title)
    folded = card.locator("details.verified-findings")
    summary = folded.locator("summary")
    expect(summary).to_have_text("已核实闭环的问题（1 项）")
    item = folded.locator("li.finding", has_text="脚手架无防护网")
    # Folded: listed, but out of the way until opened.
    expect(item).to_be_hidden()
    summary.click()
    expect(item).to_be_visible()
    expect(item).to_contain_text("已挂防护网")
    expect(card.get_by_role("heading", name="待整改的问题（1 项）")).to_be_visible()

    # The problem is back later, so it is recorded again as a new finding.
    item.get_by_role("button", name="这个问题又出现了，再记一次").click()
    block = card.locator("fieldset.finding-block")
    expect(block).to_have_count(1)
    expect(block.get_by_label("问题类别")).to_have_value("SAFETY")
    expect(block.get_by_label("定事项")).to_have_value("脚手架无防护网")
    expect(block.get_by_label("定责任")).to_have_value(site.parties()["解放街道办事处"])
    expect(block.get_by_label("定效果")).to_have_value("挂好防护网")
    expect(block.get_by_label("定时限")).to_be_focused()
    block.get_by_label("定时限").fill("2030-05-01")
    card.get_by_label("视察情况").fill("防护网被大风刮落")
    card.get_by_role("button", name="保存视察记录").click()
    expect(card.locator(".inspection-form .msg-ok")).to_contain_text("视察记录已保存")
    expect(card.get_by_role("heading", name="待整改的问题（2 项）")).to_be_visible()
    statuses = sorted((f["description"], f["status"]) for f in state(site, case)["findings"])
    assert statuses == [("材料堆放占道", "OPEN"), ("脚手架无防护网", "OPEN"), ("脚手架无防护网", "VERIFIED")]
    expect(summary).to_have_text("已核实闭环的问题（1 项）")
    assert axe_violations(page) == []
    assert page.errors == []

    # An organizer sees the folded list too, without the button: recording is for CPPCC members.
    watcher = new_page(DESKTOP)
    sign_in(watcher, ORGANIZER, "/board")
    theirs = card_of(watcher, title).locator("details.verified-findings")
    theirs.locator("summary").click()
    expect(theirs.locator("li.finding", has_text="脚手架无防护网")).to_be_visible()
    expect(theirs.get_by_role("button")).to_have_count(0)
    assert watcher.errors == []


def test_every_error_of_a_form_is_shown_at_once_beside_its_field(site, new_page):
    title = "看板测试：全部错误"
    case = implementing(site, title)
    page = open_board(new_page, PHONE)
    card = card_of(page, title)
    start_inspection(card)
    card.get_by_role("button", name="添加一个发现的问题").click()
    first, second = card.locator("fieldset.finding-block").nth(0), card.locator("fieldset.finding-block").nth(1)
    first.get_by_label("定事项").fill("路灯不亮")
    second.get_by_label("问题类别").select_option("QUALITY")
    second.get_by_label("定责任").select_option(label="菜园市场")
    card.get_by_role("button", name="保存视察记录").click()

    # Eight things are missing: the notes, four of the first finding and three of the second.
    wrong = [
        (card.get_by_label("视察情况"), "请写下视察情况。"),
        (first.get_by_label("问题类别"), "请选择问题类别。"),
        (first.get_by_label("定责任"), "请选择哪一方负责整改。"),
        (first.get_by_label("定时限"), "请选择最晚哪天改好。"),
        (first.get_by_label("定效果"), "请写明改好后要达到什么效果。"),
        (second.get_by_label("定事项"), "请写明问题是什么。"),
        (second.get_by_label("定时限"), "请选择最晚哪天改好。"),
        (second.get_by_label("定效果"), "请写明改好后要达到什么效果。"),
    ]
    alert = card.locator(".inspection-form").get_by_role("alert")
    expect(alert).to_contain_text("有 8 处要修改")
    expect(alert.locator("li")).to_have_count(8)
    expect(alert).to_contain_text("第 2 个问题的“定事项”：请写明问题是什么。")
    expect(card.locator(".field-error")).to_have_count(8)
    for control, text in wrong:
        expect(control).to_have_attribute("aria-invalid", "true")
        expect(beside(page, control)).to_have_text(text)
    expect(card.get_by_label("视察情况")).to_be_focused()
    for right in (first.get_by_label("定事项"), second.get_by_label("问题类别"), second.get_by_label("定责任")):
        expect(right).not_to_have_attribute("aria-invalid", "true")
    assert no_stray_words(page) == []
    assert axe_violations(page) == []

    # Put right what the message says, and only what is still wrong is shown.
    card.get_by_label("视察情况").fill("夜间巡查")
    first.get_by_label("问题类别").select_option("SAFETY")
    card.get_by_role("button", name="保存视察记录").click()
    expect(alert).to_contain_text("有 6 处要修改")
    expect(card.locator(".field-error")).to_have_count(6)
    expect(card.get_by_label("视察情况")).not_to_have_attribute("aria-invalid", "true")
    assert card.get_by_label("视察情况").get_attribute("aria-describedby") == card.get_by_label("视察情况").evaluate(
        "el => el.id + '-hint'"
    )
    assert state(site, case)["inspections"] == []

    # The verify form says what is missing beside its field too.
    fid = inspect(site, case, finding_input(site, "巷口积水"))[0]
    resolve(site, fid, "已疏通")
    waiting = card.locator("ul.findings.resolved li.finding", has_text="巷口积水")
    waiting.get_by_role("button", name="退回重新整改").click()
    reason = waiting.get_by_label("退回原因")
    expect(beside(page, reason)).to_have_text("请写明退回的原因，告诉责任方还要怎样整改。")
    expect(reason).to_be_focused()
    assert page.errors == []


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_board_passes_axe(site, new_page, size):
    title = f"看板测试：无障碍 {size['width']}"
    case = implementing(site, title)
    first, _ = inspect(
        site,
        case,
        finding_input(site, "夜间施工噪声", due=timedelta(days=-1)),
        finding_input(site, "路面有裂缝", category="QUALITY"),
    )
    resolve(site, first, "已停止夜间施工")
    page = open_board(new_page, size)
    card = card_of(page, title)
    start_inspection(card)
    expect(card.get_by_label("定事项")).to_be_visible()
    assert no_stray_words(page) == []
    assert axe_violations(page) == []
    assert page.errors == []


def test_an_organizer_watches_the_board_but_leaves_supervision_to_members(site, new_page):
    title = "看板测试：组织方查看"
    case = implementing(site, title)
    resolve(site, inspect(site, case, finding_input(site, "巷口堆放建筑垃圾", category="SAFETY"))[0], "已清运")
    page = new_page(DESKTOP)
    sign_in(page, ORGANIZER, "/board")
    card = card_of(page, title)
    expect(card.locator("ul.findings.resolved li.finding", has_text="巷口堆放建筑垃圾")).to_contain_text("已清运")
    expect(page.get_by_text("记录视察、核实整改结果由政协委员操作")).to_be_visible()
    expect(card.get_by_text("记录一次视察")).to_have_count(0)
    expect(card.get_by_role("button", name="核实闭环")).to_have_count(0)
    assert page.errors == []


def test_someone_not_signed_in_is_asked_to_sign_in(site, new_page):
    page = new_page()
    page.goto("/board")
    link = page.get_by_role("link", name="登录", exact=True)
    expect(link).to_have_attribute("href", "/login?next=/board")
    assert page.errors == []


def test_a_new_slip_is_asked_for_in_the_console_and_approved_on_the_board(site, new_page):
    # given a consultation in VOTING whose first household signed in with its slip
    case = site.consultation("幸福里补发邀请条", stage="VOTING", households=2)
    site.gql("mutation($c: String!) { redeemInvitation(input: {code: $c}) { token } }", {"c": case["codes"][0]})
    # when the organizer asks for a new slip for it in the console, giving a reason
    page = new_page(DESKTOP)
    sign_in(page, ORGANIZER, f"/console/{case['id']}")
    expect(page.locator("#roll-page-status")).to_have_text("第 1–2 条，共 2 条")
    page.once("dialog", lambda dialog: dialog.accept("手机丢失"))
    page.get_by_role("button", name="为菜园巷 1 号申请补发邀请条").click()
    expect(page.locator("#roll-current")).to_contain_text("等待政协委员批准")
    expect(page.locator("#reissue-requests")).to_contain_text("手机丢失")
    # then a CPPCC member sees it on the board and approves it, and gets the new code once
    board = new_page(DESKTOP)
    sign_in(board, CPPCC, "/board")
    panel = board.locator("#reissue-panel")
    item = panel.locator("li", has_text="幸福里补发邀请条")
    expect(item).to_contain_text("手机丢失")
    item.get_by_role("button", name="批准补发").click()
    expect(panel.locator(".msg-ok")).to_contain_text("新邀请码")
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", panel.locator(".msg-ok").inner_text())
    assert code is not None
    redeemed = site.gql(
        "mutation($c: String!) { redeemInvitation(input: {code: $c}) { token viewer { displayName } } }",
        {"c": code.group(0)},
    )
    assert redeemed["redeemInvitation"]["viewer"]["displayName"] == "菜园巷 1 号"
    assert axe_violations(board) == []
    assert page.errors == [] and board.errors == []


def test_a_verified_finding_whose_fix_did_not_hold_is_reopened_with_its_reason(site, new_page):
    title = "看板测试：重新打开"
    case = implementing(site, title)
    fixed, _open = inspect(
        site,
        case,
        finding_input(site, "井盖松动", party="解放街道办事处", category="SAFETY", outcome="井盖固定"),
        finding_input(site, "路灯不亮", category="OTHER"),
    )
    resolve(site, fixed, "已固定井盖")
    site.ok("updateFinding", {"findingId": fixed, "status": "VERIFIED"}, "finding { status }", who=CPPCC)
    page = open_board(new_page)
    card = card_of(page, title)
    folded = card.locator("details.verified-findings")
    folded.locator("summary").click()
    item = folded.locator("li.finding", has_text="井盖松动")
    # a reason is required, and its absence is said beside the field
    item.get_by_role("button", name="重新打开").click()
    reason = item.get_by_label("重新打开的原因")
    expect(reason).to_have_attribute("aria-invalid", "true")
    assert site_status(site, case, "井盖松动") == "VERIFIED"
    # with the reason, the finding goes back to the responsible party
    reason.fill("下雨后井盖又松了")
    item.get_by_role("button", name="重新打开").click()
    expect(card.locator(".msg-ok").first).to_contain_text("已重新打开")
    expect(card.get_by_role("heading", name="待整改的问题（2 项）")).to_be_visible()
    assert site_status(site, case, "井盖松动") == "REOPENED"
    assert axe_violations(page) == []
    assert page.errors == []


def site_status(site, case, description: str) -> str:
    return next(f["status"] for f in state(site, case)["findings"] if f["description"] == description)
