"""An organization's registered public key: read from PEM and fingerprinted.

The fingerprint of a key is the SHA-256 of its 32 raw Ed25519 public-key bytes, in hex. The
organization schema checks a registered key against its fingerprint; the archive's own signing
keys (``archive.integrity.keys``) use the same two functions.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class PublicKeyError(ValueError):
    """A PEM text that is not an Ed25519 public key. ``message``: Chinese first, English after."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def read_public_pem(pem: str | bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    except (ValueError, TypeError) as e:
        raise PublicKeyError(f"公钥无法读取 (cannot read public key): {e}") from e
    if not isinstance(key, Ed25519PublicKey):
        raise PublicKeyError("公钥不是 Ed25519 密钥 (public key is not Ed25519)")
    return key
