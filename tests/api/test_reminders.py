"""Reminders that keep every deadline: the sweep raises each once, tells exactly those it concerns,
and the bell counts them (GraphQL). Deliveries by email and webhook: tests/api/test_reminder_delivery.py."""

from __future__ import annotations

from datetime import timedelta

from consult.domain.vocabulary import AreaKind
from consult.ids import from_global_id
from consult.models import Area, StaffArea
from consult.services.reminders import sweep
from consult.settings import ReminderSettings
from tests.api.helpers import (
    World,
    adopt_a_proposal,
    create_consultation,
    create_poll,
    login,
    make_account,
)
from tests.api.test_costs import lines, plan_ok
from tests.api.test_supervision import follow_up, milestone_id, open_finding, start

NOTICES = (
    "query { unreadNotices notices(first: 50) { totalCount unreadCount "
    "edges { node { id kind text consultation { id } readAt } } } }"
)


async def kinds_of(client) -> list[str]:
    data = await client.query(NOTICES)
    return sorted(edge["node"]["kind"] for edge in data["notices"]["edges"])


async def a_deadline_of_every_kind(world: World, clock):
    """One consultation at its works: a finding due in 2 h, a milestone due in 1 h, a follow-up
    visit in 5 h; and another voting, its adopted plan's shares unconfirmed and its poll closing in 10 h."""
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    await milestone_id(world, cid, t0 + timedelta(hours=1))
    await open_finding(world, cid, t0)
    assert (await follow_up(world.organizer, cid, t0 + timedelta(hours=5)))["errors"] == []
    vote = await create_consultation(world, stage="DELIBERATING", title="巷口路灯")
    pid = await adopt_a_proposal(world, vote)
    await plan_ok(world.organizer, pid, "240000", "EQUAL", lines(world, ["market", "street"]))
    poll = await create_poll(world, vote, closesAt=(t0 + timedelta(hours=10)).isoformat())
    await world.organizer.ok("advanceStage", {"consultationId": vote, "to": "VOTING"}, "consultation { stage }")
    await world.organizer.ok(
        "setVoterRoll", {"consultationId": vote, "voters": [{"label": "1 号"}, {"label": "2 号"}]}, "entries { id }"
    )
    await world.organizer.ok("openPoll", {"pollId": poll}, "poll { status }")
    return t0, cid, vote


async def test_each_deadline_is_reminded_once_and_only_to_those_it_concerns(world: World, clock):
    t0, cid, vote = await a_deadline_of_every_kind(world, clock)
    # given an organizer who acts in another community only
    district = await Area.get(kind=AreaKind.DISTRICT)
    street = await Area.create(kind=AreaKind.STREET, name="新华街道", parent_id=district.id)
    elsewhere = await Area.create(kind=AreaKind.COMMUNITY, name="新华社区", parent_id=street.id)
    other_id = await make_account(world.admin, "other-organizer", ["ORGANIZER"], name="外社区干部")
    _, pk = from_global_id(other_id) or ("", 0)
    await StaffArea.filter(account_id=pk).delete()
    await StaffArea.create(account_id=pk, area_id=elsewhere.id)
    other = await login(world.anon, "other-organizer", "other-organizer-password")

    # when the sweep runs now, again at once, 3 h later and 3 days after adoption
    assert await sweep(t0) == 3  # the finding due in 24 h, the poll closing, the follow-up
    assert await sweep(t0) == 0
    assert await sweep(t0 + timedelta(hours=3)) == 2  # the finding and the milestone overdue
    assert await sweep(t0 + timedelta(hours=3)) == 0
    assert await sweep(t0 + timedelta(days=3, hours=1)) == 2  # the two unconfirmed shares
    assert await sweep(t0 + timedelta(days=3, hours=2)) == 0

    # then the organizer in scope and the convener hear of everything
    every = sorted(
        [
            "FINDING_DUE",
            "FINDING_OVERDUE",
            "FOLLOW_UP_DUE",
            "MILESTONE_OVERDUE",
            "POLL_CLOSING",
            "SHARE_UNCONFIRMED",
            "SHARE_UNCONFIRMED",
        ]
    )
    assert await kinds_of(world.organizer) == every
    assert await kinds_of(world.cppcc) == every
    # the market answers for the finding, the milestone and its share; the street office for its share
    assert await kinds_of(world.reps["market"]) == [
        "FINDING_DUE",
        "FINDING_OVERDUE",
        "MILESTONE_OVERDUE",
        "SHARE_UNCONFIRMED",
    ]
    assert await kinds_of(world.reps["street"]) == ["SHARE_UNCONFIRMED"]
    assert await kinds_of(world.reps["units"]) == []
    # and an organizer of another community gets nothing
    assert await kinds_of(other) == []
    data = await world.reps["market"].query(NOTICES)
    assert data["unreadNotices"] == 4
    texts = [edge["node"]["text"] for edge in data["notices"]["edges"]]
    assert any("24 小时内到期" in text for text in texts)
    assert {edge["node"]["consultation"]["id"] for edge in data["notices"]["edges"]} == {cid, vote}
    poll_text = [e["node"]["text"] for e in (await world.organizer.query(NOTICES))["notices"]["edges"]]
    assert any("已投 0 户，共 2 户" in text for text in poll_text)


async def test_a_moved_deadline_is_reminded_again_and_a_verified_finding_not_at_all(world: World, clock):
    t0 = start(clock)
    cid = await create_consultation(world, stage="IMPLEMENTING")
    fid = await open_finding(world, cid, t0)
    assert await sweep(t0) == 1
    # when the finding is fixed and verified, it is no longer overdue
    await world.reps["market"].ok("updateFinding", {"findingId": fid, "status": "RESOLVED", "resolution": "已修补"})
    await world.cppcc.ok("updateFinding", {"findingId": fid, "status": "VERIFIED"})
    assert await sweep(t0 + timedelta(hours=5)) == 0


async def test_notices_are_marked_read_one_by_one_or_all(world: World, clock):
    t0, _, _ = await a_deadline_of_every_kind(world, clock)
    await sweep(t0)
    await sweep(t0 + timedelta(hours=3))
    market = world.reps["market"]
    data = await market.query(NOTICES)
    assert data["unreadNotices"] == 3
    first = data["notices"]["edges"][0]["node"]["id"]
    payload = await market.ok("markNoticesRead", {"ids": [first]}, "marked unread")
    assert (payload["marked"], payload["unread"]) == (1, 2)
    unread = await market.query("query { notices(unreadOnly: true) { totalCount } }")
    assert unread["notices"]["totalCount"] == 2
    # someone else's notice is not theirs to mark
    other = (await world.organizer.query(NOTICES))["notices"]["edges"][0]["node"]["id"]
    assert (await market.ok("markNoticesRead", {"ids": [other]}, "marked"))["marked"] == 0
    assert (await world.organizer.query(NOTICES))["unreadNotices"] == 5
    payload = await market.ok("markNoticesRead", {"all": True}, "marked unread")
    assert (payload["marked"], payload["unread"]) == (2, 0)
    refused = await market.mutate("markNoticesRead", {}, "marked")
    assert [e["code"] for e in refused["errors"]] == ["INVALID"]


async def test_residents_and_the_signed_out_have_no_bell(world: World):
    data = await world.anon.query("query { unreadNotices notices { totalCount } deliveries { totalCount } }")
    assert data == {"unreadNotices": None, "notices": None, "deliveries": None}
    assert (await world.organizer.query("query { deliveries { totalCount } }"))["deliveries"] is None
    assert (await world.admin.query("query { deliveries { totalCount } }"))["deliveries"] == {"totalCount": 0}


async def test_email_addresses_are_set_by_their_holder_or_for_reps_and_shown_to_staff(world: World):
    market = world.reps["market"]
    own = await market.ok("setAccountEmail", {"email": "market@example.cn"}, "account { email }")
    assert own["account"]["email"] == "market@example.cn"
    rep_id = world.accounts["rep_street"]
    payload = await world.organizer.ok(
        "setAccountEmail", {"accountId": rep_id, "email": "street@example.cn"}, "account { email }"
    )
    assert payload["account"]["email"] == "street@example.cn"
    # a rep may not set another's; staff may not set a fellow organizer's; a bad address is refused
    refused = await market.mutate("setAccountEmail", {"accountId": rep_id, "email": "x@example.cn"}, "account { id }")
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    refused = await world.organizer.mutate(
        "setAccountEmail", {"accountId": world.accounts["cppcc"], "email": "c@example.cn"}, "account { id }"
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("accountId", "INVALID")]
    refused = await market.mutate("setAccountEmail", {"email": "not an address"}, "account { id }")
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("email", "INVALID")]
    # the address is shown to its holder and staff, not to another rep
    query = "query($id: ID!) { node(id: $id) { ... on Account { email } } }"
    assert (await world.organizer.query(query, {"id": rep_id}))["node"]["email"] == "street@example.cn"
    seen_by_rep = (await market.query(query, {"id": rep_id}))["node"]
    assert seen_by_rep is None or seen_by_rep["email"] is None


async def test_a_reps_address_is_one_address_and_a_staff_accounts_stays_its_holders(world: World):
    rep_id = world.accounts["rep_street"]
    # a list, a display name or a second @ would reach more than one mailbox: refused, nothing written
    for bad in ["me@evil.cn,street@example.cn", "me@evil.cn; a@b.cn", "王 <street@example.cn>", "a@b@c.cn", "a@x..cn"]:
        refused = await world.organizer.mutate("setAccountEmail", {"accountId": rep_id, "email": bad}, "account { id }")
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [("email", "INVALID")], bad
    query = "query($id: ID!) { node(id: $id) { ... on Account { email } } }"
    assert (await world.organizer.query(query, {"id": rep_id}))["node"]["email"] is None
    # typed with a Chinese input method, or plus-addressed: taken, as one address
    for typed, kept in [("street＠example。cn", "street@example.cn"), ("张三+提醒@例子.中国", "张三+提醒@例子.中国")]:
        payload = await world.organizer.ok(
            "setAccountEmail", {"accountId": rep_id, "email": typed}, "account { email }"
        )
        assert payload["account"]["email"] == kept
    # a rep who is a resident too is still a rep whose address staff keep
    rep_and_resident = await world.organizer.ok(
        "createAccount",
        {
            "username": "rep-resident",
            "password": "rep-resident-password",
            "displayName": "张三",
            "roles": ["PARTY_REP", "RESIDENT"],
            "partyId": world.parties["market"],
        },
        "account { id }",
    )
    them = rep_and_resident["account"]["id"]
    await world.organizer.ok("setAccountEmail", {"accountId": them, "email": "zhang@qq.com"}, "account { id }")
    assert (await world.organizer.query(query, {"id": them}))["node"]["email"] == "zhang@qq.com"
    # an account that speaks for a party and is staff too keeps its address to itself
    both = await make_account(world.admin, "admin-and-rep", ["ADMIN", "PARTY_REP"], world.parties["market"])
    refused = await world.organizer.mutate(
        "setAccountEmail", {"accountId": both, "email": "me@evil.cn"}, "account { id }"
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("accountId", "INVALID")]
    # a staff account's address: its holder and the admins see it, a fellow organizer does not
    await world.cppcc.ok("setAccountEmail", {"email": "cppcc@example.cn"}, "account { id }")
    cppcc = world.accounts["cppcc"]
    assert (await world.cppcc.query(query, {"id": cppcc}))["node"]["email"] == "cppcc@example.cn"
    assert (await world.admin.query(query, {"id": cppcc}))["node"]["email"] == "cppcc@example.cn"
    assert (await world.organizer.query(query, {"id": cppcc}))["node"]["email"] is None


async def test_the_bell_and_the_deliveries_take_a_fixed_number_of_statements(world: World, clock):
    from tests.api.test_query_counts import _statements

    t0, _, _ = await a_deadline_of_every_kind(world, clock)
    webhook = ReminderSettings(webhook_url="http://127.0.0.1:9/never")
    await sweep(t0, webhook)
    few = await _statements(world.organizer, NOTICES)
    deliveries = "query { deliveries(first: 50) { edges { node { channel status text } } } }"
    few_sent = await _statements(world.admin, deliveries)
    await sweep(t0 + timedelta(days=3, hours=3), webhook)
    # then with more than twice the rows, no more statements
    many = await _statements(world.organizer, NOTICES)
    many_sent = await _statements(world.admin, deliveries)
    assert len((await world.organizer.query(NOTICES))["notices"]["edges"]) == 7
    assert many <= few + 1 and many_sent <= few_sent + 1
