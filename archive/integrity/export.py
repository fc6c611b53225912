"""Exporting what lets anyone check a seal or a checkpoint with standard tools alone."""

from __future__ import annotations

from pathlib import Path

from archive.errors import NotFound
from archive.integrity import keys
from archive.integrity.ledger import parse_note
from storage.home import output_folder, safe_name, write_output


def export_checkpoint(archive, folder: Path) -> list[Path]:
    cp_row = archive.ledger.latest_checkpoint()
    if cp_row is None:
        raise NotFound("账本还没有签名检查点 (no signed checkpoint yet)")
    output_folder(folder)
    cp = parse_note(cp_row["note"])
    out = {
        "checkpoint.txt": cp_row["note"].encode(),
        "checkpoint.body": cp.body().encode(),
        "checkpoint.sig": cp.signature,
        "owner.pub.pem": keys.public_pem(archive.public_key()).encode(),
    }
    written = []
    for name, data in out.items():
        write_output(folder / name, data, mode=0o644)
        written.append(folder / name)
    return written


def export_seal(archive, record_id: str, folder: Path) -> list[Path]:
    row = archive.get_record_row(record_id)
    output_folder(folder)
    written = []

    def put(name: str, data: bytes) -> None:
        write_output(folder / name, data, mode=0o644)
        written.append(folder / name)

    put("seal.json", row["seal"].encode())
    put("seal.sig", bytes(row["signature"]))
    if row["origin"] == archive.owner_uscc:
        put("signer.pub.pem", keys.public_pem(archive.public_key()).encode())
    else:
        org = archive.registry().organization(row["origin"])
        if org and org.public_key:
            put("signer.pub.pem", org.public_key.encode())
    sums = []
    output_folder(folder / "files")
    used: set[str] = set()
    for f in archive.catalog.record_files(row["id"]):
        name = safe_name(f"{f['role']}-{f['name']}")
        while name in used:
            name = "_" + name
        used.add(name)
        put(f"files/{name}", archive.blobs.read_bytes(f["sha256"]))
        sums.append(f"{f['sha256']}  files/{name}")
    put("files.sha256", ("\n".join(sums) + "\n").encode())
    put(
        "核验说明.txt",
        (
            f"记录 {row['id']}：{row['title']}\n\n"
            "1. 核验封签（签名）：\n"
            "   openssl pkeyutl -verify -pubin -inkey signer.pub.pem -rawin -in seal.json -sigfile seal.sig\n"
            "   应显示 Signature Verified Successfully\n\n"
            "2. 核验文件未被改动（seal.json 中 files 列出的 sha256 与下列文件一致）：\n"
            "   sha256sum -c files.sha256\n\n"
            "3. 公钥指纹（应与登记的指纹一致）：\n"
            "   openssl pkey -pubin -in signer.pub.pem -outform DER | tail -c 32 | sha256sum\n"
        ).encode(),
    )
    return written
