"""The documents the layout check runs over: every example (examples/cases, organizations, persons,
projects) and the stress set (tests/stress_cases.py), rendered with the packaged templates and
converted by the LibreOffice pool.

    .venv/bin/python -m tests.layout_corpus OUT_DIR [--stress] [--only SUBSTRING]

writes OUT_DIR/<name>.docx and .pdf and prints the layout problems of each, so that the pages can be
looked at (``pdftoppm -r 60 -png OUT_DIR/x.pdf /tmp/x``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from archive.settings import Settings
from schemas import RuleContext, load, read_case_file
from schemas.base import dump

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
AS_OF = date(2026, 11, 29)


@dataclass
class Document:
    name: str  # file stem, e.g. "ticket-hot-work-DH-2026-0137"
    obj: Any
    refs: dict
    images: dict[str, Path]


def load_file(path: Path, today: date = AS_OF) -> Any:
    result = load(read_case_file(path), RuleContext(Settings(), today, None), file=str(path))
    if not result.ok:
        raise ValueError("\n".join(p.line() for p in result.problems))
    return result.obj


def registry_of(objs: list[Any]) -> dict:
    from schemas.registry import Organization, Person, Project

    orgs, projects, persons = {}, {}, {}
    for obj in objs:
        if isinstance(obj, Organization):
            orgs[obj.uscc] = dump(obj)
        elif isinstance(obj, Project):
            projects[f"{obj.enterprise}/{obj.code}"] = dump(obj)
        elif isinstance(obj, Person):
            persons[obj.id_number] = dump(obj)
    return {"organizations": orgs, "projects": projects, "persons": persons}


def attachments(obj: Any, folder: Path) -> dict[str, Path]:
    """The image files a record names (photos, drawings, signatures), resolved next to its file."""
    try:
        from schemas.common import image_refs
    except ImportError:  # before image fields: photos only
        def image_refs(o):
            return [("photos", ph.file) for ph in getattr(o, "photos", ()) or ()]

    out = {}
    for _, ref in image_refs(obj):
        p = Path(ref)
        out[ref] = p if p.is_absolute() else folder / p
    return out


def example_documents() -> list[Document]:
    files = [p for d in ("organizations", "persons", "projects", "cases", "bureau") for p in sorted((EXAMPLES / d).glob("*.yaml"))]
    objs = [(p, load_file(p)) for p in files]
    refs = registry_of([o for _, o in objs])
    return [Document(p.stem, o, refs, attachments(o, p.parent)) for p, o in objs]


def render(docs: list[Document]) -> list[tuple[str, bytes]]:
    from archive.documents.render import render_record

    return [(d.name, render_record(d.obj, d.refs, settings=Settings(), images=d.images).docx) for d in docs]


def convert(rendered: list[tuple[str, bytes]], workers: int = 2) -> dict[str, bytes]:
    from archive.documents.convert import Converter

    with Converter(Settings(), workers=workers) as conv:
        results = conv.convert_many(rendered)
    bad = [f"{r.name}: {r.error}" for r in results if not r.ok]
    if bad:
        raise RuntimeError("\n".join(bad))
    return {r.name: r.pdf for r in results}


def main(argv: list[str]) -> int:
    from archive.documents.layout import check_layout, check_text

    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    docs = example_documents()
    if "--stress" in argv:
        from tests.stress_cases import stress_documents

        docs = stress_documents(out / "stress-input") + (docs if "--all" in argv else [])
    if "--only" in argv:
        only = argv[argv.index("--only") + 1]
        docs = [d for d in docs if only in d.name]
    rendered = render(docs)
    for name, docx in rendered:
        (out / f"{name}.docx").write_bytes(docx)
    pdfs = convert(rendered)
    bad = 0
    for name, pdf in pdfs.items():
        (out / f"{name}.pdf").write_bytes(pdf)
        problems = check_layout(pdf) + check_text(pdf)
        bad += bool(problems)
        for p in problems:
            print(f"{name}: {p.line()}")
    print(f"{len(pdfs)} documents, {bad} with problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
