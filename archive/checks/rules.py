"""The checks as the command line and the web ask for them: :func:`check_archive` (``outsafe
check``), the rule list (``outsafe check --rules``). The rule table and the straightforward
evaluation live in :mod:`archive.checks.table` (re-exported here); a check of the archive, one
enterprise or one contractor runs through :mod:`archive.checks.stream`, which reads only the
records the scope can touch and keeps results until a record they depend on arrives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from archive.checks.admission import ADMISSION_RULES, AdmissionProblem, admission_for_batch, admission_problems, blacklist_state
from archive.checks.facts import CERT_NEEDS, active_listings, cert_problem, listing_state, project_window, uncovered
from archive.checks.model import CheckReport, CheckRule, Finding, RuleResult
from archive.checks.snapshot import Rec, Snapshot
from archive.checks.stream import check_view
from archive.checks.table import (GROUP_C, GROUP_CS, GROUP_E, GROUP_M, RULES, RULES_BY_ID, SEED_C, SEED_E, rule_result, rule_table,
                                  run_checks)
from archive.errors import NotFound


def check_archive(
    archive: Any, *, as_of: date | None = None, enterprise: str | None = None, contractor: str | None = None,
    rule_ids: Sequence[str] = (), fail_on: str | None = None, within: str | None = None, progress: Any = None,
) -> CheckReport:
    """``outsafe check``: the rules ``rule_ids`` (default: all) over ``archive`` as on ``as_of``
    (default: the archive's today); records dated later are not seen. ``fail_on``: the severity
    from which the run's exit code is 1. ``within``: judge only the records that belong to that
    enterprise (an enterprise account's scope: what it would see in its own archive). ``progress``:
    called as (stage, done, total) while the whole archive is checked home by home."""
    unknown = [r for r in rule_ids if r not in RULES_BY_ID]
    if unknown:
        raise NotFound(f"没有规则 {', '.join(unknown)} (unknown rule)", hint="查看规则 (list the rules): outsafe check --rules")
    report = check_view(archive, as_of or archive.clock.today(), enterprise=enterprise, contractor=contractor,
                        rules=[RULES_BY_ID[r] for r in rule_ids] or None, within=within, progress=progress)
    report.fail_on = fail_on
    return report


@dataclass
class RuleList:
    """``outsafe check --rules``: every rule with its source, basis and penalty."""

    rows: list[dict]

    def as_dict(self) -> list[dict]:
        return self.rows

    def as_text(self) -> list[str]:
        out = []
        for r in self.rows:
            out += [f"{r['id']:<5} {r['title']}（{r['group']}，{r['severity']}）", f"      整治方案：{r['seed_clause']}",
                    f"      依据：{r['basis']}   罚则：{r['penalty']}"]
        return out


def rule_list() -> RuleList:
    return RuleList(rule_table())


__all__ = [
    "Snapshot", "Rec", "RULES", "GROUP_C", "GROUP_CS", "GROUP_E", "GROUP_M", "SEED_C", "SEED_E", "RULES_BY_ID", "CheckRule", "Finding", "RuleResult", "CheckReport", "run_checks",
    "rule_table", "admission_problems", "admission_for_batch", "AdmissionProblem", "ADMISSION_RULES", "CERT_NEEDS", "cert_problem",
    "project_window", "uncovered", "active_listings", "listing_state", "blacklist_state", "rule_result", "check_archive",
]
