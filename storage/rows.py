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

from typing import TypedDict


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
    seal: str | None  # the signed statement (canonical JSON)
    signature: bytes | None  # Ed25519 over ``seal``
    signer: str | None  # key fingerprint


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
