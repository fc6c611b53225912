"""核验说明.txt: how to verify a package with standard tools only (bagit.py, sha256sum, openssl,
python3 verify_proofs.py), with the exact commands for this package.
"""

from __future__ import annotations

from collections.abc import Sequence

from archive.packages.common import KIND_EVIDENCE, KIND_LABELS

# --- 核验说明.txt -------------------------------------------------------------------------------------------------


def guide_text(*, kind: str, org: str, uscc: str, fingerprint: str, records: int, period: str, checkpoints: list[dict],
               day: str, origins: Sequence[str], evidence: dict | None = None) -> str:
    label = KIND_LABELS.get(kind, kind)
    key = f"data/keys/{uscc}.pub.pem"
    lines = [
        f"外包作业安全档案 {label} — 核验说明",
        "=" * 40,
        "",
        f"本包由 {org}（统一社会信用代码 {uscc}）于 {day} 用 outsafe 导出，",
        f"是一个 BagIt 包（RFC 8493，BagIt-Version 1.0，SHA-256 清单），含 {records} 条已封签记录，期间：{period}。",
        f"导出单位签名公钥指纹（SHA-256，应与贵单位登记的一致）：{fingerprint}",
        "",
    ]
    if evidence:
        lines += [
            f"案件编号：{evidence['case_no']}",
            "证据清单与证据材料汇编在 data/evidence/；所据记录包在 data/package/（其本身也是一个完整的、已签名的 BagIt 包）。",
            f"data/package/tagmanifest-sha256.txt 的 SHA-256 为 {evidence['inner_digest']}，",
            "即印在《证据材料汇编》封面上的“证据包摘要”。",
            "",
        ]
    lines += [
        "所有命令均在本包根目录（bagit.txt 所在目录）中执行；若收到的是 zip 文件，先解压：",
        "    unzip 包名.zip && cd 包名",
        "",
        "一、用 outsafe 一次核验全部内容",
        "    outsafe package verify .",
        "    （退出码 0 为通过，3 为未通过，并逐项列出未通过之处）",
        "",
        "二、只用通用工具核验",
        "",
        "1. BagIt 结构完整、每个文件的摘要与清单一致（bagit-python；加 --quiet 只显示结果）：",
        "    bagit.py --validate .",
        "",
        "2. 两份清单逐文件核对 SHA-256（GNU coreutils；加 --quiet 只显示不符的文件）：",
        "    sha256sum -c manifest-sha256.txt",
        "    sha256sum -c tagmanifest-sha256.txt",
        "",
        "3. 标签清单的签名（证明清单出自导出单位、未被改动；清单又锁定了每个文件）：",
        f"    openssl pkeyutl -verify -pubin -inkey {key} -rawin -in tagmanifest-sha256.txt -sigfile tagmanifest-sha256.txt.sig",
        "    应显示 Signature Verified Successfully",
        "   核对公钥确属导出单位（结果应为上面的指纹）：",
        f"    openssl pkey -pubin -in {key} -outform DER | tail -c 32 | sha256sum",
        "",
    ]
    if kind == KIND_EVIDENCE and evidence:
        lines += [
            "4. 记录包（data/package/）按其中的 核验说明.txt 逐项核验，例如：",
            "    cd data/package && bagit.py --validate . && sha256sum -c manifest-sha256.txt && sha256sum -c tagmanifest-sha256.txt",
            f"    openssl pkeyutl -verify -pubin -inkey data/keys/{uscc}.pub.pem -rawin -in tagmanifest-sha256.txt -sigfile tagmanifest-sha256.txt.sig",
            "    python3 verify_proofs.py",
            "",
            "5. 《证据材料汇编》封面上的证据包摘要应等于：",
            "    sha256sum data/package/tagmanifest-sha256.txt",
            "",
            "三、内容",
            "    data/evidence/证据清单.docx、证据清单.pdf   按案卷顺序：序号、证据名称、来源、形成时间、收集人、页码、证明对象，",
            "                                               收集人签名栏；每页“第 X 页 共 Y 页”",
            "    data/evidence/电子数据提取笔录.docx、.pdf   每个证据文件的 SHA-256 与记录包摘要，由执法人员和当事人签名",
            "    data/evidence/证据材料汇编.pdf              封面（案件编号、当事人、卷内目录、证据包摘要）与全部文书、证据，",
            "                                               每项证据一个书签，每页印有“证据N 第i页 / 共M页”",
            "    data/package/                              所据的记录、封签、公钥、检查点与证明（可单独核验）",
            "",
            "四、个人信息",
            "    封签记录（record.json、seal.json）与文书原件中的身份证号为原文，不能遮蔽（遮蔽后封签无法核验）；",
            "    索引、文件名与本说明中均已遮蔽。本包含个人信息，请按证据材料保管、仅向有权机关提供。",
            "",
        ]
        return "\n".join(lines)
    lines += [
        "4. 检查点的签名（检查点是导出单位账本的默克尔树根，每条记录的包含证明都对照它）：",
    ]
    for cp in checkpoints:
        folder = cp["path"].rsplit("/", 1)[0]
        lines.append(
            f"    openssl pkeyutl -verify -pubin -inkey data/keys/{cp['origin']}.pub.pem -rawin "
            f"-in {folder}/checkpoint.body -sigfile {folder}/checkpoint.sig"
        )
        for w in cp["cosigned_by"]:
            lines.append(
                f"    openssl pkeyutl -verify -pubin -inkey data/keys/{w}.pub.pem -rawin "
                f"-in {folder}/checkpoint.body -sigfile {folder}/cosignature-{w}.sig    （见证方 {w} 的副署）"
            )
    lines += [
        "",
        "5. 每条记录的封签签名（seal.json 即签名的原文，seal.sig 为 64 字节 Ed25519 签名）：",
    ]
    for o in origins:
        lines.append(
            f"    for d in data/records/{o}/*/; do openssl pkeyutl -verify -pubin -inkey data/keys/{o}.pub.pem -rawin "
            f"-in \"$d/seal.json\" -sigfile \"$d/seal.sig\" >/dev/null || echo \"封签无效: $d\"; done"
        )
    lines += [
        "    （没有任何输出即全部通过）",
        "",
        "6. 默克尔包含证明、封签与文件摘要的对应关系（只需 Python 3 标准库）：",
        "    python3 verify_proofs.py",
        "    它核对：每条记录的账本条目在检查点的默克尔树中（RFC 9162）；条目记载的封签摘要与签名即 seal.json 与 seal.sig；",
        "    record.json 与封签一致；封签列出的每个文件都在、摘要和大小一致；账本叶哈希能重建检查点的根。",
        "",
        "三、包内结构",
        "    data/records/<来源单位代码>/<记录编号>/  record.json（目录数据）、seal.json + seal.sig（封签）、",
        "                                           proof.json（包含证明）、files/<用途>-<文件名>（源文件 source、docx、pdf、照片 photo）",
        "    data/keys/<单位代码>.pub.pem             签名公钥（Ed25519，PEM）",
        "    data/checkpoints/<单位代码>/<大小>/       签名检查点 checkpoint.txt，及供 openssl 用的 .body 与 .sig",
        "    data/ledger/<单位代码>/leaf-hashes.txt   账本叶哈希（接收方据此核对与以往检查点的一致性，防止改写历史）",
        "    index.json                              记录索引（身份证号已遮蔽）",
        "    tagmanifest-sha256.txt.sig              标签清单的签名（不在标签清单之内）",
        "",
        "四、个人信息（身份证号）",
        "    封签是对记录原文逐字节的签名，遮蔽后将无法核验；且接收机关需要据身份证号检索人员。",
        "    因此身份证号只以原文出现在已封签的 record.json、seal.json 与文书原件中；",
        "    index.json、文件名、bag-info.txt 与本说明中均已遮蔽。本包含个人信息，请经安全渠道报送、妥善保管。",
        "",
    ]
    return "\n".join(lines)
