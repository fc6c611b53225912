"""The owner's signing key: encrypted at rest, 0600, passphrase required, insecure mode flagged."""

from __future__ import annotations

import json
import stat

import pytest

from archive.integrity import keys
from archive.app import Archive
from archive.errors import KeyError_
from cli import main


def test_init_makes_an_encrypted_0600_key(home, basic_files):
    a = Archive.create(home, basic_files["enterprise"], pdf=False)
    key = home / "keys" / "owner.key"
    doc = json.loads(key.read_bytes())
    assert doc["format"] == keys.KEY_FORMAT and doc["cipher"]["name"] == "aes-256-gcm"
    assert doc["kdf"]["name"] == "argon2id" and doc["kdf"]["memory_cost_kib"] >= 64 * 1024 and doc["kdf"]["time_cost"] >= 3
    assert doc["fingerprint"] == a.signer().fingerprint
    assert "BEGIN" not in key.read_text() and len(doc["ciphertext"]) > 40
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    owner = a.registry().organization(a.owner_uscc)
    assert owner.key_fingerprint == a.signer().fingerprint
    assert "BEGIN PUBLIC KEY" in owner.public_key
    a.close()


def test_wrong_passphrase_is_refused(home, basic_files, monkeypatch):
    Archive.create(home, basic_files["enterprise"], pdf=False).close()
    a = Archive.open(home, passphrase=lambda confirm: "wrong")
    with pytest.raises(KeyError_) as e:
        a.signer()
    assert "口令错误" in e.value.message
    a.close()


def test_no_passphrase_no_archive(home, basic_files, monkeypatch):
    monkeypatch.delenv("OUTSAFE_PASSPHRASE")
    with pytest.raises(KeyError_):
        Archive.create(home, basic_files["enterprise"], pdf=False)
    assert not home.exists()


def test_key_file_with_loose_permissions_is_refused(home, basic_files):
    Archive.create(home, basic_files["enterprise"], pdf=False).close()
    (home / "keys" / "owner.key").chmod(0o644)
    with pytest.raises(KeyError_) as e:
        keys.load_signer(home / "keys")
    assert "chmod 600" in e.value.hint


def test_insecure_key_is_shown_as_such(home, basic_files, runner, monkeypatch):
    monkeypatch.delenv("OUTSAFE_PASSPHRASE")
    r = runner.invoke(main, ["--home", str(home), "init", "--org", str(basic_files["enterprise"]), "--insecure-no-passphrase", "--no-pdf"])
    assert r.exit_code == 0, r.output
    assert "未加密" in r.stderr
    assert b"ENCRYPTED" not in (home / "keys" / "owner.key").read_bytes()
    r = runner.invoke(main, ["--home", str(home), "keys", "show", "--json"])
    info = json.loads(r.stdout)
    assert info["insecure"] is True
    r = runner.invoke(main, ["--home", str(home), "org", "add", "--no-pdf", str(basic_files["contractor"])])
    assert r.exit_code == 0, r.output


def test_keys_show_and_export(arc, runner, tmp_path):
    home = str(arc.home.root)
    r = runner.invoke(main, ["--home", home, "keys", "show", "--json"])
    info = json.loads(r.stdout)
    assert info["fingerprint"] == arc.signer().fingerprint and info["insecure"] is False
    out = tmp_path / "pub.pem"
    r = runner.invoke(main, ["--home", home, "keys", "export-public", "-o", str(out)])
    assert r.exit_code == 0
    assert keys.fingerprint(keys.load_public_pem(out.read_bytes())) == info["fingerprint"]
    r = runner.invoke(main, ["--home", home, "keys", "export-public"])
    assert r.stdout.startswith("-----BEGIN PUBLIC KEY-----")


def test_a_short_passphrase_is_refused_and_nothing_is_created(home, basic_files, monkeypatch):
    monkeypatch.setenv("OUTSAFE_PASSPHRASE", "1")
    with pytest.raises(KeyError_) as e:
        Archive.create(home, basic_files["enterprise"], pdf=False)
    assert f"at least {keys.MIN_PASSPHRASE} characters" in e.value.message
    assert not home.exists()


def test_the_cli_says_so_in_one_line(runner, home, basic_files, monkeypatch):
    monkeypatch.setenv("OUTSAFE_PASSPHRASE", "short")
    r = runner.invoke(main, ["--home", str(home), "init", "--org", str(basic_files["enterprise"]), "--no-pdf"])
    assert r.exit_code == 1 and "at least 12 characters" in r.output and "Traceback" not in r.output


def test_a_tampered_key_file_is_refused(home, basic_files):
    Archive.create(home, basic_files["enterprise"], pdf=False).close()
    path = home / "keys" / "owner.key"
    doc = json.loads(path.read_bytes())
    doc["fingerprint"] = "0" * 64  # the associated data: the ciphertext no longer opens
    path.write_text(json.dumps(doc))
    with pytest.raises(KeyError_) as e:
        keys.load_signer(home / "keys")
    assert "口令错误或密钥文件损坏" in e.value.message


def test_an_old_pkcs8_key_unlocks_and_is_rewritten_with_argon2id(home, basic_files):
    from cryptography.hazmat.primitives import serialization

    a = Archive.create(home, basic_files["enterprise"], pdf=False)
    private = a.signer().private
    a.close()
    path = home / "keys" / "owner.key"
    path.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.BestAvailableEncryption(b"test-passphrase")))
    signer = keys.load_signer(home / "keys")
    assert signer.fingerprint == keys.fingerprint(private.public_key())
    assert json.loads(path.read_bytes())["kdf"]["name"] == "argon2id"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.load_signer(home / "keys").fingerprint == signer.fingerprint
