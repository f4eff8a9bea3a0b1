"""`consult areas`: the operator prints the district's tree and adds or renames places in it."""

from __future__ import annotations

from tests.cli.test_cli import db, run  # noqa: F401  (db is a fixture)


def test_the_operator_builds_the_tree_from_the_command_line(db):  # noqa: F811
    # given a new installation: one district, one street, one community
    run("migrate", env=db)
    assert run("areas", env=db).stdout.splitlines() == [
        "[1] 本区（区）",
        "    [2] 本街道（街道/镇）",
        "        [3] 本社区（社区/村）",
    ]
    # when the operator adds a town under the district, a village under it, and renames the community
    run("areas", "add", "--kind", "STREET", "--name", "五川镇", "--parent", "本区", env=db)
    run("areas", "add", "--kind", "COMMUNITY", "--name", "五川村", "--parent", "五川镇", env=db)
    out = run("areas", "rename", "3", "--name", "菜园社区", env=db).stdout
    # then the tree shows them, each under its parent
    assert out.splitlines() == [
        "[1] 本区（区）",
        "    [2] 本街道（街道/镇）",
        "        [3] 菜园社区（社区/村）",
        "    [4] 五川镇（街道/镇）",
        "        [5] 五川村（社区/村）",
    ]
    # and bad input is refused in Chinese, changing nothing
    wrong = run("areas", "add", "--kind", "COMMUNITY", "--name", "新村", "--parent", "本区", env=db, check=False)
    assert wrong.returncode == 2 and "社区/村建在街道/镇下面" in wrong.stderr
    twice = run("areas", "add", "--kind", "COMMUNITY", "--name", "五川村", "--parent", "4", env=db, check=False)
    assert twice.returncode == 2 and "同一上级下已经有这个名称了" in twice.stderr
    missing = run("areas", "rename", "没有这个地方", "--name", "x", env=db, check=False)
    assert missing.returncode == 2
    assert len(run("areas", env=db).stdout.splitlines()) == 5
    # and every change is on the installation trail, which still verifies
    assert run("verify", env=db).returncode == 0
