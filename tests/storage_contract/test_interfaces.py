"""Each backend implements every member of every storage interface, with the same parameters
(names, kinds, defaults): a call written against the Protocol works on every backend."""

from __future__ import annotations

import inspect

import pytest

from storage.interfaces import (
    AccessLog, AccountStore, Catalog, DraftStore, ExamBook, FactStore, LedgerStore, PackageBook, RecordCatalog, RecordFeed,
    ReminderLog, UnitOfWork,
)


def members(proto: type) -> dict[str, object]:
    out: dict[str, object] = {}
    for cls in reversed(proto.__mro__):
        if cls in (object,) or cls.__module__ != "storage.interfaces":
            continue
        for name, value in vars(cls).items():
            if not name.startswith("_") and (callable(value) or isinstance(value, property)):
                out[name] = value
        out.update({name: None for name in getattr(cls, "__annotations__", {}) if not name.startswith("_")})
    return out


def parameters(fn) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values() if p.name != "self"]


IMPLEMENTED_BY = {
    "Catalog": (Catalog, lambda c: c),
    "RecordCatalog": (RecordCatalog, lambda c: c),
    "RecordFeed": (RecordFeed, lambda c: c),
    "UnitOfWork": (UnitOfWork, lambda c: c),
    "LedgerStore": (LedgerStore, lambda c: c.ledger),
    "PackageBook": (PackageBook, lambda c: c.packages),
    "FactStore": (FactStore, lambda c: c.facts),
    "AccountStore": (AccountStore, lambda c: c.accounts),
    "AccessLog": (AccessLog, lambda c: c.access_log),
    "ExamBook": (ExamBook, lambda c: c.exams),
    "ReminderLog": (ReminderLog, lambda c: c.reminders),
    "DraftStore": (DraftStore, lambda c: c.drafts),
}


@pytest.mark.parametrize("interface", sorted(IMPLEMENTED_BY))
def test_every_member_with_the_same_parameters(catalog, interface):
    proto, pick = IMPLEMENTED_BY[interface]
    impl = pick(catalog)
    names = members(proto)
    assert names, interface
    for name, spec in names.items():
        assert hasattr(impl, name), f"{type(impl).__name__} lacks {interface}.{name}"
        if callable(spec) and not isinstance(spec, property):
            assert parameters(getattr(impl, name)) == parameters(spec), f"{interface}.{name}"
