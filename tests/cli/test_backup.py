"""`consult backup` and `consult restore` as an operator runs them: an archive taken while the
server runs comes back into an empty database, with its photos and anchors, passes `consult
verify`, and the restored server serves the same dossier byte for byte. A database that holds
data, an altered archive and a cut-short one are refused, and nothing is written."""

from __future__ import annotations

import io
import json
import os
import stat
import tarfile
import threading
import time
import urllib.request
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.cli.test_cli import DEMO_ENV, load_demo, post, run, served
from tests.conftest import BACKEND
from tests.live.test_subscriptions import _migrated_with_admin

CONSULTATIONS = "{ consultations(first: 100) { edges { node { id title stage } } } }"
UPLOAD = "mutation($f: Upload!) { uploadPhoto(file: $f) { photo { id sha256 phoneSha256 url } errors { code } } }"
ATTACH = (
    "mutation($c: ID!, $p: [ID!]!) { addConsultationPhotos(input: {consultationId: $c, photoIds: $p}) "
    "{ errors { field code } } }"
)


def installation(url: str, folder: Path) -> dict[str, str]:
    """An installation's environment: its database, and its photos and anchors in `folder`."""
    return {
        **DEMO_ENV,
        "CONSULT_DATABASE_URL": url,
        "CONSULT_PHOTO_DIR": str(folder / "photos"),
        "CONSULT_ANCHOR_FILE": str(folder / "anchors.jsonl"),
    }


def picture() -> bytes:
    image = Image.new("RGB", (64, 48), (40, 120, 200))
    image.putpixel((3, 4), (255, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def sign_in(port: int) -> str:
    body = post(
        port,
        'mutation { login(input: {username: "organizer", password: "demo-organizer-2025"}) { token } }',
    )
    return body["data"]["login"]["token"]


def attach_a_photo(port: int, token: str, consultation: str) -> dict:
    """The organizer photographs the lane (现场照片): a photo file, a row and an audit event."""
    response = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        headers={"Authorization": f"Bearer {token}"},
        data={"operations": json.dumps({"query": UPLOAD, "variables": {"f": None}}), "map": '{"0": ["variables.f"]}'},
        files={"0": ("巷口.png", picture(), "image/png")},
        timeout=30,
    )
    photo = response.json()["data"]["uploadPhoto"]["photo"]
    attached = post(port, ATTACH, {"c": consultation, "p": [photo["id"]]}, token=token)
    assert attached["data"]["addConsultationPhotos"]["errors"] == []
    return photo


class Writing(threading.Thread):
    """The organizer opens one draft consultation after another, as fast as the server answers."""

    CREATE = (
        'mutation($t: String!) { createConsultation(input: {title: $t, summary: "草稿", location: "菜园巷"}) '
        "{ errors { code } } }"
    )

    def __init__(self, port: int, token: str) -> None:
        super().__init__(daemon=True)
        self.port, self.token = port, token
        self.titles: list[str] = []
        self.done = threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.done.is_set():
                title = f"备份时的草稿 {len(self.titles)}"
                body = post(self.port, self.CREATE, {"t": title}, token=self.token)
                assert body["data"]["createConsultation"]["errors"] == [], body
                self.titles.append(title)
        except BaseException as error:  # reported by the test, in __exit__
            self.failure = error

    def __enter__(self) -> Writing:
        self.start()
        while len(self.titles) < 3 and self.failure is None:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.join(timeout=30)
        assert self.failure is None, self.failure


def fetch(port: int, path: str, token: str | None = None) -> bytes:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"} if token else {}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return response.read()


def consultations(port: int) -> dict[str, dict]:
    edges = post(port, CONSULTATIONS)["data"]["consultations"]["edges"]
    return {e["node"]["title"]: e["node"] for e in edges}


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        return json.loads(member.read())


def test_backup_while_serving_then_restore_serves_the_same_dossier_and_verifies(scratch_databases, tmp_path):
    # given the 菜园巷 demo being served, and a photo of the lane attached since
    original = installation(scratch_databases.copy("demo", load_demo), tmp_path / "original")
    archive = tmp_path / "backups" / "consult.tar"
    with served(original, tmp_path) as port:
        token = sign_in(port)
        cases = consultations(port)
        archived = cases["菜园巷道路改造（已归档副本）"]
        assert archived["stage"] == "ARCHIVED"
        photo = attach_a_photo(port, token, cases["菜园巷道路改造"]["id"])
        dossier = fetch(port, f"/dossiers/{archived['id']}.html")
        picture_bytes = fetch(port, photo["url"], token)
        # when the operator backs it up while it serves, and the organizer keeps writing
        with Writing(port, token) as writing:
            before = len(writing.titles)
            out = run("backup", "--output", str(archive), env=original)
            during = len(writing.titles)
        assert during > before, "no write happened while the backup ran"
    assert f"已写入 Wrote {archive}" in out.stdout and "照片 Photos: 2/2" in out.stdout
    # then the archive is its owner's alone, and lists what it holds
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    manifest = manifest_of(archive)
    database = "database.pgdump" if BACKEND == "postgres" else "database.sqlite3"
    photos = {f"photos/{s[:2]}/{s[2:4]}/{s}" for s in (photo["sha256"], photo["phoneSha256"])}
    assert set(manifest["members"]) == {database, "anchors.jsonl", *photos}
    assert manifest["engine"] == ("postgres" if BACKEND == "postgres" else "sqlite")
    assert manifest["migration_head"] == sorted(p.stem for p in Path("migrations").glob("0*.py"))[-1]
    assert DEMO_ENV["CONSULT_SECRET_KEY"] not in archive.read_bytes().decode("latin-1") and manifest["key_check"]

    # when it is restored into an empty database on another machine's folders
    restored = installation(scratch_databases.new(), tmp_path / "restored")
    out = run("restore", str(archive), env=restored)
    # then every file came back, and verify found everything in order
    assert "every sha256 matches" in out.stdout and "全部一致 Everything matches." in out.stdout
    assert "1 photos checked" in out.stdout
    # (the anchors as they were when the backup began: the original's later lines are not there)
    anchors = Path(restored["CONSULT_ANCHOR_FILE"]).read_bytes()
    assert Path(original["CONSULT_ANCHOR_FILE"]).read_bytes().startswith(anchors)
    assert anchors.count(b"\n") >= 1 + before
    assert stat.S_IMODE(Path(restored["CONSULT_ANCHOR_FILE"]).stat().st_mode) == 0o600
    # and the restored server serves the same dossier, byte for byte, and the same photo
    with served(restored, tmp_path) as port:
        assert fetch(port, f"/dossiers/{archived['id']}.html") == dossier
        assert fetch(port, photo["url"], token) == picture_bytes
        # with every write made before the backup began (and perhaps a few made during it)
        drafts = post(port, CONSULTATIONS.replace("first: 100", "first: 500"), token=token)["data"]
        titles = {e["node"]["title"] for e in drafts["consultations"]["edges"]}
        assert set(writing.titles[:before]) <= titles <= set(writing.titles) | set(cases)
        assert {t: c for t, c in consultations(port).items() if t in cases} == cases
    assert run("verify", env=restored).returncode == 0


@pytest.fixture(scope="module")
def small_archive(scratch_databases, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """An archive of an installation holding the demo (the tests only read it)."""
    folder = tmp_path_factory.mktemp("archive")
    source = installation(scratch_databases.copy("demo", load_demo), folder / "source")
    archive = folder / "small.tar"
    run("backup", "--output", str(archive), env=source)
    return archive, source


def test_restore_refuses_a_database_that_holds_data_or_the_wrong_key(scratch_databases, tmp_path, small_archive):
    archive, _ = small_archive
    # given an installation already in use: migrated, with an administrator, and its anchors
    target = installation(scratch_databases.copy("live-admin", _migrated_with_admin), tmp_path / "target")
    Path(target["CONSULT_ANCHOR_FILE"]).parent.mkdir()
    Path(target["CONSULT_ANCHOR_FILE"]).write_text('{"trail":"installation","seq":1,"hash":"0"}\n')
    anchors = Path(target["CONSULT_ANCHOR_FILE"]).read_bytes()
    # when the archive is restored into it
    out = run("restore", str(archive), env=target, check=False)
    # then it is refused, and nothing was written: no demo, no photos, the same anchors
    assert out.returncode == 2
    assert "目标数据库已有数据" in out.stderr and "already holds data" in out.stderr
    assert not Path(target["CONSULT_PHOTO_DIR"]).exists()
    assert Path(target["CONSULT_ANCHOR_FILE"]).read_bytes() == anchors
    check = run("verify", "--anchors", os.devnull, env=target)
    assert "0 个协商 consultations" in check.stdout and "全部一致" in check.stdout

    # and an empty database with another server key is refused before anything is written
    other = {**installation(scratch_databases.new(), tmp_path / "other"), "CONSULT_SECRET_KEY": "another-key"}
    out = run("restore", str(archive), env=other, check=False)
    assert out.returncode == 2 and "服务器密钥与备份时的不同" in out.stderr and "Use the original key" in out.stderr
    assert not (tmp_path / "other").exists()


def tamper(archive: Path, member: str) -> Path:
    """A copy of the archive with one byte of a member's data changed, its size kept."""
    with tarfile.open(archive) as tar:
        offset = tar.getmember(member).offset_data
    data = bytearray(archive.read_bytes())
    data[offset + 100] ^= 0x01
    altered = archive.with_name("altered.tar")
    altered.write_bytes(bytes(data))
    return altered


def test_an_altered_or_cut_short_archive_is_refused_and_nothing_is_written(scratch_databases, tmp_path, small_archive):
    archive, _ = small_archive
    database = "database.pgdump" if BACKEND == "postgres" else "database.sqlite3"
    target = installation(scratch_databases.new(), tmp_path / "target")
    # given an archive with one byte of its database changed
    altered = tamper(archive, database)
    # when it is restored, then it is refused for its sha256, and nothing is written
    out = run("restore", str(altered), env=target, check=False)
    assert out.returncode == 2
    assert "备份已被改动或损坏" in out.stderr and f"{database} does not match its sha256" in out.stderr
    assert not (tmp_path / "target").exists()
    if BACKEND == "sqlite":
        assert not Path(target["CONSULT_DATABASE_URL"].removeprefix("sqlite://")).exists()
    # given the same archive cut short: it has lost its manifest
    cut = tmp_path / "cut.tar"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    out = run("restore", str(cut), env=target, check=False)
    assert out.returncode == 2 and "备份文件" in out.stderr and str(cut) in out.stderr
    # given a file that is no archive at all
    (tmp_path / "notes.tar").write_text("not a backup")
    out = run("restore", str(tmp_path / "notes.tar"), env=target, check=False)
    assert out.returncode == 2 and "not a readable archive" in out.stderr
    # then the target is still empty: the good archive restores into it
    good = run("restore", str(archive), env=target)
    assert "全部一致 Everything matches." in good.stdout


def test_backup_never_replaces_a_file(small_archive):
    archive, source = small_archive
    before = archive.read_bytes()
    out = run("backup", "--output", str(archive), env=source, check=False)
    assert out.returncode == 2 and "already exists" in out.stderr
    assert archive.read_bytes() == before
    assert sorted(p.name for p in archive.parent.iterdir() if "partial" in p.name or "consult-backup" in p.name) == []


@pytest.mark.skipif(BACKEND != "postgres", reason="pg_dump is for PostgreSQL")
def test_backup_says_what_to_install_without_pg_dump(small_archive, tmp_path):
    _, source = small_archive
    out = run("backup", "--output", str(tmp_path / "none.tar"), env={**source, "PATH": ""}, check=False)
    assert out.returncode == 2 and "apt-get install postgresql-client" in out.stderr
    assert not (tmp_path / "none.tar").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_two_restores_at_once_load_once(scratch_databases, tmp_path, small_archive):
    archive, _ = small_archive
    import subprocess
    import sys

    target = installation(scratch_databases.new(), tmp_path / "target")
    consult = str(Path(sys.executable).parent / "consult")
    both = [
        subprocess.Popen(
            [consult, "restore", str(archive)],
            env={**os.environ, **target},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = sorted((p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in both)
    assert [code for code, _ in results] == [0, 2]
    assert "already holds data" in results[1][1]


@pytest.mark.skipif(BACKEND != "postgres", reason="needs both engines")
def test_a_sqlite_archive_is_not_restored_into_postgres(scratch_databases, tmp_path):
    # given an archive of an embedded (SQLite) installation
    embedded = installation(f"sqlite://{tmp_path / 'embedded' / 'consult.sqlite3'}", tmp_path / "embedded")
    run("migrate", env=embedded)
    run("backup", "--output", str(tmp_path / "embedded.tar"), env=embedded)
    # when it is restored into PostgreSQL, then it is refused, saying why, and nothing is written
    target = installation(scratch_databases.new(), tmp_path / "target")
    out = run("restore", str(tmp_path / "embedded.tar"), env=target, check=False)
    assert out.returncode == 2
    assert "不能恢复到 PostgreSQL" in out.stderr and "A SQLite backup cannot be restored into PostgreSQL" in out.stderr
    assert not (tmp_path / "target").exists()
