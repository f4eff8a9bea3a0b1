"""GraphQL over HTTP against a real, migrated database, one clean slate per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from tortoise import Tortoise

from consult.app import create_app
from consult.db import migrate, tortoise_config
from consult.security import set_password_cost
from consult.services.accounts import create_admin
from consult.services.base import ServiceContext
from consult.settings import Settings
from tests.api.helpers import Client, World, cookieless_client, login, make_account
from tests.api.saved import SavedState, put_back, remember_migrated, take

TEST_SECRET = "test-secret-key-not-for-production"

# Real argon2 at its lowest cost: the suite creates and signs in hundreds of accounts.
set_password_cost(time_cost=1, memory_kib=1024)


@pytest.fixture(scope="session")
def database_url(scratch_databases) -> str:
    return scratch_databases.new()


@pytest.fixture(scope="session")
def settings(database_url, tmp_path_factory) -> Settings:
    # No real sleeping between failed logins in tests; the refusal threshold stays real.
    return Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        auth_delay_seconds=0.0,
        photo_dir=str(tmp_path_factory.mktemp("photos")),
    )


@pytest_asyncio.fixture(scope="session")
async def orm(database_url) -> AsyncIterator[None]:
    await migrate(database_url)
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    await remember_migrated()
    yield
    await Tortoise.close_connections()


@pytest_asyncio.fixture(autouse=True)
async def clean(orm, request) -> AsyncIterator[None]:
    """Each test starts from a known database: the small world, the admin alone, or empty.

    The state is put back once, before any other fixture runs, by what the test asks for.
    """
    wanted = {"world", "admin"} & set(request.fixturenames)
    saved = request.getfixturevalue("saved_world") if wanted else None
    if saved is None:
        await put_back(None)
    else:
        await put_back(saved.world_state if "world" in wanted else saved.admin_state)
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


@pytest_asyncio.fixture
async def http(app) -> AsyncIterator[httpx.AsyncClient]:
    async with cookieless_client(app) as client:
        yield client


@pytest_asyncio.fixture
async def anon(http) -> Client:
    return Client(http)


@dataclass(frozen=True)
class SavedWorld:
    """The rows and sign-ins of the admin alone, and of the whole small world, built once."""

    admin_state: SavedState
    world_state: SavedState
    tokens: dict[str, str]
    parties: dict[str, str]
    accounts: dict[str, str]


async def _build_world(admin: Client, anon: Client) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Parties, accounts and sign-ins through the public API, as an admin would set them up."""
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
    for key, party_id in parties.items():
        accounts[f"rep_{key}"] = await make_account(admin, f"rep-{key}", ["PARTY_REP"], party_id)
    tokens = {}
    for who in ["organizer", "cppcc", *(f"rep-{key}" for key in parties)]:
        tokens[who] = (await login(anon, who, f"{who}-password")).token or ""
    for key in parties:
        # Each rep replaces the password the admin gave them, as reps are asked to: a signature
        # made with a password staff know counts as on the party's behalf.
        await anon.as_(tokens[f"rep-{key}"]).ok(
            "changePassword",
            {"currentPassword": f"rep-{key}-password", "newPassword": own_password(f"rep-{key}")},
            "account { id }",
        )
    return parties, accounts, tokens


def own_password(username: str) -> str:
    """The password a rep of the test world chose for themselves."""
    return f"{username}-kept-to-myself-7Q"


@pytest_asyncio.fixture(scope="session")
async def saved_world(orm, app) -> SavedWorld:
    await put_back(None)
    async with cookieless_client(app) as http:
        anon = Client(http)
        await create_admin(ServiceContext(), username="admin", password="admin-password")
        admin = await login(anon, "admin", "admin-password")
        admin_state = await take()
        parties, accounts, tokens = await _build_world(admin, anon)
        world_state = await take()
    return SavedWorld(admin_state, world_state, {"admin": admin.token or "", **tokens}, parties, accounts)


@pytest_asyncio.fixture
async def admin(anon, saved_world) -> Client:
    return anon.as_(saved_world.tokens["admin"])


@pytest_asyncio.fixture
async def world(admin, anon, saved_world) -> World:
    """The small cast, signed in, put back as it was built at the start of the run."""
    tokens = saved_world.tokens
    return World(
        admin=admin,
        organizer=anon.as_(tokens["organizer"]),
        cppcc=anon.as_(tokens["cppcc"]),
        anon=anon,
        parties=dict(saved_world.parties),
        reps={key: anon.as_(tokens[f"rep-{key}"]) for key in saved_world.parties},
        accounts=dict(saved_world.accounts),
    )
