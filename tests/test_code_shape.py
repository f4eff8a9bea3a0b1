"""The service layer and the domain rules stay readable: no function too long or too branchy.

A function in consult/services or consult/domain may have at most 60 lines (from its `def` to its
last line) and a cyclomatic complexity of at most 15, as radon counts it (a function's count
includes the functions nested inside it). A longer or branchier one is a sign that it does several
things that deserve names of their own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from radon.complexity import cc_visit
from radon.visitors import Class, Function

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("consult/services", "consult/domain")
MAX_LINES = 60
MAX_COMPLEXITY = 15


@dataclass(frozen=True)
class Shape:
    path: str
    line: int
    name: str
    lines: int
    complexity: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.name}: {self.lines} lines, complexity {self.complexity}"


def _radon_blocks(blocks: list[Function | Class], prefix: str = "") -> Iterator[tuple[int, str, int]]:
    """(line of the def, qualified name, complexity) of every function, method and closure."""
    for block in blocks:
        if isinstance(block, Class):
            yield from _radon_blocks(block.methods, f"{prefix}{block.name}.")
            continue
        yield block.lineno, f"{prefix}{block.name}", block.complexity
        yield from _radon_blocks(block.closures, f"{prefix}{block.name}.")


def shapes(path: Path) -> list[Shape]:
    source = path.read_text(encoding="utf-8")
    relative = str(path.relative_to(ROOT))
    complexity = {line: (name, value) for line, name, value in _radon_blocks(cc_visit(source))}
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name, value = complexity.get(node.lineno, (node.name, 1))
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            found.append(Shape(relative, node.lineno, name, lines, value))
    return sorted(found, key=lambda s: s.line)


def checked_files() -> list[Path]:
    return sorted(p for folder in CHECKED for p in (ROOT / folder).rglob("*.py"))


def test_the_check_sees_every_function_of_the_service_layer_and_the_domain():
    # given the files it checks
    files = checked_files()
    # then it finds them, and in them the functions radon and ast both know, with their sizes
    assert {str(p.relative_to(ROOT)) for p in files} >= {
        "consult/services/archive.py",
        "consult/services/voting.py",
        "consult/domain/splits.py",
    }
    found = {s.name: s for p in files for s in shapes(p)}
    assert found["create_poll"].lines > 10 and found["create_poll"].complexity > 1
    assert found["split"].complexity > 1


def test_no_function_is_over_60_lines_or_complexity_15():
    # given every function and method in consult/services and consult/domain
    offenders = [s for p in checked_files() for s in shapes(p) if s.lines > MAX_LINES or s.complexity > MAX_COMPLEXITY]
    # then none is longer than 60 lines or more complex than 15
    assert not offenders, (
        f"{len(offenders)} function(s) over {MAX_LINES} lines or complexity {MAX_COMPLEXITY}; "
        "split them into named helpers:\n" + "\n".join(str(s) for s in offenders)
    )
