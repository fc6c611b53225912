"""Sealed records back into objects, exactly as they were sealed: the fast path from a record's
stored canonical JSON to its frozen dataclass, without validators and without rules.

Validation belongs at the boundary, when a case file comes in (:func:`schemas.load`). A sealed
record was valid under the rules of the day it was sealed; rules change while records are kept for
decades, so reading a record never judges it again — a record that today's rules would refuse still
loads, and the lint (``outsafe verify --lint``, :mod:`archive.facts.lint`) says which rule and which
field instead.

    obj = from_sealed(cls, json.loads(row["data"]))      # the frozen dataclass, as sealed

The JSON is what sealing wrote (:func:`schemas.base.dump` then RFC 8785): ISO days, local times as
``2026-05-06 08:30`` (or with seconds), decimals as strings, lists for tuples, nested mappings for
nested records, and numbers that RFC 8785 may have written without a fraction (``1.0`` as ``1``).
Each field is converted by its type hint only; text is taken as stored (it was cleaned when it came
in). A key the class no longer has is ignored; a field the data lacks takes the field's default, or
None when it has none (a field added after the record was sealed). Building the objects skips
``__init__`` (frozen dataclasses without ``__post_init__``): per class, one generated function sets
the fields straight into the instance, so loading costs about as much as parsing the JSON.
"""

from __future__ import annotations

import dataclasses
import types
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from schemas.hints import type_hints

_MISSING = object()


def from_sealed(cls: type, data: dict) -> Any:
    """The object of class ``cls`` that the sealed JSON ``data`` holds (see the module docstring).
    Never raises for data of an older or newer shape: a value that cannot be converted is kept as
    stored (the lint names it)."""
    try:
        return _decoder(cls)(data)
    except (TypeError, ValueError, AttributeError, InvalidOperation):
        return _tolerant(cls, data)


# --- conversion by type hint --------------------------------------------------------------------


def bare_type(hint: Any) -> tuple[Any, bool]:
    """(type without Annotated and Optional, optional?)."""
    if get_origin(hint) is Annotated:
        hint = get_args(hint)[0]
    optional = False
    if get_origin(hint) in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        optional = len(args) != len(get_args(hint))
        hint = args[0] if len(args) == 1 else hint
        if get_origin(hint) is Annotated:
            hint = get_args(hint)[0]
    return hint, optional


def _to_float(v: Any) -> Any:
    return float(v) if type(v) is int else v


def _to_date(v: Any) -> Any:
    return date.fromisoformat(v) if type(v) is str else v


def _to_datetime(v: Any) -> Any:
    return datetime.fromisoformat(v) if type(v) is str else v


def _to_decimal(v: Any) -> Any:
    return Decimal(str(v)) if not isinstance(v, Decimal) else v


def _converter(hint: Any) -> Any:
    """A function converting a JSON value of this type (None: the value is used as it is)."""
    hint, _ = bare_type(hint)
    origin = get_origin(hint)
    if origin is tuple:
        item = _converter([a for a in get_args(hint) if a is not Ellipsis][0])
        if item is None:
            return tuple
        return lambda v: tuple(map(item, v))  # an item None (never sealed) fails over to the tolerant path
    if origin is Literal:
        return None
    if dataclasses.is_dataclass(hint):
        return _decoder(hint)
    if hint is float:
        return _to_float
    if hint is date:
        return _to_date
    if hint is datetime:
        return _to_datetime
    if hint is Decimal:
        return _to_decimal
    return None  # str, int, bool: JSON already holds them


def _defaults(cls: type) -> list[tuple[str, Any, Any]]:
    """(name, converter, default) of each field set by ``__init__``."""
    hints = type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = None
        out.append((f.name, _converter(hints[f.name]), default))
    return out


@cache
def _decoder(cls: type) -> Any:
    """The generated decoder of one dataclass: straight-line code, one statement per field."""
    spec = _defaults(cls)
    env: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    lines = ["def decode(d):", "    g = d.get"]
    names = []
    for i, (name, conv, default) in enumerate(spec):
        env[f"_d{i}"] = default
        lines.append(f"    v{i} = g({name!r}, _d{i})")
        if conv is not None:
            env[f"_c{i}"] = conv
            lines.append(f"    if v{i} is not None and v{i} is not _d{i}: v{i} = _c{i}(v{i})")
        names.append(f"{name!r}: v{i}")
    lines += ["    o = _new(_cls)", f"    o.__dict__.update({{{', '.join(names)}}})", "    return o"]
    exec(compile("\n".join(lines), f"<sealed decoder {cls.__name__}>", "exec"), env)  # noqa: S102 - generated from type hints only
    return env["decode"]


def _tolerant(cls: type, data: Any) -> Any:
    """The slow path for data the fast one cannot convert: field by field, a value that does not
    convert is kept as stored."""
    obj = object.__new__(cls)
    values = {}
    src = data if isinstance(data, dict) else {}
    for name, conv, default in _defaults(cls):
        v = src.get(name, _MISSING)
        if v is _MISSING:
            v = default
        elif v is not None and conv is not None:
            hint, _ = bare_type(type_hints(cls)[name])
            try:
                if dataclasses.is_dataclass(hint):
                    v = _tolerant(hint, v)
                elif get_origin(hint) is tuple and isinstance(v, list):
                    item, _ = bare_type([a for a in get_args(hint) if a is not Ellipsis][0])
                    if dataclasses.is_dataclass(item):
                        v = tuple(_tolerant(item, x) if x is not None else None for x in v)
                    else:
                        v = conv(v)
                else:
                    v = conv(v)
            except (TypeError, ValueError, AttributeError, InvalidOperation):
                pass  # kept as stored
        values[name] = v
    obj.__dict__.update(values)
    return obj


def sealed_differences(cls: type, data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(path, what) of the keys of sealed ``data`` that class ``cls`` does not have and of the
    fields it has that the data lacks — how an older or newer record's shape differs."""
    if not isinstance(data, dict):
        return []
    out = []
    fields = {name: conv for name, conv, _ in _defaults(cls)}
    required = {f.name for f in dataclasses.fields(cls)
                if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    hints = type_hints(cls)
    for key in sorted(set(data) - set(fields)):
        out.append((f"{prefix}{key}", "unknown"))
    for name in sorted(required - set(data)):
        out.append((f"{prefix}{name}", "missing"))
    for name in sorted(set(data) & set(fields)):
        hint, _ = bare_type(hints[name])
        value = data[name]
        if dataclasses.is_dataclass(hint):
            out.extend(sealed_differences(hint, value, f"{prefix}{name}."))
        elif get_origin(hint) is tuple and isinstance(value, list):
            item, _ = bare_type([a for a in get_args(hint) if a is not Ellipsis][0])
            if dataclasses.is_dataclass(item):
                for i, x in enumerate(value):
                    out.extend(sealed_differences(item, x, f"{prefix}{name}[{i}]."))
    return out
