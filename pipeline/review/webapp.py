"""The review web app: Starlette routes and Jinja2 templates over a ``ReviewSession``.

Security: only the configured hosts are answered (DNS-rebinding guard); with an access token
every request needs it (``?token=`` once, then a cookie); every POST needs the CSRF token
(``X-CSRF-Token`` header or ``csrf`` form field); templates autoescape; crops are addressed by
folder number and word index, never by path.

The CSRF token is an HMAC, under a secret created with the app and never sent out, of a random
browser id held in the ``cable_ocr_csrf`` cookie. Cookies are not separated by port, so a page
served from another ``localhost`` port can set that cookie; it still cannot compute the token
that goes with it, so echoing a cookie back is never enough.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from pipeline.errors import BadArgumentsError, InputError, PipelineError
from pipeline.review.decisions import DecisionAction
from pipeline.review.session import ReviewSession, decision_json
from pipeline.review.store import DecisionConflictError

_HERE = Path(__file__).resolve().parent
TOKEN_COOKIE = "cable_ocr_token"
CSRF_COOKIE = "cable_ocr_csrf"
CSRF_HEADER = "x-csrf-token"
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_Next = Callable[[Request], Awaitable[Response]]


class _Guard(BaseHTTPMiddleware):
    """Access token check and security headers."""

    def __init__(self, app: Any, token: str | None) -> None:
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next: _Next) -> Response:
        if self.token is not None:
            given = request.query_params.get("token")
            if given is not None and hmac.compare_digest(given, self.token):
                query = urlencode(
                    [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                )
                target = request.url.path + (f"?{query}" if query else "")
                redirect = RedirectResponse(target, status_code=303)
                redirect.set_cookie(
                    TOKEN_COOKIE, self.token, httponly=True, samesite="strict", path="/"
                )
                return redirect
            cookie = request.cookies.get(TOKEN_COOKIE, "")
            if not hmac.compare_digest(cookie, self.token):
                return PlainTextResponse("access token required (open the URL printed)", 401)
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


_BROWSER_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _browser_id(request: Request) -> str | None:
    """The browser id from the CSRF cookie, or ``None`` when absent or malformed."""
    value = request.cookies.get(CSRF_COOKIE, "")
    if 32 <= len(value) <= 128 and set(value) <= _BROWSER_ID_CHARS:
        return value
    return None


def csrf_token(secret: bytes, browser_id: str) -> str:
    """The CSRF token that goes with ``browser_id``: HMAC-SHA256 under the app's secret.

    Args:
        secret: the app's server-side secret.
        browser_id: the value of the browser's CSRF cookie.
    """
    return hmac.new(secret, browser_id.encode("ascii"), hashlib.sha256).hexdigest()


def _new_csrf(request: Request, secret: bytes) -> tuple[str, str | None]:
    """The page's CSRF token and the browser id to set as a cookie (``None``: keep it)."""
    current = _browser_id(request)
    if current is not None:
        return csrf_token(secret, current), None
    fresh = secrets.token_urlsafe(32)
    return csrf_token(secret, fresh), fresh


async def _check_csrf(request: Request, secret: bytes) -> bool:
    browser_id = _browser_id(request)
    if browser_id is None:
        return False
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf")
        given = value if isinstance(value, str) else None
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), csrf_token(secret, browser_id).encode())


def _error(exc: PipelineError) -> JSONResponse:
    status = 400
    if isinstance(exc, DecisionConflictError):
        status = 409
    elif isinstance(exc, InputError):
        status = 404
    return JSONResponse({"ok": False, "error": str(exc)}, status_code=status)


def create_app(
    session: ReviewSession,
    token: str | None = None,
    allowed_hosts: Sequence[str] | None = None,
) -> Starlette:
    """The review web app for ``session``.

    Args:
        session: the folders under review.
        token: access token every request must carry (``None``: no token).
        allowed_hosts: Host header values answered (without the port; an IPv6 address in
            brackets, e.g. ``[::1]``); by default 127.0.0.1 and localhost without a token
            (a DNS-rebinding guard), any host with one.
    """
    if allowed_hosts is None:
        allowed_hosts = ["*"] if token else ["127.0.0.1", "localhost"]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    templates = Jinja2Templates(env=env)
    secret = secrets.token_bytes(32)

    def page(request: Request, name: str, context: dict[str, Any]) -> Response:
        csrf, fresh = _new_csrf(request, secret)
        response = templates.TemplateResponse(
            request, name, {**context, "csrf": csrf, "reviewer": session.reviewer}
        )
        response.headers["Cache-Control"] = "no-store"
        if fresh is not None:
            response.set_cookie(CSRF_COOKIE, fresh, httponly=True, samesite="strict", path="/")
        return response

    async def index(request: Request) -> Response:
        data = await run_in_threadpool(session.snapshot)
        items = data["items"]
        first = next((i for i in items if i["decision"] is None), items[0] if items else None)
        return page(request, "queue.html", {"data": data, "first": first})

    async def audit(request: Request) -> Response:
        rows = await run_in_threadpool(session.audit)
        return page(request, "audit.html", {"rows": rows})

    async def items(request: Request) -> Response:
        data = await run_in_threadpool(session.snapshot)
        return JSONResponse(data, headers={"Cache-Control": "no-store"})

    async def crop(request: Request) -> Response:
        number = int(request.path_params["folder"])
        index = int(request.path_params["index"])
        try:
            folder, _item = session.item(number, index)
            png = await run_in_threadpool(folder.crops.crop_png, index)
        except PipelineError as exc:
            return PlainTextResponse(str(exc), 404)
        if png is None:
            return PlainTextResponse("no page image for this word", 404)
        return Response(
            png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"}
        )

    async def decide(request: Request) -> Response:
        if not await _check_csrf(request, secret):
            return PlainTextResponse("CSRF token missing or wrong; reload the page", 403)
        try:
            body = await request.json()
            action = DecisionAction(str(body["action"]))
            base = body.get("base_revision")
            result = await run_in_threadpool(
                session.decide,
                int(body["folder"]),
                int(body["index"]),
                action,
                body.get("text"),
                body.get("reviewer"),
                None if base is None else int(base),
                bool(body.get("all_identical", False)),
            )
        except (KeyError, ValueError, TypeError) as exc:
            return _error(BadArgumentsError(f"malformed decision request ({exc})"))
        except DecisionConflictError as exc:
            folder = session.folder(int(body["folder"]))
            current = await run_in_threadpool(folder.store.effective)
            return JSONResponse(
                {
                    "ok": False,
                    "error": str(exc),
                    "decision": decision_json(current.get(int(body["index"]))),
                },
                status_code=409,
            )
        except PipelineError as exc:
            return _error(exc)
        return JSONResponse(
            {
                "ok": True,
                "decision": decision_json(result.decision),
                "also_stored": result.also_stored,
                "also_refused": result.also_refused,
            }
        )

    async def apply(request: Request) -> Response:
        if not await _check_csrf(request, secret):
            return PlainTextResponse("CSRF token missing or wrong; reload the page", 403)
        try:
            results = await run_in_threadpool(session.apply)
        except PipelineError as exc:
            return _error(exc)
        return JSONResponse({"ok": True, "results": [r.line() for r in results]})

    async def favicon(request: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/", index),
        Route("/favicon.ico", favicon),
        Route("/audit", audit),
        Route("/api/items", items),
        Route("/api/decide", decide, methods=["POST"]),
        Route("/api/apply", apply, methods=["POST"]),
        Route("/crop/{folder:int}/{index:int}.png", crop),
        Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)),
        Middleware(_Guard, token=token),
    ]
    return Starlette(routes=routes, middleware=middleware)
