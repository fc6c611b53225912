"""The campaign's reports, filled from the archive (domain.md §2.6).

    built = build_report(archive, "self_check", as_of=date(2026, 6, 10))
    built.data      # the case file (type campaign_report / campaign_table), ready for `case add`
    built.figures   # every figure the report states, by key (a test compares them with the catalog)
    paths = write_report(archive, built, out_dir)   # .yaml, .docx, .pdf and (tables) .xlsx

Kinds:

==============  ====================================  =======================  ==========
kind            document                              record type              due
==============  ====================================  =======================  ==========
attachment2     附件2 外包作业情况表 (enterprise)       campaign_table           4-30
self_check      外包作业安全专项整治自查报告             campaign_report          6-10
ledger          外包作业队伍监管台账 (bureau)            campaign_table           —
summary         工作总结报告                           campaign_report          10-20
==============  ====================================  =======================  ==========

The documents are rendered by the record's template (doc_templates/forms_campaign.py: GB/T 9704
layout — A4, margins 37/28/26/35 mm, 3号仿宋 body, 2号小标宋 title, 22 lines × 28 characters,
page numbers "— 1 —" right on odd and left on even pages; a table's paper, font and column widths
are fitted to its content when it is rendered, archive/documents/tables.py); tables are written
as .xlsx too.
Figures count records dated on or before ``as_of`` only, so a report for a past day is the report
as it would have been on that day.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from archive.campaign.rectify import merge_findings, rectification_status, rectification_view, to_plain, write_case_file
from archive.checks.contractor import ROSTER_CERTS
from archive.checks.facts import active_listings, cert_problem, project_window, training_card
from archive.checks.model import SEVERITIES, CheckReport
from archive.checks.rules import GROUP_C, GROUP_E, RULES, RULES_BY_ID, run_checks
from archive.checks.snapshot import Snapshot
from archive.checks.stream import check_view, home_clauses, scope_snapshot
from archive.checks.world import World
from archive.documents.fit import convert_one_fitted
from archive.documents.render import render_record
from archive.errors import NotFound, Problem, ValidationFailed
from archive.facts import cache
from archive.registry import resolve
from archive.text import Note, cn_date
from schemas import TYPES, load
from schemas.base import RuleContext, dump
from schemas.campaign_report import REPORT_KINDS
from schemas.common import TICKET_TYPE_NAMES
from schemas.sealed import from_sealed
from storage.home import output_folder, write_output

KIND_ALIASES = {
    "attachment2": "attachment2", "附件2": "attachment2", "situation": "attachment2",
    "self-check": "self_check", "self_check": "self_check", "自查报告": "self_check",
    "ledger": "ledger", "台账": "ledger", "监管台账": "ledger",
    "summary": "summary", "总结报告": "summary", "工作总结报告": "summary",
}
REPORT_CODES = {"attachment2": "WBQK", "self_check": "ZCBG", "summary": "ZJBG", "ledger": "JGTZ"}
FILE_NAMES = {"attachment2": "附件2-外包作业情况表", "self_check": "整治自查报告", "summary": "工作总结报告", "ledger": "外包作业队伍监管台账"}
DUE = {"attachment2": (4, 30), "self_check": (6, 10), "summary": (10, 20)}
CN_NUM = "一二三四五六七八九十"
PUBLIC = 0o644  # reports are for handing in (case-file drafts stay 0600: they may hold 身份证号)


def cn_range(a: date, b: date) -> str:
    return f"{cn_date(a)}至{cn_date(b)}"


def _n(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


# --- figures ----------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Every figure a report states: key → (label, value)."""

    values: dict[str, tuple[str, float]] = field(default_factory=dict)

    def set(self, key: str, label: str, value: float) -> float:
        self.values[key] = (label, value)
        return value

    def __getitem__(self, key: str) -> float:
        return self.values[key][1]

    def as_list(self) -> list[dict]:
        return [{"key": k, "label": lab, "value": float(v)} for k, (lab, v) in self.values.items()]

    def as_dict(self) -> dict[str, float]:
        return {k: v for k, (_, v) in self.values.items()}


def _year_projects(snap: Snapshot, year: int, enterprise: str | None) -> list:
    out = []
    for r in snap.of("project"):
        p = r.obj
        start, end = project_window(p)
        if (enterprise is None or p.enterprise == enterprise) and start.year <= year <= end.year:
            out.append(r)
    return sorted(out, key=lambda r: (r.obj.enterprise, r.obj.period.start, r.obj.code))


def _roster(p: Any) -> list:
    seen, out = set(), []
    for ref in (p.manager, p.safety_officer, *p.workers):
        if ref is None:
            continue
        key = (ref.id_number or ref.name).upper()
        if key not in seen:
            seen.add(key)
            out.append(ref)
    return out


def project_facts(snap: Snapshot, pr: Any, as_of: date) -> dict:
    """What 附件2 and the ledger say about one project, as on ``as_of``."""
    p = pr.obj
    start, end = project_window(p)
    day = min(max(start, min(end, as_of)), end)
    # the roster as on as_of: nobody who entered the site later
    persons = [(ref, snap.person_rec(ref, [p.contractor])) for ref in _roster(p)]
    persons = [(ref, per) for ref, per in persons if per is None or per.obj.entry_date is None or per.obj.entry_date <= as_of]
    roster = [ref for ref, _ in persons]
    special = [(ref, per) for ref, per in persons if per is not None and any(r in per.obj.roles for r in ROSTER_CERTS)]
    certified = 0
    for ref, per in special:
        kinds = [ROSTER_CERTS[r] for r in per.obj.roles if r in ROSTER_CERTS]
        if all(any(c.kind == k and cert_problem(c, day, day) is None for c in per.obj.certificates) for k in kinds):
            certified += 1
    staff = [(ref, per) for ref, per in persons if per is not None and per.obj.employer == p.contractor
             and (per.obj.entry_date is None or per.obj.entry_date <= as_of)]
    trained = sum(1 for _, per in staff if training_card(snap, per.obj.id_number, p.enterprise, p.contractor, as_of)[0] is not None)
    insured = sum(1 for _, per in persons if per is not None and per.obj.work_injury_insurance)
    tickets = snap.for_project("work_ticket", p)
    contracts = snap.for_project("outsourcing_contract", p)
    agreements = snap.for_project("safety_agreement", p)
    org = snap.org(p.contractor)
    quals = "；".join(f"{q.kind} {q.number}，有效期至{cn_date(q.valid_to) if q.valid_to else '长期'}" for q in (org.qualifications if org else ()))
    return {
        "project": p, "record": pr, "start": start, "end": end, "roster": len(roster), "special": len(special),
        "certified": certified, "staff": len(staff), "trained": trained, "insured": insured,
        "tickets": tickets, "contracts": contracts, "agreements": agreements, "qualifications": quals or "未登记",
        "contractor_name": snap.org_name(p.contractor),
    }


def figure_counts(view: Snapshot, as_of: date, *, enterprise: str | None, year: int) -> dict[str, Any]:
    """What the figures count in ``view`` (the whole archive, or one part of it: every part counts
    its own records and the counts add up; the people are sets, since one person may be counted in
    several parts)."""
    def mine(r: Any, attr: str = "enterprise") -> bool:
        return enterprise is None or getattr(r.obj, attr, None) == enterprise

    projects = _year_projects(view, year, enterprise)
    facts = [project_facts(view, pr, as_of) for pr in projects]
    cards = [r for r in view.of("training_record") if mine(r)]

    def labour(card: Any) -> str:
        person = view.person_by_number(card.obj.trainee.id_number)
        return person.obj.labour_type if person is not None else card.obj.trainee.labour_type

    tickets = [r for r in view.of("work_ticket") if mine(r)]
    hazards = [r for r in view.of("hazard") if mine(r)]
    accidents = [r for r in view.of("accident") if mine(r)]
    orders = [r for r in view.of("rectification_order") if mine(r, "unit")]
    decisions = [r for r in view.of("penalty_decision") if mine(r, "unit")]
    qa = [r for r in view.of("quarterly_assessment") if mine(r)]
    return {
        "projects": len(projects), "project_contractors": {pr.obj.contractor for pr in projects},
        "workers": sum(f["roster"] for f in facts), "special_operators": sum(f["special"] for f in facts),
        "special_certified": sum(f["certified"] for f in facts),
        "contracts": sum(1 for r in view.of("outsourcing_contract") if mine(r)),
        "agreements": sum(1 for r in view.of("safety_agreement") if mine(r)),
        "training_records": len(cards),
        "trained": {r.obj.trainee.id_number.upper() for r in cards if r.obj.conclusion.passed},
        "labour_trained": {r.obj.trainee.id_number.upper() for r in cards if r.obj.conclusion.passed and labour(r) != "正式员工"},
        "tickets": Counter(r.obj.ticket_type for r in tickets),
        "enterprise_inspections": sum(1 for r in view.of("contractor_inspection") if mine(r)),
        "assessments": len(qa), "assessments_failed": sum(1 for r in qa if r.obj.result == "不合格"),
        "hazards": len(hazards), "hazards_major": sum(1 for r in hazards if r.obj.grade == "重大"),
        "hazards_closed": sum(1 for r in hazards if r.obj.status == "已整改" and r.obj.rectified_on and r.obj.rectified_on <= as_of),
        "accidents": len(accidents), "deaths": sum(r.obj.deaths for r in accidents),
        "bureau_inspections": sum(1 for r in view.of("inspection_record") if mine(r, "unit")),
        "orders": len(orders), "order_items": sum(len(r.obj.items) for r in orders),
        "penalties": len(decisions), "fines": sum((r.obj.fine or 0) for r in decisions),
    }


def add_counts(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The counts of several parts together (numbers add, sets join)."""
    out = dict(parts[0])
    for p in parts[1:]:
        for k, v in p.items():
            out[k] = out[k] | v if isinstance(v, set) else out[k] + v
    return out


def campaign_figures(snap: Snapshot, as_of: date, *, enterprise: str | None, year: int,
                     check: CheckReport | None = None, rect: dict | None = None, counts: dict[str, Any] | None = None) -> Figures:
    """The campaign's figures for one enterprise (or the whole archive) as on ``as_of``; ``counts``:
    :func:`figure_counts` already made (part by part, added up)."""
    view = snap.upto(as_of)
    fig = Figures()
    c = counts or figure_counts(view, as_of, enterprise=enterprise, year=year)
    fig.set("projects", "外包项目（个）", c["projects"])
    fig.set("contractors", "承包单位（家）", len(c["project_contractors"]))
    fig.set("workers", "外包作业人员（人）", c["workers"])
    fig.set("special_operators", "特种作业及特种设备作业人员（人）", c["special_operators"])
    fig.set("special_certified", "其中持有效证件（人）", c["special_certified"])
    fig.set("contracts", "外包合同（份）", c["contracts"])
    fig.set("agreements", "安全生产管理协议（份）", c["agreements"])
    fig.set("training_records", "三级安全教育登记卡（份）", c["training_records"])
    fig.set("trained", "三级安全教育考核合格（人）", len(c["trained"]))
    fig.set("labour_trained", "其中劳务分包、临时用工人员（人）", len(c["labour_trained"]))
    fig.set("tickets", "危险作业票（张）", sum(c["tickets"].values()))
    for tt, name in TICKET_TYPE_NAMES.items():
        fig.set(f"tickets_{tt}", f"其中{name}（张）", c["tickets"].get(tt, 0))
    fig.set("enterprise_inspections", "发包单位对承包单位安全检查（次）", c["enterprise_inspections"])
    fig.set("assessments", "承包单位季度安全生产考核（次）", c["assessments"])
    fig.set("assessments_failed", "其中考核不合格（次）", c["assessments_failed"])
    fig.set("hazards", "排查事故隐患（项）", c["hazards"])
    fig.set("hazards_major", "其中重大事故隐患（项）", c["hazards_major"])
    fig.set("hazards_closed", "已整改隐患（项）", c["hazards_closed"])
    fig.set("accidents", "外包作业生产安全事故（起）", c["accidents"])
    fig.set("deaths", "死亡（人）", c["deaths"])
    fig.set("bureau_inspections", "区应急管理局现场检查（次）", c["bureau_inspections"])
    fig.set("orders", "责令限期整改指令书（份）", c["orders"])
    fig.set("order_items", "责令整改问题（项）", c["order_items"])
    fig.set("penalties", "行政处罚决定（件）", c["penalties"])
    fig.set("fines", "罚款（元）", float(c["fines"]))
    contractors = sorted(c["project_contractors"] | {
        u for u in view.org_keys_with_role("contractor") if enterprise is None or view.owner == enterprise})
    view.about_to_ask(listed=contractors)
    fig.set("blacklisted", "列入黑名单的承包单位（家）", sum(1 for c in contractors if active_listings(view, c, as_of, enterprise)))
    rect = rect or rectification_status(snap, as_of, enterprise=enterprise)
    sm = rect["summary"]
    fig.set("rect_total", "整改事项（项）", sm["total"])
    fig.set("rect_closed", "已整改（项）", sm["closed"])
    fig.set("rect_open", "整改中（项）", sm["open"])
    fig.set("rect_overdue", "逾期未整改（项）", sm["overdue"])
    fig.set("rect_rate", "整改率（%）", sm["rate"] if sm["rate"] is not None else 100.0)
    if check is not None:
        s = check.summary()
        fig.set("rules", "自查项目（项）" if enterprise else "对照整治内容检查的项目（项）", s["rules"])
        fig.set("rules_pass", "通过（项）", s["pass"])
        fig.set("rules_warn", "有提示（项）", s["warn"])
        fig.set("rules_fail", "不通过（项）", s["fail"])
        fig.set("rules_not_applicable", "不涉及（项）", s["not_applicable"])
        fig.set("rules_applicable", "适用本单位（项）" if enterprise else "适用的项目（项）", s["rules"] - s["not_applicable"])
        fig.set("findings_major", "重大事故隐患（条）", s["findings"]["major"])
        fig.set("findings_error", "问题（条）", s["findings"]["error"])
        fig.set("findings_warning", "提示（条）", s["findings"]["warning"])
    return fig


# --- building reports --------------------------------------------------------------------------------


@dataclass
class Built:
    kind: str
    data: dict  # the case file
    obj: Any  # the loaded record
    figures: Figures
    sheets: list[tuple[str, list[str], list[list[Any]]]]  # .xlsx: (sheet title, header, rows)
    problems: list[Problem]


def _bureau_name(snap: Snapshot) -> str:
    bureaus = [r.obj for r in snap.orgs_with_role("bureau")]
    return bureaus[0].name if len(bureaus) == 1 else "区应急管理局"


def _author(snap: Snapshot, kind: str, enterprise: str | None) -> tuple[str, Any]:
    """(field, organization) of who hands the report in."""
    if kind == "ledger":
        org = snap.org(snap.owner)
        if org is None:
            raise NotFound("档案所有单位未登记 (owner not registered)")
        return ("bureau" if org.role == "bureau" else "enterprise"), org
    uscc = enterprise or (snap.owner if snap.owner_role == "enterprise" else None)
    if kind == "summary" and uscc is None and snap.owner_role == "bureau":
        return "bureau", snap.org(snap.owner)
    if uscc is None:
        raise ValidationFailed([Problem("enterprise", "请用 --enterprise 指定报送的发包单位 (name the enterprise)")])
    org = snap.org(uscc)
    if org is None or org.role != "enterprise":
        raise NotFound(f"{uscc} 不是已登记的发包单位 (not a registered enterprise)")
    return "enterprise", org


def next_report_no(archive: Any, year: int) -> str:
    """The bureau's next 发文字号 of the year for its reports: 济高新应急〔2026〕N号 (settings.report_doc_code)."""
    code = archive.settings.report_doc_code
    pattern = re.compile(rf"^{re.escape(code)}〔{year}〕([1-9]\d*)号$")
    used = [0]
    for row in archive.catalog.list_records(types=["campaign_report"]):
        m = pattern.match(str(json.loads(row["data"]).get("doc_no") or ""))
        if m:
            used.append(int(m.group(1)))
    return f"{code}〔{year}〕{max(used) + 1}号"


class Whole:
    """What a report of the whole archive (the bureau's ledger and summary) needs, read home by home
    (each enterprise's records at a time): the check and the rectification items of the archive
    (archive.checks.stream, archive.campaign.rectify), the figures' counts added up and — for the
    ledger — every project's row, in the order of the whole."""

    def __init__(self, archive: Any, world: World, as_of: date, year: int, *, rows: bool) -> None:
        self.check = check_view(archive, as_of)
        self.rect = rectification_view(archive, as_of)
        failed = failed_rules(self.check)
        items: dict[str, list[dict]] = {}
        for x in self.rect["items"]:
            items.setdefault(x["enterprise"] or "", []).append(x)
        keyed, counts, self.enterprises = [], [], set()
        world.keep_cases = False  # each home's records are read once
        for home in world.homes():
            snap = world.snapshot(home_clauses(world, [home]), as_of).preload()
            projects = _year_projects(snap, year, None)
            if rows:
                keyed += [((p.obj.enterprise, p.obj.period.start, p.obj.code), row)
                          for p, row in zip(projects, ledger_rows(snap, as_of, projects, failed, items.get(home, [])))]
            counts.append(figure_counts(snap, as_of, enterprise=None, year=year))
            self.enterprises |= {p.obj.enterprise for p in projects}
            world.forget()
        world.keep_cases = True
        self.counts = add_counts(counts)
        self._rows = [row for _, row in sorted(keyed, key=lambda kr: kr[0])]

    def ledger_rows(self) -> list[list[Any]]:
        return [[i, *row[1:]] for i, row in enumerate(self._rows, 1)]


def build_report(archive: Any, kind: str, *, as_of: date, enterprise: str | None = None, issued_on: date | None = None,
                 snap: Snapshot | None = None, doc_no: str | None = None, signer: str | None = None) -> Built:
    """The report ``kind`` as on ``as_of``. With ``snap`` (the whole archive in memory), built on it;
    without, read through the facts — one enterprise's records for an enterprise's report, the
    archive home by home for the bureau's — and kept until a record it depends on arrives."""
    kind = KIND_ALIASES.get(kind, kind)
    if kind not in REPORT_KINDS:
        raise ValidationFailed([Problem("kind", "报告类别应为 attachment2 / self-check / ledger / summary")])
    year = archive.settings.campaign_year
    issued_on = issued_on or as_of
    if snap is not None:
        return _build(archive, kind, snap, as_of, enterprise, issued_on, year, doc_no, signer)
    world = World(archive)
    lookups = world.snapshot([], as_of)
    field_name, org = _author(lookups, kind, enterprise)
    k = cache.key(archive, "report", kind, as_of, org.uscc, issued_on, doc_no or "", signer or "")
    # the bureau's summary counts the packages handed in, which arrive without a record
    packages = kind == "summary" and field_name == "bureau"

    def compute(deps: cache.Deps) -> dict:
        world.deps = deps
        if field_name == "enterprise":
            part, _ = scope_snapshot(world, as_of, org.uscc, None)
            built = _build(archive, kind, part.preload(), as_of, enterprise, issued_on, year, doc_no, signer)
        else:
            deps.everything = True
            whole = Whole(archive, world, as_of, year, rows=kind == "ledger")
            built = _build(archive, kind, lookups, as_of, enterprise, issued_on, year, doc_no, signer, whole=whole)
        return {"data": to_plain(built.data), "sealed": dump(built.obj), "sheets": built.sheets,
                "figures": [[k, label, v] for k, (label, v) in built.figures.values.items()],
                "problems": [p.as_dict() for p in built.problems]}

    got = cache.get_or_compute(archive, k, compute, packages=packages)
    cls = TYPES[got["data"]["type"]]
    figures = Figures()
    for key, label, value in got["figures"]:
        figures.set(key, label, value)
    problems = [Problem(p["path"], p["message"], p["file"], p["source"], p["severity"]) for p in got["problems"]]
    return Built(kind, got["data"], from_sealed(cls, got["sealed"]), figures, [tuple(s) for s in got["sheets"]], problems)


def _build(archive: Any, kind: str, snap: Snapshot, as_of: date, enterprise: str | None, issued_on: date, year: int,
           doc_no: str | None, signer: str | None, *, whole: Whole | None = None) -> Built:
    field_name, org = _author(snap, kind, enterprise)
    scope = org.uscc if field_name == "enterprise" else None
    builder = {"attachment2": _attachment2, "self_check": _self_check, "ledger": _ledger, "summary": _summary}[kind]
    if whole is not None:
        data, figures, sheets = builder(snap, as_of, scope, org, year, whole=whole)
    else:
        data, figures, sheets = builder(snap, as_of, scope, org, year)
    data = {
        "type": "campaign_table" if kind in ("attachment2", "ledger") else "campaign_report",
        "report_no": f"{REPORT_CODES[kind]}-{year}" + (f"-{as_of:%m%d}" if kind == "ledger" else ""),
        "kind": kind,
        field_name: org.uscc,
        "year": year,
        "as_of": as_of,
        "due": date(year, *DUE[kind]) if kind in DUE else None,
        "issued_on": issued_on,
        "author_name": org.name,
        **data,
        "figures": figures.as_list(),
    }
    if kind in ("self_check", "summary"):
        upward = field_name == "bureau"
        data["doc_no"] = doc_no or (next_report_no(archive, year) if upward else None)
        data["signer"] = signer or (org.principal_person if upward else None)
    data = {k: v for k, v in data.items() if v is not None}
    ctx = RuleContext(archive.settings, max(issued_on, as_of), archive.registry())
    result = load(to_plain(data), ctx, file=f"{FILE_NAMES[kind]}.yaml")
    if not result.ok:
        raise ValidationFailed(result.problems, "报告数据未通过校验 (the report does not validate)")
    return Built(kind, data, result.obj, figures, sheets, result.problems)


def _cells(values: list[Any]) -> dict:
    """One table row for the record: every cell text ("／" for an empty one, as on the forms)."""
    out = []
    for v in values:
        text = "" if v is None else (v if isinstance(v, str) else _n(v))
        out.append(text.strip() or "／")
    return {"cells": out}


A2_COLUMNS = [
    "序号", "外包项目名称（编号）", "类别", "作业内容", "承包单位名称", "统一社会信用代码", "资质/许可证（名称、编号、有效期至）",
    "项目负责人", "专职安全管理人员", "作业人数", "特种作业人员（人数/持证数）", "外包合同（签订日期）", "安全生产管理协议（签订日期）",
    "三级安全教育（应教育/已完成）", "涉及危险作业", "作业票（张）", "工伤保险（参保/人数）", "作业起止日期", "备注",
]


def _a2_row(i: int, f: dict) -> list[Any]:
    p = f["project"]
    dates = lambda recs, attr: "、".join(cn_date(getattr(r.obj, attr)) for r in recs) or "未签订"  # noqa: E731
    remark = {"筹备": "尚未开工", "已完工": f"已于{cn_date(p.actual_end)}完工" if p.actual_end else "已完工",
              "已终止": f"已于{cn_date(p.actual_end)}终止" if p.actual_end else "已终止"}.get(p.status, "")
    return [
        i, f"{p.name}（{p.code}）", p.category, "、".join(p.work_content), f["contractor_name"], p.contractor, f["qualifications"],
        p.manager.name if p.manager else "未明确", p.safety_officer.name if p.safety_officer else "未明确", f["roster"],
        f"{f['special']}/{f['certified']}", dates(f["contracts"], "signed_on"), dates(f["agreements"], "signed_on"),
        f"{f['staff']}/{f['trained']}", "、".join(TICKET_TYPE_NAMES[x] for x in p.dangerous_work) or "无", len(f["tickets"]),
        f"{f['insured']}/{f['roster']}", cn_range(f["start"], f["end"]), remark,
    ]


def _attachment2(snap: Snapshot, as_of: date, enterprise: str | None, org: Any, year: int):
    view = snap.upto(as_of)
    projects = _year_projects(view, year, enterprise)
    facts = [project_facts(view, pr, as_of) for pr in projects]
    rows = [_a2_row(i, f) for i, f in enumerate(facts, 1)]
    fig = campaign_figures(snap, as_of, enterprise=enterprise, year=year)
    note = f"行业：{org.industry or '／'}。“持证数”指作业期间证件有效的人数。"
    data = {
        "title": "外包作业情况表",
        "tables": [{"title": "外包作业情况表", "columns": A2_COLUMNS, "rows": [_cells(r) for r in rows], "note": note}],
        "filled_by": org.safety_manager,
        "contact": org.phone,
    }
    xlsx_cols = ["发包单位名称", "统一社会信用代码（发包单位）", "行业"] + A2_COLUMNS
    xrows = [[org.name, org.uscc, org.industry or ""] + r for r in rows]
    return data, fig, [("外包作业情况表", xlsx_cols, xrows)]


@dataclass
class Problem_:
    """One row of the 自查报告's annex: a problem found (by the self-check, a hazard investigation,
    an inspection of a contractor, or the bureau) and where its rectification stands on the day.
    The report's problem and rectification figures are counted from these rows only."""

    source: str
    item: str
    text: str
    nature: str  # 重大事故隐患 / 一般问题
    measure: str
    deadline: date | None
    status: str  # open | overdue | closed
    closed_on: date | None = None

    @property
    def state(self) -> str:
        if self.status == "closed":
            return f"已整改（{cn_date(self.closed_on)}）" if self.closed_on else "已整改"
        when = f"，期限{cn_date(self.deadline)}" if self.deadline else ""
        return ("逾期未整改" if self.status == "overdue" else "正在整改") + when


RECT_SOURCES = {"责令整改": "区应急管理局责令限期整改", "隐患": "事故隐患排查", "发包单位检查": "对承包单位的安全检查"}


def problem_rows(check: CheckReport, rect: dict) -> list[Problem_]:
    """The annex of the 自查报告: the problems the self-check finds open on the day (重大事故隐患 and
    问题; 提示 are not problems), then every rectification item with its status."""
    rows: list[Problem_] = []
    open_records = {i["record"]["id"] for i in rect["items"] if i["status"] != "closed"}
    problems = [f for f in check.findings("error") if not any(e.get("id") in open_records for e in f.evidence)]
    for group in merge_findings(problems):  # findings of several items on one fact (以包代管 and 未定期检查) are one problem
        lead = min(group, key=lambda f: (f.rule[0] not in "EC", f.rule))
        worst = min(group, key=lambda f: SEVERITIES.index(f.severity))
        rules = [r for r in RULES if r.id in {f.rule for f in group}]
        violated = "；".join(dict.fromkeys(x for r in rules for x in r.violated.split("；") if x))
        rows.append(Problem_("自查（" + "；".join(r.short_label for r in rules) + "）", rules[0].label,
                             lead.message + (f"（违反{violated}的规定）" if violated else ""),
                             "重大事故隐患" if worst.severity == "major" else "一般问题",
                             lead.remedy or rules[0].remedy, None, "open"))
    for i in rect["items"]:
        rows.append(Problem_(
            f"{RECT_SOURCES.get(i['source'], i['source'])}（{i['ref']}）", "", i["text"],
            "重大事故隐患" if i["major"] else "一般问题", "", date.fromisoformat(i["deadline"]) if i["deadline"] else None,
            i["status"], date.fromisoformat(i["closed_on"]) if i["closed_on"] else None))
    return rows


def problem_figures(fig: Figures, rows: list[Problem_]) -> None:
    """The problem and rectification figures of the 自查报告, from its annex rows alone."""
    total = len(rows)
    closed = sum(1 for r in rows if r.status == "closed")
    fig.set("problems", "发现的问题（项）", total)
    fig.set("problems_major", "其中重大事故隐患（项）", sum(1 for r in rows if r.nature == "重大事故隐患"))
    fig.set("rect_closed", "已整改（项）", closed)
    fig.set("rect_open", "正在整改（项）", sum(1 for r in rows if r.status == "open"))
    fig.set("rect_overdue", "逾期未整改（项）", sum(1 for r in rows if r.status == "overdue"))
    fig.set("rect_rate", "整改率（%）", round(closed * 100 / total, 1) if total else 100.0)


def _rule_lines(check: CheckReport, group: str) -> list[str]:
    lines = []
    for r in check.results:
        if r.rule.group != group:
            continue
        head = f"{r.rule.label}的情况" if r.rule.seed_clause[1:2] == "查" else f"“{r.rule.label}”的情况"
        if r.status == "not_applicable":
            lines.append(f"{head}：本单位不涉及。")
        elif not r.findings:
            lines.append(f"{head}：未发现问题。")
        else:
            lines.append(f"{head}：" + "；".join(("提示：" if f.severity == "warning" else "") + f.message for f in r.findings) + "。")
    return lines


def _self_check(snap: Snapshot, as_of: date, enterprise: str | None, org: Any, year: int):
    check = run_checks(snap, as_of, enterprise=enterprise)
    rect = rectification_status(snap, as_of, enterprise=enterprise)
    fig = campaign_figures(snap, as_of, enterprise=enterprise, year=year, check=check, rect=rect)
    rows = problem_rows(check, rect)
    problem_figures(fig, rows)
    view = snap.upto(as_of)
    projects = _year_projects(view, year, enterprise)
    names = "、".join(f"{r.obj.name}（承包单位：{view.org_name(r.obj.contractor)}）" for r in projects) or "无"
    start = date(year, 4, 1)
    intro = (f"按照区应急管理局外包作业安全专项整治工作方案的要求，我单位自{cn_date(start)}起，对照整治方案中发包单位“五查”、承包单位“五查”"
             f"的内容和《工贸企业重大事故隐患判定标准》中与外包作业有关的判定情形，对本单位外包作业开展了自查自改。"
             f"现将截至{cn_date(as_of)}的自查自改情况报告如下。")
    basic = [
        f"{year}年本单位共有外包项目{_n(fig['projects'])}个，涉及承包单位{_n(fig['contractors'])}家：{names}。",
        f"外包作业人员{_n(fig['workers'])}人，其中特种作业及特种设备作业人员{_n(fig['special_operators'])}人、"
        f"持有效证件{_n(fig['special_certified'])}人；签订外包合同{_n(fig['contracts'])}份、安全生产管理协议{_n(fig['agreements'])}份；"
        f"建立三级安全教育登记卡{_n(fig['training_records'])}份，考核合格{_n(fig['trained'])}人"
        + (f"（含劳务分包、临时用工人员{_n(fig['labour_trained'])}人）" if fig["labour_trained"] else "") + "。",
        f"办理危险作业票{_n(fig['tickets'])}张（" + "、".join(
            f"{TICKET_TYPE_NAMES[t]}{_n(fig['tickets_' + t])}张" for t in TICKET_TYPE_NAMES if fig["tickets_" + t]) + "）。"
        if fig["tickets"] else "自查期间未办理危险作业票。",
    ]
    done = [
        f"对照整治方案逐项自查{_n(fig['rules'])}项，其中{_n(fig['rules_applicable'])}项适用本单位、"
        f"{_n(fig['rules_not_applicable'])}项本单位不涉及。",
        f"对承包单位开展安全检查{_n(fig['enterprise_inspections'])}次，季度安全生产考核{_n(fig['assessments'])}次"
        + (f"（不合格{_n(fig['assessments_failed'])}次）" if fig["assessments_failed"] else "") + f"，排查事故隐患{_n(fig['hazards'])}项"
        + (f"（其中重大事故隐患{_n(fig['hazards_major'])}项）" if fig["hazards_major"] else "") + "。",
    ]
    groups = list(dict.fromkeys(r.group for r in RULES))
    heads = {GROUP_E: "发包单位“五查”", GROUP_C: "承包单位“五查”"}
    problem_sections = [
        {"heading": f"（{CN_NUM[i]}）{heads.get(group, group.replace('（令第10号第3条）', '（管理类）').replace('（令第10号有限空间专项）', '（有限空间）'))}",
         "level": 2, "paragraphs": [f"{j}.{x}" for j, x in enumerate(_rule_lines(check, group), 1)]}
        for i, group in enumerate(groups)
    ]
    total = len(rows)
    problem_sections.append({
        "heading": f"（{CN_NUM[len(groups)]}）整改情况", "level": 2,
        "paragraphs": [(f"自查和检查发现的问题共{_n(fig['problems'])}项，其中重大事故隐患{_n(fig['problems_major'])}项；"
                        f"已整改{_n(fig['rect_closed'])}项，正在整改{_n(fig['rect_open'])}项，逾期未整改{_n(fig['rect_overdue'])}项，"
                        f"整改率{_n(fig['rect_rate'])}%。逐项情况见附件。") if total else "自查和检查未发现问题。"],
    })
    open_rows = [r for r in rows if r.status != "closed"]
    remedies = list(dict.fromkeys(f"针对“{r.rule.label}”的问题：{r.rule.remedy}。" for r in check.results if r.status == "fail"))
    measures = (
        ([f"对尚未整改完毕的{_n(len(open_rows))}项问题，逐项明确整改责任人、措施和期限，限期整改到位，整改后组织复查。"] if open_rows
         else ["自查和检查发现的问题均已整改完毕，本单位将组织复查，防止问题反弹。"])
        + remedies
        + ["严格落实承包单位安全准入、定期检查、教育培训、安全评价与退出机制，坚决杜绝“以包代管”，确保外包作业始终处于受控状态。"]
    )
    sections = [
        {"paragraphs": [intro]},
        {"heading": "一、基本情况", "paragraphs": basic},
        {"heading": "二、自查自改开展情况", "paragraphs": done},
        {"heading": "三、发现的问题及整改情况", "paragraphs": [
            "对照整治方案逐项自查的情况如下。" if total else "对照整治方案逐项自查，未发现问题，逐项情况如下。"]},
        *problem_sections,
        {"heading": "四、下一步措施", "paragraphs": [f"{i}.{x}" for i, x in enumerate(measures, 1)]},
    ]
    cols = ["序号", "问题来源", "问题描述", "性质", "整改措施", "整改情况"]
    table = [[n, r.source, r.text, r.nature, r.measure or "按期限整改", r.state] for n, r in enumerate(rows, 1)]
    data = {
        "title": f"{org.name}关于外包作业安全专项整治自查自改情况的报告",
        "recipient": _bureau_name(view),
        "sections": sections,
        "tables": [{"title": "自查发现问题及整改情况表", "columns": cols, "rows": [_cells(r) for r in table],
                    "note": f"数据截至{cn_date(as_of)}。"}] if table else [],
        "attachments": ["自查发现问题及整改情况表"] if table else [],
        "contact": f"联系人：{org.safety_manager}，联系电话：{org.phone}" if org.safety_manager and org.phone else None,
    }
    xcols = cols + ["整改期限", "整改完成日期"]
    xrows = [r[:] + [cn_date(p.deadline) if p.deadline else "", cn_date(p.closed_on) if p.closed_on else ""] for r, p in zip(table, rows)]
    return data, fig, [("自查发现问题及整改情况", xcols, xrows)]


LEDGER_COLUMNS = [
    "序号", "发包单位", "承包单位", "统一社会信用代码", "外包项目", "作业期间", "资质/许可证（有效期至）", "监督检查（日期、文书号）",
    "责令整改（文书号、项数）", "整改情况（已整改/总数）", "行政处罚（决定书号、金额）", "黑名单", "“五查”发现的问题",
]


def failed_rules(check: CheckReport) -> dict[tuple, list[str]]:
    """(enterprise, contractor) → the rules with a problem (not only warnings) about them."""
    failed: dict[tuple, list[str]] = {}
    for r in check.results:
        for f in r.findings:
            if f.severity != "warning":
                failed.setdefault((f.enterprise, f.contractor), [])
                if r.rule.id not in failed[(f.enterprise, f.contractor)]:
                    failed[(f.enterprise, f.contractor)].append(r.rule.id)
    return failed


def ledger_rows(view: Snapshot, as_of: date, projects: list, failed: dict[tuple, list[str]], items: list[dict]) -> list[list[Any]]:
    """The ledger's rows of ``projects`` (numbered from 1; renumbered when parts are joined)."""
    by_pair: dict[tuple, list[dict]] = {}
    for x in items:
        by_pair.setdefault((x["enterprise"], x["contractor"]), []).append(x)
    rows = []
    for i, pr in enumerate(projects, 1):
        p = pr.obj
        f = project_facts(view, pr, as_of)
        insp = [r for r in view.of("inspection_record") if r.obj.unit == p.enterprise and r.obj.contractor in (None, p.contractor)
                and r.obj.project in (None, p.code)]
        orders = [r for r in view.of("rectification_order") if r.obj.unit == p.enterprise and r.obj.contractor in (None, p.contractor)
                  and r.obj.project in (None, p.code)]
        pens = [r for r in view.decisions_on((p.enterprise, p.contractor)) if r.obj.project in (None, p.code)]
        mine = [x for x in by_pair.get((p.enterprise, p.contractor), ()) if x["project"] in (None, p.code)]
        listed = active_listings(view, p.contractor, as_of, p.enterprise)
        rows.append([
            i, view.org_name(p.enterprise), f["contractor_name"], p.contractor, f"{p.name}（{p.code}）",
            cn_range(f["start"], f["end"]), f["qualifications"],
            "；".join(f"{cn_date(r.obj.time_from.date())} {r.obj.doc_no}" for r in insp) or "—",
            "；".join(f"{r.obj.doc_no}（{len(r.obj.items)}项）" for r in orders) or "—",
            f"{sum(1 for x in mine if x['status'] == 'closed')}/{len(mine)}" if mine else "—",
            "；".join(f"{r.obj.doc_no}，罚款{r.obj.fine or 0:,.0f}元" for r in pens) or "—",
            "；".join(f"{x.obj.list_name}（至{cn_date(x.obj.end)}）" for x in listed) or "否",
            "；".join(RULES_BY_ID[rid].short_label for rid in failed.get((p.enterprise, p.contractor), [])) or "无",
        ])
    return rows


def _ledger(snap: Snapshot, as_of: date, enterprise: str | None, org: Any, year: int, *, whole: "Whole | None" = None):
    cols = LEDGER_COLUMNS
    if whole is None:
        view = snap.upto(as_of)
        projects = _year_projects(view, year, None)
        check = run_checks(snap, as_of)
        rect = rectification_status(snap, as_of)
        rows = ledger_rows(view, as_of, projects, failed_rules(check), rect["items"])
        fig = campaign_figures(snap, as_of, enterprise=None, year=year, check=check, rect=rect)
        n_enterprises = len({pr.obj.enterprise for pr in projects})
    else:
        check, rect, rows = whole.check, whole.rect, whole.ledger_rows()
        fig = campaign_figures(snap, as_of, enterprise=None, year=year, check=check, rect=rect, counts=whole.counts)
        n_enterprises = len(whole.enterprises)
    fig.set("enterprises", "工贸企业（家）", n_enterprises)
    data = {
        "title": "外包作业队伍监管台账",
        "tables": [{"title": "外包作业队伍监管台账", "columns": cols, "rows": [_cells(r) for r in rows],
                    "note": f"{org.name}；数据截至{cn_date(as_of)}，含档案中全部（含报送导入的）工贸企业外包项目。"}],
        "filled_by": None,
        "contact": org.phone,
    }
    return data, fig, [("监管台账", cols, rows)]


def _problems_in_plan_words(check: CheckReport, snap: Snapshot | None = None) -> tuple[list[str], list[str]]:
    """(main problems, measures) from the findings, in the plan's own words; with ``snap`` (the
    bureau's report) each problem names its enterprise and each measure is what the bureau has the
    enterprises do."""
    main_problems, measures, seen = [], [], set()
    for group in merge_findings(check.findings("warning")):
        lead = min(group, key=lambda f: (f.rule[0] not in "EC", f.rule))
        rule = RULES_BY_ID[lead.rule]
        names = "；".join(dict.fromkeys(RULES_BY_ID[f.rule].label for f in group))
        who = f"{snap.org_name(lead.enterprise)}" if snap is not None and lead.enterprise else ""
        main_problems.append(f"{who}{lead.message}" + ("（属重大事故隐患）" if any(f.severity == "major" for f in group) else "")
                             + f"。对应整治方案“{names}”。")
        remedy = lead.remedy or rule.remedy
        if any(f.severity != "warning" for f in group) and remedy not in seen:
            seen.add(remedy)
            measures.append(f"督促企业{remedy.replace('本单位', '企业')}。" if snap is not None else f"{remedy}。")
    return main_problems, measures


def _summary(snap: Snapshot, as_of: date, enterprise: str | None, org: Any, year: int, *, whole: Whole | None = None):
    if whole is None:
        check = run_checks(snap, as_of, enterprise=enterprise)
        rect = rectification_status(snap, as_of, enterprise=enterprise)
        fig = campaign_figures(snap, as_of, enterprise=enterprise, year=year, check=check, rect=rect)
    else:
        check, rect = whole.check, whole.rect
        fig = campaign_figures(snap, as_of, enterprise=enterprise, year=year, check=check, rect=rect, counts=whole.counts)
    view = snap.upto(as_of)
    if enterprise is None:
        fig.set("enterprises", "工贸企业（家）", len(whole.enterprises) if whole is not None
                else len({r.obj.enterprise for r in _year_projects(view, year, None)}))
    sm = rect["summary"]
    rate = f"，整改率{_n(fig['rect_rate'])}%" if sm["rate"] is not None else ""
    main_problems, measures = _problems_in_plan_words(check, snap.upto(as_of) if enterprise is None else None)
    status = {r.rule.id: r.status for r in check.results}
    if enterprise is None:  # the bureau's own report to the 区人民政府
        intro = (f"{year}年，我局组织辖区工贸企业开展外包作业安全专项整治，经动员部署、企业自查自改、督查检查等阶段，"
                 f"整治工作取得阶段性成效。现将截至{cn_date(as_of)}的工作情况报告如下。")
        done = [
            f"（一）摸清底数，建立台账。建立外包作业队伍监管台账，纳入{_n(fig['enterprises'])}家工贸企业的{_n(fig['projects'])}个外包项目、"
            f"{_n(fig['contractors'])}家承包单位、{_n(fig['workers'])}名外包作业人员。",
            f"（二）督促企业自查自改。各企业签订外包合同{_n(fig['contracts'])}份、安全生产管理协议{_n(fig['agreements'])}份，"
            f"完成三级安全教育{_n(fig['trained'])}人，办理危险作业票{_n(fig['tickets'])}张，对承包单位开展安全检查{_n(fig['enterprise_inspections'])}次、"
            f"季度安全生产考核{_n(fig['assessments'])}次，排查事故隐患{_n(fig['hazards'])}项（其中重大事故隐患{_n(fig['hazards_major'])}项）。",
            f"（三）严格督查执法。我局开展现场检查{_n(fig['bureau_inspections'])}次，下达责令限期整改指令书{_n(fig['orders'])}份、"
            f"责令整改问题{_n(fig['order_items'])}项；各类整改事项{_n(fig['rect_total'])}项，已整改{_n(fig['rect_closed'])}项{rate}。"
            f"依法作出行政处罚决定{_n(fig['penalties'])}件，罚款{fig['fines']:,.0f}元；列入黑名单的承包单位{_n(fig['blacklisted'])}家。",
            f"（四）事故情况。外包作业发生生产安全事故{_n(fig['accidents'])}起、死亡{_n(fig['deaths'])}人。",
        ]
        good = ["把外包作业纳入日常监管，督查检查与企业自查自改相结合，检查发现的问题逐项下达指令、限期整改、按期复查，做到闭环管理。"]
        if fig["penalties"]:
            good.append(f"对“以包代管”等违法行为依法处罚{_n(fig['penalties'])}件，形成震慑。")
        good.append("推行外包作业电子档案，合同、协议、三级安全教育、作业票和检查整改记录统一入档、可追溯，企业报送与执法检查共用一套数据。")
        next_steps = measures + ["巩固整治成效，将承包单位安全准入、定期检查、教育培训、安全评价与退出机制纳入企业日常管理，"
                                 "对整治中发现的普遍性问题组织专题研究，形成可复制、可借鉴的外包作业安全治理模式并在全区推广。"]
        sections = [
            {"paragraphs": [intro]},
            {"heading": "一、工作开展情况", "paragraphs": done},
            {"heading": "二、主要做法和成效", "paragraphs": [f"{i}.{x}" for i, x in enumerate(good, 1)]},
            {"heading": "三、存在的主要问题", "paragraphs": [f"{i}.{x}" for i, x in enumerate(main_problems, 1)]
             or ["对照整治内容逐项检查，未发现突出问题。"]},
            {"heading": "四、下一步工作打算", "paragraphs": [f"{i}.{x}" for i, x in enumerate(next_steps, 1)]},
        ]
        recipient = f"{org.name.removesuffix('应急管理局')}人民政府" if org.name.endswith("应急管理局") else "区人民政府"
    else:  # an enterprise's own summary to the bureau
        intro = (f"按照区应急管理局外包作业安全专项整治工作方案的要求，我单位{year}年组织开展了外包作业安全专项整治，"
                 f"经动员部署、自查自改、接受督查检查，现将截至{cn_date(as_of)}的整治工作总结如下。")
        done = [
            f"{_n(fig['projects'])}个外包项目、{_n(fig['contractors'])}家承包单位、{_n(fig['workers'])}名外包作业人员纳入整治范围。",
            f"签订外包合同{_n(fig['contracts'])}份、安全生产管理协议{_n(fig['agreements'])}份；完成三级安全教育{_n(fig['trained'])}人；"
            f"办理危险作业票{_n(fig['tickets'])}张；对承包单位安全检查{_n(fig['enterprise_inspections'])}次、季度考核{_n(fig['assessments'])}次。",
            f"排查事故隐患{_n(fig['hazards'])}项（重大事故隐患{_n(fig['hazards_major'])}项），接受区应急管理局现场检查{_n(fig['bureau_inspections'])}次、"
            f"责令限期整改{_n(fig['orders'])}份（{_n(fig['order_items'])}项）；整改事项{_n(fig['rect_total'])}项，已整改{_n(fig['rect_closed'])}项{rate}。",
            f"外包作业发生生产安全事故{_n(fig['accidents'])}起、死亡{_n(fig['deaths'])}人；列入黑名单的承包单位{_n(fig['blacklisted'])}家；"
            f"受到行政处罚{_n(fig['penalties'])}件、罚款{fig['fines']:,.0f}元。",
        ]
        good = []
        if fig["agreements"] and fig["agreements"] >= fig["projects"] and status["E1"] == "pass":
            good.append("坚持“先签协议、后进场”：每个外包项目开工前均签订安全生产管理协议，明确双方安全生产管理职责。")
        if fig["special_operators"] and fig["special_certified"] == fig["special_operators"] and status["3-2"] != "fail" and status["C2"] != "fail":
            good.append(f"严把人员准入关：{_n(fig['special_operators'])}名特种作业及特种设备作业人员全部持有效证件上岗，入场时逐人核验证件和三级安全教育。")
        if fig["labour_trained"]:
            good.append(f"劳务分包、临时用工人员与正式员工同等管理：{_n(fig['labour_trained'])}名劳务分包、临时用工人员同等接受三级安全教育、参加工伤保险。")
        if fig["tickets"]:
            good.append(f"落实危险作业“作业票”管理：{_n(fig['tickets'])}张作业票均按 GB 30871—2022 逐项核对时限、气体分析、审批和监护，电子存档。")
        if fig["enterprise_inspections"] and status["E3"] == "pass" and status["3-1"] == "pass":
            good.append(f"把承包单位纳入本单位安全管理体系，定期检查{_n(fig['enterprise_inspections'])}次，发现问题当场督促整改。")
        if not good:
            good.append("建立外包作业电子档案，合同、协议、教育培训、作业票和检查整改记录统一入档、可追溯。")
        sections = [
            {"paragraphs": [intro]},
            {"heading": "一、整治工作开展情况", "paragraphs": done},
            {"heading": "二、主要经验做法", "paragraphs": [f"{i}.{x}" for i, x in enumerate(good, 1)]},
            {"heading": "三、存在的主要问题", "paragraphs": [f"{i}.{x}" for i, x in enumerate(main_problems, 1)]
             or ["对照整治内容逐项检查，未发现突出问题。"]},
            {"heading": "四、改进措施", "paragraphs": [f"{i}.{x}" for i, x in enumerate(measures + [
                "巩固整治成效，将承包单位安全准入、定期检查、教育培训、安全评价与退出机制纳入日常管理，形成可复制、可借鉴的外包作业安全治理模式。"], 1)]},
        ]
        recipient = _bureau_name(view)
    fig_rows = [[i, lab, _n(v) if k != "fines" else f"{v:,.0f}"] for i, (k, (lab, v)) in enumerate(fig.values.items(), 1)]
    data = {
        "title": f"{org.name}关于外包作业安全专项整治工作情况的报告" if enterprise is None else f"{org.name}外包作业安全专项整治工作总结报告",
        "recipient": recipient,
        "sections": sections,
        "tables": [{"title": "整治工作数据表", "columns": ["序号", "指标", "数值"], "rows": [_cells(r) for r in fig_rows],
                    "note": f"数据截至{cn_date(as_of)}。"}],
        "attachments": ["整治工作数据表"],
        "contact": (f"联系人：{org.safety_manager}，联系电话：{org.phone}" if getattr(org, "safety_manager", None) and org.phone
                    else f"联系电话：{org.phone}" if org.phone else None),
    }
    return data, fig, [("整治工作数据", ["序号", "指标", "数值"], [[r[0], r[1], fig.values[k][1]] for r, k in zip(fig_rows, fig.values)])]


# --- writing --------------------------------------------------------------------------------------------


def write_xlsx(sheets: list[tuple[str, list[str], list[list[Any]]]], path: Path, *, title: str = "", created: datetime | None = None) -> Path:
    """Tables as a workbook: bold wrapped header, frozen, sensible column widths; ``created``: the
    time its properties say it was made (the archive's clock; openpyxl would read the machine's)."""
    # lazy: openpyxl (~90 ms to import) only where a workbook is written
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin", color="999999")
    # one object of each style, shared by every cell (a new one per cell is hashed and compared
    # against the workbook's styles each time: 7 s for the district's 台账 of 3,564 rows)
    head_font, head_fill = Font(bold=True, name="宋体"), PatternFill("solid", fgColor="DDEBF7")
    head_align = Alignment(wrap_text=True, vertical="center", horizontal="center")
    body_align, body_font = Alignment(wrap_text=True, vertical="top"), Font(name="宋体")
    body_border = Border(top=thin, bottom=thin, left=thin, right=thin)
    for name, cols, rows in sheets:
        ws = wb.create_sheet(name[:31])
        ws.append(cols)
        for row in rows:
            ws.append(list(row))
        for cell in ws[1]:
            cell.font, cell.fill, cell.alignment = head_font, head_fill, head_align
        # the body's style found in the workbook's lists once and given to every body cell: a style set
        # on a cell is hashed and looked up again (3 s of a 300-row 附件2), and a copy for each cell
        # costs as much again for the 台账's 46,000 (nothing changes a cell's style after this)
        body = None
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if body is None:
                    cell.alignment, cell.font, cell.border = body_align, body_font, body_border
                    body = cell._style
                else:
                    cell._style = body
        for i, col in enumerate(cols, 1):
            longest = max([len(str(col))] + [len(str(r[i - 1])) for r in rows if i - 1 < len(r)])
            ws.column_dimensions[get_column_letter(i)].width = max(6, min(40, longest * 1.8 + 2))
        ws.freeze_panes = "A2"
    if title:
        wb.properties.title = title
    wb.properties.creator = "outsafe"
    buf = io.BytesIO()
    if created is None:
        wb.save(buf)
    else:  # wb.save would stamp "modified" from the machine's clock
        from zipfile import ZIP_DEFLATED, ZipFile

        from openpyxl.writer.excel import ExcelWriter

        wb.properties.created = wb.properties.modified = created.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
        ExcelWriter(wb, ZipFile(buf, "w", ZIP_DEFLATED, allowZip64=True)).save()
    return write_output(path, buf.getvalue(), mode=PUBLIC)


def render_report(archive: Any, built: Built) -> bytes:
    """The .docx of a built report, through its template (archive/render.py)."""
    refs, _ = resolve(built.obj, archive.registry())
    owner = _owner_json(archive)
    template_dir = getattr(archive.home, "templates_dir", None)
    return render_record(built.obj, refs.as_dict(), settings=archive.settings, owner=owner, template_dir=template_dir).docx


def _owner_json(archive: Any) -> dict | None:
    reg = archive.catalog.get_registry("organization", archive.owner_uscc)
    if reg is None:
        return None
    return json.loads(archive.catalog.get_record(reg["record_id"])["data"])


def write_report(archive: Any, built: Built, out_dir: Path, *, pdf: bool = True) -> dict[str, Path]:
    """The case file, .docx, .pdf (unless ``pdf=False``) and, for tables, .xlsx into ``out_dir``."""
    out_dir = output_folder(out_dir)
    stem = f"{FILE_NAMES[built.kind]}-{built.obj.as_of.isoformat()}"
    paths: dict[str, Path] = {}
    filing = ("入档：outsafe case add 本文件。" if getattr(built.obj, "bureau", None)
              else "入档/报送：outsafe case add 本文件（随报送包提交区应急管理局）。")
    header = [f"{REPORT_KINDS[built.kind]}（{built.obj.author_name}），数据截至 {built.obj.as_of}。由 outsafe report 生成；{filing}"]
    paths["yaml"] = write_case_file(built.data, out_dir / f"{stem}.yaml", header)
    docx = render_report(archive, built)
    paths["docx"] = write_output(out_dir / f"{stem}.docx", docx, mode=PUBLIC)
    if built.sheets:
        paths["xlsx"] = write_xlsx(built.sheets, out_dir / f"{stem}.xlsx", title=built.obj.title, created=archive.clock.now())
    if pdf:
        fitted, data = convert_one_fitted(docx, archive.settings, expect_text=[built.obj.author_name[:8]], tmp_dir=archive.home.tmp_dir)
        if fitted != docx:  # laid out again so that the seal shares a page with the text (archive.documents.fit): the .docx too
            write_output(out_dir / f"{stem}.docx", fitted, mode=PUBLIC)
        paths["pdf"] = write_output(out_dir / f"{stem}.pdf", data, mode=PUBLIC)
    return paths


@dataclass
class Produced:
    """``outsafe report``: a built report, the files written, and (with ``--add``) what was archived."""

    built: Built
    as_of: date
    paths: dict[str, Path]
    added: list[dict] | None = None  # {"id", "title", "status"} of the archived record
    failed: list[dict] = field(default_factory=list)  # {"file", "error"}

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def as_dict(self) -> dict:
        return {"kind": self.built.kind, "title": self.built.obj.title, "as_of": self.as_of.isoformat(),
                "files": {k: str(v) for k, v in self.paths.items()}, "figures": self.built.figures.as_dict(),
                "records": self.added, "failed": self.failed}

    def as_text(self) -> list[str]:
        out = [f"{self.built.obj.title}（{self.built.obj.author_name}，截至 {self.as_of}）"]
        out += [f"  {k:<5} {p}" for k, p in self.paths.items()]
        out += [f"  已入档 (archived): {a['id']}  {a['title']}  [{a['status']}]" for a in self.added or ()]
        out += [Note(f"  未入档 (not archived): {f['file']}: {f['error']}") for f in self.failed]
        return out


def produce(archive: Any, kind: str, out_dir: Path, *, as_of: date | None = None, enterprise: str | None = None,
            issued_on: date | None = None, pdf: bool = True, add: bool = False, notify: Any = None,
            doc_no: str | None = None, signer: str | None = None) -> Produced:
    """``outsafe report``: build the report ``kind`` as on ``as_of`` (default: the archive's
    today), write its files into ``out_dir`` and, with ``add``, archive its case file — judged as
    on the later of ``as_of`` and today, since a report may be made for a day still to come."""
    day = as_of or archive.clock.today()
    output_folder(out_dir, check_only=True)  # refused before the report is built
    built = build_report(archive, kind, as_of=day, enterprise=enterprise, issued_on=issued_on, doc_no=doc_no, signer=signer)
    result = Produced(built, day, write_report(archive, built, out_dir, pdf=pdf))
    if add:
        rep = archive.add_files([result.paths["yaml"]], notify=notify, today=max(day, archive.clock.today()))
        result.added = [{"id": a.id, "title": a.title, "status": a.status} for a in rep.added]
        result.failed = [{"file": f, "error": e} for f, e in rep.failed]
    return result


__all__ = ["build_report", "write_report", "write_xlsx", "render_report", "campaign_figures", "Figures", "Built", "KIND_ALIASES",
           "A2_COLUMNS", "produce", "Produced"]
