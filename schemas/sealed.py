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
import hashlib
import marshal
import sys
import types
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from schemas.days import day_in_range
from schemas.hints import type_hints
from storage import usercache

_MISSING = object()


def from_sealed(cls: type, data: dict) -> Any:
    """The object of class ``cls`` that the sealed JSON ``data`` holds (see the module docstring).
    Never raises for data of an older or newer shape: a value that cannot be converted is kept as
    stored (the lint names it)."""
    return sealed_object(cls, data)[0]


def sealed_object(cls: type, data: dict) -> tuple[Any, bool]:
    """(the object, whether it fits ``cls``): :func:`from_sealed`, and whether every value the data
    holds is of the type its field's hint names — a text a text, a day a day, a list of items a
    list of such items, no null where the hint allows none. A field the data lacks takes its
    default, or None where the hint allows it, and still fits (a field added after the record was
    sealed); one that must have a value and has none does not. An object that does not
    fit — data sealed in a shape today's classes do not have (an order's items as one text, a day
    that is no day) — is kept as stored for showing it, but the rules cannot judge it: the views
    leave it out and the check says so (:mod:`archive.checks.world`)."""
    try:
        return _decoder(cls)(data), True
    except (TypeError, ValueError, AttributeError, InvalidOperation):
        return _tolerant(cls, data), False


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


# Each converter takes a JSON value of its hint's type to the field's value, and raises TypeError for
# a value of another type (the decoder then takes the tolerant path, which keeps what it cannot convert).


def _to_float(v: Any) -> Any:
    if type(v) is int:
        return float(v)
    if type(v) is not float:
        raise TypeError("not a number")
    return v


def _to_date(v: Any) -> Any:
    if type(v) is not str:
        raise TypeError("not a day")
    day = date.fromisoformat(v)
    if not day_in_range(day):
        raise ValueError("a day out of range")  # the rules count days from it (schemas.days)
    return day


def _to_datetime(v: Any) -> Any:
    if type(v) is not str:
        raise TypeError("not a time")
    moment = datetime.fromisoformat(v)
    if not day_in_range(moment):
        raise ValueError("a time out of range")
    return moment


def _to_decimal(v: Any) -> Any:
    if isinstance(v, Decimal):
        return v
    if type(v) not in (str, int, float):
        raise TypeError("not a decimal")
    return Decimal(str(v))


def _exactly(t: type) -> Any:
    """The check of a value JSON holds as it is (text, whole number, yes/no): of exactly that type."""
    def check(v: Any) -> Any:
        if type(v) is not t:
            raise TypeError(f"not a {t.__name__}")
        return v
    check.exact = t  # type: ignore[attr-defined]  # inlined by the generated decoders
    return check


def _one_of(values: frozenset) -> Any:
    """The check of a value a Literal allows (a status or kind named since otherwise does not fit:
    the rules look such names up)."""
    def check(v: Any) -> Any:
        if v not in values or type(v) is bool and not any(x is v for x in values):
            raise TypeError("not one of the values allowed")
        return v
    return check


def _list_of(item: Any) -> Any:
    """A list's items converted by ``item`` into a tuple (None: items of any value, a Literal's or a
    union's, taken as they are; text, whole numbers, yes/no: checked, all at once)."""
    exact = getattr(item, "exact", None)
    if item is None or exact is not None:
        kinds = frozenset() if exact is None else frozenset({exact})

        def as_is(v: Any) -> tuple:
            if type(v) is not list or (kinds and not kinds.issuperset(map(type, v))):
                raise TypeError("not a list of such items")
            return tuple(v)
        return as_is

    def convert(v: Any) -> tuple:
        if type(v) is not list:
            raise TypeError("not a list")
        return tuple(map(item, v))
    return convert


def _converter(hint: Any) -> Any:
    """A function converting a JSON value of this type (None: the value is used as it is)."""
    hint, _ = bare_type(hint)
    origin = get_origin(hint)
    if origin is tuple:
        item = _converter([a for a in get_args(hint) if a is not Ellipsis][0])
        return _list_of(item)  # an item None (never sealed) fails over to the tolerant path
    if origin is Literal:
        return _one_of(frozenset(get_args(hint)))
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
    if hint in (str, int, bool):
        return _exactly(hint)  # JSON holds them as they are: checked, not converted
    return None  # a union, Any: taken as stored


def _defaults(cls: type) -> list[tuple[str, Any, Any]]:
    """(name, converter, default) of each field set by ``__init__``."""
    return [(name, conv, default) for name, conv, default, _, _ in _fields(cls)]


def _fields(cls: type) -> list[tuple[str, Any, Any, bool, bool]]:
    """(name, converter, default, whether the hint allows None, whether the field has a default)
    of each field set by ``__init__``."""
    hints = type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        has_default = True
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default, has_default = None, False
        hint = hints[f.name]
        bare, optional = bare_type(hint)
        nullable = optional or bare is Any or bare is type(None) or (
            get_origin(bare) in (Union, types.UnionType) and type(None) in get_args(bare)) or (
            get_origin(bare) is Literal and None in get_args(bare))
        out.append((f.name, _converter(hint), default, nullable, has_default))
    return out


@cache
def _decoder(cls: type) -> Any:
    """The generated decoder of one dataclass: straight-line code, one statement per field. A field
    the data lacks takes its default (None when the hint allows it); a value of another type than
    the hint's raises (for :func:`sealed_object`), and so do a null where the hint allows none and
    the lack of a field that must have a value."""
    spec = _fields(cls)
    env: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_absent": _MISSING, "_Unfit": TypeError}  # a value the hint does not allow: to the tolerant path
    lines = ["def decode(d):", "    g = d.get"]
    names = []
    for i, (name, conv, default, nullable, has_default) in enumerate(spec):
        env[f"_d{i}"] = default
        lines.append(f"    v{i} = g({name!r}, _absent)")
        absent = f"v{i} = _d{i}" if has_default or nullable else f"raise _Unfit({name!r})"
        null = "pass" if nullable else f"raise _Unfit({name!r})"
        exact = getattr(conv, "exact", None)
        if exact is not None:  # text, whole numbers, yes/no — most fields: one test when the value is one
            env[f"_t{i}"] = exact
            lines += [f"    if v{i}.__class__ is not _t{i}:",
                      f"        if v{i} is _absent: {absent}",
                      f"        elif v{i} is not None: raise _Unfit({name!r})",
                      f"        else: {null}"]
        else:
            lines += [f"    if v{i} is _absent: {absent}",
                      f"    elif v{i} is None: {null}"]
            if conv is not None:
                env[f"_c{i}"] = conv
                lines.append(f"    else: v{i} = _c{i}(v{i})")
        names.append(f"{name!r}: v{i}")
    lines += ["    o = _new(_cls)", f"    o.__dict__.update({{{', '.join(names)}}})", "    return o"]
    exec(_compiled("\n".join(lines), f"<sealed decoder {cls.__name__}>"), env)  # noqa: S102 - generated from type hints only
    return env["decode"]


def _compiled(source: str, filename: str) -> types.CodeType:
    """The code of a generated decoder, compiled once per user and kept (:mod:`storage.usercache`):
    compiling the decoders of the classes a first check meets took ~20 ms of every new process
    (the CLI's every command, a server's first request). Kept by the digest of the Python version
    and the source (a class changed is another file), each file with the digest of its code (a
    damaged one is compiled again, never run)."""
    key = hashlib.sha256(f"{sys.implementation.cache_tag}\0{filename}\0{source}".encode()).hexdigest()[:32]
    name = f"decoders/{key}.code"
    data = usercache.read(name)
    if data is not None and len(data) > 32 and hashlib.sha256(data[32:]).digest() == data[:32]:
        try:
            code = marshal.loads(data[32:])
        except (ValueError, EOFError, TypeError):
            code = None
        if isinstance(code, types.CodeType) and code.co_filename == filename:
            return code
    code = compile(source, filename, "exec")
    payload = marshal.dumps(code)
    usercache.write(name, hashlib.sha256(payload).digest() + payload)
    return code


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
