"""Looking up registered organizations, people and projects, and resolving a case's references.

The registry is a projection of the latest ``organization`` / ``person`` / ``project`` records in
the catalog (``registry`` table). A batch being added can see its own earlier registry entries
through an overlay, so ``outsafe org add a.yaml b.yaml`` and ``person add`` of a whole roster work
in one transaction-per-record run without an order dance.

People are keyed by a keyed hash of their 身份证号 (HMAC-SHA256 with the archive's own secret):
exact lookup works, the number never appears in a key, an index or a log.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from archive.errors import NotFound, Problem
from schemas import TYPES, schema_for
from schemas.base import dump, iter_values
from schemas.common import PersonRef
from schemas.identifiers import check_uscc, uscc_problems
from schemas.registry import Organization, Person, Project
from schemas.sealed import fields_holding


@lru_cache(maxsize=1 << 16)
def person_key(secret: bytes, id_number: str) -> str:
    return hmac.new(secret, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()


def project_key(enterprise: str, code: str) -> str:
    return f"{enterprise}/{code}"


def registry_key(secret: bytes, kind: str, data: dict) -> str:
    """The registry key of an organization, person or project from its (sealed, JSON) data."""
    if kind == "organization":
        return data["uscc"]
    if kind == "person":
        return person_key(secret, data["id_number"])
    if kind == "project":
        return project_key(data["enterprise"], data["code"])
    raise ValueError(kind)


def drop_moved_entry(catalog: Any, secret: bytes, kind: str, new_key: str, corrected: str) -> None:
    """A correction that moves an entity to another key (a mistyped but valid 身份证号 corrected,
    a project's code): the old key's entry goes when it names the corrected record — it would list
    the old version as current and name a superseded record. Called by every writer of the
    registry (``Archive._store``, the importer), in the transaction of the correction; verify's
    derived registry does the same (:func:`archive.integrity.verify._expected_registry`)."""
    old = catalog.get_record(corrected)
    if old is None or old["type"] != kind:
        return
    try:
        old_key = registry_key(secret, kind, json.loads(old["data"]))
    except (ValueError, KeyError, TypeError):
        return
    if old_key == new_key:
        return
    reg = catalog.get_registry(kind, old_key)
    if reg is not None and reg["record_id"] == corrected:
        catalog.drop_registry(kind, old_key, corrected)


@dataclass
class Registry:
    catalog: Any
    secret: bytes
    overlay: dict[tuple[str, str], Any] = field(default_factory=dict)
    batch_numbers: set[str] = field(default_factory=set)  # numbers of the case files being added together
    _cache: dict[str, Any] = field(default_factory=dict)

    # --- lookups ---------------------------------------------------------------------------

    def _load(self, kind: str, key: str) -> Any:
        if (kind, key) in self.overlay:
            return self.overlay[(kind, key)]
        row = self.catalog.get_registry(kind, key)
        if row is None:
            return None
        rid = row["record_id"]
        if rid not in self._cache:
            rec = self.catalog.get_record(rid)
            self._cache[rid] = schema_for(TYPES[kind])().load(json.loads(rec["data"]))
        return self._cache[rid]

    def record_id(self, kind: str, key: str) -> str | None:
        row = self.catalog.get_registry(kind, key)
        return row["record_id"] if row else None

    def organization(self, uscc: str) -> Organization | None:
        return self._load("organization", uscc)

    def person(self, id_number: str) -> Person | None:
        return self._load("person", person_key(self.secret, id_number))

    def project(self, enterprise: str, code: str) -> Project | None:
        return self._load("project", project_key(enterprise, code))

    def persons_named(self, name: str, employer: str | None = None) -> list[Person]:
        out = []
        for row in self.catalog.list_registry("person"):
            if row["name"] != name:
                continue
            p = self._load("person", row["key"])
            if p is not None and (employer is None or p.employer == employer):
                out.append(p)
        for (kind, _), p in self.overlay.items():
            if kind == "person" and p.name == name and (employer is None or p.employer == employer) and p not in out:
                out.append(p)
        return out

    def persons_of(self, employer: str) -> list[Person]:
        out = [self._load("person", r["key"]) for r in self.catalog.list_registry("person")]
        out = [p for p in out if p is not None and p.employer == employer]
        out += [p for (k, _), p in self.overlay.items() if k == "person" and p.employer == employer and p not in out]
        return out

    def record_numbered(self, number: str) -> dict | None:
        """The current record whose number (文书号, 编号, project code, …) is ``number``: the
        archive's own one first, else the earliest imported one; None if there is none."""
        rows = self.catalog.list_records(doc_no=number.strip(), current_only=True)
        owner = self.catalog.get_meta("owner_uscc")
        rows.sort(key=lambda r: (r["origin"] != owner, r["seq"]))
        return rows[0] if rows else None

    def key_of(self, obj: Any) -> tuple[str, str]:
        if isinstance(obj, Organization):
            return "organization", obj.uscc
        if isinstance(obj, Person):
            return "person", person_key(self.secret, obj.id_number)
        if isinstance(obj, Project):
            return "project", project_key(obj.enterprise, obj.code)
        raise TypeError(obj)

    def stage(self, obj: Any) -> None:
        """Make a registry object of the current batch visible to later lookups."""
        self.overlay[self.key_of(obj)] = obj


# Which role each USCC-holding field must have.
FIELD_ROLES: dict[str, tuple[str, ...]] = {
    "enterprise": ("enterprise",),
    "contractor": ("contractor",),
    "bureau": ("bureau",),
    "unit": ("enterprise", "contractor"),
    "employer": ("enterprise", "contractor", "bureau"),
    "owner": ("enterprise", "contractor"),
}
ROLE_NAMES = {"enterprise": "发包单位", "contractor": "承包单位", "bureau": "应急管理局"}


@dataclass
class Resolved:
    """What a record refers to, as it was when the record was added (sealed with it)."""

    organizations: dict[str, dict] = field(default_factory=dict)
    projects: dict[str, dict] = field(default_factory=dict)
    persons: dict[str, dict] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"organizations": self.organizations, "projects": self.projects, "persons": self.persons}


def resolve(obj: Any, reg: Registry, *, file: str = "") -> tuple[Resolved, list[Problem]]:
    """Check every reference of ``obj`` against the registry; snapshot what it points at."""
    res = Resolved()
    problems: list[Problem] = []
    for path, value, spec in iter_values(obj):
        if check_uscc not in spec.validate or (isinstance(obj, Organization) and path == "uscc"):
            continue
        name = path.split(".")[-1].split("[")[0]
        org = reg.organization(value)
        if org is None:
            problems.append(Problem(path, f"单位 {value} 未登记 (organization not registered); 先运行 outsafe org add", file=file))
            continue
        roles = FIELD_ROLES.get(name)
        if roles and org.role not in roles:
            want = "或".join(ROLE_NAMES[r] for r in roles)
            problems.append(Problem(path, f"{org.name} 登记为{ROLE_NAMES[org.role]}，此处应为{want} (wrong role: {org.role})", file=file))
        res.organizations[value] = dump(org)

    project_code = getattr(obj, "project", None)
    enterprise = getattr(obj, "enterprise", None) or getattr(obj, "unit", None)
    if isinstance(obj, Project):
        project_code = None
    if isinstance(project_code, str) and project_code:
        proj = reg.project(enterprise, project_code) if enterprise else None
        if proj is None:
            problems.append(Problem("project", f"项目 {project_code} 未在 {enterprise} 名下登记 (project not registered); 先运行 outsafe project add", file=file))
        else:
            contractor = getattr(obj, "contractor", None)
            if contractor and proj.contractor != contractor:
                problems.append(Problem("contractor", f"项目 {project_code} 的承包单位是 {proj.contractor}，与本文书的 {contractor} 不符 (contractor does not match the project)", file=file))
            res.projects[project_key(proj.enterprise, proj.code)] = dump(proj)

    for path, number in evidence_refs(obj):
        if number not in reg.batch_numbers and reg.record_numbered(number) is None:
            problems.append(Problem(path, f"档案中没有编号为“{number}”的记录：所引证据须先入档 (cited evidence not in the archive)",
                                    source="行政处罚法 第46条", file=file))

    for path, ref in person_refs(obj):
        if ref.id_number is None:
            continue
        p = reg.person(ref.id_number)
        if p is None:
            problems.append(Problem(f"{path}.id_number", f"{ref.name} 的身份证号未登记 (person not registered); 先运行 outsafe person add", file=file))
            continue
        if p.name != ref.name:
            problems.append(Problem(f"{path}.name", f"身份证号登记的姓名为“{p.name}”，此处为“{ref.name}” (name does not match the registered person)", file=file))
        res.persons[person_key(reg.secret, p.id_number)] = dump(p)
    trainee = getattr(obj, "trainee", None)
    if trainee is not None:
        p = reg.person(trainee.id_number)
        if p is None:
            problems.append(Problem("trainee.id_number", f"受教育人 {trainee.name} 未登记 (trainee not registered); 先运行 outsafe person add", file=file))
        else:
            if p.name != trainee.name:
                problems.append(Problem("trainee.name", f"身份证号登记的姓名为“{p.name}”，此处为“{trainee.name}” (name mismatch)", file=file))
            if p.employer != getattr(obj, "contractor", p.employer):
                problems.append(Problem("trainee", f"{p.name} 登记在 {p.employer} 名下，不属于本卡的承包单位 (trainee works for another unit)", file=file))
            res.persons[person_key(reg.secret, p.id_number)] = dump(p)
    return res, problems


def evidence_refs(obj: Any):
    """(path, number) of every record a 告知书 / 决定书 cites as evidence."""
    for i, e in enumerate(getattr(obj, "evidence", ()) or ()):
        for j, number in enumerate(getattr(e, "refs", ()) or ()):
            yield f"evidence[{i}].refs[{j}]", number


@cache
def _ref_fields(cls: type) -> tuple[str, ...]:
    """The fields of ``cls`` whose type can hold a PersonRef (directly, in a tuple, or nested): from
    the classes' kept specs (evaluating their type hints was ~17 ms of a new process's first check)."""
    return fields_holding(cls, PersonRef)


def person_refs(obj: Any, prefix: str = ""):
    """(path, PersonRef) of every person ``obj`` names, in field order."""
    for name in _ref_fields(type(obj)):
        v = getattr(obj, name)
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(v, PersonRef):
            yield path, v
        elif isinstance(v, tuple):
            for i, x in enumerate(v):
                if isinstance(x, PersonRef):
                    yield f"{path}[{i}]", x
                elif dataclasses.is_dataclass(x):
                    yield from person_refs(x, f"{path}[{i}]")
        elif dataclasses.is_dataclass(v):
            yield from person_refs(v, path)


def code_problem(code: str, label: str, hint: str) -> NotFound | None:
    """What is wrong with a unit's code as a user typed it (``code`` stripped and in capitals), said
    as such — none given, or not a valid USCC (which character) — rather than as a unit nobody
    registered; None for a valid code. ``label``: the role it was asked for, e.g. "承包单位 (contractor)"."""
    if not code:
        return NotFound(f"没有给出{label}的统一社会信用代码 (no USCC given)", hint=hint)
    problems = uscc_problems(code)
    if problems:
        return NotFound(f"“{code[:40]}”不是有效的统一社会信用代码：{problems[0]} (not a valid USCC)", hint=hint)
    return None


def unit_in_archive(archive: Any, uscc: str, role: str) -> str:
    """The unit a user names for a view (``--enterprise`` / ``--contractor``), as the archive
    knows it: a registered organization, or one a project names in that ``role`` ("enterprise" or
    "contractor"). Otherwise :class:`~archive.errors.NotFound` — a view of a mistyped code would
    report every rule not applicable and nothing to rectify: a clean report about nobody. Spaces
    around the code are dropped and letters made capitals (a USCC has no small letters)."""
    code = (uscc or "").strip().upper()
    label = {"enterprise": "发包单位 (enterprise)", "contractor": "承包单位 (contractor)"}[role]
    listing = f"查看单位 (list them): outsafe org list --role {role}"
    if not code:
        raise code_problem(code, label, listing)
    facts = archive.catalog.facts
    if facts.linked(role, [code], types=["project"]):
        return code
    roles = {json.loads(r["info"] or "{}").get("role") for r in facts.keyed("organization", [code])}
    if role in roles:
        return code
    names = {"enterprise": "发包单位", "contractor": "承包单位", "bureau": "监管部门"}
    if roles - {None}:
        other = "、".join(names.get(r, str(r)) for r in sorted(roles - {None}))
        raise NotFound(f"{code} 登记为{other}，不是{label}，也没有以它为{names[role]}的项目 (registered in another role)",
                       hint=f"outsafe check --{'contractor' if role == 'enterprise' else 'enterprise'} {code}"
                       if roles & {"enterprise", "contractor"} else listing)
    wrong = code_problem(code, label, listing)
    if wrong is not None:
        raise wrong
    raise NotFound(f"本档案中没有{label} {code}：既未登记，也没有项目 (not in this archive)", hint=listing)
