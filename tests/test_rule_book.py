"""The rule book and the code agree: every action key the services and the API ask about has a rule,
and every rule is asked about somewhere.

The check reads the source, as Python syntax trees: every call of a function that takes an action
key (gate, permit, permits, allowed, stage_allows, the context's may, the viewerCan helper _can)
must name its key as a string literal (a conditional between literals is fine), so that no key
escapes the count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from consult.policies import RULES

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*(ROOT / "consult").rglob("*.py"), *(ROOT / "schema").rglob("*.py")])

# The functions that take an action key, and the position of that argument.
TAKES_ACTION = {
    "gate": 1,
    "permit": 1,
    "permits": 1,
    "allowed": 1,
    "_can": 1,
    "stage_allows": 0,
    "may": 0,
    "reach_for": 1,
}


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _uses(path: Path) -> tuple[list[tuple[str, int]], list[int]]:
    """The action keys `path` asks about (key, line), and the lines of calls whose key is not a literal.

    A function that itself takes an action key (a wrapper such as the context's `may`) may pass
    its parameter on: its own callers are checked instead.
    """
    keys: list[tuple[str, int]] = []
    opaque: list[int] = []

    def visit(node: ast.AST, wrapper: bool) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            wrapper = node.name in TAKES_ACTION
        if isinstance(node, ast.Call):
            position = TAKES_ACTION.get(_name(node.func) or "")
            if position is not None and len(node.args) > position:
                argument = node.args[position]
                # A literal, or a choice between two literals (the condition is not a key).
                choices = [argument.body, argument.orelse] if isinstance(argument, ast.IfExp) else [argument]
                plain = all(isinstance(c, ast.Constant) and isinstance(c.value, str) for c in choices)
                literals = [c.value for c in choices if isinstance(c, ast.Constant) and isinstance(c.value, str)]
                passed_on = wrapper and isinstance(argument, ast.Name)
                if not passed_on and (not literals or not plain):
                    opaque.append(node.lineno)
                keys.extend((key, node.lineno) for key in literals)
        for child in ast.iter_child_nodes(node):
            visit(child, wrapper)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return keys, opaque


def _all_uses() -> tuple[dict[str, list[str]], list[str]]:
    used: dict[str, list[str]] = {}
    opaque: list[str] = []
    for path in SOURCES:
        keys, lines = _uses(path)
        where = path.relative_to(ROOT)
        for key, line in keys:
            used.setdefault(key, []).append(f"{where}:{line}")
        opaque.extend(f"{where}:{line}" for line in lines)
    return used, opaque


def test_every_action_asked_about_has_a_rule():
    used, _ = _all_uses()
    missing = {key: places for key, places in used.items() if key not in RULES}
    assert missing == {}, "action keys used in the code but missing from consult.policies.RULES"


def test_every_rule_is_asked_about_somewhere():
    used, _ = _all_uses()
    unused = sorted(set(RULES) - set(used))
    assert unused == [], "rules no service or API field asks about: remove them, or use them"


def test_every_action_key_is_written_where_it_is_asked():
    _, opaque = _all_uses()
    assert opaque == [], "name the action key as a string literal, so the rule book's coverage can be checked"


@pytest.mark.parametrize("source", ["gate(actor, 'nope.never')", "x.may('nope.never', rel)"])
def test_the_scan_sees_a_key_missing_from_the_rule_book(tmp_path, source):
    # The scan itself can fail: a call with an unknown key is found, with its line.
    path = tmp_path / "probe.py"
    path.write_text(f"def f(actor, x, rel):\n    {source}\n", encoding="utf-8")
    keys, opaque = _uses(path)
    assert keys == [("nope.never", 2)] and opaque == []
    assert "nope.never" not in RULES


def test_the_scan_refuses_a_key_it_cannot_read(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text("def f(actor, action):\n    permit(actor, action)\n", encoding="utf-8")
    assert _uses(path) == ([], [2])
    # ...unless the function passing it on takes an action key itself, and is checked where called.
    path.write_text("def may(self, action):\n    return allowed(self.actor, action)\n", encoding="utf-8")
    assert _uses(path) == ([], [])


def test_every_rule_names_only_known_roles_relations_and_stages():
    from consult.domain import stages
    from consult.domain.vocabulary import Role
    from consult.policies import Relation

    for action, rule in RULES.items():
        assert rule.roles <= set(Role), action
        assert rule.relations <= set(Relation), action
        assert rule.roles or rule.relations, f"{action} is granted to nobody"
        if rule.stages is not None:
            assert rule.stages and rule.stages <= stages.ALL_STAGES, action


def test_every_rule_about_one_consultation_is_bound_to_its_community():
    # Staff grants on one consultation stop at the edge of the actor's areas: every rule with
    # stages, and the private reads of one consultation; installation-wide actions are not bound.
    private_reads = {"consultation.read_draft", "roll.read", "demand.read_submitter", "ballots.read_named"}
    for action, rule in RULES.items():
        if rule.stages is not None or action in private_reads:
            assert rule.scoped, action
    for action in ("account.create", "installation.read_trail", "areas.manage"):
        assert not RULES[action].scoped, action


def test_a_scoped_rule_asked_without_the_community_fails_loudly():
    from consult.domain.vocabulary import Role
    from consult.policies import Actor, allowed, permit, permits

    organizer = Actor(account_id=1, roles=frozenset({Role.ORGANIZER}), scope=frozenset({7}))
    with pytest.raises(ValueError):
        permit(organizer, "poll.open", stage="VOTING")
    with pytest.raises(ValueError):
        permits(organizer, "roll.set", stage="DRAFT")
    with pytest.raises(ValueError):
        allowed(organizer, "roll.read")
    # ...and with it, grants inside the reach only; a rule about no consultation needs none
    assert permits(organizer, "poll.open", stage="VOTING", community=7)
    assert not permits(organizer, "poll.open", stage="VOTING", community=8)
    assert not permits(organizer, "poll.open", stage="VOTING", community=None)
    assert allowed(organizer, "party.create")
