"""The `consult` command as an operator runs it: migrate, create-admin, demo, export-schema, serve."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC
from pathlib import Path

import pytest

from tests.conftest import BACKEND

ROOT = Path(__file__).resolve().parents[2]
CONSULT = str(Path(sys.executable).parent / "consult")


def run(
    *args: str, env: dict[str, str] | None = None, input: str | None = None, check: bool = True, timeout: float = 120
):
    result = subprocess.run(
        [CONSULT, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"consult {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def db(scratch_databases, tmp_path):
    url = scratch_databases.new()
    return {
        "CONSULT_DATABASE_URL": url,
        "CONSULT_SECRET_KEY": "cli-test-secret",
        "CONSULT_ANCHOR_FILE": str(tmp_path / "anchors.jsonl"),
    }


# The 菜园巷 demo as `consult demo` loads it, built once per run and copied for the tests that
# look at it (the browser tests serve it). Invitation codes depend on the secret key, so the
# copies are served with the same one.
DEMO_ENV = {"CONSULT_SECRET_KEY": "demo-test-secret", "CONSULT_AUTH_DELAY_SECONDS": "0"}


def load_demo(url: str, folder: Path) -> None:
    env = {**DEMO_ENV, "CONSULT_DATABASE_URL": url}
    run("migrate", env=env)
    run("demo", "--out-dir", str(folder), env=env)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port: int, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def get_status(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_migrate_is_idempotent(db):
    first = run("migrate", env=db)
    assert "0001_initial" in first.stdout
    second = run("migrate", env=db)
    assert "0001_initial" not in second.stdout
    assert "up to date" in second.stdout


def test_create_admin_then_log_in_through_the_served_api(db, tmp_path):
    run("migrate", env=db)
    run("create-admin", "--username", "root-admin", "--password", "a-long-password", env=db)
    bad = run("create-admin", "--username", "x", "--password", "a-long-password", env=db, check=False)
    assert bad.returncode == 2 and "用户名" in bad.stderr
    short = run("create-admin", "--username", "other", "--password", "short", env=db, check=False)
    assert short.returncode == 2 and "密码" in short.stderr
    with served(db, tmp_path) as port:
        body = post(
            port,
            'mutation { login(input: {username: "root-admin", password: "a-long-password"}) '
            "{ token errors { code } } }",
        )
        token = body["data"]["login"]["token"]
        viewer = post(port, "{ viewer { displayName roles } }", token=token)["data"]["viewer"]
        assert viewer == {"displayName": "root-admin", "roles": ["ADMIN"]}
        # and the installation's trail says the command line made it, with no account acting
        trail = post(port, "{ installationTrail { edges { node { seq action actor { id } } } } }", token=token)
        assert [e["node"] for e in trail["data"]["installationTrail"]["edges"]] == [
            {"seq": 1, "action": "account.create_admin", "actor": None}
        ]


def test_demo_loads_the_caiyuan_lane_case_once(db, tmp_path):
    run("migrate", env=db)
    out = run("demo", "--out-dir", str(tmp_path), env=db)
    assert "菜园巷" in out.stdout and "demo-organizer-2025" in out.stdout
    codes = (tmp_path / "demo-invitations.csv").read_text(encoding="utf-8").splitlines()
    assert len(codes) == 1 + 137
    # the slips sign households in: only their owner may read them
    for listing in ("demo-invitations.csv", "demo-invitations-voting.csv"):
        assert (tmp_path / listing).stat().st_mode & 0o077 == 0, listing
    again = run("demo", "--if-empty", "--out-dir", str(tmp_path), env=db)
    assert "already" in again.stdout
    with served(db, tmp_path) as port:
        data = post(
            port,
            """{ consultations(first: 5, stage: EVALUATING) { totalCount edges { node { title stage voterRoll { id }
                 milestones { status } findings { status } evaluation { count average }
                 demands { totalCount } proposals { title budget status
                   costPlan { total method fullyConfirmed shares { party { name } amount paid confirmedAt } } }
                 funding { total pledged paid outstanding ratio }
                 polls { status secret ballots { totalCount }
                   tally { outcome ballotsCast electorateSize options { option { label } votes } } }
                 auditTrail { totalCount chainValid } } } } }""",
        )["data"]["consultations"]
        assert data["totalCount"] == 1
        c = data["edges"][0]["node"]
        assert c["title"] == "菜园巷道路改造" and c["stage"] == "EVALUATING"
        assert [m["status"] for m in c["milestones"]] == ["DONE"] * 5
        assert [f["status"] for f in c["findings"]] == ["VERIFIED", "VERIFIED"]
        assert c["evaluation"] == {"count": 33, "average": "4.52"}
        assert c["voterRoll"] == []  # anonymous sees no roll
        assert c["demands"]["totalCount"] == 5
        [proposal] = c["proposals"]
        assert (proposal["title"], proposal["budget"], proposal["status"]) == (
            "菜园巷管网维修与路面硬化方案",
            "240000.00",
            "ADOPTED",
        )
        plan = proposal["costPlan"]
        assert (plan["total"], plan["method"], plan["fullyConfirmed"]) == ("240000.00", "EQUAL", True)
        assert [(s["party"]["name"], s["amount"], s["paid"]) for s in plan["shares"]] == [
            ("菜园市场", "80000.00", "80000.00"),
            ("解放街道办事处", "80000.00", "80000.00"),
            ("菜园巷辖区单位", "80000.00", "80000.00"),
        ]
        [poll] = c["polls"]
        assert (poll["status"], poll["secret"], poll["ballots"]) == ("CLOSED", True, None)
        tally = poll["tally"]
        assert (tally["outcome"], tally["ballotsCast"], tally["electorateSize"]) == ("PASSED", 102, 137)
        assert [(o["option"]["label"], o["votes"]) for o in tally["options"]] == [
            ("赞成", 91),
            ("反对", 7),
            ("弃权", 4),
        ]
        assert c["funding"] == {
            "total": "240000.00",
            "pledged": "240000.00",
            "paid": "240000.00",
            "outstanding": "0.00",
            "ratio": "1.0000",
        }
        assert c["auditTrail"]["chainValid"] is True
        # and the archived copy carries a dossier whose hash anyone can recompute, and a printable page
        archived = post(
            port, "{ consultations(stage: ARCHIVED) { edges { node { dossier { sha256 htmlUrl document } } } } }"
        )
        dossier = archived["data"]["consultations"]["edges"][0]["node"]["dossier"]
        canonical = json.dumps(dossier["document"], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        assert hashlib.sha256(canonical.encode()).hexdigest() == dossier["sha256"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{dossier['htmlUrl']}", timeout=10) as page:
            html = page.read().decode()
        for form in ("提诉求单", "列责任单", "出方案单", "定时限单", "给反馈单", "签协议单", "存入档案单"):
            assert form in html
        assert dossier["sha256"] in html
        # and each party's rep, on a password of their own, signed its share: none on its behalf
        [agreement] = [f for f in dossier["document"]["forms"] if f["name"] == "签协议单"]
        shares = agreement["costPlan"]["shares"]
        assert [s["confirmedOnBehalf"] for s in shares] == [False, False, False]
        assert "代为确认" not in html
        organizer = post(
            port, 'mutation { login(input: {username: "organizer", password: "demo-organizer-2025"}) { token } }'
        )
        token = organizer["data"]["login"]["token"]
        roll = post(port, "{ consultations(stage: EVALUATING) { edges { node { voterRoll { id } } } } }", token=token)
        assert len(roll["data"]["consultations"]["edges"][0]["node"]["voterRoll"]) == 137
        label, code = codes[4].split(",")
        resident = post(
            port,
            "mutation($c: String!) { redeemInvitation(input: {code: $c}) { viewer { displayName } errors { code } } }",
            {"c": code},
        )
        assert resident["data"]["redeemInvitation"]["viewer"]["displayName"] == label


def test_the_demo_has_a_vote_to_try_and_works_to_supervise_ending_before_now(scratch_databases, tmp_path):
    from datetime import datetime

    db = {**DEMO_ENV, "CONSULT_DATABASE_URL": scratch_databases.copy("demo", load_demo)}
    rows = (scratch_databases.folder("demo") / "demo-invitations-voting.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 1 + 137
    with served(db, tmp_path) as port:
        voting = post(
            port,
            """{ consultations(stage: VOTING) { edges { node { title
            polls { status tallyBatch tally { ballotsCast electorateSize } } } } } }""",
        )["data"]["consultations"]["edges"]
        assert [e["node"]["title"] for e in voting] == ["菜园巷道路改造（表决中演示副本）"]
        [poll] = voting[0]["node"]["polls"]
        # three households voted; a secret poll's open count waits for its first batch of five
        assert poll["status"] == "OPEN" and poll["tallyBatch"] == 5
        assert poll["tally"] == {"ballotsCast": 0, "electorateSize": 137}
        # a household from the file that has not voted yet may vote
        _label, code = rows[5].split(",")
        token = post(port, "mutation($c: String!) { redeemInvitation(input: {code: $c}) { token } }", {"c": code})[
            "data"
        ]["redeemInvitation"]["token"]
        can = post(port, "{ consultations(stage: VOTING) { edges { node { polls { viewerCanVote } } } } }", token=token)
        assert can["data"]["consultations"]["edges"][0]["node"]["polls"][0]["viewerCanVote"] is True
        works = post(
            port,
            """{ consultations(stage: IMPLEMENTING) { edges { node { title milestones { status }
            findings { status } funding { paid total } auditTrail(first: 100) { totalCount } } } } }""",
        )["data"]["consultations"]["edges"]
        [node] = [e["node"] for e in works]
        assert node["title"] == "菜园巷道路改造（施工中演示副本）"
        assert "OVERDUE" in [m["status"] for m in node["milestones"]]
        assert sorted(f["status"] for f in node["findings"]) == ["OPEN", "RESOLVED"]
        assert node["funding"] == {"paid": "200000.00", "total": "240000.00"}
        # nothing in either story happens after today
        now = datetime.now(UTC)
        for title in ("表决中演示副本", "施工中演示副本"):
            cid = post(port, "query($s: String) { consultations(search: $s) { edges { node { id } } } }", {"s": title})[
                "data"
            ]["consultations"]["edges"][0]["node"]["id"]
            after, last = None, None
            while True:
                page = post(
                    port,
                    """query($id: ID!, $a: String) { consultation(id: $id) { auditTrail(first: 100, after: $a) {
                    edges { node { at } } pageInfo { hasNextPage endCursor } } } }""",
                    {"id": cid, "a": after},
                )["data"]["consultation"]["auditTrail"]
                last = page["edges"][-1]["node"]["at"] if page["edges"] else last
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            assert datetime.fromisoformat(last) < now, (title, last)


def test_export_schema_check_detects_a_stale_file(tmp_path):
    target = tmp_path / "schema.graphql"
    run("export-schema", "--output", str(target))
    assert run("export-schema", "--check", "--output", str(target)).returncode == 0
    target.write_text(target.read_text() + "\n# edited\n")
    stale = run("export-schema", "--check", "--output", str(target), check=False)
    assert stale.returncode == 1 and "stale" in stale.stderr


def test_serve_refuses_several_workers_on_sqlite(tmp_path):
    out = run("serve", "--workers", "2", "--database", f"sqlite://{tmp_path}/x.sqlite3", check=False)
    assert out.returncode == 2 and "PostgreSQL" in out.stderr


class served:
    """`consult serve` in a subprocess on a free port, stopped on exit."""

    def __init__(
        self,
        env: dict[str, str],
        tmp_path: Path,
        workers: int = 1,
        log_level: str = "warning",
        consult: str = CONSULT,
        cwd: Path = ROOT,
    ) -> None:
        self.env, self.tmp, self.workers, self.log_level = env, tmp_path, workers, log_level
        self.consult, self.cwd = consult, cwd  # another install of consult (tests/cli/test_wheel.py)

    def __enter__(self) -> int:
        # Parallel test workers pick free ports independently; one taken in between is tried again.
        for _ in range(3):
            if self._start(free_port()):
                return self.port
        raise AssertionError(self.log_path.read_text())

    def _start(self, port: int) -> bool:
        """Start on `port` and wait until healthy; False when the port was taken meanwhile."""
        self.port = port
        self.log_path = self.tmp / f"serve-{port}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - open for as long as the server runs; closed in __exit__
        self.proc = subprocess.Popen(
            [self.consult, "serve", "--port", str(port), "--workers", str(self.workers), "--log-level", self.log_level],
            cwd=self.cwd,
            env={**os.environ, **self.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.close()
                if "address already in use" in self.log_path.read_text().lower():
                    return False
                raise AssertionError(self.log_path.read_text())
            try:
                if get_status(port, "/healthz") == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("server did not become healthy")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def test_served_app_has_health_graphiql_and_the_start_page(db, tmp_path):
    run("migrate", env=db)
    with served(db, tmp_path) as port:
        assert get_status(port, "/healthz") == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            html = page.read().decode()
        assert 'lang="zh-CN"' in html and re.search(r'src="/assets/v/[0-9a-f]{16}/start\.js"', html)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", headers={"Accept": "text/html"})
        with urllib.request.urlopen(request, timeout=10) as ide:
            assert "graphiql" in ide.read().decode().lower()
        get = urllib.request.urlopen(f"http://127.0.0.1:{port}/graphql?query=%7Bparties%7Bname%7D%7D", timeout=10)
        assert json.loads(get.read()) == {"data": {"parties": []}}


@pytest.mark.skipif(BACKEND != "postgres", reason="several workers need PostgreSQL")
def test_two_workers_on_postgres_and_health_turns_503_when_the_database_goes(db, tmp_path, scratch_databases):
    run("migrate", env=db)
    with served(db, tmp_path, workers=2) as port:
        for _ in range(6):
            assert post(port, "{ parties { id } }") == {"data": {"parties": []}}
        name = db["CONSULT_DATABASE_URL"].rsplit("/", 1)[1]
        import asyncio

        from tests.conftest import POSTGRES_URL, _pg_drop

        asyncio.run(_pg_drop(POSTGRES_URL, name))
        statuses = {get_status(port, "/healthz") for _ in range(4)}
        assert statuses == {503}


def test_access_logs_never_show_an_invitation_code(db, tmp_path):
    run("migrate", env=db)
    server = served(db, tmp_path, log_level="info")
    with server as port:
        assert get_status(port, "/i/WXYZ-2345-6789") == 200
        assert get_status(port, "/login") == 200
        time.sleep(0.5)
    log = (tmp_path / f"serve-{server.port}.log").read_text()
    assert "GET /login" in log  # the access log is on
    assert "GET /i/…" in log and "WXYZ-2345-6789" not in log


@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf", "soon"])
def test_serve_refuses_a_session_recheck_that_is_not_a_positive_time(db, value):
    # A stream must re-check its viewer's session at some point: no zero, negative, endless or non-number value.
    result = run("serve", "--port", "1", env={**db, "CONSULT_SESSION_RECHECK_SECONDS": value}, check=False)
    assert result.returncode == 2
    assert "Bad configuration" in result.stderr


def test_migrate_seals_the_secret_ballots_an_earlier_version_stored_in_the_clear(db, tmp_path):
    # given the demo, its secret ballots put back in the form earlier versions stored: in the clear, serial ids
    import asyncio

    from tortoise import Tortoise

    from consult.db import tortoise_config
    from consult.models import Ballot, Poll
    from consult.services.voting import marks_of

    run("migrate", env=db)
    run("demo", "--out-dir", str(tmp_path), env=db)
    key = db["CONSULT_SECRET_KEY"]

    async def unseal_all() -> dict[str, tuple]:
        await Tortoise.init(config=tortoise_config(db["CONSULT_DATABASE_URL"]))
        try:
            secret = await Poll.filter(secret=True).values_list("id", flat=True)
            before = {}
            for n, ballot in enumerate(await Ballot.filter(poll_id__in=secret).order_by("receipt"), start=1):
                marks = marks_of(key, ballot)
                before[ballot.receipt] = (marks.choices, marks.weight_e4)
                await Tortoise.get_connection("default").execute_query(
                    "UPDATE ballot SET id = $1, choices = $2, weight_e4 = $3, cast_at = $4, sealed = NULL "
                    "WHERE id = $5",
                    [n, json.dumps(marks.choices)[:-1] + CANARY + "]", marks.weight_e4, marks.cast_at, ballot.id],
                )
            return before
        finally:
            await Tortoise.close_connections()

    async def stored() -> list[Ballot]:
        await Tortoise.init(config=tortoise_config(db["CONSULT_DATABASE_URL"]))
        try:
            secret = await Poll.filter(secret=True).values_list("id", flat=True)
            return await Ballot.filter(poll_id__in=secret)
        finally:
            await Tortoise.close_connections()

    # JSON whitespace no other row holds: what a reader of the file's bytes would find of a clear row
    CANARY = "\t\n\r " * 16

    async def leftovers() -> tuple:
        """Where the clear rows could linger: SQLite's free pages and WAL, PostgreSQL's old table file."""
        await Tortoise.init(config=tortoise_config(db["CONSULT_DATABASE_URL"]))
        try:
            connection = Tortoise.get_connection("default")
            if BACKEND == "postgres":
                rows = await connection.execute_query_dict("SELECT pg_relation_filenode('ballot') AS node")
                return (rows[0]["node"],)
            rows = await connection.execute_query_dict("PRAGMA freelist_count")
            return (rows[0]["freelist_count"],)
        finally:
            await Tortoise.close_connections()

    before = asyncio.run(unseal_all())
    assert len(before) > 100
    old_file = asyncio.run(leftovers())
    if BACKEND != "postgres":  # the clear rows are in the file's bytes before
        file = Path(db["CONSULT_DATABASE_URL"].removeprefix("sqlite://"))
        wal = file.with_name(file.name + "-wal")
        assert CANARY.encode() in file.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    # when the operator migrates
    out = run("migrate", env=db)
    # then every such ballot is sealed again, under a random id, and says what it said
    assert f"Sealed {len(before)} secret ballot(s)" in out.stdout
    # and the table was rewritten, so that the clear rows are not left in free pages
    assert "Rewriting the ballot and tally tables" in out.stdout
    if BACKEND == "postgres":
        assert asyncio.run(leftovers()) != old_file  # VACUUM FULL wrote the table anew
    else:
        assert asyncio.run(leftovers()) == (0,)
        assert not wal.exists() or wal.stat().st_size == 0
        assert CANARY.encode() not in file.read_bytes()
    after = asyncio.run(stored())
    assert all(b.sealed and b.choices is None and b.weight_e4 is None and b.cast_at is None for b in after)
    assert min(b.id for b in after) > 2**40
    assert {b.receipt: (marks_of(key, b).choices, marks_of(key, b).weight_e4) for b in after} == before
    # and a second migrate has nothing to seal
    assert "Sealed" not in run("migrate", env=db).stdout


def test_migrate_seals_the_running_count_an_earlier_version_kept_in_the_clear(db, tmp_path):
    # given the demo's open secret poll, its running count put back where earlier versions kept
    # it: in the clear rows, moving with every ballot (three ballots, short of a batch of five)
    import asyncio

    from tortoise import Tortoise

    from consult.db import tortoise_config
    from consult.models import Poll, PollOption
    from consult.services.voting import running_of

    run("migrate", env=db)
    run("demo", "--out-dir", str(tmp_path), env=db)
    key = db["CONSULT_SECRET_KEY"]

    async def tally(unseal: bool) -> dict:
        await Tortoise.init(config=tortoise_config(db["CONSULT_DATABASE_URL"]))
        try:
            poll = await Poll.get(secret=True, status="OPEN")
            options = await PollOption.filter(poll_id=poll.id).order_by("position")
            count = running_of(key, poll, options)
            if unseal:  # the earlier version's form
                for option in options:
                    option.votes, option.weight_e4 = count.options[option.id]
                    await option.save(update_fields=["votes", "weight_e4"])
                poll.ballots_cast, poll.ballots_weight_e4 = count.ballots, count.weight_e4
                poll.tally_version, poll.running_sealed = count.version, None
                await poll.save(update_fields=["ballots_cast", "ballots_weight_e4", "tally_version", "running_sealed"])
            clear = [(o.votes, o.weight_e4) for o in options] + [(poll.ballots_cast, poll.ballots_weight_e4)]
            return {"clear": clear, "running": (count.ballots, count.options), "sealed": poll.running_sealed}
        finally:
            await Tortoise.close_connections()

    before = asyncio.run(tally(unseal=True))
    assert before["running"][0] == 3 and before["clear"][-1][0] == 3
    # when the operator migrates
    out = run("migrate", env=db)
    # then the running count is sealed again, the clear rows are back at the last batch (none
    # yet), and the count itself is unchanged
    assert "Sealed the running count of 1 open secret poll(s)" in out.stdout
    after = asyncio.run(tally(unseal=False))
    assert after["sealed"] and after["clear"] == [(0, 0)] * len(after["clear"])
    assert after["running"] == before["running"]
    # and the whole installation still verifies
    assert "Everything matches" in run("verify", env=db).stdout
