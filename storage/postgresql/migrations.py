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
records, their files, the ledger, checkpoints, witnessed checkpoints, imported proofs and the
access log, whoever connects. The table owner could still disable a trigger; a deployment that wants the database to
refuse that too connects outsafe as a role without ownership, given only what it needs
(:func:`grant_sql`: SELECT and INSERT on the immutable tables, UPDATE on the registry, meta and
accounts, DELETE on sessions and sign-in attempts).
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
]

SCHEMA_VERSION = len(MIGRATIONS)

# what a role running outsafe needs, and nothing more: the immutable tables are read and appended
# to; the registry projection, meta and accounts are upserted; sessions and sign-in attempts end
APPEND_ONLY = ("records", "record_files", "ledger", "checkpoints", "witnessed", "imported_proofs", "packages", "access_log")
UPSERTED = ("registry", "meta", "accounts")
FORGOTTEN = ("sessions", "login_attempts")


def grant_sql(role: str) -> list[str]:
    """The statements that let ``role`` (not the tables' owner) run outsafe on this schema."""
    r = '"' + role.replace('"', '""') + '"'
    out = [f"GRANT USAGE ON SCHEMA {{schema}} TO {r}", f"GRANT SELECT ON schema_version TO {r}"]
    out += [f"GRANT SELECT, INSERT ON {t} TO {r}" for t in APPEND_ONLY]
    out += [f"GRANT SELECT, INSERT, UPDATE ON {t} TO {r}" for t in UPSERTED]
    out += [f"GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {r}" for t in FORGOTTEN]
    return out
