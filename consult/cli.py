"""The `consult` command: serve, migrate, create-admin, areas, demo, verify, backup, restore, bench,
export-schema, check-migrations."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from consult.db import MIGRATIONS_MODULE, MODELS_MODULE, is_postgres
from consult.settings import DEFAULT_DATABASE_URL, normalize_database_url

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "schema" / "schema.graphql"


def _database_url(args: argparse.Namespace) -> str:
    url = getattr(args, "database", None) or os.environ.get("CONSULT_DATABASE_URL") or DEFAULT_DATABASE_URL
    url = normalize_database_url(url)
    # Workers and helpers read the same database as this command.
    os.environ["CONSULT_DATABASE_URL"] = url
    return url


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest and ":" in rest.split("@", 1)[0]:
        user = rest.split("@", 1)[0].split(":", 1)[0]
        rest = f"{user}:***@{rest.split('@', 1)[1]}"
    return f"{scheme}{sep}{rest}"


async def _with_orm(url: str, coro_factory):
    """Run a command's writes with the ORM, anchoring their audit events as the server does."""
    from tortoise import Tortoise

    from consult import anchors
    from consult.db import tortoise_config
    from consult.settings import anchor_destinations

    try:
        anchors.configure(*anchor_destinations(url))
    except ValueError as error:
        raise SystemExit(f"配置有误 Bad configuration: {error}") from None
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    try:
        return await coro_factory()
    finally:
        await Tortoise.close_connections()
        outbound = anchors.channel()
        if outbound is not None:
            await outbound.drain()


def cmd_migrate(args: argparse.Namespace) -> int:
    from consult.db import migrate

    url = _database_url(args)
    print(f"迁移数据库 Migrating {_redact(url)} ...", flush=True)

    applied: list[str] = []

    def progress(event: str, app_label: str, name: str) -> None:
        applied.append(name)
        if event == "apply_start":
            print(f"  → {name} ...", end="", flush=True)
        elif event == "apply_done":
            print(" 完成 done", flush=True)

    asyncio.run(migrate(url, progress=progress))
    sealed, counts = asyncio.run(_seal_clear_ballots(url))
    if sealed:
        print(f"已密封 {sealed} 张不记名选票 Sealed {sealed} secret ballot(s) stored in the clear.", flush=True)
    if counts:
        print(
            f"已密封 {counts} 个进行中的不记名表决的实时计票 Sealed the running count of {counts} open secret poll(s).",
            flush=True,
        )
    # 0014 clears closed polls' areas, which then linger in free pages like sealed rows do.
    if sealed or counts or "0014_sealed_running_tallies" in applied:
        rewriting = "Rewriting the ballot and tally tables so the clear rows leave their free pages"
        print(f"  清除旧页 {rewriting} ...", end="", flush=True)
        asyncio.run(_vacuum_ballots(url))
        print(" 完成 done", flush=True)
    print("数据库已是最新 Database is up to date.", flush=True)
    return 0


async def _seal_clear_ballots(url: str) -> tuple[int, int]:
    """Secret ballots, and open secret polls' running counts, that an earlier version stored in
    the clear get sealed under the server key: (ballots, polls)."""
    from tortoise import Tortoise

    from consult.db import tortoise_config
    from consult.services.voting import seal_clear_ballots, seal_running_tallies
    from consult.settings import Settings

    await Tortoise.init(config=tortoise_config(url))
    try:

        def key() -> str:
            return Settings.from_env(url).secret_key

        return await seal_clear_ballots(key), await seal_running_tallies(key)
    finally:
        await Tortoise.close_connections()


async def _vacuum_ballots(url: str) -> None:
    """After sealing, the clear rows still sit in the database's free pages: rewrite them away.
    SQLite: VACUUM the file and empty its WAL. PostgreSQL: VACUUM FULL the ballot table (its WAL
    and older backups still hold them; docs/security.md says what to do about those)."""
    from consult.db import is_postgres

    if is_postgres(url):
        import asyncpg

        connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            await connection.execute("VACUUM FULL ballot, poll, poll_option")
        finally:
            await connection.close()
        return
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(url.removeprefix("sqlite://"), isolation_level=None)) as embedded:
        embedded.execute("VACUUM")
        embedded.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def cmd_create_admin(args: argparse.Namespace) -> int:
    from consult.errors import DomainError
    from consult.messages import translate
    from consult.services.accounts import create_admin
    from consult.services.base import ServiceContext

    url = _database_url(args)
    password = args.password
    if password is None:
        password = getpass.getpass("密码 Password: ")
        if password != getpass.getpass("再输一次 Again: "):
            print("两次输入的密码不一致 The passwords differ.", file=sys.stderr)
            return 2

    async def run():
        return await create_admin(
            ServiceContext(), username=args.username, password=password, display_name=args.display_name
        )

    try:
        account = asyncio.run(_with_orm(url, run))
    except DomainError as error:
        print(f"{error.field or ''}: {translate(error.key, 'zh-CN', **error.params)}", file=sys.stderr)
        return 2
    print(f"管理员已就绪 Admin ready: {account.username}")
    return 0


KIND_WORDS = {"DISTRICT": "区", "STREET": "街道/镇", "COMMUNITY": "社区/村"}


def cmd_areas(args: argparse.Namespace) -> int:
    """Print the district's tree, or add or rename a place in it (written to the installation trail)."""
    from consult.errors import DomainError
    from consult.messages import translate
    from consult.services import areas
    from consult.services.base import ServiceContext

    url = _database_url(args)

    async def run():
        if args.action == "add":
            await areas.add_area_by_name(ServiceContext(), kind=args.kind, name=args.name, parent=args.parent)
        elif args.action == "rename":
            await areas.rename_area_by_name(ServiceContext(), area=args.area, name=args.name)
        return await areas.area_tree()

    try:
        tree = asyncio.run(_with_orm(url, run))
    except DomainError as error:
        print(f"{error.field or ''}: {translate(error.key, 'zh-CN', **error.params)}", file=sys.stderr)
        return 2
    for depth, area in tree:
        print(f"{'    ' * depth}[{area.id}] {area.name}（{KIND_WORDS.get(area.kind, area.kind)}）")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from consult.demo import load_demo

    url = _database_url(args)
    result = asyncio.run(_with_orm(url, lambda: load_demo(if_empty=args.if_empty, out_dir=Path(args.out_dir))))
    print(result)
    return 0


def cmd_reminders(args: argparse.Namespace) -> int:
    """The deliveries of reminders by email and webhook, newest first, one JSON object a line."""
    from consult.services.reminders import deliveries_listed

    url = _database_url(args)
    print(asyncio.run(_with_orm(url, lambda: deliveries_listed(args.status, args.limit))))
    return 0


def cmd_export_schema(args: argparse.Namespace) -> int:
    from schema import export_sdl

    sdl = export_sdl()
    target = Path(args.output) if args.output else SCHEMA_FILE
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != sdl:
            print(f"{target} 已过期 is stale: run `consult export-schema`.", file=sys.stderr)
            return 1
        print(f"{target} 是最新的 is up to date.")
        return 0
    target.write_text(sdl, encoding="utf-8")
    print(f"已写入 Wrote {target}")
    return 0


def cmd_check_migrations(args: argparse.Namespace) -> int:
    from consult.migration_check import pending_operations

    operations = asyncio.run(pending_operations(args.models, args.migrations))
    if operations:
        print(
            f"模型与迁移不一致 The models differ from what {args.migrations}/ builds; "
            "run `tortoise makemigrations` and commit the new migration:",
            file=sys.stderr,
        )
        for operation in operations:
            print(f"  - {operation}", file=sys.stderr)
        return 1
    print(f"模型与迁移一致 The models match {args.migrations}/.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    url = _database_url(args)
    if args.workers > 1 and not is_postgres(url):
        print(
            "SQLite 只支持单进程；多进程请使用 PostgreSQL。"
            "SQLite serves one process; use PostgreSQL for --workers > 1.",
            file=sys.stderr,
        )
        return 2
    # Fail early and clearly when a key is needed but missing, before workers fork.
    from consult.settings import Settings

    try:
        settings = Settings.from_env(url)
    except ValueError as error:
        print(f"配置有误 Bad configuration: {error}", file=sys.stderr)
        return 2
    # A server without its pages' files would answer 404 or 500 for them; it does not start instead.
    from consult.static import missing_files, missing_files_message

    if missing := missing_files():
        print(missing_files_message(missing), file=sys.stderr)
        return 2
    shared_metrics = _share_metrics_between_workers() if args.workers > 1 and settings.metrics != "off" else None
    print(
        f"consult 正在 http://{args.host}:{args.port} 提供服务 serving ({_redact(url)}, {args.workers} worker(s))",
        flush=True,
    )
    from consult.logs import uvicorn_config
    from consult.serving import DeadlineHttpProtocol

    uvicorn.run(
        "consult.app:app_factory",
        factory=True,
        http=DeadlineHttpProtocol,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,
        log_level=args.log_level,
        log_config=uvicorn_config(settings.log_format, args.log_level),
        # In JSON the app writes each request's line itself, with its ID, route and operation.
        access_log=settings.log_format != "json",
    )
    if shared_metrics is not None:
        import shutil

        shutil.rmtree(shared_metrics, ignore_errors=True)
    return 0


def _share_metrics_between_workers() -> Path | None:
    """Every worker writes its figures under one directory, and a scrape of any of them reads all.

    The directory is PROMETHEUS_MULTIPROC_DIR if set, else a new one under the system's temporary
    directory, removed when the server stops (returned). What an earlier run left in it is removed
    first, or its gauges would count again.
    """
    import tempfile

    chosen = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    folder = chosen or tempfile.mkdtemp(prefix="consult-metrics-")
    Path(folder).mkdir(parents=True, exist_ok=True)
    for stale in Path(folder).glob("*.db"):
        stale.unlink()
    # Set before any worker starts: prometheus-client reads it when it is first imported.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    return None if chosen else Path(folder)


def cmd_verify(args: argparse.Namespace) -> int:
    from consult.settings import Settings

    url = _database_url(args)
    try:
        settings = Settings.from_env(url)
    except (ValueError, RuntimeError) as error:
        print(f"配置有误 Bad configuration: {error}", file=sys.stderr)
        return 2
    anchor_file = Path(args.anchors) if args.anchors else Path(settings.anchor_file) if settings.anchor_file else None
    return _verify(url, settings.secret_key, anchor_file, settings.photo_dir)


def _verify(url: str, secret_key: str, anchor_file: Path | None, photo_dir: str | None) -> int:
    """Run `consult verify`'s checks, print what they find, and return its exit status."""
    from tortoise import Tortoise

    from consult.db import tortoise_config
    from consult.services.verify import verify

    print(f"核验 Verifying {_redact(url)} against {anchor_file or 'no anchor file'} ...", flush=True)

    async def run() -> Any:
        await Tortoise.init(config=tortoise_config(url))
        try:
            return await verify(secret_key, anchor_file, photo_dir)
        finally:
            await Tortoise.close_connections()

    report = asyncio.run(run())
    for problem in report.problems:
        print(f"  ✗ {problem}")
    print(
        f"{report.consultations} 个协商 consultations, {report.events} events, {report.anchors} anchors, "
        f"{report.polls} polls, {report.ballots} ballots, {report.shares} shares, {report.photos} photos checked."
    )
    if anchor_file is not None and report.anchors == 0:
        print(f"  注意 Note: no anchors in {anchor_file}: the chains were checked only against themselves.")
    if report.problems:
        print(f"发现 {len(report.problems)} 处不一致 {len(report.problems)} mismatch(es) found.", file=sys.stderr)
        return 1
    print("全部一致 Everything matches.")
    return 0


def _installation(url: str) -> Any:
    """The database and the files beside it, as the server would find them; the key only if one
    exists already (a backup or a restore never makes a new one)."""
    from consult.backup import Installation
    from consult.settings import anchor_destinations, default_photo_dir

    key = os.environ.get("CONSULT_SECRET_KEY") or None
    if key is None and url.startswith("sqlite://"):
        key_file = Path(url.removeprefix("sqlite://")).parent / "secret.key"
        key = key_file.read_text().strip() if key_file.is_file() else None
    anchor_file = anchor_destinations(url)[0]
    photo_dir = os.environ.get("CONSULT_PHOTO_DIR", "").strip() or default_photo_dir(url)
    return Installation(url, Path(photo_dir), Path(anchor_file) if anchor_file else None, key)


def _say(line: str) -> None:
    print(line, flush=True)


def cmd_backup(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from consult.backup import BackupError, backup

    url = _database_url(args)
    try:
        source = _installation(url)
    except ValueError as error:
        print(f"配置有误 Bad configuration: {error}", file=sys.stderr)
        return 2
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = Path(args.output) if args.output else Path("var") / "backups" / f"consult-{stamp}.tar"
    print(f"备份 Backing up {_redact(url)} to {out} ...", flush=True)
    try:
        manifest = backup(source, out, _say)
    except BackupError as error:
        print(f"备份失败 Backup failed: {error}", file=sys.stderr)
        return 2
    size = out.stat().st_size
    print(f"已写入 Wrote {out} ({size:,} bytes, {len(manifest.members)} file(s), readable by its owner only).")
    print("  服务器密钥不在备份中，请另行保管 The server key is not in the archive: keep it separately.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from consult.backup import BackupError, code_head, restore

    url = _database_url(args)
    try:
        target = _installation(url)
    except ValueError as error:
        print(f"配置有误 Bad configuration: {error}", file=sys.stderr)
        return 2
    print(f"恢复 Restoring {args.file} into {_redact(url)} ...", flush=True)
    try:
        manifest = restore(target, Path(args.file), _say)
    except BackupError as error:
        print(f"恢复失败 Restore failed: {error}", file=sys.stderr)
        return 2
    print("已恢复 Restored.", flush=True)
    if (manifest.get("migration_head") or "") != code_head():
        print("  备份来自较早的版本，正在迁移 The backup predates this version: migrating it.", flush=True)
        cmd_migrate(args)
    assert target.secret_key is not None
    return _verify(url, target.secret_key, target.anchor_file, str(target.photo_dir) if target.photo_dir else None)


def cmd_bench(args: argparse.Namespace) -> int:
    if args.scenario == "district":
        from consult.bench.district import cmd_district

        return cmd_district(args)
    from consult.bench import cmd_bench as run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="consult", description="基层协商平台 consult: consultation, voting and supervision."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def database_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--database",
            help="Tortoise URL, e.g. sqlite://./var/consult.sqlite3 or postgres://user@host:5432/db "
            "(default: $CONSULT_DATABASE_URL, else the embedded SQLite file)",
        )

    p = sub.add_parser("serve", help="serve the app")
    database_option(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="processes; more than 1 needs PostgreSQL")
    p.add_argument("--log-level", default="info")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="apply pending database migrations")
    database_option(p)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("create-admin", help="create an administrator, or reset their password")
    database_option(p)
    p.add_argument("--username", required=True)
    p.add_argument("--password", help="prompted for when left out")
    p.add_argument("--display-name")
    p.set_defaults(func=cmd_create_admin)

    p = sub.add_parser("areas", help="print the district's streets and communities, or add or rename one")
    database_option(p)
    p.set_defaults(func=cmd_areas, action="list")
    area_sub = p.add_subparsers(dest="action")
    q = area_sub.add_parser("add", help="add a street under the district, or a community under a street")
    database_option(q)
    q.add_argument("--kind", required=True, choices=["STREET", "COMMUNITY"])
    q.add_argument("--name", required=True)
    q.add_argument("--parent", required=True, help="the district or street, by its name or [number]")
    q = area_sub.add_parser("rename", help="rename a place")
    database_option(q)
    q.add_argument("area", help="the place, by its name or [number]")
    q.add_argument("--name", required=True, help="its new name")

    p = sub.add_parser("demo", help="load the 菜园巷 demo consultation")
    database_option(p)
    p.add_argument("--if-empty", action="store_true", help="do nothing when the database already holds consultations")
    p.add_argument("--out-dir", default="var", help="where to write the demo's invitation codes (CSV)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "bench",
        help="load a served app like a district vote and compare it with raw asyncpg "
        "(PostgreSQL; drops the bench database); `consult bench district` seeds a whole district instead",
    )
    p.add_argument(
        "scenario",
        nargs="?",
        choices=["vote", "district"],
        default="vote",
        help="vote (default): the district vote against raw asyncpg; district: 200 communities, 10,000 "
        "consultations and 1,000,000 roll entries (kept in consult_bench_district and reused), timing a roll "
        "page, the overview and the reminder sweep",
    )
    p.add_argument(
        "--database",
        help="postgres://…/consult_bench… (the name must start with consult_bench: it is dropped and rebuilt; "
        "default: $CONSULT_BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/consult_bench)",
    )
    p.add_argument("--households", type=int, default=1000, help="households on the roll, each with a session")
    p.add_argument(
        "--writes", type=int, default=400, help="castVote and revote requests per round (distinct households)"
    )
    p.add_argument("--reads", type=int, default=200, help="resident page requests per round")
    p.add_argument("--rounds", type=int, default=3, help="rounds per worker count; the figures are their medians")
    p.add_argument("--workers", help="worker counts to serve with, comma-separated (default 1,2)")
    p.add_argument("--connections", type=int, default=32, help="concurrent client connections")
    p.add_argument("--subscribers", type=int, default=1000, help="live tally subscribers for the fan-out (0: none)")
    p.add_argument("--pushes", type=int, default=10, help="votes whose tally is pushed to every subscriber")
    p.add_argument(
        "--attack-seconds",
        type=float,
        default=3.0,
        help="seconds each attack runs while /healthz is timed, with the first worker count (0: none)",
    )
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument("--smoke", action="store_true", help="every workload at a tiny size, once: for CI")
    p.add_argument(
        "--scale", type=float, default=1.0, help="district: the share of the full district to seed, e.g. 0.001"
    )
    p.add_argument("--runs", type=int, default=30, help="district: timed runs of each measure (p50/p95 over them)")
    p.add_argument("--fresh", action="store_true", help="district: seed again even if a seeded database is kept")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser(
        "verify",
        help="check the audit chains against their anchors, every tally against its ballots and every "
        "share against its contributions; exit 1 on any mismatch",
    )
    database_option(p)
    p.add_argument("--anchors", help="the anchor file (default: $CONSULT_ANCHOR_FILE, else beside the database)")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser(
        "backup",
        help="write one archive (0600) of the database, its photos and its anchors, while the server runs; "
        "the server key stays out",
    )
    database_option(p)
    p.add_argument(
        "--output", help="the archive to write (default: var/backups/consult-<UTC time>.tar); never replaced"
    )
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser(
        "restore",
        help="load an archive into an empty database, put its photos and anchors in place, then verify",
    )
    database_option(p)
    p.add_argument("file", help="the archive `consult backup` wrote")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("reminders", help="list the reminders sent by email and webhook, and how each went")
    database_option(p)
    p.add_argument("--status", choices=["PENDING", "SENDING", "SENT", "FAILED"], help="only deliveries in this state")
    p.add_argument("--limit", type=int, default=50, help="at most this many, newest first (default 50)")
    p.set_defaults(func=cmd_reminders)

    p = sub.add_parser("export-schema", help="write the GraphQL SDL to schema/schema.graphql")
    p.add_argument("--check", action="store_true", help="exit 1 if the file differs from the code")
    p.add_argument("--output", help="another file to write")
    p.set_defaults(func=cmd_export_schema)

    p = sub.add_parser("check-migrations", help="exit 1 if the models differ from what the migrations build")
    p.add_argument("--models", default=MODELS_MODULE, help=argparse.SUPPRESS)
    p.add_argument("--migrations", default=MIGRATIONS_MODULE, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_check_migrations)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
