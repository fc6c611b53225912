"""The pages of ``outsafe serve`` and their JSON twins: each handler reads its parameters, calls
the library function the command line calls (with the viewer's scope), and returns a
:class:`~web.app.Page`. Routes are listed in :func:`routes`; the guard (web.app.WebApp.guard)
has checked the session, the capability and the CSRF token before a handler runs.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from archive.access import audit
from archive.access.signin import SignInRefused, SignInThrottled, Viewer, csrf_ok, sign_in, sign_out, sign_token, unsign_token
from archive.app import record_view
from archive.campaign.blacklist import listings
from archive.campaign.calendar import handed_in
from archive.campaign.dashboard import dashboard as build_dashboard
from archive.campaign.dossier import contractor_dossier, contractors_seen
from archive.campaign.rectify import rectification_report
from archive.checks.model import STATUS_NAMES
from archive.checks.rules import RULES_BY_ID, check_archive
from archive.checks.stream import check_overview, check_rule
from archive.errors import NotFound, OutsafeError
from archive.packages.evidence import export_evidence
from archive.packages.export import export_package
from archive.packages.importer import import_package
from archive.privacy import mask_text
from archive.registry import unit_in_archive
from archive.search.query import SearchError
from archive.text import whole_number
from storage.home import safe_name
from web import app, forms
from web.app import BadRequest, Ctx, Page, WebApp, address, client_address, is_navigation, paged, same_origin
from web import training
from web import tickets
from web.jobs import Job, notify_of, progress_of
from web.uploads import UploadRefused, receive_upload

PAGE_SIZE = 10  # results per page (a phone screen or two)
DASHBOARD_ROWS = 20  # rows of each dashboard list on the page (the JSON twin has them all)
CHECK_PREVIEW = 3  # findings of each rule on the checks overview; the rule's own page lists them all, page by page


def scope_of(ctx: Ctx) -> str | None:
    return ctx.viewer.scope.enterprise


# --- sign-in -------------------------------------------------------------------------------------------


def _login_page(web: WebApp, request: Request, *, message: str = "", status: int = 200, name: str = "") -> Response:
    archive = web.archives.get()
    # One nonce per browser while its cookie lasts, not one per page load: any other request that
    # lands here — a second tab, the favicon, a page's background fetch redirected once the session
    # expired — would otherwise replace the cookie under a form already on the screen, and that
    # form would be refused as expired. The nonce still binds the form to this browser's cookie.
    nonce = unsign_token(archive, request.cookies.get(web.login_cookie)) or secrets.token_urlsafe(24)
    nxt = request.query_params.get("next") or ""
    resp = web.html("login.html", {"message": message, "nonce": nonce, "next": safe_next(nxt), "name": name}, status=status,
                    request=request)
    if is_navigation(request):  # what a page loads for itself never replaces the form's cookie
        resp.set_cookie(web.login_cookie, sign_token(archive, nonce), max_age=3600, httponly=True, samesite="strict",
                        secure=web.secure(request), path="/login")
    return resp


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this site only."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 500:
        return "/"
    return value


def login_get(web: WebApp, request: Request) -> Response:
    if web.viewer(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return _login_page(web, request)


async def login(request: Request) -> Response:
    web: WebApp = request.app.state.web
    if request.method in ("GET", "HEAD"):  # HEAD is a GET without the body, never a sign-in
        return await run_in_threadpool(login_get, web, request)
    length = request.headers.get("content-length")
    if length is None:  # a chunked body would be read whole before its size is known
        return web.error(request, 411, ["请求缺少长度 (Content-Length required)"])
    if whole_number(length, default=8193) > 8192:
        return web.error(request, 413, ["表单过大 (form too large)"])
    form = await request.form(max_files=0, max_fields=10)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return await run_in_threadpool(login_post, web, request, fields)


def login_post(web: WebApp, request: Request, form: dict[str, str]) -> Response:
    archive = web.archives.get()
    nonce = unsign_token(archive, request.cookies.get(web.login_cookie))
    if not nonce or form.get("nonce") != nonce or not same_origin(request):
        return _login_page(web, request, message="登录页面已过期，请重新输入 (the sign-in form expired; try again)", status=403)
    name = form.get("username", "")
    try:
        token = sign_in(archive, name, form.get("password", ""), address=client_address(request))
    except SignInThrottled as e:
        return _login_page(web, request, message=e.message, status=429, name=name[:64])
    except SignInRefused as e:
        return _login_page(web, request, message=e.message, status=401, name=name[:64])
    before = web.viewer(request)
    if before is not None:  # signed in over an open session (another account on a shared phone): that one ends now
        sign_out(archive, before, address=client_address(request))
    resp = RedirectResponse(safe_next(form.get("next")), status_code=303)
    resp.set_cookie(web.cookie_name, sign_token(archive, token), max_age=web.settings.web_session_hours * 3600, httponly=True,
                    samesite="lax", secure=web.secure(request), path="/")
    resp.delete_cookie(web.login_cookie, path="/login")
    return resp


def logout(ctx: Ctx) -> Response:
    sign_out(ctx.archive, ctx.viewer, address=ctx.address)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(ctx.web.cookie_name, path="/")
    return resp


def me(ctx: Ctx) -> Page:
    return Page("error.html", {}, ctx.viewer.as_dict())


# --- the dashboard ------------------------------------------------------------------------------------


def dashboard(ctx: Ctx) -> Page:
    as_of = ctx.day("as_of") or ctx.archive.clock.today()
    within = scope_of(ctx)
    board = ctx.web.cache.get(ctx.archive, ("dashboard", within, as_of),
                              lambda: build_dashboard(ctx.archive, as_of=as_of, within=within).as_dict())
    return Page("dashboard.html", {"board": board, "shown": DASHBOARD_ROWS}, board)


# --- search -------------------------------------------------------------------------------------------


SEARCH_FILTERS = ("contractor", "enterprise", "type", "ticket_type", "since", "until")


def search(ctx: Ctx) -> Page:
    q = ctx.param("q") or ""
    filters = {k: ctx.param(k) for k in SEARCH_FILTERS}
    page = ctx.number("page", 1, 1, 50)
    include_all = ctx.param("all") == "1"
    # a 身份证号 typed in the box is searched for, never shown back in clear (DESIGN.md "masked")
    form = {"q": mask_text(q), **{k: mask_text(v or "") for k, v in filters.items()}, "all": include_all}
    if not q and not any(filters.values()):
        return Page("search.html", {"form": form, "results": None, "error": None, "page": 1, "pages": 0},
                    {"query": "", "total": 0, "hits": []})
    try:
        index = ctx.web.archives.index()
        index.refresh()  # what other servers (or the command line) committed since: this node's index catches up
        results = index.search(q, **filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, include_superseded=include_all,
                               within=scope_of(ctx))
    except (SearchError, NotFound) as e:
        if ctx.api:
            raise BadRequest(e.message, hint=e.hint) from e
        return Page("search.html", {"form": form, "results": None, "error": e.lines(), "page": 1, "pages": 0}, status=400)
    pages = min(50, (results.total + PAGE_SIZE - 1) // PAGE_SIZE)
    return Page("search.html", {"form": form, "results": results, "error": None, "page": page, "pages": pages,
                                "query_string": _query_string(form)}, results.as_dict())


def _query_string(form: dict) -> str:
    return "&".join(f"{k}={quote(str(v))}" for k, v in form.items() if v and k != "all") + ("&all=1" if form.get("all") else "")


# --- contractors and their dossiers -----------------------------------------------------------------------


def contractors(ctx: Ctx) -> Page:
    within = scope_of(ctx)
    rows = ctx.web.cache.get(ctx.archive, ("contractors", within), lambda: contractors_seen(ctx.archive, within))  # each page of it, each search
    q = (ctx.param("q") or "")[:100]
    if q:  # a part of the name or of the 统一社会信用代码
        rows = [r for r in rows if q in (r.get("name") or "") or q.upper() in (r.get("uscc") or "")]
    if ctx.api:
        return Page("contractors.html", {}, rows)
    return Page("contractors.html", {"shown": paged(ctx, rows), "q": q})


def contractor(ctx: Ctx) -> Page:
    uscc = ctx.request.path_params["uscc"]
    d = contractor_dossier(ctx.archive, uscc, ctx.day("as_of"), within=scope_of(ctx))
    if ctx.api:
        return Page("contractor.html", {}, d.as_dict())
    data = d.as_dict()  # the timeline newest first: a page of it is the latest records, the next ones older
    return Page("contractor.html", {"d": data, "timeline": paged(ctx, data["timeline"][::-1]),
                                    "certificates": paged(ctx, data["certificates"], "cpage"), "missing": paged(ctx, data["missing"], "mpage")})


# --- records and their files ------------------------------------------------------------------------------


def record(ctx: Ctx) -> Page:
    rid = ctx.request.path_params["id"]
    view = record_view(ctx.archive, ctx.viewer.scope, rid)
    audit.record(ctx.archive, "record_view", account=ctx.viewer.name, org=ctx.viewer.org, target=view.record["id"], address=ctx.address)
    return Page("record.html", {"v": view, "rec": view.record}, view.as_dict())


INLINE = ("application/pdf", "image/png", "image/jpeg")


def record_file(ctx: Ctx) -> Response:
    rid = ctx.request.path_params["id"]
    which = ctx.request.path_params["file"]
    row = ctx.viewer.scope.record(ctx.archive, rid)
    files = ctx.archive.catalog.record_files(row["id"])
    f = next((f for f in files if f["role"] == which), None) if which in ("pdf", "docx") else \
        next((f for f in files if f["sha256"] == which), None)
    if f is None:
        raise NotFound(f"记录 {row['id']} 没有这个文件 (no such file)")
    if f["role"] == "source" and not ctx.viewer.can("write"):
        # the case file as it was typed holds 身份证号 in full: for an account that may file records
        # only, as /records/{id}/yaml (DESIGN.md "masked"); a read-only account gets that one masked
        return ctx.web.error(ctx.request, 403, [f"案卷源文件含完整身份证号，只读账号请下载遮蔽版 /records/{row['id']}/yaml "
                                                "(the source case file holds ID numbers in full; read-only accounts get the masked YAML)"],
                             ctx.viewer)
    path = ctx.archive.blobs.path_for(f["sha256"])
    if not path.is_file():
        raise NotFound(f"文件缺失，请运行 outsafe verify (blob missing): {f['name']}")
    download = ctx.param("download") == "1" or f["media_type"] not in INLINE
    audit.record(ctx.archive, "document_download", account=ctx.viewer.name, org=ctx.viewer.org, target=row["id"], address=ctx.address,
                 detail={"file": f["name"], "role": f["role"], "sha256": f["sha256"], **({"id_numbers": "full"} if f["role"] == "source" else {})})
    return FileResponse(path, media_type=f["media_type"], filename=f["name"],
                        content_disposition_type="attachment" if download else "inline",
                        headers={"cache-control": "private, no-store"})


# --- checks, rectification, blacklists ---------------------------------------------------------------------


def checks(ctx: Ctx) -> Page:
    """The checks of the viewer's scope. The overview shows each rule's verdict, how many findings it
    has and the first few (:func:`check_overview`: kept beside the report, a few kilobytes), and the
    sealed records today's rules refuse or have not judged yet (the server's preparer judges those:
    web.preparer);
    ``?rule=E3`` that rule alone with all its findings, ``LIST_ROWS`` a page — so a page costs what
    it shows, not the archive's thousands of findings (the JSON twin has them all)."""
    as_of = ctx.day("as_of") or ctx.archive.clock.today()
    within = scope_of(ctx)
    rule = ctx.param("rule")
    if rule is not None and rule.upper() not in RULES_BY_ID:  # said before anything is computed
        raise NotFound(f"没有这一项检查：{rule[:20]} (no such rule)", hint="各项检查见“五查”页 (the rules are on the checks page)")
    as_of_param = {"as_of": as_of.isoformat()} if ctx.param("as_of") else {}
    overview = "/checks" + (f"?{urlencode(as_of_param)}" if as_of_param else "")
    if rule is None and not ctx.api:
        o = ctx.web.cache.get(ctx.archive, ("checks-overview", within, as_of, CHECK_PREVIEW, app.LIST_ROWS),
                              lambda: check_overview(ctx.archive, as_of, enterprise=within, within=within, first=CHECK_PREVIEW,
                                                     unjudged=app.LIST_ROWS))
        cards = [{**_rule_card(RULES_BY_ID[r["id"]], r["status"]), "total": r["total"], "findings": r["findings"], "pager": None,
                  "all": "/checks?" + urlencode({"rule": r["id"], **as_of_param})} for r in o["rules"]]
        return Page("checks.html", {"summary": o["summary"], "as_of": as_of.isoformat(), "rule": None, "cards": cards,
                                    "unjudged": o["unjudged"], "unjudged_total": o["unjudged_total"], "overview": overview,
                                    "refused": o.get("refused", []), "refused_total": o.get("refused_total", 0),
                                    "not_linted": o.get("records_not_linted", 0),
                                    "relinting": bool(getattr(getattr(ctx.request.app.state, "preparer", None), "active", False)),
                                    "STATUS_NAMES": STATUS_NAMES})
    if ctx.api:
        report = ctx.web.cache.get(ctx.archive, ("checks", within, as_of),
                                   lambda: check_archive(ctx.archive, as_of=as_of, enterprise=within, within=within))
        data = report.as_dict()
        if rule is not None:
            data["rules"] = [r for r in data["rules"] if r["id"] == rule.upper()]
        return Page("checks.html", {}, data)
    # not in the server's shared cache: its findings are read piece by piece through this thread's archive
    cut = check_rule(ctx.archive, as_of, rule, enterprise=within, within=within)
    r = cut["rule"]
    page = paged(ctx, r["findings"])
    card = {**_rule_card(RULES_BY_ID[r["id"]], r["status"]), "total": len(r["findings"]), "findings": page["rows"], "pager": page}
    return Page("checks.html", {"summary": cut["summary"], "as_of": as_of.isoformat(), "rule": r["id"], "cards": [card],
                                "unjudged": [], "unjudged_total": 0, "overview": overview, "STATUS_NAMES": STATUS_NAMES})


def _rule_card(rule: Any, status: str) -> dict:
    return {"id": rule.id, "title": rule.title, "group": rule.group, "basis": rule.basis, "status": status}


def rectification(ctx: Ctx) -> Page:
    within = scope_of(ctx)
    contractor = ctx.param("contractor")
    if contractor is not None:  # a code the archive does not know: 404 with the reason, not an empty page that reads as all clear
        try:
            contractor = unit_in_archive(ctx.archive, contractor, "contractor")
        except NotFound as e:  # where to look, in the browser's terms rather than a command's
            raise NotFound(e.message, hint="在“承包单位”页查找该单位 (find it on the 承包单位 page)") from None
    result = rectification_report(ctx.archive, as_of=ctx.day("as_of"), contractor=contractor, within=within)
    if ctx.api:
        return Page("rectification.html", {}, result.as_dict())
    st = result.as_dict()
    status = ctx.param("status")
    if status is not None and status not in RECTIFY_STATUSES:
        raise BadRequest(f"状态应为 {'、'.join(RECTIFY_STATUSES)} 之一：status={status[:20]} (no such status)")
    items = [i for i in st["items"] if i["status"] == status] if status else st["items"]
    bands = {key: address(ctx, drop=("status", "page"), add={"status": key} if key else {}) for key in ("", *RECTIFY_STATUSES)}
    return Page("rectification.html", {"st": st, "status": status, "item_page": paged(ctx, items),
                                       "group_page": paged(ctx, st["groups"], "gpage"), "bands": bands})


RECTIFY_STATUSES = ("overdue", "open", "closed")


def blacklist(ctx: Ctx) -> Page:
    include_all = ctx.param("all") == "1"
    table = listings(ctx.archive, as_of=ctx.day("as_of"), include_inactive=include_all, within=scope_of(ctx))
    if ctx.api:
        return Page("blacklist.html", {}, table.as_dict())
    return Page("blacklist.html", {"shown": paged(ctx, table.rows), "all": include_all})


# --- exports and imports (jobs) -----------------------------------------------------------------------------


def exports(ctx: Ctx) -> Page:
    rows = handed_in(ctx.archive, within=scope_of(ctx))
    form = {"party": ctx.param("party") or ctx.param("contractor") or "", "case_no": ctx.param("case_no") or "",
            "records": ctx.param("records") or ""}
    return Page("exports.html", {"handed_in": rows, "form": form}, {"handed_in": rows})


def shown(value: Any, path: Path, name: str) -> Any:
    """A result as the browser sees it: the server's paths (its tmp/ folders) replaced by the file's name."""
    if isinstance(value, dict):
        return {k: shown(v, path, name) for k, v in value.items()}
    if isinstance(value, list):
        return [shown(v, path, name) for v in value]
    if isinstance(value, (str, Path)):
        return str(value).replace(str(path), name)
    return value


def _started(ctx: Ctx, job: Job) -> Response:
    if ctx.api:
        return ctx.web.json(job.as_dict(), status=202)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def _opened(web: WebApp):
    """An archive connection of the job's own thread (closed at the end)."""
    return web.archives.open()


def export_submission(ctx: Ctx) -> Response:
    since, until = ctx.day("since"), ctx.day("until")
    web, viewer, address = ctx.web, ctx.viewer, ctx.address
    name = safe_name(f"报送包-{web.owner_name}-{ctx.archive.clock.today().isoformat()}.zip")

    def work(job: Job) -> None:
        archive = _opened(web)
        try:
            result = export_package(archive, job.folder / name, since=since, until=until, as_zip=True,
                                    progress=progress_of(job), notify=notify_of(job))
            job.file, job.download_name = result.path, name
            job.result, job.lines = shown(result.as_dict(), result.path, name), shown(result.as_text(), result.path, name)
            audit.record(archive, "export", account=viewer.name, org=viewer.org, target=result.digest, address=address,
                         detail={"kind": "submission", "records": result.records, "since": str(since or ""), "until": str(until or "")})
        finally:
            archive.close()

    return _started(ctx, web.jobs.start(viewer.name, "submission", "报送包", work))


def export_evidence_job(ctx: Ctx) -> Response:
    """The evidence package of a penalty case (``outsafe evidence export``): the case number, and
    the party (当事人) when the case has no 告知书/决定书 on file yet."""
    case_no = (ctx.param("case_no") or "").strip()
    party = (ctx.param("party") or ctx.param("contractor") or "").strip().upper() or None
    records = tuple(r for r in (ctx.param("records") or "").replace(",", " ").split() if r)
    officers = tuple(o for o in (ctx.param("officers") or "").replace("，", " ").replace(",", " ").split() if o)
    until = ctx.day("until")
    if not case_no:
        raise BadRequest("请填写案件编号 (the case number is required)")
    for rid in records:  # every record named must be one this account may see
        ctx.viewer.scope.record(ctx.archive, rid)
    web, viewer, address = ctx.web, ctx.viewer, ctx.address
    name = safe_name(f"证据包-{case_no}.zip")

    def work(job: Job) -> None:
        archive = _opened(web)
        try:
            result = export_evidence(archive, job.folder / name, case_no=case_no, party=party, record_ids=records,
                                     officers=officers, until=until, as_zip=True, progress=progress_of(job), notify=notify_of(job))
            job.file, job.download_name = result.path, name
            job.result, job.lines = shown(result.as_dict(), result.path, name), shown(result.as_text(), result.path, name)
            audit.record(archive, "export", account=viewer.name, org=viewer.org, target=result.digest, address=address,
                         detail={"kind": "evidence", "case_no": case_no, "party": party, "records": result.records})
        finally:
            archive.close()

    return _started(ctx, web.jobs.start(viewer.name, "evidence", f"证据包 {case_no}", work))


def imports(ctx: Ctx) -> Page:
    rows = handed_in(ctx.archive)
    return Page("imports.html", {"handed_in": [r for r in rows if r["direction"] == "import"],
                                 "max_bytes": ctx.web.settings.package_max_bytes}, {"handed_in": rows})


async def upload(web: WebApp, request: Request, viewer: Viewer) -> Response:
    """POST /imports and /api/imports: the package streamed to tmp/ (the CSRF token, a form field
    before the file or the X-CSRF-Token header, checked before the file's first byte), then
    imported in a job — verified completely before anything is stored (archive.packages)."""
    header_token = request.headers.get("x-csrf-token")
    try:
        up = await receive_upload(request, web.jobs.root / "uploads", max_bytes=web.settings.package_max_bytes,
                                  csrf_ok=lambda field: csrf_ok(viewer, field or header_token))
    except UploadRefused as e:
        return web.error(request, e.status, [e.message], viewer)
    address = client_address(request)

    def work(job: Job) -> None:
        archive = _opened(web)
        try:
            target = job.folder / up.path.name
            up.path.replace(target)
            try:
                result = import_package(archive, target, progress=progress_of(job), notify=notify_of(job))
            except OutsafeError as e:
                audit.record(archive, "import_refused", account=viewer.name, org=viewer.org, target=up.filename, address=address,
                             detail={"file": up.filename, "bytes": up.size, "why": str(e.lines()[0])[:300]})
                raise
            job.result, job.lines = shown(result.as_dict(), target, up.filename), shown(result.as_text(), target, up.filename)
            audit.record(archive, "import", account=viewer.name, org=viewer.org, target=result.digest, address=address,
                         detail={"file": up.filename, "bytes": up.size, "origin": result.origin, "new": result.records_new,
                                 "already": result.already})
        finally:
            up.path.unlink(missing_ok=True)
            archive.close()

    job = web.jobs.start(viewer.name, "import", f"导入 {up.filename}", work)
    if request.url.path.startswith("/api/"):
        return web.json(job.as_dict(), status=202)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


upload.streams_body = True  # type: ignore[attr-defined]


def job(ctx: Ctx) -> Page:
    j = ctx.web.jobs.get(ctx.request.path_params["id"], ctx.viewer.name)
    if j is None:
        raise NotFound("没有这个任务 (no such job)")
    return Page("job.html", {"job": j.as_dict()}, j.as_dict())


def job_download(ctx: Ctx) -> Response:
    j = ctx.web.jobs.get(ctx.request.path_params["id"], ctx.viewer.name)
    if j is None or j.state != "done" or j.file is None or not j.file.is_file():
        raise NotFound("没有这个文件 (no such file)")
    audit.record(ctx.archive, "package_download", account=ctx.viewer.name, org=ctx.viewer.org,
                 target=(j.result or {}).get("tagmanifest_sha256"), address=ctx.address, detail={"kind": j.kind, "file": j.download_name})
    return FileResponse(j.file, media_type="application/zip", filename=j.download_name, content_disposition_type="attachment",
                        headers={"cache-control": "private, no-store"})


# --- the access log -----------------------------------------------------------------------------------------


def access_log(ctx: Ctx) -> Page:
    v = ctx.viewer
    org = None if v.scope.everything else v.org  # an enterprise admin sees its own organization's entries
    result = audit.audit_list(ctx.archive, account=ctx.param("user"), action=ctx.param("action"), org=org, since=ctx.day("since"),
                              until=ctx.day("until"), limit=ctx.number("limit", 200, 1, 5000))
    form = {k: ctx.param(k) or "" for k in ("user", "action", "since", "until")}
    return Page("audit.html", {"log": result.as_dict(), "form": form}, result.as_dict())


# --- background: the access log's anchors ---------------------------------------------------------------------


class Anchorer:
    """Anchors the access log in the ledger every ``access_log_anchor_minutes`` (when it grew) and
    when the server stops — if the signing key can be used without asking (see cli ``serve``)."""

    def __init__(self, web: WebApp) -> None:
        self.web = web
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failed: str | None = None

    def start(self) -> None:
        minutes = self.web.settings.access_log_anchor_minutes
        if minutes > 0:
            self._thread = threading.Thread(target=self._loop, args=(minutes * 60,), name="outsafe-anchor", daemon=True)
            self._thread.start()

    def _loop(self, every: float) -> None:
        while not self._stop.wait(every):
            self.anchor_now()

    def anchor_now(self) -> None:
        try:
            archive = self.web.archives.open()
            try:
                audit.anchor(archive, notify=lambda msg: None)
            finally:
                archive.close()
        except OutsafeError as e:
            self.failed = e.message

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.anchor_now()


# --- the route table ------------------------------------------------------------------------------------------


def routes(web: WebApp) -> list[Route]:
    g = web.guard

    def both(path: str, handler: Any, capability: str | None = "read", methods: tuple[str, ...] = ("GET",)) -> list[Route]:
        ep = g(handler, capability)
        api = "/api/dashboard" if path == "/" else "/api" + path
        return [Route(path, ep, methods=list(methods)), Route(api, ep, methods=list(methods))]

    return [
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", g(logout, None), methods=["POST"]),
        Route("/api/logout", g(logout, None), methods=["POST"]),
        Route("/api/me", g(me, None)),
        *both("/", dashboard),
        *both("/search", search),
        *both("/contractors", contractors),
        *both("/contractors/{uscc}", contractor),
        *both("/records/{id}", record),
        Route("/records/{id}/files/{file}", g(record_file)),
        *both("/checks", checks),
        *both("/rectification", rectification),
        *both("/blacklist", blacklist),
        *both("/exports", exports),
        *both("/exports/submission", export_submission, "export_submission", ("POST",)),
        *both("/exports/evidence", export_evidence_job, "export_evidence", ("POST",)),
        Route("/imports", g(imports, "import"), methods=["GET"]),
        Route("/imports", g(upload, "import"), methods=["POST"]),
        Route("/api/imports", g(upload, "import"), methods=["POST"]),
        *both("/jobs/{id}", job, None),
        Route("/jobs/{id}/download", g(job_download, None)),
        *both("/audit", access_log, "audit"),
        *training.routes(web),
        *tickets.routes(web),
        *forms.routes(web),
    ]


__all__ = ["routes", "Anchorer", "safe_next"]
