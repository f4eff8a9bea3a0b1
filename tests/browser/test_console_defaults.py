"""The organizer console's defaults that save work: the poll form starts on the proposal under
discussion, and the roll preview points out households with no area instead of counting them as 1.

Tests ask for `site` before `new_page`: on PostgreSQL the site's database is created with
asyncio.run, which must happen before Playwright's sync API starts its own event loop.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, ORGANIZER, PHONE, axe_violations, no_stray_words, sign_in


def console(new_page, case: dict, size: dict = DESKTOP):
    """An organizer's page on the console of `case`, loaded, with every confirm() accepted."""
    page = new_page(size)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, ORGANIZER, f"/console/{case['id']}")
    expect(page.locator("#stage-form .stage-now")).to_contain_text("现在是")
    return page


def proposal(site, case: dict, title: str, tabled: bool = True) -> str:
    pid = site.ok(
        "createProposal",
        {"consultationId": case["id"], "title": title, "body": "更换地下管网，路面硬化。", "budget": "36000"},
        "proposal { id }",
    )["proposal"]["id"]
    if tabled:
        site.ok("updateProposal", {"proposalId": pid, "status": "TABLED"}, "proposal { id }")
    return pid


def test_a_new_poll_starts_on_the_proposal_under_discussion_and_keeps_the_organizers_choice(site, new_page):
    case = site.consultation("幸福里停车位（默认方案）", stage="DELIBERATING")
    proposal(site, case, "停车位草稿方案", tabled=False)
    first = proposal(site, case, "停车位甲方案")
    page = console(new_page, case)
    page.get_by_text("＋ 设立表决").click()
    form = page.locator("#poll-form")
    chosen = form.get_by_label("表决的方案")

    # The only tabled proposal, not the draft.
    expect(chosen).to_have_value(first)
    # Another proposal is tabled while the form is open: the most recent one is now preselected.
    second = proposal(site, case, "停车位乙方案")
    expect(chosen.locator("option")).to_have_count(4)
    expect(chosen).to_have_value(second)
    # An adopted proposal comes before any tabled one.
    site.ok("adoptProposal", {"proposalId": first}, "proposal { status }")
    expect(chosen).to_have_value(first)

    # The organizer's own pick stays through live updates.
    chosen.select_option(label="停车位乙方案")
    proposal(site, case, "停车位丙方案")
    expect(chosen.locator("option")).to_have_count(5)
    expect(chosen).to_have_value(second)

    form.get_by_label("表决的问题").fill("是否同意《停车位乙方案》？")
    form.get_by_role("button", name="设立表决").click()
    expect(form.locator(".form-msg")).to_contain_text("已设立表决")
    polls = site.gql(
        "query($id: ID!) { consultation(id: $id) { polls { question options { proposal { id } } } } }",
        {"id": case["id"]},
        site.token(ORGANIZER),
    )["consultation"]["polls"]
    assert [p["question"] for p in polls] == ["是否同意《停车位乙方案》？"]
    assert [o["proposal"]["id"] for o in polls[0]["options"] if o["proposal"]] == [second]
    # The next poll starts again on the proposal under discussion.
    expect(chosen).to_have_value(first)
    assert no_stray_words(page) == []
    assert axe_violations(page) == []
    assert page.errors == []


@pytest.mark.parametrize(
    ("proposals", "adopted", "expected"),
    [
        ([], None, ""),
        ([("a", "DRAFT", "2025-03-01T08:00:00+08:00")], None, ""),
        (
            [("a", "TABLED", "2025-03-01T08:00:00+08:00"), ("b", "DRAFT", "2025-03-02T08:00:00+08:00")],
            None,
            "a",
        ),
        (
            [("a", "TABLED", "2025-03-02T08:00:00+08:00"), ("b", "TABLED", "2025-03-01T08:00:00+08:00")],
            None,
            "a",
        ),
        (
            [("a", "TABLED", "2025-03-02T08:00:00+08:00"), ("b", "ADOPTED", "2025-03-01T08:00:00+08:00")],
            "b",
            "b",
        ),
    ],
)
def test_the_proposal_under_discussion_is_the_adopted_else_the_latest_tabled(
    site, new_page, proposals, adopted, expected
):
    page = new_page(DESKTOP)
    page.goto("/console")
    c = {
        "proposals": [{"id": i, "status": s, "createdAt": at} for i, s, at in proposals],
        "adoptedProposal": {"id": adopted} if adopted else None,
    }
    found = page.evaluate(
        "async (c) => (await import('/assets/console-polls.js')).proposalUnderDiscussion(c)",
        c,
    )
    assert found == expected


def test_roll_rows_without_an_area_are_flagged_in_the_preview(site, new_page):
    case = site.consultation("幸福里名册（缺面积）", stage="COLLECTING")
    page = console(new_page, case, PHONE)
    page.get_by_label("粘贴名册（每行一户：户名或门牌，面积）").fill(
        "户,面积\n幸福里 1 号,80\n幸福里 2 号\n幸福里 3 号,90\n幸福里 4 号,70\n"
        "幸福里 5 号,60\n幸福里 6 号,50\n幸福里 7 号,\n"
    )
    preview = page.locator(".roll-preview")
    expect(preview).to_contain_text("读到 7 户")
    # The total counts only the areas given, and says so.
    expect(preview.locator(".roll-count")).to_contain_text("总面积 350 平方米（不含没有填面积的 2 户）")
    warning = preview.get_by_role("status")
    expect(warning).to_contain_text("2 户没有填面积（第 3、8 行）")
    expect(warning).to_contain_text("请补上")
    # Both rows are in the table and marked, the one past the first five too.
    expect(preview.locator("tbody tr")).to_have_count(6)
    flagged = preview.locator("tbody tr.roll-no-area")
    expect(flagged).to_have_count(2)
    expect(flagged.nth(0)).to_contain_text("幸福里 2 号")
    expect(flagged.nth(1)).to_contain_text("幸福里 7 号")
    for i in range(2):
        expect(flagged.nth(i).get_by_text("未填面积")).to_be_visible()
    expect(preview.locator("tbody tr:not(.roll-no-area)", has_text="未填面积")).to_have_count(0)
    assert "按 1 计" not in preview.inner_text()
    assert no_stray_words(page) == []
    assert axe_violations(page) == []

    # Saved as it is, the page says what the server does with a missing area: it counts 1 m².
    page.get_by_role("button", name="保存名册").click()
    saved = page.locator("#roll-form .form-msg")
    expect(saved).to_contain_text("已保存名册，共 7 户。其中 2 户没有填面积，按 1 平方米计")
    roll = site.gql(
        "query($id: ID!) { consultation(id: $id) { voterRoll { label weight } } }",
        {"id": case["id"]},
        site.token(ORGANIZER),
    )["consultation"]["voterRoll"]
    assert {e["label"]: e["weight"] for e in roll}["幸福里 2 号"] == "1"
    assert {e["label"]: e["weight"] for e in roll}["幸福里 7 号"] == "1"
    assert page.errors == []
