"""What the API tests share: a GraphQL client, the cast of a small world, and the steps every
consultation goes through. Tests import these; the fixtures that build them live in conftest.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

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


async def login(client: Client, username: str, password: str) -> Client:
    payload = await client.as_(None).ok("login", {"username": username, "password": password}, "token")
    return client.as_(payload["token"])


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


async def create_consultation(
    world: World,
    *,
    stage: str = "DRAFT",
    convener: bool = True,
    title: str = "菜园巷道路改造",
    community: str | None = None,
    convener_id: str | None = None,
) -> str:
    payload = await world.organizer.ok(
        "createConsultation",
        {
            **({"communityId": community} if community else {}),
            "title": title,
            "summary": "菜园巷路面破损、雨雪天积水，多年未修。",
            "location": "临河区解放街道菜园巷",
            "partyIds": list(world.parties.values()),
            "convenerId": convener_id or (world.accounts["cppcc"] if convener else None),
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
