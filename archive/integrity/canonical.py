"""RFC 8785 canonical JSON: the bytes that are hashed and signed (seals, ledger leaves, packages,
the access log's chain).

``dumps(obj)`` returns exactly what ``rfc8785.dumps(obj)`` returns, and raises what it raises.
The pure-Python package walks every character of every string through a regular expression and
sorts every object's keys by their UTF-16 encoding; for what the archive signs (strings, integers,
booleans, null, lists and objects with text keys) the C JSON encoder writes the same bytes, about
ten times faster. So a value is written by the C encoder when one walk over it finds only what
both write alike, and by the package otherwise:

- strings: both escape ``"``, ``\\``, the controls below U+0020 (``\\b \\f \\n \\r \\t`` short,
  the rest as ``\\u00xx``) and nothing else; a lone surrogate fails the UTF-8 encoding of both
  (the package's error is the one raised);
- integers within ±(2^53 − 1) as decimal digits (beyond: the package's ``IntegerDomainError``);
- object keys: Python sorts by code point, RFC 8785 by UTF-16 code unit; the two orders agree
  unless a key holds a character at or above U+E000 (a supplementary character's surrogates sort
  below U+E000–U+FFFF), so such keys go to the package;
- floats: both write the shortest digits that read back as the same number, and differ only in
  form: ECMAScript writes a whole number without ``.0`` (``24.0`` is ``24``) and switches to an
  exponent below 1e-6 and from 1e21, Python below 1e-4 and from 1e16. So a whole float below
  2^53 is written as the integer it equals (a copy of the value is made for that), a fraction of
  at least 1e-4 as Python writes it (a float that is not whole is below 2^53), and any other float
  (smaller fractions, huge or not finite) sends the value to the package;
- any other type (subclasses, enums, mappings that are not dicts) goes to the package.

tests/test_canonical.py checks the two against each other with Hypothesis.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

_INT_MAX = 2**53 - 1
_HIGH_KEY = "\ue000"
_MOST_NODES = 5_000_000
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False, check_circular=False).encode


_NO, _AS_IS, _WHOLE = 0, 1, 2


def _plain(obj: Any) -> int:
    """Whether the C encoder writes ``obj`` as RFC 8785 does: as it is, after whole floats are
    made integers, or not at all (see the module's text)."""
    stack = [obj]
    pop, push = stack.pop, stack.append
    budget = _MOST_NODES  # a value that holds itself never ends the walk: the package reports it
    whole = False
    while stack:
        budget -= 1
        if budget < 0:
            return _NO
        v = pop()
        t = type(v)
        if t is str or v is None or t is bool:
            continue
        if t is int:
            if -_INT_MAX <= v <= _INT_MAX:
                continue
            return _NO
        if t is float:
            if v.is_integer():
                if -_INT_MAX <= v <= _INT_MAX:
                    whole = True
                    continue
                return _NO
            if 1e-4 <= abs(v) < 1e16:  # (not finite: neither whole nor in range)
                continue
            return _NO
        if t is dict:
            for k, x in v.items():
                if type(k) is not str or (k and max(k) >= _HIGH_KEY):
                    return _NO
                t = type(x)
                if t is str or x is None or t is bool:
                    continue
                push(x)
            continue
        if t is list or t is tuple:
            stack.extend(v)
            continue
        return _NO
    return _WHOLE if whole else _AS_IS


def _whole(v: Any) -> Any:
    """``v`` with every whole float an integer (only what :func:`_plain` passed comes here)."""
    t = type(v)
    if t is float:
        return int(v) if v.is_integer() else v
    if t is dict:
        return {k: _whole(x) for k, x in v.items()}
    if t is list or t is tuple:
        return [_whole(x) for x in v]
    return v


def dumps(obj: Any) -> bytes:
    """RFC 8785 canonical JSON of ``obj``, byte for byte ``rfc8785.dumps(obj)``."""
    how = _plain(obj)
    if how:
        try:
            return _encode(obj if how == _AS_IS else _whole(obj)).encode("utf-8")
        except (UnicodeEncodeError, RecursionError, ValueError):
            pass  # the package raises its own error for the same value
    return rfc8785.dumps(obj)


__all__ = ["dumps"]
