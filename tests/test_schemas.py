"""Schemas: loading into frozen dataclasses, every problem at once with field paths, rules."""

from __future__ import annotations

import dataclasses
import random
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.app import canonical
from archive.settings import Settings
from schemas import TYPES, load, parse_text, schema_for
from schemas.base import RuleContext, dump
from schemas.tickets import HotWorkTicket
from tests import factories as f

CTX = RuleContext(Settings(), date(2026, 11, 29), None)


def problems_of(raw, ctx=CTX):
    r = load(raw, ctx, file="x.yaml")
    return r, {p.path: p for p in r.problems}


def test_every_type_has_a_schema_and_label():
    for name, cls in TYPES.items():
        assert cls.__case__.type == name
        assert cls.__case__.label
        schema_for(cls)


@pytest.mark.parametrize("maker", [f.organization, f.bureau, f.contractor, f.welder, f.project, f.agreement, f.hot_work_ticket])
def test_round_trip(maker):
    raw = maker()
    r = load(raw, CTX)
    assert r.ok, [p.line() for p in r.problems]
    obj = r.obj
    assert dataclasses.is_dataclass(obj)
    with pytest.raises(dataclasses.FrozenInstanceError):
        obj.__setattr__(dataclasses.fields(obj)[0].name, "x")
    again = schema_for(type(obj))().load(dump(obj))
    assert again == obj
    assert canonical(dump(again)) == canonical(dump(obj))


def test_ticket_type_picks_the_subclass():
    r = load(f.hot_work_ticket(), CTX)
    assert isinstance(r.obj, HotWorkTicket)
    assert isinstance(r.obj.workers, tuple)


def test_every_problem_at_once_with_paths():
    raw = f.hot_work_ticket(enterprise="91370100MA3C8K2P9X", bogus=1)
    del raw["location"]
    raw["gas_samples"][0]["taken_at"] = "2026-05-06 07:30"  # 60 min before start
    raw["valid_to"] = "2026-05-06 08:00"  # before start
    r, by_path = problems_of(raw)
    assert r.obj is None
    assert "校验码错误" in by_path["enterprise"].message
    assert "未知字段" in by_path["bogus"].message
    assert "缺少必填字段" in by_path["location"].message
    assert "不晚于开始时间" in by_path["valid_to"].message
    assert all(p.file == "x.yaml" for p in r.problems)


@pytest.mark.parametrize("far", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
def test_a_day_past_what_the_rules_can_count_from_is_refused_where_it_comes_in(far):
    """A ticket valid until 9999-12-31 raised OverflowError in its own approval rule (the end plus
    the grace): days and times from 1900 to 2199 only, one clear problem each."""
    raw = f.hot_work_ticket()
    raw["valid_to"] = f"{far} 08:00"
    raw["gas_samples"][0]["taken_at"] = f"{far} 07:30"
    r, by_path = problems_of(raw)
    assert r.obj is None
    assert "日期超出可用范围 1900-01-01 – 2199-12-31" in by_path["valid_to"].message
    hazard = {"type": "hazard", "hazard_no": "YH-1", "enterprise": "91370100MA3C8K2P9L", "description": "x", "grade": "一般",
              "found_on": far.replace("-", "年", 1).replace("-", "月", 1) + "日", "deadline": "2026-06-01", "status": "整改中"}
    assert any("日期超出可用范围" in p.message and p.path == "found_on" for p in load(hazard, CTX).problems)
    raw = f.hot_work_ticket()
    raw["valid_to"] = "2199-12-31 08:00"  # the last day still is one
    assert "valid_to" not in problems_of(raw)[1] or "日期超出可用范围" not in problems_of(raw)[1]["valid_to"].message


def test_nested_path_for_gas_sample():
    raw = f.hot_work_ticket()
    raw["gas_samples"].append({"taken_at": "2026-05-06 08:20", "kind": "氧气", "gas": "氧气", "result": 18.0, "analyst": "赵鹏"})
    r, by_path = problems_of(raw)
    assert "gas_samples[1].result" in by_path
    assert "19.5" in by_path["gas_samples[1].result"].message
    assert by_path["gas_samples[1].result"].source == "GB 30871—2022 6.4"


def test_gas_sample_too_early_is_named():
    raw = f.hot_work_ticket()
    raw["gas_samples"][0]["taken_at"] = "2026-05-06 07:55"
    r, by_path = problems_of(raw)
    assert "gas_samples[0].taken_at" in by_path
    assert "30 分钟" in by_path["gas_samples[0].taken_at"].message


def test_hot_work_window_escalates_at_night():
    raw = f.hot_work_ticket(valid_to="2026-05-07 08:30", conditions={"night": True})  # 24 h, 二级 -> 一级 at night
    r, by_path = problems_of(raw)
    assert "已按节假日/夜间" in by_path["valid_to"].message
    assert "8 小时" in by_path["valid_to"].message


def test_settings_tighten_a_limit():
    strict = RuleContext(Settings.from_mapping({"hot_work_max_hours_second": 4}), date(2026, 11, 29), None)
    r, by_path = problems_of(f.hot_work_ticket(), strict)
    assert "4 小时" in by_path["valid_to"].message


def test_required_boxes():
    raw = f.hot_work_ticket()
    raw["approvals"] = raw["approvals"][:2]
    r, _ = problems_of(raw)
    assert sum("意见栏签字" in p.message for p in r.problems) == 4


def test_swapped_agreement_dates():
    r, by_path = problems_of(f.agreement(term={"start": "2026-07-31", "end": "2026-04-10"}))
    assert "term.end" in by_path and "早于开始日期" in by_path["term.end"].message


def test_liability_shifting_is_a_warning_not_an_error():
    raw = f.agreement()
    raw["contractor_duties"].append("施工期间发生的一切安全事故由乙方承担全部责任，甲方不承担任何责任")
    r = load(raw, CTX)
    assert r.ok
    assert any(p.severity == "warning" and "推卸" in p.message for p in r.problems)


def test_training_hours_and_levels():
    card = {
        "type": "training_record", "record_no": "HA-JY-2026-001", "contractor": f.CONTRACTOR, "enterprise": f.ENTERPRISE,
        "trainee": {"name": "王海军", "id_number": f.WELDER_ID, "trade": "电焊工", "entry_date": "2026-04-01"},
        "levels": [
            {"level": "公司级", "start": "2026-04-02", "hours": 8, "content": ["安全生产法律法规"], "trainer": "孙丽娟", "score": 92, "passed": True},
            {"level": "车间级", "start": "2026-04-03", "hours": 8, "content": ["作业场所危险因素"], "trainer": "马志强", "score": 88, "passed": True},
            {"level": "班组级", "start": "2026-04-04", "hours": 4, "content": ["岗位操作规程"], "trainer": "张涛", "score": 90, "passed": True},
        ],
        "conclusion": {"passed": True, "may_take_post": True, "confirmed_by": "刘海涛", "confirmed_on": "2026-04-05"},
    }
    r, by_path = problems_of(card)
    assert "少于规定的 24 学时" in by_path["levels"].message
    card["levels"][2]["hours"] = 8
    assert load(card, CTX).ok
    card["high_risk"] = True
    r, by_path = problems_of(card)
    assert "72" in by_path["levels"].message
    card["high_risk"] = None
    card["levels"][1]["start"] = "2026-04-01"
    r, by_path = problems_of(card)
    assert "levels[1].start" in by_path


def test_person_working_age():
    old = f.id_number("37010219400101123")
    r, by_path = problems_of(f.person("老人", old))
    assert "年龄" in by_path["id_number"].message


def test_special_operator_needs_certificate():
    r, by_path = problems_of(f.person("李四", f.GUARD_ID, roles=["特种作业人员"]))
    assert "certificates" in by_path


def test_unknown_type_and_missing_type():
    assert "未知的文书类型" in load({"type": "nope"}, CTX).problems[0].message
    assert "缺少 type" in load({}, CTX).problems[0].message
    assert "ticket_type" in load({"type": "work_ticket", "ticket_type": "x"}, CTX).problems[0].path


def test_yaml_dates_stay_text_and_chinese_dates_load():
    raw = parse_text("type: safety_agreement\nsigned_on: 2026年4月2日\n", "a.yaml")
    assert raw["signed_on"] == "2026年4月2日"
    r = load({**f.agreement(), "signed_on": "2026年4月2日"}, CTX)
    assert r.obj.signed_on == date(2026, 4, 2)


def test_duplicate_yaml_keys_are_an_error():
    from schemas import FileProblem

    with pytest.raises(FileProblem) as e:
        parse_text("a: 1\na: 2\n", "dup.yaml")
    assert "重复的键" in e.value.problem.message


def test_settings_reject_unknown_and_wrong_types():
    from archive.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as e:
        Settings.from_mapping({"training_min_hourz": 30, "training_min_hours": "many"})
    paths = [p.path for p in e.value.problems]
    assert paths == ["settings.training_min_hourz", "settings.training_min_hours"]


@settings(max_examples=50, deadline=None)
@given(st.randoms(use_true_random=False))
def test_canonical_json_is_stable_under_key_order(rnd: random.Random):
    data = dump(load(f.hot_work_ticket(), CTX).obj)

    def shuffle(x):
        if isinstance(x, dict):
            items = list(x.items())
            rnd.shuffle(items)
            return {k: shuffle(v) for k, v in items}
        if isinstance(x, list):
            return [shuffle(v) for v in x]
        return x

    assert canonical(shuffle(data)) == canonical(data)


def test_confined_space_register_rules():
    from tests.campaign_factories import confined_register

    raw = confined_register()
    r, _ = problems_of(raw)
    assert r.ok and not r.problems, [p.line() for p in r.problems]
    assert schema_for(type(r.obj))().load(dump(r.obj)) == r.obj
    raw["spaces"][1]["approver"] = "王工"  # H2S/CO space approved by someone not the principal, no written authorisation
    raw["spaces"][1]["space_no"] = "YX-01"
    raw["spaces"][0]["warning_sign"] = False
    r, by_path = problems_of(raw)
    assert not r.ok
    assert "书面授权" in by_path["spaces[1].approver_written_authorization"].message
    assert "重复" in by_path["spaces[1].space_no"].message
    sign = by_path["spaces[0].warning_sign"]
    assert sign.severity == "warning" and "警示标志" in sign.message
    raw["spaces"][1]["approver_written_authorization"] = True
    raw["spaces"][1]["space_no"] = "YX-02"
    r, by_path = problems_of(raw)
    assert r.ok and list(by_path) == ["spaces[0].warning_sign"]


def test_blasting_detonation_all_clear_and_post_blast_check():
    from pathlib import Path

    from schemas import read_case_file

    raw = read_case_file(Path(__file__).resolve().parents[1] / "examples" / "cases" / "ticket-blasting-BP-2026-0001.yaml")
    r, _ = problems_of(raw)
    assert r.ok, [p.line() for p in r.problems]
    assert r.obj.detonation_at.hour == 12 and r.obj.post_blast_check
    bad = dict(raw, detonation_at="2026-07-18 13:30", all_clear_at="2026-07-18 13:00", post_blast_check=None)
    r, by_path = problems_of(bad)
    assert "作业时间" in by_path["detonation_at"].message
    assert "起爆之后" in by_path["all_clear_at"].message
    assert "盲炮" in by_path["post_blast_check"].message
    r, by_path = problems_of({k: v for k, v in raw.items() if k not in ("detonation_at", "all_clear_at", "post_blast_check")})
    assert r.ok  # the three are filled in after the blast: a permit issued before it is complete without them
    r, by_path = problems_of(dict(raw, detonation_at=None, post_blast_check="  "))
    assert "盲炮" in by_path["post_blast_check"].message  # an all-clear always needs the post-blast check


def test_a_birth_date_is_in_the_future_only_after_the_day_judged_on():
    """身份证号 checks take the day from the rule context, never from the machine's clock: a
    person born 2026-12-01 is born in the future as of 2026-11-29, not as of 2026-12-01, on a
    registered person and on a person named inside a case (nested, with a partial load too)."""
    born = f.id_number("37010220261201123")
    _, by_path = problems_of(f.person("新生", born))
    assert "在未来" in by_path["id_number"].message
    later = load(f.person("新生", born), RuleContext(Settings(), date(2026, 12, 1), None)).problems
    assert not any("在未来" in p.message for p in later) and later  # (only too young to work, on that day)
    ticket = f.hot_work_ticket()
    ticket["workers"] = [{"name": "新生", "id_number": born}]
    _, by_path = problems_of(ticket)
    assert "在未来" in by_path["workers[0].id_number"].message
    ticket["no"] = None  # a second, unrelated error: the birth date is still reported
    r, by_path = problems_of(ticket)
    assert "在未来" in by_path["workers[0].id_number"].message and not r.ok


# --- issue 13: what the forms call for ---------------------------------------------------------------


def test_completion_after_the_ticket_expired_is_flagged():
    r, by_path = problems_of(f.hot_work_ticket(completion={"by": "高建军", "at": "2026-05-06 16:40"}))
    assert r.ok and by_path["completion.at"].severity == "warning"
    assert "晚于作业票有效期" in by_path["completion.at"].message and "重新办理作业票" in by_path["completion.at"].message
    assert "completion.at" not in problems_of(f.hot_work_ticket())[1]


def excavation_ticket(**kw) -> dict:
    raw = f.hot_work_ticket(ticket_type="excavation", ticket_no="DT-2026-0031", method="人工开挖", depth_m=1.0, area_m2=6,
                            sketch_note="沟槽长 6 m，宽 1 m", gas_samples=[],
                            approvals=[{"box": b, "name": "高建军", "signed_at": "2026-05-06 08:20"}
                                       for b in ("作业负责人", "所在单位", "会签单位", "审批部门")])
    for k in ("grade", "hot_spot", "hot_workers"):
        raw.pop(k)
    raw.update(kw)
    return raw


def test_a_drawing_the_form_calls_for_is_an_image_in_the_case_file():
    r, by_path = problems_of(excavation_ticket())
    assert r.ok and by_path["sketch"].severity == "warning" and "作业范围简图" in by_path["sketch"].message
    r, by_path = problems_of(excavation_ticket(sketch={"file": "drawings/dt.png", "caption": "沟槽平面简图"}))
    assert r.ok and "sketch" not in by_path
    r, by_path = problems_of(excavation_ticket(sketch={"file": "drawings/dt.pdf", "caption": "沟槽平面简图"}))
    assert not r.ok and "JPEG 或 PNG" in by_path["sketch.file"].message


def test_training_levels_take_captured_signatures():
    raw = f.training_card()
    raw["levels"][0]["trainer_signature"] = {"file": "sig/trainer.png"}
    raw["levels"][0]["trainee_signature"] = {"file": "sig/trainee.png", "signed_on": "2026-04-10"}
    raw["conclusion"]["confirmer_signature"] = {"file": "sig/confirmer.png"}
    r = load(raw, CTX)
    assert r.ok, [p.line() for p in r.problems]
    from schemas.common import image_refs

    assert [ref for _, ref in image_refs(r.obj)] == ["sig/trainer.png", "sig/trainee.png", "sig/confirmer.png"]


# --- writing case files ---------------------------------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from(
    ["𠈌", "王𠮷", "😀", "\x85", "\u2028", "\ufeff", "yes", "no", "on", "null", "~", "2026-04-30", "1e3", "0x1F", "- a", "a: b", "#", "'", '"',
     "C:\\路径", "  前后空格  ", "多行\n文本", "\t", "\x07", "\ue000", "\ufffe", "中" * 300])
_SCALAR = _TEXT | st.integers(-10**12, 10**12) | st.booleans() | st.none() | st.floats(allow_nan=False, allow_infinity=False)
_CASE = st.recursive(_SCALAR, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4), max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(_CASE | st.dictionaries(_TEXT, _CASE, min_size=1, max_size=6), st.sampled_from([None, 1000]))
def test_a_case_file_is_written_readable_and_read_back_as_it_was(data, width):
    """dump_yaml's text reads back as the data it was written from (by YAML, and a mapping by
    parse_text, which reads case files) — PyYAML's own does not always (a NEL) — and a rare
    character of a name (CJK Extension B) stays itself, as an officer editing the file reads it,
    wherever PyYAML's text would have it so and read back right."""
    import yaml

    from schemas import dump_yaml, parse_text

    text = dump_yaml(data, width=width)
    assert yaml.safe_load(text) == data
    if "\\U" in text:
        pyyaml = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=width)
        assert "\\U" in pyyaml or yaml.safe_load(pyyaml) != data
    if isinstance(data, dict) and data and all(isinstance(k, str) and k and not k.startswith(("yes", "no", "on", "off")) for k in data):
        try:
            back = parse_text(text, "x.yaml")
        except Exception:  # noqa: BLE001 — a shape parse_text refuses (too deep, empty keys inside): not this test's concern
            return
        assert back == data


def test_case_files_are_written_as_pyyaml_writes_them():
    """On the examples' case files (every kind of record), libyaml's text is PyYAML's, byte for byte."""
    from pathlib import Path

    import yaml

    from schemas import dump_yaml, parse_text

    root = Path(__file__).resolve().parent.parent / "examples"
    records = [parse_text(f.read_text(encoding="utf-8"), f.name) for f in sorted(root.rglob("*.yaml")) if "invalid" not in f.parts]
    assert len(records) > 40
    for data in records:
        for width in (None, 1000):
            assert dump_yaml(data, width=width) == yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=width)
