"""A fast bulk path for generated records: sealed and stored through the real storage interfaces,
with one small file each — what ``case add`` does minus validation (the generator's records
validate: tests load every one of a small district with today's schema), rendering and PDF.

    archive = new_bureau_archive(home)
    ids = store(archive, district.cases())          # case key -> record id

Per record, as ``Archive._store`` does: its data in canonical JSON, its source file (that JSON)
in the blob store, the seal statement (RFC 8785) signed with the archive's Ed25519 key, the
record row, its file row, its ledger leaf (and a ``record_superseded`` leaf for a correction),
its registry entry, its facts and lint — blobs made durable per batch, then one catalog
transaction per batch of records (``case add`` makes one per record). One signed checkpoint at
the end. Never used by the product.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from archive import ids  # noqa: E402
from archive.app import Archive, canonical  # noqa: E402
from archive.clock import FixedClock  # noqa: E402
from archive.facts.index import record_stored  # noqa: E402
from archive.facts.lint import accepted  # noqa: E402
from archive.facts.records import record_class  # noqa: E402
from archive.integrity import seal as sealing  # noqa: E402
from archive.registry import registry_key  # noqa: E402
from bench.views.district import BUREAU, Case, refs_of, registry_key_of  # noqa: E402
from schemas.columns import record_columns, registry_name  # noqa: E402

EX = ROOT / "examples"


def new_bureau_archive(home: Path, clock_day: str = "2026-01-04") -> Archive:
    """A new archive owned by the examples' bureau (the district's bureau)."""
    at = datetime.fromisoformat(f"{clock_day}T01:00:00+00:00")
    return Archive.create(home, EX / "organizations" / "bureau.yaml", pdf=False, clock=FixedClock(at))


def store(archive: Archive, cases: Iterable[Case], *, batch: int = 500, progress: Callable[[int], None] | None = None) -> dict[str, str]:
    """Seal and store ``cases`` in order; return case key -> record id."""
    signer = archive.signer()
    secret = archive.secret
    catalog = archive.catalog
    registry: dict[tuple[str, str], dict] = {}
    made: dict[str, str] = {}
    todo = [c for c in cases if c.key != "org:bureau"]
    owner_row = catalog.get_registry("organization", BUREAU)
    if owner_row:
        made["org:bureau"] = owner_row["record_id"]
    done = 0
    with archive.writing("bulk"):
        for start in range(0, len(todo), batch):
            chunk = todo[start:start + batch]
            rows = []
            with archive.blobs.batch():
                for case in chunk:
                    data_json = canonical(case.data).decode()
                    nat = registry_key_of(case)
                    refs = refs_of(case, registry, secret)
                    if nat is not None:
                        registry[nat] = case.data
                    cls = record_class(case.type, case.subtype)
                    at = datetime.fromisoformat(case.created_at.replace("Z", "+00:00"))
                    rid = ids.new_id(FixedClock(at))
                    made[case.key] = rid
                    source = data_json.encode()
                    digest = archive.blobs.put_bytes(source)
                    row = {
                        "id": rid, "type": case.type, "subtype": case.subtype, **record_columns(cls, case.data),
                        "data": data_json, "refs": canonical(refs).decode(), "source_name": f"{case.key.replace(':', '-').replace('/', '-')}.json",
                        "origin": case.origin, "supersedes": made.get(case.supersedes) if case.supersedes else None,
                        "note": "更正 (correction)" if case.supersedes else None, "created_at": case.created_at,
                    }
                    files = [{"role": "source", "name": row["source_name"], "sha256": digest, "size": len(source),
                              "media_type": "application/json"}]
                    rows.append((case, row, files))
            with catalog.transaction():
                for case, row, files in rows:
                    idx = archive.ledger.next_index()
                    stmt = sealing.statement(row, files, None, idx, signer.fingerprint)
                    signature = sealing.seal(signer, stmt)
                    row.update(seal=stmt.decode(), signature=signature, signer=signer.fingerprint)
                    seq = catalog.insert_record(row, files)
                    record_stored(catalog, row, seq, secret, accepted(row["id"], archive.settings))
                    archive.ledger.append("record_sealed", sealing.leaf_entry(row["id"], stmt, signature, signer.fingerprint),
                                          row["created_at"], record_id=row["id"])
                    if row["supersedes"]:
                        archive.ledger.append("record_superseded", {"record_id": row["supersedes"], "superseded_by": row["id"],
                                                                    "note": row["note"]}, row["created_at"], record_id=row["supersedes"])
                    nat = registry_key_of(case)
                    if nat is not None:
                        key = registry_key(secret, nat[0], case.data)
                        catalog.put_registry(nat[0], key, row["id"], registry_name(case.data, key))
            done += len(chunk)
            if progress:
                progress(done)
        archive.checkpoint(signer)
    return made


__all__ = ["new_bureau_archive", "store"]
