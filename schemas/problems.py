"""What validation finds: one :class:`Problem` per thing wrong with one input.

Schemas and rules collect them (every problem of every file at once); the engine raises
``archive.errors.ValidationFailed`` with the list, and re-exports :class:`Problem` from there.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in one input: where, what, and (for rules) on what legal basis."""

    path: str  # field path such as ``gas_samples[1].taken_at``; "" for the whole document
    message: str  # Chinese first, English after: "日期顺序错误 (dates out of order)"
    file: str = ""  # the input file, when there is one
    source: str = ""  # the rule's source, e.g. "GB 30871—2022 5.3.1 c)"
    severity: str = "error"  # "error" | "warning"

    def line(self) -> str:
        where = ": ".join(p for p in (self.file, self.path) if p)
        src = f" [{self.source}]" if self.source else ""
        tag = "警告/warning: " if self.severity == "warning" else ""
        return f"{where}: {tag}{self.message}{src}" if where else f"{tag}{self.message}{src}"

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "path": self.path,
            "message": self.message,
            "source": self.source,
            "severity": self.severity,
        }
