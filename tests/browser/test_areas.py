"""A district in the console: a community's organizer sees and creates only their community's
consultations, and an admin says where a staff account works.

These tests change where accounts act, so they run on a site of their own (the demo, with a
second community added), not the one the other browser tests share.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN, DESKTOP, ORGANIZER, demo_site, sign_in

EAST = ("east-organizer", "east-organizer-kept-7Q")


@pytest.fixture(scope="module")
def area_site(tmp_path_factory, scratch_databases):
    with demo_site(tmp_path_factory, scratch_databases) as s:
        # The demo's district: 王主任 (the demo organizer) acts in 解放街道, whose 菜园巷社区 gains a neighbour.
        areas = {a["name"]: a["id"] for a in s.gql("{ areas { id name } }")["areas"]}
        s.east = s.ok(
            "createArea", {"kind": "COMMUNITY", "name": "东风社区", "parentId": areas["解放街道"]}, "area { id }", ADMIN
        )["area"]["id"]
        s.home = areas["菜园巷社区"]
        s.east_account = s.ok(
            "createAccount",
            {
                "username": EAST[0],
                "password": EAST[1],
                "displayName": "东风社区干部",
                "roles": ["ORGANIZER"],
                "areaIds": [s.east],
            },
            "account { id }",
            ADMIN,
        )["account"]["id"]
        s.ok(
            "createConsultation",
            {"title": "东风社区健身器材", "summary": "器材老旧", "location": "东风社区广场", "communityId": s.east},
            "consultation { id }",
            ORGANIZER,
        )
        yield s


def test_a_community_organizer_lists_and_creates_in_their_community_only(area_site, new_page):
    page = new_page(DESKTOP, on=area_site)
    sign_in(page, EAST, "/console")
    expect(page.locator("#my-areas")).to_have_text("您的工作范围：解放街道 · 东风社区")
    listed = page.locator("#consultation-list > li")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("东风社区健身器材")
    expect(listed.first).to_contain_text("解放街道 · 东风社区")
    expect(page.locator("#consultation-list")).not_to_contain_text("菜园巷")
    # One community: no picker; the new consultation goes to it.
    form = page.locator("#create-form")
    expect(form.locator("[name=communityId]")).to_have_count(0)
    form.get_by_label("标题").fill("东风社区路灯维修")
    form.get_by_label("简要说明").fill("三盏路灯不亮")
    form.get_by_label("地点").fill("东风社区 3 号楼")
    form.get_by_role("button", name="建立协商").click()
    page.wait_for_url("**/console/*")
    cid = page.url.rsplit("/", 1)[1]
    data = area_site.gql(
        "query($id: ID!) { node(id: $id) { ... on Consultation { community { name } } } }",
        {"id": cid},
        area_site.token(EAST),
    )
    assert data["node"]["community"]["name"] == "东风社区"
    assert page.errors == []


def test_an_admin_sets_where_an_organizer_works(area_site, new_page):
    page = new_page(DESKTOP, on=area_site)
    sign_in(page, ADMIN, "/console")
    panel = page.locator("#areas")
    expect(panel.locator("#area-tree")).to_contain_text("东风社区")
    form = panel.locator("#staff-areas-form")
    form.get_by_label("工作人员").select_option(label="东风社区干部（组织方）")
    choices = form.locator("#staff-area-choices")
    expect(choices.get_by_label("解放街道 · 东风社区（社区/村）")).to_be_checked()
    choices.get_by_label("解放街道 · 菜园巷社区（社区/村）").check()
    form.get_by_role("button", name="保存工作范围").click()
    expect(form.locator(".form-msg")).to_contain_text("东风社区干部")
    query = "query($id: ID!) { node(id: $id) { ... on Account { areas { name } } } }"
    areas = area_site.gql(query, {"id": area_site.east_account}, area_site.token(ADMIN))["node"]["areas"]
    assert sorted(a["name"] for a in areas) == ["东风社区", "菜园巷社区"]
    # The organizer now reaches two communities: the console offers the choice, and lists both.
    organizer = new_page(DESKTOP, on=area_site)
    sign_in(organizer, EAST, "/console")
    picker = organizer.locator("#create-form [name=communityId]")
    expect(picker.locator("option")).to_have_count(2)
    expect(organizer.locator("#consultation-list")).to_contain_text("菜园巷")
    assert page.errors == [] and organizer.errors == []
