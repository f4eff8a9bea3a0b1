"""An organizer cannot stand in for the supervisors: the review made a CPPCC-member account and a rep
account with copied names, verified a finding and "confirmed" a share through them, and no trail
showed how those accounts came to be."""

from __future__ import annotations

import asyncio
import json
from itertools import pairwise

import pytest

from tests.api.helpers import World

TRAIL = (
    "{ installationTrail(first: 100) { totalCount chainValid edges { node { seq action summary payload "
    "subjectId actor { id shownName } hash prevHash } } } }"
)


def account(username: str, roles: list[str], name: str, party: str | None = None) -> dict:
    return {
        "username": username,
        "password": f"{username}-password",
        "displayName": name,
        "roles": roles,
        "partyId": party,
    }


async def test_an_organizer_cannot_make_a_cppcc_member(world: World):
    payload = await world.organizer.mutate(
        "createAccount", account("fake-cppcc", ["CPPCC_MEMBER"], "王委员"), "account { id }"
    )
    assert payload["account"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("roles", "FORBIDDEN")]


@pytest.mark.parametrize("copy", ["政协委员", " 政协委员 ", "政协 委员", "政协委员\u3000"])
async def test_a_new_account_cannot_show_another_accounts_name(world: World, copy):
    # given the world's CPPCC member, shown as 政协委员; when a rep account is made with that name again
    # (spaced out, or with a full-width space)
    payload = await world.organizer.mutate(
        "createAccount", account("copycat", ["PARTY_REP"], copy, world.parties["market"]), "account { id }"
    )
    # then it is refused on the name, in the user's language
    assert payload["account"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("displayName", "CONFLICT")]
    assert "显示名称" in payload["errors"][0]["message"]


async def test_two_look_alike_names_made_at_once_give_one_account(world: World):
    for attempt in range(10):
        # when two organizer requests make accounts with the same name, spaced differently, at once
        made = await asyncio.gather(
            world.organizer.mutate(
                "createAccount", account(f"twin-a{attempt}", ["RESIDENT"], f"李 四{attempt}"), "account { id }"
            ),
            world.organizer.mutate(
                "createAccount", account(f"twin-b{attempt}", ["RESIDENT"], f"李四 {attempt}"), "account { id }"
            ),
        )
        # then exactly one is made, and the other is refused on the name
        assert sorted(p["account"] is None for p in made) == [False, True]
        refused = next(p for p in made if p["account"] is None)
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [("displayName", "CONFLICT")]


async def test_every_shown_name_carries_its_role(world: World):
    data = await world.admin.query(
        "query($id: ID!) { node(id: $id) { ... on Account { displayName shownName } } }",
        {"id": world.accounts["cppcc"]},
    )
    assert data["node"] == {"displayName": "政协委员", "shownName": "政协委员（政协委员）"}
    rep = await world.reps["market"].query("{ viewer { shownName } }")
    assert rep["viewer"]["shownName"].endswith("（参与方代表）")


async def test_account_creation_goes_to_the_installation_trail_which_only_admins_read(world: World):
    # given an organizer who makes a rep account
    made = await world.organizer.ok(
        "createAccount", account("new-rep", ["PARTY_REP"], "菜园市场 李经理", world.parties["market"]), "account { id }"
    )
    # then the installation's trail names the account, its roles and who made it, chained to the entries before
    trail = (await world.admin.query(TRAIL))["installationTrail"]
    assert trail["chainValid"] is True
    nodes = [e["node"] for e in trail["edges"]]
    assert [n["seq"] for n in nodes] == list(range(1, len(nodes) + 1))
    assert all(b["prevHash"] == a["hash"] for a, b in pairwise(nodes))
    last = nodes[-1]
    assert (last["action"], last["subjectId"]) == ("account.create", made["account"]["id"])
    assert last["actor"]["id"] == world.accounts["organizer"]
    assert "菜园市场 李经理（参与方代表）" in last["summary"]
    assert json.loads(last["payload"])["roles"] == ["PARTY_REP"]
    # and the world's own accounts and parties are in it too
    actions = [n["action"] for n in nodes]
    assert actions.count("account.create") >= 4 and "party.create" in actions
    # while nobody else may read it
    for reader in (world.organizer, world.cppcc, world.anon):
        assert (await reader.query("{ installationTrail { totalCount } }"))["installationTrail"] is None


async def test_an_edited_installation_trail_no_longer_verifies(world: World):
    from consult.models import InstallationEvent

    # given the trail; when someone with the database rewrites what an entry says
    first = await InstallationEvent.filter(seq=1).first()
    assert first is not None
    first.summary = first.summary + "（已改）"
    await first.save(update_fields=["summary"])
    # then the chain says so
    assert (await world.admin.query("{ installationTrail { chainValid } }"))["installationTrail"]["chainValid"] is False


async def test_a_share_confirmed_by_an_organizer_says_it_was_on_the_partys_behalf(world: World):
    # given a plan split between the market and the street office
    _, ids = await _plan_split_two_ways(world)
    select = "share { confirmedOnBehalf confirmedBy { shownName } }"
    # when the market's rep signs its own share, and the organizer signs the street office's
    own = await world.reps["market"].ok("confirmShare", {"shareId": ids[world.parties["market"]]}, select)
    for_them = await world.organizer.ok("confirmShare", {"shareId": ids[world.parties["street"]]}, select)
    # then only the organizer's signature says it was on the party's behalf, and each names its role
    assert own["share"]["confirmedOnBehalf"] is False
    assert own["share"]["confirmedBy"]["shownName"].endswith("（参与方代表）")
    assert for_them["share"]["confirmedOnBehalf"] is True
    assert for_them["share"]["confirmedBy"]["shownName"] == "社区干部（组织方）"


async def _plan_split_two_ways(world: World) -> tuple[str, dict[str, str]]:
    """A consultation whose plan splits 160,000 yuan between the market and the street office:
    (its id, share id by party id)."""
    from tests.api.helpers import create_consultation

    cid = await create_consultation(world, stage="DELIBERATING")
    made = await world.organizer.ok(
        "createProposal",
        {"consultationId": cid, "title": "路面硬化", "body": "两方分担", "budget": "160000"},
        "proposal { id }",
    )
    shares = [{"partyId": world.parties[k]} for k in ("market", "street")]
    plan = await world.organizer.ok(
        "setCostPlan",
        {"proposalId": made["proposal"]["id"], "total": "160000", "method": "EQUAL", "shares": shares},
        "costPlan { shares { id party { id } } }",
    )
    return cid, {s["party"]["id"]: s["id"] for s in plan["costPlan"]["shares"]}


async def _plan_with_market_share(world: World) -> tuple[str, str]:
    cid, ids = await _plan_split_two_ways(world)
    return cid, ids[world.parties["market"]]


async def test_a_rep_account_made_by_an_organizer_signs_on_the_partys_behalf_until_its_rep_sets_a_password(
    world: World,
):
    # The review had an organizer make a rep account (any name) for the market and "confirm" the
    # market's share through it: the share read as confirmed by the market itself.
    from tests.api.helpers import login

    # given a rep account an organizer made for the market, signed in with the password the organizer chose
    await world.organizer.ok(
        "createAccount",
        account("market-rep-2", ["PARTY_REP"], "菜园市场 李会计", world.parties["market"]),
        "account { id }",
    )
    rep = await login(world.anon, "market-rep-2", "market-rep-2-password")
    cid, share = await _plan_with_market_share(world)
    # when it confirms the market's share
    select = "share { confirmedOnBehalf }"
    signed = await rep.ok("confirmShare", {"shareId": share}, select)
    # then the share says it was confirmed on the market's behalf, and so does the trail
    assert signed["share"]["confirmedOnBehalf"] is True
    trail = await world.anon.query(
        "query($id: ID!) { consultation(id: $id) { auditTrail(first: 100) { edges { node { action summary } } } } }",
        {"id": cid},
    )
    edges = trail["consultation"]["auditTrail"]["edges"]
    [confirm] = [e["node"]["summary"] for e in edges if e["node"]["action"] == "share.confirm"]
    assert "代为确认" in confirm and "工作人员设定的密码" in confirm


async def test_a_rep_who_set_their_own_password_signs_for_their_party_and_the_old_one_stops_working(world: World):
    from tests.api.helpers import login

    await world.organizer.ok(
        "createAccount",
        account("market-rep-3", ["PARTY_REP"], "菜园市场 周出纳", world.parties["market"]),
        "account { id }",
    )
    # given the rep signed in twice with the office's password: on their phone, and wherever else it was used
    phone = await login(world.anon, "market-rep-3", "market-rep-3-password")
    elsewhere = await login(world.anon, "market-rep-3", "market-rep-3-password")
    # when the rep sets a password of their own on the phone
    mine = "周出纳-只有我知道-Lw8k"
    await phone.ok(
        "changePassword", {"currentPassword": "market-rep-3-password", "newPassword": mine}, "account { id }"
    )
    # then the other session is signed out, and the office's password no longer signs in
    assert await _viewer(elsewhere) is None
    assert await _viewer(phone) is not None
    refused = await world.anon.as_(None).mutate(
        "login", {"username": "market-rep-3", "password": "market-rep-3-password"}, "token"
    )
    assert refused["token"] is None
    # and the share the rep confirms now is the party's own
    _, share = await _plan_with_market_share(world)
    signed = await phone.ok("confirmShare", {"shareId": share}, "share { confirmedOnBehalf }")
    assert signed["share"]["confirmedOnBehalf"] is False
    # and the installation trail records the change, by the account itself
    trail = await world.admin.query(TRAIL)
    last = trail["installationTrail"]["edges"][-1]["node"]
    assert last["action"] == "account.password_change" and "本人修改密码" in last["summary"]
    assert trail["installationTrail"]["chainValid"] is True
    await login(world.anon, "market-rep-3", mine)


async def _viewer(client) -> dict | None:
    body = await client.raw("{ viewer { id } }")
    return (body.get("data") or {}).get("viewer")


async def test_changing_a_password_needs_the_current_one_and_a_strong_new_one(world: World):
    # given a rep; when someone at their open session tries to set a password without knowing the current one
    rep = world.reps["street"]
    from tests.api.conftest import own_password

    current = own_password("rep-street")
    cases = [
        (
            {"currentPassword": "a-wrong-guess-1234", "newPassword": "一个很长的新密码-Xy7-没人猜得到"},
            "currentPassword",
        ),
        ({"currentPassword": current, "newPassword": "12345678"}, "newPassword"),
        ({"currentPassword": current, "newPassword": "short"}, "newPassword"),
        ({"currentPassword": current, "newPassword": current}, "newPassword"),
    ]
    for given, field in cases:
        payload = await rep.mutate("changePassword", given, "account { id }")
        # then each is refused, beside its field, in the user's language, and nothing changes
        assert payload["account"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, "INVALID")]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in payload["errors"][0]["message"])
    assert (await rep.query("{ viewer { id } }"))["viewer"] is not None
    # and nobody signed out may call it at all
    anonymous = await world.anon.mutate(
        "changePassword", {"currentPassword": "x", "newPassword": "y"}, "account { id }"
    )
    assert [e["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
