"""What the rules derive from records: a project's window, uncovered periods, certificate needs
and problems, the people on a ticket, blacklist listings and their state on a day, a person's
three-level training card.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from archive.checks.snapshot import Rec, Snapshot, for_project
from archive.registry import person_refs
from archive.text import cn_date
from schemas.common import PersonRef

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
        return f"发证日期{cn_date(c.issued)}晚于作业开始{cn_date(start)}"
    if c.expires < end:
        return f"有效期至{cn_date(c.expires)}，作业至{cn_date(end)}，已过期"
    if c.next_review is not None and c.next_review < end:
        return f"应于{cn_date(c.next_review)}前复审，未见复审（未按期复审的证书失效）"
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


SPECIAL_OPERATION = "特种作业操作证"  # the 特种作业人员 of SPL 第30条 (its 目录), whom 令第10号 第三条第（二）项 is about


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


def listings_of(snap: Snapshot, subject: str, as_of: date, enterprise: str | None = None) -> list[Rec]:
    """Blacklist entries naming ``subject`` that apply to ``enterprise`` (its own list, or the statutory list)."""
    return [
        r for r in snap.blacklist_entries(subject)
        if (r.obj.list == "statutory" or enterprise is None or r.obj.listed_by == enterprise) and r.obj.decided_on <= as_of
    ]


def listing_state(snap: Snapshot, entry: Rec, on: date) -> tuple[str, Rec | None]:
    """("active" | "expired" | "removed" | "pending", the removal record) of a listing on day ``on``."""
    e = entry.obj
    removals = sorted((r for r in snap.blacklist_removals(e) if r.obj.decided_on <= on), key=lambda r: r.obj.decided_on)
    if removals:
        return "removed", removals[0]
    if on < e.start:
        return "pending", None
    if on > e.end:
        return "expired", None
    return "active", None


def active_listings(snap: Snapshot, subject: str, on: date, enterprise: str | None = None) -> list[Rec]:
    return [r for r in listings_of(snap, subject, on, enterprise) if listing_state(snap, r, on)[0] == "active"]


def contractor_people(snap: Snapshot, p: Any, as_of: date) -> dict[str, tuple[Rec, date]]:
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
    for t in for_project(snap, "work_ticket", p):
        for _, ref in refs_of(t.obj):
            add(ref, t.obj.valid_from.date())
    return out


def refs_of(obj: Any) -> list[tuple[str, PersonRef]]:
    return list(person_refs(obj))


def training_card(snap: Snapshot, person_id: str, enterprise: str, contractor: str, by: date) -> tuple[Rec | None, list[Rec]]:
    """(the passing card confirmed on or before ``by``, every card of the person at this enterprise)."""
    cards = list(snap.group("training_record", "trainee").get((person_id.upper(), enterprise, contractor), ()))
    ok = [r for r in cards if r.obj.conclusion.passed and r.obj.conclusion.may_take_post and r.obj.conclusion.confirmed_on <= by]
    return (max(ok, key=lambda r: r.obj.conclusion.confirmed_on) if ok else None), cards
