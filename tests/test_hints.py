"""schemas/hints.py: each record class's type hints, evaluated once — the same as
``typing.get_type_hints(cls, include_extras=True)`` for every class the archive decodes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin, get_type_hints

import pytest

from schemas import TYPES
from schemas.base import F
from schemas.hints import _own, type_hints
from schemas.tickets import TICKET_CLASSES


def _spec(f: F) -> tuple:
    return tuple(getattr(f, name) for name in F.__slots__)


def _same(a: Any, b: Any) -> bool:
    """Hints equal, Annotated's field specs (F: no __eq__ of its own) compared by their contents."""
    if get_origin(a) is Annotated and get_origin(b) is Annotated:
        ma, mb = a.__metadata__, b.__metadata__
        return _same(get_args(a)[0], get_args(b)[0]) and len(ma) == len(mb) and all(
            _spec(x) == _spec(y) if isinstance(x, F) else x == y for x, y in zip(ma, mb))
    if get_origin(a) is not None or get_origin(b) is not None:
        return get_origin(a) == get_origin(b) and len(get_args(a)) == len(get_args(b)) and all(
            _same(x, y) for x, y in zip(get_args(a), get_args(b)))
    return a == b


def _every_record_class() -> list[type]:
    seen: list[type] = []
    todo = [*TYPES.values(), *TICKET_CLASSES.values()]

    def nested(hint: Any) -> None:
        if dataclasses.is_dataclass(hint):
            todo.append(hint)
        for arg in get_args(hint):
            nested(arg)

    while todo:
        cls = todo.pop()
        if cls in seen or not dataclasses.is_dataclass(cls):
            continue
        seen.append(cls)
        for hint in get_type_hints(cls, include_extras=True).values():
            nested(hint)
    return seen


CLASSES = _every_record_class()


def test_there_are_many_classes_to_compare():
    assert len(CLASSES) > 50
    assert any(len(c.__mro__) > 2 for c in CLASSES)  # the ticket types inherit the common ticket's fields


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_the_hints_are_get_type_hints_own(cls):
    ours, theirs = type_hints(cls), get_type_hints(cls, include_extras=True)
    assert list(ours) == list(theirs)  # the fields' order too (the decoders follow it)
    bad = [name for name in theirs if not _same(ours[name], theirs[name])]
    assert not bad, bad
    assert all(_own(base) is not None for base in cls.__mro__ if base is not object)  # the fast path, not the fallback


def test_each_class_is_evaluated_once():
    assert type_hints(TICKET_CLASSES["hot_work"]) is type_hints(TICKET_CLASSES["hot_work"])
    base = TICKET_CLASSES["hot_work"].__mro__[1]
    assert _own(base) is _own(base)


@dataclass
class _Inner:
    n: int


@dataclass
class _Quoted:
    """A hint quoting a name inside the quoted annotation: left to get_type_hints, which resolves it."""
    items: "tuple['_Inner', ...]"  # noqa: UP037 - the case under test
    label: Annotated[str | None, F("标签")] = None


def test_a_hint_it_cannot_resolve_is_left_to_get_type_hints():
    assert _own(_Quoted) is None
    hints = type_hints(_Quoted)
    assert hints["items"] == tuple[_Inner, ...]
    assert get_args(hints["label"])[0] == str | None
