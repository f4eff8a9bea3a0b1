"""The console's roll (居民名册) a page of 50 at a time, with a search box, in a real browser.

Tests ask for `site` before `new_page` (see test_console.py).
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, ORGANIZER, sign_in

# 120 households: 4 buildings of 5 staircases, 6 flats each.
LABELS = [f"{b}号楼{s}单元{f}01" for b in range(1, 5) for s in range(1, 6) for f in range(1, 7)]


def test_the_roll_pages_fifty_at_a_time_and_finds_a_household(site, new_page):
    # given a consultation whose roll has 120 households
    case = site.consultation("幸福里名册分页", stage="COLLECTING")
    site.ok("setVoterRoll", {"consultationId": case["id"], "voters": [{"label": x} for x in LABELS]}, "entries { id }")
    page = new_page(DESKTOP)
    sign_in(page, ORGANIZER, f"/console/{case['id']}")
    status, rows = page.locator("#roll-page-status"), page.locator("#roll-list > li")
    # when the organizer opens the roll, then they see the first 50 of 120, not all of them
    expect(page.locator("#roll-count")).to_contain_text("120 户")
    expect(status).to_have_text("第 1–50 条，共 120 条")
    expect(rows).to_have_count(50)
    expect(rows.first).to_contain_text(LABELS[0])
    expect(page.locator("#roll-prev")).to_be_disabled()
    # when they page forward twice, then the last page holds the last 20
    page.locator("#roll-next").click()
    expect(status).to_have_text("第 51–100 条，共 120 条")
    expect(rows.first).to_contain_text(LABELS[50])
    page.locator("#roll-next").click()
    expect(status).to_have_text("第 101–120 条，共 120 条")
    expect(rows).to_have_count(20)
    expect(page.locator("#roll-next")).to_be_disabled()
    # and back again
    page.get_by_role("button", name="上一页").click()
    expect(status).to_have_text("第 51–100 条，共 120 条")
    expect(rows.last).to_contain_text(LABELS[99])
    # when they search by fragments of the address, then only that household is listed
    page.get_by_label("查找住户（门牌里的字或数字）").fill("3号楼 2单元 501")
    expect(status).to_have_text("第 1–1 条，共 1 条（查找“3号楼 2单元 501”）")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("3号楼2单元501")
    # and a staircase lists its 24 flats, and a search that finds nothing says so
    page.get_by_label("查找住户（门牌里的字或数字）").fill("4单元")
    expect(status).to_have_text("第 1–24 条，共 24 条（查找“4单元”）")
    page.get_by_label("查找住户（门牌里的字或数字）").fill("9号楼")
    expect(status).to_have_text("没有找到含“9号楼”的户。")
    expect(rows).to_have_count(0)


def test_the_console_never_asks_for_the_whole_roll(site, new_page):
    # given a consultation voting on a poll, whose roll has 120 households of 50 m² each
    case = site.consultation("幸福里整册不读", stage="DELIBERATING")
    voters = [{"label": x, "weight": "50"} for x in LABELS]
    site.ok("setVoterRoll", {"consultationId": case["id"], "voters": voters}, "entries { id }")
    pid = site.ok(
        "createPoll",
        {"consultationId": case["id"], "question": "是否同意加装电梯？", "kind": "YES_NO_ABSTAIN"},
        "poll { id }",
    )["poll"]["id"]
    site.ok("advanceStage", {"consultationId": case["id"], "to": "VOTING"}, "consultation { stage }")
    site.ok("openPoll", {"pollId": pid}, "poll { status }")
    page = new_page(DESKTOP)
    bodies: list[str] = []
    page.on("request", lambda request: bodies.append(request.post_data or "") if "/graphql" in request.url else None)
    # when the organizer opens it on the console
    sign_in(page, ORGANIZER, f"/console/{case['id']}")
    # then the roll's size is shown, counted by the server
    expect(page.locator("#roll-count")).to_contain_text("120 户，总面积 6000 平方米，已有 0 户用邀请码进入")
    expect(page.locator("#roll-page-status")).to_have_text("第 1–50 条，共 120 条")
    # and the paper-ballot form lists the first 100 households and finds the others by search
    ballot = page.locator("form.offline-ballot")
    expect(ballot).to_contain_text("共 120 户，这里列出前 100 户")
    voter = ballot.get_by_label("哪一户")
    expect(voter.locator("option")).to_have_count(101)  # and the "请选择" line
    ballot.get_by_label("按户名查找").fill("4号楼 5单元 601")
    expect(voter.locator("option")).to_have_count(2)
    voter.select_option(label="4号楼5单元601")
    expect(ballot).not_to_contain_text("这里列出前")
    # and no request asked for the whole roll
    assert bodies and any("rollSummary" in b for b in bodies)
    assert not [b for b in bodies if "voterRoll" in b]
    assert page.errors == []
