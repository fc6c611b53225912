"""The items of 工贸企业重大事故隐患判定标准 (应急管理部令第10号) the archive can judge: 3-1 contractor
coordination and inspection, 3-2 uncertified special operators, 3-3 assessment in metal smelting,
and the confined-space items CS-1 (register and signs) and CS-2 (approval, 先通风再检测后作业,
guardian).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from archive.checks.facts import CERT_NEEDS, SPECIAL_OPERATION, best_cert_problem, cert_problem, ticket_days, ticket_people
from archive.checks.model import Evaluation, Scope, make_finding, project_name, settings_of, started_projects, inspection_gaps
from archive.checks.snapshot import Rec, Snapshot, for_project
from archive.facts.derive import space_stem
from archive.text import cn_date

# =============================================================================================
# 令第10号 第3条 management items (major hazards)
# =============================================================================================


def m31(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    """未对承包单位的安全生产工作统一协调、管理，或者未定期进行安全检查."""
    ev = Evaluation()
    s = settings_of(snap)
    projects = started_projects(scope, as_of)
    ev.applicable = bool(projects)
    for pr in projects:
        ev.at(snap.position(pr))
        p = pr.obj
        ags = for_project(snap, "safety_agreement", p)
        duty = [c for c in for_project(snap, "outsourcing_contract", p) if (c.obj.safety_duty_clause or "").strip()]
        found, gaps, start, end = inspection_gaps(snap, p, as_of, s.inspection_max_gap_days)
        if not ags and not duty:
            ev.findings.append(make_finding(
                "major", f"{project_name(p)}没有安全生产管理协议或合同安全职责约定，未对承包单位的安全生产工作统一协调、管理",
                p=p, evidence=[pr], missing=["安全生产管理协议"], topic="agreement"))
        if not found and (end - start).days > s.inspection_max_gap_days:
            ev.findings.append(make_finding(
                "major", f"{project_name(p)}作业 {(end - start).days} 天，发包单位未对承包单位{snap.org_name(p.contractor)}进行任何安全检查",
                p=p, evidence=[pr], missing=[f"对 {snap.org_name(p.contractor)} 的定期安全检查记录"], topic="inspection"))
        elif found and gaps:
            worst = max(gaps, key=lambda g: (g[1] - g[0]).days)
            ev.findings.append(make_finding(
                "major", f"{project_name(p)}发包单位对承包单位的安全检查不定期：{cn_date(worst[0])}至{cn_date(worst[1])}间隔 {(worst[1] - worst[0]).days} 天"
                         f"（超过 {s.inspection_max_gap_days} 天）",
                p=p, evidence=[pr, *found], missing=["定期安全检查记录"], topic="inspection"))
        ev.examined.append(f"{project_name(p)}：协调管理依据 {len(ags) + len(duty)} 份，检查 {len(found)} 次")
    return ev


def m32(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    """特种作业人员未按照规定经专门的安全作业培训并取得相应资格，上岗作业 — the 特种作业人员 of SPL
    第30条 (动火人, 电工); a crane operator's 特种设备作业人员证 and a blaster's licence are judged by
    C5 (:func:`archive.checks.contractor.c5`), not as this 重大事故隐患."""
    ev = Evaluation()
    needs = {k: [n for n in v if n.kind == SPECIAL_OPERATION] for k, v in CERT_NEEDS.items()}
    tickets = [(p, t) for p in scope.projects for t in for_project(snap, "work_ticket", p.obj) if needs.get(t.obj.ticket_type)]
    ev.applicable = bool(tickets)
    for pr, t in tickets:
        ev.at(snap.position(pr))
        o = t.obj
        d0, d1 = ticket_days(o)
        p = snap.project_rec(o.enterprise, o.project)
        n = 0
        for need in needs[o.ticket_type]:
            for path, ref in ticket_people(o, need):
                n += 1
                person = snap.person_rec(ref, [o.contractor, o.enterprise])
                if person is None:
                    ev.findings.append(make_finding(
                        "major", f"{t.title} 的{need.role}{ref.name}未登记，无法证明持有{need.label}（{need.kind}）",
                        p=p.obj if p else None, evidence=[t], missing=[f"{ref.name} 的人员登记及{need.kind}"]))
                    continue
                _, why = best_cert_problem(person.obj, need, d0, d1)
                if why:
                    ev.findings.append(make_finding(
                        "major", f"{t.title}（{cn_date(d0)}）的{need.role}{ref.name}{why}，属特种作业人员未取得相应资格上岗作业",
                        p=p.obj if p else None, evidence=[t, person], missing=[f"{ref.name} 的有效{need.label}"]))
        ev.examined.append(f"{t.title}：核对持证岗位 {n} 人次")
    return ev


def m33(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    """金属冶炼企业主要负责人、安全生产管理人员未按照规定经考核合格."""
    ev = Evaluation()
    s = settings_of(snap)
    units = [u for u in (*scope.enterprises, *scope.contractors) if (o := snap.org(u)) is not None and o.industry in s.metal_smelting_industries]
    firsts = sum(1 for u in scope.enterprises if (o := snap.org(u)) is not None and o.industry in s.metal_smelting_industries)
    ev.applicable = bool(units)
    for i, u in enumerate(units):
        ev.at(0 if i < firsts else 1, u)
        orec = snap.org_rec(u)
        org = orec.obj
        for attr, label in (("principal_person", "主要负责人"), ("safety_manager", "安全生产管理人员")):
            name = getattr(org, attr)
            if not name:
                ev.findings.append(make_finding("major", f"金属冶炼企业{org.name}未登记{label}", e=u if org.role == "enterprise" else None,
                                            c=u if org.role == "contractor" else None, evidence=[orec], missing=[f"{label}及其考核合格证"]))
                continue
            people = snap.persons_named(name, [u])
            certs = [c for r in people for c in r.obj.certificates if c.kind == "安全生产知识和管理能力考核合格证"]
            if not certs or all(cert_problem(c, as_of, as_of) for c in certs):
                why = "未登记考核合格证" if not certs else cert_problem(certs[0], as_of, as_of)
                ev.findings.append(make_finding(
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
    ordered = snap.cited_inspections()
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


def about_confined_space(names: Iterable[str]) -> Callable[[str], bool]:
    """Whether an enforcement finding's text is about a confined space: it says so, or names one of
    the spaces known by name in scope (``names``, each as :func:`_mentions` finds it) — one
    expression for every name, tried once per text."""
    tokens = sorted({n.strip() for n in names} - {""}, key=lambda n: (-len(n), n))
    named = re.compile(rf"(?<![0-9A-Za-z])(?:{'|'.join(map(re.escape, tokens))})(?![0-9A-Za-z])") if tokens else None
    return lambda text: _CONFINED.search(text) is not None or (named is not None and named.search(text) is not None)


def _space_stem(ticket: Any) -> str:
    """The space a ticket names, without its parenthesised description (as its facts keep it)."""
    return space_stem(ticket.space_name)


def _register_space(reg: Any, ticket: Any) -> Any:
    """The register's entry for the space a confined-space ticket names (by number or name), or None."""
    text = f"{ticket.space_name} {ticket.location}"
    stem = _space_stem(ticket)
    for sp in reg.spaces:
        if _mentions(text, sp.space_no) or _mentions(text, sp.name) or (stem and stem == sp.name.strip()):
            return sp
    return None


def _register_contradiction(snap: Snapshot, unit: str | None, text: str, as_of: date) -> tuple[str, Rec | None]:
    """("；台账 … 却记载 … 设有警示标志…", register) when the enterprise's latest register as of the day
    records a warning sign at a space that an open finding says has none (issue 13: a 台账 that
    contradicts an enforcement finding); ("", None) otherwise."""
    regs = sorted((r for r in snap.of("confined_space_register") if r.obj.enterprise == unit and r.obj.compiled_on <= as_of),
                  key=lambda r: r.obj.compiled_on)
    if not regs:
        return "", None
    reg = regs[-1]
    named = [sp for sp in reg.obj.spaces if sp.warning_sign and (_mentions(text, sp.space_no) or _mentions(text, sp.name))]
    if not named:
        return "", None
    spaces = "、".join(f"{sp.space_no}（{sp.name}）" for sp in named)
    return f"；{reg.title} 却记载 {spaces}入口设有警示标志，台账与执法记录相矛盾，应如实更正", reg


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
    projects = [p for p in started_projects(scope, as_of) if "confined_space" in p.obj.dangerous_work]
    tickets = [t for p in scope.projects for t in for_project(snap, "work_ticket", p.obj, "confined_space")]
    # what the rule needs of the whole scope, when the scope is evaluated part by part (Scope.context)
    whole: ConfinedScope | None = scope.context.get("CS-1")
    ev.applicable = bool(projects or tickets) if whole is None else whole.applicable
    if not ev.applicable:
        return ev
    # the spaces known by name in scope: a finding that names one is about a confined space too
    if whole is None:
        names = {_space_stem(t.obj) for t in tickets} | {
            sp.name.strip() for r in snap.of("confined_space_register") if scope.has_enterprise(r.obj.enterprise)
            for sp in r.obj.spaces}
        names = {n for n in names if len(n) >= 3}
    else:
        names = set(whole.names)

    confined = about_confined_space(names)
    items = [x for x in _enforcement_items(snap, as_of) if scope.has_enterprise(x[4]) and confined(x[1])]
    open_no_sign: dict[str, list[Rec]] = defaultdict(list)
    for rec, text, closed, deadline, unit in items:
        ev.at(0, _ITEM_ORDER[rec.type], snap.position(rec))
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
        # a register (in force on the day) that records a sign this open finding says is missing
        contra, reg = _register_contradiction(snap, unit, text, as_of) if no_sign else ("", None)
        ev.findings.append(make_finding(
            "major" if both else "warning",
            f"{rec.title} 记载有限空间问题“{text}”，尚未整改" + ("（未建立台账且未设警示标志，属重大事故隐患）" if both else "") + contra,
            e=unit, evidence=[rec] + ([reg] if reg else []),
            missing=["有限空间辨识清单和管理台账、入口安全警示标志的整改记录"] + (["台账中警示标志记载的更正"] if reg else []),
            deadline=deadline))
    for e in sorted({p.obj.enterprise for p in projects} | {t.obj.enterprise for t in tickets}):
        ev.at(1, e)
        ts = sorted((t for t in tickets if t.obj.enterprise == e), key=lambda t: t.obj.valid_from)
        regs = sorted((r for r in snap.of("confined_space_register") if r.obj.enterprise == e), key=lambda r: r.obj.compiled_on)
        signs = open_no_sign.get(e, [])
        if not regs:
            # Not a finding by itself: the register may be kept on paper; what the archive holds
            # about it (orders, inspections, hazards) is judged above.
            ev.examined.append(f"{snap.org_name(e)}：档案中没有有限空间管理台账（confined_space_register），"
                               "辨识和台账情况依据执法、检查和隐患记录判定")
            continue
        reg = regs[-1]
        ev.examined.append(f"{reg.title}（{cn_date(reg.obj.compiled_on)}）：{len(reg.obj.spaces)} 处有限空间，"
                           f"{sum(1 for sp in reg.obj.spaces if sp.warning_sign)} 处入口设警示标志")
        for t in ts:
            o = t.obj
            p = snap.project_rec(o.enterprise, o.project)
            sp = _register_space(reg.obj, o)
            if sp is None:
                ev.findings.append(make_finding(
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
                ev.findings.append(make_finding(
                    "warning", f"{t.title} 作业时（{cn_date(o.valid_from.date())}）该有限空间尚未辨识列入台账"
                               f"（{reg.title} 记载{cn_date(listed)}才辨识登记）",
                    p=p.obj if p else None, evidence=[t, reg], missing=["作业前的有限空间辨识和台账登记"]))
        for sp in reg.obj.spaces:
            if not sp.warning_sign:
                ev.findings.append(make_finding(
                    "warning", f"{reg.title} 记载 {sp.space_no}（{sp.name}）入口未设置明显的安全警示标志",
                    e=e, evidence=[reg], missing=[f"{sp.space_no} 入口安全警示标志"]))

    ev.at(2)
    if whole is None:
        ev.examined.append(f"有限空间作业项目 {len(projects)} 项、作业票 {len(tickets)} 张")
    elif whole.totals:
        ev.examined.append(f"有限空间作业项目 {whole.projects} 项、作业票 {whole.tickets} 张")
    return ev


@dataclass(frozen=True)
class ConfinedScope:
    """What CS-1 needs of the whole scope when the scope is evaluated part by part: whether it
    applies at all, the confined spaces known by name, the totals it ends with (said by one part)."""

    applicable: bool
    names: frozenset[str]
    projects: int
    tickets: int
    totals: bool = False


_ITEM_ORDER = {"rectification_order": 0, "hazard": 1, "inspection_record": 2}


def cs2(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    """有限空间作业未审批，或者未执行“先通风、再检测、后作业”，或者作业现场未设置监护人员."""
    ev = Evaluation()
    tickets = [(p, t) for p in scope.projects for t in for_project(snap, "work_ticket", p.obj, "confined_space")]
    ev.applicable = bool(tickets)
    for pr, t in tickets:
        ev.at(0, snap.position(pr))
        o = t.obj
        p = snap.project_rec(o.enterprise, o.project)
        pp = p.obj if p else None
        approvals = [a for a in o.approvals if a.box in ("所在单位", "审批部门", "安全管理部门") and a.signed_at <= o.valid_from]
        if not approvals:
            ev.findings.append(make_finding("major", f"{t.title} 没有作业前的审批签字（有限空间作业未经审批）", p=pp, evidence=[t],
                                        missing=["有限空间作业审批签字"]))
        if not (o.ventilation or "").strip():
            ev.findings.append(make_finding("major", f"{t.title} 未记载通风措施（未执行“先通风”）", p=pp, evidence=[t], missing=["通风措施记录"]))
        before = [g for g in o.gas_samples if g.taken_at <= o.valid_from]
        if not before or not any(g.kind == "氧气" for g in before):
            ev.findings.append(make_finding(
                "major", f"{t.title} 作业前没有" + ("气体检测记录" if not before else "氧含量检测") + "（未执行“再检测、后作业”）",
                p=pp, evidence=[t], missing=["作业前气体检测（含氧含量）记录"]))
        workers = {w.name for w in o.workers}
        if o.guardian is None or not o.guardian.name or o.guardian.name in workers:
            ev.findings.append(make_finding("major", f"{t.title} 作业现场未设置专职监护人员", p=pp, evidence=[t], missing=["监护人"]))
        ev.examined.append(f"{t.title}（{o.space_name}）：审批 {len(approvals)} 栏，作业前检测 {len(before)} 次，监护人 {o.guardian.name}")
    for p in scope.projects:
        ev.at(1, snap.position(p))
        for t in for_project(snap, "work_ticket", p.obj, "excavation"):
            o = t.obj
            if o.ticket_type == "excavation" and o.depth_m > 1.2 and o.toxic_or_flammable_lines and not any(
                    x.upper().startswith("SX") or "受限" in x for x in o.linked_tickets):
                ev.findings.append(make_finding(
                    "warning", f"{t.title} 深度 {o.depth_m:g} m 且有有毒有害/易燃介质管线，未关联受限空间作业票", p=p.obj, evidence=[t],
                    missing=["受限空间安全作业票"]))
                ev.applicable = True
    return ev
