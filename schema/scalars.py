"""Scalars: DateTime with an offset, Money as a decimal string, and strawberry's Upload described
for this API.

Inputs are passed through as given and checked by the services, so that a malformed
amount or time comes back as an INVALID UserError on its field rather than as a
document-level error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NewType

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types.scalar import ScalarDefinition

from consult.clock import to_api

Money = NewType("Money", str)


def _pass_through(value: Any) -> Any:
    return value


def _serialize_datetime(value: Any) -> str:
    if isinstance(value, datetime):
        return to_api(value)
    return str(value)


def _parse_money_literal(node: Any, variables: Any = None) -> Any:
    return getattr(node, "value", None)


def _parse_any_literal(node: Any, variables: Any = None) -> Any:
    return getattr(node, "value", None)


SCALAR_MAP: dict[object, ScalarDefinition] = {
    datetime: strawberry.scalar(
        name="DateTime",
        description="ISO 8601 with a UTC offset, e.g. 2026-01-05T10:00:00+08:00. Returned in Beijing time (+08:00).",
        serialize=_serialize_datetime,
        parse_value=_pass_through,
        parse_literal=_parse_any_literal,
    ),
    Money: strawberry.scalar(
        name="Money",
        description=(
            "An amount in yuan as a decimal string. Input: digits with at most two fraction digits, no sign, "
            'no exponent ("80000", "80000.5", "80000.50"). Output: always exactly two fraction digits '
            '("80000.00"). Stored as integer fen; never a float.'
        ),
        serialize=str,
        parse_value=_pass_through,
        parse_literal=_parse_money_literal,
    ),
    # strawberry's own Upload, as it is, with a description that says how this API takes a file.
    Upload: strawberry.scalar(
        name="Upload",
        description=(
            "A file sent as a part of a GraphQL multipart request (`operations`, `map`, then the file parts); "
            "the variable it fills is null in `operations`. Only uploadPhoto takes one."
        ),
        serialize=_pass_through,
        parse_value=_pass_through,
    ),
}
