"""Sign-in, sessions, invitations, accounts and parties, through the GraphQL API over HTTP."""

from __future__ import annotations

import hashlib
import re

import pytest
import pytest_asyncio
from tortoise import Tortoise

from consult.ids import to_global_id
from consult.models import Account, Invitation, Session
from tests.api.helpers import Client, cookieless_client, create_consultation, login, make_account, residents

CJK = re.compile(r"[\u4e00-\u9fff]")
VIEWER = "{ viewer { id displayName roles } }"
AUTH_SELECT = "token viewer { id displayName roles }"
LOGIN = """mutation($input: LoginInput!) {
  login(input: $input) { token viewer { displayName roles } errors { field code message } }
}"""


def login_body(username: str, password: str) -> dict:
    return {"query": LOGIN, "variables": {"input": {"username": username, "password": password}}}


async def viewer_of(client: Client) -> dict | None:
    return (await client.query(VIEWER))["viewer"]


async def login_payload(client: Client, username: str, password: str) -> dict:
    return await client.as_(None).mutate("login", {"username": username, "password": password}, AUTH_SELECT)


async def redeem(client: Client, code: str) -> dict:
    return await client.as_(None).mutate("redeemInvitation", {"code": code}, AUTH_SELECT)


async def issue(world, cid: str) -> list[dict]:
    payload = await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { label code }")
    return payload["invitations"]


async def set_roll(world, cid: str, labels: list[str]) -> None:
    voters = [{"label": label} for label in labels]
    await world.organizer.ok("setVoterRoll", {"consultationId": cid, "voters": voters}, "entries { id }")


def only_error(payload: dict) -> dict:
    assert len(payload["errors"]) == 1, payload["errors"]
    return payload["errors"][0]


# ---------------------------------------------------------------- login


@pytest_asyncio.fixture
async def organizer_account(admin) -> None:
    """Just one staff account (username "organizer", shown as 社区干部), cheaper than `world`."""
    await make_account(admin, "organizer", ["ORGANIZER"], name="社区干部")


async def test_login_with_the_right_password_returns_a_token_and_the_viewer(organizer_account, anon):
    # given an organizer account
    # when they sign in with the right password
    payload = await login_payload(anon, "organizer", "organizer-password")
    # then they get a token and see themselves as the viewer
    assert payload["errors"] == []
    assert payload["token"]
    assert payload["viewer"]["displayName"] == "社区干部"
    assert payload["viewer"]["roles"] == ["ORGANIZER"]
    # and the token authenticates later requests
    assert await viewer_of(anon.as_(payload["token"])) == payload["viewer"]


async def test_login_sets_an_httponly_session_cookie_that_alone_authenticates(organizer_account, http):
    # given an organizer account
    # when they sign in with a plain HTTP post
    response = await http.post("/graphql", json=login_body("organizer", "organizer-password"))
    token = response.json()["data"]["login"]["token"]
    # then the response sets an HttpOnly consult_session cookie holding the token
    cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith("consult_session=")]
    assert len(cookies) == 1, response.headers.get_list("set-cookie")
    attributes = [part.strip().lower() for part in cookies[0].split(";")]
    assert cookies[0].split(";")[0] == f"consult_session={token}"
    assert "httponly" in attributes
    assert "path=/" in attributes
    assert "samesite=lax" in attributes
    # and a later request with only that cookie (no Authorization header) is signed in
    later = await http.post("/graphql", json={"query": VIEWER}, headers={"Cookie": f"consult_session={token}"})
    assert later.json()["data"]["viewer"]["displayName"] == "社区干部"
    # while the same request without it is anonymous
    without = await http.post("/graphql", json={"query": VIEWER})
    assert without.json()["data"]["viewer"] is None


async def test_failed_login_sets_no_session_cookie(organizer_account, http):
    # given an organizer account
    # when someone signs in with a wrong password
    response = await http.post("/graphql", json=login_body("organizer", "not-the-password"))
    # then no session cookie is set
    assert response.json()["data"]["login"]["token"] is None
    assert not [c for c in response.headers.get_list("set-cookie") if c.startswith("consult_session=")]


async def test_wrong_password_and_unknown_user_fail_alike_with_unauthenticated(organizer_account, anon):
    # given an organizer account
    # when someone signs in with a wrong password, and with a username that does not exist
    wrong_password = await login_payload(anon, "organizer", "not-the-password")
    unknown_user = await login_payload(anon, "nobody-here", "organizer-password")
    # then both fail with UNAUTHENTICATED, no token and no viewer
    for payload in (wrong_password, unknown_user):
        assert payload["token"] is None
        assert payload["viewer"] is None
        assert only_error(payload)["code"] == "UNAUTHENTICATED"
        assert only_error(payload)["field"] is None
    # and with the same message, so they do not tell which usernames exist
    assert only_error(wrong_password)["message"] == only_error(unknown_user)["message"]


async def test_a_stored_password_is_an_argon2_hash(organizer_account):
    # given an account created through the API with password "organizer-password"
    # when we look at what was stored
    account = await Account.get(username="organizer")
    # then it is an argon2 hash, not the password
    assert account.password_hash.startswith("$argon2")
    assert "organizer-password" not in account.password_hash


# ---------------------------------------------------------------- sessions


async def test_a_session_token_is_stored_only_as_its_sha256(organizer_account, anon):
    # given a fresh login
    payload = await login_payload(anon, "organizer", "organizer-password")
    token = payload["token"]
    # when we look at the stored sessions
    hashes = await Session.all().values_list("token_hash", flat=True)
    # then the token is stored as its SHA-256 and never in the clear
    assert hashlib.sha256(token.encode()).hexdigest() in hashes
    assert all(h != token and token not in h for h in hashes)


async def test_logout_revokes_the_token_and_returns_true(organizer_account, anon):
    # given a signed-in organizer
    payload = await login_payload(anon, "organizer", "organizer-password")
    client = anon.as_(payload["token"])
    assert await viewer_of(client) is not None
    # when they log out
    result = await client.query("mutation { logout }")
    # then it returns true and the token no longer signs anyone in
    assert result == {"logout": True}
    assert await viewer_of(client) is None
    # and logging out with the revoked token again finds no session
    assert await client.query("mutation { logout }") == {"logout": False}


async def test_logout_ends_only_the_session_it_came_with(organizer_account, anon):
    # given the organizer signed in on two devices
    first = anon.as_((await login_payload(anon, "organizer", "organizer-password"))["token"])
    second = anon.as_((await login_payload(anon, "organizer", "organizer-password"))["token"])
    # when they log out on the first
    assert await first.query("mutation { logout }") == {"logout": True}
    # then the second stays signed in
    assert await viewer_of(first) is None
    assert (await viewer_of(second))["displayName"] == "社区干部"


async def test_logout_clears_the_cookie_and_revokes_a_cookie_session(organizer_account, http):
    # given a session held only as a cookie
    signed_in = await http.post("/graphql", json=login_body("organizer", "organizer-password"))
    cookie = {"Cookie": f"consult_session={signed_in.json()['data']['login']['token']}"}
    # when the browser logs out with that cookie
    response = await http.post("/graphql", json={"query": "mutation { logout }"}, headers=cookie)
    # then logout succeeds and tells the browser to drop the cookie
    assert response.json()["data"] == {"logout": True}
    cleared = [c for c in response.headers.get_list("set-cookie") if c.startswith("consult_session=")]
    assert len(cleared) == 1
    assert "max-age=0" in cleared[0].lower()
    # and the old cookie no longer signs anyone in
    again = await http.post("/graphql", json={"query": VIEWER}, headers=cookie)
    assert again.json()["data"]["viewer"] is None


async def test_logout_without_a_session_returns_false(anon):
    # given an anonymous client
    # when it logs out
    result = await anon.query("mutation { logout }")
    # then there was nothing to end
    assert result == {"logout": False}


@pytest.mark.parametrize("token", ["garbage", "x" * 43, "Bearer", "x" * 500])
async def test_a_garbage_bearer_token_is_treated_as_anonymous(anon, token):
    # given a bearer token that no login ever returned
    client = anon.as_(token)
    # when it asks who it is, and tries a staff-only write
    viewer = await viewer_of(client)
    payload = await client.mutate("createParty", {"name": "某单位", "kind": "UNIT"}, "party { id }")
    # then it is anonymous, not an error
    assert viewer is None
    assert only_error(payload)["code"] == "UNAUTHENTICATED"


# ---------------------------------------------------------------- rate limiting


async def test_failed_logins_from_one_client_lock_it_out_even_with_the_right_password(
    organizer_account, anon, settings, app
):
    limit = settings.auth_refuse_after
    # given one failure short of the limit from this client
    for _ in range(limit - 1):
        payload = await login_payload(anon, "organizer", "wrong-password")
        assert only_error(payload)["code"] == "UNAUTHENTICATED"
    # then the right password still works
    assert (await login_payload(anon, "organizer", "organizer-password"))["errors"] == []
    # when one more attempt fails (the limit-th failure, still reported as a wrong password)
    assert only_error(await login_payload(anon, "organizer", "wrong-password"))["code"] == "UNAUTHENTICATED"
    # then even the right password is refused from this client
    refused = await login_payload(anon, "organizer", "organizer-password")
    assert only_error(refused)["code"] == "RATE_LIMITED"
    assert refused["token"] is None
    # and for this account from any address (the guesses were aimed at it), while another account
    # signs in from another address as usual
    async with cookieless_client(app, ("203.0.113.99", 40000)) as other:
        assert only_error(await login_payload(Client(other), "organizer", "organizer-password"))["code"] == (
            "RATE_LIMITED"
        )
        assert (await login_payload(Client(other), "admin", "admin-password"))["errors"] == []


async def test_bad_invitation_codes_from_one_client_are_refused_but_a_good_code_still_works(world, settings):
    cid = await create_consultation(world)
    await set_roll(world, cid, ["菜园巷 1 号"])
    [invitation] = await issue(world, cid)
    # given as many failed redemptions as the limit allows from this client
    for _ in range(settings.auth_refuse_after):
        payload = await redeem(world.anon, "ZZZZ-ZZZZ-ZZZZ")
        assert only_error(payload)["code"] == "INVALID"
    # then a further wrong code is refused as rate limited
    assert only_error(await redeem(world.anon, "ZZZZ-ZZZZ-ZZZY"))["code"] == "RATE_LIMITED"
    # while a household's valid slip still opens its session: others' typos never lock it out
    opened = await redeem(world.anon, invitation["code"])
    assert opened["errors"] == [] and opened["token"]
    assert await Session.filter(roll_entry_id__not_isnull=True).count() == 1


# ---------------------------------------------------------------- createAccount


def account_input(username: str, roles: list[str], party_id: str | None = None, **overrides) -> dict:
    return {
        "username": username,
        "password": f"{username}-password",
        "displayName": f"名字 {username}",
        "roles": roles,
        "partyId": party_id,
        **overrides,
    }


ACCOUNT_SELECT = "account { id displayName roles party { id } }"


@pytest.mark.parametrize(
    "roles",
    [["ADMIN"], ["ORGANIZER"], ["CPPCC_MEMBER"], ["PARTY_REP"], ["RESIDENT"], ["CPPCC_MEMBER", "ORGANIZER"]],
)
async def test_admin_creates_accounts_of_any_role_that_can_then_sign_in(world, roles):
    party_id = world.parties["market"] if "PARTY_REP" in roles else None
    # when the admin creates an account with these roles
    payload = await world.admin.ok("createAccount", account_input("new-person", roles, party_id), ACCOUNT_SELECT)
    # then it is returned with its roles (in the canonical order) and party
    account = payload["account"]
    expected_roles = [r for r in ["ADMIN", "ORGANIZER", "CPPCC_MEMBER", "PARTY_REP", "RESIDENT"] if r in roles]
    assert account["roles"] == expected_roles
    assert account["displayName"] == "名字 new-person"
    assert account["party"] == ({"id": party_id} if party_id else None)
    # and the new account can sign in with its password
    signed_in = await login_payload(world.anon, "new-person", "new-person-password")
    assert signed_in["viewer"]["roles"] == expected_roles


@pytest.mark.parametrize("roles", [["PARTY_REP"], ["RESIDENT"]])
async def test_organizer_creates_party_rep_and_resident_accounts(world, roles):
    party_id = world.parties["units"] if "PARTY_REP" in roles else None
    # when an organizer creates such an account
    payload = await world.organizer.ok("createAccount", account_input("helper", roles, party_id), ACCOUNT_SELECT)
    # then it exists with those roles
    assert payload["account"]["roles"] == roles
    assert (await login_payload(world.anon, "helper", "helper-password"))["viewer"]["roles"] == roles


@pytest.mark.parametrize("roles", [["ADMIN"], ["ORGANIZER"], ["CPPCC_MEMBER"], ["CPPCC_MEMBER", "ADMIN"]])
async def test_organizer_may_not_create_admins_organizers_or_cppcc_members(world, roles):
    # when an organizer tries to create an admin, organizer or CPPCC-member account (the review made a
    # CPPCC member this way and verified a finding of its own works through it)
    payload = await world.organizer.mutate("createAccount", account_input("climber", roles), ACCOUNT_SELECT)
    # then it is FORBIDDEN on roles and nothing is created
    assert payload["account"] is None
    assert {k: only_error(payload)[k] for k in ("code", "field")} == {"code": "FORBIDDEN", "field": "roles"}
    assert not await Account.filter(username="climber").exists()


async def test_anonymous_cannot_create_accounts(world):
    # when an anonymous client tries to create an account
    payload = await world.anon.mutate("createAccount", account_input("intruder", ["RESIDENT"]), ACCOUNT_SELECT)
    # then it must sign in first
    assert only_error(payload)["code"] == "UNAUTHENTICATED"
    assert not await Account.filter(username="intruder").exists()


async def test_residents_cppcc_members_and_party_reps_cannot_create_accounts(world):
    cid = await create_consultation(world)
    [resident] = await residents(world, cid, ["菜园巷 3 号"])
    # when non-staff accounts try to create accounts
    for i, client in enumerate([resident, world.cppcc, world.reps["market"]]):
        payload = await client.mutate("createAccount", account_input(f"made-by-{i}", ["RESIDENT"]), ACCOUNT_SELECT)
        # then each is FORBIDDEN and nothing is created
        assert only_error(payload)["code"] == "FORBIDDEN"
        assert not await Account.filter(username=f"made-by-{i}").exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"username": "ab"}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "张三"}, "username"),
        ({"username": "x" * 65}, "username"),
        ({"password": "seven77"}, "password"),
        ({"password": ""}, "password"),
        ({"displayName": "   "}, "displayName"),
        ({"roles": []}, "roles"),
        ({"roles": ["PARTY_REP"]}, "partyId"),
    ],
)
async def test_create_account_rejects_bad_input_with_the_field(world, overrides, field):
    # when the admin creates an account with one bad field
    bad_input = {**account_input("valid-name", ["RESIDENT"]), **overrides}
    payload = await world.admin.mutate("createAccount", bad_input, ACCOUNT_SELECT)
    # then it is INVALID on that field and nothing is created
    assert payload["account"] is None
    assert {k: only_error(payload)[k] for k in ("code", "field")} == {"code": "INVALID", "field": field}
    assert await Account.filter(display_name__startswith="名字").count() == 0


@pytest.mark.parametrize("password", ["12345678", "password1", "qwertyuiop", "eight-2025", "eightpassword"])
async def test_create_account_refuses_a_password_that_is_long_enough_but_guessable(world, password):
    # when the admin creates an account with a common, keyboard-run, dated or username-based password
    payload = await world.admin.mutate(
        "createAccount", account_input("eight", ["RESIDENT"], password=password), ACCOUNT_SELECT
    )
    # then it is refused on the password, saying why, and nothing is created
    assert payload["account"] is None
    assert {k: only_error(payload)[k] for k in ("code", "field")} == {"code": "INVALID", "field": "password"}
    assert "容易被猜到" in only_error(payload)["message"]


async def test_create_account_accepts_a_long_unguessable_password(world):
    await world.admin.ok("createAccount", account_input("eight", ["RESIDENT"], password="caiyuan-lane"), ACCOUNT_SELECT)
    assert (await login_payload(world.anon, "eight", "caiyuan-lane"))["errors"] == []


async def test_create_account_with_a_taken_username_is_a_conflict(world):
    # given an account named "organizer" (from the world fixture)
    # when the admin creates another one with that username
    payload = await world.admin.mutate("createAccount", account_input("organizer", ["CPPCC_MEMBER"]), ACCOUNT_SELECT)
    # then it is a CONFLICT on username and the existing account is untouched
    assert {k: only_error(payload)[k] for k in ("code", "field")} == {"code": "CONFLICT", "field": "username"}
    assert await Account.filter(username="organizer").count() == 1
    assert (await login_payload(world.anon, "organizer", "organizer-password"))["viewer"]["roles"] == ["ORGANIZER"]


@pytest.mark.parametrize("party_id", [to_global_id("Party", 987654), to_global_id("Account", 1), "not-an-id"])
async def test_create_account_with_an_unknown_party_is_not_found(world, party_id):
    # when the admin links a party rep to a party that does not exist
    orphan = account_input("orphan", ["PARTY_REP"], party_id)
    payload = await world.admin.mutate("createAccount", orphan, ACCOUNT_SELECT)
    # then it is NOT_FOUND on partyId and nothing is created
    assert {k: only_error(payload)[k] for k in ("code", "field")} == {"code": "NOT_FOUND", "field": "partyId"}
    assert not await Account.filter(username="orphan").exists()


# ---------------------------------------------------------------- createParty

PARTY_SELECT = "party { id name kind contact }"
PARTIES = "{ parties { id name contact } }"


async def test_organizer_creates_a_party_and_sees_its_contact(world):
    # when an organizer creates a party with a contact
    payload = await world.organizer.ok(
        "createParty", {"name": "  菜园巷业委会  ", "kind": "RESIDENTS", "contact": "13800000000"}, PARTY_SELECT
    )
    # then it is returned trimmed, with its contact
    party = payload["party"]
    assert (party["name"], party["kind"], party["contact"]) == ("菜园巷业委会", "RESIDENTS", "13800000000")
    # and it is listed with the contact for organizers
    listed = {p["id"]: p for p in (await world.organizer.query(PARTIES))["parties"]}
    assert listed[party["id"]]["contact"] == "13800000000"


async def test_party_contacts_are_hidden_from_everyone_but_staff(world):
    cid = await create_consultation(world, stage="COLLECTING")
    [resident] = await residents(world, cid, ["菜园巷 5 号"])
    # given parties with contacts (from the world fixture)
    # when anonymous people, residents, CPPCC members and party reps list the parties
    for client in [world.anon, resident, world.cppcc, world.reps["market"]]:
        parties = (await client.query(PARTIES))["parties"]
        # then they see the parties but not one contact
        assert len(parties) == 3
        assert all(p["contact"] is None for p in parties)
    # while the admin sees them
    assert all(p["contact"] for p in (await world.admin.query(PARTIES))["parties"])


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "长" * 201}, "name"),
        ({"contact": "c" * 201}, "contact"),
    ],
)
async def test_create_party_rejects_bad_input_with_the_field(world, overrides, field):
    # when an organizer creates a party with one bad field
    payload = await world.organizer.mutate("createParty", {"name": "某单位", "kind": "UNIT", **overrides}, PARTY_SELECT)
    # then it is INVALID on that field and no party is added
    assert payload["party"] is None
    assert {k: only_error(payload)[k] for k in ("code", "field")} == {"code": "INVALID", "field": field}
    assert len((await world.organizer.query(PARTIES))["parties"]) == 3


async def test_create_party_needs_a_signed_in_organizer(world):
    cid = await create_consultation(world)
    [resident] = await residents(world, cid, ["菜园巷 6 号"])
    # when anonymous, party rep, CPPCC member and resident clients try to create a party
    outcomes = [
        only_error(await client.mutate("createParty", {"name": "某单位", "kind": "UNIT"}, PARTY_SELECT))["code"]
        for client in [world.anon, world.reps["market"], world.cppcc, resident]
    ]
    # then the anonymous one must sign in and the others are forbidden, and nothing is added
    assert outcomes == ["UNAUTHENTICATED", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]
    assert len((await world.admin.query(PARTIES))["parties"]) == 3


# ---------------------------------------------------------------- languages


@pytest.mark.parametrize("accept_language", [None, "zh-CN", "zh-CN,zh;q=0.9,en;q=0.8", "fr-FR", "en;q=0.5,zh;q=0.9"])
async def test_messages_are_in_chinese_by_default(organizer_account, anon, accept_language):
    # when a login fails with this Accept-Language (or none)
    payload = await login_payload(anon.as_(None, lang=accept_language), "organizer", "wrong-password")
    # then the message is Chinese
    assert CJK.search(only_error(payload)["message"])


@pytest.mark.parametrize("accept_language", ["en-US,en;q=0.9", "en", "zh-CN;q=0.5,en-GB"])
async def test_messages_are_in_english_when_english_is_preferred(organizer_account, anon, accept_language):
    client = anon.as_(None, lang=accept_language)
    # when a login fails, and an input is invalid, with English preferred
    bad_login = await login_payload(client, "organizer", "wrong-password")
    organizer = await login(anon, "organizer", "organizer-password")
    signed_in = organizer.as_(organizer.token, lang=accept_language)
    bad_party = await signed_in.mutate("createParty", {"name": " ", "kind": "UNIT"}, PARTY_SELECT)
    # then both messages are English
    for payload in (bad_login, bad_party):
        message = only_error(payload)["message"]
        assert not CJK.search(message)
        assert re.search(r"[A-Za-z]{3,}", message)
    # and the codes do not depend on the language
    assert only_error(bad_login)["code"] == "UNAUTHENTICATED"
    assert only_error(bad_party)["code"] == "INVALID"


# ---------------------------------------------------------------- redeemInvitation


async def test_redeeming_an_invitation_signs_in_the_household(world):
    cid = await create_consultation(world, stage="COLLECTING")
    await set_roll(world, cid, ["菜园巷 7 号", "菜园巷 8 号"])
    invitations = await issue(world, cid)
    code = next(i["code"] for i in invitations if i["label"] == "菜园巷 8 号")
    # when the household of 菜园巷 8 号 redeems its code
    payload = await redeem(world.anon, code)
    # then it gets a token for a resident named after the household
    assert payload["errors"] == []
    assert payload["viewer"]["roles"] == ["RESIDENT"]
    assert payload["viewer"]["displayName"] == "菜园巷 8 号"
    resident = world.anon.as_(payload["token"])
    assert await viewer_of(resident) == payload["viewer"]
    # and on the voter roll it sees only its own entry, linked to its account
    data = await resident.query(
        "query($id: ID!) { consultation(id: $id) { voterRoll { label account { id } } } }", {"id": cid}
    )
    assert data["consultation"]["voterRoll"] == [{"label": "菜园巷 8 号", "account": {"id": payload["viewer"]["id"]}}]


async def test_redeeming_the_same_code_again_moves_the_session(world):
    cid = await create_consultation(world)
    await set_roll(world, cid, ["菜园巷 9 号"])
    [invitation] = await issue(world, cid)
    first = await redeem(world.anon, invitation["code"])
    # when the same code is redeemed again (a new phone)
    second = await redeem(world.anon, invitation["code"])
    # then a new token is issued for the same account
    assert second["errors"] == []
    assert second["token"] != first["token"]
    assert second["viewer"]["id"] == first["viewer"]["id"]
    assert (await viewer_of(world.anon.as_(second["token"])))["id"] == first["viewer"]["id"]
    # and the old phone is signed out
    assert await viewer_of(world.anon.as_(first["token"])) is None


@pytest.mark.parametrize(
    "spell",
    [
        str.lower,
        lambda c: c.replace("-", ""),
        lambda c: c.lower().replace("-", ""),
        lambda c: " " + c.replace("-", " ") + " ",
    ],
    ids=["lowercase", "no-dashes", "lowercase-no-dashes", "spaces"],
)
async def test_invitation_codes_ignore_case_spaces_and_dashes(world, spell):
    cid = await create_consultation(world)
    await set_roll(world, cid, ["菜园巷 10 号"])
    [invitation] = await issue(world, cid)
    # when the code is typed in another case or grouping
    payload = await redeem(world.anon, spell(invitation["code"]))
    # then it still redeems
    assert payload["errors"] == []
    assert payload["viewer"]["displayName"] == "菜园巷 10 号"


async def test_reissuing_voids_unredeemed_codes_but_not_redeemed_ones(world):
    cid = await create_consultation(world)
    await set_roll(world, cid, ["菜园巷 11 号", "菜园巷 12 号"])
    old = {i["label"]: i["code"] for i in await issue(world, cid)}
    redeemed = await redeem(world.anon, old["菜园巷 11 号"])
    # when invitations are issued again
    new = {i["label"]: i["code"] for i in await issue(world, cid)}
    # then the unredeemed old code is void
    void = await redeem(world.anon, old["菜园巷 12 号"])
    assert void["token"] is None
    assert {k: only_error(void)[k] for k in ("code", "field")} == {"code": "INVALID", "field": "code"}
    # and the already redeemed old code still redeems, for the same account
    again = await redeem(world.anon, old["菜园巷 11 号"])
    assert again["errors"] == []
    assert again["viewer"]["id"] == redeemed["viewer"]["id"]
    # and the signed-in household got no new code (that takes requestReissue and a second person)
    assert set(new) == {"菜园巷 12 号"}
    assert (await redeem(world.anon, new["菜园巷 12 号"]))["viewer"]["displayName"] == "菜园巷 12 号"


async def test_invitation_codes_are_stored_only_as_keyed_hashes(world):
    cid = await create_consultation(world)
    await set_roll(world, cid, ["菜园巷 13 号", "菜园巷 14 号"])
    codes = [i["code"] for i in await issue(world, cid)]
    await redeem(world.anon, codes[0])
    # when we look at every column of every table
    forms = {form for code in codes for form in (code.upper(), code.upper().replace("-", ""))}
    stored_hashes = set(await Invitation.all().values_list("code_hash", flat=True))
    cells = [
        str(value).upper()
        for model in Tortoise.apps["models"].values()
        for row in await model.all().values()
        for value in row.values()
        if value is not None
    ]
    # then no code appears in the clear anywhere
    assert not [cell for cell in cells if any(form in cell for form in forms)]
    # and the stored hashes are neither the codes nor their plain (unkeyed) SHA-256
    assert len(stored_hashes) == len(codes)
    for code in codes:
        for form in (code, code.replace("-", "")):
            assert form not in stored_hashes
            assert hashlib.sha256(form.encode()).hexdigest() not in stored_hashes


@pytest.mark.parametrize("code", ["ZZZZ-ZZZZ-ZZZZ", "", "abc", "x" * 100])
async def test_an_unknown_invitation_code_is_invalid(world, code):
    cid = await create_consultation(world)
    await set_roll(world, cid, ["菜园巷 15 号"])
    await issue(world, cid)
    # when a code that was never issued is redeemed
    payload = await redeem(world.anon, code)
    # then it is INVALID on code, with no token and no account made
    assert payload["token"] is None
    assert payload["viewer"] is None
    assert {k: only_error(payload)[k] for k in ("code", "field")} == {"code": "INVALID", "field": "code"}
    assert await Account.filter(roles="RESIDENT").count() == 0


def _cookie(response, name: str) -> tuple[str, list[str]] | None:
    """The value and lower-cased attributes of the Set-Cookie named `name`, or None."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            first, *rest = header.split(";")
            return first.split("=", 1)[1].strip('"'), [part.strip().lower() for part in rest]
    return None


async def test_each_sign_in_comes_with_a_readable_tag_of_its_own_and_sign_out_drops_it(organizer_account, http):
    # The resident page draws what it kept on the phone only for the session that saw it: the tag
    # tells sessions apart, readable by the page's script, and it is no key to anything.
    body = {"query": 'mutation { login(input: {username: "organizer", password: "organizer-password"}) { token } }'}
    first, second = await http.post("/graphql", json=body), await http.post("/graphql", json=body)
    tags = [_cookie(r, "consult_tag") for r in (first, second)]
    assert all(tags) and tags[0][0] != tags[1][0]
    value, attributes = tags[0]
    assert "httponly" not in attributes and "path=/" in attributes and "samesite=lax" in attributes
    session = _cookie(first, "consult_session")
    assert session and session[0] != value and "httponly" in session[1]
    # the same lifetime as the session it marks
    assert [a for a in attributes if a.startswith("max-age")] == [a for a in session[1] if a.startswith("max-age")]
    # alone, it signs nobody in
    alone = await http.post("/graphql", json={"query": "{ viewer { id } }"}, headers={"Cookie": f"consult_tag={value}"})
    assert alone.json()["data"]["viewer"] is None
    # signing out drops both
    token = first.json()["data"]["login"]["token"]
    out = await http.post(
        "/graphql", json={"query": "mutation { logout }"}, headers={"Cookie": f"consult_session={token}"}
    )
    for name in ("consult_session", "consult_tag"):
        dropped = _cookie(out, name)
        assert dropped and dropped[0] == "" and "max-age=0" in dropped[1], out.headers.get_list("set-cookie")
