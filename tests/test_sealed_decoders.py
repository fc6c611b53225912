"""The generated decoders of the record classes (schemas.sealed) compiled once per user and kept in
the user's cache (storage.usercache): a new process reads their code instead of compiling it; a
file damaged, cut short or of another source is compiled again (never run); where nothing can be
written, each process compiles its own — and the objects decoded are the same every way."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from archive import registry

from schemas import sealed
from schemas.base import dump
from schemas.tickets import HotWorkTicket
from storage import usercache
from tests import campaign_factories as cf

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    sealed._decoder.cache_clear()
    sealed._spec.cache_clear()
    sealed._fields.cache_clear()
    yield tmp_path / "cache" / "outsafe"
    sealed._decoder.cache_clear()
    sealed._spec.cache_clear()
    sealed._fields.cache_clear()


def _ticket() -> dict:
    """A hot-work ticket's data as sealing writes it."""
    objs = cf.load_objects({"ticket_hot": cf.world()["ticket_hot"]})
    (obj,) = [o for o in (objs.values() if isinstance(objs, dict) else objs) if isinstance(o, HotWorkTicket)]
    return json.loads(json.dumps(dump(obj), default=str))


def test_the_code_is_kept_private_and_read_again(cache_home):
    data = _ticket()
    first = sealed.from_sealed(HotWorkTicket, data)
    files = sorted((cache_home / "decoders").glob("*.code"))
    assert files, "no decoder kept"
    assert stat.S_IMODE(cache_home.stat().st_mode) == 0o700 and stat.S_IMODE((cache_home / "decoders").stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    made = {f: f.stat().st_mtime_ns for f in files}
    sealed._decoder.cache_clear()
    sealed._fields.cache_clear()
    assert sealed.from_sealed(HotWorkTicket, data) == first
    assert {f: f.stat().st_mtime_ns for f in files} == made  # read, not compiled and written again
    assert not list((cache_home / "decoders").glob(".new-*"))


@pytest.mark.parametrize("damage", ["garbage", "cut short", "empty", "flipped byte", "another decoder's code"])
def test_a_damaged_file_is_compiled_again_never_run(cache_home, damage):
    data = _ticket()
    first = sealed.from_sealed(HotWorkTicket, data)
    files = sorted((cache_home / "decoders").glob("*.code"))
    target = files[0]
    good = target.read_bytes()
    if damage == "garbage":
        target.write_bytes(os.urandom(len(good)))
    elif damage == "cut short":
        target.write_bytes(good[: len(good) // 2])
    elif damage == "empty":
        target.write_bytes(b"")
    elif damage == "flipped byte":
        target.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    else:  # a whole, well-formed file of another class's decoder put under this name
        target.write_bytes(files[1].read_bytes())
    for f in files[1:]:  # every other decoder damaged the same way for good measure
        if damage != "another decoder's code":
            f.write_bytes(target.read_bytes())
    sealed._decoder.cache_clear()
    sealed._fields.cache_clear()
    assert sealed.from_sealed(HotWorkTicket, data) == first
    assert target.read_bytes() == good  # compiled again and kept again


def test_where_nothing_can_be_written_each_process_compiles_its_own(cache_home):
    cache_home.parent.mkdir(parents=True)
    cache_home.write_text("not a directory")  # as in a read-only home
    assert usercache.write("decoders/x.code", b"x") is False and usercache.read("decoders/x.code") is None
    data = _ticket()
    assert sealed.from_sealed(HotWorkTicket, data).ticket_no == data["ticket_no"]


def _in_a_new_process(cache_home, code: str, data: dict) -> object:
    """What ``code`` prints (JSON) in a new Python process over the same user cache, given ``data`` on stdin."""
    r = subprocess.run([sys.executable, "-W", "error", "-c", code], input=json.dumps(data), capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "XDG_CACHE_HOME": str(cache_home.parent)}, check=False)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_a_new_process_decodes_from_the_kept_code(cache_home):
    data = _ticket()
    want = sealed.from_sealed(HotWorkTicket, data)
    code = ("import json, sys, builtins; from schemas import sealed; from schemas.tickets import HotWorkTicket; "
            "calls = []; real = builtins.compile; "
            "builtins.compile = lambda *a, **k: (calls.append(a[1]), real(*a, **k))[1]; "
            "o = sealed.from_sealed(HotWorkTicket, json.load(sys.stdin)); "
            "print(json.dumps([o.ticket_no, [c for c in calls if 'sealed decoder' in str(c)]]))")
    ticket_no, compiled = _in_a_new_process(cache_home, code, data)
    assert ticket_no == want.ticket_no and compiled == []  # nothing compiled: every decoder read


def test_a_new_process_decodes_without_evaluating_a_type_hint(cache_home):
    """The classes' specs (field, converter described, nullable) are kept too: a new process builds
    its decoders from them — no annotation evaluated, no decoder compiled."""
    data = _ticket()
    want = sealed.from_sealed(HotWorkTicket, data)
    assert list((cache_home / "specs").glob("*.spec"))
    code = ("import json, sys; from schemas import sealed; from schemas.tickets import HotWorkTicket; "
            "sealed.type_hints = lambda cls: (_ for _ in ()).throw(AssertionError(f'hints of {cls.__name__} evaluated')); "
            "import schemas.hints; schemas.hints.type_hints = sealed.type_hints; "
            "from archive import registry; "
            "o = sealed.from_sealed(HotWorkTicket, json.load(sys.stdin)); "
            "print(json.dumps([o.ticket_no, str(o.conditions), len(o.measures), str(o.valid_from), [p for p, _ in registry.person_refs(o)]]))")
    assert list(registry.person_refs(want))  # (the people on it: the fields that hold them read from the specs too)
    assert _in_a_new_process(cache_home, code, data) == [want.ticket_no, str(want.conditions), len(want.measures), str(want.valid_from),
                                                         [p for p, _ in registry.person_refs(want)]]


def test_a_spec_of_other_sources_or_damaged_is_made_again(cache_home, monkeypatch):
    data = _ticket()
    want = sealed.from_sealed(HotWorkTicket, data)
    specs = sorted((cache_home / "specs").glob("*.spec"))
    for f in specs:
        f.write_bytes(f.read_bytes()[:-1] + b"\x00")  # damaged: its digest no longer holds
    sealed._decoder.cache_clear()
    sealed._spec.cache_clear()
    sealed._fields.cache_clear()
    assert sealed.from_sealed(HotWorkTicket, data) == want
    assert sorted((cache_home / "specs").glob("*.spec")) == specs and all(sealed.hashlib.sha256(f.read_bytes()[32:]).digest() == f.read_bytes()[:32]
                                                                          for f in specs)
    # the sources of schemas changed (a field added, a Literal widened): the kept specs are not theirs
    monkeypatch.setattr(sealed, "_schemas_digest", lambda: "another version of schemas")
    sealed._decoder.cache_clear()
    sealed._spec.cache_clear()
    sealed._fields.cache_clear()
    assert sealed.from_sealed(HotWorkTicket, data) == want
    assert len(list((cache_home / "specs").glob("*.spec"))) == 2 * len(specs)



@dataclasses.dataclass(frozen=True)
class _Inner:
    day: date


@dataclasses.dataclass(frozen=True)
class _Outer:
    name: str
    items: tuple[_Inner, ...] = ()


@dataclasses.dataclass(frozen=True)
class _OuterWithARule:
    name: str
    items: tuple[_Inner, ...] = ()

    def check(self) -> bool:  # a rule: not the shape
        return bool(self.name)


@dataclasses.dataclass(frozen=True)
class _OuterOptional:
    name: str | None
    items: tuple[_Inner, ...] = ()


@dataclasses.dataclass(frozen=True)
class _OuterWithoutDefault:
    name: str
    items: tuple[_Inner, ...]


@dataclasses.dataclass(frozen=True)
class _OuterOfDays:
    name: str
    items: tuple[date, ...] = ()


def test_the_shape_digest_changes_with_the_fields_not_with_the_rules():
    """What decides whether sealed data fits a class (archive.facts.derive keys the briefs' facts by
    it): its fields' types, nullability and defaults, and those of the classes it holds — not its
    methods or validators, which change more often."""
    from schemas.sealed import shape_digest

    def as_x(cls):  # the same name and place: only the shape differs
        return type("X", (cls,), {"__qualname__": "X", "__module__": cls.__module__})

    base = shape_digest([as_x(_Outer)])
    assert shape_digest([as_x(_OuterWithARule)]) == base
    assert shape_digest([as_x(_OuterOptional)]) != base
    assert shape_digest([as_x(_OuterWithoutDefault)]) != base
    assert shape_digest([as_x(_OuterOfDays)]) != base  # what the list holds
    assert shape_digest([as_x(_Outer)]) == base  # stable
    assert shape_digest([_Outer]) != shape_digest([_Outer, _OuterOfDays])


def test_the_fields_that_hold_people_are_those_the_type_hints_say():
    """archive.registry reads which fields can hold a PersonRef from the kept specs (no hint
    evaluated in a new process): the same fields as the type hints give, for every record class
    and every class they hold."""
    from typing import get_args, get_origin

    from archive.registry import _ref_fields
    from schemas import all_classes
    from schemas.common import PersonRef
    from schemas.hints import type_hints
    from schemas.sealed import _held, _spec, bare_type

    def by_hints(cls):
        hints = type_hints(cls)

        def holds(hint, seen):
            hint, _ = bare_type(hint)
            if get_origin(hint) is tuple:
                return any(holds(a, seen) for a in get_args(hint) if a is not Ellipsis)
            if hint is PersonRef:
                return True
            if dataclasses.is_dataclass(hint) and hint not in seen:
                inner = type_hints(hint)
                return any(holds(inner[f.name], seen | {hint}) for f in dataclasses.fields(hint))
            return False
        return tuple(f.name for f in dataclasses.fields(cls) if f.init and holds(hints[f.name], frozenset({cls})))

    todo, seen = list(all_classes()), set()
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        assert _ref_fields(cls) == by_hints(cls), cls
        todo += [c for _, d, *_ in _spec(cls) for c in _held(d)]
    assert len(seen) > 60 and any(_ref_fields(c) for c in seen)


def test_the_shape_digest_is_the_same_in_every_process():
    """The facts' version holds it: a digest that differed between processes (a set's order under
    another hash seed) would derive every fact again in each one."""
    code = "from archive.facts.derive import version; print(version())"
    got = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                          env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("0", "1", "12345")}
    from archive.facts.derive import VERSION

    assert len(got) == 1 and next(iter(got)).startswith(f"{VERSION}+")


def test_the_shape_digest_of_the_record_classes_is_kept_and_is_the_one_made_again(cache_home):
    from schemas.sealed import _shape_digest, shape_digest
    from schemas.tickets import TICKET_CLASSES

    classes = list(TICKET_CLASSES.values())
    made = _shape_digest(classes)
    assert shape_digest(classes) == made
    kept = list((cache_home / "specs").glob("*.shape"))
    assert len(kept) == 1 and stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    assert shape_digest(classes) == made  # read back
    kept[0].write_bytes(kept[0].read_bytes()[:-3] + b"abc")  # damaged: made again, never believed
    assert shape_digest(classes) == made
    assert shape_digest(classes[:2]) != made  # other classes: another file
