"""协商成效 (/overview) in a real browser, on a site holding only the demo: the figures the API
gives, the charts, the filters, the exports and the printable monthly report.

Tests ask for the site before `new_page`: on PostgreSQL the site's database is created with
asyncio.run, which must happen before Playwright's sync API starts its own event loop.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.browser.conftest import ADMIN, CPPCC, DESKTOP, axe_violations, no_stray_words, screenshot, sign_in

TOTAL = """query($from: Date, $to: Date) { overview(from: $from, to: $to) {
  total { consultations resolutionRate demandsReceived demandsResolved satisfactionRate ratings }
  communities { name } errors { code } } }"""


def this_month() -> tuple[str, str, str]:
    """The first and last Beijing day of this month, and the month as YYYY-MM."""
    now = datetime.now(UTC) + timedelta(hours=8)
    first = now.date().replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first.isoformat(), (following - timedelta(days=1)).isoformat(), first.isoformat()[:7]


def test_the_overview_shows_the_figures_and_the_charts(demo_only_site, new_page):
    site = demo_only_site
    start, end, _ = this_month()
    data = site.gql(TOTAL, {}, site.token(CPPCC))["overview"]
    assert data["errors"] == []
    total = data["total"]
    assert total["consultations"] >= 3
    page = new_page(DESKTOP, on=site)
    # given a CPPCC member signed in, when they open the overview (for all time, at first)
    sign_in(page, CPPCC, "/overview")
    # then the resolution rate comes first, as the API counts it
    rate = page.locator("#figure-rate")
    expect(rate).to_contain_text("诉求解决率")
    shown = f"{total['resolutionRate']}%" if total["resolutionRate"] is not None else "—"
    expect(rate.locator(".big-value")).to_have_text(shown)
    expect(rate).to_contain_text(f"受理 {total['demandsReceived']} 件，解决 {total['demandsResolved']} 件")
    # and the stages and the satisfaction are drawn, with words for those who cannot see them
    expect(page.locator("#chart-stages svg")).to_be_visible()
    first = data["communities"][0]["name"]
    assert first in (page.locator("#chart-stages svg").get_attribute("aria-label") or "")
    if total["ratings"]:
        expect(page.locator("#chart-satisfaction svg")).to_be_visible()
    expect(page.locator("#chart-money")).to_be_visible()
    # and the table has a row per community and the total
    table = page.locator("#overview-table")
    for community in data["communities"]:
        expect(table.get_by_role("rowheader", name=community["name"], exact=True)).to_be_visible()
    total_row = table.locator("tr.total")
    expect(total_row).to_contain_text("合计")
    expect(total_row.locator("td").nth(1)).to_have_text(str(total["consultations"]))
    assert page.errors == []
    assert no_stray_words(page) == []
    assert axe_violations(page) == []
    # when they narrow to this month
    month = site.gql(TOTAL, {"from": start, "to": end}, site.token(CPPCC))["overview"]["total"]
    page.get_by_label("统计期间").select_option(label="本月")
    # then only this month's consultations are counted
    expect(total_row.locator("td").nth(1)).to_have_text(str(month["consultations"]))
    shown = f"{month['resolutionRate']}%" if month["resolutionRate"] is not None else "—"
    expect(rate.locator(".big-value")).to_have_text(shown)
    assert "period=month" in page.url


def test_the_demos_admin_sees_the_whole_district(demo_only_site, new_page):
    site = demo_only_site
    data = site.gql(TOTAL, {}, site.token(ADMIN))["overview"]
    page = new_page(DESKTOP, on=site)
    # given the demo's admin signed in, when they open the overview
    sign_in(page, ADMIN, "/overview")
    # then every community of the district has its row, the total comes last, and the charts are drawn
    table = page.locator("#overview-table")
    for community in data["communities"]:
        expect(table.get_by_role("rowheader", name=community["name"], exact=True)).to_be_visible()
    expect(table.locator("tr.total td").nth(1)).to_have_text(str(data["total"]["consultations"]))
    expect(page.locator("#chart-stages svg")).to_be_visible()
    expect(page.locator("#chart-money")).to_be_visible()
    assert page.errors == []
    screenshot(page, "overview.png")


def test_the_exports_and_the_monthly_report_are_linked(demo_only_site, new_page):
    site = demo_only_site
    _, _, month = this_month()
    page = new_page(DESKTOP, on=site)
    sign_in(page, CPPCC, "/overview?period=month")
    expect(page.locator("#export-csv")).to_have_attribute("href", f"/overview.csv?from={month}-01&to={this_month()[1]}")
    with page.expect_download() as download:
        page.locator("#export-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    # when they open the month's printable report
    page.locator("#report-link").click()
    page.wait_for_url(f"**/overview/report?month={month}")
    # then it names the month, shows the figures per community, and draws the charts
    year, number = month.split("-")
    expect(page.locator("h1")).to_have_text("协商成效月报")
    expect(page.locator("body")).to_contain_text(f"{int(year)}年{int(number)}月")
    for community in site.gql(TOTAL, {}, site.token(CPPCC))["overview"]["communities"]:
        expect(page.locator("table").first).to_contain_text(community["name"])
    assert page.locator("svg").count() >= 2


def test_the_board_links_to_the_overview(demo_only_site, new_page):
    page = new_page(DESKTOP, on=demo_only_site)
    sign_in(page, CPPCC, "/board")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="协商成效").click()
    page.wait_for_url("**/overview")
    expect(page.locator("h1")).to_have_text("协商成效")
