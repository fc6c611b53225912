"""The query language and the engine-neutral query plan: :func:`parse_query` turns
``(动火 OR 受限空间) -吊装 "先通风 再检测" type:work_ticket`` into a tree; :func:`plan` turns that
tree and the filters into nodes both engines compile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from archive import ids
from archive.errors import OutsafeError
from archive.registry import person_key
from archive.search import text as sa
from archive.search.text import CJK_CHARS, KEYWORD_FIELDS
from schemas import TYPES
from schemas.common import TICKET_TYPE_NAMES

ID_NUMBER_RE = re.compile(r"^\d{17}[\dXx]$")
USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


class SearchError(OutsafeError):
    """A query cannot be run as given (syntax, unknown filter value)."""


# --- the query language: parser -----------------------------------------------------------------
@dataclass(frozen=True)
class Text:
    """A word or a quoted phrase: the documents containing it (or a synonym variant)."""

    text: str
    phrase: bool = False


@dataclass(frozen=True)
class Field:
    """``field:value`` on a keyword field (exact)."""

    field: str
    value: str


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


@dataclass(frozen=True)
class Not:
    item: object


@dataclass(frozen=True)
class All:
    """Every record (an empty query: filters only)."""


class QuerySyntaxError(ValueError):
    pass


_CJK_GAP = re.compile(f"(?<=[{CJK_CHARS}])\\s+(?=[{CJK_CHARS}])")
_LEX = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"?|“([^”]*)”?|([^\s()"“]+))')


def _lex(query: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    query = query.replace("\u3000", " ")
    while pos < len(query):
        m = _LEX.match(query, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        if m.group(1):
            out.append(("(", "("))
        elif m.group(2):
            out.append((")", ")"))
        elif m.group(3) is not None or m.group(4) is not None:
            out.append(("phrase", m.group(3) if m.group(3) is not None else m.group(4)))
        elif m.group(5):
            w = m.group(5)
            out.append(("op", w) if w in ("AND", "OR", "NOT", "&&", "||") else ("word", w))
    return out


MAX_QUERY = 1000  # characters in a search box
MAX_TOKENS = 200  # words, operators and parentheses
MAX_NESTING = 20  # parentheses and NOTs inside each other


def parse_query(query: str):
    """Parse the search box: implicit AND, ``OR``, ``NOT``/``-``, parentheses, phrases, fields.
    A query longer than :data:`MAX_QUERY` characters, of more than :data:`MAX_TOKENS` tokens or
    nested deeper than :data:`MAX_NESTING` is refused with a message (never a stack overflow)."""
    if len(query) > MAX_QUERY:
        raise QuerySyntaxError(f"查询过长，至多 {MAX_QUERY} 个字符 (query too long)")
    tokens = _lex(query)
    if len(tokens) > MAX_TOKENS:
        raise QuerySyntaxError(f"查询的词过多，至多 {MAX_TOKENS} 个 (too many words and operators)")
    depth = 0
    for kind, value in tokens:
        depth += 1 if kind == "(" else -1 if kind == ")" else 0
        if depth > MAX_NESTING:
            raise QuerySyntaxError(f"括号嵌套过深，至多 {MAX_NESTING} 层 (parentheses nested too deeply)")
    if sum(1 for kind, value in tokens if kind == "op" and value == "NOT") > MAX_NESTING:
        raise QuerySyntaxError(f"NOT 过多，至多 {MAX_NESTING} 个 (too many NOTs)")
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else (None, None)

    def take():
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def parse_or():
        items = [parse_and()]
        while peek() in (("op", "OR"), ("op", "||")):
            take()
            items.append(parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and():
        items = []
        while True:
            kind, value = peek()
            if kind is None or kind == ")" or (kind == "op" and value in ("OR", "||")):
                break
            if kind == "op" and value in ("AND", "&&"):
                take()
                continue
            items.append(parse_not())
        if not items:
            raise QuerySyntaxError("查询不完整 (incomplete query: an operator or parenthesis lacks a word)")
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_not():
        kind, value = peek()
        if kind == "op" and value == "NOT":
            take()
            return Not(parse_not())
        if kind == "word" and value.startswith("-") and len(value) > 1:
            take()
            return Not(_word(value[1:]))
        return parse_atom()

    def parse_atom():
        if peek()[0] is None:  # `动火 NOT`, `NOT NOT`: an operator at the end lacks its word
            raise QuerySyntaxError("查询不完整 (incomplete query: an operator or parenthesis lacks a word)")
        kind, value = take()
        if kind == "(":
            inner = parse_or()
            if peek()[0] != ")":
                raise QuerySyntaxError("括号不配对 (unbalanced parentheses)")
            take()
            return inner
        if kind == "phrase":
            value = _CJK_GAP.sub("", value.strip())  # "先通风 再检测" is 先通风再检测
            return Text(value, phrase=True) if value else All()
        if kind == "word":
            return _word(value)
        raise QuerySyntaxError(f"查询语法错误：{value} (unexpected {value!r})")

    if not tokens:
        return All()
    node = parse_or()
    if pos != len(tokens):
        raise QuerySyntaxError("括号不配对 (unbalanced parentheses)")
    return node


def _word(value: str):
    name, sep, rest = value.partition(":")
    if sep and rest and name.lower() in KEYWORD_FIELDS:
        return Field(KEYWORD_FIELDS[name.lower()], rest)
    return Text(value)


# --- the engine-neutral query tree ------------------------------------------------------------------


@dataclass(frozen=True)
class AllRecords:
    pass


@dataclass(frozen=True)
class Exact:
    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class DateRange:
    start: int
    end: int


@dataclass(frozen=True)
class Contains:
    """Records whose text contains one of ``patterns`` (a term and its synonyms); ``names`` rank
    records naming that person higher."""

    patterns: tuple[sa.Pattern, ...]
    names: tuple[str, ...] = ()


# The boolean nodes of a plan are the parser's own (their children are plan nodes here).
AllOf, AnyOf, NoneOf = And, Or, Not


NOTHING = AnyOf(())


def plan(node: Any, secret: bytes) -> Any:
    """The parsed query (``search_analysis``) as the tree both engines compile."""
    if isinstance(node, All):
        return AllRecords()
    if isinstance(node, And):
        return AllOf(tuple(plan(x, secret) for x in node.items))
    if isinstance(node, Or):
        return AnyOf(tuple(plan(x, secret) for x in node.items))
    if isinstance(node, Not):
        return NoneOf(plan(node.item, secret))
    if isinstance(node, Field):
        return Exact(node.field, tuple(_field_values(node.field, node.value, secret)))
    text = node.text.strip()
    if ID_NUMBER_RE.match(text):  # a 身份证号: only its keyed hash is in the index
        return Exact("id_hash", (person_key(secret, text),))
    patterns = tuple(p for p in (sa.pattern(v) for v in sa.variants(text)) if p is not None)
    contains = Contains(patterns, (text,)) if patterns else None
    if ids.is_id(text.upper()):
        return AnyOf(tuple(x for x in (Exact("id", (text.upper(),)), contains) if x is not None))
    return contains if contains is not None else NOTHING


def _field_values(field: str, value: str, secret: bytes) -> list[str]:
    if field == "ticket_type":
        return [parse_ticket_type(value)]
    if field == "type":
        return [parse_record_type(value)]
    if field in ("contractor", "enterprise", "id"):
        return [value.upper()]
    return [value]


def highlight_terms(node: Any) -> list[str]:
    """The words a result snippet should mark: every positive term and its synonyms."""
    if isinstance(node, Text):
        if ID_NUMBER_RE.match(node.text.strip()):
            return []
        return sa.variants(node.text.strip())
    if isinstance(node, (And, Or)):
        return [t for x in node.items for t in highlight_terms(x)]
    return []


def day_number(value: str | date) -> int:
    if isinstance(value, date):
        return int(value.strftime("%Y%m%d"))
    try:
        return int(date.fromisoformat(str(value)[:10]).strftime("%Y%m%d"))
    except ValueError:
        raise SearchError(f"日期无效 {value!r} (not a date; use YYYY-MM-DD)") from None


def parse_record_type(value: str) -> str:
    if value in TYPES:
        return value
    labels = {cls.__case__.label: t for t, cls in TYPES.items()}
    if value in labels:
        return labels[value]
    raise SearchError(f"未知的记录类型 {value} (unknown record type); 可用: {', '.join(TYPES)}")


def parse_ticket_type(value: str) -> str:
    if value in TICKET_TYPE_NAMES:
        return value
    by_name = {v: k for k, v in TICKET_TYPE_NAMES.items()}
    if value in by_name:
        return by_name[value]
    if value.removesuffix("作业") in by_name:
        return by_name[value.removesuffix("作业")]
    raise SearchError(f"未知的作业类别 {value} (unknown ticket type); 可用: " + "、".join(f"{k} {v}" for k, v in TICKET_TYPE_NAMES.items()))
