"""The ASGI application of ``outsafe serve``: Starlette, one route table, one guard.

    web = WebApp(home)                         # the archive, sessions, cache and jobs of one server
    app = web.server.create_app(home)          # the Starlette app (web.server: routes from web.views)

Every page and its JSON twin under ``/api`` goes through :meth:`WebApp.guard`, the one place
where a request is checked: a signed session cookie naming a live session (else the sign-in page,
or 401 for the API), the capability the route needs (else 403), and a CSRF token on every
state-changing request (else 403). What a signed-in account may *see* is its scope
(archive.access.scope), which the handlers pass to the library calls; a record outside it is 404,
exactly as a missing one. Handlers (web.views) are thin: read parameters, call the library the
command line calls, hand the result to a template and to the JSON twin.

Library calls are synchronous and run in Starlette's thread pool; each thread has its own
archive connection (:class:`Archives`). Long work (packages) runs as jobs (web.jobs).
"""

from __future__ import annotations

import hashlib
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from archive.access.signin import Viewer, csrf_ok, unsign_token, viewer_for
from archive.app import Archive
from archive.integrity import keys
from archive.campaign.dashboard import ViewCache
from archive.clock import SYSTEM, Clock
from archive.errors import NotFound, OutsafeError
from archive.privacy import mask_text
from schemas.days import FIRST_DAY, LAST_DAY, day_in_range
from archive.search.index import open_index
from archive.text import whole_number
from storage.errors import StorageError
from web.jobs import Jobs
from web.render import environment, json_bytes

SAFE_METHODS = ("GET", "HEAD")
FORM_MAX_BYTES = 64 * 1024
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'self'; frame-src 'self'; "
       "frame-ancestors 'self'; base-uri 'none'; form-action 'self'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"geolocation=(), microphone=(), camera=()"),
]


class Archives:
    """One archive connection per thread (a SQLite connection and a search index reader each)."""

    def __init__(self, home: Path, passphrase: str | None, clock: Clock) -> None:
        self.home = home
        self.passphrase = passphrase
        self.clock = clock
        self._local = threading.local()
        self._all: list[tuple[Archive, Any]] = []
        self._lock = threading.Lock()

    def provider(self, confirm: bool) -> str | None:
        """The signing key's passphrase: the one given at start, else $OUTSAFE_PASSPHRASE."""
        return self.passphrase if self.passphrase is not None else keys.env_passphrase(confirm)

    def open(self) -> Archive:
        return Archive.open(self.home, passphrase=self.provider, clock=self.clock)

    def get(self) -> Archive:
        a = getattr(self._local, "archive", None)
        if a is None:
            a = self.open()
            self._local.archive = a
            self._local.index = None
            with self._lock:
                self._all.append((a, self._local))
        return a

    def index(self) -> Any:
        """This thread's search index reader, kept open between requests."""
        self.get()
        if self._local.index is None:
            self._local.index = open_index(self._local.archive)
        return self._local.index

    def close(self) -> None:
        with self._lock:
            for a, local in self._all:
                if getattr(local, "index", None) is not None:
                    local.index.close()
                a.close()
            self._all.clear()


@dataclass
class Page:
    """What a handler returns: a template and its context for the page, and the JSON twin's data
    (``data`` of None: the page has no twin)."""

    template: str
    context: dict = field(default_factory=dict)
    data: Any = None
    status: int = 200


@dataclass
class Ctx:
    """One request, as a handler sees it."""

    request: Request
    viewer: Viewer
    web: "WebApp"
    form: dict[str, str]
    api: bool

    @property
    def archive(self) -> Archive:
        return self.web.archives.get()

    @property
    def address(self) -> str | None:
        return client_address(self.request)

    def param(self, name: str, default: str | None = None) -> str | None:
        value = self.form.get(name) if name in self.form else self.request.query_params.get(name)
        if value is None:
            return default
        value = value.strip()
        return value if value else default

    def day(self, name: str) -> date | None:
        value = self.param(name)
        if value is None:
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise BadRequest(f"日期格式应为 YYYY-MM-DD：{name}={value[:20]} (not a date)") from None
        if not day_in_range(day):
            raise BadRequest(f"日期超出可用范围 {FIRST_DAY} – {LAST_DAY}：{name}={value} (a day out of range)")
        return day

    def number(self, name: str, default: int, lo: int = 1, hi: int = 10_000) -> int:
        value = self.param(name)
        if value is None:
            return default
        number = whole_number(value.strip(), 12)
        if number is None:
            raise BadRequest(f"应为数字：{name} (not a number)")
        return max(lo, min(hi, number))


LIST_ROWS = 50  # rows of a long list on one page: a rule's findings, rectification items, a dossier's timeline, tickets (the JSON twin has them all)


def paged(ctx: Ctx, rows: Sequence, param: str = "page", size: int | None = None) -> dict:
    """One page of ``rows`` for the template's ``pager`` macro: the page ``?{param}=`` asks for (the
    last one when past the end), how many there are, and the addresses of its neighbours — the
    request's own with only ``param`` changed, so a page's other lists and filters stay as they were."""
    size = size or LIST_ROWS
    total = len(rows)
    pages = max(1, -(-total // size))
    page = ctx.number(param, 1, 1, pages)
    start = (page - 1) * size

    def href(n: int) -> str:
        return address(ctx, drop=(param,), add={param: str(n)} if n > 1 else {})

    return {"rows": rows[start:start + size], "page": page, "pages": pages, "total": total,
            "prev": href(page - 1) if page > 1 else None, "next": href(page + 1) if page < pages else None}


def address(ctx: Ctx, *, drop: Sequence[str] = (), add: dict[str, str] | None = None) -> str:
    """This request's address with the query parameters ``drop`` left out and ``add`` set (a pager's
    neighbour, a filter's link): the other parameters keep their values and order."""
    query = [(k, v) for k, v in ctx.request.query_params.multi_items() if k not in drop and k not in (add or {})]
    query += list((add or {}).items())
    return ctx.request.url.path + (f"?{urlencode(query)}" if query else "")


class BadRequest(OutsafeError):
    pass


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


class WebApp:
    def __init__(self, home: Path, *, passphrase: str | None = None, clock: Clock = SYSTEM) -> None:
        self.home = Path(home)
        self.clock = clock
        self.archives = Archives(self.home, passphrase, clock)
        first = self.archives.get()  # fails now, clearly, if there is no archive here
        self.settings = first.settings
        self.owner_name = first.owner_name
        self.owner_uscc = first.owner_uscc
        self.owner_role = first.catalog.get_meta("owner_role") or ""
        archive_id = first.catalog.get_meta("archive_id") or str(self.home)
        self.cookie_name = "outsafe_session_" + hashlib.sha256(archive_id.encode()).hexdigest()[:8]
        self.login_cookie = "outsafe_login_" + hashlib.sha256(archive_id.encode()).hexdigest()[:8]
        self.cache = ViewCache()
        self.jobs = Jobs(first.home.tmp_dir)
        self.env = environment()
        self.env.globals.update(owner_name=self.owner_name, owner_uscc=self.owner_uscc, owner_role=self.owner_role)

    # --- responses -------------------------------------------------------------------------------

    def html(self, template: str, context: dict, *, status: int = 200, viewer: Viewer | None = None,
             request: Request | None = None) -> HTMLResponse:
        ctx = {"viewer": viewer, "path": request.url.path if request else "", **context}
        page = mask_text(self.env.get_template(template).render(**ctx))  # the one masking point of every page (see json)
        return HTMLResponse(page, status_code=status, headers={"cache-control": "no-store"})

    def json(self, data: Any, *, status: int = 200) -> Response:
        """``data`` as JSON, every 身份证号 in it masked. Like the command line's serialiser, the one
        point every page and JSON twin passes: a number typed into a hazard's description, a
        ticket's place, a search box or an address is never sent back in clear, whichever view
        forgot it (official documents, downloaded as files, print what their forms show)."""
        body = mask_text(json_bytes(data).decode("utf-8")).encode("utf-8")
        return Response(body, status_code=status, media_type="application/json; charset=utf-8", headers={"cache-control": "no-store"})

    def error(self, request: Request, status: int, lines: list[str], viewer: Viewer | None = None) -> Response:
        titles = {400: "请求有误", 401: "请先登录", 403: "无权访问", 404: "没有找到", 405: "不支持的请求", 411: "请求缺少长度", 413: "文件过大",
                  429: "请稍后再试", 500: "服务器内部错误", 503: "档案暂不可用"}
        title = titles.get(status, "出错了")
        if request.url.path.startswith("/api/"):
            return self.json({"error": lines[0] if lines else title, "details": lines[1:], "status": status}, status=status)
        return self.html("error.html", {"title": title, "status": status, "lines": lines}, status=status, viewer=viewer,
                         request=request)

    # --- the guard: the one place a request is checked ------------------------------------------

    def guard(self, handler: Callable[[Ctx], Any], capability: str | None = "read") -> Callable:
        """The endpoint of a route: session, capability, CSRF; then the handler in the thread pool."""

        async def endpoint(request: Request) -> Response:
            form: dict[str, str] = {}
            if request.method not in SAFE_METHODS and getattr(handler, "streams_body", False) is False:
                length = request.headers.get("content-length")
                if length is not None and whole_number(length, default=FORM_MAX_BYTES + 1) > FORM_MAX_BYTES:
                    return self.error(request, 413, ["表单过大 (form too large)"])
                ctype = request.headers.get("content-type", "")
                if ctype.startswith("application/x-www-form-urlencoded"):
                    if length is None:  # a chunked body would be read whole before anything is checked, past the limit
                        return self.error(request, 411, ["请求缺少长度 (Content-Length required)"])
                    parsed = await request.form(max_files=0, max_fields=100)
                    form = {k: v for k, v in parsed.items() if isinstance(v, str)}
            if getattr(handler, "streams_body", False):
                # an upload: session and capability here; its CSRF token is the stream's first field,
                # checked by the receiver before any byte of the file is written (web.uploads)
                viewer, refused = await run_in_threadpool(self.check, request, capability, form, False)
                if refused is not None:
                    return refused
                return await handler(self, request, viewer)
            return await run_in_threadpool(self._call, request, handler, capability, form)

        endpoint.__name__ = handler.__name__
        return endpoint

    def secure(self, request: Request) -> bool:
        """Whether the browser reaches this server over TLS: the request says https, or the server
        is reached through a TLS proxy at ``web_base_url`` (https://…) while it is itself spoken to
        in plain http. Cookies are then sent back over TLS only (``Secure``)."""
        return request.url.scheme == "https" or self.settings.web_base_url.lower().startswith("https://")

    def viewer(self, request: Request) -> Viewer | None:
        archive = self.archives.get()
        return viewer_for(archive, unsign_token(archive, request.cookies.get(self.cookie_name)))

    def check(self, request: Request, capability: str | None, form: dict[str, str],
              csrf: bool = True) -> tuple[Viewer | None, Response | None]:
        """(viewer, None) when the request may go on; (viewer or None, the refusal) otherwise."""
        api = request.url.path.startswith("/api/")
        viewer = self.viewer(request)
        if viewer is None:
            if api or not is_navigation(request):
                # an image, a script or a page's background fetch sent to the sign-in page would
                # be of no use to it, and its answer would replace the sign-in form's cookie
                return None, self.error(request, 401, ["请先登录 (sign in first)"])
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return None, RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        if capability is not None and not viewer.can(capability):
            return viewer, self.error(request, 403, ["您的账号无权使用此功能 (your account may not use this)"], viewer)
        if request.method not in SAFE_METHODS:
            token = form.get("csrf_token") or request.headers.get("x-csrf-token")
            if (csrf and not csrf_ok(viewer, token)) or not same_origin(request):
                return viewer, self.error(request, 403, ["表单已失效或不是本站发出的，请刷新页面后重试 (CSRF token missing or wrong)"], viewer)
        return viewer, None

    def _call(self, request: Request, handler: Callable[[Ctx], Any], capability: str | None, form: dict[str, str]) -> Response:
        viewer = None
        try:
            viewer, refused = self.check(request, capability, form)
            if refused is not None:
                return refused
            assert viewer is not None
            api = request.url.path.startswith("/api/")
            out = handler(Ctx(request, viewer, self, form, api))
            if isinstance(out, Response):
                return out
            if api:
                if out.data is None:
                    return self.error(request, 404, ["没有找到 (not found)"], viewer)
                return self.json(out.data, status=out.status)
            return self.html(out.template, {**out.context, "csrf": viewer.csrf_token}, status=out.status, viewer=viewer,
                             request=request)
        except NotFound as e:
            return self.error(request, 404, e.lines(), viewer)
        except (OutsafeError, StorageError) as e:
            return self.error(request, 400, [str(x) for x in e.lines()], viewer)
        except Exception:  # noqa: BLE001 — a bug: logged on the server, never shown to the client
            traceback.print_exc(file=sys.stderr)
            return self.error(request, 500, ["服务器内部错误，已记录在服务器日志中 (internal error)"], viewer)

    def close(self) -> None:
        self.jobs.close()
        self.archives.close()


def is_navigation(request: Request) -> bool:
    """A page the browser will show (a link followed, an address typed, a form sent), not what a
    page loads for itself: its images, scripts and background fetches. Browsers say so in
    Sec-Fetch-Mode/Sec-Fetch-Dest (on https and localhost); elsewhere an image asks for images
    first. A client that says neither (curl, a script) is taken as navigating."""
    mode = request.headers.get("sec-fetch-mode")
    if mode is not None:
        return mode == "navigate" and request.headers.get("sec-fetch-dest", "document") in ("document", "iframe", "frame")
    return not request.headers.get("accept", "").startswith("image/")


def same_origin(request: Request) -> bool:
    """A state-changing request from a browser names this site as its origin (when it names one)."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every response (pages, JSON, files, errors)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [(k, v) for k, v in SECURITY_HEADERS if k not in have]
            await send(message)

        await self.app(scope, receive, send_with_headers)


__all__ = ["WebApp", "Ctx", "Page", "BadRequest", "SecurityHeaders", "Archives"]
