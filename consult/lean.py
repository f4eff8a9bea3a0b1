"""The pages' scripts and styles as a phone downloads them: without their comments.

The files under frontend_static/assets explain themselves at length for the people who change
them; a resident's phone on a weak network needs none of it (about a fifth of the resident
page's compressed bytes). This takes the comments out and nothing else: no renaming, no
reflowing, so what runs is the code as written and an error's line still reads sensibly.

A small scanner tells code from strings, template literals and regular expressions, so a `//`
inside any of them is left alone. Whenever it is unsure (a string left open at the end of a
line, a template or a comment left open at the end of the file), the file is served as written.
"""

from __future__ import annotations

import re

_LINE = "\x01"  # where a line comment was: nothing is left of it
_BLOCK = "\x02"  # where a block comment was: a space, so the tokens either side stay apart
# After these, a "/" begins a regular expression; after anything else it divides.
_BEFORE_REGEX = set("(,=:[!&|?{};+-*%<>~^")
_REGEX_WORDS = {
    "return",
    "typeof",
    "case",
    "do",
    "else",
    "in",
    "of",
    "yield",
    "await",
    "void",
    "delete",
    "new",
    "throw",
}


class Unsure(Exception):
    """The scanner met something it does not read with certainty."""


def _quoted(src: str, i: int) -> int:
    """The index just past the string literal starting at src[i]."""
    quote, j = src[i], i + 1
    while j < len(src) and src[j] != quote:
        if src[j] == "\\":
            j += 1
        elif src[j] == "\n":
            raise Unsure
        j += 1
    if j >= len(src):
        raise Unsure
    return j + 1


def _regex(src: str, i: int) -> int:
    """The index just past the regular expression literal starting at src[i] (its flags included)."""
    j, in_class = i + 1, False
    while j < len(src):
        c = src[j]
        if c == "\\":
            j += 2
            continue
        if c == "\n":
            raise Unsure
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "/" and not in_class:
            j += 1
            while j < len(src) and (src[j].isalnum() or src[j] == "_"):
                j += 1
            return j
        j += 1
    raise Unsure


def _template(src: str, i: int) -> tuple[int, bool]:
    """From inside a template literal at src[i]: the index past its closing backtick (False), or
    past the `${` that opens an expression in it (True)."""
    j = i
    while j < len(src):
        c = src[j]
        if c == "\\":
            j += 2
            continue
        if c == "`":
            return j + 1, False
        if c == "$" and src.startswith("${", j):
            return j + 2, True
        j += 1
    raise Unsure


def _previous_word(out: list[str]) -> str:
    tail = "".join(out[-12:]).rstrip()
    k = len(tail)
    while k and (tail[k - 1].isalnum() or tail[k - 1] in "_$"):
        k -= 1
    return tail[k:]


def _mark_comments(src: str) -> str:
    """The script with each comment replaced by a one-character mark."""
    out: list[str] = []
    braces: list[int] = []  # for each template expression we are inside, its open-brace depth
    last = ""  # the last significant character of code
    i = 0
    while i < len(src):
        c = src[i]
        if c in "'\"":
            end = _quoted(src, i)
            out.append(src[i:end])
            i, last = end, c
        elif c == "`" or (c == "}" and braces and braces[-1] == 0):
            if c == "}":
                braces.pop()
            end, opened = _template(src, i + 1)
            out.append(src[i:end])
            if opened:
                braces.append(0)
            i, last = end, "`" if not opened else "{"
        elif src.startswith("//", i):
            end = src.find("\n", i)
            end = len(src) if end < 0 else end
            out.append(_LINE)
            i = end
        elif src.startswith("/*", i):
            end = src.find("*/", i + 2)
            if end < 0:
                raise Unsure
            out.append(_BLOCK)
            i = end + 2
        elif c == "/" and (last == "" or last in _BEFORE_REGEX or _previous_word(out) in _REGEX_WORDS):
            end = _regex(src, i)
            out.append(src[i:end])
            i, last = end, "/"
        else:
            if braces and c == "{":
                braces[-1] += 1
            elif braces and c == "}":
                braces[-1] -= 1
            out.append(c)
            if not c.isspace():
                last = c
            i += 1
    if braces:
        raise Unsure
    return "".join(out)


def _drop_marked(marked: str) -> str:
    """Lines that held only comments go; the marks left on other lines become nothing or a space."""
    kept = [
        line
        for line in marked.splitlines(keepends=True)
        if not (line.strip(" \t\r\n" + _LINE + _BLOCK) == "" and (_LINE in line or _BLOCK in line))
    ]
    return re.sub(r"[ \t]*\x01", "", "".join(kept)).replace(_BLOCK, " ")


def lean_script(source: str) -> str:
    """A JavaScript module without its comments; as written when the scanner is unsure."""
    if _LINE in source or _BLOCK in source:
        return source
    try:
        return _drop_marked(_mark_comments(source))
    except Unsure:
        return source


def lean_style(source: str) -> str:
    """A stylesheet without its comments; as written when a comment or string is left open."""
    if _LINE in source or _BLOCK in source:
        return source
    out: list[str] = []
    i = 0
    try:
        while i < len(source):
            c = source[i]
            if c in "'\"":
                end = _quoted(source, i)
                out.append(source[i:end])
                i = end
            elif source.startswith("/*", i):
                end = source.find("*/", i + 2)
                if end < 0:
                    raise Unsure
                out.append(_BLOCK)
                i = end + 2
            else:
                out.append(c)
                i += 1
    except Unsure:
        return source
    return _drop_marked("".join(out))
