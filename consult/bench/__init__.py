"""`consult bench`: seed a PostgreSQL database, serve it, load it like a district vote, and compare with the floor.

The floor is raw asyncpg doing the same kind of work with the fewest statements, in the same
run and interleaved with the app's rounds, so the ratio between them means something on a
shared, noisy machine where a single absolute time does not.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consult.bench import documents, floor, procs
from consult.bench.attacks import HEALTH_TARGET_MS, AttackResult, run_attacks
from consult.bench.fanout import FanoutResult, fanout
from consult.bench.load import Outcome, Request, drive, graphql_ok, graphql_request
from consult.bench.seed import World

BENCH_PREFIX = "consult_bench"
# Which floor each workload is compared with, and the ratio issue 12 asks for (PostGraphile's level;
# None where it sets none).
WORKLOADS: dict[str, tuple[str, float | None]] = {
    "castVote": ("insert", 0.6),
    "revote": ("insert", 0.6),
    "residentPage": ("read", 0.36),
    "residentPageAnon": ("read", 0.36),
    "board": ("read", None),
    "console": ("read", None),
    # The served app answering the smallest GraphQL request there is, `{ __typename }`: HTTP,
    # the context and strawberry's execution, with no database and no domain work. No request
    # can be faster, so its ratio is the most any workload can reach on this stack and machine.
    "ceiling": ("insert", None),
}
CEILING = "{ __typename }"
# The last minutes before a poll closes: every household at once, then the organizer closes it.
SURGE = {"surge": ("insert", None), "closePoll": ("insert", None)}


class BenchError(Exception):
    """A bench that cannot run as asked; the message says why, in both languages."""


@dataclass
class Plan:
    url: str
    households: int
    writes: int
    reads: int
    rounds: int
    workers: list[int]
    connections: int
    subscribers: int = 1000
    pushes: int = 10
    attack_seconds: float = 3.0
    host: str = "127.0.0.1"


@dataclass
class Sample:
    """One round of one workload, beside the floor's round."""

    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    rss_mib: float
    floor_rps: float
    sql: float | None = None

    @property
    def ratio(self) -> float:
        return self.rps / self.floor_rps if self.floor_rps else 0.0


@dataclass
class Results:
    samples: dict[tuple[int, str], list[Sample]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    fanout: dict[int, FanoutResult] = field(default_factory=dict)
    attacks: dict[int, list[AttackResult]] = field(default_factory=dict)


def _say(text: str) -> None:
    print(text, flush=True)


def _progress(what: str, done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    print(f"\r  {what:<16} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, flush=True)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def check_target(url: str) -> str:
    """The database name, if it is one the bench may drop and rebuild."""
    if not url.startswith(("postgres://", "postgresql://")):
        raise BenchError("consult bench 只在 PostgreSQL 上运行 runs on PostgreSQL only: give --database postgres://…")
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if not name.startswith(BENCH_PREFIX):
        raise BenchError(
            f"数据库名须以 {BENCH_PREFIX} 开头，压力测试会清空它 "
            f"The database name must start with {BENCH_PREFIX}: the bench drops and rebuilds it (got {name!r})."
        )
    return name


async def _recreate(url: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def build_world(plan: Plan, polls: int) -> World:
    from tortoise import Tortoise

    from consult.bench.seed import seed
    from consult.db import migrate, tortoise_config

    await _recreate(plan.url, check_target(plan.url))
    # The rebuilt database starts a new audit history: its anchors start afresh too.
    from consult.settings import Settings

    anchor_file = Settings.from_env(plan.url).anchor_file
    if anchor_file:
        Path(anchor_file).unlink(missing_ok=True)
    await migrate(plan.url)
    await Tortoise.init(config=tortoise_config(plan.url), _enable_global_fallback=True)
    try:
        return await seed(plan.households, polls, _progress)
    finally:
        await Tortoise.close_connections()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`consult serve` with N workers, started and stopped by the bench."""

    def __init__(self, plan: Plan, workers: int) -> None:
        self.port = _free_port()
        self.workers = workers
        env = {**os.environ, "CONSULT_DATABASE_URL": plan.url, "CONSULT_BENCH_STATS": "1"}
        command = [sys.executable, "-m", "consult.cli", "serve", "--log-level", "warning"]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"服务没有启动 the server exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise BenchError("服务 60 秒内没有就绪 the server was not ready within 60 s")

    def cpu(self) -> float:
        return procs.cpu_seconds(self.process.pid)

    def rss(self) -> int:
        return procs.rss_bytes(self.process.pid)

    def statements(self) -> int | None:
        """SQL statements sent so far, summed over the workers (each answers for itself)."""
        seen: dict[int, int] = {}
        for _ in range(50):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_bench/stats", timeout=2) as r:
                    stats = json.load(r)
            except OSError:
                return None
            seen[stats["pid"]] = stats["statements"]
            if len(seen) >= self.workers:
                break
        return sum(seen.values())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _requests(world: World, workload: str, poll: str, plan: Plan) -> tuple[list[Request], str | None]:
    """The requests of one round, and the mutation whose payload errors count as failures."""
    if workload in ("castVote", "revote"):
        options = world.options[poll]
        # A first vote spreads over the three options; the revote moves every household to the next one.
        shift = 1 if workload == "revote" else 0
        document = documents.cast_vote()
        return [
            graphql_request(document, {"input": {"pollId": poll, "choices": [options[(i + shift) % 3]]}}, token)
            for i, token in enumerate(world.tokens[: plan.writes])
        ], "castVote"
    if workload == "ceiling":
        # Ten times the writes: at thousands a second, a round of `writes` would be over in a blink.
        return [graphql_request(CEILING, {})] * (plan.writes * 10), None
    if workload == "board":
        # The supervision board as a CPPCC member opens it: the consultations under way.
        board = documents.constants("api.js", "board.js")["LIST_QUERY"]
        return [graphql_request(board, {"stage": "IMPLEMENTING", "after": None}, world.cppcc_token)] * plan.reads, None
    if workload == "console":
        # The organizer's console on the district consultation.
        console = documents.constants("api.js", "console-case.js")["CONSULTATION"]
        return [graphql_request(console, {"id": world.consultation_id}, world.staff_token)] * plan.reads, None
    document = documents.resident_page()
    signed_in = workload == "residentPage"
    return [
        graphql_request(
            document, {"id": world.consultation_id}, world.tokens[i % len(world.tokens)] if signed_in else None
        )
        for i in range(plan.reads)
    ], None


async def _measure(
    server: Server, plan: Plan, requests: list[Request], payload: str | None
) -> tuple[Outcome, float, int | None]:
    sql_before = server.statements()
    cpu_before = server.cpu()
    outcome = await drive(plan.host, server.port, requests, plan.connections, graphql_ok(payload))
    cpu = server.cpu() - cpu_before
    sql_after = server.statements()
    sql = None if sql_before is None or sql_after is None else sql_after - sql_before
    return outcome, cpu, sql


def _record(
    results: Results,
    server: Server,
    workers: int,
    workload: str,
    outcome: Outcome,
    cpu: float,
    sql: int | None,
    floor_rps: float,
) -> Sample:
    """One measured run, per request, kept with its workload's others."""
    results.errors.extend(f"{workload}: {e}" for e in outcome.errors[:5])
    n = max(outcome.count, 1)
    sample = Sample(
        rps=outcome.count / outcome.elapsed if outcome.elapsed else 0.0,
        p50_ms=_percentile(outcome.latencies, 0.50) * 1000,
        p99_ms=_percentile(outcome.latencies, 0.99) * 1000,
        cpu_ms=cpu * 1000 / n,
        rss_mib=server.rss() / 2**20,
        floor_rps=floor_rps,
        sql=None if sql is None else sql / n,
    )
    results.samples.setdefault((workers, workload), []).append(sample)
    return sample


async def _round(
    server: Server, plan: Plan, world: World, poll: str, floors: floor.Floor, results: Results, workers: int, label: str
) -> None:
    floor_runs: dict[str, float] = {}
    for workload, (kind, _) in WORKLOADS.items():
        requests, payload = _requests(world, workload, poll, plan)
        outcome, cpu, sql = await _measure(server, plan, requests, payload)
        if kind not in floor_runs or workload == "revote":
            floor_runs[kind] = await floors.run(kind, len(requests))
        sample = _record(results, server, workers, workload, outcome, cpu, sql, floor_runs[kind])
        _say(
            f"  {label} {workload:<17} {sample.rps:8.1f} req/s  p99 {sample.p99_ms:7.1f} ms  "
            f"floor {sample.floor_rps:8.1f}/s  ratio {sample.ratio:.3f}"
            + (f"  errors {len(outcome.errors)}" if outcome.errors else "")
        )


async def _surge(
    server: Server, plan: Plan, world: World, poll: str, floors: floor.Floor, results: Results, workers: int
) -> None:
    """Every household votes at once, over four times the connections, then the poll is closed."""
    votes, _ = _requests(world, "castVote", poll, Plan(**{**plan.__dict__, "writes": len(world.tokens)}))
    surge = Plan(**{**plan.__dict__, "connections": plan.connections * 4})
    outcome, cpu, sql = await _measure(server, surge, votes, "castVote")
    floor_rps = await floors.run("insert", len(votes))
    close = graphql_request(
        documents.mutation("closePoll", "poll { status }", "PollIdInput"),
        {"input": {"pollId": poll}},
        world.staff_token,
    )
    closed, close_cpu, close_sql = await _measure(server, plan, [close], "closePoll")
    for name, got, spent, statements in (("surge", outcome, cpu, sql), ("closePoll", closed, close_cpu, close_sql)):
        sample = _record(results, server, workers, name, got, spent, statements, floor_rps)
        _say(f"  [{workers}w] {name:<17} {sample.rps:8.1f} req/s  p99 {sample.p99_ms:7.1f} ms")


async def _fanout(server: Server, plan: Plan, world: World, results: Results, workers: int) -> None:
    _say(f"  [{workers}w] {plan.subscribers} 个订阅 subscribers to one poll's tally …")
    got = await fanout(
        plan.host, server.port, world, world.polls[-1], plan.subscribers, plan.pushes, server.cpu, server.rss, _progress
    )
    results.fanout[workers] = got
    results.errors.extend(f"fan-out: {e}" for e in got.errors)
    if got.missing:
        results.errors.append(f"fan-out: {got.missing} pushes never arrived")


async def run(plan: Plan) -> Results:
    # One fresh poll per round (votes by distinct households), and one for the fan-out.
    polls = plan.rounds * len(plan.workers) + len(plan.workers) + 1
    _say(f"准备数据 Seeding {plan.households} households, {polls} open polls …")
    world = await build_world(plan, polls)
    results = Results()
    floors = await floor.Floor.open(plan.url, plan.connections, world)
    try:
        poll_index = 0
        for workers in plan.workers:
            _say(f"启动服务 Serving with {workers} worker(s) …")
            server = Server(plan, workers)
            try:
                # Warm up: every worker has parsed the documents and filled its pool.
                warm = [graphql_request(documents.resident_page(), {"id": world.consultation_id})] * (20 * workers)
                await drive(plan.host, server.port, warm, plan.connections, graphql_ok())
                for r in range(plan.rounds):
                    poll = world.polls[poll_index]
                    poll_index += 1
                    await _round(
                        server, plan, world, poll, floors, results, workers, f"[{workers}w {r + 1}/{plan.rounds}]"
                    )
                await _surge(server, plan, world, world.polls[poll_index], floors, results, workers)
                poll_index += 1
                if workers == plan.workers[0] and plan.subscribers:
                    await _fanout(server, plan, world, results, workers)
                if workers == plan.workers[0] and plan.attack_seconds > 0:
                    _say(f"  [{workers}w] 攻击请求 attacks, {plan.attack_seconds:g} s each, /healthz timed meanwhile …")
                    got = await run_attacks(plan.host, server.port, world, plan.attack_seconds, _say)
                    results.attacks[workers] = got
                    results.errors.extend(e for a in got for e in a.errors)
            finally:
                server.stop()
    finally:
        await floors.close()
    return results


def summary(results: Results) -> list[dict[str, Any]]:
    rows = []
    for (workers, workload), samples in results.samples.items():
        kind, target = {**WORKLOADS, **SURGE}[workload]
        sql = [s.sql for s in samples if s.sql is not None]
        rows.append(
            {
                "workers": workers,
                "workload": workload,
                "floor": kind,
                "rounds": len(samples),
                "rps": statistics.median(s.rps for s in samples),
                "p50_ms": statistics.median(s.p50_ms for s in samples),
                "p99_ms": statistics.median(s.p99_ms for s in samples),
                "cpu_ms_per_request": statistics.median(s.cpu_ms for s in samples),
                "sql_per_request": statistics.median(sql) if sql else None,
                "rss_mib": max(s.rss_mib for s in samples),
                "floor_rps": statistics.median(s.floor_rps for s in samples),
                "ratio": statistics.median(s.ratio for s in samples),
                "target": target,
            }
        )
    return rows


# Issue 12's fan-out targets for one process (stated for 10,000 subscribers).
FANOUT_TARGETS = {"p99_ms": 250, "subscribe_s": 20, "idle_cpu_pct": 5, "kib_per_subscriber": 30, "rss_back_pct": 10}


def fanout_summary(results: Results) -> list[dict[str, Any]]:
    rows = []
    for workers, got in results.fanout.items():
        rows.append(
            {
                "workers": workers,
                "subscribers": got.subscribers,
                "pushes": len(got.delivered),
                "missing": got.missing,
                "subscribe_s": got.subscribe_s,
                "p50_ms": _percentile(got.delivered, 0.50) * 1000,
                "p99_ms": _percentile(got.delivered, 0.99) * 1000,
                "idle_cpu_pct": got.idle_cpu_pct,
                "kib_per_subscriber": got.kib_per_subscriber,
                "rss_back_pct": got.rss_back_pct,
                "targets": FANOUT_TARGETS,
            }
        )
    return rows


def attack_summary(results: Results) -> list[dict[str, Any]]:
    rows = []
    for workers, attacks in results.attacks.items():
        for a in attacks:
            rows.append(
                {
                    "workers": workers,
                    "attack": a.name,
                    "sent": a.sent,
                    "as_expected": a.expected,
                    "probes": len(a.probes),
                    "health_p50_ms": _percentile(a.probes, 0.50) * 1000,
                    "health_p99_ms": _percentile(a.probes, 0.99) * 1000,
                    "health_max_ms": max(a.probes, default=0.0) * 1000,
                    "target_ms": HEALTH_TARGET_MS,
                }
            )
    return rows


def print_attacks(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    _say("")
    _say(f"/healthz while each attack runs (target: every probe ≤ {HEALTH_TARGET_MS:.0f} ms):")
    _say(
        f"{'workers':>7} {'attack':<24} {'sent':>7} {'as expected':>11} {'probes':>6} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    )
    for r in rows:
        mark = "ok" if r["health_max_ms"] <= r["target_ms"] else "over"
        _say(
            f"{r['workers']:>7} {r['attack']:<24} {r['sent']:>7} {r['as_expected']:>11} {r['probes']:>6} "
            f"{r['health_p50_ms']:7.1f} {r['health_p99_ms']:7.1f} {r['health_max_ms']:7.1f} {mark}"
        )


def print_fanout(rows: list[dict[str, Any]]) -> None:
    t = FANOUT_TARGETS
    for r in rows:
        _say("")
        _say(f"fan-out, {r['workers']} worker(s), {r['subscribers']} subscribers (targets are for 10,000):")
        _say(f"  subscribed in        {r['subscribe_s']:8.1f} s     target ≤ {t['subscribe_s']} s")
        _say(f"  delivery p50 / p99   {r['p50_ms']:8.0f} / {r['p99_ms']:.0f} ms  target p99 ≤ {t['p99_ms']} ms")
        _say(f"  idle CPU             {r['idle_cpu_pct']:8.1f} %     target ≤ {t['idle_cpu_pct']} %")
        _say(f"  RSS per subscriber   {r['kib_per_subscriber']:8.1f} KiB   target ≤ {t['kib_per_subscriber']} KiB")
        _say(f"  RSS after they left  {r['rss_back_pct']:+8.1f} %     target ≤ +{t['rss_back_pct']} % of before")


def print_table(rows: list[dict[str, Any]]) -> None:
    _say("")
    _say(
        f"{'workers':>7} {'workload':<17} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms':>7} "
        f"{'SQL':>5} {'RSS MiB':>8} {'floor/s':>8} {'ratio':>7} {'target':>7}"
    )
    for r in rows:
        sql = "-" if r["sql_per_request"] is None else f"{r['sql_per_request']:.1f}"
        target = "-" if r["target"] is None else f"{r['target']:.2f}"
        mark = "" if r["target"] is None else "ok" if r["ratio"] >= r["target"] else "below"
        _say(
            f"{r['workers']:>7} {r['workload']:<17} {r['rps']:8.1f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} "
            f"{r['cpu_ms_per_request']:7.1f} {sql:>5} {r['rss_mib']:8.0f} {r['floor_rps']:8.1f} "
            f"{r['ratio']:7.3f} {target:>7} {mark}"
        )
    _say("medians of the rounds; ratio = req/s ÷ the floor's req/s in the same round")
    for r in rows:
        if r["workload"] == "ceiling":
            _say(
                f"ceiling, {r['workers']} worker(s): the app answers {CEILING} at ratio {r['ratio']:.3f} "
                "of the insert floor; no workload can pass it"
            )


def cmd_bench(args: Any) -> int:
    url = (
        args.database
        or os.environ.get("CONSULT_BENCH_DATABASE_URL")
        or "postgres://postgres@127.0.0.1:5432/consult_bench"
    )
    url = url.replace("postgresql://", "postgres://", 1)
    if args.smoke:
        args.households, args.writes, args.reads, args.rounds = 60, 30, 20, 1
        args.subscribers, args.pushes, args.attack_seconds = 20, 2, 0.5
        args.workers = args.workers or "1"
    plan = Plan(
        url=url,
        households=args.households,
        writes=min(args.writes, args.households),
        reads=args.reads,
        rounds=args.rounds,
        workers=[int(w) for w in (args.workers or "1,2").split(",")],
        connections=args.connections,
        subscribers=args.subscribers,
        pushes=args.pushes,
        attack_seconds=args.attack_seconds,
    )
    os.environ.setdefault("CONSULT_SECRET_KEY", secrets.token_hex(16))
    os.environ["CONSULT_DATABASE_URL"] = url
    try:
        check_target(url)
        results = asyncio.run(run(plan))
    except BenchError as error:
        print(error, file=sys.stderr)
        return 2
    rows = summary(results)
    print_table(rows)
    fan = fanout_summary(results)
    print_fanout(fan)
    attacks = attack_summary(results)
    print_attacks(attacks)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(
                {"plan": plan.__dict__, "results": rows, "fanout": fan, "attacks": attacks, "errors": results.errors},
                f,
                ensure_ascii=False,
                indent=2,
            )
        _say(f"已写入 Wrote {args.json}")
    if results.errors:
        print(f"{len(results.errors)} 个错误 errors, e.g.:", file=sys.stderr)
        for problem in results.errors[:10]:
            print(f"  {problem}", file=sys.stderr)
        return 1
    return 0
