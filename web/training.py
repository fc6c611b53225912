"""The three-level training exam in the browser (archive.training): the safety officer arranges an
exam and hands the phone to the worker, who confirms who he is, answers against the server's clock,
hands in and signs his result on the screen; the officer writes the three passed exams into the
worker's 三级安全教育登记卡. Every page has its JSON twin under /api.

    GET  /training                          exams arranged, workers and their levels, the banks (officer)
    POST /training/exams                    arrange an exam: worker, level, the training it closes
    GET  /training/results                  every exam: score, pass, time used, signed, in a card (read)
    GET  /training/workers/{key}            one worker: his exams per level, his cards, the card form
    POST /training/workers/{key}/card       write the 登记卡 from his three passed, signed exams
    GET  /exams/{id}                        the exam: start / questions and timer / result and signature
    POST /exams/{id}/start|answers|submit|sign|cancel
    GET  /exams/{id}/signature.png          the worker's signature

Arranging, taking and writing need the ``training`` capability (an enterprise's admin or safety
officer in its own archive); results and an exam's page need ``read``. An exam of another
enterprise is a 404, like a missing one.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from archive.access import audit
from archive.errors import NotFound, OutsafeError, Problem, RuleViolation, ValidationFailed
from archive.privacy import mask_text
from archive.training import bank as banks
from archive.training import card as cards
from archive.training import exam as exams
from schemas.training import LEVELS
from web.app import BadRequest, Ctx, Page, WebApp

SIGNATURE_FIELD_MAX = 60_000  # characters of the data: URL (the form itself is limited to 64 KiB)


def _within(ctx: Ctx) -> str | None:
    return ctx.viewer.scope.enterprise


def _log(ctx: Ctx, action: str, target: str | None, **detail: Any) -> None:
    """One entry of the access log for an act of the exam (who, from where, on which attempt)."""
    audit.record(ctx.archive, action, account=ctx.viewer.name, org=ctx.viewer.org, target=target, address=ctx.address,
                 detail={k: v for k, v in detail.items() if v is not None} or None)


def _problems(e: OutsafeError) -> list[str]:
    return [str(x).strip() for x in e.lines()]


def _png_field(ctx: Ctx, name: str, *, required: bool) -> bytes | None:
    value = ctx.form.get(name) or ""
    if not value:
        if required:
            raise ValidationFailed([Problem(name, "请在框内签字 (please sign in the box)")])
        return None
    prefix = "data:image/png;base64,"
    if len(value) > SIGNATURE_FIELD_MAX or not value.startswith(prefix):
        raise ValidationFailed([Problem(name, "签名应为 PNG 图片 (the signature must be a PNG image)")])
    try:
        return base64.b64decode(value[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed([Problem(name, "签名数据损坏 (damaged signature data)")]) from None


# --- the officer's page --------------------------------------------------------------------------------------


def workers(ctx: Ctx) -> list[dict]:
    """The contractors' registered workers with their exams per level (newest attempt per level)."""
    a = ctx.archive
    out = []
    for reg in a.catalog.list_registry("person"):
        person = a.load_record(a.catalog.get_record(reg["record_id"]))
        org = a.catalog.get_registry("organization", person.employer)
        if person.employer == a.owner_uscc or org is None:
            continue
        attempts = a.catalog.exams.attempts(person=reg["key"])
        levels = {}
        for lv in LEVELS:
            mine = [x for x in attempts if x["level"] == lv]
            good = next((x for x in mine if x["status"] == "submitted" and x["passed"] and x["signature"] is not None), None)
            levels[lv] = {"passed": bool(good), "latest": exams.STATUS_NAMES[mine[0]["status"]] if mine else None,
                          "failed": bool(mine and mine[0]["passed"] is False)}
        out.append({"key": reg["key"], "name": person.name, "id_masked": mask_text(person.id_number), "employer": person.employer,
                    "employer_name": org["name"], "trade": person.trade, "levels": levels,
                    "ready": all(v["passed"] for v in levels.values())})
    return sorted(out, key=lambda w: (w["employer_name"], w["name"]))


def _bank_info(ctx: Ctx) -> list[dict]:
    s = ctx.web.settings
    out = []
    for lv in LEVELS:
        try:
            b = banks.current_bank(ctx.archive, lv)
        except NotFound:
            out.append({"level": lv, "installed": False})
            continue
        out.append({"level": lv, "installed": True, "title": b.bank.title, "version": b.bank.version, "questions": len(b.bank.questions),
                    "draw": banks.draw_count(s, lv), "hours": b.bank.hours, "content": list(b.bank.content), "sha256": b.sha256})
    return out


def training_home(ctx: Ctx, *, problems: list[str] | None = None, form: dict | None = None, status: int = 200) -> Page:
    within = _within(ctx)
    recent = exams.results(ctx.archive, within=within, limit=20).rows
    people = workers(ctx)
    data = {"banks": _bank_info(ctx), "workers": people, "recent": recent, "minutes": ctx.web.settings.exam_minutes,
            "pass_score": ctx.web.settings.training_pass_score}
    chosen = form or {"person": ctx.param("person") or "", "level": ctx.param("level") or "公司级",
                      "start": ctx.archive.clock.today().isoformat(), "hours": "", "trainer": "", "content": ""}
    return Page("exam_home.html", {**data, "problems": problems or [], "form": chosen, "LEVELS": LEVELS}, exams.masked(data), status)


def arrange(ctx: Ctx) -> Response | Page:
    form = {k: ctx.param(k) or "" for k in ("person", "level", "start", "hours", "trainer", "content")}
    level = form["level"]
    try:
        if level not in LEVELS:
            raise ValidationFailed([Problem("level", "请选择教育级别 (choose a level)")])
        if not form["person"]:
            raise ValidationFailed([Problem("person", "请选择参加考试的人员 (choose the worker)")])
        bank = banks.current_bank(ctx.archive, level)
        training = exams.training_facts(
            ctx.archive, level, start=ctx.day("start"), hours=form["hours"] or bank.bank.hours or "",
            trainer=form["trainer"], content=(form["content"].splitlines() if form["content"] else list(bank.bank.content)))
        row = exams.arrange(ctx.archive, form["person"], level, training, by=ctx.viewer.name)
        _log(ctx, "exam_arranged", row["id"], level=level)
    except NotFound as e:
        if ctx.api:
            raise
        return training_home(ctx, problems=_problems(e), form=form, status=400)
    except (ValidationFailed, RuleViolation) as e:
        if ctx.api:
            raise
        return training_home(ctx, problems=_problems(e), form=form, status=400)
    if ctx.api:
        return ctx.web.json(exams.masked(exams.summary(row)), status=201)
    return RedirectResponse(f"/exams/{row['id']}", status_code=303)


def results_page(ctx: Ctx) -> Page:
    level = ctx.param("level")
    status = ctx.param("status")
    if level is not None and level not in LEVELS:
        raise BadRequest(f"没有这个教育级别 (no such level): {level[:10]}")
    if status is not None and status not in exams.STATUS_NAMES:
        raise BadRequest(f"没有这个状态 (no such status): {status[:12]}")
    result = exams.results(ctx.archive, within=_within(ctx), level=level, status=status, limit=ctx.number("limit", 200, 1, 2000))
    data = exams.masked(result.as_dict())
    return Page("exam_results.html", {"rows": data["attempts"], "form": {"level": level or "", "status": status or ""},
                                      "LEVELS": LEVELS, "STATUS_NAMES": exams.STATUS_NAMES}, data)


# --- one worker: his exams and his card ---------------------------------------------------------------------------


def _state(ctx: Ctx) -> dict:
    key = ctx.request.path_params["key"]
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise NotFound("没有这个人员 (no such person)")
    state = cards.card_state(ctx.archive, key)
    ctx.viewer.scope.record(ctx.archive, state["person_record"])  # outside the scope: the same 404
    return state


def _projects(ctx: Ctx, contractor: str) -> list[dict]:
    a = ctx.archive
    out = []
    for reg in a.catalog.list_registry("project"):
        p = a.load_record(a.catalog.get_record(reg["record_id"]))
        if p.contractor == contractor and p.enterprise == a.owner_uscc:
            out.append({"code": p.code, "name": p.name})
    return sorted(out, key=lambda p: p["code"])


def worker(ctx: Ctx, *, problems: list[str] | None = None, form: dict | None = None, status: int = 200) -> Page:
    state = _state(ctx)
    projects = _projects(ctx, state["employer"])
    chosen = form or {"record_no": state["record_no"], "trade": state["trade"] or "", "entry_date": state["entry_date"] or "",
                      "project": "", "confirmed_by": "", "confirmed_on": ctx.archive.clock.today().isoformat(), "site_briefing": ""}
    data = exams.masked(state)
    return Page("exam_worker.html", {"w": data, "problems": problems or [], "form": chosen, "projects": projects}, data, status)


def write_card(ctx: Ctx) -> Response | Page:
    state = _state(ctx)
    form = {k: ctx.param(k) or "" for k in ("record_no", "trade", "entry_date", "project", "confirmed_by", "confirmed_on",
                                            "site_briefing")}
    try:
        written = cards.write_card(
            ctx.archive, state["key"], record_no=form["record_no"], confirmed_by=form["confirmed_by"],
            confirmed_on=ctx.day("confirmed_on"), trade=form["trade"], entry_date=ctx.day("entry_date"), project=form["project"],
            site_briefing=form["site_briefing"], confirmer_signature=_png_field(ctx, "confirmer_signature", required=False),
        )
        _log(ctx, "card_written", written.record_id, record_no=form["record_no"])
    except (ValidationFailed, RuleViolation) as e:
        if ctx.api:
            raise
        return worker(ctx, problems=_problems(e), form=form, status=400)
    if ctx.api:
        return ctx.web.json(written.as_dict(), status=201)
    return RedirectResponse(f"/records/{written.record_id}", status_code=303)


# --- the exam itself --------------------------------------------------------------------------------------------


def exam_page(ctx: Ctx, *, problems: list[str] | None = None, status: int = 200) -> Page:
    row = exams.get(ctx.archive, ctx.request.path_params["id"], within=_within(ctx))
    paper = exams.masked(exams.paper(ctx.archive, row))
    return Page("exam.html", {"e": paper, "problems": problems or []}, paper, status)


def _answers(ctx: Ctx) -> dict[str, str]:
    """The answers in a posted form: ``q:ID`` = letter or 正确/错误 (radio), ``m:ID:L`` = on (checkbox)."""
    out: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for k, v in ctx.form.items():
        if k.startswith("q:"):
            out[k[2:]] = v
        elif k.startswith("m:") and k.count(":") == 2:
            _, qid, letter = k.split(":")
            multi.setdefault(qid, []).append(letter)
    out.update({q: "".join(sorted(ls)) for q, ls in multi.items()})
    return out


def start(ctx: Ctx) -> Response | Page:
    try:
        row = exams.start(ctx.archive, ctx.request.path_params["id"], birth=ctx.param("birth") or "", within=_within(ctx))
        _log(ctx, "exam_started", row["id"], level=row["level"])
    except (ValidationFailed, RuleViolation) as e:
        _log(ctx, "exam_start_refused", ctx.request.path_params["id"], reason=_problems(e)[0] if _problems(e) else None)
        if ctx.api:
            raise
        return exam_page(ctx, problems=_problems(e), status=400)
    if ctx.api:
        return ctx.web.json(exams.masked(exams.paper(ctx.archive, row)))
    return RedirectResponse(f"/exams/{row['id']}", status_code=303)


def save(ctx: Ctx) -> Response:
    """Autosave (exam.js posts the whole form as each answer is given): the state as JSON."""
    row = exams.save_answers(ctx.archive, ctx.request.path_params["id"], _answers(ctx), within=_within(ctx))
    data = {"status": row["status"], "answered": len(json.loads(row["answers"])),
            "remaining_seconds": exams.remaining_seconds(ctx.archive, row)}
    if ctx.api or ctx.request.headers.get("accept", "").startswith("application/json"):
        return ctx.web.json(data)
    return RedirectResponse(f"/exams/{row['id']}", status_code=303)


def submit(ctx: Ctx) -> Response:
    try:
        row = exams.submit(ctx.archive, ctx.request.path_params["id"], _answers(ctx), within=_within(ctx))
        _log(ctx, "exam_submitted", row["id"], level=row["level"], score=row["score"], passed=bool(row["passed"]))
    except RuleViolation:
        if ctx.api:
            raise
        return RedirectResponse(f"/exams/{ctx.request.path_params['id']}", status_code=303)
    if ctx.api:
        return ctx.web.json(exams.masked(exams.paper(ctx.archive, row)))
    return RedirectResponse(f"/exams/{row['id']}", status_code=303)


def sign(ctx: Ctx) -> Response | Page:
    try:
        row = exams.sign(ctx.archive, ctx.request.path_params["id"], _png_field(ctx, "signature", required=True) or b"",
                         within=_within(ctx))
        _log(ctx, "exam_signed", row["id"], level=row["level"], score=row["score"], passed=bool(row["passed"]))
    except (ValidationFailed, RuleViolation) as e:
        if ctx.api:
            raise
        return exam_page(ctx, problems=_problems(e), status=400)
    if ctx.api:
        return ctx.web.json(exams.masked(exams.summary(row)))
    return RedirectResponse(f"/exams/{row['id']}", status_code=303)


def cancel(ctx: Ctx) -> Response | Page:
    try:
        row = exams.cancel(ctx.archive, ctx.request.path_params["id"], within=_within(ctx))
        _log(ctx, "exam_cancelled", row["id"], level=row["level"])
    except RuleViolation as e:
        if ctx.api:
            raise
        return exam_page(ctx, problems=_problems(e), status=400)
    if ctx.api:
        return ctx.web.json(exams.masked(exams.summary(row)))
    return RedirectResponse("/training", status_code=303)


def signature_png(ctx: Ctx) -> Response:
    row = exams.get(ctx.archive, ctx.request.path_params["id"], within=_within(ctx))
    if row["signature"] is None:
        raise NotFound("尚未签字 (not signed)")
    return Response(bytes(row["signature"]), media_type="image/png", headers={"cache-control": "private, no-store"})


def routes(web: WebApp) -> list[Route]:
    g = web.guard

    def both(path: str, handler: Any, capability: str = "read", methods: tuple[str, ...] = ("GET",)) -> list[Route]:
        ep = g(handler, capability)
        return [Route(path, ep, methods=list(methods)), Route("/api" + path, ep, methods=list(methods))]

    return [
        *both("/training", training_home, "training"),
        *both("/training/exams", arrange, "training", ("POST",)),
        *both("/training/results", results_page),
        *both("/training/workers/{key}", worker, "training"),
        *both("/training/workers/{key}/card", write_card, "training", ("POST",)),
        *both("/exams/{id}", exam_page),
        *both("/exams/{id}/start", start, "training", ("POST",)),
        *both("/exams/{id}/answers", save, "training", ("POST",)),
        *both("/exams/{id}/submit", submit, "training", ("POST",)),
        *both("/exams/{id}/sign", sign, "training", ("POST",)),
        *both("/exams/{id}/cancel", cancel, "training", ("POST",)),
        Route("/exams/{id}/signature.png", g(signature_png)),
    ]


__all__ = ["routes"]
