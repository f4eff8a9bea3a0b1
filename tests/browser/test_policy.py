"""The pages under their real Content-Security-Policy: nothing they need is refused, and nothing errs.

The other browser tests bypass the policy so that axe-core can be injected; these do not.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import CPPCC, DESKTOP, ORGANIZER, PHONE


@pytest.fixture
def strict_page(browser, site):
    contexts = []

    def make(size: dict):
        context = browser.new_context(viewport=size, locale="zh-CN", timezone_id="Asia/Shanghai", base_url=site.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("pageerror", lambda error: page.problems.append(f"error: {error}"))
        page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
        return page

    yield make
    for context in contexts:
        context.close()


def login(page, who) -> None:
    page.goto("/login?next=/")
    page.get_by_label("用户名").fill(who[0])
    page.get_by_label("密码").fill(who[1])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)


def demo_id(site, stage: str) -> str:
    data = site.gql(
        'query($s: Stage) { consultations(stage: $s, search: "菜园巷道路改造") { edges { node { id } } } }',
        {"s": stage},
    )
    return data["consultations"]["edges"][0]["node"]["id"]


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_page_runs_under_its_policy_without_errors(strict_page, site, size):
    evaluating, archived = demo_id(site, "EVALUATING"), demo_id(site, "ARCHIVED")
    case = site.consultation(f"策略检查 {size['width']}", stage="VOTING", households=1)

    resident = strict_page(size)
    resident.goto(f"/i/{site.demo_codes[40 + size['width'] % 7]}")
    resident.get_by_role("heading", name="满意度评价").wait_for()
    resident.goto(f"/i/{case['codes'][0]}")
    resident.get_by_role("button", name="确认投票").or_(
        resident.get_by_role("button", name="大字模式")
    ).first.wait_for()
    resident.wait_for_function("() => document.documentElement.dataset.live === 'on'")  # the WebSocket is allowed
    resident.goto(f"/c/{archived}")
    resident.get_by_role("link", name="查看可打印的档案").wait_for()
    resident.goto("/")
    resident.get_by_label("邀请码").wait_for()
    assert resident.problems == []

    organizer = strict_page(size)
    login(organizer, ORGANIZER)
    for path in ["/console", f"/console/{evaluating}", f"/console/{case['id']}"]:
        organizer.goto(path)
        organizer.wait_for_load_state("networkidle")
    assert organizer.problems == []

    member = strict_page(size)
    login(member, CPPCC)
    member.goto("/board")
    member.get_by_role("heading", name="政协委员监督看板").wait_for()
    member.wait_for_load_state("networkidle")
    assert member.problems == []
