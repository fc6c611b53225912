"""The archive owner's Ed25519 signing key.

Stored in ``<home>/keys/owner.key`` as PKCS#8 PEM encrypted with the owner's passphrase
(``OUTSAFE_PASSPHRASE`` or a prompt), mode 0600; the public key beside it as ``owner.pub.pem``.
``--insecure-no-passphrase`` (demos only) stores it unencrypted and every use says so.

The fingerprint of a key is the SHA-256 of its 32 raw public-key bytes, in hex; organizations
carry their registered public key and fingerprint, and the bureau accepts packages only from
signers it has registered.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
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


def generate(keys_dir: Path, passphrase: str | None, *, insecure: bool = False) -> Signer:
    """Create the owner key pair. ``passphrase`` is required unless ``insecure``."""
    if (keys_dir / PRIVATE_NAME).exists():
        raise KeyError_(f"签名密钥已存在 (a signing key already exists): {keys_dir / PRIVATE_NAME}")
    if not insecure and not passphrase:
        raise KeyError_(
            "需要口令来加密签名私钥 (a passphrase is needed to encrypt the signing key)",
            hint="set OUTSAFE_PASSPHRASE, answer the prompt, or use --insecure-no-passphrase for a demo",
        )
    private = Ed25519PrivateKey.generate()
    enc = (
        serialization.NoEncryption()
        if insecure
        else serialization.BestAvailableEncryption(passphrase.encode())  # type: ignore[union-attr]
    )
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    atomic_write(keys_dir / PRIVATE_NAME, pem, mode=FILE_MODE)
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
    try:
        private = serialization.load_pem_private_key(pem, password=pw.encode() if pw else None)
    except (ValueError, TypeError) as e:
        raise KeyError_("口令错误或密钥文件损坏 (wrong passphrase or damaged key file)") from e
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyError_("签名私钥不是 Ed25519 (key is not Ed25519)")
    stored_pub = load_public(keys_dir)
    if fingerprint(stored_pub) != fingerprint(private.public_key()):
        raise KeyError_("公钥文件与私钥不匹配 (owner.pub.pem does not match the private key)")
    return Signer(private, insecure)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
