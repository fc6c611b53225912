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
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
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
