"""Blacklists: listing, removal and who is on which list on a given day.

Listing and removal are sealed records (``blacklist_entry`` / ``blacklist_removal``,
schemas/blacklist.py) that go through ``outsafe case add`` like every document; this module
drafts their case files and reads the lists back.

    rows = blacklist_rows(Snapshot.from_archive(archive), as_of)          # the lists on that day
    draft = draft_entry(archive, list_kind="enterprise", subject=USCC, …)  # a case file to add

Effects elsewhere: the admission rule (archive.checks.admission_problems) refuses a new contract,
agreement or ticket for a listed contractor — the enterprise list for that enterprise, the
statutory list for everyone — until the listing is removed or its period has ended; the E5 check
looks for the listing after a trigger.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from archive.campaign.numbering import next_doc_no
from archive.campaign.rectify import Draft, DraftFile, bureau_of, file_draft
from archive.checks.employer import e5_triggers
from archive.checks.facts import listing_state
from archive.checks.snapshot import Snapshot
from archive.checks.world import Clause, World
from archive.errors import NotFound, Problem, ValidationFailed
from archive.text import Table
from schemas.base import dump
from schemas.blacklist import LIST_NAMES, SITUATIONS, add_months, add_years

STATE_NAMES = {"active": "管理期内", "pending": "尚未开始", "expired": "已期满", "removed": "已移出"}

#: 文书代字 of the statutory listing and removal decisions [P]: （高新）应急失信〔2026〕1号, （高新）应急失信移〔2026〕1号.
CODES = {"blacklist_entry": "失信", "blacklist_removal": "失信移"}


def blacklist_rows(snap: Snapshot, as_of: date, *, include_inactive: bool = False, subject: str | None = None) -> list[dict]:
    """Every listing known on ``as_of`` with its state then (active ones only unless asked)."""
    view = snap.upto(as_of)
    s = snap.settings
    rows = []
    for r in sorted(view.of("blacklist_entry"), key=lambda r: (r.obj.list, r.obj.start, r.obj.entry_no)):
        e = r.obj
        if subject and e.subject != subject:
            continue
        state, removal = listing_state(view, r, as_of)
        if state != "active" and not include_inactive:
            continue
        early = add_months(e.start, s.blacklist_early_removal_months) if e.list == "statutory" else None
        rows.append({
            "record_id": r.id,
            "entry_no": e.entry_no,
            "list": e.list,
            "list_name": LIST_NAMES[e.list],
            "listed_by": e.listed_by,
            "listed_by_name": snap.org_name(e.listed_by),
            "subject": e.subject,
            "subject_name": e.subject_name,
            "person": e.person.name if e.person else None,
            "reason": (f"情形（{e.situation}）{SITUATIONS.get(e.situation, '')}" if e.situation else (e.trigger or "")),
            "decided_on": e.decided_on.isoformat(),
            "start": e.start.isoformat(),
            "end": e.end.isoformat(),
            "early_removal_from": early.isoformat() if early else None,
            "state": state,
            "state_name": STATE_NAMES[state],
            "removal_no": removal.obj.removal_no if removal else None,
            "removed_on": removal.obj.decided_on.isoformat() if removal else None,
        })
    return rows


def _entry_no(archive: Any, list_kind: str, year: int, record_type: str = "blacklist_entry") -> str:
    if list_kind == "statutory":
        return next_doc_no(archive, record_type, year, code=CODES[record_type])
    prefix = "HMD" if record_type == "blacklist_entry" else "HMD-YC"
    pattern = re.compile(rf"^{prefix}-{year}-(\d+)$")
    used = [0] + [int(m.group(1)) for row in archive.catalog.list_records(types=[record_type])
                  if (m := pattern.match(row["doc_no"] or ""))]
    return f"{prefix}-{year}-{max(used) + 1:03d}"


def draft_entry(
    archive: Any,
    *,
    list_kind: str,
    subject: str,
    decided_on: date,
    facts: str | None = None,
    trigger: str | None = None,
    situation: int | None = None,
    evidence: tuple[str, ...] = (),
    penalty_decision_no: str | None = None,
    start: date | None = None,
    published_on: date | None = None,
    notice_served_on: date | None = None,
    measures: tuple[str, ...] = (),
    listed_by: str | None = None,
    entry_no: str | None = None,
) -> Draft:
    """A ``blacklist_entry`` case file. The enterprise list is kept by the archive's enterprise (or
    ``listed_by``); the statutory list by the bureau. Without ``facts``/``evidence`` for an
    enterprise listing, the E5 triggers on record for the contractor are used."""
    if list_kind not in LIST_NAMES:
        raise ValidationFailed([Problem("list", "名单类别应为 enterprise 或 statutory")])
    snap = Snapshot.from_archive(archive)
    s = archive.settings
    org = snap.org(subject)
    if org is None:
        raise NotFound(f"被列入单位 {subject} 未登记 (not registered)", hint="outsafe org add …")
    if list_kind == "statutory":
        owner = bureau_of(archive, snap, listed_by)
        years = s.blacklist_years
    else:
        uscc = listed_by or snap.owner
        owner = snap.org(uscc)
        if owner is None or owner.role != "enterprise":
            raise ValidationFailed([Problem("listed_by", "企业承包商黑名单由发包单位列入，请用 --listed-by 指定发包单位 (name the enterprise)")])
        years = s.blacklist_enterprise_years
    start = start or decided_on
    notes = []
    if list_kind == "enterprise" and (not facts or not evidence):
        triggers = e5_triggers(snap.upto(decided_on), owner.uscc, subject, decided_on)
        if triggers:
            facts = facts or "；".join(f"{d.year}年{d.month}月{d.day}日{what}" for d, what, _ in triggers)
            evidence = evidence or tuple(r.title for _, _, r in triggers)
            trigger = trigger or _trigger_of(triggers[0][1])
        else:
            notes.append("档案中没有该承包单位的五查之五触发事项（季度考核不合格、重大隐患不整改、亡人事故），请写明事实和理由")
    data = {
        "type": "blacklist_entry",
        "entry_no": entry_no or _entry_no(archive, list_kind, decided_on.year),
        "list": list_kind,
        "listed_by": owner.uscc,
        "subject": subject,
        "subject_name": org.name,
        "situation": situation,
        "trigger": trigger if list_kind == "enterprise" else None,
        "facts": facts,
        "evidence": list(evidence),
        "penalty_decision_no": penalty_decision_no,
        "notice_served_on": notice_served_on,
        "decided_on": decided_on,
        "start": start,
        "end": add_years(start, years),
        "published_on": published_on,
        "measures": list(measures) or (
            ["加大执法检查频次", "暂停项目审批", "上调有关保险费率", "行业或者职业禁入", "向社会公示"] if list_kind == "statutory"
            else [f"{years}年内不得承接本单位外包工程，不得签订安全生产管理协议、不得办理作业票"]),
        "decided_by": owner.name,
    }
    header = [
        f"列入{LIST_NAMES[list_kind]} —— {org.name}（{subject}）。管理期限 {start} 至 {add_years(start, years)}（{years}年，民法典第二百零一、二百零二条计算）。",
        "核对后 outsafe case add 本文件（或 outsafe blacklist add … 直接入档）。",
    ]
    return Draft({k: v for k, v in data.items() if v not in (None, [])}, header, notes)


def _trigger_of(what: str) -> str:
    if "考核" in what:
        return "季度安全生产考核不合格"
    if "隐患" in what:
        return "重大事故隐患不整改"
    if "亡人" in what:
        return "发生亡人事故"
    return "其他"


def draft_removal(
    archive: Any,
    *,
    entry_no: str,
    kind: str,
    decided_on: date,
    reason: str,
    applied_on: date | None = None,
    removal_no: str | None = None,
) -> Draft:
    """A ``blacklist_removal`` case file for the archived listing ``entry_no``."""
    snap = Snapshot.from_archive(archive)
    entries = [r for r in snap.of("blacklist_entry") if r.obj.entry_no == entry_no]
    if not entries:
        raise NotFound(f"档案中没有列入记录 {entry_no} (no such listing)", hint="outsafe blacklist list --all")
    e = entries[-1].obj
    data = {
        "type": "blacklist_removal",
        "removal_no": removal_no or _entry_no(archive, e.list, decided_on.year, "blacklist_removal"),
        "entry_no": e.entry_no,
        "list": e.list,
        "listed_by": e.listed_by,
        "subject": e.subject,
        "subject_name": e.subject_name,
        "person": _person(e.person),
        "kind": kind,
        "entry_start": e.start,
        "applied_on": applied_on,
        "decided_on": decided_on,
        "reason": reason,
        "decided_by": e.decided_by,
    }
    notes = []
    if kind == "提前移出" and e.list == "statutory":
        earliest = add_months(e.start, archive.settings.blacklist_early_removal_months)
        if decided_on <= earliest:
            notes.append(f"列入满{archive.settings.blacklist_early_removal_months}个月（{earliest} 以后）方可提前移出")
    header = [f"移出{LIST_NAMES[e.list]} —— {e.subject_name}，原列入 {e.entry_no}（{e.start}～{e.end}），方式：{kind}。"]
    return Draft({k: v for k, v in data.items() if v not in (None, [])}, header, notes)


def _person(ref: Any) -> dict | None:
    if ref is None:
        return None
    return dump(ref)


__all__ = ["blacklist_rows", "draft_entry", "draft_removal", "STATE_NAMES"]


# --- the commands: the lists on a day; list and remove (draft, check, archive) ----------------------------


BLACKLIST_TYPES = ("organization", "blacklist_entry", "blacklist_removal")


def listings(archive: Any, *, as_of: date | None = None, include_inactive: bool = False, subject: str | None = None,
             within: str | None = None) -> Table:
    """``outsafe blacklist list``: who is on which list on ``as_of`` (default: the archive's today);
    ``within``: the listings that belong to that enterprise (an enterprise account's scope). Read
    through the facts: the entries and removals only, organizations looked up by key."""
    world = World(archive, within=within)
    snap = world.snapshot([Clause.of("home", world.homes(), BLACKLIST_TYPES[1:])], None)
    rows = blacklist_rows(snap, as_of or archive.clock.today(), include_inactive=include_inactive, subject=subject)
    return Table(rows, [("list_name", "名单"), ("subject_name", "单位/人员"), ("entry_no", "编号"), ("reason", "列入原因"),
                        ("start", "起"), ("end", "止"), ("state_name", "状态"), ("early_removal_from", "可申请提前移出")])


def list_unit(archive: Any, output: Path, *, decided_on: date | None = None, add: bool = True, progress: Any = None,
              notify: Any = None, **kw: Any) -> DraftFile:
    """``outsafe blacklist add``: the ``blacklist_entry`` case file decided on ``decided_on``
    (default: the archive's today), written to ``output`` and — with ``add``, unless it has an
    error — archived. It is judged as on the later of that day and today (a decision may be
    recorded after it was taken, never before). ``kw`` as for :func:`draft_entry`."""
    today = archive.clock.today()
    day = decided_on or today
    draft = draft_entry(archive, decided_on=day, **kw)
    return file_draft(archive, draft, output, max(day, today), add=add, progress=progress, notify=notify)


def unlist_unit(archive: Any, output: Path, *, decided_on: date | None = None, add: bool = True, progress: Any = None,
                notify: Any = None, **kw: Any) -> DraftFile:
    """``outsafe blacklist remove``: as :func:`list_unit`, for a ``blacklist_removal`` (``kw`` as
    for :func:`draft_removal`)."""
    today = archive.clock.today()
    day = decided_on or today
    draft = draft_removal(archive, decided_on=day, **kw)
    return file_draft(archive, draft, output, max(day, today), add=add, progress=progress, notify=notify)
