"""The 作业票 life cycle, step by step (GB 30871—2022): apply → 风险辨识与安全措施 (with the 安全交底)
→ each receiver of the briefing signs → 气体分析 → the approvals in the order of the type's boxes →
验票 (动火) → 作业开始 → 完工验收.

    state = ticket_state(archive, ticket)                    # what is done, what may be signed next
    people = candidates(archive, ticket, "approve", "所在单位")   # who may sign that step
    done = sign_step(archive, scope, record_id, "approve", {...}, Signer(key, "0359"), Capture(sig_png),
                     account="zhang", box="所在单位", version=record_id)

Each step is one sealed record: the ticket's data with the step added (a :class:`schemas.tickets.Step`
— who, the server's time, the signature PNG, photos — plus what the step fills: the measures, the
readings, the approval box, the completion) goes through the whole pipeline of ``case add`` (schema,
every rule, the cross-record rules, render, PDF, seal, ledger) and *supersedes* the version before
it. Nothing is rewritten; the chain of versions is the ticket's history. The same rules as a case
file judge each step (a reading taken more than 30 minutes before the start, oxygen outside
19.5–21 %, too much flammable gas, an approval after the start: refused, with the rule's words).

Who signs: the person whose role the step is, picked on the phone from the step's people (the
ticket's 监护人 for the 监护人 box, its 作业负责人 for his, a person of the enterprise for the
enterprise's boxes, …) and identified by the last four characters of his 身份证号 against the
registered person. The phone's account is sealed with the step as its carrier (经手账号).
Why not a password per signer: most signers (动火人, 监护人, 分析人, the shift leader) have no
account; the ID number is known by heart, quick to type with gloves, and distinguishes the people
of a short list; the account holder who hands over the phone is accountable for it, and wrong
digits are counted (``ticket_identify_max_failures`` per account and ticket in
``ticket_identify_window_minutes``) and written to the access log. A signer who has an account of
his own (``outsafe user link NAME --person 身份证号``) and is signed in signs his steps as himself
("我本人"): identified by the account (``identified_by`` 登录账号), no digits typed; the account of
one person never signs as another.

A ticket past its ``valid_to`` is expired (过期) and cannot be signed further — except its
完工验收 when the work had started, within ``completion_grace_hours`` (the rule the schema already
applies: a ticket must be closed, late rather than never).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from archive.privacy import born_on
from archive.access import audit
from archive.access.accounts import account_person
from archive.checks.facts import CERT_NEEDS, best_cert_problem
from archive.clock import CST, utc_stamp
from archive.errors import NotFound, OutsafeError, Problem, ValidationFailed
from archive.registry import person_key, person_refs
from archive.tickets.capture import CaptureProblem, take_photo, take_signature
from schemas import dump_yaml
from schemas.base import dump
from schemas.common import TICKET_TYPE_NAMES
from schemas.registry import Person
from schemas.tickets import (
    BOX_PEOPLE,
    CHECK_BOX,
    STEP_NAMES,
    STEP_ROLES,
    TICKET_CLASSES,
    WorkTicket,
    needs_gas,
)
from storage import staging
from storage.home import make_private_dir

#: ticket number prefixes (domain.md §2.4 "Code")
CODES = {"hot_work": "DH", "confined_space": "SX", "blind_plate": "MB", "work_at_height": "GC", "lifting": "DZ",
         "temporary_power": "LD", "excavation": "DT", "road_closure": "DL", "blasting": "BP"}
#: the enterprise's boxes: signed by a person of the enterprise (所在单位, 安全管理部门, 审批 …);
#: the 用电单位 may be the contractor
CONTRACTOR_MAY_SIGN = {"用电单位"}


class StepRefused(OutsafeError):
    """A step of a 作业票 that may not be signed now: out of order, expired, closed, not this
    person's, a stale page, or a signer not identified."""


@dataclass(frozen=True)
class Signer:
    """Who signs, as picked on the phone: the registry key of a person (a keyed hash of his
    身份证号, never the number itself) and his date of birth as typed (8 digits, YYYYMMDD: the
    characters of the 身份证号 a masked number hides; :func:`archive.privacy.born_on`)."""

    person: str
    birth: str
    by_account: bool = False  # identified by the signed-in account the person owns (``outsafe user link``), not by digits


@dataclass(frozen=True)
class Capture:
    """What the phone hands in: the signature drawn on the pad (PNG) and photos from the camera."""

    signature: Path
    photos: tuple[Path, ...] = ()
    captions: tuple[str, ...] = ()


@dataclass
class StepDone:
    record_id: str
    supersedes: str | None
    step: str
    label: str
    signer: str
    signed_at: datetime

    def as_dict(self) -> dict:
        return {"record_id": self.record_id, "supersedes": self.supersedes, "step": self.step, "label": self.label,
                "signer": self.signer, "signed_at": self.signed_at.isoformat(sep=" ")}


# --- time -----------------------------------------------------------------------------------------


def now_local(archive: Any) -> datetime:
    """The archive clock's now, as the naive China time every ticket time is written in (to the second)."""
    return archive.clock.now().astimezone(CST).replace(tzinfo=None, microsecond=0)


# --- the state of a ticket --------------------------------------------------------------------------


@dataclass(frozen=True)
class Next:
    step: str
    box: str | None
    label: str  # 审批（所在单位）
    role: str  # who signs: 所在单位 / 分析人 …
    repeat: bool = False  # a gas analysis again (re-test), beside the main next step

    @property
    def key(self) -> str:
        return f"{self.step}:{self.box}" if self.box else self.step

    def as_dict(self) -> dict:
        return {"step": self.step, "box": self.box, "label": self.label, "role": self.role, "repeat": self.repeat, "key": self.key}


@dataclass
class TicketState:
    status: str  # open | expired | closed
    label: str  # 待“所在单位”审批 / 过期 / 已完工验收 …
    next: list[Next]
    plan: list[dict]  # every step of the ticket in order: label, role, done (who, when) or pending
    why_not: str = ""  # when nothing may be signed: why

    @property
    def expired(self) -> bool:
        return self.status == "expired"

    def as_dict(self) -> dict:
        return {"status": self.status, "label": self.label, "next": [n.as_dict() for n in self.next], "plan": self.plan,
                "why_not": self.why_not}


def _label(step: str, box: str | None) -> str:
    if step == "approve" and box:
        return f"审批（{box}）"
    if step == "check":
        return "验票（当班班长）"
    return STEP_NAMES[step]


def ticket_state(t: WorkTicket, now: datetime, settings: Any) -> TicketState:
    """What is done and what may be signed next, as of ``now`` (China time)."""
    cls = TICKET_CLASSES[t.ticket_type]
    order = cls.approval_order()
    steps = list(t.steps)
    kinds = [s.step for s in steps]
    approved = [s.box for s in steps if s.step == "approve"]
    receivers = list(t.briefing.receivers) if t.briefing else []
    briefed = [s.person.name for s in steps if s.step == "briefed"]
    pending = [r for r in receivers if r not in briefed]
    plan = _plan(t, order)
    if not steps:
        return TicketState("closed" if t.completion else ("expired" if t.valid_to < now else "open"),
                           "纸面签署的作业票（不在手机上办理）", [], plan, "此作业票是整份录入的，不能在手机上逐步签署 (entered as a whole)")
    if "close" in kinds:
        return TicketState("closed", "已完工验收", [], plan, "作业票已完工验收，不能再签 (the ticket is closed)")
    gas = Next("gas", None, "气体分析" + ("（复测）" if "gas" in kinds else ""), "分析人", repeat=True)
    main: Next | None
    if "measures" not in kinds:
        main, gas = Next("measures", None, STEP_NAMES["measures"], "安全交底人"), None
    elif pending:
        main = Next("briefed", None, f"接受安全交底（尚有 {len(pending)} 人）", "接受交底人")
    elif needs_gas(t) and "gas" not in kinds and not approved:
        main, gas = Next("gas", None, "气体分析", "分析人"), None
    elif len(approved) < len(order):
        box = order[len(approved)]
        main = Next("approve", box, _label("approve", box), box)
    elif cls.has_check() and "check" not in kinds:
        main = Next("check", CHECK_BOX, _label("check", CHECK_BOX), "当班班长")
    elif "start" not in kinds:
        main = Next("start", None, STEP_NAMES["start"], "监护人或作业负责人")
    else:
        main = Next("close", None, STEP_NAMES["close"], "验收人")
    if t.valid_to < now:
        grace = timedelta(hours=settings.completion_grace_hours)
        if "start" in kinds and main.step == "close" and now <= t.valid_to + grace:
            return TicketState("expired", "过期（待完工验收）", [main], plan)
        return TicketState("expired", "过期", [], plan,
                           f"作业票已于 {t.valid_to:%Y-%m-%d %H:%M} 过期，不能再签；须重新办理作业票 (the ticket expired; GB 30871—2022 4.16)")
    nexts = [main] + ([gas] if gas is not None and main.step != "gas" else [])
    return TicketState("open", f"待{main.label}", nexts, plan)


def _plan(t: WorkTicket, order: Sequence[str]) -> list[dict]:
    """Every step of the ticket, in order, with who signed it and when (or pending)."""
    cls = TICKET_CLASSES[t.ticket_type]
    rows: list[tuple[str, str | None, str | None]] = [("apply", None, None), ("measures", None, None)]
    rows += [("briefed", None, r) for r in (t.briefing.receivers if t.briefing else ())]
    rows += [("gas", None, None)]
    rows += [("approve", b, None) for b in order]
    if cls.has_check():
        rows.append(("check", CHECK_BOX, None))
    rows += [("start", None, None), ("close", None, None)]
    out = []
    used: set[int] = set()
    for step, box, who in rows:
        hits = [i for i, s in enumerate(t.steps) if i not in used and s.step == step and (box is None or s.box == box)
                and (who is None or s.person.name == who)]
        if step == "gas":
            for i in hits:
                used.add(i)
                out.append(_done(t.steps[i], "气体分析"))
            if not hits:
                out.append({"step": step, "label": "气体分析", "role": "分析人", "done": False})
            continue
        label = _label(step, box) + (f"：{who}" if who else "")
        if hits:
            used.add(hits[0])
            out.append(_done(t.steps[hits[0]], label))
        else:
            out.append({"step": step, "box": box, "label": label, "role": box or STEP_ROLES[step], "done": False})
    return out


def allowed_step(t: WorkTicket, state: TicketState, step: str, box: str | None = None) -> Next:
    """The step ``step`` (``box``) if it may be signed now, else :class:`StepRefused` saying what
    comes first (or why nothing may be signed)."""
    if not state.next:
        raise StepRefused(state.why_not)
    if step == "check":
        box = box or CHECK_BOX
    wanted = next((n for n in state.next if n.step == step and (n.box == box or step != "approve")), None)
    if wanted is not None:
        return wanted
    main = state.next[0]
    if state.expired:
        raise StepRefused(f"作业票已于 {t.valid_to:%Y-%m-%d %H:%M} 过期，只能签“{main.label}” (the ticket expired; only its acceptance remains)")
    if step == "approve" and main.step == "approve":
        order = TICKET_CLASSES[t.ticket_type].approval_order()
        raise StepRefused(f"审批须依次签字：现在应由“{main.box}”签字，不能先签“{box}”"
                          f"（顺序：{'→'.join(order)}） (approvals in order: {main.box} signs now)")
    what = _label(step, box) if step in STEP_NAMES else str(step)[:20]
    raise StepRefused(f"现在应签“{main.label}”，不能签“{what}” (out of order: {main.label} comes first)")


def _done(s: Any, label: str) -> dict:
    return {"step": s.step, "box": s.box, "label": label, "role": s.label, "done": True, "name": s.person.name,
            "at": s.signed_at.isoformat(sep=" "), "identified_by": s.identified_by, "account": s.account,
            "opinion": s.opinion, "signature": s.signature.file, "photos": [p.file for p in s.photos]}


# --- who may sign a step ----------------------------------------------------------------------------


def candidates(archive: Any, t: Any, step: str, box: str | None = None) -> list[Person]:
    """The registered people who may sign ``step`` (and ``box``) of ticket ``t`` (a WorkTicket, or
    for the application a mapping with ``enterprise`` and ``contractor``)."""
    reg = archive.registry()
    enterprise = getattr(t, "enterprise", None) or t["enterprise"]
    contractor = getattr(t, "contractor", None) or t["contractor"]
    ours, theirs = reg.persons_of(enterprise), reg.persons_of(contractor)
    if step in ("apply", "measures", "gas"):
        return _unique(ours + theirs)
    if step == "approve" and box in BOX_PEOPLE:
        return _named(reg, [getattr(t, BOX_PEOPLE[box], None)])
    if step in ("approve", "check", "close"):
        return _unique(ours + (theirs if box in CONTRACTOR_MAY_SIGN else []))
    if step == "start":
        return _named(reg, [t.guardian, t.leader])
    if step == "briefed":
        signed = {s.person.name for s in t.steps if s.step == "briefed"}
        wanted = [r for r in (t.briefing.receivers if t.briefing else ()) if r not in signed]
        return [p for p in _named(reg, list(ticket_people(t))) if p.name in wanted]
    return []


def ticket_people(t: Any):
    """Every person named on the ticket (PersonRefs: leader, guardian, workers, hot workers …)."""
    seen: set[str] = set()
    for _path, ref in person_refs(t):
        if _path.startswith("steps"):
            continue
        k = (ref.id_number or ref.name).upper()
        if k not in seen:
            seen.add(k)
            yield ref


def _named(reg: Any, refs: Sequence[Any]) -> list[Person]:
    out = []
    for ref in refs:
        if ref is not None and ref.id_number:
            p = reg.person(ref.id_number)
            if p is not None:
                out.append(p)
    return _unique(out)


def _unique(people: list[Person]) -> list[Person]:
    seen: set[str] = set()
    out = []
    for p in people:
        if p.id_number.upper() not in seen:
            seen.add(p.id_number.upper())
            out.append(p)
    return out


def key_of(archive: Any, p: Person) -> str:
    """The opaque key a page uses for a person (a keyed hash of the 身份证号)."""
    return person_key(archive.secret, p.id_number)


# --- identification -----------------------------------------------------------------------------------


def identify(archive: Any, people: Sequence[Person], signer: Signer, *, ticket_no: str, account: str,
             address: str | None = None) -> tuple[Person, str]:
    """The person among ``people`` the phone picked and how he was identified: by the signed-in
    account when it is his own (``Signer.by_account``; the account linked to him by ``outsafe user
    link``), else by his date of birth typed on the phone (what his masked 身份证号 hides; the last
    four characters it shows proved nothing) — wrong dates are counted and logged, and too many
    pause identification."""
    if signer.by_account:
        mine = account_person(archive, account)
        person = next((p for p in people if key_of(archive, p) == signer.person), None)
        if mine is None:
            raise StepRefused("当前登录账号没有关联人员，请选择签字人并输入其出生日期 "
                              "(this account belongs to no registered person; pick the signer and type his date of birth)")
        if person is None or mine != signer.person:
            raise StepRefused("登录账号的本人不是这一步的签字人：请把手机交给签字人，由他选择自己并输入出生日期 "
                              "(the account's person may not sign this step; hand the phone to the signer)")
        return person, "登录账号"
    s = archive.settings
    since = utc_stamp(archive.clock.now() - timedelta(minutes=s.ticket_identify_window_minutes))
    failures = archive.catalog.access_log.entries(account=account, action="ticket_identify_failed", target=ticket_no, since=since)
    if len(failures) >= s.ticket_identify_max_failures:
        raise StepRefused(f"身份核验失败次数过多，请 {s.ticket_identify_window_minutes} 分钟后再试 "
                          f"(too many wrong dates of birth; identification paused for {s.ticket_identify_window_minutes} minutes)")
    person = next((p for p in people if key_of(archive, p) == signer.person), None)
    if person is None:
        raise StepRefused("所选人员不是这一步的签字人，请从名单中选择 (choose the signer from the list of this step)")
    if not born_on(person.id_number.upper(), signer.birth):
        audit.record(archive, "ticket_identify_failed", account=account, target=ticket_no, address=address,
                     detail={"name": person.name})
        left = s.ticket_identify_max_failures - len(failures) - 1
        raise StepRefused(f"{person.name}的出生日期不符 (the date of birth does not match)"
                          + (f"；还可再试 {left} 次" if left > 0 else f"；已暂停 {s.ticket_identify_window_minutes} 分钟"))
    return person, "出生日期"


# --- reading tickets ------------------------------------------------------------------------------------


def latest_row(archive: Any, scope: Any, record_id: str) -> dict:
    """The current version of the ticket of which ``record_id`` is any version (within ``scope``)."""
    row = scope.record(archive, record_id)
    if row["type"] != "work_ticket":
        raise NotFound(f"记录 {row['id']} 不是作业票 (not a work ticket)")
    seen = 0
    while (newer := archive.catalog.superseded_by(row["id"])) is not None and seen < 10_000:
        row = scope.record(archive, newer)
        seen += 1
    return row


def load_ticket(archive: Any, row: dict) -> WorkTicket:
    return archive.load_record(row)


@dataclass
class TicketSummary:
    id: str
    ticket_no: str
    ticket_type: str
    title: str
    location: str
    content: str
    valid_from: str
    valid_to: str
    status: str
    label: str
    next: str
    mine: bool
    steps: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


LIST_KINDS = {"open": "办理中", "mine": "我经手的", "expired": "已过期", "closed": "已完工"}


@dataclass
class TicketList:
    which: str
    rows: list[TicketSummary]
    counts: dict[str, int]

    def as_dict(self) -> dict:
        return {"which": self.which, "counts": self.counts, "tickets": [r.as_dict() for r in self.rows]}


def ticket_list(archive: Any, scope: Any, *, which: str = "open", account: str = "") -> TicketList:
    """The tickets signed on a phone within ``scope``: open (办理中), mine (a step carried by
    ``account``), expired (过期, not closed), closed (已完工) — newest first."""
    if which not in LIST_KINDS:
        raise ValidationFailed([Problem("which", f"未知的列表 {which[:20]} (unknown list); 可用: {', '.join(LIST_KINDS)}")])
    now = now_local(archive)
    # the tickets signed step by step, found by their facts (``phone`` links: archive.facts.derive):
    # a ticket filed whole is never read — the archive's other tickets cost nothing here
    facts, within = archive.catalog.facts, scope.enterprise
    keys = [within, ""] if within is not None else facts.keys("phone")  # "": a ticket that names no enterprise
    rows = facts.linked("phone", keys, types=["work_ticket"], current_only=True, with_data=True, within=within)
    all_: list[TicketSummary] = []
    for row in rows:
        t = load_ticket(archive, row)
        st = ticket_state(t, now, archive.settings)
        all_.append(TicketSummary(
            id=row["record_id"], ticket_no=t.ticket_no, ticket_type=t.ticket_type, title=f"{TICKET_TYPE_NAMES[t.ticket_type]}安全作业票",
            location=t.location, content=t.content, valid_from=t.valid_from.isoformat(sep=" ", timespec="minutes"),
            valid_to=t.valid_to.isoformat(sep=" ", timespec="minutes"), status=st.status, label=st.label,
            next=st.next[0].label if st.next else "", mine=any(s.account == account for s in t.steps), steps=len(t.steps)))
    all_.sort(key=lambda r: (r.valid_from, r.id), reverse=True)
    pick = {"open": lambda r: r.status == "open", "mine": lambda r: r.mine, "expired": lambda r: r.status == "expired",
            "closed": lambda r: r.status == "closed"}
    counts = {k: sum(1 for r in all_ if f(r)) for k, f in pick.items()}
    return TicketList(which, [r for r in all_ if pick[which](r)], counts)


def ticket_view(archive: Any, row: dict) -> dict:
    """A ticket as its page shows it (names, never 身份证号): the header, its state and next steps,
    every step done with who signed, when, how identified, the files of its signatures and photos."""
    t = load_ticket(archive, row)
    st = ticket_state(t, now_local(archive), archive.settings)
    files = {f["name"]: f["sha256"] for f in archive.catalog.record_files(row["id"])}
    pdf = any(f["role"] == "pdf" for f in archive.catalog.record_files(row["id"]))
    hhmm = "%Y-%m-%d %H:%M"
    return {
        "id": row["id"], "ticket_no": t.ticket_no, "ticket_type": t.ticket_type, "type_name": TICKET_TYPE_NAMES[t.ticket_type],
        "title": f"{TICKET_TYPE_NAMES[t.ticket_type]}安全作业票" if t.ticket_type != "blasting" else "爆破作业许可单",
        "location": t.location, "content": t.content, "applicant_unit": t.applicant_unit,
        "applied_at": t.applied_at.strftime(hhmm), "valid_from": t.valid_from.strftime(hhmm), "valid_to": t.valid_to.strftime(hhmm),
        "grade": getattr(t, "grade", None), "leader": t.leader.name, "guardian": t.guardian.name,
        "workers": [w.name for w in t.workers], "hot_workers": [w.name for w in getattr(t, "hot_workers", ())],
        "project": t.project, "phone": bool(t.steps), **st.as_dict(), "files": files, "pdf": pdf,
        "gas_samples": [{"taken_at": g.taken_at.strftime(hhmm), "kind": g.kind, "gas": g.gas, "result": g.result, "unit": g.unit,
                         "location": g.location, "analyst": g.analyst} for g in t.gas_samples],
    }


def next_ticket_no(archive: Any, ticket_type: str) -> str:
    """The next free number of the year for ``ticket_type``: ``DH-2026-0138`` after ``DH-2026-0137``."""
    code = CODES.get(ticket_type, "ZY")
    year = now_local(archive).year
    pat = re.compile(rf"^{code}-{year}-(\d+)$")
    top = 0
    for row in archive.catalog.list_records(types=["work_ticket"], subtype=ticket_type, current_only=False):
        m = pat.match(row.get("doc_no") or "")
        if m:
            top = max(top, int(m.group(1)))
    return f"{code}-{year}-{top + 1:04d}"


# --- what a phone's forms offer ----------------------------------------------------------------------------


def person_choice(archive: Any, p: Person, units: dict[str, str] | None = None) -> dict:
    """A person as a form offers him: an opaque key, the name, the unit (never the 身份证号)."""
    return {"key": key_of(archive, p), "name": p.name, "unit": (units or {}).get(p.employer, p.employer),
            "roles": list(getattr(p, "roles", ()) or ())}


def _unit_names(archive: Any) -> dict[str, str]:
    return {r["key"]: r["name"] for r in archive.catalog.list_registry("organization")}


def application_form(archive: Any, ticket_type: str) -> dict:
    """What the application page offers: the enterprise's projects (with their contractors), the
    people of the enterprise and of those contractors, the next number, default times."""
    if ticket_type not in TICKET_CLASSES:
        raise ValidationFailed([Problem("type", f"未知的作业类别 {str(ticket_type)[:20]} (unknown ticket type)")])
    reg = archive.registry()
    units = _unit_names(archive)
    owner = archive.owner_uscc
    projects = []
    for row in archive.catalog.list_registry("project"):
        ent, _, code = row["key"].rpartition("/")
        if ent != owner:
            continue
        proj = reg.project(ent, code)
        if proj is not None:
            projects.append({"code": proj.code, "name": proj.name, "contractor": proj.contractor,
                             "contractor_name": units.get(proj.contractor, proj.contractor),
                             "dangerous_work": list(proj.dangerous_work)})
    contractors = sorted({p["contractor"] for p in projects})
    people = []  # the contractors' people first: most of a ticket's people are theirs
    for c in contractors:
        people += [person_choice(archive, p, units) for p in reg.persons_of(c)]
    people += [person_choice(archive, p, units) for p in reg.persons_of(owner)]
    now = now_local(archive)
    start = (now + timedelta(minutes=40)).replace(second=0)
    start = start.replace(minute=start.minute - start.minute % 10)
    return {"ticket_type": ticket_type, "type_name": TICKET_TYPE_NAMES[ticket_type], "ticket_no": next_ticket_no(archive, ticket_type),
            "projects": projects, "people": people, "enterprise": owner, "enterprise_name": units.get(owner, owner),
            "valid_from": start.isoformat(timespec="minutes"), "valid_to": (start + timedelta(hours=8)).isoformat(timespec="minutes"),
            "types": [{"key": k, "name": v} for k, v in TICKET_TYPE_NAMES.items()]}


def step_form(archive: Any, t: WorkTicket, step: str, box: str | None) -> dict:
    """What a step's page offers: who may sign (people to pick), the ticket's people (receivers,
    确认人), the form's standard measures, the rules a reading is judged by."""
    from archive.tickets.measures import standard_measures

    units = _unit_names(archive)
    named = list(ticket_people(t))
    s = archive.settings
    workers = {r.name for r in (*t.workers, *getattr(t, "hot_workers", ()), *getattr(t, "blasters", ()))}
    out = {
        "people": [person_choice(archive, p, units) for p in candidates(archive, t, step, box)],
        "ticket_people": [r.name for r in named],
        "default_receivers": [r.name for r in named if r.name in workers],
        "measures": list(standard_measures(t.ticket_type)),
        "guardian": t.guardian.name,
        "now": now_local(archive).isoformat(timespec="minutes"),
        "gas_rules": [
            f"取样时间距作业开始（{t.valid_from:%m月%d日 %H:%M}）不超过 {s.gas_sample_max_minutes:g} 分钟，且在作业开始之前",
            f"氧含量 {s.oxygen_min_pct:g}%–{s.oxygen_max_pct:g}%（体积分数）",
            f"可燃气体：爆炸下限≥4% 时 ≤{s.flammable_max_pct_high_lel:g}%，<4% 时 ≤{s.flammable_max_pct_low_lel:g}%（体积分数）",
        ],
        "needs_gas": needs_gas(t),
    }
    return out


# --- signing a step ------------------------------------------------------------------------------------


def _stamp(dt: datetime) -> str:
    return dt.isoformat(sep=" ", timespec="seconds")


def _ref(p: Person, certificate_no: str | None = None) -> dict:
    out: dict[str, Any] = {"name": p.name, "id_number": p.id_number}
    if certificate_no:
        out["certificate_no"] = certificate_no
    return out


def _by_key(archive: Any, people: Sequence[Person], key: Any, what: str) -> Person:
    p = next((p for p in people if key_of(archive, p) == key), None)
    if p is None:
        raise ValidationFailed([Problem(what, "请从登记的人员中选择 (choose a registered person)")])
    return p


def _people_fields(archive: Any, header: dict, ticket_type: str) -> dict:
    """The ticket's people, picked on the phone by person key, as the records' PersonRefs (with the
    certificate number the form prints, from the registered certificate that covers the work)."""
    reg = archive.registry()
    pool = _unique(reg.persons_of(header["enterprise"]) + reg.persons_of(header["contractor"]))
    out = dict(header)
    problems: list[Problem] = []
    cls = TICKET_CLASSES[ticket_type]
    needs = {n.field: n for n in CERT_NEEDS.get(ticket_type, ())}
    start, end = header.get("valid_from"), header.get("valid_to")
    for info_name in _person_fields(cls):
        value = header.get(info_name)
        if value is None:
            continue
        keys = value if isinstance(value, list) else [value]
        refs = []
        for i, k in enumerate(keys):
            path = f"{info_name}[{i}]" if isinstance(value, list) else info_name
            try:
                p = _by_key(archive, pool, k, path)
            except ValidationFailed as e:
                problems.extend(e.problems)
                continue
            cert = None
            need = needs.get(info_name)
            if need is not None and isinstance(start, datetime) and isinstance(end, datetime):
                c, _why = best_cert_problem(p, need, start.date(), end.date())
                cert = c.number if c is not None else None
            refs.append(_ref(p, cert))
        out[info_name] = refs if isinstance(value, list) else (refs[0] if refs else None)
    if problems:
        raise ValidationFailed(problems)
    return out


def _person_fields(cls: type) -> list[str]:
    from schemas.base import field_infos
    from schemas.common import PersonRef

    return [i.name for i in field_infos(cls) if (i.item if i.is_list else i.type) is PersonRef]


def apply_ticket(archive: Any, header: dict, signer: Signer, capture: Capture, *, account: str,
                 address: str | None = None) -> StepDone:
    """Step 1, 作业申请: a new ticket from ``header`` (the form's header fields as in a case file;
    its people given as person keys), signed by the applicant. Sealed as a new record."""
    tt = header.get("ticket_type")
    if tt not in TICKET_CLASSES:
        raise ValidationFailed([Problem("ticket_type", f"未知的作业类别 {str(tt)[:20]} (unknown ticket type)")])
    owner = archive.owner_uscc
    if header.get("enterprise") != owner:
        raise StepRefused("只能在本单位的档案中申请本单位的作业票 (apply for tickets of this archive's enterprise only)")
    now = now_local(archive)
    data = {"type": "work_ticket", **_people_fields(archive, _parsed_times(header), tt)}
    data["applied_at"] = _stamp(now)
    people = candidates(archive, data, "apply")
    person, how = identify(archive, people, signer, ticket_no=str(data.get("ticket_no") or ""), account=account, address=address)
    return _seal_step(archive, None, data, "apply", None, person, now, signer, capture, account=account, opinion=None, how=how)


def _parsed_times(header: dict) -> dict:
    out = dict(header)
    for k in ("valid_from", "valid_to"):
        v = out.get(k)
        if isinstance(v, str) and v.strip():
            try:
                out[k] = datetime.fromisoformat(v.strip().replace("T", " "))
            except ValueError:
                raise ValidationFailed([Problem(k, f"时间格式无效 (not a valid date-time): {v[:30]}，应为 YYYY-MM-DD HH:MM")]) from None
    return out


def sign_step(archive: Any, scope: Any, record_id: str, step: str, fields: dict, signer: Signer, capture: Capture, *,
              account: str, box: str | None = None, version: str | None = None, address: str | None = None) -> StepDone:
    """Sign ``step`` (``box`` for an approval) of the ticket of which ``record_id`` is a version;
    ``version`` is the version the phone showed (a newer one refuses: someone signed meanwhile).
    ``fields``: what the step fills — measures: risk_identification, measures [{text, involved,
    confirmed_by}], other_measures, receivers [names]; gas: readings [{taken_at, kind, gas, result,
    unit, lel_pct, location}]; every step: opinion."""
    row = latest_row(archive, scope, record_id)
    if version is not None and version != row["id"]:
        raise StepRefused("该作业票刚有人签过，页面已不是最新，请刷新后再签 (the ticket changed since this page was loaded; reload)")
    t = load_ticket(archive, row)
    if row["origin"] != archive.owner_uscc or t.enterprise != archive.owner_uscc:
        raise StepRefused("此作业票不属于本档案的单位，只能在其本单位的档案中办理 (continue a ticket in its own enterprise's archive)")
    now = now_local(archive)
    wanted = allowed_step(t, ticket_state(t, now, archive.settings), step, box)
    box = wanted.box
    people = candidates(archive, t, step, box)
    if not people:
        raise StepRefused(f"没有可签“{wanted.label}”的登记人员：先登记人员 (no registered person may sign this step)")
    person, how = identify(archive, people, signer, ticket_no=t.ticket_no, account=account, address=address)
    data = {"type": "work_ticket", **dump(t)}
    opinion = (fields.get("opinion") or "").strip() or None
    _fill(archive, t, data, step, box, person, now, fields, opinion)
    return _seal_step(archive, row, data, step, box, person, now, signer, capture, account=account, opinion=opinion, how=how)


def _fill(archive: Any, t: WorkTicket, data: dict, step: str, box: str | None, person: Person, now: datetime,
          fields: dict, opinion: str | None) -> None:
    """What ``step`` writes on the form, besides its signed step."""
    at = _stamp(now)
    if step in ("approve", "check"):
        data["approvals"] = list(data.get("approvals") or []) + [
            {"box": box, "name": person.name, "unit": None, "signed_at": at, "opinion": opinion}]
    elif step == "close":
        data["completion"] = {"by": person.name, "at": at, "opinion": opinion}
    elif step == "measures":
        names = {r.name for r in ticket_people(t)}
        receivers = [r for r in fields.get("receivers") or [] if r]
        bad = [r for r in receivers if r not in names]
        problems = [Problem("briefing.receivers", f"{r[:20]} 不是本票的人员 (not a person named on the ticket)") for r in bad]
        measures = []
        for i, m in enumerate(fields.get("measures") or []):
            text = (m.get("text") or "").strip()
            if not text:
                continue
            involved = bool(m.get("involved"))
            confirmed = (m.get("confirmed_by") or "").strip() or None
            if confirmed is not None and confirmed not in names | {person.name}:
                problems.append(Problem(f"measures[{i}].confirmed_by", f"确认人 {confirmed[:20]} 不是本票的人员 (not on the ticket)"))
            measures.append({"text": text, "involved": involved, "confirmed_by": confirmed if involved else None})
        if problems:
            raise ValidationFailed(problems)
        data["risk_identification"] = (fields.get("risk_identification") or "").strip() or None
        data["measures"] = measures
        data["other_measures"] = (fields.get("other_measures") or "").strip() or None
        data["briefing"] = {"by": person.name, "receivers": receivers}
    elif step == "gas":
        readings = []
        problems = []
        for i, r in enumerate(fields.get("readings") or []):
            if not str(r.get("result") or "").strip():
                continue
            taken = (r.get("taken_at") or "").strip() or at
            try:
                when = datetime.fromisoformat(taken.replace("T", " "))
            except ValueError:
                problems.append(Problem(f"readings[{i}].taken_at", f"时间格式无效 (not a valid time): {taken[:30]}"))
                continue
            if when > now:
                problems.append(Problem(f"readings[{i}].taken_at", "取样时间晚于现在 (a reading from the future)"))
            reading = {"taken_at": _stamp(when), "kind": r.get("kind"), "gas": (r.get("gas") or "").strip(), "result": r.get("result"),
                       "unit": r.get("unit") or "%", "lel_pct": r.get("lel_pct") or None, "limit": r.get("limit") or None,
                       "location": (r.get("location") or "").strip() or None, "analyst": person.name}
            for k in ("result", "lel_pct", "limit"):
                v = reading[k]
                if isinstance(v, str):
                    try:
                        reading[k] = float(v)
                    except ValueError:
                        problems.append(Problem(f"readings[{i}].{k}", f"应为数字 (not a number): {v[:20]}"))
            readings.append(reading)
        if not readings and not problems:
            problems.append(Problem("readings", "至少填写一项分析结果 (enter at least one reading)"))
        if problems:
            raise ValidationFailed(problems)
        data["gas_samples"] = list(data.get("gas_samples") or []) + readings


def _seal_step(archive: Any, row: dict | None, data: dict, step: str, box: str | None, person: Person, now: datetime,
               signer: Signer, capture: Capture, *, account: str, opinion: str | None, how: str = "出生日期") -> StepDone:
    """Check what the phone sent, add the step to ``data`` and seal it (superseding ``row``)."""
    s = archive.settings
    problems: list[Problem] = []
    try:
        take_signature(capture.signature, s.ticket_signature_max_bytes)
    except CaptureProblem as e:
        problems.append(Problem("signature", str(e)))
    if len(capture.photos) > s.ticket_step_max_photos:
        problems.append(Problem("photos", f"照片至多 {s.ticket_step_max_photos} 张 (at most {s.ticket_step_max_photos} photos)"))
    facts = []
    for i, ph in enumerate(capture.photos[: s.ticket_step_max_photos]):
        try:
            facts.append(take_photo(ph))
        except CaptureProblem as e:
            problems.append(Problem(f"photos[{i}]", str(e)))
    if problems:
        raise ValidationFailed(problems)
    index = len(data.get("steps") or []) + 1
    files: dict[str, Path] = {}
    sig_name = f"sig-{index:02d}-{step}.png"
    files[sig_name] = capture.signature
    photos = []
    for k, (ph, f) in enumerate(zip(capture.photos, facts), 1):
        name = f"photo-{index:02d}-{k}{'.png' if f.media_type == 'image/png' else '.jpg'}"
        files[name] = ph
        caption = (capture.captions[k - 1] if k - 1 < len(capture.captions) else "").strip() or f"{_label(step, box)}现场照片"
        photos.append({"file": name, "caption": caption[:200], "taken_at": _stamp(f.taken_at) if f.taken_at else None,
                       "latitude": f.latitude, "longitude": f.longitude})
    data["steps"] = list(data.get("steps") or []) + [{
        "step": step, "box": box, "person": _ref(person), "signed_at": _stamp(now), "signature": {"file": sig_name},
        "photos": photos, "identified_by": how, "account": account, "opinion": opinion,
    }]
    if row is not None:
        for f in archive.catalog.record_files(row["id"]):
            if f["role"] == "photo" and f["name"] not in files:
                files[f["name"]] = archive.blobs.path_for(f["sha256"])
    label = _label(step, box)
    note = f"作业票办理：{label}，{STEP_ROLES[step] if step not in ('approve', 'check') else box} {person.name} 签字"
    rid = _store(archive, data, files, supersedes=row["id"] if row else None, note=note)
    return StepDone(rid, row["id"] if row else None, step, label, person.name, now)


def _store(archive: Any, data: dict, files: dict[str, Path], *, supersedes: str | None, note: str) -> str:
    """The new version through the whole pipeline of ``case add`` (a case file and its images in a
    private staging folder, claimed while it lives: it holds 身份证号 in clear)."""
    tmp = archive.home.tmp_dir
    folder = tmp / f"ticket-step-{secrets.token_hex(8)}"
    with staging.claim(tmp, folder):
        make_private_dir(folder)
        for name, src in files.items():
            dst = folder / name
            try:
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)
        case = folder / f"{data.get('ticket_no') or 'ticket'}.yaml".replace("/", "_")
        case.write_text(dump_yaml(data), encoding="utf-8")
        try:
            report = archive.add_files([case], supersedes=supersedes, note=note if supersedes else None,
                                       expect="work_ticket", notify=lambda msg: None)
        except ValidationFailed as e:
            if any("已被" in p.message and "更正" in p.message for p in e.problems):
                raise StepRefused("该作业票刚有人签过，请刷新后再签 (someone signed this ticket meanwhile; reload)") from e
            raise ValidationFailed([_plain(p, folder) for p in e.problems], "未签成：" + e.message) from None
        if report.failed:
            raise StepRefused(f"文书生成失败，未签成 (the document could not be made; nothing was signed): {report.failed[0][1]}")
    return report.added[0].id


def _plain(p: Problem, folder: Path) -> Problem:
    """A problem without the server's staging path."""
    import dataclasses

    return dataclasses.replace(p, file="", message=p.message.replace(str(folder) + os.sep, ""))


__all__ = [
    "StepRefused", "Signer", "Capture", "StepDone", "Next", "TicketState", "TicketList", "TicketSummary", "LIST_KINDS",
    "ticket_state", "allowed_step", "candidates", "identify", "key_of", "latest_row", "load_ticket", "ticket_list", "next_ticket_no",
    "apply_ticket", "sign_step", "now_local", "ticket_people", "application_form", "step_form", "person_choice",
    "ticket_view",
]
