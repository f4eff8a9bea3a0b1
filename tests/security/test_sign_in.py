"""Sign-in limits that stop guessers, not residents.

The review: 200 rotating addresses got 600 of 600 password guesses evaluated; 20 residents
redeeming valid slips at one community office got 10 refusals and then a 15-minute lockout.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from consult.app import create_app
from tests.api.helpers import Client, World, cookieless_client, create_consultation

SELECT = "token errors { code }"


async def _from(app, address: str, name: str, fields: dict) -> str:
    async with cookieless_client(app, (address, 40000)) as http:
        payload = await Client(http).mutate(name, fields, SELECT)
    return payload["errors"][0]["code"] if payload["errors"] else "OK"


async def test_twenty_residents_at_one_office_all_get_in_though_some_mistype(world: World, app, settings):
    # given 20 households' slips, redeemed one after another at the community office's one address
    cid = await create_consultation(world)
    labels = [f"菜园巷{i}号" for i in range(1, 21)]
    await world.organizer.ok(
        "setVoterRoll", {"consultationId": cid, "voters": [{"label": lb} for lb in labels]}, "entries { id }"
    )
    issued = await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { code }")
    outcomes = []
    for i, invitation in enumerate(issued["invitations"]):
        # every other resident first types a character wrong (more typos than the limit allows)
        if i % 2 == 0:
            typo = invitation["code"][:-1] + ("2" if invitation["code"][-1] != "2" else "3")
            await _from(app, "198.51.100.20", "redeemInvitation", {"code": typo})
        outcomes.append(await _from(app, "198.51.100.20", "redeemInvitation", {"code": invitation["code"]}))
    # then all 20 are in
    assert outcomes == ["OK"] * 20
    assert settings.auth_refuse_after <= 10  # the typos alone passed the per-address limit


async def test_guesses_at_one_password_from_200_addresses_stop_at_the_accounts_limit(world: World, app, settings):
    # when 200 addresses each guess the organizer's password once
    outcomes = [
        await _from(app, f"203.0.113.{i % 250}", "login", {"username": "organizer", "password": f"guess-{i}-pw"})
        for i in range(200)
    ]
    # then only the first `auth_refuse_after` guesses were even evaluated; the rest were refused
    assert outcomes.count("UNAUTHENTICATED") == settings.auth_refuse_after
    assert outcomes.count("RATE_LIMITED") == 200 - settings.auth_refuse_after


async def test_guesses_around_one_codes_first_characters_are_limited_across_addresses(world: World, app, settings):
    # when many addresses try codes that share their first characters (a photographed, half-hidden slip)
    outcomes = [
        await _from(app, f"192.0.2.{i}", "redeemInvitation", {"code": f"ABCD-EFGH-{i:04d}".replace("0", "2")})
        for i in range(settings.auth_refuse_after + 5)
    ]
    # then past the limit they are refused, whichever address they come from
    assert outcomes[: settings.auth_refuse_after] == ["INVALID"] * settings.auth_refuse_after
    assert set(outcomes[settings.auth_refuse_after :]) == {"RATE_LIMITED"}


async def test_failures_across_the_installation_raise_an_alert(world: World, settings, session_clock, caplog):
    # given an installation that alerts after 30 failures in the window
    app = create_app(replace(settings, auth_alert_after=30), manage_database=False, clock=session_clock)
    # when 35 addresses each fail once
    with caplog.at_level(logging.WARNING, logger="consult.security"):
        for i in range(35):
            await _from(app, f"100.64.0.{i}", "login", {"username": f"nobody{i}", "password": "not-the-password"})
    # then the operator is alerted, once
    alerts = [r for r in caplog.records if r.name == "consult.security" and "Sign-in failures" in r.getMessage()]
    assert len(alerts) == 1
