"""The SQLite catalog's schema: forward migrations, applied in order, never edited once released.

The schema version is ``PRAGMA user_version`` (0: nothing created). Each migration is one script
run in one transaction together with the new version number, so a crash leaves the catalog at the
old version or the new one. Old archives open and are brought forward when opened; a catalog of a
newer version than :data:`SCHEMA_VERSION` is refused (this program would not know its tables).

Immutability is enforced by the database itself: triggers refuse UPDATE and DELETE on every table
but the registry projection, meta, the package log, and the web's accounts, sessions and sign-in
attempts (the access log is append-only like the ledger); exam attempts change only while open
(a closed one keeps its result: see the trigger).
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[str] = [
    # 1: records, their files, the registry projection, settings-like metadata
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE records (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        id          TEXT NOT NULL UNIQUE,
        type        TEXT NOT NULL,
        subtype     TEXT,
        doc_no      TEXT,
        title       TEXT NOT NULL,
        enterprise  TEXT,
        contractor  TEXT,
        project     TEXT,
        doc_date    TEXT,
        data        TEXT NOT NULL,
        refs        TEXT NOT NULL,
        source_name TEXT,
        origin      TEXT NOT NULL,
        supersedes  TEXT REFERENCES records(id),
        note        TEXT,
        created_at  TEXT NOT NULL,
        seal        TEXT,
        signature   BLOB,
        signer      TEXT
    );
    CREATE INDEX records_type ON records(type, subtype);
    CREATE INDEX records_contractor ON records(contractor);
    CREATE INDEX records_enterprise ON records(enterprise);
    CREATE INDEX records_doc_no ON records(doc_no);
    CREATE INDEX records_supersedes ON records(supersedes);
    CREATE TABLE record_files (
        record_id  TEXT NOT NULL REFERENCES records(id),
        role       TEXT NOT NULL,
        name       TEXT NOT NULL,
        sha256     TEXT NOT NULL,
        size       INTEGER NOT NULL,
        media_type TEXT NOT NULL,
        PRIMARY KEY (record_id, role, name)
    );
    CREATE TABLE registry (
        kind      TEXT NOT NULL,
        key       TEXT NOT NULL,
        record_id TEXT NOT NULL REFERENCES records(id),
        name      TEXT NOT NULL,
        extra     TEXT,
        PRIMARY KEY (kind, key)
    );
    CREATE TRIGGER records_immutable_u BEFORE UPDATE ON records
        BEGIN SELECT RAISE(ABORT, 'records are immutable; supersede instead'); END;
    CREATE TRIGGER records_immutable_d BEFORE DELETE ON records
        BEGIN SELECT RAISE(ABORT, 'records are immutable; supersede instead'); END;
    CREATE TRIGGER record_files_immutable_u BEFORE UPDATE ON record_files
        BEGIN SELECT RAISE(ABORT, 'record files are immutable'); END;
    CREATE TRIGGER record_files_immutable_d BEFORE DELETE ON record_files
        BEGIN SELECT RAISE(ABORT, 'record files are immutable'); END;
    """,
    # 2: the append-only Merkle ledger (RFC 9162 hashing) and its signed checkpoints
    """
    CREATE TABLE ledger (
        idx        INTEGER PRIMARY KEY,
        kind       TEXT NOT NULL,
        record_id  TEXT,
        entry      TEXT NOT NULL,
        leaf_hash  BLOB NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX ledger_record ON ledger(record_id);
    CREATE TABLE checkpoints (
        tree_size INTEGER PRIMARY KEY,
        root      BLOB NOT NULL,
        note      TEXT NOT NULL,
        signature BLOB NOT NULL,
        signer    TEXT NOT NULL,
        signed_at TEXT NOT NULL
    );
    CREATE TRIGGER ledger_append_only_u BEFORE UPDATE ON ledger
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER ledger_append_only_d BEFORE DELETE ON ledger
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER checkpoints_immutable_u BEFORE UPDATE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints are immutable'); END;
    CREATE TRIGGER checkpoints_immutable_d BEFORE DELETE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints are immutable'); END;
    """,
    # 3: packages exchanged with other archives: their checkpoints we witnessed, the inclusion
    #    proofs of imported records, and a log of packages exported and imported
    """
    CREATE TABLE witnessed (
        origin         TEXT NOT NULL,
        tree_size      INTEGER NOT NULL,
        root           BLOB NOT NULL,
        note           TEXT NOT NULL,
        signer         TEXT NOT NULL,
        cosignature    BLOB NOT NULL,
        package_digest TEXT NOT NULL,
        witnessed_at   TEXT NOT NULL,
        PRIMARY KEY (origin, tree_size)
    );
    CREATE TABLE imported_proofs (
        record_id  TEXT PRIMARY KEY REFERENCES records(id),
        origin     TEXT NOT NULL,
        leaf_index INTEGER NOT NULL,
        leaf_data  TEXT NOT NULL,
        tree_size  INTEGER NOT NULL,
        proof      TEXT NOT NULL
    );
    CREATE TABLE packages (
        digest     TEXT NOT NULL,
        direction  TEXT NOT NULL,
        kind       TEXT NOT NULL,
        origin     TEXT NOT NULL,
        path       TEXT,
        records    INTEGER NOT NULL,
        info       TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (digest, direction)
    );
    CREATE TRIGGER witnessed_immutable_u BEFORE UPDATE ON witnessed
        BEGIN SELECT RAISE(ABORT, 'witnessed checkpoints are immutable'); END;
    CREATE TRIGGER witnessed_immutable_d BEFORE DELETE ON witnessed
        BEGIN SELECT RAISE(ABORT, 'witnessed checkpoints are immutable'); END;
    CREATE TRIGGER imported_proofs_immutable_u BEFORE UPDATE ON imported_proofs
        BEGIN SELECT RAISE(ABORT, 'imported proofs are immutable'); END;
    CREATE TRIGGER imported_proofs_immutable_d BEFORE DELETE ON imported_proofs
        BEGIN SELECT RAISE(ABORT, 'imported proofs are immutable'); END;
    """,
    # 4: web accounts, their sessions and sign-in attempts (mutable); the access log (append-only,
    #    hash-chained); and an index for "the records that belong to an enterprise"
    """
    CREATE TABLE accounts (
        name          TEXT PRIMARY KEY,
        role          TEXT NOT NULL,
        org           TEXT,
        password_hash TEXT NOT NULL,
        disabled      INTEGER NOT NULL DEFAULT 0,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash   TEXT PRIMARY KEY,
        account      TEXT NOT NULL REFERENCES accounts(name),
        csrf_token   TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        expires_at   TEXT NOT NULL,
        address      TEXT
    );
    CREATE INDEX sessions_account ON sessions(account);
    CREATE TABLE login_attempts (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        at           TEXT NOT NULL,
        username_key TEXT NOT NULL,
        address      TEXT,
        ok           INTEGER NOT NULL
    );
    CREATE INDEX login_attempts_at ON login_attempts(at);
    CREATE TABLE access_log (
        seq       INTEGER PRIMARY KEY,
        at        TEXT NOT NULL,
        account   TEXT,
        org       TEXT,
        action    TEXT NOT NULL,
        target    TEXT,
        address   TEXT,
        detail    TEXT,
        prev_hash BLOB NOT NULL,
        hash      BLOB NOT NULL
    );
    CREATE INDEX access_log_account ON access_log(account, seq);
    CREATE INDEX access_log_org ON access_log(org, seq);
    CREATE INDEX access_log_at ON access_log(at);
    CREATE TRIGGER access_log_append_only_u BEFORE UPDATE ON access_log
        BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
    CREATE TRIGGER access_log_append_only_d BEFORE DELETE ON access_log
        BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
    CREATE INDEX records_belongs ON records(COALESCE(enterprise, origin));
    """,
    # the three-level training exam (archive.training): question banks (immutable) and exam
    # attempts (changed only while assigned or open; never deleted; one open attempt per worker)
    """
    CREATE TABLE question_banks (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        sha256    TEXT NOT NULL,
        level     TEXT NOT NULL,
        title     TEXT NOT NULL,
        version   TEXT NOT NULL,
        questions INTEGER NOT NULL,
        body      TEXT NOT NULL,
        added_at  TEXT NOT NULL,
        added_by  TEXT,
        UNIQUE (level, sha256)
    );
    CREATE TRIGGER question_banks_immutable_u BEFORE UPDATE ON question_banks
        BEGIN SELECT RAISE(ABORT, 'question banks are immutable'); END;
    CREATE TRIGGER question_banks_immutable_d BEFORE DELETE ON question_banks
        BEGIN SELECT RAISE(ABORT, 'question banks are immutable'); END;
    CREATE TABLE exam_attempts (
        id               TEXT PRIMARY KEY,
        person           TEXT NOT NULL,
        person_name      TEXT NOT NULL,
        employer         TEXT NOT NULL,
        enterprise       TEXT NOT NULL,
        level            TEXT NOT NULL,
        bank_sha256      TEXT NOT NULL,
        seed             TEXT NOT NULL,
        questions        TEXT NOT NULL,
        training         TEXT NOT NULL,
        time_limit       INTEGER NOT NULL,
        pass_score       REAL NOT NULL,
        status           TEXT NOT NULL CHECK (status IN ('assigned', 'open', 'submitted', 'timed_out', 'cancelled')),
        created_at       TEXT NOT NULL,
        created_by       TEXT,
        started_at       TEXT,
        deadline         TEXT,
        answers          TEXT NOT NULL DEFAULT '{}',
        answered_at      TEXT,
        submitted_at     TEXT,
        correct          INTEGER,
        score            REAL,
        passed           INTEGER,
        signature        BLOB,
        signature_sha256 TEXT,
        signed_at        TEXT,
        card_record      TEXT
    );
    CREATE UNIQUE INDEX exam_attempts_one_open ON exam_attempts(person) WHERE status IN ('assigned', 'open');
    CREATE INDEX exam_attempts_person ON exam_attempts(person, level, created_at);
    CREATE INDEX exam_attempts_enterprise ON exam_attempts(enterprise, created_at);
    CREATE TRIGGER exam_attempts_kept BEFORE DELETE ON exam_attempts
        BEGIN SELECT RAISE(ABORT, 'exam attempts are kept'); END;
    CREATE TRIGGER exam_attempts_closed BEFORE UPDATE ON exam_attempts
        WHEN OLD.status NOT IN ('assigned', 'open') AND (
            NEW.status IS NOT OLD.status OR NEW.answers IS NOT OLD.answers OR NEW.correct IS NOT OLD.correct
            OR NEW.score IS NOT OLD.score OR NEW.passed IS NOT OLD.passed OR NEW.submitted_at IS NOT OLD.submitted_at
            OR NEW.started_at IS NOT OLD.started_at OR NEW.deadline IS NOT OLD.deadline OR NEW.questions IS NOT OLD.questions
            OR NEW.seed IS NOT OLD.seed OR NEW.person IS NOT OLD.person OR NEW.level IS NOT OLD.level
            OR (OLD.signature IS NOT NULL AND (NEW.signature IS NOT OLD.signature OR NEW.signed_at IS NOT OLD.signed_at))
            OR (OLD.card_record IS NOT NULL AND NEW.card_record IS NOT OLD.card_record))
        BEGIN SELECT RAISE(ABORT, 'a closed exam attempt keeps its result'); END;
    """,
    # outsafe remind --send: which reminder went to which address in the digest of which day
    """
    CREATE TABLE reminders_sent (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        item       TEXT NOT NULL,
        day        TEXT NOT NULL,
        recipient  TEXT NOT NULL,
        sent_at    TEXT NOT NULL,
        message_id TEXT,
        UNIQUE (item, day, recipient)
    );
    CREATE TRIGGER reminders_sent_append_only_u BEFORE UPDATE ON reminders_sent
        BEGIN SELECT RAISE(ABORT, 'the reminders sent-log is append-only'); END;
    CREATE TRIGGER reminders_sent_append_only_d BEFORE DELETE ON reminders_sent
        BEGIN SELECT RAISE(ABORT, 'the reminders sent-log is append-only'); END;
    """,
    # 7: facts derived from each record for the views (a cache: rebuildable, deletable), their
    #    links (what a record concerns; ``belongs``: whose scope it is in), their state, and the lint of sealed records
    """
    CREATE TABLE fact_records (
        seq           INTEGER PRIMARY KEY,
        record_id     TEXT NOT NULL UNIQUE,
        type          TEXT NOT NULL,
        subtype       TEXT,
        key           TEXT,
        day           TEXT,
        supersedes    TEXT,
        superseded_by TEXT,
        title         TEXT NOT NULL,
        origin        TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        info          TEXT,
        belongs       TEXT NOT NULL
    );
    CREATE INDEX fact_records_type_key ON fact_records(type, key);
    CREATE INDEX fact_records_type_subtype ON fact_records(type, subtype);
    CREATE INDEX fact_records_supersedes ON fact_records(supersedes);
    CREATE INDEX fact_records_belongs ON fact_records(belongs, type);
    CREATE TABLE fact_links (
        role TEXT NOT NULL,
        key  TEXT NOT NULL,
        seq  INTEGER NOT NULL,
        PRIMARY KEY (role, key, seq)
    ) WITHOUT ROWID;
    CREATE INDEX fact_links_seq ON fact_links(seq);
    CREATE INDEX fact_links_key ON fact_links(key, seq);
    CREATE TABLE fact_state (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE fact_lint (
        record_id   TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        problems    TEXT
    );
    CREATE INDEX fact_lint_fingerprint ON fact_lint(fingerprint);
    """,
    # 8: drafts — forms being filled in the browser, per account, with their attached images
    #    (mutable, deleted when added or dropped; never records)
    """
    CREATE TABLE drafts (
        id         TEXT PRIMARY KEY,
        owner      TEXT NOT NULL,
        org        TEXT,
        type       TEXT NOT NULL,
        subtype    TEXT,
        title      TEXT NOT NULL,
        data       TEXT NOT NULL,
        revision   INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX drafts_owner ON drafts(owner, updated_at);
    CREATE TABLE draft_files (
        draft_id   TEXT NOT NULL REFERENCES drafts(id),
        name       TEXT NOT NULL,
        media_type TEXT NOT NULL,
        size       INTEGER NOT NULL,
        sha256     TEXT NOT NULL,
        data       BLOB NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (draft_id, name)
    );
    """,
    # 9: the person an account belongs to (a registry key, the keyed hash of his 身份证号): signed in,
    # he signs a 作业票's steps as himself, identified by the account (``outsafe user link``)
    """
    ALTER TABLE accounts ADD COLUMN person TEXT;
    """,
    # 10: the type of the record a link is of, beside the link: a scope's records of a few types are
    #     an index range (role, key, type) instead of every record the keys link to
    """
    ALTER TABLE fact_links ADD COLUMN type TEXT;
    UPDATE fact_links SET type = (SELECT f.type FROM fact_records f WHERE f.seq = fact_links.seq);
    CREATE INDEX fact_links_type ON fact_links(role, key, type);
    """,
    # 11: the ledger's leaves of one kind (the packages imported, the checkpoints witnessed, the
    #     access log's anchors) found by an index, not by reading every leaf: the campaign's status
    #     read them all for each enterprise account (38 ms warm, 0.5 s cold at 10^5 records)
    """
    CREATE INDEX ledger_kind ON ledger(kind, idx);
    """,
    # 12: a record's brief beside its facts (archive.facts.derive): its sealed JSON without the lists
    #     the check never reads — the largest enterprise's check at 10^5 read 28 MB of tickets and
    #     training cards for 16 MB it uses
    """
    ALTER TABLE fact_records ADD COLUMN brief TEXT;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN … END;) whole."""
    out, buf = [], []
    for line in script.strip().splitlines():
        buf.append(line)
        joined = "\n".join(buf).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            out.append(joined)
            buf = []
    if "\n".join(buf).strip():
        out.append("\n".join(buf).strip())
    return out
