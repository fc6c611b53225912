"""Identifier checks against the vectors of domain.md §4, and Hypothesis invariants."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.identifiers import (
    USCC_CATEGORIES,
    USCC_CHARSET,
    doc_no_problems,
    id_check_char,
    id_problems,
    mask_id,
    org_code_check_char,
    upgrade_id15,
    uscc_check_char,
    uscc_problems,
    uscc_warning,
)

VALID_USCC = [
    "91440300708461136T", "91330100716105852F", "914403001922038216", "91110108551385082Q",
    "91350100M000100Y43", "91370100MA3C8K2P9L", "92370112MA3D00012H", "52370100MJD5660156", "11370100004298377D",
]
INVALID_USCC = {
    "91440300708461136U": "校验码错误",
    "91440300708461136I": "不允许的字符",
    "9144030070846113": "应为18位",
    "911100001011122296": "应为“2”",
}
VALID_ID = [
    "11010519491231002X", "440524188001010014", "110101199003077774", "370102198503151213",
    "320506199207080476", "440305200002293721", "370181199006153189",
]


@pytest.mark.parametrize("code", VALID_USCC)
def test_valid_uscc_vectors(code):
    assert uscc_problems(code) == []
    assert uscc_warning(code) is None


@pytest.mark.parametrize("code,why", INVALID_USCC.items())
def test_invalid_uscc_vectors(code, why):
    problems = uscc_problems(code)
    assert problems and why in problems[0]
    assert "GB 32100" in problems[0]


def test_uscc_check_char_worked_example():
    # domain.md: 91370100MA3C8K2P9L: S=2677, 2677 mod 31 = 11, 31-11 = 20 -> 'L'
    assert uscc_check_char("91370100MA3C8K2P9") == "L"


def test_org_code_vectors():
    assert [org_code_check_char(x) for x in ("70846113", "71610585", "19220382", "10001043")] == ["6", "2", "1", "3"]
    assert org_code_check_char("D2143056") == "5"  # the vector D2143056-9 is invalid: should be 5


def test_embedded_org_code_is_only_a_warning():
    org8 = "70846113"  # its own check character is 6; use 7 instead
    first17 = "91370100" + org8 + "7"
    code = first17 + uscc_check_char(first17)
    assert uscc_problems(code) == []
    assert "GB 11714" in uscc_warning(code)


@pytest.mark.parametrize("number", VALID_ID)
def test_valid_id_vectors(number):
    assert id_problems(number) == []


def test_invalid_id_vector_names_the_right_check_digit():
    (msg,) = id_problems("110105194912310021")
    assert "应为“X”" in msg and "GB 11643" in msg


def test_id15_upgrade():
    assert upgrade_id15("110105491231002") == "11010519491231002X"


def test_id_rejects_impossible_birth_date_and_future():
    body = "37010220230229123"  # 2023-02-29 does not exist
    assert any("不是有效日期" in p for p in id_problems(body + id_check_char(body)))
    body = "37010230010101123"
    assert any("在未来" in p for p in id_problems(body + id_check_char(body), date(2026, 11, 29)))
    assert id_problems(body + id_check_char(body)) == []  # the field check has no day: the rules judge it


def test_lower_case_x_is_accepted():
    assert id_problems("11010519491231002x") == []


def test_mask():
    assert mask_id("370102198503151213") == "3701**********1213"


@pytest.mark.parametrize(
    "value,fragment",
    [
        ("（高新）应急责改〔2026〕12号", None),
        ("（高新）应急责改[2026]12号", "六角括号"),
        ("（高新）应急责改【2026】12号", "六角括号"),
        ("（高新）应急责改（2026）12号", "六角括号"),
        ("（高新）应急责改〔2026〕012号", "前导零"),
        ("（高新）应急责改〔2026〕第12号", "第"),
        ("(高新)应急责改〔2026〕12号", "全角括号"),
        ("高新安监〔2026〕3号", "应急"),
    ],
)
def test_enforcement_doc_numbers(value, fragment):
    problems = doc_no_problems(value, enforcement=True)
    if fragment is None:
        assert problems == []
    else:
        assert problems and fragment in problems[0]


def test_gb9704_doc_number_without_enforcement_prefix():
    assert doc_no_problems("华锐安〔2026〕3号") == []


# --- Hypothesis: every generated valid code passes; every single-character change fails -------------

_alnum = st.sampled_from(USCC_CHARSET)


@st.composite
def usccs(draw):
    first = draw(st.sampled_from(sorted(USCC_CATEGORIES)))
    second = draw(st.sampled_from(USCC_CATEGORIES[first]))
    region = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=6, max_size=6)))
    body = "".join(draw(st.lists(_alnum, min_size=9, max_size=9)))
    first17 = first + second + region + body
    return first17 + uscc_check_char(first17)


@settings(max_examples=300, deadline=None)
@given(usccs())
def test_generated_uscc_passes(code):
    assert uscc_problems(code) == []


@settings(max_examples=300, deadline=None)
@given(usccs(), st.integers(0, 17), st.sampled_from(USCC_CHARSET))
def test_single_character_change_of_uscc_fails(code, pos, new):
    if code[pos] == new:
        new = USCC_CHARSET[(USCC_CHARSET.index(new) + 1) % 31]
    changed = code[:pos] + new + code[pos + 1:]
    assert uscc_problems(changed) != []


@st.composite
def id_numbers(draw):
    province = draw(st.sampled_from(["11", "31", "37", "44", "51", "65"]))
    rest = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=4, max_size=4)))
    born = draw(st.dates(min_value=date(1950, 1, 1), max_value=date(2008, 12, 31)))
    seq = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=3, max_size=3)))
    first17 = province + rest + born.strftime("%Y%m%d") + seq
    return first17 + id_check_char(first17)


@settings(max_examples=300, deadline=None)
@given(id_numbers())
def test_generated_id_passes(number):
    assert id_problems(number) == []


@settings(max_examples=300, deadline=None)
@given(id_numbers(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_single_character_change_of_id_fails(number, pos, new):
    if number[pos] == new:
        new = "0123456789X"[("0123456789X".index(new) + 1) % 11]
    changed = number[:pos] + new + number[pos + 1:]
    assert id_problems(changed) != []


def test_a_date_of_birth_confirms_an_id_number_and_its_masked_tail_does_not():
    from archive.privacy import born_on, mask_text

    number = "370102198603150359"
    assert born_on(number, "19860315")
    assert born_on(number, "1986-03-15") and born_on(number, "1986.03.15") and born_on(number, " 1986 03 15 ") and born_on(number, "1986年03月15日")
    for typed in ("0359", mask_text(number)[-4:], "19860316", "860315", "198603150", "１９８６０３１５", "", None):
        assert not born_on(number, typed), typed
    assert "19860315" not in mask_text(number)  # what it asks for is what the mask hides


@pytest.mark.parametrize("phone", ["0531-88871209", "13053175528", "+86 131 5318 7604", "（0531）8887 1209 转 802",
                                   "0531-88871209、13053175528", "12350"])
def test_telephone_numbers_as_written(phone):
    from archive.settings import Settings
    from schemas import load
    from schemas.base import RuleContext

    raw = {"type": "person", "name": "张三", "id_number": "370102198603150357", "employer": "91370105MA3DK8W41C",
           "roles": ["作业人员"], "phone": phone}
    result = load(raw, RuleContext(Settings(), date(2026, 5, 1), None))
    assert not result.errors, result.problems
    assert result.obj.phone == phone


@pytest.mark.parametrize("phone", ["-1", "inf", "nan", "9" * 301, "电话", "1", "0531-8887x"])
def test_what_is_no_telephone_number_is_refused(phone):
    from marshmallow import ValidationError

    from schemas.identifiers import check_phone
    with pytest.raises(ValidationError, match="联系电话"):
        check_phone(phone)


def test_a_person_with_an_excel_number_for_a_phone_is_refused(tmp_path):
    from datetime import date

    from archive.settings import Settings
    from schemas import load, read_case_file
    from schemas.base import RuleContext

    f = tmp_path / "p.yaml"
    f.write_text("type: person\nname: 张三\nid_number: 370102198603150359\nemployer: 91370105MA3DK8W41C\nphone: 1.5e+300\n", encoding="utf-8")
    result = load(read_case_file(f), RuleContext(Settings(), date(2026, 5, 1), None), file=str(f))
    assert any(p.path == "phone" and "联系电话" in p.message for p in result.problems), result.problems


def test_an_id_number_written_in_its_groups_is_masked_too():
    from archive.privacy import mask_text

    assert mask_text("身份证 110101 19900307 7571 号") == "身份证 1101************7571 号"
    assert mask_text("110101-19900307-7571") == "1101************7571"
    assert mask_text("0531-88871209 6222021203004567890") == "0531-88871209 6222021203004567890"  # a phone, a bank account
