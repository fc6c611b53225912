"""``outsafe serve``: the Starlette application (:func:`create_app`) served by uvicorn (:func:`run`).

Why Starlette + Jinja2 + uvicorn: a small, explicit ASGI toolkit whose routes, middleware and
responses are plain objects (no framework magic between a request and the library call); sync
library calls run in its thread pool; uvicorn is a production ASGI server that needs no C build
or Node step. FastAPI would add a second validation layer beside the marshmallow schemas; Flask
would need a separate WSGI server and thread model for the same result. Everything — templates,
CSS, the one small script — is served from the package itself (no CDN).
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from archive.clock import SYSTEM, Clock
from web import views
from web.app import SecurityHeaders, WebApp
from web.follower import Follower
from web.preparer import Preparer
from web.render import STATIC


def create_app(home: Path, *, passphrase: str | None = None, clock: Clock = SYSTEM, anchor: bool = False,
               follow: bool = False, prepare: bool = False) -> Starlette:
    """The application over the archive at ``home``. ``anchor``: anchor the access log in the
    ledger every ``access_log_anchor_minutes`` and when the application stops (the server does).
    ``follow``: keep this node's search index caught up with the catalog every
    ``index_follow_seconds`` (web.follower; the server does). ``prepare``: keep the day's views
    ready, computed ahead in a process of its own (web.preparer; the server does)."""
    web = WebApp(home, passphrase=passphrase, clock=clock)
    routes = views.routes(web) + [Mount("/static", app=StaticFiles(directory=str(STATIC)), name="static")]
    anchorer = views.Anchorer(web) if anchor else None
    follower = Follower(web) if follow else None
    preparer = Preparer(web) if prepare else None

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        return web.error(request, status, ["没有这个页面 (no such page)"] if status == 404 else ["不支持的请求 (not allowed)"])

    async def server_error(request: Request, exc: Exception) -> Response:
        traceback.print_exception(exc, file=sys.stderr)
        return web.error(request, 500, ["服务器内部错误，已记录在服务器日志中 (internal error)"])

    @asynccontextmanager
    async def lifespan(app: Starlette):
        if anchorer is not None:
            anchorer.start()
        if follower is not None:
            follower.start()
        if preparer is not None:
            preparer.start()
        try:
            yield
        finally:
            if preparer is not None:
                await run_in_threadpool(preparer.stop)
            if follower is not None:
                await run_in_threadpool(follower.stop)
            if anchorer is not None:
                await run_in_threadpool(anchorer.stop)
            await run_in_threadpool(web.close)

    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, 500: server_error}, lifespan=lifespan)
    app.add_middleware(SecurityHeaders)
    app.state.web = web
    app.state.follower = follower
    app.state.preparer = preparer
    return app


SERVE_HOME = "OUTSAFE_SERVE_HOME"  # the archive home a worker process of `outsafe serve --workers N` serves


def _tune_gc() -> None:
    """A server holds many long-lived objects (caches of views and snippet texts); Python's default
    collector then walks them all every few thousand allocations, pausing every request for tens
    of milliseconds. Collect the young generation less often and the whole heap rarely; what was
    loaded at start is moved out of the collector's way."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def worker_app() -> Starlette:
    """The application of one worker process of ``outsafe serve --workers N`` (uvicorn's factory:
    the home from $OUTSAFE_SERVE_HOME, the key's passphrase from $OUTSAFE_PASSPHRASE, both set by
    :func:`run` in the process that starts the workers)."""
    from archive.integrity import keys

    app = create_app(Path(os.environ[SERVE_HOME]), passphrase=keys.env_passphrase(False), anchor=True, follow=True, prepare=True)
    _tune_gc()
    return app


def run(home: Path, *, host: str = "127.0.0.1", port: int = 8080, passphrase: str | None = None,
        notify: Callable[[str], None] | None = None, workers: int = 1) -> None:
    """Serve until Ctrl-C. The passphrase (when the key is encrypted) is checked before listening.

    ``workers`` > 1: that many server processes share the port (uvicorn's supervisor restarts one
    that dies). Python runs one request at a time per process, so on a machine of several cores
    they answer more requests at once; everything a request needs is in the archive (sessions,
    drafts, exams, the kept views on disk, a job's progress: web.jobs), so any process can answer
    any request. The processes get the passphrase through their environment ($OUTSAFE_PASSPHRASE,
    readable only by this account, as when it is given that way)."""
    import uvicorn  # lazy: only the server needs it

    from archive.app import Archive
    from archive.errors import OutsafeError

    say = notify or (lambda msg: print(msg, file=sys.stderr))
    probe = Archive.open(home, passphrase=lambda confirm: passphrase)
    try:
        if not probe.key_insecure:
            try:
                probe.signer()
            except OutsafeError as e:
                say(f"警告/warning: 签名私钥不可用，导出和访问日志锚定将失败 (signing key unavailable: {e.message})")
        owner = probe.owner_name
        accounts = len(probe.catalog.accounts.accounts())
        proxies = [p.strip() for p in probe.settings.web_trusted_proxies]
    finally:
        probe.close()
    shown = f"[{host}]" if ":" in host else host
    # the visitor's address and scheme: the connection's, unless it comes from a proxy named in
    # web_trusted_proxies — then what that proxy says (X-Forwarded-For / -Proto): behind nginx every
    # request would otherwise come from the proxy, and 20 failed sign-ins from anyone would throttle
    # every visitor, and the access log would name no one
    forwarded = dict(proxy_headers=True, forwarded_allow_ips=",".join(proxies)) if proxies else dict(proxy_headers=False)
    options = dict(host=host, port=port, log_level="warning", access_log=False, server_header=False, date_header=True, **forwarded,
                   limit_concurrency=200, timeout_keep_alive=5)
    processes = f"{workers} 个进程 / processes; " if workers > 1 else ""
    say(f"outsafe serve: {owner} — http://{shown}:{port}/  （{processes}Ctrl-C 停止 / to stop）")
    if not accounts:
        say("还没有网页账号 (no web accounts yet): outsafe user add NAME --role ROLE [--org USCC]")
    if workers > 1:
        os.environ[SERVE_HOME] = str(Path(home).resolve())
        if passphrase is not None:
            os.environ["OUTSAFE_PASSPHRASE"] = passphrase
        uvicorn.run("web.server:worker_app", factory=True, workers=workers, **options)
        return
    app = create_app(home, passphrase=passphrase, anchor=True, follow=True, prepare=True)
    _tune_gc()
    uvicorn.Server(uvicorn.Config(app, **options)).run()
