"""The start page and staff sign-in, in a real browser."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DESKTOP, ORGANIZER, PHONE, axe_violations, no_stray_words, screenshot, sign_in


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_start_page_lists_consultations_and_passes_axe(demo_only_site, new_page, size):
    page = new_page(size)
    page.goto(f"{demo_only_site.url}/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.get_by_role("link", name="菜园巷道路改造", exact=True).wait_for()
    assert no_stray_words(page) == []
    assert axe_violations(page) == []
    assert page.errors == []
    if size == PHONE:
        screenshot(page, "start-page.png")


def test_a_wrong_code_says_so_in_chinese_and_signs_nobody_in(new_page):
    page = new_page()
    page.goto("/")
    page.get_by_label("邀请码").fill("AAAA-BBBB-CCCC")
    page.get_by_role("button", name="进入").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "邀请码" in alert.inner_text()
    assert page.url.endswith("/")
    assert page.context.cookies() == []


def test_an_organizer_signs_in_and_lands_where_asked_but_never_off_site(new_page, site):
    page = new_page(DESKTOP)
    sign_in(page, ORGANIZER, "/console")
    assert page.url == f"{site.url}/console"
    for trick in [
        "//example.com/x",
        "/%09/example.com/x",
        "/%5Cexample.com",
        "javascript:alert(1)",
        "http://example.com/",
    ]:
        page.goto(f"/login?next={trick}")
        page.get_by_text("您已登录为").wait_for()
        assert page.get_by_role("link", name="继续").get_attribute("href") == "/console", trick


def test_a_wrong_password_is_refused_with_a_message(new_page):
    page = new_page()
    page.goto("/login")
    page.get_by_label("用户名").fill("organizer")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("alert").wait_for()
    assert page.url.endswith("/login")


def test_a_code_typed_by_hand_in_lower_case_without_dashes_opens_the_consultation(new_page, site):
    case = site.consultation("手输邀请码", stage="VOTING", households=1)
    page = new_page(PHONE)
    page.goto("/")
    page.get_by_label("邀请码").fill(case["codes"][0].replace("-", "").lower())
    page.get_by_role("button", name="进入").click()
    page.wait_for_url(f"**/c/{case['id']}")
    page.get_by_role("heading", name="手输邀请码").wait_for()
    page.get_by_role("button", name=re.compile("^赞成")).wait_for()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_sign_in_page_passes_axe(new_page, size):
    page = new_page(size)
    page.goto("/login")
    page.get_by_label("用户名").wait_for()
    # the review saw a stray "null" on this page at every width
    assert no_stray_words(page) == []
    assert axe_violations(page) == []


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_rep_replaces_the_password_the_office_gave_them(new_page, site, size):
    # given a rep account an organizer made for the market, with a password the organizer chose
    username = f"market-cashier-{size['width']}"
    market = next(pid for name, pid in site.parties().items() if "市场" in name)
    office_password = f"{username}-from-the-office"
    site.ok(
        "createAccount",
        {
            "username": username,
            "password": office_password,
            "displayName": f"菜园市场 出纳{size['width']}",
            "roles": ["PARTY_REP"],
            "partyId": market,
        },
        "account { id }",
    )
    page = new_page(size)
    # when the rep signs in, the sign-in page tells them their password is the office's
    sign_in(page, (username, office_password), "/")
    assert no_stray_words(page) == []
    page.get_by_role("link", name="改成只有您知道的密码").click()
    page.wait_for_url("**/login#password")
    card = page.locator("#password")
    card.wait_for()
    assert no_stray_words(page) == []
    expect_text = card.get_by_role("note").inner_text()
    assert "工作人员" in expect_text and "代为确认" in expect_text
    assert axe_violations(page) == []
    if size == PHONE:
        screenshot(page, "change-password.png")
    # and a weak new password is refused beside its field, in Chinese, with nothing changed
    card.get_by_label("当前密码").fill(office_password)
    card.get_by_label("新密码").fill("12345678")
    card.get_by_role("button", name="保存新密码").click()
    card.get_by_role("alert").wait_for()
    assert "密码" in card.get_by_role("alert").inner_text()
    assert card.get_by_label("新密码").get_attribute("aria-invalid") == "true"
    # when they choose one only they know
    card.get_by_label("当前密码").fill(office_password)
    card.get_by_label("新密码").fill("出纳的密码-只有我知道-Vk3m")
    card.get_by_role("button", name="保存新密码").click()
    card.get_by_text("新密码已保存").wait_for()
    # then the warning is gone, and the office's password no longer signs in
    assert card.get_by_role("note").count() == 0
    refused = site.gql(
        "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { token } }",
        {"u": username, "p": office_password},
    )
    assert refused["login"]["token"] is None
    assert page.errors == []
