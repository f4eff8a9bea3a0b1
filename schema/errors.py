"""UserError: expected failures, returned in payloads with a stable code and field."""

from __future__ import annotations

from enum import Enum

import strawberry

from consult.errors import DomainError
from consult.messages import translate


@strawberry.enum(description="Stable codes for expected failures; clients branch on these, not on messages.")
class ErrorCode(Enum):
    UNAUTHENTICATED = strawberry.enum_value(
        "UNAUTHENTICATED",
        description="Nobody is signed in (or the session has ended, or the password was wrong): sign in and retry.",
    )
    FORBIDDEN = strawberry.enum_value(
        "FORBIDDEN",
        description=(
            "Signed in, but the rule book does not let this viewer do this (their roles, or their relationship to "
            "the consultation, party or share); also any write sent over a WebSocket, where writes are refused."
        ),
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND",
        description=(
            "An ID names nothing this viewer can see: a malformed ID, an ID of another type, a deleted row, or a "
            "DRAFT consultation seen by someone other than organizers and its convener."
        ),
    )
    INVALID = strawberry.enum_value(
        "INVALID",
        description=(
            "A value is malformed or out of range (empty, too long, a bad amount or time…); `field` says which."
        ),
    )
    CONFLICT = strawberry.enum_value(
        "CONFLICT",
        description=(
            "The request clashes with what is already recorded: a name or username taken, a party already added, "
            "a payment already recorded, a plan that has money against it."
        ),
    )
    WRONG_STAGE = strawberry.enum_value(
        "WRONG_STAGE",
        description=(
            "The consultation's stage does not allow this write (see each mutation), or it is ARCHIVED or "
            "CANCELLED and so read-only; the message says why a stage move was refused."
        ),
    )
    NOT_ELIGIBLE = strawberry.enum_value(
        "NOT_ELIGIBLE",
        description="The voter is not in the poll's electorate, or the household is not on the consultation's roll.",
    )
    ALREADY_VOTED = strawberry.enum_value(
        "ALREADY_VOTED",
        description=(
            "This roll entry has voted in this poll and the poll does not allow a revote, or a paper or assisted "
            "ballot was entered for it."
        ),
    )
    POLL_NOT_OPEN = strawberry.enum_value(
        "POLL_NOT_OPEN", description="The poll is not taking ballots: not yet opened, or already closed."
    )
    SPLIT_MISMATCH = strawberry.enum_value(
        "SPLIT_MISMATCH",
        description="A cost plan's FIXED amounts do not add up to its total, or its PERCENT values not to 100.",
    )
    RATE_LIMITED = strawberry.enum_value(
        "RATE_LIMITED",
        description="Too many failed attempts (sign-in, invitation codes, passwords) from this client: wait and retry.",
    )


ERRORS_DESCRIPTION = "Why nothing was written; an empty list means it succeeded."


def errors_field() -> list[UserError]:
    """The `errors` field every payload carries, described once."""
    return strawberry.field(description=ERRORS_DESCRIPTION)


@strawberry.type(description="An expected failure. Nothing was changed when a payload carries one.")
class UserError:
    field: str | None = strawberry.field(
        description="The input field the error is about, as a path like `shares.2.amount`; null for the whole input."
    )
    code: ErrorCode = strawberry.field(description="What kind of failure this is.")
    message: str = strawberry.field(description="A sentence for people, in the request's language (zh-CN by default).")


def user_error(error: DomainError, lang: str) -> UserError:
    return UserError(field=error.field, code=ErrorCode(error.code), message=translate(error.key, lang, **error.params))
