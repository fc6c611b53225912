"""The machinery under every schema: dataclasses in, marshmallow schemas out.

A case type is written once, as a frozen, keyword-only dataclass whose type hints say what each
field is::

    @dataclass(frozen=True, kw_only=True)
    class GasSample:
        taken_at: Annotated[datetime, F("取样分析时间")]
        result: Annotated[float, F("分析结果")]
        analyst: Annotated[str, F("分析人")]

:func:`schema_for` turns it into a marshmallow 4 schema whose ``load`` returns that frozen
dataclass (``@post_load``); lists become tuples, nested dataclasses nested schemas, ``Literal``
choices ``OneOf`` validators, ``X | None`` optional fields. Unknown fields are rejected.

Checks that need more than one field, or the archive's settings (hours, ticket windows, gas
limits), are *rules*: plain functions registered with :func:`rule` for a dataclass, run over the
loaded data — or over what marshmallow could load when it found errors — so that a user sees every
problem of a file in one run. Rules read values with :func:`g`, which works on both dataclasses and
the dicts of a partial load.
"""

from __future__ import annotations

import dataclasses
import re
import types
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from schemas.days import OUT_OF_RANGE, day_in_range
from schemas.hints import type_hints
from schemas.problems import Problem

CST = timezone(timedelta(hours=8), "CST")


# --- field specs -------------------------------------------------------------------------------


class F:
    """What a field means: its Chinese label, extra validators, and how outputs treat it.

    ``F("取样分析时间")``; ``F("身份证号", check_id, sensitive="id_number")``;
    ``F("作业人", min_items=1)``; ``F("高度(m)", minimum=2)``.
    """

    __slots__ = (
        "label", "validate", "sensitive", "min_items", "minimum", "maximum", "warn", "help", "ident", "max_length", "max_items",
    )

    def __init__(
        self,
        label: str = "",
        *validators: Callable[[Any], Any],
        sensitive: str = "",
        min_items: int = 0,
        minimum: float | None = None,
        maximum: float | None = None,
        warn: Callable[[Any], str | None] | None = None,
        help: str = "",
        ident: bool = False,
        max_length: int | None = None,
        max_items: int | None = None,
    ) -> None:
        self.label = label
        self.validate = validators
        self.sensitive = sensitive  # "id_number": masked on output, only hashed in the index
        self.min_items = min_items
        self.minimum = minimum
        self.maximum = maximum
        self.warn = warn  # returns a warning message (or None) for a loaded value
        self.help = help
        self.ident = ident  # an identifier or number: no line breaks, full-width letters and digits folded
        self.max_length = max_length  # characters; default by kind (see LIMITS)
        self.max_items = max_items  # list length; default LIMITS.items

    def __repr__(self) -> str:
        return f"F({self.label!r})"

    def merged(self, inner: "F") -> "F":
        """This (outer) spec with the checks of an inner one: ``Annotated[Uscc | None, F("label")]``
        keeps the USCC check and warning under the outer label."""
        out = F(self.label or inner.label, *inner.validate, *self.validate)
        out.sensitive = self.sensitive or inner.sensitive
        out.min_items = self.min_items or inner.min_items
        out.minimum = self.minimum if self.minimum is not None else inner.minimum
        out.maximum = self.maximum if self.maximum is not None else inner.maximum
        out.warn = self.warn or inner.warn
        out.help = self.help or inner.help
        out.ident = self.ident or inner.ident
        out.max_length = self.max_length or inner.max_length
        out.max_items = self.max_items or inner.max_items
        return out


NOSPEC = F()


# --- bilingual messages --------------------------------------------------------------------------

MESSAGES = {
    "Missing data for required field.": "缺少必填字段 (missing required field)",
    "Field may not be null.": "不能为空 (may not be null)",
    "Unknown field.": "未知字段 (unknown field)",
    "Invalid input type.": "类型错误，应为对象 (invalid input type: expected a mapping)",
    "Not a valid string.": "应为文本 (not a valid string)",
    "Not a valid integer.": "应为整数 (not a valid integer)",
    "Not a valid number.": "应为数字 (not a valid number)",
    "Not a valid boolean.": "应为 是/否 (not a valid boolean)",
    "Not a valid list.": "应为列表 (not a valid list)",
    "Not a valid mapping type.": "应为对象 (not a valid mapping)",
    "Invalid type.": "类型错误 (invalid type)",
    "Invalid value.": "取值无效 (invalid value)",
    "Special numeric values (nan or infinity) are not permitted.": "不允许 nan/无穷大 (nan or infinity not permitted)",
}


def translate(msg: str) -> str:
    return MESSAGES.get(msg, msg)


# --- custom fields ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """How much one case file may hold: enough for any real document, small enough that a hostile
    or mistaken file is refused at validation instead of holding the archive's write lock while
    LibreOffice lays out a thousand pages. Every limit is reported as a validation problem with the
    field path; none is silent truncation."""

    ident: int = 64  # identifiers and numbers: 文书号, 合同编号, USCC, 身份证号, 证书编号 …
    name: int = 100  # names of people and units, titles
    text: int = 10_000  # one text field (a long 违法事实 is ~2,000 characters)
    items: int = 200  # one list (60 workers on a ticket, 30 findings in an order)
    table_rows: int = 200_000  # rows of a generated table: a bureau's ledger of every outsourced project (35,707 rows in a
    # district of 10^6 records); a file is held to file_bytes and nodes below whatever its tables say
    number: Decimal = Decimal(10) ** 12  # |amount| (yuan, tonnes …) and |integer|
    decimals: int = 4  # digits after the point of an amount
    depth: int = 24  # nesting of mappings and lists in a file
    file_bytes: int = 4_000_000  # one case file
    key: int = 64  # a key of a mapping
    nodes: int = 200_000  # values (mappings, lists, scalars) in one file


LIMITS = Limits()

_NAME_FIELDS = frozenset({"name", "title", "short_name", "subject_name", "author_name", "authority_name", "label", "heading"})
# text as typed on a full-width keyboard: Ａ-Ｚ ａ-ｚ ０-９ and the full-width hyphen, folded to ASCII
_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for c in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B), 0xFF0D)}


def clean_text(s: str, *, ident: bool = False) -> str:
    """Text as stored: NFC (a name typed decomposed is the same name), no invisible characters.

    Refused everywhere: lone surrogates, control characters other than tab and line breaks, and
    format characters (zero-width spaces and joiners, bidirectional overrides, soft hyphens …) —
    none belongs in an official document and each can make two different strings look the same.
    In identifiers and numbers also line breaks and tabs; there full-width Latin letters and digits
    are folded to ASCII, so ``HR-HT-２０２６-031`` is the number ``HR-HT-2026-031``."""
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("含有无效字符（孤立的代理码位） (invalid character: a lone surrogate)") from None
    s = unicodedata.normalize("NFC", s)
    for ch in s:
        cat = unicodedata.category(ch)
        if (cat == "Cc" and (ident or ch not in "\t\n\r")) or cat == "Cf":
            kind = "控制字符 (control character)" if cat == "Cc" else "不可见的格式字符 (invisible format character)"
            raise ValidationError(f"含有{kind} U+{ord(ch):04X}，请删除 (remove it)")
    if ident:
        s = s.translate(_FULLWIDTH_ALNUM)
    return s


class Text(fields.String):
    """A string with surrounding whitespace removed (see :func:`clean_text`); required text may
    not be empty."""

    def __init__(self, *, ident: bool = False, **kw: Any) -> None:
        super().__init__(**kw)
        self.ident = ident

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                value = str(value)  # YAML reads 001 or 2026 as numbers; a code is text
            except ValueError:  # and 0xfff… of thousands of digits, which str() refuses (a decimal one is refused with the file)
                raise ValidationError("数字位数过多 (a number with thousands of digits)") from None
        s = super()._deserialize(value, attr, data, **kwargs)
        return clean_text(s, ident=self.ident).strip()


_CN_DATE = re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")


class LocalDate(fields.Field):
    """A calendar date: ``2026-04-30`` (ISO) or ``2026年4月30日``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, datetime):
            raise ValidationError("应为日期，不含时间 (expected a date without time)")
        if isinstance(value, date):
            if not day_in_range(value):
                raise ValidationError(f"{OUT_OF_RANGE}: {value.isoformat()}")
            return value
        if not isinstance(value, str):
            raise ValidationError("日期格式无效，应为 YYYY-MM-DD (not a valid date)")
        m = _CN_DATE.match(value)
        try:
            day = date(int(m[1]), int(m[2]), int(m[3])) if m else date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(f"日期无效 (not a valid date): {value!r}，应为 YYYY-MM-DD") from None
        if not day_in_range(day):
            raise ValidationError(f"{OUT_OF_RANGE}: {value!r}")
        return day

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.isoformat()


class LocalDateTime(fields.Field):
    """A local (China Standard Time) date and time: ``2026-04-30 08:00`` or ISO 8601.

    A time with an offset is converted to UTC+8 and stored without it; documents print local time.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, datetime):
            dt = value
        elif isinstance(value, str):
            try:
                dt = datetime.fromisoformat(value.strip())
            except ValueError:
                raise ValidationError(
                    f"时间格式无效 (not a valid date-time): {value!r}，应为 YYYY-MM-DD HH:MM"
                ) from None
            if len(value.strip()) <= 10:
                raise ValidationError("应包含时刻 (a time of day is required): YYYY-MM-DD HH:MM")
        else:
            raise ValidationError("时间格式无效，应为 YYYY-MM-DD HH:MM (not a valid date-time)")
        if not day_in_range(dt):
            raise ValidationError(f"{OUT_OF_RANGE}: {value!s}")
        if dt.tzinfo is not None:
            dt = dt.astimezone(CST).replace(tzinfo=None)
        return dt.replace(microsecond=0)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.isoformat(sep=" ", timespec="minutes" if value.second == 0 else "seconds")


class Amount(fields.Field):
    """Money or another exact quantity: kept as Decimal, written as a string ("12000.00")."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool | list | dict):
            raise ValidationError("应为数字 (not a valid number)")
        try:
            # an int as it is: a YAML 0xfff… of thousands of digits is too large, not a traceback
            d = Decimal(value) if isinstance(value, int) else Decimal(str(value).replace(",", "").strip())
        except (InvalidOperation, ValueError):
            raise ValidationError(f"应为数字 (not a valid number): {value!r}") from None
        if not d.is_finite():
            raise ValidationError("应为有限数字 (must be finite)")
        if abs(d) >= LIMITS.number:
            raise ValidationError(f"数值过大，应小于 {LIMITS.number:,} (too large)")
        if d.as_tuple().exponent < -LIMITS.decimals:  # type: ignore[operator]
            raise ValidationError(f"小数位过多，至多 {LIMITS.decimals} 位 (at most {LIMITS.decimals} decimal places)")
        return d

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value)


class BoundedList(fields.List):
    """A list whose length is checked before any item is read."""

    def __init__(self, inner: fields.Field, *, most: int, **kw: Any) -> None:
        super().__init__(inner, **kw)
        self.most = most

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list | tuple) and len(value) > self.most:
            raise ValidationError(f"至多 {self.most} 项，实为 {len(value):,} 项 (at most {self.most} items)")
        return super()._deserialize(value, attr, data, **kwargs)


class Flag(fields.Boolean):
    truthy = fields.Boolean.truthy | {"是", "有", "已", "Y", "y", "√"}
    falsy = fields.Boolean.falsy | {"否", "无", "未", "N", "n", "×"}


# --- dataclass -> schema ------------------------------------------------------------------------


def _unwrap(hint: Any) -> tuple[Any, F, bool]:
    """(bare type, spec, optional?) for one annotation."""
    spec = NOSPEC
    if get_origin(hint) is Annotated:
        base, *meta = get_args(hint)
        for m in meta:
            if isinstance(m, F):
                spec = m
        hint = base
    optional = False
    if get_origin(hint) in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        optional = len(args) != len(get_args(hint))
        hint = args[0] if len(args) == 1 else hint
        if get_origin(hint) is Annotated:
            inner, inner_spec, _ = _unwrap(hint)
            hint = inner
            spec = inner_spec if spec is NOSPEC else spec.merged(inner_spec)
    return hint, spec, optional


def _choices_error(choices: Iterable[Any]) -> str:
    return "必须是以下之一 (must be one of): " + "、".join(str(c) for c in choices)


def _is_ident(name: str, spec: F) -> bool:
    """Identifier fields: flagged in the spec, or named like one (``*_no``, ``*number``, ``code``, the
    USCC fields naming a party, ``project`` = a project code)."""
    return spec.ident or bool(_IDENT_NAME.search(name))


_IDENT_NAME = re.compile(r"(^|_)(no|number|code|uscc)$|^(project|enterprise|contractor|unit|bureau|employer|subject|id_number)$")


def _max_length(name: str, spec: F) -> int:
    if spec.max_length:
        return spec.max_length
    if _is_ident(name, spec):
        return LIMITS.ident
    return LIMITS.name if name in _NAME_FIELDS else LIMITS.text


def _within(most: int, checks: list[Callable[[Any], Any]]) -> Callable[[str], None]:
    """The length limit first; the field's own checks only on text within it (so that no check
    works on, or quotes, a megabyte of text)."""

    def check(value: str) -> None:
        if len(value) > most:
            raise ValidationError(f"不得超过 {most} 个字符，实为 {len(value):,} (at most {most} characters)")
        errors: list[str] = []
        for fn in checks:
            try:
                if fn(value) is False:
                    errors.append(MESSAGES["Invalid value."])
            except ValidationError as e:
                errors.extend(e.messages if isinstance(e.messages, list) else [str(e.messages)])
        if errors:
            raise ValidationError(errors)

    return check


def _make_field(hint: Any, spec: F, *, required: bool, allow_none: bool, default: Any, name: str = "") -> fields.Field:
    validators: list[Callable[[Any], Any]] = list(spec.validate)
    kw: dict[str, Any] = {"required": required, "allow_none": allow_none, "metadata": {"label": spec.label}}
    if not required:
        kw["load_default"] = default
    origin = get_origin(hint)
    if origin is tuple:
        (item,) = [a for a in get_args(hint) if a is not Ellipsis][:1]
        item_hint, item_spec, _ = _unwrap(item)
        if item_spec is NOSPEC:
            item_spec = F(ident=spec.ident, max_length=spec.max_length)
        inner = _make_field(item_hint, item_spec, required=True, allow_none=False, default=dataclasses.MISSING, name=name)
        if spec.min_items:
            validators.append(
                validate.Length(min=spec.min_items, error=f"至少需要 {spec.min_items} 项 (at least {spec.min_items} item(s))")
            )
        return BoundedList(inner, most=spec.max_items or LIMITS.items, validate=validators, **kw)
    if origin is Literal:
        choices = get_args(hint)
        validators.append(validate.OneOf(choices, error=_choices_error(choices)))
        if all(isinstance(c, int) and not isinstance(c, bool) for c in choices):
            return fields.Integer(strict=True, validate=validators, **kw)
        return Text(validate=validators, **kw)
    if hint is int or hint is float:
        bound = int(LIMITS.number)
        validators.append(validate.Range(min=-bound, max=bound, min_inclusive=False, max_inclusive=False,
                                         error=f"数值过大，绝对值应小于 {bound:,} (too large)"))
    if dataclasses.is_dataclass(hint):
        return fields.Nested(schema_for(hint), **kw)
    if spec.minimum is not None or spec.maximum is not None:
        lo, hi = spec.minimum, spec.maximum
        if lo is not None and hi is not None:
            msg = f"应在 {lo} 至 {hi} 之间 (must be between {lo} and {hi})"
        elif lo is not None:
            msg = f"不得小于 {lo} (must be at least {lo})"
        else:
            msg = f"不得大于 {hi} (must be at most {hi})"
        validators.append(validate.Range(min=lo, max=hi, error=msg))
    if hint is str:
        checks = validators
        if required:
            checks = [validate.Length(min=1, error="不能为空 (may not be empty)"), *checks]
        return Text(ident=_is_ident(name, spec), validate=[_within(_max_length(name, spec), checks)], **kw)
    if hint is bool:
        return Flag(validate=validators, **kw)
    if hint is int:
        return fields.Integer(strict=True, validate=validators, **kw)
    if hint is float:
        return fields.Float(allow_nan=False, validate=validators, **kw)
    if hint is Decimal:
        return Amount(validate=validators, **kw)
    if hint is datetime:
        return LocalDateTime(validate=validators, **kw)
    if hint is date:
        return LocalDate(validate=validators, **kw)
    raise TypeError(f"no marshmallow field for {hint!r}")


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {"unknown": MESSAGES["Unknown field."], "type": MESSAGES["Invalid input type."]}


@cache
def schema_for(cls: type) -> type[Schema]:
    """The marshmallow schema class for dataclass ``cls`` (cached: one class per dataclass)."""
    hints = type_hints(cls)
    attrs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        hint, spec, optional = _unwrap(hints[f.name])
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else dataclasses.MISSING
        )
        if isinstance(default, tuple):
            default = list(default)
        attrs[f.name] = _make_field(hint, spec, required=not has_default, allow_none=optional, default=default, name=f.name)

    def make_object(self, data: dict[str, Any], **kwargs: Any) -> Any:
        return build(cls, data)

    attrs["make_object"] = post_load(make_object)
    attrs["__doc__"] = f"marshmallow schema for {cls.__name__}; load() returns a frozen {cls.__name__}."
    return type(f"{cls.__name__}Schema", (BaseSchema,), attrs)


def build(cls: type, data: dict[str, Any]) -> Any:
    """Construct ``cls`` from loaded data, turning lists into tuples (deep immutability)."""
    return cls(**{k: _freeze(v) for k, v in data.items()})


def _freeze(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_freeze(x) for x in v)
    return v


def dump(obj: Any) -> dict[str, Any]:
    """JSON-ready dict of a loaded object (dates as ISO strings, Decimals as strings)."""
    return schema_for(type(obj))().dump(obj)


# --- introspection (templates check, masking, labels) -------------------------------------------


@dataclass(frozen=True)
class FieldInfo:
    name: str
    type: Any  # bare type (dataclass, str, date, …, or tuple[...] origin)
    spec: F
    required: bool
    optional: bool
    is_list: bool
    item: Any  # for lists: the bare item type


@cache
def field_infos(cls: type) -> tuple[FieldInfo, ...]:
    hints = type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        hint, spec, optional = _unwrap(hints[f.name])
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        is_list = get_origin(hint) is tuple
        item = None
        if is_list:
            item_hint = [a for a in get_args(hint) if a is not Ellipsis][0]
            item, item_spec, _ = _unwrap(item_hint)
            if spec is NOSPEC:
                spec = item_spec
        out.append(FieldInfo(f.name, hint, spec, not has_default, optional, is_list, item))
    return tuple(out)


def label_of(cls: type, path: list[str | int]) -> str:
    """The Chinese label of the field at ``path`` (names and list indexes), or ""."""
    label = ""
    current: Any = cls
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and dataclasses.is_dataclass(current)):
            return ""
        info = next((i for i in field_infos(current) if i.name == part), None)
        if info is None:
            return ""
        label = info.spec.label
        current = info.item if info.is_list else info.type
    return label


def iter_values(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any, F]]:
    """Walk a loaded object: (path, value, spec) for every leaf field that is set."""
    if not dataclasses.is_dataclass(obj):
        return
    for info in field_infos(type(obj)):
        value = getattr(obj, info.name)
        path = f"{prefix}.{info.name}" if prefix else info.name
        if value is None:
            continue
        if info.is_list:
            for i, v in enumerate(value):
                if dataclasses.is_dataclass(v):
                    yield from iter_values(v, f"{path}[{i}]")
                else:
                    yield f"{path}[{i}]", v, info.spec
        elif dataclasses.is_dataclass(value):
            yield from iter_values(value, path)
        else:
            yield path, value, info.spec


# --- rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleContext:
    """What rules may consult besides the data: settings, the date, and (when an archive is open)
    a lookup of registered organizations, persons and projects."""

    settings: Any
    today: date
    lookup: Any = None  # archive.pipeline.Registry-like, or None when validating without an archive


RuleFn = Callable[[Any, RuleContext], Iterable[Problem]]
_RULES: dict[type, list[RuleFn]] = {}


def rule(*classes: type) -> Callable[[RuleFn], RuleFn]:
    """Register a rule for one or more dataclasses (it also runs for their subclasses)."""

    def deco(fn: RuleFn) -> RuleFn:
        for c in classes:
            _RULES.setdefault(c, []).append(fn)
        return fn

    return deco


def rules_for(cls: type) -> list[RuleFn]:
    out: list[RuleFn] = []
    for klass in reversed(cls.__mro__):
        out.extend(_RULES.get(klass, []))
    return out


def g(obj: Any, name: str, default: Any = None) -> Any:
    """Read a field from a dataclass or from the dict of a partial load."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def err(path: str, message: str, source: str = "") -> Problem:
    return Problem(path=path, message=message, source=source)


def warn(path: str, message: str, source: str = "") -> Problem:
    return Problem(path=path, message=message, source=source, severity="warning")


# --- errors -> problems ----------------------------------------------------------------------------


def flatten_errors(messages: Any, cls: type | None = None, file: str = "") -> list[Problem]:
    """Marshmallow's nested error dict -> one Problem per message, path like ``a.b[1].c``."""
    out: list[Problem] = []

    def walk(node: Any, path: list[str | int]) -> None:
        if isinstance(node, dict):
            for k in sorted(node, key=lambda k: (isinstance(k, str), str(k) if isinstance(k, str) else k)):
                walk(node[k], path + [k])
        elif isinstance(node, list):
            for m in node:
                walk(m, path)
        else:
            text = translate(str(node))
            label = label_of(cls, path) if cls else ""
            if label and label not in text:
                text = f"{label}：{text}"
            out.append(Problem(path=format_path(path), message=text, file=file))

    walk(messages, [])
    return out


def format_path(parts: list[str | int]) -> str:
    s = ""
    for p in parts:
        if isinstance(p, int):
            s += f"[{p}]"
        elif p == "_schema":
            continue
        else:
            s += ("." if s else "") + str(p)
    return s
