"""Identifier checks: 统一社会信用代码, 身份证号, 组织机构代码, 文书号 / 发文字号.

Algorithms and test vectors: domain.md §4. Every message names the standard it applies.
"""

from __future__ import annotations

import re
from datetime import date

from marshmallow import ValidationError

# --- 统一社会信用代码 (GB 32100—2015) ------------------------------------------------------------

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
USCC_SOURCE = "GB 32100—2015"
ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
ORG_CODE_SOURCE = "GB 11714—1997"

# registration authority (pos 1) -> allowed organisation categories (pos 2); domain.md §4.1
USCC_CATEGORIES = {
    "1": "1239", "2": "19", "3": "1239", "4": "19", "5": "1239", "6": "129", "7": "129",
    "8": "19", "9": "123", "A": "19", "N": "1239", "Y": "1",
}


def uscc_check_char(first17: str) -> str:
    s = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - s % 31) % 31]


def org_code_check_char(first8: str) -> str:
    def value(c: str) -> int:
        return int(c) if c.isdigit() else ord(c) - ord("A") + 10

    c9 = 11 - sum(value(c) * w for c, w in zip(first8, ORG_CODE_WEIGHTS, strict=True)) % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def uscc_problems(code: str) -> list[str]:
    """Every reason ``code`` is not a valid USCC (empty list: valid)."""
    if not isinstance(code, str):
        return [f"应为18位文本 (must be an 18-character string) [{USCC_SOURCE}]"]
    if len(code) != 18:
        return [f"统一社会信用代码应为18位，实为{len(code)}位 (must be 18 characters, got {len(code)}) [{USCC_SOURCE}]"]
    bad = sorted({c for c in code if c not in USCC_CHARSET})
    if bad:
        hint = "（不使用 I、O、S、V、Z）" if any(c in "IOSVZ" for c in bad) else ""
        lower = "；字母须大写 (letters must be capitals)" if any(c.islower() for c in bad) else ""
        return [f"含有不允许的字符 {''.join(bad)}{hint}{lower} (characters not in the GB 32100 charset) [{USCC_SOURCE}]"]
    problems = []
    if not code[2:8].isdigit():
        problems.append(f"第3–8位应为行政区划代码数字 (positions 3–8 must be a 6-digit division code) [{USCC_SOURCE}]")
    if code[0] not in USCC_CATEGORIES:
        problems.append(f"第1位登记管理部门代码“{code[0]}”无效 (unknown registration authority code) [{USCC_SOURCE}]")
    elif code[1] not in USCC_CATEGORIES[code[0]]:
        problems.append(
            f"第2位机构类别代码“{code[1]}”与登记管理部门“{code[0]}”不符 (category code not valid for this authority) [{USCC_SOURCE}]"
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        problems.append(f"校验码错误：应为“{expected}”，实为“{code[17]}” (check character should be {expected}) [{USCC_SOURCE}]")
    return problems


def check_uscc(code: str) -> None:
    problems = uscc_problems(code)
    if problems:
        raise ValidationError(problems)


def uscc_warning(code: str) -> str | None:
    """The embedded 组织机构代码 (positions 9–17) check: a warning only (domain.md §4.1)."""
    if uscc_problems(code):
        return None
    body = code[8:16]
    if not all(c.isdigit() or "A" <= c <= "Z" for c in body):
        return None
    expected = org_code_check_char(body)
    if code[16] != expected:
        return (
            f"内嵌组织机构代码校验位应为“{expected}”，实为“{code[16]}”（仅提示）"
            f" (embedded organization code check should be {expected}; warning only) [{ORG_CODE_SOURCE}]"
        )
    return None


def make_uscc(first17: str) -> str:
    """Complete a 17-character prefix with its check character (test data, examples)."""
    return first17 + uscc_check_char(first17)


# --- 居民身份证号码 (GB 11643—1999) ---------------------------------------------------------------

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_SOURCE = "GB 11643—1999"
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83",
}


def id_check_char(first17: str) -> str:
    s = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return "10X98765432"[s % 11]


def normalize_id(value: str) -> str:
    return value.strip().upper() if isinstance(value, str) else value


def id_birth_date(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def id_problems(number: str, today: date | None = None) -> list[str]:
    """What is wrong with a 身份证号. A birth date after ``today`` is wrong only when a day is
    given: the field check has none, the rules add it with their context's day
    (:func:`born_after`)."""
    if not isinstance(number, str):
        return [f"身份证号应为18位文本 (must be an 18-character string) [{ID_SOURCE}]"]
    n = normalize_id(number)
    if len(n) != 18:
        hint = "（15位旧号码请换为18位）" if len(n) == 15 else ""
        return [f"身份证号应为18位，实为{len(n)}位{hint} (must be 18 characters, got {len(n)}) [{ID_SOURCE}]"]
    if not n[:17].isdigit() or not (n[17].isdigit() or n[17] == "X"):
        return [f"身份证号前17位须为数字，末位为数字或X (17 digits then a digit or X) [{ID_SOURCE}]"]
    problems = []
    if n[:2] not in PROVINCES:
        problems.append(f"地址码前两位“{n[:2]}”不是有效省级代码 (not a valid province code) [{ID_SOURCE}; GB/T 2260]")
    born = id_birth_date(n)
    if born is None:
        problems.append(f"出生日期“{n[6:14]}”不是有效日期 (birth date is not a real date) [{ID_SOURCE}]")
    elif today is not None and born > today:
        problems.append(future_birth(n))
    elif born.year < 1800:
        problems.append(f"出生日期“{n[6:14]}”早于1800年 (birth date before 1800) [{ID_SOURCE}]")
    expected = id_check_char(n[:17])
    if n[17] != expected:
        problems.append(f"校验码错误：应为“{expected}”，实为“{n[17]}” (check digit should be {expected}) [{ID_SOURCE}]")
    return problems


def future_birth(number: str) -> str:
    return f"出生日期“{number[6:14]}”在未来 (birth date in the future) [{ID_SOURCE}]"


def born_after(number: str, today: date) -> str | None:
    """The problem of a well-formed 身份证号 whose birth date is after ``today``, else None."""
    n = normalize_id(number)
    born = id_birth_date(n) if isinstance(n, str) and len(n) == 18 else None
    return future_birth(n) if born is not None and born > today else None


def check_id_number(number: str) -> None:
    problems = id_problems(number)
    if problems:
        raise ValidationError(problems)


def upgrade_id15(old: str) -> str:
    """A legacy 15-digit number as the 18-digit number (insert "19", add the check digit)."""
    body = old[:6] + "19" + old[6:]
    return body + id_check_char(body)


def mask_id(number: str) -> str:
    """``370102198503151213`` -> ``3701**********1213``: four characters each side."""
    if not isinstance(number, str) or len(number) < 9:
        return "*" * len(number or "")
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def id_sex(number: str) -> str:
    return "男" if int(number[16]) % 2 == 1 else "女"


def age_on(number: str, on: date) -> int | None:
    born = id_birth_date(number)
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# --- 文书号 / 发文字号 (GB/T 9704—2012 §7.2.4; enforcement forms, domain.md §2.5) -------------------

DOC_NO_SOURCE = "GB/T 9704—2012 7.2.4"
_DOC_NO = re.compile(r"^(?P<prefix>[\u4e00-\u9fa5（）A-Za-z]+)〔(?P<year>(19|20)\d{2})〕(?P<serial>[1-9]\d*)号$")
_ENF_PREFIX = re.compile(r"^（[\u4e00-\u9fa5]+）应急[\u4e00-\u9fa5]+$")


def doc_no_problems(value: str, *, enforcement: bool = False) -> list[str]:
    """Why ``value`` is not a proper 文书号 (empty: fine).

    ``enforcement``: also require the ``（区划简称）应急代字`` prefix of an enforcement form,
    e.g. ``（高新）应急责改〔2026〕12号``.
    """
    if not isinstance(value, str) or not value.strip():
        return [f"文书号不能为空 (document number may not be empty) [{DOC_NO_SOURCE}]"]
    v = value.strip()
    problems = []
    if re.search(r"[\[\]【】]", v) or re.search(r"[(（](19|20)\d{2}[)）]", v):
        problems.append(f"年份须用六角括号〔〕，不用 []、【】 或 () (year must be in 〔〕) [{DOC_NO_SOURCE}]")
    if "第" in v and re.search(r"第\s*\d+\s*号", v):
        problems.append(f"序号前不加“第”字 (no 第 before the serial) [{DOC_NO_SOURCE}]")
    m = re.search(r"〕\s*(0\d*)\s*号", v)
    if m:
        problems.append(f"序号不编虚位，不得有前导零：“{m[1]}” (no leading zeros) [{DOC_NO_SOURCE}]")
    if enforcement and "(" in v.split("〔")[0]:
        problems.append(f"区划简称须用全角括号（） (full-width parentheses around the region) [{DOC_NO_SOURCE}]")
    if not problems:
        m = _DOC_NO.match(v)
        if not m:
            problems.append(
                f"文书号格式应为“机关代字〔YYYY〕序号号”，如（高新）应急责改〔2026〕12号 (expected PREFIX〔YYYY〕N号) [{DOC_NO_SOURCE}]"
            )
        elif enforcement and not _ENF_PREFIX.match(m["prefix"]):
            problems.append(
                "执法文书号应以“（区划简称）应急+文书代字”开头，如（高新）应急责改 "
                "(enforcement numbers start with （region）应急 + code) [安全生产监管监察执法文书式样 (2017)]"
            )
    return problems


def check_doc_no(value: str) -> None:
    problems = doc_no_problems(value)
    if problems:
        raise ValidationError(problems)


def check_enforcement_doc_no(value: str) -> None:
    problems = doc_no_problems(value, enforcement=True)
    if problems:
        raise ValidationError(problems)


def doc_no_year(value: str) -> int | None:
    m = _DOC_NO.match(value.strip()) if isinstance(value, str) else None
    return int(m["year"]) if m else None


def doc_no_serial(value: str) -> int | None:
    m = _DOC_NO.match(value.strip()) if isinstance(value, str) else None
    return int(m["serial"]) if m else None


def make_doc_no(region: str, code: str, year: int, serial: int) -> str:
    return f"（{region}）应急{code}〔{year}〕{serial}号"


# --- 联系电话 ------------------------------------------------------------------------------------------

_PHONE = re.compile(r"[0-9+＋()（）\-－—–\s转分机/、,，;；]+")


def check_phone(text: str) -> None:
    """A telephone number (or a few): digits with the marks numbers are written with (``0531-88871209``,
    ``+86 131 5318 7604``, ``（0531）8887 1209 转 802``, two numbers apart with 、 or /). Not ``-1``, not
    ``inf``, not a 300-digit number an Excel cell made of 1.5e300."""
    digits = sum(c.isdigit() for c in text)
    if not _PHONE.fullmatch(text) or not 3 <= digits <= 40:
        raise ValidationError("联系电话应为电话号码：数字，可含 - + 括号 空格 “转”分机 (not a telephone number)")
