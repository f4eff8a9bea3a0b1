"""The ASGI app: /graphql (HTTP and WebSocket), /healthz, and the static frontend at /.

This module is the one place where consult/ meets starlette and strawberry.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET
from tortoise.connection import get_connection
from tortoise.contrib.starlette import RegisterTortoise

from consult import anchors, events, graphql_http, metrics
from consult.clock import utcnow
from consult.db import is_postgres, tortoise_config
from consult.graphql_ws import RenewingLegacyWS, StrictTransportWS
from consult.messages import pick_language
from consult.policies import ANONYMOUS
from consult.security import SESSION_COOKIE, set_session_cookies
from consult.services.accounts import actor_for_token
from consult.settings import Settings, get_settings
from consult.static import STATIC_DIR, VENDOR_DIR, missing_files, missing_files_message, vendor_served

log = logging.getLogger("consult")


def client_key(request: Any, settings: Settings) -> str:
    """The client's address; behind a trusted proxy, the last address it forwarded."""
    host = request.client.host if request.client else "unknown"
    if host in settings.trusted_proxies:
        forwarded = request.headers.get("x-forwarded-for", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            host = hops[-1]
    return f"ip:{host}"


def bearer_token(request: Any) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(SESSION_COOKIE) or None


class ConsultGraphQL(GraphQL):
    """Strawberry's ASGI view with the project's context."""

    graphql_transport_ws_handler_class = StrictTransportWS
    graphql_ws_handler_class = RenewingLegacyWS

    def __init__(self, schema: Any, settings: Settings, clock: Callable[[], datetime] = utcnow, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.settings = settings
        self.clock = clock

    def decode_json(self, data: str | bytes) -> object:
        try:
            return super().decode_json(data)
        except RecursionError as error:
            # json.loads recurses once per level: a body nested thousands deep would otherwise
            # end as a 500 with a traceback.
            raise HTTPException(400, "Unable to parse request body as JSON: nested too deeply") from error

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Every refusal is JSON with `errors` (strawberry would answer some in plain text), in the
        media type the client asked for, with the status GraphQL over HTTP gives it
        (consult/graphql_http.py)."""
        if isinstance(request, WebSocket):
            return await super().run(request, context, root_value)
        wanted = graphql_http.wants_graphql_response(request.headers.get("accept"))
        request.state.graphql_response = wanted
        if not _same_origin_multipart(request, self.settings):
            message = "只接受本站页面发出的上传。Uploads are accepted from this site's pages only."
            return graphql_http.in_media_type(graphql_http.refusal(403, message, "FORBIDDEN"), wanted)
        if not graphql_http.body_type_supported(request.method, request.headers.get("content-type")):
            response = graphql_http.refusal(415, graphql_http.UNSUPPORTED_BODY, "UNSUPPORTED_MEDIA_TYPE")
            return graphql_http.in_media_type(response, wanted)
        try:
            response = await super().run(request, context, root_value)
        except HTTPException as error:
            headers = {"Allow": "POST"} if error.status_code == 405 else None
            response = graphql_http.refusal(error.status_code, error.reason, "BAD_REQUEST", headers)
        if getattr(request.state, "request_error", False):
            response.status_code = 400
        return graphql_http.in_media_type(response, wanted)

    async def process_result(self, request: Any, result: Any) -> Any:
        answer = await super().process_result(request, result)
        if getattr(request.state, "graphql_response", False) and graphql_http.is_request_error(result):
            # Nothing ran: 400, and no `data` at all.
            answer.pop("data", None)
            request.state.request_error = True
        return answer

    async def execute_single(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Any,
        root_value: Any,
        request_data: Any,
    ) -> Any:
        """Runs one operation as strawberry does, except: a mutation by GET is 405, and a
        subscription by HTTP is refused in words that say where subscriptions are served."""
        from strawberry.exceptions import MissingQueryError
        from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
        from strawberry.types.graphql import OperationType

        by_get = request_adapter.method == "GET"
        allowed = {OperationType.QUERY} if by_get else {OperationType.QUERY, OperationType.MUTATION}
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except CannotGetOperationTypeError as error:
            raise HTTPException(400, error.as_http_error_reason()) from error
        except InvalidOperationTypeError as error:
            if error.operation_type == OperationType.SUBSCRIPTION:
                raise HTTPException(400, graphql_http.SUBSCRIPTION_OVER_HTTP) from error
            raise HTTPException(405, graphql_http.MUTATION_BY_GET) from error
        except MissingQueryError as error:
            raise HTTPException(400, "请求里没有 GraphQL 查询。No GraphQL query found in the request.") from error

    ide_page = ""  # frontend_static/graphiql.html, naming this build's script (set by create_app)

    async def render_graphql_ide(self, request: Any) -> Response:
        """Our own GraphiQL page, whose scripts all come from this server (/vendor), under the pages'
        policy; its only addition is the fonts GraphiQL's stylesheet carries as data: URLs."""
        headers = page_headers(request)
        headers["Content-Security-Policy"] += "; font-src 'self' data:"
        return HTMLResponse(self.ide_page, headers={**headers, "X-Frame-Options": "DENY"})

    async def get_context(self, request: Any, response: Any = None) -> Any:
        from schema.context import Context

        token = bearer_token(request)
        actor = await actor_for_token(token, self.clock()) if token else None
        return Context(
            request=request,
            response=response,
            settings=self.settings,
            actor=actor or ANONYMOUS,
            lang=pick_language(request.headers.get("accept-language")),
            client_key=client_key(request, self.settings),
            clock=self.clock,
            token=token if actor else None,
            websocket=isinstance(request, WebSocket),
        )

    async def on_ws_connect(self, context: Any) -> Any:
        """Authenticate a WebSocket like HTTP: `Authorization: Bearer …` in connection_init, or the cookie.

        A token that is given but not valid refuses the connection; none at all is anonymous.
        """
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        header = params.get("Authorization") or params.get("authorization") or ""
        token = None
        if header:
            if not (isinstance(header, str) and header.lower().startswith("bearer ")):
                raise ConnectionRejectionError(
                    {"message": "Authorization must be 'Bearer <token>'", "code": "UNAUTHENTICATED"}
                )
            token = header[7:].strip()
        elif isinstance(params.get("token"), str):
            token = params["token"]
        if token is None:
            return UNSET  # the handshake's cookie, if any, was already checked in get_context
        actor = await actor_for_token(token, self.clock())
        if actor is None:
            raise ConnectionRejectionError({"message": "invalid or expired token", "code": "UNAUTHENTICATED"})
        context.actor, context.token = actor, token
        return UNSET


class BodyLimit:
    """Refuse request bodies above a size, before anything parses them (413)."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send)
        seen = 0

        async def counted_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, counted_receive, send)
        except _TooLarge:
            await self._refuse(send)

    @staticmethod
    async def _refuse(send: Any) -> None:
        body = b'{"errors":[{"message":"request body too large"}]}'
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class TimeBudget:
    """Answer a GraphQL request within a time budget, or 503 with a JSON error: a request that
    waits on the database longer than that is cut off and its transaction rolled back, instead
    of holding a connection and a worker's attention. (CPU spent is bounded before anything
    runs, by schema/limits.py.) WebSockets are long-lived by design and not timed."""

    # A photo upload's budget covers sending it: 10 MB from a phone on slow 3G (50 KB/s) takes
    # over three minutes. Its pace is kept by consult.serving, its work after by the same limits.
    UPLOAD_SECONDS = 600.0

    def __init__(self, app: Any, seconds: float) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") != "/graphql":
            return await self.app(scope, receive, send)
        content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
        seconds = max(self.seconds, self.UPLOAD_SECONDS) if content_type.startswith(b"multipart/") else self.seconds
        started = False

        async def tracked_send(message: Any) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            async with asyncio.timeout(seconds):
                await self.app(scope, receive, tracked_send)
        except TimeoutError:
            if started:
                raise
            body = json.dumps(
                {
                    "errors": [
                        {
                            "message": f"请求超时（{seconds:g} 秒），请稍后重试。The request took longer than "
                            f"{seconds:g} s and was stopped; try again.",
                            "extensions": {"code": "TIMEOUT"},
                        }
                    ]
                },
                ensure_ascii=False,
            ).encode()
            await send(
                {"type": "http.response.start", "status": 503, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": body})


async def _poll_clock(settings: Settings, clock: Callable[[], datetime], every: float = 5.0) -> None:
    """Open and close polls on time even when no request comes in."""
    from consult.services import photos
    from consult.services.base import ServiceContext
    from consult.services.voting import settle_due

    rounds = 0
    while True:
        await asyncio.sleep(every)
        ctx = ServiceContext(settings=settings, clock=clock)
        try:
            await settle_due(ctx)
        except Exception:
            log.exception("poll clock sweep failed")
        rounds += 1
        if rounds % 120 == 1:  # about every ten minutes: uploads nobody attached within a day
            try:
                await photos.sweep(ctx)
            except Exception:
                log.exception("photo sweep failed")


def reminder_scheduler(settings: Settings, clock: Callable[[], datetime]) -> asyncio.Task | None:
    """The reminder scheduler (consult.services.reminders.Scheduler): every process starts one, and
    the one holding the lease sweeps; CONSULT_REMINDER_SECONDS=0 starts none."""
    from consult.services.reminders import Scheduler

    if settings.reminders.every_seconds <= 0:
        return None
    return asyncio.create_task(Scheduler(settings, clock).run())


async def dossier_page(request: Request) -> Response:
    """The printable dossier of an archived consultation, from its sealed document."""
    import json

    from consult.dossier_html import render
    from consult.ids import expect_id
    from consult.models import Consultation, Dossier

    pk = expect_id(request.path_params["consultation_id"], "Consultation")
    dossier = await Dossier.get_or_none(consultation_id=pk) if pk is not None else None
    consultation = await Consultation.get_or_none(id=pk) if dossier else None
    if dossier is None or consultation is None or not consultation.published:
        return HTMLResponse(
            "<!doctype html><html lang=zh-CN><meta charset=utf-8><p>没有找到这份档案。</p></html>", status_code=404
        )
    return HTMLResponse(render(json.loads(dossier.document), dossier.sha256), headers=DOSSIER_HEADERS)


def overview_routes(settings: Settings, clock: Callable[[], datetime]) -> list[Route]:
    """GET /overview.csv, /overview.xlsx and /overview/report?month=YYYY-MM: the overview's exports,
    for whoever the overview query would answer (the session cookie or a bearer token), with the
    same filters as query parameters."""
    from consult import overview_report as report
    from consult.errors import DomainError
    from consult.messages import translate
    from consult.services.base import ServiceContext
    from consult.services.overview import overview

    statuses = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404}
    headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}

    async def answer(request: Request) -> Response:
        token = bearer_token(request)
        actor = (await actor_for_token(token, clock()) if token else None) or ANONYMOUS
        ctx = ServiceContext(actor=actor, settings=settings, clock=clock)
        kind = request.url.path.rsplit(".", 1)[-1] if "." in request.url.path else "report"
        try:
            month, found = report.month_filters(request.query_params) if kind == "report" else (None, None)
            result = await overview(ctx, **(found or report.filters(request.query_params)))
        except DomainError as error:
            text = translate(error.key, pick_language(request.headers.get("accept-language")), **error.params)
            if error.code == "UNAUTHENTICATED" and kind == "report":
                text += ' <a href="/login">登录</a>'
                return HTMLResponse(f"<!doctype html><html lang=zh-CN><meta charset=utf-8><p>{text}</p></html>", 401)
            return Response(text, statuses.get(error.code, 400), media_type="text/plain; charset=utf-8")
        stamp = f"{result.start or ''}_{result.end or ''}".strip("_") or "all"
        if kind == "csv":
            disposition = f"attachment; filename=overview-{stamp}.csv"
            body, media = report.to_csv(result), "text/csv; charset=utf-8"
        elif kind == "xlsx":
            disposition = f"attachment; filename=overview-{stamp}.xlsx"
            body, media = report.to_xlsx(result), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            assert month is not None
            return HTMLResponse(report.report_html(result, month, "/overview"), headers={**headers, **DOSSIER_HEADERS})
        return Response(body, media_type=media, headers={**headers, "Content-Disposition": disposition})

    return [
        Route("/overview.csv", answer, methods=["GET"]),
        Route("/overview.xlsx", answer, methods=["GET"]),
        Route("/overview/report", answer, methods=["GET"]),
    ]


def labels_module() -> bytes:
    """The label catalogue as an ES module, so the pages read the server's words instead of keeping copies."""
    import json

    from consult.domain.labels import as_data

    data = json.dumps(as_data(), ensure_ascii=False, separators=(",", ":"))
    return (
        "// Generated by the server from consult/domain/labels.py: the words for every value of every\n"
        "// vocabulary, by vocabulary and value, in zh-CN and en, with a hint where there is one.\n"
        f"export const LABELS = Object.freeze({data});\n"
    ).encode()


def labels_routes(body: bytes, version: str) -> list[Route]:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        # Revalidated on every load (cheap: a 304 by ETag), so new words reach pages at once after a deploy.
        "Cache-Control": "no-cache",
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
    }
    forever = {**headers, "Cache-Control": "public, max-age=31536000, immutable"}

    async def labels_js(request: Request) -> Response:
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)

    async def labels_js_versioned(request: Request) -> Response:
        if request.path_params["version"] != version:
            return Response(status_code=404)
        return Response(body, media_type="text/javascript; charset=utf-8", headers=forever)

    return [
        Route("/assets/labels.js", labels_js, methods=["GET", "HEAD"]),
        Route("/assets/v/{version}/labels.js", labels_js_versioned, methods=["GET", "HEAD"]),
    ]


def photo_routes(settings: Settings, clock: Callable[[], datetime]) -> list[Route]:
    """GET /photos/{id} (the kept picture) and /photos/{id}/phone (the phone-sized JPEG), for
    whoever may see what the photo shows; everyone else gets the same 404 as for no photo."""
    from consult import blobs, images
    from consult.ids import expect_id
    from consult.services.photos import visible_photo

    store = blobs.store(settings.photo_dir)

    async def serve(request: Request) -> Response:
        pk = expect_id(request.path_params["photo_id"], "Photo")
        token = bearer_token(request)
        actor = (await actor_for_token(token, clock()) if token else None) or ANONYMOUS
        photo = await visible_photo(actor, pk) if pk is not None else None
        if photo is None:
            return Response("没有找到这张照片，或您无权查看。", status_code=404, media_type="text/plain; charset=utf-8")
        phone = request.url.path.endswith("/phone")
        sha = photo.phone_sha256 if phone else photo.sha256
        headers = {
            "ETag": f'"{sha}"',
            # The bytes never change; who may see them can, so browsers keep them privately and not for long.
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cross-Origin-Resource-Policy": "same-origin",
            "Referrer-Policy": "no-referrer",
            "X-Photo-SHA256": sha,
        }
        if f'"{sha}"' in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        data = await store.get(sha)
        if data is None:
            log.error("photo %s: file %s is missing from %s", pk, sha, settings.photo_dir)
            return Response("照片文件缺失，请联系管理员。", status_code=404, media_type="text/plain; charset=utf-8")
        media_type = "image/jpeg" if phone else images.MEDIA_TYPES.get(photo.format, "application/octet-stream")
        return Response(data, media_type=media_type, headers=headers)

    return [
        Route("/photos/{photo_id}", serve, methods=["GET", "HEAD"]),
        Route("/photos/{photo_id}/phone", serve, methods=["GET", "HEAD"]),
    ]


def _same_origin_multipart(request: Any, settings: Settings) -> bool:
    """A multipart POST is a form any site can send; a browser that sends one from elsewhere says
    so in Origin, and only this site's own origin (or a configured one) may upload."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/"):
        return True
    return _same_origin(request, settings)


def _same_origin(request: Any, settings: Settings) -> bool:
    origin = request.headers.get("origin")
    if not origin:
        return True  # not a browser: API clients send no Origin and carry their token themselves
    host = request.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}") or origin in settings.allowed_origins


def _first_screen_card(poll: Any, action: str) -> str:
    """One open vote on a slip's first screen: its question and its choices, as a plain form
    where the kind of vote allows one (a ranked vote waits for the script to order its choices)."""
    from html import escape

    tones = ("yes", "no", "abstain")
    start = (
        f'<article class="card poll first-screen"><h3>{escape(poll.question)}</h3>'
        f'<form method="post" action="{action}" class="first-screen-form">'
        f'<input type="hidden" name="poll" value="{escape(poll.id)}">'
    )
    if poll.kind == "RANKED":
        items = "".join(f"<li>{escape(label)}</li>" for _, label in poll.options)
        return (
            f'<article class="card poll first-screen"><h3>{escape(poll.question)}</h3><ul>{items}</ul>'
            '<p class="muted">这是排序投票：页面读取完后，请按您的喜好依次点选。</p></article>'
        )
    if poll.kind == "MULTIPLE_CHOICE":
        most = poll.max_choices or len(poll.options)
        boxes = "".join(
            f'<label class="check"><input type="checkbox" name="option" value="{escape(option_id)}">'
            f"{escape(label)}</label>"
            for option_id, label in poll.options
        )
        return (
            f"{start}<fieldset><legend>最多选 {most} 项</legend>{boxes}</fieldset>"
            '<button type="submit">下一步</button></form></article>'
        )
    buttons = "".join(
        f'<button type="submit" name="option" value="{escape(option_id)}" '
        f'class="{tones[i] if poll.kind == "YES_NO_ABSTAIN" and i < 3 else "secondary"}">'
        f"<span>{escape(label)}</span></button>"
        for i, (option_id, label) in enumerate(poll.options)
    )
    return f'{start}<div class="vote-buttons">{buttons}</div></form></article>'


def first_screen_html(page: str, screen: Any, code: str) -> str:
    """The slip page with its open votes already in it: readable, and tappable as a plain form,
    before any script has arrived. The script then draws the whole page over it."""
    from html import escape
    from urllib.parse import quote

    action = f"/i/{quote(code, safe='')}/choose"
    cards = [_first_screen_card(poll, action) for poll in screen.polls]
    section = f"<section><h2>居民表决</h2>{''.join(cards)}</section>" if cards else ""
    # The header the script draws, in outline and of the same height, so nothing moves when it arrives.
    header = '<header class="top"><a href="/" class="home">基层协商</a></header>'
    main = header + (
        f'<main id="main" data-first-screen="{escape(screen.consultation_id)}">'
        f'<h1>{escape(screen.title)}</h1><p class="muted">{escape(screen.location)}</p>{section}'
        '<p class="loading" role="status">正在读取其余内容……网络慢时请稍等。</p></main>'
    )
    return re.sub(r'<main id="main">.*?</main>', lambda _m: main, page, count=1, flags=re.S)


def slip_routes(settings: Settings, clock: Callable[[], datetime], version: str) -> list[Route]:
    """GET /i/{code}: the slip page with its open votes in the HTML; POST /i/{code}/choose: a choice
    tapped before the page's script arrived redeems the slip and opens the confirmation."""
    from urllib.parse import quote

    from starlette.responses import RedirectResponse

    from consult.errors import DomainError
    from consult.services import accounts
    from consult.services.base import ServiceContext
    from consult.services.first_screen import slip_first_screen

    page = versioned((STATIC_DIR / "consultation.html").read_text(encoding="utf-8"), version)

    def context(request: Request) -> ServiceContext:
        return ServiceContext(settings=settings, clock=clock, client_key=client_key(request, settings))

    async def slip_page(request: Request) -> Response:
        code = request.path_params["code"]
        screen = await slip_first_screen(context(request), code) if len(code) <= 64 else None
        html = first_screen_html(page, screen, code) if screen is not None else page
        # same-origin, not no-referrer: a browser then names this site as the Origin of the form's POST
        # (under no-referrer it sends "null", which choose refuses); other sites still get no referrer.
        headers = {**page_headers(request), "Cache-Control": "no-store", "Referrer-Policy": "same-origin"}
        return Response(html.encode(), media_type="text/html; charset=utf-8", headers=headers)

    async def choose(request: Request) -> Response:
        code = request.path_params["code"]
        if not _same_origin(request, settings):
            return Response("只接受本站页面发出的请求。", status_code=403, media_type="text/plain; charset=utf-8")
        form = await request.form(max_files=0, max_fields=40)
        poll = str(form.get("poll") or "")[:100]
        # one choice, or the ticked boxes of a multiple-choice vote, comma-separated in the address
        option = ",".join(str(o)[:100] for o in form.getlist("option")[:30])
        try:
            login = await accounts.redeem_invitation(context(request), code=code)
        except DomainError:
            # The page says why, as it does for a slip link opened with its script.
            return RedirectResponse(f"/i/{quote(code, safe='')}", status_code=303)
        from consult.ids import to_global_id
        from consult.models import Consultation

        target = "/party" if login.consultation_id is None else "/"
        if (
            login.consultation_id is not None
            and await Consultation.filter(id=login.consultation_id, published=True).exists()
        ):
            cid = to_global_id("Consultation", login.consultation_id)
            target = f"/c/{quote(cid, safe='')}#choose={quote(poll, safe='')}.{quote(option, safe=',')}"
        response = RedirectResponse(target, status_code=303)
        lifetime = int((login.session.expires_at - login.session.created_at).total_seconds())
        set_session_cookies(response, login.token, max_age=lifetime, secure=settings.cookie_secure)
        return response

    return [
        Route("/i/{code}", slip_page, methods=["GET", "HEAD"]),
        Route("/i/{code}/choose", choose, methods=["POST"]),
    ]


async def healthz(request: Request) -> JSONResponse:
    """200 only when the database answers a query."""
    try:
        await get_connection("default").execute_query("SELECT 1")
    except Exception as error:
        log.warning("health check failed: %s", error)
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "up"})


# The pages of the web frontend: path patterns and the HTML file each one serves.
PAGES = {
    "/": "index.html",
    "/i/{code}": "consultation.html",
    "/c/": "consultation.html",
    "/c/{consultation_id}": "consultation.html",
    "/login": "login.html",
    "/board": "board.html",
    "/party": "party.html",
    "/console": "console.html",
    "/console/{consultation_id}": "console.html",
    "/overview": "overview.html",
}
# Pages load only their own scripts and styles and talk only to this server.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'{sockets}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# The dossier is a printable document: its own inline styles, nothing to run, nothing to frame it.
DOSSIER_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def _same_host_sockets(request: Any) -> str:
    """WebSockets to this same host, spelled out for browsers whose 'self' does not cover ws:/wss: yet."""
    host = request.headers.get("host", "")
    return f" ws://{host} wss://{host}" if _HOST_RE.match(host) else ""


def page_headers(request: Request) -> dict[str, str]:
    """The pages' security headers. WebSockets are allowed to this same host only."""
    return {
        "Content-Security-Policy": PAGE_POLICY.format(sockets=_same_host_sockets(request)),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


class RedactInvitationCodes(logging.Filter):
    """Access logs show /i/… instead of the code: a logged code could be redeemed by whoever reads the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and args[2].startswith("/i/"):
            record.args = (*args[:2], "/i/…", *args[3:])
        return True


def redact_invitation_codes_in_access_logs() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactInvitationCodes) for f in access.filters):
        access.addFilter(RedactInvitationCodes())


def asset_version(labels: bytes) -> str:
    """One name for this build of the pages' scripts and styles: the hash of every file under
    /assets and of the label module. A deploy that changes any of them changes the name."""
    digest = hashlib.sha256(labels)
    for path in sorted((STATIC_DIR / "assets").rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


_STATIC_IMPORT = re.compile(r'^\s*(?:import|export)\b[^;"\']*?from\s+"\./([\w.-]+\.js)"', re.MULTILINE)
_ENTRY = re.compile(r'<script type="module" src="/assets/([\w.-]+\.js)"></script>')


def module_closure(entry: str) -> list[str]:
    """Every module an entry script imports, directly or not, in the order they are met."""
    seen: list[str] = []
    pending = [entry]
    while pending:
        name = pending.pop(0)
        path = STATIC_DIR / "assets" / name
        source = path.read_text(encoding="utf-8") if path.exists() else ""
        for found in _STATIC_IMPORT.findall(source):
            if found not in seen and found != entry:
                seen.append(found)
                pending.append(found)
    return seen


def versioned(html: str, version: str) -> str:
    """A page's references to /assets/… point at this build's immutable copies instead, and
    every module its script imports is announced at once (modulepreload): a slow phone fetches
    them side by side in one round trip, not one level of imports after another."""
    entry = _ENTRY.search(html)
    if entry:
        preloads = "".join(
            f'\n  <link rel="modulepreload" href="/assets/{name}">' for name in module_closure(entry.group(1))
        )
        html = html.replace(entry.group(0), entry.group(0) + preloads)
    return html.replace('"/assets/', f'"/assets/v/{version}/')


def page_routes(version: str) -> list[Route]:
    def serve(filename: str) -> Callable[[Request], Any]:
        body = versioned((STATIC_DIR / filename).read_text(encoding="utf-8"), version).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'

        async def page(request: Request) -> Response:
            headers = {**page_headers(request), "ETag": etag}
            if etag in request.headers.get("if-none-match", ""):
                return Response(status_code=304, headers=headers)
            return Response(body, media_type="text/html; charset=utf-8", headers=headers)

        return page

    return [Route(path, serve(filename), methods=["GET", "HEAD"]) for path, filename in PAGES.items()]


def resident_worker_route(version: str) -> Route:
    """GET /sw.js: the resident page's service worker (frontend_static/sw.js), naming this build's
    page and the files it needs. Its bytes change with any of them, which is how a phone learns
    of a new build; it is itself never cached long."""
    shell = versioned((STATIC_DIR / PAGES["/c/"]).read_text(encoding="utf-8"), version)
    entry = _ENTRY.search((STATIC_DIR / PAGES["/c/"]).read_text(encoding="utf-8"))
    names = ["app.css", *([entry.group(1), *module_closure(entry.group(1))] if entry else [])]
    files = [f"/assets/v/{version}/{name}" for name in names]
    build = hashlib.sha256((version + shell).encode()).hexdigest()[:16]
    body = (
        (STATIC_DIR / "sw.js")
        .read_text(encoding="utf-8")
        .replace('"__BUILD__"', json.dumps(build))
        .replace("__FILES__", json.dumps(files))
        .encode()
    )
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}

    async def worker(request: Request) -> Response:
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)

    return Route("/sw.js", worker, methods=["GET", "HEAD"])


class BuildAssets:
    """This build's scripts and styles under /assets/v/<build>/: read once at start, served without
    their comments (consult/lean.py), and cached for a year, since their address names their content."""

    TYPES: ClassVar[dict[str, str]] = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
    HEADERS: ClassVar[dict[str, str]] = {
        "Cache-Control": "public, max-age=31536000, immutable",
        "X-Content-Type-Options": "nosniff",
    }

    def __init__(self, folder: Path) -> None:
        from consult.lean import lean_script, lean_style

        self.files: dict[str, tuple[bytes, str]] = {}
        for path in sorted(folder.iterdir()):
            kind = self.TYPES.get(path.suffix)
            if path.is_file() and kind:
                text = path.read_text(encoding="utf-8")
                lean = lean_script(text) if path.suffix == ".js" else lean_style(text)
                self.files[path.name] = (lean.encode(), kind)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        found = self.files.get(scope["path"][len(scope.get("root_path", "")) :].lstrip("/"))
        if scope["method"] not in ("GET", "HEAD") or found is None:
            response = Response("Not Found", status_code=404, media_type="text/plain")
        else:
            body, kind = found
            response = Response(body, media_type=kind, headers=self.HEADERS)
            if scope["method"] == "HEAD":
                response = Response(b"", media_type=kind, headers={**self.HEADERS, "Content-Length": str(len(body))})
        await response(scope, receive, send)


def bench_routes() -> list[Route]:
    """GET /_bench/stats: this worker's SQL statement count, served only under `consult bench`."""
    from consult import sqlstats

    if not sqlstats.enabled():
        return []

    async def stats(request: Any) -> JSONResponse:
        return JSONResponse({"pid": os.getpid(), "statements": sqlstats.statements})

    return [Route("/_bench/stats", stats)]


class VendorFiles(StaticFiles):
    """node_modules, of which only the browser builds consult.static names are served."""

    async def get_response(self, path: str, scope: Any) -> Response:
        if not vendor_served(path.replace(os.sep, "/")):
            return Response("Not Found", status_code=404, media_type="text/plain")
        return await super().get_response(path, scope)


def metrics_routes(settings: Settings) -> list[Route]:
    """GET /metrics (consult.metrics), unless CONSULT_METRICS=off, when it is not there at all (404)."""
    if settings.metrics == "off":
        return []
    return [Route("/metrics", metrics.Endpoint(settings.metrics, settings.metrics_token), methods=["GET", "HEAD"])]


def create_app(
    settings: Settings | None = None, *, manage_database: bool = True, clock: Callable[[], datetime] = utcnow
) -> Starlette:
    """Build the app. Tests that own the database connection pass manage_database=False, and
    tests that need exact deadlines pass their own clock. Without all of its pages' files the
    app is not built at all (instead of answering 404 or 500 for them later)."""
    from schema import build_schema

    if missing := missing_files():
        raise RuntimeError(missing_files_message(missing))
    settings = settings or get_settings()
    redact_invitation_codes_in_access_logs()
    labels = labels_module()
    version = asset_version(labels)
    anchors.configure(settings.anchor_file, settings.anchor_url, settings.anchor_token)
    graphql = ConsultGraphQL(
        build_schema(mask_errors=not settings.debug, introspection=settings.introspection),
        settings,
        clock,
        graphql_ide="graphiql" if settings.graphiql else None,
        keep_alive=True,
        allowed_origins=settings.allowed_origins,
        multipart_uploads_enabled=True,
    )
    graphql.ide_page = versioned((STATIC_DIR / "graphiql.html").read_text(encoding="utf-8"), version)
    routes = [
        *bench_routes(),
        *metrics_routes(settings),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/dossiers/{consultation_id}.html", dossier_page),
        *overview_routes(settings, clock),
        *photo_routes(settings, clock),
        *slip_routes(settings, clock, version),
        *page_routes(version),
        resident_worker_route(version),
        *labels_routes(labels, version),
        # This build's scripts and styles under a name made of their content, cached for a year and
        # without their comments; the plain /assets/… addresses stay as written, revalidated on each load.
        Mount(f"/assets/v/{version}", BuildAssets(STATIC_DIR / "assets"), name="assets-v"),
        Mount("/assets", StaticFiles(directory=STATIC_DIR / "assets"), name="assets"),
        # Only the browser builds of graphql-ws and GraphiQL, not the rest of node_modules.
        Mount("/vendor", VendorFiles(directory=VENDOR_DIR), name="vendor"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        if manage_database:
            async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
                bus = (
                    events.PostgresEventBus(settings.database_url)
                    if is_postgres(settings.database_url)
                    else events.EventBus()
                )
                await bus.start()
                events.use(bus)
                ticker = asyncio.create_task(_poll_clock(settings, clock))
                reminding = reminder_scheduler(settings, clock)
                try:
                    yield
                finally:
                    ticker.cancel()
                    if reminding is not None:
                        reminding.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await reminding
                    await bus.stop()
                    outbound = anchors.channel()
                    if outbound is not None:
                        await outbound.drain()
        else:
            yield

    return Starlette(
        routes=routes,
        lifespan=lifespan,
        debug=settings.debug,
        middleware=[
            # Outermost: every request gets its ID, its count and its time, whatever answers it.
            Middleware(metrics.Observed, access_lines=settings.log_format == "json"),
            # Text answers (pages, scripts, GraphQL JSON) go compressed to whoever accepts gzip;
            # photos and other compressed types are left as they are.
            Middleware(GZipMiddleware, minimum_size=1024, compresslevel=5),
            Middleware(BodyLimit, max_bytes=settings.max_body_bytes),
            Middleware(TimeBudget, seconds=settings.request_seconds),
        ],
    )


def app_factory() -> Starlette:
    """For uvicorn --factory: each worker builds its own app from the environment."""
    return create_app()
