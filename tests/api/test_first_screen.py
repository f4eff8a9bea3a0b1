"""A slip link's first screen comes with its HTML: the open votes, readable and tappable as a
plain form before any script arrives on a slow phone (issue 15)."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from consult.models import Ballot
from tests.api.helpers import World, create_consultation, create_poll


async def _open_vote(world: World) -> tuple[str, str, list[str]]:
    cid = await create_consultation(world, stage="DELIBERATING", title="巷口路灯首屏")
    await world.organizer.ok(
        "setVoterRoll", {"consultationId": cid, "voters": [{"label": "1 号"}, {"label": "2 号"}]}, "entries { id }"
    )
    pid = await create_poll(world, cid, question="是否同意在巷口加装路灯？")
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "VOTING"}, "consultation { stage }")
    await world.organizer.ok("openPoll", {"pollId": pid}, "poll { status }")
    issued = await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { code }")
    return cid, pid, [i["code"] for i in issued["invitations"]]


async def test_a_slip_link_carries_its_open_vote_in_the_html(world: World, http):
    cid, pid, (code, _) = await _open_vote(world)
    page = await http.get(f"/i/{code}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text
    # then the title, the question and the three choices are in the page, as a plain form
    assert "巷口路灯首屏" in html and "是否同意在巷口加装路灯？" in html
    assert f'action="/i/{quote(code, safe="")}/choose"' in html and f'name="poll" value="{pid}"' in html
    assert [unquote(m) for m in re.findall(r'<button type="submit" name="option" value="([^"]+)"', html)] and all(
        word in html for word in ("赞成", "反对", "弃权")
    )
    # and nothing about the household, nor anything written for it: the slip is not redeemed by looking
    assert "已投票" not in html and "1 号" not in html
    data = await world.organizer.query(
        "query($id: ID!) { consultation(id: $id) { voterRoll { label account { id } } } }", {"id": cid}
    )
    assert all(e["account"] is None for e in data["consultation"]["voterRoll"])


async def test_a_wrong_code_shows_no_first_screen_and_shares_the_sign_in_throttle(world: World, http):
    _, _, (code, _) = await _open_vote(world)
    wrong = await http.get("/i/AAAA-BBBB-CCCC")
    assert wrong.status_code == 200 and "first-screen" not in wrong.text
    for i in range(10):
        await http.get(f"/i/ZZZZ-YYYY-{i:04d}")
    # past the limit a right code from the same address draws no first screen either (the script still redeems it)
    assert "first-screen-form" not in (await http.get(f"/i/{code}")).text


async def test_a_choice_tapped_before_the_script_redeems_the_slip_and_opens_the_confirmation(world: World, http):
    cid, pid, (code, _) = await _open_vote(world)
    page = (await http.get(f"/i/{code}")).text
    yes = unquote(re.findall(r'name="option" value="([^"]+)"', page)[0])
    answer = await http.post(
        f"/i/{code}/choose", data={"poll": pid, "option": yes}, headers={"Origin": "http://testserver"}
    )
    # then the phone is signed in as the household and sent to the confirmation, with the code out of the address
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/c/{quote(cid, safe='')}#choose={quote(pid, safe='')}.{quote(yes, safe='')}"
    cookie = (
        answer.cookies.get("consult_session") or re.search(r"consult_session=([^;]+)", answer.headers["set-cookie"])[1]
    )
    seen = await http.post(
        "/graphql",
        json={"query": "{ viewer { displayName } }"},
        headers={"Cookie": f"consult_session={cookie}"},
    )
    assert seen.json()["data"]["viewer"]["displayName"] in ("1 号", "2 号")
    # and no vote is cast until it is confirmed on the page
    assert await Ballot.all().count() == 0


async def test_a_choice_from_another_site_or_with_a_wrong_code_is_refused(world: World, http):
    _, pid, (code, _) = await _open_vote(world)
    forged = await http.post(
        f"/i/{code}/choose", data={"poll": pid, "option": "x"}, headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403 and "set-cookie" not in forged.headers
    wrong = await http.post("/i/AAAA-BBBB-CCCC/choose", data={"poll": pid, "option": "x"})
    assert wrong.status_code == 303 and wrong.headers["location"] == "/i/AAAA-BBBB-CCCC"
    assert "set-cookie" not in wrong.headers


async def test_every_kind_of_open_vote_is_on_the_first_screen_and_ticked_boxes_reach_the_confirmation(
    world: World, http
):
    cid = await create_consultation(world, stage="DELIBERATING", title="三种表决首屏")
    await world.organizer.ok("setVoterRoll", {"consultationId": cid, "voters": [{"label": "1 号"}]}, "entries { id }")
    several = await create_poll(
        world,
        cid,
        question="想要哪些健身器材？",
        kind="MULTIPLE_CHOICE",
        options=["单杠", "漫步机", "乒乓球台"],
        maxChoices=2,
    )
    ranked = await create_poll(world, cid, question="先修哪一段？", kind="RANKED", options=["东段", "西段", "中段"])
    await world.organizer.ok("advanceStage", {"consultationId": cid, "to": "VOTING"}, "consultation { stage }")
    for pid in (several, ranked):
        await world.organizer.ok("openPoll", {"pollId": pid}, "poll { status }")
    code = (await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { code }"))[
        "invitations"
    ][0]["code"]
    html = (await http.get(f"/i/{code}")).text
    # a multiple-choice vote is boxes to tick, with how many may be ticked, and 下一步
    assert "想要哪些健身器材？" in html and "最多选 2 项" in html and "下一步" in html
    boxes = [unquote(v) for v in re.findall(r'<input type="checkbox" name="option" value="([^"]+)">', html)]
    assert len(boxes) == 3 and all(word in html for word in ("单杠", "漫步机", "乒乓球台"))
    # a ranked vote's choices are listed, to be ordered once the page has its script
    assert "先修哪一段？" in html and all(f"<li>{w}</li>" in html for w in ("东段", "西段", "中段"))
    # when two boxes are ticked and sent, both reach the page's confirmation in the address
    answer = await http.post(
        f"/i/{code}/choose",
        data={"poll": several, "option": boxes[:2]},
        headers={"Origin": "http://testserver"},
    )
    assert answer.status_code == 303
    chosen = answer.headers["location"].split("#choose=", 1)[1]
    poll, options = chosen.split(".", 1)
    assert unquote(poll) == several and [unquote(o) for o in options.split(",")] == boxes[:2]
    assert await Ballot.all().count() == 0
