"""Every form round-trips every example: for each case file under examples/cases (in the
enterprise's archive) and examples/bureau (in the bureau's), a person opens the form of its type,
fills the page's own fields with the file's values (tests/web/formfill.py: a date in its date box,
a tick in a box, rows added to lists, images chosen), and adds it; the sealed record's data and
resolved references equal those of `outsafe case add` of the same file in a twin archive.

A second trip for every example goes through the page itself: the file uploaded into a form, the
page as shown posted back unchanged (masked 身份证号 and all) — the draft then holds exactly the
case file it was given."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from archive.access.accounts import add_user
from archive.app import Archive
from archive.privacy import ID_PATTERN
from archive.settings import Settings
from schemas import REGISTRY_TYPES, TYPES, class_for, load, read_case_file
from schemas.base import RuleContext, dump
from tests.web.conftest import client, login
from tests.web.formfill import Page, as_data, fill
from tests.web_world import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
REGISTRY = ("organizations", "persons", "projects")


def in_order(folder: str) -> list[Path]:
    """The examples in an order each can be added alone: trainings before the tickets naming their
    trainees, a listing before its removal (``case add`` of the folder takes them as one batch)."""
    files = sorted((EXAMPLES / folder).glob("*.yaml"))
    return sorted(files, key=lambda p: (p.name.startswith("ticket-"), p.name.startswith("blacklist-removal"), p.name))


CASES = [("enterprise", p) for p in in_order("cases")] + [("bureau", p) for p in in_order("bureau")]
# cited by the penalty documents: in the bureau's archive before them (imported, in real life)
EVIDENCE = ["contract-HR-HT-2026-044.yaml", "agreement-HR-AQXY-2026-044.yaml", "contractor-inspection-HR-XGF-JC-2026-011.yaml"]


def form_key(path: Path) -> str:
    raw = read_case_file(path)
    return f"{raw['type']}:{raw['ticket_type']}" if raw["type"] == "work_ticket" else raw["type"]


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    """The enterprise's and the bureau's archives with the examples' registry (and, at the bureau,
    the documents its penalty files cite), each twice: one for `case add`, one for the forms."""
    root = tmp_path_factory.mktemp("forms-roundtrip")
    mp = pytest.MonkeyPatch()
    mp.setenv("OUTSAFE_PASSPHRASE", "test-passphrase")
    out = {}
    for side, owner in (("enterprise", "enterprise.yaml"), ("bureau", "bureau.yaml")):
        home = root / f"{side}-cli"
        a = Archive.create(home, EXAMPLES / "organizations" / owner, pdf=False)
        for sub, expect in zip(REGISTRY, ("organization", "person", "project")):  # as `org add`, `person add`, `project add`
            a.add_files([EXAMPLES / sub], expect=expect, pdf=False)
        if side == "bureau":
            a.add_files([EXAMPLES / "cases" / n for n in EVIDENCE], pdf=False)
        a.close()
        twin = root / f"{side}-forms"
        shutil.copytree(home, twin, symlinks=True)
        a = Archive.open(twin)
        add_user(a, "officer", "enterprise_officer" if side == "enterprise" else "bureau_officer", org=a.owner_uscc, password=PASSWORD)
        a.close()
        out[side] = (home, twin)
    yield out
    mp.undo()


@pytest.fixture(scope="module")
def browsers(homes):
    """A signed-in client per archive (kept for the module)."""
    out, stack = {}, []
    for side in ("enterprise", "bureau"):
        cm = client(homes[side][1])
        c = cm.__enter__()
        stack.append(cm)
        login(c, "officer")
        out[side] = c
    yield out
    for cm in stack:
        cm.__exit__(None, None, None)


def stored(home: Path, record_id: str) -> tuple[dict, dict]:
    a = Archive.open(home)
    try:
        row = a.catalog.get_record(record_id)
        return json.loads(row["data"]), json.loads(row["refs"])
    finally:
        a.close()


def test_every_form_filled_from_every_example_seals_what_case_add_seals(homes, browsers):
    """One test, in order: each example depends on those before it (a ticket names trained
    workers), so the examples cannot be spread over test processes. Every mismatch is listed."""
    mp = pytest.MonkeyPatch()
    mp.setenv("OUTSAFE_PASSPHRASE", "test-passphrase")
    cli = {side: Archive.open(homes[side][0]) for side in homes}
    failures: list[str] = []
    try:
        for side, path in CASES:
            # what `outsafe case add FILE` does (cli.case_add → Archive.add_files), in the twin archive
            (want,) = cli[side].add_files([path], pdf=False).added
            assert want.status == "added", want
            got, error = add_through_the_form(browsers[side], path)
            if error:
                failures.append(f"{side}/{path.name}: {error}")
                continue
            got_data, got_refs = stored(homes[side][1], got)
            want_data, want_refs = stored(homes[side][0], want.id)
            if got_data != want_data:
                diff = sorted(k for k in set(got_data) | set(want_data) if got_data.get(k) != want_data.get(k))
                failures.append(f"{side}/{path.name}: data differs in {diff}")
            if got_refs != want_refs:
                failures.append(f"{side}/{path.name}: references differ")
    finally:
        for a in cli.values():
            a.close()
        mp.undo()
    assert failures == []
    for side in homes:  # each draft made on the way was deleted when its record was added
        a = Archive.open(homes[side][1])
        try:
            assert a.catalog.drafts.drafts("officer") == []
            assert len(a.catalog.list_records(types=[t for t in TYPES if t not in REGISTRY_TYPES])) == \
                sum(1 for s, _ in CASES if s == side) + (len(EVIDENCE) if side == "bureau" else 0)
        finally:
            a.close()


def add_through_the_form(c, path: Path) -> tuple[str, str]:
    """Open the form of the file's type, fill the page's fields with its values, press 封签入档:
    (the new record's id, "") or ("", what went wrong)."""
    key = form_key(path)
    r = c.get(f"/forms/new/{key}")
    if r.status_code != 200:
        return "", f"GET /forms/new/{key}: {r.status_code}"
    raw = read_case_file(path)
    posted, files = fill(Page(r.text), {k: v for k, v in raw.items() if k != "type"}, files_from=path.parent)
    r = c.post(f"/forms/new/{key}", data=as_data(posted + [("_action", "add")]), files=files or {"none": ("", b"")})
    if r.status_code != 303 or not r.headers["location"].startswith("/records/"):
        problems = re.findall(r'<li class="error">(.*?)</li>', r.text)
        return "", f"add: {r.status_code} {problems or r.text[:500]}"
    return r.headers["location"].split("/")[2].split("?")[0], ""


AS_OF = "2026-11-29"


@pytest.mark.parametrize("side,path", CASES + [("enterprise", p) for sub in REGISTRY for p in sorted((EXAMPLES / sub).glob("*.yaml"))],
                         ids=lambda x: x.name if isinstance(x, Path) else x)
def test_a_file_uploaded_into_a_form_and_posted_back_unchanged_is_the_same_case_file(homes, browsers, side, path):
    c = browsers[side]
    token = login_token(c)
    r = c.post("/forms/upload", data={"csrf_token": token}, files={"file": (path.name, path.read_bytes(), "application/yaml")})
    assert r.status_code == 303, r.text[:2000]
    url = r.headers["location"].split("?")[0]
    html = c.get(url).text
    assert not ID_PATTERN.search(html), ID_PATTERN.search(html)  # 身份证号 masked on the page, as everywhere
    page = Page(html)
    r = c.post(url, data=as_data(page.submission() + [("_action", "save")]), files={"none": ("", b"")})
    assert r.status_code == 303, r.text[:2000]
    a = Archive.open(homes[side][1])
    try:
        draft_id = url.rsplit("/", 1)[1]
        saved = json.loads(a.catalog.drafts.get_draft(draft_id, "officer")["data"])
        with a.catalog.transaction():
            a.catalog.drafts.delete_draft(draft_id, "officer")
    finally:
        a.close()
    raw = read_case_file(path)
    ctx = RuleContext(Settings(), date.fromisoformat(AS_OF))
    want, back = load(raw, ctx), load({"type": raw["type"], **saved}, ctx)
    assert want.ok and back.ok, [p.line() for p in back.problems]
    assert dump(back.obj) == dump(want.obj)
    assert class_for(raw)[0] is type(back.obj)


def login_token(c) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', c.get("/forms").text).group(1)
