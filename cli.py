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
@JSON
@pass_app
def init(app: App, org_file: Path, search_engine: str, insecure: bool, as_json: bool) -> None:
    """Create an archive owned by the organization in ORG_FILE, with a new Ed25519 signing key.

    The private key is encrypted with a passphrase ($OUTSAFE_PASSPHRASE or a prompt) and kept
    in <home>/keys/owner.key, mode 0600.
    """
    from archive.app import Archive

    archive = Archive.create(app.home, org_file, passphrase=ask_passphrase, insecure=insecure, search_engine=search_engine)
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
    from archive.keys import INSECURE_WARNING

    return INSECURE_WARNING


# --- registry -------------------------------------------------------------------------------------------


def _add(app: App, files: tuple[Path, ...], expect: type | None, as_json: bool, **kw: Any) -> None:
    report = app.archive().add_files(list(files), expect=expect, progress=progress_printer("outsafe"), notify=notify, **kw)
    if as_json:
        emit_json({
            "records": [{"id": a.id, "type": a.type, "title": a.title, "source": a.source, "status": a.status} for a in report.added],
            "warnings": [p.as_dict() for p in report.warnings],
        })
        return
    show_problems(report.warnings)
    labels = {"added": "已入档 added", "updated": "已更新 updated", "unchanged": "未变 unchanged"}
    for a in report.added:
        click.echo(f"{a.id}  {a.title}  [{labels[a.status]}]  ← {a.source}")


@main.group()
def org() -> None:
    """Register and look up organizations (发包单位, 承包单位, 应急管理局)."""


@org.command("add")
@FILES
@JSON
@pass_app
def org_add(app: App, files: tuple[Path, ...], as_json: bool) -> None:
    """Register organizations from YAML/JSON files (a changed file registers a new version)."""
    from schemas.registry import Organization

    _add(app, files, Organization, as_json)


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
@JSON
@pass_app
def person_add(app: App, files: tuple[Path, ...], as_json: bool) -> None:
    """Register people from YAML/JSON files."""
    from schemas.registry import Person

    _add(app, files, Person, as_json)


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
@JSON
@pass_app
def project_add(app: App, files: tuple[Path, ...], as_json: bool) -> None:
    """Register projects from YAML/JSON files."""
    from schemas.registry import Project

    _add(app, files, Project, as_json)


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


@case.command("add")
@FILES
@JSON
@pass_app
def case_add(app: App, files: tuple[Path, ...], as_json: bool) -> None:
    """Validate, render, seal, store and index case files; print the new record ids.

    Nothing is written unless every file is valid.
    """
    _add(app, files, None, as_json)


@case.command("supersede")
@click.argument("record_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reason", required=True, help="Why the record is corrected (sealed with the new record).")
@JSON
@pass_app
def case_supersede(app: App, record_id: str, file: Path, reason: str, as_json: bool) -> None:
    """Correct a record: FILE becomes a new record that supersedes RECORD_ID (nothing is edited)."""
    old = app.archive().get_record_row(record_id)
    _add(app, (file,), None, as_json, supersedes=old["id"], note=reason)


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
    from archive import keys as k

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
    from archive import keys as k

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
    from archive.verify import verify_archive

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
    from archive.export import export_checkpoint

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
    from archive.export import export_seal

    for p in export_seal(app.archive(), record_id, output):
        click.echo(str(p))


if __name__ == "__main__":  # pragma: no cover
    main()
