"""The organizer console (组织方工作台), in a real browser, as an organizer uses it.

Tests ask for `site` before `new_page`: on PostgreSQL the site's database is created with
asyncio.run, which must happen before Playwright's sync API starts its own event loop.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import pytest
from pdfminer.high_level import extract_pages
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, ORGANIZER, PHONE, axe_violations, no_stray_words, screenshot, sign_in

PAYERS = ["菜园市场", "解放街道办事处", "菜园巷辖区单位"]


def proposal(site, case: dict, title: str, budget: str = "240000") -> str:
    return site.ok(
        "createProposal",
        {
            "consultationId": case["id"],
            "title": title,
            "body": "更换地下管网，路面硬化。",
            "budget": budget,
        },
        "proposal { id }",
    )["proposal"]["id"]


def console(new_page, case: dict, size: dict = DESKTOP):
    """An organizer's page on the console of `case`, loaded, with every confirm() accepted."""
    page = new_page(size)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, ORGANIZER, f"/console/{case['id']}")
    expect(page.locator("#stage-form .stage-now")).to_contain_text("现在是")
    return page


def as_organizer(site, query: str, variables: dict) -> dict:
    return site.gql(query, variables, site.token(ORGANIZER))


def row_amount(editor, party: str):
    return editor.locator(".cp-row", has_text=party).locator("output")


def test_an_organizer_builds_a_cost_plan_and_sees_the_split_preview(site, new_page):
    case = site.consultation("幸福里路面修补（分摊）", stage="DELIBERATING")
    pid = proposal(site, case, "幸福里路面修补方案")
    page = console(new_page, case)
    card = page.locator("#proposal-list > li", has_text="幸福里路面修补方案")
    editor = card.locator("form.cost-plan")
    expect(editor).to_be_visible()
    status = editor.locator(".cp-status")

    # The default is an equal split of the budget, previewed at once.
    expect(row_amount(editor, "菜园市场")).to_have_text("应出 80,000 元")

    # Fixed amounts that do not add up: the server's message says so, and no amounts are shown.
    editor.get_by_label("分摊方式").select_option("FIXED")
    editor.get_by_label("菜园市场 出资金额（元）").fill("100000")
    editor.get_by_label("解放街道办事处 出资金额（元）").fill("100000")
    editor.get_by_label("菜园巷辖区单位 出资金额（元）").fill("30000")
    expect(status.get_by_role("alert")).to_contain_text("不一致")
    expect(status).to_contain_text("230000.00")
    expect(row_amount(editor, "菜园市场")).to_have_text("—")

    # Fixed, they now add up.
    editor.get_by_label("菜园巷辖区单位 出资金额（元）").fill("40000")
    expect(status.get_by_role("status")).to_contain_text("合计 240,000 元")
    expect(row_amount(editor, "菜园市场")).to_have_text("应出 100,000 元")
    expect(row_amount(editor, "菜园巷辖区单位")).to_have_text("应出 40,000 元")

    # Percentages of 240,000.
    editor.get_by_label("分摊方式").select_option("PERCENT")
    expect(editor.get_by_label("菜园市场 比例（%）")).to_have_value("")
    editor.get_by_label("菜园市场 比例（%）").fill("50")
    editor.get_by_label("解放街道办事处 比例（%）").fill("30")
    editor.get_by_label("菜园巷辖区单位 比例（%）").fill("20")
    expect(row_amount(editor, "菜园市场")).to_have_text("应出 120,000 元")
    expect(row_amount(editor, "解放街道办事处")).to_have_text("应出 72,000 元")
    expect(row_amount(editor, "菜园巷辖区单位")).to_have_text("应出 48,000 元")
    chart = editor.locator("figure.split")
    expect(chart).to_contain_text("120,000 元")
    expect(chart.locator("svg")).to_have_attribute("aria-label", re.compile("菜园市场 120,000 元"))
    card.scroll_into_view_if_needed()
    screenshot(card, "cost-plan-editor.png")

    # What was typed per method is kept: back to FIXED shows the fixed amounts again.
    editor.get_by_label("分摊方式").select_option("FIXED")
    expect(editor.get_by_label("菜园市场 出资金额（元）")).to_have_value("100000")

    # Equal shares of 100.00 among three: the odd fen goes to the first party.
    editor.get_by_label("分摊方式").select_option("EQUAL")
    editor.get_by_label("分摊总额（元）").fill("100.00")
    expect(row_amount(editor, "菜园市场")).to_have_text("应出 33.34 元")
    expect(row_amount(editor, "解放街道办事处")).to_have_text("应出 33.33 元")
    expect(row_amount(editor, "菜园巷辖区单位")).to_have_text("应出 33.33 元")

    editor.get_by_role("button", name="保存分摊方案").click()
    expect(editor.locator(".form-msg")).to_contain_text("已保存分摊方案")
    shares = card.locator("ul.shares > li")
    expect(shares).to_have_count(3)
    expect(shares.nth(0)).to_contain_text("菜园市场：33.34 元")
    expect(shares.nth(0)).to_contain_text("未确认")
    plan = as_organizer(
        site,
        "query($id: ID!) { node(id: $id) { ... on Proposal { costPlan { total method "
        "shares { party { name } amount confirmedAt } } } } }",
        {"id": pid},
    )["node"]["costPlan"]
    assert plan["total"] == "100.00" and plan["method"] == "EQUAL"
    assert [(s["party"]["name"], s["amount"], s["confirmedAt"]) for s in plan["shares"]] == [
        ("菜园市场", "33.34", None),
        ("解放街道办事处", "33.33", None),
        ("菜园巷辖区单位", "33.33", None),
    ]

    # The organizer confirms one share on the party's behalf (签协议).
    shares.nth(0).get_by_role("button", name="代为确认（签协议）").click()
    expect(shares.nth(0)).to_contain_text("已确认")
    assert page.errors == []


def test_a_late_preview_answer_never_overwrites_a_newer_one(site, new_page):
    case = site.consultation("幸福里围墙粉刷", stage="DELIBERATING")
    proposal(site, case, "围墙粉刷方案", "3000")
    page = console(new_page, case)
    editor = page.locator("#proposal-list form.cost-plan")
    expect(row_amount(editor, "菜园市场")).to_have_text("应出 1,000 元")
    held = []

    def hold_the_first(route):
        body = route.request.post_data_json or {}
        if "previewCostSplit" in body.get("query", "") and body.get("variables", {}).get("total") == "1000":
            held.append(route)
        else:
            route.continue_()

    page.route("**/graphql", hold_the_first)
    editor.get_by_label("分摊总额（元）").fill("1000")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the preview for 1000 was never asked"
    editor.get_by_label("分摊总额（元）").fill("6000")
    expect(row_amount(editor, "菜园市场")).to_have_text("应出 2,000 元")
    held[0].continue_()  # the answer for 1000 arrives last
    page.wait_for_timeout(500)
    expect(row_amount(editor, "菜园市场")).to_have_text("应出 2,000 元")
    expect(editor.locator(".cp-status")).to_contain_text("合计 6,000 元")


def test_a_blocked_stage_move_shows_the_servers_reason_until_the_consultation_is_ready(site, new_page):
    case = site.consultation("幸福里路灯（尚无表决）", stage="DELIBERATING")
    page = console(new_page, case)
    badge = page.locator(".case-head .stage-badge")
    expect(badge).to_have_text("协商方案")
    # What the server says about each move, asked directly.
    moves = as_organizer(
        site,
        "query($id: ID!) { consultation(id: $id) { nextStages { stage allowed reason { message } } } }",
        {"id": case["id"]},
    )["consultation"]["nextStages"]
    reasons = {m["stage"]: m["reason"]["message"] for m in moves if not m["allowed"]}
    assert set(reasons) == {"VOTING", "AGREED"}

    # The blocked moves are shown, unusable, each with the server's reason.
    voting = page.get_by_role("button", name="进入下一阶段：居民表决")
    expect(voting).to_have_attribute("aria-disabled", "true")
    expect(voting).to_have_accessible_description(reasons["VOTING"])
    skip = page.get_by_role("button", name="跳过“居民表决”，直接进入：签协议")
    expect(skip).to_have_attribute("aria-disabled", "true")
    expect(page.locator("#stage-form")).to_contain_text(reasons["AGREED"])

    # Cancelling needs a reason: the server says so and marks the note.
    page.get_by_role("button", name="取消这个协商").click()
    alert = page.locator("#stage-form").get_by_role("alert")
    expect(alert).to_contain_text("原因")
    expect(page.locator("#stage-form textarea[name=note]")).to_have_attribute("aria-invalid", "true")
    expect(badge).to_have_text("协商方案")
    stage = as_organizer(site, "query($id: ID!) { consultation(id: $id) { stage } }", {"id": case["id"]})
    assert stage["consultation"]["stage"] == "DELIBERATING"

    # A poll set up elsewhere frees the move, live; the button then moves the consultation on.
    site.ok(
        "createPoll",
        {"consultationId": case["id"], "question": "是否同意安装路灯？", "kind": "YES_NO_ABSTAIN"},
        "poll { id }",
    )
    expect(voting).not_to_have_attribute("aria-disabled", "true")
    voting.click()
    expect(badge).to_have_text("居民表决")
    assert page.errors == []


def test_a_draft_moves_on_from_the_console(site, new_page):
    case = site.consultation("幸福里垃圾分类点")
    page = console(new_page, case)
    badge = page.locator(".case-head .stage-badge")
    expect(badge).to_have_text("草稿")
    page.get_by_label("说明（选填；取消协商时必须写明原因）").fill("开始征集居民意见")
    page.get_by_role("button", name="进入下一阶段：提诉求").click()
    expect(badge).to_have_text("提诉求")
    expect(page.locator("#stage-form .form-msg")).to_contain_text("已进入“提诉求”阶段")
    history = as_organizer(
        site, "query($id: ID!) { consultation(id: $id) { stage stageHistory { to note } } }", {"id": case["id"]}
    )
    assert history["consultation"]["stage"] == "COLLECTING"
    assert history["consultation"]["stageHistory"][-1] == {"to": "COLLECTING", "note": "开始征集居民意见"}


def test_a_pasted_roll_becomes_invitation_slips_whose_codes_work(site, new_page):
    case = site.consultation("幸福里名册与邀请", stage="COLLECTING")
    page = console(new_page, case)
    expect(page.locator("#roll-count")).to_contain_text("0 户")

    page.get_by_label("粘贴名册（每行一户：户名或门牌，面积）").fill(
        "户/门牌,面积（m²）\n幸福里 1 号,86.5\n幸福里 2 号，72\n幸福里 3 号\t90.25\n\n幸福里 4 号\n"
    )
    preview = page.locator(".roll-preview")
    expect(preview).to_contain_text("读到 4 户")
    expect(preview).to_contain_text("第一行是标题")
    expect(preview.locator("tbody tr")).to_have_count(4)
    page.get_by_role("button", name="保存名册").click()
    expect(page.locator("#roll-form .form-msg")).to_contain_text("已保存名册，共 4 户")
    expect(page.locator("#roll-count")).to_contain_text("4 户")
    roll = as_organizer(
        site, "query($id: ID!) { consultation(id: $id) { voterRoll { label weight } } }", {"id": case["id"]}
    )
    assert [(e["label"], e["weight"]) for e in roll["consultation"]["voterRoll"]] == [
        ("幸福里 1 号", "86.5"),
        ("幸福里 2 号", "72"),
        ("幸福里 3 号", "90.25"),
        ("幸福里 4 号", "1"),
    ]

    page.get_by_role("button", name="生成邀请码并排版邀请条").click()
    sheet = page.locator("main > .print-area")
    slips = sheet.locator(".slips .slip")
    expect(slips).to_have_count(4)
    expect(sheet).to_be_visible()
    expect(sheet.get_by_role("button", name="打印")).to_be_visible()
    # Served on 127.0.0.1 with no CONSULT_PUBLIC_URL: the organizer is told phones cannot open these links.
    expect(sheet.get_by_role("alert").filter(has_text="CONSULT_PUBLIC_URL")).to_have_count(1)
    # and, with no help phone set yet, the organizer is told the slips lack one
    expect(sheet.get_by_role("alert").filter(has_text="还没有求助电话")).to_have_count(1)
    codes = []
    for i, label in enumerate(["幸福里 1 号", "幸福里 2 号", "幸福里 3 号", "幸福里 4 号"]):
        slip = slips.nth(i)
        expect(slip).to_contain_text(label)
        expect(slip).to_contain_text("幸福里名册与邀请")
        expect(slip).to_contain_text("用手机扫描二维码，或打开下面的网址，输入邀请码")
        expect(slip.locator(".qr svg")).to_have_count(1)
        code = slip.locator(".code").inner_text().replace("邀请码", "").strip()
        assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
        expect(slip.locator(".slip-link")).to_contain_text(f"/i/{code}")
        codes.append(code)
    assert len(set(codes)) == 4

    redeemed = site.gql(
        "mutation($c: String!) { redeemInvitation(input: {code: $c}) "
        "{ token viewer { displayName } consultation { id } errors { code message } } }",
        {"c": codes[1]},
    )
    payload = redeemed["redeemInvitation"]
    assert payload["errors"] == [] and payload["token"]
    assert payload["viewer"]["displayName"] == "幸福里 2 号"
    assert payload["consultation"]["id"] == case["id"]
    assert no_stray_words(page) == []
    assert axe_violations(page) == []
    assert page.errors == []


@pytest.mark.parametrize("households, pages", [(6, 1), (7, 2)])
def test_the_slips_print_six_to_an_a4_page_and_nothing_else_prints(site, new_page, households, pages):
    case = site.consultation(f"幸福里打印邀请条 {households}", stage="COLLECTING")
    site.ok(
        "setVoterRoll",
        {"consultationId": case["id"], "voters": [{"label": f"幸福里 {i + 1} 号"} for i in range(households)]},
        "entries { id }",
    )
    page = console(new_page, case)
    page.get_by_role("button", name="生成邀请码并排版邀请条").click()
    expect(page.locator("main > .print-area .slip")).to_have_count(households)
    pdf = page.pdf(format="A4", print_background=True)
    # Each page object of the PDF: the whole long console would take many more.
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == pages
    if os.environ.get("CONSULT_KEEP_PDF"):
        Path(os.environ["CONSULT_KEEP_PDF"]).write_bytes(pdf)


def test_a_roll_file_in_gbk_without_a_header_is_read(site, new_page):
    case = site.consultation("幸福里名册文件", stage="COLLECTING")
    page = console(new_page, case, PHONE)
    data = "幸福里 5 号\t66\n幸福里 6 号\t70.5\n幸福里 7 号\t坏数\n".encode("gb18030")
    page.locator("#roll-form").get_by_label("或者选择 CSV 文件").set_input_files(
        {"name": "名册.csv", "mimeType": "text/csv", "buffer": data}
    )
    preview = page.locator(".roll-preview")
    expect(preview).to_contain_text("读到 2 户")
    expect(preview.get_by_role("alert")).to_contain_text("第 3 行的面积“坏数”不是数字")
    page.get_by_role("button", name="保存名册").click()
    expect(page.locator("#roll-form .form-msg")).to_contain_text("请先改正")
    roll = as_organizer(site, "query($id: ID!) { consultation(id: $id) { voterRoll { label } } }", {"id": case["id"]})
    assert roll["consultation"]["voterRoll"] == []


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("label,area\nA 1,80\nA 2,90", [["A 1", "80"], ["A 2", "90"]]),
        ("面积,门牌\n80,A 1", [["A 1", "80"]]),
        ("A 1，80\nA 2，", [["A 1", "80"], ["A 2", None]]),
        ('"A, 1",80\nB 2\t１２.５', [["A, 1", "80"], ["B 2", "12.5"]]),
        ("\ufeff户\nA 1\nA 2", [["A 1", None], ["A 2", None]]),
    ],
)
def test_roll_parsing_accepts_headers_and_separators(site, new_page, text, rows):
    page = new_page(DESKTOP)
    page.goto("/console")
    parsed = page.evaluate("async (text) => (await import('/assets/console-roll.js')).parseRoll(text)", text)
    assert [[r["label"], r["weight"]] for r in parsed["rows"]] == rows
    assert parsed["problems"] == []


def test_an_organizer_creates_opens_and_closes_a_poll_and_enters_a_paper_ballot(site, new_page):
    case = site.consultation("幸福里停车位表决", stage="DELIBERATING")
    proposal(site, case, "幸福里停车位改造方案", "36000")
    site.ok(
        "setVoterRoll",
        {"consultationId": case["id"], "voters": [{"label": f"幸福里 {i} 号", "weight": "70"} for i in range(1, 4)]},
        "entries { id }",
    )
    page = console(new_page, case)

    page.get_by_text("＋ 设立表决").click()
    form = page.locator("#poll-form")
    form.get_by_label("表决的问题").fill("是否同意《幸福里停车位改造方案》？")
    expect(form.get_by_label("表决方式")).to_have_value("YES_NO_ABSTAIN")
    form.get_by_label("表决的方案").select_option(label="幸福里停车位改造方案")
    form.get_by_role("button", name="设立表决").click()
    expect(form.locator(".form-msg")).to_contain_text("已设立表决")
    poll = page.locator("#poll-list > li", has_text="是否同意《幸福里停车位改造方案》？")
    expect(poll.locator(".badge").first).to_have_text("未开始")

    # Polls open only in VOTING: the server's viewerCan offers no button before, then the organizer moves the stage on.
    expect(poll.get_by_role("button", name="开始投票")).to_have_count(0)
    page.get_by_role("button", name="进入下一阶段：居民表决").click()
    expect(page.locator(".case-head .stage-badge")).to_have_text("居民表决")
    poll.get_by_role("button", name="开始投票").click()
    expect(poll.locator(".badge").first).to_have_text("正在投票")

    ballot = poll.locator("form.offline-ballot")
    ballot.get_by_label("按户名查找").fill("2 号")
    ballot.get_by_label("哪一户").select_option(label="幸福里 2 号")
    ballot.get_by_label("赞成").check()
    expect(ballot.get_by_label("方式")).to_have_value("PAPER")
    ballot.get_by_label("备注（选填）").fill("社区办公室现场投票")
    ballot.get_by_role("button", name="录入选票").click()
    expect(ballot.locator(".form-msg")).to_contain_text("已录入 幸福里 2 号 的选票。回执号")
    # a secret poll's open count waits for a full batch, even for the organizer, and says so
    expect(poll).to_contain_text("已投 0 票")
    expect(poll.locator(".tally-batch")).to_contain_text("每满 5 票更新一次")

    # The same household cannot vote twice: the server's refusal is shown.
    ballot.get_by_label("哪一户").select_option(label="幸福里 2 号")
    ballot.get_by_label("反对").check()
    ballot.get_by_role("button", name="录入选票").click()
    expect(ballot.get_by_role("alert")).to_be_visible()

    poll.get_by_role("button", name="结束投票").click()
    expect(poll.locator(".badge").first).to_have_text("已结束")
    expect(poll).to_contain_text("结果：通过")
    polls = as_organizer(
        site,
        "query($id: ID!) { consultation(id: $id) { polls { status tally { ballotsCast outcome } } } }",
        {"id": case["id"]},
    )["consultation"]["polls"]
    assert polls == [{"status": "CLOSED", "tally": {"ballotsCast": 1, "outcome": "PASSED"}}]
    assert page.errors == []


def test_live_updates_keep_what_the_organizer_is_typing(site, new_page):
    case = site.consultation("幸福里下水道", stage="COLLECTING")
    page = console(new_page, case)
    page.get_by_text("＋ 代为登记诉求").click()
    title = page.locator("#demand-form").get_by_label("标题")
    title.fill("热线：楼道灯坏了")
    title.focus()
    site.ok(
        "submitDemand",
        {
            "consultationId": case["id"],
            "title": "网格员反映：下水道堵塞",
            "body": "雨后积水。",
            "channel": "GRID_WORKER",
        },
        "demand { id }",
    )
    expect(page.locator("#demand-list")).to_contain_text("网格员反映：下水道堵塞")
    expect(title).to_have_value("热线：楼道灯坏了")
    expect(title).to_be_focused()

    page.locator("#demand-form").get_by_label("具体内容").fill("三楼楼道灯不亮。")
    page.locator("#demand-form").get_by_role("button", name="登记诉求").click()
    expect(page.locator("#demand-list > li")).to_have_count(2)
    demands = as_organizer(
        site,
        "query($id: ID!) { consultation(id: $id) { demands { edges { node { title channel } } } } }",
        {"id": case["id"]},
    )["consultation"]["demands"]["edges"]
    assert {"title": "热线：楼道灯坏了", "channel": "HOTLINE"} in [e["node"] for e in demands]


def test_the_console_asks_visitors_to_sign_in(site, new_page):
    page = new_page()
    page.goto("/console")
    link = page.get_by_role("link", name="去登录")
    expect(link).to_have_attribute("href", "/login?next=%2Fconsole")
    assert no_stray_words(page) == []
    assert axe_violations(page) == []


def test_an_organizer_creates_a_consultation_from_the_list(site, new_page):
    page = new_page(DESKTOP)
    sign_in(page, ORGANIZER, "/console")
    expect(page.locator("#consultation-list")).to_contain_text("菜园巷道路改造")
    form = page.locator("#create-form")
    form.get_by_label("标题").fill("幸福里路灯维修")
    form.get_by_label("简要说明").fill("巷内路灯损坏，夜间出行不便。")
    form.get_by_label("地点").fill("临河区解放街道幸福里")
    form.get_by_label("菜园市场（商户、市场）").check()
    form.get_by_label("解放街道办事处（街道办事处）").check()
    form.get_by_role("button", name="建立协商").click()
    page.wait_for_url(re.compile(r"/console/[^/]+$"))
    expect(page.locator(".case-head h1")).to_have_text("幸福里路灯维修")
    expect(page.locator(".case-head .stage-badge")).to_have_text("草稿")
    expect(page.locator("#case-parties ul.chips > li")).to_have_count(2)


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_console_passes_axe(site, new_page, size):
    page = new_page(size)
    sign_in(page, ORGANIZER, "/console")
    expect(page.locator("#consultation-list > li").first).not_to_contain_text("正在读取")
    expect(page.locator("#party-list > li").first).to_be_visible()
    assert no_stray_words(page) == []
    assert axe_violations(page) == []

    case = site.consultation(f"幸福里无障碍检查 {size['width']}", stage="VOTING", households=3)
    page.goto(f"/console/{case['id']}")
    expect(page.locator("#poll-list form.offline-ballot")).to_be_visible()
    expect(page.locator("#proposal-list ul.shares > li")).to_have_count(3)
    expect(page.locator("#roll-count")).to_contain_text("3 户")
    page.locator("details").evaluate_all("(all) => all.forEach((d) => { d.open = true; })")
    assert no_stray_words(page) == []
    assert axe_violations(page) == []
    assert page.errors == []


def implementing(site, title: str) -> dict:
    """A consultation walked through the API to IMPLEMENTING: poll closed, proposal adopted, shares confirmed."""
    case = site.consultation(title, stage="VOTING", households=2)
    site.ok("closePoll", {"pollId": case["poll"]}, "poll { status }")
    site.ok("adoptProposal", {"proposalId": case["proposal"]}, "proposal { status }")
    plan = as_organizer(
        site,
        "query($id: ID!) { consultation(id: $id) { adoptedProposal { costPlan { shares { id } } } } }",
        {"id": case["id"]},
    )["consultation"]["adoptedProposal"]["costPlan"]
    for share in plan["shares"]:
        site.ok("confirmShare", {"shareId": share["id"]}, "share { id }")
    for stage in ("AGREED", "IMPLEMENTING"):
        site.ok("advanceStage", {"consultationId": case["id"], "to": stage}, "consultation { stage }")
    return case


def test_milestones_follow_ups_and_the_archive_from_the_console(site, new_page):
    case = implementing(site, "幸福里排水沟疏通")
    page = console(new_page, case)

    page.get_by_text("＋ 添加施工节点").click()
    form = page.locator("#milestone-form")
    form.get_by_label("节点名称").fill("疏通排水沟")
    form.get_by_label("类别").select_option("CONSTRUCTION")
    form.get_by_label("负责的一方（选填）").select_option(label="解放街道办事处")
    form.get_by_label("计划完成日期").fill((date.today() + timedelta(days=10)).isoformat())
    form.get_by_role("button", name="添加节点").click()
    expect(form.locator(".form-msg")).to_contain_text("已添加")
    expect(page.locator("#milestones ol.milestones")).to_contain_text("疏通排水沟（解放街道办事处）")

    item = page.locator("#milestone-list > li", has_text="疏通排水沟")
    item.get_by_text("报告进度：疏通排水沟").click()
    item.get_by_label("完成进度（0 到 100）").fill("100")
    item.get_by_label("情况说明（选填）").fill("排水沟已全部疏通")
    item.get_by_role("button", name="报告进度").click()
    expect(item.locator("summary")).to_contain_text("已完成，100%")
    expect(item).to_contain_text("排水沟已全部疏通")

    page.get_by_role("button", name="进入下一阶段：评价回访").click()
    expect(page.locator(".case-head .stage-badge")).to_have_text("评价回访")

    page.get_by_text("＋ 记录一次回访").click()
    visit = page.locator("#follow-up-form")
    visit.get_by_label("回访情况").fill("走访 2 户，雨后不再积水。")
    visit.get_by_role("button", name="记录回访").click()
    expect(page.locator("#follow-up-list")).to_contain_text("走访 2 户，雨后不再积水。")

    archive = page.locator("#archive-form")
    archive.get_by_label("存入档案说明（选填）").fill("工程完工，居民满意")
    archive.get_by_role("button", name="存入档案").click()
    link = page.get_by_role("link", name="打开可打印的档案")
    expect(link).to_be_visible()
    expect(page.locator(".case-head .stage-badge")).to_have_text("存入档案")
    expect(page.locator("#stage-form")).to_be_hidden()
    href = link.get_attribute("href")
    assert href and href.startswith("/dossiers/")
    dossier = page.request.get(href)
    assert dossier.ok and "幸福里排水沟疏通" in dossier.text()
    assert page.errors == []


def test_parties_and_accounts_are_created_on_the_console(site, new_page):
    page = new_page(DESKTOP)
    sign_in(page, ORGANIZER, "/console")
    form = page.locator("#party-form")
    form.get_by_label("名称").fill("幸福里物业公司")
    form.get_by_label("类别").select_option("ENTERPRISE")
    form.get_by_label("联系方式（选填）").fill("0478-1234567")
    form.get_by_role("button", name="添加参与方").click()
    expect(form.locator(".form-msg")).to_contain_text("已添加：幸福里物业公司")
    expect(page.locator("#party-list")).to_contain_text("幸福里物业公司")
    expect(page.locator("#create-form").get_by_label("幸福里物业公司（企业）")).to_be_visible()

    # No name: the server's refusal, in its words, on the field it names.
    form.get_by_role("button", name="添加参与方").click()
    expect(form.get_by_role("alert")).to_contain_text("必填")
    expect(form.get_by_label("名称")).to_have_attribute("aria-invalid", "true")

    account = page.locator("#account-form")
    account.get_by_label("用户名").fill("rep-xingfuli")
    account.get_by_label("初始密码").fill("xingfuli-2025-secret")
    account.get_by_label("显示名称").fill("幸福里物业 陈经理")
    account.get_by_label("参与方代表").check()
    account.get_by_label("代表哪一方").select_option(label="幸福里物业公司")
    account.get_by_role("button", name="建立账号").click()
    expect(account.locator(".form-msg")).to_contain_text("已建立账号：幸福里物业 陈经理（参与方代表）")
    login = site.gql(
        'mutation { login(input: {username: "rep-xingfuli", password: "xingfuli-2025-secret"}) '
        "{ viewer { roles party { name } } errors { code } } }"
    )["login"]
    assert login["errors"] == [] and login["viewer"] == {"roles": ["PARTY_REP"], "party": {"name": "幸福里物业公司"}}

    # Organizers may not create organizers: the role is not even offered.
    expect(account.get_by_label("组织方")).to_have_count(0)


def test_a_slip_says_what_is_asked_until_when_and_whom_to_call_in_type_older_eyes_can_read(site, new_page):
    # given a consultation with a poll that closes on a set day, and the community's help phone
    case = site.consultation("幸福里加装电梯", stage="DELIBERATING")
    site.ok(
        "setVoterRoll",
        {"consultationId": case["id"], "voters": [{"label": f"幸福里 {i + 1} 号", "weight": "80"} for i in range(6)]},
        "entries { id }",
    )
    site.ok(
        "createPoll",
        {
            "consultationId": case["id"],
            "question": "是否同意在 3 号楼加装电梯？",
            "kind": "YES_NO_ABSTAIN",
            "closesAt": "2030-05-20T18:00:00+08:00",
        },
        "poll { id }",
    )
    page = console(new_page, case)
    page.get_by_label("邀请条上的求助电话").fill("0478-8123456")
    page.get_by_role("button", name="保存电话").click()
    expect(page.locator(".help-phone .form-msg")).to_contain_text("0478-8123456")
    page.get_by_role("button", name="生成邀请码并排版邀请条").click()
    expect(page.locator("main > .print-area .slip")).to_have_count(6)
    # when the sheet is printed
    pdf = page.pdf(format="A4", print_background=True)
    pages = list(extract_pages(io.BytesIO(pdf)))
    # then all six slips are on one A4 page
    assert len(pages) == 1
    chars = [c for c in _chars(pages[0])]
    # (a PDF may draw some hanzi with their Kangxi-radical code points: NFKC reads them back)
    text = unicodedata.normalize("NFKC", "".join(c.get_text() for c in chars))
    for wanted in ("是否同意在 3 号楼加装电梯?", "2030年5月20日 18:00 截止", "不会用或有疑问,请打电话:0478-8123456"):
        assert text.count(wanted) == 6, (wanted, text[:400])
    # and the words are at least 12 pt, the codes at least 16 pt
    sizes = {
        unicodedata.normalize("NFKC", c.get_text()): round(c.size, 1)
        for c in chars
        if unicodedata.normalize("NFKC", c.get_text()) in "扫描请打电话邀请码截止"
    }
    assert sizes and min(sizes.values()) >= 12, sizes
    codes = re.findall(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", text)
    assert len(set(codes)) == 6
    code_sizes = [c.size for c in chars if c.get_text() == "-" and c.size > 14]
    assert len(code_sizes) >= 12 and min(code_sizes) >= 16, code_sizes


def _chars(layout):
    """Every character the PDF page draws, with its font size, in reading order."""
    from pdfminer.layout import LTChar

    if isinstance(layout, LTChar):
        yield layout
    elif hasattr(layout, "__iter__"):
        for item in layout:
            yield from _chars(item)
