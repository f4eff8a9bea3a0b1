"""`consult bench`, as an operator runs it: the smoke run CI makes, and what it refuses."""

from __future__ import annotations

import json
import os

import pytest
from graphql import parse, validate

from consult.bench import SURGE, WORKLOADS, documents
from schema import build_schema
from tests.cli.test_cli import run
from tests.conftest import BACKEND, POSTGRES_URL


def test_the_bench_sends_the_documents_the_resident_page_sends_and_they_are_valid():
    # Given the page's own script, when the bench reads its documents, then they are the page's and valid.
    page, cast = documents.resident_page(), documents.cast_vote()
    script = (documents.ASSETS / "resident.js").read_text(encoding="utf-8")
    assert "const QUERY = `query($id: ID!) {" in script
    assert "viewerCan { openConsole" in page  # api.js's VIEWER_CAN, filled in as the browser would
    assert "${" not in page and "${" not in cast
    assert cast.startswith("mutation($input: CastVoteInput!) { castVote(input: $input) { ballot { receipt")
    schema = build_schema()._schema
    for document in (page, cast):
        assert validate(schema, parse(document)) == []


@pytest.mark.parametrize(
    "database, said",
    [
        ("sqlite://./var/consult.sqlite3", "PostgreSQL only"),
        ("postgres://postgres@127.0.0.1:5432/consult", "must start with consult_bench"),
    ],
)
def test_the_bench_refuses_a_database_it_must_not_drop(database, said):
    # The bench drops and rebuilds its database, so it never touches one not named for it.
    result = run("bench", "--smoke", "--database", database, check=False)
    assert result.returncode == 2
    assert said in result.stderr


@pytest.mark.skipif(BACKEND != "postgres", reason="consult bench runs on PostgreSQL: this runs in the PostgreSQL run")
def test_a_smoke_bench_runs_every_workload_and_the_fan_out_without_errors(tmp_path):
    # Given a PostgreSQL server, when CI's smoke bench runs, then every workload answers without an error,
    # beside its floor, with statements counted per request.
    name = f"consult_bench_test_{os.environ.get('CONSULT_TEST_RUN', 'serial')}"
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    out = tmp_path / "bench.json"
    try:
        # a smoke run takes under a minute alone; on a machine busy with the rest of the suite, several
        result = run("bench", "--smoke", "--database", url, "--json", str(out), check=False, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "居民登录 sessions" in result.stdout  # the progress shown while seeding
        figures = json.loads(out.read_text(encoding="utf-8"))
        assert figures["errors"] == []
        assert {r["workload"] for r in figures["results"]} == set(WORKLOADS) | set(SURGE)
        # and every attack ran with /healthz probed meanwhile, each request answered as it should be
        # (refused, but for chainValid), which the bench checks after the clock stops
        attacks = {a["attack"]: a for a in figures["attacks"]}
        assert {"deep JSON body", "previewCostSplit ×300k", "40 pages of 100", "500 slow connections"} <= set(attacks)
        for attack in attacks.values():
            assert attack["sent"] > 0 and attack["probes"] > 0
            if attack["attack"] != "300 subscriptions":
                assert attack["as_expected"] == attack["sent"], attack
        assert attacks["300 subscriptions"]["as_expected"] >= 250
        for row in figures["results"]:
            assert row["rps"] > 0 and row["floor_rps"] > 0 and row["ratio"] > 0
            assert row["sql_per_request"] is not None
            # the ceiling is the app with no database work of its own (the poll clock's tick, every 5 s,
            # may land in its round: a couple of statements over hundreds of requests); the rest read or write
            if row["workload"] == "ceiling":
                assert row["sql_per_request"] < 0.1
            else:
                assert row["sql_per_request"] >= 1
            assert row["p99_ms"] >= row["p50_ms"] > 0
        # and every live subscriber got every pushed tally
        (fan,) = figures["fanout"]
        assert fan["subscribers"] == 20 and fan["missing"] == 0
        assert fan["pushes"] == 2 * 20
        assert fan["subscribe_s"] > 0 and fan["p99_ms"] >= fan["p50_ms"] >= 0
    finally:
        import asyncio

        import asyncpg

        async def drop() -> None:
            con = await asyncpg.connect(POSTGRES_URL)
            try:
                await con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await con.close()

        asyncio.run(drop())


def test_the_district_bench_says_it_runs_on_postgresql_only():
    # Given SQLite, when the district bench is asked for, then it refuses plainly instead of seeding.
    result = run("bench", "district", "--scale", "0.001", "--database", "sqlite://./var/x.sqlite3", check=False)
    assert result.returncode == 2
    assert "PostgreSQL only" in result.stderr


@pytest.mark.skipif(BACKEND != "postgres", reason="consult bench runs on PostgreSQL: this runs in the PostgreSQL run")
def test_a_tiny_district_seeds_measures_the_roll_and_is_reused(tmp_path):
    # Given a PostgreSQL server, when the district bench runs at a thousandth of a district twice
    name = f"consult_bench_district_test_{os.environ.get('CONSULT_TEST_RUN', 'serial')}"
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    try:
        args = ("bench", "district", "--scale", "0.001", "--runs", "3", "--database", url)
        seeded = run(*args, "--fresh", "--json", str(first), check=False, timeout=600)
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        reused = run(*args, "--json", str(second), check=False, timeout=600)
        assert reused.returncode == 0, reused.stdout + reused.stderr
        # then the first seeds every stage and the second reuses what the first seeded
        one, two = (json.loads(p.read_text(encoding="utf-8")) for p in (first, second))
        assert one["reused"] is False and one["seed_seconds"] > 0
        assert two["reused"] is True
        assert "Seeded in" in seeded.stdout and "Reusing the seeded district" in reused.stdout
        assert one["sizes"] == {"streets": 1, "communities": 1, "consultations": 10, "roll": 1000}
        # and every measure ran without an error, with its target beside it
        rows = {r["measure"]: r for r in two["results"]}
        assert two["errors"] == []
        targets = {
            "roll first page": 50,
            "roll deep page": 50,
            "roll search": 50,
            "overview": 300,
            "overview year": 300,
        }
        for measure, target in targets.items():
            assert rows[measure]["runs"] == 3 and rows[measure]["p95_ms"] >= rows[measure]["p50_ms"] > 0
            assert rows[measure]["target_ms"] == target
        assert rows["reminder sweep"]["target_ms"] == 5000 and rows["reminder sweep"]["p50_ms"] > 0
    finally:
        import asyncio

        import asyncpg

        async def drop() -> None:
            con = await asyncpg.connect(POSTGRES_URL)
            try:
                await con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await con.close()

        asyncio.run(drop())
