"""Seals, ledger and verification: the tamper suite. Every kind of tampering is detected and
named; an untouched archive verifies; openssl alone verifies a seal and a checkpoint."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from archive.app import Archive
from archive.facts.index import rebuild
from archive.integrity.verify import verify_archive
from cli import main


def record(arc, type_):
    return next(r for r in arc.catalog.list_records(types=[type_]))


def blob_path(arc, record_id, role=None):
    files = arc.catalog.record_files(record_id)
    f = next(x for x in files if role is None or x["role"] == role)
    p = arc.blobs.path_for(f["sha256"])
    os.chmod(p, 0o600)
    return p, f


def unlock(arc, *triggers):
    for t in triggers:
        arc.catalog.db.execute(f"DROP TRIGGER IF EXISTS {t}")


def failures(arc, **kw):
    rep = verify_archive(arc, **kw)
    return rep.failures


def test_untouched_archive_verifies(arc):
    rep = verify_archive(arc)
    assert rep.ok, rep.failures
    assert rep.records == arc.catalog.count_records()
    assert rep.leaves == rep.records
    assert rep.checkpoints >= 1


def test_flipped_byte_in_a_pdf_blob(arc):
    rid = record(arc, "safety_agreement")["id"]
    p, f = blob_path(arc, rid, "pdf")
    assert p.read_bytes().startswith(b"%PDF")
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0x01
    p.write_bytes(bytes(data))
    (msg,) = failures(arc)
    assert rid in msg and f["name"] in msg and "altered" in msg


def test_pdf_blob_replaced_by_another_valid_pdf(arc):
    from pypdf import PdfReader

    a = record(arc, "safety_agreement")["id"]
    t = record(arc, "work_ticket")["id"]
    pa, fa = blob_path(arc, a, "pdf")
    pt, _ = blob_path(arc, t, "pdf")
    pa.write_bytes(pt.read_bytes())
    assert len(PdfReader(pa).pages) >= 1  # still a perfectly valid PDF
    (msg,) = failures(arc)
    assert a in msg and fa["name"] in msg and "altered" in msg


def test_truncated_pdf_blob(arc):
    rid = record(arc, "work_ticket")["id"]
    p, _ = blob_path(arc, rid, "pdf")
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    (msg,) = failures(arc)
    assert rid in msg


def test_missing_docx_blob(arc):
    rid = record(arc, "work_ticket")["id"]
    p, _ = blob_path(arc, rid, "docx")
    p.unlink()
    (msg,) = failures(arc)
    assert rid in msg and "missing" in msg


def test_data_field_edited_in_catalog(arc):
    row = record(arc, "safety_agreement")
    data = json.loads(row["data"])
    data["enterprise_duties"][0] = "甲方不承担任何安全责任"
    unlock(arc, "records_immutable_u")
    arc.catalog.db.execute("UPDATE records SET data=? WHERE id=?", (json.dumps(data, ensure_ascii=False), row["id"]))
    msgs = failures(arc)
    assert any(row["id"] in m and "data altered" in m and "enterprise_duties[0]" in m for m in msgs)


def test_record_row_deleted(arc):
    rid = record(arc, "work_ticket")["id"]
    unlock(arc, "records_immutable_d", "record_files_immutable_d")
    arc.catalog.db.execute("PRAGMA foreign_keys=OFF")
    arc.catalog.db.execute("DELETE FROM record_files WHERE record_id=?", (rid,))
    arc.catalog.db.execute("DELETE FROM records WHERE id=?", (rid,))
    msgs = failures(arc)
    assert any(rid in m and "deleted" in m for m in msgs)


def test_ledger_leaf_deleted(arc):
    rid = record(arc, "safety_agreement")["id"]
    leaf = arc.ledger.leaf_for_record(rid)
    unlock(arc, "ledger_append_only_d")
    arc.catalog.db.execute("DELETE FROM ledger WHERE idx=?", (leaf["idx"],))
    msgs = failures(arc)
    assert any(rid in m and "no ledger leaf" in m for m in msgs)
    assert any(f"leaves {leaf['idx']}" in m and "missing" in m for m in msgs)
    assert any("checkpoint" in m for m in msgs)


def test_two_leaves_swapped(arc):
    a = arc.ledger.leaf_for_record(record(arc, "safety_agreement")["id"])
    b = arc.ledger.leaf_for_record(record(arc, "work_ticket")["id"])
    unlock(arc, "ledger_append_only_u")
    db = arc.catalog.db
    db.execute("UPDATE ledger SET idx=-1 WHERE idx=?", (a["idx"],))
    db.execute("UPDATE ledger SET idx=? WHERE idx=?", (a["idx"], b["idx"]))
    db.execute("UPDATE ledger SET idx=? WHERE idx=-1", (b["idx"],))
    msgs = failures(arc)
    assert any(a["record_id"] in m and "moved" in m for m in msgs)
    assert any(b["record_id"] in m and "moved" in m for m in msgs)
    assert any("rebuilt root differs" in m for m in msgs)


def test_two_signatures_swapped(arc):
    a = record(arc, "safety_agreement")
    b = record(arc, "work_ticket")
    unlock(arc, "records_immutable_u")
    db = arc.catalog.db
    db.execute("UPDATE records SET signature=? WHERE id=?", (b["signature"], a["id"]))
    db.execute("UPDATE records SET signature=? WHERE id=?", (a["signature"], b["id"]))
    msgs = failures(arc)
    for rid in (a["id"], b["id"]):
        assert any(rid in m and "signature does not verify" in m for m in msgs)


def test_history_rewritten_and_resigned_fails_against_kept_checkpoint(arc, tmp_path, runner):
    kept = tmp_path / "kept"
    r = runner.invoke(main, ["--home", str(arc.home.root), "ledger", "checkpoint", "-o", str(kept)])
    assert r.exit_code == 0, r.output
    # The owner (who holds the key) quietly re-seals the agreement with different data, rewrites
    # its ledger leaf, throws the old checkpoints away, signs a fresh one and derives the views'
    # facts again (the agreement's end is one of them).
    from archive.integrity import seal as sealing
    from archive.integrity.ledger import canonical, merkle

    row = record(arc, "safety_agreement")
    data = json.loads(row["data"])
    data["term"]["end"] = "2026-05-31"
    new_data = canonical(data).decode()
    unlock(arc, "records_immutable_u", "ledger_append_only_u", "checkpoints_immutable_d")
    db = arc.catalog.db
    leaf = arc.ledger.leaf_for_record(row["id"])
    row2 = dict(row, data=new_data)
    files = arc.catalog.record_files(row["id"])
    stmt = sealing.statement(row2, files, json.loads(row["seal"])["template"], leaf["idx"], row["signer"])
    sig = arc.signer().sign(stmt)
    entry = canonical({"event": "record_sealed", **sealing.leaf_entry(row["id"], stmt, sig, row["signer"])})
    db.execute("UPDATE records SET data=?, seal=?, signature=? WHERE id=?", (new_data, stmt.decode(), sig, row["id"]))
    db.execute("UPDATE ledger SET entry=?, leaf_hash=? WHERE idx=?", (entry.decode(), merkle.leaf_hash(entry), leaf["idx"]))
    db.execute("DELETE FROM checkpoints")
    arc.checkpoint()
    rebuild(arc)
    # Inside the archive everything now looks consistent ...
    assert verify_archive(arc).ok
    # ... but not against the checkpoint kept from before.
    rep = verify_archive(arc, external=[kept / "checkpoint.txt"])
    assert any("history rewritten" in m for m in rep.failures)
    r = runner.invoke(main, ["--home", str(arc.home.root), "verify", "--checkpoint", str(kept / "checkpoint.txt")])
    assert r.exit_code == 3
    assert "history rewritten" in r.output


def test_truncated_history_fails_against_kept_checkpoint(arc, tmp_path, runner):
    kept = tmp_path / "kept"
    runner.invoke(main, ["--home", str(arc.home.root), "ledger", "checkpoint", "-o", str(kept)])
    rid = record(arc, "work_ticket")["id"]
    unlock(arc, "records_immutable_d", "record_files_immutable_d", "ledger_append_only_d", "checkpoints_immutable_d")
    db = arc.catalog.db
    db.execute("PRAGMA foreign_keys=OFF")
    db.execute("DELETE FROM record_files WHERE record_id=?", (rid,))
    db.execute("DELETE FROM records WHERE id=?", (rid,))
    db.execute("DELETE FROM ledger WHERE record_id=?", (rid,))
    db.execute("DELETE FROM checkpoints")
    arc.checkpoint()
    assert verify_archive(arc).ok
    rep = verify_archive(arc, external=[kept / "checkpoint.txt"])
    assert any("ledger shorter" in m for m in rep.failures)


def test_verify_one_record_with_inclusion_proof(arc):
    rid = record(arc, "work_ticket")["id"]
    rep = verify_archive(arc, record_id=rid)
    assert rep.ok and rep.records == 1
    p, _ = blob_path(arc, rid)
    p.write_bytes(b"x")
    assert any(rid in m for m in verify_archive(arc, record_id=rid).failures)


def test_cli_verify_exit_codes(arc, runner):
    home = str(arc.home.root)
    r = runner.invoke(main, ["--home", home, "verify"])
    assert r.exit_code == 0 and "核验通过" in r.output
    rid = record(arc, "safety_agreement")["id"]
    p, _ = blob_path(arc, rid)
    p.write_bytes(p.read_bytes() + b"\n")
    r = runner.invoke(main, ["--home", home, "verify"])
    assert r.exit_code == 3
    assert rid in r.output
    r = runner.invoke(main, ["--home", home, "verify", "--json"])
    assert r.exit_code == 3
    assert json.loads(r.stdout)["ok"] is False


def test_record_and_leaf_commit_together(arc):
    n_records = arc.catalog.count_records()
    sealed = len(arc.ledger.leaves(kind="record_sealed"))
    assert sealed == n_records


def test_supersede_adds_a_leaf_and_keeps_the_old_record(arc, basic_files, tmp_path):
    from tests import factories as f

    old = record(arc, "safety_agreement")
    new_file = f.write(tmp_path / "fix", "agreement-v2.yaml", f.agreement(copies=4))
    report = arc.add_files([new_file], supersedes=old["id"], note="份数更正为四份", pdf=False)
    new_id = report.added[0].id
    assert arc.catalog.superseded_by(old["id"]) == new_id
    kinds = [lf["kind"] for lf in arc.ledger.leaves()]
    assert kinds[-2:] == ["record_sealed", "record_superseded"]
    stmt = json.loads(arc.get_record_row(new_id)["seal"])
    assert stmt["supersedes"] == old["id"] and stmt["note"] == "份数更正为四份"
    assert verify_archive(arc).ok


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_openssl_verifies_a_seal_and_a_checkpoint(arc, tmp_path, runner):
    home = str(arc.home.root)
    rid = record(arc, "work_ticket")["id"]
    seal_dir, cp_dir = tmp_path / "seal", tmp_path / "cp"
    assert runner.invoke(main, ["--home", home, "seal", "export", rid, "-o", str(seal_dir)]).exit_code == 0
    assert runner.invoke(main, ["--home", home, "ledger", "checkpoint", "-o", str(cp_dir)]).exit_code == 0

    def openssl(folder, data, sig, key):
        return subprocess.run(
            ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", key, "-rawin", "-in", data, "-sigfile", sig],
            cwd=folder, capture_output=True, text=True,
        )

    ok = openssl(seal_dir, "seal.json", "seal.sig", "signer.pub.pem")
    assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout
    ok = openssl(cp_dir, "checkpoint.body", "checkpoint.sig", "owner.pub.pem")
    assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout
    sums = subprocess.run(["sha256sum", "-c", "files.sha256"], cwd=seal_dir, capture_output=True, text=True)
    assert sums.returncode == 0
    # and openssl says no to a tampered statement and to a tampered checkpoint
    (seal_dir / "seal.json").write_bytes((seal_dir / "seal.json").read_bytes().replace(b'"hot_work"', b'"lifting"'))
    assert openssl(seal_dir, "seal.json", "seal.sig", "signer.pub.pem").returncode != 0
    body = (cp_dir / "checkpoint.body").read_text().splitlines()
    body[1] = str(int(body[1]) + 1)
    (cp_dir / "checkpoint.body").write_text("\n".join(body) + "\n")
    assert openssl(cp_dir, "checkpoint.body", "checkpoint.sig", "owner.pub.pem").returncode != 0
    # the documented fingerprint command matches `outsafe keys show`
    fp = subprocess.run(
        "openssl pkey -pubin -in signer.pub.pem -outform DER | tail -c 32 | sha256sum", shell=True, cwd=seal_dir,
        capture_output=True, text=True,
    ).stdout.split()[0]
    assert fp == arc.signer().fingerprint


def test_reopened_archive_still_verifies(arc):
    home = arc.home.root
    arc.close()
    again = Archive.open(home)
    assert verify_archive(again).ok
    again.close()


# --- the catalog columns listings, filters and exports read (issue 12) -----------------------------


@pytest.mark.parametrize("column, value", [
    ("doc_no", "HR-HT-2026-999"),
    ("title", "外包合同 伪造"),
    ("contractor", "91370105MA3DK8W41C"),
    ("enterprise", "91370100MA3C8K2P9L"),
    ("doc_date", "2020-01-01"),
    ("project", "HR-WB-2026-999"),
    ("created_at", "2020-01-01T00:00:00Z"),
])
def test_every_derived_catalog_column_edited_is_named(arc, column, value):
    row = record(arc, "work_ticket")
    if row[column] == value:
        value = value[:-1] + ("1" if value[-1] != "1" else "2")
    unlock(arc, "records_immutable_u")
    arc.catalog.db.execute(f"UPDATE records SET {column}=? WHERE id=?", (value, row["id"]))
    msgs = failures(arc)
    assert any(row["id"] in m and column in m for m in msgs), msgs
    assert verify_archive(arc, record_id=row["id"]).failures


def test_a_file_rows_media_type_edited_is_named(arc):
    row = record(arc, "work_ticket")
    unlock(arc, "record_files_immutable_u")
    arc.catalog.db.execute("UPDATE record_files SET media_type='text/html' WHERE record_id=? AND role='pdf'", (row["id"],))
    assert any(row["id"] in m and "file entry altered" in m for m in failures(arc))


def test_a_registry_row_renamed_or_repointed_is_named(arc):
    reg = arc.catalog.list_registry("organization")
    a, b = reg[0], reg[1]
    arc.catalog.db.execute("UPDATE registry SET name=? WHERE kind='organization' AND key=?", ("伪造单位", a["key"]))
    msgs = failures(arc)
    assert any("registry name altered" in m and a["key"][:20] in m for m in msgs), msgs
    arc.catalog.db.execute("UPDATE registry SET name=?, record_id=? WHERE kind='organization' AND key=?",
                           (a["name"], b["record_id"], a["key"]))
    assert any("registry key does not match" in m for m in failures(arc))


def test_a_registry_row_pointing_at_a_missing_record_is_named(arc):
    arc.catalog.db.execute("PRAGMA foreign_keys=OFF")
    arc.catalog.db.execute("UPDATE registry SET record_id='01NOSUCHRECORD000000000000' WHERE kind='person'")
    assert any("missing record" in m for m in failures(arc))


def test_cli_names_the_record_and_column_and_exits_3(arc, runner):
    row = record(arc, "work_ticket")
    unlock(arc, "records_immutable_u")
    arc.catalog.db.execute("UPDATE records SET contractor='91370105MA3DK8W41C' WHERE id=?", (row["id"],))
    r = runner.invoke(main, ["--home", str(arc.home.root), "verify"])
    assert r.exit_code == 3 and row["id"] in r.output and "contractor" in r.output


# --- every problem reported, never a traceback (the registry derived again, unreadable data, a file row's digest) ---


def cli_verify(runner, arc):
    r = runner.invoke(main, ["--home", str(arc.home.root), "verify"])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert "Traceback" not in r.output
    return r


def test_a_deleted_registry_row_is_named_with_its_record(arc, runner):
    person = record(arc, "person")
    org = arc.catalog.list_registry("organization")[0]
    arc.catalog.db.execute("DELETE FROM registry WHERE record_id=?", (person["id"],))
    arc.catalog.db.execute("DELETE FROM registry WHERE kind='organization' AND key=?", (org["key"],))
    rid = record(arc, "safety_agreement")["id"]
    p, _ = blob_path(arc, rid, "pdf")
    p.write_bytes(p.read_bytes() + b"\n")
    msgs = failures(arc)
    name = json.loads(person["data"])["name"]
    assert any(person["id"] in m and name in m and "registry row missing" in m for m in msgs), msgs
    assert any(org["record_id"] in m and "registry row missing" in m for m in msgs), msgs
    assert any(rid in m and "blob altered" in m for m in msgs)  # and the other problem is still reported
    r = cli_verify(runner, arc)
    assert r.exit_code == 3 and person["id"] in r.output and "registry row missing" in r.output


def test_record_data_that_is_not_json_is_named_and_verification_goes_on(arc, runner):
    ticket = record(arc, "work_ticket")
    person = record(arc, "person")
    unlock(arc, "records_immutable_u")
    arc.catalog.db.execute("UPDATE records SET data='{' WHERE id IN (?, ?)", (ticket["id"], person["id"]))
    other = record(arc, "safety_agreement")["id"]
    p, _ = blob_path(arc, other, "pdf")
    p.unlink()
    msgs = failures(arc)
    for rid in (ticket["id"], person["id"]):
        assert any(rid in m and "record data unreadable" in m for m in msgs), msgs
        assert any(rid in m and "data altered since sealing" in m for m in msgs), msgs
    assert any(other in m and "blob missing" in m for m in msgs)
    assert not any("facts differ" in m for m in msgs)  # nothing to derive facts from: not a facts difference
    r = cli_verify(runner, arc)
    assert r.exit_code == 3 and ticket["id"] in r.output and person["id"] in r.output and "blob missing" in r.output


def test_a_file_rows_digest_that_is_not_sha256_is_named_and_verification_goes_on(arc, runner):
    ticket = record(arc, "work_ticket")
    agreement = record(arc, "safety_agreement")
    _, f = blob_path(arc, ticket["id"], "pdf")
    unlock(arc, "record_files_immutable_u", "records_immutable_u")
    arc.catalog.db.execute("UPDATE record_files SET sha256='00' WHERE record_id=? AND role='pdf'", (ticket["id"],))
    arc.catalog.db.execute("UPDATE records SET title='伪造标题' WHERE id=?", (agreement["id"],))
    msgs = failures(arc)
    assert any(ticket["id"] in m and f["name"] in m and "file entry altered" in m and "not a digest" in m for m in msgs), msgs
    assert any(agreement["id"] in m and "title" in m for m in msgs)
    assert verify_archive(arc, record_id=ticket["id"]).failures
    r = cli_verify(runner, arc)
    assert r.exit_code == 3 and ticket["id"] in r.output and "not a digest" in r.output and agreement["id"] in r.output


def test_a_ledger_leafs_time_edited_is_named(arc):
    rid = record(arc, "work_ticket")["id"]
    leaf = arc.ledger.leaf_for_record(rid)
    unlock(arc, "ledger_append_only_u")
    arc.catalog.db.execute("UPDATE ledger SET created_at='2020-01-01T00:00:00Z' WHERE idx=?", (leaf["idx"],))
    said = [m for m in failures(arc) if "created_at altered" in m]
    assert len(said) == 1 and f"leaf {leaf['idx']}" in said[0] and rid in said[0] and "条目记载的" in said[0], said


def test_a_leaf_written_before_logged_at_is_checked_against_its_seal(arc):
    """Leaves of archives sealed before a leaf held its time (``logged_at``) still have the time
    of a record's leaf proved by the record's seal."""
    from archive.integrity import merkle
    from archive.integrity.ledger import canonical

    rid = record(arc, "work_ticket")["id"]
    leaf = arc.ledger.leaf_for_record(rid)
    entry = json.loads(leaf["entry"])
    del entry["logged_at"]
    data = canonical(entry)
    unlock(arc, "ledger_append_only_u")
    arc.catalog.db.execute("UPDATE ledger SET entry=?, leaf_hash=?, created_at='2020-01-01T00:00:00Z' WHERE idx=?",
                           (data.decode(), merkle.leaf_hash(data), leaf["idx"]))
    said = [m for m in failures(arc) if "created_at altered" in m]
    assert len(said) == 1 and rid in said[0] and "封签时间" in said[0], said


def test_a_fact_marking_a_current_record_corrected_is_named(arc):
    a = record(arc, "safety_agreement")
    b = record(arc, "work_ticket")
    arc.catalog.db.execute("UPDATE fact_records SET superseded_by=? WHERE record_id=?", (b["id"], a["id"]))
    assert any(a["id"] in m and "superseded_by" in m for m in failures(arc))


def test_values_of_another_type_written_over_columns_are_named_not_raised(arc):
    rid = record(arc, "work_ticket")["id"]
    leaf = arc.ledger.leaf_for_record(rid)
    unlock(arc, "records_immutable_u", "ledger_append_only_u", "checkpoints_immutable_u")
    db = arc.catalog.db
    db.execute("UPDATE records SET signature='00' WHERE id=?", (rid,))
    db.execute("UPDATE ledger SET leaf_hash='00' WHERE idx=?", (leaf["idx"],))
    db.execute("UPDATE checkpoints SET root='00', note='x' WHERE tree_size=(SELECT MAX(tree_size) FROM checkpoints)")
    msgs = failures(arc)
    assert any(rid in m and "signature does not verify" in m for m in msgs), msgs
    assert any(f"leaf {leaf['idx']}: hash does not match" in m for m in msgs), msgs
    assert any("signed note unreadable" in m for m in msgs), msgs


def test_a_blob_replaced_by_a_fifo_or_a_link_is_named_and_verify_ends(arc, tmp_path):
    """A FIFO put where a blob was made verify wait forever (a link to /dev/zero: read forever);
    a link to a copy elsewhere passed, though what it points to can change at any time."""
    import threading

    rid = record(arc, "work_ticket")["id"]
    p, f = blob_path(arc, rid, "pdf")
    copy = tmp_path / "elsewhere.pdf"
    shutil.copyfile(p, copy)
    p.unlink()
    p.symlink_to(copy)
    (msg,) = failures(arc)
    assert rid in msg and f["name"] in msg and "blob replaced by a symbolic link" in msg
    p.unlink()
    os.mkfifo(p)
    done: list = []
    t = threading.Thread(target=lambda: done.append(failures(arc)), daemon=True)
    t.start()
    t.join(60)
    if t.is_alive():  # before the fix: blocked opening the FIFO; a writer lets it end
        with open(p, "wb"):
            pass
        t.join(60)
    assert not t.is_alive() and done, "verify waited on a FIFO in the blob store"
    (msg,) = done[0]
    assert rid in msg and "blob replaced by a FIFO, device or folder" in msg


def test_a_missing_id_hash_key_or_a_folder_for_the_public_key_is_one_message(arc, runner):
    """Both were tracebacks of `outsafe verify`; the archive's own keys are stored facts, so verify
    calls either gone a failed proof (exit 3), naming the file."""
    home = arc.home.root
    arc.close()
    keys_dir = home / "keys"
    saved = (keys_dir / "id-hash.key").read_bytes()
    (keys_dir / "id-hash.key").unlink()
    r = runner.invoke(main, ["--home", str(home), "verify"])
    assert r.exit_code == 3 and isinstance(r.exception, SystemExit), r.output
    assert r.stderr.splitlines()[1].strip() == f"身份证号散列密钥无法读取 (the ID-number hashing key is missing or unreadable: No such file or directory): {keys_dir / 'id-hash.key'}"
    (keys_dir / "id-hash.key").write_bytes(saved)
    (keys_dir / "owner.pub.pem").unlink()
    (keys_dir / "owner.pub.pem").mkdir()
    r = runner.invoke(main, ["--home", str(home), "verify"])
    assert r.exit_code == 3 and isinstance(r.exception, SystemExit), r.output
    assert r.stderr.splitlines()[1].strip() == f"公钥文件无法读取 (public key unreadable: Is a directory): {keys_dir / 'owner.pub.pem'}"
    r = runner.invoke(main, ["--home", str(home), "verify", "--json"])
    doc = json.loads(r.stdout)
    assert r.exit_code == 3 and doc["exit_code"] == 3 and doc["problems"] == [
        f"公钥文件无法读取 (public key unreadable: Is a directory): {keys_dir / 'owner.pub.pem'}"]
