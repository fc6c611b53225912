"""The rectification loop: findings → 责令限期整改指令书 → 整改复查意见书 → status; and the penalty
documents (行政处罚告知书 / 决定书) of a case.

    draft = draft_order(archive, as_of=…, enterprise=USCC)   # a case file (dict) for the officer
    write_case_file(draft.data, path, header=draft.header)     # review it, then `outsafe case add`
    rows = rectification_status(snapshot, as_of)              # open / overdue / closed items

Numbers: the next 文书号 of the year is one more than the highest serial among the archive's
records of that code (superseded versions included — a number once used stays used):
（{settings.region_abbr}）应急责改〔2026〕13号 after …12号.

Where an item's status comes from:

- 责令限期整改指令书 items: closed by the latest 整改复查意见书 on or before the day that says
  已整改; 部分整改 / 未整改 keep it open; overdue once its deadline has passed (the deadline day
  itself is still in time: "于…前整改完毕"). A review is due within ``settings.recheck_days`` of
  the last deadline (原安全生产违法行为行政处罚办法 第17条).
- 事故隐患: closed when 已整改 with a completion date on or before the day.
- 发包单位对承包单位的检查 with a deadline (限期整改 / 停工整改): closed when a later inspection of
  the same contractor (and project) exists, or every hazard recorded from it that day is
  rectified; the archive has no other closing record for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from archive.campaign.numbering import next_doc_no
from archive.checks.model import SEVERITIES, SEVERITY_NAMES, CheckReport
from archive.checks.rules import RULES_BY_ID, run_checks
from archive.checks.snapshot import Rec, Snapshot
from archive.checks.stream import by_home, enterprise_snapshot, home_clauses
from archive.checks.world import Clause, World
from archive.documents.filters import cn_num
from archive.errors import NotFound, Problem, ValidationFailed
from archive.facts import cache
from archive.text import Note, Table, cn_date, problem_notes, table
from schemas import dump_yaml
from schemas.base import dump
from schemas.enforcement import ORDER_BASIS, review_authority_of
from schemas.penalty import FINES, SPL
from storage.home import output_folder, write_output

# --- case files ---------------------------------------------------------------------------------------


@dataclass
class Draft:
    data: dict
    header: list[str]  # comment lines written above the YAML
    notes: list[str] = field(default_factory=list)  # what the officer should look at


def to_plain(value: Any) -> Any:
    """Dates, Decimals and tuples as YAML-friendly text, lists."""
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def case_yaml(data: dict, header: list[str] = ()) -> str:
    body = dump_yaml(to_plain(data), width=1000)
    return "".join(f"# {line}\n" for line in header) + body


def write_case_file(data: dict, path: Path, header: list[str] = ()) -> Path:
    path = Path(path)
    output_folder(path.parent)  # made when missing; under a file, or not writable: one message, not a traceback
    return write_output(path, case_yaml(data, header).encode("utf-8"), mode=0o600)


def check_draft(archive: Any, data: dict, today: date, file: str = "") -> list[Problem]:
    """Every check ``outsafe case validate`` runs inside the archive — schema and rules, the
    references (organizations, people, projects, cited evidence) and the cross-record admission
    rules — on a draft, so that a generated draft is held to what a hand-written file is."""
    import dataclasses
    import tempfile

    name = Path(file).name if file else f"{data.get('type', 'draft')}.yaml"
    with tempfile.TemporaryDirectory(prefix="outsafe-draft-") as tmp:
        path = Path(tmp) / name
        path.write_text(case_yaml(data), encoding="utf-8")
        _, problems = archive.validate_files([path], today=today)
    return [dataclasses.replace(p, file=file or p.file) if p.file == str(path) else p for p in problems]



def violated_provisions(rules) -> str:
    """The provisions violated, for an order item: each rule's ``violated``, once each, in order."""
    parts: dict[str, None] = {}
    for r in rules:
        for x in (r.violated or "").split("；"):
            if x.strip():
                parts[x.strip()] = None
    return "；".join(parts)


# --- who signs -------------------------------------------------------------------------------------------


def bureau_of(archive: Any, snap: Snapshot, uscc: str | None = None) -> Any:
    if uscc:
        org = snap.org(uscc)
        if org is None or org.role != "bureau":
            raise NotFound(f"{uscc} 不是已登记的应急管理局 (not a registered bureau)", hint="outsafe org list --role bureau")
        return org
    owner = snap.org(snap.owner)
    if owner is not None and owner.role == "bureau":
        return owner
    bureaus = [r.obj for r in snap.orgs_with_role("bureau")]
    if len(bureaus) != 1:
        raise NotFound("档案中应急管理局不唯一或未登记，请用 --bureau 指定 (name the bureau)", hint="outsafe org list --role bureau")
    return bureaus[0]


def inspectors_of(snap: Snapshot, bureau: str, names: tuple[str, ...] = ()) -> list[dict]:
    """执法人员 of the bureau with their 执法证 numbers (the named ones, else every registered one)."""
    people = [r.obj for r in snap.persons_of(bureau) if "执法人员" in r.obj.roles]
    if names:
        missing = [n for n in names if n not in {p.name for p in people}]
        if missing:
            raise NotFound(f"执法人员未登记：{'、'.join(missing)} (inspector not registered)", hint="outsafe person list --employer " + bureau)
        people = [p for n in names for p in people if p.name == n]
    out = []
    for p in sorted(people, key=lambda p: p.name) if not names else people:
        cert = next((c for c in p.certificates if c.kind == "执法证"), None)
        out.append({"name": p.name, "cert_no": cert.number if cert else ""})
    return out


# --- 责令限期整改指令书 ---------------------------------------------------------------------------------------


def draft_order(
    archive: Any,
    *,
    as_of: date,
    enterprise: str | None = None,
    contractor: str | None = None,
    issued_on: date | None = None,
    inspected_on: date | None = None,
    include_warnings: bool = False,
    bureau: str | None = None,
    inspectors: tuple[str, ...] = (),
    report: CheckReport | None = None,
) -> Draft:
    """A 责令限期整改指令书 case file from the current findings of one enterprise (and contractor)."""
    snap = Snapshot.from_archive(archive)
    issued_on = issued_on or as_of
    inspected_on = inspected_on or as_of
    report = report or run_checks(snap, as_of, enterprise=enterprise, contractor=contractor)
    floor = "warning" if include_warnings else "error"
    findings = report.findings(floor)
    units = sorted({f.enterprise for f in findings if f.enterprise})
    if enterprise is None:
        if len(units) > 1:
            raise ValidationFailed([Problem("enterprise", "问题涉及多个发包单位，请用 --enterprise 指定一个 (findings concern several enterprises): "
                                            + "、".join(units))])
        enterprise = units[0] if units else (snap.owner if snap.owner_role == "enterprise" else None)
    findings = [f for f in findings if f.enterprise == enterprise]
    if not findings:
        raise NotFound(f"{as_of} 没有需要责令整改的问题 (no findings to order rectified)"
                       + ("" if include_warnings else "；提示性问题可加 --include-warnings"))
    s = archive.settings
    bureau_org = bureau_of(archive, snap, bureau)
    items, header = [], [
        "责令限期整改指令书 草稿 —— 由 outsafe rectify draft 根据五查结果生成，请执法人员逐项核对、修改后再入档：",
        "  outsafe case validate 本文件 && outsafe case add 本文件",
        f"检查日（--as-of）：{as_of}；单位：{snap.org_name(enterprise)} {enterprise}",
    ]
    days = {"major": s.rectify_days_major, "error": s.rectify_days, "warning": s.rectify_days_warning}
    for n, group in enumerate(merge_findings(findings), 1):
        lead = min(group, key=lambda f: (SEVERITIES.index(f.severity) if f.rule[0] in "EC" else 9, f.rule))  # the 五查 wording
        worst = min(group, key=lambda f: SEVERITIES.index(f.severity))
        remedy = lead.remedy or RULES_BY_ID[lead.rule].remedy
        text = lead.message.rstrip("。") + "。"
        item_contractors = {f.contractor for f in group if f.contractor}
        violated = violated_provisions(RULES_BY_ID[f.rule] for f in group)
        criterion = next((RULES_BY_ID[f.rule].criterion for f in group if f.severity == "major" and RULES_BY_ID[f.rule].criterion), None)
        items.append({
            "text": text,
            **({"basis": violated} if violated else {}),
            "deadline": issued_on + timedelta(days=days[worst.severity]),
            "major_hazard": worst.severity == "major",
            **({"criterion": criterion} if worst.severity == "major" and criterion else {}),
            **({"requirement": remedy.rstrip("。") + "。"} if remedy else {}),
            **({"contractor": next(iter(item_contractors))} if len(item_contractors) == 1 else {}),
        })
        for f in group:
            header.append(f"第{n}项 ← {RULES_BY_ID[f.rule].label}（{SEVERITY_NAMES[f.severity]}）；证据：" + "；".join(
                f"{e['title']} [{e['id']}]" for e in f.evidence) + ("；缺少：" + "；".join(f.missing) if f.missing else ""))
    contractors = sorted({f.contractor for f in findings if f.contractor})
    projects = sorted({f.project for f in findings if f.project})
    if len(contractors) <= 1:  # one contractor: named once, on the order
        for it in items:
            it.pop("contractor", None)
    inspection = next((r for r in sorted(snap.upto(issued_on).of("inspection_record"), key=lambda r: r.obj.time_from, reverse=True)
                       if r.obj.unit == enterprise and r.obj.time_from.date() == inspected_on), None)
    if inspection is None:
        raise NotFound(
            f"档案中没有{cn_date(inspected_on)}对{snap.org_name(enterprise)}的现场检查记录：责令限期整改指令书须依据现场检查作出 "
            f"(no inspection record of this unit on {inspected_on})",
            hint="先将现场检查记录入档（outsafe case add），或用 --inspected-on 指定检查日期")
    unit = snap.org(enterprise)
    data = {
        "type": "rectification_order",
        "doc_no": next_doc_no(archive, "rectification_order", issued_on.year),
        "bureau": bureau_org.uscc,
        "unit": enterprise,
        "contractor": contractors[0] if len(contractors) == 1 else None,
        "project": projects[0] if len(projects) == 1 else None,
        "inspection_ref": inspection.obj.doc_no,
        "inspected_on": inspected_on,
        "items": items,
        "legal_basis": ORDER_BASIS,
        "inspectors": inspectors_of(snap, bureau_org.uscc, inspectors) if inspectors else [
            {"name": i.name, "cert_no": i.cert_no} for i in inspection.obj.inspectors],
        "unit_head": unit.principal_person if unit is not None else None,
        "issued_on": issued_on,
        "authority_name": bureau_org.name,
    }
    notes = []
    if len(data["inspectors"]) < 2:
        notes.append("执法人员不足两人：请用 --inspector 指定或补填 inspectors (at least two officers)")
    if any(not i["cert_no"] for i in data["inspectors"]):
        notes.append("有执法人员未登记执法证号，请补填 cert_no")
    return Draft({k: v for k, v in data.items() if v is not None}, header, notes)


def merge_findings(findings: list) -> list[list]:
    """Findings grouped into order items: findings of different rules on the same fact (same
    enterprise, project and topic — e.g. E3 以包代管 and 3-1 未定期检查) make one item."""
    groups: dict[tuple, list] = {}
    for i, f in enumerate(sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.rule))):
        key = (f.enterprise, f.project, f.topic) if f.topic else ("#", i)
        groups.setdefault(key, []).append(f)
    return list(groups.values())


def draft_review(archive: Any, order_doc_no: str, *, reviewed_on: date, bureau: str | None = None,
                 inspectors: tuple[str, ...] = ()) -> Draft:
    """An 整改复查意见书 for an archived order: every item listed as 未整改 for the officer to fill in."""
    snap = Snapshot.from_archive(archive)
    orders = [r for r in snap.of("rectification_order") if r.obj.doc_no == order_doc_no]
    if not orders:
        raise NotFound(f"档案中没有指令书 {order_doc_no} (no such order)", hint="outsafe case list --type rectification_order")
    order = orders[-1].obj
    bureau_org = bureau_of(archive, snap, bureau or order.bureau)
    data = {
        "type": "rectification_review",
        "doc_no": next_doc_no(archive, "rectification_review", reviewed_on.year),
        "bureau": bureau_org.uscc,
        "unit": order.unit,
        "contractor": order.contractor,
        "project": order.project,
        "order_doc_no": order.doc_no,
        "order_issued_on": order.issued_on,
        "reviewed_on": reviewed_on,
        "items": [{"item": i, "result": "未整改", "note": f"（复查后填写）{it.text[:40]}"} for i, it in enumerate(order.items, 1)],
        "opinion": "经复查，（复查后填写）。",
        "inspectors": inspectors_of(snap, bureau_org.uscc, inspectors) or [{"name": i.name, "cert_no": i.cert_no} for i in order.inspectors],
        "unit_head": order.unit_head,
        "authority_name": bureau_org.name,
    }
    header = [
        f"整改复查意见书 草稿 —— 对 {order.doc_no} 的复查。每项 result 须按复查实际填写：已整改 / 部分整改 / 未整改，",
        "并改写 note 与 opinion 中的“（复查后填写）”，再 outsafe case add。",
    ]
    last = max(it.deadline for it in order.items)
    notes = []
    due = last + timedelta(days=archive.settings.recheck_days)
    if reviewed_on > due:
        notes.append(f"复查日期 {reviewed_on} 晚于最后整改期限 {last} 后 {archive.settings.recheck_days} 日（{due}）")
    return Draft({k: v for k, v in data.items() if v is not None}, header, notes)


# --- status ---------------------------------------------------------------------------------------------


@dataclass
class Item:
    source: str  # 责令整改 | 隐患 | 发包单位检查
    ref: str  # 文书号 第n项 / 隐患编号 / 检查编号
    record: dict  # the record that holds it (id, title)
    enterprise: str | None
    contractor: str | None
    project: str | None
    text: str
    found_on: date | None
    deadline: date | None
    status: str  # open | overdue | closed
    closed_on: date | None = None
    closed_by: dict | None = None
    major: bool = False
    note: str = ""

    @classmethod
    def from_dict(cls, d: dict) -> "Item":
        day = lambda v: date.fromisoformat(v) if v else None  # noqa: E731
        return cls(d["source"], d["ref"], d["record"], d["enterprise"], d["contractor"], d["project"], d["text"], day(d["found_on"]),
                   day(d["deadline"]), d["status"], day(d["closed_on"]), d["closed_by"], d["major"], d["note"])

    def as_dict(self) -> dict:
        return {
            "source": self.source, "ref": self.ref, "record": self.record, "enterprise": self.enterprise,
            "contractor": self.contractor, "project": self.project, "text": self.text,
            "found_on": self.found_on.isoformat() if self.found_on else None,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "status": self.status, "closed_on": self.closed_on.isoformat() if self.closed_on else None,
            "closed_by": self.closed_by, "major": self.major, "note": self.note,
        }


STATUS_LABELS = {"open": "未整改", "overdue": "逾期未整改", "closed": "已整改"}


def _open_state(deadline: date | None, as_of: date) -> str:
    return "overdue" if deadline is not None and deadline < as_of else "open"


def rectification_items(snap: Snapshot, as_of: date, *, enterprise: str | None = None, contractor: str | None = None) -> list[Item]:
    view = snap.upto(as_of)
    items: list[Item] = []
    # each order's reviews, earliest first (the last word on an item is the latest review of it);
    # grouped once, not searched again for every item (an archive holds thousands of them)
    reviews: dict[str, list[Rec]] = {}
    for rv in sorted(view.of("rectification_review"), key=lambda r: r.obj.reviewed_on):
        reviews.setdefault(rv.obj.order_doc_no, []).append(rv)
    for r in view.of("rectification_order"):
        o = r.obj
        for n, it in enumerate(o.items, 1):
            latest = None
            for rv in reviews.get(o.doc_no, ()):
                for ri in rv.obj.items:
                    if ri.item == n:
                        latest = (rv, ri)
            item = Item("责令整改", f"{o.doc_no} 第{n}项", r.cite(), o.unit, it.contractor or o.contractor, o.project, it.text, o.issued_on,
                        it.deadline, _open_state(it.deadline, as_of), major=it.major_hazard)
            if latest is not None:
                rv, ri = latest
                if ri.result == "已整改":
                    item.status, item.closed_on, item.closed_by = "closed", rv.obj.reviewed_on, rv.cite()
                else:
                    item.note = f"{rv.obj.doc_no} 复查：{ri.result}" + (f"（{ri.note}）" if ri.note else "")
            elif item.status == "overdue":
                due = it.deadline + timedelta(days=snap.settings.recheck_days)
                if as_of > due:
                    item.note = f"期满后 {snap.settings.recheck_days} 日内（{due} 前）应复查，未见整改复查意见书"
            items.append(item)
    hazards = view.of("hazard")
    for r in hazards:
        h = r.obj
        done = h.status == "已整改" and h.rectified_on is not None and h.rectified_on <= as_of
        items.append(Item(
            "隐患", h.hazard_no, r.cite(), h.enterprise, h.contractor, h.project, h.description, h.found_on, h.deadline,
            "closed" if done else _open_state(h.deadline, as_of), closed_on=h.rectified_on if done else None,
            closed_by=r.cite() if done else None, major=h.grade == "重大", note="" if done else h.status))
    inspections = view.of("contractor_inspection")
    # the inspections of each (enterprise, contractor, project) and the hazards of each (enterprise,
    # contractor, day found), in the view's order
    same_work: dict[tuple, list[Rec]] = {}
    for x in inspections:
        same_work.setdefault((x.obj.enterprise, x.obj.contractor, x.obj.project), []).append(x)
    same_day: dict[tuple, list[Rec]] = {}
    for x in hazards:
        same_day.setdefault((x.obj.enterprise, x.obj.contractor, x.obj.found_on), []).append(x)
    for r in inspections:
        c = r.obj
        if c.result == "合格" or c.deadline is None:
            continue
        later = [x for x in same_work[(c.enterprise, c.contractor, c.project)] if x.obj.inspected_on > c.inspected_on]
        hz = [x for x in same_day.get((c.enterprise, c.contractor, c.inspected_on), ())
              if c.project is None or x.obj.project == c.project]
        hz_done = hz and all(x.obj.status == "已整改" and x.obj.rectified_on and x.obj.rectified_on <= as_of for x in hz)
        item = Item("发包单位检查", c.inspection_no, r.cite(), c.enterprise, c.contractor, c.project, "；".join(x.rstrip("。；") for x in c.problems) + "。",
                    c.inspected_on, c.deadline, _open_state(c.deadline, as_of))
        if later:
            first = min(later, key=lambda x: x.obj.inspected_on)
            item.status, item.closed_on, item.closed_by = "closed", first.obj.inspected_on, first.cite()
            item.note = "以后续检查为准"
        elif hz_done:
            last = max(hz, key=lambda x: x.obj.rectified_on)
            item.status, item.closed_on, item.closed_by = "closed", last.obj.rectified_on, last.cite()
            item.note = "同日登记的隐患均已整改"
        items.append(item)
    return [
        i for i in items
        if (enterprise is None or i.enterprise == enterprise) and (contractor is None or i.contractor == contractor)
    ]


def rectification_status(snap: Snapshot, as_of: date, *, enterprise: str | None = None, contractor: str | None = None) -> dict:
    """Open, overdue and closed items per enterprise and contractor, with the items themselves."""
    items = rectification_items(snap, as_of, enterprise=enterprise, contractor=contractor)
    snap.about_to_ask(organizations=named_in(items))  # their names together, not one query each
    return status_of(items, as_of, snap.org_name)


def named_in(items: list[Item]) -> set[str]:
    """The organizations the status of ``items`` names."""
    return {o for i in items for o in (i.enterprise, i.contractor) if o}


def status_of(items: list[Item], as_of: date, org_name: Any) -> dict:
    """The status of ``items`` (in the order rectification_items lists them): the summary, the
    groups per enterprise and contractor, the items by urgency."""
    groups: dict[tuple[str | None, str | None], dict] = {}
    for i in items:
        g = groups.setdefault((i.enterprise, i.contractor), {
            "enterprise": i.enterprise, "enterprise_name": org_name(i.enterprise) if i.enterprise else "",
            "contractor": i.contractor, "contractor_name": org_name(i.contractor) if i.contractor else "（发包单位自身）",
            "open": 0, "overdue": 0, "closed": 0, "total": 0,
        })
        g[i.status] += 1
        g["total"] += 1
    total = len(items)
    closed = sum(1 for i in items if i.status == "closed")
    return {
        "as_of": as_of.isoformat(),
        "summary": {
            "total": total, "closed": closed,
            "open": sum(1 for i in items if i.status == "open"),
            "overdue": sum(1 for i in items if i.status == "overdue"),
            "rate": round(closed * 100 / total, 1) if total else None,
        },
        "groups": sorted(groups.values(), key=lambda g: (g["enterprise"] or "", g["contractor"] or "")),
        "items": [i.as_dict() for i in sorted(items, key=lambda i: (i.status != "overdue", i.status != "open", i.deadline or date.max))],
    }


# --- penalty documents ----------------------------------------------------------------------------------


def draft_penalty_notice(
    archive: Any,
    *,
    case_no: str,
    article: str,
    party: str,
    facts: str,
    evidence: tuple[str, ...],
    violated: str | None = None,
    amount: Decimal | None = None,
    upper_limit: bool = False,
    gains: Decimal | None = None,
    person: str | None = None,
    other_penalties: tuple[str, ...] = (),
    contractor: str | None = None,
    project: str | None = None,
    issued_on: date,
    contact: str | None = None,
    bureau: str | None = None,
    correct_by: date | None = None,
    correction: str | None = None,
) -> Draft:
    """A 行政处罚告知书 for case ``case_no``. ``evidence`` are the numbers (文书号, record numbers) of
    archived records; each becomes one cited piece of evidence named after its record."""
    rng = FINES.get(article)
    if rng is None:
        raise ValidationFailed([Problem("article", f"未知的处罚条款 {article}；可用：" + "、".join(FINES))])
    snap = Snapshot.from_archive(archive)
    s = archive.settings
    bureau_org = bureau_of(archive, snap, bureau)
    unit = snap.org(party)
    if unit is None:
        raise NotFound(f"当事人 {party} 未登记 (party not registered)", hint="outsafe org add …")
    who = None
    if person:
        rec = snap.person_by_number(person) or next(iter(snap.persons_named(person, [party])), None)
        if rec is None:
            raise NotFound(f"当事人（个人）{person} 未登记 (person not registered)")
        who = {"name": rec.obj.name, "id_number": rec.obj.id_number, "unit": unit.name,
               "title": next((x for x in rec.obj.roles), None)}
    if upper_limit:
        if rng.gains_multiple:
            if gains is None:
                raise ValidationFailed([Problem("illegal_gains", "按违法所得倍数处罚须给出 --gains")])
            amount = gains * rng.gains_multiple[1]
        else:
            amount = rng.high
    if amount is None and not other_penalties:
        raise ValidationFailed([Problem("fine", "给出 --amount 金额，或 --upper-limit（上限处罚），或 --other 其他处罚")])
    threshold = s.hearing_fine_threshold_person if who else s.hearing_fine_threshold
    heavy = any(k in x for x in other_penalties for k in ("停产停业", "吊销", "责令关闭", "限制从业"))
    hearing = (amount is not None and amount >= Decimal(str(threshold))) or heavy
    inspectors = inspectors_of(snap, bureau_org.uscc)
    reg = archive.registry()
    cites, missing = [], []
    for number in evidence:
        row = reg.record_numbered(number)
        if row is None:
            missing.append(number)
        else:
            cites.append({"name": row["title"].replace(number, "").strip() or row["title"], "refs": [number]})
    if missing:
        raise NotFound("档案中没有这些证据记录，须先入档 (cited evidence not in the archive)：" + "、".join(missing),
                       hint="--evidence 写档案中记录的文书号或编号（outsafe case list 查看）")
    if rng.correction and party and not person and correct_by is None:
        correct_by = issued_on + timedelta(days=s.correction_days)
    data = {
        "type": "penalty_notice",
        "doc_no": next_doc_no(archive, "penalty_notice", issued_on.year),
        "case_no": case_no,
        "bureau": bureau_org.uscc,
        "unit": party,
        "person": who,
        "contractor": contractor,
        "project": project,
        "facts": facts,
        "evidence": cites,
        "violated": violated or (f"{SPL}{rng.violated}" if rng.violated else None),
        "article": article,
        "legal_basis": rng.basis,
        "fine": amount,
        "illegal_gains": gains,
        "other_penalties": list(other_penalties),
        "correction_deadline": correct_by if rng.correction and not person else None,
        "correction": correction if rng.correction and not person else None,
        "authority_name": bureau_org.name,
        "statement_days": s.statement_days,
        "hearing_right": hearing,
        "hearing_days": s.hearing_request_days if hearing else None,
        "contact_person": contact or (inspectors[0]["name"] if inspectors else None),
        "contact_phone": bureau_org.phone,
        "authority_address": bureau_org.address,
        "authority_postcode": bureau_org.postcode,
        "issued_on": issued_on,
    }
    header = [
        f"行政处罚告知书 草稿 —— 案件 {case_no}（证据清单见该案证据包）。请核对事实、证据、条款和金额后 outsafe case add。",
        f"处罚条款 {article}：{rng.basis}，{rng.what}；罚款幅度 {rng.range_text()}。",
    ]
    notes = []
    if data["violated"] is None:
        notes.append("请用 --violated 写明违反的规定")
    if hearing:
        notes.append(f"罚款达到“较大数额”（{threshold:g} 元）或处停产停业等：已写入听证权利")
    if data["correction_deadline"] is not None and correct_by == issued_on + timedelta(days=s.correction_days):
        notes.append(f"{rng.basis}规定{rng.correction}：改正期限暂按告知日后 {s.correction_days} 日填写，请核定（--correct-by）")
    notes.append("请为每项证据写明证明对象（evidence[].proves），证据清单按此填写")
    return Draft({k: v for k, v in data.items() if v not in (None, [])}, header, notes)


def draft_penalty_decision(
    archive: Any,
    *,
    case_no: str,
    decided_on: date,
    statement_summary: str | None = None,
    amount: Decimal | None = None,
) -> Draft:
    """A 行政处罚决定书 from the archived 告知书 of case ``case_no``."""
    snap = Snapshot.from_archive(archive)
    notices = sorted((r for r in snap.of("penalty_notice") if r.obj.case_no == case_no), key=lambda r: r.obj.issued_on)
    if not notices:
        raise NotFound(f"案件 {case_no} 没有已入档的行政处罚告知书 (no archived notice for this case)",
                       hint="draft one with `outsafe rectify penalty-draft … --stage notice` and add it first")
    n = notices[-1].obj
    s = archive.settings
    bureau_org = snap.org(n.bureau)
    data = {
        "type": "penalty_decision",
        "doc_no": next_doc_no(archive, "penalty_decision", decided_on.year),
        "case_no": case_no,
        "bureau": n.bureau,
        "unit": n.unit,
        "person": to_plain(dump(n.person)) if n.person else None,
        "contractor": n.contractor,
        "project": n.project,
        "facts": n.facts,
        "evidence": [to_plain(dump(e)) for e in n.evidence],
        "violated": n.violated,
        "article": n.article,
        "legal_basis": n.legal_basis,
        "fine": amount if amount is not None else n.fine,
        "illegal_gains": n.illegal_gains,
        "other_penalties": list(n.other_penalties),
        "person_address": n.person_address,
        "correction_deadline": n.correction_deadline,
        "correction": n.correction,
        "authority_name": n.authority_name,
        "notice_doc_no": n.doc_no,
        "notice_issued_on": n.issued_on,
        "statement_summary": statement_summary or silent_party(n),
        "payment_days": s.penalty_payment_days,
        "payment_account": (bureau_org.bank_account if bureau_org is not None else None) or "",
        "surcharge_pct": s.late_payment_surcharge_pct,
        "review_authority": review_authority_of(n.authority_name),
        "review_days": s.review_days,
        "litigation_months": s.litigation_months,
        "decided_on": decided_on,
    }
    header = [f"行政处罚决定书 草稿 —— 案件 {case_no}，依据 {n.doc_no}。请核对陈述申辩情况和处罚内容后 outsafe case add。"]
    notes = []
    if not data["payment_account"]:
        notes.append("执法机关未登记罚没款缴纳账户（organization.bank_account），请补填 payment_account")
    if n.person is not None and not n.person_address:
        notes.append("对个人的决定书须写明当事人住址（person_address，行政处罚法 第59条）")
    last = n.issued_on + timedelta(days=max(s.statement_days, n.hearing_days or 0) if n.hearing_right else s.statement_days)
    if decided_on <= last:
        notes.append(f"陈述、申辩{'和要求听证' if n.hearing_right else ''}的期限至{cn_date(last)}届满，决定日期应在其后")
    return Draft({k: v for k, v in data.items() if v not in (None, [])}, header, notes)


def silent_party(n: Any) -> str:
    """The 决定书's sentence for a party that used none of its rights, with the notice's own periods."""
    you = "你" if n.person is not None else "你单位"
    text = f"{you}在收到告知书之日起{cn_num(n.statement_days)}日内未提出陈述、申辩"
    if n.hearing_right and n.hearing_days:
        text += f"，{cn_num(n.hearing_days)}日内未要求举行听证"
    return text + "。"


__all__ = [
    "next_doc_no", "draft_order", "draft_review", "rectification_items", "rectification_status", "draft_penalty_notice",
    "draft_penalty_decision", "write_case_file", "case_yaml", "check_draft", "Draft", "Item", "STATUS_LABELS",
]


# --- the officer's workflows: draft a case file, check it, (archive it), show it ------------------------------


@dataclass
class DraftFile:
    """A case file written for the officer: its draft, what validation says of it on the day it is
    judged, and — when it was archived at once (blacklist listings) — the add report."""

    path: Path
    draft: Draft
    problems: list[Problem]
    added: Any = None  # archive.app.AddReport when archived

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def exit_code(self) -> int:
        return 1 if self.added is not None and self.added.failed else 0

    def as_dict(self) -> dict:
        if self.added is None:
            return {"file": str(self.path), "data": self.draft.data, "notes": self.draft.notes,
                    "problems": [p.as_dict() for p in self.problems]}
        return {"file": str(self.path), "records": [{"id": a.id, "title": a.title, "status": a.status} for a in self.added.added],
                "notes": self.draft.notes, "warnings": [p.as_dict() for p in self.added.warnings]}

    def as_text(self) -> list[str]:
        if self.added is not None:
            return (problem_notes(self.added.warnings)
                    + [f"{a.id}  {a.title}  [已入档 added]  ← {self.path}" for a in self.added.added]
                    + [Note(f"未入档 (not archived): {f}: {e}") for f, e in self.added.failed])
        out = [f"已写出草稿 (draft written): {self.path}"] + [Note(f"  注意: {n}") for n in self.draft.notes]
        out += problem_notes(self.problems)
        if self.errors:
            out.append(Note(f"  草稿有 {len(self.errors)} 处须修改后才能入档 (fix before `outsafe case add`)"))
        else:
            out.append(f"  核对后入档: outsafe case add {self.path}")
        return out


def file_draft(archive: Any, draft: Draft, output: Path, day: date, *, add: bool = False, **add_kw: Any) -> DraftFile:
    """Write ``draft`` to ``output`` and check it as on ``day``; with ``add``, archive it too
    (judged on the same day) unless the check found an error. ``add_kw``: progress, notify."""
    path = write_case_file(draft.data, output, draft.header)
    result = DraftFile(path, draft, check_draft(archive, draft.data, day, str(path)))
    if add and not result.errors:
        result.added = archive.add_files([path], today=day, **add_kw)
    return result


def order_draft(archive: Any, output: Path, *, as_of: date | None = None, **kw: Any) -> DraftFile:
    """``outsafe rectify draft``: a 责令限期整改指令书 case file from the findings as on ``as_of``
    (default: the archive's today), judged as on its 作出日期 when that is later. ``kw`` as for
    :func:`draft_order`."""
    day = as_of or archive.clock.today()
    draft = draft_order(archive, as_of=day, **kw)
    return file_draft(archive, draft, output, max(day, kw.get("issued_on") or day))


def review_draft(archive: Any, output: Path, order_doc_no: str, *, reviewed_on: date | None = None, **kw: Any) -> DraftFile:
    """``outsafe rectify review-draft``: an 整改复查意见书 case file for the order, reviewed on
    ``reviewed_on`` (default: the archive's today)."""
    day = reviewed_on or archive.clock.today()
    return file_draft(archive, draft_review(archive, order_doc_no, reviewed_on=day, **kw), output, day)


def penalty_draft(archive: Any, output: Path, *, stage: str, case_no: str, day: date | None = None, **kw: Any) -> DraftFile:
    """``outsafe rectify penalty-draft``: the 行政处罚告知书 (``stage`` "notice", ``kw`` as for
    :func:`draft_penalty_notice`) or 决定书 ("decision": statement_summary, amount) of the case,
    dated ``day`` (default: the archive's today)."""
    day = day or archive.clock.today()
    if stage == "decision":
        draft = draft_penalty_decision(archive, case_no=case_no, decided_on=day, **kw)
    else:
        draft = draft_penalty_notice(archive, case_no=case_no, issued_on=day, **kw)
    return file_draft(archive, draft, output, day)


@dataclass
class RectificationStatus:
    """``outsafe rectify status``: :func:`rectification_status` as a result to show."""

    data: dict

    def as_dict(self) -> dict:
        return self.data

    def as_text(self) -> list[str]:
        st, sm = self.data, self.data["summary"]
        out = [f"整改情况（截至 {st['as_of']}）：共 {sm['total']} 项，已整改 {sm['closed']}，整改中 {sm['open']}，逾期 {sm['overdue']}"
               + (f"，整改率 {sm['rate']:g}%" if sm["rate"] is not None else "")]
        out += table(st["groups"], [("enterprise_name", "发包单位"), ("contractor_name", "承包单位"), ("open", "整改中"),
                                    ("overdue", "逾期"), ("closed", "已整改"), ("total", "合计")])
        rows = [dict(i, status_name=STATUS_LABELS[i["status"]]) for i in st["items"]]
        out.append("")
        out += table(rows, [("status_name", "状态"), ("source", "来源"), ("ref", "编号"), ("deadline", "期限"), ("closed_on", "完成"),
                            ("note", "说明")])
        return out


RECTIFY_TYPES = ("organization", "rectification_order", "rectification_review", "hazard", "contractor_inspection")


def rectification_report(archive: Any, *, as_of: date | None = None, enterprise: str | None = None, contractor: str | None = None,
                         within: str | None = None) -> RectificationStatus:
    """``outsafe rectify status``: the items as on ``as_of`` (default: the archive's today);
    ``within``: of the records that belong to that enterprise (an enterprise account's scope)."""
    return RectificationStatus(rectification_view(archive, as_of or archive.clock.today(), enterprise=enterprise, contractor=contractor,
                                                  within=within))


ITEM_SOURCES = {"责令整改": 0, "隐患": 1, "发包单位检查": 2}  # the order rectification_items lists them in
ITEM_TYPES = ("rectification_order", "rectification_review", "hazard", "contractor_inspection")  # what rectification_items reads


def rectification_view(archive: Any, as_of: date, *, enterprise: str | None = None, contractor: str | None = None,
                       within: str | None = None) -> dict:
    """:func:`rectification_status` read through the facts: one enterprise's or one contractor's
    records only; the whole archive home by home (``within``: of the records that belong to that
    enterprise). Kept until a record it depends on arrives."""
    world = World(archive, within=within)
    changes = cache.Changes(archive)
    k = cache.key(archive, "rectify", as_of, enterprise or "", contractor or "", within or "")

    def compute(deps: cache.Deps) -> dict:
        world.deps = deps
        if enterprise:
            snap = enterprise_snapshot(world, enterprise, as_of)
        elif contractor:
            orders = world.linked("contractor", [contractor], types=["rectification_order"])
            snap = world.snapshot([Clause.of("contractor", [contractor], ["rectification_order", "hazard", "contractor_inspection"]),
                                   Clause.of("order", [r["key"] for r in orders if r["key"]], ["rectification_review"])], as_of)
        else:
            items = whole_items(archive, world, as_of, changes)
            return status_of(items, as_of, Lookups(world, as_of, named_in(items)).org_name)
        return rectification_status(snap, as_of, enterprise=enterprise, contractor=contractor)

    return cache.get_or_compute(archive, k, compute, changes)


def whole_items(archive: Any, world: World, as_of: date, changes: cache.Changes) -> list[Item]:
    """Every rectification item of the archive, home by home, in the order of the whole archive's."""
    def items_of(home: str) -> list:
        snap = world.snapshot(home_clauses(world, [home]), as_of).load(*ITEM_TYPES)
        place = {r.id: snap.position(r) for r in snap.of("rectification_order", "hazard", "contractor_inspection")}
        return [[ITEM_SOURCES[i.source], place[i.record["id"]], i.as_dict()] for i in rectification_items(snap, as_of)]

    parts = by_home(archive, world, cache.key(archive, "rectify-items", as_of, world.within or ""), changes, items_of)
    merged = sorted((x for _, items in parts for x in items), key=lambda x: (x[0], x[1]))  # stable: a record's items stay in order
    return [Item.from_dict(x[2]) for x in merged]


class Lookups:
    """Names of organizations for a whole-archive view: those of ``orgs`` looked up together
    (a few queries, not one each: 211 for E's account at 10^5), any other when asked."""

    def __init__(self, world: World, as_of: date | None, orgs: Any = ()) -> None:
        self.snap = world.snapshot([], as_of).about_to_ask(organizations=orgs)

    def org_name(self, uscc: str | None) -> str:
        return self.snap.org_name(uscc)


def penalty_articles() -> Table:
    """``outsafe rectify articles``: the penalty provisions and their fine ranges."""
    rows = [{"key": f.key, "basis": f.basis, "party": "单位" if f.party == "unit" else "个人", "range": f.range_text(), "what": f.what}
            for f in FINES.values()]
    return Table(rows, [("key", "条款"), ("basis", "处罚依据"), ("party", "对象"), ("range", "罚款幅度")])
