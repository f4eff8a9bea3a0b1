"""`consult backup` and `consult restore`: one archive file holding what an installation needs
to come back, except its server key.

An archive is a plain tar, readable by its owner only (0600), with these members:

- `database.sqlite3` (SQLite's online backup API: a consistent copy while the server runs) or
  `database.pgdump` (`pg_dump --format=custom`, one snapshot);
- `anchors.jsonl`, the anchor file (consult.anchors) as it was just before the database was
  copied, so that every anchor in it names an event the copy holds;
- `photos/ab/cd/<sha256>`, every file of the photo store (consult.blobs), copied after the
  database: a photo's file is written before its row commits and never changes, so each photo
  the copy names is there;
- `manifest.json`, last: format, engine, when, the database's newest migration, a check value
  of the server key (not the key), and the size and sha256 of every other member. An archive
  cut short has no manifest; one whose bytes changed fails its sha256.

The server key stays out: with it, a copy of the database could open every secret ballot
(docs/security.md). The manifest's `key_check` is an HMAC of a fixed label under the key, so
a restore can tell that it was given the same key without the archive holding it.

A restore checks every member before it writes anything, loads only into an empty database,
and undoes the files it wrote when loading the database fails.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import hmac
import importlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = {"sqlite": "database.sqlite3", "postgres": "database.pgdump"}
ANCHORS = "anchors.jsonl"
PHOTO_NAME = re.compile(r"photos/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")
MIGRATIONS_TABLE = "tortoise_migrations"
CHUNK = 1 << 20

Say = Callable[[str], None]


class BackupError(Exception):
    """A refusal or failure the operator reads: Chinese, then English."""


@dataclass(frozen=True)
class Installation:
    """What a backup reads and a restore writes: the database and the files beside it."""

    url: str
    photo_dir: Path | None
    anchor_file: Path | None
    secret_key: str | None

    @property
    def engine(self) -> str:
        return "postgres" if self.url.startswith("postgres://") else "sqlite"

    @property
    def sqlite_path(self) -> Path:
        return Path(self.url.removeprefix("sqlite://").split("?", 1)[0])


def key_check(secret_key: str) -> str:
    return hmac.new(secret_key.encode(), b"consult:backup-key-check:v1", hashlib.sha256).hexdigest()[:32]


def code_head() -> str:
    """The newest migration this version of consult ships."""
    from consult.db import MIGRATIONS_MODULE

    folder = Path(importlib.import_module(MIGRATIONS_MODULE).__file__ or "").parent
    names = sorted(p.stem for p in folder.glob("[0-9][0-9][0-9][0-9]_*.py"))
    return names[-1] if names else ""


def known_migrations() -> set[str]:
    from consult.db import MIGRATIONS_MODULE

    folder = Path(importlib.import_module(MIGRATIONS_MODULE).__file__ or "").parent
    return {p.stem for p in folder.glob("[0-9][0-9][0-9][0-9]_*.py")}


# ---------------------------------------------------------------- PostgreSQL command-line tools


def _pg_env(url: str) -> tuple[dict[str, str], str]:
    """libpq's environment for the URL (the password never on a command line), and the db name."""
    parts = urllib.parse.urlsplit(url)
    env = dict(os.environ)
    for name, value in (
        ("PGHOST", parts.hostname),
        ("PGPORT", str(parts.port) if parts.port else None),
        ("PGUSER", urllib.parse.unquote(parts.username) if parts.username else None),
        ("PGPASSWORD", urllib.parse.unquote(parts.password) if parts.password else None),
    ):
        if value:
            env[name] = value
    return env, urllib.parse.unquote(parts.path.lstrip("/"))


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"找不到 {name}：请安装 PostgreSQL 客户端（如 apt-get install postgresql-client），版本不低于服务器。"
            f" {name} was not found on PATH: install the PostgreSQL client tools"
            " (e.g. apt-get install postgresql-client), of the server's version or newer."
        )
    return found


def _run_tool(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise BackupError(f"{what}失败 {Path(command[0]).name} failed: {detail}")


def _asyncpg_dsn(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts._replace(scheme="postgresql", query="").geturl()


async def _pg_fetch(url: str, query: str, *args: Any) -> list[Any]:
    import asyncpg

    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


# ---------------------------------------------------------------- backup


@dataclass
class Manifest:
    engine: str
    created_at: str
    migration_head: str
    key_check: str | None
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> bytes:
        body = {
            "format": FORMAT,
            "app": "consult",
            "engine": self.engine,
            "created_at": self.created_at,
            "migration_head": self.migration_head,
            "key_check": self.key_check,
            "counts": self.counts,
            "members": self.members,
        }
        return (json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


class _Hashing:
    """A file read through once by tarfile, hashed on the way."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha.update(data)
        return data


def _copy_anchors(source: Path | None, into: Path) -> int | None:
    """The anchor file up to its last whole line (a worker may be appending): lines kept."""
    if source is None or not source.is_file():
        return None
    lines = 0
    with source.open("rb") as anchors, into.open("wb") as copy:
        for line in anchors:
            if not line.endswith(b"\n"):
                break  # a torn last line, still being written
            copy.write(line)
            lines += 1
    return lines


def _sqlite_snapshot(source: Path, into: Path) -> str:
    """A consistent copy through SQLite's online backup API, in one step (so that a writer
    cannot make it start over); returns the copy's newest migration."""
    if not source.is_file():
        raise BackupError(f"数据库文件不存在 The database file {source} does not exist.")
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as live, closing(sqlite3.connect(into)) as copy:
        live.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
    with closing(sqlite3.connect(into)) as copy:
        if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"数据库副本损坏 The copy of {source} fails SQLite's quick_check.")
        return _sqlite_head(copy)


def _sqlite_head(connection: sqlite3.Connection) -> str:
    try:
        row = connection.execute(f"SELECT max(name) FROM {MIGRATIONS_TABLE} WHERE app = 'models'").fetchone()
    except sqlite3.DatabaseError:
        return ""
    return row[0] or ""


def _pg_snapshot(url: str, into: Path) -> str:
    env, name = _pg_env(url)
    _run_tool([_pg_tool("pg_dump"), "--format=custom", f"--file={into}", f"--dbname={name}"], env, "pg_dump 导出")
    rows = asyncio.run(_pg_fetch(url, f"SELECT max(name) AS head FROM {MIGRATIONS_TABLE} WHERE app = 'models'"))
    return rows[0]["head"] or ""


def _photo_files(photo_dir: Path | None) -> list[tuple[str, Path]]:
    if photo_dir is None or not photo_dir.is_dir():
        return []
    found = []
    for path in sorted(photo_dir.glob("??/??/*")):
        name = f"photos/{path.relative_to(photo_dir).as_posix()}"
        if PHOTO_NAME.fullmatch(name) and path.is_file():
            found.append((name, path))
    return found


def _add(tar: tarfile.TarFile, name: str, path: Path, manifest: Manifest) -> str:
    info = tarfile.TarInfo(name)
    info.size = path.stat().st_size
    info.mtime = int(time.time())
    info.mode = 0o600
    with path.open("rb") as raw:
        hashing = _Hashing(raw)
        tar.addfile(info, hashing)
    digest = hashing.sha.hexdigest()
    manifest.members[name] = {"size": info.size, "sha256": digest}
    return digest


@contextmanager
def _partial(out: Path) -> Iterator[Path]:
    """A file beside `out`, made 0600 from the start, that becomes `out` only when the block
    ends well (and never replaces a file already there)."""
    descriptor, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial")
    os.close(descriptor)
    partial = Path(name)
    try:
        yield partial
        with partial.open("rb") as written:
            os.fsync(written.fileno())
        try:
            os.link(partial, out)
        except FileExistsError:
            raise BackupError(f"文件已存在 {out} already exists; choose another name.") from None
    finally:
        partial.unlink(missing_ok=True)


def backup(source: Installation, out: Path, say: Say) -> Manifest:
    """Write one archive of the installation to `out` (which must not exist yet)."""
    if out.exists():
        raise BackupError(f"文件已存在 {out} already exists; choose another name.")
    out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    manifest = Manifest(
        engine=source.engine,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        migration_head="",
        key_check=key_check(source.secret_key) if source.secret_key else None,
    )
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".consult-backup-") as staging:
        work = Path(staging)
        # The anchors first: every line then names an event the database copy holds.
        lines = _copy_anchors(source.anchor_file, work / ANCHORS)
        say(f"  锚点 Anchors: {lines if lines is not None else 'none'} line(s) from {source.anchor_file or '-'}")
        database = work / DATABASE[source.engine]
        say(f"  数据库 Database: copying ({'pg_dump' if source.engine == 'postgres' else 'SQLite backup API'}) ...")
        if source.engine == "postgres":
            manifest.migration_head = _pg_snapshot(source.url, database)
        else:
            manifest.migration_head = _sqlite_snapshot(source.sqlite_path, database)
        say(f"  数据库 Database: {database.stat().st_size:,} bytes, migration {manifest.migration_head or '-'}")
        photos = _photo_files(source.photo_dir)
        with _partial(out) as partial, tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            _add(tar, database.name, database, manifest)
            if lines is not None:
                _add(tar, ANCHORS, work / ANCHORS, manifest)
            _add_photos(tar, photos, manifest, say)
            manifest.counts = {"anchors": lines or 0, "photo_files": len(photos)}
            body = manifest.to_json()
            (work / MANIFEST).write_bytes(body)
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(time.time()), 0o600
            with (work / MANIFEST).open("rb") as raw:
                tar.addfile(info, raw)
    return manifest


def _add_photos(tar: tarfile.TarFile, photos: list[tuple[str, Path]], manifest: Manifest, say: Say) -> None:
    last = time.monotonic()
    for done, (name, path) in enumerate(photos, 1):
        if _add(tar, name, path, manifest) != name.rsplit("/", 1)[1]:
            say(f"  ! 照片文件与其哈希不符 {path} no longer hashes to its name (archived as it is)")
        if time.monotonic() - last > 2 or done == len(photos):
            last = time.monotonic()
            say(f"  照片 Photos: {done}/{len(photos)} file(s)")
    if not photos:
        say("  照片 Photos: none")


# ---------------------------------------------------------------- reading an archive


def read_manifest(archive: Path) -> tuple[dict[str, Any], list[tarfile.TarInfo]]:
    """The manifest and the members, checked for shape (not yet for content)."""
    if not archive.is_file():
        raise BackupError(f"找不到备份文件 No archive at {archive}.")
    try:
        with tarfile.open(archive, "r:") as tar:
            members = tar.getmembers()
            found = next((m for m in members if m.name == MANIFEST), None)
            raw = tar.extractfile(found).read() if found is not None and found.isfile() else None  # type: ignore[union-attr]
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"备份文件损坏或不完整 {archive} is not a readable archive: {error}") from None
    if raw is None:
        raise BackupError(f"备份文件不完整 {archive} has no manifest: it is not a consult backup, or was cut short.")
    try:
        manifest = json.loads(raw)
    except ValueError:
        raise BackupError(f"备份清单无法读取 The manifest of {archive} is not valid JSON.") from None
    _check_shape(manifest, members)
    return manifest, members


def _check_shape(manifest: Any, members: list[tarfile.TarInfo]) -> None:
    if not isinstance(manifest, dict) or manifest.get("app") != "consult":
        raise BackupError("这不是 consult 的备份 This is not a consult backup.")
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"备份格式 {manifest.get('format')} 不受支持 Unsupported backup format (this consult reads {FORMAT})."
        )
    engine = manifest.get("engine")
    listed = manifest.get("members")
    if engine not in DATABASE or not isinstance(listed, dict) or DATABASE[engine] not in listed:
        raise BackupError("备份清单不完整 The manifest names no database.")
    names = [m.name for m in members if m.name != MANIFEST]
    if sorted(names) != sorted(listed) or len(set(names)) != len(names):
        raise BackupError("备份内容与清单不符 The archive's files differ from its manifest: it was altered.")
    for member in members:
        allowed = member.name in (MANIFEST, ANCHORS, DATABASE[engine]) or PHOTO_NAME.fullmatch(member.name)
        if not member.isfile() or not allowed:
            raise BackupError(f"备份中有不该有的条目 Unexpected entry in the archive: {member.name!r}")
        if member.name != MANIFEST and listed[member.name].get("size") != member.size:
            raise BackupError(f"备份已被改动 {member.name}: its size differs from the manifest.")


# ---------------------------------------------------------------- restore


def restore(target: Installation, archive: Path, say: Say) -> dict[str, Any]:
    """Load an archive into the target's empty database and put its files in place."""
    manifest, members = read_manifest(archive)
    say(
        f"  备份 Archive: {manifest['engine']}, taken {manifest['created_at']}, migration "
        f"{manifest['migration_head'] or '-'}, {len(members) - 1} file(s)"
    )
    _check_fits(target, manifest)
    with _restore_lock(target):
        _check_empty(target)
        # SQLite's copy is staged beside its database, so that it goes in by a rename.
        beside = target.sqlite_path.parent if target.engine == "sqlite" else None
        with tempfile.TemporaryDirectory(dir=beside, prefix=".consult-restore-") as staging:
            work = Path(staging)
            _extract_checked(archive, manifest, work, say)
            _put_in_place(target, manifest, work, say)
    return manifest


def _check_fits(target: Installation, manifest: dict[str, Any]) -> None:
    if manifest["engine"] != target.engine:
        names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
        raise BackupError(
            f"这是 {names[manifest['engine']]} 的备份，不能恢复到 {names[target.engine]}。"
            f" A {names[manifest['engine']]} backup cannot be restored into {names[target.engine]}."
        )
    head = manifest.get("migration_head") or ""
    if head and head not in known_migrations():
        raise BackupError(
            f"备份来自更新的版本（迁移 {head}），请先安装该版本。"
            f" The backup comes from a newer consult (migration {head}): install that version first."
        )
    if target.secret_key is None:
        raise BackupError(
            "需要原来的服务器密钥：请设置 CONSULT_SECRET_KEY，或把 secret.key 放在数据库旁。"
            " The original server key is needed: set CONSULT_SECRET_KEY, or put its secret.key beside the database."
        )
    if manifest.get("key_check") and manifest["key_check"] != key_check(target.secret_key):
        raise BackupError(
            "服务器密钥与备份时的不同：邀请码会失效，不记名选票无法打开。请使用原来的密钥。"
            " The server key differs from the one the backup was taken with: invitation codes would stop"
            " working and secret ballots would not open. Use the original key."
        )


@contextmanager
def _restore_lock(target: Installation) -> Iterator[None]:
    """One restore at a time into a database: a second one waits, then finds it holds data."""
    if target.engine == "sqlite":
        # The database's folder itself is locked, so no lock file is left behind.
        folder = target.sqlite_path.parent
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)
        return
    # On PostgreSQL a session advisory lock, held by this connection for the whole restore.
    loop = asyncio.new_event_loop()
    connection = loop.run_until_complete(_pg_lock(target.url))
    try:
        yield
    finally:
        loop.run_until_complete(connection.close())
        loop.close()


async def _pg_lock(url: str) -> Any:
    import asyncpg

    try:
        connection = await asyncpg.connect(_asyncpg_dsn(url))
    except (OSError, asyncpg.PostgresError) as error:
        raise BackupError(f"无法连接目标数据库 Cannot connect to the target database: {error}") from None
    await connection.execute("SELECT pg_advisory_lock(hashtext('consult restore'))")
    return connection


def _check_empty(target: Installation) -> None:
    if target.engine == "postgres":
        tables = asyncio.run(_pg_tables_with_rows(target.url))
    else:
        tables = _sqlite_tables_with_rows(target.sqlite_path)
    if tables:
        shown = ", ".join(tables[:5]) + (" …" if len(tables) > 5 else "")
        raise BackupError(
            "目标数据库已有数据，未作任何改动；请恢复到一个空数据库。"
            f" The target database already holds data ({shown}); nothing was changed. Restore into an empty database."
        )


def _sqlite_tables_with_rows(path: Path) -> list[str]:
    if not path.exists() or path.stat().st_size == 0:
        return []
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            names = [
                row[0]
                for row in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                )
            ]
            return [n for n in names if n != MIGRATIONS_TABLE and db.execute(f'SELECT 1 FROM "{n}" LIMIT 1').fetchone()]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"目标文件不是可用的数据库 {path} is not a usable SQLite database: {error}") from None


async def _pg_tables_with_rows(url: str) -> list[str]:
    import asyncpg

    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        rows = await connection.fetch(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tablename <> $1",
            MIGRATIONS_TABLE,
        )
        full = []
        for row in rows:
            if await connection.fetchval(f"SELECT EXISTS (SELECT 1 FROM {row['name']})"):
                full.append(row["name"])
        return full
    finally:
        await connection.close()


def _extract_checked(archive: Path, manifest: dict[str, Any], work: Path, say: Say) -> None:
    """Every member out into the staging folder, each checked against its sha256 before any is used."""
    listed = manifest["members"]
    last, done = time.monotonic(), 0
    with tarfile.open(archive, "r:") as tar:
        for member in tar:
            if member.name == MANIFEST:
                continue
            destination = work / member.name
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            digest = hashlib.sha256()
            with destination.open("wb") as out:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != listed[member.name]["sha256"]:
                raise BackupError(
                    f"备份已被改动或损坏，未作任何改动 {member.name} does not match its sha256 in the manifest: "
                    "the archive was altered or damaged. Nothing was changed."
                )
            done += 1
            if time.monotonic() - last > 2:
                last = time.monotonic()
                say(f"  核对 Checked {done}/{len(listed)} file(s)")
    say(f"  核对 Checked {done}/{len(listed)} file(s): every sha256 matches")


def _put_in_place(target: Installation, manifest: dict[str, Any], work: Path, say: Say) -> None:
    """Photos and anchors first, then the database in one step; the files go again if it fails."""
    written: list[Path] = []
    try:
        _place_photos(target, work, written, say)
        _place_anchors(target, work, written, say)
        say("  数据库 Database: loading ...")
        if target.engine == "postgres":
            _pg_load(target.url, work / DATABASE["postgres"])
        else:
            _sqlite_load(target.sqlite_path, work / DATABASE["sqlite"])
        say("  数据库 Database: loaded")
    except BaseException:
        for path in reversed(written):
            path.unlink(missing_ok=True)
        raise


def _place_photos(target: Installation, work: Path, written: list[Path], say: Say) -> None:
    staged = sorted((work / "photos").glob("??/??/*")) if (work / "photos").is_dir() else []
    if staged and target.photo_dir is None:
        raise BackupError("没有照片目录 The archive holds photos but no photo directory is configured.")
    kept = 0
    for path in staged:
        assert target.photo_dir is not None
        destination = target.photo_dir / path.relative_to(work / "photos")
        if destination.is_file() and hashlib.sha256(destination.read_bytes()).hexdigest() == destination.name:
            continue  # the same picture is already there (files are named by their content)
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(f".incoming-{destination.name}")
        shutil.copyfile(path, partial)
        os.replace(partial, destination)
        written.append(destination)
        kept += 1
    say(f"  照片 Photos: {kept} file(s) written to {target.photo_dir}, {len(staged) - kept} already there")


def _place_anchors(target: Installation, work: Path, written: list[Path], say: Say) -> None:
    staged = work / ANCHORS
    if not staged.is_file():
        say("  锚点 Anchors: none in the archive")
        return
    if target.anchor_file is None:
        say("  锚点 Anchors: CONSULT_ANCHOR_FILE is off; the archived anchors were not written")
        return
    if target.anchor_file.is_file() and target.anchor_file.stat().st_size > 0:
        say(f"  锚点 Anchors: kept the existing {target.anchor_file}; the database is checked against it")
        return
    target.anchor_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target.anchor_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(staged.read_bytes())
    written.append(target.anchor_file)
    say(f"  锚点 Anchors: written to {target.anchor_file}")


def _sqlite_load(path: Path, staged: Path) -> None:
    """The copy goes in with one rename; the empty database's own journal files go with it."""
    os.chmod(staged, 0o600)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.replace(staged, path)


def _pg_load(url: str, staged: Path) -> None:
    """pg_restore in one transaction: it loads everything, or nothing. Tables a `consult migrate`
    made in the empty database are replaced; ownership goes to the restoring user."""
    env, name = _pg_env(url)
    command = [
        _pg_tool("pg_restore"),
        "--single-transaction",
        "--exit-on-error",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        f"--dbname={name}",
        str(staged),
    ]
    _run_tool(command, env, "pg_restore 导入")
