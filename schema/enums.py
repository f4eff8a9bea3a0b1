"""GraphQL enums that are the domain's vocabularies, documented from the one label catalogue.

`graphql_enum(vocabulary.Stage, description=...)` registers the domain class itself with
strawberry, so an input value reaches a service as the domain member (a StrEnum, equal to its
stored string) and a resolver returns a domain member as it is. Each value's description is its
zh-CN and en label and hint from `consult.domain.labels`, so the API documentation uses the same
words as the pages.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

import strawberry

from consult.domain import labels

E = TypeVar("E", bound=type[StrEnum])


def graphql_enum(vocabulary: E, *, description: str) -> E:
    wrapped = strawberry.enum(vocabulary, description=description)
    for value in wrapped.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = labels.description(vocabulary(value.value))
    return wrapped
