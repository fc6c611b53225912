"""The lint: what today's rules say of sealed records (``outsafe verify --lint``).

A record is validated when it comes in and sealed as it was; rules change afterwards (a 文书号
format tightened, a field made required). Sealed records still load (:mod:`schemas.sealed`), and
the lint runs today's schema and rules over each one's sealed data, as of the day it was sealed,
and keeps what they refuse — which rule, which field — in the facts (``FactStore.put_lint``).
``outsafe check`` reports those records as warnings; nothing is ever refused or changed.

Lint results carry the :func:`fingerprint` of the rules that made them (a digest of the schemas'
source and of the settings they judge by): records judged by other rules — an upgrade, or an edit of
``outsafe.toml`` that changed a number the rules use — or never, are *stale* until judged again.
Records the program itself validated (``case add``) are recorded as accepted when stored; imported
ones are judged at import. After an upgrade that changes the rules, :func:`relint_stale` judges the
stale records only (``outsafe views prepare`` runs it first, and ``outsafe serve`` runs that in a
process of its own: an archive's officers need not run ``verify --lint`` themselves).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from archive.clock import local_day
from schemas import load
from schemas.base import RuleContext
from schemas.sealed import sources_digest
from storage.rows import LintRow


# Settings no schema or rule reads (the web, the PDF pool, packages' limits, the views' workers …):
# changing them leaves every verdict true. Every other setting is a number the rules judge by — a
# ticket's validity, the training hours, a region's 文书号 — and is in the fingerprint, so that a
# changed number is a re-lint (tests/test_relint.py checks that no schema names one of these).
OPERATIONAL = frozenset({
    "exam_questions_company", "exam_questions_workshop", "exam_questions_team", "exam_minutes", "report_doc_code",
    "web_base_url", "web_trusted_proxies", "mask_id_in_documents", "pdf_workers", "pdf_recycle_every", "pdf_timeout_seconds",
    "check_workers", "check_parallel_records", "package_max_bytes", "package_max_member_bytes", "package_max_members",
    "package_max_ratio", "web_session_idle_minutes", "web_session_hours", "login_max_failures_per_user",
    "login_max_failures_per_address", "login_window_minutes", "access_log_anchor_minutes", "index_follow_seconds",
    "views_prepare_seconds", "views_keep_days", "ticket_identify_max_failures", "ticket_identify_window_minutes",
    "ticket_step_max_bytes", "ticket_step_max_photos", "ticket_signature_max_bytes", "remind_days", "campaign_year",
})


@lru_cache(maxsize=16)
def fingerprint(settings: Any) -> str:
    """The rules the lint applies: a digest of the schemas' source (read once per process) and of
    the values of the settings they judge by (every setting but the :data:`OPERATIONAL` ones). A
    verdict made under another fingerprint is stale: after an upgrade that changed a schema, or an
    edit of ``outsafe.toml`` that changed a number the rules use."""
    values = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings) if f.name not in OPERATIONAL} \
        if dataclasses.is_dataclass(settings) else {}
    judged_by = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256((sources_digest() + "\0" + judged_by).encode()).hexdigest()[:16]


def lint_problems(row: dict, settings: Any) -> list[dict]:
    """What today's schema and rules refuse in the sealed record ``row`` (judged as on the day it
    was sealed; rules that consult other records are not run: the record keeps its sealed
    references). [] when they accept it."""
    try:
        data = json.loads(row["data"])
    except (TypeError, ValueError):
        return [{"path": "", "message": "记录数据不是有效的 JSON (the sealed data is not valid JSON)", "source": ""}]
    if not isinstance(data, dict):
        return [{"path": "", "message": "记录数据不是对象 (the sealed data is not a mapping)", "source": ""}]
    day = local_day(row.get("created_at"))
    ctx = RuleContext(settings, day or date.max, None)
    try:
        result = load({**data, "type": row["type"]}, ctx)
    except Exception as e:  # noqa: BLE001 - a rule that raises on old data: that record's verdict, not the end of every re-lint
        return [{"path": "", "message": f"现行校验规则无法判断这条记录 (today's rules raised {type(e).__name__} on it)", "source": ""}]
    return [{"path": p.path, "message": p.message, "source": p.source} for p in result.problems if p.severity == "error"]


def lint_row(row: dict, settings: Any) -> LintRow:
    problems = lint_problems(row, settings)
    return LintRow(record_id=row.get("id") or row["record_id"], fingerprint=fingerprint(settings),
                   problems=json.dumps(problems, ensure_ascii=False) if problems else None)


def accepted(record_id: str, settings: Any) -> LintRow:
    """The lint of a record this program validated, under ``settings``, as it stored it."""
    return LintRow(record_id=record_id, fingerprint=fingerprint(settings), problems=None)


@dataclass
class LintReport:
    """``outsafe verify --lint``: every record today's rules refuse, with the rule and field."""

    checked: int
    refused: list[dict] = field(default_factory=list)  # {"id", "title", "type", "problems": [...]}
    fingerprint: str = ""  # of the rules that judged them

    @property
    def exit_code(self) -> int:
        return 0  # a sealed record stays valid evidence; the lint informs

    def as_dict(self) -> dict:
        return {"checked": self.checked, "refused": self.refused, "fingerprint": self.fingerprint}

    def as_text(self) -> list[str]:
        out = [f"按现行校验规则检查 {self.checked} 条已封存记录 (linted {self.checked} sealed records against today's rules)："
               + (f"{len(self.refused)} 条不符合现行规则，按原样保存 ({len(self.refused)} refused by today's rules, kept as sealed)"
                  if self.refused else "全部符合 (all accepted)")]
        for r in self.refused:
            out.append(f"  {r['id']}  {r['title']}")
            for p in r["problems"]:
                where = p["path"] or "（整条记录）"
                out.append(f"      {where}: {p['message']}" + (f" [{p['source']}]" if p.get("source") else ""))
        return out


LINT_RUN = "lint_run"  # the facts' state naming the lint's last run: what every kept view of the lint is true for


def last_run(catalog: Any) -> str:
    """The lint's last run (``""``: none yet): the kept checks' keys, the server's in-memory views
    and its preparer compare it, since a lint changes what the checks say without a new record."""
    return catalog.facts.get_state(LINT_RUN) or ""


def lint_run_mark(archive: Any) -> str:
    """The facts' ``lint_run`` after a lint: when, and a nonce (two runs in one second, or under a
    stopped clock, still differ: the kept views' keys include it)."""
    return f"{archive.clock.stamp()} {secrets.token_hex(4)}"


PENDING = "lint_pending"  # the facts' state while a re-lint of stale records is under way (its fingerprint; "" after)
LEASE = "lint_lease"  # "<token> <expiry, epoch seconds>" while a run judges; "" when none does
LEASE_SECONDS = 300  # a run renews its lease with each batch (about a second); one killed leaves it to expire


@dataclass
class Relinted:
    """What :func:`relint_stale` did: records judged again, how many of them today's rules refuse;
    ``busy``: another process (or node on the same catalog) was judging them, so this one did not."""

    checked: int = 0
    refused: int = 0
    busy: bool = False
    lease: str = field(default="", repr=False, compare=False)  # the run's lease as last claimed or renewed (released when it stops)

    def as_dict(self) -> dict:
        return {"checked": self.checked, "refused": self.refused, "busy": self.busy}


def _lease(archive: Any, token: str) -> str:
    return f"{token} {archive.clock.now().timestamp() + LEASE_SECONDS:.0f}"


def _take_lease(archive: Any, token: str) -> str | None:
    """Claim the re-lint's lease in the catalog (free, released or expired); the lease, or None when
    another run holds it. In the catalog, not a file: servers on one PostgreSQL catalog each have a
    home of their own, and one of them judges the records for all."""
    facts = archive.catalog.facts
    with archive.catalog.transaction():
        current = facts.get_state(LEASE)
        if current:
            try:
                expires = float(current.split()[1])
            except (IndexError, ValueError):
                expires = 0.0
            if expires > archive.clock.now().timestamp():
                return None
        mine = _lease(archive, token)
        return mine if facts.claim_state(LEASE, current, mine) else None


def relint_stale(archive: Any, progress: Any = None, batch: int = 500) -> Relinted:
    """Judge by today's rules the records that have no verdict under them (after an upgrade that
    changed the rules, or a catch-up too large to lint): ``batch`` records per transaction, so that a
    run stopped at any moment keeps what it judged and the next run goes on from there.

    The kept views summarise the lint (archive.checks.stream ``_check_key`` includes ``lint_run``),
    so ``lint_run`` is moved on when the run ends — in the transaction of its last verdicts, a batch
    smaller than ``batch`` (when the last stale records filled a whole batch, the next, empty one). A
    run stopped after the batch that held the last stale records but before that (``lint_pending``
    still set) is ended by the next run, which finds nothing stale. Nothing stale and nothing
    pending: one count, nothing written.

    One run at a time per catalog: a lease in the facts' state (:data:`LEASE`), renewed in each
    batch's transaction; a run that finds it held leaves at once (``busy``); a lease left by a
    killed run expires after :data:`LEASE_SECONDS`."""
    catalog = archive.catalog
    facts = catalog.facts
    current = fingerprint(archive.settings)
    total = facts.lint_stale(current)
    done = Relinted()
    if total == 0 and not facts.get_state(PENDING):
        return done
    token = secrets.token_hex(8)
    lease = _take_lease(archive, token)
    if lease is None:
        done.busy = True
        return done
    done.lease = lease
    try:
        return _relint(archive, current, total, token, batch, progress, done)
    except BaseException:
        try:  # stopped by an error or an interrupt: the next run need not wait for the lease to expire
            with catalog.transaction():
                facts.claim_state(LEASE, done.lease, "")
        except Exception:  # noqa: BLE001 - the first error is the one to report; the lease then expires
            pass
        raise


def _relint(archive: Any, current: str, total: int, token: str, batch: int, progress: Any, done: Relinted) -> Relinted:
    catalog = archive.catalog
    facts = catalog.facts
    with catalog.transaction():
        facts.set_state(PENDING, current)
    after = 0
    while True:
        rows = facts.lint_stale_records(current, after=after, limit=batch)
        results = [lint_row(r, archive.settings) for r in rows]
        last = len(rows) < batch
        with catalog.transaction():
            renewed = "" if last else _lease(archive, token)
            if not facts.claim_state(LEASE, done.lease, renewed):  # held past its expiry and taken: the other run goes on
                done.busy = True
                return done
            done.lease = renewed
            if results:
                facts.put_lint(results)
            if last:
                facts.set_state(LINT_RUN, lint_run_mark(archive))  # the views kept before are stale
                facts.set_state(PENDING, "")
        done.checked += len(rows)
        done.refused += sum(1 for r in results if r["problems"])
        if progress and rows:
            progress("lint", done.checked, max(total, done.checked))
        if last:
            return done
        after = rows[-1]["seq"]


def lint_archive(archive: Any, progress: Any = None, batch: int = 1000) -> LintReport:
    """Judge every sealed record by today's rules, keep the results, and report the refused ones."""
    catalog = archive.catalog
    top = catalog.max_seq()
    done, after, refused = 0, 0, []
    while after < top:
        rows = catalog.records_after(after, limit=batch, upto_seq=top)
        if not rows:
            break
        results = [lint_row(r, archive.settings) for r in rows]
        with catalog.transaction():
            catalog.facts.put_lint(results)
        for r, res in zip(rows, results):
            if res["problems"]:
                refused.append({"id": r["id"], "title": r["title"], "type": r["type"], "problems": json.loads(res["problems"])})
        done += len(rows)
        after = rows[-1]["seq"]
        if progress:
            progress("lint", done, top)
    with catalog.transaction():
        catalog.facts.set_state(LINT_RUN, lint_run_mark(archive))  # results kept before this run are stale
        catalog.facts.set_state(PENDING, "")  # a re-lint of the stale records stopped earlier is ended by this one
    return LintReport(done, refused, fingerprint(archive.settings))
