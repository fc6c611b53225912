"""outsafe command line: parse, call one library function, print.

No logic lives here: every command is a few lines over ``archive.app.Archive`` (or another module
of ``archive/``). Errors are translated once, in :class:`OutsafeGroup.invoke`: an ``OutsafeError``
becomes its message (one line per problem) and its exit code; ``--verbose`` adds the traceback;
anything else is a bug and stays loud.

Exit codes: 0 ok · 1 bad input or not found · 2 usage · 3 verification failed.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import click

from archive.errors import OutsafeError, Problem


@dataclass
class App:
    """The one application object, passed to every command through click's context."""

    home: Path | None
    verbose: bool
    _archive: Any = None

    def archive(self):
        from archive.app import Archive

        if self._archive is None:
            self._archive = Archive.open(self.home, passphrase=ask_passphrase)
        return self._archive

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()
            self._archive = None


class OutsafeGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OutsafeError as e:
            app = ctx.obj if isinstance(ctx.obj, App) else None
            if app is not None and app.verbose:
                traceback.print_exc(file=sys.stderr)
            for line in e.lines():
                click.echo(line, err=True)
            ctx.exit(int(e.exit_code))
        finally:
            if isinstance(ctx.obj, App):
                ctx.obj.close()


pass_app = click.make_pass_decorator(App)


def ask_passphrase(confirm: bool) -> str | None:
    """The signing-key passphrase: $OUTSAFE_PASSPHRASE, else a hidden prompt in a terminal."""
    pw = os.environ.get("OUTSAFE_PASSPHRASE")
    if pw:
        return pw
    if sys.stdin.isatty():
        return click.prompt("签名私钥口令 (signing-key passphrase)", hide_input=True, confirmation_prompt=confirm, err=True)
    return None
FILES = click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout, nothing else.")


def iso_date(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not a date: {value!r} (use YYYY-MM-DD)") from None


AS_OF = click.option("--as-of", callback=iso_date, metavar="YYYY-MM-DD", help="Judge dates as on this day (default: today).")


# --- output helpers ----------------------------------------------------------------------------------


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def table(rows: list[dict], columns: list[tuple[str, str]]) -> None:
    """Print rows as aligned columns (CJK characters count double)."""
    if not rows:
        click.echo("（无 / none）")
        return
    cells = [[("" if r.get(k) is None else str(r.get(k))) for k, _ in columns] for r in rows]
    heads = [h for _, h in columns]
    widths = [max(width(x) for x in [h] + [c[i] for c in cells]) for i, h in enumerate(heads)]

    def line(values: list[str]) -> str:
        return "  ".join(v + " " * (w - width(v)) for v, w in zip(values, widths)).rstrip()

    click.echo(line(heads))
    click.echo(line(["-" * w for w in widths]))
    for c in cells:
        click.echo(line(c))


def show_problems(problems: list[Problem]) -> None:
    for p in problems:
        click.echo(("  " if p.file else "") + p.line(), err=True)


def progress_printer(label: str):
    """A progress callback drawing a bar on stderr when stderr is a terminal, else silent."""
    if not sys.stderr.isatty():
        return None
    state: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = state.get(stage)
        if bar is None:
            bar = click.progressbar(length=total, label=f"{label} {stage}", file=sys.stderr)
            bar.__enter__()
            state[stage] = bar
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    return update


def notify(msg: str) -> None:
    click.echo(msg, err=True)


# --- root -------------------------------------------------------------------------------------------


@click.group(cls=OutsafeGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--home",
    envvar="OUTSAFE_HOME",
    type=click.Path(file_okay=False, path_type=Path),
    help="Archive folder (default: $OUTSAFE_HOME, else ~/.local/share/outsafe).",
)
@click.option("--verbose", "-v", is_flag=True, help="Show tracebacks and more detail.")
@click.version_option(package_name="outsafe")
@click.pass_context
def main(ctx: click.Context, home: Path | None, verbose: bool) -> None:
    """outsafe — 外包作业安全档案: case files in, validated official documents and a sealed,
    searchable archive out.

    \b
    Start:   outsafe init --org enterprise.yaml
    Then:    outsafe org add contractors/*.yaml
             outsafe person add people/*.yaml
             outsafe project add projects/*.yaml
             outsafe case add cases/*.yaml
    Tour:    outsafe demo
    """
    ctx.obj = App(home=home, verbose=verbose)


# --- init -------------------------------------------------------------------------------------------


@main.command()
@click.option("--org", "org_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML/JSON file of the organization that owns the archive.")
@click.option("--search-engine", type=click.Choice(["whoosh", "tantivy"]), default="whoosh", show_default=True,
              help="Full-text engine: whoosh (default) or tantivy (large archives, 10^5+ records).")
@click.option("--insecure-no-passphrase", "insecure", is_flag=True,
              help="Store the signing key WITHOUT a passphrase (demos only; every use says so).")
@click.option("--no-pdf", is_flag=True, help="Store the owner's record sheet as .docx only (no LibreOffice).")
@JSON
@pass_app
def init(app: App, org_file: Path, search_engine: str, insecure: bool, no_pdf: bool, as_json: bool) -> None:
    """Create an archive owned by the organization in ORG_FILE, with a new Ed25519 signing key.

    The private key is encrypted with a passphrase ($OUTSAFE_PASSPHRASE or a prompt) and kept
    in <home>/keys/owner.key, mode 0600.
    """
    from archive.app import Archive

    archive = Archive.create(
        app.home, org_file, passphrase=ask_passphrase, insecure=insecure, search_engine=search_engine, pdf=not no_pdf
    )
    app._archive = archive
    signer = archive.signer()
    info = {
        "home": str(archive.home.root),
        "owner": archive.owner_uscc,
        "name": archive.owner_name,
        "key_fingerprint": signer.fingerprint,
        "key_insecure": archive.key_insecure,
        "search_engine": search_engine,
    }
    if as_json:
        emit_json(info)
        return
    click.echo(f"已创建档案 (archive created): {info['home']}")
    click.echo(f"所有者 (owner): {info['name']} {info['owner']}")
    click.echo(f"签名公钥指纹 (key fingerprint): {info['key_fingerprint']}")
    if archive.key_insecure:
        click.echo(keys_warning(), err=True)


def keys_warning() -> str:
    from archive.integrity.keys import INSECURE_WARNING

    return INSECURE_WARNING


# --- registry -------------------------------------------------------------------------------------------


def _add(app: App, files: tuple[Path, ...], expect: type | None, as_json: bool, **kw: Any) -> None:
    report = app.archive().add_files(list(files), expect=expect, progress=progress_printer("outsafe"), notify=notify, **kw)
    if as_json:
        emit_json({
            "records": [{"id": a.id, "type": a.type, "title": a.title, "source": a.source, "status": a.status} for a in report.added],
            "warnings": [p.as_dict() for p in report.warnings],
            "failed": [{"source": s, "error": e} for s, e in report.failed],
        })
    else:
        show_problems(report.warnings)
        labels = {"added": "已入档 added", "updated": "已更新 updated", "unchanged": "未变 unchanged"}
        for a in report.added:
            click.echo(f"{a.id}  {a.title}  [{labels[a.status]}]  ← {a.source}")
        for source, error in report.failed:
            click.echo(f"未入档 (not archived): {source}: {error}", err=True)
    if report.failed:
        raise click.exceptions.Exit(1)


@main.group()
def org() -> None:
    """Register and look up organizations (发包单位, 承包单位, 应急管理局)."""


@org.command("add")
@FILES
@click.option("--no-pdf", is_flag=True, help="Store the .docx only (quick; no LibreOffice).")
@JSON
@pass_app
def org_add(app: App, files: tuple[Path, ...], no_pdf: bool, as_json: bool) -> None:
    """Register organizations from YAML/JSON files (a changed file registers a new version)."""
    from schemas.registry import Organization

    _add(app, files, Organization, as_json, pdf=not no_pdf)


@org.command("list")
@click.option("--role", type=click.Choice(["enterprise", "contractor", "bureau"]), help="Only this role.")
@JSON
@pass_app
def org_list(app: App, role: str | None, as_json: bool) -> None:
    """List registered organizations."""
    rows = [r for r in app.archive().list_registry("organization") if role is None or r["role"] == role]
    if as_json:
        emit_json(rows)
    else:
        table(rows, [("uscc", "统一社会信用代码"), ("name", "名称"), ("role", "角色"), ("industry", "行业")])


@org.command("show")
@click.argument("uscc")
@JSON
@pass_app
def org_show(app: App, uscc: str, as_json: bool) -> None:
    """Show one organization, its qualifications, projects and people."""
    data = app.archive().organization(uscc)
    if as_json:
        emit_json(data)
        return
    click.echo(f"{data['name']}  {data['uscc']}  ({data['role']})")
    for k, label in (("address", "地址"), ("legal_representative", "法定代表人"), ("principal_person", "主要负责人"), ("phone", "电话")):
        if data.get(k):
            click.echo(f"  {label}: {data[k]}")
    if data.get("qualifications"):
        click.echo("资质与许可 (qualifications):")
        table(data["qualifications"], [("kind", "类别"), ("number", "编号"), ("scope", "范围"), ("valid_to", "有效期至")])
    if data.get("projects"):
        click.echo("项目 (projects):")
        table(data["projects"], [("code", "编号"), ("name", "名称"), ("contractor", "承包单位")])
    if data.get("people"):
        click.echo("人员 (people):")
        table(data["people"], [("name", "姓名"), ("id_number", "身份证号"), ("roles", "岗位")])


@main.group()
def person() -> None:
    """Register people with their certificates (身份证号 always masked on output)."""


@person.command("add")
@FILES
@click.option("--no-pdf", is_flag=True, help="Store the .docx only (quick; no LibreOffice).")
@JSON
@pass_app
def person_add(app: App, files: tuple[Path, ...], no_pdf: bool, as_json: bool) -> None:
    """Register people from YAML/JSON files."""
    from schemas.registry import Person

    _add(app, files, Person, as_json, pdf=not no_pdf)


@person.command("list")
@click.option("--employer", metavar="USCC", help="Only people of this organization.")
@JSON
@pass_app
def person_list(app: App, employer: str | None, as_json: bool) -> None:
    """List registered people."""
    rows = [r for r in app.archive().list_registry("person") if employer is None or r["employer"] == employer]
    for r in rows:
        r["certificates_summary"] = "；".join(f"{c['category']}至{c['expires']}" for c in r.get("certificates", []))
    if as_json:
        emit_json(rows)
    else:
        table(rows, [("name", "姓名"), ("id_number", "身份证号"), ("employer", "单位"), ("roles", "岗位"), ("certificates_summary", "证书")])


@main.group()
def project() -> None:
    """Register outsourced projects (外包项目)."""


@project.command("add")
@FILES
@click.option("--no-pdf", is_flag=True, help="Store the .docx only (quick; no LibreOffice).")
@JSON
@pass_app
def project_add(app: App, files: tuple[Path, ...], no_pdf: bool, as_json: bool) -> None:
    """Register projects from YAML/JSON files."""
    from schemas.registry import Project

    _add(app, files, Project, as_json, pdf=not no_pdf)


@project.command("list")
@click.option("--contractor", metavar="USCC")
@click.option("--enterprise", metavar="USCC")
@JSON
@pass_app
def project_list(app: App, contractor: str | None, enterprise: str | None, as_json: bool) -> None:
    """List registered projects."""
    rows = [
        r for r in app.archive().list_registry("project")
        if (contractor is None or r["contractor"] == contractor) and (enterprise is None or r["enterprise"] == enterprise)
    ]
    for r in rows:
        r["period_text"] = f"{r['period']['start']}～{r['period']['end']}"
    if as_json:
        emit_json(rows)
    else:
        table(rows, [("code", "编号"), ("name", "名称"), ("enterprise", "发包单位"), ("contractor", "承包单位"), ("period_text", "工期")])


# --- cases ----------------------------------------------------------------------------------------------


@main.group()
def case() -> None:
    """Validate, add, show and list case files (contracts, agreements, training, tickets, enforcement)."""


@case.command("validate")
@FILES
@AS_OF
@JSON
@pass_app
def case_validate(app: App, files: tuple[Path, ...], as_of: date | None, as_json: bool) -> None:
    """Validate files without adding them: every problem of every file, exit 1 if any.

    Inside an archive the references (organizations, people, projects) are checked too.
    """
    from archive.app import validate_only

    result = validate_only(list(files), home=app.home, today=as_of)
    if as_json:
        emit_json(result.as_dict())
    else:
        for f in result.files:
            mark = "✓" if f["ok"] else "✗"
            click.echo(f"{mark} {f['file']}  {f.get('title', '')}")
        show_problems(result.problems)
        if not result.references_checked:
            click.echo("（未打开档案，未核对引用的单位、人员、项目 / references not checked: no archive）", err=True)
    if not result.ok:
        raise click.exceptions.Exit(1)


NO_PDF = click.option("--no-pdf", is_flag=True, help="Store the .docx only (quick; no LibreOffice).")


@case.command("add")
@FILES
@NO_PDF
@click.option("--force", is_flag=True, help="Admit a case a cross-record rule refuses, where the law leaves room.")
@click.option("--reason", help="Why it is admitted anyway (required with --force; sealed with the record).")
@JSON
@pass_app
def case_add(app: App, files: tuple[Path, ...], no_pdf: bool, force: bool, reason: str | None, as_json: bool) -> None:
    """Validate, render (.docx, .pdf), seal, store and index case files; print the record ids.

    Nothing is written unless every file is valid and every document renders; a document
    LibreOffice cannot convert is reported and the rest are stored (exit 1). Cross-record rules
    (blacklisted contractor, a worker without valid certificate or training, an agreement not
    covering its project) refuse the case; where the law leaves room, --force --reason admits it.
    """
    if force and not reason:
        raise click.UsageError("--force needs --reason TEXT (the reason is sealed with the record)")
    if reason and not force:
        raise click.UsageError("--reason is only used with --force")
    _add(app, files, None, as_json, pdf=not no_pdf, force_reason=reason if force else None)


@case.command("render")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="OUT.docx or OUT.pdf")
@AS_OF
@pass_app
def case_render(app: App, file: Path, output: Path, as_of: date | None) -> None:
    """Preview the document of FILE as .docx or .pdf without adding it to the archive."""
    out = app.archive().render_preview(file, output, today=as_of)
    click.echo(f"已生成 (written): {out}")


@case.command("supersede")
@click.argument("record_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reason", required=True, help="Why the record is corrected (sealed with the new record).")
@NO_PDF
@JSON
@pass_app
def case_supersede(app: App, record_id: str, file: Path, reason: str, no_pdf: bool, as_json: bool) -> None:
    """Correct a record: FILE becomes a new record that supersedes RECORD_ID (nothing is edited)."""
    old = app.archive().get_record_row(record_id)
    _add(app, (file,), None, as_json, supersedes=old["id"], note=reason, pdf=not no_pdf)


@case.command("show")
@click.argument("record_id")
@JSON
@pass_app
def case_show(app: App, record_id: str, as_json: bool) -> None:
    """Show one record: its data (身份证号 masked), files and history."""
    rec = app.archive().show_record(record_id)
    if as_json:
        emit_json(rec)
        return
    click.echo(f"{rec['title']}")
    click.echo(f"  记录 id: {rec['id']}   类型: {rec['type']}{('/' + rec['ticket_type']) if rec['ticket_type'] else ''}")
    click.echo(f"  日期: {rec['date']}   入档: {rec['created_at']}   来源文件: {rec['source_name']}")
    if rec["supersedes"]:
        click.echo(f"  更正了 (supersedes): {rec['supersedes']}   理由: {rec['note']}")
    if rec["superseded_by"]:
        click.echo(f"  已被更正 (superseded by): {rec['superseded_by']}")
    click.echo("文件 (files):")
    table(rec["files"], [("role", "用途"), ("name", "文件名"), ("size", "字节"), ("sha256", "sha256")])
    click.echo("内容 (data):")
    click.echo(json.dumps(rec["data"], ensure_ascii=False, indent=2))


@case.command("list")
@click.option("--type", "types", multiple=True, metavar="TYPE", help="Record type (repeatable), e.g. work_ticket.")
@click.option("--ticket-type", metavar="KIND", help="Ticket kind, e.g. hot_work.")
@click.option("--contractor", metavar="USCC")
@click.option("--enterprise", metavar="USCC")
@click.option("--project", metavar="CODE")
@click.option("--since", metavar="YYYY-MM-DD")
@click.option("--until", metavar="YYYY-MM-DD")
@click.option("--all", "include_superseded", is_flag=True, help="Include superseded versions.")
@click.option("--registry", "include_registry", is_flag=True, help="Include organization/person/project records.")
@JSON
@pass_app
def case_list(app: App, types, ticket_type, contractor, enterprise, project, since, until, include_superseded, include_registry, as_json) -> None:
    """List records, oldest first."""
    rows = app.archive().list_records(
        types=list(types), ticket_type=ticket_type, contractor=contractor, enterprise=enterprise, project=project,
        since=since, until=until, include_superseded=include_superseded, include_registry=include_registry,
    )
    if as_json:
        emit_json(rows)
    else:
        table(rows, [("id", "记录"), ("title", "文书"), ("date", "日期"), ("contractor", "承包单位"), ("project", "项目")])


@main.group()
def settings() -> None:
    """Show the archive's settings (numbers the law leaves open, with their sources)."""


@settings.command("show")
@JSON
@pass_app
def settings_show(app: App, as_json: bool) -> None:
    """Every setting, its value, default and source."""
    rows = app.archive().settings.describe()
    if as_json:
        emit_json(rows)
    else:
        table(rows, [("name", "setting"), ("value", "value"), ("doc", "说明"), ("source", "来源")])


# --- keys, seals, ledger, verification (issue 4) -------------------------------------------------------


@main.group()
def keys() -> None:
    """The archive owner's signing key (Ed25519)."""


@keys.command("show")
@JSON
@pass_app
def keys_show(app: App, as_json: bool) -> None:
    """Fingerprint and public key (PEM) of the archive owner's signing key."""
    from archive.integrity import keys as k

    archive = app.archive()
    public = archive.public_key()
    info = {
        "owner": archive.owner_uscc,
        "name": archive.owner_name,
        "fingerprint": k.fingerprint(public),
        "public_key": k.public_pem(public),
        "insecure": archive.key_insecure,
    }
    if as_json:
        emit_json(info)
        return
    click.echo(f"所有者 (owner): {info['name']} {info['owner']}")
    click.echo(f"指纹 (fingerprint, sha256 of the raw public key): {info['fingerprint']}")
    click.echo(info["public_key"].rstrip())
    if info["insecure"]:
        click.echo(keys_warning(), err=True)


@keys.command("export-public")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (default: stdout).")
@pass_app
def keys_export_public(app: App, output: Path | None) -> None:
    """Export the public key (PEM) for others to verify seals, checkpoints and packages."""
    from archive.integrity import keys as k

    pem = k.public_pem(app.archive().public_key())
    if output is None:
        click.echo(pem, nl=False)
    else:
        output.write_text(pem, encoding="ascii")
        click.echo(f"已写出公钥 (public key written): {output}", err=True)


@main.command()
@click.option("--record", "record_id", metavar="ID", help="Verify one record (its files, seal and inclusion proof).")
@click.option("--checkpoint", "checkpoints", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A checkpoint kept outside the archive; the ledger must be consistent with it (repeatable).")
@JSON
@pass_app
def verify(app: App, record_id: str | None, checkpoints: tuple[Path, ...], as_json: bool) -> None:
    """Re-hash every file, check every seal and the ledger against its signed checkpoints.

    Exit 3 if anything was altered or lost; every failure names the record or ledger leaf.
    """
    from archive.errors import IntegrityError
    from archive.integrity.verify import verify_archive

    archive = app.archive()
    rep = verify_archive(archive, record_id=record_id, external=checkpoints, progress=progress_printer("verify"))
    if as_json:
        emit_json(rep.as_dict())
    else:
        for w in rep.warnings:
            click.echo(f"警告/warning: {w}", err=True)
        if rep.ok:
            click.echo(
                f"核验通过 (verified): {rep.records} 条记录, {rep.files} 个文件 ({rep.bytes:,} 字节), "
                f"{rep.leaves} 个账本条目, {rep.checkpoints} 个签名检查点"
            )
    if not rep.ok:
        if as_json:
            raise click.exceptions.Exit(3)
        raise IntegrityError(rep.failures)


@main.group()
def ledger() -> None:
    """The append-only Merkle ledger: checkpoints and proofs."""


@ledger.command("show")
@JSON
@pass_app
def ledger_show(app: App, as_json: bool) -> None:
    """Tree size, root and the latest signed checkpoint."""
    archive = app.archive()
    cp = archive.ledger.latest_checkpoint()
    info = {
        "tree_size": archive.ledger.size(),
        "root": archive.ledger.root().hex(),
        "checkpoint": cp["note"] if cp else None,
        "checkpoints": len(archive.ledger.checkpoints()),
    }
    if as_json:
        emit_json(info)
        return
    click.echo(f"账本大小 (tree size): {info['tree_size']}   根 (root): {info['root']}")
    click.echo(f"签名检查点 (signed checkpoints): {info['checkpoints']}")
    if cp:
        click.echo(cp["note"].rstrip())


@ledger.command("proof")
@click.argument("record_id")
@JSON
@pass_app
def ledger_proof(app: App, record_id: str, as_json: bool) -> None:
    """Inclusion proof of a record's leaf against the latest signed checkpoint."""
    archive = app.archive()
    proof = archive.ledger.inclusion(archive.get_record_row(record_id)["id"])
    if as_json:
        emit_json(proof)
        return
    click.echo(f"记录 {proof['record_id']}: 账本第 {proof['leaf_index']} 条 / 共 {proof['tree_size']} 条")
    click.echo(f"leaf hash: {proof['leaf_hash']}")
    for i, h in enumerate(proof["proof"]):
        click.echo(f"  path[{i}] {h}")
    click.echo(f"root: {proof['root']}")


@ledger.command("consistency")
@click.argument("old_size", type=click.IntRange(min=1))
@click.argument("new_size", type=click.IntRange(min=1), required=False)
@JSON
@pass_app
def ledger_consistency(app: App, old_size: int, new_size: int | None, as_json: bool) -> None:
    """Consistency proof between the tree of OLD_SIZE leaves and the tree of NEW_SIZE (default: now)."""
    from archive.errors import NotFound

    archive = app.archive()
    size = archive.ledger.size()
    if old_size > size or (new_size or size) > size or old_size > (new_size or size):
        raise NotFound(f"账本只有 {size} 条 (the ledger has {size} leaves)")
    info = archive.ledger.consistency(old_size, new_size)
    if as_json:
        emit_json(info)
        return
    click.echo(f"{info['old_size']} → {info['new_size']}")
    click.echo(f"old root: {info['old_root']}\nnew root: {info['new_root']}")
    for i, h in enumerate(info["proof"]):
        click.echo(f"  proof[{i}] {h}")


@ledger.command("checkpoint")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write checkpoint.txt, checkpoint.body, checkpoint.sig and owner.pub.pem into.")
@pass_app
def ledger_checkpoint(app: App, output: Path) -> None:
    """Export the latest signed checkpoint for safekeeping or openssl verification.

    Keep a copy outside the archive: `outsafe verify --checkpoint checkpoint.txt` later proves
    the history was not rewritten since.
    """
    from archive.integrity.export import export_checkpoint

    written = export_checkpoint(app.archive(), output)
    for p in written:
        click.echo(str(p))


@main.group()
def seal() -> None:
    """Seals of individual records."""


@seal.command("export")
@click.argument("record_id")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the seal statement, signature, public key and files into.")
@pass_app
def seal_export(app: App, record_id: str, output: Path) -> None:
    """Export one record's seal (seal.json + seal.sig), its files and the public key, with the
    openssl command that verifies it."""
    from archive.integrity.export import export_seal

    for p in export_seal(app.archive(), record_id, output):
        click.echo(str(p))


# --- templates (archive/render.py) -------------------------------------------------------------------------


@main.group()
def templates() -> None:
    """Document templates (doc_templates/): list them, lint them against their schemas."""


@templates.command("list")
@click.option("--dir", "template_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="An override folder (an archive's templates/): show which templates it replaces.")
@JSON
def templates_list(template_dir: Path | None, as_json: bool) -> None:
    """Every template: id, the record type it serves, version, and whether it is overridden."""
    from archive.documents.templates import list_templates

    rows = [t.as_dict() for t in list_templates(template_dir)]
    for r in rows:
        r["serves"] = r["type"] + (f"/{r['ticket_type']}" if r["ticket_type"] else "")
    if as_json:
        emit_json(rows)
    else:
        table(rows, [("id", "模板"), ("title", "文书"), ("serves", "记录类型"), ("version", "版本"), ("source", "来源")])


@templates.command("check")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@JSON
def templates_check(directory: Path | None, as_json: bool) -> None:
    """Lint templates against their schemas: the packaged set, or the templates in DIRECTORY.

    Fails (exit 1, one line per problem) on a name or field the schema lacks, a loop variable's
    attribute the item type lacks, or a required field shown by no template for its type.
    """
    from archive.documents.lint import check_templates

    problems = check_templates(directory)
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        emit_json({"ok": not errors, "problems": [p.as_dict() for p in problems]})
    else:
        for p in problems:
            click.echo(p.line(), err=bool(errors))
        if not errors:
            click.echo("模板检查通过 (templates ok)")
    if errors:
        raise click.exceptions.Exit(1)


# --- search, index, contractor dossier (archive/search.py, archive/dossier.py) ------------------------


def _highlight(snippet: str) -> str:
    """« » around matches; bold on a terminal."""
    if not sys.stdout.isatty():
        return snippet
    out, rest = [], snippet
    while "«" in rest and "»" in rest.split("«", 1)[1]:
        before, tail = rest.split("«", 1)
        word, rest = tail.split("»", 1)
        out += [before, click.style(word, bold=True, fg="red")]
    return "".join(out) + rest


@main.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--contractor", metavar="USCC|NAME", help="Only records of this contractor (统一社会信用代码 or name).")
@click.option("--enterprise", metavar="USCC|NAME", help="Only records of this enterprise.")
@click.option("--type", "type_", metavar="TYPE", help="Record type, e.g. work_ticket or 作业票.")
@click.option("--ticket-type", metavar="KIND", help="Ticket kind, e.g. hot_work or 动火.")
@click.option("--since", metavar="YYYY-MM-DD", help="Documents dated on or after this day.")
@click.option("--until", metavar="YYYY-MM-DD", help="Documents dated on or before this day.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--all", "include_superseded", is_flag=True, help="Include superseded versions.")
@JSON
@pass_app
def search(app: App, query: tuple[str, ...], contractor, enterprise, type_, ticket_type, since, until, limit, include_superseded, as_json) -> None:
    """Full-text search (Chinese words, names, 文书号) over the whole archive.

    \b
    Words are ANDed; also OR, NOT (or -word), (…), "exact phrase",
    field:value (type: ticket_type: grade: status: tag: name: doc_no: project:).
    A 身份证号 finds the records naming that person (looked up by keyed hash).
    Examples:  outsafe search 动火 --contractor 91370112MA3F7R1K8F
               outsafe search '受限空间 OR 有限空间' --since 2026-01-01
               outsafe search '"先通风、再检测、后作业"' -- -吊装
    """
    from archive.search.index import open_index

    with open_index(app.archive()) as idx:
        results = idx.search(" ".join(query), contractor=contractor, enterprise=enterprise, type=type_, ticket_type=ticket_type,
                             since=since, until=until, limit=limit, include_superseded=include_superseded)
    if as_json:
        emit_json({"query": results.query, "total": results.total, "behind": results.behind, "organizations": results.orgs,
                   "hits": [h.as_dict() for h in results]})
        return
    if results.behind:
        click.echo(f"注意：{results.behind} 份记录尚未编入索引 (index behind the catalog) → outsafe index rebuild", err=True)
    for uscc, name in results.orgs.items():
        click.echo(f"单位 (organization): {name} {uscc}", err=True)
    click.echo(f"共 {results.total} 条，显示 {len(results)} 条 ({results.total} matches)")
    for n, h in enumerate(results, 1):
        kind = h.type + (f"/{h.ticket_type}" if h.ticket_type else "") + ("" if h.current else " 已更正 superseded")
        click.echo(f"{n:>2}. {h.title}   {h.date or ''}   [{kind}]   {h.id}")
        parties = "   ".join(f"{label}: {name or ''} {uscc}" for label, name, uscc in
                             (("承包单位", h.contractor_name, h.contractor), ("发包单位", h.enterprise_name, h.enterprise)) if uscc)
        if parties:
            click.echo(f"    {parties}")
        click.echo(f"    {_highlight(h.snippet)}")


@main.group("index")
def index_group() -> None:
    """The search index: a cache of the catalog, rebuilt from it at any time."""


@index_group.command("rebuild")
@click.option("--engine", type=click.Choice(["whoosh", "tantivy"]), help="Switch engine (recorded in the archive).")
@JSON
@pass_app
def index_rebuild(app: App, engine: str | None, as_json: bool) -> None:
    """Rebuild the search index from the catalog (searches keep working meanwhile)."""
    from archive.search.index import open_index

    with open_index(app.archive()) as idx:
        idx.notify = notify
        n = idx.rebuild(progress=progress_printer("outsafe index"), engine=engine)
        info = {"records": n, **idx.stats()}
    if as_json:
        emit_json(info)
    else:
        click.echo(f"已重建搜索索引 (index rebuilt): {n} 份记录, {info['engine']}, {info['size'] / 1e6:.1f} MB")


@index_group.command("check")
@JSON
@pass_app
def index_check(app: App, as_json: bool) -> None:
    """Check that every catalog record is in the index and the index is readable (exit 3 if not)."""
    from archive.search.index import open_index

    with open_index(app.archive()) as idx:
        problems = idx.check()
        stats = {} if problems else idx.stats()
    if as_json:
        emit_json({"ok": not problems, "problems": problems, **stats})
    elif problems:
        click.echo(f"搜索索引有 {len(problems)} 个问题 (search index: {len(problems)} problem(s))", err=True)
        for p in problems:
            click.echo(f"  {p}", err=True)
    else:
        click.echo(f"搜索索引完好 (search index ok): {stats['records']} 份记录, {stats['engine']}, {stats['size'] / 1e6:.1f} MB")
    if problems:
        raise click.exceptions.Exit(3)


@main.group()
def contractor() -> None:
    """Contractors (承包单位) across every enterprise in the archive."""


@contractor.command("show")
@click.argument("uscc")
@AS_OF
@JSON
@pass_app
def contractor_show(app: App, uscc: str, as_of: date | None, as_json: bool) -> None:
    """One contractor's dossier: records by type and date, licences and certificates with expiry,
    blacklist status, and what is missing (agreements, training, tickets)."""
    from archive.campaign.dossier import contractor_dossier

    dossier = contractor_dossier(app.archive(), uscc, as_of)
    if as_json:
        emit_json(dossier.as_dict())
    else:
        for line in dossier.lines():
            click.echo(line)


# --- packages: submissions and evidence (archive/packages.py, archive/evidence.py; issue 6) -------------


def _date_text(value: date | None) -> str | None:
    return value.isoformat() if value else None


@org.command("trust")
@click.argument("uscc")
@click.option("--key", "key_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The organization's public key (PEM, from its `outsafe keys export-public`).")
@click.option("--fingerprint", required=True, metavar="SHA256",
              help="The key's fingerprint, confirmed with the organization by phone or on paper (`outsafe keys show`).")
@JSON
@pass_app
def org_trust(app: App, uscc: str, key_file: Path, fingerprint: str, as_json: bool) -> None:
    """Register USCC's signing key (a new version of its organization record).

    Only packages signed with a key registered this way (or with `org add FILE` carrying
    public_key and key_fingerprint) can be imported. The fingerprint must match the key file.
    """
    from archive.integrity.trust import trust_organization

    report = trust_organization(app.archive(), uscc, key_file.read_bytes(), fingerprint)
    if as_json:
        emit_json({"records": [{"id": a.id, "title": a.title, "status": a.status} for a in report.added]})
        return
    labels = {"added": "已登记 added", "updated": "已登记公钥 key registered", "unchanged": "未变 unchanged"}
    for a in report.added:
        click.echo(f"{a.id}  {a.title}  [{labels[a.status]}]")


@main.group()
def package() -> None:
    """Submission packages (报送包): export, verify offline, import (the bureau)."""


@package.command("export")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="The package folder to create (or the .zip file with --zip); must not exist.")
@click.option("--since", callback=iso_date, metavar="YYYY-MM-DD", help="Records dated on or after this day.")
@click.option("--until", callback=iso_date, metavar="YYYY-MM-DD", help="Records dated on or before this day.")
@click.option("--zip", "as_zip", is_flag=True, help="Write one .zip file instead of a folder.")
@JSON
@pass_app
def package_export(app: App, output: Path, since: date | None, until: date | None, as_zip: bool, as_json: bool) -> None:
    """A signed BagIt package of the period's records, their documents, seals and proofs, with
    核验说明.txt: anyone can verify it with bagit.py, sha256sum, openssl and python3 alone."""
    from archive.packages.export import export_package

    result = export_package(app.archive(), output, since=since, until=until, as_zip=as_zip,
                            progress=progress_printer("export"), notify=notify)
    if as_json:
        emit_json(result.as_dict())
        return
    click.echo(f"已导出报送包 (package written): {result.path}")
    click.echo(f"  {result.records} 条记录, {result.files} 个文件 ({result.bytes:,} 字节), 检查点 {result.checkpoint['tree_size']}")
    click.echo(f"  tagmanifest-sha256.txt 的 SHA-256: {result.digest}")
    click.echo(f"  签名公钥指纹 (key fingerprint): {result.fingerprint}")
    click.echo("  核验方法见包内 核验说明.txt (how to verify: 核验说明.txt inside)")


@package.command("verify")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--bagit", "bagit_check", is_flag=True, help="Also run bagit-python's own validator (slower; an independent check).")
@JSON
@pass_app
def package_verify(app: App, path: Path, bagit_check: bool, as_json: bool) -> None:
    """Verify a package (folder or .zip) completely: path safety, BagIt fixity, the tag-manifest
    signature, checkpoints, seals, inclusion proofs, file digests. Exit 3 naming what failed."""
    from archive.errors import IntegrityError
    from archive.packages.verify import verify_package

    try:
        rep = verify_package(path, progress=progress_printer("verify"), bagit_check=bagit_check)
    except IntegrityError as e:  # unsafe paths: refused before reading anything
        if not as_json:
            raise
        emit_json({"ok": False, "path": str(path), "failures": e.failures})
        raise click.exceptions.Exit(3) from None
    if as_json:
        emit_json(rep.as_dict())
        if not rep.ok:
            raise click.exceptions.Exit(3)
        return
    if not rep.ok:
        raise IntegrityError(rep.failures, f"包核验未通过 (package verification failed): {path}")
    click.echo(f"包核验通过 (package verified): {path}")
    click.echo(f"  {rep.signer_name}（{rep.signer}），{rep.records} 条记录，载荷 {rep.files} 个文件 {rep.bytes:,} 字节 (payload)")
    click.echo(f"  签名公钥指纹 (signer key fingerprint): {rep.fingerprint} — 请与登记的指纹核对 (compare with the registered one)")
    for cp in rep.checkpoints:
        click.echo(f"  检查点 (checkpoint) {cp['origin']}/{cp['tree_size']}: {cp['root']}")


@package.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@JSON
@pass_app
def package_import(app: App, path: Path, as_json: bool) -> None:
    """Import a submission package (the bureau): verified completely first; refused (exit 3,
    archive unchanged) if anything fails, the signer's key is not registered here, or the sender's
    history was rewritten. Importing the same package again changes nothing."""
    from archive.packages.importer import import_package

    result = import_package(app.archive(), path, progress=progress_printer("import"), notify=notify)
    if as_json:
        emit_json(result.as_dict())
        return
    if result.already:
        click.echo(f"此包已导入过，未作改动 (already imported; nothing changed): {path}")
        return
    click.echo(f"已导入 (imported) {result.origin_name}（{result.origin}）: {result.records_new} 条新记录，"
               f"{result.records_known} 条已有，登记信息更新 {result.registry_updated} 条")
    for w in result.witnessed:
        click.echo(f"  已见证检查点 (checkpoint witnessed) {w['origin']}/{w['tree_size']}")


@main.group()
def evidence() -> None:
    """Evidence packages for penalty cases (证据包)."""


@evidence.command("export")
@click.option("--case-no", required=True, metavar="NO", help="案件编号 (立案编号): the package holds this case's 告知书/决定书 and every record they cite.")
@click.option("--party", metavar="USCC", help="当事人 when the case has no 告知书/决定书 yet (else taken from them; must agree).")
@click.option("--record", "record_ids", multiple=True, metavar="ID", help="Further records to include (repeatable).")
@click.option("--officer", "officers", multiple=True, metavar="NAME",
              help="执法人员 who compile it (repeatable; default: those of the latest 现场检查记录 in the package).")
@click.option("--until", callback=iso_date, metavar="YYYY-MM-DD", help="The case file as the archive held it on that day.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="The package to create; must not exist.")
@click.option("--zip", "as_zip", is_flag=True, help="Write one .zip file instead of a folder.")
@JSON
@pass_app
def evidence_export(app: App, case_no: str, party: str | None, record_ids: tuple[str, ...], officers: tuple[str, ...],
                    until: date | None, output: Path, as_zip: bool, as_json: bool) -> None:
    """The evidence package of a penalty case: its documents in 案卷 order and every record they
    cite (refused while any is missing), 证据清单, 电子数据提取笔录 (DOCX, PDF) and 证据材料汇编.pdf
    (bookmarks, every page stamped 证据N 第i页 / 共M页, cover with the case number and digest)."""
    from archive.packages.evidence import export_evidence

    result = export_evidence(app.archive(), output, case_no=case_no, party=party, record_ids=record_ids, officers=officers,
                             until=until, as_zip=as_zip, progress=progress_printer("evidence"), notify=notify)
    if as_json:
        emit_json(result.as_dict())
        return
    p = result.extra["party"]
    click.echo(f"已导出证据包 (evidence package written): {result.path}")
    click.echo(f"  案件 {case_no}，当事人 {p['person'] + '（' + p['name'] + '）' if p['person'] else p['name']}："
               f"{result.extra['items']} 项, {result.extra['pages']} 页, 记录包 {result.records} 条记录")
    click.echo(f"  记录包摘要 (records package digest, on the cover): {result.extra['inner_tagmanifest_sha256']}")
    click.echo(f"  tagmanifest-sha256.txt 的 SHA-256: {result.digest}")


# --- the campaign: 五查 checks, rectification, blacklists, reports, Excel rosters (issue 7) ---------------


def _severity_tag(sev: str) -> str:
    return {"major": "【重大隐患】", "error": "【问题】", "warning": "【提示】"}[sev]


@main.command("check")
@click.option("--enterprise", metavar="USCC", help="Only this enterprise (发包单位).")
@click.option("--contractor", metavar="USCC", help="Only this contractor (承包单位).")
@click.option("--rule", "rule_ids", multiple=True, metavar="ID", help="Only these rules (repeatable), e.g. E1, C5, 3-1.")
@click.option("--rules", "list_rules", is_flag=True, help="List the rules with their sources and exit.")
@click.option("--fail-on", type=click.Choice(["major", "error", "warning"]),
              help="Exit 1 when a finding of this severity or worse exists (default: exit 0, findings are results).")
@AS_OF
@JSON
@pass_app
def check(app: App, enterprise: str | None, contractor: str | None, rule_ids: tuple[str, ...], list_rules: bool,
          fail_on: str | None, as_of: date | None, as_json: bool) -> None:
    """Run the campaign's checks: 发包单位五查 E1–E5, 承包单位五查 C1–C5, and the 令第10号
    major-hazard items 3-1/3-2/3-3 and CS-1/CS-2, on the archive's own records.

    Every rule is reported — 通过 pass / 提示 warn / 不通过 fail / 不适用 not applicable — with
    findings that cite the records proving them and name the records that are missing. --as-of
    judges certificates, deadlines and periods as on that day (records dated later are not seen),
    so a run is reproducible. The exit code is 0 whatever is found, unless --fail-on.
    """
    from archive.checks.model import STATUS_NAMES
    from archive.checks.rules import RULES_BY_ID, rule_table, run_checks
    from archive.checks.snapshot import Snapshot

    if list_rules:
        rows = rule_table()
        if as_json:
            emit_json(rows)
        else:
            for r in rows:
                click.echo(f"{r['id']:<5} {r['title']}（{r['group']}，{r['severity']}）")
                click.echo(f"      整治方案：{r['seed_clause']}")
                click.echo(f"      依据：{r['basis']}   罚则：{r['penalty']}")
        return
    unknown = [r for r in rule_ids if r not in RULES_BY_ID]
    if unknown:
        raise click.BadParameter(f"unknown rule {', '.join(unknown)}; see `outsafe check --rules`", param_hint="--rule")
    archive = app.archive()
    day = as_of or date.today()
    report = run_checks(Snapshot.from_archive(archive), day, enterprise=enterprise, contractor=contractor,
                        rules=[RULES_BY_ID[r] for r in rule_ids] or None)
    if as_json:
        emit_json(report.as_dict())
    else:
        marks = {"pass": "✓", "warn": "!", "fail": "✗", "not_applicable": "–"}
        click.echo(f"五查自查（截至 {day}）" + (f"  发包单位 {enterprise}" if enterprise else "") + (f"  承包单位 {contractor}" if contractor else ""))
        for r in report.results:
            click.echo(f"{marks[r.status]} {r.rule.id:<5} {r.rule.title} [{STATUS_NAMES[r.status]}]")
            for f in r.findings:
                click.echo(f"    {_severity_tag(f.severity)}{f.message}")
                for e in f.evidence:
                    click.echo(f"        证据: {e['title']}  ({e['id']})")
                for m in f.missing:
                    click.echo(f"        缺少: {m}")
                click.echo(f"        依据: {r.rule.basis}")
        s = report.summary()
        click.echo(f"共 {s['rules']} 项：通过 {s['pass']}，提示 {s['warn']}，不通过 {s['fail']}，不适用 {s['not_applicable']}；"
                   f"重大事故隐患 {s['findings']['major']} 条，问题 {s['findings']['error']} 条，提示 {s['findings']['warning']} 条")
    if fail_on and report.findings(fail_on):
        raise click.exceptions.Exit(1)


def _show_draft(path: Path, draft: Any, problems: list, as_json: bool) -> None:
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        emit_json({"file": str(path), "data": draft.data, "notes": draft.notes, "problems": [p.as_dict() for p in problems]})
        return
    click.echo(f"已写出草稿 (draft written): {path}")
    for n in draft.notes:
        click.echo(f"  注意: {n}", err=True)
    show_problems(problems)
    if errors:
        click.echo(f"  草稿有 {len(errors)} 处须修改后才能入档 (fix before `outsafe case add`)", err=True)
    else:
        click.echo(f"  核对后入档: outsafe case add {path}")


@main.group()
def rectify() -> None:
    """The rectification loop: 责令限期整改指令书 drafts, 整改复查, status; penalty drafts."""


@rectify.command("draft")
@click.option("--enterprise", metavar="USCC", help="The unit ordered (required when findings concern several).")
@click.option("--contractor", metavar="USCC", help="Only findings about this contractor.")
@click.option("--issued-on", callback=iso_date, metavar="YYYY-MM-DD", help="作出日期 (default: the --as-of day).")
@click.option("--inspected-on", callback=iso_date, metavar="YYYY-MM-DD", help="检查日期 (default: the --as-of day).")
@click.option("--include-warnings", is_flag=True, help="Also order the 提示 (warning) findings rectified.")
@click.option("--bureau", metavar="USCC", help="The bureau issuing it (default: the archive owner or the one registered).")
@click.option("--inspector", "inspectors", multiple=True, metavar="NAME", help="执法人员 (repeatable; default: every registered one).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The case file to write (.yaml).")
@AS_OF
@JSON
@pass_app
def rectify_draft(app: App, enterprise, contractor, issued_on, inspected_on, include_warnings, bureau, inspectors, output, as_of, as_json) -> None:
    """Turn the current findings into a 责令限期整改指令书 case file: the next 文书号 of the year,
    numbered items with basis and deadlines (settings rectify_days*). Review it, then `case add`."""
    from archive.campaign.rectify import check_draft, draft_order, write_case_file

    archive = app.archive()
    day = as_of or date.today()
    draft = draft_order(archive, as_of=day, enterprise=enterprise, contractor=contractor, issued_on=issued_on,
                        inspected_on=inspected_on, include_warnings=include_warnings, bureau=bureau, inspectors=inspectors)
    path = write_case_file(draft.data, output, draft.header)
    _show_draft(path, draft, check_draft(archive, draft.data, max(day, issued_on or day), str(path)), as_json)


@rectify.command("review-draft")
@click.argument("order_doc_no")
@click.option("--reviewed-on", callback=iso_date, metavar="YYYY-MM-DD", help="复查日期 (default: today).")
@click.option("--inspector", "inspectors", multiple=True, metavar="NAME", help="执法人员 (repeatable).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@JSON
@pass_app
def rectify_review_draft(app: App, order_doc_no: str, reviewed_on: date | None, inspectors, output: Path, as_json: bool) -> None:
    """An 整改复查意见书 case file for the archived order ORDER_DOC_NO: one line per item, to be
    marked 已整改 / 部分整改 / 未整改 after the re-inspection. Items marked 已整改 are closed."""
    from archive.campaign.rectify import check_draft, draft_review, write_case_file

    archive = app.archive()
    day = reviewed_on or date.today()
    draft = draft_review(archive, order_doc_no, reviewed_on=day, inspectors=inspectors)
    path = write_case_file(draft.data, output, draft.header)
    _show_draft(path, draft, check_draft(archive, draft.data, day, str(path)), as_json)


@rectify.command("status")
@click.option("--enterprise", metavar="USCC")
@click.option("--contractor", metavar="USCC")
@AS_OF
@JSON
@pass_app
def rectify_status(app: App, enterprise: str | None, contractor: str | None, as_of: date | None, as_json: bool) -> None:
    """Open, overdue and closed items per enterprise and contractor: 责令整改 items (closed by
    整改复查意见书), 事故隐患, and the enterprise's own inspections of contractors with deadlines."""
    from archive.campaign.rectify import STATUS_LABELS, rectification_status
    from archive.checks.snapshot import Snapshot

    day = as_of or date.today()
    st = rectification_status(Snapshot.from_archive(app.archive()), day, enterprise=enterprise, contractor=contractor)
    if as_json:
        emit_json(st)
        return
    sm = st["summary"]
    click.echo(f"整改情况（截至 {day}）：共 {sm['total']} 项，已整改 {sm['closed']}，整改中 {sm['open']}，逾期 {sm['overdue']}"
               + (f"，整改率 {sm['rate']:g}%" if sm["rate"] is not None else ""))
    table(st["groups"], [("enterprise_name", "发包单位"), ("contractor_name", "承包单位"), ("open", "整改中"), ("overdue", "逾期"),
                         ("closed", "已整改"), ("total", "合计")])
    rows = [dict(i, status_name=STATUS_LABELS[i["status"]]) for i in st["items"]]
    click.echo("")
    table(rows, [("status_name", "状态"), ("source", "来源"), ("ref", "编号"), ("deadline", "期限"), ("closed_on", "完成"), ("note", "说明")])


@rectify.command("articles")
@JSON
def rectify_articles(as_json: bool) -> None:
    """The penalty provisions penalty-draft knows (安全生产法 2021) and their fine ranges."""
    from schemas.penalty import FINES

    rows = [{"key": f.key, "basis": f.basis, "party": "单位" if f.party == "unit" else "个人", "range": f.range_text(),
             "what": f.what} for f in FINES.values()]
    if as_json:
        emit_json(rows)
    else:
        table(rows, [("key", "条款"), ("basis", "处罚依据"), ("party", "对象"), ("range", "罚款幅度")])


@rectify.command("penalty-draft")
@click.option("--case-no", required=True, metavar="NO", help="案件编号: the case number of the evidence package (证据包).")
@click.option("--stage", type=click.Choice(["notice", "decision"]), default="notice", show_default=True,
              help="notice: 行政处罚告知书; decision: 行政处罚决定书 from the case's archived notice.")
@click.option("--article", metavar="KEY", help="Penalty provision, e.g. \"SPL 103-2\" (see `rectify articles`). Notice only.")
@click.option("--party", metavar="USCC", help="当事人 (the unit). Notice only.")
@click.option("--person", metavar="ID|NAME", help="当事人为个人时：其身份证号或姓名 (registered with the party).")
@click.option("--facts", metavar="TEXT", help="违法事实.")
@click.option("--facts-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="违法事实 from a UTF-8 text file.")
@click.option("--evidence", "evidence_items", multiple=True, metavar="NUMBER",
              help="证据: the 文书号 or number of an archived record (repeatable); each becomes one cited piece of evidence.")
@click.option("--violated", metavar="TEXT", help="违反的规定 (default: the provision's usual one).")
@click.option("--correct-by", callback=iso_date, metavar="YYYY-MM-DD",
              help="限期改正期限, where the article orders 责令限期改正 (default: the notice day + settings correction_days).")
@click.option("--correction", metavar="TEXT", help="责令改正的内容 (default: 改正上述违法行为).")
@click.option("--amount", metavar="YUAN", help="罚款金额（元）, checked against the article's range.")
@click.option("--upper-limit", is_flag=True, help="上限处罚: the maximum of the article's range.")
@click.option("--gains", metavar="YUAN", help="违法所得（元） (SPL 103-1-gains).")
@click.option("--other", "other_penalties", multiple=True, metavar="TEXT", help="其他处罚, e.g. 责令停产停业整顿 (repeatable).")
@click.option("--contractor", metavar="USCC", help="涉及承包单位.")
@click.option("--project", metavar="CODE", help="涉及项目编号.")
@click.option("--contact", metavar="NAME", help="联系人 (default: the first registered 执法人员).")
@click.option("--statement", metavar="TEXT", help="陈述、申辩及采纳情况 (decision).")
@click.option("--date", "day", callback=iso_date, metavar="YYYY-MM-DD", help="告知日期 / 决定日期 (default: today).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@JSON
@pass_app
def rectify_penalty_draft(app: App, case_no, stage, article, party, person, facts, facts_file, evidence_items, violated, correct_by,
                          correction, amount, upper_limit, gains, other_penalties, contractor, project, contact, statement, day,
                          output, as_json) -> None:
    """Draft the 行政处罚告知书 (应急罚告) or, after it is archived and the statement period has
    passed, the 行政处罚决定书 (应急罚) of case --case-no: numbered, linked to the evidence package
    by its case number, the fine checked against the article's range (安全生产法 2021)."""
    from archive.campaign.rectify import check_draft, draft_penalty_decision, draft_penalty_notice, write_case_file

    archive = app.archive()
    day = day or date.today()
    money, gain = _yuan(amount, "--amount"), _yuan(gains, "--gains")
    if stage == "decision":
        draft = draft_penalty_decision(archive, case_no=case_no, decided_on=day, statement_summary=statement, amount=money)
    else:
        if not article or not party:
            raise click.UsageError("--article and --party are required for a notice")
        text = facts_file.read_text(encoding="utf-8").strip() if facts_file else facts
        if not text:
            raise click.UsageError("give the facts with --facts or --facts-file")
        if not evidence_items:
            raise click.UsageError("give the main evidence with --evidence (repeatable)")
        draft = draft_penalty_notice(
            archive, case_no=case_no, article=article, party=party, facts=text, evidence=evidence_items, violated=violated,
            amount=money, upper_limit=upper_limit, gains=gain, person=person,
            other_penalties=other_penalties, contractor=contractor, project=project, issued_on=day, contact=contact,
            correct_by=correct_by, correction=correction,
        )
    path = write_case_file(draft.data, output, draft.header)
    _show_draft(path, draft, check_draft(archive, draft.data, day, str(path)), as_json)


def _yuan(value: str | None, option: str):
    from decimal import Decimal, InvalidOperation

    if value is None:
        return None
    try:
        d = Decimal(value.replace(",", "").strip())
    except InvalidOperation:
        raise click.BadParameter(f"not an amount: {value!r}", param_hint=option) from None
    if not d.is_finite() or d < 0:
        raise click.BadParameter(f"not an amount: {value!r}", param_hint=option)
    return d


@main.group()
def blacklist() -> None:
    """Blacklists: the enterprise's contractor list and the statutory list (应急管理部令第11号)."""


@blacklist.command("list")
@click.option("--all", "include_inactive", is_flag=True, help="Also expired, removed and not-yet-started listings.")
@click.option("--subject", metavar="USCC", help="Only listings of this unit.")
@AS_OF
@JSON
@pass_app
def blacklist_list(app: App, include_inactive: bool, subject: str | None, as_of: date | None, as_json: bool) -> None:
    """Who is on which list on the day (--as-of): period, state, early removal from."""
    from archive.campaign.blacklist import blacklist_rows
    from archive.checks.snapshot import Snapshot

    day = as_of or date.today()
    rows = blacklist_rows(Snapshot.from_archive(app.archive()), day, include_inactive=include_inactive, subject=subject)
    if as_json:
        emit_json(rows)
    else:
        table(rows, [("list_name", "名单"), ("subject_name", "单位/人员"), ("entry_no", "编号"), ("reason", "列入原因"),
                     ("start", "起"), ("end", "止"), ("state_name", "状态"), ("early_removal_from", "可申请提前移出")])


def _add_draft(app: App, path: Path, draft: Any, no_add: bool, as_json: bool, today: date) -> None:
    from archive.campaign.rectify import check_draft

    problems = check_draft(app.archive(), draft.data, today, str(path))
    if no_add or any(p.severity == "error" for p in problems):
        _show_draft(path, draft, problems, as_json)
        return
    report = app.archive().add_files([path], progress=progress_printer("outsafe"), notify=notify, today=today)
    if as_json:
        emit_json({"file": str(path), "records": [{"id": a.id, "title": a.title, "status": a.status} for a in report.added],
                   "notes": draft.notes, "warnings": [p.as_dict() for p in report.warnings]})
        return
    show_problems(report.warnings)
    for a in report.added:
        click.echo(f"{a.id}  {a.title}  [已入档 added]  ← {path}")
    for f, e in report.failed:
        click.echo(f"未入档 (not archived): {f}: {e}", err=True)
    if report.failed:
        raise click.exceptions.Exit(1)


@blacklist.command("add")
@click.option("--subject", required=True, metavar="USCC", help="The unit listed (a registered organization).")
@click.option("--list", "list_kind", type=click.Choice(["enterprise", "statutory"]), default="enterprise", show_default=True,
              help="enterprise: 企业承包商黑名单; statutory: 严重失信主体名单 (the bureau, 令第11号).")
@click.option("--trigger", type=click.Choice(["季度安全生产考核不合格", "重大事故隐患不整改", "发生亡人事故", "违反安全生产管理协议", "其他"]),
              help="列入原因 (enterprise list; default: from the E5 triggers on record).")
@click.option("--situation", type=click.IntRange(1, 9), help="列入情形 1–9 (statutory list).")
@click.option("--facts", metavar="TEXT", help="事实和理由 (enterprise list default: the E5 triggers on record).")
@click.option("--evidence", "evidence_items", multiple=True, metavar="TEXT", help="证据: record numbers / 文书号 (repeatable).")
@click.option("--penalty-decision", metavar="DOC_NO", help="行政处罚决定书文号 (statutory list).")
@click.option("--decided-on", callback=iso_date, metavar="YYYY-MM-DD", help="列入决定日期 (default: today).")
@click.option("--start", callback=iso_date, metavar="YYYY-MM-DD", help="管理期限起 (default: the decision day); the end follows from the settings.")
@click.option("--published-on", callback=iso_date, metavar="YYYY-MM-DD", help="公开日期 (statutory list).")
@click.option("--listed-by", metavar="USCC", help="The listing enterprise or bureau (default: the archive owner).")
@click.option("--no", "entry_no", metavar="NO", help="列入编号 (default: the next number).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The case file to write (.yaml).")
@click.option("--no-add", is_flag=True, help="Only write the case file; do not archive it.")
@JSON
@pass_app
def blacklist_add(app: App, subject, list_kind, trigger, situation, facts, evidence_items, penalty_decision, decided_on, start,
                  published_on, listed_by, entry_no, output, no_add, as_json) -> None:
    """List a contractor: writes the blacklist_entry case file and archives it (sealed, like every
    record). From then on the contractor gets no new contract, agreement or ticket (statutory
    list: from anyone) until the listing is removed or its period ends."""
    from archive.campaign.blacklist import draft_entry
    from archive.campaign.rectify import write_case_file

    day = decided_on or date.today()
    draft = draft_entry(app.archive(), list_kind=list_kind, subject=subject, decided_on=day, facts=facts, trigger=trigger,
                        situation=situation, evidence=evidence_items, penalty_decision_no=penalty_decision, start=start,
                        published_on=published_on, listed_by=listed_by, entry_no=entry_no)
    path = write_case_file(draft.data, output, draft.header)
    _add_draft(app, path, draft, no_add, as_json, max(day, date.today()))


@blacklist.command("remove")
@click.argument("entry_no")
@click.option("--kind", type=click.Choice(["提前移出", "期满移出", "撤销列入"]), required=True, help="How the listing ends.")
@click.option("--reason", required=True, metavar="TEXT", help="移出理由.")
@click.option("--applied-on", callback=iso_date, metavar="YYYY-MM-DD", help="申请日期 (early removal: required on the statutory list).")
@click.option("--decided-on", callback=iso_date, metavar="YYYY-MM-DD", help="移出决定日期 (default: today).")
@click.option("--no", "removal_no", metavar="NO", help="移出编号 (default: the next number).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-add", is_flag=True, help="Only write the case file; do not archive it.")
@JSON
@pass_app
def blacklist_remove(app: App, entry_no, kind, reason, applied_on, decided_on, removal_no, output, no_add, as_json) -> None:
    """Remove listing ENTRY_NO: early removal (statutory: applied for after 12 months), at the end
    of the period, or revoked. Writes the blacklist_removal case file and archives it."""
    from archive.campaign.blacklist import draft_removal
    from archive.campaign.rectify import write_case_file

    day = decided_on or date.today()
    draft = draft_removal(app.archive(), entry_no=entry_no, kind=kind, decided_on=day, reason=reason, applied_on=applied_on,
                          removal_no=removal_no)
    path = write_case_file(draft.data, output, draft.header)
    _add_draft(app, path, draft, no_add, as_json, max(day, date.today()))


@main.command("report")
@click.argument("kind", type=click.Choice(["attachment2", "self-check", "ledger", "summary"]))
@click.option("--enterprise", metavar="USCC", help="The reporting enterprise (default: the archive owner).")
@click.option("--issued-on", callback=iso_date, metavar="YYYY-MM-DD", help="成文/填报日期 (default: the --as-of day).")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
              help="Folder for the .yaml case file, .docx, .pdf and (tables) .xlsx.")
@click.option("--no-pdf", is_flag=True, help="Skip the PDF (no LibreOffice needed).")
@click.option("--add", "add_it", is_flag=True, help="Also archive the report (sealed; a submission package then carries it).")
@click.option("--doc-no", metavar="NO", help="发文字号 of a report (default for the bureau's: the next of settings report_doc_code).")
@click.option("--signer", metavar="NAME", help="签发人 (default for the bureau's report: its principal person).")
@AS_OF
@JSON
@pass_app
def report(app: App, kind: str, enterprise: str | None, issued_on: date | None, out_dir: Path, no_pdf: bool, add_it: bool,
           doc_no: str | None, signer: str | None, as_of: date | None, as_json: bool) -> None:
    """A campaign report from the archive's data, in GB/T 9704 layout (DOCX, PDF) and tables as .xlsx:

    \b
    attachment2  附件2 外包作业情况表 (enterprise, due 4-30)
    self-check   整治自查报告 (enterprise, due 6-10; from the checks and rectification status)
    ledger       外包作业队伍监管台账 (bureau, every imported enterprise)
    summary      工作总结报告 (due 10-20; the campaign's figures)
    """
    from archive.campaign.reports import build_report, write_report

    archive = app.archive()
    day = as_of or date.today()
    built = build_report(archive, kind, as_of=day, enterprise=enterprise, issued_on=issued_on, doc_no=doc_no, signer=signer)
    paths = write_report(archive, built, out_dir, pdf=not no_pdf)
    added, failed = None, []
    if add_it:
        rep = archive.add_files([paths["yaml"]], notify=notify, today=max(day, date.today()))
        added = [{"id": a.id, "title": a.title, "status": a.status} for a in rep.added]
        failed = [{"file": f, "error": e} for f, e in rep.failed]
    if as_json:
        emit_json({"kind": built.kind, "title": built.obj.title, "as_of": day.isoformat(), "files": {k: str(v) for k, v in paths.items()},
                   "figures": built.figures.as_dict(), "records": added, "failed": failed})
        if failed:
            raise click.exceptions.Exit(1)
        return
    click.echo(f"{built.obj.title}（{built.obj.author_name}，截至 {day}）")
    for k, p in paths.items():
        click.echo(f"  {k:<5} {p}")
    for a in added or ():
        click.echo(f"  已入档 (archived): {a['id']}  {a['title']}  [{a['status']}]")
    for f in failed:
        click.echo(f"  未入档 (not archived): {f['file']}: {f['error']}", err=True)
    if failed:
        raise click.exceptions.Exit(1)


@main.group()
def campaign() -> None:
    """The campaign's calendar: stages, deadlines, who has handed in what."""


@campaign.command("status")
@AS_OF
@JSON
@pass_app
def campaign_status_cmd(app: App, as_of: date | None, as_json: bool) -> None:
    """The plan's stages and deadlines (year: settings campaign_year) on the day, each
    enterprise's 附件2 / 自查报告 / 总结报告 (submitted, produced, missing), what is overdue, and
    the rectification figures."""
    from archive.campaign.calendar import campaign_status

    day = as_of or date.today()
    st = campaign_status(app.archive(), day)
    if as_json:
        emit_json(st)
        return
    stage = st["stage"]["name"] if st["stage"] else "不在整治阶段内"
    click.echo(f"{st['year']}年外包作业安全专项整治 —— {day}：{stage}")
    names = {"done": "已结束", "current": "进行中", "upcoming": "未开始"}
    for s in st["stages"]:
        left = f"（剩 {s['days_left']} 天）" if s["days_left"] is not None else ""
        click.echo(f"  {s['name']}  {s['start'] or '即日起'} ～ {s['end']}  {names[s['state']]}{left}")
    click.echo("报送期限 (deadlines):")
    for d in st["deadlines"]:
        click.echo(f"  {d['deliverable']}：{d['due'] or '—'}  （{d['clause']}）")
    for e in st["enterprises"]:
        labels = {"submitted": "已报送", "produced": "已生成未报送" if e["own"] else "已收到", "missing": "未生成" if e["own"] else "未报送"}
        click.echo(f"{e['name']}（{e['enterprise']}）")
        for d in e["deliverables"]:
            flag = "  【逾期】" if d["overdue"] else ("  【迟报】" if d["late"] else "")
            when = f" {d['submitted_on']}" if d["submitted_on"] else (f" {d['produced_on']}" if d["produced_on"] else "")
            click.echo(f"  {d['name']}（{d['due'] or '—'}）：{labels[d['status']]}{when}{flag}")
    for d in st["bureau"]:
        click.echo(f"本局 {d['name']}：" + ("已生成 " + d["produced_on"] if d["produced_on"] else "未生成"))
    r = st["rectification"]
    click.echo(f"整改：共 {r['total']} 项，已整改 {r['closed']}，整改中 {r['open']}，逾期 {r['overdue']}")
    if st["overdue"]:
        click.echo("逾期未报 (overdue): " + "；".join(f"{o['name']} {o['deliverable']}（{o['due']}）" for o in st["overdue"]))


@main.group("import")
def import_group() -> None:
    """Excel rosters: a template to fill in, and validated all-or-nothing import."""


@import_group.command("template")
@click.argument("kind", type=click.Choice(["contractors", "persons", "projects"]))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The .xlsx to write.")
def import_template(kind: str, output: Path) -> None:
    """Write a workbook to fill in: Chinese headers from the schema (* = required), an example
    row, drop-down lists for every choice, a 填写说明 sheet."""
    from archive.campaign.rosters import write_template

    click.echo(str(write_template(kind, output)))


@import_group.command("xlsx")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", required=True, type=click.Choice(["contractors", "persons", "projects"]))
@click.option("--skip-bad-rows", is_flag=True, help="Import the good rows and report the skipped ones (default: all or nothing).")
@click.option("--check", "check_only", is_flag=True, help="Validate only; import nothing.")
@JSON
@pass_app
def import_xlsx_cmd(app: App, file: Path, kind: str, skip_bad_rows: bool, check_only: bool, as_json: bool) -> None:
    """Validate every row with the same schemas as case files and import them through the registry.

    Each problem names the sheet, the row, the column (letter and header) and what is wrong. If
    any row is wrong nothing is imported (exit 1), unless --skip-bad-rows.
    """
    from archive.campaign.rosters import import_xlsx

    result = import_xlsx(app.archive(), file, kind, skip_bad_rows=skip_bad_rows, check_only=check_only)
    if as_json:
        emit_json(result.as_dict())
        return
    for p in result.problems:
        click.echo(p.line(), err=True)
    if result.skipped:
        click.echo(f"跳过有问题的行 (skipped rows): {', '.join(map(str, result.skipped))}", err=True)
    if check_only:
        click.echo(f"校验通过 (valid): {result.rows - len(result.skipped)} 行")
    for x in result.imported:
        click.echo(f"第{x['row']}行  {x['id']}  {x['title']}  [{x['status']}]")


# --- demo ------------------------------------------------------------------------------------------------


@main.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Run the whole story on the sample data in examples/: an enterprise archive, its submission
    package, the bureau importing and searching it, a rectification order and review, an evidence
    package, verification everywhere. Uses --home as the (new, empty) folder, else a temporary one."""
    import shlex
    import time as _time

    from archive import demo as story

    app: App = ctx.obj

    def execute(step) -> tuple[int, float]:
        click.echo(click.style("$ outsafe " + " ".join(shlex.quote(a) for a in step.argv), fg="cyan", bold=True))
        t0 = _time.perf_counter()
        code = main.main(args=step.argv, prog_name="outsafe", standalone_mode=False)
        click.echo("")
        return (0 if code is None else int(code)), _time.perf_counter() - t0

    def show(step) -> None:
        if isinstance(step, story.Part):
            click.echo(click.style(f"\n=== {step.title} ===\n", fg="green", bold=True))
        else:
            click.echo(click.style(step.text + "\n", fg="yellow"))

    t = _time.perf_counter()
    res = story.run(story.prepare(app.home), execute, show)
    click.echo(click.style("\n=== 完成 Done ===", fg="green", bold=True))
    click.echo(f"{len(res.steps)} 条命令，用时 {_time.perf_counter() - t:.0f} 秒 (commands run, seconds)")
    for label, path in res.outputs.items():
        click.echo(f"  {label}: {path}")


if __name__ == "__main__":  # pragma: no cover
    main()
