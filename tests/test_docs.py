"""The README stays a newcomer's page, and every link in it and in docs/ leads somewhere."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ["api", "voting", "cost-sharing", "supervision", "operations", "performance", "testing", "architecture"]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_the_readme_fits_a_newcomer():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; move detail into docs/"


@pytest.mark.parametrize("name", DOCS)
def test_each_reference_doc_exists_and_the_readme_points_to_it(name):
    assert (ROOT / "docs" / f"{name}.md").is_file()
    assert f"docs/{name}.md" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "page", ["README.md", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))]
)
def test_relative_links_resolve(page):
    path = ROOT / page
    broken = [
        target
        for target in LINK.findall(path.read_text(encoding="utf-8"))
        if "://" not in target and not target.startswith("mailto:") and not (path.parent / target).exists()
    ]
    assert broken == [], f"{page} links to missing files: {broken}"
