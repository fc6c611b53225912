"""Work in progress that must not outlive its process: staging folders of exports and imports,
the PDF pool's working folder.

Each holds personal data (a package in the making carries 身份证号 in clear), so a process killed
with ``kill -9`` must not leave it behind for ever. A process *claims* the paths it is about to
create: a small marker file in ``<home>/tmp/.claims/`` names them and stays locked (``flock``)
while the process lives. The kernel drops the lock when the process dies, however it dies; the
next outsafe process to open the archive (:func:`clean_stale`) removes what every unlocked claim
names, then the claim. A normal end, an error or Ctrl-C removes the paths at once
(:meth:`Claim.release`).

Only paths inside the archive's tmp/ or named like a staging folder (``.NAME.partial-…``) are ever
removed: a damaged marker cannot make cleaning delete anything else.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
from pathlib import Path

from storage.home import FILE_MODE, make_private_dir

CLAIMS = ".claims"


class Claim:
    """Paths this process is creating; removed on :meth:`release` or, if the process dies, by the
    next :func:`clean_stale`."""

    def __init__(self, home_tmp: Path, paths: list[Path]) -> None:
        self.home_tmp = Path(home_tmp)
        self.paths = [Path(p) for p in paths]
        folder = self.home_tmp / CLAIMS
        make_private_dir(folder)
        self.marker = folder / f"{os.getpid()}-{secrets.token_hex(6)}.json"
        self._fd = os.open(self.marker, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        os.write(self._fd, json.dumps([str(p) for p in self.paths], ensure_ascii=False).encode())
        os.fsync(self._fd)

    def release(self, *, remove: bool = True) -> None:
        """Remove the claimed paths that still exist (unless ``remove`` is False: they were moved
        into place), then the claim."""
        if self._fd is None:
            return
        if remove:
            for p in self.paths:
                _remove(p)
        try:
            self.marker.unlink()
        except FileNotFoundError:
            pass
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> "Claim":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def claim(home_tmp: Path, *paths: Path) -> Claim:
    return Claim(home_tmp, list(paths))


def clean_stale(home_tmp: Path) -> list[Path]:
    """Remove what the claims of dead processes name (their locks are free); return those paths."""
    folder = Path(home_tmp) / CLAIMS
    if not folder.is_dir():
        return []
    removed: list[Path] = []
    for marker in sorted(folder.glob("*.json")):
        try:
            fd = os.open(marker, os.O_RDWR)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its process is alive
            try:
                names = json.loads(os.pread(fd, 1 << 20, 0) or b"[]")
            except ValueError:
                names = []
            for name in names if isinstance(names, list) else []:
                p = Path(str(name))
                if _removable(p, Path(home_tmp)) and os.path.lexists(p):
                    _remove(p)
                    removed.append(p)
            marker.unlink(missing_ok=True)
        finally:
            os.close(fd)
    return removed


def _removable(p: Path, home_tmp: Path) -> bool:
    try:
        inside = p.resolve().is_relative_to(home_tmp.resolve())
    except OSError:
        inside = False
    return inside or (p.name.startswith(".") and ".partial-" in p.name)


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        try:
            p.unlink()
        except FileNotFoundError:
            pass
