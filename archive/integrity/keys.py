"""The archive owner's Ed25519 signing key.

Stored in ``<home>/keys/owner.key``, mode 0600, encrypted with the owner's passphrase
(``OUTSAFE_PASSPHRASE`` or a prompt): the 32 private-key bytes sealed with AES-256-GCM under a key
derived by Argon2id (RFC 9106; time cost 3, 64 MiB, parameters stored in the file so they can
grow), the public key's fingerprint as associated data. One guess costs ~0.3–0.8 s on a 2-core
machine (measured; PKCS#8's PBKDF2 with 2,048 iterations, used before, cost under a millisecond).
A passphrase has at least :data:`MIN_PASSPHRASE` characters. A key written in the old PKCS#8 form
still unlocks and is rewritten in the new form at once.
The public key lies beside it as ``owner.pub.pem``. ``--insecure-no-passphrase`` (demos only)
stores it unencrypted (PKCS#8 PEM) and every use says so.

The fingerprint of a key is the SHA-256 of its 32 raw public-key bytes, in hex; organizations
carry their registered public key and fingerprint, and the bureau accepts packages only from
signers it has registered.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from archive.errors import KeyError_
from schemas.publickey import PublicKeyError, fingerprint, read_public_pem
from storage.home import FILE_MODE, atomic_write

PRIVATE_NAME = "owner.key"
PUBLIC_NAME = "owner.pub.pem"
INSECURE_MARK = "owner.key.INSECURE"
INSECURE_WARNING = "⚠ 签名私钥未加密，仅供演示 (the signing key is NOT encrypted — demo use only)"

PassphraseProvider = Callable[[bool], str | None]  # (confirm?) -> passphrase

KEY_FORMAT = "outsafe-signing-key/1"
MIN_PASSPHRASE = 12
KDF = {"name": "argon2id", "time_cost": 3, "memory_cost_kib": 64 * 1024, "parallelism": 1}


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_pem(pem: str | bytes) -> Ed25519PublicKey:
    try:
        return read_public_pem(pem)
    except PublicKeyError as e:
        raise KeyError_(e.message) from e


def verify_signature(public: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public.verify(signature, message)
        return True
    except InvalidSignature:
        return False


@dataclass
class Signer:
    """An unlocked private key: signs bytes, knows its fingerprint."""

    private: Ed25519PrivateKey
    insecure: bool

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public)

    @property
    def public_raw(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


def env_passphrase(_confirm: bool) -> str | None:
    return os.environ.get("OUTSAFE_PASSPHRASE")


def check_passphrase(passphrase: str) -> None:
    """A new passphrase: long enough to stand an offline guessing attack on a stolen key file."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeyError_(
            f"口令太短：至少 {MIN_PASSPHRASE} 个字符，实为 {len(passphrase)} 个 (the passphrase needs at least {MIN_PASSPHRASE} characters)",
            hint="choose a longer passphrase, e.g. several words; keep it where the safety office keeps its seals",
        )


def _derive(passphrase: str, salt: bytes, kdf: dict) -> bytes:
    if kdf.get("name") != "argon2id":
        raise KeyError_(f"不支持的密钥派生算法 {kdf.get('name')!r} (unsupported key derivation)")
    return hash_secret_raw(
        passphrase.encode("utf-8"), salt, time_cost=int(kdf["time_cost"]), memory_cost=int(kdf["memory_cost_kib"]),
        parallelism=int(kdf["parallelism"]), hash_len=32, type=Type.ID,
    )


def seal_private_key(private: Ed25519PrivateKey, passphrase: str) -> bytes:
    """The key file's bytes: the private key encrypted under the passphrase (Argon2id + AES-GCM)."""
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    fp = fingerprint(private.public_key())
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_derive(passphrase, salt, KDF)).encrypt(nonce, raw, fp.encode())
    doc = {
        "format": KEY_FORMAT,
        "fingerprint": fp,
        "kdf": dict(KDF, salt=b64(salt)),
        "cipher": {"name": "aes-256-gcm", "nonce": b64(nonce)},
        "ciphertext": b64(sealed),
    }
    return (json.dumps(doc, indent=1) + "\n").encode()


def _open_sealed(data: bytes, passphrase: str) -> Ed25519PrivateKey:
    try:
        doc = json.loads(data)
        kdf, cipher = doc["kdf"], doc["cipher"]
        if doc.get("format") != KEY_FORMAT or cipher.get("name") != "aes-256-gcm":
            raise ValueError(doc.get("format"))
        key = _derive(passphrase, base64.b64decode(kdf["salt"]), kdf)
        raw = AESGCM(key).decrypt(base64.b64decode(cipher["nonce"]), base64.b64decode(doc["ciphertext"]), doc["fingerprint"].encode())
    except InvalidTag:
        raise KeyError_("口令错误或密钥文件损坏 (wrong passphrase or damaged key file)") from None
    except (ValueError, KeyError, TypeError) as e:
        raise KeyError_(f"签名私钥文件无法读取 (unreadable key file: {e})") from e
    return Ed25519PrivateKey.from_private_bytes(raw)


def generate(keys_dir: Path, passphrase: str | None, *, insecure: bool = False) -> Signer:
    """Create the owner key pair. ``passphrase`` is required unless ``insecure``."""
    if (keys_dir / PRIVATE_NAME).exists():
        raise KeyError_(f"签名密钥已存在 (a signing key already exists): {keys_dir / PRIVATE_NAME}")
    if not insecure and not passphrase:
        raise KeyError_(
            "需要口令来加密签名私钥 (a passphrase is needed to encrypt the signing key)",
            hint="set OUTSAFE_PASSPHRASE, answer the prompt, or use --insecure-no-passphrase for a demo",
        )
    if not insecure:
        check_passphrase(passphrase)  # type: ignore[arg-type]
    private = Ed25519PrivateKey.generate()
    if insecure:
        data = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    else:
        data = seal_private_key(private, passphrase)  # type: ignore[arg-type]
    atomic_write(keys_dir / PRIVATE_NAME, data, mode=FILE_MODE)
    atomic_write(keys_dir / PUBLIC_NAME, public_pem(private.public_key()).encode(), mode=0o644)
    if insecure:
        atomic_write(keys_dir / INSECURE_MARK, b"this archive's signing key is stored without a passphrase\n")
    return Signer(private, insecure)


def is_insecure(keys_dir: Path) -> bool:
    return (keys_dir / INSECURE_MARK).exists()


def load_public(keys_dir: Path) -> Ed25519PublicKey:
    path = keys_dir / PUBLIC_NAME
    try:
        return load_public_pem(path.read_bytes())
    except FileNotFoundError as e:
        raise KeyError_(f"没有公钥文件 (public key missing): {path}") from e
    except OSError as e:  # a folder in its place, no permission
        raise KeyError_(f"公钥文件无法读取 (public key unreadable: {e.strerror}): {path}") from e


def load_signer(keys_dir: Path, passphrase: PassphraseProvider = env_passphrase) -> Signer:
    path = keys_dir / PRIVATE_NAME
    try:
        pem = path.read_bytes()
    except FileNotFoundError as e:
        raise KeyError_(f"没有签名私钥 (signing key missing): {path}") from e
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise KeyError_(
            f"签名私钥文件权限过宽 {oct(mode)} (key file readable by others)",
            hint=f"chmod 600 {path}",
        )
    insecure = is_insecure(keys_dir)
    pw = None if insecure else passphrase(False)
    if not insecure and not pw:
        raise KeyError_(
            "需要口令解锁签名私钥 (a passphrase is needed to unlock the signing key)",
            hint="set OUTSAFE_PASSPHRASE or run the command in a terminal to be asked",
        )
    if pem.lstrip().startswith(b"{"):
        private = _open_sealed(pem, pw or "")
    else:  # PKCS#8 PEM: the demo's unencrypted key, or a key written before the Argon2id format
        try:
            private = serialization.load_pem_private_key(pem, password=pw.encode() if pw else None)
        except (ValueError, TypeError) as e:
            raise KeyError_("口令错误或密钥文件损坏 (wrong passphrase or damaged key file)") from e
        if pw and isinstance(private, Ed25519PrivateKey):
            atomic_write(path, seal_private_key(private, pw), mode=FILE_MODE)  # upgrade to Argon2id at once
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyError_("签名私钥不是 Ed25519 (key is not Ed25519)")
    stored_pub = load_public(keys_dir)
    if fingerprint(stored_pub) != fingerprint(private.public_key()):
        raise KeyError_("公钥文件与私钥不匹配 (owner.pub.pem does not match the private key)")
    return Signer(private, insecure)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
