"""What the web pages need from the server: pages with a strict CSP, the browser packages,
slips with links and QR codes, the consultation a slip opens, and an exact split preview."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.api.helpers import create_consultation, residents

PREVIEW = """query($total: Money!, $method: SplitMethod!, $shares: [SharePreviewInput!]!) {
  previewCostSplit(total: $total, method: $method, shares: $shares) { amounts sum errors { field code message } }
}"""


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/i/ABCD-EFGH-JKMN",
        "/c/Q29uc3VsdGF0aW9uOjE=",
        "/login",
        "/board",
        "/console",
        "/console/Q29uc3VsdGF0aW9uOjE=",
    ],
)
async def test_every_page_is_served_in_chinese_under_a_strict_policy(http, path):
    response = await http.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    # a slip's code never leaks in a Referer to another site (a slip page names only this site, so that
    # its form's POST carries this site's Origin)
    expected = "same-origin" if path.startswith("/i/") else "no-referrer"
    assert response.headers["referrer-policy"] == expected
    # every script a page loads is one of ours, as a module file: nothing inline
    assert "<script>" not in response.text
    for src in re.findall(r'<script type="module" src="([^"]+)"', response.text):
        assert (await http.get(src)).status_code == 200


async def test_the_graphql_ws_client_is_served_from_the_installed_package(http):
    response = await http.get("/vendor/graphql-ws/dist/client.js")
    assert response.status_code == 200
    assert "export" in response.text and "createClient" in response.text
    # Only the package's browser build is served, not its package files nor the rest of node_modules.
    for path in [
        "/vendor/graphql-ws/package.json",
        "/vendor/.package-lock.json",
        "/vendor/graphql/package.json",
        "/vendor/graphql-ws/dist/%2e%2e/package.json",
        "/assets/%2e%2e/package.json",
    ]:
        assert (await http.get(path)).status_code == 404, path


async def test_redeeming_a_slip_names_its_consultation_and_login_names_none(world):
    cid = await create_consultation(world, stage="COLLECTING")
    await world.organizer.ok("setVoterRoll", {"consultationId": cid, "voters": [{"label": "1 号"}]}, "entries { id }")
    [slip] = (await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { code }"))[
        "invitations"
    ]
    payload = await world.anon.ok("redeemInvitation", {"code": slip["code"]}, "consultation { id title }")
    assert payload["consultation"]["id"] == cid
    payload = await world.anon.ok(
        "login", {"username": "organizer", "password": "organizer-password"}, "consultation { id }"
    )
    assert payload["consultation"] is None
    refused = await world.anon.mutate("redeemInvitation", {"code": "AAAA-BBBB-CCCC"}, "consultation { id }")
    assert refused["consultation"] is None and refused["errors"][0]["code"] == "INVALID"


async def test_slips_carry_the_link_and_a_qr_code_of_it(world, http):
    cid = await create_consultation(world, stage="COLLECTING")
    await world.organizer.ok(
        "setVoterRoll", {"consultationId": cid, "voters": [{"label": "3 号"}, {"label": "4 号"}]}, "entries { id }"
    )
    slips = (
        await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { label code link qrSvg }")
    )["invitations"]
    assert [s["label"] for s in slips] == ["3 号", "4 号"]
    for slip in slips:
        # the organizer's browser reached the server at http://testserver/
        assert slip["link"] == f"http://testserver/i/{quote(slip['code'], safe='')}"
        assert slip["qrSvg"].startswith("<svg") and "<path" in slip["qrSvg"] and "<script" not in slip["qrSvg"]
        assert "viewBox=" in slip["qrSvg"] and "width=" not in slip["qrSvg"]  # it scales to the slip's size
    assert slips[0]["qrSvg"] != slips[1]["qrSvg"]
    # The link itself opens the resident page.
    assert (await http.get(slips[0]["link"].removeprefix("http://testserver"))).status_code == 200


async def test_the_qr_code_decodes_to_the_link(world):
    segno = pytest.importorskip("segno")
    cid = await create_consultation(world, stage="COLLECTING")
    await world.organizer.ok("setVoterRoll", {"consultationId": cid, "voters": [{"label": "5 号"}]}, "entries { id }")
    [slip] = (await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { link qrSvg }"))[
        "invitations"
    ]
    # The same encoder, given the link, draws the same symbol: the slip carries exactly the link.
    expected = segno.make(slip["link"], error="m", micro=False).svg_inline(
        scale=4, border=2, omitsize=True, title="扫码参与表决"
    )
    assert slip["qrSvg"] == expected
    assert segno.make(slip["link"], error="m").version <= 5  # small enough to scan from a 3 cm square


async def test_a_configured_public_address_goes_on_the_slips(world, settings, session_clock):
    import dataclasses

    from consult.app import create_app
    from tests.api.helpers import Client, cookieless_client

    app = create_app(
        dataclasses.replace(settings, public_url="https://xieshang.example.cn"),
        manage_database=False,
        clock=session_clock,
    )
    cid = await create_consultation(world, stage="COLLECTING")
    await world.organizer.ok("setVoterRoll", {"consultationId": cid, "voters": [{"label": "6 号"}]}, "entries { id }")
    async with cookieless_client(app) as http:
        organizer = Client(http, world.organizer.token)
        [slip] = (await organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { code link }"))[
            "invitations"
        ]
    assert slip["link"] == f"https://xieshang.example.cn/i/{slip['code']}"


async def test_only_organizers_get_slips(world):
    cid = await create_consultation(world, stage="COLLECTING")
    [resident] = await residents(world, cid, ["7 号"])
    refused = await resident.mutate("issueInvitations", {"consultationId": cid}, "invitations { qrSvg }")
    assert refused["invitations"] == [] and refused["errors"][0]["code"] == "FORBIDDEN"


async def test_the_split_preview_is_the_split_that_is_saved(world, anon):
    cid = await create_consultation(world, stage="DELIBERATING")
    parties = list(world.parties.values())
    pid = (
        await world.organizer.ok(
            "createProposal",
            {"consultationId": cid, "title": "方案", "body": "修路", "budget": "100"},
            "proposal { id }",
        )
    )["proposal"]["id"]
    cases = [
        ("EQUAL", "100", [{}, {}, {}]),
        ("PERCENT", "240000", [{"percent": "50"}, {"percent": "30"}, {"percent": "20"}]),
        ("WEIGHTED", "1000.01", [{"weight": "3"}, {"weight": "2.5"}, {"weight": "1"}]),
        ("FIXED", "240000", [{"amount": "80000"}, {"amount": "80000.5"}, {"amount": "79999.50"}]),
    ]
    for method, total, lines in cases:
        preview = (await anon.query(PREVIEW, {"total": total, "method": method, "shares": lines}))["previewCostSplit"]
        assert preview["errors"] == []
        saved = await world.organizer.ok(
            "setCostPlan",
            {
                "proposalId": pid,
                "total": total,
                "method": method,
                "shares": [{"partyId": p, **line} for p, line in zip(parties, lines, strict=True)],
            },
            "costPlan { total shares { amount } }",
        )
        assert preview["amounts"] == [s["amount"] for s in saved["costPlan"]["shares"]]
        assert preview["sum"] == saved["costPlan"]["total"]
    equal = (await anon.query(PREVIEW, {"total": "100", "method": "EQUAL", "shares": [{}, {}, {}]}))["previewCostSplit"]
    assert equal["amounts"] == ["33.34", "33.33", "33.33"]


async def test_the_split_preview_gives_the_same_errors_in_the_users_language(anon):
    mismatch = (
        await anon.query(
            PREVIEW, {"total": "240000", "method": "FIXED", "shares": [{"amount": "80000"}, {"amount": "80000"}]}
        )
    )["previewCostSplit"]
    assert mismatch["amounts"] == [] and mismatch["sum"] is None
    assert mismatch["errors"][0]["code"] == "SPLIT_MISMATCH" and "160000.00" in mismatch["errors"][0]["message"]
    bad = (await anon.query(PREVIEW, {"total": "1e5", "method": "EQUAL", "shares": [{}]}))["previewCostSplit"]
    assert bad["errors"][0]["field"] == "total" and bad["errors"][0]["code"] == "INVALID"
    english = (await anon.as_(None, "en").query(PREVIEW, {"total": "1e5", "method": "EQUAL", "shares": [{}]}))[
        "previewCostSplit"
    ]
    assert "Not a valid amount" in english["errors"][0]["message"]
    weights = (await anon.query(PREVIEW, {"total": "10", "method": "WEIGHTED", "shares": [{"weight": "0"}]}))[
        "previewCostSplit"
    ]
    assert weights["errors"][0]["field"] == "shares.0.weight"
    # more lines than a plan can have (one per party, at most 100) are refused before anything runs
    refused = await anon.raw(PREVIEW, {"total": "10", "method": "EQUAL", "shares": [{}] * 101})
    (error,) = refused["errors"]
    assert error["extensions"] == {"code": "TOO_LARGE", "field": "shares", "max": 100}


async def test_a_date_left_blank_in_a_form_is_called_missing_not_malformed(world):
    cid = await create_consultation(world, stage="DELIBERATING")
    refused = await world.organizer.mutate(
        "assignResponsibility",
        {"consultationId": cid, "partyId": world.parties["market"], "duty": "出资", "dueAt": "  "},
        "responsibility { id }",
    )
    assert refused["responsibility"] is None
    assert refused["errors"] == [{"field": "dueAt", "code": "INVALID", "message": "请填写日期。"}]
    data = await world.organizer.query(
        "query($id: ID!) { consultation(id: $id) { responsibilities { id } } }", {"id": cid}
    )
    assert data["consultation"]["responsibilities"] == []


async def test_a_slip_for_a_draft_opens_nothing_yet(world):
    cid = await create_consultation(world)  # DRAFT: not published
    await world.organizer.ok("setVoterRoll", {"consultationId": cid, "voters": [{"label": "8 号"}]}, "entries { id }")
    [slip] = (await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { code }"))[
        "invitations"
    ]
    payload = await world.anon.ok("redeemInvitation", {"code": slip["code"]}, "token consultation { id title }")
    assert payload["token"] and payload["consultation"] is None


async def test_a_redeemed_slip_answers_with_the_page_as_the_household_now_sees_it(world):
    # given a VOTING consultation with an open poll and a household's slip
    from tests.api.helpers import create_poll

    cid = await create_consultation(world, stage="DELIBERATING")
    await world.organizer.ok("setVoterRoll", {"consultationId": cid, "voters": [{"label": "1 号"}]}, "entries { id }")
    pid = await create_poll(world, cid)
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "VOTING"}, "consultation { stage }")
    await world.organizer.ok("openPoll", {"pollId": pid}, "poll { status }")
    [slip] = (await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { code }"))[
        "invitations"
    ]
    select = (
        "token viewer { displayName } session { slipUsedBefore movedSlip } "
        "consultation { id polls { id viewerCanVote myBallot { receipt } } }"
    )
    # when it is redeemed, the answer is resolved as the household: it may vote, and has not yet
    first = await world.anon.ok("redeemInvitation", {"code": slip["code"]}, select)
    assert first["viewer"]["displayName"] == "1 号"
    assert first["consultation"]["polls"] == [{"id": pid, "viewerCanVote": True, "myBallot": None}]
    assert first["session"] == {"slipUsedBefore": None, "movedSlip": False}
    # and a second redemption of the same slip says, in the same answer, that it was used before
    again = await world.anon.ok("redeemInvitation", {"code": slip["code"]}, select)
    assert again["session"]["slipUsedBefore"] is not None and again["session"]["movedSlip"] is True
    # while a signed-out reader of the same consultation may not vote
    seen = await world.anon.query("query($id: ID!) { consultation(id: $id) { polls { viewerCanVote } } }", {"id": cid})
    assert seen["consultation"]["polls"] == [{"viewerCanVote": False}]
