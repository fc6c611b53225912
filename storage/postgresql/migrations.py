"""The PostgreSQL catalog's schema: forward migrations, applied in order, never edited once released.

The same tables, columns and meanings as the SQLite backend (:mod:`storage.sqlite.migrations`),
in PostgreSQL's types: BIGINT sequence numbers, BYTEA hashes and signatures, TEXT with the "C"
collation wherever rows are ordered or compared by text (ids, keys, names, dates), so that the
order is the bytes' order on every server, as in SQLite. JSON stays TEXT: it is signed and hashed
and must come back byte for byte (storage/rows.py).

The schema version is the one row of ``schema_version`` (no table: version 0). Each migration runs
in one transaction together with the new version number (PostgreSQL's DDL is transactional), so a
crash leaves the catalog at the old version or the new one.

Immutability is the database's own: statement-level triggers refuse UPDATE, DELETE and TRUNCATE on
records, their files, the ledger, checkpoints, witnessed checkpoints, imported proofs, the
access log, question banks and the reminders' sent-log, whoever connects; exam attempts refuse
DELETE and TRUNCATE, and a row-level trigger refuses changing a closed attempt's result (as
SQLite's ``exam_attempts_closed``). The facts (7) are a cache and the drafts (8) are mutable: no
trigger. The table owner could still disable a trigger; a deployment that wants the database to
refuse that too connects outsafe as a role without ownership, given only what it needs
(:func:`grant_sql`: SELECT and INSERT on the immutable tables, UPDATE on the registry, meta,
accounts and exam attempts, DELETE on sessions, sign-in attempts, the facts and the drafts).
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: records, their files, the registry projection, settings-like metadata
    """
    CREATE TABLE schema_version (version INTEGER NOT NULL);
    INSERT INTO schema_version(version) VALUES (0);
    CREATE FUNCTION outsafe_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
    END
    $$;
    CREATE TABLE meta (
        key   TEXT COLLATE "C" PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE records (
        seq         BIGINT PRIMARY KEY,
        id          TEXT COLLATE "C" NOT NULL UNIQUE,
        type        TEXT COLLATE "C" NOT NULL,
        subtype     TEXT COLLATE "C",
        doc_no      TEXT COLLATE "C",
        title       TEXT NOT NULL,
        enterprise  TEXT COLLATE "C",
        contractor  TEXT COLLATE "C",
        project     TEXT COLLATE "C",
        doc_date    TEXT COLLATE "C",
        data        TEXT NOT NULL,
        refs        TEXT NOT NULL,
        source_name TEXT,
        origin      TEXT COLLATE "C" NOT NULL,
        supersedes  TEXT COLLATE "C" REFERENCES records(id),
        note        TEXT,
        created_at  TEXT COLLATE "C" NOT NULL,
        seal        TEXT,
        signature   BYTEA,
        signer      TEXT
    );
    CREATE INDEX records_type ON records(type, subtype, seq);
    CREATE INDEX records_contractor ON records(contractor, seq);
    CREATE INDEX records_enterprise ON records(enterprise, seq);
    CREATE INDEX records_doc_no ON records(doc_no);
    CREATE INDEX records_supersedes ON records(supersedes);
    CREATE TABLE record_files (
        record_id  TEXT COLLATE "C" NOT NULL REFERENCES records(id),
        role       TEXT COLLATE "C" NOT NULL,
        name       TEXT COLLATE "C" NOT NULL,
        sha256     TEXT COLLATE "C" NOT NULL,
        size       BIGINT NOT NULL,
        media_type TEXT NOT NULL,
        PRIMARY KEY (record_id, role, name)
    );
    CREATE INDEX record_files_sha256 ON record_files(sha256);
    CREATE TABLE registry (
        kind      TEXT COLLATE "C" NOT NULL,
        key       TEXT COLLATE "C" NOT NULL,
        record_id TEXT COLLATE "C" NOT NULL REFERENCES records(id),
        name      TEXT NOT NULL,
        extra     TEXT,
        PRIMARY KEY (kind, key)
    );
    CREATE TRIGGER records_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON records
        FOR EACH STATEMENT EXECUTE FUNCTION outsafe_refuse('records are immutable; supersede instead');
    CREATE TRIGGER record_files_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON record_files
        FOR EACH STATEMENT EXECUTE FUNCTION outsafe_refuse('record files are immutable');
    """,
    # 2: the append-only Merkle ledger (RFC 9162 hashing) and its signed checkpoints
    """
    CREATE TABLE ledger (
        idx        BIGINT PRIMARY KEY,
        kind       TEXT COLLATE "C" NOT NULL,
        record_id  TEXT COLLATE "C",
        entry      TEXT NOT NULL,
        leaf_hash  BYTEA NOT NULL,
        created_at TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX ledger_record ON ledger(record_id, kind, idx);
    CREATE INDEX ledger_kind ON ledger(kind, idx);
    CREATE TABLE checkpoints (
        tree_size BIGINT PRIMARY KEY,
        root      BYTEA NOT NULL,
        note      TEXT NOT NULL,
        signature BYTEA NOT NULL,
        signer    TEXT NOT NULL,
        signed_at TEXT NOT NULL
    );
    CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger
        FOR EACH STATEMENT EXECUTE FUNCTION outsafe_refuse('the ledger is append-only');
    CREATE TRIGGER checkpoints_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON checkpoints
        FOR EACH STATEMENT EXECUTE FUNCTION outsafe_refuse('checkpoints are immutable');
    """,
    # 3: packages exchanged with other archives: their checkpoints we witnessed, the inclusion
    #    proofs of imported records, and a log of packages exported and imported
    """
    CREATE TABLE witnessed (
        origin         TEXT COLLATE "C" NOT NULL,
        tree_size      BIGINT NOT NULL,
        root           BYTEA NOT NULL,
        note           TEXT NOT NULL,
        signer         TEXT NOT NULL,
        cosignature    BYTEA NOT NULL,
        package_digest TEXT NOT NULL,
        witnessed_at   TEXT NOT NULL,
        PRIMARY KEY (origin, tree_size)
    );
    CREATE TABLE imported_proofs (
        record_id  TEXT COLLATE "C" PRIMARY KEY REFERENCES records(id),
        origin     TEXT NOT NULL,
        leaf_index BIGINT NOT NULL,
        leaf_data  TEXT NOT NULL,
        tree_size  BIGINT NOT NULL,
        proof      TEXT NOT NULL
    );
    CREATE TABLE packages (
        digest     TEXT COLLATE "C" NOT NULL,
        direction  TEXT COLLATE "C" NOT NULL,
        kind       TEXT COLLATE "C" NOT NULL,
        origin     TEXT NOT NULL,
        path       TEXT,
        records    BIGINT NOT NULL,
        info       TEXT,
        created_at TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (digest, direction)
    );
    CREATE TRIGGER witnessed_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON witnessed
        FOR EACH STATEMENT EXECUTE FUNCTION outsafe_refuse('witnessed checkpoints are immutable');
    CREATE TRIGGER imported_proofs_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON imported_proofs
        FOR EACH STATEMENT EXECUTE FUNCTION outsafe_refuse('imported proofs are immutable');
    """,
    # 4: web accounts, their sessions and sign-in attempts (mutable); the access log (append-only,
    #    hash-chained); and an index for "the records that belong to an enterprise"
    """
    CREATE TABLE accounts (
        name          TEXT COLLATE "C" PRIMARY KEY,
        role          TEXT COLLATE "C" NOT NULL,
        org           TEXT COLLATE "C",
        password_hash TEXT NOT NULL,
        disabled      BOOLEAN NOT NULL DEFAULT false,
        created_at    TEXT COLLATE "C" NOT NULL,
        updated_at    TEXT COLLATE "C" NOT NULL
    );
    CREATE TABLE sessions (
        token_hash   TEXT COLLATE "C" PRIMARY KEY,
        account      TEXT COLLATE "C" NOT NULL REFERENCES accounts(name),
        csrf_token   TEXT NOT NULL,
        created_at   TEXT COLLATE "C" NOT NULL,
        last_seen_at TEXT COLLATE "C" NOT NULL,
        expires_at   TEXT COLLATE "C" NOT NULL,
        address      TEXT
    );
    CREATE INDEX sessions_account ON sessions(account);
    CREATE TABLE login_attempts (
        id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at           TEXT COLLATE "C" NOT NULL,
        username_key TEXT COLLATE "C" NOT NULL,
        address      TEXT COLLATE "C",
        ok           BOOLEAN NOT NULL
    );
    CREATE INDEX login_attempts_at ON login_attempts(at);
    CREATE TABLE access_log (
        seq       BIGINT PRIMARY KEY,
        at        TEXT COLLATE "C" NOT NULL,
        account   TEXT COLLATE "C",
        org       TEXT COLLATE "C",
        action    TEXT COLLATE "C" NOT NULL,
        target    TEXT COLLATE "C",
        address   TEXT,
        detail    TEXT,
        prev_hash BYTEA NOT NULL,
        hash      BYTEA NOT NULL
    );
    CREATE INDEX access_log_account ON access_log(account, seq);
    CREATE INDEX access_log_org ON access_log(org, seq);
    CREATE INDEX access_log_at ON access_log(at);
    CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON access_log
        FOR EACH STATEMENT EXECUTE FUNCTION outsafe_refuse('the access log is append-only');
    CREATE INDEX records_belongs ON records((COALESCE(enterprise, origin)), seq);
    """,
    # 5: the three-level training exam (archive.training): question banks (immutable) and exam
    #    attempts (changed only while assigned or open; never deleted; one open attempt per worker)
    """
    CREATE TABLE question_banks (
        seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        sha256    TEXT COLLATE "C" NOT NULL,
        level     TEXT COLLATE "C" NOT NULL,
        title     TEXT NOT NULL,
        version   TEXT NOT NULL,
        questions INTEGER NOT NULL,
        body      TEXT NOT NULL,
        added_at  TEXT COLLATE "C" NOT NULL,
        added_by  TEXT,
        UNIQUE (level, sha256)
    );
    CREATE TRIGGER question_banks_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON question_banks
        FOR EACH STATEMENT EXECUTE FUNCTION outsafe_refuse('question banks are immutable');
    CREATE TABLE exam_attempts (
        id               TEXT COLLATE "C" PRIMARY KEY,
        person           TEXT COLLATE "C" NOT NULL,
        person_name      TEXT NOT NULL,
        employer         TEXT COLLATE "C" NOT NULL,
        enterprise       TEXT COLLATE "C" NOT NULL,
        level            TEXT COLLATE "C" NOT NULL,
        bank_sha256      TEXT COLLATE "C" NOT NULL,
        seed             TEXT NOT NULL,
        questions        TEXT NOT NULL,
        training         TEXT NOT NULL,
        time_limit       INTEGER NOT NULL,
        pass_score       DOUBLE PRECISION NOT NULL,
        status           TEXT COLLATE "C" NOT NULL CHECK (status IN ('assigned', 'open', 'submitted', 'timed_out', 'cancelled')),
        created_at       TEXT COLLATE "C" NOT NULL,
        created_by       TEXT,
        started_at       TEXT COLLATE "C",
        deadline         TEXT COLLATE "C",
        answers          TEXT NOT NULL DEFAULT '{}',
        answered_at      TEXT COLLATE "C",
        submitted_at     TEXT COLLATE "C",
        correct          INTEGER,
        score            DOUBLE PRECISION,
        passed           INTEGER CHECK (passed IN (0, 1)),
        signature        BYTEA,
        signature_sha256 TEXT,
        signed_at        TEXT COLLATE "C",
        card_record      TEXT COLLATE "C"
    );
    CREATE UNIQUE INDEX exam_attempts_one_open ON exam_attempts(person) WHERE status IN ('assigned', 'open');
    CREATE INDEX exam_attempts_person ON exam_attempts(person, level, created_at);
    CREATE INDEX exam_attempts_enterprise ON exam_attempts(enterprise, created_at);
    CREATE TRIGGER exam_attempts_kept BEFORE DELETE OR TRUNCATE ON exam_attempts
        FOR EACH STATEMENT EXECUTE FUNCTION outsafe_refuse('exam attempts are kept');
    CREATE FUNCTION outsafe_attempt_closed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.status NOT IN ('assigned', 'open') AND (
            NEW.status IS DISTINCT FROM OLD.status OR NEW.answers IS DISTINCT FROM OLD.answers
            OR NEW.correct IS DISTINCT FROM OLD.correct OR NEW.score IS DISTINCT FROM OLD.score
            OR NEW.passed IS DISTINCT FROM OLD.passed OR NEW.submitted_at IS DISTINCT FROM OLD.submitted_at
            OR NEW.started_at IS DISTINCT FROM OLD.started_at OR NEW.deadline IS DISTINCT FROM OLD.deadline
            OR NEW.questions IS DISTINCT FROM OLD.questions OR NEW.seed IS DISTINCT FROM OLD.seed
            OR NEW.person IS DISTINCT FROM OLD.person OR NEW.level IS DISTINCT FROM OLD.level
            OR NEW.id IS DISTINCT FROM OLD.id
            OR (OLD.signature IS NOT NULL AND (NEW.signature IS DISTINCT FROM OLD.signature
                                               OR NEW.signed_at IS DISTINCT FROM OLD.signed_at))
            OR (OLD.card_record IS NOT NULL AND NEW.card_record IS DISTINCT FROM OLD.card_record)) THEN
            RAISE EXCEPTION 'a closed exam attempt keeps its result' USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END
    $$;
    CREATE TRIGGER exam_attempts_closed BEFORE UPDATE ON exam_attempts
        FOR EACH ROW EXECUTE FUNCTION outsafe_attempt_closed();
    """,
    # 6: outsafe remind --send: which reminder went to which address in the digest of which day
    """
    CREATE TABLE reminders_sent (
        seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        item       TEXT COLLATE "C" NOT NULL,
        day        TEXT COLLATE "C" NOT NULL,
        recipient  TEXT COLLATE "C" NOT NULL,
        sent_at    TEXT COLLATE "C" NOT NULL,
        message_id TEXT,
        UNIQUE (item, day, recipient)
    );
    CREATE TRIGGER reminders_sent_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON reminders_sent
        FOR EACH STATEMENT EXECUTE FUNCTION outsafe_refuse('the reminders sent-log is append-only');
    """,
    # 7: facts derived from each record for the views (a cache: rebuildable, deletable), their
    #    links (what a record concerns; ``belongs``: whose scope it is in), their state, and the
    #    lint of sealed records
    """
    CREATE TABLE fact_records (
        seq           BIGINT PRIMARY KEY,
        record_id     TEXT COLLATE "C" NOT NULL UNIQUE,
        type          TEXT COLLATE "C" NOT NULL,
        subtype       TEXT COLLATE "C",
        key           TEXT COLLATE "C",
        day           TEXT COLLATE "C",
        supersedes    TEXT COLLATE "C",
        superseded_by TEXT COLLATE "C",
        title         TEXT NOT NULL,
        origin        TEXT COLLATE "C" NOT NULL,
        created_at    TEXT COLLATE "C" NOT NULL,
        info          TEXT,
        belongs       TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX fact_records_type_key ON fact_records(type, key);
    CREATE INDEX fact_records_type_subtype ON fact_records(type, subtype);
    CREATE INDEX fact_records_supersedes ON fact_records(supersedes);
    CREATE INDEX fact_records_belongs ON fact_records(belongs, type);
    CREATE TABLE fact_links (
        role TEXT COLLATE "C" NOT NULL,
        key  TEXT COLLATE "C" NOT NULL,
        seq  BIGINT NOT NULL,
        PRIMARY KEY (role, key, seq)
    );
    CREATE INDEX fact_links_seq ON fact_links(seq);
    CREATE INDEX fact_links_key ON fact_links(key, seq);
    CREATE TABLE fact_state (
        name  TEXT COLLATE "C" PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE fact_lint (
        record_id   TEXT COLLATE "C" PRIMARY KEY,
        fingerprint TEXT COLLATE "C" NOT NULL,
        problems    TEXT
    );
    CREATE INDEX fact_lint_fingerprint ON fact_lint(fingerprint);
    """,
    # 8: drafts — forms being filled in the browser, per account, with their attached images
    #    (mutable, deleted when added or dropped; never records)
    """
    CREATE TABLE drafts (
        id         TEXT COLLATE "C" PRIMARY KEY,
        owner      TEXT COLLATE "C" NOT NULL,
        org        TEXT COLLATE "C",
        type       TEXT COLLATE "C" NOT NULL,
        subtype    TEXT COLLATE "C",
        title      TEXT NOT NULL,
        data       TEXT NOT NULL,
        revision   INTEGER NOT NULL,
        created_at TEXT COLLATE "C" NOT NULL,
        updated_at TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX drafts_owner ON drafts(owner, updated_at);
    CREATE TABLE draft_files (
        draft_id   TEXT COLLATE "C" NOT NULL REFERENCES drafts(id),
        name       TEXT COLLATE "C" NOT NULL,
        media_type TEXT NOT NULL,
        size       BIGINT NOT NULL,
        sha256     TEXT COLLATE "C" NOT NULL,
        data       BYTEA NOT NULL,
        created_at TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (draft_id, name)
    );
    """,
    # 9: the person an account belongs to (a registry key, the keyed hash of his 身份证号): signed in,
    # he signs a 作业票's steps as himself, identified by the account (``outsafe user link``)
    """
    ALTER TABLE accounts ADD COLUMN person TEXT COLLATE "C";
    """,
    # 10: the type of the record a link is of, beside the link: a scope's records of a few types are
    #     an index range (role, key, type) instead of every record the keys link to
    """
    ALTER TABLE fact_links ADD COLUMN type TEXT COLLATE "C";
    UPDATE fact_links l SET type = f.type FROM fact_records f WHERE f.seq = l.seq;
    CREATE INDEX fact_links_type ON fact_links(role, key, type);
    """,
    # 11: SQLite's catalog gets the index of the ledger's leaves by kind, which this one has had
    #     since 1; the numbers of the two stay the same
    """
    CREATE INDEX IF NOT EXISTS ledger_kind ON ledger(kind, idx);
    """,
    # 12: a record's brief beside its facts (archive.facts.derive): its sealed JSON without the lists
    #     the check never reads
    """
    ALTER TABLE fact_records ADD COLUMN brief TEXT;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

# what a role running outsafe needs, and nothing more: the immutable tables are read and appended
# to; the registry projection, meta, accounts and exam attempts are upserted; sessions, sign-in
# attempts, the facts (a rebuildable cache) and drafts are deleted
APPEND_ONLY = ("records", "record_files", "ledger", "checkpoints", "witnessed", "imported_proofs", "packages", "access_log",
               "question_banks", "reminders_sent")
UPSERTED = ("registry", "meta", "accounts", "exam_attempts")
FORGOTTEN = ("sessions", "login_attempts", "fact_records", "fact_links", "fact_state", "fact_lint", "drafts", "draft_files")


def grant_sql(role: str) -> list[str]:
    """The statements that let ``role`` (not the tables' owner) run outsafe on this schema."""
    r = '"' + role.replace('"', '""') + '"'
    out = [f"GRANT USAGE ON SCHEMA {{schema}} TO {r}", f"GRANT SELECT ON schema_version TO {r}"]
    out += [f"GRANT SELECT, INSERT ON {t} TO {r}" for t in APPEND_ONLY]
    out += [f"GRANT SELECT, INSERT, UPDATE ON {t} TO {r}" for t in UPSERTED]
    out += [f"GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {r}" for t in FORGOTTEN]
    return out
