"""承包单位五查 C1–C5 (整治方案 一(二)2): licences and qualifications, the project department and
"三项岗位" certificates, dangerous equipment, the hazard register and routine training, work
tickets for dangerous work.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from archive.checks.facts import (CERT_NEEDS, SPECIAL_OPERATION, active_listings, best_cert_problem, cert_problem, contractor_people,
                                  project_window, ticket_days, ticket_people, training_card)
from archive.checks.model import Evaluation, Scope, make_finding, project_name, settings_of, started_projects
from archive.checks.snapshot import Rec, Snapshot, for_project
from archive.text import cn_date
from schemas.blacklist import add_months
from schemas.common import TICKET_TYPE_NAMES

# =============================================================================================
# 承包单位五查
# =============================================================================================

_CORE_QUALIFICATIONS = ("安全生产许可证", "建筑业企业资质证书", "爆破作业单位许可证", "特种设备生产许可证")


def c1(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    ev = Evaluation()
    ev.applicable = bool(scope.contractors)
    snap.about_to_ask(organizations=scope.contractors, listed=scope.contractors)
    snap.about_to_ask(organizations=[r.origin for r in map(snap.org_rec, scope.contractors) if r is not None])  # their lists' owners
    started: dict[str, list[Rec]] = {}
    for p in started_projects(scope, as_of):  # (by contractor once: a scan of every project per contractor was quadratic)
        started.setdefault(p.obj.contractor, []).append(p)
    for c in scope.contractors:
        ev.at(c)
        orec = snap.org_rec(c)
        if orec is None:
            continue
        org = orec.obj
        projects = started.get(c, [])
        active = [p for p in projects if project_window(p.obj)[1] >= as_of]
        quals = [q for q in org.qualifications if q.kind in _CORE_QUALIFICATIONS]
        if not org.qualifications:
            ev.findings.append(make_finding(
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
                    after = [t for t in for_project(snap, "work_ticket", p) if q.valid_to and t.obj.valid_to.date() > q.valid_to]
                    ev.findings.append(make_finding(
                        "error", f"{org.name}的{q.kind}（{q.number}，有效期{cn_date(q.valid_from)}至{cn_date(q.valid_to) if q.valid_to else '长期'}）"
                                 f"未覆盖{project_name(p)}作业期间{cn_date(start)}至{cn_date(end)}",
                        p=p, evidence=[orec, pr, *after], missing=[f"{q.kind}的延续/换证记录"]))
            if "blasting" in p.dangerous_work and not any(q.kind == "爆破作业单位许可证" for q in org.qualifications):
                ev.findings.append(make_finding(
                    "error", f"{project_name(p)}涉及爆破作业，承包单位{org.name}未登记爆破作业单位许可证", p=p, evidence=[orec, pr],
                    missing=[f"{org.name} 的爆破作业单位许可证"]))
            for t in for_project(snap, "work_ticket", p, "blasting"):
                if t.obj.unit_licence_valid_to < t.obj.valid_to.date():
                    ev.findings.append(make_finding(
                        "error", f"{t.title} 所载爆破作业单位许可证有效期至{cn_date(t.obj.unit_licence_valid_to)}，早于作业日期",
                        p=p, evidence=[t, orec]))
            ev.examined.append(f"{org.name} / {project_name(p)}：" + "、".join(
                f"{q.kind}至{cn_date(q.valid_to) if q.valid_to else '长期'}" for q in quals) if quals else f"{org.name}：无核心资质")
        listed = active_listings(snap, c, as_of, _list_owner(snap, orec))
        if not active and listed:
            ev.examined.append(f"{org.name}：已列入{listed[0].obj.list_name}（{listed[0].obj.entry_no}），不予准入")
        elif not active:
            for q in quals:
                if q.valid_to is not None and q.valid_to < as_of:
                    ev.findings.append(make_finding(
                        "warning", f"承包单位{org.name}的{q.kind}（{q.number}）已于{cn_date(q.valid_to)}到期，未见延续，不得准入新的外包项目",
                        c=c, e=_list_owner(snap, orec), evidence=[orec],
                        missing=[f"{q.kind}的延续/换证记录"], deadline=q.valid_to))
            if not projects:
                ev.examined.append(f"{org.name}（无在建项目）：" + "、".join(
                    f"{q.kind}至{cn_date(q.valid_to) if q.valid_to else '长期'}" for q in org.qualifications))
        else:
            for q in quals:
                if q.kind == "安全生产许可证" and q.valid_to is not None and as_of <= q.valid_to < add_months(as_of, 3):
                    ev.findings.append(make_finding(
                        "warning", f"承包单位{org.name}的安全生产许可证将于{cn_date(q.valid_to)}到期，应于期满前3个月申请延期",
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
    s = settings_of(snap)
    projects = started_projects(scope, as_of)
    ev.applicable = bool(projects)
    for pr in projects:
        ev.at(snap.position(pr))
        p = pr.obj
        start, end = project_window(p)
        end = min(end, as_of)
        org = snap.org(p.contractor)
        if not p.has_project_department:
            ev.findings.append(make_finding("error", f"承包单位{snap.org_name(p.contractor)}未为{project_name(p)}设置项目部", p=p, evidence=[pr],
                                        missing=["项目部设立文件（项目负责人、专职安全管理人员任命）"]))
        for attr, label in (("manager", "项目负责人"), ("safety_officer", "专职安全生产管理人员")):
            ref = getattr(p, attr)
            if ref is None:
                ev.findings.append(make_finding("error", f"{project_name(p)}未明确{label}", p=p, evidence=[pr], missing=[f"{label}的任命及证书"]))
                continue
            person = snap.person_rec(ref, [p.contractor])
            if person is None:
                ev.findings.append(make_finding("error", f"{project_name(p)}的{label}{ref.name}未登记（无法核对证书）", p=p, evidence=[pr],
                                            missing=[f"{ref.name} 的人员登记及证书"]))
                continue
            if _needs_assessment_cert(org, s):
                certs = [c for c in person.obj.certificates if c.kind == "安全生产知识和管理能力考核合格证"]
                probs = [cert_problem(c, start, end) for c in certs]
                if not certs or all(probs):
                    why = "未登记" if not certs else probs[0]
                    ev.findings.append(make_finding(
                        "error", f"{project_name(p)}的{label}{ref.name}的安全生产知识和管理能力考核合格证{why}",
                        p=p, evidence=[pr, person], missing=[f"{ref.name} 的有效考核合格证"]))
        roster = [r for r in (p.manager, p.safety_officer, *p.workers) if r is not None]
        checked = 0
        for ref in roster:
            person = snap.person_rec(ref, [p.contractor])
            if person is None:
                if ref.id_number:
                    ev.findings.append(make_finding("error", f"{project_name(p)}作业人员名册中的{ref.name}未登记", p=p, evidence=[pr],
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
                    ev.findings.append(make_finding(
                        "error", f"{project_name(p)}的{role}{ref.name}{why}（三项岗位人员须持证上岗）",
                        p=p, evidence=[pr, person], missing=[f"{ref.name} 的有效{kind}"]))
        ev.examined.append(f"{project_name(p)}：项目部{'已' if p.has_project_department else '未'}设立，名册 {len(roster)} 人，持证岗位 {checked} 个")
    return ev


def c3(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    ev = Evaluation()
    s = settings_of(snap)
    codes = {(p.obj.enterprise, p.obj.code) for p in scope.projects}
    items = [
        r for r in snap.of("equipment")
        if r.obj.status == "在用" and r.obj.entered_on <= as_of and (
            (r.obj.enterprise, r.obj.project) in codes or scope.has_contractor(r.obj.owner)
            or (r.obj.project is None and scope.has_enterprise(r.obj.owner) and scope.has_enterprise(r.obj.enterprise)))
    ]
    lifting = [p for p in started_projects(scope, as_of) if "lifting" in p.obj.dangerous_work]
    ev.applicable = bool(items or lifting)
    snap.about_to_ask(projects=[(r.obj.enterprise, r.obj.project) for r in items])
    for r in items:
        ev.at(0, snap.position(r))
        e = r.obj
        prec = snap.project_rec(e.enterprise, e.project) if e.project else None
        p = prec.obj if prec else None
        # contractor equipment brought for a project is judged up to the project's end
        day = min(as_of, project_window(p)[1]) if p is not None and e.owner == p.contractor else as_of
        who = dict(e=e.enterprise, c=p.contractor if p else (e.owner if scope.has_contractor(e.owner) else None))
        if e.special_equipment:
            if not e.registration_no:
                ev.findings.append(make_finding("error", f"{r.title}（{e.name}）为特种设备，未办理使用登记", p=p, **who, evidence=[r],
                                            missing=["特种设备使用登记证"]))
            if e.next_inspection is None:
                ev.findings.append(make_finding("error", f"{r.title}（{e.name}）为特种设备，未记录定期检验", p=p, **who, evidence=[r],
                                            missing=["特种设备定期检验报告"]))
            elif e.next_inspection < as_of:
                ev.findings.append(make_finding(
                    "error", f"{r.title}（{e.name}）定期检验已于{cn_date(e.next_inspection)}到期，仍在使用（未经定期检验的特种设备不得继续使用）",
                    p=p, **who, evidence=[r], missing=["新的定期检验报告"], deadline=e.next_inspection))
            elif (e.next_inspection - as_of).days <= s.special_equipment_notice_days:
                ev.findings.append(make_finding(
                    "warning", f"{r.title}（{e.name}）定期检验将于{cn_date(e.next_inspection)}到期，应在届满前1个月向检验机构提出定期检验要求",
                    p=p, **who, evidence=[r], deadline=e.next_inspection))
        done = [m.date for m in e.maintenance if m.date <= day]
        if not done:
            ev.findings.append(make_finding("warning", f"{r.title}（{e.name}）没有维护保养记录", p=p, **who, evidence=[r],
                                        missing=["维护保养记录（经有关人员签字）"]))
        else:
            gap = (day - max(done)).days
            marks = sorted(done) + [day]
            worst = max((b - a).days for a, b in zip(marks, marks[1:]))
            if worst > s.maintenance_max_gap_days:
                ev.findings.append(make_finding(
                    "warning", f"{r.title}（{e.name}）维护保养间隔最长 {worst} 天，超过 {s.maintenance_max_gap_days} 天（最近一次{cn_date(max(done))}，距今 {gap} 天）",
                    p=p, **who, evidence=[r]))
        ev.examined.append(f"{r.title}（{e.name}，{'特种设备' if e.special_equipment else '一般设备'}）"
                           + (f"：下次检验{cn_date(e.next_inspection)}" if e.next_inspection else ""))
    used = {(r.obj.enterprise, r.obj.project) for r in items}
    for pr in lifting:
        ev.at(1, snap.position(pr))
        p = pr.obj
        if (p.enterprise, p.code) not in used:
            ev.findings.append(make_finding("warning", f"{project_name(p)}涉及吊装作业，档案中没有该项目使用的起重设备记录", p=p, evidence=[pr],
                                        missing=["起重设备设施台账（检验、维护保养记录）"]))
    return ev


def c4(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    ev = Evaluation()
    s = settings_of(snap)
    projects = started_projects(scope, as_of)
    ev.applicable = bool(projects)
    hazards = [r for r in snap.of("hazard") if scope.pair(r.obj.enterprise, r.obj.contractor) and r.obj.contractor]
    for r in hazards:
        ev.at(0, snap.position(r))
        h = r.obj
        p = snap.project_rec(h.enterprise, h.project)
        done = h.status == "已整改" and h.rectified_on is not None and h.rectified_on <= as_of
        if h.grade == "重大" and not h.reported_to_authority:
            ev.findings.append(make_finding(
                "error", f"{r.title}为重大事故隐患，未向负有安全生产监督管理职责的部门报告", p=p.obj if p else None,
                e=h.enterprise, c=h.contractor, evidence=[r], missing=["重大事故隐患报告记录"]))
        if not done and h.deadline is not None and h.deadline < as_of:
            ev.findings.append(make_finding(
                "error", f"{r.title}（{h.grade}隐患：{h.description[:40]}）整改期限{cn_date(h.deadline)}已过，仍为“{h.status}”",
                p=p.obj if p else None, e=h.enterprise, c=h.contractor, evidence=[r], missing=["隐患整改完成及验收记录"], deadline=h.deadline))
    hazards_of: dict[tuple, list[Rec]] = {}
    for r in hazards:
        hazards_of.setdefault((r.obj.enterprise, r.obj.contractor), []).append(r)
    for pr in projects:
        ev.at(1, snap.position(pr))
        p = pr.obj
        start, end = project_window(p)
        mine = hazards_of.get((p.enterprise, p.contractor), [])
        if not mine and (min(end, as_of) - start).days > s.inspection_max_gap_days:
            ev.findings.append(make_finding(
                "warning", f"{project_name(p)}作业 {(min(end, as_of) - start).days} 天，档案中没有承包单位{snap.org_name(p.contractor)}的隐患排查治理记录",
                p=p, evidence=[pr], missing=["隐患排查治理台账"]))
        people = contractor_people(snap, p, as_of)
        trained = 0
        for key, (person, day) in sorted(people.items(), key=lambda kv: kv[1][0].obj.name):
            card, cards = training_card(snap, key, p.enterprise, p.contractor, day)
            if card is None:
                why = "没有三级安全教育记录" if not cards else f"三级安全教育记录（{cards[0].title}）在上岗（{cn_date(day)}）之后才确认或不合格"
                ev.findings.append(make_finding(
                    "error", f"{project_name(p)}的作业人员{person.obj.name}{why}（未经安全生产教育和培训合格不得上岗）",
                    p=p, evidence=[pr, person, *cards], missing=[f"{person.obj.name} 的三级安全教育登记卡"]))
                continue
            trained += 1
            age = add_months(card.obj.conclusion.confirmed_on, s.training_valid_months)
            if age < min(end, as_of):
                ev.findings.append(make_finding(
                    "warning", f"{person.obj.name}的安全教育（{card.title}，{cn_date(card.obj.conclusion.confirmed_on)}）已超过 {s.training_valid_months} 个月，应进行再培训",
                    p=p, evidence=[card, person], missing=[f"{person.obj.name} 的年度再培训记录"]))
            pers = person.obj
            if pers.work_injury_insurance is not True:
                kind = pers.labour_type if pers.labour_type != "正式员工" else "从业人员"
                ev.findings.append(make_finding(
                    "warning", f"{kind}{pers.name}未登记参加工伤保险（劳务分包、临时用工人员应与正式员工同等对待）",
                    p=p, evidence=[person], missing=[f"{pers.name} 的工伤保险参保证明"]))
        ev.examined.append(f"{project_name(p)}：承包单位人员 {len(people)} 人，三级安全教育合格 {trained} 人；隐患记录 {len(mine)} 条")
    return ev


def _licensed_operators(snap: Snapshot, t: Rec, p: Any, ev: Evaluation) -> None:
    """The positions of a ticket that need a licence other than a 特种作业操作证 (those are 3-2's):
    the crane commander's and driver's 特种设备作业人员证 (特种设备安全法 第14条), the blaster's
    爆破作业人员许可证 (民用爆炸物品安全管理条例 第33条) — each person registered, holding a matching
    one valid through the ticket's days."""
    o = t.obj
    d0, d1 = ticket_days(o)
    for need in CERT_NEEDS.get(o.ticket_type, ()):
        if need.kind == SPECIAL_OPERATION:
            continue
        for _, ref in ticket_people(o, need):
            person = snap.person_rec(ref, [o.contractor, o.enterprise])
            if person is None:
                ev.findings.append(make_finding(
                    "error", f"{t.title} 的{need.role}{ref.name}未登记，无法证明持有{need.label}（{need.kind}，{need.basis}）",
                    p=p, evidence=[t], missing=[f"{ref.name} 的人员登记及{need.kind}"]))
                continue
            _, why = best_cert_problem(person.obj, need, d0, d1)
            if why:
                ev.findings.append(make_finding(
                    "error", f"{t.title}（{cn_date(d0)}）的{need.role}{ref.name}{why}（须持有效{need.kind}上岗，{need.basis}）",
                    p=p, evidence=[t, person], missing=[f"{ref.name} 的有效{need.label}"]))


def c5(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    ev = Evaluation()
    s = settings_of(snap)
    projects = started_projects(scope, as_of)
    any_work = False
    numbers = {(r.obj.enterprise, r.obj.ticket_no) for r in snap.of("work_ticket")}
    for pr in projects:
        ev.at(snap.position(pr))
        p = pr.obj
        start, end = project_window(p)
        tickets = for_project(snap, "work_ticket", p)
        if p.dangerous_work or tickets:
            any_work = True
        kinds = {t.obj.ticket_type for t in tickets}
        for tt in p.dangerous_work:
            if tt in kinds or end > as_of:
                continue
            sev = "warning" if tt == "lifting" else "error"
            extra = f"（吊物小于{s.lifting_ticket_min_tons:g} t 的可不办票，但须风险分析）" if tt == "lifting" else ""
            ev.findings.append(make_finding(
                sev, f"{project_name(p)}登记涉及{TICKET_TYPE_NAMES[tt]}作业，项目已于{cn_date(end)}完工，档案中没有{TICKET_TYPE_NAMES[tt]}作业票{extra}",
                p=p, evidence=[pr], missing=[f"{TICKET_TYPE_NAMES[tt]}安全作业票"]))
        for t in tickets:
            o = t.obj
            if o.ticket_type not in p.dangerous_work:
                ev.findings.append(make_finding("warning", f"{t.title} 的作业类别不在{project_name(p)}登记的危险作业中（项目登记未更新）", p=p, evidence=[t, pr]))
            if o.valid_to.date() < as_of and o.completion is None:
                ev.findings.append(make_finding("warning", f"{t.title} 作业期满（{cn_date(o.valid_to.date())}{o.valid_to.hour}时{o.valid_to.minute:02d}分）未见完工验收签字", p=p, evidence=[t],
                                            missing=["完工验收签字"]))
            for other in o.linked_tickets:
                if (o.enterprise, other) not in numbers:
                    ev.findings.append(make_finding("warning", f"{t.title} 关联的作业票 {other} 不在档案中", p=p, evidence=[t],
                                                missing=[f"作业票 {other}"]))
            if o.guardian is None or not o.guardian.name:
                ev.findings.append(make_finding("error", f"{t.title} 未设监护人（危险作业须安排专门人员现场安全管理）", p=p, evidence=[t]))
            _licensed_operators(snap, t, p, ev)
        ev.examined.append(f"{project_name(p)}：登记危险作业 " + ("、".join(TICKET_TYPE_NAMES[x] for x in p.dangerous_work) or "无")
                           + f"；作业票 {len(tickets)} 张")
    ev.applicable = any_work
    return ev
