"""Whose signing keys an archive trusts, and how a key comes to be trusted.

Trust model (issue 6): an archive trusts a public key for an organization only when **it itself**
registered that key — an ``organization`` record sealed by this archive's owner (``origin`` = the
owner) that carries ``public_key`` and ``key_fingerprint``. A package never vouches for a key: not
for its own signer, and not for anybody else (an enterprise's package may carry its contractors'
organization records with keys; importing them does not make those keys trusted). Every version
ever registered counts, so records sealed before a key change still verify; a key is registered by
a new version of the organization record, never by editing one.

Two ways to register the key of an organization (the bureau does this once per enterprise, after
confirming the fingerprint with the enterprise by phone or on paper):

    outsafe org add enterprise.yaml            # the file carries public_key + key_fingerprint
    outsafe org trust 91370100MA3C8K2P9L --key enterprise.pub.pem --fingerprint 3f9a…

``org trust`` takes the organization as already registered, adds the key (PEM, as written by the
enterprise's ``outsafe keys export-public``) and insists on the fingerprint being typed in: a key
file that came by e-mail is only trusted once its fingerprint was checked out of band.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from archive.errors import KeyError_, NotFound, Problem, ValidationFailed
from archive.integrity import keys
from schemas.registry import Organization


def registered_keys(archive, uscc: str) -> dict[str, object]:
    """fingerprint → public key, for every key this archive itself registered for ``uscc``
    (oldest first). The owner's own key counts for the owner."""
    out: dict[str, object] = {}
    if uscc == archive.owner_uscc:
        public = archive.public_key()
        out[keys.fingerprint(public)] = public
    for row in archive.catalog.organization_records(uscc, origin=archive.owner_uscc):
        pem = json.loads(row["data"]).get("public_key")
        if not pem:
            continue
        try:
            public = keys.load_public_pem(pem)
        except KeyError_:
            continue
        out.setdefault(keys.fingerprint(public), public)
    return out


def trusted_key(archive, uscc: str, fingerprint: str):
    """The public key with ``fingerprint`` if this archive registered it for ``uscc``, else None."""
    return registered_keys(archive, uscc).get(fingerprint)


def trust_organization(archive, uscc: str, pem: bytes, fingerprint: str, *, today: date | None = None):
    """Register ``pem`` as the signing key of the already registered organization ``uscc``:
    a new version of its organization record (sealed by this archive). ``fingerprint`` must be the
    one confirmed out of band. Returns the :class:`archive.app.AddReport`."""
    public = keys.load_public_pem(pem)
    actual = keys.fingerprint(public)
    if fingerprint.strip().lower().replace(":", "") != actual:
        raise KeyError_(
            f"指纹不符：公钥文件的指纹为 {actual}，与输入的 {fingerprint} 不同 (fingerprint does not match the key file)",
            hint="向该单位核实指纹（对方运行 outsafe keys show），不符时不要登记 (confirm the fingerprint with the organization)",
        )
    if uscc == archive.owner_uscc:
        raise ValidationFailed([Problem("uscc", "本档案所有者的公钥由档案自身管理 (the owner's key is managed by the archive itself)")])
    reg = archive.catalog.get_registry("organization", uscc)
    if reg is None:
        raise NotFound(
            f"单位 {uscc} 未登记 (organization not registered)",
            hint="先用 outsafe org add 登记该单位，再登记其公钥 (register the organization first)",
        )
    data = json.loads(archive.catalog.get_record(reg["record_id"])["data"])
    data.update(public_key=keys.public_pem(public), key_fingerprint=actual)
    with tempfile.TemporaryDirectory(prefix="outsafe-trust-", dir=archive.home.tmp_dir) as tmp:
        path = Path(tmp) / f"organization-{uscc}.json"
        path.write_text(json.dumps({"type": "organization", **data}, ensure_ascii=False, indent=2), encoding="utf-8")
        return archive.add_files([path], expect=Organization, today=today)


TRUST_LABELS = {"added": "已登记 added", "updated": "已登记公钥 key registered", "unchanged": "未变 unchanged"}


@dataclass
class Trusted:
    """``outsafe org trust``: the organization record that now carries the key."""

    report: Any  # archive.app.AddReport

    def as_dict(self) -> dict:
        return {"records": [{"id": a.id, "title": a.title, "status": a.status} for a in self.report.added]}

    def as_text(self) -> list[str]:
        return [f"{a.id}  {a.title}  [{TRUST_LABELS[a.status]}]" for a in self.report.added]


def trust_key_file(archive, uscc: str, key_file: Path, fingerprint: str) -> Trusted:
    """``outsafe org trust``: :func:`trust_organization` with the key read from ``key_file``."""
    return Trusted(trust_organization(archive, uscc, Path(key_file).read_bytes(), fingerprint))
