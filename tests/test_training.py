"""The three-level training exam (archive.training): the seeded draw, one exam at a time, the
server's clock and the timeout, the score, the signature, the 登记卡 written from the exams
(its signature hashes sealed and checked by verify), the admission rule fed by the results, the
bank schema, and ``outsafe exam`` through the command line."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

import pytest
import time_machine

from archive.errors import NotFound, RuleViolation, ValidationFailed
from archive.integrity.verify import verify_archive
from archive.training import bank, card, exam
from cli import main
from schemas import read_case_file
from schemas.exam import load_bank
from tests import factories
from tests.conftest import TODAY_AT
from tests.exam_helpers import BANKS, LEVELS, install_banks, pass_level, right_answers, signature_png, training, wrong_answers

TAIL = factories.WELDER_ID[6:14]  # the date of birth: what the masked number hides


@pytest.fixture
def ex(arc):
    """The basic archive (a welder with a paper card of April) with the sample banks installed."""
    install_banks(arc)
    return arc


@pytest.fixture
def welder(ex):
    return exam.person_key_of(ex, factories.WELDER_ID)


def new_worker(arc, name: str, prefix17: str) -> tuple[str, str]:
    """A second worker of the contractor, with no card: (registry key, ID number)."""
    number = factories.id_number(prefix17)
    arc.add_files([factories.write(arc.home.root / "in", f"{name}.yaml", factories.person(name, number))], pdf=False)
    return exam.person_key_of(arc, number), number


# --- the draw -------------------------------------------------------------------------------------------------


def test_the_draw_is_seeded_recorded_and_reproducible_by_anyone(ex, welder):
    b = bank.current_bank(ex, "公司级")
    ids = [q.id for q in b.bank.questions]
    first = exam.draw(ids, 15, "9f3a1c")
    assert first == exam.draw(reversed(ids), 15, "9f3a1c")  # the bank's order does not matter
    assert len(first) == 15 and set(first) <= set(ids) and len(set(first)) == 15
    assert first != exam.draw(ids, 15, "9f3a1d")
    # the rule written in the docstring, computed independently
    assert first == sorted(ids, key=lambda q: hashlib.sha256(f"9f3a1c:{q}".encode()).hexdigest())[:15]
    row = exam.arrange(ex, welder, "公司级", training(ex, "公司级"), by="li")
    assert json.loads(row["questions"]) == exam.draw(ids, ex.settings.exam_questions_company, row["seed"])
    assert row["bank_sha256"] == b.sha256 and row["status"] == "assigned" and row["time_limit"] == 30 * 60
    other = exam.arrange(ex, new_worker(ex, "李明", "37010219920101003")[0], "公司级", training(ex, "公司级"))
    assert other["seed"] != row["seed"]  # each attempt its own seed


def test_one_exam_at_a_time_per_worker(ex, welder):
    a = exam.arrange(ex, welder, "公司级", training(ex, "公司级"))
    with pytest.raises(RuleViolation) as e:
        exam.arrange(ex, welder, "车间级", training(ex, "车间级"))
    assert "已有一场未结束的考试（公司级" in e.value.problems[0].message
    exam.cancel(ex, a["id"])
    b = exam.arrange(ex, welder, "车间级", training(ex, "车间级"))
    exam.start(ex, b["id"], birth=TAIL)
    with pytest.raises(RuleViolation):
        exam.arrange(ex, welder, "班组级", training(ex, "班组级"))
    with time_machine.travel(TODAY_AT + timedelta(minutes=31), tick=False):  # the open one ran out: settled, a new one may start
        c = exam.arrange(ex, welder, "班组级", training(ex, "班组级"))
        assert ex.catalog.exams.get_attempt(b["id"])["status"] == "timed_out" and c["status"] == "assigned"


def test_the_worker_starts_it_himself_and_the_server_keeps_the_time(ex, welder):
    a = exam.arrange(ex, welder, "公司级", training(ex, "公司级"))
    with pytest.raises(ValidationFailed) as e:
        exam.start(ex, a["id"], birth="19000101")
    assert "出生日期不符" in e.value.problems[0].message
    assert ex.catalog.exams.get_attempt(a["id"])["status"] == "assigned"
    started = exam.start(ex, a["id"], birth=f"{TAIL[:4]}-{TAIL[4:6]}-{TAIL[6:]}")  # typed with dashes
    t0 = datetime.fromisoformat(started["started_at"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(started["deadline"].replace("Z", "+00:00")) - t0 == timedelta(minutes=30)
    with pytest.raises(RuleViolation):
        exam.start(ex, a["id"], birth=TAIL)


def test_score_all_or_nothing_and_answers_normalised(ex, welder):
    a = exam.arrange(ex, welder, "公司级", training(ex, "公司级"), seed="00ff")
    exam.start(ex, a["id"], birth=TAIL)
    b = bank.current_bank(ex, "公司级")
    drawn = json.loads(a["questions"])
    right = right_answers(ex, a)
    multi = next(q for q in drawn if b.question(q).kind == "multiple")
    answers = dict(right)
    answers[multi] = right[multi][:-1]  # one letter short: wrong
    half = drawn[: len(drawn) // 2]
    answers.update({q: wrong_answers(ex, a)[q] for q in half if q != multi})
    answers = {q: v.lower()[::-1] if v.isascii() else v for q, v in answers.items()}  # "ca" is "AC"
    done = exam.submit(ex, a["id"], answers)
    expected = sum(1 for q in drawn if q not in half and q != multi)
    assert done["correct"] == expected and done["score"] == round(100 * expected / len(drawn), 1)
    assert done["passed"] is (done["score"] >= 60) and done["status"] == "submitted"
    p = exam.paper(ex, done)
    item = next(i for i in p["items"] if i["id"] == multi)
    assert item["right"] is False and item["answer"] == right[multi] and item["explanation"] and item["source"]


def test_the_paper_shows_no_answers_before_handing_in(ex, welder):
    a = exam.arrange(ex, welder, "班组级", training(ex, "班组级"))
    exam.start(ex, a["id"], birth=TAIL)
    p = exam.paper(ex, ex.catalog.exams.get_attempt(a["id"]))
    assert 30 * 60 - 60 < p["remaining_seconds"] <= 30 * 60 and len(p["items"]) == 15
    assert all("answer" not in i and "explanation" not in i for i in p["items"])


def test_a_late_submission_is_scored_as_timed_out_on_the_answers_saved_in_time(ex, welder):
    a = exam.arrange(ex, welder, "车间级", training(ex, "车间级"))
    exam.start(ex, a["id"], birth=TAIL)
    right = right_answers(ex, a)
    drawn = json.loads(a["questions"])
    saved = {q: right[q] for q in drawn[:12]}  # 12 of 15 right, saved before the deadline
    with time_machine.travel(TODAY_AT + timedelta(minutes=20), tick=False):
        assert exam.save_answers(ex, a["id"], saved)["status"] == "open"
    with time_machine.travel(TODAY_AT + timedelta(minutes=30, seconds=45), tick=False):  # past 30 min + 30 s grace
        late = exam.submit(ex, a["id"], right)  # all right, but too late
    assert late["status"] == "timed_out" and late["passed"] is False
    assert late["correct"] == 12 and late["score"] == 80.0  # what was saved in time, recorded; still not passed
    assert late["submitted_at"] == late["deadline"]
    assert json.loads(late["answers"]) == saved  # the late answers were not taken


def test_within_the_grace_a_submission_counts_and_a_save_after_it_is_refused(ex, welder):
    a = exam.arrange(ex, welder, "车间级", training(ex, "车间级"))
    exam.start(ex, a["id"], birth=TAIL)
    with time_machine.travel(TODAY_AT + timedelta(minutes=30, seconds=20), tick=False):
        done = exam.submit(ex, a["id"], right_answers(ex, a))
    assert done["status"] == "submitted" and done["passed"] is True
    b = exam.arrange(ex, welder, "班组级", training(ex, "班组级"))
    exam.start(ex, b["id"], birth=TAIL)
    with time_machine.travel(TODAY_AT + timedelta(hours=1), tick=False):
        after = exam.save_answers(ex, b["id"], right_answers(ex, b))
        assert after["status"] == "timed_out" and after["answers"] == "{}"
        assert exam.results(ex).rows[0]["status"] == "timed_out"


def test_the_signature_is_a_png_given_once_after_handing_in(ex, welder):
    a = exam.arrange(ex, welder, "公司级", training(ex, "公司级"))
    exam.start(ex, a["id"], birth=TAIL)
    with pytest.raises(RuleViolation):
        exam.sign(ex, a["id"], signature_png())
    exam.submit(ex, a["id"], right_answers(ex, a))
    with pytest.raises(ValidationFailed) as e:
        exam.sign(ex, a["id"], b"GIF89a not a png")
    assert "PNG" in e.value.problems[0].message
    png = signature_png()
    row = exam.sign(ex, a["id"], png)
    assert row["signature"] == png and row["signature_sha256"] == hashlib.sha256(png).hexdigest()
    with pytest.raises(RuleViolation):
        exam.sign(ex, a["id"], signature_png(seed=1))


def test_an_exam_of_another_enterprise_is_not_found_like_a_missing_one(ex, welder):
    a = exam.arrange(ex, welder, "公司级", training(ex, "公司级"))
    with pytest.raises(NotFound) as other:
        exam.get(ex, a["id"], within="91370102MA7XY5010X")
    with pytest.raises(NotFound) as missing:
        exam.get(ex, "01JZZZZZZZZZZZZZZZZZZZZZZZ", within=ex.owner_uscc)
    assert other.value.message.replace(a["id"], "X") == missing.value.message.replace("01JZZZZZZZZZZZZZZZZZZZZZZZ", "X")


# --- the card ----------------------------------------------------------------------------------------------------


def test_the_card_is_written_from_three_signed_exams_and_verify_checks_the_signatures(ex, welder):
    with pytest.raises(RuleViolation) as e:
        card.write_card(ex, welder, record_no="HA-JY-2026-001", confirmed_by="刘海涛", pdf=False)
    assert "公司级、车间级、班组级考试尚未合格并签字确认" in e.value.problems[0].message
    rows = [pass_level(ex, welder, lv, TAIL, seed=n) for n, lv in enumerate(LEVELS)]
    state = card.card_state(ex, welder)
    assert state["ready"] and state["record_no"] == "HA-JY-2026-001" and len(state["cards"]) == 1
    old = state["cards"][0]["id"]
    written = card.write_card(ex, welder, record_no=state["record_no"], confirmed_by="刘海涛", pdf=False)
    assert written.status == "superseded" and written.supersedes == old
    rec = ex.show_record(written.record_id)
    data = json.loads(ex.catalog.get_record(written.record_id)["data"])
    assert [lv["level"] for lv in data["levels"]] == list(LEVELS)
    for lv, row in zip(data["levels"], rows, strict=True):
        assert lv["score"] == 100.0 and lv["passed"] is True and lv["exam"]["attempt"] == row["id"]
        assert lv["exam"]["seed"] == row["seed"] and lv["exam"]["questions"] == 15 and len(lv["exam"]["answers"]) == 15
        assert lv["trainee_signature"]["file"] == f"受教育人签字-{lv['level']}.png"
    # each signature PNG is a file of the record, its hash in the signed seal
    files = {f["name"]: f["sha256"] for f in ex.catalog.record_files(written.record_id)}
    seal = ex.catalog.get_record(written.record_id)["seal"]
    for row in rows:
        sha = ex.catalog.exams.get_attempt(row["id"])["signature_sha256"]
        assert files[f"受教育人签字-{row['level']}.png"] == sha and sha in seal
        assert ex.catalog.exams.get_attempt(row["id"])["card_record"] == written.record_id
    assert rec and verify_archive(ex).ok
    # one flipped byte in a signature: verify names the card
    path = ex.blobs.path_for(files["受教育人签字-车间级.png"])
    path.chmod(0o600)
    blob = bytearray(path.read_bytes())
    blob[-20] ^= 1
    path.write_bytes(bytes(blob))
    report = verify_archive(ex)
    assert not report.ok and any(written.record_id in f for f in report.failures)
    assert card.card_state(ex, welder)["written"] is True
    with pytest.raises(RuleViolation):
        card.write_card(ex, welder, record_no="HA-JY-2026-001", confirmed_by="刘海涛", pdf=False)


def test_a_new_worker_gets_a_new_card_number_and_its_problems_come_all_at_once(ex):
    key, number = new_worker(ex, "李明", "37010219920101003")
    for n, lv in enumerate(LEVELS):
        pass_level(ex, key, lv, number[6:14], seed=n)
    state = card.card_state(ex, key)
    assert state["cards"] == [] and state["record_no"] == "HA-JY-2026-002"
    with pytest.raises(ValidationFailed) as e:
        card.write_card(ex, key, record_no="", confirmed_by="", confirmer_signature=b"not a png", pdf=False)
    assert {p.path for p in e.value.problems} == {"record_no", "confirmed_by", "confirmer_signature"}
    written = card.write_card(ex, key, record_no=state["record_no"], confirmed_by="刘海涛", confirmer_signature=signature_png(seed=9),
                              project="HR-WB-2026-001", pdf=False)
    assert written.status == "added"
    data = json.loads(ex.catalog.get_record(written.record_id)["data"])
    assert data["conclusion"]["confirmer_signature"]["file"] == "确认人签字.png" and data["project"] == "HR-WB-2026-001"


def test_a_card_whose_score_differs_from_its_exam_is_refused(ex, welder, tmp_path):
    for n, lv in enumerate(LEVELS):
        pass_level(ex, welder, lv, TAIL, seed=n)
    written = card.write_card(ex, welder, record_no="HA-JY-2026-001", confirmed_by="刘海涛", pdf=False)
    data = json.loads(ex.catalog.get_record(written.record_id)["data"])
    data["levels"][1]["score"] = 60
    data["levels"][2]["exam"]["correct"] = 14
    problems = ex.validate_files([factories.write(tmp_path, "card.yaml", {"type": "training_record", **data})])[1]
    paths = {p.path for p in problems if p.severity == "error"}
    assert "levels[1].score" in paths and "levels[2].exam.correct" in paths


# --- the admission rule, fed by real results --------------------------------------------------------------------------


def ticket_naming(number: str, no: str) -> dict:
    return factories.hot_work_ticket(
        ticket_no=no, applied_at="2026-11-29 07:30", valid_from="2026-11-29 08:30", valid_to="2026-11-29 09:40",
        workers=[{"name": "王海军", "id_number": factories.WELDER_ID}, {"name": "李明", "id_number": number}],
        gas_samples=[{"taken_at": "2026-11-29 08:10", "kind": "可燃气体", "gas": "甲烷", "result": 0.1, "lel_pct": 5.0, "analyst": "赵鹏"}],
        approvals=[{"box": b, "name": n, "signed_at": f"2026-11-29 08:{m}"} for b, n, m in (
            ("监护人", "孙丽娟", 15), ("作业负责人", "马志强", 15), ("所在单位", "高建军", 18), ("安全管理部门", "刘海涛", 20),
            ("动火审批人", "高建军", 22), ("当班班长验票", "张涛", 28))],
        completion={"by": "高建军", "at": "2026-11-29 09:35"})


def training_problems(arc, tmp_path, ticket: dict) -> list[str]:
    problems = arc.validate_files([factories.write(tmp_path, f"{ticket['ticket_no']}.yaml", ticket)])[1]
    return [p.message for p in problems if getattr(p, "rule", "") == "training"]


def test_a_worker_who_has_not_passed_cannot_be_named_on_a_ticket(ex, tmp_path):
    key, number = new_worker(ex, "李明", "37010219920101003")
    tail = number[6:14]
    t = ticket_naming(number, "DH-2026-0300")
    assert any("李明" in m and "没有三级安全教育登记卡" in m for m in training_problems(ex, tmp_path, t))
    for n, lv in enumerate(LEVELS):
        pass_level(ex, key, lv, tail, seed=n)
    said = training_problems(ex, tmp_path, t)
    assert any("三级教育考试已合格，尚未写入登记卡" in m for m in said)
    card.write_card(ex, key, record_no="HA-JY-2026-002", confirmed_by="刘海涛", pdf=False)
    assert training_problems(ex, tmp_path, t) == []  # admitted: the card the exams wrote
    # a later exam of his, failed, after the card: refused again until he passes
    a = exam.arrange(ex, key, "车间级", training(ex, "车间级"))
    exam.start(ex, a["id"], birth=tail)
    exam.submit(ex, a["id"], wrong_answers(ex, a))
    said = training_problems(ex, tmp_path, t)
    assert any("最近一次考试不合格" in m and "车间级考试" in m and "0分" in m for m in said), said
    report = ex.validate_files([factories.write(tmp_path, "t.yaml", t)])[1]
    assert not next(p for p in report if getattr(p, "rule", "") == "training").overridable
    pass_level(ex, key, "车间级", tail, sign=False)
    assert training_problems(ex, tmp_path, t) == []


# --- the bank ---------------------------------------------------------------------------------------------------


def test_the_sample_banks_are_valid_and_large_enough(arc):
    report = bank.check_banks(arc, BANKS)
    assert report.exit_code == 0 and sorted(b["level"] for b in report.banks) == sorted(LEVELS)
    for path in BANKS:
        b = load_bank(read_case_file(path), arc.rule_context()).obj
        assert len(b.questions) >= 20 and {q.kind for q in b.questions} == {"single", "multiple", "judge"}
        assert all(q.source and q.explanation for q in b.questions)


def test_a_bad_bank_gets_every_problem_at_once(arc, tmp_path):
    raw = {"type": "question_bank", "level": "公司级", "title": "t", "version": "1", "content": ["x"], "questions": [
        {"id": "Q1", "kind": "single", "text": "题一", "options": ["a", "b"], "answer": "C", "explanation": "e", "source": "s"},
        {"id": "Q1", "kind": "judge", "text": "题二", "options": ["a"], "answer": "对", "explanation": "e", "source": "s"},
        {"id": "Q3", "kind": "multiple", "text": "题 一", "options": ["a", "b", "c"], "answer": "A", "explanation": "e", "source": "s"},
        {"id": "Q4", "kind": "essay", "text": "题四", "answer": "A", "explanation": "e", "source": "s", "extra": 1},
    ]}
    path = factories.write(tmp_path, "bad.yaml", raw)
    report = bank.check_banks(arc, [path])
    paths = {p.path for p in report.problems}
    assert {"questions[0].answer", "questions[1].id", "questions[1].options", "questions[1].answer", "questions[2].answer",
            "questions[3].kind", "questions[3].extra"} <= paths, paths
    assert report.exit_code == 1 and all(p.file == str(path) for p in report.problems)
    with pytest.raises(ValidationFailed):
        bank.add_banks(arc, [path])
    assert arc.catalog.exams.banks() == []


def test_a_bank_smaller_than_the_draw_is_refused(arc, tmp_path):
    raw = read_case_file(BANKS[0])
    raw["questions"] = raw["questions"][:5]
    report = bank.check_banks(arc, [factories.write(tmp_path, "small.yaml", raw)])
    assert report.exit_code == 1 and "少于每次考试抽取的 15 题" in report.problems[0].message


# --- the command line -----------------------------------------------------------------------------------------------


def test_outsafe_exam_bank_and_results(runner, arc, tmp_path):
    home = str(arc.home.root)
    r = runner.invoke(main, ["--home", home, "exam", "bank", "check", *map(str, BANKS)])
    assert r.exit_code == 0 and r.output.count("校验通过") == 3
    bad = factories.write(tmp_path, "bad.yaml", {"type": "question_bank", "level": "厂级"})
    r = runner.invoke(main, ["--home", home, "exam", "bank", "add", str(bad)])
    assert r.exit_code == 1 and "level" in r.output
    r = runner.invoke(main, ["--home", home, "exam", "bank", "add", *map(str, BANKS)])
    assert r.exit_code == 0 and r.output.count("已安装") == 3
    r = runner.invoke(main, ["--home", home, "exam", "bank", "add", *map(str, BANKS)])
    assert r.output.count("已有") == 3
    r = runner.invoke(main, ["--home", home, "exam", "bank", "list", "--json"])
    assert [b["current"] for b in json.loads(r.output)["banks"]] == [True, True, True]
    arc.close()
    from archive.app import Archive

    a = Archive.open(arc.home.root)
    key = exam.person_key_of(a, factories.WELDER_ID)
    pass_level(a, key, "公司级", TAIL)
    a.close()
    r = runner.invoke(main, ["--home", home, "exam", "results", "--json"])
    got = json.loads(r.output)["attempts"]
    assert r.exit_code == 0 and got[0]["score"] == 100.0 and got[0]["signed"] is True and got[0]["person_name"] == "王海军"
    assert factories.WELDER_ID not in r.output
    r = runner.invoke(main, ["--home", home, "exam", "results", "--level", "车间级"])
    assert r.exit_code == 0 and "没有考试记录" in r.output


def test_the_printed_card_shows_each_exam_and_every_signature(ex, welder, tmp_path):
    """The 登记卡 printed from exams taken on a phone: each level's score with what stands behind it
    (answered right of the questions drawn, pass mark, times, exam number) and the worker's signature
    image in its 受教育人签字 cell; a paper card prints no exam line."""
    import re

    from pypdf import PdfReader

    rows = [pass_level(ex, welder, lv, TAIL, seed=n) for n, lv in enumerate(LEVELS)]
    written = card.write_card(ex, welder, record_no="HA-JY-2026-001", confirmed_by="刘海涛")
    pdf = next(f for f in ex.catalog.record_files(written.record_id) if f["role"] == "pdf")
    reader = PdfReader(str(ex.blobs.path_for(pdf["sha256"])))
    text = re.sub(r"\s", "", "".join(page.extract_text() for page in reader.pages))
    assert text.count("在线考试：答对15/15道（60分合格）") == 3
    for row in rows:
        assert row["id"] in text
    # LibreOffice re-encodes the PNGs: the three distinct drawings are printed as three distinct images
    printed = {hashlib.sha256(im.data).hexdigest() for page in reader.pages for im in page.images}
    signed = {f["sha256"] for f in ex.catalog.record_files(written.record_id) if f["name"].startswith("受教育人签字")}
    assert len(signed) == 3 and len(printed) >= 3
    assert len(reader.pages) == 1  # three levels with their exams still fit the one page of the form
    paper = ex.catalog.get_record(card.trainee_cards(ex, ex.registry().person(factories.WELDER_ID))[0]["supersedes"])
    old_pdf = next((f for f in ex.catalog.record_files(paper["id"]) if f["role"] == "pdf"), None)
    if old_pdf is not None:
        old = "".join(p.extract_text() for p in PdfReader(str(ex.blobs.path_for(old_pdf["sha256"]))).pages)
        assert "在线考试" not in old
