"""协商成效 on the demo: the 武川 community's record is the one the newspaper printed, 67 of 73
resolved, 91.8%, as its town's staff see it through the API and in the CSV. Runs once the demo
holds the 武川 community (consult.demo_wuchuan)."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest

from tests.cli.test_cli import db, run  # noqa: F401  (db is a fixture)

QUERY = """{ overview { total { demandsReceived demandsResolved resolutionRate }
  communities { name figures { demandsReceived demandsResolved resolutionRate } } errors { code } } }"""


async def _as_town_staff(env: dict[str, str], username: str, password: str) -> tuple[dict, dict, str]:
    import httpx
    from tortoise import Tortoise

    from consult.app import create_app
    from consult.db import tortoise_config
    from consult.settings import Settings

    url = env["CONSULT_DATABASE_URL"]
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    try:
        app = create_app(Settings(database_url=url, secret_key=env["CONSULT_SECRET_KEY"]), manage_database=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://demo") as http:

            async def gql(query: str, token: str | None = None) -> dict:
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                response = await http.post("/graphql", json={"query": query}, headers=headers)
                return response.json()["data"]

            login = await gql(
                f'mutation {{ login(input: {{username: "{username}", password: "{password}"}}) {{ token }} }}'
            )
            token = login["login"]["token"]
            mine = (await gql(QUERY, token))["overview"]
            admin_token = (
                await gql('mutation { login(input: {username: "admin", password: "demo-admin-2025"}) { token } }')
            )["login"]["token"]
            everything = (await gql(QUERY, admin_token))["overview"]
            exported = await http.get("/overview.csv", headers={"Authorization": f"Bearer {token}"})
            return mine, everything, exported.content.decode("utf-8-sig")
    finally:
        await Tortoise.close_connections()


def test_the_wuchuan_community_shows_67_of_73(db, tmp_path):  # noqa: F811
    wuchuan = pytest.importorskip("consult.demo_wuchuan", reason="the demo has no 武川 community yet")
    run("migrate", env=db)
    run("demo", "--out-dir", str(tmp_path), env=db, timeout=300)
    # when the town's staff account opens the overview, and an admin of the whole district does
    mine, everything, exported = asyncio.run(_as_town_staff(db, "wuchuan", "demo-wuchuan-2025"))
    # then the town's staff see their community alone, with the newspaper's 67 of 73
    assert mine["errors"] == []
    assert [c["name"] for c in mine["communities"]] == [wuchuan.COMMUNITY]
    assert mine["total"] == {"demandsReceived": 73, "demandsResolved": 67, "resolutionRate": "91.8"}
    # and the district sees the same row among the others
    rows = {c["name"]: c["figures"] for c in everything["communities"]}
    assert rows[wuchuan.COMMUNITY] == {"demandsReceived": 73, "demandsResolved": 67, "resolutionRate": "91.8"}
    # and the CSV says the same
    table = list(csv.DictReader(io.StringIO(exported)))
    [row] = [r for r in table if r["社区/村"] == wuchuan.COMMUNITY]
    assert (row["诉求受理"], row["已解决"], row["解决率(%)"]) == ("73", "67", "91.8")
