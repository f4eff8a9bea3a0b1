"""The wheel as an operator installs it: built from the source, installed into an empty venv, it
migrates, loads the demo and serves every page with its scripts, with no npm and no checkout.

Only the wheel's own files come from the wheel: the venv has no packages of its own, and the
dependencies (strawberry, starlette, Tortoise…) are the project's .venv's, on PYTHONPATH, so the
test needs no network. The server runs outside the checkout, and the test checks that it imports
consult from the venv.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from consult.lean import lean_script, lean_style
from tests.cli.test_cli import DEMO_ENV, ROOT, served

# The browser packages the server serves; the rest of node_modules stays out of the copy.
SERVED_PACKAGES = {"graphql-ws", "react", "react-dom", "graphiql"}
SKIPPED = {".git", ".venv", "var", "build", "tests", "docs", "__pycache__", ".mypy_cache", ".pytest_cache"}


def _source_copy(target: Path) -> Path:
    """The checkout as `git clone` + `make install` leave it, minus what a build does not read, so
    that building writes nothing into the checkout itself (build/, *.egg-info)."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n in SKIPPED or n.endswith((".egg-info", "_cache"))}
        if Path(folder).name == "node_modules":
            skipped |= {n for n in names if n not in SERVED_PACKAGES}
        return skipped

    shutil.copytree(ROOT, target, symlinks=True, ignore=ignore)
    return target


def _run(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A venv holding nothing but the freshly built wheel: (its bin folder, the environment to run it in)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = _source_copy(tmp / "source")
    _run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", tmp / "dist", source)
    [wheel] = (tmp / "dist").glob("consult-*.whl")
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    _run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--no-deps", "--no-index", wheel)
    dependencies = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PYTHONPATH"] = os.pathsep.join(dependencies)
    return venv / "bin", env


def get(port: int, path: str, accept: str = "*/*") -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def as_written(path: str) -> bytes:
    """What the checkout's own server sends for an /assets/v/<build>/… or /vendor/… address."""
    if path.startswith("/vendor/"):
        return (ROOT / "frontend_static" / "node_modules" / path.removeprefix("/vendor/")).read_bytes()
    source = (ROOT / "frontend_static" / "assets" / path.rsplit("/", 1)[1]).read_text(encoding="utf-8")
    return (lean_script(source) if path.endswith(".js") else lean_style(source)).encode()


def test_the_installed_wheel_serves_every_page_with_its_scripts(installed, scratch_databases, tmp_path):
    bin_dir, env = installed
    consult = str(bin_dir / "consult")
    # given the wheel's consult, which is not the checkout's
    where = _run(bin_dir / "python", "-c", "import consult; print(consult.__file__)", env=env, cwd=tmp_path)
    assert where.startswith(str(bin_dir.parent)), where
    # when it migrates a new database, loads the demo and serves it
    env = {**env, **DEMO_ENV, "CONSULT_DATABASE_URL": scratch_databases.new()}
    _run(consult, "migrate", env=env, cwd=tmp_path)
    _run(consult, "demo", "--out-dir", tmp_path, env=env, cwd=tmp_path)
    with served(env, tmp_path, consult=consult, cwd=tmp_path) as port:
        query = json.dumps({"query": "{ consultations(first: 1) { edges { node { id } } } }"}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql", data=query, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            [edge] = json.loads(answer.read())["data"]["consultations"]["edges"]
        # then the resident page and every script and style it names are there, as the checkout has them
        for page in [f"/c/{edge['node']['id']}", "/", "/login", "/board", "/party", "/console", "/graphql"]:
            status, html = get(port, page, accept="text/html")
            assert status == 200, page
            named = re.findall(r'(?:src|href)="(/(?:assets|vendor)/[^"]+)"', html.decode())
            assert named, page
            for path in named:
                status, body = get(port, path)
                assert status == 200, (page, path)
                if not path.endswith("/labels.js"):  # made by the server from its label catalogue
                    assert body == as_written(path), (page, path)
        # and so are the live client the resident page loads when it subscribes, and its service worker
        client = "/vendor/graphql-ws/dist/client.js"
        assert get(port, client) == (200, as_written(client))
        chunks = re.findall(r"""from\s*["']\./([\w.-]+\.js)["']""", as_written(client).decode())
        assert chunks  # client.js imports its shared code from a chunk beside it
        for chunk in chunks:
            path = f"/vendor/graphql-ws/dist/{chunk}"
            assert get(port, path) == (200, as_written(path)), path
        status, worker = get(port, "/sw.js")
        assert status == 200
        for path in json.loads(re.search(rb"const FILES = (\[.*?\]);", worker).group(1)):
            assert get(port, path)[0] == 200, path
        # but still nothing else of node_modules
        assert get(port, "/vendor/graphiql/package.json")[0] == 404


def test_an_install_missing_its_browser_build_refuses_to_start_and_says_what_to_run(installed, tmp_path):
    bin_dir, env = installed
    where = _run(bin_dir / "python", "-c", "import consult.static as s; print(s.VENDOR_DIR)", env=env, cwd=tmp_path)
    client = Path(where.strip()) / "graphql-ws" / "dist" / "client.js"
    # given an install whose graphql-ws build is gone
    client.rename(client.with_suffix(".gone"))
    try:
        # when it is asked to serve
        env = {**env, "CONSULT_DATABASE_URL": f"sqlite://{tmp_path}/db.sqlite3", "CONSULT_SECRET_KEY": "x"}
        result = subprocess.run(
            [bin_dir / "consult", "serve", "--port", "9"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )
    finally:
        client.with_suffix(".gone").rename(client)
    # then it stops at once, naming the file and what to run, in Chinese and English
    assert result.returncode == 2, result.stdout + result.stderr
    assert "node_modules/graphql-ws/dist/client.js" in result.stderr
    assert "服务不能启动" in result.stderr and "will not start" in result.stderr
    assert "npm ci --prefix frontend_static" in result.stderr and "正在" not in result.stdout
