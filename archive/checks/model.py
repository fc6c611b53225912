"""The vocabulary of a check run: :class:`Finding`, :class:`Evaluation`, :class:`CheckRule`,
:class:`RuleResult`, :class:`CheckReport`, :class:`Scope`, severities and statuses, and the helpers
the rules share to word and place a finding.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from archive.checks.facts import project_window
from archive.checks.snapshot import Rec, Snapshot

SPL = "《安全生产法》"
SPL_FULL = "《中华人民共和国安全生产法》"  # as official documents cite it
L10 = "《工贸企业重大事故隐患判定标准》（应急管理部令第10号）"

SEVERITIES = ("major", "error", "warning")
SEVERITY_NAMES = {"major": "重大事故隐患", "error": "问题", "warning": "提示"}
STATUS_NAMES = {"pass": "通过", "warn": "提示", "fail": "不通过", "not_applicable": "不适用"}


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


def finding_from_dict(d: dict) -> Finding:
    return Finding(rule=d["rule"], severity=d["severity"], message=d["message"], enterprise=d["enterprise"],
                   contractor=d["contractor"], project=d["project"], evidence=list(d["evidence"]), missing=list(d["missing"]),
                   deadline=date.fromisoformat(d["deadline"]) if d["deadline"] else None, remedy=d["remedy"], topic=d["topic"])


@dataclass
class Evaluation:
    findings: list[Finding] = field(default_factory=list)
    examined: list[str] = field(default_factory=list)  # what was looked at, one line each
    applicable: bool = True
    # where each unit a rule iterates over begins: (key, findings so far, examined so far). Keys
    # order the units as the rule lists them (a project's place, a contractor's USCC …), so that a
    # view evaluating the archive part by part merges the parts in the rule's own order.
    marks: list[tuple[Any, int, int]] = field(default_factory=list)

    def at(self, *key: Any) -> None:
        """What follows is about the unit ``key``."""
        self.marks.append((key, len(self.findings), len(self.examined)))


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
    violated: str = ""  # the provisions of law violated, as an official document cites them ("" when none is confirmed)
    criterion: str = ""  # for a 重大事故隐患: the item of the 判定标准 it is judged by
    words: str = ""  # the 判定标准's own words for the item, when the plan's clause is not the item itself

    @property
    def label(self) -> str:
        """The item in the campaign plan's own words, for reports and documents (never the rule id):
        "一查未与承包单位签订安全生产管理协议，未明确各自安全生产管理职责", or for a 重大事故隐患
        its title and the 判定标准 item."""
        if self.seed_clause[:2] in ("一查", "二查", "三查", "四查", "五查"):
            return self.seed_clause.rstrip("的")
        text = self.words or self.title
        return f"{text}（{self.criterion.replace('（应急管理部令第10号）', '')}）" if self.criterion else text

    @property
    def short_label(self) -> str:
        """A short name in the plan's terms for tables: 发包单位“五查”之三, or the 判定标准 item."""
        n = self.seed_clause[:1]
        if self.seed_clause[1:2] == "查" and n in "一二三四五":
            return f"{self.group.replace('五查', '“五查”')}之{n}"
        item = self.criterion.replace("《工贸企业重大事故隐患判定标准》（应急管理部令第10号）", "")
        return f"重大事故隐患判定标准{item}" if self.criterion else self.title

    def as_dict(self) -> dict:
        return {
            "id": self.id, "title": self.title, "group": self.group, "seed_clause": self.seed_clause,
            "basis": self.basis, "penalty": self.penalty, "severity": self.severity, "remedy": self.remedy,
            "note": self.note, "violated": self.violated, "criterion": self.criterion, "label": self.label,
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


def report_dict(as_of: date, enterprise: str | None, contractor: str | None, rules: list[dict], lint: list[dict] | None = None,
                unlinted: int = 0) -> dict:
    """A check report as plain data (its ``--json`` document and its kept result), from its rules'
    results as :meth:`RuleResult.as_dict` writes them: the one shape, whoever builds it."""
    statuses = dict.fromkeys(STATUS_NAMES, 0)
    severities = dict.fromkeys(SEVERITIES, 0)
    for r in rules:
        statuses[r["status"]] += 1
        for f in r["findings"]:
            severities[f["severity"]] += 1
    return {"as_of": as_of.isoformat(), "scope": {"enterprise": enterprise, "contractor": contractor},
            "summary": {"rules": len(rules), **statuses, "findings": severities}, "rules": rules,
            "records_refused_by_current_rules": lint if lint is not None else [], "records_not_linted": unlinted}


SEVERITY_TAGS = {"major": "【重大隐患】", "error": "【问题】", "warning": "【提示】"}
STATUS_MARKS = {"pass": "✓", "warn": "!", "fail": "✗", "not_applicable": "–"}


@dataclass
class CheckReport:
    as_of: date
    enterprise: str | None
    contractor: str | None
    results: list[RuleResult]
    fail_on: str | None = None  # a run "fails" (exit 1) when a finding this severe or worse exists
    # records the run read that today's rules refuse (they are read as sealed): {"id", "title",
    # "type", "problems": [{"path", "message", "source"}]}; and how many it read that today's
    # rules have not judged yet (``outsafe verify --lint`` judges them)
    lint: list[dict] = field(default_factory=list)
    unlinted: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.fail_on and self.findings(self.fail_on) else 0

    def findings(self, min_severity: str = "warning") -> list[Finding]:
        rank = SEVERITIES.index(min_severity)
        return [f for r in self.results for f in r.findings if SEVERITIES.index(f.severity) <= rank]

    def summary(self) -> dict:
        statuses = {s: sum(1 for r in self.results if r.status == s) for s in STATUS_NAMES}
        sev = {s: sum(1 for r in self.results for f in r.findings if f.severity == s) for s in SEVERITIES}
        return {"rules": len(self.results), **statuses, "findings": sev}

    def as_dict(self) -> dict:
        return report_dict(self.as_of, self.enterprise, self.contractor, [r.as_dict() for r in self.results], self.lint, self.unlinted)

    @classmethod
    def from_dict(cls, d: dict, rules: dict[str, "CheckRule"]) -> "CheckReport":
        """A report from :meth:`as_dict` (a kept result), its rules taken from ``rules`` by id."""
        results = [RuleResult(rules[r["id"]], r["status"], [finding_from_dict(f) for f in r["findings"]], list(r["examined"]))
                   for r in d["rules"]]
        return cls(date.fromisoformat(d["as_of"]), d["scope"]["enterprise"], d["scope"]["contractor"], results,
                   lint=list(d.get("records_refused_by_current_rules") or ()), unlinted=int(d.get("records_not_linted") or 0))

    def as_text(self) -> list[str]:
        out = [f"五查检查（截至 {self.as_of}）" + (f"  发包单位 {self.enterprise}" if self.enterprise else "")
               + (f"  承包单位 {self.contractor}" if self.contractor else "")]
        for r in self.results:
            out.append(f"{STATUS_MARKS[r.status]} {r.rule.id:<5} {r.rule.title} [{STATUS_NAMES[r.status]}]")
            for f in r.findings:
                out.append(f"    {SEVERITY_TAGS[f.severity]}{f.message}")
                out += [f"        证据: {e['title']}  ({e['id']})" for e in f.evidence]
                out += [f"        缺少: {m}" for m in f.missing]
                out.append(f"        依据: {r.rule.basis}")
        for r in self.lint:
            for p in r["problems"]:
                where = p["path"] or "（整条记录）"
                if r.get("judged", True):
                    out.append(f"{SEVERITY_TAGS['warning']}{r['title']}（{r['id']}）"
                               + ("（已有更正记录）" if r.get("corrected") else "") + "不符合现行校验规则，按封存原样读取："
                               f"{where}：{p['message']}" + (f" [{p['source']}]" if p.get("source") else "")
                               + " (a sealed record today's rules refuse; read as sealed)")
                else:
                    out.append(f"{SEVERITY_TAGS['warning']}{r['title']}（{r['id']}）封存数据的格式与现行记录类型不符，未纳入检查，请人工核对："
                               f"{where}：{p['message']}" + (f" [{p['source']}]" if p.get("source") else "")
                               + " (sealed in a shape today's rules cannot judge: left out of the check; look at it by hand)")
        if self.unlinted:
            out.append(f"{SEVERITY_TAGS['warning']}{self.unlinted} 条记录尚未按现行校验规则检查，请运行 outsafe views prepare "
                       f"或 outsafe verify --lint ({self.unlinted} records not yet linted against today's rules; outsafe serve "
                       f"judges them by itself unless views_prepare_seconds is 0)")
        s = self.summary()
        out.append(f"共 {s['rules']} 项：通过 {s['pass']}，提示 {s['warn']}，不通过 {s['fail']}，不适用 {s['not_applicable']}；"
                   f"重大事故隐患 {s['findings']['major']} 条，问题 {s['findings']['error']} 条，提示 {s['findings']['warning']} 条")
        return out


@dataclass
class Scope:
    """What a run looks at: the projects, enterprises and contractors in scope.

    A view that evaluates a large scope part by part (archive.checks.stream) gives each part the
    projects, enterprises and contractors to go through in that part, and beside them the whole
    scope's members (``members``: who is in scope at all) and ``context``: what a rule needs of the
    whole scope (by rule id)."""

    projects: list[Rec]
    enterprises: list[str]
    contractors: list[str]
    context: dict[str, Any] = field(default_factory=dict)
    members: tuple[Container[str], Container[str]] | None = None  # (enterprises, contractors) of the whole scope

    def has_contractor(self, c: str | None) -> bool:
        return c in (self.members[1] if self.members is not None else self.contractors)

    def has_enterprise(self, e: str | None) -> bool:
        return e in (self.members[0] if self.members is not None else self.enterprises)

    def pair(self, e: str | None, c: str | None) -> bool:
        return (e is None or self.has_enterprise(e)) and (c is None or self.has_contractor(c))


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
        registered = set(snap.org_keys_with_role("contractor", None if own_list else enterprise))
        contractors = sorted({r.obj.contractor for r in projects} | registered)
    return Scope(projects, enterprises, contractors, members=(frozenset(enterprises), frozenset(contractors)))  # asked thousands of times


# --- helpers the rules share ----------------------------------------------------------------


def started_projects(scope: Scope, as_of: date) -> list[Rec]:
    return [p for p in scope.projects if p.obj.period.start <= as_of]


def project_name(p: Any) -> str:
    return f"项目 {p.code}（{p.name}）"


def _inspections(snap: Snapshot, p: Any) -> list[Rec]:
    return sorted(
        (r for r in snap.group("contractor_inspection", "pair").get((p.enterprise, p.contractor), ()) if r.obj.project in (None, p.code)),
        key=lambda r: r.obj.inspected_on,
    )


def make_finding(sev: str, msg: str, *, p: Any = None, e: str | None = None, c: str | None = None,
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


def settings_of(snap: Snapshot) -> Any:
    return snap.settings
