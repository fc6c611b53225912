"""FactStore: the facts of the views — rows and links per record, corrections kept in both
directions, selections by link, the changes since a seq, the lint, catch-up and clearing."""

from __future__ import annotations

import json

from tests.storage_contract.rows import insert, record, rid


def facts(n: int, seq: int, *, type_: str = "work_ticket", subtype: str | None = "hot_work", key: str | None = None,
          day: str | None = "2026-06-09", supersedes: str | None = None, links: list[tuple[str, str]] = (), info: dict | None = None,
          belongs: str = "91370100MA3C8K2P9L") -> dict:
    return {"seq": seq, "record_id": rid(n), "type": type_, "subtype": subtype, "key": key or f"DH-{n:03d}", "day": day,
            "supersedes": supersedes, "title": f"作业票 {n}", "origin": "91370100MA3C8K2P9L", "created_at": "2026-06-09T02:00:00Z",
            "info": json.dumps(info) if info else None, "belongs": belongs, "links": list(links)}


def add(catalog, *rows: dict) -> int:
    with catalog.transaction():
        return catalog.facts.add(list(rows))


E, F, C = "91370100MA3C8K2P9L", "91370100MA3XXXXXXX", "91370100MA94A1B2C3"


def test_an_empty_store(catalog):
    f = catalog.facts
    assert f.position() == 0
    assert f.get_state("version") is None
    assert f.rows(seqs=[1]) == [] and f.linked("home", [E]) == [] and f.of_type(["work_ticket"]) == []
    assert f.keys("home") == [] and f.changes(0) == (set(), set())
    assert f.lint() == [] and f.lint_stale("fp") == 0


def test_facts_are_added_once_and_read_back_with_the_records_data(catalog):
    seqs = insert(catalog, record(1), record(2))
    assert add(catalog, facts(1, seqs[0], links=[("home", E), ("contractor", C)]), facts(2, seqs[1], links=[("home", F)])) == 2
    assert add(catalog, facts(1, seqs[0], links=[("home", E)])) == 0  # caught up twice: nothing new
    got = catalog.facts.rows(seqs=seqs, with_data=True)
    assert [r["record_id"] for r in got] == [rid(1), rid(2)]
    data = got[0]["data"]  # the sealed JSON, as text or its UTF-8 bytes (SQLite: bytes, parsed without a str made first)
    assert (data.decode() if isinstance(data, bytes) else data) == record(1)["data"]
    assert got[0]["superseded_by"] is None and got[0]["day"] == "2026-06-09"
    assert [r["record_id"] for r in catalog.facts.rows(record_ids=[rid(2)])] == [rid(2)]
    assert "data" not in catalog.facts.rows(seqs=seqs)[0]


def test_briefs_are_kept_beside_the_facts_and_read_by_seq(catalog):
    seqs = insert(catalog, record(1), record(2), record(3))
    brief = json.dumps({"ticket_no": "DH-001", "content": "焊接修复"}, ensure_ascii=False)
    add(catalog, {**facts(1, seqs[0], links=[("home", E)]), "brief": brief}, {**facts(2, seqs[1]), "brief": None}, facts(3, seqs[2]))
    got = catalog.facts.briefs([seqs[2], seqs[1], seqs[0], seqs[0]])
    assert list(got) == [seqs[0]]  # only those that have one
    value = got[seqs[0]]
    assert (value.decode() if isinstance(value, bytes) else value) == brief
    assert catalog.facts.briefs([]) == {} and "brief" not in catalog.facts.rows(seqs=seqs)[0]
    # a selection "with_data='brief'": a record's brief where it has one (and no data), else its data
    def text(v):
        return v.decode() if isinstance(v, bytes) else v
    got = {r["seq"]: r for r in catalog.facts.rows(seqs=seqs, with_data="brief")}
    assert text(got[seqs[0]]["brief"]) == brief and got[seqs[0]]["data"] is None
    assert got[seqs[1]]["brief"] is None and text(got[seqs[1]]["data"]) == record(2)["data"]
    linked = catalog.facts.linked("home", [E], with_data="brief")
    assert [r["seq"] for r in linked] == [seqs[0]] and linked[0]["data"] is None and text(linked[0]["brief"]) == brief
    with catalog.transaction():
        catalog.facts.clear()
    assert catalog.facts.briefs(seqs) == {}


def test_selections_by_link_type_and_subtype_in_seq_order(catalog):
    seqs = insert(catalog, *(record(n) for n in (1, 2, 3, 4)))
    add(catalog,
        facts(1, seqs[0], links=[("home", E), ("contractor", C)]),
        facts(2, seqs[1], type_="hazard", subtype=None, links=[("home", E)]),
        facts(3, seqs[2], subtype="confined_space", links=[("home", F), ("contractor", C)], info={"space": "1号池"}),
        facts(4, seqs[3], type_="organization", subtype=None, key=C, day=None, links=[("self", C), ("home", "")]))
    assert [r["record_id"] for r in catalog.facts.linked("home", [E, F])] == [rid(1), rid(2), rid(3)]
    assert [r["record_id"] for r in catalog.facts.linked("contractor", [C], types=["work_ticket"])] == [rid(1), rid(3)]
    assert [r["record_id"] for r in catalog.facts.linked("contractor", [C], subtype="confined_space")] == [rid(3)]
    assert [r["record_id"] for r in catalog.facts.of_type(["work_ticket"], subtype="confined_space")] == [rid(3)]
    assert json.loads(catalog.facts.of_type(["work_ticket"], subtype="confined_space")[0]["info"]) == {"space": "1号池"}
    assert [r["record_id"] for r in catalog.facts.keyed("organization", [C])] == [rid(4)]
    assert catalog.facts.keys("home") == sorted(["", E, F])
    assert catalog.facts.linked_keys("home", [E], roles=["contractor"]) == {("contractor", C)}
    assert (seqs[0], "contractor", C) in catalog.facts.links([seqs[0]])
    assert catalog.facts.links([seqs[0]], roles=["home"]) == [(seqs[0], "home", E)]
    assert catalog.facts.mistyped_links(seqs) == []  # each link carries its record's type
    many = [f"K{i}" for i in range(1500)] + [E]  # more keys than one statement takes
    assert len(catalog.facts.linked("home", many)) == 2


def test_corrections_are_kept_in_both_directions(catalog):
    seqs = insert(catalog, record(1), record(2, supersedes=rid(1)), record(3, supersedes=rid(1)))
    add(catalog, facts(3, seqs[2], supersedes=rid(1)))  # a later correction whose facts arrive first
    add(catalog, facts(1, seqs[0]))
    assert catalog.facts.rows(record_ids=[rid(1)])[0]["superseded_by"] == rid(3)
    add(catalog, facts(2, seqs[1], supersedes=rid(1)))  # the first correction by seq wins
    assert catalog.facts.rows(record_ids=[rid(1)])[0]["superseded_by"] == rid(2)
    assert [r["record_id"] for r in catalog.facts.successors([rid(1)])] == [rid(2), rid(3)]
    assert [r["record_id"] for r in catalog.facts.of_type(["work_ticket"], current_only=True)] == [rid(2), rid(3)]


def test_changes_since_a_seq_name_the_keys_of_new_records_and_of_those_they_correct(catalog):
    seqs = insert(catalog, record(1), record(2, supersedes=rid(1)))
    add(catalog, facts(1, seqs[0], links=[("home", E), ("person", "p1")]))
    top = seqs[0]
    add(catalog, facts(2, seqs[1], type_="hazard", subtype=None, supersedes=rid(1), links=[("home", F)], belongs=F))
    links, types = catalog.facts.changes(top)
    # each link with the type of the record holding it: the correction's, and the corrected record's;
    # and whose scope the new record is in
    assert links == {("home", F, "hazard"), ("home", E, "work_ticket"), ("person", "p1", "work_ticket"),
                     ("belongs", F, "hazard")} and types == {"hazard"}
    assert catalog.facts.changes(seqs[1]) == (set(), set())


def test_position_state_missing_and_clear(catalog):
    seqs = insert(catalog, record(1), record(2), record(3))
    add(catalog, facts(1, seqs[0]), facts(3, seqs[2]))
    assert catalog.facts.missing(0, seqs[2]) == [seqs[1]]
    with catalog.transaction():
        catalog.facts.set_position(seqs[0])
        catalog.facts.set_state("version", "1")
    assert catalog.facts.position() == seqs[0] and catalog.facts.get_state("version") == "1"
    with catalog.transaction():
        catalog.facts.put_lint([{"record_id": rid(1), "fingerprint": "fp", "problems": None}])
        catalog.facts.clear()
    assert catalog.facts.position() == 0 and catalog.facts.rows(seqs=seqs) == [] and catalog.facts.missing(0, seqs[2]) == seqs
    assert catalog.facts.lint(problems_only=False) != []  # the lint is the rules' verdict: kept


def test_the_lint_is_kept_replaced_and_counted(catalog):
    insert(catalog, record(1), record(2))
    with catalog.transaction():
        catalog.facts.put_lint([{"record_id": rid(1), "fingerprint": "old", "problems": None},
                                {"record_id": rid(2), "fingerprint": "new", "problems": json.dumps([{"path": "doc_no", "message": "x"}])}])
    assert [r["record_id"] for r in catalog.facts.lint()] == [rid(2)]
    assert catalog.facts.lint_stale("new") == 1
    with catalog.transaction():
        catalog.facts.put_lint([{"record_id": rid(1), "fingerprint": "new", "problems": None}])
    assert catalog.facts.lint_stale("new") == 0
    assert [r["fingerprint"] for r in catalog.facts.lint(record_ids=[rid(1)], problems_only=False)] == ["new"]


def test_lint_verdicts_name_the_refused_and_the_unjudged(catalog):
    insert(catalog, record(1), record(2), record(3), record(4))
    problem = json.dumps([{"path": "doc_no", "message": "x"}])
    with catalog.transaction():
        catalog.facts.put_lint([{"record_id": rid(1), "fingerprint": "new", "problems": None},
                                {"record_id": rid(2), "fingerprint": "new", "problems": problem},
                                {"record_id": rid(3), "fingerprint": "old", "problems": problem}])
    refused, unjudged = catalog.facts.lint_verdicts([rid(4), rid(3), rid(2), rid(1), rid(1)], "new")
    assert [(r["record_id"], r["problems"]) for r in refused] == [(rid(2), problem)]
    assert unjudged == sorted([rid(3), rid(4)])  # linted by other rules, and never linted
    assert catalog.facts.lint_verdicts([], "new") == ([], [])
    # more ids than one query takes (SQLite's chunks)
    many = [rid(1), *(f"R-none-{i}" for i in range(1500))]
    refused, unjudged = catalog.facts.lint_verdicts(many, "new")
    assert refused == [] and len(unjudged) == 1500 and rid(1) not in unjudged


def test_a_state_is_claimed_only_from_the_value_expected(catalog):
    import pytest

    f = catalog.facts
    with pytest.raises(RuntimeError):
        f.claim_state("lease", None, "a")  # a write: inside a transaction only
    with catalog.transaction():
        assert f.claim_state("lease", None, "a")  # not set: claimed
        assert not f.claim_state("lease", None, "b")  # set by now: a second "first" claim fails
        assert not f.claim_state("lease", "x", "b")  # not the value expected
        assert f.get_state("lease") == "a"
        assert f.claim_state("lease", "a", "c") and f.get_state("lease") == "c"
        assert f.claim_state("lease", "c", "") and f.claim_state("lease", "", "d")  # released, claimed again
    assert f.get_state("lease") == "d"


def test_stale_records_are_read_in_seq_order_a_batch_at_a_time(catalog):
    seqs = insert(catalog, *(record(n) for n in range(1, 7)))
    with catalog.transaction():
        catalog.facts.put_lint([{"record_id": rid(1), "fingerprint": "new", "problems": None},
                                {"record_id": rid(2), "fingerprint": "old", "problems": None},
                                {"record_id": rid(4), "fingerprint": "new", "problems": json.dumps([{"path": "x", "message": "y"}])}])
    # judged by other rules (2) or never (3, 5, 6); judged under "new" (1, 4, refused or not) left out
    first = catalog.facts.lint_stale_records("new", limit=2)
    assert [r["id"] for r in first] == [rid(2), rid(3)]
    assert first[0]["data"] == record(2)["data"] and first[0]["type"] == "work_ticket" and first[0]["created_at"]
    rest = catalog.facts.lint_stale_records("new", after=first[-1]["seq"], limit=2)
    assert [r["id"] for r in rest] == [rid(5), rid(6)]
    assert catalog.facts.lint_stale_records("new", after=seqs[-1]) == []
    assert len(catalog.facts.lint_stale_records("new")) == catalog.facts.lint_stale("new") == 4


def test_facts_are_written_only_inside_a_transaction(catalog):
    import pytest

    seqs = insert(catalog, record(1))
    with pytest.raises(RuntimeError):
        catalog.facts.add([facts(1, seqs[0])])
    with pytest.raises(RuntimeError):
        with catalog.transaction():
            catalog.facts.add([facts(1, seqs[0])])
            raise RuntimeError("rolled back")
    assert catalog.facts.rows(seqs=seqs) == []
