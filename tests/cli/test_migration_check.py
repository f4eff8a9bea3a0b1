"""`consult check-migrations`: the lint gate that fails when the models and migrations/ disagree.

The drifted cases run the real command against scratch copies of the models or of the migrations,
put on PYTHONPATH, so the tree itself is never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONSULT = str(Path(sys.executable).parent / "consult")


def check(*args: str, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(path), env.get("PYTHONPATH")]))
    return subprocess.run(
        [CONSULT, "check-migrations", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def copy_models(tmp_path: Path, edit) -> None:
    """consult/models as the package scratch_models, with `edit` applied to consultations.py."""
    target = tmp_path / "scratch_models"
    shutil.copytree(ROOT / "consult" / "models", target, ignore=shutil.ignore_patterns("__pycache__"))
    for path in target.glob("*.py"):
        text = path.read_text(encoding="utf-8").replace("consult.models.", "scratch_models.")
        if path.name == "consultations.py":
            edited = edit(text)
            assert edited != text, "the edit did not apply: the scratch copy would prove nothing"
            text = edited
        path.write_text(text, encoding="utf-8")


def test_the_models_match_the_migrations():
    result = check()
    assert result.returncode == 0, result.stderr
    assert "The models match migrations/" in result.stdout


def test_a_field_added_to_a_model_without_a_migration_fails_naming_it(tmp_path):
    def add_nickname(text: str) -> str:
        return re.sub(
            r"^( +)contact = fields\.CharField\(max_length=200, null=True\)\n",
            r"\g<0>\1nickname = fields.CharField(max_length=50, null=True)\n",
            text,
            count=1,
            flags=re.M,
        )

    copy_models(tmp_path, add_nickname)
    result = check("--models", "scratch_models", path=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Add field nickname to Party" in result.stderr
    assert "max_length': 50" in result.stderr
    assert "tortoise makemigrations" in result.stderr


def test_a_changed_column_fails_naming_it(tmp_path):
    def widen_kind(text: str) -> str:
        return text.replace("kind = fields.CharField(max_length=20)", "kind = fields.CharField(max_length=40)", 1)

    copy_models(tmp_path, widen_kind)
    result = check("--models", "scratch_models", path=tmp_path)
    assert result.returncode == 1
    assert "Alter field kind on Party" in result.stderr


def test_a_missing_migration_fails_naming_what_it_held(tmp_path):
    target = tmp_path / "scratch_migrations"
    shutil.copytree(ROOT / "migrations", target, ignore=shutil.ignore_patterns("__pycache__"))
    latest = max(target.glob("[0-9][0-9][0-9][0-9]_*.py"))
    # The model and field names the migration holds (model_name=, name=; not related_name=).
    held = re.findall(r"\b(?:model_)?name=[\"'](\w+)[\"']", latest.read_text(encoding="utf-8"))
    assert held, latest
    latest.unlink()

    result = check("--migrations", "scratch_migrations", path=tmp_path)
    assert result.returncode == 1
    for name in held:
        assert name in result.stderr, result.stderr
