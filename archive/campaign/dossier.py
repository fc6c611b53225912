"""One contractor's dossier across every enterprise in the archive (``outsafe contractor show``).

What an enforcement officer needs on one page: every current record of the contractor by type and
on a timeline; its licences and qualifications and its people's certificates with their expiry
(expired, or expiring within :data:`EXPIRING_DAYS` of the day judged); its blacklist listings; and
what is missing:

- ``no_agreement`` — a project without a 安全生产管理协议 (SPL 49 ¶2);
- ``untrained`` — a worker on a project's roster or on one of its tickets without a passed
  三级安全教育 card for that enterprise (SPL 28);
- ``no_ticket`` — a project whose ``dangerous_work`` names a ticket type it has no ticket of
  (GB 30871).

People are matched by the keyed hash of their 身份证号 (``archive.registry.person_key``), by name
only when a document gives no number. Numbers are masked in everything this returns.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any

from archive.errors import NotFound
from archive.facts import cache
from archive.facts.index import catch_up
from archive.registry import code_problem, person_key
from archive.search.documents import mask
from schemas import TYPES
from schemas.common import TICKET_TYPE_NAMES

EXPIRING_DAYS = 30
TICKET_PEOPLE = ("leader", "guardian", "workers", "hot_workers", "commander", "riggers", "blasters")
LIST_NAMES = {"enterprise": "企业承包商黑名单", "statutory": "安全生产严重失信主体名单"}


@dataclass
class Dossier:
    contractor: dict
    as_of: str
    enterprises: list[dict]
    counts: dict[str, int]
    timeline: list[dict]
    qualifications: list[dict]
    certificates: list[dict]
    blacklist: list[dict]
    missing: list[dict] = field(default_factory=list)

    @property
    def blacklisted(self) -> bool:
        return any(b["active"] for b in self.blacklist)

    def as_dict(self) -> dict:
        """The fields as they are: plain JSON data already (``dataclasses.asdict`` copied each of
        the busiest contractor's 30,000 values again)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["blacklisted"] = self.blacklisted
        return out

    def as_text(self) -> list[str]:
        """The dossier as text (Chinese first, English after)."""
        c = self.contractor
        out = [f"{c['name']}  {c['uscc']}  （截至 as of {self.as_of}）"]
        listed = [b for b in self.blacklist if b["active"]]
        out.append("黑名单 (blacklist): " + ("；".join(f"在{b['list_name']}中 {b['entry_no']}（{b['start']}～{b['end']}）" for b in listed)
                                            if listed else "未列入 (not listed)"))
        if self.enterprises:
            out.append("发包单位 (enterprises): " + "；".join(f"{e['name'] or ''} {e['uscc']}" for e in self.enterprises))
        out.append("记录 (records): " + "，".join(f"{_label(t)} {n}" for t, n in self.counts.items()))
        out.append("")
        out.append(f"缺失 (missing) — {len(self.missing)} 项:" if self.missing else "缺失 (missing): 无 (none)")
        out += [f"  ✗ {m['message']} [{m['source']}]" for m in self.missing]
        out.append("")
        out.append("资质与许可 (qualifications):")
        out += [f"  {_mark(q['status'])} {q['kind']} {q['number']}  {q['scope']}  有效期至 {q['valid_to'] or '长期'}{_left(q)}" for q in self.qualifications] or ["  （无 / none）"]
        out.append("人员证书 (certificates):")
        out += [f"  {_mark(x['status'])} {x['person']}  {x['kind']} {x['category']} {x['number']}  有效期至 {x['expires']}{_left(x)}"
                for x in self.certificates] or ["  （无 / none）"]
        out.append("")
        out.append(f"时间线 (timeline) — {len(self.timeline)} 份:")
        out += [f"  {(t['date'] or '')[:16]:16}  {t['title']}  {t['enterprise_name'] or t['enterprise'] or ''}  {t['id']}" for t in self.timeline]
        return out


STATUS_MARKS = {"expired": "✗ 已过期", "expiring": "! 将到期", "review_due": "! 待复审", "valid": "✓", "no_expiry": "✓"}


def _mark(status: str) -> str:
    return STATUS_MARKS.get(status, status)


def _left(item: dict) -> str:
    left = item.get("days_left")
    if left is None or item["status"] == "valid":
        return ""
    return f"（已过期 {-left} 天 / expired {-left} days ago）" if left < 0 else f"（剩 {left} 天 / {left} days left）"


def _label(type_: str) -> str:
    cls = TYPES.get(type_)
    return cls.__case__.label if cls is not None else type_


def expiry_status(expires: str | None, as_of: date) -> tuple[str, int | None]:
    """("expired" | "expiring" | "valid" | "no_expiry", days left)."""
    if not expires:
        return "no_expiry", None
    left = (date.fromisoformat(expires[:10]) - as_of).days
    if left < 0:
        return "expired", left
    if left <= EXPIRING_DAYS:
        return "expiring", left
    return "valid", left


def records_naming(catalog, uscc: str, *, types: Sequence[str] = (), since: str | None = None,
                   until: str | None = None, belongs_to: str | None = None) -> list[dict]:
    """Current records about the contractor ``uscc``: those filed under it, and the 责令限期整改指令书
    that name it item by item (an order covering several contractors) with their 整改复查意见书 —
    found through the facts (catalog.facts: the orders linked to the contractor, the reviews linked
    to those orders), so the cost follows the contractor's records, not the archive's
    (``belongs_to``: only records that belong to that enterprise, archive.access.scope). The facts
    must be caught up (archive.facts.index.catch_up). The rows come without their seal and
    signature where that saves reading them (a proof reads them, not a dossier)."""
    rows = catalog.list_records(types=types, contractor=uscc, since=since, until=until, current_only=True, belongs_to=belongs_to,
                                sealed=False)
    have = {r["id"] for r in rows}
    if types and "rectification_order" not in types:
        return rows

    def dated(ids: list[str]) -> list[dict]:
        out = [catalog.get_record(i) for i in ids if i not in have]
        return [r for r in out if r is not None and _within(r["doc_date"], since, until)]

    orders = []
    found = catalog.facts.linked("contractor", [uscc], types=["rectification_order"], current_only=True, within=belongs_to)
    for r in dated([f["record_id"] for f in found]):
        items = json.loads(r["data"]).get("items") or []
        if any(isinstance(it, dict) and it.get("contractor") == uscc for it in items):
            orders.append(r)
    doc_nos = {r["doc_no"] for r in orders}
    reviews = []
    if doc_nos and (not types or "rectification_review" in types):
        found = catalog.facts.linked("order", sorted(doc_nos), types=["rectification_review"], current_only=True, within=belongs_to)
        reviews = [r for r in dated([f["record_id"] for f in found]) if json.loads(r["data"]).get("order_doc_no") in doc_nos]
    return sorted([*rows, *orders, *reviews], key=lambda r: r["seq"])


def _within(doc_date: str | None, since: str | None, until: str | None) -> bool:
    """``list_records``' date bounds: ``until`` includes its whole day (month, year); a record
    without a date is outside any bound."""
    if not since and not until:
        return True
    if not doc_date:
        return False
    return (not since or doc_date >= since) and (not until or doc_date <= until + "\uffff")


def organization_seen(catalog: Any, uscc: str, within: str | None = None) -> dict | None:
    """The current record registering the organization ``uscc``: the registry's, or — for an
    enterprise's scope (``within``) — the latest one that belongs to that enterprise; None if none."""
    if within is None:
        reg = catalog.get_registry("organization", uscc)
        return catalog.get_record(reg["record_id"]) if reg else None
    rows = catalog.facts.keyed("organization", [uscc], within=within)
    return catalog.get_record(rows[-1]["record_id"]) if rows else None


def contractor_dossier(archive: Any, uscc: str, as_of: date | None = None, *, within: str | None = None) -> Dossier:
    """The dossier of the contractor ``uscc`` as on ``as_of`` (default: the archive's today);
    ``within``: only what belongs to that enterprise (an enterprise account's scope). Its records
    only (through the facts), kept until a record naming it, or reviewing an order that names it,
    arrives."""
    as_of = as_of or archive.clock.today()
    uscc = uscc.strip().upper()
    catalog = archive.catalog
    catch_up(archive)
    org_row = organization_seen(catalog, uscc, within)
    if org_row is None:
        hint = "查看承包单位 (list contractors): outsafe org list --role contractor"
        raise code_problem(uscc, "承包单位", hint) or NotFound(f"单位 {uscc[:40]} 未登记 (organization not registered)", hint=hint)

    def compute(deps: cache.Deps) -> dict:
        orders = catalog.facts.linked("contractor", [uscc], types=["rectification_order"])
        deps.add([uscc])  # any record linked to the contractor
        deps.add([f["key"] for f in orders if f["key"]], role="order")  # a review of an order naming it
        return _dossier(archive, uscc, org_row, as_of, within).as_dict()

    data = cache.get_or_compute(archive, cache.key(archive, "dossier", uscc, as_of, within or "", org_row["id"]), compute)
    return Dossier(**{k: v for k, v in data.items() if k != "blacklisted"})


def _dossier(archive: Any, uscc: str, org_row: dict, as_of: date, within: str | None) -> Dossier:
    catalog = archive.catalog
    org = json.loads(org_row["data"])
    day = as_of.isoformat()
    # the world as on as_of: no record formed after it, no certificate or licence issued after it
    rows = [r for r in records_naming(catalog, uscc, belongs_to=within)
            if not r["doc_date"] or r["doc_date"][:10] <= day]
    by_type: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_type[r["type"]].append(r)
    names = _org_names(rows, {r["enterprise"] for r in rows if r["enterprise"]})  # the enterprises named: all the dossier shows
    secret = archive.secret

    cases = [r for r in rows if TYPES.get(r["type"]) is None or TYPES[r["type"]].__case__.kind != "registry"]
    timeline = sorted(
        ({"date": r["doc_date"], "type": r["type"], "ticket_type": r["subtype"], "title": r["title"], "id": r["id"],
          "enterprise": r["enterprise"], "enterprise_name": names.get(r["enterprise"] or ""), "project": r["project"]}
         for r in cases),
        key=lambda x: (x["date"] or "", x["title"]),
    )
    counts = dict(Counter(r["type"] for r in rows).most_common())
    enterprises = sorted({r["enterprise"] for r in cases if r["enterprise"]})

    qualifications = []
    for q in org.get("qualifications") or ():
        if (q.get("valid_from") or "") > day:
            continue
        status, left = expiry_status(q.get("valid_to"), as_of)
        qualifications.append({**{k: q.get(k) for k in ("kind", "number", "issuer", "scope", "valid_from", "valid_to")}, "status": status, "days_left": left})

    certificates = []
    for r in by_type.get("person", []):
        p = json.loads(r["data"])
        for c in p.get("certificates") or ():
            if (c.get("issued") or "") > day:
                continue
            status, left = expiry_status(c.get("expires"), as_of)
            review = c.get("next_review")
            if status == "valid" and review and date.fromisoformat(review) <= as_of + timedelta(days=EXPIRING_DAYS):
                status = "review_due"
            certificates.append({"person": p.get("name"), "kind": c.get("kind"), "category": c.get("category"), "number": mask(c.get("number") or ""),
                                 "expires": c.get("expires"), "next_review": review, "status": status, "days_left": left})
    certificates.sort(key=lambda c: (c["expires"] or "9999", c["person"] or ""))

    blacklist = _blacklist(by_type, as_of)
    missing = _missing(by_type, secret, uscc, names)
    return Dossier(
        contractor={"uscc": uscc, "name": org.get("name"), "role": org.get("role"), "address": org.get("address"),
                    "legal_representative": org.get("legal_representative"), "record_id": org_row["id"]},
        as_of=as_of.isoformat(),
        enterprises=[{"uscc": e, "name": names.get(e)} for e in enterprises],
        counts=counts,
        timeline=timeline,
        qualifications=qualifications,
        certificates=certificates,
        blacklist=blacklist,
        missing=missing,
    )


def _org_names(rows: list[dict], wanted: set[str]) -> dict[str, str]:
    """The name of each organization in ``wanted`` as the first of ``rows`` (in their order) to
    name it recorded it. The rows' references are read in that order until every wanted one is
    found — for the busiest contractor at 10^5, a few of its 1,865 records instead of every one
    (each reference list ~3 KB of JSON)."""
    names: dict[str, str] = {}
    todo = set(wanted)
    for r in rows:
        if not todo:
            break
        for k, o in json.loads(r["refs"] or "{}").get("organizations", {}).items():
            if k not in names:
                names[k] = o.get("name")
                todo.discard(k)
    return names


def _blacklist(by_type: dict[str, list[dict]], as_of: date) -> list[dict]:
    removals = {}
    for r in by_type.get("blacklist_removal", []):
        d = json.loads(r["data"])
        removals[(d.get("list"), d.get("listed_by"), d.get("entry_no"))] = d.get("decided_on")
    out = []
    for r in by_type.get("blacklist_entry", []):
        d = json.loads(r["data"])
        removed = removals.get((d.get("list"), d.get("listed_by"), d.get("entry_no")))
        active = d["start"] <= as_of.isoformat() <= d["end"] and not (removed and removed <= as_of.isoformat())
        out.append({"list": d.get("list"), "list_name": LIST_NAMES.get(d.get("list"), d.get("list")), "entry_no": d.get("entry_no"),
                    "listed_by": d.get("listed_by"), "start": d.get("start"), "end": d.get("end"), "removed_on": removed, "active": active,
                    "id": r["id"]})
    return sorted(out, key=lambda b: b["start"] or "")


def _person_id(ref: dict, secret: bytes) -> tuple[str, str]:
    number = ref.get("id_number")
    return ("id", person_key(secret, number)) if number else ("name", ref.get("name") or "")


def _missing(by_type: dict[str, list[dict]], secret: bytes, uscc: str, names: dict[str, str]) -> list[dict]:
    out: list[dict] = []
    agreements = {(r["enterprise"], r["project"]) for r in by_type.get("safety_agreement", [])}
    contracts_with_duties = {
        (r["enterprise"], r["project"]) for r in by_type.get("outsourcing_contract", [])
        if json.loads(r["data"]).get("safety_duty_clause")
    }
    trained: dict[str, set[tuple[str, str]]] = defaultdict(set)  # enterprise -> people with a passed card
    for r in by_type.get("training_record", []):
        d = json.loads(r["data"])
        if (d.get("conclusion") or {}).get("passed") is False:
            continue
        t = d.get("trainee") or {}
        trained[r["enterprise"]].add(_person_id(t, secret))
        trained[r["enterprise"]].add(("name", t.get("name") or ""))
    tickets: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in by_type.get("work_ticket", []):
        tickets[(r["enterprise"], r["project"])].append(r)

    for r in sorted(by_type.get("project", []), key=lambda r: r["doc_no"] or ""):
        p = json.loads(r["data"])
        ent, code = p.get("enterprise"), p.get("code")
        where = {"project": code, "project_name": p.get("name"), "enterprise": ent, "enterprise_name": names.get(ent)}
        if (ent, code) not in agreements:
            note = "；合同中约定了安全生产管理职责" if (ent, code) in contracts_with_duties else ""
            out.append({"kind": "no_agreement", **where,
                        "message": f"项目 {code} 没有安全生产管理协议{note} (no safety agreement for the project)", "source": "安全生产法 第四十九条第二款"})
        people: dict[tuple[str, str], dict] = {}
        for key in ("manager", "safety_officer", "workers"):
            for ref in _refs(p.get(key)):
                people.setdefault(_person_id(ref, secret), {"name": ref.get("name"), "on": "名册 roster"})
        proj_tickets = tickets.get((ent, code), [])
        for t in proj_tickets:
            d = json.loads(t["data"])
            employers = {k: v.get("employer") for k, v in json.loads(t["refs"] or "{}").get("persons", {}).items()}
            for key in TICKET_PEOPLE:
                for ref in _refs(d.get(key)):
                    pid = _person_id(ref, secret)
                    if pid[0] == "id" and employers.get(pid[1]) not in (None, uscc):
                        continue  # an enterprise employee (e.g. its own guardian)
                    people.setdefault(pid, {"name": ref.get("name"), "on": f"作业票 {t['doc_no']}"})
        have = trained.get(ent, set())
        for pid, info in people.items():
            if pid not in have and ("name", info["name"]) not in have:
                out.append({"kind": "untrained", **where, "person": info["name"], "found_on": info["on"],
                            "message": f"{info['name']}（{info['on']}）没有{names.get(ent) or ent}的三级安全教育记录 (no three-level training record)",
                            "source": "安全生产法 第二十八条"})
        ticket_types = {t["subtype"] for t in proj_tickets}
        for tt in p.get("dangerous_work") or ():
            if tt not in ticket_types:
                out.append({"kind": "no_ticket", **where, "ticket_type": tt,
                            "message": f"项目 {code} 涉及{TICKET_TYPE_NAMES.get(tt, tt)}作业，但没有{TICKET_TYPE_NAMES.get(tt, tt)}作业票 (dangerous work without a ticket)",
                            "source": "GB 30871—2022 4.1"})
    return out


def _refs(value: Any) -> list[dict]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def contractors_seen(archive: Any, within: str | None = None) -> list[dict]:
    """The contractors registered (for ``within``: those whose registration belongs to that
    enterprise), by name: uscc, name, address."""
    catalog = archive.catalog
    if within is None:
        orgs = [json.loads(catalog.get_record(r["record_id"])["data"]) for r in catalog.list_registry("organization")]
    else:
        orgs = [json.loads(r["data"]) for r in catalog.list_records(types=["organization"], belongs_to=within, current_only=True)]
    seen: dict[str, dict] = {}
    for o in orgs:
        if o.get("role") == "contractor":
            seen[o["uscc"]] = {"uscc": o["uscc"], "name": o.get("name"), "address": o.get("address")}
    return sorted(seen.values(), key=lambda c: c["name"] or "")
