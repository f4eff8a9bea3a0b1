"""What a slow phone downloads: pages name this build's scripts and styles by content, which are
then cached for a year, and text goes compressed (issue 15)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from consult.app import STATIC_DIR
from consult.lean import lean_script, lean_style

PAGES = ["/", "/login", "/c/abc", "/i/abc", "/board", "/party", "/console"]


def referenced(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)


@pytest.mark.parametrize("path", PAGES)
async def test_pages_name_this_builds_assets_which_are_cached_for_a_year(http, path):
    page = await http.get(path)
    assert page.status_code == 200
    assets = referenced(page.text)
    assert assets and all(re.fullmatch(r"/assets/v/[0-9a-f]{16}/[\w.-]+\.(js|css)", a) for a in assets), assets
    for asset in assets:
        answer = await http.get(asset)
        assert answer.status_code == 200, asset
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    if path.startswith("/i/"):
        # a slip link's page carries that slip's open votes: kept nowhere
        assert page.headers["cache-control"] == "no-store"
        return
    # and a page itself is revalidated by its ETag: a return visit downloads it only when it changed
    again = await http.get(path, headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert page.headers["cache-control"] == "no-cache"


async def test_modules_and_the_labels_resolve_under_the_same_build(http):
    page = await http.get("/c/abc")
    script = next(a for a in referenced(page.text) if a.endswith("resident.js"))
    base = script.rsplit("/", 1)[0]
    labels = await http.get(f"{base}/labels.js")
    assert labels.status_code == 200 and "immutable" in labels.headers["cache-control"]
    assert "export const LABELS" in labels.text
    # another build's name is not this one
    assert (await http.get("/assets/v/0000000000000000/labels.js")).status_code == 404
    assert (await http.get("/assets/v/0000000000000000/resident.js")).status_code == 404


async def test_text_goes_compressed(http):
    page = await http.get("/c/abc")
    script = next(a for a in referenced(page.text) if a.endswith("resident.js"))
    raw = await http.get(script, headers={"Accept-Encoding": "identity"})
    packed = await http.get(script, headers={"Accept-Encoding": "gzip"})
    assert packed.headers.get("content-encoding") == "gzip"
    assert packed.content == raw.content  # httpx unpacks it; the bytes are the same file
    assert int(packed.headers["content-length"]) < len(raw.content) / 2
    # GraphQL answers too, when they are worth compressing
    response = await http.post(
        "/graphql",
        json={"query": "{ __schema { types { name description } } }"},
        headers={"Accept-Encoding": "gzip"},
    )
    assert response.status_code == 200 and response.headers.get("content-encoding") == "gzip"
    assert "__schema" in response.json()["data"]


async def test_a_page_announces_every_module_its_script_imports(http):
    # so that a phone 2 s from the server fetches them side by side, in one round trip
    page = await http.get("/c/abc")
    preloads = re.findall(r'<link rel="modulepreload" href="(/assets/v/[0-9a-f]{16}/[\w.-]+\.js)">', page.text)
    names = {p.rsplit("/", 1)[1] for p in preloads}
    assert {"api.js", "ui.js", "format.js", "labels.js", "charts.js", "photos.js"} <= names
    for preload in preloads:
        assert (await http.get(preload)).status_code == 200
    # and it describes itself, for search and for link previews in chat apps
    assert '<meta name="description" content="' in page.text


async def test_the_resident_pages_worker_keeps_this_builds_page_and_files_and_nothing_else(http):
    page = await http.get("/c/abc")
    worker = await http.get("/sw.js")
    assert worker.status_code == 200 and worker.headers["content-type"].startswith("text/javascript")
    # never cached long: a phone checks it on each visit, which is how it learns of a new build
    assert worker.headers["cache-control"] == "no-cache"
    files = json.loads(re.search(r"const FILES = (\[.*?\]);", worker.text).group(1))
    # exactly the page's style and scripts, under this build's names, each of them there
    assert sorted(files) == sorted(referenced(page.text))
    for name in files:
        assert (await http.get(name)).status_code == 200, name
    # the page it keeps is the one /c/<id> serves for any consultation
    shell = await http.get("/c/")
    assert shell.status_code == 200 and shell.text == page.text
    # and a new build (any change to the page or its files) is a new worker
    build = re.search(r'const BUILD = "([0-9a-f]{16})";', worker.text)
    assert build and build.group(1) not in files[0]


async def test_a_phone_gets_the_scripts_and_styles_without_their_comments_and_they_still_parse(http, tmp_path):
    page = await http.get("/c/abc")
    base = next(a for a in referenced(page.text) if a.endswith("resident.js")).rsplit("/", 1)[0]
    node = shutil.which("node")
    for path in sorted((STATIC_DIR / "assets").iterdir()):
        written = path.read_text(encoding="utf-8")
        served = (await http.get(f"{base}/{path.name}", headers={"Accept-Encoding": "identity"})).text
        assert len(served) < len(written), path.name  # every file here explains itself in comments
        assert not re.search(r"(?m)^\s*(//|/\*)", served), path.name
        # the plain address still serves the file as written
        assert (await http.get(f"/assets/{path.name}")).text == written
        if node and path.suffix == ".js":
            module = tmp_path / (path.stem + ".mjs")
            module.write_text(served, encoding="utf-8")
            checked = subprocess.run([node, "--check", str(module)], capture_output=True, text=True)
            assert checked.returncode == 0, (path.name, checked.stderr)


def test_only_comments_are_taken_out():
    # what looks like a comment inside a string, a template or a regular expression stays
    script = (
        "// about this file\n"
        "const a = 'http://x'; // trailing\n"
        'const b = "/* not a comment */";\n'
        "const c = `line\n// kept, inside a template\n${a /* inline */ + `${'}'}`}`;\n"
        "const d = /\\/\\/[^/]*/g.test(a) ? 1 : 2 / 3; /** block\n * comment\n */\n"
        "if (a) return /x/.source;\n"
    )
    assert lean_script(script) == (
        "const a = 'http://x';\n"
        'const b = "/* not a comment */";\n'
        "const c = `line\n// kept, inside a template\n${a   + `${'}'}`}`;\n"
        "const d = /\\/\\/[^/]*/g.test(a) ? 1 : 2 / 3;  \n"
        "if (a) return /x/.source;\n"
    )
    # a file it cannot read with certainty is served as written
    for unsure in ("const s = 'open\n';\n", "const t = `never closed;\n", "/* never closed\n"):
        assert lean_script(unsure) == unsure
    assert lean_style("/* a */\na { content: '/* b */'; }\n") == "a { content: '/* b */'; }\n"
