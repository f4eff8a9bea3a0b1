"""Expected failures. Services raise them; the API turns them into UserError entries."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A failure the user can act on.

    `code` is one of the contract's ErrorCode names, `key` names the message in the
    catalogue (consult.messages), `field` is the input path such as `shares.2.amount`.
    """

    def __init__(self, code: str, key: str, field: str | None = None, **params: Any) -> None:
        super().__init__(f"{code}:{key}")
        self.code = code
        self.key = key
        self.field = field
        self.params = params


class Unauthenticated(DomainError):
    def __init__(self, key: str = "unauthenticated") -> None:
        super().__init__("UNAUTHENTICATED", key)


class Forbidden(DomainError):
    def __init__(self, field: str | None = None, key: str = "forbidden") -> None:
        super().__init__("FORBIDDEN", key, field)


class NotFound(DomainError):
    def __init__(self, field: str | None = None) -> None:
        super().__init__("NOT_FOUND", "not_found", field)


class Invalid(DomainError):
    def __init__(self, key: str, field: str | None = None, **params: Any) -> None:
        super().__init__("INVALID", key, field, **params)


class WrongStage(DomainError):
    def __init__(self, key: str = "wrong_stage", field: str | None = None, **params: Any) -> None:
        super().__init__("WRONG_STAGE", key, field, **params)


class Conflict(DomainError):
    def __init__(self, key: str, field: str | None = None, **params: Any) -> None:
        super().__init__("CONFLICT", key, field, **params)


class RateLimited(DomainError):
    def __init__(self) -> None:
        super().__init__("RATE_LIMITED", "rate_limited")


class RowErrors(DomainError):
    """Every bad row of a table at once (`parties.3.name`, `contributions.0.amount`...), so that
    an organizer who pasted a table fixes them all in one go. Nothing was written."""

    def __init__(self, errors: list[DomainError]) -> None:
        first = errors[0]
        super().__init__(first.code, first.key, first.field, **first.params)
        self.errors = errors
