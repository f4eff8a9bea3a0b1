"""The audit trail: one hash-chained event per successful write, nothing for a failed one."""

from __future__ import annotations

import hashlib
import itertools
import re
from datetime import datetime

from consult.audit import event_content
from consult.ids import expect_id
from consult.models import AuditEvent, Proposal
from tests.api.helpers import Client, World, create_consultation, residents

TRAIL = """
query($id: ID!, $first: Int, $after: String) {
  consultation(id: $id) {
    auditTrail(first: $first, after: $after) {
      totalCount
      chainValid
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { cursor node { id seq at action summary hash prevHash actor { id } } }
    }
  }
}
"""

HEX64 = re.compile(r"[0-9a-f]{64}")


# ---------------------------------------------------------------- helpers


async def trail(client: Client, cid: str, first: int | None = 500, after: str | None = None) -> dict:
    data = await client.query(TRAIL, {"id": cid, "first": first, "after": after})
    return data["consultation"]["auditTrail"]


async def events(client: Client, cid: str) -> list[dict]:
    return [e["node"] for e in (await trail(client, cid))["edges"]]


def consultation_pk(cid: str) -> int:
    pk = expect_id(cid, "Consultation")
    assert pk is not None
    return pk


async def deliberating_with_history(world: World) -> tuple[str, Client]:
    """A consultation with a resident's demand and support, now DELIBERATING: 8 events."""
    cid = await create_consultation(world, stage="COLLECTING")  # create, advance
    [resident] = await residents(world, cid, ["菜园巷 1 号"])  # roll.set, invitations.issue
    did = (
        await resident.ok("submitDemand", {"consultationId": cid, "title": "积水", "body": "雨后积水"}, "demand { id }")
    )["demand"]["id"]
    await resident.ok("supportDemand", {"demandId": did}, "demand { id }")
    await world.organizer.ok("setDemandStatus", {"demandId": did, "status": "ACCEPTED"}, "demand { id }")
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "DELIBERATING"}, "consultation { id }")
    return cid, resident


# ---------------------------------------------------------------- one event per write


async def test_creation_is_event_one_and_every_write_appends_exactly_one_event(world):
    # given a new consultation, the market at its table
    created = await world.organizer.ok(
        "createConsultation",
        {
            "title": "菜园巷道路改造",
            "summary": "路面破损",
            "location": "临河区",
            "convenerId": world.accounts["cppcc"],
            "partyIds": [world.parties["market"]],
        },
        "consultation { id }",
    )
    cid = created["consultation"]["id"]
    # then its trail holds exactly the creation, as seq 1
    [first] = await events(world.organizer, cid)
    assert (first["seq"], first["action"], first["prevHash"]) == (1, "consultation.create", None)
    assert first["actor"] == {"id": world.accounts["organizer"]}

    async def write(client: Client, name: str, input: dict, select: str) -> dict:
        return await client.ok(name, input, select)

    demand = {}
    proposal = {}

    async def submit(client):
        payload = await write(
            client, "submitDemand", {"consultationId": cid, "title": "积水", "body": "雨后积水"}, "demand { id }"
        )
        demand["id"] = payload["demand"]["id"]

    async def propose(client):
        payload = await write(
            client,
            "createProposal",
            {"consultationId": cid, "title": "方案", "body": "各出 8 万", "budget": "240000"},
            "proposal { id }",
        )
        proposal["id"] = payload["proposal"]["id"]

    extra_party = (await world.admin.ok("createParty", {"name": "菜园巷居民", "kind": "RESIDENTS"}, "party { id }"))[
        "party"
    ]["id"]
    resident_box: dict[str, Client] = {}

    async def roll(client):
        await write(
            client,
            "setVoterRoll",
            {"consultationId": cid, "voters": [{"label": "菜园巷 1 号", "weight": "80"}]},
            "entries { id }",
        )

    async def invite(client):
        issued = await write(client, "issueInvitations", {"consultationId": cid}, "invitations { code }")
        redeemed = await world.anon.ok("redeemInvitation", {"code": issued["invitations"][0]["code"]}, "token")
        resident_box["r"] = world.anon.as_(redeemed["token"])

    steps = [
        (
            "consultation.add_party",
            lambda: write(
                world.organizer, "addParty", {"consultationId": cid, "partyId": extra_party}, "consultation { id }"
            ),
        ),
        (
            "consultation.advance_stage",
            lambda: write(
                world.cppcc, "advanceStage", {"consultationId": cid, "to": "COLLECTING"}, "consultation { id }"
            ),
        ),
        ("roll.set", lambda: roll(world.organizer)),
        ("invitations.issue", lambda: invite(world.organizer)),
        ("demand.submit", lambda: submit(resident_box["r"])),
        (
            "demand.support",
            lambda: write(resident_box["r"], "supportDemand", {"demandId": demand["id"]}, "demand { id }"),
        ),
        (
            "demand.set_status",
            lambda: write(
                world.organizer, "setDemandStatus", {"demandId": demand["id"], "status": "ACCEPTED"}, "demand { id }"
            ),
        ),
        (
            "consultation.advance_stage",
            lambda: write(
                world.organizer, "advanceStage", {"consultationId": cid, "to": "DELIBERATING"}, "consultation { id }"
            ),
        ),
        (
            "responsibility.assign",
            lambda: write(
                world.organizer,
                "assignResponsibility",
                {"consultationId": cid, "partyId": extra_party, "duty": "动员居民"},
                "responsibility { id }",
            ),
        ),
        ("proposal.create", lambda: propose(world.reps["market"])),
        (
            "proposal.update",
            lambda: write(
                world.reps["market"],
                "updateProposal",
                {"proposalId": proposal["id"], "status": "TABLED"},
                "proposal { id }",
            ),
        ),
        (
            "proposal.adopt",
            lambda: write(world.organizer, "adoptProposal", {"proposalId": proposal["id"]}, "proposal { id }"),
        ),
        (
            "consultation.advance_stage",
            lambda: write(
                world.organizer,
                "advanceStage",
                {"consultationId": cid, "to": "CANCELLED", "note": "改由区里统一实施"},
                "consultation { id }",
            ),
        ),
    ]
    for n, (action, step) in enumerate(steps, start=2):
        # when one more write succeeds
        await step()
        # then the trail grew by exactly one event, with the next seq and that action
        page = await trail(world.organizer, cid)
        assert page["totalCount"] == n, action
        last = page["edges"][-1]["node"]
        assert (last["seq"], last["action"]) == (n, action)
    # and the seqs run 1, 2, 3... in order
    assert [e["seq"] for e in await events(world.organizer, cid)] == list(range(1, len(steps) + 2))


async def test_events_form_a_hash_chain(world):
    # given a consultation with some history
    cid, _ = await deliberating_with_history(world)
    # when the trail is read
    page = await trail(world.anon, cid)
    nodes = [e["node"] for e in page["edges"]]
    # then the first event has no predecessor, every other links to the one before, and all hashes are sha256 hex
    assert len(nodes) == 8
    assert nodes[0]["prevHash"] is None
    for before, after in itertools.pairwise(nodes):
        assert after["prevHash"] == before["hash"]
    assert all(HEX64.fullmatch(n["hash"]) for n in nodes)
    assert len({n["hash"] for n in nodes}) == len(nodes)
    assert page["chainValid"] is True


async def test_each_hash_is_sha256_of_the_previous_hash_and_the_event_content(world):
    # given a consultation with some history
    cid, _ = await deliberating_with_history(world)
    nodes = await events(world.organizer, cid)
    stored = {e.seq: e for e in await AuditEvent.filter(consultation_id=consultation_pk(cid))}
    for node in nodes:
        row = stored[node["seq"]]
        # when the hash is recomputed from the stored content and the previous hash
        content = event_content(
            seq=row.seq,
            at=row.at,
            actor_id=row.actor_id,
            action=row.action,
            kind=row.kind,
            subject=row.subject,
            summary=row.summary,
            payload=row.payload,
        )
        expected = hashlib.sha256(((node["prevHash"] or "") + content).encode("utf-8")).hexdigest()
        # then it matches the hash the API reports, and the API's time is the stored instant
        assert node["hash"] == expected, node["action"]
        assert node["summary"] == row.summary
        assert datetime.fromisoformat(node["at"]) == row.at
        assert node["at"].endswith("+08:00")


# ---------------------------------------------------------------- failures append nothing


async def test_failed_mutations_append_nothing(world):
    # given a COLLECTING consultation with a resident's demand
    cid = await create_consultation(world, stage="COLLECTING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    did = (
        await resident.ok("submitDemand", {"consultationId": cid, "title": "积水", "body": "雨后积水"}, "demand { id }")
    )["demand"]["id"]
    await resident.ok("supportDemand", {"demandId": did}, "demand { id }")
    before = await trail(world.organizer, cid)
    attempts = [
        ("WRONG_STAGE", world.organizer, "advanceStage", {"consultationId": cid, "to": "AGREED"}),
        ("WRONG_STAGE", world.organizer, "advanceStage", {"consultationId": cid, "to": "DRAFT"}),
        ("INVALID", world.organizer, "advanceStage", {"consultationId": cid, "to": "CANCELLED"}),
        ("FORBIDDEN", resident, "advanceStage", {"consultationId": cid, "to": "DELIBERATING"}),
        ("UNAUTHENTICATED", world.anon, "advanceStage", {"consultationId": cid, "to": "DELIBERATING"}),
        ("INVALID", resident, "submitDemand", {"consultationId": cid, "title": "积水", "body": "  "}),
        (
            "FORBIDDEN",
            world.organizer,
            "submitDemand",
            {"consultationId": cid, "title": "t", "body": "b", "channel": "RESIDENT"},
        ),
        ("FORBIDDEN", world.organizer, "supportDemand", {"demandId": did}),
        ("INVALID", world.organizer, "setDemandStatus", {"demandId": did, "status": "MERGED"}),
        ("CONFLICT", world.organizer, "addParty", {"consultationId": cid, "partyId": world.parties["market"]}),
        (
            "WRONG_STAGE",
            world.organizer,
            "createProposal",
            {"consultationId": cid, "title": "t", "body": "b", "budget": "1"},
        ),
        (
            "WRONG_STAGE",
            world.organizer,
            "assignResponsibility",
            {"consultationId": cid, "partyId": world.parties["market"], "duty": "d"},
        ),
    ]
    for code, client, name, input in attempts:
        # when a mutation fails
        payload = await client.mutate(name, input)
        assert [e["code"] for e in payload["errors"]] == [code], (name, input)
        # then the trail is exactly as it was
        after = await trail(world.organizer, cid)
        assert after["totalCount"] == before["totalCount"], (name, input)
        assert after["edges"][-1]["node"]["hash"] == before["edges"][-1]["node"]["hash"]
        assert after["chainValid"] is True


async def test_a_repeated_support_appends_nothing(world):
    # given a demand a resident already supports
    cid = await create_consultation(world, stage="COLLECTING")
    [resident] = await residents(world, cid, ["菜园巷 1 号"])
    did = (
        await resident.ok("submitDemand", {"consultationId": cid, "title": "积水", "body": "雨后积水"}, "demand { id }")
    )["demand"]["id"]
    await resident.ok("supportDemand", {"demandId": did}, "demand { id }")
    before = (await trail(world.organizer, cid))["totalCount"]
    # when they support it again
    await resident.ok("supportDemand", {"demandId": did}, "demand { id }")
    # then no event was appended
    assert (await trail(world.organizer, cid))["totalCount"] == before


async def test_bad_budget_writes_no_event_and_no_row(world):
    # given a DELIBERATING consultation
    cid = await create_consultation(world, stage="DELIBERATING")
    before = await AuditEvent.filter(consultation_id=consultation_pk(cid)).count()
    # when a proposal with a malformed budget is refused
    payload = await world.organizer.mutate(
        "createProposal", {"consultationId": cid, "title": "t", "body": "b", "budget": "1e5"}, "proposal { id }"
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("budget", "INVALID")]
    # then the database holds no new event and no proposal
    assert await AuditEvent.filter(consultation_id=consultation_pk(cid)).count() == before
    assert await Proposal.filter(consultation_id=consultation_pk(cid)).count() == 0


# ---------------------------------------------------------------- tampering


async def test_altering_a_stored_summary_breaks_the_chain(world):
    # given a consultation whose chain is valid
    cid, _ = await deliberating_with_history(world)
    assert (await trail(world.anon, cid))["chainValid"] is True
    # when someone edits an event's summary directly in the database
    changed = await AuditEvent.filter(consultation_id=consultation_pk(cid), seq=3).update(summary="什么也没发生")
    assert changed == 1
    # then the API reports the chain as invalid, on every page
    assert (await trail(world.anon, cid))["chainValid"] is False
    assert (await trail(world.anon, cid, first=1))["chainValid"] is False


async def test_altering_the_first_event_breaks_the_chain(world):
    # given a consultation whose chain is valid
    cid, _ = await deliberating_with_history(world)
    # when the creation event's summary is rewritten
    await AuditEvent.filter(consultation_id=consultation_pk(cid), seq=1).update(summary="创建协商：别的标题")
    # then the chain is invalid
    assert (await trail(world.organizer, cid))["chainValid"] is False


async def test_altering_and_rehashing_one_event_still_breaks_the_chain(world):
    # given a consultation whose chain is valid
    cid, _ = await deliberating_with_history(world)
    pk = consultation_pk(cid)
    row = await AuditEvent.get(consultation_id=pk, seq=4)
    # when one event is edited and its own hash recomputed, leaving the next event's prevHash alone
    row.summary = "改写过的摘要"
    content = event_content(
        seq=row.seq,
        at=row.at,
        actor_id=row.actor_id,
        action=row.action,
        kind=row.kind,
        subject=row.subject,
        summary=row.summary,
        payload=row.payload,
    )
    forged = hashlib.sha256(((row.prev_hash or "") + content).encode()).hexdigest()
    await AuditEvent.filter(id=row.id).update(summary=row.summary, hash=forged)
    # then the chain is invalid
    assert (await trail(world.organizer, cid))["chainValid"] is False


async def test_deleting_the_last_event_breaks_the_chain(world):
    # given a consultation whose chain is valid
    cid, _ = await deliberating_with_history(world)
    pk = consultation_pk(cid)
    last = await AuditEvent.filter(consultation_id=pk).order_by("-seq").first()
    # when the last event is deleted from the database
    await AuditEvent.filter(id=last.id).delete()
    # then the trail is one shorter and the chain is invalid
    page = await trail(world.anon, cid)
    assert page["totalCount"] == 7
    assert page["chainValid"] is False


async def test_deleting_a_middle_event_breaks_the_chain(world):
    # given a consultation whose chain is valid
    cid, _ = await deliberating_with_history(world)
    # when an event in the middle is deleted
    await AuditEvent.filter(consultation_id=consultation_pk(cid), seq=5).delete()
    # then the chain is invalid
    assert (await trail(world.anon, cid))["chainValid"] is False


async def test_tampering_with_one_consultation_leaves_another_valid(world):
    # given two consultations with history
    tampered = await create_consultation(world, stage="DELIBERATING", title="甲")
    untouched = await create_consultation(world, stage="DELIBERATING", title="乙")
    # when one of them is altered
    await AuditEvent.filter(consultation_id=consultation_pk(tampered), seq=2).update(summary="x")
    # then only that one is invalid
    assert (await trail(world.anon, tampered))["chainValid"] is False
    assert (await trail(world.anon, untouched))["chainValid"] is True


# ---------------------------------------------------------------- reading the trail


async def test_audit_trail_is_paged_in_seq_order(world):
    # given a consultation with eight events
    cid, _ = await deliberating_with_history(world)
    # when anonymous viewers page through three at a time
    seqs, pages, after = [], [], None
    while True:
        page = await trail(world.anon, cid, first=3, after=after)
        pages.append(page)
        seqs += [e["node"]["seq"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then they see every event once, in seq order, in pages of 3, 3, 2
    assert seqs == list(range(1, 9))
    assert [len(p["edges"]) for p in pages] == [3, 3, 2]
    assert [p["totalCount"] for p in pages] == [8, 8, 8]
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True]
    assert all(p["chainValid"] for p in pages)
    # and the chain links across page boundaries
    assert pages[1]["edges"][0]["node"]["prevHash"] == pages[0]["edges"][-1]["node"]["hash"]


async def test_a_residents_actor_is_hidden_from_anonymous_viewers_but_shown_to_organizers(world):
    # given a consultation where a resident submitted a demand
    cid, resident = await deliberating_with_history(world)
    resident_id = (await resident.query("{ viewer { id } }"))["viewer"]["id"]

    def by_action(nodes: list[dict]) -> dict[int, tuple[str, dict | None]]:
        return {n["seq"]: (n["action"], n["actor"]) for n in nodes}

    # when the organizer, the resident and anonymous viewers read the trail
    for_organizer = by_action(await events(world.organizer, cid))
    for_resident = by_action(await events(resident, cid))
    for_anon = by_action(await events(world.anon, cid))
    for_cppcc = by_action(await events(world.cppcc, cid))
    # then the resident's events (submit, support) name them for the organizer and themselves only
    resident_seqs = [seq for seq, (action, _) in for_organizer.items() if action in ("demand.submit", "demand.support")]
    assert len(resident_seqs) == 2
    for seq in resident_seqs:
        assert for_organizer[seq][1] == {"id": resident_id}
        assert for_resident[seq][1] == {"id": resident_id}
        assert for_anon[seq][1] is None
        assert for_cppcc[seq][1] is None
    # and staff actions are public
    assert for_anon[1] == ("consultation.create", {"id": world.accounts["organizer"]})


async def test_the_trail_of_a_draft_is_hidden_with_the_draft(world):
    # given a DRAFT consultation
    cid = await create_consultation(world)
    # when anonymous viewers ask for its trail
    data = await world.anon.query(TRAIL, {"id": cid, "first": 10, "after": None})
    # then there is nothing to see, while the organizer sees the creation
    assert data["consultation"] is None
    assert [e["action"] for e in await events(world.organizer, cid)] == ["consultation.create"]
