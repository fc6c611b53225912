"""outsafe command line: parse, call one library function, print.

No logic lives here: every command is a few lines over ``archive.app.Archive`` or another module
of ``archive/``, which returns a result that knows its ``--json`` document (``as_dict()``), its
text (``as_text()``: lines; a :class:`~archive.text.Note` goes to stderr) and, when a run can
fail without raising, its ``exit_code``. Errors are translated once, in :class:`OutsafeGroup`: an
``OutsafeError`` (or storage/'s own ``StorageError``) becomes its message (one line per problem)
and its exit code; ``--verbose`` adds the traceback; anything else is a bug and stays loud. The
same group reads the exit code of the result a command returns.

Exit codes: 0 ok · 1 bad input or not found · 2 usage · 3 verification failed.

Start-up: each command imports the one library module it calls when it runs (the lines marked
"lazy: see Start-up"). Importing the whole library at the top (schemas, marshmallow,
cryptography, pypdf, whoosh, openpyxl, python-docx …) made ``outsafe --help`` and shell completion
about nine times slower (0.07 s → 0.64 s, measured); a command pays only for what it uses.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import sys
import time
import traceback
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

import storage.errors
from archive.errors import OutsafeError
from archive.text import Note

if TYPE_CHECKING:
    from archive.app import Archive


@dataclass
class App:
    """The one application object, passed to every command through click's context."""

    home: Path | None
    verbose: bool
    _archive: Any = None

    def archive(self) -> Archive:
        from archive.app import Archive  # lazy: see Start-up

        if self._archive is None:
            self._archive = Archive.open(self.home, passphrase=ask_passphrase)
            refresh_facts(self._archive)
        return self._archive

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()
            self._archive = None


class OutsafeGroup(click.Group):
    """The one translation point: errors into a message and an exit code; a command's result
    into its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        wants_json = "--json" in ctx.args  # (read before invoking: click empties them)
        try:
            result = super().invoke(ctx)
        except (OutsafeError, storage.errors.StorageError) as e:  # storage/ raises its own, outside the tree
            app = ctx.obj if isinstance(ctx.obj, App) else None
            if app is not None and app.verbose:
                traceback.print_exc(file=sys.stderr)
            from archive.privacy import mask_text  # (see output())

            for line in e.lines():
                click.echo(mask_text(line), err=True)
            if wants_json:  # a script asked for JSON: it gets the error as JSON too
                click.echo(json_error(e))
            ctx.exit(int(e.exit_code))
        finally:
            if isinstance(ctx.obj, App):
                ctx.obj.close()
        code = int(getattr(result, "exit_code", 0) or 0)
        if code:
            ctx.exit(code)
        return None


pass_app = click.make_pass_decorator(App)


def json_error(e: Exception) -> str:
    """The JSON document a ``--json`` command prints on stdout when it fails (its messages also go
    to stderr, as always): the message, every problem, the exit code; masked like every output."""
    from archive.privacy import mask_json  # (see output())

    problems = getattr(e, "problems", None) or getattr(e, "failures", None) or []  # ValidationFailed and its kin; IntegrityError's failures
    doc = {"error": e.message if hasattr(e, "message") else str(e), "exit_code": int(getattr(e, "exit_code", 1)),
           "hint": getattr(e, "hint", "") or None,
           "problems": [p.as_dict() if hasattr(p, "as_dict") else str(p) for p in problems]}
    return json.dumps(mask_json(doc), ensure_ascii=False, indent=2)


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
NO_PDF = click.option("--no-pdf", is_flag=True, help="Store the .docx only (quick; no LibreOffice).")


def iso_date(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    from archive.clock import FIRST_DAY, LAST_DAY, day_in_range  # lazy: see Start-up

    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not a date: {value!r} (use YYYY-MM-DD)") from None
    if not day_in_range(day):
        raise click.BadParameter(f"日期超出可用范围 {FIRST_DAY} – {LAST_DAY}：{value} (a day out of range)")
    return day


AS_OF = click.option("--as-of", callback=iso_date, metavar="YYYY-MM-DD", help="Judge dates as on this day (default: today).")


def named_units(app: App, enterprise: str | None, contractor: str | None) -> tuple[str | None, str | None]:
    """--enterprise / --contractor of a view, each one the archive knows (archive.registry.unit_in_archive):
    a mistyped code is a clear error, not a report of nothing."""
    from archive.registry import unit_in_archive  # lazy: see Start-up

    return (None if enterprise is None else unit_in_archive(app.archive(), enterprise, "enterprise"),
            None if contractor is None else unit_in_archive(app.archive(), contractor, "contractor"))


# --- printing --------------------------------------------------------------------------------------------


def output(result: Any, as_json: bool = False, *, style=None) -> Any:
    """Print a result — its JSON document, or its lines (notes on stderr; ``style`` applied to
    the others) — and hand it back: :class:`OutsafeGroup` reads its exit code."""
    # every byte a command prints passes one masking function: a 身份证号 that reached a result
    # by any path (a certificate number is often one) leaves as 3701**********1213 (privacy
    # loads schemas/; imported here, off the path of `outsafe --help`)
    from archive.privacy import mask_json, mask_text

    if as_json:
        click.echo(json.dumps(mask_json(result.as_dict()), ensure_ascii=False, indent=2, default=str))
    else:
        for line in result.as_text():
            note = isinstance(line, Note)
            text = mask_text(str(line))
            click.echo(text if note or style is None else style(text), err=note)
    return result


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


def refresh_facts(archive: Archive) -> None:
    """Facts derived by an older outsafe are derived again before the first view reads them (at
    10^6 records, minutes): said, with a bar, instead of a command that seems to hang."""
    from archive.facts.index import catch_up, stale_version  # lazy: see Start-up

    if not stale_version(archive.catalog):
        return
    notify(f"视图事实由旧版本派生，正在由已封存记录重新派生 (facts of the views were derived by an older outsafe: "
           f"deriving them again from {archive.catalog.max_seq()} sealed records)")
    catch_up(archive, progress=progress_printer("outsafe facts"))


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
@click.option("--catalog", "catalog_url", metavar="URL",
              help="Keep the catalog in this empty PostgreSQL database (postgresql://…) instead of the home's SQLite file.")
@click.option("--blobs", "blobs_url", metavar="URL",
              help="Keep the files in this S3-compatible bucket (s3://bucket/prefix; AWS_* variables) instead of blobs/.")
@JSON
@pass_app
def init(app: App, org_file: Path, search_engine: str, insecure: bool, no_pdf: bool, catalog_url: str | None,
         blobs_url: str | None, as_json: bool) -> Any:
    """Create an archive owned by the organization in ORG_FILE, with a new Ed25519 signing key.

    The private key is encrypted with a passphrase ($OUTSAFE_PASSPHRASE or a prompt) and kept
    in <home>/keys/owner.key, mode 0600. With --catalog and --blobs the records live in
    PostgreSQL and the files in an object store, named in <home>/outsafe.toml; several machines
    then write one archive, each with a copy of the home (README, "Several machines").
    """
    from archive.app import create_archive  # lazy: see Start-up

    created = create_archive(app.home, org_file, passphrase=ask_passphrase, insecure=insecure, search_engine=search_engine,
                             pdf=not no_pdf, catalog_url=catalog_url, blobs_url=blobs_url)
    app._archive = created.archive
    return output(created, as_json)


# --- registry -------------------------------------------------------------------------------------------


def _add(app: App, files: tuple[Path, ...], as_json: bool, **kw: Any) -> Any:
    return output(app.archive().add_files(list(files), progress=progress_printer("outsafe"), notify=notify, **kw), as_json)


@main.group()
def org() -> None:
    """Register and look up organizations (发包单位, 承包单位, 应急管理局)."""


@org.command("add")
@FILES
@NO_PDF
@JSON
@pass_app
def org_add(app: App, files: tuple[Path, ...], no_pdf: bool, as_json: bool) -> Any:
    """Register organizations from YAML/JSON files (a changed file registers a new version)."""
    return _add(app, files, as_json, expect="organization", pdf=not no_pdf)


@org.command("list")
@click.option("--role", type=click.Choice(["enterprise", "contractor", "bureau"]), help="Only this role.")
@JSON
@pass_app
def org_list(app: App, role: str | None, as_json: bool) -> Any:
    """List registered organizations."""
    return output(app.archive().organizations(role), as_json)


@org.command("show")
@click.argument("uscc")
@JSON
@pass_app
def org_show(app: App, uscc: str, as_json: bool) -> Any:
    """Show one organization, its qualifications, projects and people."""
    return output(app.archive().organization_sheet(uscc), as_json)


@org.command("trust")
@click.argument("uscc")
@click.option("--key", "key_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The organization's public key (PEM, from its `outsafe keys export-public`).")
@click.option("--fingerprint", required=True, metavar="SHA256",
              help="The key's fingerprint, confirmed with the organization by phone or on paper (`outsafe keys show`).")
@JSON
@pass_app
def org_trust(app: App, uscc: str, key_file: Path, fingerprint: str, as_json: bool) -> Any:
    """Register USCC's signing key (a new version of its organization record).

    Only packages signed with a key registered this way (or with `org add FILE` carrying
    public_key and key_fingerprint) can be imported. The fingerprint must match the key file.
    """
    from archive.integrity.trust import trust_key_file  # lazy: see Start-up

    return output(trust_key_file(app.archive(), uscc, key_file, fingerprint), as_json)


@main.group()
def person() -> None:
    """Register people with their certificates (身份证号 always masked on output)."""


@person.command("add")
@FILES
@NO_PDF
@JSON
@pass_app
def person_add(app: App, files: tuple[Path, ...], no_pdf: bool, as_json: bool) -> Any:
    """Register people from YAML/JSON files."""
    return _add(app, files, as_json, expect="person", pdf=not no_pdf)


@person.command("list")
@click.option("--employer", metavar="USCC", help="Only people of this organization.")
@JSON
@pass_app
def person_list(app: App, employer: str | None, as_json: bool) -> Any:
    """List registered people."""
    return output(app.archive().people(employer), as_json)


@main.group()
def project() -> None:
    """Register outsourced projects (外包项目)."""


@project.command("add")
@FILES
@NO_PDF
@JSON
@pass_app
def project_add(app: App, files: tuple[Path, ...], no_pdf: bool, as_json: bool) -> Any:
    """Register projects from YAML/JSON files."""
    return _add(app, files, as_json, expect="project", pdf=not no_pdf)


@project.command("list")
@click.option("--contractor", metavar="USCC")
@click.option("--enterprise", metavar="USCC")
@JSON
@pass_app
def project_list(app: App, contractor: str | None, enterprise: str | None, as_json: bool) -> Any:
    """List registered projects."""
    return output(app.archive().projects(contractor, enterprise), as_json)


# --- cases ----------------------------------------------------------------------------------------------


@main.group()
def case() -> None:
    """Validate, add, show and list case files (contracts, agreements, training, tickets, enforcement)."""


NO_PDF = click.option("--no-pdf", is_flag=True, help="Store the .docx only (quick; no LibreOffice).")
FILES_ROOT = click.option(
    "--files-root", type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder photos and drawings may also come from (by default only the case file's own folder).",
)


@case.command("validate")
@FILES
@FILES_ROOT
@AS_OF
@JSON
@pass_app
def case_validate(app: App, files: tuple[Path, ...], files_root: Path | None, as_of: date | None, as_json: bool) -> Any:
    """Validate files without adding them: every problem of every file, exit 1 if any.

    Inside an archive the references (organizations, people, projects) are checked too.
    """
    from archive.app import validate_only  # lazy: see Start-up

    return output(validate_only(list(files), home=app.home, today=as_of, files_root=files_root), as_json)


@case.command("add")
@FILES
@FILES_ROOT
@NO_PDF
@click.option("--force", is_flag=True, help="Admit a case a cross-record rule refuses, where the law leaves room.")
@click.option("--reason", help="Why it is admitted anyway (required with --force; sealed with the record).")
@JSON
@pass_app
def case_add(app: App, files: tuple[Path, ...], files_root: Path | None, no_pdf: bool, force: bool, reason: str | None,
             as_json: bool) -> Any:
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
    return _add(app, files, as_json, pdf=not no_pdf, force_reason=reason if force else None, files_root=files_root)


@case.command("render")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="OUT.docx or OUT.pdf")
@FILES_ROOT
@AS_OF
@pass_app
def case_render(app: App, file: Path, out: Path, files_root: Path | None, as_of: date | None) -> None:
    """Preview the document of FILE as .docx or .pdf without adding it to the archive."""
    from storage.home import output_folder  # lazy: see Start-up

    output_folder(out.parent, create=False)
    click.echo(f"已生成 (written): {app.archive().render_preview(file, out, today=as_of, files_root=files_root)}")


@case.command("supersede")
@click.argument("record_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reason", required=True, help="Why the record is corrected (sealed with the new record).")
@NO_PDF
@JSON
@pass_app
def case_supersede(app: App, record_id: str, file: Path, reason: str, no_pdf: bool, as_json: bool) -> Any:
    """Correct a record: FILE becomes a new record that supersedes RECORD_ID (nothing is edited)."""
    report = app.archive().supersede(record_id, file, reason=reason, pdf=not no_pdf, progress=progress_printer("outsafe"),
                                     notify=notify)
    return output(report, as_json)


@case.command("show")
@click.argument("record_id")
@click.option("--yaml", "as_yaml", is_flag=True, help="Print the record as a case file (YAML, 身份证号 masked), as the web's 下载 YAML gives it.")
@JSON
@pass_app
def case_show(app: App, record_id: str, as_yaml: bool, as_json: bool) -> Any:
    """Show one record: its data (身份证号 masked), files and history."""
    if as_yaml:
        from archive.forms.drafts import record_yaml  # lazy: see Start-up
        from archive.privacy import mask_text

        archive = app.archive()
        click.echo(mask_text(record_yaml(archive, archive.get_record_row(record_id), full=False)[1]), nl=False)
        return None
    return output(app.archive().record_sheet(record_id), as_json)


@case.command("list")
@click.option("--type", "types", multiple=True, metavar="TYPE", help="Record type (repeatable), e.g. work_ticket.")
@click.option("--ticket-type", metavar="KIND", help="Ticket kind, e.g. hot_work.")
@click.option("--contractor", metavar="USCC")
@click.option("--enterprise", metavar="USCC")
@click.option("--project", metavar="CODE")
@click.option("--since", metavar="YYYY-MM-DD", callback=iso_date)
@click.option("--until", metavar="YYYY-MM-DD", callback=iso_date)
@click.option("--all", "include_superseded", is_flag=True, help="Include superseded versions.")
@click.option("--registry", "include_registry", is_flag=True, help="Include organization/person/project records.")
@JSON
@pass_app
def case_list(app: App, types, ticket_type, contractor, enterprise, project, since, until, include_superseded, include_registry,
              as_json) -> Any:
    """List records, oldest first. A type, ticket kind or unit the archive does not know is an
    error (a mistyped one would list nothing, as if there were nothing)."""
    from schemas import TYPES  # lazy: see Start-up
    from schemas.tickets import TICKET_CLASSES

    unknown = [t for t in types if t not in TYPES]
    if unknown:
        raise click.BadParameter(f"没有这种记录类型 (no such record type): {', '.join(unknown)}；可用 (known): {', '.join(sorted(TYPES))}",
                                 param_hint="--type")
    if ticket_type is not None and ticket_type not in TICKET_CLASSES:
        raise click.BadParameter(f"没有这种作业票 (no such ticket kind): {ticket_type}；可用 (known): {', '.join(sorted(TICKET_CLASSES))}",
                                 param_hint="--ticket-type")
    enterprise, contractor = named_units(app, enterprise, contractor)
    since, until = (d.isoformat() if d else None for d in (since, until))
    rows = app.archive().records(
        types=list(types), ticket_type=ticket_type, contractor=contractor, enterprise=enterprise, project=project,
        since=since, until=until, include_superseded=include_superseded, include_registry=include_registry,
    )
    return output(rows, as_json)


@main.group()
def settings() -> None:
    """Show the archive's settings (numbers the law leaves open, with their sources)."""


@settings.command("show")
@JSON
@pass_app
def settings_show(app: App, as_json: bool) -> Any:
    """Every setting, its value, default and source."""
    return output(app.archive().settings_table(), as_json)


# --- keys, seals, ledger, verification -----------------------------------------------------------------


@main.group()
def keys() -> None:
    """The archive owner's signing key (Ed25519)."""


@keys.command("show")
@JSON
@pass_app
def keys_show(app: App, as_json: bool) -> Any:
    """Fingerprint and public key (PEM) of the archive owner's signing key."""
    return output(app.archive().key_info(), as_json)


@keys.command("export-public")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (default: stdout).")
@pass_app
def keys_export_public(app: App, out: Path | None) -> None:
    """Export the public key (PEM) for others to verify seals, checkpoints and packages."""
    from storage.home import output_folder, write_output  # lazy: see Start-up

    if out is not None:
        output_folder(out.parent, create=False)
    pem = app.archive().key_info().public_key
    if out is None:
        click.echo(pem, nl=False)
    else:
        write_output(out, pem.encode("ascii"), mode=0o644)
        click.echo(f"已写出公钥 (public key written): {out}", err=True)


@main.command()
@click.option("--record", "record_id", metavar="ID", help="Verify one record (its files, seal and inclusion proof).")
@click.option("--checkpoint", "checkpoints", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A checkpoint kept outside the archive; the ledger must be consistent with it (repeatable).")
@click.option("--lint", "lint", is_flag=True,
              help="Instead: judge every sealed record by today's schema and rules and list those they refuse (which rule, which field).")
@JSON
@pass_app
def verify(app: App, record_id: str | None, checkpoints: tuple[Path, ...], lint: bool, as_json: bool) -> Any:
    """Re-hash every file, check every seal and the ledger against its signed checkpoints.

    Exit 3 if anything was altered or lost; every failure names the record or ledger leaf.
    With --lint: today's validation rules over every sealed record; a record they refuse is listed
    (and reported by `outsafe check`) but stays as sealed — exit 0.
    """
    if lint:
        from archive.facts.lint import lint_archive  # lazy: see Start-up

        return output(lint_archive(app.archive(), progress=progress_printer("verify")), as_json)
    from archive.integrity.verify import verify_archive  # lazy: see Start-up

    return output(verify_archive(app.archive(), record_id=record_id, external=checkpoints, progress=progress_printer("verify")),
                  as_json)


@main.group()
def ledger() -> None:
    """The append-only Merkle ledger: checkpoints and proofs."""


@ledger.command("show")
@JSON
@pass_app
def ledger_show(app: App, as_json: bool) -> Any:
    """Tree size, root and the latest signed checkpoint."""
    from archive.integrity.proofs import ledger_state  # lazy: see Start-up

    return output(ledger_state(app.archive()), as_json)


@ledger.command("proof")
@click.argument("record_id")
@JSON
@pass_app
def ledger_proof(app: App, record_id: str, as_json: bool) -> Any:
    """Inclusion proof of a record's leaf against the latest signed checkpoint."""
    from archive.integrity.proofs import record_proof  # lazy: see Start-up

    return output(record_proof(app.archive(), record_id), as_json)


@ledger.command("consistency")
@click.argument("old_size", type=click.IntRange(min=1))
@click.argument("new_size", type=click.IntRange(min=1), required=False)
@JSON
@pass_app
def ledger_consistency(app: App, old_size: int, new_size: int | None, as_json: bool) -> Any:
    """Consistency proof between the tree of OLD_SIZE leaves and the tree of NEW_SIZE (default: now)."""
    from archive.integrity.proofs import consistency_proof  # lazy: see Start-up

    return output(consistency_proof(app.archive(), old_size, new_size), as_json)


@ledger.command("checkpoint")
@click.option("-o", "--output", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write checkpoint.txt, checkpoint.body, checkpoint.sig and owner.pub.pem into.")
@pass_app
def ledger_checkpoint(app: App, out: Path) -> None:
    """Export the latest signed checkpoint for safekeeping or openssl verification.

    Keep a copy outside the archive: `outsafe verify --checkpoint checkpoint.txt` later proves
    the history was not rewritten since.
    """
    from archive.integrity.export import export_checkpoint  # lazy: see Start-up

    for p in export_checkpoint(app.archive(), out):
        click.echo(str(p))


@main.group()
def seal() -> None:
    """Seals of individual records."""


@seal.command("export")
@click.argument("record_id")
@click.option("-o", "--output", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the seal statement, signature, public key and files into.")
@pass_app
def seal_export(app: App, record_id: str, out: Path) -> None:
    """Export one record's seal (seal.json + seal.sig), its files and the public key, with the
    openssl command that verifies it."""
    from archive.integrity.export import export_seal  # lazy: see Start-up

    for p in export_seal(app.archive(), record_id, out):
        click.echo(str(p))


# --- templates ---------------------------------------------------------------------------------------------


@main.group()
def templates() -> None:
    """Document templates (doc_templates/): list them, lint them against their schemas."""


@templates.command("list")
@click.option("--dir", "template_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="An override folder (an archive's templates/): show which templates it replaces.")
@JSON
def templates_list(template_dir: Path | None, as_json: bool) -> Any:
    """Every template: id, the record type it serves, version, and whether it is overridden."""
    from archive.documents.templates import template_table  # lazy: see Start-up

    return output(template_table(template_dir), as_json)


@templates.command("check")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@JSON
def templates_check(directory: Path | None, as_json: bool) -> Any:
    """Lint templates against their schemas: the packaged set, or the templates in DIRECTORY.

    Fails (exit 1, one line per problem) on a name or field the schema lacks, a loop variable's
    attribute the item type lacks, or a required field shown by no template for its type.
    """
    from archive.documents.lint import lint_templates  # lazy: see Start-up

    return output(lint_templates(directory), as_json)


# --- search, index, contractor dossier ----------------------------------------------------------------


def highlight(line: str) -> str:
    """« » around matches; bold on a terminal."""
    if not sys.stdout.isatty():
        return line
    out, rest = [], line
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
def search(app: App, query: tuple[str, ...], contractor, enterprise, type_, ticket_type, since, until, limit, include_superseded,
           as_json) -> Any:
    """Full-text search (Chinese words, names, 文书号) over the whole archive.

    \b
    Words are ANDed; also OR, NOT (or -word), (…), "exact phrase",
    field:value (type: ticket_type: grade: status: tag: name: doc_no: project:).
    A 身份证号 finds the records naming that person (looked up by keyed hash).
    Examples:  outsafe search 动火 --contractor 91370112MA3F7R1K8F
               outsafe search '受限空间 OR 有限空间' --since 2026-01-01
               outsafe search '"先通风、再检测、后作业"' -- -吊装
    """
    from archive.search.index import search as search_archive  # lazy: see Start-up

    results = search_archive(app.archive(), " ".join(query), contractor=contractor, enterprise=enterprise, type=type_,
                             ticket_type=ticket_type, since=since, until=until, limit=limit, include_superseded=include_superseded)
    return output(results, as_json, style=highlight)


@main.group("index")
def index_group() -> None:
    """The search index: a cache of the catalog, rebuilt from it at any time."""


@index_group.command("rebuild")
@click.option("--engine", type=click.Choice(["whoosh", "tantivy"]), help="Switch engine (recorded in the archive).")
@JSON
@pass_app
def index_rebuild(app: App, engine: str | None, as_json: bool) -> Any:
    """Rebuild the search index from the catalog (searches keep working meanwhile)."""
    from archive.search.index import rebuild_index  # lazy: see Start-up

    return output(rebuild_index(app.archive(), engine=engine, progress=progress_printer("outsafe index"), notify=notify), as_json)


@main.group("facts")
def facts_group() -> None:
    """The facts the checks, status, dossiers and reports read: derived from each sealed record,
    kept in the catalog; a cache, rebuilt from the sealed records at any time."""


@facts_group.command("rebuild")
@JSON
@pass_app
def facts_rebuild(app: App, as_json: bool) -> Any:
    """Derive every record's facts again from the sealed records (views keep working meanwhile)."""
    from archive.facts.index import rebuild_facts  # lazy: see Start-up

    return output(rebuild_facts(app.archive(), progress=progress_printer("outsafe facts")), as_json)


@main.group("views")
def views_group() -> None:
    """Views kept ready: the checks, dashboards and dossiers computed ahead and kept until a record
    they depend on arrives (a cache under the home's cache/views, deleted at no loss)."""


@views_group.command("prepare")
@AS_OF
@JSON
@pass_app
def views_prepare(app: App, as_of: date | None, as_json: bool) -> Any:
    """Compute ahead every view a user may open today — the whole check, the bureau's dashboard and
    rectification status; each enterprise's check and its account's pages; each contractor's check
    and dossier — so that each opens from its kept result. What is still true is read, not
    computed: run it from cron each night and after large imports (`outsafe serve` runs it by
    itself when the day turns and the catalog grows). One run at a time per home.

    First, records today's rules have not judged yet (after an upgrade that changed them) are
    judged, as `verify --lint` would: the views then list what the rules refuse."""
    from archive.campaign.prepare import prepare_views  # lazy: see Start-up

    return output(prepare_views(app.archive(), as_of, progress=progress_printer("outsafe")), as_json)


@index_group.command("check")
@JSON
@pass_app
def index_check(app: App, as_json: bool) -> Any:
    """Check that every catalog record is in the index and the index is readable (exit 3 if not)."""
    from archive.search.index import check_index  # lazy: see Start-up

    return output(check_index(app.archive()), as_json)


@main.group()
def contractor() -> None:
    """Contractors (承包单位) across every enterprise in the archive."""


@contractor.command("show")
@click.argument("uscc")
@AS_OF
@JSON
@pass_app
def contractor_show(app: App, uscc: str, as_of: date | None, as_json: bool) -> Any:
    """One contractor's dossier: records by type and date, licences and certificates with expiry,
    blacklist status, and what is missing (agreements, training, tickets)."""
    from archive.campaign.dossier import contractor_dossier  # lazy: see Start-up

    return output(contractor_dossier(app.archive(), uscc, as_of), as_json)


# --- packages: submissions and evidence ---------------------------------------------------------------


@main.group()
def package() -> None:
    """Submission packages (报送包): export, verify offline, import (the bureau)."""


@package.command("export")
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path),
              help="The package folder to create (or the .zip file with --zip); must not exist.")
@click.option("--since", callback=iso_date, metavar="YYYY-MM-DD", help="Records dated on or after this day.")
@click.option("--until", callback=iso_date, metavar="YYYY-MM-DD", help="Records dated on or before this day.")
@click.option("--zip", "as_zip", is_flag=True, help="Write one .zip file instead of a folder.")
@JSON
@pass_app
def package_export(app: App, out: Path, since: date | None, until: date | None, as_zip: bool, as_json: bool) -> Any:
    """A signed BagIt package of the period's records, their documents, seals and proofs, with
    核验说明.txt: anyone can verify it with bagit.py, sha256sum, openssl and python3 alone."""
    from archive.packages.export import export_package  # lazy: see Start-up

    return output(export_package(app.archive(), out, since=since, until=until, as_zip=as_zip, progress=progress_printer("export"),
                                 notify=notify), as_json)


@package.command("verify")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--bagit", "bagit_check", is_flag=True, help="Also run bagit-python's own validator (slower; an independent check).")
@JSON
def package_verify(path: Path, bagit_check: bool, as_json: bool) -> Any:
    """Verify a package (folder or .zip) completely: path safety, BagIt fixity, the tag-manifest
    signature, checkpoints, seals, inclusion proofs, file digests. Exit 3 naming what failed."""
    from archive.packages.verify import check_package  # lazy: see Start-up

    return output(check_package(path, progress=progress_printer("verify"), bagit_check=bagit_check), as_json)


@package.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@JSON
@pass_app
def package_import(app: App, path: Path, as_json: bool) -> Any:
    """Import a submission package (the bureau): verified completely first; refused (exit 3,
    archive unchanged) if anything fails, the signer's key is not registered here, or the sender's
    history was rewritten. Importing the same package again changes nothing."""
    from archive.packages.importer import import_package  # lazy: see Start-up

    return output(import_package(app.archive(), path, progress=progress_printer("import"), notify=notify), as_json)


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
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path), help="The package to create; must not exist.")
@click.option("--zip", "as_zip", is_flag=True, help="Write one .zip file instead of a folder.")
@JSON
@pass_app
def evidence_export(app: App, case_no: str, party: str | None, record_ids: tuple[str, ...], officers: tuple[str, ...],
                    until: date | None, out: Path, as_zip: bool, as_json: bool) -> Any:
    """The evidence package of a penalty case: its documents in 案卷 order and every record they
    cite (refused while any is missing), 证据清单, 电子数据提取笔录 (DOCX, PDF) and 证据材料汇编.pdf
    (bookmarks, every page stamped 证据N 第i页 / 共M页, cover with the case number and digest)."""
    from archive.packages.evidence import export_evidence  # lazy: see Start-up

    result = export_evidence(app.archive(), out, case_no=case_no, party=party, record_ids=record_ids, officers=officers,
                             until=until, as_zip=as_zip, progress=progress_printer("evidence"), notify=notify)
    return output(result, as_json)


# --- the campaign: 五查 checks, rectification, blacklists, reports, Excel rosters -----------------------


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
          fail_on: str | None, as_of: date | None, as_json: bool) -> Any:
    """Run the campaign's checks: 发包单位五查 E1–E5, 承包单位五查 C1–C5, and the 令第10号
    major-hazard items 3-1/3-2/3-3 and CS-1/CS-2, on the archive's own records.

    Every rule is reported — 通过 pass / 提示 warn / 不通过 fail / 不适用 not applicable — with
    findings that cite the records proving them and name the records that are missing. --as-of
    judges certificates, deadlines and periods as on that day (records dated later are not seen),
    so a run is reproducible. The exit code is 0 whatever is found, unless --fail-on.
    """
    from archive.checks.rules import RULES_BY_ID, check_archive, rule_list  # lazy: see Start-up

    if list_rules:
        return output(rule_list(), as_json)
    unknown = [r for r in rule_ids if r not in RULES_BY_ID]
    if unknown:
        raise click.BadParameter(f"unknown rule {', '.join(unknown)}; see `outsafe check --rules`", param_hint="--rule")
    enterprise, contractor = named_units(app, enterprise, contractor)
    return output(check_archive(app.archive(), as_of=as_of, enterprise=enterprise, contractor=contractor, rule_ids=rule_ids,
                                fail_on=fail_on, progress=progress_printer("五查")), as_json)


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
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The case file to write (.yaml).")
@AS_OF
@JSON
@pass_app
def rectify_draft(app: App, enterprise, contractor, issued_on, inspected_on, include_warnings, bureau, inspectors, out, as_of,
                  as_json) -> Any:
    """Turn the current findings into a 责令限期整改指令书 case file: the next 文书号 of the year,
    numbered items with basis and deadlines (settings rectify_days*). Review it, then `case add`."""
    from archive.campaign.rectify import order_draft  # lazy: see Start-up

    enterprise, contractor = named_units(app, enterprise, contractor)
    draft = order_draft(app.archive(), out, as_of=as_of, enterprise=enterprise, contractor=contractor, issued_on=issued_on,
                        inspected_on=inspected_on, include_warnings=include_warnings, bureau=bureau, inspectors=inspectors)
    return output(draft, as_json)


@rectify.command("review-draft")
@click.argument("order_doc_no")
@click.option("--reviewed-on", callback=iso_date, metavar="YYYY-MM-DD", help="复查日期 (default: today).")
@click.option("--inspector", "inspectors", multiple=True, metavar="NAME", help="执法人员 (repeatable).")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@JSON
@pass_app
def rectify_review_draft(app: App, order_doc_no: str, reviewed_on: date | None, inspectors, out: Path, as_json: bool) -> Any:
    """An 整改复查意见书 case file for the archived order ORDER_DOC_NO: one line per item, to be
    marked 已整改 / 部分整改 / 未整改 after the re-inspection. Items marked 已整改 are closed."""
    from archive.campaign.rectify import review_draft  # lazy: see Start-up

    return output(review_draft(app.archive(), out, order_doc_no, reviewed_on=reviewed_on, inspectors=inspectors), as_json)


@rectify.command("status")
@click.option("--enterprise", metavar="USCC")
@click.option("--contractor", metavar="USCC")
@AS_OF
@JSON
@pass_app
def rectify_status(app: App, enterprise: str | None, contractor: str | None, as_of: date | None, as_json: bool) -> Any:
    """Open, overdue and closed items per enterprise and contractor: 责令整改 items (closed by
    整改复查意见书), 事故隐患, and the enterprise's own inspections of contractors with deadlines."""
    from archive.campaign.rectify import rectification_report  # lazy: see Start-up

    enterprise, contractor = named_units(app, enterprise, contractor)
    return output(rectification_report(app.archive(), as_of=as_of, enterprise=enterprise, contractor=contractor), as_json)


@rectify.command("articles")
@JSON
def rectify_articles(as_json: bool) -> Any:
    """The penalty provisions penalty-draft knows (安全生产法 2021) and their fine ranges."""
    from archive.campaign.rectify import penalty_articles  # lazy: see Start-up

    return output(penalty_articles(), as_json)


def yuan(value: str | None, option: str) -> Decimal | None:
    if value is None:
        return None
    try:
        d = Decimal(value.replace(",", "").strip())
    except InvalidOperation:
        raise click.BadParameter(f"not an amount: {value!r}", param_hint=option) from None
    if not d.is_finite() or d < 0:
        raise click.BadParameter(f"not an amount: {value!r}", param_hint=option)
    return d


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
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@JSON
@pass_app
def rectify_penalty_draft(app: App, case_no, stage, article, party, person, facts, facts_file, evidence_items, violated, correct_by,
                          correction, amount, upper_limit, gains, other_penalties, contractor, project, contact, statement, day,
                          out, as_json) -> Any:
    """Draft the 行政处罚告知书 (应急罚告) or, after it is archived and the statement period has
    passed, the 行政处罚决定书 (应急罚) of case --case-no: numbered, linked to the evidence package
    by its case number, the fine checked against the article's range (安全生产法 2021)."""
    from archive.campaign.rectify import penalty_draft  # lazy: see Start-up

    money, gain = yuan(amount, "--amount"), yuan(gains, "--gains")
    if stage == "decision":
        fields: dict[str, Any] = {"statement_summary": statement, "amount": money}
    else:
        if not article or not party:
            raise click.UsageError("--article and --party are required for a notice")
        text = facts_file.read_text(encoding="utf-8").strip() if facts_file else facts
        if not text:
            raise click.UsageError("give the facts with --facts or --facts-file")
        if not evidence_items:
            raise click.UsageError("give the main evidence with --evidence (repeatable)")
        fields = {"article": article, "party": party, "facts": text, "evidence": evidence_items, "violated": violated, "amount": money,
                  "upper_limit": upper_limit, "gains": gain, "person": person, "other_penalties": other_penalties,
                  "contractor": contractor, "project": project, "contact": contact,
                  "correct_by": correct_by, "correction": correction}
    return output(penalty_draft(app.archive(), out, stage=stage, case_no=case_no, day=day, **fields), as_json)


@main.group()
def blacklist() -> None:
    """Blacklists: the enterprise's contractor list and the statutory list (应急管理部令第11号)."""


@blacklist.command("list")
@click.option("--all", "include_inactive", is_flag=True, help="Also expired, removed and not-yet-started listings.")
@click.option("--subject", metavar="USCC", help="Only listings of this unit.")
@AS_OF
@JSON
@pass_app
def blacklist_list(app: App, include_inactive: bool, subject: str | None, as_of: date | None, as_json: bool) -> Any:
    """Who is on which list on the day (--as-of): period, state, early removal from."""
    from archive.campaign.blacklist import listings  # lazy: see Start-up

    return output(listings(app.archive(), as_of=as_of, include_inactive=include_inactive, subject=subject), as_json)


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
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The case file to write (.yaml).")
@click.option("--no-add", is_flag=True, help="Only write the case file; do not archive it.")
@JSON
@pass_app
def blacklist_add(app: App, subject, list_kind, trigger, situation, facts, evidence_items, penalty_decision, decided_on, start,
                  published_on, listed_by, entry_no, out, no_add, as_json) -> Any:
    """List a contractor: writes the blacklist_entry case file and archives it (sealed, like every
    record). From then on the contractor gets no new contract, agreement or ticket (statutory
    list: from anyone) until the listing is removed or its period ends."""
    from archive.campaign.blacklist import list_unit  # lazy: see Start-up

    result = list_unit(app.archive(), out, decided_on=decided_on, add=not no_add, progress=progress_printer("outsafe"), notify=notify,
                       list_kind=list_kind, subject=subject, facts=facts, trigger=trigger, situation=situation,
                       evidence=evidence_items, penalty_decision_no=penalty_decision, start=start, published_on=published_on,
                       listed_by=listed_by, entry_no=entry_no)
    return output(result, as_json)


@blacklist.command("remove")
@click.argument("entry_no")
@click.option("--kind", type=click.Choice(["提前移出", "期满移出", "撤销列入"]), required=True, help="How the listing ends.")
@click.option("--reason", required=True, metavar="TEXT", help="移出理由.")
@click.option("--applied-on", callback=iso_date, metavar="YYYY-MM-DD", help="申请日期 (early removal: required on the statutory list).")
@click.option("--decided-on", callback=iso_date, metavar="YYYY-MM-DD", help="移出决定日期 (default: today).")
@click.option("--no", "removal_no", metavar="NO", help="移出编号 (default: the next number).")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-add", is_flag=True, help="Only write the case file; do not archive it.")
@JSON
@pass_app
def blacklist_remove(app: App, entry_no, kind, reason, applied_on, decided_on, removal_no, out, no_add, as_json) -> Any:
    """Remove listing ENTRY_NO: early removal (statutory: applied for after 12 months), at the end
    of the period, or revoked. Writes the blacklist_removal case file and archives it."""
    from archive.campaign.blacklist import unlist_unit  # lazy: see Start-up

    result = unlist_unit(app.archive(), out, decided_on=decided_on, add=not no_add, progress=progress_printer("outsafe"),
                         notify=notify, entry_no=entry_no, kind=kind, reason=reason, applied_on=applied_on, removal_no=removal_no)
    return output(result, as_json)


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
           doc_no: str | None, signer: str | None, as_of: date | None, as_json: bool) -> Any:
    """A campaign report from the archive's data, in GB/T 9704 layout (DOCX, PDF) and tables as .xlsx:

    \b
    attachment2  附件2 外包作业情况表 (enterprise, due 4-30)
    self-check   整治自查报告 (enterprise, due 6-10; from the checks and rectification status)
    ledger       外包作业队伍监管台账 (bureau, every imported enterprise)
    summary      工作总结报告 (due 10-20; the campaign's figures)
    """
    from archive.campaign.reports import produce  # lazy: see Start-up

    return output(produce(app.archive(), kind, out_dir, as_of=as_of, enterprise=enterprise, issued_on=issued_on, pdf=not no_pdf,
                          add=add_it, notify=notify, doc_no=doc_no, signer=signer), as_json)


@main.group()
def campaign() -> None:
    """The campaign's calendar: stages, deadlines, who has handed in what."""


@campaign.command("status")
@AS_OF
@JSON
@pass_app
def campaign_status_cmd(app: App, as_of: date | None, as_json: bool) -> Any:
    """The plan's stages and deadlines (year: settings campaign_year) on the day, each
    enterprise's 附件2 / 自查报告 / 总结报告 (submitted, produced, missing), what is overdue, and
    the rectification figures."""
    from archive.campaign.calendar import campaign_status_report  # lazy: see Start-up

    return output(campaign_status_report(app.archive(), as_of=as_of), as_json)


@main.group("import")
def import_group() -> None:
    """Excel rosters: a template to fill in, and validated all-or-nothing import."""


@import_group.command("template")
@click.argument("kind", type=click.Choice(["contractors", "persons", "projects"]))
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The .xlsx to write.")
def import_template(kind: str, out: Path) -> None:
    """Write a workbook to fill in: Chinese headers from the schema (* = required), an example
    row, drop-down lists for every choice, a 填写说明 sheet."""
    from archive.campaign.rosters import write_template  # lazy: see Start-up

    click.echo(str(write_template(kind, out)))


@import_group.command("xlsx")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", required=True, type=click.Choice(["contractors", "persons", "projects"]))
@click.option("--skip-bad-rows", is_flag=True, help="Import the good rows and report the skipped ones (default: all or nothing).")
@click.option("--check", "check_only", is_flag=True, help="Validate only; import nothing.")
@JSON
@pass_app
def import_xlsx_cmd(app: App, file: Path, kind: str, skip_bad_rows: bool, check_only: bool, as_json: bool) -> Any:
    """Validate every row with the same schemas as case files and import them through the registry.

    Each problem names the sheet, the row, the column (letter and header) and what is wrong. If
    any row is wrong nothing is imported (exit 1), unless --skip-bad-rows.
    """
    from archive.campaign.rosters import import_xlsx  # lazy: see Start-up

    return output(import_xlsx(app.archive(), file, kind, skip_bad_rows=skip_bad_rows, check_only=check_only), as_json)


# --- migrate ---------------------------------------------------------------------------------------------


@main.command("migrate")
@click.option("--to", "to", required=True, metavar="URL",
              help="Where the catalog goes: an empty PostgreSQL database (postgresql://…), or sqlite (the home's catalog.sqlite3).")
@click.option("--blobs", "blobs_to", metavar="URL",
              help="Where the files go: s3://bucket/prefix, files (the home's blobs/) or a folder (default: they stay).")
@JSON
@pass_app
def migrate_cmd(app: App, to: str, blobs_to: str | None, as_json: bool) -> Any:
    """Copy the archive to another catalog and blob store (SQLite/files ⇄ PostgreSQL/S3), verify
    both sides (same ledger root) and switch the home to the copy.

    The catalog is copied in one transaction, verified before it commits (all or nothing); blobs
    already in the target are skipped, so an interrupted run can simply be repeated.
    """
    from archive.app import migrate_archive  # lazy: see Start-up

    return output(migrate_archive(app.home, to, blobs_to, passphrase=ask_passphrase, progress=progress_printer("outsafe migrate"),
                               notify=notify), as_json)


# --- the web front end: accounts, the access log, the server ------------------------------------------------


ROLE_NAMES = ["enterprise_admin", "enterprise_officer", "enterprise_viewer", "bureau_admin", "bureau_officer"]
PASSWORD_STDIN = click.option("--password-stdin", is_flag=True,
                              help="Read the password from the first line of stdin (default: generate one and show it once).")


def read_password(from_stdin: bool) -> str | None:
    return sys.stdin.readline().rstrip("\r\n") if from_stdin else None


@main.group()
def exam() -> None:
    """三级安全教育考试: question banks, and the results of the exams taken in the browser."""


@exam.group("bank")
def exam_bank() -> None:
    """Question banks (one YAML file per level: 公司级, 车间级, 班组级)."""


@exam_bank.command("check")
@FILES
@JSON
@pass_app
def exam_bank_check_cmd(app: App, files: tuple[Path, ...], as_json: bool) -> Any:
    """Validate bank files (every problem of every file); nothing is installed."""
    from archive.training.bank import check_banks  # lazy: see Start-up

    return output(check_banks(app.archive(), files), as_json)


@exam_bank.command("add")
@FILES
@JSON
@pass_app
def exam_bank_add_cmd(app: App, files: tuple[Path, ...], as_json: bool) -> Any:
    """Install bank files (all or nothing); each becomes its level's current bank."""
    from archive.training.bank import add_banks  # lazy: see Start-up

    return output(add_banks(app.archive(), files, by=os.environ.get("USER")), as_json)


@exam_bank.command("list")
@JSON
@pass_app
def exam_bank_list_cmd(app: App, as_json: bool) -> Any:
    """Installed banks, oldest first; the current bank of each level marked."""
    from archive.training.bank import list_banks  # lazy: see Start-up

    return output(list_banks(app.archive()), as_json)


@exam.command("results")
@click.option("--level", type=click.Choice(["公司级", "车间级", "班组级"]), help="Only this level.")
@click.option("--status", type=click.Choice(["assigned", "open", "submitted", "timed_out", "cancelled"]), help="Only this state.")
@click.option("--limit", type=click.IntRange(1, 100000), default=200, show_default=True)
@JSON
@pass_app
def exam_results_cmd(app: App, level: str | None, status: str | None, limit: int, as_json: bool) -> Any:
    """Exams taken (newest first): worker, level, score, pass, signed, written into a card."""
    from archive.training.exam import results  # lazy: see Start-up

    return output(results(app.archive(), level=level, status=status, limit=limit), as_json)


@main.command()
@AS_OF
@click.option("--days", type=click.IntRange(0, 3650), help="Items coming due within this many days (default: settings remind_days).")
@click.option("--send", is_flag=True, help="E-mail the digest to the recipients in outsafe.toml ([smtp], [[remind.recipients]]).")
@JSON
@pass_app
def remind(app: App, as_of: date | None, days: int | None, send: bool, as_json: bool) -> Any:
    """Reminders: certificates, licences, agreement periods and 整改 deadlines coming due, and the
    campaign's dates (4-30, 6-10, 10-20). Without --send the digest is printed; with it, each
    recipient gets the items not yet sent to them today (one e-mail each)."""
    from archive.campaign.remind import remind_digest, send_digest  # lazy: see Start-up

    archive = app.archive()
    if send:
        return output(send_digest(archive, as_of=as_of, days=days), as_json)
    return output(remind_digest(archive, as_of=as_of, days=days), as_json)


@main.group()
def user() -> None:
    """Web accounts for `outsafe serve`: roles, organizations, passwords (Argon2id)."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLE_NAMES), help="What the account may see and do.")
@click.option("--org", metavar="USCC", help="The account's organization (required for enterprise roles; bureau: the owner).")
@click.option("--person", metavar="身份证号", help="The registered person the account belongs to (see `user link`).")
@PASSWORD_STDIN
@JSON
@pass_app
def user_add(app: App, name: str, role: str, org: str | None, person: str | None, password_stdin: bool, as_json: bool) -> Any:
    """Create the web account NAME. Without --password-stdin a password is generated and shown once.

    \b
    enterprise_admin    企业管理员: read its enterprise's records, export submissions, read the access log
    enterprise_officer  企业安全员: read its enterprise's records, export submissions
    enterprise_viewer   企业查阅人员: read its enterprise's records
    bureau_admin        应急管理局管理员: read everything, import, evidence packages, the access log
    bureau_officer      应急管理局执法人员: read everything, import, evidence packages
    """
    from archive.access.accounts import add_user  # lazy: see Start-up

    return output(add_user(app.archive(), name, role, org=org, password=read_password(password_stdin), person=person), as_json)


@user.command("link")
@click.argument("name")
@click.option("--person", metavar="身份证号", help="The 身份证号 of the registered person of the account's organization.")
@click.option("--none", "unlink", is_flag=True, help="The account belongs to no person any more.")
@JSON
@pass_app
def user_link(app: App, name: str, person: str | None, unlink: bool, as_json: bool) -> Any:
    """Say which registered person the account NAME belongs to. Signed in with it, he signs the
    steps of a 作业票 that are his as himself ("我本人"), identified by the account instead of his
    date of birth; steps of other people are still signed by them, with their dates of birth."""
    from archive.access.accounts import link_person  # lazy: see Start-up

    if (person is None) == (not unlink):
        raise click.UsageError("give --person 身份证号 or --none")
    return output(link_person(app.archive(), name, None if unlink else person), as_json)


@user.command("list")
@JSON
@pass_app
def user_list(app: App, as_json: bool) -> Any:
    """List the web accounts (never a password or hash)."""
    from archive.access.accounts import list_users  # lazy: see Start-up

    return output(list_users(app.archive()), as_json)


@user.command("passwd")
@click.argument("name")
@PASSWORD_STDIN
@JSON
@pass_app
def user_passwd(app: App, name: str, password_stdin: bool, as_json: bool) -> Any:
    """Set a new password for NAME (generated and shown once, or from stdin); its sessions end."""
    from archive.access.accounts import set_password  # lazy: see Start-up

    return output(set_password(app.archive(), name, read_password(password_stdin)), as_json)


@user.command("disable")
@click.argument("name")
@JSON
@pass_app
def user_disable(app: App, name: str, as_json: bool) -> Any:
    """Disable NAME: it can no longer sign in, and its open sessions end at once."""
    from archive.access.accounts import set_disabled  # lazy: see Start-up

    return output(set_disabled(app.archive(), name, True), as_json)


@user.command("enable")
@click.argument("name")
@JSON
@pass_app
def user_enable(app: App, name: str, as_json: bool) -> Any:
    """Enable a disabled account again."""
    from archive.access.accounts import set_disabled  # lazy: see Start-up

    return output(set_disabled(app.archive(), name, False), as_json)


@main.group()
def audit() -> None:
    """The access log: sign-ins, record views, downloads, exports, imports (append-only, hash-chained)."""


@audit.command("list")
@click.option("--user", "account", metavar="NAME", help="Only this account's entries.")
@click.option("--action", metavar="ACTION", help="Only this kind of entry (login, record_view, export, ticket_step, exam_signed …; "
                                                  "a wrong one lists them all).")
@click.option("--since", callback=iso_date, metavar="YYYY-MM-DD", help="Entries on or after this day (China time).")
@click.option("--until", callback=iso_date, metavar="YYYY-MM-DD", help="Entries on or before this day.")
@click.option("--limit", type=click.IntRange(1, 100000), default=100, show_default=True)
@JSON
@pass_app
def audit_list_cmd(app: App, account: str | None, action: str | None, since: date | None, until: date | None, limit: int,
                   as_json: bool) -> Any:
    """Entries of the access log, newest first (who, what, when, from where)."""
    from archive.access.audit import ACTIONS, audit_list  # lazy: see Start-up

    if action is not None and action not in ACTIONS:
        raise click.BadParameter(f"{action!r} is not one of: {', '.join(sorted(ACTIONS))}", param_hint="--action")
    return output(audit_list(app.archive(), account=account, action=action, since=since, until=until, limit=limit), as_json)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port (0: any free port).")
@click.option("--workers", type=click.IntRange(1, 16), default=1, show_default=True,
              help="Server processes sharing the port: one per CPU core answers more people at once (a search while "
                   "another officer's dashboard is computed).")
@pass_app
def serve(app: App, host: str, port: int, workers: int) -> None:
    """Serve the archive in a browser: http://HOST:PORT/ (accounts: `outsafe user add`).

    Sign in with a web account; every sign-in, record view, download, export and import goes to
    the access log. Ctrl-C stops the server. The signing key's passphrase ($OUTSAFE_PASSPHRASE or
    a prompt) is asked once at start: exports and the access log's anchors are signed with it.
    With --workers N, N processes answer requests (each keeps its own caches; any of them can
    answer any request, a background job's progress and download included).
    """
    from web.server import run  # lazy: see Start-up

    archive = app.archive()  # a clear error now when there is no archive here
    passphrase = None if archive.key_insecure else ask_passphrase(False)
    home = archive.home.root
    app.close()
    run(home, host=host, port=port, passphrase=passphrase, notify=notify, workers=workers)


# --- demo ------------------------------------------------------------------------------------------------


@main.command()
@click.option("--home", "demo_home", type=click.Path(file_okay=False, path_type=Path),
              help="The (new, empty) folder for the demo (default: the global --home, else a temporary one).")
@click.pass_context
def demo(ctx: click.Context, demo_home: Path | None) -> None:
    """Run the whole story on the sample data in examples/: an enterprise archive, its submission
    package, the bureau importing and searching it, a rectification order and review, an evidence
    package, verification everywhere. Uses --home as the (new, empty) folder, else a temporary one."""
    from archive import demo as story  # lazy: see Start-up

    app: App = ctx.obj

    def execute(step) -> tuple[int, float]:
        click.echo(click.style("$ outsafe " + " ".join(shlex.quote(a) for a in step.argv), fg="cyan", bold=True))
        t0 = time.perf_counter()
        stdin = sys.stdin
        if step.input is not None:
            sys.stdin = io.StringIO(step.input)
        try:
            code = main.main(args=step.argv, prog_name="outsafe", standalone_mode=False)
        finally:
            sys.stdin = stdin
        click.echo("")
        return (0 if code is None else int(code)), time.perf_counter() - t0

    def show(step) -> None:
        if isinstance(step, story.Part):
            click.echo(click.style(f"\n=== {step.title} ===\n", fg="green", bold=True))
        else:
            click.echo(click.style(step.text + "\n", fg="yellow"))

    t = time.perf_counter()
    res = story.run(story.prepare(demo_home or app.home), execute, show)
    click.echo(click.style("\n=== 完成 Done ===", fg="green", bold=True))
    click.echo(f"{len(res.steps)} 条命令，用时 {time.perf_counter() - t:.0f} 秒 (commands run, seconds)")
    for label, path in res.outputs.items():
        click.echo(f"  {label}: {path}")
    click.echo("")
    for line in res.browser_lines():
        click.echo(line)


if __name__ == "__main__":  # pragma: no cover
    main()
