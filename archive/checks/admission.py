"""The cross-record rules run when a case is added (``outsafe case add``): no agreement, contract
or ticket for a blacklisted contractor; no ticket naming a worker without the certificate the work
needs or without three-level training; no agreement whose term does not cover its project. Each
problem says whether ``--force --reason`` may override it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from archive.checks.facts import CERT_NEEDS, refs_of, best_cert_problem, ticket_days, ticket_people, uncovered
from archive.checks.model import SPL
from archive.clock import local_day
from archive.errors import Problem
from archive.registry import person_key
from archive.text import cn_date
from archive.training.exam import latest_results
from schemas import meta_of
from schemas.base import RuleContext
from schemas.blacklist import add_months
from schemas.training import LEVELS

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
    - the worker's last exam of a level (archive.training) handed in after his card was confirmed
      and on or before the ticket's first day failed or timed out → not overridable until he
      passes again (the card alone no longer shows him "培训合格")
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
                gaps = "、".join(f"{cn_date(a)}至{cn_date(b)}" for a, b in holes)
                out.append(_adm("agreement_term", "term",
                                f"协议期限{cn_date(obj.term.start)}至{cn_date(obj.term.end)}未覆盖项目 {proj.code} 的工期{cn_date(start)}至{cn_date(end)}（未覆盖：{gaps}）",
                                f"{SPL}第四十九条第二款", overridable=True))
    if kind == "blacklist_removal":
        entries = [e for e in _blacklist_objects(archive, obj.subject, batch, "blacklist_entry")
                   if e.entry_no == obj.entry_no and e.listed_by == obj.listed_by]
        if not entries:
            out.append(_adm("blacklist_removal", "entry_no", f"档案中没有列入记录 {obj.entry_no}（{obj.subject_name}）",
                            "应急管理部令第11号", overridable=False))
        elif entries[0].start != obj.entry_start:
            out.append(_adm("blacklist_removal", "entry_start",
                            f"原管理期限起应为{cn_date(entries[0].start)}（见列入记录 {obj.entry_no}）", "应急管理部令第11号", overridable=False))
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
    if archive is not None:
        # a unit's listings by its USCC; a person's (no subject) among the listings of no unit
        rows = archive.catalog.list_records(types=[kind], contractor=subject, current_only=True) if subject else [
            r for r in archive.catalog.list_records(types=[kind], current_only=True) if not r["contractor"]]
        for row in rows:
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
            f"承包单位{e.subject_name}已列入{e.list_name}（{e.entry_no}，管理期限{cn_date(e.start)}至{cn_date(e.end)}），{cn_date(on)}不得签订合同、协议或办理作业票",
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
                out.append(_adm("certificate", path, f"{need.role}{ref.name}：{why}（作业{cn_date(d0)}至{cn_date(d1)}）", need.basis, overridable=False))
            elif ref.certificate_no and cert is not None and ref.certificate_no != cert.number and not any(
                    c.number == ref.certificate_no for c in person.certificates):
                out.append(_adm("certificate", f"{path}.certificate_no",
                                f"{need.role}{ref.name}的证书编号 {ref.certificate_no} 与登记的证书不符", need.basis, overridable=False))
    s = ctx.settings
    for path, ref in refs_of(t):
        person = find(ref, [t.contractor])
        if person is None or person.employer != t.contractor or person.id_number.upper() in seen_training:
            continue
        seen_training.add(person.id_number.upper())
        mine = [c for c in cards if c.trainee.id_number.upper() == person.id_number.upper() and c.enterprise == t.enterprise]
        ok = [c for c in mine if c.conclusion.passed and c.conclusion.may_take_post and c.conclusion.confirmed_on <= d0]
        exams = _exam_results(archive, registry, person.id_number, d0)
        if not ok:
            why = "没有三级安全教育登记卡" if not mine else f"三级安全教育登记卡 {mine[0].record_no} 确认于{cn_date(mine[0].conclusion.confirmed_on)}，晚于作业或结论不合格"
            if not mine and len(exams) == len(LEVELS) and all(r["passed"] for r in exams.values()):
                why += "（三级教育考试已合格，尚未写入登记卡）"
            out.append(_adm("training", path, f"{ref.name}（{t.ticket_no}，{cn_date(d0)}）{why}", "安全生产法 第二十八条第一款", overridable=False))
            continue
        last = max(c.conclusion.confirmed_on for c in ok)
        failed = [(lv, r) for lv, r in exams.items() if not r["passed"] and (local_day(r["submitted_at"]) or d0) >= last]
        if failed:
            said = "；".join(f"{lv}考试{cn_date(local_day(r['submitted_at']))}{'超时' if r['status'] == 'timed_out' else ''}"
                            f"{r['score']:g}分，不合格" for lv, r in sorted(failed, key=lambda x: LEVELS.index(x[0])))
            out.append(_adm("training", path, f"{ref.name}在登记卡确认之后的最近一次考试不合格（{said}），补考合格前不得上岗",
                            "安全生产法 第二十八条第一款", overridable=False))
            continue
        if add_months(last, s.training_valid_months) < d0:
            out.append(_adm("training", path,
                            f"{ref.name}最近一次安全教育确认于{cn_date(last)}，距作业已超过 {s.training_valid_months} 个月，应先进行再培训",
                            s.source("training_valid_months"), overridable=True))
    return out


def _exam_results(archive: Any, registry: Any, id_number: str, day: date) -> dict[str, dict]:
    """The worker's last exam of each level handed in by ``day`` (archive.training), when the
    archive keeps exams: what the training rule is fed with besides the cards."""
    catalog = getattr(archive, "catalog", None)
    secret = getattr(registry, "secret", None)
    if catalog is None or secret is None or getattr(catalog, "exams", None) is None:
        return {}
    return latest_results(catalog, person_key(secret, id_number), day)


def _training_objects(archive: Any, contractor: str, batch: Sequence[Any]) -> list[Any]:
    out = []
    if archive is not None:
        for row in archive.catalog.list_records(types=["training_record"], contractor=contractor, current_only=True):
            out.append(archive.load_record(row))
    out += [b for b in batch if meta_of(type(b)).type == "training_record" and b.contractor == contractor]
    return out
