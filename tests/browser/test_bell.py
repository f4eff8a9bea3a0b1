"""The bell on the organizer's console: its count goes up live when the scheduler raises a
reminder, and opening it lists the reminder with a link to its consultation.

The site here is served with its scheduler sweeping every second (CONSULT_REMINDER_SECONDS), so
the reminder is raised by the server itself, as in production, a moment after its deadline nears.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, ORGANIZER, Site, screenshot, sign_in
from tests.cli.test_cli import DEMO_ENV, load_demo, served


@pytest.fixture(scope="module")
def reminding_site(site, tmp_path_factory, scratch_databases):
    env = {
        **DEMO_ENV,
        "CONSULT_DATABASE_URL": scratch_databases.copy("demo", load_demo),
        "CONSULT_REMINDER_SECONDS": "1",
    }
    with served(env, tmp_path_factory.mktemp("reminding")) as port:
        yield Site(port)


def poll_closing_soon(site: Site) -> dict:
    """A consultation voting on a poll that closes in ten hours."""
    case = site.consultation("巷口路灯（提醒）", stage="DELIBERATING")
    site.ok(
        "setVoterRoll",
        {"consultationId": case["id"], "voters": [{"label": "1 号"}, {"label": "2 号"}]},
        "entries { id }",
    )
    closes = (datetime.now(UTC) + timedelta(hours=10)).isoformat()
    pid = site.ok(
        "createPoll",
        {"consultationId": case["id"], "question": "是否同意加装路灯？", "kind": "YES_NO_ABSTAIN", "closesAt": closes},
        "poll { id }",
    )["poll"]["id"]
    site.ok("advanceStage", {"consultationId": case["id"], "to": "VOTING"}, "consultation { stage }")
    site.ok("openPoll", {"pollId": pid}, "poll { status }")
    return case


def test_the_bell_counts_a_new_reminder_live_and_lists_it(reminding_site, new_page):
    site = reminding_site
    page = new_page(DESKTOP, on=site)
    sign_in(page, ORGANIZER, "/console")
    bell = page.locator("#bell")
    expect(bell).to_be_visible()
    before = site.gql("{ unreadNotices }", token=site.token(ORGANIZER))["unreadNotices"]
    expect(bell.locator(".bell-count")).to_have_text(str(before))

    # when a poll comes within a day of closing, the scheduler raises a reminder
    case = poll_closing_soon(site)

    # then the count goes up without reloading, and the list shows it with its turnout
    expect(bell.locator(".bell-count")).to_have_text(str(before + 1))
    bell.click()
    panel = page.locator("#bell-panel")
    item = panel.locator("li", has_text="投票 24 小时内截止")
    expect(item).to_contain_text("已投 0 户，共 2 户")
    expect(item).to_contain_text("投票快截止")
    expect(item.get_by_role("link", name="巷口路灯（提醒）")).to_have_attribute("href", f"/console/{case['id']}")
    screenshot(page, "bell.png", full_page=False)
    # marking them all read brings the count to nothing
    panel.get_by_role("button", name="全部标为已读").click()
    expect(bell.locator(".bell-count")).to_have_text("0")
    assert page.errors == []


def test_the_bell_rings_on_the_overview_and_the_board_too(reminding_site, new_page):
    site = reminding_site
    page = new_page(DESKTOP, on=site)
    sign_in(page, ORGANIZER, "/overview")
    unread = site.gql("{ unreadNotices }", token=site.token(ORGANIZER))["unreadNotices"]
    for path in ("/overview", "/board"):
        page.goto(path)
        expect(page.locator("#bell .bell-count")).to_have_text(str(unread))
    assert page.errors == []
