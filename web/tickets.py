"""The 作业票 on a phone (archive.tickets): the list (mine / open / expired / closed), a ticket's
page (its state, every signed step, the next step), the application, and one page per step —
each with its JSON twin under /api. Thin, like every handler here: read the form, call the
library, show the result.

Signing sends a multipart form (the step's fields, the signature drawn on the pad, photos from
the camera), streamed to a claimed folder of tmp/ (web.step_upload) with the form token checked
before any file byte; the page's script (static/signature.js) sends it with fetch and the
``X-CSRF-Token`` header and follows the JSON answer. Viewing needs ``read``; applying and signing
need ``ticket`` (the enterprise's admin and safety officer, in its own archive). A ticket outside
the account's scope is 404, like one that does not exist.
"""

from __future__ import annotations

import dataclasses
import sys
import traceback
import typing
from datetime import date, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from archive.access import audit
from archive.access.signin import Viewer, csrf_ok
from archive.errors import NotFound, OutsafeError, Problem, ValidationFailed
from archive.tickets import lifecycle as lc
from archive.text import whole_number
from schemas.base import field_infos
from schemas.common import Drawing, PersonRef
from schemas.tickets import STEP_NAMES, TICKET_CLASSES, WorkTicket
from storage.home import ArchiveHome
from web.app import Ctx, Page, WebApp, client_address, paged
from web.step_upload import StepUpload, receive_step
from web.uploads import UploadRefused

#: the header fields every application form shows, in the form's order (the ticket's own fields follow)
COMMON = ("ticket_no", "project", "applicant_unit", "location", "content", "valid_from", "valid_to", "leader", "guardian", "workers")
LONG_TEXT = {"content", "risk_identification", "post_blast_check", "sketch_note", "diagram_note", "reason"}


# --- the fields of an application form, from the schema ---------------------------------------------------


def _kind(info: Any) -> str | None:
    target = info.item if info.is_list else info.type
    if target is PersonRef:
        return "people" if info.is_list else "person"
    if info.is_list:
        return "lines" if target is str else None
    if target is Drawing or dataclasses.is_dataclass(target):
        return None  # drawings come with the paper form; conditions are their own rows
    if typing.get_origin(target) is typing.Literal:
        return "select"
    return {str: "long" if info.name in LONG_TEXT else "text", float: "number", int: "integer", bool: "check",
            date: "date", datetime: "datetime"}.get(target)


def header_fields(ticket_type: str) -> list[dict]:
    """The fields of the application of ``ticket_type`` as inputs (label, kind, choices, required)."""
    cls = TICKET_CLASSES[ticket_type]
    base = {i.name for i in field_infos(WorkTicket)}
    infos = {i.name: i for i in field_infos(cls)}
    names = list(COMMON) + [n for n in infos if n not in base] + ["linked_tickets"] + (["video_recorded"] if ticket_type == "hot_work" else [])
    out = []
    for name in names:
        info = infos[name]
        kind = _kind(info) if name != "project" else "project"
        if kind is None:
            continue
        choices = list(typing.get_args(info.item if info.is_list else info.type)) if kind == "select" else []
        out.append({"name": name, "label": info.spec.label, "kind": kind, "choices": choices, "help": info.spec.help,
                    "required": info.required and not info.optional})
    return out


def _header(up: StepUpload, ticket_type: str, form: dict) -> dict:
    """The application's header as a case file would hold it (people as person keys)."""
    header: dict[str, Any] = {"ticket_type": ticket_type, "enterprise": form["enterprise"]}
    for f in header_fields(ticket_type):
        name, kind = f["name"], f["kind"]
        raw = (up.get(name) or "").strip()
        if kind == "people":
            header[name] = [k for k in up.all(name) if k]
        elif kind == "check":
            header[name] = raw in ("1", "on", "true")
        elif kind == "lines":
            header[name] = [x.strip() for x in raw.replace("、", "\n").replace(",", "\n").replace("，", "\n").splitlines() if x.strip()]
        elif raw == "":
            continue
        elif kind in ("number", "integer"):
            try:
                header[name] = int(raw) if kind == "integer" else float(raw)
            except ValueError:
                header[name] = raw  # the schema says what is wrong, at its field
        elif kind == "datetime":
            header[name] = raw.replace("T", " ")
        else:
            header[name] = raw
    if header.get("video_recorded") is False:
        header["video_recorded"] = None  # an unticked box says nothing about a recording
    cond = {"holiday": up.get("holiday") in ("1", "on"), "night": up.get("night") in ("1", "on")}
    wind = (up.get("wind_force") or "").strip()
    if wind:
        cond["wind_force"] = whole_number(wind, 3, default=wind)  # anything else ("²", "五级") as typed: the schema says what is wrong
    header["conditions"] = cond
    project = next((p for p in form["projects"] if p["code"] == header.get("project")), None)
    header["contractor"] = project["contractor"] if project else None
    return header


# --- pages ------------------------------------------------------------------------------------------------------


def ticket_list(ctx: Ctx) -> Page:
    which = ctx.param("which") or "open"
    result = lc.ticket_list(ctx.archive, ctx.viewer.scope, which=which, account=ctx.viewer.name)
    if ctx.api:
        return Page("ticket_list.html", {}, result.as_dict())
    return Page("ticket_list.html", {"result": result, "kinds": lc.LIST_KINDS, "shown": paged(ctx, result.rows)})


def ticket(ctx: Ctx) -> Page:
    rid = ctx.request.path_params["id"]
    row = lc.latest_row(ctx.archive, ctx.viewer.scope, rid)
    view = lc.ticket_view(ctx.archive, row)
    audit.record(ctx.archive, "record_view", account=ctx.viewer.name, org=ctx.viewer.org, target=row["id"], address=ctx.address)
    mine = ctx.viewer.can("ticket") and row["origin"] == ctx.web.owner_uscc
    return Page("ticket.html", {"t": view, "may_sign": mine, "done": ctx.param("done") or ""}, view)


def new_ticket(ctx: Ctx) -> Page:
    tt = ctx.param("type") or "hot_work"
    form = lc.application_form(ctx.archive, tt)
    data = {**form, "fields": header_fields(tt)}
    return Page("ticket_new.html", {"form": data, "errors": [], "me": _me(ctx.viewer, form["people"])}, data)


def step_page(ctx: Ctx) -> Page:
    rid, step = ctx.request.path_params["id"], ctx.request.path_params["step"]
    box = ctx.param("box")
    row = lc.latest_row(ctx.archive, ctx.viewer.scope, rid)
    view = lc.ticket_view(ctx.archive, row)
    if step not in STEP_NAMES or step == "apply":
        raise NotFound(f"没有这一步 (no such step): {step[:20]}")
    t = lc.load_ticket(ctx.archive, row)
    try:
        nxt = lc.allowed_step(t, lc.ticket_state(t, lc.now_local(ctx.archive), ctx.archive.settings), step, box)
    except lc.StepRefused as e:
        data = {"ticket": view, "step": step, "box": box, "refused": e.message}
        return Page("ticket_step.html", {"t": view, "step": step, "next": None, "form": None, "refused": e.message, "errors": []},
                    data, status=409)
    form = lc.step_form(ctx.archive, t, step, nxt.box)
    me = _me(ctx.viewer, form["people"])
    data = {"ticket": view, "step": step, "box": nxt.box, "label": nxt.label, "form": form, "refused": None, "me": me}
    return Page("ticket_step.html", {"t": view, "step": step, "next": nxt, "form": form, "refused": None, "errors": [], "me": me}, data)


# --- signing (streamed multipart posts) ---------------------------------------------------------------------------


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _refusal(web: WebApp, request: Request, viewer: Viewer, status: int, lines: list[str]) -> Response:
    if _wants_json(request):
        return web.json({"error": lines[0], "details": lines[1:], "status": status}, status=status)
    return web.error(request, status, lines, viewer)


async def _received(web: WebApp, request: Request, viewer: Viewer) -> StepUpload | Response:
    s = web.settings
    try:
        return await receive_step(request, ArchiveHome(web.home).tmp_dir, max_bytes=s.ticket_step_max_bytes, max_signature=s.ticket_signature_max_bytes,
                                  max_photos=s.ticket_step_max_photos, csrf_ok=lambda token: csrf_ok(viewer, token))
    except UploadRefused as e:
        return _refusal(web, request, viewer, e.status, [e.message])


def _capture(up: StepUpload) -> lc.Capture:
    if up.signature is None:
        raise ValidationFailed([Problem("signature", "请在签字框内手写签名 (draw the signature on the pad)")])
    caption = (up.get("photo_caption") or "").strip()
    return lc.Capture(up.signature, tuple(up.photos), tuple(caption for _ in up.photos))


def _signer(up: StepUpload, viewer: Viewer) -> lc.Signer:
    """Who signs: the account's own person ("我本人"), or the person picked with his date of birth."""
    if up.get("who") == "me":
        return lc.Signer(viewer.person or "", "", by_account=True)
    return lc.Signer((up.get("person") or "").strip(), (up.get("birth") or "").strip())


def _me(viewer: Viewer, people: list[dict]) -> dict | None:
    """The signed-in account's own person, when he is one of the people who may sign the step."""
    return next((p for p in people if viewer.person and p["key"] == viewer.person), None)


def _step_fields(up: StepUpload, step: str) -> dict:
    fields: dict[str, Any] = {"opinion": up.get("opinion")}
    if step == "measures":
        measures = []
        for i in range(60):
            text = up.get(f"measure_text_{i}")
            if text is None:
                continue
            measures.append({"text": text, "involved": up.get(f"measure_involved_{i}") in ("1", "on"),
                             "confirmed_by": up.get(f"measure_by_{i}")})
        fields.update(risk_identification=up.get("risk_identification"), measures=measures, other_measures=up.get("other_measures"),
                      receivers=up.all("receivers"))
    if step == "gas":
        readings = []
        for i in range(6):
            if up.get(f"reading_result_{i}") is None:
                continue
            readings.append({k: up.get(f"reading_{k}_{i}") for k in ("taken_at", "kind", "gas", "result", "unit", "lel_pct", "limit", "location")})
        fields["readings"] = readings
    return fields


async def _sign(web: WebApp, request: Request, viewer: Viewer, work: Any, *, then: Any, form_page: Any) -> Response:
    """Receive the multipart form, run ``work(archive, up)`` in the thread pool, answer: JSON for the
    page's script, a redirect (or the form again, with the problems) for a plain post."""
    got = await _received(web, request, viewer)
    if isinstance(got, Response):
        return got
    up = got
    address = client_address(request)

    def run() -> Response:
        archive = web.archives.get()
        try:
            done = work(archive, up, address)
        except NotFound as e:
            return _refusal(web, request, viewer, 404, e.lines())
        except lc.StepRefused as e:
            return _refusal(web, request, viewer, 409, e.lines())
        except ValidationFailed as e:
            lines = [e.message] + [p.message for p in e.problems if p.severity == "error"]
            if _wants_json(request):
                return web.json({"error": e.message, "details": lines[1:], "problems": [p.as_dict() for p in e.problems], "status": 400},
                                status=400)
            page = form_page(archive, lines)
            return web.html(page.template, {**page.context, "csrf": viewer.csrf_token}, status=400, viewer=viewer, request=request)
        except OutsafeError as e:
            return _refusal(web, request, viewer, 400, [str(x) for x in e.lines()])
        except Exception:  # noqa: BLE001 — a bug: logged on the server, answered (not a dropped connection), never shown
            traceback.print_exc(file=sys.stderr)
            return web.error(request, 500, ["服务器内部错误，已记录在服务器日志中 (internal error)"], viewer)
        audit.record(archive, "ticket_step", account=viewer.name, org=viewer.org, target=done.record_id, address=address,
                     detail={"step": done.step, "label": done.label, "signer": done.signer})
        url = then(done)
        if _wants_json(request):
            return web.json({**done.as_dict(), "next": url}, status=201)
        return RedirectResponse(url, status_code=303)

    try:
        return await run_in_threadpool(run)
    finally:
        up.close()


async def apply_post(web: WebApp, request: Request, viewer: Viewer) -> Response:
    tt = request.query_params.get("type") or "hot_work"

    def work(archive: Any, up: StepUpload, address: str | None) -> lc.StepDone:
        form = lc.application_form(archive, up.get("ticket_type") or tt)
        header = _header(up, form["ticket_type"], form)
        return lc.apply_ticket(archive, header, _signer(up, viewer), _capture(up), account=viewer.name, address=address)

    def form_page(archive: Any, errors: list[str]) -> Page:
        form = lc.application_form(archive, tt)
        return Page("ticket_new.html", {"form": {**form, "fields": header_fields(tt)}, "errors": errors, "me": _me(viewer, form["people"])})

    return await _sign(web, request, viewer, work, then=lambda d: f"/tickets/{d.record_id}?done={d.step}", form_page=form_page)


apply_post.streams_body = True  # type: ignore[attr-defined]


async def step_post(web: WebApp, request: Request, viewer: Viewer) -> Response:
    rid, step = request.path_params["id"], request.path_params["step"]

    def work(archive: Any, up: StepUpload, address: str | None) -> lc.StepDone:
        if step not in STEP_NAMES or step == "apply":
            raise NotFound(f"没有这一步 (no such step): {step[:20]}")
        return lc.sign_step(archive, viewer.scope, rid, step, _step_fields(up, step), _signer(up, viewer), _capture(up), account=viewer.name,
                            box=up.get("box") or request.query_params.get("box"), version=up.get("version"), address=address)

    def form_page(archive: Any, errors: list[str]) -> Page:
        row = lc.latest_row(archive, viewer.scope, rid)
        t = lc.load_ticket(archive, row)
        view = lc.ticket_view(archive, row)
        box = request.query_params.get("box")
        try:
            nxt = lc.allowed_step(t, lc.ticket_state(t, lc.now_local(archive), archive.settings), step, box)
        except lc.StepRefused as e:
            return Page("ticket_step.html", {"t": view, "step": step, "next": None, "form": None, "refused": e.message, "errors": errors})
        form = lc.step_form(archive, t, step, nxt.box)
        return Page("ticket_step.html", {"t": view, "step": step, "next": nxt, "form": form,
                                         "refused": None, "errors": errors, "me": _me(viewer, form["people"])})

    return await _sign(web, request, viewer, work, then=lambda d: f"/tickets/{d.record_id}?done={d.step}", form_page=form_page)


step_post.streams_body = True  # type: ignore[attr-defined]


# --- the route table ------------------------------------------------------------------------------------------------


def routes(web: WebApp) -> list[Route]:
    g = web.guard

    def both(path: str, handler: Any, capability: str = "read", methods: tuple[str, ...] = ("GET",)) -> list[Route]:
        ep = g(handler, capability)
        return [Route(path, ep, methods=list(methods)), Route("/api" + path, ep, methods=list(methods))]

    return [
        *both("/tickets", ticket_list),
        *both("/tickets/new", new_ticket, "ticket"),
        *both("/tickets/new", apply_post, "ticket", ("POST",)),
        *both("/tickets/{id}", ticket),
        *both("/tickets/{id}/sign/{step}", step_page, "ticket"),
        *both("/tickets/{id}/sign/{step}", step_post, "ticket", ("POST",)),
    ]


__all__ = ["routes", "header_fields"]
