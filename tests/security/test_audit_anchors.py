"""The audit chain against whoever can write the database.

The review edited an event and recomputed every later hash, and deleted all ballot events and
re-chained the rest: `chainValid` still said true. It added 50 votes straight into a tally row,
and the public tally read 134/183/133 for 400 ballots. `consult verify` checks the chains against
the anchors written outside the database as each event committed, every tally against its
ballots and every share against its contributions, and names each mismatch.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from consult.audit import chain_hash, event_content
from tests.cli.test_cli import run
from tests.conftest import BACKEND

KEY = "anchor-test-secret"


def _build(url: str, folder: Path) -> None:
    env = {"CONSULT_DATABASE_URL": url, "CONSULT_SECRET_KEY": KEY, "CONSULT_ANCHOR_FILE": str(folder / "anchors.jsonl")}
    run("migrate", env=env)
    run("demo", "--out-dir", str(folder), env=env)


@pytest.fixture
def demo(scratch_databases, tmp_path) -> dict[str, str]:
    """A copy of the demo with its own copy of the anchors written while it was built."""
    url = scratch_databases.copy("demo-anchored", _build)
    anchors = tmp_path / "anchors.jsonl"
    shutil.copyfile(scratch_databases.folder("demo-anchored") / "anchors.jsonl", anchors)
    return {"CONSULT_DATABASE_URL": url, "CONSULT_SECRET_KEY": KEY, "CONSULT_ANCHOR_FILE": str(anchors)}


async def _sql(url: str, statements: list[tuple[str, list]], fetch: str | None = None) -> list[dict]:
    """Run statements as an attacker with the database would: plain SQL, "?" placeholders."""
    if BACKEND == "postgres":
        import asyncpg

        con = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            async with con.transaction():
                for sql, args in statements:
                    await con.execute(_numbered(sql), *args)
            return [dict(r) for r in await con.fetch(_numbered(fetch))] if fetch else []
        finally:
            await con.close()
    import aiosqlite

    async with aiosqlite.connect(url.removeprefix("sqlite://")) as con:
        con.row_factory = aiosqlite.Row
        for sql, args in statements:
            await con.execute(sql, [a.isoformat(sep=" ") if isinstance(a, datetime) else a for a in args])
        await con.commit()
        if fetch:
            async with con.execute(fetch) as cursor:
                return [dict(r) for r in await cursor.fetchall()]
        return []


def _numbered(sql: str) -> str:
    count = iter(range(1, 1000))
    return re.sub(r"\?", lambda _: f"${next(count)}", sql)


def attack(url: str, statements: list[tuple[str, list]], fetch: str | None = None) -> list[dict]:
    return asyncio.run(_sql(url, statements, fetch))


def _when(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _content(row: dict, seq: int) -> str:
    return event_content(
        seq=seq,
        at=_when(row["at"]),
        actor_id=row["actor_id"],
        action=row["action"],
        kind=row["kind"],
        subject=row["subject"],
        summary=row["summary"],
        payload=row["payload"],
    )


def rechain(url: str, consultation: int) -> None:
    """What a careful attacker does after editing or deleting events: renumber them and recompute every
    hash and the head, so that the chain inside the database checks out again."""
    rows = attack(url, [], f"SELECT * FROM audit_event WHERE consultation_id = {consultation} ORDER BY seq")
    prev = None
    statements = []
    for seq, row in enumerate(rows, start=1):
        digest = chain_hash(prev, _content(row, seq))
        statements.append(
            ("UPDATE audit_event SET seq = ?, prev_hash = ?, hash = ? WHERE id = ?", [-seq, prev, digest, row["id"]])
        )
        prev = digest
    statements.append(("UPDATE audit_event SET seq = -seq WHERE consultation_id = ?", [consultation]))
    statements.append(
        ("UPDATE consultation SET last_seq = ?, head_hash = ? WHERE id = ?", [len(rows), prev, consultation])
    )
    attack(url, statements)


def chain_valid_inside(url: str, consultation: int) -> bool:
    """What the database alone says, as the public chainValid does."""
    from consult.audit import chain_hash as h

    rows = attack(url, [], f"SELECT * FROM audit_event WHERE consultation_id = {consultation} ORDER BY seq")
    head = attack(url, [], f"SELECT head_hash FROM consultation WHERE id = {consultation}")[0]["head_hash"]
    prev = None
    for row in rows:
        if row["prev_hash"] != prev or h(prev, _content(row, row["seq"])) != row["hash"]:
            return False
        prev = row["hash"]
    return prev == head


def verify(env: dict[str, str]):
    return run("verify", env=env, check=False)


def caiyuan(url: str) -> int:
    """The demo's finished 菜园巷 consultation (the 武川 cases come before it)."""
    return attack(url, [], "SELECT id FROM consultation WHERE title = '菜园巷道路改造'")[0]["id"]


def test_the_untouched_demo_verifies(demo):
    result = verify(demo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Everything matches" in result.stdout and " 0 anchors" not in result.stdout


def test_an_event_edited_and_its_chain_recomputed_is_caught_by_its_anchor(demo):
    # given the attacker edits what an early event of 菜园巷 says, then recomputes every later hash and the head
    url = demo["CONSULT_DATABASE_URL"]
    cid = caiyuan(url)
    edit = "UPDATE audit_event SET summary = summary || '（改）' WHERE consultation_id = ? AND seq = 3"
    attack(url, [(edit, [cid])])
    rechain(url, cid)
    assert chain_valid_inside(url, cid)  # the database alone is fooled
    # when the operator verifies, then the rewrite is named, from seq 3 on
    result = verify(demo)
    assert result.returncode == 1
    assert f"consultation {cid}: seq 3 differs from its anchor" in result.stdout


def test_ballot_events_deleted_and_the_rest_rechained_are_caught(demo):
    # given the attacker deletes every ballot event of 菜园巷 and re-chains what is left
    url = demo["CONSULT_DATABASE_URL"]
    cid = caiyuan(url)
    count = f"SELECT count(*) AS n FROM audit_event WHERE consultation_id = {cid}"
    before = attack(url, [], count)[0]["n"]
    attack(url, [("DELETE FROM audit_event WHERE consultation_id = ? AND action LIKE 'ballot.%'", [cid])])
    rechain(url, cid)
    after = attack(url, [], count)[0]["n"]
    assert after < before and chain_valid_inside(url, cid)
    # then verify names the anchored events that are gone or changed
    result = verify(demo)
    assert result.returncode == 1
    assert f"consultation {cid}: seq {before} was anchored" in result.stdout
    assert "differs from its anchor" in result.stdout


def test_an_account_s_creation_rewritten_in_the_installation_trail_is_caught_by_its_anchor(demo):
    # given the attacker rewrites which roles the installation trail says an account was made with,
    # then recomputes every later hash of that trail, so that the trail alone checks out
    url = demo["CONSULT_DATABASE_URL"]
    rows = attack(url, [], "SELECT * FROM installation_event ORDER BY seq")
    assert len(rows) > 3
    target = rows[2]["seq"]
    statements, prev = [], None
    for row in rows:
        summary = row["summary"] + ("（改）" if row["seq"] == target else "")
        digest = chain_hash(prev, _content({**row, "summary": summary, "kind": None}, row["seq"]))
        statements.append(
            (
                "UPDATE installation_event SET summary = ?, prev_hash = ?, hash = ? WHERE id = ?",
                [summary, prev, digest, row["id"]],
            )
        )
        prev = digest
    attack(url, statements)
    # when the operator verifies, then the rewrite is named by its anchor
    result = verify(demo)
    assert result.returncode == 1
    assert f"installation trail: seq {target} differs from its anchor" in result.stdout
    assert "installation trail: audit chain broken" not in result.stdout  # the chain alone was fooled


def test_votes_added_straight_into_a_tally_row_are_caught_by_the_recount(demo):
    # given the attacker adds 50 votes to an option of a closed poll, and 50 to its ballot count
    url = demo["CONSULT_DATABASE_URL"]
    option = attack(url, [], "SELECT id, poll_id, label FROM poll_option ORDER BY id LIMIT 1")[0]
    attack(
        url,
        [
            ("UPDATE poll_option SET votes = votes + 50 WHERE id = ?", [option["id"]]),
            ("UPDATE poll SET ballots_cast = ballots_cast + 50 WHERE id = ?", [option["poll_id"]]),
        ],
    )
    # then verify names the poll and the option, with the recount
    result = verify(demo)
    assert result.returncode == 1
    assert f"poll {option['poll_id']}: the tally records" in result.stdout
    assert f"option '{option['label']}' records" in result.stdout


def test_votes_added_to_the_count_an_open_secret_poll_shows_are_caught(demo):
    # given an open secret poll, whose running count is sealed and whose clear rows show its last batch
    url = demo["CONSULT_DATABASE_URL"]
    poll = attack(url, [], "SELECT id FROM poll WHERE running_sealed IS NOT NULL ORDER BY id LIMIT 1")[0]["id"]
    option = attack(url, [], f"SELECT id FROM poll_option WHERE poll_id = {poll} ORDER BY position LIMIT 1")[0]
    # when the attacker adds 50 votes to what it shows, and 50 to its ballots, so the sums agree
    attack(
        url,
        [
            ("UPDATE poll_option SET votes = votes + 50, shown_votes = shown_votes + 50 WHERE id = ?", [option["id"]]),
            (
                "UPDATE poll SET ballots_cast = ballots_cast + 50, shown_ballots = shown_ballots + 50 WHERE id = ?",
                [poll],
            ),
        ],
    )
    # then verify says the count it shows is not one its ballots went through
    result = verify(demo)
    assert result.returncode == 1
    assert f"poll {poll}: the count it shows (" in result.stdout


def test_money_written_straight_into_a_share_is_caught(demo):
    url = demo["CONSULT_DATABASE_URL"]
    share = attack(url, [], "SELECT id FROM cost_share ORDER BY id LIMIT 1")[0]["id"]
    attack(url, [("UPDATE cost_share SET paid_fen = paid_fen + 100 WHERE id = ?", [share])])
    result = verify(demo)
    assert result.returncode == 1
    assert f"share {share}: records" in result.stdout


def test_verify_refuses_to_run_on_another_server_key(demo):
    # sealed ballots do not open under a different key: verify says so rather than miscounting
    result = verify({**demo, "CONSULT_SECRET_KEY": "not-the-key"})
    assert result.returncode == 1
    assert "does not open under this server key" in result.stdout


async def _api_chain_valid(client, cid: str) -> bool:
    data = await client.query("query($id: ID!) { consultation(id: $id) { auditTrail { chainValid } } }", {"id": cid})
    return data["consultation"]["auditTrail"]["chainValid"]


async def test_chain_valid_rehashes_only_what_came_after_its_checkpoint_and_still_catches_edits(world, monkeypatch):
    import schema.types
    from consult.ids import expect_id
    from consult.models import AuditEvent, Consultation
    from tests.api.helpers import create_consultation

    monkeypatch.setattr(schema.types, "CHECKPOINT_EVERY", 2)
    # given a consultation with a few events, checked once: the checkpoint moves to its head
    cid = await create_consultation(world, stage="COLLECTING")
    pk = expect_id(cid, "Consultation")
    assert await _api_chain_valid(world.anon, cid) is True
    row = await Consultation.get(id=pk)
    assert row.checked_seq == row.last_seq >= 2 and row.checked_hash == row.head_hash
    # when a later event is edited, past the checkpoint, then chainValid says so
    await world.organizer.ok(
        "submitDemand",
        {"consultationId": cid, "title": "积水", "body": "雨后积水", "channel": "HOTLINE"},
        "demand { id }",
    )
    latest = await AuditEvent.filter(consultation_id=pk).order_by("-seq").first()
    assert latest is not None and latest.seq > row.checked_seq
    await AuditEvent.filter(id=latest.id).update(summary=latest.summary + "（改）")
    assert await _api_chain_valid(world.anon, cid) is False
    await AuditEvent.filter(id=latest.id).update(summary=latest.summary)
    assert await _api_chain_valid(world.anon, cid) is True
    # and when the checkpoint's own event is rewritten, chainValid says so too
    checkpoint = await AuditEvent.get(consultation_id=pk, seq=row.checked_seq)
    await AuditEvent.filter(id=checkpoint.id).update(hash="0" * 64)
    assert await _api_chain_valid(world.anon, cid) is False
