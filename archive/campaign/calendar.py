"""The campaign's calendar (整治方案 二、整治步骤 and 三(一)) and who has handed in what.

    status = campaign_status(archive, as_of=date(2026, 6, 11))
    status["stage"]                  # the stage on that day
    status["deliverables"]           # per enterprise: 附件2, 自查报告, 总结报告 — submitted / produced / missing, overdue?

The dates are the plan's own ([C], seed text) in the year ``settings.campaign_year``:
动员部署 until 3-31, 自查自改 4-01…6-10 (自查报告 due 6-10), 督查检查 6-11…9-10,
总结通报 9-11…11-10 (工作总结报告 due 10-20), 附件2 外包作业情况表 due 4-30.
"…前报送" is read as *on or before* that day: a report handed in on 6-10 is in time; on 6-11 the
self-check report is overdue.

"Handed in" means: in an enterprise's archive, the report was archived as a record
(``outsafe report … --add`` or ``case add``) — *produced* — and a submission package was exported
after it — *submitted* (the package export date counts); in the bureau's archive, the report
record arrived in an imported package from that enterprise — *submitted* (the import date, or the
report's own date if the package log has none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from archive.campaign.rectify import rectification_status, rectification_view
from archive.checks.snapshot import Snapshot
from archive.checks.world import Clause, World
from archive.facts import cache

CST = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    start: tuple[int, int] | None  # (month, day); None = 即日起 (from the plan's issue)
    end: tuple[int, int]
    work: str


STAGES = (
    Stage("mobilize", "动员部署阶段", None, (3, 31), "各工贸企业结合本单位外包队伍特点，研究制定具体措施，落实工作责任"),
    Stage("self_check", "自查自改阶段", (4, 1), (6, 10), "各工贸企业对照整治内容开展自查自改，限期完成整改；自查报告6月10日前报区应急管理局"),
    Stage("inspection", "督查检查阶段", (6, 11), (9, 10), "区应急管理局对企业自查自改情况全面检查，督促未整治到位的企业限期完成整治"),
    Stage("summary", "总结通报阶段", (9, 11), (11, 10), "各工贸企业总结经验做法、主要问题和改进措施，工作总结报告10月20日前报送；区应急管理局通报"),
)


@dataclass(frozen=True)
class Deliverable:
    key: str  # report kind
    name: str
    record_type: str
    due: tuple[int, int] | None
    who: str  # "enterprise" | "bureau"
    clause: str


DELIVERABLES = (
    Deliverable("attachment2", "附件2 外包作业情况表", "campaign_table", (4, 30), "enterprise", "三（一）于4月30日前将本单位外包作业情况报区应急管理局（见附件2）"),
    Deliverable("self_check", "整治自查报告", "campaign_report", (6, 10), "enterprise", "二（二）各企业整治自查报告于6月10日前报区应急管理局"),
    Deliverable("summary", "工作总结报告", "campaign_report", (10, 20), "enterprise", "二（四）形成工作总结报告，于10月20日前报送区应急管理局"),
    Deliverable("ledger", "外包作业队伍监管台账", "campaign_table", None, "bureau", "一（二）3 建立外包作业队伍监管台账"),
)
DELIVERABLES_BY_KEY = {d.key: d for d in DELIVERABLES}


def due_date(key: str, year: int) -> date | None:
    d = DELIVERABLES_BY_KEY[key].due
    return date(year, *d) if d else None


def stage_dates(stage: Stage, year: int) -> tuple[date | None, date]:
    return (date(year, *stage.start) if stage.start else None), date(year, *stage.end)


def stage_on(day: date, year: int) -> Stage | None:
    for st in STAGES:
        a, b = stage_dates(st, year)
        if (a is None or a <= day) and day <= b and day.year == year:
            return st
    return None


def _local_day(ts: str | None) -> date | None:
    """A catalog UTC timestamp (2026-06-09T02:00:00Z) as the local (UTC+8) day."""
    if not ts:
        return None
    try:
        dt = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(CST).date()


def _packages(archive: Any) -> list[dict]:
    """Submission packages exported (with their period) and imported (with the record ids they
    carried), oldest first — from their ledger leaves (the ``packages`` rows say the same; verify
    compares them)."""
    import json

    def entries(kind: str) -> list[tuple[dict, dict]]:  # (leaf, its entry): what the ledger says, under its hash
        out = []
        for r in archive.ledger.leaves(kind=kind):
            try:
                entry = json.loads(r["entry"] or "{}")
            except (TypeError, ValueError):
                continue  # named by verify
            if isinstance(entry, dict) and entry.get("kind") in (None, "submission"):
                out.append((r, entry))
        return out

    out: list[dict] = []
    for r, entry in entries("package_exported"):
        out.append({"direction": "export", "origin": archive.owner_uscc, "day": _local_day(r["created_at"]),
                    "since": entry.get("since"), "until": entry.get("until"), "records": None})
    for r, entry in entries("package_imported"):
        out.append({"direction": "import", "origin": entry.get("origin"), "day": _local_day(r["created_at"]),
                    "since": None, "until": None, "records": set(entry.get("records") or ())})
    return sorted((p for p in out if p["day"] is not None), key=lambda p: p["day"])


def deliverable_state(
    snap: Snapshot, packages: list[dict], key: str, author: str, year: int, as_of: date, *, own: bool,
) -> dict:
    """Where one deliverable of one author stands on ``as_of``."""
    d = DELIVERABLES_BY_KEY[key]
    due = due_date(key, year)
    field = "enterprise" if d.who == "enterprise" else "bureau"
    recs = [
        r for r in snap.of(d.record_type)
        if r.obj.kind == key and getattr(r.obj, field) == author and r.obj.year == year
        and (r.obj.issued_on if not own else (_local_day(r.created_at) or r.obj.issued_on)) <= as_of
    ]
    out = {"key": key, "name": d.name, "due": due.isoformat() if due else None, "clause": d.clause,
           "status": "missing", "record": None, "produced_on": None, "submitted_on": None, "overdue": False, "late": False}
    if recs:
        r = max(recs, key=lambda r: (r.obj.issued_on, r.created_at))
        made = (_local_day(r.created_at) or r.obj.issued_on) if own else r.obj.issued_on
        out.update(record=r.cite(), produced_on=made.isoformat(), status="produced")
        issued = r.obj.issued_on.isoformat()
        if own:
            sent = next((p["day"] for p in packages
                         if p["direction"] == "export" and made <= p["day"] <= as_of
                         and (p["since"] or "") <= issued and (not p["until"] or issued <= p["until"])), None)
        else:
            arrived = [p["day"] for p in packages if p["direction"] == "import" and r.id in (p["records"] or ())]
            sent = min(arrived) if arrived else r.obj.issued_on  # no package log: the report's own date
            if sent > as_of:
                sent = None
        if sent is not None:
            out.update(status="submitted", submitted_on=sent.isoformat(), late=bool(due and sent > due))
    if due is not None and as_of > due and out["status"] != "submitted":
        out["overdue"] = True
    return out


def campaign_status(archive: Any, as_of: date, *, snap: Snapshot | None = None, within: str | None = None) -> dict:
    """The plan's stages on ``as_of``, each enterprise's deliverables, and what is overdue. With
    ``snap`` (the whole archive in memory), evaluated on it; without, read through the facts: the
    campaign's reports and the organizations, the rectification items home by home
    (:func:`archive.campaign.rectify.rectification_view`), kept until a record of its scope or a package arrives.
    ``within``: of the records that belong to that enterprise (an enterprise account's scope)."""
    if snap is None:
        world = World(archive, within=within)
        k = cache.key(archive, "campaign-status", as_of, within or "")

        def compute(deps: cache.Deps) -> dict:
            deps.on_scope(within)
            reports = world.snapshot([Clause.of("home", world.homes(), ["campaign_report", "campaign_table"])], None)
            return _campaign_status(archive, as_of, reports, rectification_view(archive, as_of, within=within))

        return cache.get_or_compute(archive, k, compute, packages=True)  # the packages handed in
    return _campaign_status(archive, as_of, snap, rectification_status(snap, as_of))


def _campaign_status(archive: Any, as_of: date, snap: Snapshot, rect: dict) -> dict:
    year = archive.settings.campaign_year
    packages = _packages(archive)
    current = stage_on(as_of, year)
    stages = []
    for st in STAGES:
        a, b = stage_dates(st, year)
        state = "done" if as_of > b else "current" if st is current else "upcoming"
        stages.append({
            "key": st.key, "name": st.name, "start": a.isoformat() if a else None, "end": b.isoformat(),
            "state": state, "days_left": (b - as_of).days if state == "current" else None, "work": st.work,
        })
    if snap.owner_role == "enterprise":
        enterprises = [snap.owner]
    else:
        enterprises = sorted(snap.org_keys_with_role("enterprise"))
    rows = []
    for e in enterprises:
        own = e == snap.owner
        items = [deliverable_state(snap, packages, d.key, e, year, as_of, own=own) for d in DELIVERABLES if d.who == "enterprise"]
        rows.append({"enterprise": e, "name": snap.org_name(e), "own": own, "deliverables": items})
    bureau_rows = []
    if snap.owner_role == "bureau":
        bureau_rows = [deliverable_state(snap, packages, d.key, snap.owner, year, as_of, own=True) for d in DELIVERABLES if d.who == "bureau"]
    overdue = [
        {"enterprise": r["enterprise"], "name": r["name"], "deliverable": d["name"], "due": d["due"]}
        for r in rows for d in r["deliverables"] if d["overdue"]
    ]
    upcoming = []
    for d in DELIVERABLES:
        due = due_date(d.key, year)
        if due is not None and as_of <= due:
            upcoming.append({"deliverable": d.name, "due": due.isoformat(), "days_left": (due - as_of).days})
    return {
        "as_of": as_of.isoformat(),
        "year": year,
        "stage": ({"key": current.key, "name": current.name} if current else None),
        "stages": stages,
        "deadlines": [{"deliverable": d.name, "due": due_date(d.key, year).isoformat() if d.due else None, "clause": d.clause}
                      for d in DELIVERABLES],
        "upcoming": sorted(upcoming, key=lambda u: u["due"]),
        "enterprises": rows,
        "bureau": bureau_rows,
        "overdue": overdue,
        "rectification": {**rect["summary"], "overdue_items": [i for i in rect["items"] if i["status"] == "overdue"]},
    }


@dataclass
class CampaignStatus:
    """``outsafe campaign status``: :func:`campaign_status` as a result to show."""

    data: dict

    def as_dict(self) -> dict:
        return self.data

    def as_text(self) -> list[str]:
        st = self.data
        stage = st["stage"]["name"] if st["stage"] else "不在整治阶段内"
        out = [f"{st['year']}年外包作业安全专项整治 —— {st['as_of']}：{stage}"]
        names = {"done": "已结束", "current": "进行中", "upcoming": "未开始"}
        for s in st["stages"]:
            left = f"（剩 {s['days_left']} 天）" if s["days_left"] is not None else ""
            out.append(f"  {s['name']}  {s['start'] or '即日起'} ～ {s['end']}  {names[s['state']]}{left}")
        out.append("报送期限 (deadlines):")
        out += [f"  {d['deliverable']}：{d['due'] or '—'}  （{d['clause']}）" for d in st["deadlines"]]
        for e in st["enterprises"]:
            labels = {"submitted": "已报送", "produced": "已生成未报送" if e["own"] else "已收到",
                      "missing": "未生成" if e["own"] else "未报送"}
            out.append(f"{e['name']}（{e['enterprise']}）")
            for d in e["deliverables"]:
                flag = "  【逾期】" if d["overdue"] else ("  【迟报】" if d["late"] else "")
                when = f" {d['submitted_on']}" if d["submitted_on"] else (f" {d['produced_on']}" if d["produced_on"] else "")
                out.append(f"  {d['name']}（{d['due'] or '—'}）：{labels[d['status']]}{when}{flag}")
        out += [f"本局 {d['name']}：" + ("已生成 " + d["produced_on"] if d["produced_on"] else "未生成") for d in st["bureau"]]
        r = st["rectification"]
        out.append(f"整改：共 {r['total']} 项，已整改 {r['closed']}，整改中 {r['open']}，逾期 {r['overdue']}")
        if st["overdue"]:
            out.append("逾期未报 (overdue): " + "；".join(f"{o['name']} {o['deliverable']}（{o['due']}）" for o in st["overdue"]))
        return out


CAMPAIGN_TYPES = ("organization", "campaign_report", "campaign_table", "rectification_order", "rectification_review", "hazard",
                  "contractor_inspection")


def campaign_status_report(archive: Any, *, as_of: date | None = None, within: str | None = None) -> CampaignStatus:
    """``outsafe campaign status``: the campaign as on ``as_of`` (default: the archive's today);
    ``within``: only that enterprise's deliverables and items (an enterprise account's scope)."""
    return CampaignStatus(campaign_status(archive, as_of or archive.clock.today(), within=within))


def handed_in(archive: Any, *, within: str | None = None, limit: int = 50) -> list[dict]:
    """What was handed in and when: submission packages exported by this archive (an enterprise's)
    or imported into it (the bureau's), newest first; ``within``: only that enterprise's."""
    import json

    out = []
    for r in archive.catalog.packages.packages(kind="submission"):
        if within is not None and r["origin"] != within:
            continue
        info = json.loads(r["info"] or "{}")
        reg = archive.catalog.get_registry("organization", r["origin"])
        out.append({"direction": r["direction"], "direction_name": "报送（导出）" if r["direction"] == "export" else "收到（导入）",
                    "origin": r["origin"], "origin_name": reg["name"] if reg else r["origin"], "records": r["records"], "day": (_local_day(r["created_at"]) or "").__str__(),
                    "at": r["created_at"], "digest": r["digest"], "since": info.get("since"), "until": info.get("until")})
    return sorted(out, key=lambda x: x["at"], reverse=True)[:limit]


__all__ = ["STAGES", "DELIVERABLES", "campaign_status", "campaign_status_report", "stage_on", "due_date", "deliverable_state",
           "handed_in", "CAMPAIGN_TYPES"]
