"""``outsafe demo``: the whole story, end to end, on the realistic sample data of ``examples/``.

It runs the real commands — exactly what a user would type, printed before each step — in two
throw-away archives, one for the enterprise and one for the district bureau:

 enterprise  init → register contractors, people, projects → add every case file (validated,
             rendered to .docx and .pdf, sealed, indexed) → verify → 五查 check → 附件2 report →
             campaign status → export a signed submission package → verify it offline
 bureau      init → register the enterprise and trust its key (fingerprint checked) → import the
             submission (verified before anything is written) → search a contractor across
             enterprises → its dossier → check the enterprise → draft a 责令限期整改指令书 from the
             findings and archive it → the 整改复查意见书 → rectification status → evidence
             package for a penalty case → verify it → verify the bureau archive

Demo archives use ``--insecure-no-passphrase`` (said so wherever the key is used): they are
thrown away. Everything is written under one folder, printed at the end.
"""

from __future__ import annotations

import shlex
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click

from archive.errors import NotFound, OutsafeError

AS_OF = "2026-11-29"
ENTERPRISE = "91370100MA3C8K2P9L"
HENGAN = "91370112MA3F7R1K8F"
LUZHONG = "91370105MA3DK8W41C"
CASE_NO = "（高新）应急立〔2026〕8号"


def examples_dir() -> Path:
    import cli

    here = Path(cli.__file__).resolve().parent / "examples"
    if not (here / "organizations" / "enterprise.yaml").is_file():
        raise NotFound(
            f"找不到示例数据 (examples/ not found next to {Path(cli.__file__).name})",
            hint="run the demo from a clone of the repository (scripts/setup.sh installs it in place)",
        )
    return here


@dataclass
class DemoResult:
    root: Path
    enterprise: Path
    bureau: Path
    outputs: dict[str, Path] = field(default_factory=dict)
    steps: list[tuple[str, float, int]] = field(default_factory=list)  # (command, seconds, exit code)


class StepFailed(OutsafeError):
    pass


def run_demo(root: Path | None, *, echo: Callable[[str], None] = click.echo) -> DemoResult:
    from cli import main

    ex = examples_dir()
    root = Path(root) if root else Path(tempfile.mkdtemp(prefix="outsafe-demo-"))
    if root.exists() and any(root.iterdir()):
        raise StepFailed(f"{root} 不是空目录 (the demo needs an empty folder)", hint="give --home a new or empty folder")
    root.mkdir(parents=True, exist_ok=True)
    ent, bur, out = root / "enterprise-archive", root / "bureau-archive", root / "outputs"
    out.mkdir()
    res = DemoResult(root, ent, bur)

    def run(home: Path, *args: object, expect: Sequence[int] = (0,)) -> int:
        argv = ["--home", str(home), *[str(a) for a in args]]
        echo(click.style("$ outsafe " + " ".join(shlex.quote(a) for a in argv), fg="cyan", bold=True))
        t = time.perf_counter()
        code = main.main(args=argv, prog_name="outsafe", standalone_mode=False)
        code = 0 if code is None else int(code)
        res.steps.append((" ".join(argv), time.perf_counter() - t, code))
        if code not in expect:
            raise StepFailed(f"演示步骤失败 (demo step failed, exit {code}): outsafe {' '.join(argv)}")
        echo("")
        return code

    def part(title: str) -> None:
        echo(click.style(f"\n=== {title} ===\n", fg="green", bold=True))

    part("发包单位档案 Enterprise archive: 济南华锐重型机械有限公司")
    run(ent, "init", "--org", ex / "organizations" / "enterprise.yaml", "--insecure-no-passphrase")
    run(ent, "org", "add", ex / "organizations")
    run(ent, "person", "add", ex / "persons")
    run(ent, "project", "add", ex / "projects")
    run(ent, "case", "add", ex / "cases")
    run(ent, "case", "list", "--contractor", HENGAN, "--type", "work_ticket")
    run(ent, "verify")
    part("五查 The ten checks, reports and the campaign calendar")
    run(ent, "check", "--as-of", AS_OF)
    run(ent, "report", "attachment2", "--as-of", AS_OF, "-o", out / "reports")
    run(ent, "campaign", "status", "--as-of", AS_OF)
    part("报送 Submission package to the bureau")
    pkg = out / "报送包-华锐-2026.zip"
    run(ent, "package", "export", "-o", pkg, "--zip")
    run(ent, "package", "verify", pkg)
    pub = out / "enterprise.pub.pem"
    run(ent, "keys", "export-public", "-o", pub)
    from archive.integrity import keys as k

    fingerprint = k.fingerprint(k.load_public_pem(pub.read_bytes()))

    part("区应急管理局档案 Bureau archive: 济南高新区应急管理局")
    run(bur, "init", "--org", ex / "organizations" / "bureau.yaml", "--insecure-no-passphrase")
    run(bur, "person", "add", *sorted((ex / "persons").glob("bureau-*.yaml")))
    run(bur, "org", "add", ex / "organizations" / "enterprise.yaml")
    run(bur, "org", "trust", ENTERPRISE, "--key", pub, "--fingerprint", fingerprint)
    run(bur, "package", "import", pkg)
    run(bur, "package", "import", pkg)  # a second time: nothing changes
    part("执法检索 Search a contractor across enterprises")
    run(bur, "search", "动火", "--contractor", HENGAN)
    run(bur, "search", '"受限空间" OR 有限空间', "--limit", "5")
    run(bur, "contractor", "show", LUZHONG, "--as-of", AS_OF)
    part("整改闭环 Rectification: order from the findings, review, status")
    run(bur, "check", "--enterprise", ENTERPRISE, "--as-of", AS_OF)
    order = out / "drafts" / "责令限期整改指令书.yaml"
    order.parent.mkdir(parents=True, exist_ok=True)
    run(bur, "rectify", "draft", "--enterprise", ENTERPRISE, "--as-of", AS_OF, "-o", order)
    run(bur, "case", "add", order)
    order_no = _doc_no(order)
    review = out / "drafts" / "整改复查意见书.yaml"
    run(bur, "rectify", "review-draft", order_no, "-o", review)
    _fill_review(review, echo)
    run(bur, "case", "add", review)
    run(bur, "rectify", "status", "--enterprise", ENTERPRISE, "--as-of", AS_OF)
    part("证据包 Evidence package for a penalty case")
    evidence = out / "证据包-鲁中-2026-8"
    run(bur, "evidence", "export", "--contractor", LUZHONG, "--case-no", CASE_NO, "-o", evidence)
    run(bur, "package", "verify", evidence)
    run(bur, "verify")
    res.outputs = {
        "enterprise archive 发包单位档案": ent,
        "bureau archive 区应急管理局档案": bur,
        "submission package 报送包": pkg,
        "attachment 2 附件2 外包作业情况表": out / "reports",
        "draft order and review 整改指令书/复查意见书草稿": out / "drafts",
        "evidence package 证据包": evidence,
        "evidence compilation 证据材料汇编": evidence / "data" / "evidence",
    }
    return res


def _fill_review(path: Path, echo: Callable[[str], None]) -> None:
    """What the officer does with the review draft after re-inspecting: every item rectified."""
    import yaml

    from schemas import read_case_file

    data = read_case_file(path)
    for item in data["items"]:
        item["result"] = "已整改"
        item["note"] = "已与承包单位济南鲁中建设工程有限公司签订检查计划，补做安全检查并建立检查台账"
    data["opinion"] = data["opinion"].replace("（复查后填写）", "所列问题已整改完毕")
    text = path.read_text(encoding="utf-8").split("type:", 1)[0]
    path.write_text(text + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    echo(click.style(f"（执法人员复查后填写复查结果 / the officer fills in the review: {path.name}）\n", fg="yellow"))


def _doc_no(path: Path) -> str:
    from schemas import read_case_file

    return read_case_file(path)["doc_no"]
