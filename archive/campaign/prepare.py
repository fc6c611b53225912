"""Views prepared ahead: every one-scope view a user may open today, computed and kept before it
is asked for.

A view is kept until a record it depends on arrives (:mod:`archive.facts.cache`), and it is kept
for one day (``as_of`` is part of its key: deadlines and certificates are judged as on that day).
So the first officer to open the largest enterprise's checks in the morning — or the first after
an import that concerns it — waits for its computation: 1.3 s for an enterprise of 7,600 records
at 10^5, 21 s for one of 75,000 at 10^6. :func:`prepare_views` computes them all ahead, in the
order a day's users meet them, and leaves them kept:

- the bureau's: the whole archive's check (its parts kept per home and contractor), the
  dashboard, the rectification status;
- each enterprise's: ``check --enterprise E``, and what its own web account shows (its checks and
  dashboard within its records);
- each contractor's: ``check --contractor C`` and its dossier (``contractor show C``).

Run again with nothing new, it reads each kept result once and computes nothing; after an import,
only the views the new records concern are computed again (the others move on to the new size).
``outsafe views prepare`` runs it (from cron, or after a large import); ``outsafe serve`` runs that
command in a process of its own, at lower priority, when the day turns and when the catalog has
grown (web.preparer). Only one run at a time per home (a lock file): a second one says so and
leaves.

First it judges by today's rules the records that have no verdict under them
(:func:`archive.facts.lint.relint_stale`: after an upgrade that changed the rules, every record),
so that the views it keeps say what today's rules refuse instead of "not yet linted" — and read
the lint's verdicts, not one lint row per record.

What it does not change: a view asked for before its turn is computed as always, and the kept
result is exactly what the view computes (it is the view's own call that keeps it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from archive.errors import OutsafeError
from archive.facts import cache
from archive.facts.lint import Relinted, relint_stale
from storage.lock import lock_if_free

LOCK_NAME = ".prepare.lock"


@dataclass
class Prepared:
    """``outsafe views prepare``: what was prepared, and how much of it had to be computed."""

    as_of: date
    enterprises: int
    contractors: int
    views: int = 0
    computed: int = 0  # views computed (the others were kept and still true, and read)
    seconds: float = 0.0
    slowest: list[dict] = field(default_factory=list)  # the views that took longest to prepare
    busy: bool = False  # another process was preparing them: this one did nothing
    problems: list[str] = field(default_factory=list)  # views that could not be computed (each said once; the rest went on)
    removed: tuple[int, int] = (0, 0)  # kept results unused for views_keep_days days, removed: (files, bytes)
    relinted: Relinted = field(default_factory=Relinted)  # stale records judged again by today's rules first

    def as_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "busy": self.busy, "problems": self.problems, "enterprises": self.enterprises, "contractors": self.contractors, "views": self.views,
                "computed": self.computed, "kept": self.views - self.computed, "seconds": round(self.seconds, 2),
                "slowest": self.slowest, "removed": {"files": self.removed[0], "bytes": self.removed[1]},
                "linted": self.relinted.as_dict()}

    def as_text(self) -> list[str]:
        if self.busy:
            return ["视图正在由另一个进程准备，本次未运行 (views are being prepared by another process: nothing done)"]
        out = [f"已备好 {self.as_of.isoformat()} 的 {self.views} 个视图 (views prepared): {self.enterprises} 个发包单位 "
               f"(enterprises), {self.contractors} 个承包单位 (contractors); 重新计算 {self.computed} 个 (computed), "
               f"沿用 {self.views - self.computed} 个 (still true); 用时 {self.seconds:.1f} 秒"]
        if self.relinted.busy:
            out.append("  另一进程正在按现行校验规则复核记录，本次未复核 (another process is linting the records: not done here)")
        if self.relinted.checked:
            out.append(f"  按现行校验规则复核 {self.relinted.checked} 条记录 (records linted against today's rules): "
                       + (f"{self.relinted.refused} 条不符合，按原样保存，见 outsafe check / verify --lint "
                          f"({self.relinted.refused} refused, kept as sealed)" if self.relinted.refused else "全部符合 (all accepted)"))
        for s in self.slowest[:3]:
            if s["seconds"] >= 1:
                out.append(f"  最慢 (slowest): {s['view']} {s['scope']} {s['seconds']:.1f} 秒")
        if self.removed[0]:
            out.append(f"  清除久未使用的视图结果 (kept results unused for days, removed): {self.removed[0]} 个, "
                       f"{self.removed[1] / 1e6:.1f} MB")
        out += [f"  未能准备 (not prepared): {p}" for p in self.problems]
        return out

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0


def scopes(archive: Any) -> tuple[list[str], list[str]]:
    """(enterprises, contractors) registered in the archive, by USCC."""
    from archive.checks.world import World

    roles: dict[str, list[str]] = {"enterprise": [], "contractor": []}
    for r in World(archive).current_of_type("organization"):
        role = json.loads(r["info"] or "{}").get("role")
        if role in roles:
            roles[role].append(r["key"])
    return sorted(roles["enterprise"]), sorted(roles["contractor"])


def planned(archive: Any, as_of: date, enterprises: list[str], contractors: list[str]) -> Iterator[tuple[str, str, Callable[[], Any]]]:
    """(view, scope, the view's own call) for every view prepared, in the order they are prepared."""
    from archive.campaign.dashboard import dashboard
    from archive.campaign.dossier import contractor_dossier
    from archive.campaign.rectify import rectification_report
    from archive.checks.rules import check_archive
    from archive.checks.stream import check_overview

    # the checks the web shows as an overview are prepared as one (its report is computed and kept with it)
    yield "check", "", lambda: check_overview(archive, as_of)
    yield "dashboard", "", lambda: dashboard(archive, as_of=as_of)
    yield "rectify", "", lambda: rectification_report(archive, as_of=as_of)
    for e in enterprises:
        yield "check", e, lambda e=e: check_archive(archive, as_of=as_of, enterprise=e)
        yield "check-within", e, lambda e=e: check_overview(archive, as_of, enterprise=e, within=e)  # the web's 五查 page of E's account
        yield "dashboard-within", e, lambda e=e: dashboard(archive, as_of=as_of, within=e)
    for c in contractors:
        yield "check", c, lambda c=c: check_archive(archive, as_of=as_of, contractor=c)
        yield "dossier", c, lambda c=c: contractor_dossier(archive, c, as_of)


@contextmanager
def one_at_a_time(archive: Any) -> Iterator[bool]:
    """Held while views are prepared in this home: gives whether this process holds it (False:
    another one does, and this run leaves at once)."""
    folder = Path(archive.home.root) / "cache" / "views"
    with ExitStack() as stack:
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            mine = stack.enter_context(lock_if_free(folder / LOCK_NAME))
        except OSError as e:
            raise OutsafeError(f"无法写入视图缓存目录 (cannot write the kept views' folder) {folder}: {e.strerror}",
                               hint="检查该目录的权限和磁盘空间 (check its permissions and free space)") from None
        yield mine


def prepare_views(archive: Any, as_of: date | None = None, *, progress: Callable[[str, int, int], None] | None = None) -> Prepared:
    """Compute and keep every view of :func:`planned` as on ``as_of`` (default: the archive's
    today); a view still true is read, not computed."""
    as_of = as_of or archive.clock.today()
    t0 = time.monotonic()
    with one_at_a_time(archive) as mine:
        return _prepare(archive, as_of, t0, progress) if mine else Prepared(as_of, 0, 0, busy=True)


def _prepare(archive: Any, as_of: date, t0: float, progress: Callable[[str, int, int], None] | None) -> Prepared:
    removed = cache.sweep(archive)
    relinted = relint_stale(archive, progress)
    enterprises, contractors = scopes(archive)
    plan = list(planned(archive, as_of, enterprises, contractors))
    result = Prepared(as_of, len(enterprises), len(contractors), removed=removed, relinted=relinted)
    times: list[tuple[float, str, str]] = []
    for n, (view, scope, call) in enumerate(plan, 1):
        t, before = time.monotonic(), cache.computed()
        try:
            call()
        except OutsafeError as e:  # one scope's view refused (what the view itself would say): the others go on
            result.problems.append(f"{view} {scope}: {e.message}".replace("  ", " "))
        times.append((time.monotonic() - t, view, scope))
        result.computed += cache.computed() > before
        archive.views.clear()  # kept on disk: this process need not hold them all
        if progress:
            progress("views", n, len(plan))
    result.views = len(plan)
    result.seconds = time.monotonic() - t0
    result.slowest = [{"view": v, "scope": s, "seconds": round(d, 2)} for d, v, s in sorted(times, reverse=True)[:10]]
    return result


__all__ = ["prepare_views", "Prepared", "planned", "scopes"]
