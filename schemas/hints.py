"""The type hints of the record classes, evaluated once per class.

    hints = type_hints(TicketClass)        # {field: hint}, Annotated kept

What ``typing.get_type_hints(cls, include_extras=True)`` returns, for the dataclasses of
``schemas`` (every module there writes ``from __future__ import annotations``, so each hint is a
string). ``get_type_hints`` evaluates every string of every base class again for each subclass
(ten ticket types re-read the common ticket's thirty fields) through ``ForwardRef``, about 100 µs
a hint; that was half of a new process's first check of a small enterprise. Here each class's own
annotations are evaluated once, with one ``eval`` each, in the names ``get_type_hints`` uses
(the module's first, then the class's), and a class's hints are its bases' merged with its own.
A hint that does not evaluate that way is left to ``get_type_hints`` (the class as a whole).
"""

from __future__ import annotations

import sys
from functools import cache
from typing import Annotated, Any, ForwardRef, Literal, get_args, get_origin, get_type_hints


def _plain(hint: Any) -> bool:
    """Whether an evaluated hint holds no forward reference still to resolve."""
    if isinstance(hint, (str, ForwardRef)):
        return False
    origin = get_origin(hint)
    if origin is Literal:
        return True
    if origin is Annotated:  # the extras (our F(...) field specs) are values, not types
        return _plain(get_args(hint)[0])
    return all(_plain(a) for a in get_args(hint) if a is not Ellipsis)


@cache
def _own(cls: type) -> dict[str, Any] | None:
    """The class's own annotations evaluated, or None when one of them cannot be this way."""
    annotations = cls.__dict__.get("__annotations__", {})
    module = getattr(sys.modules.get(cls.__module__), "__dict__", {})
    names = dict(vars(cls))  # eval's globals: a copy (eval adds __builtins__ to it)
    texts = [v for v in annotations.values() if isinstance(v, str)]
    together: Any = None  # an iterator over the values of ``texts``, in order
    if texts:  # all at once: one compile for the class (eval compiles its text: ~60 µs each, most of the cost)
        try:
            together = iter(eval("(" + ",".join(f"({t})" for t in texts) + ",)", names, module))  # noqa: S307 - as below
        except Exception:  # noqa: BLE001 - one by one below, which finds the one that does not evaluate
            together = None
    out: dict[str, Any] = {}
    for name, value in annotations.items():
        if isinstance(value, str) and together is not None:
            value = next(together)
            if not _plain(value):
                return None
            out[name] = value
            continue
        if value is None:
            value = type(None)
        elif isinstance(value, str):
            try:
                value = eval(value, names, module)  # noqa: S307 - the source's own annotations, as get_type_hints does
            except Exception:  # noqa: BLE001 - left to get_type_hints, which says what is wrong
                return None
        if not _plain(value):
            return None
        out[name] = value
    return out


@cache
def type_hints(cls: type) -> dict[str, Any]:
    """{name: hint} of ``cls`` and its bases (``include_extras``: Annotated kept). The dict is
    shared: do not change it."""
    hints: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        if base is object:
            continue
        own = _own(base)
        if own is None:
            return get_type_hints(cls, include_extras=True)
        hints.update(own)
    return hints


__all__ = ["type_hints"]
