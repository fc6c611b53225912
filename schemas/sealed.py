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
import importlib
import sys
import types
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
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
    return _built(_described(hint))


_PLAIN = {float: "float", date: "date", datetime: "datetime", Decimal: "decimal"}
_EXACT = {"str": str, "int": int, "bool": bool}


def _described(hint: Any) -> Any:
    """The converter of a hint as plain data (what :func:`_built` makes it of, and what can be kept
    between processes): None (taken as stored: a union, Any), "float", "date", "datetime",
    "decimal", ("exact", "str"|"int"|"bool"), ("one_of", values), ("list", item),
    ("class", module, qualname)."""
    hint, _ = bare_type(hint)
    origin = get_origin(hint)
    if origin is tuple:
        return ("list", _described([a for a in get_args(hint) if a is not Ellipsis][0]))
    if origin is Literal:
        return ("one_of", tuple(get_args(hint)))
    if dataclasses.is_dataclass(hint):
        _CLASSES[(hint.__module__, hint.__qualname__)] = hint
        return ("class", hint.__module__, hint.__qualname__)
    if hint in _PLAIN:
        return _PLAIN[hint]
    if hint in (str, int, bool):
        return ("exact", hint.__name__)  # JSON holds them as they are: checked, not converted
    return None


def _built(desc: Any) -> Any:
    """The converter :func:`_described` describes."""
    if desc is None:
        return None
    if isinstance(desc, str):
        return {"float": _to_float, "date": _to_date, "datetime": _to_datetime, "decimal": _to_decimal}[desc]
    kind = desc[0]
    if kind == "exact":
        return _exactly(_EXACT[desc[1]])
    if kind == "one_of":
        return _one_of(frozenset(desc[1]))
    if kind == "list":
        return _list_of(_built(desc[1]))  # an item None (never sealed) fails over to the tolerant path
    return _decoder(_described_class(desc))


def _described_class(desc: tuple) -> type:
    """The class a ``("class", module, qualname)`` description names."""
    module, name = desc[1], desc[2]
    cls = _CLASSES.get((module, name))
    if cls is None:  # a spec read from the cache, of a class of schemas (at its module's top level)
        cls = importlib.import_module(module)
        for part in name.split("."):
            cls = getattr(cls, part)
    return cls


_CLASSES: dict[tuple[str, str], Any] = {}  # (module, qualname) → the class, of every class described in this process


def _defaults(cls: type) -> list[tuple[str, Any, Any]]:
    """(name, converter, default) of each field set by ``__init__``."""
    return [(name, conv, default) for name, conv, default, _, _ in _fields(cls)]


@cache
def _fields(cls: type) -> list[tuple[str, Any, Any, bool, bool]]:
    """(name, converter, default, whether the hint allows None, whether the field has a default)
    of each field set by ``__init__``."""
    return [(name, _built(desc), default, nullable, has_default) for name, desc, default, nullable, has_default in _spec(cls)]


@cache
def sources_digest() -> str:
    """The digest of the source of every module of ``schemas`` as this process loaded it: the
    record classes, every type their hints name, the rules (the lint's fingerprint of the rules,
    :func:`archive.facts.lint.fingerprint`, is its first 16 digits)."""
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


@cache
def _schemas_digest() -> str:
    """The digest of Python's version and :func:`sources_digest`: a spec kept under another is never
    read."""
    return hashlib.sha256(f"{sys.implementation.cache_tag}\0{sources_digest()}".encode()).hexdigest()


def shape_digest(classes: Any) -> str:
    """:func:`_shape_digest`, kept once per user for classes of ``schemas`` (by the digest of its
    sources and Python's version, as the specs): a new process read ~40 specs to make it again."""
    classes = list(classes)
    if not all(c.__module__.startswith("schemas.") for c in classes):
        return _shape_digest(classes)
    names = "\0".join(f"{c.__module__}:{c.__qualname__}" for c in classes)
    name = f"specs/{hashlib.sha256(f'{_schemas_digest()}:shape:{names}'.encode()).hexdigest()[:32]}.shape"
    kept = usercache.load(name)
    if isinstance(kept, str) and len(kept) == 64:
        return kept
    value = _shape_digest(classes)
    usercache.keep(name, value)
    return value


def _shape_digest(classes: list[type]) -> str:
    """The digest of what decides whether sealed data fits ``classes`` (:func:`sealed_object`):
    each one's fields as described — converter, whether null is allowed, whether it has a default —
    those of every class they hold, and the source of the functions that convert and judge. A
    change of a rule or a validator leaves it as it is; a field added, retyped or made optional, or
    a converter changed, changes it (the facts whose briefs were judged to fit, archive.facts.derive,
    are derived again)."""
    h = hashlib.sha256()
    for f in (sealed_object, _decoder, _tolerant, _built, _described, bare_type, _to_float, _to_date, _to_datetime, _to_decimal, _exactly,
              _one_of, _list_of, day_in_range):
        h.update(f.__qualname__.encode() + b"\0" + _code_digest(getattr(f, "__wrapped__", f).__code__) + b"\0")
    todo, seen = list(classes), set()
    while todo:
        cls = todo.pop(0)
        key = (cls.__module__, cls.__qualname__)
        if key in seen:
            continue
        seen.add(key)
        h.update(repr(key).encode() + b"\0")
        for name, desc, _default, nullable, has in _spec(cls):
            h.update(repr((name, desc, nullable, has)).encode() + b"\0")
            todo += _held(desc)
    return h.hexdigest()


def fields_holding(cls: type, target: type) -> tuple[str, ...]:
    """The fields of ``cls`` whose values can hold a ``target`` — one, a list of them, or a class
    holding one — read from the classes' specs (kept once per user: no type hint is evaluated in a
    new process)."""
    def holds(desc: Any, seen: frozenset) -> bool:
        for c in _held(desc):
            if c is target or (c not in seen and any(holds(d, seen | {c}) for _, d, *_ in _spec(c))):
                return True
        return False

    return tuple(name for name, desc, *_ in _spec(cls) if holds(desc, frozenset({cls})))


def _code_digest(code: types.CodeType) -> bytes:
    """The digest of what a function does — its bytecode, names and constants, those of the
    functions it defines — not where it stands in its file (a line added above it changes nothing)."""
    h = hashlib.sha256(code.co_code)
    h.update(repr((code.co_names, code.co_varnames, code.co_freevars)).encode())
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            h.update(_code_digest(c))
        else:  # (a set's order is the process's hash seed's: sorted, the same in every process)
            h.update(repr(sorted(map(repr, c)) if isinstance(c, frozenset) else c).encode())
    return h.digest()


def _held(desc: Any) -> list[type]:
    """The classes a converter's description names (a nested record, a list of them)."""
    if isinstance(desc, tuple) and desc and desc[0] == "list":
        return _held(desc[1])
    if isinstance(desc, tuple) and desc and desc[0] == "class":
        return [_described_class(desc)]
    return []


@cache
def _spec(cls: type) -> list[tuple[str, Any, Any, bool, bool]]:
    """:func:`_spec_of`, kept once per user for the classes of ``schemas`` (:mod:`storage.usercache`):
    evaluating the type hints of the classes a first check meets was ~20 ms of every new process.
    Kept by :func:`_schemas_digest` and the class's name; each file with the digest of its content
    (a damaged one is made again)."""
    if not cls.__module__.startswith("schemas."):
        return _spec_of(cls)
    name = f"specs/{hashlib.sha256(f'{_schemas_digest()}:{cls.__module__}:{cls.__qualname__}'.encode()).hexdigest()[:32]}.spec"
    defaults = _defaults_of(cls)  # the defaults from the class itself (a default may be an object: never kept)
    kept = usercache.load(name)
    if (isinstance(kept, list) and all(isinstance(x, tuple) and len(x) == 3 for x in kept)
            and [x[0] for x in kept] == [n for n, _, _ in defaults]):
        return [(n, desc, default, nullable, has) for (n, desc, nullable), (_, default, has) in zip(kept, defaults)]
    spec = _spec_of(cls, defaults)
    try:
        usercache.keep(name, [(n, desc, nullable) for n, desc, _, nullable, _ in spec])
    except ValueError:  # a value marshal cannot write (an enum among a Literal's): made in each process
        pass
    return spec


def _defaults_of(cls: type) -> list[tuple[str, Any, bool]]:
    """(name, default, whether the field has one) of each field set by ``__init__`` (None when it
    has none)."""
    out = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.default is not dataclasses.MISSING:
            out.append((f.name, f.default, True))
        elif f.default_factory is not dataclasses.MISSING:
            out.append((f.name, f.default_factory(), True))
        else:
            out.append((f.name, None, False))
    return out


def _spec_of(cls: type, defaults: list[tuple[str, Any, bool]] | None = None) -> list[tuple[str, Any, Any, bool, bool]]:
    """(name, converter described (:func:`_described`), default, whether the hint allows None,
    whether the field has a default) of each field set by ``__init__``, from the type hints
    (``defaults``: :func:`_defaults_of` when the caller has them)."""
    hints = type_hints(cls)
    out = []
    for name, default, has_default in defaults if defaults is not None else _defaults_of(cls):
        hint = hints[name]
        bare, optional = bare_type(hint)
        nullable = optional or bare is Any or bare is type(None) or (
            get_origin(bare) in (Union, types.UnionType) and type(None) in get_args(bare)) or (
            get_origin(bare) is Literal and None in get_args(bare))
        out.append((name, _described(hint), default, nullable, has_default))
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
    code = usercache.load(name)
    if isinstance(code, types.CodeType) and code.co_filename == filename:
        return code
    code = compile(source, filename, "exec")
    usercache.keep(name, code)
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
