"""The whole archive's check over several processes.

Each home's part and each contractor's part of the check (archive/checks/stream.py) reads only
its own records and depends on nothing computed by another, so they can be computed side by side.
``stream_checks(…, workers=N)`` hands them to N processes — started fresh (``spawn``: nothing of
the caller's threads or connections is inherited), each opening the archive on its own connection
to the catalog (SQLite readers do not block each other; PostgreSQL gives each its session), with
the caller's settings — and puts the report together from their parts in the same order as one
process would: the same report (tests/test_views.py compares them).

How many: ``check_workers`` (0: one per core, at most 4, once the archive holds
``check_parallel_records`` records; below that the processes' start, ~1 s, costs more than it
saves). Memory: each process holds one home's records at a time, as the single process does.
A process that fails (killed, out of memory) does not fail the check: what is left is computed in
the calling process, which reports any error of the rules themselves as it would.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from pathlib import Path
from typing import Any

from archive.checks.major_hazard import ConfinedScope
from archive.checks.model import CheckRule
from storage.faults import crash_point

log = logging.getLogger(__name__)

CONTRACTORS_PER_TASK = 25
MAX_AUTO_WORKERS = 4


def workers_for(settings: Any, records: int) -> int:
    """How many processes the whole archive's check of an archive of ``records`` records uses."""
    n = settings.check_workers
    if n <= 0:
        if records < settings.check_parallel_records:
            return 1
        n = min(len(os.sched_getaffinity(0)), MAX_AUTO_WORKERS)
    return max(1, n)


# --- in each process --------------------------------------------------------------------------------

_here: dict[str, Any] = {}


def _start(opener: type, root: str, settings: Any, within: str | None, as_of: date, rule_ids: list[str],
           ctx: ConfinedScope | None, enterprises: frozenset[str], contractors: frozenset[str], home_part: Callable,
           contractor_part: Callable, by_contractor: tuple[str, ...]) -> None:
    from archive.checks.table import RULES_BY_ID
    from archive.checks.world import World

    archive = opener.open(Path(root))
    archive.settings = settings
    world = World(archive, catch=False, within=within)
    world.keep_cases = False
    world.briefs = True  # as the parent's world (archive.checks.stream.check_view)
    rules = [RULES_BY_ID[r] for r in rule_ids]
    _here.update(archive=archive, world=world, as_of=as_of, rules=rules, ctx=ctx, members=(enterprises, contractors),
                 home_part=home_part, contractor_part=contractor_part, by_contractor=by_contractor)


def _homes(tasks: list[tuple[int, str, list[str]]]) -> dict[str, dict]:
    crash_point("check.worker")
    out: dict[str, dict] = {}
    rules = _here["rules"]
    for n, home, pks in tasks:
        out.update(_here["home_part"](_here["world"], _here["as_of"], n, home, pks, rules, _here["ctx"], *_here["members"]))
    return out


def _contractors(cs: list[str]) -> dict[str, dict]:
    crash_point("check.worker")
    rules = [r for r in _here["rules"] if r.id in _here["by_contractor"]]
    out = {f"contractor|{c}": _here["contractor_part"](_here["world"], _here["as_of"], c, rules, *_here["members"]) for c in cs}
    _here["world"].forget()
    return out


# --- in the calling process -------------------------------------------------------------------------


def compute_parts(world: Any, as_of: date, rules: Sequence[CheckRule], ctx: ConfinedScope | None,
                  members: tuple[frozenset[str], frozenset[str]], home_tasks: list[tuple[int, str, list[str]]],
                  contractor_tasks: list[str], workers: int, tick: Callable[[int], None],
                  here: Callable[[list[tuple[int, str, list[str]]], list[str]], dict[str, dict]], *, home_part: Callable,
                  contractor_part: Callable, by_contractor: tuple[str, ...]) -> dict[str, dict]:
    """Every part of ``home_tasks`` and ``contractor_tasks``, computed by ``workers`` processes with
    ``home_part`` and ``contractor_part`` (archive/checks/stream.py's, passed by name: module-level
    functions the processes import); what the processes could not compute, by ``here`` in this one."""
    archive = world.archive
    tasks: list[tuple[Callable, list, int]] = [(_homes, [t], 1) for t in home_tasks]
    tasks += [(_contractors, contractor_tasks[i:i + CONTRACTORS_PER_TASK], len(contractor_tasks[i:i + CONTRACTORS_PER_TASK]))
              for i in range(0, len(contractor_tasks), CONTRACTORS_PER_TASK)]
    out: dict[str, dict] = {}
    left: dict[Future, tuple[Callable, list, int]] = {}
    try:
        with ProcessPoolExecutor(
            max_workers=min(workers, len(tasks)), mp_context=multiprocessing.get_context("spawn"), initializer=_start,
            initargs=(type(archive), str(archive.home.root), archive.settings, world.within, as_of, [r.id for r in rules], ctx,
                      *members, home_part, contractor_part, by_contractor),
        ) as pool:
            left = {pool.submit(fn, arg): (fn, arg, k) for fn, arg, k in tasks}
            while left:
                finished, _ = wait(left, return_when=FIRST_COMPLETED)
                for f in finished:
                    _, _, k = left[f]
                    out.update(f.result())
                    del left[f]
                    tick(k)
    except (BrokenProcessPool, OSError) as e:  # a process killed or not started: the rest here
        log.warning("check: worker processes failed (%s); computing the remaining %d parts in this process", e, len(left))
        out.update(here([t for fn, arg, _ in left.values() if fn is _homes for t in arg],
                        [c for fn, arg, _ in left.values() if fn is _contractors for c in arg]))
    return out
