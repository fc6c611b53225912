"""archive/errors.py: one exception tree, drawn in its docstring, naming every exception class of
the product; the command line translates the engine's errors and storage/'s own in one place."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import archive.errors
import storage.errors
from archive.errors import ExitCode, IntegrityError, OutsafeError, StorageError
from cli import main

PACKAGES = ("archive", "schemas", "storage", "doc_templates")
SKIP = ("archive.documents.worker",)  # runs under LibreOffice's own Python (imports uno)


def product_exceptions() -> set[type]:
    modules = [importlib.import_module("cli")]
    for name in PACKAGES:
        pkg = importlib.import_module(name)
        modules.append(pkg)
        for info in pkgutil.walk_packages(pkg.__path__, name + "."):
            if not info.name.startswith(SKIP):
                modules.append(importlib.import_module(info.name))
    return {
        obj for m in modules for _, obj in inspect.getmembers(m, inspect.isclass)
        if issubclass(obj, BaseException) and obj.__module__ == m.__name__
    }


def test_every_exception_class_is_in_the_tree():
    found = product_exceptions()
    assert {c.__name__ for c in found} >= {"OutsafeError", "BlobMissing", "SearchIndexError", "PublicKeyError", "_Crash"}
    missing = sorted(f"{c.__module__}.{c.__qualname__}" for c in found if c.__qualname__ not in archive.errors.__doc__)
    assert missing == []


def test_the_engines_storage_error_is_storages_too():
    e = StorageError("无法写入 (cannot write)", hint="free some space")
    assert isinstance(e, OutsafeError) and isinstance(e, storage.errors.StorageError)
    assert e.lines() == ["无法写入 (cannot write)", "→ free some space"] and e.exit_code == ExitCode.BAD_INPUT
    assert IntegrityError(["x"]).exit_code == ExitCode.VERIFICATION_FAILED


@pytest.mark.parametrize("error, code", [
    (storage.errors.BlobMissing("文件库中没有 ab12… (blob missing)"), 1),
    (StorageError("目录数据库已损坏 (catalog damaged)", hint="restore a backup"), 1),
    (IntegrityError(["记录 X: 文件被改动 (altered)"]), 3),
])
def test_one_translation_point_for_every_family(runner, monkeypatch, error, code):
    """What storage/ raises by itself reaches the user as one message and exit 1, like the engine's."""
    def broken(*_a, **_kw):
        raise error

    monkeypatch.setattr("archive.app.Archive.open", broken)
    r = runner.invoke(main, ["case", "list"])
    assert r.exit_code == code
    assert r.stderr.splitlines() == error.lines() and r.stdout == ""
