"""The one exception tree of outsafe.

Every error the library raises on purpose is an :class:`OutsafeError`. The command line turns it
into one line (plus one line per problem) and the exit code carried by the class; anything else
is a bug and stays loud.

    OutsafeError                      exit 1
    ├── ValidationFailed              exit 1   bad input: every problem of every file at once
    ├── NotFound                      exit 1   an organization, person, project or record is unknown
    ├── RuleViolation                 exit 1   a cross-record rule refuses the case (blacklist, expired certificate …)
    ├── TemplateError                 exit 1   a template is broken or does not match its schema
    ├── ConversionError               exit 1   LibreOffice could not produce a good PDF
    ├── StorageError                  exit 1   the archive home, catalog or blob store cannot be used
    │   └── ArchiveLocked             exit 1   (never raised for a second writer: writers wait)
    ├── KeyError_                     exit 1   signing key missing, wrong passphrase
    ├── PackageError                  exit 1   a package cannot be read or written
    └── IntegrityError                exit 3   verification failed: something was altered or lost

Third-party errors (jinja2, docxtpl, pypdf, whoosh, cryptography, sqlite3, LibreOffice) are caught
at the edge of the module that calls them and re-raised as one of these with ``raise … from e``.
"""

from __future__ import annotations

from enum import IntEnum

import storage.errors
from schemas.problems import Problem


class ExitCode(IntEnum):
    OK = 0
    BAD_INPUT = 1
    USAGE = 2
    VERIFICATION_FAILED = 3


class OutsafeError(Exception):
    """Root of every error outsafe raises on purpose."""

    exit_code: ExitCode = ExitCode.BAD_INPUT
    hint: str = ""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        if hint:
            self.hint = hint

    def lines(self) -> list[str]:
        out = [self.message]
        if self.hint:
            out.append(f"→ {self.hint}")
        return out


class ValidationFailed(OutsafeError):
    """Input did not validate. Carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem], message: str = "") -> None:
        errors = [p for p in problems if p.severity == "error"]
        files = sorted({p.file for p in errors if p.file})
        msg = message or (
            f"校验未通过：{len(errors)} 个问题"
            + (f"，涉及 {len(files)} 个文件" if len(files) > 1 else "")
            + f" (validation failed: {len(errors)} problem{'s' if len(errors) != 1 else ''})"
        )
        super().__init__(msg)
        self.problems = problems

    def lines(self) -> list[str]:
        return [self.message] + ["  " + p.line() for p in self.problems]


class NotFound(OutsafeError):
    pass


class RuleViolation(OutsafeError):
    """A cross-record rule refuses the case; ``--force --reason`` may override where allowed."""

    def __init__(self, problems: list[Problem], message: str = "", *, hint: str = "") -> None:
        super().__init__(message or f"业务规则不允许 (refused by {len(problems)} rule(s))", hint=hint)
        self.problems = problems

    def lines(self) -> list[str]:
        return [self.message] + ["  " + p.line() for p in self.problems] + ([f"→ {self.hint}"] if self.hint else [])


class TemplateError(OutsafeError):
    pass


class ConversionError(OutsafeError):
    pass


class StorageError(OutsafeError, storage.errors.StorageError):
    """Also a :class:`storage.errors.StorageError`, the class storage/ raises itself (storage/
    imports nothing of the engine): ``except StorageError`` here catches what storage raises only
    through this parent, and the command line translates both the same way."""


class ArchiveLocked(StorageError):
    pass


class KeyError_(OutsafeError):
    """Signing-key problems (named with a trailing underscore to keep the builtin KeyError)."""


class PackageError(OutsafeError):
    pass


class IntegrityError(OutsafeError):
    exit_code = ExitCode.VERIFICATION_FAILED

    def __init__(self, failures: list[str], message: str = "", *, hint: str = "") -> None:
        super().__init__(message or f"核验失败：{len(failures)} 处 (verification failed: {len(failures)})", hint=hint)
        self.failures = failures

    def lines(self) -> list[str]:
        return [self.message] + ["  " + f for f in self.failures] + ([f"→ {self.hint}"] if self.hint else [])
