"""archive.integrity.canonical writes what rfc8785 writes, byte for byte, and fails where it fails."""

from __future__ import annotations

import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.integrity import canonical

# every character class that matters: controls, quotes and backslashes, CJK, the range U+E000–U+FFFF,
# supplementary characters (surrogate pairs in UTF-16) and lone surrogates
_chars = st.one_of(st.characters(), st.sampled_from(['"', "\\", "\b", "\f", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", "\u2028", "\ue000",
                                                      "\uffff", "\U00010000", "\U0001f600", "\ud800", "中", "号"]))
_text = st.text(_chars, max_size=8)
_scalars = st.one_of(
    st.none(), st.booleans(), _text,
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1), st.integers(), st.sampled_from([2**53 - 1, 2**53, -(2**53) + 1, -(2**53)]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([86.0, 0.5, 1e21, 1e-7, 24.0, -0.0, 5e-324, 1.7976931348623157e308, 1e-4, 9.99e-5, 1e-5, 0.1 + 0.2, 2.0**53,
                     2.0**53 - 1, 1e16, 1e16 + 2, 123456789012345.67, -2.5, 4503599627370495.5, 1e20, 123e18]),
)
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                                                          st.dictionaries(_text, inner, max_size=4)), max_leaves=24)


def _outcome(fn, value):
    try:
        return ("ok", fn(value))
    except Exception as e:  # the same kind of failure, by class
        return ("error", type(e))


@settings(max_examples=1500, deadline=None)
@given(_values)
def test_same_bytes_or_same_error_as_rfc8785(value):
    assert _outcome(canonical.dumps, value) == _outcome(rfc8785.dumps, value)


@pytest.mark.parametrize("value", [
    {"\ue000": 1, "\U0001f600": 2, "a": 3},  # UTF-16 order: the supplementary character's surrogates sort first
    {"b": [1, {"\ud800": 1}]}, {1: "x"}, {"a": {2: 1}}, [2**53], {"x": 86.0}, {"x": float("nan")}, "\ud800",
    {"ctl": "\x00\x01\x1f\b\f\n\r\t\"\\"}, {"中文": "安全生产管理协议", "A": None, "a": True}, [(), [], {}],
])
def test_edge_values(value):
    assert _outcome(canonical.dumps, value) == _outcome(rfc8785.dumps, value)


def test_subclasses_and_other_types_go_to_the_package():
    import enum

    class Kind(str, enum.Enum):
        A = "甲"

    class Level(enum.IntEnum):
        ONE = 1

    for value in ({"k": Kind.A}, [Level.ONE], {"k": {1, 2}}, {"k": b"x"}):
        assert _outcome(canonical.dumps, value) == _outcome(rfc8785.dumps, value)


def test_a_value_that_holds_itself_fails_as_in_the_package():
    loop: list = []
    loop.append(loop)
    assert _outcome(canonical.dumps, loop) == _outcome(rfc8785.dumps, loop) == ("error", RecursionError)


def test_the_stored_records_their_statements_and_leaves(arc):
    """What an archive stores (the examples' data, references, seal statements, ledger leaves): the
    fast path writes the package's bytes, and the stored canonical JSON is a fixed point."""
    rows = arc.catalog.records_after(0)
    assert len(rows) >= 8
    for row in rows:
        for text in (row["data"], row["refs"], row["seal"]):
            value = json.loads(text)
            assert canonical.dumps(value) == rfc8785.dumps(value) == text.encode()
    leaves = arc.ledger.leaves()
    assert len(leaves) >= len(rows)
    for leaf in leaves:
        value = json.loads(leaf["entry"])
        assert canonical.dumps(value) == rfc8785.dumps(value) == leaf["entry"].encode()


def test_every_example_as_sealing_writes_it():
    """Each example case file, dumped as sealing writes it (floats such as a score among them)."""
    from bench.views.district import Templates

    shapes = Templates().by_name
    assert len(shapes) > 50
    floats = 0
    for name, data in shapes.items():
        assert canonical.dumps(data) == rfc8785.dumps(data), name
        floats += any(isinstance(v, float) for v in data.values())
    assert floats  # whole floats among them (24.0 hours: written 24)


@settings(max_examples=4000, deadline=None)
@given(st.one_of(st.floats(), st.floats(min_value=-1e-3, max_value=1e-3), st.floats(min_value=1e15, max_value=1e22),
                 st.integers(min_value=-(2**54), max_value=2**54).map(float)))
def test_every_float_as_ecmascript_writes_it(x):
    """Whole floats become integers, fractions keep Python's digits, the rest the package writes."""
    assert _outcome(canonical.dumps, [x, {"v": x}]) == _outcome(rfc8785.dumps, [x, {"v": x}])
