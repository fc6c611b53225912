"""The facts of one record, derived from its sealed data alone (and the archive's secret, for the
keyed hash of people): what :class:`storage.interfaces.FactStore` keeps for the views.

    facts = record_facts(row, secret)       # storage.rows.NewFacts

A fact row holds the record's type, key, own day and correction, and ``info``: the few values the
views read without loading the record. Its *links* say what the record concerns, as (role, key):

    home        the enterprise whose records it belongs to: the ``enterprise`` column (the
                enterprise, or the unit of an enforcement document; equipment: the enterprise
                where it is used, else its owner); "" when it has none. Every record has exactly
                one: the whole-archive views stream home by home.
    enterprise  the enterprise named by the record (its enterprise or unit field)
    contractor  a contractor named by the record: its contractor field, and the contractor of each
                item of a 责令限期整改指令书
    project     ENTERPRISE/CODE of the project it belongs to (a project: itself)
    person      the keyed hash of each 身份证号 it names (people on tickets, rosters, cards …)
    expires     the day (ISO) a licence or qualification of an organization, or a certificate of a
                person, expires (the dashboard's "expiring in 30/60/90 days")
    due         each day (ISO) something the reminders list comes due: those expiries, a
                certificate's review (复审) day, the end of a safety agreement's term
    self        a registry entity's own key (USCC, person key, ENTERPRISE/CODE)
    employer    a person's employer          name      a person's name
    owner       equipment's owner            subject   a blacklisted unit
    listing     LISTED_BY/ENTRY_NO of a blacklist entry, and of the removal that ends it
    origin      the archive that sealed an organization's record (whose contractor list it is on)
    phone       a 作业票 signed step by step (on a phone): its enterprise
    order       the 文书号 of the order a 整改复查意见书 reviews
    inspection  the 文书号 of the 现场检查记录 an order rests on

``info`` by type (JSON; absent keys are None):

    organization      role, industry
    person            name, employer
    project           enterprise, contractor, start, dangerous_work
    work_ticket       confined-space tickets: space (the space's name without its description),
                      enterprise, project
    confined_space_register   enterprise, spaces (their names)
    campaign_report / campaign_table   kind, year, enterprise, bureau, issued_on
    blacklist_entry   list, listed_by, entry_no, start, end
    rectification_order        items: [contractor, deadline] per item; texts: each item's text
    hazard            texts: [its description]
    equipment         owner, enterprise, project
    inspection_record texts: each finding's text

A record the check's rules read many of — a 作业票, a 三级安全教育登记卡 — also has a *brief*: its
sealed JSON without the long lists the rules never read (:data:`BRIEFED`: a ticket's safety
measures, gas tests and approvals; a card's three levels' contents), two thirds of its bytes and
most of its objects. The check loads such a record from its brief (:mod:`archive.checks.world`); a
field the brief left out is loaded from the sealed record when it is read after all
(:class:`archive.facts.records.Withheld`). Only a record whose sealed data fits today's classes
has one (one that does not is left out of what the rules judge, and must be loaded to be named).

The derivation has a version (:func:`version`: :data:`VERSION` and the digest of the classes a
brief was judged to fit): facts derived by another version are rebuilt.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from archive.registry import person_key
from archive.facts.records import record_class
from schemas import TYPES, meta_of
from schemas.columns import dotted
from schemas.sealed import sealed_object, shape_digest
from schemas.tickets import TICKET_CLASSES, work_begun_on
from storage.rows import NewFacts, RecordRow

VERSION = "7"  # 2: belongs (whose scope a record is in); 3: work_from of confined-space tickets; 4: due;
# 5: the texts of enforcement findings, equipment's owner and place (a contractor's check reads only
# the confined-space findings and the equipment it can judge); 6: phone (the 作业票 list reads only
# the tickets signed step by step, not every ticket of the archive)
# 7: brief (the record's data without the lists the rules never read)

# type → the fields a brief leaves out; a confined-space ticket has none (CS-2 reads its approvals and
# gas tests): the rules read every field of it
BRIEFED: dict[str, tuple[str, ...]] = {"work_ticket": ("measures", "gas_samples", "approvals"), "training_record": ("levels",)}
UNBRIEFED_SUBTYPES = frozenset({"confined_space"})


@cache
def version() -> str:
    """The version of the facts this program derives: :data:`VERSION`, and the digest of the shape
    of the classes that judged which records fit (those have briefs; :func:`schemas.sealed.shape_digest`)."""
    classes = [c for t in BRIEFED for c in (TICKET_CLASSES.values() if t == "work_ticket" else [TYPES[t]])]
    return f"{VERSION}+{shape_digest(classes)[:12]}"


def withheld(type_: str, subtype: str | None) -> tuple[str, ...]:
    """The fields the brief of a record of ``type_`` (``subtype``) leaves out; () when it has no brief."""
    if subtype in UNBRIEFED_SUBTYPES:
        return ()
    return BRIEFED.get(type_, ())


def record_brief(type_: str, subtype: str | None, data: Any) -> str | None:
    """The brief of a record (its sealed ``data`` parsed): that JSON without :func:`withheld`'s
    fields, or None (no brief for its type, or data that does not fit today's class)."""
    left_out = withheld(type_, subtype)
    cls = record_class(type_, subtype) if left_out else None
    if cls is None or not isinstance(data, dict) or not sealed_object(cls, data)[1]:
        return None
    return json.dumps({k: v for k, v in data.items() if k not in left_out}, ensure_ascii=False, separators=(",", ":"))


def _people(value: Any, out: set[str], secret: bytes, top: bool = True) -> None:
    """The keyed hashes of every 身份证号 in nested data (a person record's own number excepted)."""
    if isinstance(value, dict):
        number = value.get("id_number")
        if isinstance(number, str) and number.strip() and not top:
            out.add(person_key(secret, number))
        for v in value.values():
            if isinstance(v, dict | list):
                _people(v, out, secret, False)
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict | list):
                _people(v, out, secret, False)


def _days(items: Any, field: str) -> set[str]:
    """The days (ISO) in ``field`` of each mapping among ``items`` that has one."""
    if not isinstance(items, list):
        return set()
    return {it[field][:10] for it in items if isinstance(it, dict) and isinstance(it.get(field), str) and it[field]}


def _texts(items: Any, field: str) -> list[str]:
    """The text in ``field`` of each mapping among ``items`` that has one."""
    if not isinstance(items, list):
        return []
    return [it[field] for it in items if isinstance(it, dict) and isinstance(it.get(field), str)]


def space_stem(space_name: str) -> str:
    """The space a confined-space ticket names, without its parenthesised description."""
    return re.split(r"[（(]", space_name if isinstance(space_name, str) else "", maxsplit=1)[0].strip()


def _text(value: Any) -> str | None:
    """A link's key from sealed data: a text, or None (data sealed in an older shape may hold a
    number, a list or a mapping there — no key, and no failure: the facts of every record derive)."""
    return value if isinstance(value, str) and value else None


def record_facts(row: RecordRow | dict, secret: bytes, seq: int | None = None) -> NewFacts:
    """The facts of the catalog row ``row`` (``seq``: when the row does not carry it yet)."""
    t = row["type"]
    data = json.loads(row["data"])
    if not isinstance(data, dict):
        data = {}
    home = row.get("enterprise") or (_text(data.get("enterprise")) or _text(data.get("owner")) if t == "equipment" else None)
    links: set[tuple[str, str]] = {("home", home or "")}
    info: dict[str, Any] = {}
    key: str | None = row.get("doc_no") or None
    for role in ("enterprise", "contractor", "project"):
        if row.get(role):
            links.add((role, row[role]))
    if row.get("project") and row.get("enterprise"):
        links.add(("project", f"{row['enterprise']}/{row['project']}"))
    people: set[str] = set()
    if t == "organization":
        key = _text(data.get("uscc"))
        info = {"role": data.get("role"), "industry": data.get("industry")}
        links.add(("origin", row["origin"]))  # an enterprise's package registers its contractors
        ends = _days(data.get("qualifications"), "valid_to")
        links.update(("expires", d) for d in ends)
        links.update(("due", d) for d in ends)
    elif t == "person":
        number = data.get("id_number")
        key = person_key(secret, number) if isinstance(number, str) and number.strip() else None
        info = {"name": data.get("name"), "employer": data.get("employer")}
        if _text(data.get("employer")):
            links.add(("employer", data["employer"]))
        if _text(data.get("name")):
            links.add(("name", data["name"]))
        ends = _days(data.get("certificates"), "expires")
        links.update(("expires", d) for d in ends)
        links.update(("due", d) for d in ends | _days(data.get("certificates"), "next_review"))
    elif t == "project":
        key = f"{data.get('enterprise')}/{data.get('code')}"
        links.add(("project", key))
        info = {"enterprise": data.get("enterprise"), "contractor": data.get("contractor"),
                "start": dotted(data, "period.start"), "dangerous_work": data.get("dangerous_work") or []}
    elif t == "work_ticket":
        if isinstance(data.get("steps"), list) and data["steps"]:
            links.add(("phone", home or ""))
        if data.get("ticket_type") == "confined_space":
            info = {"space": space_stem(data.get("space_name") or ""), "enterprise": data.get("enterprise"), "project": data.get("project"),
                    "work_from": work_begun_on(data.get("steps") if isinstance(data.get("steps"), list) else ())}
    elif t == "safety_agreement":
        links.update(("due", d) for d in _days([data.get("term")], "end"))
    elif t == "confined_space_register":
        info = {"enterprise": data.get("enterprise"),
                "spaces": [sp["name"].strip() for sp in (data.get("spaces") if isinstance(data.get("spaces"), list) else ())
                           if isinstance(sp, dict) and isinstance(sp.get("name"), str)]}
    elif t in ("campaign_report", "campaign_table"):
        info = {k: data.get(k) for k in ("kind", "year", "enterprise", "bureau", "issued_on")}
    elif t in ("blacklist_entry", "blacklist_removal"):
        if _text(data.get("subject")):
            links.add(("subject", data["subject"]))
        links.add(("listing", f"{data.get('listed_by')}/{data.get('entry_no')}"))
        if t == "blacklist_entry":
            info = {k: data.get(k) for k in ("list", "listed_by", "entry_no", "start", "end")}
    elif t == "equipment":
        info = {k: data.get(k) for k in ("owner", "enterprise", "project")}
        if _text(data.get("owner")):
            links.add(("owner", data["owner"]))
        if _text(data.get("enterprise")):
            links.add(("enterprise", data["enterprise"]))
            if _text(data.get("project")):
                links.add(("project", f"{data['enterprise']}/{data['project']}"))
    elif t == "rectification_order":
        items = [it for it in (data.get("items") if isinstance(data.get("items"), list) else ()) if isinstance(it, dict)]
        for it in items:
            if _text(it.get("contractor")):
                links.add(("contractor", it["contractor"]))
        if _text(data.get("inspection_ref")):
            links.add(("inspection", data["inspection_ref"]))
        info = {"items": [[it.get("contractor"), it.get("deadline")] for it in items], "texts": _texts(items, "text")}
    elif t == "hazard":
        info = {"texts": _texts([data], "description")}
    elif t == "inspection_record":
        info = {"texts": _texts(data.get("findings"), "text")}
    elif t == "rectification_review":
        if _text(data.get("order_doc_no")):
            links.add(("order", data["order_doc_no"]))
    if t in ("organization", "person", "project") and key:
        links.add(("self", key))
    _people(data, people, secret, top=True)
    links.update(("person", p) for p in people)
    cls = TYPES.get(t)
    registry = cls is not None and meta_of(cls).kind == "registry"
    day = row.get("doc_date")
    return NewFacts(
        seq=int(row["seq"] if seq is None else seq),
        record_id=row["id"],
        type=t,
        subtype=row.get("subtype"),
        key=key,
        day=None if registry or not day else day[:10],
        supersedes=row.get("supersedes"),
        title=row["title"],
        origin=row["origin"],
        created_at=row["created_at"],
        info=json.dumps({k: v for k, v in info.items() if v is not None}, ensure_ascii=False, separators=(",", ":")) if info else None,
        belongs=row.get("enterprise") or row["origin"],  # archive.access.scope.belongs_to
        links=sorted(links),
        brief=record_brief(t, row.get("subtype"), data),
    )
