"""The archive home: one folder holding everything an archive is.

    <home>/
      outsafe.toml          settings (see archive.settings); where the catalog and blobs live
      catalog.sqlite3       the catalog (records, registry, ledger) — storage.sqlite
      blobs/sha256/ab/cd/…  content-addressed files — storage.blobs
      keys/                 the owner's signing key (encrypted) and public key
      index/                the search index (a cache; rebuildable from the catalog)
      templates/            per-archive template overrides (letterhead)
      tmp/                  temp files, renamed into place when complete
      lock                  the archive write lock — storage.lock

The catalog and the blobs may live elsewhere, named by two top-level keys of ``outsafe.toml``
(:meth:`ArchiveHome.locations`; a SQLite catalog is always the home's own file)::

    catalog = "postgresql://outsafe@db.example/outsafe"   # storage.postgresql
    blobs = "s3://district-archive/outsafe"               # storage.s3

Each machine writing such an archive has a home of its own (the settings, the keys, its own
search index and temp files) naming the same catalog and blobs.

Folders are 0700 and files 0600: an archive holds personal data (身份证号) and a private key.
Where the home is: ``--home``, else ``OUTSAFE_HOME``, else the per-user data folder
(``$XDG_DATA_HOME/outsafe`` or ``~/.local/share/outsafe``).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
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
        """Whether an archive lives here: its SQLite catalog, or settings naming a catalog elsewhere."""
        return self.catalog_file.exists() or (self.settings_file.exists() and "catalog" in _storage_keys(self.settings_file))

    def locations(self) -> "Locations":
        """Where this archive's catalog and blobs are: the top-level ``catalog`` and ``blobs`` keys
        of ``outsafe.toml`` (a ``postgresql://`` URL, an ``s3://`` location, or a path relative to
        the home), by default ``catalog.sqlite3`` and ``blobs/`` in the home."""
        keys = _storage_keys(self.settings_file) if self.settings_file.exists() else {}
        catalog, blobs = keys.get("catalog"), keys.get("blobs")
        return Locations(
            catalog=catalog or str(self.catalog_file),
            blobs=blobs if blobs and "://" in blobs else str(self.root / blobs) if blobs else str(self.blobs_dir),
        )

    def set_locations(self, catalog: str, blobs: str) -> None:
        """Name where the catalog and blobs now live in ``outsafe.toml`` (atomically; the rest of
        the file is kept as it is). The home's own catalog file and blobs/ are the defaults and
        are not named."""
        text = self.settings_file.read_text(encoding="utf-8") if self.settings_file.exists() else ""
        head, body = [], []
        for line in text.splitlines(keepends=True):
            (body if body or line.lstrip().startswith("[") else head).append(line)
        kept = [ln for ln in head if not _LOCATION_LINE.match(ln)]
        catalog_key = None if catalog == str(self.catalog_file) else catalog
        blobs_key = None if blobs == str(self.blobs_dir) else blobs
        top = storage_toml(catalog_key, blobs_key)
        atomic_write(self.settings_file, (top + "".join(kept).lstrip("\n") + "".join(body)).encode("utf-8"))
        if self.locations() != Locations(catalog, blobs):
            raise StorageError(f"{self.settings_file} 未能记下新的位置 (the settings did not take the new locations)")

    def create_dirs(self, *, blobs: bool = True) -> None:
        """The home's folders (``blobs``: also blobs/, unless the blobs live elsewhere)."""
        for d in (self.root, self.blobs_dir if blobs else None, self.keys_dir, self.index_dir, self.templates_dir, self.tmp_dir):
            if d is not None:
                make_private_dir(d)


@dataclass(frozen=True)
class Locations:
    """Where an archive's catalog and blobs live (paths or URLs)."""

    catalog: str
    blobs: str


CATALOG_SCHEMES = ("postgresql://", "postgres://")
BLOB_SCHEMES = ("s3://",)
_LOCATION_LINE = re.compile(r"^\s*#?\s*(catalog|blobs)\s*=|^# (Where the catalog and the blobs live|A password is best kept)")


def _storage_keys(settings_file: Path) -> dict[str, str]:
    try:
        with settings_file.open("rb") as fh:
            doc = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise StorageError(f"无法读取 {settings_file} (cannot read the archive settings: {e})",
                           hint="改正 outsafe.toml (fix outsafe.toml)") from e
    out = {}
    for key, schemes in (("catalog", CATALOG_SCHEMES), ("blobs", BLOB_SCHEMES)):
        value = doc.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise StorageError(f"{settings_file}: {key} 应为文本 (must be a text)", hint=f'{key} = "…"')
        if ("://" in value or key == "catalog") and not value.startswith(schemes):
            # a SQLite catalog lives in its home, beside the lock file that serialises its writers
            raise StorageError(f"{settings_file}: 不支持的 {key} 地址 (unsupported {key} location): {value.split('@')[-1]}",
                               hint=f"可用 (supported): {', '.join(schemes)}" + ("" if key == "catalog" else " 或本机目录 (or a folder)"))
        out[key] = value.strip()
    return out


_PASSWORD_PARAM = re.compile(r"(?i)([?&]password=)[^&]*")


def public_location(location: str) -> str:
    """A catalog or blob location as it may be shown: a URL's password (``user:pw@`` or
    ``password=``) replaced by ``***``."""
    text = str(location)
    if "://" not in text:
        return text
    scheme, _, rest = text.partition("://")
    netloc, slash, tail = rest.partition("/")
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{host}"
    return _PASSWORD_PARAM.sub(r"\1***", f"{scheme}://{netloc}{slash}{tail}")


def storage_toml(catalog: str | None = None, blobs: str | None = None) -> str:
    """The top of a new ``outsafe.toml``: where the catalog and blobs live (commented out when
    they are the home's own), before the ``[settings]`` table."""
    lines = ["# Where the catalog and the blobs live (default: catalog.sqlite3 and blobs/ in this folder).",
             "# A password is best kept out of this file: PGPASSWORD or ~/.pgpass; S3 keys: AWS_* variables (README)."]
    lines.append(f"catalog = {json.dumps(catalog, ensure_ascii=False)}" if catalog else
                 '# catalog = "postgresql://outsafe@db.example/outsafe"')
    lines.append(f"blobs = {json.dumps(blobs, ensure_ascii=False)}" if blobs else '# blobs = "s3://bucket/prefix"')
    return "\n".join(lines) + "\n\n"


def make_private_dir(path: Path) -> None:
    """``path`` and every folder created on the way to it, 0700."""
    try:
        missing = []
        p = Path(path)
        while not p.exists() and p != p.parent:
            missing.append(p)
            p = p.parent
        for d in reversed(missing):
            d.mkdir(mode=DIR_MODE, exist_ok=True)
            os.chmod(d, DIR_MODE)
        os.chmod(path, DIR_MODE)
    except OSError as e:
        raise StorageError(f"无法创建目录 {path} (cannot create folder): {e.strerror}") from e


def make_tree_private(root: Path) -> None:
    """Folders 0700 and files 0600 below ``root`` (for files third-party code created with the
    process umask). Symbolic links are not followed."""
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            p = os.path.join(dirpath, d)
            if not os.path.islink(p):
                os.chmod(p, DIR_MODE)
        for f in filenames:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                try:
                    os.chmod(p, FILE_MODE)
                except FileNotFoundError:
                    pass  # a temporary file the engine removed meanwhile


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


def output_folder(folder: Path, *, create: bool = True, check_only: bool = False) -> Path:
    """``folder``, where a command writes what ``-o`` names: made with the folders on the way when it
    is missing and ``create`` (with ``check_only``, only checked that it can be), else refused —
    as is a folder under a file, or one that cannot be written in — with one StorageError naming
    it, before anything is written."""
    folder = Path(folder)
    if not os.path.isdir(folder):
        blocker = next((p for p in (folder, *folder.parents) if os.path.lexists(p) and not os.path.isdir(p)), None)
        if blocker == folder:
            raise StorageError(f"输出目录 {folder} 是文件，不是目录 (output folder {folder} is a file, not a folder)")
        if blocker is not None:
            raise StorageError(f"无法创建输出目录 {folder}：{blocker} 是文件，不是目录 (cannot create the output folder: {blocker} is a file)")
        if not create:
            raise StorageError(f"输出目录 {folder} 不存在 (output folder does not exist)")
        if check_only:
            return folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StorageError(f"无法创建输出目录 {folder} (cannot create the output folder): {e.strerror or e}") from e
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StorageError(f"输出目录 {folder} 不可写入 (cannot write in the output folder)")
    return folder


def write_output(path: Path, data: bytes, *, mode: int = 0o644) -> Path:
    """``data`` written to ``path``, a file a command writes where ``-o`` says, as :func:`atomic_write`
    does; an error of the file system (no such folder, a file in the way, no permission, a full
    disk) is one StorageError naming the path."""
    path = Path(path)
    try:
        atomic_write(path, data, mode=mode)
    except OSError as e:
        raise StorageError(f"无法写入 {path} (cannot write): {e.strerror or e}") from e
    return path


_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


NAME_CHARS, NAME_BYTES = 120, 200  # file systems allow 255 bytes: room left for a "~2" or a prefix


def _cut(text: str, chars: int, size: int) -> str:
    """At most ``chars`` characters and ``size`` UTF-8 bytes of ``text``, whole characters only."""
    return text[:chars].encode("utf-8")[:size].decode("utf-8", "ignore")


def safe_name(name: str, fallback: str = "file") -> str:
    """A file name that stays inside its folder: NFC, no separators or control characters,
    no leading dots, at most 120 characters and 200 bytes of UTF-8 (keeping the extension) —
    a Chinese name of 120 characters (360 bytes) could be written by no file system."""
    name = unicodedata.normalize("NFC", name or "")
    name = _UNSAFE.sub("_", name).strip().lstrip(".")
    if name in ("", ".", ".."):
        name = fallback
    if len(name) > NAME_CHARS or len(name.encode("utf-8")) > NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        if dot and len(ext) <= 10:
            name = _cut(stem, NAME_CHARS - len(ext) - 1, NAME_BYTES - len(ext.encode("utf-8")) - 1) + "." + ext
        else:
            name = _cut(name, NAME_CHARS, NAME_BYTES)
    return name
