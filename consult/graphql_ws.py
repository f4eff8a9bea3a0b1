"""graphql-transport-ws (the graphql-ws library's protocol) to the letter, over strawberry's handler.

What strawberry leaves to chance, this decides as the protocol's PROTOCOL.md does:
- a frame that is not a message (JSON null, a string, a number, an array, an object without a
  string `type`, or a known message with fields of the wrong kind) closes the socket with 4400
  and the reason, instead of crashing the handler (1006);
- `subscribe` needs a non-empty string `id` and a payload whose `query` is a string and whose
  `operationName`, `variables` and `extensions` are absent, null, or of their kind;
- an operation that cannot run (it does not parse or validate, or names an operation the
  document does not have) gets an `error` message for that operation alone: the socket and the
  other subscriptions on it live on.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, parse
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

INVALID = "Invalid message received"
MAX_TOKENS = 4000  # as over HTTP (schema/__init__.py)


def _optional(value: Any, kind: type) -> bool:
    return value is None or isinstance(value, kind)


def _payload_problem(message: dict[str, Any]) -> str | None:
    payload = message.get("payload")
    if not isinstance(payload, dict):
        return f"{INVALID}: subscribe needs a payload object"
    if not isinstance(payload.get("query"), str):
        return f"{INVALID}: the payload's query must be a string"
    if not _optional(payload.get("operationName"), str):
        return f"{INVALID}: operationName must be a string or null"
    if not _optional(payload.get("variables"), dict):
        return f"{INVALID}: variables must be an object or null"
    if not _optional(payload.get("extensions"), dict):
        return f"{INVALID}: extensions must be an object or null"
    return None


def malformed(message: Any) -> str | None:
    """Why a frame is not a well-formed message of the protocol, or None when it is."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return INVALID
    kind = message["type"]
    if kind in ("connection_init", "ping", "pong"):
        return None if _optional(message.get("payload"), dict) else f"{INVALID}: {kind} payload must be an object"
    if kind in ("subscribe", "complete"):
        identifier = message.get("id")
        if not isinstance(identifier, str) or not identifier:
            return f"{INVALID}: {kind} needs a non-empty string id"
        return _payload_problem(message) if kind == "subscribe" else None
    return None  # an unknown type: strawberry closes with 4400 and names it


def _plain(error: GraphQLError) -> GraphQLError:
    """An unknown operationName said as such (strawberry would mask it as an internal error)."""
    if isinstance(error.original_error, CannotGetOperationTypeError):
        return GraphQLError(error.original_error.as_http_error_reason())
    return error


class StrictTransportWS(BaseGraphQLTransportWSHandler):
    """Strawberry's handler, stricter about what it reads and never closing the socket over one
    operation that cannot run (strawberry closes it with 4400 for a syntax error)."""

    async def handle_message(self, message: Any) -> None:
        problem = malformed(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        if message.get("payload", {}) is None:
            # The protocol allows a null payload where strawberry wants none or an object.
            message = {key: value for key, value in message.items() if key != "payload"}
        await super().handle_message(message)

    async def handle_subscribe(self, message: Any) -> None:
        # A document that does not parse is that operation's error (strawberry's parser cache
        # raises it past the handler, which would end the operation with a bare `complete`).
        if self.connection_acknowledged and message["id"] not in self.operations:
            try:
                parse(message["payload"]["query"], max_tokens=MAX_TOKENS)
            except GraphQLError as error:
                await self.send_message({"id": message["id"], "type": "error", "payload": [error.formatted]})
                return
            # Each operation is asked as who the connection's token stands for now, not at connect.
            renew = getattr(self.context, "renew", None)
            if renew is not None:
                await renew()
        await super().handle_subscribe(message)

    async def _handle_pre_execution_error(self, operation: Any, result: Any) -> None:
        await operation.send_initial_errors([_plain(error) for error in result.errors or []])


class RenewingLegacyWS(BaseGraphQLWSHandler):
    """The older graphql-ws protocol, as strawberry speaks it, with each operation asked as who
    the connection's token stands for now, as on graphql-transport-ws."""

    async def handle_start(self, message: Any) -> None:
        if self.connection_acknowledged:
            renew = getattr(self.context, "renew", None)
            if renew is not None:
                await renew()
        await super().handle_start(message)
