"""What the engine may ask of durable state: the storage interfaces, one per concern.

A backend (``storage/sqlite/``, ``storage/postgresql/``) implements all of them over one database;
``tests/storage_contract/`` is the conformance suite every backend passes. Nothing above storage/
writes SQL or touches a connection: what it needs that is not here becomes a method here first.

    Catalog                 one catalog database, opened by :func:`storage.catalog.open_catalog`
    ├── UnitOfWork          transaction(): everything written inside commits together or not at all
    ├── RecordCatalog       records and their file rows, the registry projection, meta
    ├── RecordFeed          records in sequence order, for the caches derived from the catalog
    ├── .ledger: LedgerStore      the append-only ledger's leaves and signed checkpoints
    ├── .packages: PackageBook    witnessed checkpoints, imported inclusion proofs, the package log
    ├── .facts: FactStore         facts derived from each record for the views, and the lint
    ├── .accounts: AccountStore   web accounts, their sessions, sign-in attempts (``outsafe serve``)
    ├── .access_log: AccessLog    the append-only, hash-chained log of who saw and took what
    ├── .exams: ExamBook          question banks and the three-level training exams taken on them
    ├── .reminders: ReminderLog   which reminder went to whom on which day (``outsafe remind --send``)
    └── .drafts: DraftStore       forms being filled in the browser, per account (never records)
    BlobStore               the content-addressed files the records name (:func:`storage.catalog.open_blobs`)
    WriteLock               the archive write lock: one writer at a time, over every process and
                            machine that writes the archive (:func:`storage.catalog.open_lock`)

Concepts every backend keeps (the conformance suite checks each):

- **seq**: each record gets a sequence number at insert, increasing in commit order and never
  reused; lists are in ``seq`` order unless a method says otherwise. Commit order and seq order
  agree because writers are serialised (the archive write lock; a server backend takes it as a
  database lock, e.g. a PostgreSQL advisory lock): the caches that catch up by seq rely on it.
- **current**: a record is current while no record ``supersedes`` it.
- **belongs to**: a record belongs to the enterprise it names (its ``enterprise`` column) or, when
  it names none (organizations, people, equipment, a bureau's own lists), to the archive that
  sealed it (its ``origin``): ``COALESCE(enterprise, origin)``. An enterprise's web account sees
  only the records that belong to its enterprise (archive.access.scope); at a bureau, imported
  records belong to the enterprise named in them.
- **immutable**: records, file rows, ledger leaves, checkpoints, witnessed checkpoints, imported
  proofs and the access log are never updated or deleted, and the database itself refuses it (not
  only this API); the registry projection, meta, accounts, sessions, sign-in attempts and drafts
  are the only rows that change.
- **one unit of work**: ``with catalog.transaction():`` spans every store of the catalog. One
  record (its row, file rows, ledger leaf, registry update) is one transaction; an imported
  package may be one transaction. Nested use joins the outer transaction: the outermost block
  commits, and an exception leaving any block rolls everything back. Writes outside a
  transaction are a bug and raise :class:`RuntimeError`.
- **errors**: a database that cannot be opened, read or written raises
  :class:`storage.errors.StorageError` with a message saying what and a hint saying how to fix it.

Rows are the typed dicts of :mod:`storage.rows`.

Blobs (``BlobStore``; files in the home by default, an S3-compatible bucket for large deployments,
``tests/blob_contract/`` is their conformance suite):

- **content-addressed**: a blob is named by the sha256 of its bytes (64 lower-case hex digits);
  writing the same bytes again is a no-op that returns the same name.
- **write-once**: a stored blob is never replaced; a store that finds other bytes under a name
  refuses (StorageError) instead of overwriting them.
- **checked on read**: ``read_bytes`` and a stream from ``open`` raise :class:`storage.errors.
  BlobDamaged` (exit 3) when the stored bytes do not hash to their name.
- **durable before named**: a ``put_*`` outside :meth:`BlobStore.batch` returns once the blob is
  durable; inside a batch, every blob written is durable when the block ends normally. The engine
  commits catalog rows naming blobs only after that, so a crash leaves at worst an orphan blob.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from storage.rows import (
    AccessRow,
    AccountRow,
    AttemptRow,
    BankRow,
    CheckpointRow,
    DraftFileRow,
    DraftRow,
    FactRow,
    FileRow,
    ImportedProofRow,
    LeafRow,
    LintRow,
    LoginAttemptRow,
    NewFacts,
    NewFile,
    PackageRow,
    RecordRow,
    RegistryRow,
    ReminderSentRow,
    SessionRow,
    WitnessedRow,
)


class UnitOfWork(Protocol):
    def transaction(self) -> AbstractContextManager[None]:
        """Begin a write transaction (the writer holds the archive lock); commit at the end of the
        outermost block, roll back when an exception leaves any block."""
        ...

    @property
    def in_transaction(self) -> bool: ...


class RecordCatalog(Protocol):
    """Records (immutable), their files (immutable), the registry projection and meta."""

    # --- records and their files ---

    def insert_record(self, row: Mapping[str, Any], files: Sequence[NewFile] = ()) -> int:
        """Insert one record (the keys of :class:`RecordRow` but ``seq``; absent optional keys are
        None) and its file rows; return its ``seq``. An id already present → StorageError."""
        ...

    def get_record(self, record_id: str) -> RecordRow | None: ...

    def find_record_ids(self, prefix: str, limit: int = 3) -> list[str]:
        """Ids starting with ``prefix``, in id order (for short ids typed by a user)."""
        ...

    def record_files(self, record_id: str) -> list[FileRow]:
        """The record's files, by role then name."""
        ...

    def all_record_files(self) -> list[FileRow]:
        """Every file row of the catalog (for ``verify``), in no particular order."""
        ...

    def records_with_blob(self, sha256: str) -> list[str]:
        """Ids of the records that name the blob ``sha256``, each once, in id order."""
        ...

    def superseded_by(self, record_id: str) -> str | None:
        """The first record (by seq) that supersedes ``record_id``; None while it is current."""
        ...

    def list_records(
        self,
        *,
        types: Sequence[str] = (),
        subtype: str | None = None,
        contractor: str | None = None,
        enterprise: str | None = None,
        project: str | None = None,
        doc_no: str | None = None,
        since: str | None = None,
        until: str | None = None,
        current_only: bool = False,
        limit: int | None = None,
        belongs_to: str | None = None,
        sealed: bool = True,
    ) -> list[RecordRow]:
        """Records in seq order. ``types`` empty: every type; ``doc_no``: documents of that number
        (any type, any enterprise). ``since``/``until`` compare
        ``doc_date`` by day: ``until`` includes the whole of its day (``2026-06-09`` includes
        ``2026-06-09 18:00``) and a partial bound the whole month or year (``2026-06``); records
        without a ``doc_date`` are left out when either is given. ``current_only``: leave out
        superseded records. ``belongs_to``: only the records that belong to that USCC (see
        "belongs to" above: ``COALESCE(enterprise, origin) = belongs_to``). ``sealed`` False: the
        rows without ``seal`` and ``signature`` (what only a proof reads: about a third of a row's
        bytes; a contractor's dossier at 10^5 records reads its 1,865 rows in half the time)."""
        ...

    def current_document(self, type: str, doc_no: str, enterprise: str | None) -> RecordRow | None:
        """The current record of ``type`` numbered ``doc_no`` for ``enterprise`` (None and ""
        both mean "no enterprise"); the latest by seq if several."""
        ...

    def organization_records(self, uscc: str, *, origin: str) -> list[RecordRow]:
        """Every version (superseded ones too) of the organization record registering ``uscc``
        that ``origin`` sealed, oldest first (the keys an archive registered itself)."""
        ...

    # --- the registry projection: kind + key → the current record (upserted) ---

    def put_registry(self, kind: str, key: str, record_id: str, name: str, extra: dict | None = None) -> None: ...

    def drop_registry(self, kind: str, key: str, record_id: str) -> None: ...  # the entry of key, if it names record_id

    def get_registry(self, kind: str, key: str) -> RegistryRow | None: ...

    def list_registry(self, kind: str) -> list[RegistryRow]:
        """Every entry of ``kind``, by key."""
        ...

    # --- meta: a few named values of the archive (owner, search engine …) ---

    def get_meta(self, key: str, default: str | None = None) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def meta_items(self) -> dict[str, str]:
        """Every meta key and its value (to copy an archive to another backend)."""
        ...


class RecordFeed(Protocol):
    """The catalog read in sequence order by the caches derived from it (the search index; later
    the facts tables of the checks): each keeps the seq it has reached and catches up from there."""

    def max_seq(self) -> int:
        """The highest seq (0 when empty)."""
        ...

    def count_records(self, upto_seq: int | None = None) -> int:
        """How many records (with seq <= ``upto_seq`` when given)."""
        ...

    def record_ids(self, upto_seq: int | None = None) -> set[str]:
        """Ids of the records (with seq <= ``upto_seq`` when given)."""
        ...

    def superseded_ids(self) -> set[str]:
        """Ids of every record some record supersedes."""
        ...

    def records_after(self, seq: int, *, limit: int | None = None, upto_seq: int | None = None) -> list[RecordRow]:
        """Records with seq > ``seq`` (and <= ``upto_seq`` when given), in seq order, at most ``limit``."""
        ...


class LedgerStore(Protocol):
    """The rows of the append-only Merkle ledger; hashing and signing stay in archive.integrity."""

    def size(self) -> int:
        """How many leaves."""
        ...

    def next_index(self) -> int:
        """The index the next :meth:`append` assigns (one past the highest; 0 when empty). Inside a
        transaction it stays valid until that append: a record's seal names its leaf index."""
        ...

    def append(self, kind: str, entry: str, leaf_hash: bytes, created_at: str, record_id: str | None = None) -> int:
        """Append one leaf at :meth:`next_index`; return its index."""
        ...

    def leaves(self, *, kind: str | None = None, upto: int | None = None) -> list[LeafRow]:
        """Leaves by index: every leaf, or those of ``kind``; ``upto``: only the first ``upto``
        leaves of the ledger (before the kind filter)."""
        ...

    def leaf_hashes(self, upto: int | None = None) -> list[bytes]:
        """The leaf hashes by index (the first ``upto`` when given)."""
        ...

    def leaf_for_record(self, record_id: str, kind: str = "record_sealed") -> LeafRow | None:
        """The first leaf of ``kind`` naming ``record_id``."""
        ...

    def add_checkpoint(self, row: CheckpointRow) -> None:
        """Keep a signed checkpoint; one per tree size (a second one for a size is ignored)."""
        ...

    def latest_checkpoint(self) -> CheckpointRow | None:
        """The checkpoint of the largest tree size."""
        ...

    def checkpoints(self) -> list[CheckpointRow]:
        """Every checkpoint by tree size."""
        ...


class PackageBook(Protocol):
    """What packages exchanged with other archives leave behind."""

    # --- checkpoints of other archives this archive witnessed (immutable) ---

    def witness(self, row: WitnessedRow) -> None:
        """Keep a witnessed checkpoint; (origin, tree_size) already witnessed → StorageError."""
        ...

    def get_witnessed(self, origin: str, tree_size: int) -> WitnessedRow | None: ...

    def witnessed(self, origin: str | None = None) -> list[WitnessedRow]:
        """Witnessed checkpoints (of ``origin`` when given), by origin then tree size."""
        ...

    # --- inclusion proofs of imported records (immutable; the record must exist) ---

    def add_imported_proof(self, row: ImportedProofRow) -> None:
        """Keep the proof of an imported record (in the record's transaction); a second proof
        for a record, or a proof for a record not in the catalog → StorageError."""
        ...

    def imported_proof(self, record_id: str) -> ImportedProofRow | None: ...

    # --- the log of packages exported and imported ---

    def log_package(self, row: PackageRow) -> None:
        """Log a package; the same (digest, direction) again is ignored (the first entry stays)."""
        ...

    def has_package(self, digest: str, direction: str) -> bool: ...

    def logged(self) -> int:
        """How many packages are logged: the log only grows, so a view that reads it (the
        packages handed in) is true while this number stays (archive.facts.cache)."""
        ...

    def packages(self, *, direction: str | None = None, kind: str | None = None) -> list[PackageRow]:
        """Logged packages (filtered), oldest first."""
        ...


class FactStore(Protocol):
    """Facts derived from each sealed record, kept beside the records so that the views (checks,
    status, dossiers, reports) find the records they show with indexed queries instead of reading
    the archive. Like the search index they are a cache: derived from the sealed data alone
    (:mod:`archive.facts.derive` says what each type yields), written in the record's own
    transaction, caught up by seq for any record stored without them, and rebuilt from scratch by
    ``outsafe facts rebuild``. Unlike records they may be deleted (:meth:`clear`).

    One record has one fact row (:class:`storage.rows.FactRow`) and any number of *links*:
    (role, key) pairs naming what it concerns — its enterprise, contractor, project, the people on
    it, the documents it cites. Roles and keys are opaque text to the store; the archive defines
    the vocabulary. Keys never hold a 身份证号 (people are linked by their keyed hash).

    Lists come back in seq order. Methods taking a collection of keys or ids accept any number of
    them. ``with_data`` rows also carry the record's sealed ``data`` (a join on ``records``; text,
    or its UTF-8 bytes): the views read only the records they show, in one query. ``with_data=
    "brief"``: a record that has a brief carries it (``brief``) and ``data`` None, the others their
    data and ``brief`` None (the check: one query, and no record read whole that it judges from its
    brief). ``within``: only the records that
    belong to that enterprise (``belongs``, the catalog's "belongs to"), and a record counts as
    corrected (``superseded_by``, ``current_only``) only by a record that belongs to it too — an
    enterprise account's scope, as ``list_records(belongs_to=…)`` sees it."""

    # --- state ---

    def position(self) -> int:
        """Every record with seq <= position has its facts (0: none yet). Writers advance it
        when they add facts in order; a catch-up moves it past what it filled in."""
        ...

    def set_position(self, seq: int) -> None: ...

    def get_state(self, name: str) -> str | None:
        """A named value of the facts themselves (e.g. the version of the derivation)."""
        ...

    def set_state(self, name: str, value: str) -> None: ...

    def claim_state(self, name: str, expected: str | None, value: str) -> bool:
        """Set ``name`` to ``value`` only if its value is still ``expected`` (None: not set), in one
        statement of the caller's transaction — so that of several processes (or nodes sharing one
        catalog) claiming the same state at once, one succeeds; whether this one did."""
        ...

    # --- writing (inside a transaction) ---

    def add(self, facts: Sequence[NewFacts]) -> int:
        """Add the facts of records; a record that already has facts is skipped (catching up twice
        adds nothing). Keeps ``superseded_by`` true in both directions: of the records the new ones
        correct, and of a new one already corrected by a record added before it. Returns how many
        were added."""
        ...

    def clear(self) -> None:
        """Delete every fact and link and the position (not the lint): before a rebuild."""
        ...

    def missing(self, after: int, upto: int) -> list[int]:
        """Seqs of the catalog's records with ``after`` < seq <= ``upto`` that have no facts."""
        ...

    # --- reading ---

    def rows(self, *, seqs: Collection[int] = (), record_ids: Collection[str] = (), with_data: bool | str = False,
             within: str | None = None) -> list[FactRow]:
        """The fact rows of the given records (by seq and/or by id)."""
        ...

    def linked(self, role: str, keys: Collection[str], *, types: Collection[str] = (), subtype: str | None = None,
               current_only: bool = False, with_data: bool | str = False, within: str | None = None) -> list[FactRow]:
        """Records with a link (``role``, k) for some k in ``keys`` (each record once), of ``types``
        (empty: any) and ``subtype``; ``current_only``: not corrected by any record. In time with
        the records it returns, not with every record the keys link to: a link carries its record's
        type, indexed with role and key."""
        ...

    def of_type(self, types: Collection[str], *, subtype: str | None = None, current_only: bool = False,
                with_data: bool | str = False, within: str | None = None) -> list[FactRow]:
        """Every record of ``types`` (and ``subtype``): for the few small sets a view lists whole
        (organizations, the campaign's reports, confined-space tickets)."""
        ...

    def keyed(self, type: str, keys: Collection[str], *, current_only: bool = True, with_data: bool | str = False,
              within: str | None = None) -> list[FactRow]:
        """Records of ``type`` whose ``key`` is in ``keys`` (registry lookups by USCC, person key,
        project key; documents by number)."""
        ...

    def successors(self, record_ids: Collection[str], *, within: str | None = None) -> list[FactRow]:
        """Records that correct (``supersedes``) any of ``record_ids``."""
        ...

    def links(self, seqs: Collection[int], roles: Collection[str] = ()) -> list[tuple[int, str, str]]:
        """(seq, role, key) of the links of the given records (of ``roles``; empty: all)."""
        ...

    def mistyped_links(self, seqs: Collection[int]) -> list[int]:
        """Those of the given records with a link that does not carry the record's type (the type
        :meth:`linked` reads by): ``outsafe verify``."""
        ...

    def linked_keys(self, role: str, keys: Collection[str], *, roles: Collection[str] = (),
                    within: str | None = None) -> set[tuple[str, str]]:
        """(role, key) of the links (of ``roles``; empty: all) of the records linked (``role``, k)
        for some k in ``keys``: what the records of a part name, in one query."""
        ...

    def keys(self, role: str, *, within: str | None = None) -> list[str]:
        """Every key linked in ``role``, each once, sorted (e.g. every home)."""
        ...

    def changes(self, after: int) -> tuple[set[tuple[str, str, str]], set[str]]:
        """(links, types) touched by the records with seq > ``after``: their links (role, key, and
        the type of the record holding the link) and those of the records they correct, and their
        types; and, as links of role ``belongs``, whose scope each new record is in
        (``fact_records.belongs``: what an enterprise account's views read). A result that depends
        on none of them is still true (the archive only grows)."""
        ...

    # --- the lint (what today's rules say of each sealed record; updated when the rules change) ---

    def put_lint(self, rows: Sequence[LintRow]) -> None:
        """Keep (replace) the lint of records."""
        ...

    def lint(self, *, record_ids: Collection[str] = (), problems_only: bool = True) -> list[LintRow]:
        """The lint of the given records (empty: of every record), by record id; ``problems_only``:
        only those today's rules refuse."""
        ...

    def briefs(self, seqs: Collection[int]) -> dict[int, str | bytes]:
        """seq → the brief of each of those records that has one (archive.facts.derive: its sealed
        JSON without the lists the check never reads; UTF-8 bytes or text)."""
        ...

    def lint_verdicts(self, record_ids: Collection[str], fingerprint: str) -> tuple[list[LintRow], list[str]]:
        """(the lint rows under ``fingerprint`` of those of ``record_ids`` that today's rules
        refuse, the ids among ``record_ids`` with no lint under ``fingerprint``) — what a view says
        of its records, without reading the lint of each record that passed (10,000 at once)."""
        ...

    def lint_stale(self, fingerprint: str, *, within: str | None = None) -> int:
        """How many records (that belong to ``within``) have no lint under ``fingerprint`` (judged
        by other rules, or never)."""
        ...

    def lint_stale_records(self, fingerprint: str, *, after: int = 0, limit: int = 500) -> list[RecordRow]:
        """The first ``limit`` records after seq ``after``, in seq order, that have no lint under
        ``fingerprint`` (whole catalog rows, with their sealed data): what a re-lint after an
        upgrade judges (archive.facts.lint.relint_stale), reading nothing already judged."""
        ...


class AccountStore(Protocol):
    """Web accounts (``outsafe user``), their sessions and the sign-in attempts the throttle counts.

    Accounts change (password, disabled) and are never deleted; sessions are deleted when they
    end (logout, expiry, the account disabled or its password changed); attempts are kept for the
    throttle's window and then forgotten. Password hashing, tokens and the throttle's arithmetic
    live in archive.access: this store only keeps rows. Writes need a transaction like every other.
    """

    # --- accounts ---

    def add_account(self, row: AccountRow) -> None:
        """Create an account; a name already present → StorageError."""
        ...

    def get_account(self, name: str) -> AccountRow | None: ...

    def accounts(self) -> list[AccountRow]:
        """Every account, by name."""
        ...

    def update_account(self, name: str, *, updated_at: str, password_hash: str | None = None,
                       disabled: bool | None = None, person: str | None = None) -> bool:
        """Change what is given (None: leave as is; ``person=""`` unlinks the person); False when
        there is no such account."""
        ...

    # --- sessions ---

    def add_session(self, row: SessionRow) -> None: ...

    def get_session(self, token_hash: str) -> SessionRow | None: ...

    def touch_session(self, token_hash: str, last_seen_at: str) -> None:
        """Record that the session was used (the idle limit counts from here)."""
        ...

    def end_session(self, token_hash: str) -> bool:
        """Delete one session; False when it was not there."""
        ...

    def end_sessions(self, *, account: str | None = None, expired_before: str | None = None) -> int:
        """Delete every session of ``account``, or every session whose ``expires_at`` is before
        ``expired_before`` (both given: both conditions); how many were deleted."""
        ...

    # --- sign-in attempts ---

    def add_login_attempt(self, row: LoginAttemptRow) -> None: ...

    def login_attempts(self, *, since: str, username_key: str | None = None, address: str | None = None) -> list[LoginAttemptRow]:
        """Attempts at or after ``since`` (by name key and/or address when given), oldest first."""
        ...

    def forget_login_attempts(self, before: str) -> int:
        """Delete attempts older than ``before``; how many."""
        ...


class AccessLog(Protocol):
    """The access log: every sign-in, record view, download, export and import, append-only.

    Entries are numbered 1, 2, 3 … without gaps and chained by hash (computed in
    archive.access.audit). The writer reads :meth:`head` and appends the next entry inside ONE
    transaction, which serialises appenders (SQLite: ``BEGIN IMMEDIATE``; a server backend takes a
    transaction-level lock on the log in :meth:`head` when called in a transaction, e.g. a
    PostgreSQL advisory lock): two entries can never claim the same ``seq``. The database refuses
    UPDATE and DELETE of entries."""

    def head(self) -> AccessRow | None:
        """The last entry (None when the log is empty)."""
        ...

    def append(self, row: AccessRow) -> None:
        """Add the entry numbered ``row["seq"]``, which must be one past :meth:`head`'s (else
        StorageError: another writer got there first, or a gap)."""
        ...

    def entries(
        self,
        *,
        account: str | None = None,
        org: str | None = None,
        action: str | None = None,
        target: str | None = None,
        since: str | None = None,
        until: str | None = None,
        after_seq: int = 0,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[AccessRow]:
        """Entries matching every filter given (``since``/``until`` compare ``at``, ``until``
        inclusive as text), with seq > ``after_seq``, in seq order (or newest first)."""
        ...

    def count(self) -> int: ...


class ExamBook(Protocol):
    """Question banks and exam attempts (archive.training: the draw, the clock, the score live there).

    Banks are immutable rows (a new version is a new row). An attempt changes only by the methods
    below, each a compare-and-set on its status that returns False when the attempt is not (or no
    longer) in the status it needs — two phones submitting the same exam: one wins. A worker has at
    most one attempt ``assigned`` or ``open`` at a time: a second → StorageError (the database
    refuses it, not only this API). The database also refuses to delete an attempt or to change a
    closed one's result. Writes need a transaction like every other."""

    def add_bank(self, row: BankRow) -> bool:
        """Install a bank (``seq`` is assigned); False when the same bank (level and sha256) is there."""
        ...

    def bank(self, sha256: str) -> BankRow | None: ...

    def banks(self, level: str | None = None) -> list[BankRow]:
        """Installed banks (of ``level``), oldest first: the last of a level is its current bank."""
        ...

    def add_attempt(self, row: AttemptRow) -> None:
        """Arrange an attempt; StorageError when the worker already has one assigned or open."""
        ...

    def get_attempt(self, attempt_id: str) -> AttemptRow | None: ...

    def attempts(self, *, person: str | None = None, level: str | None = None, enterprise: str | None = None,
                 status: str | None = None, limit: int | None = None) -> list[AttemptRow]:
        """Attempts matching every filter given, newest first (by ``created_at``, then id)."""
        ...

    def start_attempt(self, attempt_id: str, *, started_at: str, deadline: str) -> bool:
        """assigned → open, the clock started."""
        ...

    def save_answers(self, attempt_id: str, *, answers: str, answered_at: str) -> bool:
        """Replace the saved answers of an open attempt."""
        ...

    def close_attempt(self, attempt_id: str, *, status: str, submitted_at: str | None, correct: int | None,
                      score: float | None, passed: bool | None, answers: str | None = None) -> bool:
        """assigned/open → submitted | timed_out | cancelled, with its result (``answers``: the
        final answers, None to keep those saved)."""
        ...

    def sign_attempt(self, attempt_id: str, *, signature: bytes, signature_sha256: str, signed_at: str) -> bool:
        """Store the worker's signature on a submitted or timed-out attempt that has none."""
        ...

    def link_card(self, attempt_id: str, record_id: str) -> bool:
        """Name the training card a signed, passed attempt was written into (once)."""
        ...


class ReminderLog(Protocol):
    """The sent-log of ``outsafe remind --send``: append-only; the database refuses updates and
    deletions. One row per (item, day, recipient): logging the same again is ignored."""

    def sent_keys(self, day: str, recipient: str) -> set[str]:
        """The items already sent to ``recipient`` in the digest of ``day``."""
        ...

    def log_sent(self, rows: Sequence[ReminderSentRow]) -> int:
        """Record what was sent; how many rows were new."""
        ...

    def sent(self, *, day: str | None = None, recipient: str | None = None) -> list[ReminderSentRow]:
        """Rows (of ``day``, to ``recipient``), in the order they were logged."""
        ...
class DraftStore(Protocol):
    """Drafts: forms being filled in the browser (``outsafe serve``), each with the images attached
    to it. Every read and write names the owner (an account name): a draft of another account is
    not there — ``None``, ``False``, an empty list — exactly like a draft that does not exist, so a
    caller cannot reach another account's draft by its id. Drafts change and are deleted (with
    their files); they are never records. Writes need a transaction like every other."""

    def add_draft(self, row: DraftRow) -> None:
        """Keep a new draft; an id already present → StorageError."""
        ...

    def get_draft(self, draft_id: str, owner: str) -> DraftRow | None: ...

    def drafts(self, owner: str) -> list[DraftRow]:
        """The owner's drafts, the one saved last first."""
        ...

    def update_draft(self, draft_id: str, owner: str, *, title: str, data: str, updated_at: str) -> int | None:
        """Replace title and data and count one more revision; the new revision, or None when the
        owner has no such draft."""
        ...

    def delete_draft(self, draft_id: str, owner: str) -> bool:
        """Delete the draft and its files; False when the owner has no such draft."""
        ...

    def put_draft_file(self, row: DraftFileRow, owner: str) -> bool:
        """Attach a file (replacing one of the same name); False when the owner has no such draft."""
        ...

    def draft_files(self, draft_id: str, owner: str) -> list[DraftFileRow]:
        """The draft's files, by name (none when the owner has no such draft)."""
        ...

    def delete_draft_file(self, draft_id: str, owner: str, name: str) -> bool: ...


class Catalog(RecordCatalog, RecordFeed, UnitOfWork, Protocol):
    """One catalog database: records, feed and unit of work on the object itself; the ledger,
    package book, facts, accounts and access log beside them in the same database (so one
    transaction spans them all)."""

    ledger: LedgerStore
    packages: PackageBook
    facts: FactStore
    accounts: AccountStore
    access_log: AccessLog
    exams: ExamBook
    reminders: ReminderLog
    drafts: DraftStore

    @property
    def location(self) -> str:
        """Where the catalog lives (a path, or later a URL): ``open_catalog(location)`` opens it
        again, e.g. read-only in a worker process."""
        ...

    @property
    def version(self) -> int:
        """The schema version of the database (0: nothing created yet)."""
        ...

    @property
    def latest_version(self) -> int:
        """The schema version this program writes."""
        ...

    def migrate(self, upto: int | None = None) -> int:
        """Apply the pending forward migrations (up to version ``upto``), each in its own
        transaction; return how many were applied. A catalog newer than this program is refused
        with StorageError and left as it is."""
        ...

    def close(self) -> None: ...


class BlobStore(Protocol):
    """Content-addressed, write-once files (see the module's notes)."""

    @property
    def location(self) -> str:
        """Where the blobs live: a folder, or ``s3://bucket/prefix``."""
        ...

    def check(self) -> None:
        """Raise StorageError when the store cannot be used (no such bucket, no permission)."""
        ...

    def has(self, digest: str) -> bool: ...

    def put_bytes(self, data: bytes) -> str:
        """Store ``data``; return its sha256 (hex)."""
        ...

    def put_file(self, src: Path) -> str:
        """Store the file ``src`` (streamed; large files in parts); return its sha256."""
        ...

    def put_stream(self, stream: BinaryIO) -> str:
        """Store what ``stream`` yields (streamed); return its sha256."""
        ...

    def batch(self) -> AbstractContextManager[None]:
        """Write several blobs; all are durable when the block ends normally (nested: joins)."""
        ...

    def open(self, digest: str) -> BinaryIO:
        """A stream of the blob's bytes that raises BlobDamaged at its end if they do not hash
        to ``digest``; BlobMissing when there is no such blob."""
        ...

    def read_bytes(self, digest: str) -> bytes:
        """The blob's bytes, checked (BlobDamaged, BlobMissing)."""
        ...

    def measure(self, digest: str) -> tuple[str, int] | None:
        """(sha256, size) of what is stored under ``digest`` now, streamed; None when missing."""
        ...

    def local_path(self, digest: str) -> Path | None:
        """A path on this machine to read the blob from directly (unchecked), or None when the
        store is not a local folder: callers then use :meth:`open` or :meth:`read_bytes`."""
        ...

    def iter_digests(self) -> Iterator[str]:
        """Every stored digest, in order."""
        ...

    def remove_partial(self) -> int:
        """Remove what a killed writer left half-written (temp files, unfinished uploads); call
        only under the archive write lock. Returns how many were removed."""
        ...


class WriteLock(Protocol):
    """The archive write lock: one writer at a time over every process (and, for a server
    catalog, every machine) writing the archive; a second writer waits, it does not fail."""

    @property
    def name(self) -> str:
        """What the lock is (a file path, or a PostgreSQL advisory lock on a database)."""
        ...

    def hold(self, what: str = "", notify: Callable[[str], None] | None = None) -> AbstractContextManager[None]:
        """Hold the lock for the block; wait while another writer holds it (saying so once
        through ``notify`` after a second, naming the holder). ``what`` tells others who holds it."""
        ...

    def hold_if_free(self) -> AbstractContextManager[bool]:
        """Hold the lock for the block only if nobody holds it: yields True while held, False
        (without waiting) when another writer holds it."""
        ...

    def close(self) -> None: ...
