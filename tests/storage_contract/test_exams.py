"""ExamBook: question banks (immutable) and exam attempts — one open attempt per worker, status
changes as compare-and-set, and a closed attempt's result refused to change by the database."""

from __future__ import annotations

import pytest

from storage.errors import StorageError


def bank(n: int = 1, level: str = "公司级") -> dict:
    return {"seq": 0, "sha256": f"{n:064x}", "level": level, "title": f"题库{n}", "version": "1", "questions": 24,
            "body": '{"questions":[]}', "added_at": f"2026-11-29T02:00:{n:02d}Z", "added_by": "li"}


def attempt(n: int = 1, person: str = "p1", **kw) -> dict:
    row = {"id": f"01JEXAM{n:019d}", "person": person, "person_name": "王海军", "employer": "91370112MA3RK7Q4XX",
           "enterprise": "91370100MA3C8K2P9L", "level": "公司级", "bank_sha256": f"{1:064x}", "seed": "9f3a", "questions": '["GS-01"]',
           "training": "{}", "time_limit": 1800, "pass_score": 60.0, "status": "assigned", "created_at": f"2026-11-29T02:{n:02d}:00Z",
           "created_by": "li", "started_at": None, "deadline": None, "answers": "{}", "answered_at": None, "submitted_at": None,
           "correct": None, "score": None, "passed": None, "signature": None, "signature_sha256": None, "signed_at": None,
           "card_record": None}
    row.update(kw)
    return row


def test_banks_are_kept_in_order_and_once(catalog):
    with catalog.transaction():
        assert catalog.exams.add_bank(bank(1)) is True
        assert catalog.exams.add_bank(bank(2)) is True
        assert catalog.exams.add_bank(bank(1)) is False  # the same bank again
        assert catalog.exams.add_bank(bank(3, "车间级")) is True
    assert [b["sha256"] for b in catalog.exams.banks("公司级")] == [f"{1:064x}", f"{2:064x}"]
    assert len(catalog.exams.banks()) == 3
    assert catalog.exams.bank(f"{3:064x}")["level"] == "车间级"
    assert catalog.exams.bank("0" * 64) is None


def test_one_attempt_under_way_per_worker(catalog):
    with catalog.transaction():
        catalog.exams.add_attempt(attempt(1))
    with pytest.raises(StorageError):
        with catalog.transaction():
            catalog.exams.add_attempt(attempt(2))
    with catalog.transaction():
        catalog.exams.add_attempt(attempt(3, person="p2"))  # another worker
        assert catalog.exams.close_attempt(attempt(1)["id"], status="cancelled", submitted_at=None, correct=None, score=None,
                                           passed=None)
        catalog.exams.add_attempt(attempt(4))  # the first is over: a new one may be arranged
    assert [a["id"] for a in catalog.exams.attempts(person="p1")] == [attempt(4)["id"], attempt(1)["id"]]


def test_the_life_of_an_attempt_is_compare_and_set(catalog):
    aid = attempt(1)["id"]
    ex = catalog.exams
    with catalog.transaction():
        ex.add_attempt(attempt(1))
        assert not ex.save_answers(aid, answers='{"GS-01":"A"}', answered_at="t")  # not started yet
        assert ex.start_attempt(aid, started_at="2026-11-29T02:01:00Z", deadline="2026-11-29T02:31:00Z")
        assert not ex.start_attempt(aid, started_at="x", deadline="y")  # only once
        assert ex.save_answers(aid, answers='{"GS-01":"A"}', answered_at="2026-11-29T02:05:00Z")
        assert not ex.sign_attempt(aid, signature=b"png", signature_sha256="h", signed_at="t")  # not closed yet
        assert ex.close_attempt(aid, status="submitted", submitted_at="2026-11-29T02:10:00Z", correct=1, score=100.0, passed=True)
        assert not ex.close_attempt(aid, status="timed_out", submitted_at="z", correct=0, score=0.0, passed=False)  # second phone
        assert not ex.save_answers(aid, answers="{}", answered_at="t")
        assert not ex.link_card(aid, "01JCARD")  # not signed yet
        assert ex.sign_attempt(aid, signature=b"\x89PNG", signature_sha256="ab", signed_at="2026-11-29T02:11:00Z")
        assert not ex.sign_attempt(aid, signature=b"other", signature_sha256="cd", signed_at="t")  # once
        assert ex.link_card(aid, "01JCARD")
        assert not ex.link_card(aid, "01JOTHER")
    got = ex.get_attempt(aid)
    assert got["status"] == "submitted" and got["passed"] is True and got["score"] == 100.0 and got["correct"] == 1
    assert got["answers"] == '{"GS-01":"A"}' and got["signature"] == b"\x89PNG" and got["card_record"] == "01JCARD"
    assert ex.attempts(status="submitted", enterprise="91370100MA3C8K2P9L", level="公司级", limit=5)[0]["id"] == aid
    assert ex.get_attempt("nope") is None


def test_a_failed_attempt_cannot_be_linked_to_a_card(catalog):
    aid = attempt(1)["id"]
    with catalog.transaction():
        catalog.exams.add_attempt(attempt(1, status="open"))
        catalog.exams.close_attempt(aid, status="timed_out", submitted_at="t", correct=3, score=20.0, passed=False)
        assert catalog.exams.sign_attempt(aid, signature=b"png", signature_sha256="h", signed_at="t")
        assert not catalog.exams.link_card(aid, "01JCARD")


def test_the_database_keeps_a_closed_result_and_every_attempt(backend, catalog):
    aid = attempt(1)["id"]
    with catalog.transaction():
        catalog.exams.add_attempt(attempt(1, status="open"))
        catalog.exams.close_attempt(aid, status="submitted", submitted_at="t", correct=3, score=20.0, passed=False)
        catalog.exams.add_bank(bank(1))
    for sql in (f"UPDATE exam_attempts SET score=100, passed=1 WHERE id='{aid}'",
                f"UPDATE exam_attempts SET status='open' WHERE id='{aid}'",
                f"DELETE FROM exam_attempts WHERE id='{aid}'",
                "UPDATE question_banks SET title='x'", "DELETE FROM question_banks"):
        with pytest.raises(backend.refused):
            backend.execute_raw(catalog, sql)
    got = catalog.exams.get_attempt(aid)
    assert got["score"] == 20.0 and got["passed"] is False and catalog.exams.banks()[0]["title"] == "题库1"
