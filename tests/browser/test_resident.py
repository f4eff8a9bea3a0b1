"""Residents on their phones: from the slip's QR link to a counted vote, live tallies, large type."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, ORGANIZER, PHONE, axe_violations, no_stray_words, screenshot


class Taps:
    """Counts the taps a resident makes on a page."""

    def __init__(self, page) -> None:
        self.page, self.count = page, 0

    def tap(self, locator) -> None:
        self.count += 1
        locator.click()


def vote(page, choice: str, code: str | None = None) -> None:
    """Open the slip's link (when given), pick `choice`, confirm, and wait for the receipt."""
    if code:
        page.goto(f"/i/{code}")
    page.wait_for_url(re.compile(r"/c/"))  # the script has drawn the page over the first screen
    page.get_by_role("button", name=re.compile(f"^{choice}")).click()
    page.get_by_role("button", name="确认投票").click()
    page.locator(".receipt").wait_for()


def tally_text(page) -> str:
    return page.locator("[data-poll] .tally").inner_text()


def test_a_resident_votes_from_the_slip_link_in_three_taps_and_sees_the_receipt(new_page, site):
    case = site.consultation("巷口路灯改造", stage="VOTING", households=3)
    page = new_page(PHONE)
    taps = Taps(page)
    # Scanning the slip opens /i/<code>: no tap yet.
    page.goto(f"/i/{case['codes'][0]}")
    page.wait_for_url(re.compile(r"/c/"))
    assert case["codes"][0] not in page.url  # the code leaves the address bar
    page.get_by_role("heading", name="巷口路灯改造").wait_for()
    # the page shows the head of the record's hash chain, the one the dossier prints and the anchors keep
    head = site.gql(
        "query($id: ID!) { consultation(id: $id) { auditTrail(first: 1) { headHash } } }", {"id": case["id"]}
    )["consultation"]["auditTrail"]["headHash"]
    expect(page.locator("#trail-head")).to_contain_text(head[:16])
    taps.tap(page.get_by_role("button", name=re.compile("^赞成")))
    taps.tap(page.get_by_role("button", name="确认投票"))
    receipt = page.locator(".receipt")
    receipt.wait_for()
    assert taps.count <= 3
    code = receipt.inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9-]{6,64}", code), code
    assert "您的票已经记录" in page.locator(".receipt-box").inner_text()
    # The receipt checks out on the page, and through the API.
    # shown once, not again in a clipped input, with its two buttons well apart
    assert page.locator(".receipt-box").inner_text().count(code) == 1
    check = page.get_by_role("button", name="核对这张票是否计入")
    change = page.get_by_role("button", name=re.compile("改投"))
    a, b = check.bounding_box(), change.bounding_box()
    gap = max(b["x"] - (a["x"] + a["width"]), b["y"] - (a["y"] + a["height"]))
    assert gap >= 12, (a, b)
    check.click()
    page.get_by_text("核对无误").wait_for()
    assert (
        site.gql(
            "query($p: ID!, $r: String!) { verifyReceipt(pollId: $p, receipt: $r) }", {"p": case["poll"], "r": code}
        )["verifyReceipt"]
        is True
    )
    # A secret poll's open count waits for a full batch, and the page says so: nobody watching it
    # can tell this one household's vote.
    expect(page.locator(".tally-batch")).to_contain_text("每满 5 票更新一次")
    # Revoting is offered while the poll allows it, and replaces the ballot.
    expect(page.locator(".receipt-box")).to_contain_text("改投后会给您一个新的回执码")
    page.get_by_role("button", name=re.compile("改投")).click()
    expect(page.get_by_role("note")).to_contain_text("之前的回执码就不再用了")
    vote(page, "反对")
    assert "反对" in page.locator(".receipt-box").inner_text()
    # and the old receipt, checked on the page, says it was replaced and the later vote counts
    page.get_by_text("核对别的回执码").click()
    page.get_by_label("别的回执码").fill(code)
    page.get_by_role("button", name="核对", exact=True).click()
    expect(page.locator(".receipt-box")).to_contain_text("已被您家后来投的一票替换了，现在算数的是后来那一票")
    assert "赞成" not in page.locator(".receipt-box [aria-live]").inner_text()
    # Once the poll closes, the whole count shows the one ballot, as replaced.
    site.ok("closePoll", {"pollId": case["poll"]}, "poll { status }")
    tally = site.gql(
        "query($id: ID!) { node(id: $id) { ... on Poll { "
        "tally { ballotsCast options { option { label } votes } } } } }",
        {"id": case["poll"]},
        site.token(ORGANIZER),
    )["node"]["tally"]
    assert tally["ballotsCast"] == 1
    assert {o["option"]["label"]: o["votes"] for o in tally["options"]} == {"赞成": 0, "反对": 1, "弃权": 0}
    assert page.errors == []


def test_a_second_residents_vote_updates_the_first_page_without_reload(new_page, site):
    # a named poll, whose open count moves with each ballot (a secret one waits for a batch)
    case = site.consultation("二号楼加装电梯", stage="VOTING", households=3, secret=False)
    first = new_page(PHONE)
    vote(first, "赞成", case["codes"][0])
    first.wait_for_function("() => document.documentElement.dataset.live === 'on'")
    assert "已经有 1 户投了票" in tally_text(first)
    first.evaluate("window.__sameDocument = true")

    second = new_page(PHONE)  # another browser context: another phone
    vote(second, "反对", case["codes"][1])

    first.wait_for_function(
        "() => document.querySelector('[data-poll] .tally').innerText.includes('已经有 2 户投了票')",
        timeout=20_000,  # a loaded machine running the suite on two workers can take more than the default
    )
    assert first.evaluate("window.__sameDocument") is True  # no reload happened
    assert "反对：1 票" in tally_text(first)
    # Each phone shows only its own choice.
    assert "您的票已经记录：赞成" in first.locator(".receipt-box").inner_text()
    assert "您的票已经记录：反对" in second.locator(".receipt-box").inner_text()


def test_a_read_that_set_out_before_the_vote_never_draws_the_receipt_without_the_choice(new_page, site):
    case = site.consultation("慢网络上的回执", stage="VOTING", households=1, secret=False)
    page = new_page(PHONE)
    held: list = []

    def hold_the_first_read(route) -> None:
        body = route.request.post_data or ""
        if not held and "myBallot" in body and "redeemInvitation" not in body and "castVote" not in body:
            held.append((route, route.fetch()))  # read by the server now, handed to the page later
        else:
            route.fallback()

    page.route(re.compile(r"/graphql$"), hold_the_first_read)
    # given a slow network: the read the page asks for after the slip is redeemed is still on its way
    page.goto(f"/i/{case['codes'][0]}")
    page.wait_for_url(re.compile(r"/c/"))
    # when the resident votes meanwhile, and that read (from before the vote) arrives afterwards
    page.get_by_role("button", name=re.compile("^赞成")).click()
    page.get_by_role("button", name="确认投票").click()
    expect(page.locator(".receipt-box")).to_contain_text("您的票已经记录：赞成")
    assert len(held) == 1
    route, answer = held[0]
    route.fulfill(response=answer)
    page.wait_for_timeout(1500)  # the late answer, and the read the page asks for in its place
    # then the receipt still says what was chosen, and the ballot is not offered again
    expect(page.locator(".receipt-box")).to_contain_text("您的票已经记录：赞成")
    expect(page.get_by_role("button", name="确认投票")).to_have_count(0)
    assert page.errors == []


def test_a_vote_from_the_kept_page_before_the_first_read_still_follows_the_consultation_live(new_page, site):
    case = site.consultation("回访时先投票", stage="VOTING", households=2, secret=False)
    [poll] = site.gql("query($id: ID!) { consultation(id: $id) { polls { id } } }", {"id": case["id"]})["consultation"][
        "polls"
    ]
    page = new_page(PHONE)
    # given a household that opened its page before, so the phone keeps it
    page.goto(f"/i/{case['codes'][0]}")
    page.wait_for_url(re.compile(r"/c/"))
    _kept_on_the_phone(page, case["id"])
    held: list = []

    def hold_the_page_reads(route) -> None:
        body = route.request.post_data or ""
        if len(held) < 2 and "myBallot" in body and "castVote" not in body:
            held.append((route, route.fetch()))
        else:
            route.fallback()

    # when it comes back on a slow network and votes from the kept page before the first read arrives
    page.route(re.compile(r"/graphql$"), hold_the_page_reads)
    page.goto(f"/c/{case['id']}")
    page.get_by_role("button", name=re.compile("^赞成")).click()
    page.get_by_role("button", name="确认投票").click()
    expect(page.locator(".receipt-box")).to_contain_text("您的票已经记录：赞成")
    # and that first read (from before the vote) lands before the one the page asked for after it
    for _ in range(50):
        if len(held) == 2:
            break
        page.wait_for_timeout(100)
    assert len(held) == 2
    for route, answer in held:
        route.fulfill(response=answer)
        page.wait_for_timeout(300)
    expect(page.get_by_text("正在读取最新情况")).to_have_count(0)
    # then the page follows the consultation live: the vote closed by the organizer shows without a reload
    page.evaluate("window.__sameDocument = true")
    site.ok("closePoll", {"pollId": poll["id"]}, "poll { status }")
    expect(page.locator("[data-poll] .tally")).to_contain_text("最终结果", timeout=20_000)
    assert page.evaluate("window.__sameDocument") is True
    expect(page.locator(".receipt-box")).to_contain_text("您的票已经记录：赞成")
    assert page.errors == []


def test_demands_appear_live_and_residents_support_them(new_page, site):
    case = site.consultation("菜园巷排水", stage="COLLECTING")
    site.ok("setVoterRoll", {"consultationId": case["id"], "voters": [{"label": "1 号"}]}, "entries { id }")
    code = site.ok("issueInvitations", {"consultationId": case["id"]}, "invitations { code }")["invitations"][0]["code"]
    page = new_page(PHONE)
    page.goto(f"/i/{code}")
    page.get_by_role("heading", name="居民诉求").wait_for()
    page.evaluate("window.__sameDocument = true")
    site.ok(
        "submitDemand",
        {"consultationId": case["id"], "title": "雨后巷口积水", "body": "一下雨就积水", "channel": "HOTLINE"},
        "demand { id }",
    )
    page.get_by_role("heading", name="雨后巷口积水").wait_for()
    assert page.evaluate("window.__sameDocument") is True
    page.get_by_role("button", name="我也有这个问题（支持）").click()
    page.get_by_role("button", name="已支持").wait_for()
    # A resident's own demand, through the form.
    page.get_by_label("问题是什么").fill("路灯不亮")
    page.get_by_label("具体说说").fill("晚上回家看不清路")
    page.get_by_role("button", name="提交诉求").click()
    page.get_by_role("heading", name="路灯不亮").wait_for()
    titles = [
        e["node"]["title"]
        for e in site.gql(
            "query($id: ID!) { consultation(id: $id) { demands { edges { node { title supportCount } } } } }",
            {"id": case["id"]},
        )["consultation"]["demands"]["edges"]
    ]
    assert set(titles) == {"雨后巷口积水", "路灯不亮"}


def test_the_large_type_switch_enlarges_everything_and_is_remembered(new_page, site):
    case = site.consultation("菜园巷北口路灯改造", stage="VOTING", households=1)
    page = new_page(PHONE)
    page.goto(f"/i/{case['codes'][0]}")
    page.wait_for_url(re.compile(r"/c/"))  # the script has drawn the page over the first screen
    page.get_by_role("button", name=re.compile("^赞成")).wait_for()
    base = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    body = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)")
    assert base >= 18 and body >= 18
    button_height = page.get_by_role("button", name=re.compile("^赞成")).bounding_box()["height"]
    assert button_height >= 48
    screenshot(page, "resident-phone.png", full_page=False)
    switch = page.get_by_role("button", name="大字模式")
    assert switch.get_attribute("aria-pressed") == "false"
    switch.click()
    assert switch.get_attribute("aria-pressed") == "true"
    large = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    large_body = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)")
    assert large >= base * 1.25 and large_body >= body * 1.25
    assert page.get_by_role("button", name=re.compile("^赞成")).bounding_box()["height"] > button_height
    screenshot(page, "resident-phone-large.png", full_page=False)
    page.reload()
    page.get_by_role("button", name=re.compile("^赞成")).wait_for()
    assert page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)") == large
    # Nothing runs off the side of a 360-pixel phone, in large type either.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_resident_rates_the_finished_works(new_page, site):
    page = new_page(PHONE)
    page.goto(f"/i/{site.demo_codes[-1]}")
    page.get_by_role("heading", name="满意度评价").wait_for()
    page.get_by_text("5 分 很满意").click()
    page.get_by_label("还想说的话（可以不填）").fill("路平了，谢谢大家")
    page.get_by_role("button", name="提交评价").click()
    page.get_by_text("您已评价：5 分").wait_for()
    expect(page.get_by_role("button", name="提交评价")).to_be_hidden()


def test_a_slip_that_does_not_work_says_what_to_do(new_page):
    page = new_page(PHONE)
    page.goto("/i/AAAA-BBBB-CCCC")
    page.get_by_role("heading", name="邀请码用不了").wait_for()
    assert "邀请码" in page.get_by_role("alert").inner_text()
    assert page.context.cookies() == []


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_resident_pages_pass_axe(new_page, site, size):
    case = site.consultation(f"无障碍检查 {size['width']}", stage="VOTING", households=2)
    page = new_page(size)
    page.goto(f"/i/{case['codes'][0]}")
    page.wait_for_url(re.compile(r"/c/"))  # the script has drawn the page over the first screen
    page.get_by_role("button", name=re.compile("^赞成")).wait_for()
    assert no_stray_words(page) == []
    assert axe_violations(page) == []
    page.get_by_role("button", name=re.compile("^赞成")).click()
    page.get_by_role("button", name="确认投票").wait_for()
    assert no_stray_words(page) == []
    assert axe_violations(page) == []
    page.get_by_role("button", name="确认投票").click()
    page.locator(".receipt").wait_for()
    assert no_stray_words(page) == []
    assert axe_violations(page) == []
    # The demo case at EVALUATING: charts, timeline, findings, ratings.
    demo = site.gql('{ consultations(search: "菜园巷道路改造", stage: EVALUATING) { edges { node { id } } } }')
    page.goto(f"/c/{demo['consultations']['edges'][0]['node']['id']}")
    page.get_by_role("heading", name="施工进度").wait_for()
    assert no_stray_words(page) == []
    assert axe_violations(page) == []
    assert page.errors == []


def test_an_archived_consultation_links_to_its_printable_dossier(new_page, site):
    page = new_page({"width": 900, "height": 1200})
    archived = site.gql(
        '{ consultations(stage: ARCHIVED, search: "已归档副本") { edges { node { id dossier { htmlUrl sha256 } } } } }'
    )
    node = archived["consultations"]["edges"][0]["node"]
    page.goto(f"/c/{node['id']}")
    page.get_by_role("link", name="查看可打印的档案").click()
    page.wait_for_url(f"**{node['dossier']['htmlUrl']}")
    assert node["dossier"]["sha256"] in page.content()
    screenshot(page, "dossier.png")


def test_a_phone_shared_by_two_households_keeps_their_votes_apart(new_page, site):
    case = site.consultation("两户共用一部手机", stage="VOTING", households=2)
    page = new_page(PHONE)
    vote(page, "赞成", case["codes"][0])
    # The second household opens its own slip on the same phone: it has not voted, and may.
    page.goto(f"/i/{case['codes'][1]}")
    page.wait_for_url(re.compile(r"/c/"))  # the script has drawn the page over the first screen
    page.get_by_role("button", name=re.compile("^反对")).wait_for()
    expect(page.locator(".receipt")).to_have_count(0)


def test_a_ranked_poll_is_voted_by_tapping_the_options_in_order(new_page, site):
    case = site.consultation("健身器材选址", stage="VOTING", households=2)
    ranked = site.ok(
        "createPoll",
        {
            "consultationId": case["id"],
            "question": "健身器材放在哪里？请排出先后",
            "kind": "RANKED",
            "options": ["巷口空地", "市场后院", "小学门口"],
            "secret": False,
        },
        "poll { id }",
    )["poll"]["id"]
    site.ok("openPoll", {"pollId": ranked}, "poll { status }")
    page = new_page(PHONE)
    page.goto(f"/i/{case['codes'][0]}")
    page.wait_for_url(re.compile(r"/c/"))  # the script has drawn the page over the first screen
    card = page.locator("[data-poll]", has_text="健身器材放在哪里")
    for option in ["市场后院", "巷口空地", "小学门口"]:
        card.get_by_role("button", name=option).click()
    expect(card).to_contain_text("您选择了：市场后院 > 巷口空地 > 小学门口")
    card.get_by_role("button", name="确认投票").click()
    expect(card.locator(".receipt")).to_be_visible()
    tally = site.gql(
        "query($id: ID!) { node(id: $id) { ... on Poll { tally { ballotsCast } } } }",
        {"id": ranked},
        site.token(ORGANIZER),
    )["node"]["tally"]
    assert tally["ballotsCast"] == 1
    # The yes/no poll of the same consultation is still waiting for this household.
    expect(
        page.locator("[data-poll]", has_text="道路改造方案").get_by_role("button", name=re.compile("^赞成"))
    ).to_be_visible()


def test_a_household_whose_slip_was_used_before_is_told_when_and_what_to_do(new_page, site):
    # given a slip that someone else (the office that printed it, say) opened first and voted with
    case = site.consultation("邀请条被用过", stage="VOTING", households=1)
    first = new_page(PHONE)
    vote(first, "反对", case["codes"][0])
    assert first.locator("#slip-used").count() == 0
    assert no_stray_words(first) == []
    # when the household opens its slip on its own phone
    page = new_page(PHONE)
    page.goto(f"/i/{case['codes'][0]}")
    # then the page says the slip was used before, and what to do, above everything else
    warning = page.locator("#slip-used")
    warning.wait_for()
    assert "已经用过" in warning.inner_text() and "政协委员" in warning.inner_text()
    assert no_stray_words(page) == []
    assert axe_violations(page) == []
    assert page.errors == []


def test_charts_label_their_bars_and_a_finished_works_timeline_spans_the_works(new_page, site):
    # given the 菜园巷 demo, whose works finished months ago, opened from a slip
    page = new_page(PHONE)
    page.goto(f"/i/{site.demo_codes[-1]}")
    page.wait_for_url(re.compile(r"/c/"))
    # then every bar of the split says its party, amount and percent, rounded half up
    chart = page.locator(".split-chart").first
    for party in ("菜园市场", "解放街道办事处", "菜园巷辖区单位"):
        expect(chart).to_contain_text(party)
    labels = chart.locator(".split-label").all_text_contents()
    assert len(labels) == 3 and all("80,000 元（33.3%）" in text for text in labels), labels
    # and the works timeline covers the works only: no today marker months after them, each row named
    timeline = page.locator(".timeline-chart").first
    expect(timeline).to_be_visible()
    assert timeline.locator(".today").count() == 0
    names = timeline.locator(".timeline-label").all_text_contents()
    assert names and all(name.strip() for name in names)
    assert "今天" not in (timeline.text_content() or "")
    # and shares and ratios round the same way, half up to one decimal: 1/6 is 16.7%, not 16.6%
    rounded = page.evaluate(
        """async () => {
            const f = await import("/assets/format.js");
            return [f.percentOf("1400", "8400"), f.percentOf("1", "8"), f.ratioText("0.1665"), f.ratioText("0.6667"),
                    f.ratioText("1"), f.ratioText("0.0004")];
        }"""
    )
    assert rounded == [16.7, 12.5, "16.7%", "66.7%", "100%", "0%"]
    # dates read as the browser's own zh-CN Beijing-time format writes them, round the clock and the year
    dates = page.evaluate(
        """async () => {
            const f = await import("/assets/format.js");
            const zone = { timeZone: "Asia/Shanghai", year: "numeric", month: "long", day: "numeric" };
            const day = new Intl.DateTimeFormat("zh-CN", zone);
            const clock = { hour: "2-digit", minute: "2-digit", hour12: false };
            const time = new Intl.DateTimeFormat("zh-CN", { ...zone, ...clock });
            const differ = [];
            for (let t = Date.UTC(2025, 11, 31, 15, 0); t < Date.UTC(2027, 0, 2); t += 7 * 3600_000 + 13 * 60_000) {
                const iso = new Date(t).toISOString();
                if (f.date(iso) !== day.format(t) || f.dateTime(iso) !== time.format(t)) differ.push(iso);
            }
            return [differ, f.date(null), f.dateTime("not a date")];
        }"""
    )
    assert dates == [[], "—", "—"]
    assert no_stray_words(page) == []
    assert axe_violations(page) == []


SPEECH_STUB = """
(() => {
  window.__spoken = [];
  const voices = window.__voices ?? [{ lang: "zh-CN", name: "普通话" }];
  class Utterance { constructor(text) { this.text = text; } }
  window.SpeechSynthesisUtterance = Utterance;
  Object.defineProperty(window, "speechSynthesis", { value: {
    getVoices: () => voices,
    speak: (u) => window.__spoken.push({ text: u.text, lang: u.lang, voice: u.voice && u.voice.name }),
    cancel: () => {},
    addEventListener: () => {},
  } });
})();
"""


def test_read_aloud_speaks_the_question_the_choices_and_the_count_in_chinese(new_page, site):
    # given a phone that offers a Chinese voice (headless chromium has none, so speech is stubbed)
    case = site.consultation("巷口加装路灯朗读", stage="VOTING", households=2)
    page = new_page(PHONE)
    page.add_init_script(SPEECH_STUB)
    page.goto(f"/i/{case['codes'][0]}")
    page.wait_for_url(re.compile(r"/c/"))
    # when the resident taps 朗读
    page.get_by_role("button", name=re.compile("朗读")).click()
    spoken = page.evaluate("window.__spoken")
    # then the phone says the question, what each choice means, and the count, in zh-CN
    assert len(spoken) == 1 and spoken[0]["lang"] == "zh-CN" and spoken[0]["voice"] == "普通话"
    text = spoken[0]["text"]
    question = site.gql("query($id: ID!) { node(id: $id) { ... on Poll { question } } }", {"id": case["poll"]})["node"][
        "question"
    ]
    assert f"表决的问题：{question}" in text
    for choice, meaning in (("赞成", "同意这个方案"), ("反对", "不同意这个方案"), ("弃权", "不表态")):
        assert f"选“{choice}”，就是{meaning}" in text
    assert ("已投" in text and "共 2 户" in text) or "投票结束后公布结果" in text
    assert axe_violations(page) == []


def test_read_aloud_is_not_offered_where_the_phone_has_no_chinese_voice(new_page, site):
    case = site.consultation("巷口加装路灯无语音", stage="VOTING", households=1)
    page = new_page(PHONE)
    page.add_init_script('window.__voices = [{ lang: "en-US", name: "English" }];' + SPEECH_STUB)
    page.goto(f"/i/{case['codes'][0]}")
    page.wait_for_url(re.compile(r"/c/"))
    page.get_by_role("button", name=re.compile("^赞成")).wait_for()
    expect(page.get_by_role("button", name=re.compile("朗读"))).to_have_count(0)


SMALL_PHONE = {"width": 320, "height": 568}


def _first_choice(page):
    button = page.get_by_role("button", name=re.compile("^赞成"))
    button.wait_for()
    return button.bounding_box()


def test_the_choices_start_on_the_first_screen_and_within_one_and_a_half_in_large_type(new_page, site):
    case = site.consultation("首屏投票位置", stage="VOTING", households=2)
    # at 360×640 in normal type, the first choice starts on the first screen
    page = new_page(PHONE)
    page.goto(f"/i/{case['codes'][0]}")
    page.wait_for_url(re.compile(r"/c/"))
    box = _first_choice(page)
    assert box["y"] < PHONE["height"], box
    # in 大字模式 on a 320×568 phone, it starts within 1.5 screens, and no choice wraps to under 6 characters a line
    large = new_page(SMALL_PHONE)
    large.add_init_script("localStorage.setItem('consult.largeType', '1')")
    large.goto(f"/i/{case['codes'][1]}")
    large.wait_for_url(re.compile(r"/c/"))
    box = _first_choice(large)
    assert box["y"] < SMALL_PHONE["height"] * 1.5, box
    narrowest = large.evaluate(
        """() => Math.min(...[...document.querySelectorAll('.vote-buttons button span.explain')].map((el) => {
            const line = parseFloat(getComputedStyle(el).lineHeight);
            const lines = Math.max(1, Math.round(el.getBoundingClientRect().height / line));
            return el.textContent.length / lines;
        }))"""
    )
    assert narrowest >= 6, narrowest
    # and the stepper's steps never break inside a word, at either size
    for p in (page, large):
        broken = p.evaluate(
            """() => [...document.querySelectorAll('ol.stepper li')].filter((li) => {
                const line = parseFloat(getComputedStyle(li).lineHeight);
                const inner = li.getBoundingClientRect().height - parseFloat(getComputedStyle(li).paddingTop)
                    - parseFloat(getComputedStyle(li).paddingBottom);
                return inner > line * 1.5;
            }).map((li) => li.textContent)"""
        )
        assert broken == [], broken


def test_a_slip_links_vote_is_on_the_page_before_its_script_and_a_tap_there_is_confirmed(new_page, site):
    # given a phone so slow that the page's script has not arrived
    case = site.consultation("首屏表单投票", stage="VOTING", households=2)
    page = new_page(PHONE)
    page.route(re.compile(r"/resident\.js$"), lambda route: route.abort())
    page.goto(f"/i/{case['codes'][0]}")
    # then the question and the choices are already there, drawn by the server
    expect(page.get_by_role("heading", name="首屏表单投票")).to_be_visible()
    first = page.locator("form.first-screen-form")
    expect(first.get_by_role("button", name="赞成")).to_be_visible()
    assert axe_violations(page) == []
    # under the outline of the header the script draws, so the title will not move when it does
    title_at = page.get_by_role("heading", name="首屏表单投票").bounding_box()["y"]
    # when the resident taps 赞成 there, the slip is redeemed and the address no longer holds the code
    first.get_by_role("button", name="赞成").click()
    page.wait_for_url(re.compile(r"/c/[^#]+#choose="), timeout=30_000)  # loaded, its script refused
    assert case["codes"][0] not in page.url
    # and once the script arrives, it asks to confirm that very choice; nothing is cast before
    page.unroute(re.compile(r"/resident\.js$"))
    page.reload()
    expect(page.get_by_text("您选择了：")).to_be_visible()
    expect(page.locator(".confirm strong")).to_have_text("赞成")
    assert page.get_by_role("heading", name="首屏表单投票").bounding_box()["y"] == title_at
    assert "#choose" not in page.url
    page.get_by_role("button", name="确认投票").click()
    expect(page.locator(".receipt-box")).to_contain_text("您的票已经记录：赞成")
    assert page.errors == []


def test_with_its_script_a_slip_page_redeems_once_and_takes_over_the_first_screen(new_page, site):
    case = site.consultation("首屏接管", stage="VOTING", households=1)
    page = new_page(PHONE)
    page.goto(f"/i/{case['codes'][0]}")
    page.wait_for_url(re.compile(r"/c/"))
    expect(page.locator("form.first-screen-form")).to_have_count(0)
    vote(page, "反对")
    # the slip was used once: no warning that someone else had used it
    expect(page.locator("#slip-used")).to_have_count(0)


def _kept_on_the_phone(page, consultation_id: str) -> None:
    """Wait until the phone keeps the resident page (its worker is active) and this consultation's copy."""
    for _ in range(100):
        if page.evaluate(
            """async (id) => {
                const worker = await navigator.serviceWorker.getRegistration("/c/");
                return !!worker?.active && !!localStorage.getItem("consult.page:" + id);
            }""",
            consultation_id,
        ):
            return
        page.wait_for_timeout(200)
    raise AssertionError("the phone did not keep the page within 20 s")


def test_a_return_visit_draws_the_last_page_at_once_even_offline_and_catches_up_online(new_page, site):
    case = site.consultation("回访先显示", stage="VOTING", households=2)
    page = new_page(PHONE)
    vote(page, "赞成", case["codes"][0])
    receipt = page.locator(".receipt").inner_text()
    _kept_on_the_phone(page, case["id"])
    # given the phone has lost its network
    page.context.set_offline(True)
    # when the resident opens the page again
    page.goto(f"/c/{case['id']}")
    # then it is drawn from the phone: the question, their vote and its receipt, and a plain note
    # that this is what they saw last time and may not be the newest
    expect(page.get_by_role("heading", name="回访先显示")).to_be_visible()
    expect(page.locator(".receipt")).to_have_text(receipt)
    expect(page.locator("#kept-notice")).to_contain_text("现在连不上网络")
    # when the network comes back, the page reads what is new by itself
    other = site.gql(
        "mutation($c: String!) { redeemInvitation(input: {code: $c}) { token errors { code } } }",
        {"c": case["codes"][1]},
    )["redeemInvitation"]["token"]
    poll = site.gql(
        "query($id: ID!) { consultation(id: $id) { polls { id options { id label } } } }", {"id": case["id"]}
    )["consultation"]["polls"][0]
    no = next(o["id"] for o in poll["options"] if o["label"] == "反对")
    site.gql(
        "mutation($p: ID!, $o: ID!) { castVote(input: {pollId: $p, choices: [$o]}) { errors { code } } }",
        {"p": poll["id"], "o": no},
        token=other,
    )
    page.context.set_offline(False)
    expect(page.locator("#kept-notice")).to_be_empty(timeout=20_000)
    expect(page.locator(".receipt")).to_have_text(receipt)
    assert page.errors == []


def test_what_a_phone_kept_is_never_shown_to_the_next_household_or_after_signing_out(new_page, site):
    case = site.consultation("共用手机不串户", stage="VOTING", households=2)
    page = new_page(PHONE)
    vote(page, "赞成", case["codes"][0])
    first_receipt = page.locator(".receipt").inner_text()
    _kept_on_the_phone(page, case["id"])
    # when a second household signs in on the same phone through the server's first screen
    # (no script: the slip is redeemed by a plain form post)
    page.route(re.compile(r"/resident\.js$"), lambda route: route.abort())
    page.goto(f"/i/{case['codes'][1]}")
    page.locator("form.first-screen-form").get_by_role("button", name="反对").click()
    # the server answers the form with the resident page and the tapped choice in its address; the
    # phone's worker may serve the page's script from what it kept, and that script takes the choice
    # out of the address at once, so the address is waited for with or without it
    page.wait_for_url(re.compile(r"/c/[^#/]+(#choose=.*)?$"), timeout=30_000)
    page.unroute(re.compile(r"/resident\.js$"))
    # and opens the page with no network, so only what the phone kept could be drawn
    page.context.set_offline(True)
    page.reload()
    # then nothing of the first household's is shown, and its copy is gone from the phone
    expect(page.get_by_text("网络连接不上")).to_be_visible(timeout=20_000)
    expect(page.locator(".receipt")).to_have_count(0)
    assert first_receipt not in page.content()
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('consult.page:'))") == []
    # back online, the second household sees its own page, with its tap to confirm
    page.context.set_offline(False)
    page.goto(f"/c/{case['id']}")
    page.get_by_role("button", name=re.compile("^反对")).click()
    page.get_by_role("button", name="确认投票").click()
    expect(page.locator(".receipt")).not_to_have_text(first_receipt)
    _kept_on_the_phone(page, case["id"])
    # when it signs out, what the phone kept goes with it
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('consult.page:'))") == []


def test_a_multiple_choice_vote_ticked_on_the_first_screen_is_confirmed_once_the_script_is_there(new_page, site):
    case = site.consultation("首屏多选", stage="VOTING", households=1)
    several = site.ok(
        "createPoll",
        {
            "consultationId": case["id"],
            "question": "想要哪些健身器材？",
            "kind": "MULTIPLE_CHOICE",
            "options": ["单杠", "漫步机", "乒乓球台"],
            "maxChoices": 2,
        },
        "poll { id }",
    )["poll"]["id"]
    site.ok("openPoll", {"pollId": several}, "poll { status }")
    page = new_page(PHONE)
    page.route(re.compile(r"/resident\.js$"), lambda route: route.abort())
    page.goto(f"/i/{case['codes'][0]}")
    form = page.locator("article.first-screen").filter(has_text="想要哪些健身器材？")
    form.get_by_label("单杠").check()
    form.get_by_label("乒乓球台").check()
    form.get_by_role("button", name="下一步").click()
    page.wait_for_url(re.compile(r"/c/[^#]+#choose="), timeout=30_000)
    page.unroute(re.compile(r"/resident\.js$"))
    page.reload()
    card = page.locator(f'[data-poll="{several}"]')
    expect(card.locator(".confirm strong")).to_have_text("单杠、乒乓球台")
    card.get_by_role("button", name="确认投票").click()
    expect(card.locator(".receipt-box")).to_contain_text("单杠")
    assert page.errors == []
