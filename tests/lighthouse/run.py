"""`make lighthouse`: what a resident's slow phone gets, measured on the served demo.

Serves the 菜园巷 demo from a fresh SQLite database, then:
- runs Lighthouse (the npm package, in Debian's chromium) on `/` and on a household's slip link
  `/i/<code>`, three times each, and prints the four mobile scores of the median run with the
  audits that cost points, and the range of performance scores (reports in var/lighthouse/);
- opens a new consultation's open vote from a slip link in chromium throttled as a weak mobile
  network (Slow 3G: 2 s latency, 50 KB/s; CPU 4× slower), cold and then warm, and prints the
  time to a tappable 赞成 button and the bytes transferred until then.
These are measurements, not tests: the figures move with the machine's load, so this prints them
and fails only when it cannot run.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.cli.test_cli import DEMO_ENV, load_demo, served

ROOT = Path(__file__).resolve().parents[2]
LIGHTHOUSE = ROOT / "tests" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
OUT = ROOT / "var" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def chrome() -> str:
    for name in ("chromium-headless-shell", "chromium", "google-chrome"):
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    sys.exit(
        "make lighthouse needs Debian's chromium-headless-shell or chromium (apt-get install chromium-headless-shell)"
    )


def audit(url: str, name: str) -> dict:
    report = OUT / f"{name}.json"
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--only-categories={','.join(CATEGORIES)}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
            "--form-factor=mobile",
        ],
        check=True,
        env={**os.environ, "CHROME_PATH": chrome()},
        timeout=300,
    )
    return json.loads(report.read_text(encoding="utf-8"))


SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 50 * 1024, "uploadThroughput": 50 * 1024}


def slow_phone(port: int) -> str:
    """Seconds and KB to a tappable 赞成, from a slip link (cold) and on returning (warm)."""
    import re
    import time

    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, Site

    case = Site(port).consultation("慢网首屏", stage="VOTING", households=2)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=f"http://127.0.0.1:{port}").new_page()
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        sizes: list[int] = []
        cdp.on("Network.loadingFinished", lambda e: sizes.append(e["encodedDataLength"]))
        figures = []
        # cold: a tappable 赞成 (the server's first screen), then the whole page drawn by its script
        started = time.monotonic()
        page.goto(f"/i/{case['codes'][0]}", wait_until="commit")
        page.get_by_role("button", name=re.compile("^赞成")).first.wait_for(timeout=60_000)
        figures.append(
            f"cold, from /i/<code>: 赞成 tappable in {time.monotonic() - started:.1f} s, {sum(sizes) / 1024:.1f} KB"
        )
        page.wait_for_url(re.compile(r"/c/"), timeout=60_000)
        page.locator(".ballot .vote-buttons button").first.wait_for(timeout=60_000)
        figures.append(f"whole page in {time.monotonic() - started:.1f} s, {sum(sizes) / 1024:.1f} KB")
        # warm: the same page again, once the phone keeps it (its worker, and the page's last answer)
        for _ in range(600):
            if page.evaluate(
                """async () => !!(await navigator.serviceWorker.getRegistration("/c/"))?.active
                    && Object.keys(localStorage).some((k) => k.startsWith("consult.page:"))"""
            ):
                break
            page.wait_for_timeout(100)
        figures.append(f"kept on the phone {time.monotonic() - started:.1f} s after the scan")
        sizes.clear()
        started = time.monotonic()
        page.goto(f"/c/{case['id']}", wait_until="commit")
        page.locator(".ballot .vote-buttons button").first.wait_for(timeout=60_000)
        figures.append(
            f"warm, /c/<id>: 赞成 tappable in {time.monotonic() - started:.1f} s, {sum(sizes) / 1024:.1f} KB"
        )
        page.locator("#kept-notice:empty").wait_for(state="attached", timeout=60_000)
        figures.append(f"brought up to date in {time.monotonic() - started:.1f} s")
        browser.close()
    return "slow phone (Slow 3G, 4× CPU) to a tappable 赞成 — " + "; ".join(figures)


def summary(name: str, result: dict) -> str:
    scores = {c: round((result["categories"][c]["score"] or 0) * 100) for c in CATEGORIES}
    lines = [f"{name:10} " + "  ".join(f"{c} {scores[c]:3d}" for c in CATEGORIES)]
    audits = result["audits"]
    for category in CATEGORIES:
        for ref in result["categories"][category]["auditRefs"]:
            found = audits.get(ref["id"], {})
            if ref.get("weight") and found.get("score") is not None and found["score"] < 0.9:
                lines.append(f"    {category}: {found.get('title')} ({found.get('displayValue', '')})")
    return "\n".join(lines)


RUNS = 3


def median_of_runs(name: str, url: str) -> str:
    """Lighthouse's scores move from run to run on a shared machine: the run with the median
    performance score, and the range over RUNS runs."""
    results = sorted((audit(url, f"{name}-{i + 1}") for i in range(RUNS)), key=lambda r: _score(r, "performance"))
    low, high = _score(results[0], "performance"), _score(results[-1], "performance")
    return summary(name, results[RUNS // 2]) + f"\n    performance over {RUNS} runs: {low}–{high}"


def _score(result: dict, category: str) -> int:
    return round((result["categories"][category]["score"] or 0) * 100)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite://{folder / 'lighthouse.sqlite3'}"
        print("准备演示数据 Loading the 菜园巷 demo …", flush=True)
        load_demo(url, folder)
        with (folder / "demo-invitations.csv").open(encoding="utf-8") as f:
            code = next(csv.DictReader(f))["code"]
        env = {**DEMO_ENV, "CONSULT_DATABASE_URL": url, "CONSULT_ANCHOR_FILE": str(folder / "anchors.jsonl")}
        with served(env, folder) as port:
            base = f"http://127.0.0.1:{port}"
            # `--phone-only` skips the Lighthouse audits
            for name, path in () if "--phone-only" in sys.argv else (("start", "/"), ("resident", f"/i/{code}")):
                print(f"审计 Auditing {name} ({path.split('/')[1] or '/'}) …", flush=True)
                print(median_of_runs(name, base + path), flush=True)
            print("慢网测量 Measuring a slow phone …", flush=True)
            print(slow_phone(port), flush=True)
    print(f"报告 Reports: {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
