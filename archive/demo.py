"""``outsafe demo``: the whole story, end to end, on the realistic sample data of ``examples/``.

It runs the real commands — exactly what a user would type, printed before each step — in two
throw-away archives, one for the enterprise and one for the district bureau:

 enterprise  init → register contractors, people, projects → add every case file (validated,
             rendered to .docx and .pdf, sealed, indexed) → a web account for the safety officer →
             verify → 五查 check → 附件2 report →
             campaign status → export a signed submission package → verify it offline
 bureau      init → register the enterprise and trust its key (fingerprint checked) → import the
             submission (verified before anything is written) → a web account for an officer →
             search a contractor across enterprises → its dossier → add its own enforcement
             documents (examples/bureau/) → check the enterprise as on its inspection of 9月8日 →
             draft a 责令限期整改指令书 from the findings and archive it → the 整改复查意见书 →
             rectification status → the penalty case's 告知书 and 决定书 → the 监管台账 and the
             工作总结报告 to the district government → the case's evidence package → verify it →
             verify the archive

Demo archives use ``--insecure-no-passphrase`` (said so wherever the key is used): they are
thrown away. Everything is written under one folder, printed at the end, with how to open both
archives in a browser (``outsafe serve``) with the demo's web accounts and their passwords.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import archive
from archive.access.accounts import generated_password
from archive.errors import NotFound, OutsafeError
from archive.integrity import keys
from schemas import dump_yaml, read_case_file

AS_OF = "2026-11-29"
ENTERPRISE = "91370100MA3C8K2P9L"
HENGAN = "91370112MA3F7R1K8F"
LUZHONG = "91370105MA3DK8W41C"
CASE_NO = "（高新）应急立〔2026〕8号"
INSPECTED = "2026-09-08"  # the bureau's inspection that found the enterprise never inspected 鲁中 (检记52号)
REVIEWED = "2026-09-18"
SUMMARY_AS_OF = "2026-11-10"  # the end of the campaign's summary stage (9-11…11-10): the bureau reports to the district
#: examples/bureau/: what the bureau itself made, added in its own archive (provenance 本局制作)
BUREAU_RECORDS = ("inspection-record-jianji-2026-37", "rectification-order-zegai-2026-12", "rectification-review-fucha-2026-9",
                  "inspection-record-jianji-2026-52")
PENALTY_RECORDS = ("penalty-notice-fagao-2026-1", "penalty-decision-fa-2026-1")


def examples_dir() -> Path:
    """examples/ of the checkout outsafe runs from (scripts/setup.sh installs it in place)."""
    here = Path(archive.__file__).resolve().parent.parent / "examples"
    if not (here / "organizations" / "enterprise.yaml").is_file():
        raise NotFound(
            f"找不到示例数据 (examples/ not found in {here.parent})",
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
    users: list[tuple[Path, str, str, str]] = field(default_factory=list)  # (archive, name, password, role label)

    def browser_lines(self, port: int = 8080) -> list[str]:
        """How to open both archives in a browser with the demo's web accounts."""
        out = ["在浏览器中查看 (open both archives in a browser; each command serves until Ctrl-C):"]
        for n, (home, label) in enumerate(((self.enterprise, "发包单位档案 enterprise"), (self.bureau, "区应急管理局档案 bureau"))):
            out.append(f"  {label}:  outsafe --home {home} serve --port {port + n}   →  http://127.0.0.1:{port + n}/")
            for h, name, password, role in self.users:
                if h == home:
                    out.append(f"      用户 (user) {name}（{role}）  一次性密码 (password) {password}")
        out.append("  （演示用密码只在此显示一次；正式账号用 outsafe user add 创建 / demo passwords, shown once）")
        return out


@dataclass(frozen=True)
class Command:
    """One command line of the story: ``outsafe --home HOME ARGS…`` (``input``: its stdin)."""

    home: Path
    args: tuple[str, ...]
    expect: tuple[int, ...] = (0,)
    input: str | None = None

    @property
    def argv(self) -> list[str]:
        return ["--home", str(self.home), *self.args]


@dataclass(frozen=True)
class Part:
    """A heading between steps."""

    title: str


@dataclass(frozen=True)
class Note:
    """What a person does between commands (shown, not run)."""

    text: str


class StepFailed(OutsafeError):
    pass


def prepare(root: Path | None) -> DemoResult:
    """The demo's folder: the given one (new or empty) or a new temporary one."""
    root = Path(root) if root else Path(tempfile.mkdtemp(prefix="outsafe-demo-"))
    if root.exists() and any(root.iterdir()):
        raise StepFailed(f"{root} 不是空目录 (the demo needs an empty folder)", hint="give --home a new or empty folder")
    root.mkdir(parents=True, exist_ok=True)
    (root / "outputs").mkdir()
    return DemoResult(root, root / "enterprise-archive", root / "bureau-archive")


def steps(res: DemoResult) -> Iterator[Command | Part | Note]:
    """The story, one step at a time. A front end runs each :class:`Command` before asking for the
    next step: later steps read what earlier ones wrote (the public key, the draft order)."""
    ex = examples_dir()
    ent, bur, out = res.enterprise, res.bureau, res.root / "outputs"

    def cmd(home: Path, *args: object) -> Command:
        return Command(home, tuple(str(a) for a in args))

    yield Part("发包单位档案 Enterprise archive: 济南华锐重型机械有限公司")
    yield cmd(ent, "init", "--org", ex / "organizations" / "enterprise.yaml", "--insecure-no-passphrase")
    yield cmd(ent, "org", "add", ex / "organizations")
    yield cmd(ent, "person", "add", ex / "persons")
    yield cmd(ent, "project", "add", ex / "projects")
    yield cmd(ent, "case", "add", ex / "cases")
    yield cmd(ent, "case", "list", "--contractor", HENGAN, "--type", "work_ticket")
    yield user(res, ent, "anquan", "enterprise_officer", "企业安全员", "--org", ENTERPRISE)
    yield cmd(ent, "verify")
    yield Part("五查 The ten checks, reports and the campaign calendar")
    yield cmd(ent, "check", "--as-of", AS_OF)
    yield cmd(ent, "report", "attachment2", "--as-of", AS_OF, "-o", out / "reports")
    yield cmd(ent, "campaign", "status", "--as-of", AS_OF)
    yield Part("报送 Submission package to the bureau")
    pkg = out / "报送包-华锐-2026.zip"
    yield cmd(ent, "package", "export", "-o", pkg, "--zip")
    yield cmd(ent, "package", "verify", pkg)
    pub = out / "enterprise.pub.pem"
    yield cmd(ent, "keys", "export-public", "-o", pub)
    fingerprint = keys.fingerprint(keys.load_public_pem(pub.read_bytes()))

    yield Part("区应急管理局档案 Bureau archive: 济南高新区应急管理局")
    yield cmd(bur, "init", "--org", ex / "organizations" / "bureau.yaml", "--insecure-no-passphrase")
    yield cmd(bur, "person", "add", *sorted((ex / "persons").glob("bureau-*.yaml")))
    yield cmd(bur, "org", "add", ex / "organizations" / "enterprise.yaml")
    yield cmd(bur, "org", "trust", ENTERPRISE, "--key", pub, "--fingerprint", fingerprint)
    yield cmd(bur, "package", "import", pkg)
    yield cmd(bur, "package", "import", pkg)  # a second time: nothing changes
    yield user(res, bur, "zhifa", "bureau_officer", "执法人员")
    yield Part("执法检索 Search a contractor across enterprises")
    yield cmd(bur, "search", "动火", "--contractor", HENGAN)
    yield cmd(bur, "search", '"受限空间" OR 有限空间', "--limit", "5")
    yield cmd(bur, "contractor", "show", LUZHONG, "--as-of", AS_OF)
    yield Part("执法文书 The bureau's own enforcement documents (现场检查记录, 指令书, 复查意见书)")
    yield cmd(bur, "case", "add", *(ex / "bureau" / f"{name}.yaml" for name in BUREAU_RECORDS))
    yield Part("整改闭环 Rectification: order from the findings of the inspection of 9月8日, review, status")
    yield cmd(bur, "check", "--enterprise", ENTERPRISE, "--as-of", INSPECTED)
    order = out / "drafts" / "责令限期整改指令书.yaml"
    order.parent.mkdir(parents=True, exist_ok=True)
    yield cmd(bur, "rectify", "draft", "--enterprise", ENTERPRISE, "--as-of", INSPECTED, "-o", order)
    yield cmd(bur, "case", "add", order)
    review = out / "drafts" / "整改复查意见书.yaml"
    yield cmd(bur, "rectify", "review-draft", read_case_file(order)["doc_no"], "--reviewed-on", REVIEWED, "-o", review)
    _fill_review(review)
    yield Note(f"（执法人员复查后填写复查结果 / the officer fills in the review: {review.name}）")
    yield cmd(bur, "case", "add", review)
    yield cmd(bur, "rectify", "status", "--enterprise", ENTERPRISE, "--as-of", AS_OF)
    yield Part("行政处罚 Penalty case （高新）应急立〔2026〕8号: 告知书 and 决定书 citing archived evidence")
    yield cmd(bur, "case", "add", *(ex / "bureau" / f"{name}.yaml" for name in PENALTY_RECORDS))
    yield Part("监管台账和工作总结 The bureau's ledger and its report to the district government")
    bureau_reports = out / "reports-bureau"
    yield cmd(bur, "report", "ledger", "--as-of", AS_OF, "-o", bureau_reports)
    yield cmd(bur, "report", "summary", "--as-of", SUMMARY_AS_OF, "-o", bureau_reports)
    yield Part("证据包 Evidence package for the case")
    evidence = out / "证据包-2026-8"
    yield cmd(bur, "evidence", "export", "--case-no", CASE_NO, "-o", evidence)
    yield cmd(bur, "package", "verify", evidence)
    yield cmd(bur, "verify")
    res.outputs = {
        "enterprise archive 发包单位档案": ent,
        "bureau archive 区应急管理局档案": bur,
        "submission package 报送包": pkg,
        "attachment 2 附件2 外包作业情况表": out / "reports",
        "bureau's ledger and summary report 监管台账、工作总结报告": bureau_reports,
        "draft order and review 整改指令书/复查意见书草稿": out / "drafts",
        "evidence package 证据包": evidence,
        "证据清单、电子数据提取笔录、证据材料汇编": evidence / "data" / "evidence",
    }


def user(res: DemoResult, home: Path, name: str, role: str, label: str, *more: str) -> Command:
    """A web account for ``outsafe serve``, its password made here and given on stdin (shown at the end)."""
    password = generated_password()
    res.users.append((home, name, password, label))
    return Command(home, ("user", "add", name, "--role", role, *more, "--password-stdin"), input=password + "\n")


def run(res: DemoResult, execute: Callable[[Command], tuple[int, float]], show: Callable[[Part | Note], None]) -> DemoResult:
    """Run the story: ``execute`` runs one command and returns (exit code, seconds)."""
    for step in steps(res):
        if isinstance(step, Command):
            code, seconds = execute(step)
            res.steps.append((" ".join(step.argv), seconds, code))
            if code not in step.expect:
                raise StepFailed(f"演示步骤失败 (demo step failed, exit {code}): outsafe {' '.join(step.argv)}")
        else:
            show(step)
    return res


def _fill_review(path: Path) -> None:
    """What the officer does with the review draft after re-inspecting: every item rectified."""
    data = read_case_file(path)
    for item in data["items"]:
        item["result"] = "已整改"
        item["note"] = ("企业已于2026年9月14日对承包单位济南鲁中建设工程有限公司开展安全检查（HR-XGF-JC-2026-019），"
                        "并将其纳入每月定期检查计划")
    data["opinion"] = data["opinion"].replace("（复查后填写）", "你单位已按要求对所列问题整改完毕，同意通过复查")
    text = path.read_text(encoding="utf-8").split("type:", 1)[0]
    path.write_text(text + dump_yaml(data), encoding="utf-8")

