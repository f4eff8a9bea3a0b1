"""Where the web pages and their browser packages are, and whether all of them are there.

The pages live in the top-level frontend_static/ folder of the source. `consult/frontend_static`
is a link to it, so a checkout (and an editable install) reads them in place; a wheel carries a
copy of them under the same name inside the package (pyproject.toml's package data), with only
the browser builds listed here out of node_modules. Either way the server looks in one place.
"""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "frontend_static"
VENDOR_DIR = STATIC_DIR / "node_modules"

# The browser builds served under /vendor: graphql-ws's ES modules for the pages' live updates
# (client.js imports a chunk whose name carries a hash, so its folder is served), and GraphiQL
# with the React it runs on. Nothing else of node_modules is served.
VENDOR_FOLDERS = ("graphql-ws/dist/",)
VENDOR_FILES = (
    "graphql-ws/dist/client.js",
    "react/umd/react.production.min.js",
    "react-dom/umd/react-dom.production.min.js",
    "graphiql/graphiql.min.js",
    "graphiql/graphiql.min.css",
)
PAGE_FILES = (
    "index.html",
    "consultation.html",
    "login.html",
    "board.html",
    "party.html",
    "console.html",
    "graphiql.html",
    "sw.js",
    "assets/api.js",
)


def vendor_served(path: str) -> bool:
    """Whether /vendor/<path> may be served: one of the builds above, never package files."""
    return path in VENDOR_FILES or (path.startswith(VENDOR_FOLDERS) and path.endswith(".js"))


def missing_files(static_dir: Path = STATIC_DIR) -> list[str]:
    """The files the server serves that are not where it looks for them."""
    wanted = [*PAGE_FILES, *(f"node_modules/{name}" for name in VENDOR_FILES)]
    return [name for name in wanted if not (static_dir / name).is_file()]


def missing_files_message(missing: list[str], static_dir: Path = STATIC_DIR) -> str:
    """What to tell an operator whose server lacks some of its files, in Chinese and English."""
    shown = ", ".join(missing[:5]) + (f" (+{len(missing) - 5})" if len(missing) > 5 else "")
    return (
        f"网页文件不全，服务不能启动：{static_dir} 中缺少 {shown}。"
        "在源码目录中请运行 `make install`（其中的 `npm ci --prefix frontend_static --omit=peer`）安装浏览器组件；"
        "用 wheel 安装的，请在装好浏览器组件的源码目录中重新构建 wheel 再安装。\n"
        f"The web pages' files are incomplete, so the server will not start: {shown} missing from "
        f"{static_dir}. In a source checkout run `make install` (its `npm ci --prefix frontend_static "
        "--omit=peer`) to install the browser packages; for an install from a wheel, build the wheel "
        "again from a checkout where they are installed, and reinstall it."
    )
