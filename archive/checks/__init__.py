"""The campaign's checks (整治方案 一(二)): the ten "五查" and the 工贸 major-hazard items, as rules
over the archive's own records.

    from archive.checks.snapshot import Snapshot
    from archive.checks.rules import run_checks, RULES
    snap = Snapshot.from_archive(archive)                 # every current record, typed
    report = run_checks(snap, as_of=date(2026, 6, 10), enterprise=None, contractor=None)
    report.results[0].status                             # "pass" | "warn" | "fail" | "not_applicable"
    report.results[0].findings[0].evidence               # the records that prove it (id + title)
    report.results[0].findings[0].missing                # the records that should exist and do not

The rules (``outsafe check --rules`` lists them with their sources):

- E1–E5 发包单位五查 and C1–C5 承包单位五查, as mapped in domain.md §1.2;
- 3-1, 3-2, 3-3: the three management items of 工贸企业重大事故隐患判定标准 (应急管理部令第10号 第3条),
  which make a finding a *major* hazard;
- CS-1, CS-2: the two confined-space items of the same standard (domain.md §8.1 [M]).

Every rule is a pure function of a :class:`Snapshot` and a day (``as_of``): records dated after that
day are not seen, certificates and deadlines are judged on it, so a run is reproducible. Dates
follow the documents' own wording: a certificate "有效期至 2026-06-30" is valid on 30 June and
not on 1 July; a deadline "6月19日前整改完毕" is met on 19 June and overdue from 20 June.

A finding has a severity: ``major`` (重大事故隐患 under 令第10号), ``error`` (a breach of a law or
the plan) or ``warning`` (a gap worth a look). A rule *fails* on any major or error finding,
*warns* on warnings only, *passes* with none, and is *not applicable* when the archive holds
nothing it could judge (no accidents, no confined-space work, not a metal-smelting enterprise …).

The cross-record *admission* rules run when a case is added live in :mod:`archive.checks.admission`
(:func:`~archive.checks.admission.admission_problems`): no agreement, contract or ticket for a blacklisted contractor; no
ticket naming a worker without the certificate the work needs or without three-level training;
no agreement whose term does not cover its project.

Where things are: ``snapshot`` (the typed records a run sees), ``facts`` (what the rules derive:
project windows, certificate needs, listings, training cards), ``model`` (findings, results,
scopes, the shared finding helpers), ``employer`` (E1–E5), ``contractor`` (C1–C5),
``major_hazard`` (3-1/3-2/3-3, CS-1/CS-2), ``rules`` (the rule table and :func:`run_checks`),
``admission`` (the rules run at ``case add``).
"""
