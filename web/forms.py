"""Forms in the browser: every record type filled, kept as a draft, validated, previewed and
added (sealed) without YAML and without a terminal; YAML of a record or draft out, a YAML file
in; Excel rosters in. The work is archive.forms's; these handlers read the request and call it.

    GET  /forms                              the forms this account may fill, its drafts, uploads
    GET  /forms/new/{key}  POST …            a new form (key: safety_agreement, work_ticket:hot_work …)
    GET  /drafts/{id}      POST …            a draft; POST _action = save | validate | preview | add |
                                             add:PATH (a row) | remove:PATH | drop:NAME (an image)
    GET  /drafts/{id}/preview.pdf            its document, rendered, not sealed (inline)
    GET  /drafts/{id}/yaml                   the draft as a case file
    GET  /drafts/{id}/files/{name}           an image attached to it
    POST /drafts/{id}/delete                 drop the draft
    POST /forms/upload                       a YAML (or JSON) case file → a new draft
    GET  /records/{id}/yaml                  a record as a case file
    GET  /forms/lookup?kind=org|project|person&q=   the pickers' search (JSON)
    GET  /forms/rosters  POST …  GET /forms/rosters/{kind}.xlsx    Excel rosters (contractors, persons, projects)

Each page has its JSON twin under /api. Every route needs the ``write`` capability (an
enterprise's admin and safety officer in its own archive, bureau accounts in the bureau's), except
a record's YAML (``read``: what the account may see; 身份证号 in full only for accounts that may
write). A draft of another account is a 404, like a missing one. Posts carry the CSRF token (a
form field, or the X-CSRF-Token header of the page's script) and may be multipart (images,
files): they are read here, within limits (:data:`LIMITS`), not by the guard's small-form reader.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import sys
import traceback
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from archive.access import audit
from archive.access.signin import Viewer, csrf_ok
from archive.campaign.rosters import KINDS as ROSTER_KINDS
from archive.campaign.rosters import ImportFailed, import_xlsx, write_template
from archive.errors import NotFound, OutsafeError, RuleViolation, ValidationFailed
from archive.forms import drafts
from archive.forms.fields import MARK, Posted, Unmasker, fields_of, read_form
from archive.forms.model import FormKind, kind_of, writable
from archive.forms import pickers as pickers_module
from archive.forms.pickers import lookup, person_ids, pickers
from archive.privacy import mask_json
from archive.text import whole_number
from schemas.problems import Problem
from storage import staging
from storage.errors import StorageError
from storage.home import make_private_dir, safe_name
from web.app import BadRequest, Ctx, Page, WebApp, same_origin


@dataclass(frozen=True)
class Limits:
    body: int = 48 * 2**20  # one post, images included
    fields: int = 20_000  # fields of one post (a long ticket has ~1,000)
    files: int = 40  # files of one post
    part: int = 256 * 1024  # one text field


LIMITS = Limits()
ACTIONS = ("save", "validate", "preview", "add")


class BodyRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Body:
    """A post as read: its fields (in order) and its files (name → (file name, bytes))."""

    pairs: list[tuple[str, str]]
    files: dict[str, tuple[str, bytes]]

    def get(self, name: str) -> str | None:
        return next((v for k, v in reversed(self.pairs) if k == name), None)


async def read_body(request: Request) -> Body:
    length = request.headers.get("content-length")
    if length is None:
        raise BodyRefused(411, "请求缺少长度 (Content-Length required)")
    if whole_number(length, default=LIMITS.body + 1) > LIMITS.body:
        raise BodyRefused(413, f"表单过大，至多 {LIMITS.body // 2**20} MB (form too large)")
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        raise BodyRefused(400, "请用表单提交 (expected a form)")
    try:
        form = await request.form(max_files=LIMITS.files, max_fields=LIMITS.fields, max_part_size=LIMITS.part)
    except Exception as e:  # noqa: BLE001 — a malformed body is the client's error
        raise BodyRefused(400, f"表单无法解析 (malformed form: {type(e).__name__})") from e
    pairs: list[tuple[str, str]] = []
    files: dict[str, tuple[str, bytes]] = {}
    try:
        for k, v in form.multi_items():
            if isinstance(v, UploadFile):
                if v.filename:
                    files[k] = (v.filename, await v.read())
            else:
                pairs.append((k, v))
    finally:
        await form.close()
    return Body(pairs, files)


def posted_route(handler: Any) -> Any:
    """A state-changing handler whose body is read here (multipart, many fields): the guard has
    checked the session and the capability; the CSRF token and origin are checked before the
    handler runs, then it runs in the thread pool like every handler, errors as the guard's."""

    async def endpoint(web: WebApp, request: Request, viewer: Viewer) -> Response:
        try:
            body = await read_body(request)
        except BodyRefused as e:
            return web.error(request, e.status, [e.message], viewer)
        token = body.get("csrf_token") or request.headers.get("x-csrf-token")
        if not csrf_ok(viewer, token) or not same_origin(request):
            return web.error(request, 403, ["表单已失效或不是本站发出的，请刷新页面后重试 (CSRF token missing or wrong)"], viewer)
        return await run_in_threadpool(_run, web, request, viewer, handler, body)

    endpoint.__name__ = handler.__name__
    endpoint.streams_body = True  # type: ignore[attr-defined]
    return endpoint


def _run(web: WebApp, request: Request, viewer: Viewer, handler: Any, body: Body) -> Response:
    api = request.url.path.startswith("/api/")
    ctx = Ctx(request, viewer, web, {k: v for k, v in body.pairs}, api)
    try:
        return respond(ctx, handler(ctx, body))
    except NotFound as e:
        return web.error(request, 404, e.lines(), viewer)
    except (OutsafeError, StorageError) as e:
        return web.error(request, 400, [str(x) for x in e.lines()], viewer)
    except Exception:  # noqa: BLE001 — a bug: logged on the server, never shown to the client
        traceback.print_exc(file=sys.stderr)
        return web.error(request, 500, ["服务器内部错误，已记录在服务器日志中 (internal error)"], viewer)


def respond(ctx: Ctx, out: Any) -> Response:
    if isinstance(out, Response):
        return out
    if ctx.api:
        return ctx.web.json(out.data, status=out.status)
    return ctx.web.html(out.template, {**out.context, "csrf": ctx.viewer.csrf_token}, status=out.status, viewer=ctx.viewer,
                        request=ctx.request)


# --- helpers ----------------------------------------------------------------------------------------------


def role_of(ctx: Ctx) -> str:
    return ctx.web.owner_role


def the_kind(ctx: Ctx, key: str) -> FormKind:
    type_, _, sub = key.partition(":")
    kind = kind_of(role_of(ctx), type_, sub or None)
    if kind is None:
        raise NotFound(f"没有这种表单 (no such form): {key[:60]}")
    return kind


def unmasker(ctx: Ctx, previous: Any) -> Unmasker:
    archive, scope = ctx.archive, ctx.viewer.scope
    return Unmasker(previous, lambda masked, name: person_ids(archive, scope, masked, name))


def problem_dicts(problems: list[Problem]) -> list[dict]:
    return [p.as_dict() for p in problems]


def form_page(ctx: Ctx, kind: FormKind, raw: dict, *, draft: drafts.Draft | None = None, problems: list[Problem] = (),
              status: int = 200, message: str = "", checked: bool = False, preview: bool = False, focus: str = "",
              note: str = "") -> Page:
    nodes, unplaced = fields_of(kind.cls, raw, problems)
    known = {n.w.name for n in nodes} | {"type"}
    unknown = sorted(k for k in raw if k not in known)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    forceable = bool(errors) and all(getattr(p, "overridable", False) for p in errors)
    pick = pickers(ctx.archive, ctx.viewer.scope)
    org_names = {o["uscc"]: o["name"] for o in pick.orgs}
    context = {"kind": kind, "draft": draft, "nodes": nodes, "unplaced": unplaced, "errors": errors, "warnings": warnings,
               "checked": checked, "message": message, "preview": preview, "unknown": unknown, "pick": pick, "most": pickers_module.MOST, "org_names": org_names,
               "files": {f["name"]: f for f in (draft.files if draft else [])}, "forceable": forceable, "focus": focus, "note": note,
               "action": f"/drafts/{draft.id}" if draft else f"/forms/new/{quote(kind.key, safe=':')}",
               "autosave": f"/api/drafts/{draft.id}" if draft else f"/api/forms/new/{quote(kind.key, safe=':')}"}
    data = {"form": {"type": kind.type, "ticket_type": kind.subtype, "label": kind.label},
            "draft": draft.as_dict() if draft else None, "data": mask_json(raw), "problems": problem_dicts(list(problems)),
            "checked": checked, "ok": checked and not errors}
    return Page("forms_edit.html", context, data, status=status)


def _row_edit(raw: dict, path: str, *, add: bool) -> dict:
    """``raw`` with a blank row added to list ``path`` or row ``path`` (``x[2]``) removed."""
    out = json.loads(json.dumps(raw, default=str))
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    if not parts:
        return out
    node: Any = out
    for i, part in enumerate(parts[:-1]):
        nxt = parts[i + 1]
        key: Any = int(part[1:-1]) if part.startswith("[") else part
        if isinstance(node, dict):
            node = node.setdefault(key, [] if nxt.startswith("[") else {})
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return out
    last = parts[-1]
    if add:
        if isinstance(node, dict):
            lst = node.setdefault(last, [])
            if isinstance(lst, list):
                lst.append(None)
    elif last.startswith("[") and isinstance(node, list):
        idx = int(last[1:-1])
        if idx < len(node):
            del node[idx]
    return out


# --- pages ------------------------------------------------------------------------------------------------


def index(ctx: Ctx) -> Page:
    kinds = writable(role_of(ctx))
    groups: dict[str, list[dict]] = {}
    for k in kinds:
        groups.setdefault(k.group, []).append({"key": k.key, "label": k.label, "type": k.type, "ticket_type": k.subtype})
    mine = drafts.drafts_of(ctx.archive, ctx.viewer)
    data = {"forms": [{"group": g, "forms": fs} for g, fs in groups.items()], "drafts": mine,
            "rosters": list(ROSTER_KINDS)}
    return Page("forms.html", {"groups": groups, "drafts": mine}, data)


def new_form(ctx: Ctx) -> Page:
    kind = the_kind(ctx, ctx.request.path_params["key"])
    return form_page(ctx, kind, {"ticket_type": kind.subtype} if kind.subtype else {})


def draft_page(ctx: Ctx) -> Page:
    d = drafts.open_draft(ctx.archive, ctx.viewer, ctx.request.path_params["id"])
    add = ctx.param("add")
    raw = _row_edit(d.raw, add, add=True) if add and re.fullmatch(r"[a-z_0-9.\[\]]{1,200}", add) else d.raw
    return form_page(ctx, d.kind, raw, draft=d, preview=ctx.param("preview") == "1", focus=add or "",
                     message="已保存" if ctx.param("saved") else "")


def _attach(ctx: Ctx, d: drafts.Draft, body: Body, raw: dict) -> tuple[dict, list[Problem], dict[str, str]]:
    """Keep the images posted (field ``PATH:upload``) and name them in the case file at PATH."""
    problems: list[Problem] = []
    attached: dict[str, str] = {}
    for key, (filename, data) in sorted(body.files.items()):
        if not key.endswith(":upload") or not data:
            continue
        path = key[: -len(":upload")]
        typed = body.get(path) or ""
        name = drafts.file_name(typed, filename)
        kept, problem = drafts.attach(ctx.archive, ctx.viewer, d, name, data, path=path)
        if problem is not None:
            problems.append(problem)
            continue
        attached[path] = kept
        raw = _set(raw, path, kept)
    return raw, problems, attached


def _set(raw: dict, path: str, value: Any) -> dict:
    out = json.loads(json.dumps(raw, default=str))
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    node: Any = out
    for i, part in enumerate(parts):
        key: Any = int(part[1:-1]) if part.startswith("[") else part
        last = i == len(parts) - 1
        if isinstance(node, dict):
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, [] if parts[i + 1].startswith("[") else {})
        elif isinstance(node, list) and isinstance(key, int):
            while len(node) <= key:
                node.append({} if not last and not parts[i + 1].startswith("[") else None)
            if last:
                node[key] = value
            else:
                if node[key] is None:
                    node[key] = {}
                node = node[key]
    return out


def _under(name: str, path: str) -> bool:
    """``name`` is the field ``path`` or one of its parts (``path.x``, ``path[0]``)."""
    return name == path or name.startswith((path + ".", path + "["))


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def _handle(ctx: Ctx, body: Body, kind: FormKind, d: drafts.Draft | None) -> Page | Response:
    """One post of a form: keep what it holds as the draft (made now if there is none), then do
    what was asked."""
    action = body.get("_action") or "save"
    previous = d.raw if d else {}
    fixed = {"ticket_type": kind.subtype} if kind.subtype else None
    pairs = body.pairs
    dropped = None
    if action.startswith(("remove:", "drop:")):  # a row as the page shows it, or an image: gone before the rest is read
        path = action.partition(":")[2]
        dropped = body.get(path) if action.startswith("drop:") else None
        pairs = [(k, v) for k, v in pairs if not (_under(k, path) or (k == MARK and _under(v, path)))]
        body = Body(pairs, {k: f for k, f in body.files.items() if not _under(k.removesuffix(":upload"), path)})
    raw = read_form(kind.cls, Posted(pairs), unmask=unmasker(ctx, previous), fixed=fixed)
    made = d is None
    if d is None:
        d = drafts.start(ctx.archive, ctx.viewer, kind, raw)
    raw, file_problems, attached = _attach(ctx, d, body, raw)
    if dropped and dropped not in _strings(raw):
        with ctx.archive.catalog.transaction():
            ctx.archive.catalog.drafts.delete_draft_file(d.id, ctx.viewer.name, dropped)
    if not (made and not attached and raw == d.raw):
        d = drafts.save(ctx.archive, ctx.viewer, d, raw)
    saved = {"saved": True, "draft": d.as_dict(), "url": f"/drafts/{d.id}", "attached": attached,
             "problems": problem_dicts(file_problems)}
    if action.startswith(("add:", "remove:", "drop:")) and not file_problems and not ctx.api:
        # the page without its script: saved, then shown again (with a blank row where one was asked for)
        path = action.partition(":")[2]
        anchor = field_id(path if action.startswith("add:") else re.sub(r"\[\d+\]$", "", path))
        more = f"?add={quote(path)}" if action.startswith("add:") else ""
        return RedirectResponse(f"/drafts/{d.id}{more}#{anchor}", status_code=303)
    if action.startswith(("add:", "remove:", "drop:")):
        return form_page(ctx, kind, raw, draft=d, problems=file_problems, message="已保存", status=400 if file_problems else 200)
    if action == "validate":
        problems = file_problems + drafts.check(ctx.archive, ctx.viewer, d)
        page = form_page(ctx, kind, raw, draft=d, problems=problems, checked=True,
                         message="校验通过，可以封签入档" if not any(p.severity == "error" for p in problems) else "")
        return page
    if action == "preview":
        if ctx.api:
            return ctx.web.json({**saved, "preview": f"/drafts/{d.id}/preview.pdf?r={d.revision}"})
        return RedirectResponse(f"/drafts/{d.id}?preview=1#preview", status_code=303)
    if action == "add":
        reason = (body.get("force_reason") or "").strip() or None if body.get("force") == "1" else None
        try:
            report = drafts.add(ctx.archive, ctx.viewer, d, force_reason=reason)
        except (ValidationFailed, RuleViolation) as e:
            problems = file_problems + list(e.problems)
            page = form_page(ctx, kind, raw, draft=d, problems=problems, checked=True, status=400,
                             note=e.message if isinstance(e, RuleViolation) else "")
            return page
        for a in report.added:
            audit.record(ctx.archive, "record_added", account=ctx.viewer.name, org=ctx.viewer.org, target=a.id, address=ctx.address,
                         detail={"draft": d.id, "title": a.title, "status": a.status})
        if report.failed or not report.added:
            page = form_page(ctx, kind, raw, draft=d, problems=file_problems, status=400,
                             message="未入档：" + "；".join(e for _, e in report.failed))
            return page
        first = report.added[0]
        if ctx.api:
            return ctx.web.json(report.as_dict(), status=201)
        return RedirectResponse(f"/records/{first.id}?added={first.status}", status_code=303)
    if ctx.api:
        return ctx.web.json(saved, status=200 if not file_problems else 400)
    if file_problems:
        return form_page(ctx, kind, raw, draft=d, problems=file_problems, status=400)
    return RedirectResponse(f"/drafts/{d.id}?saved={d.revision}", status_code=303)


def new_form_post(ctx: Ctx, body: Body) -> Page | Response:
    return _handle(ctx, body, the_kind(ctx, ctx.request.path_params["key"]), None)


def draft_post(ctx: Ctx, body: Body) -> Page | Response:
    d = drafts.open_draft(ctx.archive, ctx.viewer, ctx.request.path_params["id"])
    return _handle(ctx, body, d.kind, d)


def draft_delete(ctx: Ctx, body: Body) -> Response:
    drafts.delete(ctx.archive, ctx.viewer, ctx.request.path_params["id"])
    if ctx.api:
        return ctx.web.json({"deleted": True})
    return RedirectResponse("/forms?deleted=1", status_code=303)


def upload_yaml(ctx: Ctx, body: Body) -> Page | Response:
    """A case file uploaded: a new draft holding it (or, with ``draft``, that draft's content replaced)."""
    if "file" not in body.files:
        raise BadRequest("请选择要上传的 YAML 文件 (choose a file)")
    filename, data = body.files["file"]
    raw = drafts.read_upload(data, filename)
    kind = drafts.upload_kind(ctx.archive, raw, filename)
    target = body.get("draft")
    if target:
        d = drafts.open_draft(ctx.archive, ctx.viewer, target)
        if d.kind != kind:
            raise BadRequest(f"上传的文件是{kind.label}，此表单是{d.kind.label} (the file is another kind of record)")
        d = drafts.save(ctx.archive, ctx.viewer, d, raw)
    else:
        d = drafts.start(ctx.archive, ctx.viewer, kind, raw)
    if ctx.api:
        return ctx.web.json({"draft": d.as_dict(), "url": f"/drafts/{d.id}"}, status=201)
    return RedirectResponse(f"/drafts/{d.id}?uploaded=1", status_code=303)


def draft_yaml(ctx: Ctx) -> Response:
    d = drafts.open_draft(ctx.archive, ctx.viewer, ctx.request.path_params["id"])
    return _download(drafts.draft_yaml(d), drafts.yaml_name(d))


def _download(text: str, name: str) -> Response:
    return Response(text.encode("utf-8"), media_type="application/yaml; charset=utf-8",
                    headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(name)}", "cache-control": "private, no-store"})


def record_yaml(ctx: Ctx) -> Response:
    row = ctx.viewer.scope.record(ctx.archive, ctx.request.path_params["id"])
    full = ctx.viewer.can("write")
    name, text = drafts.record_yaml(ctx.archive, row, full=full)
    audit.record(ctx.archive, "document_download", account=ctx.viewer.name, org=ctx.viewer.org, target=row["id"], address=ctx.address,
                 detail={"file": name, "role": "yaml", "id_numbers": "full" if full else "masked"})
    return _download(text, name)


def draft_file(ctx: Ctx) -> Response:
    f = drafts.file_of(ctx.archive, ctx.viewer, ctx.request.path_params["id"], ctx.request.path_params["name"])
    return Response(f["data"], media_type=f["media_type"], headers={"cache-control": "private, no-store"})


def draft_preview(ctx: Ctx) -> Response:
    d = drafts.open_draft(ctx.archive, ctx.viewer, ctx.request.path_params["id"])
    tmp = ctx.archive.home.tmp_dir
    make_private_dir(tmp)
    folder = tmp / f"form-preview-{secrets.token_hex(8)}"
    claim = staging.claim(tmp, folder)
    try:
        make_private_dir(folder)
        out = drafts.preview(ctx.archive, ctx.viewer, d, folder / "preview.pdf")
        data = out.read_bytes()
    except ValidationFailed as e:
        return respond(ctx, form_page(ctx, d.kind, d.raw, draft=d, problems=list(e.problems), checked=True, status=400))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        claim.release()
    name = safe_name(f"预览-{d.title}.pdf", "preview.pdf")
    return Response(data, media_type="application/pdf",
                    headers={"content-disposition": f"inline; filename*=UTF-8''{quote(name)}", "cache-control": "private, no-store"})


def picker_lookup(ctx: Ctx) -> Response:
    kind = ctx.param("kind") or ""
    if kind not in ("org", "project", "person"):
        raise BadRequest("kind 应为 org、project 或 person")
    return ctx.web.json({"kind": kind, "items": lookup(ctx.archive, ctx.viewer.scope, kind, ctx.param("q") or "",
                                                        ctx.number("limit", 20, 1, 200))})


# --- Excel rosters --------------------------------------------------------------------------------------------


ROSTER_LABELS = {"contractors": "承包单位名册", "persons": "人员名册", "projects": "外包项目名册"}


def rosters(ctx: Ctx) -> Page:
    return Page("forms_rosters.html", {"kinds": ROSTER_LABELS, "result": None, "problems": [], "form": {}},
                {"kinds": list(ROSTER_LABELS)})


def roster_template(ctx: Ctx) -> Response:
    kind = ctx.request.path_params["kind"]
    if kind not in ROSTER_LABELS:
        raise NotFound(f"没有这种名册 (no such roster): {kind[:40]}")
    tmp = ctx.archive.home.tmp_dir
    make_private_dir(tmp)
    path = tmp / f"roster-{secrets.token_hex(8)}.xlsx"
    try:
        write_template(kind, path)
        data = path.read_bytes()
    finally:
        path.unlink(missing_ok=True)
    name = f"{ROSTER_LABELS[kind]}模板.xlsx"
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(name)}", "cache-control": "no-store"})


def roster_post(ctx: Ctx, body: Body) -> Page | Response:
    kind = body.get("kind") or ""
    if kind not in ROSTER_LABELS:
        raise BadRequest("请选择名册类别 (choose contractors, persons or projects)")
    if "file" not in body.files:
        raise BadRequest("请选择要导入的 Excel 文件 (choose an .xlsx file)")
    filename, data = body.files["file"]
    shown = safe_name(filename, "roster.xlsx")
    if not shown.lower().endswith(".xlsx"):
        raise BadRequest("请上传 .xlsx 格式的 Excel 文件 (upload an .xlsx workbook)")
    mode = body.get("mode") or "import"
    tmp = ctx.archive.home.tmp_dir
    make_private_dir(tmp)
    folder = tmp / f"roster-{secrets.token_hex(8)}"
    claim = staging.claim(tmp, folder)
    form = {"kind": kind, "mode": mode}
    try:
        make_private_dir(folder)
        path = folder / shown
        path.write_bytes(data)
        try:
            result = import_xlsx(ctx.archive, path, kind, skip_bad_rows=mode == "skip", check_only=mode == "check")
        except ImportFailed as e:
            rows = [p.as_dict() for p in e.row_problems]
            return Page("forms_rosters.html", {"kinds": ROSTER_LABELS, "result": None, "problems": rows, "failed": e.message,
                                               "file": shown, "form": form},
                        {"ok": False, "error": e.message, "problems": rows}, status=400)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        claim.release()
    if result.imported:
        audit.record(ctx.archive, "record_added", account=ctx.viewer.name, org=ctx.viewer.org, target=None, address=ctx.address,
                     detail={"roster": kind, "file": shown, "records": [x["id"] for x in result.imported]})
    out = result.as_dict()
    return Page("forms_rosters.html", {"kinds": ROSTER_LABELS, "result": out, "problems": out["problems"], "file": shown,
                                       "form": form, "check_only": mode == "check"}, {"ok": True, **out})


# --- the route table ------------------------------------------------------------------------------------------


def field_id(path: str) -> str:
    """The HTML id of the field at ``path`` (archive.forms.fields.Node.id)."""
    return "f-" + re.sub(r"[^0-9A-Za-z_]+", "-", path or "").strip("-")


def routes(web: WebApp) -> list[Route]:
    g = web.guard
    web.env.filters["field_id"] = field_id

    def both(path: str, handler: Any, capability: str = "write", methods: tuple[str, ...] = ("GET",)) -> list[Route]:
        ep = g(handler, capability)
        return [Route(path, ep, methods=list(methods)), Route("/api" + path, ep, methods=list(methods))]

    def posted(path: str, handler: Any, capability: str = "write") -> list[Route]:
        ep = g(posted_route(handler), capability)
        return [Route(path, ep, methods=["POST"]), Route("/api" + path, ep, methods=["POST"])]

    return [
        *both("/forms", index),
        *both("/forms/lookup", picker_lookup),
        *both("/forms/rosters", rosters),
        *posted("/forms/rosters", roster_post),
        Route("/forms/rosters/{kind}.xlsx", g(roster_template, "write")),
        *posted("/forms/upload", upload_yaml),
        *both("/forms/new/{key}", new_form),
        *posted("/forms/new/{key}", new_form_post),
        *both("/drafts/{id}", draft_page),
        *posted("/drafts/{id}", draft_post),
        *posted("/drafts/{id}/delete", draft_delete),
        Route("/drafts/{id}/yaml", g(draft_yaml, "write")),
        Route("/drafts/{id}/preview.pdf", g(draft_preview, "write")),
        Route("/drafts/{id}/files/{name:path}", g(draft_file, "write")),
        Route("/records/{id}/yaml", g(record_yaml, "read")),
    ]


__all__ = ["LIMITS", "posted_route", "read_body", "routes"]
