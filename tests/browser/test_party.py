"""The party workspace (/party): representatives who sign in with a printed slip, in a real browser."""

from __future__ import annotations

import pytest
from PIL import ExifTags, Image, ImageDraw
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, ORGANIZER, PHONE, axe_violations, no_stray_words, screenshot, sign_in

SLIP = "slip { code account { id } }"


def rep_slip(site, party: str, name: str) -> str:
    """A representative of `party` (a demo party's name), added through the API: their slip's code."""
    payload = site.ok(
        "createRepresentative", {"partyId": site.parties()[party], "displayName": name, "phone": "0478-8123456"}, SLIP
    )
    return payload["slip"]["code"]


def test_an_organizer_adds_a_rep_and_prints_their_slip(new_page, site):
    page = new_page(DESKTOP)
    sign_in(page, ORGANIZER, "/console")
    form = page.locator("#representative-form")
    form.get_by_label("参与方").select_option(label="菜园市场")
    form.get_by_label("代表姓名").fill("菜园市场 孙会计")
    form.get_by_label("电话（选填）").fill("138 0000 0001")
    form.get_by_role("button", name="添加并生成邀请条").click()
    expect(form.locator(".msg-ok")).to_contain_text("已添加 菜园市场 孙会计")
    slip = page.locator("#rep-slip-sheet .slip")
    expect(slip).to_have_count(1)
    expect(slip).to_contain_text("菜园市场 孙会计")
    code = slip.locator(".code").inner_text().strip()
    # and that slip signs a phone in as the market's representative, straight to its workspace
    phone = new_page(PHONE)
    phone.goto(f"/i/{code}")
    phone.wait_for_url("**/party")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("菜园市场")


def test_a_bad_phone_number_is_refused_beside_nothing_made(new_page, site):
    page = new_page(DESKTOP)
    sign_in(page, ORGANIZER, "/console")
    form = page.locator("#representative-form")
    form.get_by_label("参与方").select_option(label="菜园市场")
    form.get_by_label("代表姓名").fill("菜园市场 周会计")
    form.get_by_label("电话（选填）").fill("打电话给我")
    form.get_by_role("button", name="添加并生成邀请条").click()
    expect(form.get_by_role("alert")).to_contain_text("电话号码")
    expect(page.locator("#rep-slip-sheet .slip")).to_have_count(0)


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_rep_signs_their_share_in_one_deliberate_step(new_page, site, size):
    # given a consultation in VOTING whose tabled plan splits 240,000 yuan three ways, and a
    # representative of the street office who signs in with their slip typed on the start page
    case = site.consultation(f"街道分担确认{size['width']}", stage="VOTING", households=1)
    code = rep_slip(site, "解放街道办事处", f"解放街道 赵科员{size['width']}")
    page = new_page(size)
    page.goto("/")
    page.get_by_label("邀请码").fill(code)
    page.get_by_role("button", name="进入").click()
    page.wait_for_url("**/party")
    card = page.locator(f"[data-consultation='{case['id']}']")
    expect(card.get_by_role("heading", level=2)).to_contain_text(f"街道分担确认{size['width']}")
    # then the party's own share stands out, with the method in words
    expect(card.locator(".own-share")).to_contain_text("80,000 元")
    expect(card.locator(".legend li.mine")).to_contain_text("解放街道办事处（本方）")
    assert no_stray_words(page) == []
    assert axe_violations(page) == []
    if size == PHONE:
        screenshot(card, "party-workspace.png")
    # when the rep asks to confirm, the page names the amount and the party before anything is written
    card.get_by_role("button", name="确认本方分担（签协议）").click()
    warning = card.get_by_role("alert")
    expect(warning).to_contain_text("解放街道办事处")
    expect(warning).to_contain_text("80,000 元")
    card.get_by_role("button", name="取消").click()
    expect(card.get_by_role("alert")).to_have_count(0)
    card.get_by_role("button", name="确认本方分担（签协议）").click()
    card.get_by_role("button", name="确认分担 80,000 元").click()
    # then it is confirmed by the rep, not on the party's behalf, and no other party's share can be signed here
    expect(card.locator(".msg-ok")).to_contain_text("已确认")
    expect(card.locator(".msg-ok")).not_to_contain_text("代为确认")
    expect(card.get_by_role("button", name="确认本方分担（签协议）")).to_have_count(0)
    assert page.errors == []


def phone_photo(tmp_path, name: str = "现场.jpg", receipt: bool = False) -> str:
    """A JPEG as a phone makes it, with its GPS position in the EXIF: the works, or a bank receipt."""
    image = Image.new("RGB", (640, 480), (150, 190, 230) if not receipt else (90, 70, 50))
    draw = ImageDraw.Draw(image)
    if receipt:  # a transfer slip on a desk, with its lines and the bank's red seal
        draw.rectangle((120, 40, 520, 440), fill=(250, 250, 245))
        for y in range(90, 400, 40):
            draw.rectangle((150, y, 490 - (y % 3) * 40, y + 10), fill=(150, 150, 150))
        draw.ellipse((360, 300, 480, 420), outline=(210, 30, 30), width=8)
    else:  # the lane, the ditch beside it and its new railing
        draw.rectangle((0, 260, 640, 480), fill=(120, 120, 115))
        draw.polygon([(0, 480), (260, 300), (380, 300), (640, 480)], fill=(70, 90, 110))
        for x in range(40, 640, 90):
            draw.rectangle((x, 250, x + 8, 330), fill=(200, 40, 40))
        draw.rectangle((30, 250, 620, 262), fill=(230, 200, 40))
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (40.0, 46.0, 1.0)}
    path = tmp_path / name
    image.save(path, "JPEG", exif=exif)
    return str(path)


def test_a_rep_reports_a_fix_and_progress_on_the_works_their_party_answers_for(new_page, site, tmp_path):
    # given the demo's works in progress, where the local units answer for the pipes and an open
    # funding finding, and a new representative of the units signed in with their slip
    code = rep_slip(site, "菜园巷辖区单位", "辖区单位 钱干事")
    page = new_page(PHONE)
    page.goto(f"/i/{code}")
    page.wait_for_url("**/party")
    first = page.locator(".case:has(form.fix):has(form.progress-report)").first
    first.wait_for()
    card = page.locator(f".case[data-consultation='{first.get_attribute('data-consultation')}']")
    # when the rep reports the fix of the finding, with what was done
    finding = card.locator("li.finding", has=page.locator("form.fix")).first
    described = finding.locator("p").nth(1).inner_text()
    fix = finding.locator("form.fix")
    fix.get_by_role("button", name="报告整改完成").click()
    expect(fix.get_by_label("整改情况")).to_have_attribute("aria-invalid", "true")
    fix.get_by_label("整改情况").fill("余款已于今日转账")
    # with a photo of the bank slip, uploaded at once with its progress shown
    fix.get_by_label("整改照片（可选）").set_input_files(phone_photo(tmp_path, "转账回单.jpg", receipt=True))
    expect(fix.locator(".photo-pick")).to_contain_text("已上传")
    assert no_stray_words(page) == []
    assert axe_violations(page) == []
    fix.get_by_role("button", name="报告整改完成").click()
    # then it waits for the CPPCC member's check, with the photo, and the form is gone
    done = card.locator("li.finding", has_text=described)
    expect(done).to_contain_text("整改情况：余款已于今日转账")
    expect(done.locator("form.fix")).to_have_count(0)
    shown = done.get_by_role("img", name="整改照片 1（点开看原图）")
    expect(shown).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=shown.element_handle())
    screenshot(done, "party-fix-photo.png")
    # and when the rep reports the progress of a milestone, the page shows it, live from the server
    report = card.locator("form.progress-report").first
    report.get_by_label("完成百分比").fill("60")
    report.get_by_label("情况说明").fill("管网铺设过半")
    report.get_by_label("现场照片（可选）").set_input_files(phone_photo(tmp_path, "管网.jpg"))
    expect(report.locator(".photo-pick")).to_contain_text("已上传")
    report.get_by_role("button", name="报告进度").click()
    expect(card.get_by_text("现在 60%").first).to_be_visible()
    assert no_stray_words(page) == []
    assert axe_violations(page) == []
    assert page.errors == []


def test_someone_who_is_not_a_party_is_told_how_to_get_in(new_page):
    page = new_page(PHONE)
    page.goto("/party")
    expect(page.get_by_role("heading", level=1)).to_contain_text("参与方工作台")
    expect(page.locator("main")).to_contain_text("邀请码")
    assert no_stray_words(page) == []


def test_a_new_party_and_its_representative_are_added_in_one_step(new_page, site):
    page = new_page(DESKTOP)
    sign_in(page, ORGANIZER, "/console")
    form = page.locator("#party-form")
    form.get_by_label("名称").fill("五川村养殖场")
    form.get_by_label("类别").select_option(label="企业")
    form.get_by_label("代表姓名").fill("五川村养殖场 马场长")
    form.get_by_label("代表电话").fill("坏号码")
    form.get_by_role("button", name="添加参与方").click()
    # a wrong phone is said beside its field, and nothing is added
    expect(form.get_by_label("代表电话")).to_have_attribute("aria-invalid", "true")
    assert "五川村养殖场" not in site.parties()
    form.get_by_label("代表电话").fill("139 0000 0002")
    form.get_by_role("button", name="添加参与方").click()
    expect(form.locator(".msg-ok")).to_contain_text("代表 五川村养殖场 马场长")
    expect(page.locator("#party-slip-sheet .slip")).to_contain_text("五川村养殖场 马场长")
    assert "五川村养殖场" in site.parties()
    assert no_stray_words(page) == []
    assert page.errors == []


def test_a_consultation_is_created_with_its_convener_in_the_same_form(new_page, site):
    page = new_page(DESKTOP)
    sign_in(page, ORGANIZER, "/console")
    form = page.locator("#create-form")
    form.get_by_label("标题").fill("五川村排水沟")
    form.get_by_label("简要说明").fill("排水沟堵塞，雨天积水。")
    form.get_by_label("地点").fill("五川村")
    form.get_by_label("召集的政协委员").select_option(label="区政协委员 李委员（政协委员）")
    form.get_by_role("button", name="建立协商").click()
    page.wait_for_url("**/console/*")
    cid = page.url.rsplit("/", 1)[1]
    data = site.gql(
        "query($id: ID!) { consultation(id: $id) { convener { shownName } } }",
        {"id": cid},
        site.token(ORGANIZER),
    )
    assert data["consultation"]["convener"]["shownName"] == "区政协委员 李委员（政协委员）"


def test_a_rep_is_refused_another_partys_share_and_finding(new_page, site, tmp_path):
    # given a consultation in VOTING whose plan splits the cost among three parties, and the
    # market's representative signed in with their slip
    case = site.consultation("他方分担不可代签", stage="VOTING", households=1)
    code = rep_slip(site, "菜园市场", "菜园市场 吴店主")
    shares = site.gql(
        "query($id: ID!) { consultation(id: $id) { proposals { costPlan { shares { id party { name } } } } } }",
        {"id": case["id"]},
        site.token(ORGANIZER),
    )["consultation"]["proposals"][0]["costPlan"]["shares"]
    street_share = next(s["id"] for s in shares if s["party"]["name"] == "解放街道办事处")
    page = new_page(PHONE)
    page.goto(f"/i/{code}")
    page.wait_for_url("**/party")
    card = page.locator(f"[data-consultation='{case['id']}']")
    expect(card.locator(".own-share")).to_contain_text("80,000 元")
    # then the page offers to confirm the market's own share only
    expect(card.get_by_role("button", name="确认本方分担（签协议）")).to_have_count(1)
    # and the server refuses the street office's share even when the rep's browser asks directly
    answer = page.evaluate(
        """async (id) => {
            const r = await fetch("/graphql", { method: "POST", headers: { "Content-Type": "application/json" },
              body: JSON.stringify({ query: "mutation($i: ConfirmShareInput!) { confirmShare(input: $i) "
                + "{ share { id } errors { field code message } } }", variables: { i: { shareId: id } } }) });
            return (await r.json()).data.confirmShare;
        }""",
        street_share,
    )
    assert answer["share"] is None and [e["code"] for e in answer["errors"]] == ["FORBIDDEN"]
    assert "没有权限" in answer["errors"][0]["message"]
    # and a finding another party answers for (in the demo's works) cannot be reported fixed by the market
    demo = site.gql(
        "{ consultations(first: 20, stage: IMPLEMENTING) "
        "{ edges { node { id findings { id status responsibleParty { name } } } } } }"
    )
    others = [
        f["id"]
        for e in demo["consultations"]["edges"]
        for f in e["node"]["findings"]
        if f["responsibleParty"]["name"] != "菜园市场"
    ]
    assert others, "the demo's works have a finding another party answers for"
    refused = page.evaluate(
        """async (id) => {
            const r = await fetch("/graphql", { method: "POST", headers: { "Content-Type": "application/json" },
              body: JSON.stringify({ query: "mutation($i: UpdateFindingInput!) { updateFinding(input: $i) "
                + "{ finding { id } errors { code } } }",
                variables: { i: { findingId: id, status: "RESOLVED", resolution: "不是我方的" } } }) });
            return (await r.json()).data.updateFinding;
        }""",
        others[0],
    )
    assert refused == {"finding": None, "errors": [{"code": "FORBIDDEN"}]}
    assert page.errors == []
