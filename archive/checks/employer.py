"""发包单位五查 E1–E5 (整治方案 一(二)1): the safety management agreement, compressed periods and
tickets outside their window, 以包代管, accidents in the employer's statistics, and contractors
that should have been terminated and blacklisted.
"""

from __future__ import annotations

from datetime import date, timedelta

from archive.checks.facts import listings_of, listing_state, project_window, ticket_days, uncovered
from archive.checks.model import Evaluation, Scope, make_finding, project_name, settings_of, started_projects, inspection_gaps
from archive.checks.snapshot import Rec, Snapshot, for_project
from archive.text import cn_date
from schemas.contract import liability_shifting_phrases

# =============================================================================================
# 发包单位五查
# =============================================================================================


def e1(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    ev = Evaluation()
    projects = started_projects(scope, as_of)
    ev.applicable = bool(projects)
    for pr in projects:
        ev.at(snap.position(pr))
        p = pr.obj
        start, end = project_window(p)
        ags = for_project(snap, "safety_agreement", p)
        cts = for_project(snap, "outsourcing_contract", p)
        duty = [c for c in cts if (c.obj.safety_duty_clause or "").strip()]
        if not ags and not duty:
            ev.findings.append(make_finding(
                "error", f"{project_name(p)}未与承包单位{snap.org_name(p.contractor)}签订安全生产管理协议，外包合同中也未约定各自的安全生产管理职责",
                p=p, evidence=[pr, *cts], missing=[f"{p.code} 的安全生产管理协议（或外包合同中的安全生产管理职责条款）"], topic="agreement"))
            continue
        covering = ags or duty
        periods = [(a.obj.term.start, a.obj.term.end) for a in ags] or [(c.obj.period.start, c.obj.period.end) for c in duty]
        what = "安全生产管理协议" if ags else "约定安全职责的外包合同"
        holes = uncovered(periods, start, end)
        for a, b in holes:
            ev.findings.append(make_finding(
                "error", f"{project_name(p)}工期{cn_date(start)}至{cn_date(end)}中{cn_date(a)}至{cn_date(b)}不在{what}期限内",
                p=p, evidence=[pr, *covering], missing=[f"覆盖{cn_date(a)}至{cn_date(b)}的安全生产管理协议"]))
        for t in for_project(snap, "work_ticket", p):
            d0, d1 = ticket_days(t.obj)
            if uncovered(periods, d0, d1) and not holes:
                ev.findings.append(make_finding(
                    "error", f"{t.title}（{cn_date(d0)}至{cn_date(d1)}）不在{what}期限内", p=p, evidence=[t, *covering],
                    missing=["覆盖作业日期的安全生产管理协议"]))
        for a in ags:
            if a.obj.contractor != p.contractor:
                ev.findings.append(make_finding("error", f"{a.title} 的乙方与{project_name(p)}的承包单位不一致", p=p, evidence=[a, pr]))
            if a.obj.signed_on > start:
                ev.findings.append(make_finding("warning", f"{a.title} 签订于{cn_date(a.obj.signed_on)}，晚于开工日期{cn_date(start)}",
                                            p=p, evidence=[a, pr]))
        ev.examined.append(f"{project_name(p)}：" + "、".join(r.title for r in covering))
    return ev


def e2(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    ev = Evaluation()
    s_tol = settings_of(snap).schedule_compression_tolerance_pct
    projects = started_projects(scope, as_of)
    any_data = False
    for pr in projects:
        ev.at(snap.position(pr))
        p = pr.obj
        cts = for_project(snap, "outsourcing_contract", p)
        for c in cts:
            any_data = True
            co = c.obj
            signed_changes = [x for x in co.change_orders if x.signed_by_both and x.new_end is not None and x.date <= as_of]
            for x in co.change_orders:
                if x.date > as_of:
                    continue
                if x.new_end is not None and x.new_end < co.period.end and not x.signed_by_both:
                    ev.findings.append(make_finding(
                        "error", f"{c.title} 的变更 {x.number} 将完工日期由{cn_date(co.period.end)}压缩至{cn_date(x.new_end)}，未经双方签字确认",
                        p=p, evidence=[c], missing=[f"变更 {x.number} 的双方签字确认"]))
            actual = p.actual_end
            if actual is not None and actual <= as_of and actual < co.period.end:
                agreed = (co.period.end - co.period.start).days + 1
                early = (co.period.end - actual).days
                allowed = [x for x in signed_changes if x.new_end <= actual]
                if early * 100 > s_tol * agreed and not allowed:
                    ev.findings.append(make_finding(
                        "warning", f"{project_name(p)}实际完工{cn_date(actual)}，比{c.title}约定的{cn_date(co.period.end)}提前 {early} 天"
                                   f"（约定工期 {agreed} 天），没有双方签字的工期变更，请核实是否擅自压缩工期",
                        p=p, evidence=[c, pr], missing=["双方签字的工期变更协议"]))
            ev.examined.append(f"{project_name(p)}：{c.title} 约定工期{cn_date(co.period.start)}至{cn_date(co.period.end)}，变更 {len(co.change_orders)} 项")
        start, end = project_window(p)
        for t in for_project(snap, "work_ticket", p):
            any_data = True
            d0, d1 = ticket_days(t.obj)
            if d0 < p.period.start or d1 > max(end, p.period.end):
                ev.findings.append(make_finding(
                    "warning", f"{t.title}（{cn_date(d0)}至{cn_date(d1)}）在{project_name(p)}约定工期{cn_date(p.period.start)}至{cn_date(p.period.end)}之外",
                    p=p, evidence=[t, pr]))
    ev.applicable = any_data
    return ev


def e3(snap: Snapshot, as_of: date, scope: Scope) -> Evaluation:
    ev = Evaluation()
    s = settings_of(snap)
    projects = started_projects(scope, as_of)
    ev.applicable = bool(projects)
    for pr in projects:
        ev.at(snap.position(pr))
        p = pr.obj
        found, gaps, start, end = inspection_gaps(snap, p, as_of, s.inspection_max_gap_days)
        if not found and (end - start).days > s.inspection_max_gap_days:
            ev.findings.append(make_finding(
                "error", f"{project_name(p)}作业期间{cn_date(start)}至{cn_date(end)}没有发包单位对承包单位{snap.org_name(p.contractor)}的安全检查记录（以包代管）",
                p=p, evidence=[pr], missing=[f"发包单位对 {snap.org_name(p.contractor)} 的安全检查记录（至少每 {s.inspection_max_gap_days} 日一次）"],
                topic="inspection"))
        elif found:
            for a, b in gaps:
                ev.findings.append(make_finding(
                    "error", f"{project_name(p)}{cn_date(a)}至{cn_date(b)}间隔 {(b - a).days} 天没有对承包单位的安全检查，超过 {s.inspection_max_gap_days} 天",
                    p=p, evidence=[pr, *found], missing=[f"{cn_date(a)}至{cn_date(b)}期间的安全检查记录"], topic="inspection"))
        for r in for_project(snap, "outsourcing_contract", p):
            for phrase in liability_shifting_phrases(r.obj.safety_duty_clause or ""):
                ev.findings.append(make_finding("warning", f"{r.title} 含推卸安全责任的表述“{phrase}”（发包单位的法定责任不因约定而免除）",
                                            p=p, evidence=[r], remedy=_SHIFT_REMEDY))
        for r in for_project(snap, "safety_agreement", p):
            for duty in (*r.obj.enterprise_duties, *r.obj.contractor_duties):
                for phrase in liability_shifting_phrases(duty):
                    ev.findings.append(make_finding("warning", f"{r.title} 含推卸安全责任的表述“{phrase}”（发包单位的法定责任不因约定而免除）",
                                                p=p, evidence=[r], remedy=_SHIFT_REMEDY))
        ev.examined.append(f"{project_name(p)}：发包单位检查 {len(found)} 次（{'、'.join(cn_date(r.obj.inspected_on) for r in found) or '无'}）")
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
        ev.at(snap.position(r))
        a = r.obj
        p = (snap.project_rec(a.enterprise, a.project) or None)
        if not a.counted_in_employer_stats:
            ev.findings.append(make_finding(
                "error", f"{r.title}（{cn_date(a.occurred_at.date())}，{a.grade}事故，死亡 {a.deaths} 人）发生在外包项目上，未纳入发包单位事故统计",
                p=p.obj if p else None, e=a.enterprise, c=a.contractor, evidence=[r], missing=["发包单位事故统计台账中的该起事故"]))
        ev.examined.append(f"{r.title}：{'已' if a.counted_in_employer_stats else '未'}纳入发包单位事故统计")
    return ev


def e5_triggers(snap: Snapshot, e: str, c: str, as_of: date) -> list[tuple[date, str, Rec]]:
    """(day, what, record) of each event that obliges ``e`` to end its contract with ``c`` and list it."""
    out = []
    for r in snap.group("quarterly_assessment", "pair").get((e, c), ()):
        a = r.obj
        if a.result == "不合格":
            out.append((a.assessed_on, f"{a.year}年第{a.quarter}季度安全生产考核不合格", r))
    for r in snap.group("hazard", "pair").get((e, c), ()):
        h = r.obj
        if h.grade == "重大":
            done = h.status == "已整改" and h.rectified_on is not None and h.rectified_on <= as_of
            if not done and (h.deadline is None or h.deadline < as_of):
                when = h.deadline + timedelta(days=1) if h.deadline else h.found_on
                out.append((when, f"重大事故隐患 {h.hazard_no} " + (f"逾期（期限{cn_date(h.deadline)}）未整改" if h.deadline else "无整改期限、未整改"), r))
    for r in snap.group("accident", "enterprise").get(e, ()):
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
    s = settings_of(snap)
    seen = {(p.obj.enterprise, p.obj.contractor) for p in scope.projects}
    for r in snap.of("quarterly_assessment", "hazard", "accident"):
        e, c = r.obj.enterprise, getattr(r.obj, "contractor", None)
        if c and scope.pair(e, c):
            seen.add((e, c))
    pairs = sorted(seen)
    any_trigger = False
    for e, c in pairs:
        ev.at(0, e, c)
        triggers = e5_triggers(snap, e, c, as_of)
        if not triggers:
            continue
        any_trigger = True
        contracts = list(snap.group("outsourcing_contract", "pair").get((e, c), ()))
        live = [r for r in contracts if r.obj.status == "履行中"]
        live_projects = [r for r in scope.projects if r.obj.enterprise == e and r.obj.contractor == c and r.obj.status in ("筹备", "施工中")]
        for day, what, rec in triggers:
            listed = [r for r in listings_of(snap, c, as_of, e) if r.obj.decided_on >= day or listing_state(snap, r, as_of)[0] == "active"]
            problems, missing = [], []
            if live or (not contracts and live_projects):
                problems.append("未解除工程合同关系")
                missing.append(f"与 {snap.org_name(c)} 解除合同的书面记录（合同状态“已解除”）")
            if not listed:
                problems.append("未纳入“黑名单”管理")
                missing.append(f"将 {snap.org_name(c)} 列入企业承包商黑名单的决定（outsafe blacklist add）")
            if problems:
                ev.findings.append(make_finding(
                    "error", f"承包单位{snap.org_name(c)}{what}（{cn_date(day)}），" + "、".join(problems),
                    e=e, c=c, evidence=[rec, *live, *live_projects], missing=missing))
            ev.examined.append(f"{snap.org_name(c)}：{what}；" + (f"已列入 {listed[0].title}" if listed else "未列入黑名单"))
    # the quarterly assessments the 退出机制 rests on (整治方案: 建立…安全评价与退出机制) [P]
    for pr in started_projects(scope, as_of):
        ev.at(1, snap.position(pr))
        p = pr.obj
        start, end = project_window(p)
        for y, q, q0, q1 in _quarters(start, min(end, as_of)):
            if q1 >= as_of:
                continue  # the quarter is not over
            overlap = (min(q1, end) - max(q0, start)).days + 1
            done = [r for r in snap.group("quarterly_assessment", "pair").get((p.enterprise, p.contractor), ())
                    if r.obj.year == y and r.obj.quarter == q]
            if overlap >= s.quarterly_assessment_min_days and not done:
                ev.findings.append(make_finding(
                    "warning", f"{project_name(p)}在{y}年第{q}季度作业 {overlap} 天，未见对承包单位{snap.org_name(p.contractor)}的季度安全生产考核记录",
                    p=p, evidence=[pr], missing=[f"{y}年第{q}季度承包单位安全生产考核记录"]))
            for r in done:
                ev.examined.append(f"{r.title}：{r.obj.result}")
    ev.applicable = any_trigger or bool(ev.findings) or bool(started_projects(scope, as_of))
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
