"""The campaign's checks (整治方案 一(二)): the ten "五查" and the 工贸 major-hazard items, as rules
over the archive's own records.

    from archive.checks import Snapshot, run_checks, RULES
    snap = Snapshot.from_archive(archive)                 # every current record, typed
    report = run_checks(snap, as_of=date(2026, 6, 10), enterprise=None, contractor=None)
    report.results[0].status                             # "pass" | "warn" | "fail" | "not_applicable"
    report.results[0].findings[0].evidence               # the records that prove it (id + title)
    report.results[0].findings[0].missing                # the records that should exist and do not

The rules (``outsafe check --rules`` lists them with their sources):

- E1–E5 发包单位五查 and C1–C5 承包单位五查, as mapped in domain.md §1.2;
- 3-1, 3-2, 3-3: the three management items of 工贸企业重大事故隐患判定标准 (应急管理部令第10号 第3条),
  which make a finding a *major* hazard;
- CS-1, CS-2: the two confined-space items of the same standard (domain.md §8.1 [M]).

Every rule is a pure function of a :class:`Snapshot` and a day (``as_of``): records dated after that
day are not seen, certificates and deadlines are judged on it, so a run is reproducible. Dates
follow the documents' own wording: a certificate "有效期至 2026-06-30" is valid on 30 June and
not on 1 July; a deadline "6月19日前整改完毕" is met on 19 June and overdue from 20 June.

A finding has a severity: ``major`` (重大事故隐患 under 令第10号), ``error`` (a breach of a law or
the plan) or ``warning`` (a gap worth a look). A rule *fails* on any major or error finding,
*warns* on warnings only, *passes* with none, and is *not applicable* when the archive holds
nothing it could judge (no accidents, no confined-space work, not a metal-smelting enterprise …).

The module also holds the cross-record *admission* rules run when a case is added
(:func:`admission_problems`): no agreement, contract or ticket for a blacklisted contractor; no
ticket naming a worker without the certificate the work needs or without three-level training;
no agreement whose term does not cover its project.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from archive.errors import Problem
from schemas import TYPES, meta_of
from schemas.base import RuleContext
from schemas.blacklist import add_months
from schemas.common import TICKET_TYPE_NAMES, PersonRef
from schemas.contract import liability_shifting_phrases

SEVERITIES = ("major", "error", "warning")
SEVERITY_NAMES = {"major": "重大事故隐患", "error": "问题", "warning": "提示"}
STATUS_NAMES = {"pass": "通过", "warn": "提示", "fail": "不通过", "not_applicable": "不适用"}

SPL = "《安全生产法》"
L10 = "《工贸企业重大事故隐患判定标准》（应急管理部令第10号）"


# =============================================================================================
# The snapshot: every current record of an archive, typed
# =============================================================================================


@dataclass(frozen=True)
class Rec:
    """One archived record: its id and title (to cite it) and the loaded object."""

    id: str
    type: str
    title: str
    obj: Any
    origin: str = ""
    created_at: str = ""

    @property
    def date(self) -> date | None:
        """The document's own date (as a day), from its CaseMeta."""
        d: Any = self.obj
        path = meta_of(type(self.obj)).date
        if not path:
            return None
        for part in path.split("."):
            d = getattr(d, part, None)
        if isinstance(d, datetime):
            return d.date()
        return d if isinstance(d, date) else None

    def cite(self) -> dict:
        return {"id": self.id, "title": self.title, "type": self.type}


def _title(obj: Any) -> str:
    from archive.app import record_label

    meta = meta_of(type(obj))
    if meta.kind == "registry":
        return f"{record_label(obj)} {getattr(obj, 'name', '')}".strip()
    number: Any = obj
    for part in meta.number.split("."):
        number = getattr(number, part, None)
    return f"{record_label(obj)} {number or ''}".strip()


class Snapshot:
    """The records the rules look at, indexed; registry entities by key (latest version wins)."""

    def __init__(self, recs: Iterable[Rec], *, owner: str = "", owner_role: str = "", settings: Any = None) -> None:
        from archive.settings import Settings

        self.recs: list[Rec] = list(recs)
        self.owner = owner
        self.owner_role = owner_role
        self.settings = settings or Settings()
        self.by_type: dict[str, list[Rec]] = defaultdict(list)
        for r in self.recs:
            self.by_type[r.type].append(r)
        self.orgs: dict[str, Rec] = {}
        self.persons: dict[str, Rec] = {}
        self.projects: dict[tuple[str, str], Rec] = {}
        for r in self.by_type.get("organization", []):
            self.orgs[r.obj.uscc] = r
        for r in self.by_type.get("person", []):
            self.persons[r.obj.id_number.upper()] = r
        for r in self.by_type.get("project", []):
            self.projects[(r.obj.enterprise, r.obj.code)] = r
        # one entity per key: the bureau may hold the same contractor from several enterprises' packages
        self.by_type["organization"] = list(self.orgs.values())
        self.by_type["person"] = list(self.persons.values())
        self.by_type["project"] = list(self.projects.values())

    # --- construction ---------------------------------------------------------------------

    @classmethod
    def from_archive(cls, archive: Any) -> "Snapshot":
        """Every current (not superseded) record of ``archive``, loaded with its schema."""
        rows = archive.catalog.list_records(current_only=True)
        recs = []
        for row in rows:
            if row["type"] not in TYPES:
                continue
            recs.append(Rec(row["id"], row["type"], row["title"], archive.load_record(row), row["origin"], row["created_at"]))
        role = archive.catalog.get_meta("owner_role") or ""
        return cls(recs, owner=archive.owner_uscc, owner_role=role, settings=archive.settings)

    @classmethod
    def from_objects(cls, objs: Iterable[Any], *, owner: str = "", owner_role: str = "", settings: Any = None) -> "Snapshot":
        """Loaded objects as if archived (ids R1, R2 …) — for tests and for the batch being added."""
        recs = [Rec(f"R{i}", meta_of(type(o)).type, _title(o), o, owner) for i, o in enumerate(objs, 1)]
        return cls(recs, owner=owner, owner_role=owner_role, settings=settings)

    def upto(self, as_of: date) -> "Snapshot":
        """Without the case records dated after ``as_of`` (registry entities are kept)."""
        keep = [r for r in self.recs if meta_of(type(r.obj)).kind == "registry" or r.date is None or r.date <= as_of]
        return Snapshot(keep, owner=self.owner, owner_role=self.owner_role, settings=self.settings)

    # --- lookups --------------------------------------------------------------------------

    def of(self, *types: str) -> list[Rec]:
        return [r for t in types for r in self.by_type.get(t, [])]

    def org(self, uscc: str | None) -> Any:
        r = self.orgs.get(uscc or "")
        return r.obj if r else None

    def org_name(self, uscc: str | None) -> str:
        o = self.org(uscc)
        return o.name if o is not None else (uscc or "")

    def person_rec(self, ref: Any, employers: Sequence[str | None] = ()) -> Rec | None:
        """The registered person a PersonRef names: by 身份证号, else by name among ``employers``."""
        number = getattr(ref, "id_number", None)
        if number:
            return self.persons.get(number.upper())
        name = getattr(ref, "name", None)
        hits = [r for r in self.persons.values() if r.obj.name == name and (not employers or r.obj.employer in employers)]
        return hits[0] if len(hits) == 1 else None

    def project_rec(self, enterprise: str | None, code: str | None) -> Rec | None:
        return self.projects.get((enterprise or "", code or ""))


# =============================================================================================
# Dates and certificates
# =============================================================================================


def project_window(p: Any) -> tuple[date, date]:
    """(start, end) of the work: the agreed period, extended to the actual completion if later;
    ended early at the actual completion when the project is finished or terminated."""
    start, end = p.period.start, p.period.end
    if p.actual_end is not None:
        end = p.actual_end if p.status in ("已完工", "已终止") else max(end, p.actual_end)
    return start, end


def uncovered(periods: Iterable[tuple[date, date]], start: date, end: date) -> list[tuple[date, date]]:
    """The parts of [start, end] no period covers (all bounds inclusive)."""
    gaps, cursor = [], start
    for a, b in sorted(periods):
        if b < cursor:
            continue
        if a > cursor:
            gaps.append((cursor, min(a - timedelta(days=1), end)))
        cursor = max(cursor, b + timedelta(days=1))
        if cursor > end:
            break
    if cursor <= end:
        gaps.append((cursor, end))
    return [g for g in gaps if g[0] <= g[1]]


def cert_problem(c: Any, start: date, end: date) -> str | None:
    """Why certificate ``c`` does not cover the days start…end, or None. "有效期至" is inclusive;
    a review (复审) not done by its due day makes the certificate invalid from the next day
    (特种作业人员安全技术培训考核管理规定 第26条: 未按期复审的，特种作业操作证失效)."""
    if c.issued > start:
        return f"发证日期 {c.issued} 晚于作业开始 {start}"
    if c.expires < end:
        return f"有效期至 {c.expires}，作业至 {end}，已过期"
    if c.next_review is not None and c.next_review < end:
        return f"应于 {c.next_review} 前复审，未见复审（未按期复审的证书失效）"
    return None


@dataclass(frozen=True)
class CertNeed:
    """A position on a ticket that needs a certificate (SPL 30; 特种设备安全法 第14条; 民爆条例 第33条)."""

    field: str
    role: str
    kind: str
    label: str
    match: Callable[[str], bool]
    basis: str


def _has(*words: str) -> Callable[[str], bool]:
    return lambda cat: any(w in cat for w in words)


_Q_DRIVER = re.compile(r"(^|\s|（)Q[1-9]|起重")
CERT_NEEDS: dict[str, tuple[CertNeed, ...]] = {
    "hot_work": (
        CertNeed("hot_workers", "动火人", "特种作业操作证", "焊接与热切割作业", _has("焊接与热切割"), "安全生产法 第30条; GB 30871—2022 附录A.1"),
    ),
    "temporary_power": (
        CertNeed("leader", "临时用电作业负责人", "特种作业操作证", "电工作业", _has("电工"), "安全生产法 第30条; GB 30871—2022 附录A.6"),
        CertNeed("workers", "临时用电作业人", "特种作业操作证", "电工作业", _has("电工"), "安全生产法 第30条; GB 30871—2022 附录A.6"),
    ),
    "lifting": (
        CertNeed("commander", "吊装指挥人员", "特种设备作业人员证", "Q1 起重机指挥", _has("Q1", "指挥"), "特种设备安全法 第14条"),
        CertNeed("workers", "吊装作业人（起重机司机）", "特种设备作业人员证", "Q 类起重机械作业",
                 lambda cat: bool(_Q_DRIVER.search(cat)), "特种设备安全法 第14条"),
    ),
    "blasting": (
        CertNeed("blasters", "爆破作业人员", "爆破作业人员许可证", "爆破作业人员许可证", lambda cat: True, "民用爆炸物品安全管理条例 第33条"),
    ),
}


def ticket_people(t: Any, need: CertNeed) -> list[tuple[str, Any]]:
    """(path, PersonRef) of the people in one certificate-needing position of ticket ``t``."""
    value = getattr(t, need.field, None)
    if isinstance(value, PersonRef):
        return [(need.field, value)]
    if isinstance(value, tuple):
        return [(f"{need.field}[{i}]", v) for i, v in enumerate(value) if isinstance(v, PersonRef)]
    return []


def best_cert_problem(person: Any, need: CertNeed, start: date, end: date) -> tuple[Any, str | None]:
    """(certificate, problem): a matching certificate that covers start…end (problem None), else the
    nearest miss and why; (None, reason) when the person holds no such certificate at all."""
    certs = [c for c in person.certificates if c.kind == need.kind and need.match(c.category)]
    if not certs:
        return None, f"未登记{need.label}（{need.kind}）"
    misses = []
    for c in certs:
        why = cert_problem(c, start, end)
        if why is None:
            return c, None
        misses.append((c, why))
    c, why = max(misses, key=lambda m: m[0].expires)
    return c, f"{need.kind}（{c.category}，{c.number}）{why}"


def ticket_days(t: Any) -> tuple[date, date]:
    return t.valid_from.date(), t.valid_to.date()


# =============================================================================================
# Rules, findings, results
# =============================================================================================


@dataclass
class Finding:
    rule: str
    severity: str
    message: str
    enterprise: str | None = None
    contractor: str | None = None
    project: str | None = None
    evidence: list[dict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    deadline: date | None = None  # the deadline the finding is about, when there is one
    remedy: str | None = None  # what to do, when it differs from the rule's remedy
    topic: str = ""  # findings of different rules about the same fact share a topic (one order item)

    def as_dict(self) -> dict:
        return {
            "rule": self.rule, "severity": self.severity, "message": self.message,
            "enterprise": self.enterprise, "contractor": self.contractor, "project": self.project,
            "evidence": self.evidence, "missing": self.missing,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "remedy": self.remedy, "topic": self.topic,
        }


@dataclass
class Evaluation:
    findings: list[Finding] = field(default_factory=list)
    examined: list[str] = field(default_factory=list)  # what was looked at, one line each
    applicable: bool = True


@dataclass(frozen=True)
class CheckRule:
    id: str
    title: str
    group: str
    seed_clause: str  # the campaign plan's own words
    basis: str  # the duty (what is violated)
    penalty: str  # the penalty provision (FINES key of schemas.penalty, or text)
    severity: str  # the highest severity the rule reports
    remedy: str  # what to do — the 整改要求 of a rectification order item
    evaluate: Callable[["Snapshot", date, "Scope"], Evaluation]
    note: str = ""  # what the data cannot show

    def as_dict(self) -> dict:
        return {
            "id": self.id, "title": self.title, "group": self.group, "seed_clause": self.seed_clause,
            "basis": self.basis, "penalty": self.penalty, "severity": self.severity, "remedy": self.remedy,
            "note": self.note,
        }


@dataclass
class RuleResult:
    rule: CheckRule
    status: str
    findings: list[Finding]
    examined: list[str]

    def as_dict(self) -> dict:
        return {
            **self.rule.as_dict(),
            "status": self.status,
            "findings": [f.as_dict() for f in self.findings],
            "examined": self.examined,
        }


@dataclass
class CheckReport:
    as_of: date
    enterprise: str | None
    contractor: str | None
    results: list[RuleResult]

    def findings(self, min_severity: str = "warning") -> list[Finding]:
        rank = SEVERITIES.index(min_severity)
        return [f for r in self.results for f in r.findings if SEVERITIES.index(f.severity) <= rank]

    def summary(self) -> dict:
        statuses = {s: sum(1 for r in self.results if r.status == s) for s in STATUS_NAMES}
        sev = {s: sum(1 for r in self.results for f in r.findings if f.severity == s) for s in SEVERITIES}
        return {"rules": len(self.results), **statuses, "findings": sev}

    def as_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "scope": {"enterprise": self.enterprise, "contractor": self.contractor},
            "summary": self.summary(),
            "rules": [r.as_dict() for r in self.results],
        }


@dataclass
class Scope:
    """What a run looks at: the projects, enterprises and contractors in scope."""

    projects: list[Rec]
    enterprises: list[str]
    contractors: list[str]

    def has_contractor(self, c: str | None) -> bool:
        return c in self.contractors

    def has_enterprise(self, e: str | None) -> bool:
        return e in self.enterprises

    def pair(self, e: str | None, c: str | None) -> bool:
        return (e is None or e in self.enterprises) and (c is None or c in self.contractors)


def make_scope(snap: Snapshot, enterprise: str | None, contractor: str | None) -> Scope:
    projects = [
        r for r in snap.of("project")
        if (enterprise is None or r.obj.enterprise == enterprise) and (contractor is None or r.obj.contractor == contractor)
    ]
    if enterprise:
        enterprises = [enterprise]
    else:
        enterprises = sorted({r.obj.enterprise for r in projects} | (
            {snap.owner} if snap.owner_role == "enterprise" and contractor is None else set()
        ))
    if contractor:
        contractors = [contractor]
    else:
        own_list = enterprise is None or (snap.owner_role == "enterprise" and enterprise == snap.owner)
        registered = {
            r.obj.uscc for r in snap.of("organization")
            if r.obj.role == "contractor" and (own_list or r.origin == enterprise)
        }
        contractors = sorted({r.obj.contractor for r in projects} | registered)
    return Scope(projects, enterprises, contractors)


def run_checks(
    snap: Snapshot, as_of: date, *, enterprise: str | None = None, contractor: str | None = None,
    rules: Sequence[CheckRule] | None = None,
) -> CheckReport:
    """Evaluate every rule (or ``rules``) on ``snap`` as on ``as_of``."""
    view = snap.upto(as_of)
    scope = make_scope(view, enterprise, contractor)
    results = []
    for rule in rules or RULES:
        ev = rule.evaluate(view, as_of, scope)
        for f in ev.findings:
            f.rule = rule.id
        if not ev.applicable and not ev.findings:
            status = "not_applicable"
        elif any(f.severity in ("major", "error") for f in ev.findings):
            status = "fail"
        elif ev.findings:
            status = "warn"
        else:
            status = "pass"
        results.append(RuleResult(rule, status, ev.findings, ev.examined))
    return CheckReport(as_of, enterprise, contractor, results)


# --- helpers the rules share ----------------------------------------------------------------


def _started(scope: Scope, as_of: date) -> list[Rec]:
    return [p for p in scope.projects if p.obj.period.start <= as_of]


def _for_project(snap: Snapshot, t: str, p: Any) -> list[Rec]:
    return [r for r in snap.of(t) if r.obj.enterprise == p.enterprise and getattr(r.obj, "project", None) == p.code]


def _pname(p: Any) -> str:
    return f"项目 {p.code}（{p.name}）"


def _fmt(d: date) -> str:
    return d.isoformat()


def _inspections(snap: Snapshot, p: Any) -> list[Rec]:
    return sorted(
        (r for r in snap.of("contractor_inspection")
         if r.obj.enterprise == p.enterprise and r.obj.contractor == p.contractor and r.obj.project in (None, p.code)),
        key=lambda r: r.obj.inspected_on,
    )


def _finding(sev: str, msg: str, *, p: Any = None, e: str | None = None, c: str | None = None,
             evidence: Iterable[Rec] = (), missing: Iterable[str] = (), deadline: date | None = None,
             remedy: str | None = None, topic: str = "") -> Finding:
    seen, ev = set(), []
    for r in evidence:
        if r is not None and r.id not in seen:
            seen.add(r.id)
            ev.append(r.cite())
    return Finding(
        rule="", severity=sev, message=msg,
        enterprise=e or (p.enterprise if p is not None else None),
        contractor=c or (p.contractor if p is not None else None),
        project=p.code if p is not None else None,
        evidence=ev, missing=list(missing), deadline=deadline, remedy=remedy, topic=topic,
    )


def inspection_gaps(snap: Snapshot, p: Any, as_of: date, max_gap: int) -> tuple[list[Rec], list[tuple[date, date]], date, date]:
    """(inspections in the window, gaps longer than ``max_gap`` days, window start, window end)."""
    start, end = project_window(p)
    end = min(end, as_of)
    found = [r for r in _inspections(snap, p) if start <= r.obj.inspected_on <= end]
    marks = [start] + [r.obj.inspected_on for r in found] + [end]
    gaps = [(a, b) for a, b in zip(marks, marks[1:]) if (b - a).days > max_gap]
    return found, gaps, start, end


# =============================================================================================
# 发包单位五查
# =============================================================================================


def e1(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    ev = Evaluation()
    projects = _started(scope, as_of)
    ev.applicable = bool(projects)
    for pr in projects:
        p = pr.obj
        start, end = project_window(p)
        ags = _for_project(snap, "safety_agreement", p)
        cts = _for_project(snap, "outsourcing_contract", p)
        duty = [c for c in cts if (c.obj.safety_duty_clause or "").strip()]
        if not ags and not duty:
            ev.findings.append(_finding(
                "error", f"{_pname(p)}未与承包单位{snap.org_name(p.contractor)}签订安全生产管理协议，外包合同中也未约定各自的安全生产管理职责",
                p=p, evidence=[pr, *cts], missing=[f"{p.code} 的安全生产管理协议（或外包合同中的安全生产管理职责条款）"], topic="agreement"))
            continue
        covering = ags or duty
        periods = [(a.obj.term.start, a.obj.term.end) for a in ags] or [(c.obj.period.start, c.obj.period.end) for c in duty]
        what = "安全生产管理协议" if ags else "约定安全职责的外包合同"
        holes = uncovered(periods, start, end)
        for a, b in holes:
            ev.findings.append(_finding(
                "error", f"{_pname(p)}工期 {_fmt(start)}～{_fmt(end)} 中 {_fmt(a)}～{_fmt(b)} 不在{what}期限内",
                p=p, evidence=[pr, *covering], missing=[f"覆盖 {_fmt(a)}～{_fmt(b)} 的安全生产管理协议"]))
        for t in _for_project(snap, "work_ticket", p):
            d0, d1 = ticket_days(t.obj)
            if uncovered(periods, d0, d1) and not holes:
                ev.findings.append(_finding(
                    "error", f"{t.title}（{_fmt(d0)}～{_fmt(d1)}）不在{what}期限内", p=p, evidence=[t, *covering],
                    missing=["覆盖作业日期的安全生产管理协议"]))
        for a in ags:
            if a.obj.contractor != p.contractor:
                ev.findings.append(_finding("error", f"{a.title} 的乙方与{_pname(p)}的承包单位不一致", p=p, evidence=[a, pr]))
            if a.obj.signed_on > start:
                ev.findings.append(_finding("warning", f"{a.title} 签订于 {_fmt(a.obj.signed_on)}，晚于开工日期 {_fmt(start)}",
                                            p=p, evidence=[a, pr]))
        ev.examined.append(f"{_pname(p)}：" + "、".join(r.title for r in covering))
    return ev


def e2(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    ev = Evaluation()
    s_tol = _settings_of(snap).schedule_compression_tolerance_pct
    projects = _started(scope, as_of)
    any_data = False
    for pr in projects:
        p = pr.obj
        cts = _for_project(snap, "outsourcing_contract", p)
        for c in cts:
            any_data = True
            co = c.obj
            signed_changes = [x for x in co.change_orders if x.signed_by_both and x.new_end is not None and x.date <= as_of]
            for x in co.change_orders:
                if x.date > as_of:
                    continue
                if x.new_end is not None and x.new_end < co.period.end and not x.signed_by_both:
                    ev.findings.append(_finding(
                        "error", f"{c.title} 的变更 {x.number} 将完工日期由 {_fmt(co.period.end)} 压缩至 {_fmt(x.new_end)}，未经双方签字确认",
                        p=p, evidence=[c], missing=[f"变更 {x.number} 的双方签字确认"]))
            actual = p.actual_end
            if actual is not None and actual <= as_of and actual < co.period.end:
                agreed = (co.period.end - co.period.start).days + 1
                early = (co.period.end - actual).days
                allowed = [x for x in signed_changes if x.new_end <= actual]
                if early * 100 > s_tol * agreed and not allowed:
                    ev.findings.append(_finding(
                        "warning", f"{_pname(p)}实际完工 {_fmt(actual)}，比{c.title}约定的 {_fmt(co.period.end)} 提前 {early} 天"
                                   f"（约定工期 {agreed} 天），没有双方签字的工期变更，请核实是否擅自压缩工期",
                        p=p, evidence=[c, pr], missing=["双方签字的工期变更协议"]))
            ev.examined.append(f"{_pname(p)}：{c.title} 约定工期 {_fmt(co.period.start)}～{_fmt(co.period.end)}，变更 {len(co.change_orders)} 项")
        start, end = project_window(p)
        for t in _for_project(snap, "work_ticket", p):
            any_data = True
            d0, d1 = ticket_days(t.obj)
            if d0 < p.period.start or d1 > max(end, p.period.end):
                ev.findings.append(_finding(
                    "warning", f"{t.title}（{_fmt(d0)}～{_fmt(d1)}）在{_pname(p)}约定工期 {_fmt(p.period.start)}～{_fmt(p.period.end)} 之外",
                    p=p, evidence=[t, pr]))
    ev.applicable = any_data
    return ev


def e3(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    ev = Evaluation()
    s = _settings_of(snap)
    projects = _started(scope, as_of)
    ev.applicable = bool(projects)
    for pr in projects:
        p = pr.obj
        found, gaps, start, end = inspection_gaps(snap, p, as_of, s.inspection_max_gap_days)
        if not found and (end - start).days > s.inspection_max_gap_days:
            ev.findings.append(_finding(
                "error", f"{_pname(p)}作业期间 {_fmt(start)}～{_fmt(end)} 没有发包单位对承包单位{snap.org_name(p.contractor)}的安全检查记录（以包代管）",
                p=p, evidence=[pr], missing=[f"发包单位对 {snap.org_name(p.contractor)} 的安全检查记录（至少每 {s.inspection_max_gap_days} 日一次）"],
                topic="inspection"))
        elif found:
            for a, b in gaps:
                ev.findings.append(_finding(
                    "error", f"{_pname(p)} {_fmt(a)}～{_fmt(b)} 间隔 {(b - a).days} 天没有对承包单位的安全检查，超过 {s.inspection_max_gap_days} 天",
                    p=p, evidence=[pr, *found], missing=[f"{_fmt(a)}～{_fmt(b)} 期间的安全检查记录"], topic="inspection"))
        for r in _for_project(snap, "outsourcing_contract", p):
            for phrase in liability_shifting_phrases(r.obj.safety_duty_clause or ""):
                ev.findings.append(_finding("warning", f"{r.title} 含推卸安全责任的表述“{phrase}”（发包单位的法定责任不因约定而免除）",
                                            p=p, evidence=[r], remedy=_SHIFT_REMEDY))
        for r in _for_project(snap, "safety_agreement", p):
            for duty in (*r.obj.enterprise_duties, *r.obj.contractor_duties):
                for phrase in liability_shifting_phrases(duty):
                    ev.findings.append(_finding("warning", f"{r.title} 含推卸安全责任的表述“{phrase}”（发包单位的法定责任不因约定而免除）",
                                                p=p, evidence=[r], remedy=_SHIFT_REMEDY))
        ev.examined.append(f"{_pname(p)}：发包单位检查 {len(found)} 次（{'、'.join(_fmt(r.obj.inspected_on) for r in found) or '无'}）")
    return ev


_SHIFT_REMEDY = "修改或删除推卸安全责任的条款，双方的法定安全生产责任不因约定而免除或减轻"


def e4(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    ev = Evaluation()
    accidents = [
        r for r in snap.of("accident")
        if scope.has_enterprise(r.obj.enterprise) and (r.obj.contractor or r.obj.project)
        and (r.obj.contractor is None or scope.has_contractor(r.obj.contractor))
    ]
    ev.applicable = bool(accidents)
    for r in accidents:
        a = r.obj
        p = (snap.project_rec(a.enterprise, a.project) or None)
        if not a.counted_in_employer_stats:
            ev.findings.append(_finding(
                "error", f"{r.title}（{a.occurred_at:%Y-%m-%d}，{a.grade}事故，死亡 {a.deaths} 人）发生在外包项目上，未纳入发包单位事故统计",
                p=p.obj if p else None, e=a.enterprise, c=a.contractor, evidence=[r], missing=["发包单位事故统计台账中的该起事故"]))
        ev.examined.append(f"{r.title}：{'已' if a.counted_in_employer_stats else '未'}纳入发包单位事故统计")
    return ev


def _listings(snap: Snapshot, subject: str, as_of: date, enterprise: str | None = None) -> list[Rec]:
    """Blacklist entries naming ``subject`` that apply to ``enterprise`` (its own list, or the statutory list)."""
    return [
        r for r in snap.of("blacklist_entry")
        if r.obj.subject == subject and (r.obj.list == "statutory" or enterprise is None or r.obj.listed_by == enterprise)
        and r.obj.decided_on <= as_of
    ]


def listing_state(snap: Snapshot, entry: Rec, on: date) -> tuple[str, Rec | None]:
    """("active" | "expired" | "removed" | "pending", the removal record) of a listing on day ``on``."""
    e = entry.obj
    removals = sorted(
        (r for r in snap.of("blacklist_removal")
         if r.obj.entry_no == e.entry_no and r.obj.listed_by == e.listed_by and r.obj.decided_on <= on),
        key=lambda r: r.obj.decided_on,
    )
    if removals:
        return "removed", removals[0]
    if on < e.start:
        return "pending", None
    if on > e.end:
        return "expired", None
    return "active", None


def active_listings(snap: Snapshot, subject: str, on: date, enterprise: str | None = None) -> list[Rec]:
    return [r for r in _listings(snap, subject, on, enterprise) if listing_state(snap, r, on)[0] == "active"]


def e5_triggers(snap: Snapshot, e: str, c: str, as_of: date) -> list[tuple[date, str, Rec]]:
    """(day, what, record) of each event that obliges ``e`` to end its contract with ``c`` and list it."""
    out = []
    for r in snap.of("quarterly_assessment"):
        a = r.obj
        if a.enterprise == e and a.contractor == c and a.result == "不合格":
            out.append((a.assessed_on, f"{a.year}年第{a.quarter}季度安全生产考核不合格", r))
    for r in snap.of("hazard"):
        h = r.obj
        if h.enterprise == e and h.contractor == c and h.grade == "重大":
            done = h.status == "已整改" and h.rectified_on is not None and h.rectified_on <= as_of
            if not done and (h.deadline is None or h.deadline < as_of):
                when = h.deadline + timedelta(days=1) if h.deadline else h.found_on
                out.append((when, f"重大事故隐患 {h.hazard_no} " + (f"逾期（期限 {_fmt(h.deadline)}）未整改" if h.deadline else "无整改期限、未整改"), r))
    for r in snap.of("accident"):
        a = r.obj
        contractor = a.contractor
        if contractor is None and a.project:
            p = snap.project_rec(a.enterprise, a.project)
            contractor = p.obj.contractor if p else None
        if a.enterprise == e and contractor == c and a.deaths > 0:
            out.append((a.occurred_at.date(), f"发生亡人事故（{a.accident_no}，死亡 {a.deaths} 人）", r))
    return sorted(out, key=lambda x: x[0])


def e5(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    ev = Evaluation()
    pairs = sorted({(p.obj.enterprise, p.obj.contractor) for p in scope.projects})
    for r in snap.of("quarterly_assessment", "hazard", "accident"):
        e, c = r.obj.enterprise, getattr(r.obj, "contractor", None)
        if c and scope.pair(e, c):
            pairs = sorted(set(pairs) | {(e, c)})
    any_trigger = False
    for e, c in pairs:
        triggers = e5_triggers(snap, e, c, as_of)
        if not triggers:
            continue
        any_trigger = True
        contracts = [r for r in snap.of("outsourcing_contract") if r.obj.enterprise == e and r.obj.contractor == c]
        live = [r for r in contracts if r.obj.status == "履行中"]
        live_projects = [r for r in scope.projects if r.obj.enterprise == e and r.obj.contractor == c and r.obj.status in ("筹备", "施工中")]
        for day, what, rec in triggers:
            listed = [r for r in _listings(snap, c, as_of, e) if r.obj.decided_on >= day or listing_state(snap, r, as_of)[0] == "active"]
            problems, missing = [], []
            if live or (not contracts and live_projects):
                problems.append("未解除工程合同关系")
                missing.append(f"与 {snap.org_name(c)} 解除合同的书面记录（合同状态“已解除”）")
            if not listed:
                problems.append("未纳入“黑名单”管理")
                missing.append(f"将 {snap.org_name(c)} 列入企业承包商黑名单的决定（outsafe blacklist add）")
            if problems:
                ev.findings.append(_finding(
                    "error", f"承包单位{snap.org_name(c)}{what}（{_fmt(day)}），" + "、".join(problems),
                    e=e, c=c, evidence=[rec, *live, *live_projects], missing=missing))
            ev.examined.append(f"{snap.org_name(c)}：{what}；" + (f"已列入 {listed[0].title}" if listed else "未列入黑名单"))
    # the quarterly assessments the 退出机制 rests on (整治方案: 建立…安全评价与退出机制) [P]
    for pr in _started(scope, as_of):
        p = pr.obj
        start, end = project_window(p)
        for y, q, q0, q1 in _quarters(start, min(end, as_of)):
            if q1 >= as_of:
                continue  # the quarter is not over
            overlap = (min(q1, end) - max(q0, start)).days + 1
            done = [r for r in snap.of("quarterly_assessment")
                    if r.obj.enterprise == p.enterprise and r.obj.contractor == p.contractor and r.obj.year == y and r.obj.quarter == q]
            if overlap >= 30 and not done:
                ev.findings.append(_finding(
                    "warning", f"{_pname(p)}在{y}年第{q}季度作业 {overlap} 天，未见对承包单位{snap.org_name(p.contractor)}的季度安全生产考核记录",
                    p=p, evidence=[pr], missing=[f"{y}年第{q}季度承包单位安全生产考核记录"]))
            for r in done:
                ev.examined.append(f"{r.title}：{r.obj.result}")
    ev.applicable = any_trigger or bool(ev.findings) or bool(_started(scope, as_of))
    return ev


def _quarters(start: date, end: date) -> list[tuple[int, int, date, date]]:
    out = []
    y, q = start.year, (start.month - 1) // 3 + 1
    while True:
        q0 = date(y, 3 * (q - 1) + 1, 1)
        q1 = (date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)) - timedelta(days=1)
        if q0 > end:
            break
        out.append((y, q, q0, q1))
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


# =============================================================================================
# 承包单位五查
# =============================================================================================

_CORE_QUALIFICATIONS = ("安全生产许可证", "建筑业企业资质证书", "爆破作业单位许可证", "特种设备生产许可证")


def c1(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    ev = Evaluation()
    ev.applicable = bool(scope.contractors)
    for c in scope.contractors:
        orec = snap.orgs.get(c)
        if orec is None:
            continue
        org = orec.obj
        projects = [p for p in _started(scope, as_of) if p.obj.contractor == c]
        active = [p for p in projects if project_window(p.obj)[1] >= as_of]
        quals = [q for q in org.qualifications if q.kind in _CORE_QUALIFICATIONS]
        if not org.qualifications:
            ev.findings.append(_finding(
                "error" if projects else "warning", f"承包单位{org.name}未登记任何资质或许可证",
                c=c, e=projects[0].obj.enterprise if projects else None, evidence=[orec, *projects],
                missing=[f"{org.name} 的营业执照、资质证书、安全生产许可证"]))
            continue
        for pr in projects:
            p = pr.obj
            start, end = project_window(p)
            end = min(end, as_of)
            for q in quals:
                if q.kind == "爆破作业单位许可证" and "blasting" not in p.dangerous_work:
                    continue
                if q.kind == "特种设备生产许可证" and "lifting" not in p.dangerous_work:
                    continue
                if q.valid_from > start or (q.valid_to is not None and q.valid_to < end):
                    after = [t for t in _for_project(snap, "work_ticket", p) if q.valid_to and t.obj.valid_to.date() > q.valid_to]
                    ev.findings.append(_finding(
                        "error", f"{org.name}的{q.kind}（{q.number}，有效期 {_fmt(q.valid_from)}～{_fmt(q.valid_to) if q.valid_to else '长期'}）"
                                 f"未覆盖{_pname(p)}作业期间 {_fmt(start)}～{_fmt(end)}",
                        p=p, evidence=[orec, pr, *after], missing=[f"{q.kind}的延续/换证记录"]))
            if "blasting" in p.dangerous_work and not any(q.kind == "爆破作业单位许可证" for q in org.qualifications):
                ev.findings.append(_finding(
                    "error", f"{_pname(p)}涉及爆破作业，承包单位{org.name}未登记爆破作业单位许可证", p=p, evidence=[orec, pr],
                    missing=[f"{org.name} 的爆破作业单位许可证"]))
            for t in _for_project(snap, "work_ticket", p):
                if t.obj.ticket_type == "blasting" and t.obj.unit_licence_valid_to < t.obj.valid_to.date():
                    ev.findings.append(_finding(
                        "error", f"{t.title} 所载爆破作业单位许可证有效期至 {_fmt(t.obj.unit_licence_valid_to)}，早于作业日期",
                        p=p, evidence=[t, orec]))
            ev.examined.append(f"{org.name} / {_pname(p)}：" + "、".join(
                f"{q.kind}至{_fmt(q.valid_to) if q.valid_to else '长期'}" for q in quals) if quals else f"{org.name}：无核心资质")
        listed = active_listings(snap, c, as_of, _list_owner(snap, orec))
        if not active and listed:
            ev.examined.append(f"{org.name}：已列入{listed[0].obj.list_name}（{listed[0].obj.entry_no}），不予准入")
        elif not active:
            for q in quals:
                if q.valid_to is not None and q.valid_to < as_of:
                    ev.findings.append(_finding(
                        "warning", f"承包单位{org.name}的{q.kind}（{q.number}）已于 {_fmt(q.valid_to)} 到期，未见延续，不得准入新的外包项目",
                        c=c, e=_list_owner(snap, orec), evidence=[orec],
                        missing=[f"{q.kind}的延续/换证记录"], deadline=q.valid_to))
            if not projects:
                ev.examined.append(f"{org.name}（无在建项目）：" + "、".join(
                    f"{q.kind}至{_fmt(q.valid_to) if q.valid_to else '长期'}" for q in org.qualifications))
        else:
            for q in quals:
                if q.kind == "安全生产许可证" and q.valid_to is not None and as_of <= q.valid_to < add_months(as_of, 3):
                    ev.findings.append(_finding(
                        "warning", f"承包单位{org.name}的安全生产许可证将于 {_fmt(q.valid_to)} 到期，应于期满前3个月申请延期",
                        c=c, e=active[0].obj.enterprise, evidence=[orec], deadline=q.valid_to))
    return ev


def _list_owner(snap: Snapshot, orec: Rec) -> str | None:
    """The enterprise whose contractor list a registered contractor belongs to."""
    if snap.owner_role == "enterprise":
        return snap.owner
    origin = snap.org(orec.origin)
    return orec.origin if origin is not None and origin.role == "enterprise" else None


def _needs_assessment_cert(org: Any, s: Any) -> bool:
    """SPL 27 ¶2: construction and metal-smelting units' principals and safety managers must pass an assessment."""
    if org is None:
        return False
    if org.industry in s.metal_smelting_industries:
        return True
    return any(q.kind == "建筑业企业资质证书" or (q.kind == "安全生产许可证" and "建筑" in q.scope) for q in org.qualifications)


ROSTER_CERTS = {
    "特种作业人员": "特种作业操作证",
    "特种设备作业人员": "特种设备作业人员证",
    "爆破作业人员": "爆破作业人员许可证",
}


def c2(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    ev = Evaluation()
    s = _settings_of(snap)
    projects = _started(scope, as_of)
    ev.applicable = bool(projects)
    for pr in projects:
        p = pr.obj
        start, end = project_window(p)
        end = min(end, as_of)
        org = snap.org(p.contractor)
        if not p.has_project_department:
            ev.findings.append(_finding("error", f"承包单位{snap.org_name(p.contractor)}未为{_pname(p)}设置项目部", p=p, evidence=[pr],
                                        missing=["项目部设立文件（项目负责人、专职安全管理人员任命）"]))
        for attr, label in (("manager", "项目负责人"), ("safety_officer", "专职安全生产管理人员")):
            ref = getattr(p, attr)
            if ref is None:
                ev.findings.append(_finding("error", f"{_pname(p)}未明确{label}", p=p, evidence=[pr], missing=[f"{label}的任命及证书"]))
                continue
            person = snap.person_rec(ref, [p.contractor])
            if person is None:
                ev.findings.append(_finding("error", f"{_pname(p)}的{label}{ref.name}未登记（无法核对证书）", p=p, evidence=[pr],
                                            missing=[f"{ref.name} 的人员登记及证书"]))
                continue
            if _needs_assessment_cert(org, s):
                certs = [c for c in person.obj.certificates if c.kind == "安全生产知识和管理能力考核合格证"]
                probs = [cert_problem(c, start, end) for c in certs]
                if not certs or all(probs):
                    why = "未登记" if not certs else probs[0]
                    ev.findings.append(_finding(
                        "error", f"{_pname(p)}的{label}{ref.name}的安全生产知识和管理能力考核合格证{why}",
                        p=p, evidence=[pr, person], missing=[f"{ref.name} 的有效考核合格证"]))
        roster = [r for r in (p.manager, p.safety_officer, *p.workers) if r is not None]
        checked = 0
        for ref in roster:
            person = snap.person_rec(ref, [p.contractor])
            if person is None:
                if ref.id_number:
                    ev.findings.append(_finding("error", f"{_pname(p)}作业人员名册中的{ref.name}未登记", p=p, evidence=[pr],
                                                missing=[f"{ref.name} 的人员登记"]))
                continue
            for role, kind in ROSTER_CERTS.items():
                if role not in person.obj.roles:
                    continue
                checked += 1
                certs = [c for c in person.obj.certificates if c.kind == kind]
                probs = [cert_problem(c, start, end) for c in certs]
                if not certs or all(probs):
                    why = f"未登记{kind}" if not certs else f"{kind}{probs[0]}"
                    ev.findings.append(_finding(
                        "error", f"{_pname(p)}的{role}{ref.name}{why}（三项岗位人员须持证上岗）",
                        p=p, evidence=[pr, person], missing=[f"{ref.name} 的有效{kind}"]))
        ev.examined.append(f"{_pname(p)}：项目部{'已' if p.has_project_department else '未'}设立，名册 {len(roster)} 人，持证岗位 {checked} 个")
    return ev


def c3(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    ev = Evaluation()
    s = _settings_of(snap)
    codes = {(p.obj.enterprise, p.obj.code) for p in scope.projects}
    items = [
        r for r in snap.of("equipment")
        if r.obj.status == "在用" and r.obj.entered_on <= as_of and (
            (r.obj.enterprise, r.obj.project) in codes or scope.has_contractor(r.obj.owner)
            or (r.obj.project is None and scope.has_enterprise(r.obj.owner) and scope.has_enterprise(r.obj.enterprise)))
    ]
    lifting = [p for p in _started(scope, as_of) if "lifting" in p.obj.dangerous_work]
    ev.applicable = bool(items or lifting)
    for r in items:
        e = r.obj
        prec = snap.project_rec(e.enterprise, e.project) if e.project else None
        p = prec.obj if prec else None
        # contractor equipment brought for a project is judged up to the project's end
        day = min(as_of, project_window(p)[1]) if p is not None and e.owner == p.contractor else as_of
        who = dict(e=e.enterprise, c=p.contractor if p else (e.owner if scope.has_contractor(e.owner) else None))
        if e.special_equipment:
            if not e.registration_no:
                ev.findings.append(_finding("error", f"{r.title}（{e.name}）为特种设备，未办理使用登记", p=p, **who, evidence=[r],
                                            missing=["特种设备使用登记证"]))
            if e.next_inspection is None:
                ev.findings.append(_finding("error", f"{r.title}（{e.name}）为特种设备，未记录定期检验", p=p, **who, evidence=[r],
                                            missing=["特种设备定期检验报告"]))
            elif e.next_inspection < as_of:
                ev.findings.append(_finding(
                    "error", f"{r.title}（{e.name}）定期检验已于 {_fmt(e.next_inspection)} 到期，仍在使用（未经定期检验的特种设备不得继续使用）",
                    p=p, **who, evidence=[r], missing=["新的定期检验报告"], deadline=e.next_inspection))
            elif (e.next_inspection - as_of).days <= s.special_equipment_notice_days:
                ev.findings.append(_finding(
                    "warning", f"{r.title}（{e.name}）定期检验将于 {_fmt(e.next_inspection)} 到期，应在届满前1个月向检验机构提出定期检验要求",
                    p=p, **who, evidence=[r], deadline=e.next_inspection))
        done = [m.date for m in e.maintenance if m.date <= day]
        if not done:
            ev.findings.append(_finding("warning", f"{r.title}（{e.name}）没有维护保养记录", p=p, **who, evidence=[r],
                                        missing=["维护保养记录（经有关人员签字）"]))
        else:
            gap = (day - max(done)).days
            marks = sorted(done) + [day]
            worst = max((b - a).days for a, b in zip(marks, marks[1:]))
            if worst > s.maintenance_max_gap_days:
                ev.findings.append(_finding(
                    "warning", f"{r.title}（{e.name}）维护保养间隔最长 {worst} 天，超过 {s.maintenance_max_gap_days} 天（最近一次 {_fmt(max(done))}，距今 {gap} 天）",
                    p=p, **who, evidence=[r]))
        ev.examined.append(f"{r.title}（{e.name}，{'特种设备' if e.special_equipment else '一般设备'}）"
                           + (f"：下次检验 {_fmt(e.next_inspection)}" if e.next_inspection else ""))
    for pr in lifting:
        p = pr.obj
        if not any(r.obj.project == p.code and r.obj.enterprise == p.enterprise for r in items):
            ev.findings.append(_finding("warning", f"{_pname(p)}涉及吊装作业，档案中没有该项目使用的起重设备记录", p=p, evidence=[pr],
                                        missing=["起重设备设施台账（检验、维护保养记录）"]))
    return ev


def _contractor_people(snap: Snapshot, p: Any, as_of: date) -> dict[str, tuple[Rec, date]]:
    """Registered contractor staff on project ``p``: id → (person, the day by which they must be
    trained). On a ticket: its first day (they work then); on the roster only: the end of the
    window (they must have been trained at some point while on the project)."""
    start, end = project_window(p)
    out: dict[str, tuple[Rec, date]] = {}

    def add(ref: Any, day: date, roster: bool = False) -> None:
        person = snap.person_rec(ref, [p.contractor])
        if person is None or person.obj.employer != p.contractor:
            return
        if roster and person.obj.entry_date is not None and person.obj.entry_date > day:
            return  # joins the project later
        key = person.obj.id_number.upper()
        if key not in out or day < out[key][1]:
            out[key] = (person, day)

    for ref in (p.manager, p.safety_officer, *p.workers):
        if ref is not None:
            add(ref, min(end, as_of), roster=True)
    for t in _for_project(snap, "work_ticket", p):
        for _, ref in _refs_of(t.obj):
            add(ref, t.obj.valid_from.date())
    return out


def _refs_of(obj: Any) -> list[tuple[str, PersonRef]]:
    from archive.registry import _person_refs

    return list(_person_refs(obj))


def training_card(snap: Snapshot, person_id: str, enterprise: str, contractor: str, by: date) -> tuple[Rec | None, list[Rec]]:
    """(the passing card confirmed on or before ``by``, every card of the person at this enterprise)."""
    cards = [
        r for r in snap.of("training_record")
        if r.obj.trainee.id_number.upper() == person_id.upper() and r.obj.enterprise == enterprise and r.obj.contractor == contractor
    ]
    ok = [r for r in cards if r.obj.conclusion.passed and r.obj.conclusion.may_take_post and r.obj.conclusion.confirmed_on <= by]
    return (max(ok, key=lambda r: r.obj.conclusion.confirmed_on) if ok else None), cards


def c4(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    ev = Evaluation()
    s = _settings_of(snap)
    projects = _started(scope, as_of)
    ev.applicable = bool(projects)
    hazards = [r for r in snap.of("hazard") if scope.pair(r.obj.enterprise, r.obj.contractor) and r.obj.contractor]
    for r in hazards:
        h = r.obj
        p = snap.project_rec(h.enterprise, h.project)
        done = h.status == "已整改" and h.rectified_on is not None and h.rectified_on <= as_of
        if h.grade == "重大" and not h.reported_to_authority:
            ev.findings.append(_finding(
                "error", f"{r.title}为重大事故隐患，未向负有安全生产监督管理职责的部门报告", p=p.obj if p else None,
                e=h.enterprise, c=h.contractor, evidence=[r], missing=["重大事故隐患报告记录"]))
        if not done and h.deadline is not None and h.deadline < as_of:
            ev.findings.append(_finding(
                "error", f"{r.title}（{h.grade}隐患：{h.description[:40]}）整改期限 {_fmt(h.deadline)} 已过，仍为“{h.status}”",
                p=p.obj if p else None, e=h.enterprise, c=h.contractor, evidence=[r], missing=["隐患整改完成及验收记录"], deadline=h.deadline))
    for pr in projects:
        p = pr.obj
        start, end = project_window(p)
        mine = [r for r in hazards if r.obj.enterprise == p.enterprise and r.obj.contractor == p.contractor]
        if not mine and (min(end, as_of) - start).days > s.inspection_max_gap_days:
            ev.findings.append(_finding(
                "warning", f"{_pname(p)}作业 {(min(end, as_of) - start).days} 天，档案中没有承包单位{snap.org_name(p.contractor)}的隐患排查治理记录",
                p=p, evidence=[pr], missing=["隐患排查治理台账"]))
        people = _contractor_people(snap, p, as_of)
        trained = 0
        for key, (person, day) in sorted(people.items(), key=lambda kv: kv[1][0].obj.name):
            card, cards = training_card(snap, key, p.enterprise, p.contractor, day)
            if card is None:
                why = "没有三级安全教育记录" if not cards else f"三级安全教育记录（{cards[0].title}）在上岗（{_fmt(day)}）之后才确认或不合格"
                ev.findings.append(_finding(
                    "error", f"{_pname(p)}的作业人员{person.obj.name}{why}（未经安全生产教育和培训合格不得上岗）",
                    p=p, evidence=[pr, person, *cards], missing=[f"{person.obj.name} 的三级安全教育登记卡"]))
                continue
            trained += 1
            age = add_months(card.obj.conclusion.confirmed_on, s.training_valid_months)
            if age < min(end, as_of):
                ev.findings.append(_finding(
                    "warning", f"{person.obj.name}的安全教育（{card.title}，{_fmt(card.obj.conclusion.confirmed_on)}）已超过 {s.training_valid_months} 个月，应进行再培训",
                    p=p, evidence=[card, person], missing=[f"{person.obj.name} 的年度再培训记录"]))
            pers = person.obj
            if pers.work_injury_insurance is not True:
                kind = pers.labour_type if pers.labour_type != "正式员工" else "从业人员"
                ev.findings.append(_finding(
                    "warning", f"{kind}{pers.name}未登记参加工伤保险（劳务分包、临时用工人员应与正式员工同等对待）",
                    p=p, evidence=[person], missing=[f"{pers.name} 的工伤保险参保证明"]))
        ev.examined.append(f"{_pname(p)}：承包单位人员 {len(people)} 人，三级安全教育合格 {trained} 人；隐患记录 {len(mine)} 条")
    return ev


def c5(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    ev = Evaluation()
    projects = _started(scope, as_of)
    any_work = False
    numbers = {(r.obj.enterprise, r.obj.ticket_no) for r in snap.of("work_ticket")}
    for pr in projects:
        p = pr.obj
        start, end = project_window(p)
        tickets = _for_project(snap, "work_ticket", p)
        if p.dangerous_work or tickets:
            any_work = True
        kinds = {t.obj.ticket_type for t in tickets}
        for tt in p.dangerous_work:
            if tt in kinds or end > as_of:
                continue
            sev = "warning" if tt == "lifting" else "error"
            extra = "（吊物小于10 t 的可不办票，但须风险分析）" if tt == "lifting" else ""
            ev.findings.append(_finding(
                sev, f"{_pname(p)}登记涉及{TICKET_TYPE_NAMES[tt]}作业，项目已于 {_fmt(end)} 完工，档案中没有{TICKET_TYPE_NAMES[tt]}作业票{extra}",
                p=p, evidence=[pr], missing=[f"{TICKET_TYPE_NAMES[tt]}安全作业票"]))
        for t in tickets:
            o = t.obj
            if o.ticket_type not in p.dangerous_work:
                ev.findings.append(_finding("warning", f"{t.title} 的作业类别不在{_pname(p)}登记的危险作业中（项目登记未更新）", p=p, evidence=[t, pr]))
            if o.valid_to.date() < as_of and o.completion is None:
                ev.findings.append(_finding("warning", f"{t.title} 作业期满（{o.valid_to:%Y-%m-%d %H:%M}）未见完工验收签字", p=p, evidence=[t],
                                            missing=["完工验收签字"]))
            for other in o.linked_tickets:
                if (o.enterprise, other) not in numbers:
                    ev.findings.append(_finding("warning", f"{t.title} 关联的作业票 {other} 不在档案中", p=p, evidence=[t],
                                                missing=[f"作业票 {other}"]))
            if o.guardian is None or not o.guardian.name:
                ev.findings.append(_finding("error", f"{t.title} 未设监护人（危险作业须安排专门人员现场安全管理）", p=p, evidence=[t]))
        ev.examined.append(f"{_pname(p)}：登记危险作业 " + ("、".join(TICKET_TYPE_NAMES[x] for x in p.dangerous_work) or "无")
                           + f"；作业票 {len(tickets)} 张")
    ev.applicable = any_work
    return ev


# =============================================================================================
# 令第10号 第3条 management items (major hazards)
# =============================================================================================


def m31(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    """未对承包单位的安全生产工作统一协调、管理，或者未定期进行安全检查."""
    ev = Evaluation()
    s = _settings_of(snap)
    projects = _started(scope, as_of)
    ev.applicable = bool(projects)
    for pr in projects:
        p = pr.obj
        ags = _for_project(snap, "safety_agreement", p)
        duty = [c for c in _for_project(snap, "outsourcing_contract", p) if (c.obj.safety_duty_clause or "").strip()]
        found, gaps, start, end = inspection_gaps(snap, p, as_of, s.inspection_max_gap_days)
        if not ags and not duty:
            ev.findings.append(_finding(
                "major", f"{_pname(p)}没有安全生产管理协议或合同安全职责约定，未对承包单位的安全生产工作统一协调、管理",
                p=p, evidence=[pr], missing=["安全生产管理协议"], topic="agreement"))
        if not found and (end - start).days > s.inspection_max_gap_days:
            ev.findings.append(_finding(
                "major", f"{_pname(p)}作业 {(end - start).days} 天，发包单位未对承包单位{snap.org_name(p.contractor)}进行任何安全检查",
                p=p, evidence=[pr], missing=[f"对 {snap.org_name(p.contractor)} 的定期安全检查记录"], topic="inspection"))
        elif found and gaps:
            worst = max(gaps, key=lambda g: (g[1] - g[0]).days)
            ev.findings.append(_finding(
                "major", f"{_pname(p)}发包单位对承包单位的安全检查不定期：{_fmt(worst[0])}～{_fmt(worst[1])} 间隔 {(worst[1] - worst[0]).days} 天"
                         f"（超过 {s.inspection_max_gap_days} 天）",
                p=p, evidence=[pr, *found], missing=["定期安全检查记录"], topic="inspection"))
        ev.examined.append(f"{_pname(p)}：协调管理依据 {len(ags) + len(duty)} 份，检查 {len(found)} 次")
    return ev


def m32(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    """特种作业人员未按照规定经专门的安全作业培训并取得相应资格，上岗作业."""
    ev = Evaluation()
    tickets = [t for p in scope.projects for t in _for_project(snap, "work_ticket", p.obj) if t.obj.ticket_type in CERT_NEEDS]
    ev.applicable = bool(tickets)
    for t in tickets:
        o = t.obj
        d0, d1 = ticket_days(o)
        p = snap.project_rec(o.enterprise, o.project)
        n = 0
        for need in CERT_NEEDS[o.ticket_type]:
            for path, ref in ticket_people(o, need):
                n += 1
                person = snap.person_rec(ref, [o.contractor, o.enterprise])
                if person is None:
                    ev.findings.append(_finding(
                        "major", f"{t.title} 的{need.role}{ref.name}未登记，无法证明持有{need.label}（{need.kind}）",
                        p=p.obj if p else None, evidence=[t], missing=[f"{ref.name} 的人员登记及{need.kind}"]))
                    continue
                _, why = best_cert_problem(person.obj, need, d0, d1)
                if why:
                    ev.findings.append(_finding(
                        "major", f"{t.title}（{_fmt(d0)}）的{need.role}{ref.name}{why}，属特种作业人员未取得相应资格上岗作业",
                        p=p.obj if p else None, evidence=[t, person], missing=[f"{ref.name} 的有效{need.label}"]))
        ev.examined.append(f"{t.title}：核对持证岗位 {n} 人次")
    return ev


def m33(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    """金属冶炼企业主要负责人、安全生产管理人员未按照规定经考核合格."""
    ev = Evaluation()
    s = _settings_of(snap)
    units = [u for u in (*scope.enterprises, *scope.contractors) if (o := snap.org(u)) is not None and o.industry in s.metal_smelting_industries]
    ev.applicable = bool(units)
    for u in units:
        orec = snap.orgs[u]
        org = orec.obj
        for attr, label in (("principal_person", "主要负责人"), ("safety_manager", "安全生产管理人员")):
            name = getattr(org, attr)
            if not name:
                ev.findings.append(_finding("major", f"金属冶炼企业{org.name}未登记{label}", e=u if org.role == "enterprise" else None,
                                            c=u if org.role == "contractor" else None, evidence=[orec], missing=[f"{label}及其考核合格证"]))
                continue
            people = [r for r in snap.persons.values() if r.obj.employer == u and r.obj.name == name]
            certs = [c for r in people for c in r.obj.certificates if c.kind == "安全生产知识和管理能力考核合格证"]
            if not certs or all(cert_problem(c, as_of, as_of) for c in certs):
                why = "未登记考核合格证" if not certs else cert_problem(certs[0], as_of, as_of)
                ev.findings.append(_finding(
                    "major", f"金属冶炼企业{org.name}的{label}{name}{why}（应经考核合格）",
                    e=u if org.role == "enterprise" else None, c=u if org.role == "contractor" else None,
                    evidence=[orec, *people], missing=[f"{name} 的安全生产知识和管理能力考核合格证"]))
        ev.examined.append(f"{org.name}（{org.industry}）：主要负责人 {org.principal_person or '未登记'}，安全管理负责人 {org.safety_manager or '未登记'}")
    return ev


# --- confined spaces (令第10号 专项类 [M]) ------------------------------------------------------

_CONFINED = re.compile(r"有限空间|受限空间|检查井|窨井|储罐内|容器内")
_REGISTER = re.compile(r"台账|辨识|清单")
_SIGN = re.compile(r"警示标志|警示牌|安全标志")


def _enforcement_items(snap: Snapshot, as_of: date) -> list[tuple[Rec, str, bool, date | None, str | None]]:
    """(record, text, closed?, deadline, enterprise) of every finding in orders, inspections and hazards."""
    out = []
    closed_items = _closed_order_items(snap, as_of)
    for r in snap.of("rectification_order"):
        for i, item in enumerate(r.obj.items, 1):
            out.append((r, item.text, (r.obj.doc_no, i) in closed_items, item.deadline, r.obj.unit))
    for r in snap.of("hazard"):
        h = r.obj
        out.append((r, h.description, h.status == "已整改" and h.rectified_on is not None and h.rectified_on <= as_of, h.deadline, h.enterprise))
    ordered = {r.obj.inspection_ref for r in snap.of("rectification_order") if r.obj.inspection_ref}
    for r in snap.of("inspection_record"):
        if r.obj.doc_no in ordered:
            continue  # its findings are the items of the order that cites it
        for f in r.obj.findings:
            out.append((r, f.text, False, None, r.obj.unit))
    return out


def _closed_order_items(snap: Snapshot, as_of: date) -> set[tuple[str, int]]:
    """(order doc_no, item number) closed by the latest review on or before ``as_of``."""
    latest: dict[tuple[str, int], tuple[date, str]] = {}
    for r in snap.of("rectification_review"):
        if r.obj.reviewed_on > as_of:
            continue
        for it in r.obj.items:
            key = (r.obj.order_doc_no, it.item)
            if key not in latest or latest[key][0] <= r.obj.reviewed_on:
                latest[key] = (r.obj.reviewed_on, it.result)
    return {k for k, (_, res) in latest.items() if res == "已整改"}


def _mentions(text: str, token: str) -> bool:
    """``token`` stands in ``text`` as a whole (YX-1 is not in YX-12, 1号池 is not in 11号池)."""
    token = token.strip()
    return bool(token) and re.search(rf"(?<![0-9A-Za-z]){re.escape(token)}(?![0-9A-Za-z])", text) is not None


def _space_stem(ticket: Any) -> str:
    """The space a ticket names, without its parenthesised description."""
    return re.split(r"[（(]", ticket.space_name, maxsplit=1)[0].strip()


def _register_space(reg: Any, ticket: Any) -> Any:
    """The register's entry for the space a confined-space ticket names (by number or name), or None."""
    text = f"{ticket.space_name} {ticket.location}"
    stem = _space_stem(ticket)
    for sp in reg.spaces:
        if _mentions(text, sp.space_no) or _mentions(text, sp.name) or (stem and stem == sp.name.strip()):
            return sp
    return None


def cs1(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    """有限空间未辨识、未建立安全管理台账，并且未设置明显的安全警示标志.

    Orders, inspections and hazards that record missing registers or signs are reported while they
    stay open (major when they record both). Where the enterprise keeps its 有限空间管理台账 in the
    archive (``confined_space_register``, the latest as of the date), each confined-space ticket's
    space must be in it (else a warning; major when an open enforcement finding also records
    missing signs: then every condition of the item holds), listed before the work, and a space the
    register records without a sign is a warning. An archive without a register is judged on the
    enforcement records alone (the register may be kept on paper)."""
    ev = Evaluation()
    projects = [p for p in _started(scope, as_of) if "confined_space" in p.obj.dangerous_work]
    tickets = [t for p in scope.projects for t in _for_project(snap, "work_ticket", p.obj) if t.obj.ticket_type == "confined_space"]
    ev.applicable = bool(projects or tickets)
    if not ev.applicable:
        return ev
    # the spaces known by name in scope: a finding that names one is about a confined space too
    names = {_space_stem(t.obj) for t in tickets} | {
        sp.name.strip() for r in snap.of("confined_space_register") if scope.has_enterprise(r.obj.enterprise)
        for sp in r.obj.spaces}
    names = {n for n in names if len(n) >= 3}

    def confined(text: str) -> bool:
        return bool(_CONFINED.search(text)) or any(_mentions(text, n) for n in names)

    items = [x for x in _enforcement_items(snap, as_of) if scope.has_enterprise(x[4]) and confined(x[1])]
    open_no_sign: dict[str, list[Rec]] = defaultdict(list)
    for rec, text, closed, deadline, unit in items:
        no_register, no_sign = bool(_REGISTER.search(text)), bool(_SIGN.search(text))
        if not (no_register or no_sign):
            continue
        state = "已整改" if closed else "未整改"
        ev.examined.append(f"{rec.title}：“{text[:30]}…”（{state}）")
        if closed:
            continue
        if no_sign:
            open_no_sign[unit or ""].append(rec)
        both = no_register and no_sign
        ev.findings.append(_finding(
            "major" if both else "warning",
            f"{rec.title} 记载有限空间问题“{text}”，尚未整改" + ("（未建立台账且未设警示标志，属重大事故隐患）" if both else ""),
            e=unit, evidence=[rec], missing=["有限空间辨识清单和管理台账、入口安全警示标志的整改记录"], deadline=deadline))
    for e in sorted({p.obj.enterprise for p in projects} | {t.obj.enterprise for t in tickets}):
        ts = sorted((t for t in tickets if t.obj.enterprise == e), key=lambda t: t.obj.valid_from)
        ps = [p for p in projects if p.obj.enterprise == e]
        regs = sorted((r for r in snap.of("confined_space_register") if r.obj.enterprise == e), key=lambda r: r.obj.compiled_on)
        signs = open_no_sign.get(e, [])
        if not regs:
            # Not a finding by itself: the register may be kept on paper; what the archive holds
            # about it (orders, inspections, hazards) is judged above.
            ev.examined.append(f"{snap.org_name(e)}：档案中没有有限空间管理台账（confined_space_register），"
                               "辨识和台账情况依据执法、检查和隐患记录判定")
            continue
        reg = regs[-1]
        ev.examined.append(f"{reg.title}（{reg.obj.compiled_on.isoformat()}）：{len(reg.obj.spaces)} 处有限空间，"
                           f"{sum(1 for sp in reg.obj.spaces if sp.warning_sign)} 处入口设警示标志")
        for t in ts:
            o = t.obj
            p = snap.project_rec(o.enterprise, o.project)
            sp = _register_space(reg.obj, o)
            if sp is None:
                ev.findings.append(_finding(
                    "major" if signs else "warning",
                    f"{t.title} 的作业空间“{o.space_name}”未列入{reg.title}（未辨识）"
                    + ("，且执法/检查记录载明未设警示标志，属重大事故隐患" if signs else ""),
                    p=p.obj if p else None, evidence=[t, reg, *signs], missing=[f"台账中“{o.space_name}”的登记"]))
                continue
            # the earliest record of the space: its 辨识日期 (kept when a register is updated), or the
            # date of the first register (of those in force) that lists it
            listed = min((x.identified_on or r.obj.compiled_on) for r in regs
                         for x in [_register_space(r.obj, o)] if x is not None)
            if listed > o.valid_from.date():
                ev.findings.append(_finding(
                    "warning", f"{t.title} 作业时（{o.valid_from.date().isoformat()}）该有限空间尚未辨识列入台账"
                               f"（{reg.title} 记载 {listed.isoformat()} 才辨识登记）",
                    p=p.obj if p else None, evidence=[t, reg], missing=["作业前的有限空间辨识和台账登记"]))
        for sp in reg.obj.spaces:
            if not sp.warning_sign:
                ev.findings.append(_finding(
                    "warning", f"{reg.title} 记载 {sp.space_no}（{sp.name}）入口未设置明显的安全警示标志",
                    e=e, evidence=[reg], missing=[f"{sp.space_no} 入口安全警示标志"]))
    ev.examined.append(f"有限空间作业项目 {len(projects)} 项、作业票 {len(tickets)} 张")
    return ev


def cs2(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    """有限空间作业未审批，或者未执行“先通风、再检测、后作业”，或者作业现场未设置监护人员."""
    ev = Evaluation()
    tickets = [t for p in scope.projects for t in _for_project(snap, "work_ticket", p.obj) if t.obj.ticket_type == "confined_space"]
    ev.applicable = bool(tickets)
    for t in tickets:
        o = t.obj
        p = snap.project_rec(o.enterprise, o.project)
        pp = p.obj if p else None
        approvals = [a for a in o.approvals if a.box in ("所在单位", "审批部门", "安全管理部门") and a.signed_at <= o.valid_from]
        if not approvals:
            ev.findings.append(_finding("major", f"{t.title} 没有作业前的审批签字（有限空间作业未经审批）", p=pp, evidence=[t],
                                        missing=["有限空间作业审批签字"]))
        if not (o.ventilation or "").strip():
            ev.findings.append(_finding("major", f"{t.title} 未记载通风措施（未执行“先通风”）", p=pp, evidence=[t], missing=["通风措施记录"]))
        before = [g for g in o.gas_samples if g.taken_at <= o.valid_from]
        if not before or not any(g.kind == "氧气" for g in before):
            ev.findings.append(_finding(
                "major", f"{t.title} 作业前没有" + ("气体检测记录" if not before else "氧含量检测") + "（未执行“再检测、后作业”）",
                p=pp, evidence=[t], missing=["作业前气体检测（含氧含量）记录"]))
        workers = {w.name for w in o.workers}
        if o.guardian is None or not o.guardian.name or o.guardian.name in workers:
            ev.findings.append(_finding("major", f"{t.title} 作业现场未设置专职监护人员", p=pp, evidence=[t], missing=["监护人"]))
        ev.examined.append(f"{t.title}（{o.space_name}）：审批 {len(approvals)} 栏，作业前检测 {len(before)} 次，监护人 {o.guardian.name}")
    for p in scope.projects:
        for t in _for_project(snap, "work_ticket", p.obj):
            o = t.obj
            if o.ticket_type == "excavation" and o.depth_m > 1.2 and o.toxic_or_flammable_lines and not any(
                    x.upper().startswith("SX") or "受限" in x for x in o.linked_tickets):
                ev.findings.append(_finding(
                    "warning", f"{t.title} 深度 {o.depth_m:g} m 且有有毒有害/易燃介质管线，未关联受限空间作业票", p=p.obj, evidence=[t],
                    missing=["受限空间安全作业票"]))
                ev.applicable = True
    return ev


def _settings_of(snap: Snapshot) -> Any:
    return snap.settings


# =============================================================================================
# The rule table
# =============================================================================================

SEED_E = "整治方案 一（二）1 发包单位重点整治内容"
SEED_C = "整治方案 一（二）2 承包单位重点整治内容"
GROUP_E, GROUP_C = "发包单位五查", "承包单位五查"
GROUP_M, GROUP_CS = "重大事故隐患（令第10号第3条）", "重大事故隐患（令第10号有限空间专项）"

RULES: tuple[CheckRule, ...] = (
    CheckRule(
        "E1", "安全生产管理协议与各自安全职责", GROUP_E,
        "一查未与承包单位签订安全生产管理协议，未明确各自安全生产管理职责的",
        f"{SPL}第四十九条第二款", "SPL 103-2", "error",
        "与承包单位签订专门的安全生产管理协议（或在外包合同中约定各自的安全生产管理职责），协议期限覆盖全部作业日期", e1,
        "协议是否已盖章以档案记录的签订日期和签字人为准。"),
    CheckRule(
        "E2", "擅自压缩合同工期、违章指挥或强令冒险作业", GROUP_E,
        "二查擅自压缩外包工程合同约定工期，违章指挥或者强令承包单位及其从业人员冒险作业的",
        f"{SPL}第五十四条；《建设工程安全生产管理条例》第七条 [M]", "—（违章指挥、强令冒险作业构成犯罪的依刑法追究）", "error",
        "恢复合同约定工期或与承包单位签订双方签字的工期变更协议；作业安排不得超出约定工期和作业票有效期", e2,
        "只能发现书面痕迹：未经双方签字的压缩工期变更、实际完工明显早于约定（容差见 settings.schedule_compression_tolerance_pct）、工期外的作业票。"),
    CheckRule(
        "E3", "以包代管、包而不管", GROUP_E,
        "三查以包代管、包而不管，将安全责任推卸给外包施工单位的",
        f"{SPL}第四十九条第二款（统一协调、管理，定期进行安全检查）、第一百零三条第一款（连带赔偿责任）、第一百零六条", "SPL 103-2", "error",
        "将承包单位纳入本单位安全管理体系，按规定周期对承包单位进行安全检查并督促整改", e3,
        "检查周期见 settings.inspection_max_gap_days。"),
    CheckRule(
        "E4", "外包工程事故纳入发包单位统计", GROUP_E,
        "四查外包工程发生事故，事故数据未纳入发包单位统计范围的",
        "整治方案 发包单位五查之四；统计依据待核实（domain.md §10 问题7）", "—", "error",
        "将外包工程事故纳入本单位事故统计并如实上报", e4),
    CheckRule(
        "E5", "触发退出机制的承包单位解除合同并纳入黑名单", GROUP_E,
        "五查对季度安全生产考核不合格、重大隐患不整改、发生亡人事故的承包单位，未与其解除工程合同关系，未纳入“黑名单”管理的",
        f"整治方案 发包单位五查之五；{SPL}第四十九条第二款；应急管理部令第11号（严重失信主体名单）", "—", "error",
        "与该承包单位解除合同关系，并列入企业承包商黑名单（outsafe blacklist add）", e5,
        "另提示：已结束的季度未见季度安全生产考核记录（作业满30天的季度）。"),
    CheckRule(
        "C1", "安全生产许可证和相应资质", GROUP_C,
        "一查未依法取得安全生产许可证或相应资质承包工程的",
        f"{SPL}第四十九条第一款；《安全生产许可证条例》第二条、第十九条", "SPL 103-1", "error",
        "停止使用不具备相应资质的承包单位，或取得/延续相应资质后方可继续作业", c1,
        "资质范围与工程内容是否相符须人工核对。"),
    CheckRule(
        "C2", "项目部与“三项岗位”人员持证", GROUP_C,
        "二查承包单位未设置项目部，“三项岗位”人员未持证上岗的",
        f"{SPL}第二十四条、第二十七条第二款、第三十条", "SPL 97", "error",
        "设立项目部，配备项目负责人和专职安全生产管理人员；主要负责人、安全管理人员经考核合格，特种作业人员持有效证件上岗", c2),
    CheckRule(
        "C3", "危险性较大的设备设施检测检验、维护保养", GROUP_C,
        "三查危险性较大的设备设施未检测检验、维护保养的",
        f"{SPL}第三十六条；《特种设备安全法》第四十条", "SPL 99", "error",
        "停止使用超期未检验的特种设备，申请定期检验；建立并落实维护保养制度，记录并签字", c3,
        "维护保养间隔见 settings.maintenance_max_gap_days。"),
    CheckRule(
        "C4", "隐患排查治理、经常性检查与教育培训", GROUP_C,
        "四查未建立隐患排查治理制度、台账，未开展经常性安全检查督查，未报备重大隐患和未对本单位人员进行经常性安全教育培训的",
        f"{SPL}第二十八条、第四十一条第二款、第四十六条、第五十一条", "SPL 97 / SPL 101 / SPL 102", "error",
        "建立隐患排查治理台账并按期整改，重大事故隐患及时报告；对全部作业人员进行三级安全教育和年度再培训，劳务分包、临时用工人员同等参加工伤保险", c4),
    CheckRule(
        "C5", "危险作业“作业票”管理", GROUP_C,
        "五查进行爆破、吊装、动火、钻探、高空、进入受限空间等危险作业时，未落实“作业票”管理制度的",
        f"{SPL}第四十三条；GB 30871—2022（参照执行）；《民用爆炸物品安全管理条例》第三十五条", "SPL 101", "error",
        "危险作业前逐项办理作业票，落实安全措施和专人监护，作业结束完工验收", c5,
        "作业票本身的格式、时限、气体分析在入档时已按 GB 30871 校验；此处核对项目的危险作业是否都有票、有验收。"),
    CheckRule(
        "3-1", "未对承包单位统一协调管理或定期检查", GROUP_M,
        "要加强对外包单位安全监管……坚决禁止“以包代管”（整治方案 一（二）1）",
        f"{L10}第三条第（一）项；{SPL}第四十九条第二款", "SPL 103-2", "major",
        "立即与承包单位明确安全管理职责，建立定期安全检查制度并开展检查", m31),
    CheckRule(
        "3-2", "特种作业人员未持证上岗作业", GROUP_M,
        "“三项岗位”人员未持证上岗的（整治方案 承包单位五查之二）",
        f"{L10}第三条第（二）项；{SPL}第三十条", "SPL 97", "major",
        "立即停止无证人员作业，由持有有效证件的人员作业", m32,
        "按作业票核对：动火人（焊接与热切割）、临时用电负责人和作业人（电工）、吊装指挥（Q1）和司机（Q2）、爆破作业人员；证书须覆盖整个作业期间，未按期复审的视为失效。"),
    CheckRule(
        "3-3", "金属冶炼企业主要负责人、安全管理人员未考核合格", GROUP_M,
        "“三项岗位”人员未持证上岗的（整治方案 承包单位五查之二）",
        f"{L10}第三条第（三）项；{SPL}第二十七条第二款", "SPL 97", "major",
        "主要负责人和安全生产管理人员参加考核并取得考核合格证", m33,
        "金属冶炼行业见 settings.metal_smelting_industries。"),
    CheckRule(
        "CS-1", "有限空间未辨识、无台账且无警示标志", GROUP_CS,
        "进入受限空间等危险作业（整治方案 承包单位五查之五）",
        f"{L10}有限空间专项第（一）项 [M]；《工贸企业有限空间作业安全规定》（应急管理部令第13号）", "SPL 99", "major",
        "辨识有限空间并建立管理台账，在出入口设置明显的安全警示标志", cs1,
        "依据执法检查、指令书、隐患记录中的有关问题及其整改情况判定（同时记载未建台账和未设警示标志且未整改的，为重大事故隐患）；档案中有发包单位的有限空间管理台账（confined_space_register）时，另核对作业票的有限空间是否在作业前辨识列入台账、是否设警示标志——未列入台账且有未整改的“未设警示标志”记载的，为重大事故隐患。"),
    CheckRule(
        "CS-2", "有限空间作业未审批、未先通风再检测、无监护", GROUP_CS,
        "进入受限空间等危险作业时，未落实“作业票”管理制度的（整治方案 承包单位五查之五）",
        f"{L10}有限空间专项第（二）项 [M]；应急管理部令第13号；GB 30871—2022 第6章", "SPL 101", "major",
        "有限空间作业严格执行审批，先通风、再检测、后作业，作业全程设专人监护", cs2),
)
RULES_BY_ID = {r.id: r for r in RULES}


def rule_table() -> list[dict]:
    return [r.as_dict() for r in RULES]


# =============================================================================================
# Admission: cross-record rules when a case is added
# =============================================================================================


@dataclass(frozen=True)
class AdmissionProblem(Problem):
    """A :class:`Problem` from an admission rule: which rule, and whether ``--force --reason``
    may override it (only where the law leaves room)."""

    rule: str = ""
    overridable: bool = False

    def as_dict(self) -> dict:
        return {**super().as_dict(), "rule": self.rule, "overridable": self.overridable}


ADMISSION_RULES = {
    "blacklist": "黑名单承包单位不得新签合同、协议或办理作业票",
    "certificate": "作业票上需持证岗位的人员须持有覆盖作业期间的有效证件",
    "training": "承包单位作业人员须经三级安全教育合格后方可上岗",
    "agreement_term": "安全生产管理协议期限须覆盖项目工期",
    "blacklist_removal": "移出黑名单须对应已列入的记录",
}


def _adm(rule: str, path: str, message: str, source: str, *, overridable: bool, severity: str = "error") -> AdmissionProblem:
    return AdmissionProblem(path=path, message=f"{message} [准入规则 {rule}：{ADMISSION_RULES[rule]}]", source=source,
                            severity=severity, rule=rule, overridable=overridable)


def admission_problems(obj: Any, archive: Any, registry: Any, ctx: RuleContext, *, batch: Sequence[Any] = ()) -> list[AdmissionProblem]:
    """The cross-record rules for one object about to be added.

    ``archive`` gives the records already archived (its catalog), ``registry`` the organizations,
    persons and projects (with the batch's own registry entries staged), ``ctx.today`` the day of
    the add, ``batch`` the other objects being added in the same run (a training card and the
    ticket that needs it may come together). Overridable problems (``overridable=True``) may be
    accepted with ``--force --reason``; the others may not.

    Decisions (documented in the report of issue 7):
    - enterprise list → overridable (the enterprise's own management measure); statutory list
      (令第11号) → not overridable.
    - a missing or invalid certificate → not overridable (安全生产法 第30条 "方可上岗作业"; 特种
      设备安全法 第14条; 民爆条例 第33条); a certificate covers a ticket when it is valid on every
      day of the ticket's window ("有效期至" inclusive), its review (复审) not overdue.
    - no passing three-level training confirmed on or before the ticket's first day → not
      overridable (安全生产法 第28条 "未经…培训合格的从业人员，不得上岗作业"); training older than
      ``settings.training_valid_months`` → overridable (annual re-training hours are not fixed
      nationally).
    - an agreement whose term does not cover its project's period → overridable (several
      agreements, or the contract's duty clause, may together cover it; 安全生产法 第49条).
    """
    kind = meta_of(type(obj)).type
    out: list[AdmissionProblem] = []
    contractor = getattr(obj, "contractor", None)
    enterprise = getattr(obj, "enterprise", None)
    if kind in ("safety_agreement", "outsourcing_contract", "work_ticket") and contractor:
        on = _doc_day(obj)
        out += _blacklisted(contractor, enterprise, on, archive, batch, registry)
    if kind == "work_ticket":
        out += _ticket_people_problems(obj, archive, registry, ctx, batch)
    if kind == "safety_agreement":
        proj = registry.project(obj.enterprise, obj.project) if registry is not None else None
        proj = proj or next((b for b in batch if meta_of(type(b)).type == "project" and b.enterprise == obj.enterprise and b.code == obj.project), None)
        if proj is not None:
            start, end = proj.period.start, proj.period.end
            holes = uncovered([(obj.term.start, obj.term.end)], start, end)
            if holes:
                gaps = "、".join(f"{_fmt(a)}～{_fmt(b)}" for a, b in holes)
                out.append(_adm("agreement_term", "term",
                                f"协议期限 {_fmt(obj.term.start)}～{_fmt(obj.term.end)} 未覆盖项目 {proj.code} 的工期 {_fmt(start)}～{_fmt(end)}（未覆盖：{gaps}）",
                                f"{SPL}第四十九条第二款", overridable=True))
    if kind == "blacklist_removal":
        entries = [e for e in _blacklist_objects(archive, obj.subject, batch, "blacklist_entry")
                   if e.entry_no == obj.entry_no and e.listed_by == obj.listed_by]
        if not entries:
            out.append(_adm("blacklist_removal", "entry_no", f"档案中没有列入记录 {obj.entry_no}（{obj.subject_name}）",
                            "应急管理部令第11号", overridable=False))
        elif entries[0].start != obj.entry_start:
            out.append(_adm("blacklist_removal", "entry_start",
                            f"原管理期限起应为 {_fmt(entries[0].start)}（见列入记录 {obj.entry_no}）", "应急管理部令第11号", overridable=False))
    return out


def admission_for_batch(objs: Sequence[Any], archive: Any, registry: Any, ctx: RuleContext) -> list[list[AdmissionProblem]]:
    """:func:`admission_problems` for every object of a batch, each seeing the others (a training
    card or a listing added in the same run counts). One list per object, in order."""
    return [admission_problems(o, archive, registry, ctx, batch=[b for j, b in enumerate(objs) if j != i]) for i, o in enumerate(objs)]


def _doc_day(obj: Any) -> date:
    d = getattr(obj, "valid_from", None) or getattr(obj, "signed_on", None)
    return d.date() if isinstance(d, datetime) else d


def _blacklist_objects(archive: Any, subject: str | None, batch: Sequence[Any], kind: str) -> list[Any]:
    out = []
    if archive is not None and subject:
        for row in archive.catalog.list_records(types=[kind], contractor=subject, current_only=True):
            out.append(archive.load_record(row))
    out += [b for b in batch if meta_of(type(b)).type == kind and getattr(b, "subject", None) == subject]
    return out


def blacklist_state(entries: Sequence[Any], removals: Sequence[Any], on: date, enterprise: str | None) -> list[Any]:
    """The entries among ``entries`` in force on ``on`` for ``enterprise`` (statutory ones for everyone)."""
    active = []
    for e in entries:
        if e.list == "enterprise" and enterprise is not None and e.listed_by != enterprise:
            continue
        if not (e.start <= on <= e.end) or e.decided_on > on:
            continue
        if any(r.entry_no == e.entry_no and r.listed_by == e.listed_by and r.decided_on <= on for r in removals):
            continue
        active.append(e)
    return active


def _blacklisted(contractor: str, enterprise: str | None, on: date, archive: Any, batch: Sequence[Any], registry: Any) -> list[AdmissionProblem]:
    entries = _blacklist_objects(archive, contractor, batch, "blacklist_entry")
    removals = _blacklist_objects(archive, contractor, batch, "blacklist_removal")
    out = []
    for e in blacklist_state(entries, removals, on, enterprise):
        statutory = e.list == "statutory"
        out.append(_adm(
            "blacklist", "contractor",
            f"承包单位{e.subject_name}已列入{e.list_name}（{e.entry_no}，管理期限 {_fmt(e.start)}～{_fmt(e.end)}），{_fmt(on)} 不得签订合同、协议或办理作业票",
            "应急管理部令第11号; 安全生产法 第七十八条" if statutory else "整治方案 发包单位五查之五; 安全生产法 第四十九条第一款",
            overridable=not statutory))
    return out


def _ticket_people_problems(t: Any, archive: Any, registry: Any, ctx: RuleContext, batch: Sequence[Any]) -> list[AdmissionProblem]:
    out: list[AdmissionProblem] = []
    d0, d1 = ticket_days(t)
    seen_training: set[str] = set()
    cards = _training_objects(archive, t.contractor, batch)

    def find(ref: Any, employers: Sequence[str]) -> Any:
        if ref.id_number:
            p = registry.person(ref.id_number) if registry is not None else None
            return p or next((b for b in batch if meta_of(type(b)).type == "person" and b.id_number.upper() == ref.id_number.upper()), None)
        hits = []
        for emp in employers:
            hits += registry.persons_named(ref.name, emp) if registry is not None else []
        return hits[0] if len(hits) == 1 else None

    for need in CERT_NEEDS.get(t.ticket_type, ()):
        for path, ref in ticket_people(t, need):
            person = find(ref, [t.contractor, t.enterprise])
            if person is None:
                out.append(_adm("certificate", path, f"{need.role}{ref.name}未登记，无法核对其{need.label}（{need.kind}）；先运行 outsafe person add",
                                need.basis, overridable=False))
                continue
            cert, why = best_cert_problem(person, need, d0, d1)
            if why:
                out.append(_adm("certificate", path, f"{need.role}{ref.name}：{why}（作业 {_fmt(d0)}～{_fmt(d1)}）", need.basis, overridable=False))
            elif ref.certificate_no and cert is not None and ref.certificate_no != cert.number and not any(
                    c.number == ref.certificate_no for c in person.certificates):
                out.append(_adm("certificate", f"{path}.certificate_no",
                                f"{need.role}{ref.name}的证书编号 {ref.certificate_no} 与登记的证书不符", need.basis, overridable=False))
    s = ctx.settings
    for path, ref in _refs_of(t):
        person = find(ref, [t.contractor])
        if person is None or person.employer != t.contractor or person.id_number.upper() in seen_training:
            continue
        seen_training.add(person.id_number.upper())
        mine = [c for c in cards if c.trainee.id_number.upper() == person.id_number.upper() and c.enterprise == t.enterprise]
        ok = [c for c in mine if c.conclusion.passed and c.conclusion.may_take_post and c.conclusion.confirmed_on <= d0]
        if not ok:
            why = "没有三级安全教育登记卡" if not mine else f"三级安全教育登记卡 {mine[0].record_no} 确认于 {_fmt(mine[0].conclusion.confirmed_on)}，晚于作业或结论不合格"
            out.append(_adm("training", path, f"{ref.name}（{t.ticket_no}，{_fmt(d0)}）{why}", "安全生产法 第二十八条第一款", overridable=False))
            continue
        last = max(c.conclusion.confirmed_on for c in ok)
        if add_months(last, s.training_valid_months) < d0:
            out.append(_adm("training", path,
                            f"{ref.name}最近一次安全教育确认于 {_fmt(last)}，距作业已超过 {s.training_valid_months} 个月，应先进行再培训",
                            s.source("training_valid_months"), overridable=True))
    return out


def _training_objects(archive: Any, contractor: str, batch: Sequence[Any]) -> list[Any]:
    out = []
    if archive is not None:
        for row in archive.catalog.list_records(types=["training_record"], contractor=contractor, current_only=True):
            out.append(archive.load_record(row))
    out += [b for b in batch if meta_of(type(b)).type == "training_record" and b.contractor == contractor]
    return out


__all__ = [
    "Snapshot", "Rec", "RULES", "RULES_BY_ID", "CheckRule", "Finding", "RuleResult", "CheckReport", "run_checks",
    "rule_table", "admission_problems", "admission_for_batch", "AdmissionProblem", "ADMISSION_RULES", "CERT_NEEDS", "cert_problem",
    "project_window", "uncovered", "active_listings", "listing_state", "blacklist_state",
]
