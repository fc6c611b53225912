"""The archive home: one folder holding everything an archive is.

    <home>/
      outsafe.toml          settings (see archive.settings)
      catalog.sqlite3       the catalog (records, registry, ledger) — storage.catalog
      blobs/sha256/ab/cd/…  content-addressed files — storage.blobs
      keys/                 the owner's signing key (encrypted) and public key
      index/                the search index (a cache; rebuildable from the catalog)
      templates/            per-archive template overrides (letterhead)
      tmp/                  temp files, renamed into place when complete
      lock                  the archive write lock — storage.lock

Folders are 0700 and files 0600: an archive holds personal data (身份证号) and a private key.
Where the home is: ``--home``, else ``OUTSAFE_HOME``, else the per-user data folder
(``$XDG_DATA_HOME/outsafe`` or ``~/.local/share/outsafe``).
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from storage.errors import StorageError

DIR_MODE = 0o700
FILE_MODE = 0o600


def default_home() -> Path:
    env = os.environ.get("OUTSAFE_HOME")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "outsafe"


@dataclass(frozen=True)
class ArchiveHome:
    root: Path

    @property
    def settings_file(self) -> Path:
        return self.root / "outsafe.toml"

    @property
    def catalog_file(self) -> Path:
        return self.root / "catalog.sqlite3"

    @property
    def blobs_dir(self) -> Path:
        return self.root / "blobs"

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    @property
    def lock_file(self) -> Path:
        return self.root / "lock"

    def exists(self) -> bool:
        return self.catalog_file.exists()

    def create_dirs(self) -> None:
        for d in (self.root, self.blobs_dir, self.keys_dir, self.index_dir, self.templates_dir, self.tmp_dir):
            make_private_dir(d)


def make_private_dir(path: Path) -> None:
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path, DIR_MODE)
    except OSError as e:
        raise StorageError(f"无法创建目录 {path} (cannot create folder): {e.strerror}") from e


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, mode: int = FILE_MODE, tmp_dir: Path | None = None) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    Temp file in the same file system, fsync, chmod, rename, fsync the folder.
    """
    tmp_dir = tmp_dir or path.parent
    fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix=".tmp-", suffix="-" + path.name[:40])
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def safe_name(name: str, fallback: str = "file") -> str:
    """A file name that stays inside its folder: NFC, no separators or control characters,
    no leading dots, at most 120 characters (keeping the extension)."""
    name = unicodedata.normalize("NFC", name or "")
    name = _UNSAFE.sub("_", name).strip().lstrip(".")
    if name in ("", ".", ".."):
        name = fallback
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 120 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:120]
    return name
