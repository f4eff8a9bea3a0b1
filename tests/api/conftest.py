"""GraphQL over HTTP against a real, migrated database, one clean slate per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx
import pytest
import pytest_asyncio
from tortoise import Tortoise
from tortoise.contrib.test import truncate_all_models

from consult.app import create_app
from consult.db import migrate, tortoise_config
from consult.security import set_password_cost
from consult.services.accounts import create_admin
from consult.services.base import ServiceContext
from consult.settings import Settings

TEST_SECRET = "test-secret-key-not-for-production"

# Real argon2 at its lowest cost: the suite creates and signs in hundreds of accounts.
set_password_cost(time_cost=1, memory_kib=1024)


@pytest.fixture(scope="session")
def database_url(scratch_databases) -> str:
    return scratch_databases.new()


@pytest.fixture(scope="session")
def settings(database_url) -> Settings:
    # No real sleeping between failed logins in tests; the refusal threshold stays real.
    return Settings(database_url=database_url, secret_key=TEST_SECRET, auth_delay_seconds=0.0)


@pytest_asyncio.fixture(scope="session")
async def orm(database_url) -> AsyncIterator[None]:
    await migrate(database_url)
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    yield
    await Tortoise.close_connections()


@pytest_asyncio.fixture(autouse=True)
async def clean(orm) -> AsyncIterator[None]:
    await truncate_all_models()
    yield


class TestClock:
    """The app's clock in tests: real time unless a test sets it, then exactly what it says."""

    def __init__(self) -> None:
        self.fixed: datetime | None = None

    def __call__(self) -> datetime:
        return self.fixed or datetime.now(UTC)

    def set(self, when: datetime) -> None:
        self.fixed = when

    def advance(self, **delta: float) -> None:
        self.fixed = (self.fixed or datetime.now(UTC)) + timedelta(**delta)


@pytest.fixture(scope="session")
def session_clock() -> TestClock:
    return TestClock()


@pytest.fixture
def clock(session_clock) -> TestClock:
    session_clock.fixed = None
    yield session_clock
    session_clock.fixed = None


@pytest.fixture(scope="session")
def app(settings, session_clock):
    return create_app(settings, manage_database=False, clock=session_clock)


# Mutations whose input type is not simply <Name>Input.
INPUT_TYPES = {"openPoll": "PollIdInput", "closePoll": "PollIdInput", "archiveConsultation": "ArchiveInput"}


class GraphQLFailure(AssertionError):
    pass


@dataclass
class Client:
    """Speaks GraphQL over HTTP like any client would, optionally with a bearer token."""

    http: httpx.AsyncClient
    token: str | None = None
    lang: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def as_(self, token: str | None, lang: str | None = None) -> Client:
        return Client(self.http, token, lang or self.lang)

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = dict(self.headers)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.lang:
            headers["Accept-Language"] = self.lang
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self.raw(query, variables)
        if body.get("errors"):
            raise GraphQLFailure(body["errors"])
        return body["data"]

    async def mutate(self, name: str, input: dict[str, Any], select: str = "") -> dict[str, Any]:
        """Run `name(input: $input) { <select> errors { field code message } }`; return the payload."""
        type_name = INPUT_TYPES.get(name) or name[0].upper() + name[1:] + "Input"
        document = (
            f"mutation($input: {type_name}!) {{ {name}(input: $input) {{ {select} errors {{ field code message }} }} }}"
        )
        return (await self.query(document, {"input": input}))[name]

    async def ok(self, name: str, input: dict[str, Any], select: str = "") -> dict[str, Any]:
        payload = await self.mutate(name, input, select)
        assert payload["errors"] == [], payload["errors"]
        return payload


CLIENT_ADDRESS = ("198.51.100.7", 40000)


class RefuseAllCookies(DefaultCookiePolicy):
    def set_ok(self, cookie, request) -> bool:
        return False


def cookieless_client(app, address: tuple[str, int] = CLIENT_ADDRESS) -> httpx.AsyncClient:
    """An HTTP client that never keeps cookies.

    Every login sets the session cookie; a client that kept it would make `anon` act as
    whoever signed in last. Tests that need the cookie send it explicitly.
    """
    transport = httpx.ASGITransport(app=app, client=address)
    return httpx.AsyncClient(
        transport=transport, base_url="http://testserver", cookies=CookieJar(policy=RefuseAllCookies())
    )


@pytest_asyncio.fixture
async def http(app) -> AsyncIterator[httpx.AsyncClient]:
    async with cookieless_client(app) as client:
        yield client


@pytest_asyncio.fixture
async def anon(http) -> Client:
    return Client(http)


async def login(client: Client, username: str, password: str) -> Client:
    payload = await client.as_(None).ok("login", {"username": username, "password": password}, "token")
    return client.as_(payload["token"])


@pytest_asyncio.fixture
async def admin(anon) -> Client:
    await create_admin(ServiceContext(), username="admin", password="admin-password")
    return await login(anon, "admin", "admin-password")


@dataclass
class World:
    """A small cast: an admin, an organizer, a CPPCC member, a rep per party, and the parties."""

    admin: Client
    organizer: Client
    cppcc: Client
    anon: Client
    parties: dict[str, str]
    reps: dict[str, Client]
    accounts: dict[str, str]


async def make_account(
    admin: Client, username: str, roles: list[str], party_id: str | None = None, name: str | None = None
) -> str:
    payload = await admin.ok(
        "createAccount",
        {
            "username": username,
            "password": f"{username}-password",
            "displayName": name or username,
            "roles": roles,
            "partyId": party_id,
        },
        "account { id }",
    )
    return payload["account"]["id"]


@pytest_asyncio.fixture
async def world(admin, anon) -> World:
    parties: dict[str, str] = {}
    for key, name, kind in [
        ("market", "菜园市场", "MERCHANT"),
        ("street", "解放街道办事处", "STREET_OFFICE"),
        ("units", "辖区单位联合体", "UNIT"),
    ]:
        payload = await admin.ok(
            "createParty", {"name": name, "kind": kind, "contact": f"{key}@example.cn"}, "party { id }"
        )
        parties[key] = payload["party"]["id"]
    accounts = {
        "organizer": await make_account(admin, "organizer", ["ORGANIZER"], name="社区干部"),
        "cppcc": await make_account(admin, "cppcc", ["CPPCC_MEMBER"], name="政协委员"),
    }
    reps = {}
    for key, party_id in parties.items():
        accounts[f"rep_{key}"] = await make_account(admin, f"rep-{key}", ["PARTY_REP"], party_id)
        reps[key] = await login(anon, f"rep-{key}", f"rep-{key}-password")
    return World(
        admin=admin,
        organizer=await login(anon, "organizer", "organizer-password"),
        cppcc=await login(anon, "cppcc", "cppcc-password"),
        anon=anon,
        parties=parties,
        reps=reps,
        accounts=accounts,
    )


async def create_consultation(
    world: World, *, stage: str = "DRAFT", convener: bool = True, title: str = "菜园巷道路改造"
) -> str:
    payload = await world.organizer.ok(
        "createConsultation",
        {
            "title": title,
            "summary": "菜园巷路面破损、雨雪天积水，多年未修。",
            "location": "临河区解放街道菜园巷",
            "partyIds": list(world.parties.values()),
            "convenerId": world.accounts["cppcc"] if convener else None,
        },
        "consultation { id }",
    )
    cid = payload["consultation"]["id"]
    path = ["COLLECTING", "DELIBERATING", "VOTING", "AGREED", "IMPLEMENTING", "EVALUATING"]
    if stage != "DRAFT":
        for step in path[: path.index(stage) + 1]:
            if step == "VOTING":
                await create_poll(world, cid)
            if step == "AGREED":
                await close_polls(world, cid)
                await adopt_a_proposal(world, cid)
            await world.organizer.ok("advanceStage", {"consultationId": cid, "to": step}, "consultation { stage }")
    return cid


async def create_poll(world: World, cid: str, **extra: Any) -> str:
    """VOTING needs a poll: a yes/no/abstain question with the defaults unless told otherwise."""
    payload = await world.organizer.ok(
        "createPoll",
        {"consultationId": cid, "question": "是否同意道路改造方案？", "kind": "YES_NO_ABSTAIN", **extra},
        "poll { id }",
    )
    return payload["poll"]["id"]


async def close_polls(world: World, cid: str) -> None:
    """Leaving VOTING needs every poll closed."""
    data = await world.organizer.query("query($id: ID!) { consultation(id: $id) { polls { id status } } }", {"id": cid})
    for poll in data["consultation"]["polls"]:
        if poll["status"] != "CLOSED":
            await world.organizer.ok("closePoll", {"pollId": poll["id"]}, "poll { status }")


async def adopt_a_proposal(world: World, cid: str, budget: str = "240000") -> str:
    """AGREED needs an adopted proposal: the organizer puts one forward and adopts it."""
    created = await world.organizer.ok(
        "createProposal",
        {"consultationId": cid, "title": "道路改造方案", "body": "管网维修与路面硬化", "budget": budget},
        "proposal { id }",
    )
    pid = created["proposal"]["id"]
    await world.organizer.ok("adoptProposal", {"proposalId": pid}, "proposal { id }")
    return pid


async def residents(world: World, cid: str, labels: list[str]) -> list[Client]:
    """Put households on the roll, issue slips and redeem them: one resident client each."""
    await world.organizer.ok(
        "setVoterRoll",
        {"consultationId": cid, "voters": [{"label": label, "weight": "80"} for label in labels]},
        "entries { id }",
    )
    issued = await world.organizer.ok("issueInvitations", {"consultationId": cid}, "invitations { label code }")
    clients = []
    for invitation in issued["invitations"]:
        payload = await world.anon.ok("redeemInvitation", {"code": invitation["code"]}, "token")
        clients.append(world.anon.as_(payload["token"]))
    return clients
