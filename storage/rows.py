"""The rows that cross the storage interfaces: plain dicts, typed here so a reader knows the keys.

Every backend returns exactly these keys. Conventions that hold for every backend:

- text is ``str``; binary values (signatures, hashes, roots) are ``bytes``, never a driver's view
  type; missing values are ``None``;
- JSON columns (``data``, ``refs``, ``extra``, ``info``, ``proof``, ledger ``entry``) travel as
  the text that was stored, byte for byte: ``data`` and ``entry`` are signed or hashed, and
  ``outsafe verify`` must see what is stored to name what was altered (a backend may keep a parsed
  copy beside the text for its queries, never instead of it);
- dates are ISO text: ``doc_date`` a day (``2026-06-09``) or a day and minute
  (``2026-06-09 14:30``); timestamps (``created_at`` …) UTC ``2026-06-09T06:30:00Z``.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class RecordRow(TypedDict):
    """A sealed record. ``seq`` is the catalog's sequence number: assigned at insert, strictly
    increasing in commit order, never reused; everything derived from the catalog (the search
    index, later the facts tables) catches up by it."""

    seq: int
    id: str  # ULID
    type: str  # case type, e.g. "work_ticket"
    subtype: str | None  # ticket type for work tickets
    doc_no: str | None
    title: str
    enterprise: str | None  # 统一社会信用代码
    contractor: str | None
    project: str | None
    doc_date: str | None
    data: str  # canonical JSON of the record's data (sealed)
    refs: str  # canonical JSON of the resolved references (sealed)
    source_name: str | None
    origin: str  # USCC of the archive that sealed it
    supersedes: str | None  # id of the record this one corrects
    note: str | None
    created_at: str
    seal: NotRequired[str | None]  # the signed statement (canonical JSON); absent from list_records(sealed=False)
    signature: NotRequired[bytes | None]  # Ed25519 over ``seal``; absent likewise
    signer: str | None  # key fingerprint


# a record row's columns but the seal and signature (CatalogStore.list_records(sealed=False))
UNSEALED_COLUMNS = ("seq, id, type, subtype, doc_no, title, enterprise, contractor, project, doc_date, data, refs, source_name, "
                    "origin, supersedes, note, created_at, signer")


class NewFile(TypedDict):
    """A file of a record being inserted (its blob is already stored)."""

    role: str  # "source" | "docx" | "pdf" | "photo" …
    name: str
    sha256: str
    size: int
    media_type: str


class FileRow(NewFile):
    record_id: str


class RegistryRow(TypedDict):
    """The registry projection: the current record of an organization, person or project."""

    kind: str  # "organization" | "person" | "project"
    key: str  # USCC, HMAC of the ID number, "ENTERPRISE/CODE"
    record_id: str
    name: str
    extra: str | None  # JSON text


class LeafRow(TypedDict):
    """One event of the append-only ledger; ``idx`` counts from 0 without gaps."""

    idx: int
    kind: str  # "record_sealed" | "record_superseded" | "package_exported" | "package_imported" | "checkpoint_witnessed"
    record_id: str | None
    entry: str  # canonical JSON of the event: the leaf's data
    leaf_hash: bytes  # SHA-256(0x00 ‖ entry)
    created_at: str


class CheckpointRow(TypedDict):
    """A signed checkpoint of the owner's ledger (one per tree size)."""

    tree_size: int
    root: bytes
    note: str  # the signed note text
    signature: bytes
    signer: str  # key fingerprint
    signed_at: str


class WitnessedRow(TypedDict):
    """A checkpoint of another archive this archive witnessed (and cosigned) at an import."""

    origin: str  # the other archive's owner USCC
    tree_size: int
    root: bytes
    note: str
    signer: str  # the origin key's fingerprint
    cosignature: bytes  # ours, over the note body
    package_digest: str
    witnessed_at: str


class ImportedProofRow(TypedDict):
    """The inclusion proof of an imported record in its origin's ledger."""

    record_id: str
    origin: str
    leaf_index: int
    leaf_data: str  # the origin's leaf entry (hashed: kept byte for byte)
    tree_size: int
    proof: str  # JSON list of hex hashes


class PackageRow(TypedDict):
    """A package this archive exported or imported."""

    digest: str  # sha256 of the bag's tagmanifest
    direction: str  # "export" | "import"
    kind: str  # "submission" | "evidence"
    origin: str
    path: str | None
    records: int
    info: str | None  # JSON text
    created_at: str


class FactRow(TypedDict):
    """What the views know of one record without reading its data: the facts derived from its
    sealed data when it was stored (:class:`storage.interfaces.FactStore`). ``superseded_by`` is
    the one value the store maintains itself: the first record (by seq) that corrects this one.
    Rows asked for ``with_data`` also carry ``data``, the record's sealed JSON text."""

    seq: int  # the record's catalog seq
    record_id: str
    type: str
    subtype: str | None
    key: str | None  # a registry entity's key (USCC, person key, "ENTERPRISE/CODE"); a document's number
    day: str | None  # the record's own day, ISO (``2026-06-09``); None when its type has no date
    supersedes: str | None
    superseded_by: str | None
    title: str
    origin: str
    created_at: str
    info: str | None  # JSON text: the derived values (what each type carries: archive/facts/derive.py)
    belongs: str  # the enterprise the record belongs to (its enterprise, else the archive that sealed it: archive.access.scope)


class NewFacts(TypedDict):
    """The facts of one record as a writer hands them to :meth:`FactStore.add`."""

    seq: int
    record_id: str
    type: str
    subtype: str | None
    key: str | None
    day: str | None
    supersedes: str | None
    title: str
    origin: str
    created_at: str
    info: str | None
    belongs: str
    links: list[tuple[str, str]]  # (role, key): the parties, project, people, documents it names
    brief: str | None  # its sealed JSON without the lists the check never reads (archive.facts.derive); None: none


class LintRow(TypedDict):
    """What today's rules say of one sealed record (``outsafe verify --lint``)."""

    record_id: str
    fingerprint: str  # which rules judged it (a digest of the schemas' source)
    problems: str | None  # JSON list of {path, message, source}; None when the rules accept it


# --- web accounts, sessions, login attempts, the access log ---------------------------------------------


class AccountRow(TypedDict):
    """A web account (``outsafe user add``). Mutable: the password hash, ``disabled``, ``updated_at``."""

    name: str  # the login name; unique, never renamed
    role: str  # enterprise_admin | enterprise_officer | enterprise_viewer | bureau_admin | bureau_officer
    org: str | None  # USCC of the account's organization (required for enterprise roles)
    password_hash: str  # Argon2id, PHC string ($argon2id$v=19$m=…)
    disabled: bool
    created_at: str
    updated_at: str
    person: NotRequired[str | None]  # the registry key of the person the account belongs to (``outsafe user link``)


class SessionRow(TypedDict):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 is stored here, so a
    reader of the database cannot take over a session. Deleting the row ends the session at once."""

    token_hash: str  # sha256 hex of the cookie's token
    account: str  # AccountRow.name
    csrf_token: str  # the form token of this session
    created_at: str
    last_seen_at: str
    expires_at: str  # absolute end; the idle limit is judged from last_seen_at
    address: str | None  # the client address at sign-in


class LoginAttemptRow(TypedDict):
    """One sign-in attempt, counted by the throttle. The name typed is kept only as a keyed hash
    (a password typed into the name field must not be stored in clear)."""

    at: str
    username_key: str  # HMAC-SHA256 hex of the lower-cased name typed, with the archive's secret
    address: str | None
    ok: bool


class AccessRow(TypedDict):
    """One entry of the access log: who did what, when, from where. Append-only, hash-chained:
    ``hash = SHA-256(prev_hash ‖ canonical JSON of the entry's other fields)`` (archive.access.audit)."""

    seq: int  # 1, 2, 3 … without gaps
    at: str
    account: str | None  # the account name (None: nobody signed in, e.g. a failed login of an unknown name)
    org: str | None  # the account's organization at the time
    action: str  # login | login_failed | login_refused | logout | record_view | document_download | export | import | …
    target: str | None  # a record id, a package digest, an account name …
    address: str | None  # the client address
    detail: str | None  # JSON text: what else there is to say (file, result …)
    prev_hash: bytes  # 32 bytes; zeros for the first entry
    hash: bytes  # 32 bytes


# --- the three-level training exam and the reminders' sent-log ------------------------------------------


class BankRow(TypedDict):
    """A question bank installed into the archive (``outsafe exam bank add``). Immutable: a new
    version is a new row; the current bank of a level is its latest row (highest ``seq``)."""

    seq: int
    sha256: str  # of ``body``
    level: str  # 公司级 | 车间级 | 班组级
    title: str
    version: str
    questions: int
    body: str  # canonical JSON of the loaded bank (what exams draw from; hashed: kept byte for byte)
    added_at: str
    added_by: str | None


class AttemptRow(TypedDict):
    """One exam attempt of one worker at one level. Changes only while it is ``assigned`` (start)
    or ``open`` (answers saved, then closed); a closed attempt keeps its result for ever, and may
    only be signed once and linked once to the training card it was written into."""

    id: str  # ULID
    person: str  # the worker's registry key (HMAC of the ID number: no ID number in clear)
    person_name: str
    employer: str  # the worker's employer (the contractor's USCC)
    enterprise: str  # the enterprise the exam belongs to (the archive's owner)
    level: str
    bank_sha256: str
    seed: str  # hex: the draw is ``random.Random(int(seed, 16))`` over the bank's questions
    questions: str  # JSON list of the drawn question ids, in the order shown
    training: str  # JSON: the training this exam closes (start, hours, trainer, content)
    time_limit: int  # seconds
    pass_score: float
    status: str  # assigned | open | submitted | timed_out | cancelled
    created_at: str
    created_by: str | None
    started_at: str | None
    deadline: str | None  # started_at + time_limit (UTC stamp)
    answers: str  # JSON {question id: answer}
    answered_at: str | None  # the last answer saved
    submitted_at: str | None
    correct: int | None
    score: float | None
    passed: bool | None
    signature: bytes | None  # the worker's handwritten confirmation (PNG)
    signature_sha256: str | None
    signed_at: str | None
    card_record: str | None  # the 三级安全教育登记卡 record it was written into


class ReminderSentRow(TypedDict):
    """One reminder e-mailed to one recipient on one day (``outsafe remind --send``): the same item
    is not sent twice to the same address on the same day. Append-only."""

    item: str  # the reminder's stable key (kind, subject, due day)
    day: str  # the day of the digest (China), ISO
    recipient: str  # e-mail address
    sent_at: str
    message_id: str | None
class DraftRow(TypedDict):
    """A form being filled in the browser (``outsafe serve``): the case file so far, as its owner
    left it. Mutable and deletable; never a record: a draft enters the catalog only when it is
    added (sealed like any case file), and is deleted then. Only its owner ever sees it."""

    id: str  # ULID
    owner: str  # AccountRow.name of the account that made it
    org: str | None  # the account's organization when it was made
    type: str  # case type, e.g. "safety_agreement" (registry types too: "organization" …)
    subtype: str | None  # ticket type for work tickets
    title: str  # what the list of drafts shows ("安全生产管理协议 HR-AQXY-2026-031")
    data: str  # JSON text of the case file so far (may be incomplete or invalid)
    revision: int  # 1 at creation, one more at each save
    created_at: str
    updated_at: str


class DraftFileRow(TypedDict):
    """An image attached to a draft (a photo, a drawing, a signature), under the name the case
    file gives it (``signatures/赵志刚.png``); unique per draft."""

    draft_id: str
    name: str
    media_type: str
    size: int
    sha256: str
    data: bytes
    created_at: str
