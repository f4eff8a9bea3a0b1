"""Supervision (定时限单, 五定闭环), evaluation (给反馈单) and the sealed archive (存入档案单), over the public API."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from consult.ids import expect_id, to_global_id
from consult.models import AuditEvent
from tests.api.helpers import Client, World, close_polls, create_consultation, create_poll, residents

MILESTONE = (
    "id title kind responsibleParty { id name } plannedStart plannedEnd actualStart actualEnd progress status "
    "updates { at by { id } progress note }"
)
FINDING = (
    "id category description assignee { id } responsibleParty { id name } dueAt expectedOutcome status resolution "
    "overdue createdAt"
)
INSPECTION = f"id inspector {{ id }} milestone {{ id title }} visitedAt notes findings {{ {FINDING} }}"
RATING = "score comment at"
EVALUATION = f"count average distribution satisfactionRate myRating {{ {RATING} }}"
FOLLOW_UP = "id at by { id } notes"
DOSSIER = "sealedAt sha256 document htmlUrl"
FORMS = ["提诉求单", "列责任单", "出方案单", "定时限单", "给反馈单", "签协议单", "存入档案单"]
CAIYUAN = ["market", "street", "units"]
CONTACTS = ["market@example.cn", "street@example.cn", "units@example.cn"]
LABELS = ["菜园巷 1 号", "菜园巷 2 号", "菜园巷 3 号"]
PIT = "路面坑槽未修补"


# ---------------------------------------------------------------- helpers


def errors_of(payload: dict) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


def codes_of(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def start(clock) -> datetime:
    """Pin the app clock to now, to the whole second; tests then move it by hours only."""
    t0 = datetime.now(UTC).replace(microsecond=0)
    clock.set(t0)
    return t0


def iso(moment: datetime) -> str:
    return moment.isoformat()


def instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


async def advance(world: World, cid: str, to: str, client: Client | None = None) -> None:
    await (client or world.organizer).ok("advanceStage", {"consultationId": cid, "to": to}, "consultation { stage }")


async def try_advance(world: World, cid: str, to: str) -> dict:
    return await world.organizer.mutate("advanceStage", {"consultationId": cid, "to": to}, "consultation { stage }")


async def stage_of(client: Client, cid: str) -> str:
    data = await client.query("query($id: ID!) { consultation(id: $id) { stage } }", {"id": cid})
    return data["consultation"]["stage"]


async def trail(client: Client, cid: str) -> list[dict]:
    data = await client.query(
        "query($id: ID!) { consultation(id: $id) { auditTrail(first: 500) {"
        " edges { node { seq action summary hash prevHash actor { id } } } } } }",
        {"id": cid},
    )
    return [e["node"] for e in data["consultation"]["auditTrail"]["edges"]]


async def trail_length(client: Client, cid: str) -> int:
    data = await client.query("query($id: ID!) { consultation(id: $id) { auditTrail { totalCount } } }", {"id": cid})
    return data["consultation"]["auditTrail"]["totalCount"]


async def stored_events(cid: str, action: str) -> list[AuditEvent]:
    """The stored audit events of `action`, oldest first: the only direct model reads of this file."""
    pk = expect_id(cid, "Consultation")
    return await AuditEvent.filter(consultation_id=pk, action=action).order_by("seq")


async def outsider_party(world: World, name: str = "外区物业公司") -> str:
    payload = await world.admin.ok(
        "createParty", {"name": name, "kind": "ENTERPRISE", "contact": "wy@example.cn"}, "party { id }"
    )
    return payload["party"]["id"]


async def add_milestone(
    client: Client,
    cid: str,
    end: datetime,
    *,
    title: str = "路面硬化",
    kind: str = "CONSTRUCTION",
    party: str | None = None,
    begin: datetime | None = None,
) -> dict:
    return await client.mutate(
        "addMilestone",
        {
            "consultationId": cid,
            "title": title,
            "kind": kind,
            "responsiblePartyId": party,
            "plannedStart": iso(begin) if begin else None,
            "plannedEnd": iso(end),
        },
        f"milestone {{ {MILESTONE} }}",
    )


async def milestone_id(world: World, cid: str, end: datetime, party_key: str | None = "market", **extra) -> str:
    payload = await add_milestone(
        world.organizer, cid, end, party=world.parties[party_key] if party_key else None, **extra
    )
    assert payload["errors"] == [], payload["errors"]
    return payload["milestone"]["id"]


async def report(
    client: Client,
    mid: str,
    progress: int | None = None,
    note: str | None = None,
    actual_start: datetime | None = None,
    actual_end: datetime | None = None,
) -> dict:
    return await client.mutate(
        "updateMilestone",
        {
            "milestoneId": mid,
            "progress": progress,
            "note": note,
            "actualStart": iso(actual_start) if actual_start else None,
            "actualEnd": iso(actual_end) if actual_end else None,
        },
        f"milestone {{ {MILESTONE} }}",
    )


async def milestone(client: Client, mid: str) -> dict | None:
    data = await client.query(
        f"query($id: ID!) {{ node(id: $id) {{ ... on Milestone {{ {MILESTONE} }} }} }}", {"id": mid}
    )
    return data["node"]


async def milestones(client: Client, cid: str) -> list[dict]:
    data = await client.query(
        f"query($id: ID!) {{ consultation(id: $id) {{ milestones {{ {MILESTONE} }} }} }}", {"id": cid}
    )
    return data["consultation"]["milestones"]


def problem(
    world: World,
    due: datetime,
    *,
    party: str = "market",
    description: str = PIT,
    category: str = "QUALITY",
    assignee: str | None = None,
    expected: str = "一周内修补平整，雨后无积水",
) -> dict:
    """A FindingInput with its five fixed things."""
    return {
        "category": category,
        "description": description,
        "responsiblePartyId": world.parties.get(party, party),
        "assigneeId": assignee,
        "dueAt": iso(due),
        "expectedOutcome": expected,
    }


async def inspect(
    client: Client,
    cid: str,
    visited: datetime,
    findings: list[dict] | None = None,
    *,
    notes: str = "现场查看路面施工",
    milestone_id: str | None = None,
) -> dict:
    return await client.mutate(
        "recordInspection",
        {
            "consultationId": cid,
            "milestoneId": milestone_id,
            "visitedAt": iso(visited),
            "notes": notes,
            "findings": findings,
        },
        f"inspection {{ {INSPECTION} }}",
    )


async def open_findings(world: World, cid: str, t0: datetime, findings: list[dict]) -> list[str]:
    """The CPPCC member records a visit opening `findings`; returns their ids in order."""
    payload = await inspect(world.cppcc, cid, t0, findings)
    assert payload["errors"] == [], payload["errors"]
    return [f["id"] for f in payload["inspection"]["findings"]]


async def open_finding(world: World, cid: str, t0: datetime, **extra) -> str:
    [fid] = await open_findings(world, cid, t0, [problem(world, t0 + timedelta(hours=2), **extra)])
    return fid


async def move(client: Client, fid: str, status: str, resolution: str | None = None) -> dict:
    return await client.mutate(
        "updateFinding", {"findingId": fid, "status": status, "resolution": resolution}, f"finding {{ {FINDING} }}"
    )


async def close_loop(world: World, fid: str, resolver: Client | None = None) -> None:
    """The responsible rep (or `resolver`) reports the fix and the CPPCC member verifies it."""
    await (resolver or world.reps["market"]).ok(
        "updateFinding", {"findingId": fid, "status": "RESOLVED", "resolution": "已修补"}
    )
    await world.cppcc.ok("updateFinding", {"findingId": fid, "status": "VERIFIED"})


async def finding(client: Client, fid: str) -> dict | None:
    data = await client.query(f"query($id: ID!) {{ node(id: $id) {{ ... on Finding {{ {FINDING} }} }} }}", {"id": fid})
    return data["node"]


async def findings(client: Client, cid: str, status: str | None = None) -> list[dict]:
    data = await client.query(
        "query($id: ID!, $status: FindingStatus) { consultation(id: $id) { "
        f"findings(status: $status) {{ {FINDING} }} }} }}",
        {"id": cid, "status": status},
    )
    return data["consultation"]["findings"]


async def inspections(client: Client, cid: str) -> list[dict]:
    data = await client.query(
        f"query($id: ID!) {{ consultation(id: $id) {{ inspections {{ {INSPECTION} }} }} }}", {"id": cid}
    )
    return data["consultation"]["inspections"]


async def rate(client: Client, cid: str, score: int, comment: str | None = None) -> dict:
    return await client.mutate(
        "rateOutcome",
        {"consultationId": cid, "score": score, "comment": comment},
        f"rating {{ {RATING} }} evaluation {{ {EVALUATION} }}",
    )


async def evaluation(client: Client, cid: str) -> dict:
    data = await client.query(
        f"query($id: ID!) {{ consultation(id: $id) {{ evaluation {{ {EVALUATION} }} }} }}", {"id": cid}
    )
    return data["consultation"]["evaluation"]


async def follow_up(client: Client, cid: str, at: datetime, notes: str = "回访居民，路面平整无积水") -> dict:
    return await client.mutate(
        "recordFollowUp", {"consultationId": cid, "at": iso(at), "notes": notes}, f"followUp {{ {FOLLOW_UP} }}"
    )


async def follow_ups(client: Client, cid: str) -> list[dict]:
    data = await client.query(
        f"query($id: ID!) {{ consultation(id: $id) {{ followUps {{ {FOLLOW_UP} }} }} }}", {"id": cid}
    )
    return data["consultation"]["followUps"]


async def archive(client: Client, cid: str, note: str | None = None) -> dict:
    return await client.mutate(
        "archiveConsultation", {"consultationId": cid, "note": note}, "consultation { id stage }"
    )


async def dossier(client: Client, cid: str) -> dict | None:
    data = await client.query(f"query($id: ID!) {{ consultation(id: $id) {{ dossier {{ {DOSSIER} }} }} }}", {"id": cid})
    return data["consultation"]["dossier"]


def canonical_sha256(document: dict) -> str:
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def values(document) -> list:
    """Every value anywhere in a JSON document, containers included."""
    out = [document]
    if isinstance(document, dict):
        for key, value in document.items():
            assert isinstance(key, str)
            out.extend(values(value))
    elif isinstance(document, list):
        for value in document:
            out.extend(values(value))
    return out


async def share_ids(client: Client, pid: str) -> dict[str, str]:
    data = await client.query(
        "query($id: ID!) { node(id: $id) { ... on Proposal { costPlan { shares { id party { id } } } } } }", {"id": pid}
    )
    return {s["party"]["id"]: s["id"] for s in data["node"]["costPlan"]["shares"]}


async def evaluating_with_residents(world: World, labels: list[str]) -> tuple[str, list[Client]]:
    cid = await create_consultation(world, stage="EVALUATING")
    return cid, await residents(world, cid, labels)


async def archived_caiyuan(world: World, clock) -> tuple[str, dict, datetime]:
    """菜园巷 from the first demand to the sealed dossier: the whole walk, every form filled.

    Returns the consultation, the dossier and the moment it was sealed.
    """
    t0 = start(clock)
    org = world.organizer
    cid = await create_consultation(world, stage="COLLECTING")
    voters = await residents(world, cid, LABELS)
    await voters[0].ok(
        "submitDemand",
        {"consultationId": cid, "title": "雨天积水", "body": "菜园巷雨后积水，出行困难"},
        "demand { id }",
    )
    await advance(world, cid, "DELIBERATING")
    await org.ok(
        "assignResponsibility",
        {
            "consultationId": cid,
            "partyId": world.parties["street"],
            "duty": "组织施工招标",
            "dueAt": iso(t0 + timedelta(days=30)),
        },
        "responsibility { id }",
    )
    created = await org.ok(
        "createProposal",
        {
            "consultationId": cid,
            "title": "管网维修加路面硬化",
            "body": "市场、街道办、辖区单位各出 8 万元",
            "budget": "240000",
        },
        "proposal { id }",
    )
    pid = created["proposal"]["id"]
    await org.ok(
        "setCostPlan",
        {
            "proposalId": pid,
            "total": "240000",
            "method": "EQUAL",
            "shares": [{"partyId": world.parties[k]} for k in CAIYUAN],
        },
        "proposal { id }",
    )
    poll_id = await create_poll(world, cid)
    await advance(world, cid, "VOTING")
    await org.ok("openPoll", {"pollId": poll_id}, "poll { status }")
    options = (
        await org.query("query($id: ID!) { node(id: $id) { ... on Poll { options { id label } } } }", {"id": poll_id})
    )["node"]["options"]
    for voter, option in zip(voters, [options[0], options[0], options[1]], strict=True):
        await voter.ok("castVote", {"pollId": poll_id, "choices": [option["id"]]}, "ballot { id }")
    await org.ok("closePoll", {"pollId": poll_id}, "poll { status }")
    await org.ok("adoptProposal", {"proposalId": pid}, "proposal { id }")
    shares = await share_ids(org, pid)
    for key in CAIYUAN:
        # the street office's share is signed for it by the organizer; the others by their reps
        signer = org if key == "street" else world.reps[key]
        await signer.ok("confirmShare", {"shareId": shares[world.parties[key]]})
    await advance(world, cid, "AGREED")
    await org.ok(
        "recordContribution",
        {"shareId": shares[world.parties["market"]], "amount": "80000", "receivedAt": iso(t0), "note": "市场全额到位"},
    )
    await org.ok(
        "recordContribution",
        {"shareId": shares[world.parties["street"]], "amount": "50000.5", "receivedAt": iso(t0), "note": "首笔"},
    )
    mid = await milestone_id(world, cid, t0 + timedelta(hours=3), begin=t0)
    await advance(world, cid, "IMPLEMENTING")
    await world.reps["market"].ok("updateMilestone", {"milestoneId": mid, "progress": 50, "note": "管网开挖完成"})
    await org.ok("updateMilestone", {"milestoneId": mid, "progress": 100, "note": "路面硬化完工"})
    payload = await inspect(world.cppcc, cid, t0, [problem(world, t0 + timedelta(hours=2))], milestone_id=mid)
    assert payload["errors"] == []
    fid = payload["inspection"]["findings"][0]["id"]
    await close_loop(world, fid)
    await world.cppcc.ok("recordFollowUp", {"consultationId": cid, "at": iso(t0), "notes": "施工期间回访商户"})
    await advance(world, cid, "EVALUATING")
    await rate(voters[0], cid, 5, "路面平整了")
    await rate(voters[1], cid, 4)
    await org.ok("recordFollowUp", {"consultationId": cid, "at": iso(t0), "notes": "竣工后回访居民"})
    clock.advance(hours=1)
    sealed = t0 + timedelta(hours=1)
    await world.cppcc.ok(
        "archiveConsultation", {"consultationId": cid, "note": "七单齐全，归档"}, "consultation { stage }"
    )
    found = await dossier(world.anon, cid)
    assert found is not None
    return cid, found, sealed


# ---------------------------------------------------------------- milestones (定时限单)


async def test_an_organizer_adds_a_milestone_with_its_dates_and_responsible_party(world, clock):
    # given an AGREED consultation
    t0 = start(clock)
    cid = await create_consultation(world, stage="AGREED")
    # when the organizer adds 路面硬化, from tomorrow to in ten days, for the market
    payload = await add_milestone(
        world.organizer, cid, t0 + timedelta(days=10), begin=t0 + timedelta(days=1), party=world.parties["market"]
    )
    # then it is stored as given: not started, no progress, no reports
    assert payload["errors"] == []
    added = payload["milestone"]
    assert (added["title"], added["kind"]) == ("路面硬化", "CONSTRUCTION")
    assert added["responsibleParty"] == {"id": world.parties["market"], "name": "菜园市场"}
    assert instant(added["plannedStart"]) == t0 + timedelta(days=1)
    assert instant(added["plannedEnd"]) == t0 + timedelta(days=10)
    assert added["plannedEnd"].endswith("+08:00")
    assert (added["actualStart"], added["actualEnd"], added["progress"], added["status"], added["updates"]) == (
        None,
        None,
        0,
        "PLANNED",
        [],
    )
    # and anyone reads it on the consultation and by id
    assert await milestones(world.anon, cid) == [added]
    assert await milestone(world.anon, added["id"]) == added


@pytest.mark.parametrize("kind", ["FUNDING", "TENDER", "CONSTRUCTION", "ACCEPTANCE", "OTHER"])
async def test_every_kind_of_milestone_can_be_added_without_start_or_party(world, clock, kind):
    # given an IMPLEMENTING consultation
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    # when a milestone of this kind is added with only its planned end
    payload = await add_milestone(world.organizer, cid, t0 + timedelta(days=3), kind=kind)
    # then it has no planned start and no responsible party
    assert payload["errors"] == []
    m = payload["milestone"]
    assert (m["kind"], m["plannedStart"], m["responsibleParty"]) == (kind, None, None)


async def test_milestones_are_listed_by_planned_end(world, clock):
    # given three milestones added out of order
    t0 = start(clock)
    cid = await create_consultation(world, stage="AGREED")
    for title, days in [("竣工验收", 30), ("资金筹集", 5), ("施工招标", 12)]:
        await milestone_id(world, cid, t0 + timedelta(days=days), title=title)
    # then the 定时限单 lists them by planned end
    assert [m["title"] for m in await milestones(world.anon, cid)] == ["资金筹集", "施工招标", "竣工验收"]


@pytest.mark.parametrize("stage", ["DRAFT", "COLLECTING", "DELIBERATING", "VOTING", "EVALUATING"])
async def test_milestones_are_added_only_while_agreed_or_implementing(world, clock, stage):
    # given a consultation at another stage
    t0 = start(clock)
    cid = await create_consultation(world, stage=stage)
    before = await trail_length(world.organizer, cid)
    # when the organizer adds a milestone
    payload = await add_milestone(world.organizer, cid, t0 + timedelta(days=3))
    # then it is WRONG_STAGE and nothing is added
    assert codes_of(payload) == ["WRONG_STAGE"]
    assert payload["milestone"] is None
    assert await milestones(world.organizer, cid) == []
    assert await trail_length(world.organizer, cid) == before


async def test_only_organizers_add_milestones(world, clock):
    # given an AGREED consultation and a resident
    t0 = start(clock)
    cid = await create_consultation(world, stage="AGREED")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    before = await trail_length(world.organizer, cid)
    # when the CPPCC member, a party rep, a resident or nobody adds one
    outcomes = {
        name: codes_of(await add_milestone(client, cid, t0 + timedelta(days=3)))
        for name, client in [
            ("cppcc", world.cppcc),
            ("rep", world.reps["market"]),
            ("resident", resident),
            ("anon", world.anon),
        ]
    }
    # then it is FORBIDDEN (UNAUTHENTICATED for nobody) and nothing is added
    assert outcomes == {
        "cppcc": ["FORBIDDEN"],
        "rep": ["FORBIDDEN"],
        "resident": ["FORBIDDEN"],
        "anon": ["UNAUTHENTICATED"],
    }
    assert await milestones(world.organizer, cid) == []
    assert await trail_length(world.organizer, cid) == before
    # while an admin, staff too, may
    assert (await add_milestone(world.admin, cid, t0 + timedelta(days=3)))["errors"] == []


async def test_a_responsible_party_not_in_the_consultation_is_invalid(world, clock):
    # given an AGREED consultation and a party that does not take part
    t0 = start(clock)
    cid = await create_consultation(world, stage="AGREED")
    outsider = await outsider_party(world)
    before = await trail_length(world.organizer, cid)
    # when a milestone names it as responsible
    payload = await add_milestone(world.organizer, cid, t0 + timedelta(days=3), party=outsider)
    # then it is INVALID on responsiblePartyId and nothing is added
    assert errors_of(payload) == [("responsiblePartyId", "INVALID")]
    assert await milestones(world.organizer, cid) == []
    assert await trail_length(world.organizer, cid) == before


async def test_the_planned_end_is_required_and_must_be_a_time_after_the_start(world, clock):
    # given an AGREED consultation
    t0 = start(clock)
    cid = await create_consultation(world, stage="AGREED")
    before = await trail_length(world.organizer, cid)
    # when the planned end is left out
    body = await world.organizer.raw(
        "mutation($input: AddMilestoneInput!) { addMilestone(input: $input) { errors { code } } }",
        {"input": {"consultationId": cid, "title": "路面硬化", "kind": "CONSTRUCTION"}},
    )
    # then the request is refused as a whole
    assert body.get("errors") and not body.get("data")
    # when it is not a time, or comes before the planned start
    not_a_time = await world.organizer.mutate(
        "addMilestone",
        {"consultationId": cid, "title": "路面硬化", "kind": "CONSTRUCTION", "plannedEnd": "下周"},
        "milestone { id }",
    )
    backwards = await add_milestone(world.organizer, cid, t0, begin=t0 + timedelta(days=1))
    # then it is INVALID on plannedEnd; and nothing is added in any case
    assert errors_of(not_a_time) == [("plannedEnd", "INVALID")]
    assert errors_of(backwards) == [("plannedEnd", "INVALID")]
    assert await milestones(world.organizer, cid) == []
    assert await trail_length(world.organizer, cid) == before


@pytest.mark.parametrize("progress", [101, -1, 1000])
async def test_progress_outside_0_to_100_is_invalid(world, clock, progress):
    # given a milestone at 30
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    mid = await milestone_id(world, cid, t0 + timedelta(days=3))
    await world.organizer.ok("updateMilestone", {"milestoneId": mid, "progress": 30})
    before, before_trail = await milestone(world.organizer, mid), await trail_length(world.organizer, cid)
    # when progress outside 0..100 is reported
    payload = await report(world.organizer, mid, progress, note="进度")
    # then it is INVALID on progress and nothing changes, no report is kept
    assert errors_of(payload) == [("progress", "INVALID")]
    assert await milestone(world.organizer, mid) == before
    assert len(before["updates"]) == 1
    assert await trail_length(world.organizer, cid) == before_trail


@pytest.mark.parametrize("progress", [0, 100])
async def test_progress_0_and_100_are_accepted(world, clock, progress):
    # given a milestone
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    mid = await milestone_id(world, cid, t0 + timedelta(days=3))
    # when the bounds themselves are reported
    payload = await report(world.organizer, mid, progress)
    # then they are kept
    assert payload["errors"] == []
    assert payload["milestone"]["progress"] == progress


async def test_every_progress_report_is_kept_with_its_author_note_and_time(world, clock):
    # given a milestone the market answers for
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    mid = await milestone_id(world, cid, t0 + timedelta(hours=10))
    # when the market's rep reports 30, an hour later the organizer 60, and two hours later the rep 80 without a note
    await world.reps["market"].ok("updateMilestone", {"milestoneId": mid, "progress": 30, "note": "管网开挖"})
    clock.advance(hours=1)
    await world.organizer.ok("updateMilestone", {"milestoneId": mid, "progress": 60, "note": "管道铺设完成"})
    clock.advance(hours=2)
    await world.reps["market"].ok("updateMilestone", {"milestoneId": mid, "progress": 80})
    # then the milestone is at 80 and every report is kept, oldest first
    m = await milestone(world.anon, mid)
    assert m["progress"] == 80
    assert [(instant(u["at"]), u["by"]["id"], u["progress"], u["note"]) for u in m["updates"]] == [
        (t0, world.accounts["rep_market"], 30, "管网开挖"),
        (t0 + timedelta(hours=1), world.accounts["organizer"], 60, "管道铺设完成"),
        (t0 + timedelta(hours=3), world.accounts["rep_market"], 80, None),
    ]
    # and the first progress marked the actual start
    assert instant(m["actualStart"]) == t0
    assert m["actualEnd"] is None


async def test_a_note_alone_is_a_report_that_keeps_the_progress(world, clock):
    # given a milestone at 40
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    mid = await milestone_id(world, cid, t0 + timedelta(days=3))
    await world.organizer.ok("updateMilestone", {"milestoneId": mid, "progress": 40})
    # when the rep reports only a note
    payload = await report(world.reps["market"], mid, note="雨天停工一天")
    # then the progress stays 40 and the note is a second report
    assert payload["errors"] == []
    assert [(u["progress"], u["note"]) for u in payload["milestone"]["updates"]] == [(40, None), (40, "雨天停工一天")]


async def test_who_may_report_progress(world, clock):
    # given a milestone the market answers for, one nobody answers for, and a resident
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    market_mid = await milestone_id(world, cid, t0 + timedelta(days=3))
    nobodys_mid = await milestone_id(world, cid, t0 + timedelta(days=3), party_key=None, title="竣工验收")
    before = await trail_length(world.organizer, cid)
    # when others report progress on the market's milestone, and the market's rep on the other one
    outcomes = {
        name: codes_of(await report(client, mid, 10))
        for name, client, mid in [
            ("street rep", world.reps["street"], market_mid),
            ("units rep", world.reps["units"], market_mid),
            ("resident", resident, market_mid),
            ("cppcc", world.cppcc, market_mid),
            ("anon", world.anon, market_mid),
            ("market rep, not its milestone", world.reps["market"], nobodys_mid),
        ]
    }
    # then it is FORBIDDEN (UNAUTHENTICATED for nobody) and nothing is reported
    assert outcomes == {
        "street rep": ["FORBIDDEN"],
        "units rep": ["FORBIDDEN"],
        "resident": ["FORBIDDEN"],
        "cppcc": ["FORBIDDEN"],
        "anon": ["UNAUTHENTICATED"],
        "market rep, not its milestone": ["FORBIDDEN"],
    }
    assert [m["updates"] for m in await milestones(world.organizer, cid)] == [[], []]
    assert await trail_length(world.organizer, cid) == before
    # while the market's rep and the organizer may
    assert (await report(world.reps["market"], market_mid, 10))["errors"] == []
    assert (await report(world.organizer, nobodys_mid, 10))["errors"] == []


async def test_reaching_100_makes_it_done_and_the_actual_end_is_that_moment(world, clock):
    # given a milestone due in three hours, started now at 20
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    mid = await milestone_id(world, cid, t0 + timedelta(hours=3))
    await world.reps["market"].ok("updateMilestone", {"milestoneId": mid, "progress": 20})
    # when two hours and a quarter later it reaches 100
    clock.advance(hours=2, minutes=15)
    payload = await report(world.reps["market"], mid, 100, note="完工")
    # then it is DONE, started at the first report and ended at that very moment
    done = payload["milestone"]
    assert done["status"] == "DONE"
    assert instant(done["actualStart"]) == t0
    assert instant(done["actualEnd"]) == t0 + timedelta(hours=2, minutes=15)
    # and past its planned end it stays DONE, its end unchanged
    clock.advance(hours=5)
    later = await milestone(world.anon, mid)
    assert (later["status"], instant(later["actualEnd"])) == ("DONE", t0 + timedelta(hours=2, minutes=15))


async def test_an_actual_end_given_with_100_is_kept(world, clock):
    # given a milestone
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    mid = await milestone_id(world, cid, t0 + timedelta(hours=3))
    # when it is reported done with the end it actually had, an hour ago
    payload = await report(
        world.organizer, mid, 100, actual_start=t0 - timedelta(hours=5), actual_end=t0 - timedelta(hours=1)
    )
    # then the given times are kept
    m = payload["milestone"]
    assert (m["status"], instant(m["actualStart"]), instant(m["actualEnd"])) == (
        "DONE",
        t0 - timedelta(hours=5),
        t0 - timedelta(hours=1),
    )


async def test_an_actual_end_before_the_actual_start_is_invalid(world, clock):
    # given a milestone started now
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    mid = await milestone_id(world, cid, t0 + timedelta(hours=3))
    await world.organizer.ok("updateMilestone", {"milestoneId": mid, "progress": 10})
    before = await milestone(world.organizer, mid)
    # when it is reported done an hour before it started
    payload = await report(world.organizer, mid, 100, actual_end=t0 - timedelta(hours=1))
    # then it is INVALID on actualEnd and nothing changes
    assert errors_of(payload) == [("actualEnd", "INVALID")]
    assert await milestone(world.organizer, mid) == before


@pytest.mark.parametrize(
    "progress, before_end, after_end",
    [
        (None, "PLANNED", "OVERDUE"),
        (0, "PLANNED", "OVERDUE"),
        (1, "IN_PROGRESS", "OVERDUE"),
        (99, "IN_PROGRESS", "OVERDUE"),
        (100, "DONE", "DONE"),
    ],
)
async def test_the_status_turns_overdue_just_after_the_planned_end(world, clock, progress, before_end, after_end):
    # given a milestone due in two hours, with some progress reported
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    end = t0 + timedelta(hours=2)
    mid = await milestone_id(world, cid, end)
    if progress is not None:
        await world.organizer.ok("updateMilestone", {"milestoneId": mid, "progress": progress})
    # then before the planned end, and exactly at it, it is not overdue
    assert (await milestone(world.anon, mid))["status"] == before_end
    clock.set(end - timedelta(seconds=1))
    assert (await milestone(world.anon, mid))["status"] == before_end
    clock.set(end)
    assert (await milestone(world.anon, mid))["status"] == before_end
    # and a second past it, overdue unless done, on the consultation's list too
    clock.set(end + timedelta(seconds=1))
    assert (await milestone(world.anon, mid))["status"] == after_end
    assert [m["status"] for m in await milestones(world.anon, cid)] == [after_end]


async def test_a_milestone_is_in_progress_from_its_actual_start(world, clock):
    # given a milestone due in five hours, reported to start in an hour with no progress yet
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    mid = await milestone_id(world, cid, t0 + timedelta(hours=5))
    payload = await report(world.organizer, mid, actual_start=t0 + timedelta(hours=1), note="定于一小时后进场")
    assert payload["errors"] == []
    # then until that moment it is PLANNED, and from it IN_PROGRESS
    assert (await milestone(world.anon, mid))["status"] == "PLANNED"
    clock.set(t0 + timedelta(minutes=59, seconds=59))
    assert (await milestone(world.anon, mid))["status"] == "PLANNED"
    clock.set(t0 + timedelta(hours=1))
    assert (await milestone(world.anon, mid))["status"] == "IN_PROGRESS"
    assert (await milestone(world.anon, mid))["progress"] == 0


async def test_a_milestone_done_after_being_overdue_is_done(world, clock):
    # given a milestone at 50 past its planned end: OVERDUE
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    mid = await milestone_id(world, cid, t0 + timedelta(hours=1))
    await world.organizer.ok("updateMilestone", {"milestoneId": mid, "progress": 50})
    clock.advance(hours=2)
    assert (await milestone(world.anon, mid))["status"] == "OVERDUE"
    # when it reaches 100 late
    payload = await report(world.reps["market"], mid, 100)
    # then it is DONE, ending at that late moment
    assert payload["milestone"]["status"] == "DONE"
    assert instant(payload["milestone"]["actualEnd"]) == t0 + timedelta(hours=2)


async def test_progress_is_reported_only_while_agreed_or_implementing(world, clock):
    # given a milestone added while AGREED, reported on then and while IMPLEMENTING
    t0 = start(clock)
    cid = await create_consultation(world, stage="AGREED")
    mid = await milestone_id(world, cid, t0 + timedelta(hours=3))
    assert (await report(world.organizer, mid, 10))["errors"] == []
    await advance(world, cid, "IMPLEMENTING")
    assert (await report(world.organizer, mid, 20))["errors"] == []
    # when the consultation is EVALUATING and progress is reported
    await advance(world, cid, "EVALUATING")
    payload = await report(world.organizer, mid, 30)
    # then it is WRONG_STAGE
    assert codes_of(payload) == ["WRONG_STAGE"]
    assert (await milestone(world.anon, mid))["progress"] == 20


async def test_an_unknown_milestone_is_not_found(world, clock):
    # given an IMPLEMENTING consultation
    start(clock)
    await create_consultation(world, stage="IMPLEMENTING")
    # when progress is reported on a milestone that does not exist
    payload = await report(world.organizer, to_global_id("Milestone", 987654321), 10)
    # then it is NOT_FOUND on milestoneId
    assert errors_of(payload) == [("milestoneId", "NOT_FOUND")]


# ---------------------------------------------------------------- inspections and findings (五定闭环)


async def test_a_cppcc_member_records_an_inspection_opening_findings_with_the_five_fixed_things(world, clock):
    # given an IMPLEMENTING consultation with a milestone
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    mid = await milestone_id(world, cid, t0 + timedelta(days=3))
    # when the CPPCC member records a visit to it that finds two problems
    payload = await inspect(
        world.cppcc,
        cid,
        t0 - timedelta(hours=2),
        [
            problem(world, t0 + timedelta(days=7), assignee=world.accounts["organizer"]),
            problem(
                world,
                t0 + timedelta(days=2),
                party="street",
                category="NOISE",
                description="夜间施工噪声扰民",
                expected="22 点后停止施工",
            ),
        ],
        notes="路面施工现场视察",
        milestone_id=mid,
    )
    # then the inspection is recorded with both findings OPEN, each with its five fixed things
    assert payload["errors"] == []
    recorded = payload["inspection"]
    assert recorded["inspector"] == {"id": world.accounts["cppcc"]}
    assert recorded["milestone"] == {"id": mid, "title": "路面硬化"}
    assert (instant(recorded["visitedAt"]), recorded["notes"]) == (t0 - timedelta(hours=2), "路面施工现场视察")
    first, second = recorded["findings"]
    assert {k: first[k] for k in ("category", "description", "assignee", "responsibleParty", "expectedOutcome")} == {
        "category": "QUALITY",
        "description": PIT,
        "assignee": {"id": world.accounts["organizer"]},
        "responsibleParty": {"id": world.parties["market"], "name": "菜园市场"},
        "expectedOutcome": "一周内修补平整，雨后无积水",
    }
    assert {k: second[k] for k in ("category", "description", "assignee", "responsibleParty", "expectedOutcome")} == {
        "category": "NOISE",
        "description": "夜间施工噪声扰民",
        "assignee": None,
        "responsibleParty": {"id": world.parties["street"], "name": "解放街道办事处"},
        "expectedOutcome": "22 点后停止施工",
    }
    assert [instant(f["dueAt"]) for f in recorded["findings"]] == [t0 + timedelta(days=7), t0 + timedelta(days=2)]
    for f in recorded["findings"]:
        assert (f["status"], f["resolution"], f["overdue"], instant(f["createdAt"])) == ("OPEN", None, False, t0)
    # and anyone reads them on the consultation and by id
    assert await inspections(world.anon, cid) == [recorded]
    assert await findings(world.anon, cid) == recorded["findings"]
    # and the trail has the inspection and one event per finding, by the CPPCC member
    tail = (await trail(world.organizer, cid))[-3:]
    assert [(e["action"], e["actor"]) for e in tail] == [
        ("inspection.record", {"id": world.accounts["cppcc"]}),
        ("finding.open", {"id": world.accounts["cppcc"]}),
        ("finding.open", {"id": world.accounts["cppcc"]}),
    ]


async def test_an_inspection_without_findings_or_milestone(world, clock):
    # given an AGREED consultation
    t0 = start(clock)
    cid = await create_consultation(world, stage="AGREED")
    # when the CPPCC member records a visit that found nothing
    payload = await inspect(world.cppcc, cid, t0, None, notes="资金到位情况良好")
    # then it is recorded with no milestone and no findings
    assert payload["errors"] == []
    assert (payload["inspection"]["milestone"], payload["inspection"]["findings"]) == (None, [])
    assert await findings(world.anon, cid) == []


async def test_only_cppcc_members_record_inspections(world, clock):
    # given an IMPLEMENTING consultation and a resident
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    before = await trail_length(world.organizer, cid)
    # when the organizer, the admin, a party rep, a resident or nobody records one
    outcomes = {
        name: codes_of(await inspect(client, cid, t0, [problem(world, t0 + timedelta(days=1))]))
        for name, client in [
            ("organizer", world.organizer),
            ("admin", world.admin),
            ("rep", world.reps["market"]),
            ("resident", resident),
            ("anon", world.anon),
        ]
    }
    # then it is FORBIDDEN (UNAUTHENTICATED for nobody) and nothing is recorded
    assert outcomes == {
        "organizer": ["FORBIDDEN"],
        "admin": ["FORBIDDEN"],
        "rep": ["FORBIDDEN"],
        "resident": ["FORBIDDEN"],
        "anon": ["UNAUTHENTICATED"],
    }
    assert await inspections(world.organizer, cid) == []
    assert await findings(world.organizer, cid) == []
    assert await trail_length(world.organizer, cid) == before


@pytest.mark.parametrize("stage", ["DELIBERATING", "VOTING", "EVALUATING"])
async def test_inspections_are_recorded_only_while_agreed_or_implementing(world, clock, stage):
    # given a consultation at another stage
    t0 = start(clock)
    cid = await create_consultation(world, stage=stage)
    # when the CPPCC member records a visit
    payload = await inspect(world.cppcc, cid, t0, [problem(world, t0 + timedelta(days=1))])
    # then it is WRONG_STAGE and nothing is recorded
    assert codes_of(payload) == ["WRONG_STAGE"]
    assert await inspections(world.organizer, cid) == []


@pytest.mark.parametrize(
    "index, key, value, field",
    [
        (0, "dueAt", "下周五", "findings.0.dueAt"),
        (1, "dueAt", "2026-02-30T10:00:00+08:00", "findings.1.dueAt"),
        (1, "responsiblePartyId", "OUTSIDER", "findings.1.responsiblePartyId"),
        (0, "description", "   ", "findings.0.description"),
        (1, "expectedOutcome", "", "findings.1.expectedOutcome"),
        (None, "visitedAt", "昨天", "visitedAt"),
        (None, "notes", "", "notes"),
    ],
)
async def test_a_bad_field_is_invalid_on_its_path_and_nothing_is_written(world, clock, index, key, value, field):
    # given an IMPLEMENTING consultation, and a party that does not take part
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    outsider = await outsider_party(world)
    before = await trail_length(world.organizer, cid)
    # when the CPPCC member records a visit with two findings, one field of which is bad
    lines = [problem(world, t0 + timedelta(days=1)), problem(world, t0 + timedelta(days=2), party="street")]
    request = {"consultationId": cid, "visitedAt": iso(t0), "notes": "现场视察", "findings": lines}
    target = request if index is None else lines[index]
    target[key] = outsider if value == "OUTSIDER" else value
    payload = await world.cppcc.mutate("recordInspection", request, "inspection { id }")
    # then that path is INVALID, and neither the inspection nor any finding nor any event is written
    assert errors_of(payload) == [(field, "INVALID")]
    assert payload["inspection"] is None
    assert await inspections(world.organizer, cid) == []
    assert await findings(world.organizer, cid) == []
    assert await trail_length(world.organizer, cid) == before


async def test_unknown_parties_assignees_and_milestones_are_not_found(world, clock):
    # given an IMPLEMENTING consultation, and a milestone of another one
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    other = await create_consultation(world, stage="IMPLEMENTING", title="乌川路井盖更换")
    foreign_mid = await milestone_id(world, other, t0 + timedelta(days=1))
    unknown_party = problem(world, t0 + timedelta(days=1), party=to_global_id("Party", 987654321))
    unknown_assignee = problem(world, t0 + timedelta(days=1), assignee=to_global_id("Account", 987654321))
    # when a visit names an unknown party, an unknown assignee, or the other consultation's milestone
    outcomes = [
        errors_of(await inspect(world.cppcc, cid, t0, [problem(world, t0 + timedelta(days=1)), unknown_party])),
        errors_of(await inspect(world.cppcc, cid, t0, [unknown_assignee])),
        errors_of(await inspect(world.cppcc, cid, t0, [], milestone_id=foreign_mid)),
    ]
    # then each is NOT_FOUND on its path and nothing is recorded
    assert outcomes == [
        [("findings.1.responsiblePartyId", "NOT_FOUND")],
        [("findings.0.assigneeId", "NOT_FOUND")],
        [("milestoneId", "NOT_FOUND")],
    ]
    assert await inspections(world.organizer, cid) == []


async def test_the_five_fixed_loop_resolved_reopened_resolved_verified(world, clock):
    # given an OPEN finding the market answers for
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    fid = await open_finding(world, cid, t0)
    # when the market's rep reports it fixed
    clock.advance(hours=1)
    resolved = await move(world.reps["market"], fid, "RESOLVED", "已用沥青修补")
    # then it is RESOLVED with the resolution
    assert resolved["errors"] == []
    assert (resolved["finding"]["status"], resolved["finding"]["resolution"]) == ("RESOLVED", "已用沥青修补")
    # when the CPPCC member finds the fix wanting and sends it back
    reopened = await move(world.cppcc, fid, "REOPENED")
    assert reopened["errors"] == []
    assert reopened["finding"]["status"] == "REOPENED"
    # when the organizer reports it fixed again, and the CPPCC member verifies
    again = await move(world.organizer, fid, "RESOLVED", "重新铣刨摊铺")
    verified = await move(world.cppcc, fid, "VERIFIED")
    # then it is VERIFIED with the latest resolution: the loop is closed
    assert again["errors"] == [] and verified["errors"] == []
    assert (verified["finding"]["status"], verified["finding"]["resolution"]) == ("VERIFIED", "重新铣刨摊铺")
    assert (await finding(world.anon, fid))["status"] == "VERIFIED"
    # and each move is in the trail, by whoever made it
    moves = [
        (e["action"], e["actor"]["id"]) for e in await trail(world.organizer, cid) if e["action"] == "finding.update"
    ]
    assert moves == [
        ("finding.update", world.accounts["rep_market"]),
        ("finding.update", world.accounts["cppcc"]),
        ("finding.update", world.accounts["organizer"]),
        ("finding.update", world.accounts["cppcc"]),
    ]


@pytest.mark.parametrize("resolution", [None, "", "   "])
async def test_resolving_needs_a_resolution(world, clock, resolution):
    # given an OPEN finding
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    fid = await open_finding(world, cid, t0)
    before, before_trail = await finding(world.organizer, fid), await trail_length(world.organizer, cid)
    # when the market's rep marks it RESOLVED without saying how
    payload = await move(world.reps["market"], fid, "RESOLVED", resolution)
    # then it is INVALID on resolution and nothing changes
    assert errors_of(payload) == [("resolution", "INVALID")]
    assert await finding(world.organizer, fid) == before
    assert await trail_length(world.organizer, cid) == before_trail


@pytest.mark.parametrize(
    "who, status, prepare",
    [
        ("street rep", "RESOLVED", None),
        ("units rep", "RESOLVED", None),
        ("resident", "RESOLVED", None),
        ("cppcc", "RESOLVED", None),
        ("organizer", "VERIFIED", "RESOLVED"),
        ("organizer", "REOPENED", "RESOLVED"),
        ("market rep", "VERIFIED", "RESOLVED"),
        ("market rep", "REOPENED", "RESOLVED"),
        ("resident", "VERIFIED", "RESOLVED"),
        ("admin", "VERIFIED", "RESOLVED"),
    ],
)
async def test_who_may_not_move_a_finding(world, clock, who, status, prepare):
    # given a finding the market answers for, OPEN or RESOLVED, and a resident
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    fid = await open_finding(world, cid, t0)
    if prepare == "RESOLVED":
        await world.reps["market"].ok("updateFinding", {"findingId": fid, "status": "RESOLVED", "resolution": "已修补"})
    before, before_trail = await finding(world.organizer, fid), await trail_length(world.organizer, cid)
    clients = {
        "street rep": world.reps["street"],
        "units rep": world.reps["units"],
        "market rep": world.reps["market"],
        "resident": resident,
        "cppcc": world.cppcc,
        "organizer": world.organizer,
        "admin": world.admin,
    }
    # when someone without the right makes the move
    payload = await move(clients[who], fid, status, "已修补")
    # then it is FORBIDDEN and nothing changes
    assert codes_of(payload) == ["FORBIDDEN"]
    assert await finding(world.organizer, fid) == before
    assert await trail_length(world.organizer, cid) == before_trail


async def test_moving_a_finding_needs_signing_in(world, clock):
    # given an OPEN finding
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    fid = await open_finding(world, cid, t0)
    # when nobody resolves it
    payload = await move(world.anon, fid, "RESOLVED", "已修补")
    # then it is UNAUTHENTICATED
    assert codes_of(payload) == ["UNAUTHENTICATED"]
    assert (await finding(world.anon, fid))["status"] == "OPEN"


@pytest.mark.parametrize(
    "path, who, status",
    [
        ([], "cppcc", "VERIFIED"),
        ([], "cppcc", "REOPENED"),
        ([], "organizer", "OPEN"),
        (["RESOLVED"], "organizer", "RESOLVED"),
        (["RESOLVED"], "cppcc", "OPEN"),
        (["RESOLVED", "REOPENED"], "cppcc", "VERIFIED"),
        (["RESOLVED", "REOPENED"], "cppcc", "REOPENED"),
        (["RESOLVED", "VERIFIED"], "organizer", "RESOLVED"),
        (["RESOLVED", "VERIFIED"], "cppcc", "VERIFIED"),
    ],
)
async def test_moves_the_loop_does_not_have_are_invalid(world, clock, path, who, status):
    # given a finding moved along `path`
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    fid = await open_finding(world, cid, t0)
    for step in path:
        mover = world.organizer if step == "RESOLVED" else world.cppcc
        await mover.ok(
            "updateFinding", {"findingId": fid, "status": step, "resolution": "已修补" if step == "RESOLVED" else None}
        )
    before, before_trail = await finding(world.organizer, fid), await trail_length(world.organizer, cid)
    # when a move the loop does not have is asked for, by someone who could make the real ones
    client = world.organizer if who == "organizer" else world.cppcc
    payload = await move(client, fid, status, "已修补")
    # then it is INVALID on status and nothing changes
    assert errors_of(payload) == [("status", "INVALID")]
    assert await finding(world.organizer, fid) == before
    assert await trail_length(world.organizer, cid) == before_trail


async def test_a_finding_is_overdue_just_after_its_due_time_until_resolved(world, clock):
    # given an OPEN finding due in two hours
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    due = t0 + timedelta(hours=2)
    fid = await open_finding(world, cid, t0)
    # then it is not overdue before its due time, nor exactly at it
    assert (await finding(world.anon, fid))["overdue"] is False
    clock.set(due)
    assert (await finding(world.anon, fid))["overdue"] is False
    # and a second later it is, on the consultation's list too
    clock.set(due + timedelta(seconds=1))
    assert (await finding(world.anon, fid))["overdue"] is True
    assert [f["overdue"] for f in await findings(world.anon, cid)] == [True]
    # when it is resolved late, it is no longer overdue
    await world.reps["market"].ok("updateFinding", {"findingId": fid, "status": "RESOLVED", "resolution": "已修补"})
    assert (await finding(world.anon, fid))["overdue"] is False
    # when it is sent back, it is overdue again
    await world.cppcc.ok("updateFinding", {"findingId": fid, "status": "REOPENED"})
    assert (await finding(world.anon, fid))["overdue"] is True
    # and once resolved and verified, never again
    await close_loop(world, fid)
    clock.advance(hours=5)
    assert (await finding(world.anon, fid))["overdue"] is False


async def test_findings_filter_by_status(world, clock):
    # given four findings: one left OPEN, one RESOLVED, one VERIFIED, one REOPENED
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    names = ["路面坑槽", "井盖松动", "排水不畅", "噪声扰民"]
    ids = await open_findings(world, cid, t0, [problem(world, t0 + timedelta(days=1), description=n) for n in names])
    await world.organizer.ok("updateFinding", {"findingId": ids[1], "status": "RESOLVED", "resolution": "已紧固"})
    await close_loop(world, ids[2])
    await world.organizer.ok("updateFinding", {"findingId": ids[3], "status": "RESOLVED", "resolution": "已调整"})
    await world.cppcc.ok("updateFinding", {"findingId": ids[3], "status": "REOPENED"})
    # when the findings are read with and without a status
    by_status = {
        s: [f["description"] for f in await findings(world.anon, cid, s)]
        for s in ("OPEN", "RESOLVED", "VERIFIED", "REOPENED")
    }
    # then each status lists its own, and no status lists all in the order found
    assert by_status == {
        "OPEN": ["路面坑槽"],
        "RESOLVED": ["井盖松动"],
        "VERIFIED": ["排水不畅"],
        "REOPENED": ["噪声扰民"],
    }
    assert [f["description"] for f in await findings(world.anon, cid)] == names


async def test_findings_are_moved_only_while_agreed_or_implementing(world, clock):
    # given a finding opened while AGREED, resolved while IMPLEMENTING
    t0 = start(clock)
    cid = await create_consultation(world, stage="AGREED")
    fid = await open_finding(world, cid, t0)
    await advance(world, cid, "IMPLEMENTING")
    await world.reps["market"].ok("updateFinding", {"findingId": fid, "status": "RESOLVED", "resolution": "已修补"})
    await world.cppcc.ok("updateFinding", {"findingId": fid, "status": "VERIFIED"})
    # when the consultation is EVALUATING and the CPPCC member sends it back
    await advance(world, cid, "EVALUATING")
    payload = await move(world.cppcc, fid, "REOPENED")
    # then it is WRONG_STAGE
    assert codes_of(payload) == ["WRONG_STAGE"]
    assert (await finding(world.anon, fid))["status"] == "VERIFIED"


# ---------------------------------------------------------------- into EVALUATING: every loop closed


async def test_evaluating_needs_every_finding_verified_and_names_the_open_ones(world, clock):
    # given three findings: one VERIFIED, one RESOLVED only, one OPEN
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    ids = await open_findings(
        world,
        cid,
        t0,
        [problem(world, t0 + timedelta(days=1), description=d) for d in ("井盖松动已紧固", "排水口堵塞", "路灯不亮")],
    )
    await close_loop(world, ids[0])
    await world.organizer.ok("updateFinding", {"findingId": ids[1], "status": "RESOLVED", "resolution": "已疏通"})
    before = await trail_length(world.organizer, cid)
    # when the organizer moves the consultation to EVALUATING
    refused = await try_advance(world, cid, "EVALUATING")
    # then it is WRONG_STAGE, naming the two not verified and not the verified one, and nothing moved
    assert errors_of(refused) == [("to", "WRONG_STAGE")]
    message = refused["errors"][0]["message"]
    assert "排水口堵塞" in message and "路灯不亮" in message
    assert "井盖松动已紧固" not in message
    assert await stage_of(world.anon, cid) == "IMPLEMENTING"
    assert await trail_length(world.organizer, cid) == before
    # when both are verified
    await world.cppcc.ok("updateFinding", {"findingId": ids[1], "status": "VERIFIED"})
    await close_loop(world, ids[2], resolver=world.organizer)
    # then the consultation moves on
    assert (await try_advance(world, cid, "EVALUATING"))["errors"] == []
    assert await stage_of(world.anon, cid) == "EVALUATING"


async def test_a_reopened_finding_holds_up_evaluating(world, clock):
    # given a finding resolved and sent back
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    fid = await open_finding(world, cid, t0, description="人行道砖松动")
    await world.organizer.ok("updateFinding", {"findingId": fid, "status": "RESOLVED", "resolution": "已重铺"})
    await world.cppcc.ok("updateFinding", {"findingId": fid, "status": "REOPENED"})
    # when the organizer moves to EVALUATING
    refused = await try_advance(world, cid, "EVALUATING")
    # then it is WRONG_STAGE naming it
    assert errors_of(refused) == [("to", "WRONG_STAGE")]
    assert "人行道砖松动" in refused["errors"][0]["message"]


async def test_without_findings_evaluating_is_open(world, clock):
    # given an IMPLEMENTING consultation with an inspection that found nothing
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    assert (await inspect(world.cppcc, cid, t0))["errors"] == []
    # when the organizer moves to EVALUATING, then it moves
    assert (await try_advance(world, cid, "EVALUATING"))["errors"] == []


# ---------------------------------------------------------------- evaluation (给反馈单)


async def test_residents_rate_the_outcome_and_the_summary_follows(world, clock):
    # given an EVALUATING consultation with three households
    t0 = start(clock)
    cid, (a, b, c) = await evaluating_with_residents(world, LABELS)
    # when they rate 5 (with a comment), 4 and 4
    first = await rate(a, cid, 5, "路面平整，不再积水")
    await rate(b, cid, 4)
    last = await rate(c, cid, 4)
    # then each gets back their rating, and the summary after it
    assert first["errors"] == []
    assert (first["rating"]["score"], first["rating"]["comment"], instant(first["rating"]["at"])) == (
        5,
        "路面平整，不再积水",
        t0,
    )
    assert first["evaluation"]["count"] == 1
    summary = {"count": 3, "average": "4.33", "distribution": [0, 0, 0, 2, 1], "satisfactionRate": "1.0000"}
    assert {k: v for k, v in last["evaluation"].items() if k != "myRating"} == summary
    assert last["evaluation"]["myRating"]["score"] == 4
    # and each viewer sees the same summary with only their own rating
    assert (await evaluation(a, cid))["myRating"] == first["rating"]
    assert (await evaluation(c, cid))["myRating"]["score"] == 4
    for viewer in (world.organizer, world.cppcc, world.anon):
        assert await evaluation(viewer, cid) == {**summary, "myRating": None}


@pytest.mark.parametrize(
    "scores, average, rate_",
    [
        ([5, 4, 4], "4.33", "1.0000"),
        ([5, 4], "4.50", "1.0000"),
        ([1, 2], "1.50", "0.0000"),
        ([4, 5, 5, 5, 5, 5], "4.83", "1.0000"),  # 29/6 = 4.8333…
        ([5, 5, 4], "4.67", "1.0000"),  # 14/3 = 4.6666… rounds up
        ([1, 1, 5], "2.33", "0.3333"),  # 7/3, and 1/3 satisfied
        ([5, 4, 3], "4.00", "0.6667"),  # 2/3 satisfied rounds up
        ([5, 5, 4, 4, 4, 4, 4, 3], "4.13", "0.8750"),  # exactly 4.125: half rounds up, not to even
        ([3, 3, 3, 3, 3, 2, 2, 2], "2.63", "0.0000"),  # exactly 2.625: half rounds up, not to even
        ([1], "1.00", "0.0000"),
        ([3, 4], "3.50", "0.5000"),
    ],
)
async def test_the_average_has_two_decimals_half_up_and_the_satisfaction_rate_four(
    world, clock, scores, average, rate_
):
    # given an EVALUATING consultation with a household per score
    start(clock)
    cid, voters = await evaluating_with_residents(world, [f"菜园巷 {i + 1} 号" for i in range(len(scores))])
    # when each rates
    for voter, score in zip(voters, scores, strict=True):
        await voter.ok("rateOutcome", {"consultationId": cid, "score": score})
    # then the average and the satisfaction rate are exact, rounded half up
    summary = await evaluation(world.anon, cid)
    assert (summary["count"], summary["average"], summary["satisfactionRate"]) == (len(scores), average, rate_)
    assert summary["distribution"] == [scores.count(s) for s in range(1, 6)]


async def test_with_no_ratings_there_is_no_average_and_no_satisfaction_rate(world, clock):
    # given an EVALUATING consultation with households that have not rated
    start(clock)
    cid, (resident,) = await evaluating_with_residents(world, ["菜园巷 1 号"])
    # then the summary counts nothing
    expected = {
        "count": 0,
        "average": None,
        "distribution": [0, 0, 0, 0, 0],
        "satisfactionRate": None,
        "myRating": None,
    }
    assert await evaluation(world.anon, cid) == expected
    assert await evaluation(resident, cid) == expected


async def test_rating_again_replaces_the_rating(world, clock):
    # given a household that rated 2 with a comment, and another that rated 5
    t0 = start(clock)
    cid, (a, b) = await evaluating_with_residents(world, LABELS[:2])
    await rate(a, cid, 2, "还有积水")
    await rate(b, cid, 5)
    # when the first rates again, an hour later, 4 without a comment
    clock.advance(hours=1)
    payload = await rate(a, cid, 4)
    # then its rating is replaced: still two ratings, the new score, no comment, the new time
    assert payload["errors"] == []
    mine = payload["evaluation"]["myRating"]
    assert (mine["score"], mine["comment"], instant(mine["at"])) == (4, None, t0 + timedelta(hours=1))
    summary = await evaluation(world.anon, cid)
    assert (summary["count"], summary["distribution"], summary["average"]) == (2, [0, 0, 0, 1, 1], "4.50")
    # and the trail has a third rating event, marked as a change
    stored = [json.loads(e.payload) for e in await stored_events(cid, "rating.add")]
    assert stored == [{"score": 2, "replaced": False}, {"score": 5, "replaced": False}, {"score": 4, "replaced": True}]


@pytest.mark.parametrize("score", [0, 6, -1, 100])
async def test_a_score_outside_1_to_5_is_invalid(world, clock, score):
    # given an EVALUATING consultation with a household
    start(clock)
    cid, (resident,) = await evaluating_with_residents(world, ["菜园巷 1 号"])
    before = await trail_length(world.organizer, cid)
    # when it rates outside 1..5
    payload = await rate(resident, cid, score)
    # then it is INVALID on score and nothing is counted
    assert errors_of(payload) == [("score", "INVALID")]
    assert (payload["rating"], payload["evaluation"]) == (None, None)
    assert (await evaluation(world.anon, cid))["count"] == 0
    assert await trail_length(world.organizer, cid) == before


@pytest.mark.parametrize("stage", ["AGREED", "IMPLEMENTING"])
async def test_rating_outside_evaluating_is_wrong_stage(world, clock, stage):
    # given a consultation not yet EVALUATING, with a household
    start(clock)
    cid = await create_consultation(world, stage=stage)
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    # when the household rates
    payload = await rate(resident, cid, 5)
    # then it is WRONG_STAGE and nothing is counted
    assert codes_of(payload) == ["WRONG_STAGE"]
    assert (await evaluation(world.anon, cid))["count"] == 0


async def test_only_the_roll_rates(world, clock):
    # given an EVALUATING consultation with a household, and another consultation's household
    start(clock)
    cid, (resident,) = await evaluating_with_residents(world, ["菜园巷 1 号"])
    other = await create_consultation(world, stage="EVALUATING", title="乌川路井盖更换")
    [stranger] = await residents(world, other, ["乌川路 8 号"])
    # when staff not on the roll, the other consultation's household or nobody rate
    outcomes = {
        name: codes_of(await rate(client, cid, 5))
        for name, client in [
            ("organizer", world.organizer),
            ("cppcc", world.cppcc),
            ("rep", world.reps["market"]),
            ("admin", world.admin),
            ("stranger", stranger),
            ("anon", world.anon),
        ]
    }
    # then it is NOT_ELIGIBLE (UNAUTHENTICATED for nobody) and nothing is counted
    assert outcomes == {
        "organizer": ["NOT_ELIGIBLE"],
        "cppcc": ["NOT_ELIGIBLE"],
        "rep": ["NOT_ELIGIBLE"],
        "admin": ["NOT_ELIGIBLE"],
        "stranger": ["NOT_ELIGIBLE"],
        "anon": ["UNAUTHENTICATED"],
    }
    assert (await evaluation(world.anon, cid))["count"] == 0
    # while the household on the roll may
    assert (await rate(resident, cid, 5))["errors"] == []


async def test_a_rating_is_recorded_without_its_actor(world, clock):
    # given an EVALUATING consultation with a household
    start(clock)
    cid, (resident,) = await evaluating_with_residents(world, ["菜园巷 7 号"])
    # when it rates, and rates again
    await rate(resident, cid, 3, "一般")
    await rate(resident, cid, 5)
    # then the trail shows the ratings to the organizer without anyone behind them
    events = [e for e in await trail(world.organizer, cid) if e["action"] == "rating.add"]
    assert [e["actor"] for e in events] == [None, None]
    # and the stored events carry no actor and no household
    stored = await stored_events(cid, "rating.add")
    assert [e.actor_id for e in stored] == [None, None]
    for e in stored:
        assert "菜园巷 7 号" not in e.payload and "菜园巷 7 号" not in e.summary
    assert [json.loads(e.payload)["score"] for e in stored] == [3, 5]


# ---------------------------------------------------------------- follow-ups (跟踪回访)


async def test_organizers_and_cppcc_members_record_follow_ups(world, clock):
    # given an IMPLEMENTING consultation
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    # when the CPPCC member records a visit now, and once EVALUATING the organizer one dated earlier
    first = await follow_up(world.cppcc, cid, t0, "施工期间回访商户")
    await advance(world, cid, "EVALUATING")
    second = await follow_up(world.organizer, cid, t0 - timedelta(hours=3), "回访沿街居民")
    # then both are recorded, listed by when they took place
    assert first["errors"] == [] and second["errors"] == []
    assert (first["followUp"]["by"], first["followUp"]["notes"], instant(first["followUp"]["at"])) == (
        {"id": world.accounts["cppcc"]},
        "施工期间回访商户",
        t0,
    )
    assert await follow_ups(world.anon, cid) == [second["followUp"], first["followUp"]]
    assert [e["action"] for e in await trail(world.organizer, cid)].count("followup.record") == 2


async def test_residents_and_party_reps_do_not_record_follow_ups(world, clock):
    # given an EVALUATING consultation with a household
    t0 = start(clock)
    cid, (resident,) = await evaluating_with_residents(world, ["菜园巷 1 号"])
    before = await trail_length(world.organizer, cid)
    # when a resident, a party rep or nobody records a follow-up
    outcomes = {
        name: codes_of(await follow_up(client, cid, t0))
        for name, client in [("resident", resident), ("rep", world.reps["market"]), ("anon", world.anon)]
    }
    # then it is FORBIDDEN (UNAUTHENTICATED for nobody) and nothing is recorded
    assert outcomes == {"resident": ["FORBIDDEN"], "rep": ["FORBIDDEN"], "anon": ["UNAUTHENTICATED"]}
    assert await follow_ups(world.organizer, cid) == []
    assert await trail_length(world.organizer, cid) == before


@pytest.mark.parametrize("stage", ["DELIBERATING", "VOTING", "AGREED"])
async def test_follow_ups_are_recorded_only_while_implementing_or_evaluating(world, clock, stage):
    # given a consultation before IMPLEMENTING
    t0 = start(clock)
    cid = await create_consultation(world, stage=stage)
    # when the organizer records a follow-up
    payload = await follow_up(world.organizer, cid, t0)
    # then it is WRONG_STAGE
    assert codes_of(payload) == ["WRONG_STAGE"]
    assert await follow_ups(world.organizer, cid) == []


async def test_a_follow_up_needs_a_time_and_notes(world, clock):
    # given an IMPLEMENTING consultation
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    # when a follow-up has no notes, or a time that is not one
    no_notes = await follow_up(world.organizer, cid, t0, "  ")
    bad_time = await world.organizer.mutate(
        "recordFollowUp", {"consultationId": cid, "at": "上周", "notes": "回访"}, "followUp { id }"
    )
    # then each is INVALID on its field
    assert errors_of(no_notes) == [("notes", "INVALID")]
    assert errors_of(bad_time) == [("at", "INVALID")]
    assert await follow_ups(world.organizer, cid) == []


# ---------------------------------------------------------------- the archive (存入档案单)


async def test_archiving_seals_the_seven_forms_into_a_hashed_dossier(world, clock):
    # given 菜园巷 walked from the first demand to EVALUATING and archived by its convener
    cid, sealed, sealed_at = await archived_caiyuan(world, clock)
    # then it is ARCHIVED with a dossier sealed at that moment, printable at its own address
    assert await stage_of(world.anon, cid) == "ARCHIVED"
    assert instant(sealed["sealedAt"]) == sealed_at
    assert sealed["htmlUrl"] == f"/dossiers/{cid}.html"
    document = sealed["document"]
    # and the sha256 is that of the canonical JSON of the document, recomputed here
    assert sealed["sha256"] == canonical_sha256(document)
    # and the document holds the seven forms, in order
    assert [f["name"] for f in document["forms"]] == FORMS
    demands, duties, proposals, deadlines, feedback, agreement, archive_form = document["forms"]
    assert [d["title"] for d in demands["demands"]] == ["雨天积水"]
    assert [(r["party"], r["duty"]) for r in duties["responsibilities"]] == [("解放街道办事处", "组织施工招标")]
    assert [(p["title"], p["status"], p["budget"]) for p in proposals["proposals"]] == [
        ("管网维修加路面硬化", "ADOPTED", "240000.00")
    ]
    assert instant(archive_form["sealedAt"]) == sealed_at
    # and the money: the plan with every confirmation and the payments, as strings
    plan = agreement["costPlan"]
    assert agreement["adoptedProposal"] == "管网维修加路面硬化"
    assert (plan["total"], plan["method"], plan["fullyConfirmed"]) == ("240000.00", "EQUAL", True)
    assert [(s["party"], s["amount"], s["paid"], s["outstanding"]) for s in plan["shares"]] == [
        ("菜园市场", "80000.00", "80000.00", "0.00"),
        ("解放街道办事处", "80000.00", "50000.50", "29999.50"),
        ("辖区单位联合体", "80000.00", "0.00", "80000.00"),
    ]
    assert all(s["confirmedAt"] and s["confirmedBy"] for s in plan["shares"])
    assert [s["confirmedOnBehalf"] for s in plan["shares"]] == [False, True, False]
    assert [[(c["amount"], c["note"]) for c in s["contributions"]] for s in plan["shares"]] == [
        [("80000.00", "市场全额到位")],
        [("50000.50", "首笔")],
        [],
    ]
    assert agreement["funding"] == {
        "total": "240000.00",
        "pledged": "240000.00",
        "paid": "130000.50",
        "outstanding": "109999.50",
        "ratio": "0.5417",
    }
    # and supervision: the milestone with its reports, the inspection with its closed finding
    [m] = deadlines["milestones"]
    assert (m["title"], m["responsibleParty"], m["progress"], m["status"]) == ("路面硬化", "菜园市场", 100, "DONE")
    assert [(u["progress"], u["note"]) for u in m["updates"]] == [(50, "管网开挖完成"), (100, "路面硬化完工")]
    [visit] = deadlines["inspections"]
    assert visit["milestone"] == "路面硬化"
    assert [(f["description"], f["responsibleParty"], f["status"], f["resolution"]) for f in visit["findings"]] == [
        (PIT, "菜园市场", "VERIFIED", "已修补")
    ]
    # and the evaluation: the ratings without who gave them, and the follow-ups
    assert feedback["evaluation"] == {
        "count": 2,
        "average": "4.50",
        "distribution": [0, 0, 0, 1, 1],
        "satisfactionRate": "1.0000",
    }
    assert [(r["score"], r["comment"]) for r in feedback["ratings"]] == [(5, "路面平整了"), (4, None)]
    assert [f["notes"] for f in feedback["followUps"]] == ["施工期间回访商户", "竣工后回访居民"]


async def test_the_dossier_holds_every_poll_with_its_final_tally_and_rule(world, clock):
    # given 菜园巷 archived after a vote of 2 for and 1 against
    cid, sealed, _ = await archived_caiyuan(world, clock)
    data = await world.anon.query(
        "query($id: ID!) { consultation(id: $id) { polls { question status rule { preset }"
        " tally { ballotsCast electorateSize turnout outcome options { option { label } votes weight } } } } }",
        {"id": cid},
    )
    [poll] = data["consultation"]["polls"]
    # then the dossier has the poll closed, with the same final count the API gives and its rule
    [vote] = sealed["document"]["votes"]
    assert (vote["question"], vote["status"]) == (poll["question"], "CLOSED")
    assert vote["rule"]["preset"] == poll["rule"]["preset"] == "SIMPLE_MAJORITY"
    assert {"quorumPercent", "threshold", "byArea"} <= set(vote["rule"])
    tally = vote["tally"]
    assert (tally["ballotsCast"], tally["electorateSize"], tally["turnout"], tally["outcome"]) == (
        3,
        3,
        poll["tally"]["turnout"],
        "PASSED",
    )
    assert poll["tally"]["outcome"] == "PASSED"
    assert [(o["label"], o["votes"], o["weight"]) for o in tally["options"]] == [
        (o["option"]["label"], o["votes"], o["weight"]) for o in poll["tally"]["options"]
    ]
    assert [o["votes"] for o in tally["options"]] == [2, 1, 0]


async def test_the_dossier_chains_into_the_audit_trail(world, clock):
    # given 菜园巷 archived
    cid, sealed, _ = await archived_caiyuan(world, clock)
    events = await trail(world.anon, cid)
    *before, last = events
    # then the last event is the archive, and the dossier carries the head of the trail just before it
    assert last["action"] == "consultation.archive"
    head = sealed["document"]["forms"][6]["auditTrail"]
    assert head["headHash"] == before[-1]["hash"] == last["prevHash"]
    assert head["length"] == before[-1]["seq"] == last["seq"] - 1
    assert last["actor"] == {"id": world.accounts["cppcc"]}
    # and the archive event stores the dossier's sha256
    [stored] = await stored_events(cid, "consultation.archive")
    assert json.loads(stored.payload)["sha256"] == sealed["sha256"]
    assert sealed["sha256"][:16] in last["summary"]
    data = await world.anon.query(
        "query($id: ID!) { consultation(id: $id) { auditTrail { chainValid } } }", {"id": cid}
    )
    assert data["consultation"]["auditTrail"]["chainValid"] is True


async def test_the_dossier_has_no_floats_and_no_personal_data(world, clock):
    # given 菜园巷 archived
    _cid, sealed, _ = await archived_caiyuan(world, clock)
    document = sealed["document"]
    # then it holds only strings, integers, booleans, null, lists and objects
    for value in values(document):
        assert value is None or isinstance(value, (str, int, bool, list, dict)), value
        assert not isinstance(value, float), value
    # and money is a decimal string
    assert document["forms"][5]["costPlan"]["total"] == "240000.00"
    # and neither a household of the roll nor a party's contact appears anywhere
    text = json.dumps(document, ensure_ascii=False)
    for personal in LABELS + CONTACTS:
        assert personal not in text, personal
    # not even on the printed page
    page = (await world.anon.http.get(sealed["htmlUrl"])).text
    for personal in LABELS + CONTACTS:
        assert personal not in page, personal


async def test_the_printable_dossier_is_a_chinese_page_with_the_seven_forms_and_the_hash(world, clock):
    # given 菜园巷 archived
    _cid, sealed, _ = await archived_caiyuan(world, clock)
    # when anyone fetches its htmlUrl
    response = await world.anon.http.get(sealed["htmlUrl"])
    # then it is a Chinese page naming the seven forms and printing the hash
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert 'lang="zh-CN"' in page
    positions = [page.find(name) for name in FORMS]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), positions
    assert sealed["sha256"] in page
    assert "菜园巷道路改造" in page
    # and the share the organizer signed for the street office says so
    assert page.count("（由组织方代为确认）") == 1
    # and it runs nothing and no other site may frame it
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY" and "<script" not in page


async def test_a_dossier_page_that_does_not_exist_is_404(world, clock):
    # given a consultation still EVALUATING
    start(clock)
    cid = await create_consultation(world, stage="EVALUATING")
    # when the dossier pages of an unknown consultation, of one not archived, and of a malformed id are fetched
    for path in (
        f"/dossiers/{to_global_id('Consultation', 987654321)}.html",
        f"/dossiers/{cid}.html",
        "/dossiers/nonsense.html",
    ):
        response = await world.anon.http.get(path)
        # then each is 404
        assert response.status_code == 404, path
    # and the consultation has no dossier
    assert await dossier(world.anon, cid) is None


async def test_an_organizer_archives_an_evaluating_consultation(world, clock):
    # given an EVALUATING consultation with no convener
    t0 = start(clock)
    cid = await create_consultation(world, stage="EVALUATING", convener=False)
    # when the organizer archives it with a note
    payload = await archive(world.organizer, cid, "归档备查")
    # then it is ARCHIVED with a dossier that hashes right
    assert payload["errors"] == []
    assert payload["consultation"] == {"id": cid, "stage": "ARCHIVED"}
    sealed = await dossier(world.anon, cid)
    assert instant(sealed["sealedAt"]) == t0
    assert sealed["sha256"] == canonical_sha256(sealed["document"])
    assert [f["name"] for f in sealed["document"]["forms"]] == FORMS
    history = await world.anon.query(
        "query($id: ID!) { consultation(id: $id) { stageHistory { from to note } } }", {"id": cid}
    )
    assert history["consultation"]["stageHistory"][-1] == {"from": "EVALUATING", "to": "ARCHIVED", "note": "归档备查"}


async def test_who_may_not_archive(world, clock):
    # given an EVALUATING consultation without a convener, and a household
    start(clock)
    cid, (resident,) = await evaluating_with_residents(world, ["菜园巷 1 号"])
    unconvened = await create_consultation(world, stage="EVALUATING", convener=False, title="乌川路井盖更换")
    before = await trail_length(world.organizer, cid)
    # when a party rep, a resident, nobody, or a CPPCC member who does not convene it archives
    outcomes = {
        name: codes_of(await archive(client, target))
        for name, client, target in [
            ("rep", world.reps["market"], cid),
            ("resident", resident, cid),
            ("anon", world.anon, cid),
            ("cppcc, not convener", world.cppcc, unconvened),
        ]
    }
    # then it is FORBIDDEN (UNAUTHENTICATED for nobody) and nothing is sealed
    assert outcomes == {
        "rep": ["FORBIDDEN"],
        "resident": ["FORBIDDEN"],
        "anon": ["UNAUTHENTICATED"],
        "cppcc, not convener": ["FORBIDDEN"],
    }
    for target in (cid, unconvened):
        assert await stage_of(world.anon, target) == "EVALUATING"
        assert await dossier(world.anon, target) is None
    assert await trail_length(world.organizer, cid) == before


@pytest.mark.parametrize("stage", ["DRAFT", "DELIBERATING", "VOTING", "AGREED", "IMPLEMENTING"])
async def test_only_an_evaluating_consultation_is_archived(world, clock, stage):
    # given a consultation before EVALUATING
    start(clock)
    cid = await create_consultation(world, stage=stage)
    before = await trail_length(world.organizer, cid)
    # when the organizer archives it
    payload = await archive(world.organizer, cid)
    # then it is WRONG_STAGE and nothing is sealed
    assert codes_of(payload) == ["WRONG_STAGE"]
    assert await stage_of(world.organizer, cid) == stage
    assert await dossier(world.organizer, cid) is None
    assert await trail_length(world.organizer, cid) == before


async def test_advancing_to_archived_seals_a_dossier_too(world, clock):
    # given an EVALUATING consultation with a rating
    t0 = start(clock)
    cid, (resident,) = await evaluating_with_residents(world, ["菜园巷 1 号"])
    await rate(resident, cid, 4)
    # when the organizer moves it to ARCHIVED
    moved = await try_advance(world, cid, "ARCHIVED")
    # then it is ARCHIVED with a sealed dossier, chained into the trail
    assert moved["errors"] == []
    assert await stage_of(world.anon, cid) == "ARCHIVED"
    sealed = await dossier(world.anon, cid)
    assert instant(sealed["sealedAt"]) == t0
    assert sealed["sha256"] == canonical_sha256(sealed["document"])
    assert [f["name"] for f in sealed["document"]["forms"]] == FORMS
    assert sealed["document"]["forms"][4]["evaluation"]["count"] == 1
    *before, last = await trail(world.organizer, cid)
    assert last["action"] == "consultation.archive"
    assert sealed["document"]["forms"][6]["auditTrail"]["headHash"] == before[-1]["hash"]
    [stored] = await stored_events(cid, "consultation.archive")
    assert json.loads(stored.payload)["sha256"] == sealed["sha256"]
    assert (await world.anon.http.get(sealed["htmlUrl"])).status_code == 200


async def test_the_dossier_stays_as_sealed(world, clock):
    # given an archived consultation
    start(clock)
    cid = await create_consultation(world, stage="EVALUATING")
    await archive(world.organizer, cid)
    sealed = await dossier(world.anon, cid)
    # when time passes and it is read again
    clock.advance(hours=6)
    # then it is the very same dossier
    assert await dossier(world.anon, cid) == sealed


async def test_an_archived_consultation_is_read_only(world, clock):
    # given an archived consultation with a milestone, a verified finding, a household and a proposal
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    mid = await milestone_id(world, cid, t0 + timedelta(hours=3))
    fid = await open_finding(world, cid, t0)
    await close_loop(world, fid)
    await advance(world, cid, "EVALUATING")
    await rate(resident, cid, 5)
    await archive(world.organizer, cid)
    pid = (await world.organizer.query("query($id: ID!) { consultation(id: $id) { proposals { id } } }", {"id": cid}))[
        "consultation"
    ]["proposals"][0]["id"]
    outsider = await outsider_party(world)
    before, sealed = await trail_length(world.organizer, cid), await dossier(world.anon, cid)
    # when anyone who could write before tries any write
    attempts = [
        (
            world.organizer,
            "addMilestone",
            {"consultationId": cid, "title": "补充节点", "kind": "OTHER", "plannedEnd": iso(t0)},
        ),
        (world.organizer, "updateMilestone", {"milestoneId": mid, "progress": 100}),
        (world.reps["market"], "updateMilestone", {"milestoneId": mid, "note": "补记"}),
        (world.cppcc, "recordInspection", {"consultationId": cid, "visitedAt": iso(t0), "notes": "再次视察"}),
        (world.cppcc, "updateFinding", {"findingId": fid, "status": "REOPENED"}),
        (resident, "rateOutcome", {"consultationId": cid, "score": 1}),
        (world.organizer, "recordFollowUp", {"consultationId": cid, "at": iso(t0), "notes": "回访"}),
        (world.cppcc, "recordFollowUp", {"consultationId": cid, "at": iso(t0), "notes": "回访"}),
        (world.organizer, "submitDemand", {"consultationId": cid, "title": "新诉求", "body": "路灯不亮"}),
        (resident, "submitDemand", {"consultationId": cid, "title": "新诉求", "body": "路灯不亮"}),
        (
            world.organizer,
            "createProposal",
            {"consultationId": cid, "title": "新方案", "body": "加装路灯", "budget": "1000"},
        ),
        (world.organizer, "updateProposal", {"proposalId": pid, "title": "改名"}),
        (world.organizer, "setVoterRoll", {"consultationId": cid, "voters": [{"label": "菜园巷 9 号"}]}),
        (world.organizer, "issueInvitations", {"consultationId": cid}),
        (world.organizer, "addParty", {"consultationId": cid, "partyId": outsider}),
        (
            world.organizer,
            "assignResponsibility",
            {"consultationId": cid, "partyId": world.parties["street"], "duty": "养护"},
        ),
        (
            world.organizer,
            "createPoll",
            {"consultationId": cid, "question": "是否加装路灯？", "kind": "YES_NO_ABSTAIN"},
        ),
        (world.organizer, "archiveConsultation", {"consultationId": cid}),
        (world.cppcc, "archiveConsultation", {"consultationId": cid}),
        (world.organizer, "advanceStage", {"consultationId": cid, "to": "CANCELLED", "note": "误操作"}),
    ]
    outcomes = [(name, codes_of(await client.mutate(name, input))) for client, name, input in attempts]
    # then every one is WRONG_STAGE, and the trail and the dossier are untouched
    assert outcomes == [(name, ["WRONG_STAGE"]) for _, name, _ in attempts]
    assert await trail_length(world.organizer, cid) == before
    assert await dossier(world.anon, cid) == sealed
    assert (await milestone(world.anon, mid))["progress"] == 0
    assert (await finding(world.anon, fid))["status"] == "VERIFIED"
    assert (await evaluation(resident, cid))["myRating"]["score"] == 5


# ---------------------------------------------------------------- node(id:)


async def test_node_resolves_milestones_inspections_findings_and_follow_ups(world, clock):
    # given a milestone, an inspection with a finding, and a follow-up
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    mid = await milestone_id(world, cid, t0 + timedelta(hours=3))
    recorded = await inspect(world.cppcc, cid, t0, [problem(world, t0 + timedelta(hours=2))], milestone_id=mid)
    iid, fid = recorded["inspection"]["id"], recorded["inspection"]["findings"][0]["id"]
    vid = (await follow_up(world.organizer, cid, t0, "回访商户"))["followUp"]["id"]
    # when anyone fetches each by id
    data = await world.anon.query(
        """query($m: ID!, $i: ID!, $f: ID!, $v: ID!) {
          m: node(id: $m) { __typename id ... on Milestone { title progress status } }
          i: node(id: $i) { __typename id ... on Inspection { notes milestone { id } findings { id } } }
          f: node(id: $f) { __typename id ... on Finding { description status overdue } }
          v: node(id: $v) { __typename id ... on FollowUp { notes by { id } } }
        }""",
        {"m": mid, "i": iid, "f": fid, "v": vid},
    )
    # then each resolves to what was recorded
    assert data == {
        "m": {"__typename": "Milestone", "id": mid, "title": "路面硬化", "progress": 0, "status": "PLANNED"},
        "i": {
            "__typename": "Inspection",
            "id": iid,
            "notes": "现场查看路面施工",
            "milestone": {"id": mid},
            "findings": [{"id": fid}],
        },
        "f": {"__typename": "Finding", "id": fid, "description": PIT, "status": "OPEN", "overdue": False},
        "v": {"__typename": "FollowUp", "id": vid, "notes": "回访商户", "by": {"id": world.accounts["organizer"]}},
    }


async def test_node_of_missing_supervision_objects_is_null(world, clock):
    # given nothing supervised at all
    start(clock)
    await create_consultation(world, stage="IMPLEMENTING")
    # when ids that do not exist are fetched
    ids = {k: to_global_id(k, 987654321) for k in ("Milestone", "Inspection", "Finding", "FollowUp")}
    data = await world.organizer.query(
        "query($a: ID!, $b: ID!, $c: ID!, $d: ID!) { "
        "a: node(id: $a) { id } b: node(id: $b) { id } c: node(id: $c) { id } d: node(id: $d) { id } }",
        {"a": ids["Milestone"], "b": ids["Inspection"], "c": ids["Finding"], "d": ids["FollowUp"]},
    )
    # then all are null
    assert data == {"a": None, "b": None, "c": None, "d": None}


# ---------------------------------------------------------------- who follows up: a party's representatives (定人员)

REPRESENTATIVES = "{ parties { id representatives { id displayName roles party { id } } } }"


async def test_staff_and_cppcc_members_see_each_partys_representatives(world, clock):
    from tests.api.helpers import make_account

    # given the market with a second representative, and an organizer who belongs to the market but is no rep
    start(clock)
    second = await make_account(
        world.admin, "rep-market-2", ["PARTY_REP"], world.parties["market"], name="菜园市场 李会计"
    )
    await make_account(world.admin, "market-organizer", ["ORGANIZER"], world.parties["market"], name="市场办 周干部")
    for client in (world.organizer, world.admin, world.cppcc):
        # when staff or a CPPCC member reads the parties
        data = await client.query(REPRESENTATIVES)
        reps = {
            p["id"]: [(r["id"], r["roles"], r["party"]["id"]) for r in p["representatives"]] for p in data["parties"]
        }
        # then each party lists its own representatives, oldest first, and no one else
        assert reps[world.parties["market"]] == [
            (world.accounts["rep_market"], ["PARTY_REP"], world.parties["market"]),
            (second, ["PARTY_REP"], world.parties["market"]),
        ]
        assert reps[world.parties["street"]] == [(world.accounts["rep_street"], ["PARTY_REP"], world.parties["street"])]
        assert reps[world.parties["units"]] == [(world.accounts["rep_units"], ["PARTY_REP"], world.parties["units"])]


async def test_residents_reps_and_anonymous_callers_do_not_see_representatives(world, clock):
    # given a consultation with a resident on its roll
    start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    for client in (world.anon, resident, world.reps["market"]):
        # when they read the parties, on their own or through the consultation
        listed = await client.query(REPRESENTATIVES)
        taking_part = await client.query(
            "query($id: ID!) { consultation(id: $id) { parties { representatives { id } } } }", {"id": cid}
        )
        # then the representatives are null: who speaks for a party is not public
        assert {p["representatives"] is None for p in listed["parties"]} == {True}
        assert {p["representatives"] is None for p in taking_part["consultation"]["parties"]} == {True}


async def test_representatives_of_every_party_take_one_query(world, clock):
    from tests.api.test_query_counts import counting

    # given three parties, each with a representative
    start(clock)
    # when the parties are read with and without their representatives
    with counting() as plain:
        await world.cppcc.query("{ parties { id name } }")
    with counting() as with_reps:
        await world.cppcc.query("{ parties { id name representatives { id displayName } } }")
    # then the representatives of all of them come in one more statement, not one per party
    assert len(with_reps) == len(plain) + 1


async def test_a_finding_without_a_category_is_refused_and_nothing_is_written(world, clock):
    # given an IMPLEMENTING consultation
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    before = await trail_length(world.organizer, cid)
    document = (
        "mutation($i: RecordInspectionInput!) { recordInspection(input: $i) { inspection { id } errors { field } } }"
    )
    for category in (None, "", "UNKNOWN"):
        # when a visit's finding has no category, an empty one, or one the list does not have
        line = problem(world, t0 + timedelta(days=1))
        if category is None:
            del line["category"]
        else:
            line["category"] = category
        body = await world.cppcc.raw(
            document, {"i": {"consultationId": cid, "visitedAt": iso(t0), "notes": "现场视察", "findings": [line]}}
        )
        # then the request is refused as a whole (FindingInput.category is a required FindingCategory)
        assert body.get("data") is None and body["errors"], body
        assert "category" in body["errors"][0]["message"]
    # and nothing is written
    assert await inspections(world.organizer, cid) == []
    assert await trail_length(world.organizer, cid) == before


async def test_a_cppcc_member_reopens_a_verified_finding_with_its_reason(world, clock):
    # given a finding closed through the loop: resolved, then verified
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    fid = await open_finding(world, cid, t0)
    await close_loop(world, fid)
    assert (await finding(world.organizer, fid))["status"] == "VERIFIED"
    # when the CPPCC member opens it again without saying why, it is refused beside the reason
    bare = await move(world.cppcc, fid, "REOPENED", None)
    assert errors_of(bare) == [("resolution", "INVALID")]
    # and an organizer may not open it at all
    assert errors_of(await move(world.organizer, fid, "REOPENED", "再看看")) == [("status", "FORBIDDEN")]
    assert (await finding(world.organizer, fid))["status"] == "VERIFIED"
    # then with the reason it goes back to the responsible party, and the trail says so with the reason
    before = await trail_length(world.organizer, cid)
    opened = await move(world.cppcc, fid, "REOPENED", "下雨后井盖又松了")
    assert opened["errors"] == []
    assert (await finding(world.organizer, fid))["status"] == "REOPENED"
    assert await trail_length(world.organizer, cid) == before + 1
    # and the responsible party can report its fix again
    await world.organizer.ok("updateFinding", {"findingId": fid, "status": "RESOLVED", "resolution": "井盖重新固定"})
    assert (await finding(world.organizer, fid))["status"] == "RESOLVED"


async def test_the_funding_milestone_follows_the_money_paid_in(world, clock):
    # given an adopted plan of 240,000 yuan split three ways, in AGREED, with a funding milestone
    t0 = start(clock)
    cid = await create_consultation(world, stage="DELIBERATING")
    created = await world.organizer.ok(
        "createProposal",
        {"consultationId": cid, "title": "管网维修", "body": "三方分担", "budget": "240000"},
        "proposal { id }",
    )
    pid = created["proposal"]["id"]
    shares = [{"partyId": world.parties[k]} for k in CAIYUAN]
    await world.organizer.ok(
        "setCostPlan", {"proposalId": pid, "total": "240000", "method": "EQUAL", "shares": shares}, "proposal { id }"
    )
    await world.organizer.ok("adoptProposal", {"proposalId": pid}, "proposal { id }")
    ids = await share_ids(world.organizer, pid)
    await create_poll(world, cid)
    await advance(world, cid, "VOTING")
    await close_polls(world, cid)
    for key in CAIYUAN:
        await world.reps[key].ok("confirmShare", {"shareId": ids[world.parties[key]]})
    await advance(world, cid, "AGREED")
    mid = await milestone_id(world, cid, t0 + timedelta(days=30), party_key=None, title="资金筹集", kind="FUNDING")
    other = await milestone_id(world, cid, t0 + timedelta(days=60), title="路面硬化")

    async def pay(key: str, amount: str) -> None:
        await world.organizer.ok(
            "recordContribution", {"shareId": ids[world.parties[key]], "amount": amount, "receivedAt": iso(t0)}
        )

    async def progress(m: str) -> tuple[int, bool]:
        data = await world.organizer.query(
            "query($id: ID!) { node(id: $id) { ... on Milestone { progress actualEnd } } }", {"id": m}
        )
        return data["node"]["progress"], data["node"]["actualEnd"] is not None

    # when the market pays its 80,000, then the street office half of its share
    await pay("market", "80000")
    assert await progress(mid) == (33, False)
    await pay("street", "40000")
    assert await progress(mid) == (50, False)
    # a report made above the money stands: the milestone never moves back
    await report(world.organizer, mid, 70, note="街道承诺本周到账")
    await pay("street", "10000")
    assert await progress(mid) == (70, False)
    # and when everything is in, it is done, with its end recorded; other milestones are left alone
    await pay("street", "30000")
    await pay("units", "80000")
    assert await progress(mid) == (100, True)
    assert await progress(other) == (0, False)
    # and each automatic move is kept as a report, saying what was paid
    data = await world.organizer.query(
        "query($id: ID!) { node(id: $id) { ... on Milestone { updates { progress note } } } }", {"id": mid}
    )
    notes = [(u["progress"], u["note"]) for u in data["node"]["updates"]]
    assert notes[0] == (33, "资金到位 80000.00 / 240000.00 元（按到账自动更新）")
    assert notes[-1] == (100, "资金到位 240000.00 / 240000.00 元（按到账自动更新）")
