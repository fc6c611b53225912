"""A form for every record type, read from its schema: one :class:`Widget` per field.

    form = form_for(SafetyAgreement)       # cached; the widgets in the schema's field order
    form = form_for(TICKET_CLASSES["hot_work"])
    cls = form_class("work_ticket", "hot_work")
    kinds = writable("enterprise")         # the forms an enterprise fills; writable("bureau") the bureau's

Labels and help come from the schema (``F("签订日期", help=…)``); a nested dataclass is a group
of fields, a list of them repeatable rows, a list of text repeatable lines, a list of choices a
set of check boxes, a choice a drop-down, a date a date input, a date and time a date-time
input, a yes/no a check box (or 是/否/未填 when the field may be left open), an image a file.
Fields naming an organization (统一社会信用代码), a project (项目编号) or a person (a name beside
a 身份证号) are pickers over the registry (:attr:`Widget.ref`).

The field names of a form are the paths of ``outsafe case validate``: ``term.start``,
``workers[0].name``, ``enterprise_duties[2]`` — so every problem finds its field.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, Literal, get_args, get_origin

from schemas import REGISTRY_TYPES, TYPES, record_label
from schemas.base import LIMITS, F, field_infos
from schemas.blacklist import LIST_NAMES
from schemas.campaign_report import REPORT_KINDS
from schemas.common import IMAGE_CLASSES, TICKET_TYPE_NAMES
from schemas.identifiers import check_uscc
from schemas.penalty import FINES
from schemas.tickets import TICKET_CLASSES, WorkTicket

#: what each kind of widget is (see the module docstring)
KINDS = ("text", "textarea", "int", "number", "date", "datetime", "bool", "tristate", "select", "multi", "list", "rows", "group",
         "image", "fixed")

ENFORCEMENT = ("inspection_record", "rectification_order", "rectification_review", "penalty_notice", "penalty_decision")
BOTH_SIDES = ("blacklist_entry", "blacklist_removal", "campaign_report", "campaign_table")

ROLE_NAMES = {"enterprise": "发包单位", "contractor": "承包单位", "bureau": "应急管理局"}
CHOICE_LABELS: dict[str, str] = {
    **TICKET_TYPE_NAMES, **LIST_NAMES, **REPORT_KINDS, **ROLE_NAMES,
    **{k: f"{f.article}（{'单位' if f.party == 'unit' else '个人'}）" for k, f in FINES.items()},
}
# a ``uscc`` field of these names picks an organization of this role ("" any)
ORG_ROLES = {"enterprise": "enterprise", "contractor": "contractor", "bureau": "bureau", "employer": "", "unit": "",
             "subject": "", "listed_by": ""}
# text fields written as prose get a multi-line box (any other text does too once it holds a line break)
PROSE = frozenset({
    "accident_handling", "attachments", "basis", "content", "contractor_duties", "correction", "criterion", "description",
    "diagram_note", "dispute_resolution", "enterprise_duties", "facts", "hazards", "isolation", "legal_basis", "measures", "note",
    "notes", "objective_hazards", "opinion", "other_measures", "other_penalties", "paragraphs", "payment_terms", "penalties",
    "post_blast_check", "problems", "project_overview", "proves", "public_key", "quality_terms", "reason", "requirement",
    "risk_identification", "safety_duty_clause", "scope", "site_briefing", "situation", "sketch_note", "statement_summary", "text",
    "ventilation", "violated",
})


@dataclass(frozen=True)
class Widget:
    """One field of a form."""

    name: str  # the field's name in its dataclass
    label: str
    help: str
    kind: str  # one of KINDS
    required: bool  # the schema has no default (an empty value is a problem)
    default: Any = None  # the schema's default, as a form shows it (None: empty)
    choices: tuple[tuple[Any, str], ...] = ()  # (value, label) for select / multi
    ref: str = ""  # "org" | "org:contractor" | … | "project" | "person"
    children: tuple[Widget, ...] = ()  # group / rows: the fields of one item
    item: Widget | None = None  # list: the widget of one line
    sensitive: bool = False  # a 身份证号: shown masked, kept from what was saved
    ident: bool = False  # an identifier (no line breaks)
    min_items: int = 0
    max_items: int = LIMITS.items

    @property
    def is_list(self) -> bool:
        return self.kind in ("list", "rows")


def choice_label(value: Any) -> str:
    label = CHOICE_LABELS.get(str(value))
    return f"{label}（{value}）" if label and label != value else str(value)


def _scalar_kind(t: Any, name: str, spec: F, optional: bool) -> tuple[str, tuple[tuple[Any, str], ...]]:
    if get_origin(t) is Literal:
        return "select", tuple((c, choice_label(c)) for c in get_args(t))
    if t is bool:
        return ("tristate" if optional else "bool"), ()
    if t is int:
        return "int", ()
    if t in (float, Decimal):
        return "number", ()
    if t is datetime:
        return "datetime", ()
    if t is date:
        return "date", ()
    if t is str:
        ident = spec.ident or bool(re.search(r"(^|_)(no|number|code|uscc)$|^(project|id_number)$", name)) or check_uscc in spec.validate
        return ("textarea" if name in PROSE and not ident else "text"), ()
    raise TypeError(f"no form widget for {t!r}")


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
    else:
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return None  # a nested record's default shows as its fields' own defaults
    if isinstance(value, tuple):
        return list(value)
    return value


def _ref(cls: type, name: str, spec: F, t: Any, siblings: set[str]) -> str:
    if t is not str:
        return ""
    if check_uscc in spec.validate and not (cls.__name__ == "Organization" and name == "uscc"):
        role = ORG_ROLES.get(name, "")
        return f"org:{role}" if role else "org"
    if name == "project" and getattr(cls, "__case__", None) is not None:
        return "project"
    if name == "name" and "id_number" in siblings and getattr(cls, "__case__", None) is None:
        return "person"
    return ""


@cache
def form_for(cls: type) -> tuple[Widget, ...]:
    """The widgets of ``cls`` (a record class or a nested dataclass), in the schema's order."""
    fields_by_name = {f.name: f for f in dataclasses.fields(cls)}
    siblings = set(fields_by_name)
    out: list[Widget] = []
    for info in field_infos(cls):
        f = fields_by_name[info.name]
        spec = info.spec
        common: dict[str, Any] = {
            "name": info.name, "label": spec.label or info.name, "help": spec.help, "required": info.required, "default": _default(f),
            "sensitive": spec.sensitive == "id_number", "min_items": spec.min_items, "max_items": spec.max_items or LIMITS.items,
        }
        target = info.item if info.is_list else info.type
        if isinstance(cls, type) and issubclass(cls, WorkTicket) and info.name == "ticket_type":
            out.append(Widget(kind="fixed", **common))
        elif isinstance(target, type) and dataclasses.is_dataclass(target):
            kind = "rows" if info.is_list else "group"
            out.append(Widget(kind=kind, children=form_for(target), **common))
        elif info.is_list:
            kind, choices = _scalar_kind(target, info.name, spec, False)
            if kind == "select":
                out.append(Widget(kind="multi", choices=choices, **common))
            else:
                item = Widget(name="", label=spec.label, help="", kind=kind, required=True, ident=kind == "text")
                out.append(Widget(kind="list", item=item, **common))
        elif cls in IMAGE_CLASSES and info.name == "file":
            out.append(Widget(kind="image", **common))
        else:
            kind, choices = _scalar_kind(target, info.name, spec, info.optional)
            ref = _ref(cls, info.name, spec, target, siblings)
            out.append(Widget(kind=kind, choices=choices, ref=ref, ident=kind == "text", **common))
    return tuple(out)


# --- which forms there are ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FormKind:
    """One form a user may open: a record type (and ticket type)."""

    type: str
    subtype: str | None
    label: str
    group: str

    @property
    def key(self) -> str:
        return f"{self.type}:{self.subtype}" if self.subtype else self.type

    @property
    def cls(self) -> type:
        return form_class(self.type, self.subtype)


GROUPS = (
    ("登记", ("organization", "person", "project")),
    ("合同与协议", ("outsourcing_contract", "safety_agreement")),
    ("教育培训", ("training_record",)),
    ("作业票", ("work_ticket",)),
    ("检查、隐患与考核", ("contractor_inspection", "hazard", "quarterly_assessment", "accident", "equipment", "confined_space_register")),
    ("执法文书", ENFORCEMENT),
    ("黑名单", ("blacklist_entry", "blacklist_removal")),
    ("报告与报表", ("campaign_report", "campaign_table")),
)


def form_class(type_: str, subtype: str | None = None) -> type:
    """The record class a form of ``type_`` (and ``subtype``, a ticket type) fills; KeyError if none."""
    cls = TYPES[type_]
    if cls is WorkTicket:
        return TICKET_CLASSES[subtype or ""]
    if subtype:
        raise KeyError(subtype)
    return cls


def writable(owner_role: str) -> tuple[FormKind, ...]:
    """The forms filled in an archive owned by an organization of ``owner_role``: an enterprise
    keeps its contracts, training, tickets, checks, lists and reports; a bureau its enforcement
    documents, its lists and reports; both register organizations, people and projects."""
    if owner_role == "bureau":
        allowed = set(ENFORCEMENT) | set(BOTH_SIDES) | set(REGISTRY_TYPES)
    elif owner_role == "enterprise":
        allowed = set(TYPES) - set(ENFORCEMENT)
    else:
        allowed = set()
    out: list[FormKind] = []
    for group, types in GROUPS:
        for t in types:
            if t not in allowed:
                continue
            if t == "work_ticket":
                out.extend(FormKind(t, tt, record_label(cls), group) for tt, cls in TICKET_CLASSES.items())
            else:
                out.append(FormKind(t, None, record_label(TYPES[t]), group))
    return tuple(out)


def kind_of(owner_role: str, type_: str, subtype: str | None) -> FormKind | None:
    """The form ``type_``/``subtype`` if an archive of ``owner_role`` fills it, else None."""
    return next((k for k in writable(owner_role) if k.type == type_ and k.subtype == (subtype or None)), None)


__all__ = ["ENFORCEMENT", "KINDS", "FormKind", "Widget", "choice_label", "form_class", "form_for", "kind_of", "writable"]
