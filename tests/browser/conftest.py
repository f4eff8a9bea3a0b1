"""Browser tests: Debian's chromium (its headless shell) driven by Playwright for Python, against a served app.

One app is served for the whole package, on the run's backend (SQLite, or PostgreSQL when
CONSULT_TEST_DB=postgres), with the 菜园巷 demo loaded. Each test builds the data it needs
through the public GraphQL API, then uses the pages as a person would.

The tests run in Debian's chromium-headless-shell when it is installed: the same Blink and V8 as
chromium, without the desktop browser around them, so the browser half of the suite takes about two
thirds of the time. Without it they run in chromium; with neither they are skipped (`.ci/run`
installs the shell with apt-get). CONSULT_CHROMIUM names another binary.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import DEMO_ENV, load_demo, served

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = (
    os.environ.get("CONSULT_CHROMIUM")
    or shutil.which("chromium-headless-shell")
    or shutil.which("chromium")
    or "/usr/bin/chromium-headless-shell"
)
AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
DOCS = ROOT / "docs"
PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

INPUT_TYPES = {"openPoll": "PollIdInput", "closePoll": "PollIdInput", "archiveConsultation": "ArchiveInput"}
ORGANIZER = ("organizer", "demo-organizer-2025")
CPPCC = ("cppcc", "demo-cppcc-2025")
ADMIN = ("admin", "demo-admin-2025")

if not Path(CHROMIUM).exists():
    if os.environ.get("CONSULT_REQUIRE_BROWSER"):
        raise RuntimeError(f"CONSULT_REQUIRE_BROWSER is set but chromium is not at {CHROMIUM}")
    pytest.skip(f"chromium not found at {CHROMIUM}: browser tests skipped", allow_module_level=True)


class Site:
    """The served app, and GraphQL calls against it as a given user."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._tokens: dict[str, str] = {}
        # The 菜园巷 demo's slips (EVALUATING); the first 33 households have rated, the rest have not.
        self.demo_codes: list[str] = []

    def gql(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
        )
        with urllib.request.urlopen(request, timeout=15) as response:
            body = json.loads(response.read())
        assert not body.get("errors"), body
        return body["data"]

    def token(self, who: tuple[str, str]) -> str:
        if who[0] not in self._tokens:
            data = self.gql(
                "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { token } }",
                {"u": who[0], "p": who[1]},
            )
            self._tokens[who[0]] = data["login"]["token"]
        return self._tokens[who[0]]

    def ok(self, name: str, input: dict, select: str, who: tuple[str, str] = ORGANIZER) -> dict:
        t = INPUT_TYPES.get(name) or name[0].upper() + name[1:] + "Input"
        data = self.gql(
            f"mutation($i: {t}!) {{ {name}(input: $i) {{ {select} errors {{ field code message }} }} }}",
            {"i": input},
            self.token(who),
        )
        assert data[name]["errors"] == [], data[name]["errors"]
        return data[name]

    def parties(self) -> dict[str, str]:
        """Demo party name -> id."""
        return {p["name"]: p["id"] for p in self.gql("{ parties { id name } }")["parties"]}

    def consultation(
        self, title: str, stage: str = "DRAFT", households: int = 0, secret: bool = True
    ) -> dict[str, Any]:
        """A consultation of the demo's parties, walked to `stage` through the API.

        At VOTING it has a tabled 240,000-yuan proposal split three ways, a roll of
        `households`, their invitation codes, and an open secret yes/no/abstain poll.
        """
        parties = self.parties()
        payers = [parties["菜园市场"], parties["解放街道办事处"], parties["菜园巷辖区单位"]]
        cid = self.ok(
            "createConsultation",
            {
                "title": title,
                "summary": "路面破损、雨雪天积水，居民出行不便。",
                "location": "临河区解放街道菜园巷",
                "partyIds": payers,
            },
            "consultation { id }",
        )["consultation"]["id"]
        case: dict[str, Any] = {"id": cid, "parties": payers, "codes": [], "poll": None}
        path = ["COLLECTING", "DELIBERATING", "VOTING"]
        if stage == "DRAFT":
            return case
        for step in path[: path.index(stage) + 1]:
            if step == "VOTING":
                pid = self.ok(
                    "createProposal",
                    {
                        "consultationId": cid,
                        "title": "道路改造方案",
                        "body": "更换地下管网，路面硬化，三方各出八万元。",
                        "budget": "240000",
                    },
                    "proposal { id }",
                )["proposal"]["id"]
                self.ok(
                    "setCostPlan",
                    {
                        "proposalId": pid,
                        "total": "240000",
                        "method": "EQUAL",
                        "shares": [{"partyId": p} for p in payers],
                    },
                    "costPlan { total }",
                )
                self.ok("updateProposal", {"proposalId": pid, "status": "TABLED"}, "proposal { id }")
                case["proposal"] = pid
                if households:
                    self.ok(
                        "setVoterRoll",
                        {
                            "consultationId": cid,
                            "voters": [{"label": f"菜园巷 {i + 1} 号", "weight": "80"} for i in range(households)],
                        },
                        "entries { id }",
                    )
                    issued = self.ok("issueInvitations", {"consultationId": cid}, "invitations { code }")
                    case["codes"] = [i["code"] for i in issued["invitations"]]
                case["poll"] = self.ok(
                    "createPoll",
                    {
                        "consultationId": cid,
                        "question": "是否同意《菜园巷道路改造方案》？",
                        "kind": "YES_NO_ABSTAIN",
                        "proposalIds": [pid],
                        "secret": secret,
                        "allowRevote": True,
                        "liveResults": True,
                    },
                    "poll { id }",
                )["poll"]["id"]
            self.ok("advanceStage", {"consultationId": cid, "to": step}, "consultation { stage }")
            if step == "VOTING":
                self.ok("openPoll", {"pollId": case["poll"]}, "poll { status }")
        return case


@contextlib.contextmanager
def demo_site(tmp_path_factory, scratch_databases):
    """A served app on a new database with the 菜园巷 demo loaded."""
    tmp = tmp_path_factory.mktemp("site")
    env = {**DEMO_ENV, "CONSULT_DATABASE_URL": scratch_databases.copy("demo", load_demo)}
    with served(env, tmp) as port:
        site = Site(port)
        with (scratch_databases.folder("demo") / "demo-invitations.csv").open(encoding="utf-8") as f:
            site.demo_codes = [row["code"] for row in csv.DictReader(f)]
        yield site


@pytest.fixture(scope="package")
def site(tmp_path_factory, scratch_databases):
    """The app most tests share; each test adds the consultations it needs."""
    with demo_site(tmp_path_factory, scratch_databases) as s:
        yield s


@pytest.fixture(scope="module")
def demo_only_site(tmp_path_factory, scratch_databases):
    """An app holding nothing but the demo, for pictures of what a new install shows."""
    with demo_site(tmp_path_factory, scratch_databases) as s:
        yield s


@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(site, browser):
    """new_page(size=PHONE, on=site) -> a page in a fresh browser context (its own cookies), zh-CN, Beijing time."""
    contexts = []

    def make(size: dict = PHONE, on: Site | None = None, **options: Any):
        context = browser.new_context(
            viewport=size,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            base_url=(on or site).url,
            bypass_csp=True,  # only so axe-core can be injected; the pages themselves run under the CSP
            **options,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()


def sign_in(page, who: tuple[str, str], then: str) -> None:
    """Sign in through the login page, then go to `then`."""
    page.goto(f"/login?next={then}")
    page.get_by_label("用户名").fill(who[0])
    page.get_by_label("密码").fill(who[1])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(
        lambda url: url.split("://", 1)[1].split("/", 1)[1].startswith(then.lstrip("/")) and "/login" not in url
    )


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make test` (it installs tests/js with npm ci)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document, { resultTypes: ['violations'] })).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:5]]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


def screenshot(target, name: str, full_page: bool = True) -> None:
    """Store a README image under docs/: of a page (whole, or what the screen shows) or of one element.

    Only with CONSULT_SCREENSHOTS=1 (`make screenshots`), so test runs leave the tree as it was,
    and only on SQLite, so the two runs do not both write.
    """
    from tests.conftest import BACKEND

    if BACKEND == "sqlite" and os.environ.get("CONSULT_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        if hasattr(target, "goto"):
            target.screenshot(path=str(DOCS / name), full_page=full_page)
        else:
            target.screenshot(path=str(DOCS / name))


def no_stray_words(page) -> list[str]:
    """The words "null" and "undefined" as the page shows them: a value the script meant to leave out."""
    import re

    # No word boundaries: beside Chinese text or each other ("nullnull") there are none.
    return re.findall(r"null|undefined", page.locator("body").inner_text())
