"""archive/forms without a server: a form for every record type from its schema, posted fields to
a case file and back (every example, field by field), masked 身份证号 put back, problems placed
at their fields."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from archive.forms.fields import MARK, Posted, Unmasker, fields_of, placeholder, read_form
from archive.forms.model import KINDS, form_class, form_for, kind_of, writable
from archive.settings import Settings
from schemas import TYPES, all_classes, class_for, load, read_case_file
from schemas.base import RuleContext, dump, field_infos
from schemas.contract import SafetyAgreement
from schemas.identifiers import mask_id
from schemas.problems import Problem
from schemas.registry import Person, Project
from schemas.tickets import TICKET_CLASSES
from tests.factories import GUARD_ID, WELDER_ID

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CTX = RuleContext(Settings(), date(2026, 11, 29))


def _classes() -> list[type]:
    seen: list[type] = []

    def walk(cls: type) -> None:
        if cls in seen:
            return
        seen.append(cls)
        for info in field_infos(cls):
            t = info.item if info.is_list else info.type
            if isinstance(t, type) and dataclasses.is_dataclass(t):
                walk(t)

    for c in all_classes():
        walk(c)
    return seen


def test_every_record_type_and_every_nested_record_has_a_form_with_labels():
    for cls in _classes():
        widgets = form_for(cls)
        assert [w.name for w in widgets] == [i.name for i in field_infos(cls)], cls
        for w in widgets:
            assert w.kind in KINDS and w.label and w.label != w.name, (cls.__name__, w.name)
            if w.kind in ("select", "multi"):
                assert w.choices and all(label for _, label in w.choices)
            if w.kind in ("group", "rows"):
                assert w.children
            if w.kind == "list":
                assert w.item is not None


def test_the_widgets_follow_the_schema():
    w = {x.name: x for x in form_for(TICKET_CLASSES["hot_work"])}
    assert w["ticket_type"].kind == "fixed"
    assert w["valid_from"].kind == "datetime" and w["gas_samples"].kind == "rows" and w["leader"].kind == "group"
    assert {c.name: c.kind for c in w["gas_samples"].children}["unit"] == "select"
    assert w["video_recorded"].kind == "tristate" and w["contractor"].ref == "org:contractor" and w["project"].ref == "project"
    assert {c.name: c.ref for c in w["workers"].children}["name"] == "person"
    assert {c.name: c.sensitive for c in w["workers"].children}["id_number"] is True
    a = {x.name: x for x in form_for(SafetyAgreement)}
    assert a["enterprise_duties"].kind == "list" and a["enterprise_duties"].min_items == 3 and a["enterprise_duties"].item.kind == "textarea"
    assert a["basis"].default and a["copies"].default == 2 and a["term"].kind == "group" and a["signed_on"].kind == "date"
    p = {x.name: x for x in form_for(Project)}
    assert p["work_content"].kind == "multi" and p["dangerous_work"].choices[0] == ("hot_work", "动火（hot_work）")
    assert {x.name: x.ref for x in form_for(Person)}["name"] == ""  # a person's own name is not a picker


def test_which_forms_an_enterprise_and_a_bureau_fill():
    ent = {k.key for k in writable("enterprise")}
    bur = {k.key for k in writable("bureau")}
    assert "safety_agreement" in ent and "inspection_record" not in ent and len([k for k in ent if k.startswith("work_ticket:")]) == 9
    assert {"inspection_record", "rectification_order", "penalty_decision", "person", "blacklist_entry"} <= bur
    assert "safety_agreement" not in bur and writable("contractor") == ()
    assert kind_of("enterprise", "work_ticket", "hot_work").cls is TICKET_CLASSES["hot_work"]
    assert kind_of("enterprise", "work_ticket", None) is None and kind_of("bureau", "safety_agreement", None) is None
    assert form_class("safety_agreement") is SafetyAgreement
    with pytest.raises(KeyError):
        form_class("safety_agreement", "hot_work")
    assert set(TYPES) == {k.type for k in writable("enterprise")} | {k.type for k in writable("bureau")}


# --- the round trip, field by field ------------------------------------------------------------------


def submit(nodes, out: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What a browser posts for the fields as shown (no script)."""
    for n in nodes:
        if n.kind == "group":
            submit(n.children, out)
        elif n.kind in ("rows", "list"):
            out.append((MARK, n.path))
            for r in n.children:
                if n.kind == "rows":
                    submit(r.children, out)
                else:
                    out.append((r.path, r.value))
        elif n.kind == "multi":
            out.append((MARK, n.path))
            out += [(n.path, v) for v, _, ticked in n.boxes if ticked]
        elif n.kind == "bool":
            out.append((MARK, n.path))
            if n.value:
                out.append((n.path, "true"))
        else:
            out.append((n.path, n.value))
    return out


EVERY_EXAMPLE = sorted(p for d in ("organizations", "persons", "projects", "cases", "bureau") for p in (EXAMPLES / d).glob("*.yaml"))


@pytest.mark.parametrize("path", EVERY_EXAMPLE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_example_shown_in_its_form_and_posted_back_is_the_same_record(path):
    raw = read_case_file(path)
    cls, _ = class_for(raw)
    body = {k: v for k, v in raw.items() if k != "type"}
    nodes, unplaced = fields_of(cls, body)
    assert unplaced == []
    back = read_form(cls, Posted(submit(nodes, [])), unmask=Unmasker(body), fixed={"ticket_type": body.get("ticket_type")}
                     if "ticket_type" in body else None)
    want, got = load(raw, CTX), load({"type": raw["type"], **back}, CTX)
    assert want.ok and got.ok, [p.line() for p in got.problems]
    assert dump(got.obj) == dump(want.obj)


# --- posted fields → case file ------------------------------------------------------------------------


def test_empty_fields_rows_and_groups_are_left_to_the_schema():
    posted = Posted([("agreement_no", "HR-1"), ("project", ""), ("copies", "3"), (MARK, "enterprise_duties"),
                     ("enterprise_duties[0]", "一"), ("enterprise_duties[5]", "  "), ("enterprise_duties[2]", "二"),
                     ("term.start", ""), ("term.end", ""), ("enterprise_signatory.name", "刘海涛"), (MARK, "penalties")])
    raw = read_form(SafetyAgreement, posted)
    assert raw["agreement_no"] == "HR-1" and "project" not in raw and raw["copies"] == 3
    assert raw["enterprise_duties"] == ["一", "二"]  # rows in their order, blank ones dropped
    assert raw["term"] == {}  # a required group left empty: its fields are missing, each at its place
    assert raw["penalties"] == []  # a list shown and emptied is empty; one not shown is left to its default
    assert "basis" not in raw and raw["enterprise_signatory"] == {"name": "刘海涛"}


def test_numbers_choices_boxes_and_line_breaks():
    posted = Posted({"copies": ["2.5"], "signed_on": ["2026-04-02"], "accident_handling": ["一行\r\n二行"]})
    raw = read_form(SafetyAgreement, posted)
    assert raw["copies"] == "2.5" and raw["signed_on"] == "2026-04-02" and raw["accident_handling"] == "一行\n二行"
    proj = read_form(Project, Posted([(MARK, "work_content"), ("work_content", "维护"), ("work_content", "检修"), ("work_content", "维护"),
                                      (MARK, "subcontracting_allowed"), ("has_project_department", "true")]))
    assert proj["work_content"] == ["维护", "检修"]  # in the order ticked, once
    assert proj["subcontracting_allowed"] is False and proj["has_project_department"] is True
    person = read_form(Person, Posted({"work_injury_insurance": ["false"], "labour_type": ["劳务外包"]}))
    assert person["work_injury_insurance"] is False and person["labour_type"] == "劳务外包"  # not a choice: the schema says so
    ticket = read_form(TICKET_CLASSES["hot_work"], Posted([(MARK, "gas_samples"), ("gas_samples[0].unit", "%"), ("gas_samples[0].kind", "")]))
    assert ticket["gas_samples"] == []  # a row holding nothing but its defaults was added and left blank


def test_masked_numbers_come_back_whole():
    previous = {"leader": {"name": "马志强", "id_number": GUARD_ID}, "hot_workers": [{"name": "王海军", "certificate_no": "T" + WELDER_ID}]}
    registry = {mask_id(WELDER_ID): {("王海军", WELDER_ID)}}
    unmask = Unmasker(previous, lambda m, name: {n for nm, n in registry.get(m, set()) if name in (None, nm)} or
                      {n for _, n in registry.get(m, set())})
    cls = TICKET_CLASSES["hot_work"]
    posted = Posted([("leader.name", "马志强"), ("leader.id_number", mask_id(GUARD_ID)),
                     (MARK, "hot_workers"), ("hot_workers[0].name", "王海军"), ("hot_workers[0].certificate_no", "T" + mask_id(WELDER_ID)),
                     (MARK, "workers"), ("workers[0].name", f"王海军 {mask_id(WELDER_ID)}"),
                     ("workers[1].name", "张三"), ("workers[1].id_number", "3701**********0000")])
    raw = read_form(cls, posted, unmask=unmask)
    assert raw["leader"]["id_number"] == GUARD_ID  # from what the draft held
    assert raw["hot_workers"][0]["certificate_no"] == "T" + WELDER_ID  # inside other text too
    assert raw["workers"][0] == {"name": "王海军", "id_number": WELDER_ID}  # picked from the list: 姓名 + masked number
    assert raw["workers"][1]["id_number"] == "3701**********0000"  # fits nobody: left for the schema to refuse


def test_an_ambiguous_mask_is_not_guessed():
    twin = WELDER_ID[:4] + "99199001011" + WELDER_ID[-3:]  # another number with the same first and last four
    unmask = Unmasker({"a": WELDER_ID, "b": twin})
    assert mask_id(twin) == mask_id(WELDER_ID) and unmask.full(mask_id(WELDER_ID)) is None


# --- case file → fields ---------------------------------------------------------------------------------


def test_what_the_fields_show():
    cls = TICKET_CLASSES["hot_work"]
    raw = {"applied_at": "2026-05-06 07:30:15", "valid_from": "2026-05-06T08:30+08:00", "valid_to": "明天",
           "workers": [{"name": "王海军", "id_number": WELDER_ID}], "risk_identification": f"王海军 {WELDER_ID} 持证",
           "video_recorded": True, "measures": [{"text": "清除可燃物"}], "grade": "三级"}
    nodes, _ = fields_of(cls, raw)
    by = {}

    def walk(ns):
        for n in ns:
            by[n.path] = n
            walk(n.children)

    walk(nodes)
    assert by["applied_at"].value == "2026-05-06T07:30:15" and by["valid_from"].value == "2026-05-06T08:30"
    assert by["valid_to"].as_text and by["valid_to"].value == "明天"  # not a time: shown as typed, never dropped
    assert by["workers[0].id_number"].value == mask_id(WELDER_ID) and WELDER_ID not in by["risk_identification"].value
    assert by["video_recorded"].value == "true" and by["measures[0].involved"].value is True  # the default shown
    assert by["grade"].extra_choice == "三级"
    assert [c.index for c in by["hot_workers"].children] == ["0"]  # required rows: one blank row to fill
    assert by["workers"].template.path == f"workers[{placeholder(0)}]"
    assert by["gas_samples"].template.children[0].path == f"gas_samples[{placeholder(0)}].taken_at"
    agreement, _ = fields_of(SafetyAgreement, {"signed_on": "2026年4月2日"})
    assert next(n for n in agreement if n.path == "signed_on").value == "2026-04-02"
    assert len(next(n for n in agreement if n.path == "basis").children) == 4  # the default laws


def test_each_problem_finds_its_field_or_the_nearest_one():
    problems = [Problem("term.end", "a"), Problem("workers[0].id_number", "b"), Problem("workers[3].name", "c"), Problem("leader", "d"),
                Problem("weather", "e"), Problem("", "f"), Problem("gas_samples", "g")]
    nodes, unplaced = fields_of(TICKET_CLASSES["hot_work"], {"workers": [{"name": "x"}]}, problems)
    by = {}

    def walk(ns):
        for n in ns:
            by.setdefault(n.path, n)
            walk(n.children)

    walk(nodes)
    assert [p.message for p in by["workers[0].id_number"].problems] == ["b"]
    assert [p.message for p in by["workers"].problems] == ["c"]  # a row not on the page: its list
    assert [p.message for p in by["leader"].problems] == ["d"] and [p.message for p in by["gas_samples"].problems] == ["g"]
    assert [p.message for p in unplaced] == ["a", "e", "f"]  # no such field on a ticket; the whole document


# --- the command line's view of the same: `case show --yaml` -------------------------------------------


def test_case_show_yaml_is_the_record_as_a_case_file_with_numbers_masked(arc, runner):
    import yaml

    from cli import main

    home = str(arc.home.root)
    agreement = arc.catalog.list_records(types=["safety_agreement"])[0]
    r = runner.invoke(main, ["--home", home, "case", "show", agreement["id"], "--yaml"])
    assert r.exit_code == 0, r.output
    data = yaml.safe_load(r.stdout)
    assert data["type"] == "safety_agreement" and r.stdout.startswith(f"# {agreement['title']}")
    loaded = load(data, CTX)
    assert loaded.ok and dump(loaded.obj) == __import__("json").loads(agreement["data"])  # takes back into `case add` as it was
    card = arc.catalog.list_records(types=["training_record"])[0]
    r = runner.invoke(main, ["--home", home, "case", "show", card["id"][:16], "--yaml"])  # a prefix (10 is the time alone)
    assert r.exit_code == 0 and WELDER_ID not in r.stdout and mask_id(WELDER_ID) in r.stdout
    r = runner.invoke(main, ["--home", home, "case", "show", "01NOSUCHRECORD", "--yaml"])
    assert r.exit_code == 1 and "没有记录" in r.output
