"""The one exception tree of outsafe.

Every error the library raises on purpose is an :class:`OutsafeError`, or — from the layers
below the engine, which import nothing of it — a ``storage.errors.StorageError``. The command line
turns either into one line (plus one line per problem) and the exit code carried by the class,
in one place (``cli.OutsafeGroup``); anything else is a bug and stays loud.

    OutsafeError                      exit 1
    ├── ValidationFailed              exit 1   bad input: every problem of every file at once
    │   └── ImportFailed              exit 1   an Excel roster with problems (sheet, row, column) — campaign.rosters
    ├── NotFound                      exit 1   an organization, person, project, record or rule is unknown
    ├── RuleViolation                 exit 1   a cross-record rule refuses the case (blacklist, expired certificate …)
    ├── TemplateError                 exit 1   a template is broken or does not match its schema
    ├── ConversionError               exit 1   LibreOffice could not produce a good PDF
    ├── StorageError                  exit 1   the archive home, catalog or blob store cannot be used
    │   │                                      (also a storage.errors.StorageError, what storage/ raises)
    │   ├── ArchiveLocked             exit 1   (never raised for a second writer: writers wait)
    │   └── SearchIndexError          exit 1   the search index cannot be read or written — search.index
    ├── KeyError_                     exit 1   signing key missing, wrong passphrase
    ├── PackageError                  exit 1   a package cannot be read or written
    ├── SearchError                   exit 1   a query cannot be run as given — search.query
    ├── StepFailed                    exit 1   a step of `outsafe demo` did not end as the story expects — demo
    ├── SignInRefused                 exit 1   wrong user name or password, or a disabled account — access.signin
    ├── SignInThrottled               exit 1   too many failed sign-ins: sign-in paused for a while — access.signin
    ├── BadRequest                    exit 1   a web request's parameter cannot be used (a 400 page) — web.app
    ├── MailFailed                    exit 1   the mail server cannot be reached or fails: reminders not sent — campaign.remind
    ├── StepRefused                   exit 1   a 作业票 step that may not be signed now: out of order, expired,
    │                                          closed, not this person's, a stale page — tickets.lifecycle
    └── IntegrityError                exit 3   verification failed: something was altered or lost
        └── PackageRefused            exit 3   a package refused for integrity or trust, with the fix — packages.common

    storage.errors.StorageError       exit 1   raised by storage/ itself (the home, the catalog, the blob store)
    ├── BlobMissing                   exit 1   a blob the catalog names is not in the blob store
    ├── BlobDamaged                   exit 3   a blob's bytes do not hash to its name (checked on every read)
    └── CatalogDamaged                exit 3   the catalog file is corrupt or truncated (restore from a backup)

Raised and caught inside one layer, never seen by a user as such:

    schemas.FileProblem               a case file that cannot be read or parsed; becomes its Problem
    schemas.publickey.PublicKeyError  a PEM that is not an Ed25519 public key; a Problem, or KeyError_
    search.query.QuerySyntaxError     a query that does not parse; becomes SearchError
    documents.images.ImageProblem     a photo or drawing that is not a sane JPEG/PNG; becomes its Problem
    tickets.capture.CaptureProblem    a signature or step photo refused (blank pad, not a PNG, too big); its Problem
    web.uploads.UploadRefused         an upload refused while it streams (size, form token, not a .zip): its page
    documents.convert._Crash, _Timeout, _TaskError, _Closing
                                      the PDF pool's control flow; a document's failure becomes its
                                      PdfResult error, a broken pool ConversionError

:class:`Problem` (one thing wrong with one input) lives in ``schemas.problems`` and is re-exported
here. Third-party errors (jinja2, docxtpl, pypdf, whoosh, cryptography, sqlite3, LibreOffice) are
caught at the edge of the module that calls them and re-raised as one of these with
``raise … from e``.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, Any

import storage.errors

if TYPE_CHECKING:
    from schemas.problems import Problem


def __getattr__(name: str) -> Any:
    """``Problem``, re-exported lazily: importing schemas/ loads every schema (~0.2 s), which the
    command line's translation point (and ``outsafe --help``) must not pay for."""
    if name == "Problem":
        from schemas.problems import Problem

        return Problem
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


class MailFailed(OutsafeError):
    """The SMTP server of ``outsafe remind --send`` cannot be reached, refuses the login or fails
    while sending (one message, with what to check)."""


class IntegrityError(OutsafeError):
    exit_code = ExitCode.VERIFICATION_FAILED

    def __init__(self, failures: list[str], message: str = "", *, hint: str = "") -> None:
        super().__init__(message or f"核验失败：{len(failures)} 处 (verification failed: {len(failures)})", hint=hint)
        self.failures = failures

    def lines(self) -> list[str]:
        return [self.message] + ["  " + f for f in self.failures] + ([f"→ {self.hint}"] if self.hint else [])
