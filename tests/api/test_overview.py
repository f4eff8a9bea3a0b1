"""协商成效: the overview's figures against hand counts, who sees which communities, its
statement count, and the CSV and spreadsheet exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import openpyxl
import pytest

from consult.domain.vocabulary import AreaKind
from consult.ids import expect_id, to_global_id
from consult.models import Area, Consultation, StaffArea
from consult.security import SESSION_COOKIE
from tests.api.helpers import Client, World, create_consultation, login, make_account, residents
from tests.api.test_query_counts import counting

# 2026-11-10 10:00 in Beijing: the main consultation's month is November 2026.
T0 = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
# The second street's consultations are older: October 2026.
EARLIER = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)

FIGURES = """
  consultations byStage { stage count } demandsReceived demandsResolved resolutionRate
  pledged paid moneyByPartyKind { kind pledged paid }
  overdueMilestones overdueFindings findingsClosed averageDaysToClose
  votesHeld averageTurnout ratings averageSatisfaction satisfactionRate
"""
OVERVIEW = f"""
query($from: Date, $to: Date, $streetId: ID, $communityId: ID) {{
  overview(from: $from, to: $to, streetId: $streetId, communityId: $communityId) {{
    from to
    total {{ {FIGURES} }}
    communities {{ id name streetId streetName figures {{ {FIGURES} }} }}
    places {{ id name streetName }}
    errors {{ field code message }}
  }}
}}
"""


def iso(when: datetime) -> str:
    return when.isoformat()


async def overview(client: Client, **filters: Any) -> dict:
    return (await client.query(OVERVIEW, filters))["overview"]


def stages(figures: dict) -> dict[str, int]:
    return {row["stage"]: row["count"] for row in figures["byStage"] if row["count"]}


async def add_area(kind: AreaKind, name: str, parent_id: int | None, position: int = 1) -> int:
    # There is no mutation for areas yet: the tests lay out the district directly.
    area = await Area.create(kind=kind, name=name, parent_id=parent_id, position=position)
    return area.id


async def move_to(cid: str, community_id: int) -> None:
    # Consultations are made in the organizer's first community; the tests place them by hand.
    await Consultation.filter(id=expect_id(cid, "Consultation")).update(community_id=community_id)


async def only_in(account_id: str, area_id: int) -> None:
    """The account acts in this one area and nowhere else."""
    pk = expect_id(account_id, "Account")
    await StaffArea.filter(account_id=pk).delete()
    await StaffArea.create(account_id=pk, area_id=area_id)


async def advance(world: World, cid: str, to: str) -> None:
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": to}, "consultation { stage }")


async def new_consultation(world: World, title: str) -> str:
    payload = await world.organizer.ok(
        "createConsultation",
        {
            "title": title,
            "summary": "路面破损、雨雪天积水。",
            "location": "临河区",
            "partyIds": list(world.parties.values()),
            "convenerId": world.accounts["cppcc"],
        },
        "consultation { id }",
    )
    return payload["consultation"]["id"]


async def demands(world: World, cid: str, statuses: list[str]) -> None:
    """Demands from a grid worker, triaged to `statuses` (MERGED ones into the first)."""
    ids = []
    for n, status in enumerate(statuses):
        payload = await world.organizer.ok(
            "submitDemand",
            {"consultationId": cid, "title": f"诉求{n}", "body": "路面积水", "channel": "GRID_WORKER"},
            "demand { id }",
        )
        ids.append(payload["demand"]["id"])
        if status != "OPEN":
            merged = {"mergedIntoId": ids[0]} if status == "MERGED" else {}
            await world.organizer.ok("setDemandStatus", {"demandId": ids[-1], "status": status, **merged})


async def shares_of(world: World, pid: str) -> dict[str, str]:
    data = await world.organizer.query(
        "query($id: ID!) { node(id: $id) { ... on Proposal { costPlan { shares { id party { id } } } } } }",
        {"id": pid},
    )
    by_party = {s["party"]["id"]: s["id"] for s in data["node"]["costPlan"]["shares"]}
    return {key: by_party[party] for key, party in world.parties.items()}


async def option_of(client: Client, poll: str) -> str:
    data = await client.query("query($p: ID!) { node(id: $p) { ... on Poll { options { id } } } }", {"p": poll})
    return data["node"]["options"][0]["id"]


async def finished_case(world: World, clock) -> str:
    """The first street's case, all the way to EVALUATING at T0 + 3 days:
    demands: 2 accepted, 1 merged, 1 rejected, 1 left open → 4 received, 2 resolved;
    240,000 split equally and confirmed by all three (80,000 each), the market pays 80,000 and
    the street office 30,000; a poll with 3 of 4 households voting (75%);
    one milestone overdue and one done; one finding verified after 2.5 days, one open and
    overdue, one open and not yet due; ratings 5, 4 and 2."""
    clock.set(T0)
    cid = await new_consultation(world, "菜园巷道路改造")
    await advance(world, cid, "COLLECTING")
    voters = await residents(world, cid, ["1号", "2号", "3号", "4号"])
    await demands(world, cid, ["ACCEPTED", "ACCEPTED", "MERGED", "REJECTED", "OPEN"])
    await advance(world, cid, "DELIBERATING")
    created = await world.organizer.ok(
        "createProposal",
        {"consultationId": cid, "title": "道路改造方案", "body": "管网维修与路面硬化", "budget": "240000"},
        "proposal { id }",
    )
    pid = created["proposal"]["id"]
    await world.organizer.ok(
        "setCostPlan",
        {
            "proposalId": pid,
            "total": "240000",
            "method": "EQUAL",
            "shares": [{"partyId": p} for p in world.parties.values()],
        },
    )
    shares = await shares_of(world, pid)
    await world.reps["market"].ok("confirmShare", {"shareId": shares["market"]})
    await world.reps["street"].ok("confirmShare", {"shareId": shares["street"]})
    await world.reps["units"].ok("confirmShare", {"shareId": shares["units"]})
    poll = (
        await world.organizer.ok(
            "createPoll",
            {"consultationId": cid, "question": "是否同意道路改造方案？", "kind": "YES_NO_ABSTAIN"},
            "poll { id }",
        )
    )["poll"]["id"]
    await advance(world, cid, "VOTING")
    await world.organizer.ok("openPoll", {"pollId": poll})
    option = await option_of(world.organizer, poll)
    for voter in voters[:3]:
        await voter.ok("castVote", {"pollId": poll, "choices": [option]}, "ballot { receipt }")
    await world.organizer.ok("closePoll", {"pollId": poll})
    await world.organizer.ok("adoptProposal", {"proposalId": pid})
    await advance(world, cid, "AGREED")
    await advance(world, cid, "IMPLEMENTING")
    for key, amount in [("market", "80000"), ("street", "30000")]:
        await world.organizer.ok(
            "recordContribution", {"shareId": shares[key], "amount": amount, "receivedAt": iso(T0)}
        )
    done = await milestone(world, cid, "管网维修", T0 + timedelta(days=1))
    await world.organizer.ok("updateMilestone", {"milestoneId": done, "progress": 100})
    inspection = await world.cppcc.ok(
        "recordInspection",
        {
            "consultationId": cid,
            "visitedAt": iso(T0),
            "notes": "现场查看",
            "findings": [finding(world, T0 + timedelta(days=1))],
        },
        "inspection { findings { id } }",
    )
    fixed = inspection["inspection"]["findings"][0]["id"]
    await world.reps["market"].ok("updateFinding", {"findingId": fixed, "status": "RESOLVED", "resolution": "已修补"})
    clock.set(T0 + timedelta(days=2, hours=12))
    await world.cppcc.ok("updateFinding", {"findingId": fixed, "status": "VERIFIED"})
    await advance(world, cid, "EVALUATING")
    for voter, score in zip(voters, [5, 4, 2], strict=False):
        await voter.ok("rateOutcome", {"consultationId": cid, "score": score})
    await works_under_way(world, clock)
    clock.set(T0 + timedelta(days=5))
    return cid


def finding(world: World, due: datetime) -> dict:
    return {
        "category": "QUALITY",
        "description": "路面有坑",
        "responsiblePartyId": world.parties["market"],
        "dueAt": iso(due),
        "expectedOutcome": "修补平整",
    }


async def milestone(world: World, cid: str, title: str, end: datetime) -> str:
    payload = await world.organizer.ok(
        "addMilestone",
        {"consultationId": cid, "title": title, "kind": "CONSTRUCTION", "plannedEnd": iso(end)},
        "milestone { id }",
    )
    return payload["milestone"]["id"]


async def works_under_way(world: World, clock) -> str:
    """A second case of the first community, IMPLEMENTING since T0 + 2.5 days, seen at T0 + 5
    days: a closed poll nobody was on the roll for (held, no turnout), a milestone at 40% due at
    T0 + 3 days (overdue), and two open findings, due at T0 + 3 days (overdue) and T0 + 10 days."""
    cid = await create_consultation(world, stage="IMPLEMENTING", title="菜园巷排水")
    t = clock()
    late = await milestone(world, cid, "排水管铺设", t + timedelta(hours=12))
    await world.organizer.ok("updateMilestone", {"milestoneId": late, "progress": 40})
    await world.cppcc.ok(
        "recordInspection",
        {
            "consultationId": cid,
            "visitedAt": iso(t),
            "notes": "现场查看",
            "findings": [finding(world, t + timedelta(hours=12)), finding(world, T0 + timedelta(days=10))],
        },
    )
    return cid


async def second_street(world: World, clock) -> tuple[int, int]:
    """A second street with its community (五川社区): one consultation DELIBERATING with 3
    accepted demands and 1 merged (3 received, none resolved yet), one still a DRAFT."""
    district = await Area.get(kind=AreaKind.DISTRICT)
    street = await add_area(AreaKind.STREET, "河东街道", district.id, position=2)
    community = await add_area(AreaKind.COMMUNITY, "五川社区", street)
    clock.set(EARLIER)
    cid = await new_consultation(world, "五川井盖更换")
    await advance(world, cid, "COLLECTING")
    await demands(world, cid, ["ACCEPTED", "ACCEPTED", "ACCEPTED", "MERGED"])
    await advance(world, cid, "DELIBERATING")
    draft = await new_consultation(world, "五川路灯")
    for moved in (cid, draft):
        await move_to(moved, community)
    clock.set(T0 + timedelta(days=5))
    return street, community


async def first_community() -> tuple[int, int]:
    community = await Area.get(kind=AreaKind.COMMUNITY, name="本社区")
    return community.parent_id or 0, community.id


A_FIGURES = {
    "consultations": 2,
    "demandsReceived": 4,
    "demandsResolved": 2,
    "resolutionRate": "50.0",
    "pledged": "240000.00",
    "paid": "110000.00",
    "moneyByPartyKind": [
        {"kind": "MERCHANT", "pledged": "80000.00", "paid": "80000.00"},
        {"kind": "UNIT", "pledged": "80000.00", "paid": "0.00"},
        {"kind": "STREET_OFFICE", "pledged": "80000.00", "paid": "30000.00"},
    ],
    "overdueMilestones": 1,
    "overdueFindings": 1,
    "findingsClosed": 1,
    "averageDaysToClose": "2.5",
    "votesHeld": 2,
    "averageTurnout": "75.0",
    "ratings": 3,
    "averageSatisfaction": "3.7",
    "satisfactionRate": "66.7",
}


def plain(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k != "byStage"}


async def test_every_figure_matches_the_hand_counts_per_community_and_in_total(world, clock):
    # given a finished case in the first street, and two consultations in a second street
    await finished_case(world, clock)
    street_b, _community_b = await second_street(world, clock)
    clock.set(T0 + timedelta(days=5))
    # when a district CPPCC member opens the overview for all time
    data = await overview(world.cppcc)
    # then each community shows its own counts
    assert data["errors"] == []
    rows = {row["name"]: row for row in data["communities"]}
    assert list(rows) == ["本社区", "五川社区"]
    a, b = rows["本社区"]["figures"], rows["五川社区"]["figures"]
    assert stages(a) == {"IMPLEMENTING": 1, "EVALUATING": 1}
    assert plain(a) == A_FIGURES
    assert stages(b) == {"DRAFT": 1, "DELIBERATING": 1}
    assert (b["demandsReceived"], b["demandsResolved"], b["resolutionRate"]) == (3, 0, "0.0")
    assert (b["pledged"], b["votesHeld"], b["averageTurnout"], b["ratings"], b["averageSatisfaction"]) == (
        "0.00",
        0,
        None,
        0,
        None,
    )
    assert rows["五川社区"]["streetName"] == "河东街道"
    assert rows["五川社区"]["streetId"] == to_global_id("Area", street_b)
    # and the total adds them up: 2 of 7 resolved
    total = data["total"]
    assert stages(total) == {"DRAFT": 1, "DELIBERATING": 1, "IMPLEMENTING": 1, "EVALUATING": 1}
    assert total["consultations"] == 4
    assert (total["demandsReceived"], total["demandsResolved"], total["resolutionRate"]) == (7, 2, "28.6")
    assert (total["pledged"], total["paid"], total["averageTurnout"], total["satisfactionRate"]) == (
        "240000.00",
        "110000.00",
        "75.0",
        "66.7",
    )


async def test_the_period_counts_consultations_created_in_it_by_beijing_dates(world, clock):
    # given consultations made in November (first street) and October (second street)
    await finished_case(world, clock)
    await second_street(world, clock)
    # when the overview is asked for November, for October, and for a day before any
    november = await overview(world.admin, **{"from": "2026-11-01", "to": "2026-11-30"})
    october = await overview(world.admin, **{"from": "2026-10-01", "to": "2026-10-31"})
    # 2026-10-05 10:00 in Beijing is still 2026-10-05: a period ending on the 4th misses it
    before = await overview(world.admin, **{"from": "2026-10-01", "to": "2026-10-04"})
    on_the_day = await overview(world.admin, **{"from": "2026-10-05", "to": "2026-10-05"})
    # then each counts only its own consultations, and every community is still listed
    assert november["total"]["consultations"] == 2
    assert november["total"]["resolutionRate"] == "50.0"
    assert october["total"]["consultations"] == 2
    assert (october["total"]["demandsReceived"], october["total"]["pledged"]) == (3, "0.00")
    assert before["total"]["consultations"] == 0
    assert before["total"]["resolutionRate"] is None
    assert on_the_day["total"]["consultations"] == 2
    assert [row["name"] for row in november["communities"]] == ["本社区", "五川社区"]
    assert (november["from"], november["to"]) == ("2026-11-01", "2026-11-30")
    # and a period that ends before it starts is INVALID
    backwards = await overview(world.admin, **{"from": "2026-11-30", "to": "2026-11-01"})
    assert [(e["field"], e["code"]) for e in backwards["errors"]] == [("to", "INVALID")]
    assert backwards["total"] is None


async def test_filters_by_street_and_community(world, clock):
    await finished_case(world, clock)
    street_b, _community_b = await second_street(world, clock)
    _street_a, community_a = await first_community()
    # when the district organizer narrows to each street and community
    by_street = await overview(world.organizer, streetId=to_global_id("Area", street_b))
    by_community = await overview(world.organizer, communityId=to_global_id("Area", community_a))
    # then only those communities are shown, while every one stays offered as a choice
    assert [row["name"] for row in by_street["communities"]] == ["五川社区"]
    assert by_street["total"]["consultations"] == 2
    assert [row["name"] for row in by_community["communities"]] == ["本社区"]
    assert plain(by_community["total"]) == A_FIGURES
    assert [p["name"] for p in by_street["places"]] == ["本社区", "五川社区"]
    # and a filter that names no street or community is NOT_FOUND
    wrong = await overview(world.organizer, streetId=to_global_id("Area", community_a))
    assert [(e["field"], e["code"]) for e in wrong["errors"]] == [("streetId", "NOT_FOUND")]
    junk = await overview(world.organizer, communityId="nonsense")
    assert [(e["field"], e["code"]) for e in junk["errors"]] == [("communityId", "NOT_FOUND")]


async def test_a_community_organizer_sees_only_their_community(world, clock):
    # given an organizer of the second street's community only
    await finished_case(world, clock)
    street_b, community_b = await second_street(world, clock)
    street_a, community_a = await first_community()
    account = await make_account(world.admin, "org-wuchuan", ["ORGANIZER"], name="五川社区干部")
    await only_in(account, community_b)
    org = await login(world.anon, "org-wuchuan", "org-wuchuan-password")
    # when they open the overview
    mine = await overview(org)
    # then they see their community alone, and its figures alone in the total
    assert [row["name"] for row in mine["communities"]] == ["五川社区"]
    assert [p["name"] for p in mine["places"]] == ["五川社区"]
    assert mine["total"]["consultations"] == 2
    assert mine["total"]["demandsReceived"] == 3
    # and their own street is fine, another community or street is FORBIDDEN
    assert (await overview(org, streetId=to_global_id("Area", street_b)))["errors"] == []
    other = await overview(org, communityId=to_global_id("Area", community_a))
    assert [(e["field"], e["code"]) for e in other["errors"]] == [("communityId", "FORBIDDEN")]
    assert other["communities"] == [] and other["total"] is None
    other_street = await overview(org, streetId=to_global_id("Area", street_a))
    assert [(e["field"], e["code"]) for e in other_street["errors"]] == [("streetId", "FORBIDDEN")]


async def test_residents_and_reps_are_refused(world, clock):
    clock.set(T0)
    cid = await new_consultation(world, "菜园巷道路改造")
    await advance(world, cid, "COLLECTING")
    [resident] = await residents(world, cid, ["1号"])
    for client, code in [(resident, "FORBIDDEN"), (world.reps["market"], "FORBIDDEN"), (world.anon, "UNAUTHENTICATED")]:
        data = await overview(client)
        assert [e["code"] for e in data["errors"]] == [code]
        assert data["total"] is None and data["communities"] == [] and data["places"] == []


async def statements_for(client: Client) -> int:
    with counting() as statements:
        data = await overview(client)
    assert data["errors"] == []
    return len(statements)


async def test_the_statement_count_does_not_grow_with_communities(world, clock):
    # given one community with a finished case
    await finished_case(world, clock)
    one = await statements_for(world.cppcc)
    # when five more streets with a community and a consultation each are added
    district = await Area.get(kind=AreaKind.DISTRICT)
    for n in range(5):
        street = await add_area(AreaKind.STREET, f"街道{n}", district.id, position=n + 2)
        community = await add_area(AreaKind.COMMUNITY, f"社区{n}", street)
        cid = await new_consultation(world, f"议题{n}")
        await advance(world, cid, "COLLECTING")
        await demands(world, cid, ["ACCEPTED"])
        await move_to(cid, community)
    many = await statements_for(world.cppcc)
    # then the overview takes the same handful of statements
    assert many == one
    assert one <= 10


def cookie(client: Client) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={client.token}"}


async def test_csv_and_spreadsheet_carry_the_same_figures(world, clock):
    await finished_case(world, clock)
    await second_street(world, clock)
    http = world.anon.http
    # when the CPPCC member downloads the CSV for November, with the session cookie
    response = await http.get(
        "/overview.csv", params={"from": "2026-11-01", "to": "2026-11-30"}, headers=cookie(world.cppcc)
    )
    # then it is UTF-8 with a BOM, a header row, one row per community and a total
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["街道/镇", "社区/村", "协商事项"]
    by_name = {row[1]: dict(zip(header, row, strict=True)) for row in body}
    assert list(by_name) == ["本社区", "五川社区", "合计"]
    assert by_name["本社区"]["诉求受理"] == "4"
    assert by_name["本社区"]["已解决"] == "2"
    assert by_name["本社区"]["解决率(%)"] == "50.0"
    assert by_name["本社区"]["认缴(元)"] == "240000.00"
    assert by_name["本社区"]["满意率(%)"] == "66.7"
    assert by_name["五川社区"]["协商事项"] == "0"
    assert by_name["合计"]["协商事项"] == "2"
    # and the spreadsheet holds the same table
    response = await http.get(
        "/overview.xlsx", params={"from": "2026-11-01", "to": "2026-11-30"}, headers=cookie(world.cppcc)
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    table = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    start = next(i for i, row in enumerate(table) if row[0] == "街道/镇")
    assert [str(c) for c in table[start]] == header
    sheet_rows = {row[1]: dict(zip(header, row, strict=True)) for row in table[start + 1 :] if row[1]}
    assert sheet_rows["本社区"]["诉求受理"] == 4
    assert sheet_rows["本社区"]["解决率(%)"] == 50.0
    assert sheet_rows["本社区"]["认缴(元)"] == 240000
    assert sheet_rows["合计"]["协商事项"] == 2


async def test_a_period_out_of_range_or_backwards_is_refused_in_words(world, clock):
    clock.set(T0)
    # asked through the API: which end is wrong, in Chinese, and nothing else
    for filters, field, code in [
        ({"from": "0001-01-01"}, "from", "INVALID"),
        ({"to": "9999-12-31"}, "to", "INVALID"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "to", "INVALID"),
    ]:
        answer = await overview(world.cppcc, **filters)
        assert [(e["field"], e["code"]) for e in answer["errors"]] == [(field, code)], filters
        assert answer["total"] is None and answer["communities"] == []
    [wrong] = (await overview(world.cppcc, to="9999-12-31"))["errors"]
    assert "1970" in wrong["message"]
    # and through the exports: a 400 that says so, never a server error
    http = world.anon.http
    for path in ("/overview.csv?to=9999-12-31", "/overview.xlsx?from=0001-01-01", "/overview/report?month=9999-12"):
        response = await http.get(path, headers=cookie(world.cppcc))
        assert response.status_code == 400, path
        assert "1970" in response.text, path


async def test_a_name_that_looks_like_a_formula_is_exported_as_text(world, clock):
    clock.set(T0)
    district = (await world.admin.query("{ areas(kind: DISTRICT) { id } }"))["areas"][0]["id"]
    trap = '=HYPERLINK("http://example.com/","点此查看")'
    street = await world.admin.ok("createArea", {"kind": "STREET", "name": "-1+1", "parentId": district}, "area { id }")
    await world.admin.ok(
        "createArea", {"kind": "COMMUNITY", "name": trap, "parentId": street["area"]["id"]}, "area { id }"
    )
    http = world.anon.http
    # when the admin downloads both exports
    text = (await http.get("/overview.csv", headers=cookie(world.admin))).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    # then the CSV carries the names behind an apostrophe, so a spreadsheet shows them and runs nothing
    assert ["'-1+1", "'" + trap] in [row[:2] for row in rows]
    response = await http.get("/overview.xlsx", headers=cookie(world.admin))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    [cell] = [c for row in sheet.iter_rows() for c in row if c.value == trap]
    # and the spreadsheet holds them as text cells, not formulas
    assert cell.data_type == "s"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


async def test_exports_need_a_staff_session(world, clock):
    clock.set(T0)
    cid = await new_consultation(world, "菜园巷道路改造")
    await advance(world, cid, "COLLECTING")
    [resident] = await residents(world, cid, ["1号"])
    http = world.anon.http
    for path in ("/overview.csv", "/overview.xlsx", "/overview/report?month=2026-11"):
        # nobody signed in: 401; a resident or a rep: 403
        assert (await http.get(path)).status_code == 401
        assert (await http.get(path, headers=cookie(resident))).status_code == 403
        assert (await http.get(path, headers=cookie(world.reps["market"]))).status_code == 403
        assert (await http.get(path, headers=cookie(world.organizer))).status_code == 200
    # and a filter outside the viewer's reach is refused as the query refuses it
    account = await make_account(world.admin, "org-x", ["ORGANIZER"])
    district = await Area.get(kind=AreaKind.DISTRICT)
    street = await add_area(AreaKind.STREET, "河东街道", district.id, position=2)
    community = await add_area(AreaKind.COMMUNITY, "五川社区", street)
    await only_in(account, community)
    org = await login(world.anon, "org-x", "org-x-password")
    _, first = await first_community()
    refused = await http.get("/overview.csv", params={"communityId": to_global_id("Area", first)}, headers=cookie(org))
    assert refused.status_code == 403
    bad = await http.get("/overview.csv", params={"from": "yesterday"}, headers=cookie(org))
    assert bad.status_code == 400


async def test_the_monthly_report_prints_the_month(world, clock):
    await finished_case(world, clock)
    await second_street(world, clock)
    response = await world.anon.http.get("/overview/report", params={"month": "2026-11"}, headers=cookie(world.cppcc))
    assert response.status_code == 200
    page = response.text
    assert "协商成效月报" in page
    assert "2026年11月" in page
    assert "本社区" in page and "五川社区" in page
    assert "50.0%" in page
    assert "<svg" in page
    assert "@media print" in page
    bad = await world.anon.http.get("/overview/report", params={"month": "2026-13"}, headers=cookie(world.cppcc))
    assert bad.status_code == 400


@pytest.mark.parametrize("month", ["2026-11"])
async def test_the_overview_page_is_served(world, month):
    response = await world.anon.http.get("/overview")
    assert response.status_code == 200
    assert "overview.js" in response.text
