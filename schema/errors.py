"""UserError: expected failures, returned in payloads with a stable code and field."""

from __future__ import annotations

from enum import Enum

import strawberry

from consult.errors import DomainError
from consult.messages import translate


@strawberry.enum(description="Stable codes for expected failures; clients branch on these, not on messages.")
class ErrorCode(Enum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    CONFLICT = "CONFLICT"
    WRONG_STAGE = "WRONG_STAGE"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    ALREADY_VOTED = "ALREADY_VOTED"
    POLL_NOT_OPEN = "POLL_NOT_OPEN"
    SPLIT_MISMATCH = "SPLIT_MISMATCH"
    RATE_LIMITED = "RATE_LIMITED"


@strawberry.type(description="An expected failure. Nothing was changed when a payload carries one.")
class UserError:
    field: str | None = strawberry.field(
        description="The input field the error is about, as a path like `shares.2.amount`; null for the whole input."
    )
    code: ErrorCode = strawberry.field(description="What kind of failure this is.")
    message: str = strawberry.field(description="A sentence for people, in the request's language (zh-CN by default).")


def user_error(error: DomainError, lang: str) -> UserError:
    return UserError(field=error.field, code=ErrorCode(error.code), message=translate(error.key, lang, **error.params))
