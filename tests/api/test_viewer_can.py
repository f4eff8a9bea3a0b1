"""What the server tells the pages is possible: viewerCan and nextStages, and that they are true.

Each viewer's Booleans are checked against tables written out here, stage by stage; then the
services are asked to do the same things, and refuse exactly what viewerCan refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.helpers import Client, World, create_consultation, create_poll, login, make_account, residents

CONSULTATION_CAN = [
    "advance",
    "cancel",
    "archive",
    "addParty",
    "submitDemand",
    "supportDemand",
    "triageDemands",
    "assignResponsibility",
    "createProposal",
    "createPoll",
    "setVoterRoll",
    "issueInvitations",
    "addMilestone",
    "recordInspection",
    "recordFollowUp",
    "rate",
]
PROPOSAL_CAN = ["update", "adopt", "reject", "setCostPlan"]
SHARE_CAN = ["confirm", "recordContribution"]
POLL_CAN = ["open", "close", "vote", "recordPaperBallot"]
MILESTONE_CAN = ["update"]
FINDING_CAN = ["resolve", "verify"]

# What refuses for who or when the viewer is; any other error (a bad value, a wrong status) is not viewerCan's business.
REFUSALS = {"UNAUTHENTICATED", "FORBIDDEN", "WRONG_STAGE", "NOT_ELIGIBLE"}

ALL_CAN = f"""
  viewerCan {{ {" ".join(CONSULTATION_CAN)} }}
  proposals {{ title viewerCan {{ {" ".join(PROPOSAL_CAN)} }}
    costPlan {{ shares {{ party {{ name }} viewerCan {{ {" ".join(SHARE_CAN)} }} }} }} }}
  polls {{ viewerCan {{ {" ".join(POLL_CAN)} }} }}
  milestones {{ viewerCan {{ {" ".join(MILESTONE_CAN)} }} }}
  findings {{ viewerCan {{ {" ".join(FINDING_CAN)} }} }}
"""
QUERY = f"query($id: ID!) {{ consultation(id: $id) {{ {ALL_CAN} }} }}"
MOVES = (
    "query($id: ID!) { consultation(id: $id) { stage"
    " nextStages { stage skips allowed needsNote reason { field code message } } } }"
)


def only(fields: set[str] | frozenset[str], of: list[str] = CONSULTATION_CAN) -> dict[str, bool]:
    """A viewerCan object with exactly `fields` true."""
    unknown = set(fields) - set(of)
    assert not unknown, unknown
    return {name: name in fields for name in of}


STAFF = {
    "DRAFT": {"advance", "cancel", "addParty", "setVoterRoll", "issueInvitations"},
    "COLLECTING": {
        "advance",
        "cancel",
        "addParty",
        "setVoterRoll",
        "issueInvitations",
        "submitDemand",
        "triageDemands",
    },
    "DELIBERATING": {
        "advance",
        "cancel",
        "addParty",
        "setVoterRoll",
        "issueInvitations",
        "triageDemands",
        "assignResponsibility",
        "createProposal",
        "createPoll",
    },
    "VOTING": {
        "advance",
        "cancel",
        "addParty",
        "setVoterRoll",
        "issueInvitations",
        "assignResponsibility",
        "createProposal",
        "createPoll",
    },
    "AGREED": {"advance", "cancel", "addParty", "setVoterRoll", "issueInvitations", "addMilestone"},
    "IMPLEMENTING": {
        "advance",
        "cancel",
        "addParty",
        "setVoterRoll",
        "issueInvitations",
        "addMilestone",
        "recordFollowUp",
    },
    "EVALUATING": {"advance", "cancel", "archive", "addParty", "setVoterRoll", "issueInvitations", "recordFollowUp"},
    "ARCHIVED": set(),
}
CPPCC = {
    "DRAFT": set(),
    "COLLECTING": {"submitDemand"},
    "DELIBERATING": {"createProposal"},
    "VOTING": {"createProposal"},
    "AGREED": {"recordInspection"},
    "IMPLEMENTING": {"recordInspection", "recordFollowUp"},
    "EVALUATING": {"recordFollowUp"},
    "ARCHIVED": set(),
}
# The convener moves the stages on and seals the archive, besides what every CPPCC member does.
CONVENER = {
    stage: can
    | ({"advance", "cancel"} if stage != "ARCHIVED" else set())
    | ({"archive"} if stage == "EVALUATING" else set())
    for stage, can in CPPCC.items()
}
REP = {stage: {"createProposal"} if stage in ("DELIBERATING", "VOTING") else set() for stage in STAFF}
HOUSEHOLD = {
    stage: {"COLLECTING": {"submitDemand", "supportDemand"}, "EVALUATING": {"rate"}}.get(stage, set())
    for stage in STAFF
}
NOTHING = {stage: set() for stage in STAFF}


async def cast(world: World) -> dict[str, Client]:
    """Everyone who looks at a consultation: staff, its convener and another CPPCC member, two
    parties' reps and nobody signed in. Residents join once the roll exists."""
    await make_account(world.admin, "cppcc-2", ["CPPCC_MEMBER"], name="另一位政协委员")
    return {
        "organizer": world.organizer,
        "admin": world.admin,
        "convener": world.cppcc,
        "other_cppcc": await login(world.anon, "cppcc-2", "cppcc-2-password"),
        "rep_market": world.reps["market"],
        "rep_street": world.reps["street"],
        "anon": world.anon,
    }


async def with_residents(world: World, cid: str, viewers: dict[str, Client]) -> None:
    """A household on this consultation's roll, and a resident whose slip is for another consultation."""
    [viewers["household"]] = await residents(world, cid, ["菜园巷 1 号"])
    elsewhere = await create_consultation(world, stage="COLLECTING", title="别的巷子")
    [viewers["stranger"]] = await residents(world, elsewhere, ["别巷 1 号"])


async def seen(client: Client, cid: str) -> dict | None:
    return (await client.query(QUERY, {"id": cid}))["consultation"]


def refused(payload: dict) -> bool:
    return any(e["code"] in REFUSALS for e in payload["errors"])


async def advance(client: Client, cid: str, to: str, note: str | None = None) -> dict:
    return await client.mutate(
        "advanceStage", {"consultationId": cid, "to": to, "note": note}, "consultation { stage }"
    )


# ---------------------------------------------------------------- Consultation.viewerCan


async def test_each_viewer_is_told_what_they_may_do_to_a_consultation_at_every_stage(world):
    # given a consultation convened by a CPPCC member, and everyone who may look at it
    viewers = await cast(world)
    cid = await create_consultation(world)
    expected = {
        "organizer": STAFF,
        "admin": STAFF,
        "convener": CONVENER,
        "other_cppcc": CPPCC,
        "rep_market": REP,
        "rep_street": REP,
        "anon": NOTHING,
    }

    async def check(stage: str) -> None:
        for name, client in viewers.items():
            data = await seen(client, cid)
            if stage == "DRAFT" and name not in ("organizer", "admin", "convener"):
                assert data is None, name  # a DRAFT is for its organizers only
                continue
            assert data["viewerCan"] == only(expected[name][stage]), (stage, name)

    # when it goes from DRAFT to ARCHIVED, then at each stage each viewer sees their own table
    await check("DRAFT")
    await advance(world.organizer, cid, "COLLECTING")
    await with_residents(world, cid, viewers)
    expected |= {"household": HOUSEHOLD, "stranger": NOTHING}
    await check("COLLECTING")
    await advance(world.organizer, cid, "DELIBERATING")
    await check("DELIBERATING")
    await create_poll(world, cid)
    await advance(world.organizer, cid, "VOTING")
    await check("VOTING")
    poll = await world.organizer.query("query($id: ID!) { consultation(id: $id) { polls { id } } }", {"id": cid})
    await world.organizer.ok("closePoll", {"pollId": poll["consultation"]["polls"][0]["id"]}, "poll { id }")
    proposal = await world.organizer.ok(
        "createProposal", {"consultationId": cid, "title": "方案", "body": "修路", "budget": "100"}, "proposal { id }"
    )
    await world.organizer.ok("adoptProposal", {"proposalId": proposal["proposal"]["id"]}, "proposal { id }")
    for stage in ("AGREED", "IMPLEMENTING", "EVALUATING"):
        await world.organizer.ok("advanceStage", {"consultationId": cid, "to": stage}, "consultation { id }")
        await check(stage)
    await world.organizer.ok("archiveConsultation", {"consultationId": cid}, "consultation { id }")
    await check("ARCHIVED")


async def test_what_a_consultations_viewer_can_promises_the_services_keep(world):
    # given a COLLECTING consultation, its household and a resident of another consultation
    viewers = await cast(world)
    cid = await create_consultation(world, stage="COLLECTING")
    await with_residents(world, cid, viewers)
    for name, client in viewers.items():
        # when each raises a demand the way their page would
        can = (await seen(client, cid))["viewerCan"]["submitDemand"]
        payload = await client.mutate("submitDemand", {"consultationId": cid, "title": f"{name}的诉求", "body": "积水"})
        # then the service refuses exactly those viewerCan told no
        assert refused(payload) == (not can), (name, payload["errors"])
    demand = (
        await world.organizer.query(
            "query($id: ID!) { consultation(id: $id) { demands(first: 1) { edges { node { id } } } } }", {"id": cid}
        )
    )["consultation"]["demands"]["edges"][0]["node"]["id"]
    for name, client in viewers.items():
        can = (await seen(client, cid))["viewerCan"]["supportDemand"]
        payload = await client.mutate("supportDemand", {"demandId": demand})
        assert refused(payload) == (not can), (name, payload["errors"])
    assert (await seen(viewers["stranger"], cid))["viewerCan"]["submitDemand"] is False


# ---------------------------------------------------------------- proposals, shares, polls


async def proposal_with_plan(world: World, cid: str) -> tuple[str, dict[str, str]]:
    """The market's rep puts a proposal forward; the organizer splits it between the market and the street office."""
    created = await world.reps["market"].ok(
        "createProposal",
        {"consultationId": cid, "title": "市场方案", "body": "修路", "budget": "240000"},
        "proposal { id }",
    )
    pid = created["proposal"]["id"]
    plan = await world.organizer.ok(
        "setCostPlan",
        {
            "proposalId": pid,
            "total": "240000",
            "method": "EQUAL",
            "shares": [{"partyId": world.parties["market"]}, {"partyId": world.parties["street"]}],
        },
        "costPlan { shares { id party { name } } }",
    )
    shares = {s["party"]["name"]: s["id"] for s in plan["costPlan"]["shares"]}
    return pid, shares


async def test_a_proposals_author_and_a_shares_party_are_told_what_they_may_do(world):
    # given a DELIBERATING consultation with the market rep's proposal, split between the market and the street office
    viewers = await cast(world)
    cid = await create_consultation(world, stage="COLLECTING")
    await with_residents(world, cid, viewers)
    await advance(world.organizer, cid, "DELIBERATING")
    await proposal_with_plan(world, cid)
    staff = (only(set(PROPOSAL_CAN), PROPOSAL_CAN), only(set(SHARE_CAN), SHARE_CAN), only(set(SHARE_CAN), SHARE_CAN))
    nothing = (only(set(), PROPOSAL_CAN), only(set(), SHARE_CAN), only(set(), SHARE_CAN))
    # (proposal, the market's share, the street office's share)
    expected = {
        "organizer": staff,
        "admin": staff,
        "rep_market": (
            only({"update", "setCostPlan"}, PROPOSAL_CAN),
            only({"confirm"}, SHARE_CAN),
            only(set(), SHARE_CAN),
        ),
        "rep_street": (only(set(), PROPOSAL_CAN), only(set(), SHARE_CAN), only({"confirm"}, SHARE_CAN)),
        "convener": nothing,
        "other_cppcc": nothing,
        "household": nothing,
        "stranger": nothing,
        "anon": nothing,
    }
    for name, client in viewers.items():
        # when each looks at the proposal and its shares
        [proposal] = (await seen(client, cid))["proposals"]
        shares = {s["party"]["name"]: s["viewerCan"] for s in proposal["costPlan"]["shares"]}
        # then the author may edit it and split it, each rep may sign for their own party only
        assert (proposal["viewerCan"], shares["菜园市场"], shares["解放街道办事处"]) == expected[name], name


async def test_what_a_shares_and_a_proposals_viewer_can_promises_the_services_keep(world):
    # given the market rep's proposal with a plan, in DELIBERATING
    viewers = await cast(world)
    cid = await create_consultation(world, stage="DELIBERATING")
    pid, shares = await proposal_with_plan(world, cid)
    market_share = shares["菜园市场"]
    for name, client in viewers.items():
        data = await seen(client, cid)
        proposal_can = data["proposals"][0]["viewerCan"]
        share_can = next(s for s in data["proposals"][0]["costPlan"]["shares"] if s["party"]["name"] == "菜园市场")
        # when each signs the market's share (signing again changes nothing) and tables the proposal
        signed = await client.mutate("confirmShare", {"shareId": market_share}, "share { id }")
        tabled = await client.mutate("updateProposal", {"proposalId": pid, "status": "TABLED"}, "proposal { id }")
        # then the services refuse exactly those viewerCan told no
        assert refused(signed) == (not share_can["viewerCan"]["confirm"]), (name, signed["errors"])
        assert refused(tabled) == (not proposal_can["update"]), (name, tabled["errors"])


async def test_a_poll_tells_organizers_and_its_electorate_what_they_may_do(world):
    # given a consultation with a household on its roll and a poll set up while DELIBERATING
    viewers = await cast(world)
    cid = await create_consultation(world, stage="COLLECTING")
    await with_residents(world, cid, viewers)
    await advance(world.organizer, cid, "DELIBERATING")
    pid = await create_poll(world, cid)
    staff_voting = only({"open", "close", "recordPaperBallot"}, POLL_CAN)
    # when it is looked at before VOTING, then nobody may open it or vote yet
    for name, client in viewers.items():
        assert (await seen(client, cid))["polls"][0]["viewerCan"] == only(set(), POLL_CAN), name
    # when the consultation moves to VOTING, then organizers may run it and the household may vote
    await advance(world.organizer, cid, "VOTING")
    expected = {"organizer": staff_voting, "admin": staff_voting, "household": only({"vote"}, POLL_CAN)}
    for name, client in viewers.items():
        assert (await seen(client, cid))["polls"][0]["viewerCan"] == expected.get(name, only(set(), POLL_CAN)), name
    # and once it is open, the electorate taken from the roll is who may vote, as castVote agrees
    await world.organizer.ok("openPoll", {"pollId": pid}, "poll { id }")
    options = await world.anon.query(
        "query($id: ID!) { node(id: $id) { ... on Poll { options { id } } } }", {"id": pid}
    )
    yes = options["node"]["options"][0]["id"]
    for name, client in viewers.items():
        can = (await seen(client, cid))["polls"][0]["viewerCan"]
        assert can == expected.get(name, only(set(), POLL_CAN)), name
        payload = await client.mutate("castVote", {"pollId": pid, "choices": [yes]}, "ballot { id }")
        assert refused(payload) == (not can["vote"]), (name, payload["errors"])


# ---------------------------------------------------------------- milestones and findings


async def test_milestones_and_findings_follow_the_responsible_party_and_the_supervisors(world):
    # given IMPLEMENTING works: a milestone the street office answers for, and a finding the market answers for
    viewers = await cast(world)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    t0 = datetime.now(UTC)
    milestone = await world.organizer.ok(
        "addMilestone",
        {
            "consultationId": cid,
            "title": "路面硬化",
            "kind": "CONSTRUCTION",
            "responsiblePartyId": world.parties["street"],
            "plannedEnd": (t0 + timedelta(days=10)).isoformat(),
        },
        "milestone { id }",
    )
    inspection = await world.cppcc.ok(
        "recordInspection",
        {
            "consultationId": cid,
            "visitedAt": t0.isoformat(),
            "notes": "现场查看",
            "findings": [
                {
                    "category": "NOISE",
                    "description": "夜间施工噪声",
                    "responsiblePartyId": world.parties["market"],
                    "dueAt": (t0 + timedelta(days=2)).isoformat(),
                    "expectedOutcome": "晚十点后停工",
                }
            ],
        },
        "inspection { findings { id } }",
    )
    fid = inspection["inspection"]["findings"][0]["id"]
    mid = milestone["milestone"]["id"]
    staff = (only({"update"}, MILESTONE_CAN), only({"resolve"}, FINDING_CAN))
    supervisor = (only(set(), MILESTONE_CAN), only({"verify"}, FINDING_CAN))
    expected = {
        "organizer": staff,
        "admin": staff,
        "convener": supervisor,
        "other_cppcc": supervisor,
        "rep_street": (only({"update"}, MILESTONE_CAN), only(set(), FINDING_CAN)),
        "rep_market": (only(set(), MILESTONE_CAN), only({"resolve"}, FINDING_CAN)),
        "anon": (only(set(), MILESTONE_CAN), only(set(), FINDING_CAN)),
    }
    for name, client in viewers.items():
        # when each looks at the works
        data = await seen(client, cid)
        can = (data["milestones"][0]["viewerCan"], data["findings"][0]["viewerCan"])
        # then the responsible party reports its own progress and fixes, the CPPCC members verify
        assert can == expected[name], name
        # and the services agree: a report, a fix (once RESOLVED, a second fix is a bad move, not a refusal)
        reported = await client.mutate("updateMilestone", {"milestoneId": mid, "progress": 10}, "milestone { id }")
        assert refused(reported) == (not can[0]["update"]), (name, reported["errors"])
        fixed = await client.mutate(
            "updateFinding", {"findingId": fid, "status": "RESOLVED", "resolution": "已停工"}, "finding { id }"
        )
        assert refused(fixed) == (not can[1]["resolve"]), (name, fixed["errors"])
    for name, client in viewers.items():
        verified = await client.mutate("updateFinding", {"findingId": fid, "status": "VERIFIED"}, "finding { id }")
        assert refused(verified) == (not expected[name][1]["verify"]), (name, verified["errors"])

    # when the consultation is archived, then nobody may do anything to anything in it
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "EVALUATING"}, "consultation { id }")
    await world.organizer.ok("archiveConsultation", {"consultationId": cid}, "consultation { id }")
    for name, client in viewers.items():
        data = await seen(client, cid)
        assert not any(data["viewerCan"].values()), name
        assert not any(data["milestones"][0]["viewerCan"].values()), name
        assert not any(data["findings"][0]["viewerCan"].values()), name


async def test_a_household_may_rate_and_nobody_else(world):
    # given an EVALUATING consultation with a household, and a resident of another consultation
    viewers = await cast(world)
    cid = await create_consultation(world, stage="COLLECTING")
    await with_residents(world, cid, viewers)
    for stage in ("DELIBERATING", "AGREED", "IMPLEMENTING", "EVALUATING"):
        if stage == "AGREED":
            created = await world.organizer.ok(
                "createProposal",
                {"consultationId": cid, "title": "方案", "body": "修", "budget": "1"},
                "proposal { id }",
            )
            await world.organizer.ok("adoptProposal", {"proposalId": created["proposal"]["id"]}, "proposal { id }")
        await world.organizer.ok("advanceStage", {"consultationId": cid, "to": stage}, "consultation { id }")
    for name, client in viewers.items():
        # when each rates the outcome
        can = (await seen(client, cid))["viewerCan"]["rate"]
        payload = await client.mutate("rateOutcome", {"consultationId": cid, "score": 5})
        # then only the household may, as viewerCan said
        assert can == (name == "household"), name
        assert refused(payload) == (not can), (name, payload["errors"])


# ---------------------------------------------------------------- the platform


async def test_the_pages_offered_follow_the_viewers_roles(world):
    viewers = await cast(world)
    [viewers["household"]] = await residents(world, await create_consultation(world, stage="COLLECTING"), ["1 号"])
    document = "{ viewerCan { openConsole openBoard createConsultation createParty createAccount grantRoles } }"
    staff = {
        "openConsole": True,
        "openBoard": True,
        "createConsultation": True,
        "createParty": True,
        "createAccount": True,
    }
    none = dict.fromkeys(staff, False) | {"grantRoles": []}
    expected = {
        "admin": staff | {"grantRoles": ["ADMIN", "ORGANIZER", "CPPCC_MEMBER", "PARTY_REP", "RESIDENT"]},
        "organizer": staff | {"grantRoles": ["PARTY_REP", "RESIDENT"]},
        "convener": none | {"openBoard": True},
        "other_cppcc": none | {"openBoard": True},
        "rep_market": none,
        "rep_street": none,
        "household": none,
        "anon": none,
    }
    for name, client in viewers.items():
        assert (await client.query(document))["viewerCan"] == expected[name], name
    # and what grantRoles leaves out, createAccount refuses
    payload = await world.organizer.mutate(
        "createAccount",
        {"username": "x1", "password": "long-enough-password", "displayName": "x", "roles": ["ORGANIZER"]},
        "account { id }",
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("roles", "FORBIDDEN")]


# ---------------------------------------------------------------- nextStages


async def moves(client: Client, cid: str) -> dict[str, dict]:
    data = (await client.query(MOVES, {"id": cid}))["consultation"]
    return {m["stage"]: m for m in data["nextStages"]}


async def test_next_stages_are_the_stage_machines_one_step_moves_with_what_they_skip(world):
    cid = await create_consultation(world)
    found = await moves(world.organizer, cid)
    assert [(s, m["skips"], m["allowed"], m["needsNote"]) for s, m in found.items()] == [
        ("COLLECTING", [], True, False),
        ("DELIBERATING", ["COLLECTING"], True, False),
        ("CANCELLED", [], True, True),
    ]
    assert all(m["reason"] is None for m in found.values())


@pytest.mark.parametrize(
    ("lang", "voting", "agreed", "forbidden", "unauthenticated"),
    [
        (
            "zh-CN",
            "进入“居民表决”前，请先设立至少一项表决。",
            "进入“签协议”前，需要先采纳一个方案。",
            "您没有权限进行此操作。",
            "请先登录，或用邀请码进入。",
        ),
        (
            "en",
            "Create at least one poll before moving to “voting”.",
            "Adopt a proposal before moving to “signing the agreement”.",
            "You are not allowed to do this.",
            "Please sign in, or enter with your invitation code.",
        ),
    ],
)
async def test_next_stages_say_why_a_move_is_refused_in_the_requests_language(
    world, lang, voting, agreed, forbidden, unauthenticated
):
    # given a DELIBERATING consultation with no poll and no adopted proposal
    viewers = await cast(world)
    cid = await create_consultation(world, stage="DELIBERATING")
    # when its convener asks where it may go
    found = await moves(viewers["convener"].as_(viewers["convener"].token, lang), cid)
    # then VOTING waits for a poll, AGREED for an adopted proposal, and CANCELLED is open with a note
    assert found["VOTING"]["reason"] == {"field": "to", "code": "WRONG_STAGE", "message": voting}
    assert found["AGREED"]["reason"] == {"field": "to", "code": "WRONG_STAGE", "message": agreed}
    assert found["AGREED"]["skips"] == ["VOTING"]
    assert (found["CANCELLED"]["allowed"], found["CANCELLED"]["needsNote"]) == (True, True)
    # and for others the refusal is who they are, before anything about the consultation
    for name, code, message in [
        ("other_cppcc", "FORBIDDEN", forbidden),
        ("rep_market", "FORBIDDEN", forbidden),
        ("anon", "UNAUTHENTICATED", unauthenticated),
    ]:
        client = viewers[name]
        seen_moves = await moves(client.as_(client.token, lang), cid)
        assert {m["allowed"] for m in seen_moves.values()} == {False}, name
        assert {(m["reason"]["code"], m["reason"]["message"]) for m in seen_moves.values()} == {(code, message)}, name


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_a_move_next_stages_allows_succeeds_and_one_it_blocks_fails_with_the_same_error(world, lang):
    # given a consultation walked from DRAFT to ARCHIVED, with each stage's preparations made only
    # after nextStages was asked (so that some moves are blocked first)
    organizer = world.organizer.as_(world.organizer.token, lang)
    cid = await create_consultation(world)
    prepare = {
        "DELIBERATING": lambda: create_poll(world, cid),
        "VOTING": lambda: _close_adopt_and_confirm(world, cid),
    }
    path = ["COLLECTING", "DELIBERATING", "VOTING", "AGREED", "IMPLEMENTING", "EVALUATING", "ARCHIVED"]
    blocked_seen = 0
    for target in path:
        here = (await organizer.query(MOVES, {"id": cid}))["consultation"]
        for move in here["nextStages"]:
            if move["allowed"]:
                continue
            # when a move nextStages blocks is tried, then it fails with exactly the reason given
            blocked_seen += 1
            payload = await advance(organizer, cid, move["stage"], "试一试")
            assert payload["errors"] == [move["reason"]], move
        if here["stage"] in prepare:
            await prepare[here["stage"]]()
            here = (await organizer.query(MOVES, {"id": cid}))["consultation"]
        [step] = [m for m in here["nextStages"] if m["stage"] == target]
        # when the next move is allowed, then it succeeds
        assert step["allowed"], step
        payload = await advance(organizer, cid, target)
        assert payload["errors"] == [] and payload["consultation"]["stage"] == target
    assert blocked_seen >= 3  # VOTING without a poll, AGREED without adoption, AGREED before the polls closed
    assert (await organizer.query(MOVES, {"id": cid}))["consultation"]["nextStages"] == []


async def _close_adopt_and_confirm(world: World, cid: str) -> None:
    data = await world.organizer.query("query($id: ID!) { consultation(id: $id) { polls { id } } }", {"id": cid})
    for poll in data["consultation"]["polls"]:
        await world.organizer.ok("closePoll", {"pollId": poll["id"]}, "poll { id }")
    pid, shares = await proposal_with_plan(world, cid)
    await world.organizer.ok("adoptProposal", {"proposalId": pid}, "proposal { id }")
    await world.reps["market"].ok("confirmShare", {"shareId": shares["菜园市场"]}, "share { id }")
    await world.reps["street"].ok("confirmShare", {"shareId": shares["解放街道办事处"]}, "share { id }")


async def test_cancelling_is_allowed_with_a_note_and_refused_without_one(world):
    cid = await create_consultation(world, stage="COLLECTING")
    cancel = (await moves(world.organizer, cid))["CANCELLED"]
    assert (cancel["allowed"], cancel["needsNote"]) == (True, True)
    without = await advance(world.organizer, cid, "CANCELLED")
    assert [(e["field"], e["code"]) for e in without["errors"]] == [("note", "INVALID")]
    withnote = await advance(world.organizer, cid, "CANCELLED", "居民已自行解决")
    assert withnote["errors"] == []
    assert await moves(world.organizer, cid) == {}


async def test_leaving_voting_follows_the_polls_clock_then_waits_for_the_signatures(world, clock):
    # given a VOTING consultation whose poll closes by itself in an hour, and an adopted plan not yet signed
    t0 = datetime.now(UTC).replace(microsecond=0)
    clock.set(t0)
    cid = await create_consultation(world, stage="DELIBERATING")
    await create_poll(world, cid, question="同意修路吗？", closesAt=(t0 + timedelta(hours=1)).isoformat())
    pid, _ = await proposal_with_plan(world, cid)
    await world.organizer.ok("adoptProposal", {"proposalId": pid}, "proposal { id }")
    await advance(world.organizer, cid, "VOTING")
    # when the organizer looks before the hour is up, then AGREED waits for the poll
    agreed = (await moves(world.organizer, cid))["AGREED"]
    assert agreed["reason"]["message"] == "还有表决没有结束：同意修路吗？。"
    # when the clock passes the poll's close, with nobody writing, then it waits for the two signatures instead
    clock.advance(hours=2)
    agreed = (await moves(world.organizer, cid))["AGREED"]
    assert agreed["reason"]["message"] == "进入“签协议”前，各出资方须确认分担金额。尚未确认：菜园市场、解放街道办事处。"
    # and advanceStage says the same
    payload = await advance(world.organizer, cid, "AGREED")
    assert payload["errors"] == [agreed["reason"]]


async def test_evaluating_waits_for_every_finding_to_be_verified_in_english_too(world):
    # given IMPLEMENTING works with an open finding
    cid = await create_consultation(world, stage="IMPLEMENTING")
    t0 = datetime.now(UTC)
    await world.cppcc.ok(
        "recordInspection",
        {
            "consultationId": cid,
            "visitedAt": t0.isoformat(),
            "notes": "现场查看",
            "findings": [
                {
                    "category": "SAFETY",
                    "description": "沟槽未设围挡",
                    "responsiblePartyId": world.parties["street"],
                    "dueAt": (t0 + timedelta(days=1)).isoformat(),
                    "expectedOutcome": "设置围挡",
                }
            ],
        },
        "inspection { id }",
    )
    english = world.organizer.as_(world.organizer.token, "en")
    # when the organizer asks in English, then EVALUATING is blocked by the finding, by name
    evaluating = (await moves(english, cid))["EVALUATING"]
    assert evaluating["reason"] == {
        "field": "to",
        "code": "WRONG_STAGE",
        "message": "Every finding must be “verified” before moving to “evaluating”. Still open: 沟槽未设围挡.",
    }
    assert (await advance(english, cid, "EVALUATING"))["errors"] == [evaluating["reason"]]
