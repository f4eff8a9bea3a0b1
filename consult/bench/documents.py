"""The exact GraphQL documents the pages send, read from the pages' own scripts.

The bench must load the server the way the pages do. Rather than keep copies that drift, it
reads the string constants (`const NAME = `…``) of the scripts under frontend_static/assets and
fills in their `${NAME}` parts, as the browser would.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "frontend_static" / "assets"
_CONST = re.compile(r'(?:export\s+)?const\s+([A-Z][A-Z0-9_]*)\s*=\s*(`[^`]*`|"[^"\n]*"|\d+)\s*;')
_PART = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


@cache
def constants(*scripts: str) -> dict[str, str]:
    """The string (and whole-number) constants of the given scripts (later scripts win), with
    `${NAME}` filled in."""
    raw: dict[str, str] = {}
    for script in scripts:
        for name, literal in _CONST.findall((ASSETS / script).read_text(encoding="utf-8")):
            raw[name] = literal if literal.isdigit() else literal[1:-1]

    def fill(name: str, seen: tuple[str, ...] = ()) -> str:
        if name in seen:
            raise ValueError(f"{name} refers to itself")
        if name not in raw:
            raise KeyError(f"no string constant {name} in {', '.join(scripts)}")
        return _PART.sub(lambda m: fill(m.group(1), (*seen, name)), raw[name])

    return {name: fill(name) for name in raw}


def mutation(name: str, select: str, input_type: str | None = None) -> str:
    """The document api.js's mutate() sends for `name`."""
    kind = input_type or name[0].upper() + name[1:] + "Input"
    return f"mutation($input: {kind}!) {{ {name}(input: $input) {{ {select} errors {{ field code message }} }} }}"


def resident_page() -> str:
    return constants("api.js", "resident.js")["QUERY"]


def cast_vote() -> str:
    return mutation("castVote", constants("api.js", "resident.js")["CAST_VOTE_SELECT"])
