"""Request IDs and structured logs.

Every request gets an ID: a sane incoming `X-Request-ID` is kept (a proxy's or a client's), any
other is replaced by a fresh one. It is returned in the `X-Request-ID` response header and held
in a context variable for as long as the request is handled, so that every log line written
meanwhile carries it.

With `CONSULT_LOG_FORMAT=json` each line is one JSON object: time, level, logger, message,
request_id, and for a request's own line its method, route (the template, never the raw path),
status, duration_ms and GraphQL operation. Whatever the format, a line is scrubbed before it is
written: invitation codes, bearer tokens and session cookies are replaced by "…". Nothing here
ever logs a request's body, its GraphQL variables, its headers or its cookies.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter, DefaultFormatter

# What the request being handled has told us so far: its ID, and its GraphQL operation once known.
# A dict, not separate variables: the GraphQL layer fills it in, and the outer middleware, which
# set it, reads it back after the response.
REQUEST: ContextVar[dict[str, Any] | None] = ContextVar("consult_request", default=None)

_SANE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,64}")
_CODE_CHARS = "[2-9A-HJKMNP-Z]"
_SECRETS = [
    # an invitation code as printed (groups of four), in any case, or run together in capitals
    re.compile(rf"(?i)(?<![A-Za-z0-9]){_CODE_CHARS}{{4}}[- ]{_CODE_CHARS}{{4}}[- ]{_CODE_CHARS}{{4}}(?![A-Za-z0-9])"),
    re.compile(rf"(?<![A-Za-z0-9]){_CODE_CHARS}{{12}}(?![A-Za-z0-9])"),
    # a slip's address
    re.compile(r"(?<=/i/)(?!\{code\})[^\s\"'/?#]+"),
    # tokens and cookies, whichever way they are spelled
    re.compile(r"(?i)(?<=bearer )[^\s\"',;]+"),
    re.compile(r"(?i)(?<=consult_session=)[^\s\"',;]+"),
    re.compile(r"(?i)(?<=token=)[^\s\"',;&]+"),
    # a webhook's key, however the chat service names it in the query
    re.compile(r"(?i)(?<=[?&]key=)[^\s\"',;&]+"),
    re.compile(r"(?i)(?<=[?&]sign=)[^\s\"',;&]+"),
    re.compile(r"(?i)(?<=[?&]secret=)[^\s\"',;&]+"),
]
# The attributes every LogRecord has: anything else on a record was passed in `extra=`.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
# uvicorn repeats some messages with terminal colours for its own formatter.
_NOISE = {"color_message"}


def request_id(headers: dict[bytes, bytes]) -> str:
    """The incoming X-Request-ID when it is short and plain (and not shaped like a code); else a new one."""
    given = headers.get(b"x-request-id", b"").decode("latin-1").strip()
    if _SANE_ID.fullmatch(given) and scrub(given) == given:
        return given
    return uuid.uuid4().hex


def current() -> dict[str, Any] | None:
    return REQUEST.get()


def scrub(text: str) -> str:
    """The text with invitation codes, tokens and session cookies replaced by "…"."""
    for pattern in _SECRETS:
        text = pattern.sub("…", text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        state = REQUEST.get()
        if state is not None:
            line["request_id"] = state["request_id"]
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in _NOISE and not key.startswith("_") and key not in line:
                line[key] = value if isinstance(value, (int, float, bool, type(None))) else str(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return scrub(json.dumps(line, ensure_ascii=False))


class TextFormatter(DefaultFormatter):
    """uvicorn's plain text, with the request ID when there is one, scrubbed."""

    def format(self, record: logging.LogRecord) -> str:
        return _plain(super().format(record))


class TextAccessFormatter(AccessFormatter):
    """uvicorn's access line, with the request ID, scrubbed (the path of a slip shows as /i/…)."""

    def format(self, record: logging.LogRecord) -> str:
        return _plain(super().format(record))


def _plain(text: str) -> str:
    state = REQUEST.get()
    if state is not None:
        text = f"{text} request_id={state['request_id']}"
    return scrub(text)


def uvicorn_config(log_format: str, level: str) -> dict[str, Any]:
    """The logging configuration `consult serve` gives uvicorn: its own, with these formatters, and
    the app's loggers written the same way. In JSON, uvicorn's access line is replaced by the app's
    own (logger consult.access), which knows the route and the GraphQL operation."""
    config = copy.deepcopy(LOGGING_CONFIG)
    formatters = config["formatters"]
    if log_format == "json":
        formatters["default"] = {"()": "consult.logs.JsonFormatter"}
        formatters["access"] = {"()": "consult.logs.JsonFormatter"}
    else:
        formatters["default"]["()"] = "consult.logs.TextFormatter"
        formatters["access"]["()"] = "consult.logs.TextAccessFormatter"
    config["root"] = {"handlers": ["default"], "level": level.upper()}
    config["loggers"]["consult.access"] = {"handlers": ["access"], "level": level.upper(), "propagate": False}
    # httpx logs every request it makes, with its address: a webhook's carries the robot's key
    for chatty in ("httpx", "httpcore"):
        config["loggers"][chatty] = {"level": "WARNING"}
    return config
