"""Every SQL statement lives in storage/ (DESIGN.md "Layout"): the engine, the front ends and the
schemas reach durable state only through the storage interfaces, and storage/ imports nothing
of the engine above it.

Read from the source text, so that a statement cannot hide in a function body or a string.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("archive", "schemas", "web", "doc_templates")
ABOVE_STORAGE = ("archive", "schemas", "cli", "web", "doc_templates")

FORBIDDEN = {
    "a statement run on a connection": re.compile(r"\.(execute|executemany|executescript)\s*\("),
    "a database connection reached": re.compile(r"\.db\b(?!\w)"),
    "the SQLite driver": re.compile(r"^\s*(import|from)\s+sqlite3\b|\bsqlite3\.\w+\s*\(", re.M),
    "another database driver": re.compile(r"^\s*(import|from)\s+(psycopg|psycopg2|apsw|sqlalchemy)\b", re.M),
    "SQL text": re.compile(
        r"\b(SELECT\s+[\w*(].*\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM"
        r"|CREATE\s+(TABLE|INDEX|TRIGGER))\b"
    ),
}


def product_files() -> list[Path]:
    files = [ROOT / "cli.py"]
    for pkg in PRODUCT:
        if (ROOT / pkg).is_dir():
            files += sorted((ROOT / pkg).rglob("*.py"))
    return files


def offences(text: str) -> list[str]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        for what, pattern in FORBIDDEN.items():
            if pattern.search(line):
                out.append(f"{n}: {what}: {line.strip()}")
    return out


def test_no_sql_outside_storage():
    found = [f"{p.relative_to(ROOT)}:{o}" for p in product_files() for o in offences(p.read_text(encoding="utf-8"))]
    assert found == []


def test_the_check_finds_what_it_looks_for():
    bad = '''
import sqlite3
rows = archive.catalog.db.execute("SELECT * FROM records WHERE id=?", (rid,))
cur.executemany(sql, rows)
sql = "INSERT OR IGNORE INTO packages(digest) VALUES(?)"
'''
    kinds = {o.split(": ")[1] for o in offences(bad)}
    assert kinds == set(FORBIDDEN) - {"another database driver"}
    fine = '''
code, seconds = execute(step)       # the demo runs its steps
name = "catalog.sqlite3"            # a file name of the home
select = "选择 (select) the records"
'''
    assert offences(fine) == []


def test_storage_imports_nothing_above_it():
    upward = []
    for p in sorted((ROOT / "storage").rglob("*.py")):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            upward += [f"{p.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in ABOVE_STORAGE]
    assert upward == []
