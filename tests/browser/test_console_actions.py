"""Issue 14, item 4: an organizer's console that saves work.

A new case, 五川村's drainage ditch (排水沟), six parties splitting 8,400 yuan, is run through the
console's pages from the sign-in to the sealed dossier, and every action a person would take is
counted: each fill, select, click, file chosen and confirm dialog accepted. Parties, duties and
payments go in as pasted tables. The run fails above 90 actions (it took about 210 with one form
per row). Residents' votes are cast through the API: they are not the organizer's actions.

Tests ask for `site` before `new_page`: on PostgreSQL the site's database is created with
asyncio.run, which must happen before Playwright's sync API starts its own event loop.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, ORGANIZER, PHONE, axe_violations, no_stray_words, sign_in

BUDGET = 90
REPORT = Path(os.environ.get("CONSULT_ACTIONS_REPORT", "/tmp/console-actions.txt"))

PARTIES = [
    ("五川村民委员会", "辖区单位", "村部", "五川村委会 李会计", "0478-8123001"),
    ("五川小学", "辖区单位", "村东", "五川小学 王校长", "0478-8123002"),
    ("五川农贸点", "商户", "村口", "五川农贸点 赵老板", "0478-8123003"),
    ("五川砖厂", "企业", "村北", "五川砖厂 孙厂长", "0478-8123004"),
    ("五川卫生室", "辖区单位", "村西", "五川卫生室 周医生", "0478-8123005"),
    ("临河区水务局", "政府职能部门", "区政府 3 楼", "水务局 吴科长", "0478-8123006"),
]
DUTIES = [
    ("五川村民委员会", "组织清淤、协调占地", 10),
    ("五川小学", "放学时段安排老师护路", 20),
    ("五川农贸点", "清理沟边摊位杂物", 7),
    ("五川砖厂", "提供水泥预制盖板 60 块", 15),
    ("五川卫生室", "施工期间的急救保障", 30),
    ("临河区水务局", "出具排水设计并验收", 25),
]
HOUSEHOLDS = 18


class Counted:
    """The page, with every action a person takes counted: fill, select, click, files, dialogs."""

    def __init__(self, page) -> None:
        self.page = page
        self.count = 0
        self.steps: list[str] = []
        self.section = "start"
        self.by_section: dict[str, int] = {}
        page.on("dialog", self._dialog)

    def _add(self, what: str) -> None:
        self.count += 1
        self.steps.append(f"{self.count:3d} [{self.section}] {what}")
        self.by_section[self.section] = self.by_section.get(self.section, 0) + 1

    def _dialog(self, dialog) -> None:
        self._add(f"accept dialog: {dialog.message[:20]}")
        dialog.accept()

    def fill(self, locator, value: str) -> None:
        locator.fill(value)
        self._add(f"fill {value[:20]!r}")

    def select(self, locator, **option) -> None:
        locator.select_option(**option)
        self._add(f"select {option}")

    def click(self, locator) -> None:
        locator.click()
        self._add("click")

    def files(self, locator, files) -> None:
        locator.set_input_files(files)
        self._add("choose file")


def tsv(header: list[str], rows: list[tuple]) -> str:
    """A table as a spreadsheet copies it: tab-separated, one row a line."""
    return "\n".join("\t".join(str(c) for c in row) for row in [tuple(header), *rows])


def day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


def test_the_wuchuan_ditch_runs_from_creation_to_sealed_dossier_in_at_most_90_actions(site, new_page):
    page = new_page(DESKTOP)
    ui = Counted(page)
    convener = site.gql("{ cppccMembers { id shownName } }", token=site.token(ORGANIZER))["cppccMembers"][0]

    # sign in (3)
    ui.section = "sign in"
    page.goto("/login?next=/console")
    ui.fill(page.get_by_label("用户名"), ORGANIZER[0])
    ui.fill(page.get_by_label("密码"), ORGANIZER[1])
    ui.click(page.get_by_role("button", name="登录"))
    page.wait_for_url("**/console")

    # 新建协商 with its convener (5)
    ui.section = "create"
    create = page.locator("#create-form")
    ui.fill(create.get_by_label("标题"), "五川村排水沟疏浚")
    ui.fill(create.get_by_label("简要说明"), "村中排水沟淤堵，雨季积水倒灌农户院落。")
    ui.fill(create.get_by_label("地点"), "临河区五川村")
    ui.select(create.get_by_label("召集的政协委员"), value=convener["id"])
    ui.click(create.get_by_role("button", name="建立协商"))
    page.wait_for_url("**/console/*")
    cid = page.url.rsplit("/", 1)[1]
    expect(page.locator("#stage-form .stage-now")).to_contain_text("现在是")

    # six parties, each with its representative and slip, as one pasted table (2)
    ui.section = "parties table"
    parties = page.locator("#party-table-form")
    expect(parties).to_be_visible()  # open while the consultation has no party
    ui.fill(
        parties.get_by_label("粘贴表格", exact=False),
        tsv(["名称", "类别", "联系方式", "代表姓名", "代表电话"], PARTIES),
    )
    expect(parties.locator(".table-preview")).to_contain_text("读到 6 行")
    ui.click(parties.get_by_role("button", name="确认导入"))
    expect(parties.locator(".form-msg")).to_contain_text("已加入 6 方（其中新建 6 方）")
    expect(page.locator("#party-table-slips .slip")).to_have_count(6)
    expect(page.locator("#case-parties ul.chips > li")).to_have_count(6)

    def advance(to: str, word: str) -> None:
        ui.section = "stages"
        ui.click(page.locator(f"#stage-buttons button[value={to}]"))
        expect(page.locator(".case-head .stage-badge")).to_have_text(word)

    advance("COLLECTING", "提诉求")  # (1)

    # two demands that came in by the hotline (1 + 2 × 3)
    ui.section = "demands"
    ui.click(page.get_by_text("＋ 代为登记诉求"))
    demand = page.locator("#demand-form")
    for title, body in [
        ("排水沟堵塞", "沟里淤泥和垃圾多，下雨就漫到路上。"),
        ("雨后院里进水", "三组几户院子每逢大雨就进水。"),
    ]:
        ui.fill(demand.get_by_label("标题"), title)
        ui.fill(demand.get_by_label("具体内容"), body)
        ui.click(demand.get_by_role("button", name="登记诉求"))
        expect(page.locator("#demand-list")).to_contain_text(title)

    advance("DELIBERATING", "协商方案")  # (1)

    # 列责任单 as one pasted table (2)
    ui.section = "duties table"
    duties = page.locator("#duty-table-form")
    expect(duties).to_be_visible()
    ui.fill(
        duties.get_by_label("粘贴表格", exact=False),
        tsv(["参与方", "负责什么", "完成期限"], [(p, d, day(n)) for p, d, n in DUTIES]),
    )
    expect(duties.locator(".table-preview")).to_contain_text("都可以导入")
    ui.click(duties.get_by_role("button", name="确认导入"))
    expect(duties.locator(".form-msg")).to_contain_text("已列出 6 项责任")
    expect(page.locator("#duty-list > li")).to_have_count(6)

    # the proposal (4), its equal split of 8,400 yuan six ways (1), tabled (1)
    ui.section = "proposal and split"
    ui.click(page.get_by_text("＋ 提出新方案"))
    proposal = page.locator("#proposal-form")
    ui.fill(proposal.get_by_label("方案名称"), "五川村排水沟疏浚方案")
    ui.fill(proposal.get_by_label("方案内容"), "清淤 600 米，铺设预制盖板，六方平均分担。")
    ui.fill(proposal.get_by_label("预算（元）"), "8400")
    ui.click(proposal.get_by_role("button", name="提出方案"))
    item = page.locator("#proposal-list > li", has_text="五川村排水沟疏浚方案")
    plan = item.locator("form.cost-plan")
    expect(plan.locator(".cp-status")).to_contain_text("合计 8,400 元")
    expect(plan.locator(".cp-amount").first).to_have_text("应出 1,400 元")
    ui.click(plan.get_by_role("button", name="保存分摊方案"))
    expect(item.locator(".plan")).to_contain_text("已确认 0 / 6 方")
    ui.click(item.get_by_role("button", name="提交协商"))
    expect(item.locator(".badge").first).to_have_text("各方商量中")

    # the roll, pasted (2), and its invitation slips (1 + the dialog)
    ui.section = "roll and slips"
    roll = page.locator("#roll-form")
    households = "\n".join(f"五川村 {i + 1} 号\t{80 + i}" for i in range(HOUSEHOLDS))
    ui.fill(roll.get_by_label("粘贴名册", exact=False), households)
    ui.click(roll.get_by_role("button", name="保存名册"))
    expect(page.locator("#roll-count")).to_contain_text(f"{HOUSEHOLDS} 户")
    ui.click(page.get_by_role("button", name="生成邀请码并排版邀请条"))
    expect(page.locator("#slips-sheet .slip")).to_have_count(HOUSEHOLDS)
    codes = page.locator("#slips-sheet .code").all_inner_texts()

    # the poll on the proposal under discussion (3), then 居民表决 (1) and open it (1)
    ui.section = "poll"
    ui.click(page.get_by_text("＋ 设立表决"))
    poll = page.locator("#poll-form")
    ui.fill(poll.get_by_label("表决的问题"), "是否同意《五川村排水沟疏浚方案》？")
    ui.click(poll.get_by_role("button", name="设立表决"))
    expect(page.locator("#poll-list > li")).to_have_count(1)
    advance("VOTING", "居民表决")
    ui.click(page.get_by_role("button", name="开始投票"))
    expect(page.locator("#poll-list .badge").first).to_have_text("正在投票")

    # the households vote on their phones (the API here: not the organizer's actions)
    polls = site.gql(
        "query($id: ID!) { consultation(id: $id) { polls { options { id label } } } }",
        {"id": cid},
        site.token(ORGANIZER),
    )["consultation"]["polls"]
    choice = {o["label"]: o["id"] for o in polls[0]["options"]}
    for i, code in enumerate(codes[:15]):
        token = site.gql(
            "mutation($c: String!) { redeemInvitation(input: {code: $c}) { token errors { message } } }", {"c": code}
        )["redeemInvitation"]["token"]
        vote = "反对" if i in (3, 9) else "赞成"
        cast = site.gql(
            "mutation($p: ID!, $o: ID!) { castVote(input: {pollId: $p, choices: [$o]}) { errors { message } } }",
            {"p": page.locator("#poll-list > li").first.get_attribute("data-key"), "o": choice[vote]},
            token,
        )
        assert cast["castVote"]["errors"] == []

    # close the vote (1 + the dialog); adopt the proposal (1)
    ui.section = "close and adopt"
    ui.click(page.get_by_role("button", name="结束投票"))
    expect(page.locator("#poll-list .tally")).to_contain_text("通过")
    ui.click(item.get_by_role("button", name="采纳这个方案"))
    expect(item.locator(".badge").first).to_have_text("已采纳")

    # 签协议: each share confirmed on the party's behalf (6 × (1 + the dialog))
    ui.section = "confirm shares"
    for signed in range(1, 7):
        ui.click(item.get_by_role("button", name="代为确认（签协议）").first)
        expect(item.locator(".plan")).to_contain_text(f"已确认 {signed} / 6 方" if signed < 6 else "各方都已确认")
    expect(item.locator(".plan")).to_contain_text("各方都已确认")
    advance("AGREED", "签协议")

    # 定时限单: three milestones (1 + 3 + 4 + 4)
    ui.section = "milestones"
    ui.click(page.get_by_text("＋ 添加施工节点"))
    milestone = page.locator("#milestone-form")
    for title, kind, end in [
        ("资金筹集", None, 5),
        ("清淤和铺设盖板", "CONSTRUCTION", 30),
        ("竣工验收", "ACCEPTANCE", 40),
    ]:
        ui.fill(milestone.get_by_label("节点名称"), title)
        if kind:
            ui.select(milestone.get_by_label("类别"), value=kind)
        ui.fill(milestone.get_by_label("计划完成日期"), day(end))
        ui.click(milestone.get_by_role("button", name="添加节点"))
        expect(page.locator("#milestone-list")).to_contain_text(title)

    # the money paid in, as one pasted table (2): the funding milestone follows it
    ui.section = "payments table"
    payments = page.locator("#payment-table-form")
    expect(payments).to_be_visible()
    paid = [(p[0], "1400", day(-1), f"转账 {i + 1:04d}") for i, p in enumerate(PARTIES)]
    ui.fill(payments.get_by_label("粘贴表格", exact=False), tsv(["参与方", "金额", "到账日期", "备注"], paid))
    expect(payments.locator(".table-preview")).to_contain_text("都可以导入")
    ui.click(payments.get_by_role("button", name="确认登记到账"))
    expect(payments.locator(".form-msg")).to_contain_text("已登记 6 笔到账")
    expect(page.locator(".funding-box")).to_contain_text("8,400")
    expect(page.locator("#milestone-list > li", has_text="资金筹集").locator("summary")).to_contain_text("100%")

    advance("IMPLEMENTING", "实施与监督")  # (1)

    # progress on the two works milestones (2 × 3)
    ui.section = "progress"
    for title in ["清淤和铺设盖板", "竣工验收"]:
        row = page.locator("#milestone-list > li", has_text=title)
        ui.click(row.get_by_text(f"报告进度：{title}"))
        ui.fill(row.get_by_label("完成进度（0 到 100）"), "100")
        ui.click(row.get_by_role("button", name="报告进度"))
        expect(row.locator("summary")).to_contain_text("100%")

    advance("EVALUATING", "评价回访")  # (1)

    # 存入档案 (1 + the dialog)
    ui.section = "archive"
    ui.click(page.locator("#archive-form").get_by_role("button", name="存入档案"))
    link = page.get_by_role("link", name="打开可打印的档案")
    expect(link).to_be_visible()
    dossier = page.request.get(link.get_attribute("href") or "")
    assert dossier.ok and "五川村排水沟疏浚" in dossier.text() and "五川砖厂" in dossier.text()

    print(f"\n五川村排水沟: {ui.count} UI actions from sign-in to the sealed dossier")
    report(ui, payments=len(paid))
    assert no_stray_words(page) == []
    assert page.errors == []
    assert ui.count <= BUDGET, f"{ui.count} actions:\n" + "\n".join(ui.steps)


def report(ui: Counted, *, payments: int) -> None:
    """The counted run, and what the same run took with one form per party, duty and payment.

    The old forms, counted the same way for the same rows: a party on the home page's 添加参与方
    form is name, kind, contact, rep name, rep phone and the button (6), then its box ticked in
    新建协商 (1); a duty is party, duty, date and the button (4) after opening the form (1); a
    payment is opening 登记到账的钱, amount, time, note and the button (5).
    """
    before_tables = {
        "parties table": 7 * len(PARTIES),
        "duties table": 1 + 4 * len(DUTIES),
        "payments table": 5 * payments,
    }
    before = ui.count + sum(before_tables[k] - ui.by_section.get(k, 0) for k in before_tables)
    lines = [
        "五川村排水沟疏浚 (6 parties, 8,400 yuan, 18 households), organizer console, sign-in to sealed dossier",
        f"after (tables pasted): {ui.count} UI actions (budget {BUDGET})",
        f"before (one form per party, duty and payment, same run): {before} UI actions",
        "",
        "by section, after -> before:",
        *(
            f"  {name}: {n}" + (f" -> {before_tables[name]}" if name in before_tables else "")
            for name, n in ui.by_section.items()
        ),
        "",
        "every action counted:",
        *ui.steps,
    ]
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_table_with_bad_rows_is_flagged_beside_it_and_nothing_is_written(site, new_page, tmp_path):
    case = site.consultation("五川村排水沟（表格检查）", stage="DELIBERATING")
    page = new_page(DESKTOP)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, ORGANIZER, f"/console/{case['id']}")
    duties = page.locator("#duty-table-form")
    expect(duties).to_be_visible()

    # a CSV file without a header row: one unknown party, one missing duty, one bad date, one repeat
    csv = tmp_path / "duties.csv"
    csv.write_text(
        "菜园市场,清理摊位杂物,2025-07-01\n不存在的单位,出人力\n解放街道办事处,,2025-07-01\n"
        "菜园市场,清理摊位杂物,2025-07-01\n菜园巷辖区单位,提供材料,七月底\n",
        encoding="utf-8",
    )
    duties.get_by_label("或者选择 CSV 文件").set_input_files(str(csv))
    preview = duties.locator(".table-preview")
    expect(preview).to_contain_text("读到 5 行，其中 4 行要改正")
    expect(preview.locator("tr.row-bad")).to_have_count(4)
    expect(preview).to_contain_text("“不存在的单位”不是本次协商的参与方")
    expect(preview).to_contain_text("没有填负责什么")
    expect(preview).to_contain_text("与第 1 行重复")
    expect(preview).to_contain_text("期限“七月底”看不懂")
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        assert axe_violations(page) == [], size

    # confirming writes nothing: the rows to fix are named beside the table
    duties.get_by_role("button", name="确认导入").click()
    expect(duties.locator(".field-error")).to_contain_text("第 2 行：“不存在的单位”不是本次协商的参与方")
    expect(duties.get_by_label("粘贴表格", exact=False)).to_have_attribute("aria-invalid", "true")
    data = site.gql(
        "query($id: ID!) { consultation(id: $id) { responsibilities { id } } }",
        {"id": case["id"]},
        site.token(ORGANIZER),
    )
    assert data["consultation"]["responsibilities"] == []

    # fixed, the table goes in whole
    duties.get_by_label("粘贴表格", exact=False).fill(
        "负责方,事项,期限\n菜园市场,清理摊位杂物,2025/7/1\n菜园巷辖区单位,提供材料,2025年7月31日\n"
    )
    expect(duties.locator(".table-preview")).to_contain_text("都可以导入")
    duties.get_by_role("button", name="确认导入").click()
    expect(duties.locator(".form-msg")).to_contain_text("已列出 2 项责任")
    expect(page.locator("#duty-list")).to_contain_text("2025年7月31日")
    assert no_stray_words(page) == []
    assert page.errors == []
