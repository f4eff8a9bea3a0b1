"""GraphQL over HTTP as its spec has it, for the clients other people write (Apollo, urql, Relay,
graphql-http): what a request that cannot run gets, and in which media type.

A client that accepts `application/graphql-response+json` learns from the status alone whether its
request ran: a document that does not parse or validate, or variables that do not fit, get 400 with
no `data`, in that media type. A client that asks only for `application/json` keeps the older
convention (200, `"data": null`). Either way every refusal is a JSON body with `errors`, never
plain text or nothing.
"""

from __future__ import annotations

from typing import Any

from graphql import ExecutionResult
from starlette.responses import JSONResponse

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
# What a POST body may be: JSON, or the multipart upload of a photo.
BODY_TYPES = (JSON, "multipart/form-data")


def _accepted(accept: str) -> dict[str, float]:
    """Media type → quality, from an Accept header (parameters other than q are ignored)."""
    found: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            found[media.lower()] = max(quality, found.get(media.lower(), 0.0))
    return found


def wants_graphql_response(accept: str | None) -> bool:
    """The client asked for application/graphql-response+json, at least as much as for plain JSON."""
    if not accept:
        return False
    qualities = _accepted(accept)
    wanted = qualities.get(GRAPHQL_RESPONSE, 0.0)
    return wanted > 0 and wanted >= qualities.get(JSON, 0.0)


def is_request_error(result: ExecutionResult) -> bool:
    """Nothing ran: the document did not parse or validate, or its variables did not fit. (An error
    while running has a path; these never do.)"""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


def body_type_supported(method: str, content_type: str | None) -> bool:
    if method != "POST":
        return True
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in BODY_TYPES


def refusal(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status, headers=headers)


def in_media_type(response: Any, graphql_response: bool) -> Any:
    """The answer in the media type the client asked for (its bytes are the same JSON)."""
    if graphql_response and response.headers.get("content-type", "").startswith(JSON):
        response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
    return response


UNSUPPORTED_BODY = (
    "请求体须为 JSON（Content-Type: application/json），上传照片用 multipart/form-data。"
    " The body must be JSON (Content-Type: application/json), or multipart/form-data for a photo upload."
)
MUTATION_BY_GET = "修改数据的操作只能用 POST 发送。Mutations are sent by POST only."
SUBSCRIPTION_OVER_HTTP = (
    "订阅请通过 WebSocket（graphql-transport-ws 协议）连接 /graphql。"
    " Subscriptions are served over WebSocket at /graphql, with the graphql-transport-ws protocol."
)
