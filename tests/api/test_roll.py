"""The voter roll (居民名册) and invitation slips, through the GraphQL API over HTTP."""

from __future__ import annotations

import re

import pytest

from consult.ids import to_global_id
from consult.models import AuditEvent, Invitation, VoterRollEntry
from tests.api.helpers import Client, create_consultation, residents

ENTRY_SELECT = "entries { id label weight }"
INVITATIONS = "invitations { label code }"
ROLL = "query($id: ID!) { consultation(id: $id) { voterRoll { id label weight account { id } } } }"
TRAIL = """query($id: ID!) {
  consultation(id: $id) { auditTrail(first: 500) { totalCount edges { node { action summary } } } }
}"""
CODE_ALPHABET = set("23456789ABCDEFGHJKMNPQRSTUVWXYZ")


def only_error(payload: dict) -> dict:
    assert len(payload["errors"]) == 1, payload["errors"]
    return payload["errors"][0]


def code_and_field(payload: dict) -> tuple[str, str | None]:
    error = only_error(payload)
    return error["code"], error["field"]


async def set_roll(client: Client, cid: str, voters: list[dict]) -> dict:
    return await client.mutate("setVoterRoll", {"consultationId": cid, "voters": voters}, ENTRY_SELECT)


async def given_roll(world, cid: str, labels: list[str]) -> None:
    assert (await set_roll(world.organizer, cid, [{"label": label} for label in labels]))["errors"] == []


async def issue(client: Client, cid: str) -> dict:
    return await client.mutate("issueInvitations", {"consultationId": cid}, INVITATIONS)


async def issued(world, cid: str) -> list[dict]:
    payload = await issue(world.organizer, cid)
    assert payload["errors"] == [], payload["errors"]
    return payload["invitations"]


async def roll_of(client: Client, cid: str) -> list[dict] | None:
    consultation = (await client.query(ROLL, {"id": cid}))["consultation"]
    return None if consultation is None else consultation["voterRoll"]


async def trail_of(client: Client, cid: str) -> dict:
    return (await client.query(TRAIL, {"id": cid}))["consultation"]["auditTrail"]


async def viewer_of(client: Client) -> dict | None:
    return (await client.query("{ viewer { id displayName } }"))["viewer"]


async def redeem(client: Client, code: str) -> dict:
    return await client.as_(None).mutate("redeemInvitation", {"code": code}, "token viewer { id displayName }")


# ---------------------------------------------------------------- setVoterRoll


async def test_organizer_sets_a_roll_with_weights_and_a_default_of_one(world):
    cid = await create_consultation(world)
    # when the organizer sets a roll, one weight given and one left out
    payload = await set_roll(
        world.organizer,
        cid,
        [
            {"label": "菜园巷 1 号", "weight": "85.5"},
            {"label": "菜园巷 2 号"},
            {"label": "  菜园巷 3 号  ", "weight": "0.0001"},
        ],
    )
    # then the entries come back in order, with the weights as given, "1" by default, labels trimmed
    assert payload["errors"] == []
    assert [(e["label"], e["weight"]) for e in payload["entries"]] == [
        ("菜园巷 1 号", "85.5"),
        ("菜园巷 2 号", "1"),
        ("菜园巷 3 号", "0.0001"),
    ]
    # and the organizer reads the same roll back
    roll = await roll_of(world.organizer, cid)
    assert [(e["id"], e["label"], e["weight"], e["account"]) for e in roll] == [
        (e["id"], e["label"], e["weight"], None) for e in payload["entries"]
    ]


@pytest.mark.parametrize(
    "given, shown", [("85.50", "85.5"), ("120", "120"), ("007.2500", "7.25"), (" 60 ", "60"), ("", "1")]
)
async def test_weights_are_shown_as_the_shortest_exact_decimal(world, given, shown):
    cid = await create_consultation(world)
    # when a weight is given in a longer spelling
    payload = await set_roll(world.organizer, cid, [{"label": "菜园巷 1 号", "weight": given}])
    # then it is shown in its shortest exact form
    assert payload["errors"] == []
    assert payload["entries"][0]["weight"] == shown


async def test_replacing_the_roll_keeps_staying_entries_and_retires_the_others(world):
    cid = await create_consultation(world, stage="COLLECTING")
    stays, leaves = await residents(world, cid, ["菜园巷 1 号", "菜园巷 2 号"])
    before = {e["label"]: e for e in await roll_of(world.organizer, cid)}
    # when the roll is replaced: 1 号 stays with a corrected area, 2 号 leaves, 3 号 is new
    payload = await set_roll(
        world.organizer, cid, [{"label": "菜园巷 3 号", "weight": "70"}, {"label": "菜园巷 1 号", "weight": "95.25"}]
    )
    # then the roll lists exactly the new entries, in the new order
    assert payload["errors"] == []
    assert [(e["label"], e["weight"]) for e in payload["entries"]] == [("菜园巷 3 号", "70"), ("菜园巷 1 号", "95.25")]
    roll = await roll_of(world.organizer, cid)
    assert [e["label"] for e in roll] == ["菜园巷 3 号", "菜园巷 1 号"]
    # and the staying entry keeps its id and its redeemed account
    kept = roll[1]
    assert kept["id"] == before["菜园巷 1 号"]["id"]
    assert kept["account"] == before["菜园巷 1 号"]["account"] is not None
    assert roll[0]["id"] not in {e["id"] for e in before.values()}
    # and its resident stays signed in, still seeing its entry
    assert (await viewer_of(stays))["displayName"] == "菜园巷 1 号"
    assert [e["id"] for e in await roll_of(stays, cid)] == [kept["id"]]
    # while the retired household's session no longer works
    assert await viewer_of(leaves) is None


async def test_a_retired_entrys_codes_no_longer_redeem(world):
    cid = await create_consultation(world)
    await given_roll(world, cid, ["甲", "乙"])
    codes = {i["label"]: i["code"] for i in await issued(world, cid)}
    assert (await redeem(world.anon, codes["乙"]))["errors"] == []
    # when 乙 is taken off the roll (after redeeming once), and 甲 stays
    await given_roll(world, cid, ["甲"])
    # then 乙's code is INVALID
    retired = await redeem(world.anon, codes["乙"])
    assert retired["token"] is None
    assert code_and_field(retired) == ("INVALID", "code")
    # while 甲's code, untouched by the change, still redeems
    assert (await redeem(world.anon, codes["甲"]))["viewer"]["displayName"] == "甲"


async def test_a_household_put_back_on_the_roll_needs_a_new_code(world):
    cid = await create_consultation(world)
    await given_roll(world, cid, ["甲", "乙"])
    old_code = next(i["code"] for i in await issued(world, cid) if i["label"] == "乙")
    # given 乙 was retired and then listed again
    await given_roll(world, cid, ["甲"])
    await given_roll(world, cid, ["甲", "乙"])
    # when the old slip is used
    payload = await redeem(world.anon, old_code)
    # then it stays void
    assert code_and_field(payload) == ("INVALID", "code")


@pytest.mark.parametrize("second", ["菜园巷 1 号", "  菜园巷 1 号 "])
async def test_a_repeated_label_is_invalid_on_the_repeat(world, second):
    cid = await create_consultation(world)
    # when a roll lists the same household twice
    payload = await set_roll(
        world.organizer, cid, [{"label": "菜园巷 1 号"}, {"label": second}, {"label": "菜园巷 2 号"}]
    )
    # then the second mention is INVALID and no entries are returned
    assert code_and_field(payload) == ("INVALID", "voters.1.label")
    assert payload["entries"] == []


@pytest.mark.parametrize("weight", ["-1", "abc", "0", "0.0000", "1.23456", "1e3", "1,5", "85.", ".5", "+5"])
async def test_a_bad_weight_is_invalid_on_its_row(world, weight):
    cid = await create_consultation(world)
    # when a roll has a weight that is not a positive decimal with at most four decimals
    voters = [{"label": "甲", "weight": "80"}, {"label": "乙"}, {"label": "丙", "weight": weight}]
    payload = await set_roll(world.organizer, cid, voters)
    # then it is INVALID on that row's weight
    assert code_and_field(payload) == ("INVALID", "voters.2.weight")


@pytest.mark.parametrize("label", ["", "   ", "长" * 101])
async def test_an_empty_or_overlong_label_is_invalid(world, label):
    cid = await create_consultation(world)
    # when a roll has a row with an empty (or too long) label
    payload = await set_roll(world.organizer, cid, [{"label": "甲"}, {"label": label}])
    # then it is INVALID on that row's label
    assert code_and_field(payload) == ("INVALID", "voters.1.label")


async def test_a_failed_roll_change_writes_nothing(world):
    cid = await create_consultation(world)
    assert (await set_roll(world.organizer, cid, [{"label": "甲", "weight": "60"}]))["errors"] == []
    roll_before = await roll_of(world.organizer, cid)
    trail_before = (await trail_of(world.organizer, cid))["totalCount"]
    rows_before = await VoterRollEntry.all().count()
    # when a replacement fails on its last row (after valid new rows and a changed weight)
    payload = await set_roll(
        world.organizer, cid, [{"label": "甲", "weight": "99"}, {"label": "乙"}, {"label": "丙", "weight": "-1"}]
    )
    # then nothing changed: the roll, the stored rows and the audit trail are as before
    assert only_error(payload)["code"] == "INVALID"
    assert await roll_of(world.organizer, cid) == roll_before
    assert await VoterRollEntry.all().count() == rows_before
    assert (await trail_of(world.organizer, cid))["totalCount"] == trail_before


async def test_only_staff_may_set_the_roll(world):
    cid = await create_consultation(world, stage="COLLECTING")
    [resident] = await residents(world, cid, ["甲"])
    roll_before = await roll_of(world.organizer, cid)
    # when a resident, a CPPCC member, a party rep and an anonymous client try to replace the roll
    outcomes = [
        code_and_field(await set_roll(client, cid, [{"label": "乙"}]))[0]
        for client in [resident, world.cppcc, world.reps["street"], world.anon]
    ]
    # then the signed-in ones are forbidden, the anonymous one must sign in, and the roll is unchanged
    assert outcomes == ["FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "UNAUTHENTICATED"]
    assert await roll_of(world.organizer, cid) == roll_before


async def test_the_admin_may_set_the_roll(world):
    cid = await create_consultation(world)
    # when the admin sets the roll
    payload = await set_roll(world.admin, cid, [{"label": "甲"}])
    # then it is set
    assert payload["errors"] == []
    assert [e["label"] for e in await roll_of(world.organizer, cid)] == ["甲"]


@pytest.mark.parametrize(
    "consultation_id", [to_global_id("Consultation", 987654), to_global_id("Party", 1), "not-an-id", ""]
)
async def test_setting_the_roll_of_an_unknown_consultation_is_not_found(world, consultation_id):
    # when the organizer sets a roll for a consultation that does not exist
    payload = await set_roll(world.organizer, consultation_id, [{"label": "甲"}])
    # then it is NOT_FOUND on consultationId and nothing is stored
    assert code_and_field(payload) == ("NOT_FOUND", "consultationId")
    assert await VoterRollEntry.all().count() == 0


async def test_who_sees_the_roll(world):
    cid = await create_consultation(world, stage="COLLECTING")
    first, second = await residents(world, cid, ["甲", "乙"])
    # when each kind of viewer reads the roll
    seen = {
        name: [e["label"] for e in await roll_of(client, cid)]
        for name, client in {
            "organizer": world.organizer,
            "admin": world.admin,
            "first": first,
            "second": second,
            "cppcc": world.cppcc,
            "rep": world.reps["market"],
            "anon": world.anon,
        }.items()
    }
    # then staff see every entry, a resident only their own, everyone else nothing
    assert seen == {
        "organizer": ["甲", "乙"],
        "admin": ["甲", "乙"],
        "first": ["甲"],
        "second": ["乙"],
        "cppcc": [],
        "rep": [],
        "anon": [],
    }


async def test_a_resident_cannot_fetch_another_households_entry_by_id(world):
    cid = await create_consultation(world, stage="COLLECTING")
    first, _ = await residents(world, cid, ["甲", "乙"])
    ids = {e["label"]: e["id"] for e in await roll_of(world.organizer, cid)}
    query = "query($id: ID!) { node(id: $id) { id ... on VoterRollEntry { label } } }"
    # when a resident fetches entries by id
    own = (await first.query(query, {"id": ids["甲"]}))["node"]
    other = (await first.query(query, {"id": ids["乙"]}))["node"]
    # then only their own comes back
    assert own == {"id": ids["甲"], "label": "甲"}
    assert other is None


async def advance_to_archived(world, cid: str) -> None:
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "ARCHIVED"}, "consultation { stage }")


async def cancel(world, cid: str) -> None:
    await world.organizer.ok(
        "advanceStage", {"consultationId": cid, "to": "CANCELLED", "note": "居民另行解决"}, "consultation { stage }"
    )


@pytest.mark.parametrize("finish, stage", [(cancel, "COLLECTING"), (advance_to_archived, "EVALUATING")])
async def test_a_closed_consultations_roll_cannot_change(world, finish, stage):
    cid = await create_consultation(world, stage=stage)
    await given_roll(world, cid, ["甲"])
    await finish(world, cid)
    roll_before = await roll_of(world.organizer, cid)
    # when the organizer sets the roll, or issues invitations, after it was cancelled or archived
    roll_payload = await set_roll(world.organizer, cid, [{"label": "乙"}])
    issue_payload = await issue(world.organizer, cid)
    # then both are WRONG_STAGE and the roll is unchanged
    assert only_error(roll_payload)["code"] == "WRONG_STAGE"
    assert only_error(issue_payload)["code"] == "WRONG_STAGE"
    assert issue_payload["invitations"] == []
    assert await roll_of(world.organizer, cid) == roll_before


async def test_each_roll_change_appends_one_audit_event(world):
    cid = await create_consultation(world)
    before = (await trail_of(world.organizer, cid))["totalCount"]
    # when the roll is set
    await given_roll(world, cid, ["甲"])
    # then the trail has grown by one roll.set event
    trail = await trail_of(world.organizer, cid)
    assert trail["totalCount"] == before + 1
    assert trail["edges"][-1]["node"]["action"] == "roll.set"


# ---------------------------------------------------------------- issueInvitations


async def test_one_code_per_active_entry_in_roll_order(world):
    cid = await create_consultation(world)
    await given_roll(world, cid, ["甲", "乙", "丙"])
    await given_roll(world, cid, ["丙", "甲", "丁"])
    # when invitations are issued
    invitations = await issued(world, cid)
    # then there is one per active entry, labelled and ordered as the roll (retired 乙 gets none)
    assert [i["label"] for i in invitations] == ["丙", "甲", "丁"]
    # and the codes are distinct, at least 12 characters of the unambiguous alphabet
    codes = [i["code"] for i in invitations]
    assert len(set(codes)) == len(codes)
    for code in codes:
        letters = code.replace("-", "")
        assert len(letters) >= 12, code
        assert set(letters) <= CODE_ALPHABET, code


async def test_each_code_opens_its_own_household(world):
    cid = await create_consultation(world)
    await given_roll(world, cid, ["甲", "乙"])
    invitations = await issued(world, cid)
    # when each code is redeemed
    names = [(await redeem(world.anon, i["code"]))["viewer"]["displayName"] for i in invitations]
    # then each signs in the household it was printed for
    assert names == [i["label"] for i in invitations]


async def test_issuing_invitations_for_an_empty_roll_is_invalid(world):
    cid = await create_consultation(world)
    trail_before = (await trail_of(world.organizer, cid))["totalCount"]
    # when invitations are issued before any roll is set
    payload = await issue(world.organizer, cid)
    # then it is INVALID, no code is issued and nothing is recorded
    assert only_error(payload)["code"] == "INVALID"
    assert payload["invitations"] == []
    assert await Invitation.all().count() == 0
    assert (await trail_of(world.organizer, cid))["totalCount"] == trail_before


async def test_issuing_invitations_after_everyone_left_the_roll_is_invalid(world):
    cid = await create_consultation(world)
    await given_roll(world, cid, ["甲"])
    # given a roll emptied by a replacement
    await given_roll(world, cid, [])
    assert await roll_of(world.organizer, cid) == []
    # when invitations are issued
    payload = await issue(world.organizer, cid)
    # then it is INVALID
    assert only_error(payload)["code"] == "INVALID"


async def test_only_staff_may_issue_invitations(world):
    cid = await create_consultation(world, stage="COLLECTING")
    [resident] = await residents(world, cid, ["甲"])
    count_before = await Invitation.all().count()
    # when non-staff clients try to issue invitations
    outcomes = [
        code_and_field(await issue(client, cid))[0]
        for client in [resident, world.cppcc, world.reps["units"], world.anon]
    ]
    # then they are refused and no code is made
    assert outcomes == ["FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "UNAUTHENTICATED"]
    assert await Invitation.all().count() == count_before


async def test_issuing_invitations_for_an_unknown_consultation_is_not_found(world):
    # when the organizer issues invitations for a consultation that does not exist
    payload = await issue(world.organizer, to_global_id("Consultation", 987654))
    # then it is NOT_FOUND on consultationId
    assert code_and_field(payload) == ("NOT_FOUND", "consultationId")


async def test_issuing_invitations_appends_one_audit_event_without_any_code(world):
    cid = await create_consultation(world)
    await given_roll(world, cid, ["甲", "乙"])
    first = await issued(world, cid)
    before = (await trail_of(world.organizer, cid))["totalCount"]
    # when invitations are issued again
    second = await issued(world, cid)
    # then the trail has grown by exactly one invitations event
    trail = await trail_of(world.organizer, cid)
    assert trail["totalCount"] == before + 1
    assert trail["edges"][-1]["node"]["action"] == "invitations.issue"
    # and no event, in its summary or its stored payload, contains any code
    forms = {form for i in first + second for form in (i["code"].upper(), i["code"].upper().replace("-", ""))}
    summaries = [edge["node"]["summary"].upper() for edge in trail["edges"]]
    stored = [(e.summary + " " + str(e.payload)).upper() for e in await AuditEvent.filter()]
    assert not [text for text in summaries + stored if any(form in text for form in forms)]
    assert all(re.search(r"[\u4e00-\u9fff]", s) for s in summaries)
