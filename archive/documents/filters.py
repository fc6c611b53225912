"""The Jinja environment of the templates: a sandbox with StrictUndefined and autoescape, and the
filters official documents need — Chinese dates and times (2026年4月30日, 9时05分), amounts in
figures and in capitals (人民币大写), Chinese numerals, labels of coded values, check boxes.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import jinja2
from jinja2 import StrictUndefined, Undefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from archive.documents.context import Blank, Record
from archive.errors import TemplateError
from archive.text import cn_date
from schemas.base import field_infos
from schemas.common import TICKET_TYPE_NAMES
from schemas.tickets import STEP_NAMES

# --- the Jinja environment -----------------------------------------------------------------------------


def _blank_safe(fn: Callable) -> Callable:
    def wrapper(value: Any, *args: Any, **kw: Any) -> Any:
        if isinstance(value, Blank | Undefined):
            return value
        return fn(value, *args, **kw)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _num_text(x: Any) -> str:
    if isinstance(x, bool):
        return "是" if x else "否"
    if isinstance(x, int):
        return str(x)
    d = x if isinstance(x, Decimal) else Decimal(repr(float(x)))
    s = format(d.normalize(), "f")
    return s



def cn_time(d: datetime) -> str:
    return f"{d.hour}时{d.minute:02d}分"


def cn_datetime(d: datetime) -> str:
    if not isinstance(d, datetime):
        return cn_date(d)
    return f"{cn_date(d)} {cn_time(d)}"


def cn_short(d: datetime) -> str:
    return f"{d.month}月{d.day}日 {cn_time(d)}" if isinstance(d, datetime) else f"{d.month}月{d.day}日"


def cn_short_date(d: date) -> str:
    """6月3日: the day without its year, for a date printed above its time in a narrow column."""
    return f"{d.month}月{d.day}日"


def money(x: Any) -> str:
    d = Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{d:,.2f}"


_CN_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_CN_UNITS = ["", "拾", "佰", "仟"]
_CN_SECTIONS = ["", "万", "亿", "万亿"]


def rmb_upper(x: Any) -> str:
    """人民币大写金额: 120000 → 壹拾贰万元整; 1024.5 → 壹仟零贰拾肆元伍角."""
    d = Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if d < 0:
        return "负" + rmb_upper(-d)
    yuan = int(d)
    jiao, fen = int(d * 10) % 10, int(d * 100) % 10
    if yuan == 0:
        head = ""
    else:
        sections = []
        n = yuan
        while n:
            sections.append(n % 10000)
            n //= 10000
        parts: list[str] = []
        zero_pending = False
        for si in range(len(sections) - 1, -1, -1):
            sec = sections[si]
            if sec == 0:
                zero_pending = bool(parts)
                continue
            digits = [sec // 1000 % 10, sec // 100 % 10, sec // 10 % 10, sec % 10]
            text = ""
            started = False
            for di, dgt in enumerate(digits):
                unit = _CN_UNITS[3 - di]
                if dgt == 0:
                    if started or parts:
                        zero_pending = True
                    continue
                if zero_pending and (started or parts):
                    text += "零"
                zero_pending = False
                text += _CN_DIGITS[dgt] + unit
                started = True
            parts.append(text + _CN_SECTIONS[si])
        head = "".join(parts) + "元"
    if jiao == 0 and fen == 0:
        return (head or "零元") + "整"
    tail = ""
    if jiao:
        tail += _CN_DIGITS[jiao] + "角"
    elif head:
        tail += "零"
    if fen:
        tail += _CN_DIGITS[fen] + "分"
    return head + tail


_CN_NUM = "零一二三四五六七八九"


def cn_num(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九."""
    n = int(n)
    if n < 10:
        return _CN_NUM[n]
    if n < 20:
        return "十" + (_CN_NUM[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_NUM[n // 10] + "十" + (_CN_NUM[n % 10] if n % 10 else "")
    return str(n)


def show(value: Any) -> str:
    """Any value as plain text; a blank as ／; a record as 标签：值；…"""
    if isinstance(value, Blank) or value is None:
        return "／"
    if isinstance(value, Record):
        parts = []
        for info in field_infos(value._cls) if dataclasses.is_dataclass(value._cls) else ():
            v = value._values.get(info.name)
            if isinstance(v, Blank) or v in ((), []):
                continue
            parts.append(f"{info.spec.label or info.name}：{show(v)}")
        return "；".join(parts) or "／"
    if isinstance(value, list | tuple):
        return "、".join(show(v) for v in value) if value else "／"
    return to_text(value)


def to_text(value: Any) -> str:
    if isinstance(value, datetime):
        return cn_datetime(value)
    if isinstance(value, date):
        return cn_date(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | Decimal):
        return _num_text(value)
    if isinstance(value, list | tuple):
        return "、".join(to_text(v) for v in value)
    return str(value)


CODE_LABELS: dict[str, str] = {
    **TICKET_TYPE_NAMES,
    "enterprise": "发包单位", "contractor": "承包单位", "bureau": "应急管理局",
}
UNITS = {"mg/m3": "mg/m³", "%LEL": "%LEL", "%": "%", "ppm": "ppm"}


def cn_label(value: Any) -> str:
    """Chinese names for coded values (ticket types, organization roles); lists joined with 、."""
    if isinstance(value, list | tuple):
        return "、".join(cn_label(v) for v in value) if value else "／"
    return CODE_LABELS.get(value, to_text(value))


_END = "。；;，,.！!？?"


def strip_period(value: Any) -> str:
    """Text without its closing punctuation, to continue the sentence: "…标志。" → "…标志"."""
    return to_text(value).rstrip().rstrip(_END)


def ensure_period(value: Any) -> str:
    """Text that ends a sentence exactly once: "…完成" → "…完成。"; "…完成。" stays."""
    text = to_text(value).rstrip()
    return text if text.endswith(tuple("。！？!?：:")) else strip_period(text) + "。"


def breach(value: Any) -> str:
    """"违反X的规定" for a cited provision X (without doubling a "…的规定" already there)."""
    text = strip_period(value)
    return f"违反{text}" if text.endswith("规定") else f"违反{text}的规定"


def unit(value: Any) -> str:
    return UNITS.get(value, to_text(value))


def choices(value: Any, *options: str) -> str:
    return "　".join(("■" if value == o else "□") + o for o in options)


def box(approvals: Any, name: str) -> Any:
    """The approval signed in box ``name`` (e.g. 监护人) of a ticket, or a blank."""
    for a in approvals or ():
        if isinstance(a, Record) and a._values.get("box") == name:
            return a
    return Blank(f"doc.approvals[box={name}]", f"“{name}”意见栏", f"作业票没有“{name}”栏的签字 (no signature in that box)")


def signed(steps: Any, step: str | None = None, box: str | None = None, name: str | None = None, after: Any = None) -> Any:
    """The first signed step of a ticket (``doc.steps``) of kind ``step``, in box ``box``, by the
    person ``name``, signed at or after ``after`` — or a blank (a paper ticket, a step not signed yet)."""
    for s in steps or ():
        if not isinstance(s, Record):
            continue
        v = s._values
        person = v.get("person")
        if step is not None and v.get("step") != step or box is not None and v.get("box") != box:
            continue
        if name is not None and (not isinstance(person, Record) or person._values.get("name") != name):
            continue
        if isinstance(after, datetime) and isinstance(v.get("signed_at"), datetime) and v["signed_at"] < after:
            continue
        return s
    what = "、".join(x for x in (step, box, name) if x)
    return Blank(f"doc.steps[{what}]", "签署记录", "作业票没有这一步的签字 (no signed step)")


def names(items: Any, width_mm: float, size_pt: float = 10.5) -> str:
    """Names (or short items) joined by 、 for a form's cell ``width_mm`` wide in ``size_pt``: a line
    ends between two names, never inside one (archive/documents/tables.py)."""
    from archive.documents.tables import join_lines

    return join_lines([to_text(x) for x in items or ()], float(width_mm), float(size_pt))


def title_lines(text: Any, width_mm: float, size_pt: float) -> str:
    """A title too long for one line, broken between words into even lines (GB/T 9704—2012 7.3.1;
    archive/documents/tables.py)."""
    from archive.documents.tables import title_lines as lines

    return lines(to_text(text), float(width_mm), float(size_pt))


def _default(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
    if isinstance(value, Blank | Undefined) or value is None:
        return default_value
    if boolean and not value:
        return default_value
    return value


_DOCXTPL_MARKER = re.compile(r"\{_\{|\}_\}|\{_%|%_\}")


def _finalize(value: Any) -> Any:
    if isinstance(value, Blank):
        raise value.error()
    if value is None:
        raise TemplateError("模板输出了空值 (the template printed an empty value)")
    if isinstance(value, Record):
        raise TemplateError(f"模板直接输出了记录 {value._path}，应输出它的字段 (print a field, not the whole record)")
    if isinstance(value, Undefined):
        return value
    if hasattr(value, "__html__") and not isinstance(value, Markup):
        return value  # a picture: raw XML
    text = value if isinstance(value, Markup) else escape(to_text(value))
    if "_" in text:
        # docxtpl turns "{_{" into "{{" after rendering: keep such data literal
        text = Markup(_DOCXTPL_MARKER.sub(lambda m: m.group(0).replace("_", "&#95;"), str(text)))
    return text


class _Strict(StrictUndefined):
    """StrictUndefined whose message names the field by its path in the context."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        obj, name = self._undefined_obj, self._undefined_name
        if isinstance(obj, Record):
            return f"{obj._path}.{name} 不存在 (no such field)"
        if obj is jinja2.utils.missing:
            return f"{name} 未定义 (undefined name)"
        return super()._undefined_message


def _none_test(value: Any) -> bool:
    return value is None or isinstance(value, Blank)


FILTERS: dict[str, Callable] = {
    "cn_date": _blank_safe(cn_date),
    "cn_datetime": _blank_safe(cn_datetime),
    "cn_time": _blank_safe(cn_time),
    "cn_short": _blank_safe(cn_short),
    "cn_short_date": _blank_safe(cn_short_date),
    "money": _blank_safe(money),
    "rmb_upper": _blank_safe(rmb_upper),
    "num": _blank_safe(_num_text),
    "yesno": _blank_safe(lambda v: "是" if v else "否"),
    "cn_num": _blank_safe(cn_num),
    "choices": choices,
    "cn_label": _blank_safe(cn_label),
    "step_name": _blank_safe(lambda v: STEP_NAMES.get(v, to_text(v))),
    "unit": _blank_safe(unit),
    "strip_period": _blank_safe(strip_period),
    "ensure_period": _blank_safe(ensure_period),
    "breach": _blank_safe(breach),
    "box": box,
    "signed": signed,
    "names": names,
    "title_lines": _blank_safe(title_lines),
    "show": show,
    "default": _default,
    "d": _default,
}


def make_env() -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=True, undefined=_Strict, finalize=_finalize, keep_trailing_newline=True)
    env.filters.update(FILTERS)
    env.tests["none"] = _none_test
    env.tests["blank"] = _none_test
    return env
