"""The examples/ data set: every file validates cleanly, every broken copy in examples/invalid fails
naming its field, the README's load sequence works on a fresh archive, and the story is internally
consistent (people trained before they appear on a ticket, tickets inside their project's period,
agreements signed before work starts, …).

Validation is judged "as of" a fixed day so that the data set does not rot when the clock moves.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from cli import main
from schemas import TICKET_CLASSES, TYPES, class_for, load, meta_of, read_case_file
from schemas.base import RuleContext, iter_values
from schemas.common import PersonRef
from archive.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
AS_OF = "2026-11-29"
GOOD_DIRS = ("organizations", "persons", "projects", "cases", "bureau")
CASE_DIRS = ("cases", "bureau")  # what the enterprise keeps, what the bureau itself makes

# invalid/ file -> the field path its single fault must be reported at
INVALID = {
    "bad-uscc-check-char.yaml": "uscc",
    "bad-id-check-digit.yaml": "id_number",
    "swapped-agreement-term.yaml": "term.end",
    "unknown-field-ticket.yaml": "weather",
    "missing-items-order.yaml": "items",
}


def run(runner, *args):
    return runner.invoke(main, [str(a) for a in args])


def good_files(sub: str | None = None) -> list[Path]:
    dirs = [sub] if sub else GOOD_DIRS
    return sorted(p for d in dirs for p in (EXAMPLES / d).glob("*.yaml"))


def loaded(path: Path):
    raw = read_case_file(path)
    result = load(raw, RuleContext(Settings(), date.fromisoformat(AS_OF)), file=str(path))
    assert result.ok, [p.line() for p in result.problems]
    return raw, result.obj


@pytest.fixture(scope="module")
def cases() -> dict[str, object]:
    """Every case object by file name."""
    return {p.name: loaded(p)[1] for d in CASE_DIRS for p in good_files(d)}


# --- the good files -------------------------------------------------------------------------------


def test_the_set_is_complete():
    """Three contractors and a bureau, 15–18 people, two projects, every case type and ticket kind."""
    orgs = [loaded(p)[1] for p in good_files("organizations")]
    assert Counter(o.role for o in orgs) == {"enterprise": 1, "contractor": 3, "bureau": 1}
    assert 15 <= len(good_files("persons")) <= 18
    assert len(good_files("projects")) == 2
    kinds = Counter()
    for p in good_files("cases") + good_files("bureau"):
        raw = read_case_file(p)
        kinds[(raw["type"], raw.get("ticket_type"))] += 1
    types = {t for t, _ in kinds}
    assert types == set(TYPES) - {"organization", "person", "project"}
    assert {tt for t, tt in kinds if t == "work_ticket"} == set(TICKET_CLASSES)
    assert (EXAMPLES / "README.md").is_file()


def test_every_example_validates_without_warnings(runner):
    """`case validate` outside an archive: exit 0, every file ok, no warning at all."""
    r = run(runner, "case", "validate", "--as-of", AS_OF, "--json", *[EXAMPLES / d for d in GOOD_DIRS])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["problems"] == []
    assert len(report["files"]) == len(good_files())
    assert all(f["ok"] for f in report["files"])


@pytest.mark.parametrize("path", good_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_example_file_validates(runner, path):
    r = run(runner, "case", "validate", "--as-of", AS_OF, path)
    assert r.exit_code == 0, r.output
    assert "警告" not in r.output and "warning:" not in r.output


def test_photos_are_small_images_that_exist():
    photos = sorted((EXAMPLES / "bureau" / "photos").iterdir())
    assert photos, "examples/bureau/photos is empty"
    for p in photos:
        head = p.read_bytes()[:8]
        assert head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG"), p.name
        assert p.stat().st_size < 150 * 1024, p.name


# --- the broken copies ------------------------------------------------------------------------------


def test_invalid_folder_holds_exactly_the_known_faults():
    assert sorted(p.name for p in (EXAMPLES / "invalid").glob("*.yaml")) == sorted(INVALID)


@pytest.mark.parametrize("name,field", sorted(INVALID.items()))
def test_each_broken_copy_fails_and_names_the_field(runner, name, field):
    path = EXAMPLES / "invalid" / name
    r = run(runner, "case", "validate", "--as-of", AS_OF, path)
    assert r.exit_code == 1, r.output
    assert f"{path}: {field}: " in r.output, r.output
    assert "Traceback" not in r.output
    r = run(runner, "case", "validate", "--as-of", AS_OF, "--json", path)
    errors = [p for p in json.loads(r.stdout)["problems"] if p["severity"] == "error"]
    assert [p["path"] for p in errors] == [field], errors


# --- the README's load sequence ---------------------------------------------------------------------

README_STEPS = [
    "init --org examples/organizations/enterprise.yaml",
    "org add examples/organizations/",
    "person add examples/persons/",
    "project add examples/projects/",
    "case add examples/cases/",
]


def test_readme_gives_the_load_sequence_in_order(examples):
    text = (examples / "README.md").read_text(encoding="utf-8")
    positions = [text.find(step) for step in README_STEPS]
    assert -1 not in positions, dict(zip(README_STEPS, positions))
    assert positions == sorted(positions)



@pytest.fixture(scope="module")
def loaded_home(tmp_path_factory):
    """A fresh archive loaded exactly as examples/README.md says."""
    from click.testing import CliRunner

    home = tmp_path_factory.mktemp("examples") / "archive"
    mp = pytest.MonkeyPatch()
    mp.setenv("OUTSAFE_PASSPHRASE", "test-passphrase")
    mp.setenv("OUTSAFE_HOME", str(home.parent / "unused-default"))
    runner = CliRunner()
    steps = [  # README_STEPS, with --json on the adds
        ("init", "--org", EXAMPLES / "organizations" / "enterprise.yaml"),
        ("org", "add", EXAMPLES / "organizations", "--json"),
        ("person", "add", EXAMPLES / "persons", "--json"),
        ("project", "add", EXAMPLES / "projects", "--json"),
        ("case", "add", EXAMPLES / "cases", "--json"),
        # the bureau's own documents, here in the same archive (the demo files them in the bureau's)
        ("case", "add", EXAMPLES / "bureau", "--json"),
    ]
    outputs = []
    try:
        for step in steps:
            r = run(runner, "--home", home, *step)
            assert r.exit_code == 0, f"{step}: {r.output}"
            outputs.append(r)
        yield home, outputs
    finally:
        mp.undo()


def test_load_sequence_adds_everything_without_warnings(loaded_home):
    _, outputs = loaded_home
    counts = {"org": 5, "person": len(good_files("persons")), "project": 2, "case": len(good_files("cases")),
              "bureau": len(good_files("bureau"))}
    for r, (group, n) in zip(outputs[1:], counts.items()):
        out = json.loads(r.stdout)
        assert len(out["records"]) == n, group
        assert out["warnings"] == [], (group, out["warnings"])
    cases_out = json.loads(outputs[-1].stdout)
    assert {x["status"] for x in cases_out["records"]} == {"added"}


def test_case_list_has_one_record_per_case_file(runner, loaded_home):
    home, _ = loaded_home
    r = run(runner, "--home", home, "case", "list", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    expected = Counter()
    for p in good_files("cases") + good_files("bureau"):
        raw = read_case_file(p)
        cls, _ = class_for(raw)
        expected[(raw["type"], raw.get("ticket_type"), str(raw[meta_of(cls).number]))] += 1
    got = Counter((x["type"], x["ticket_type"], x["doc_no"]) for x in rows)
    assert got == expected
    assert len(rows) == len(good_files("cases")) + len(good_files("bureau"))
    assert {x["ticket_type"] for x in rows if x["type"] == "work_ticket"} == set(TICKET_CLASSES)
    r = run(runner, "--home", home, "case", "list", "--type", "work_ticket", "--contractor", "91370105MA3DK8W41C", "--json")
    assert {x["ticket_type"] for x in json.loads(r.stdout)} == {"confined_space", "excavation", "road_closure", "blasting"}


def test_registry_after_loading(runner, loaded_home):
    home, _ = loaded_home
    orgs = json.loads(run(runner, "--home", home, "org", "list", "--json").stdout)
    assert len(orgs) == 5
    people = json.loads(run(runner, "--home", home, "person", "list", "--json").stdout)
    assert len(people) == len(good_files("persons"))
    assert all("*" in p["id_number"] for p in people)  # masked on output
    projects = json.loads(run(runner, "--home", home, "project", "list", "--json").stdout)
    assert {p["code"] for p in projects} == {"HR-WB-2026-001", "HR-WB-2026-002"}


def test_photos_are_stored_with_the_enforcement_documents(runner, loaded_home):
    home, _ = loaded_home
    rows = json.loads(run(runner, "--home", home, "case", "list", "--type", "rectification_order", "--json").stdout)
    assert len(rows) == 1
    rec = json.loads(run(runner, "--home", home, "case", "show", rows[0]["id"], "--json").stdout)
    photos = [f for f in rec["files"] if f["role"] == "photo"]
    assert {f["media_type"] for f in photos} == {"image/jpeg"} and len(photos) == 2


def test_validate_inside_the_loaded_archive_checks_references(runner, loaded_home):
    """With the archive open every organization, person and project reference resolves."""
    home, _ = loaded_home
    r = run(runner, "--home", home, "case", "validate", "--as-of", AS_OF, "--json", EXAMPLES / "cases", EXAMPLES / "bureau")
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["references_checked"] is True
    assert report["problems"] == []


def test_loaded_archive_verifies(runner, loaded_home):
    home, _ = loaded_home
    r = run(runner, "--home", home, "verify")
    assert r.exit_code == 0, r.output


# --- the story holds together ---------------------------------------------------------------------


def _refs(obj):
    """(path, PersonRef) for every person named on a record."""
    for path, value, _ in iter_values(obj):
        if path.endswith(".id_number"):
            holder = path.rsplit(".", 1)[0]
            yield holder, value


FORWARD_DATES = {"deadline", "next_inspection", "unit_licence_valid_to", "end", "payment_deadline", "correction_deadline"}


def test_every_date_is_in_the_campaign_year(cases):
    """Events lie in 2026 up to the as-of day; deadlines and due dates may lie later. The one older
    date is the crane's 使用登记 (2016): a real registration date of equipment in service."""
    last = date.fromisoformat(AS_OF)
    for name, obj in cases.items():
        for path, value, _ in iter_values(obj):
            if isinstance(value, datetime):
                value = value.date()
            if not isinstance(value, date):
                continue
            field = path.rsplit(".", 1)[-1].split("[")[0]
            if name == "equipment-HR-QZ-05.yaml" and field == "registration_date":
                assert value.year == 2016
                continue
            assert value >= date(2026, 1, 1), f"{name}: {path} = {value}"
            if field not in FORWARD_DATES:
                assert value <= last, f"{name}: {path} = {value}"


def test_tickets_lie_inside_their_project_and_agreement(cases):
    projects = {o.code: o for o in (loaded(p)[1] for p in good_files("projects"))}
    agreements = {o.project: o for o in cases.values() if meta_of(o).type == "safety_agreement"}
    contracts = {o.project: o for o in cases.values() if meta_of(o).type == "outsourcing_contract"}
    assert set(agreements) == set(contracts) == set(projects)
    for code, proj in projects.items():
        a, c = agreements[code], contracts[code]
        assert a.contractor == c.contractor == proj.contractor
        assert a.term.start <= proj.period.start and proj.period.end <= a.term.end
        assert a.signed_on < proj.period.start and c.signed_on < proj.period.start
        assert (c.period.start, c.period.end) == (proj.period.start, proj.period.end)
    for name, t in cases.items():
        if meta_of(t).type != "work_ticket":
            continue
        proj = projects[t.project]
        assert t.contractor == proj.contractor, name
        assert proj.period.start <= t.valid_from.date() and t.valid_to.date() <= proj.period.end, name
        assert t.ticket_type in proj.dangerous_work, name
        for linked in t.linked_tickets:
            other = next(o for o in cases.values() if getattr(o, "ticket_no", None) == linked)
            assert t.ticket_no in other.linked_tickets, (name, linked)


def test_contractor_workers_on_tickets_were_trained_first(cases):
    """Every contractor person named on a ticket has a 三级安全教育 card, finished before the ticket."""
    persons = {o.id_number: o for o in (loaded(p)[1] for p in good_files("persons"))}
    contractors = {o.uscc for o in (loaded(p)[1] for p in good_files("organizations")) if o.role == "contractor"}
    cards = {o.trainee.id_number: o for o in cases.values() if meta_of(o).type == "training_record"}
    seen = set()
    for name, t in cases.items():
        if meta_of(t).type != "work_ticket":
            continue
        for path, idn in _refs(t):
            person = persons[idn]
            if person.employer not in contractors:
                continue
            seen.add(idn)
            card = cards.get(idn)
            assert card is not None, f"{name}: {path} {person.name} has no training card"
            assert card.contractor == person.employer == t.contractor, name
            assert card.conclusion.confirmed_on < t.valid_from.date(), f"{name}: {person.name} trained too late"
    assert seen == set(cards), "a training card for someone on no ticket, or the reverse"


def test_certificates_cover_the_work(cases):
    """Hot workers, electricians, crane crews and blasters hold the right certificate, valid on the day."""
    persons = {o.id_number: o for o in (loaded(p)[1] for p in good_files("persons"))}
    need = {
        "hot_workers": ("特种作业操作证", "焊接与热切割"),
        "commander": ("特种设备作业人员证", "Q1"),
        "blasters": ("爆破作业人员许可证", ""),
    }
    for name, t in cases.items():
        if meta_of(t).type != "work_ticket":
            continue
        day = t.valid_from.date()
        groups = dict(need)
        if t.ticket_type == "temporary_power":
            groups.update(leader=("特种作业操作证", "电工作业"), workers=("特种作业操作证", "电工作业"))
        if t.ticket_type == "work_at_height":
            groups["workers"] = ("特种作业操作证", "高处作业")
        if t.ticket_type == "lifting":
            groups["workers"] = ("特种设备作业人员证", "Q2")
        for field, (kind, category) in groups.items():
            value = getattr(t, field, None)
            refs = value if isinstance(value, tuple) else (value,) if isinstance(value, PersonRef) else ()
            for ref in refs:
                person = persons[ref.id_number]
                ok = [
                    c for c in person.certificates
                    if c.kind == kind and category in c.category and c.issued <= day <= c.expires
                    and (c.next_review is None or day <= c.next_review)
                ]
                assert ok, f"{name}: {field} {ref.name} lacks a valid {kind} {category}"
                assert ref.certificate_no in (None, *(c.number for c in ok)), f"{name}: {field} {ref.name}"


def test_enforcement_documents_refer_to_each_other(cases):
    by_type = {}
    for o in cases.values():
        by_type.setdefault(meta_of(o).type, []).append(o)
    records = {r.doc_no: r for r in by_type["inspection_record"]}
    (order,) = by_type["rectification_order"]
    (review,) = by_type["rectification_review"]
    record = records[order.inspection_ref]
    assert order.inspected_on == record.time_from.date()
    assert review.order_doc_no == order.doc_no and review.order_issued_on == order.issued_on
    assert {i.item for i in review.items} == set(range(1, len(order.items) + 1))
    last_deadline = max(i.deadline for i in order.items)
    assert last_deadline < review.reviewed_on <= date.fromordinal(last_deadline.toordinal() + 10)
    assert order.photos and all((EXAMPLES / "bureau" / p.file).resolve().is_file() for p in order.photos)
    # the penalty case: notice and decision agree, cite archived records, the decision after both periods
    (notice,) = by_type["penalty_notice"]
    (decision,) = by_type["penalty_decision"]
    assert decision.notice_doc_no == notice.doc_no and decision.case_no == notice.case_no and decision.unit == notice.unit
    assert [e.refs for e in decision.evidence] == [e.refs for e in notice.evidence]
    numbers = {str(getattr(o, meta_of(o).number)) for o in cases.values()} | {"HR-WB-2026-002"}
    assert {r for e in notice.evidence for r in e.refs} <= numbers
    assert decision.decided_on > date.fromordinal(notice.issued_on.toordinal() + max(notice.statement_days, notice.hearing_days))
    accident = by_type["accident"][0]
    assert accident.counted_in_employer_stats and accident.project == "HR-WB-2026-001"
