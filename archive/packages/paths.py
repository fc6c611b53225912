"""Path safety for packages: no ``..``, absolute path, link, device or FIFO, no two names equal
after NFC; zips checked before anything is extracted; opening a package folder or zip.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import stat
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from archive.errors import IntegrityError, NotFound, PackageError
from archive.packages import bag as bagfmt
from archive.packages.bag import MANIFEST, TAGMANIFEST
from archive.settings import Settings
from storage import staging
from storage.home import make_private_dir

# --- path safety -------------------------------------------------------------------------------------


def _unsafe_rel(rel: str) -> str | None:
    """Why a path named inside a package is unsafe, or None."""
    if not rel:
        return "空路径 (empty path)"
    if rel.startswith("/") or rel.startswith("\\") or re.match(r"^[A-Za-z]:", rel):
        return "绝对路径 (absolute path)"
    if "\\" in rel:
        return "含反斜杠 (backslash in path)"
    if "\x00" in rel:
        return "含空字符 (NUL in path)"
    parts = rel.split("/")
    if any(p == ".." for p in parts):
        return "含 ../，指向包外 (path escapes the package)"
    if any(p in ("", ".") for p in parts[:-1]) or parts[-1] in ("", "."):
        return "路径含空段或 . (empty or '.' path component)"
    if unicodedata.normalize("NFC", rel) != rel:
        return "文件名未经 NFC 规范化 (name is not NFC-normalised)"
    return None


def check_tree(root: Path) -> tuple[dict[str, int], list[str]]:
    """(every regular file -> size, path-safety problems) of an unpacked package folder, found
    without following anything: symbolic links, devices, FIFOs, sockets, names that are not NFC
    or collide after NFC."""
    try:
        st = os.lstat(root)
    except OSError as e:
        return {}, [f"{root}: 无法读取 (cannot read: {e.strerror})"]
    if stat.S_ISLNK(st.st_mode):
        return {}, [f"{root}: 是符号链接 (the package itself is a symbolic link)"]
    if not stat.S_ISDIR(st.st_mode):
        return {}, [f"{root}: 不是目录 (not a folder)"]
    return bagfmt.scan(root)


def _manifest_problems(bag_dir: Path) -> list[str]:
    """Unsafe paths named in the manifests — read before anything is opened by those names."""
    problems = []
    for name in (MANIFEST, TAGMANIFEST):
        p = bag_dir / name
        if not p.is_file():
            continue
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            problems.append(f"{name}: 无法读取 (unreadable: {e})")
            continue
        for n, line in enumerate(text.splitlines(), 1):
            parts = line.split(None, 1)
            if len(parts) != 2:
                continue
            rel = parts[1].lstrip("*")
            why = _unsafe_rel(rel)
            if why:
                problems.append(f"{name} 第 {n} 行 {rel!r}: {why}")
    return problems


RATIO_FROM = 1 << 20  # the compression-ratio limit applies to members larger than this


def check_zip_sizes(zf: zipfile.ZipFile, settings: Settings) -> list[str]:
    """What the zip would expand to, from its central directory, against the settings: member
    count, each member's size and compression ratio, the total. A zip bomb is refused here,
    before one byte is written."""
    infos = zf.infolist()
    if len(infos) > settings.package_max_members:
        return [f"条目过多：{len(infos):,} 个，上限 {settings.package_max_members:,} (too many entries; setting package_max_members)"]
    problems: list[str] = []
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > settings.package_max_member_bytes:
            problems.append(f"{info.filename}: 解压后 {info.file_size:,} 字节，超过上限 {settings.package_max_member_bytes:,}"
                            " (entry too large; setting package_max_member_bytes)")
        elif info.file_size > RATIO_FROM and info.file_size > settings.package_max_ratio * max(info.compress_size, 1):
            problems.append(f"{info.filename}: 压缩比 {info.file_size // max(info.compress_size, 1):,}:1，超过上限"
                            f" {settings.package_max_ratio}:1 (compression ratio too high: a zip bomb?; setting package_max_ratio)")
    if total > settings.package_max_bytes:
        problems.append(f"解压后共 {total:,} 字节，超过上限 {settings.package_max_bytes:,} (package too large; setting package_max_bytes)")
    return problems


def check_zip(zf: zipfile.ZipFile, settings: Settings | None = None) -> list[str]:
    """Path-safety and size problems of a zip's entries (zip-slip, symlink and device entries,
    NFC collisions, encrypted entries, sizes and ratios), before anything is extracted."""
    problems: list[str] = check_zip_sizes(zf, settings or Settings())
    seen: dict[str, str] = {}
    for info in zf.infolist():
        name = info.filename
        rel = name[:-1] if name.endswith("/") else name
        why = _unsafe_rel(rel)
        if why:
            problems.append(f"{name!r}: {why}")
            continue
        fmt = stat.S_IFMT((info.external_attr >> 16) & 0xFFFF) if info.create_system == 3 else 0
        if fmt == stat.S_IFLNK:
            problems.append(f"{name}: 是符号链接条目 (symbolic link entry)")
        elif fmt not in (0, stat.S_IFREG, stat.S_IFDIR):  # 0: no Unix file type recorded
            problems.append(f"{name}: 不是普通文件条目 (device, FIFO or socket entry)")
        if info.flag_bits & 0x1:
            problems.append(f"{name}: 已加密 (encrypted entry)")
        key = unicodedata.normalize("NFC", rel).rstrip("/")
        if key in seen:
            problems.append(f"{name}: 与 {seen[key]!r} 重名或 NFC 规范化后同名 (duplicate entry)")
        seen[key] = name
    return problems


def _extract_zip(zf: zipfile.ZipFile, dest: Path) -> None:
    """Extract entries already checked by :func:`check_zip`, creating every file exclusively
    (O_EXCL | O_NOFOLLOW) below ``dest``."""
    for info in zf.infolist():
        target = dest.joinpath(*info.filename.rstrip("/").split("/"))
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as out, zf.open(info) as src:
            left = info.file_size  # the size checked by check_zip_sizes; never more than that
            while chunk := src.read(min(1 << 20, left + 1)):
                left -= len(chunk)
                if left < 0:
                    raise zipfile.BadZipFile(f"{info.filename}: 实际大小超过记录的大小 (entry larger than declared)")
                out.write(chunk)


@dataclass
class Opened:
    """A package ready to be read: its bag folder and every regular file in it (-> size)."""

    path: Path
    files: dict[str, int]


@contextlib.contextmanager
def opened_package(path: Path, settings: Settings | None = None, *, stage_in: Path | None = None) -> Iterator[Opened]:
    """The bag folder of a package given as a folder or a .zip, checked for path safety first.
    A zip's entries are checked (names, sizes, ratios) before anything is extracted, then it is
    extracted into a private folder, removed afterwards. Raises :class:`IntegrityError` (exit 3)
    naming every unsafe entry.

    With ``stage_in`` (an archive's tmp/: ``package import``) the package is always read from a
    private copy made there first — a folder is copied, without following links — so that nothing
    can change the files between their verification and their storing; the copy is claimed
    (:mod:`storage.staging`) so that a killed import leaves nothing behind for long."""
    path = Path(path)
    if not os.path.lexists(path):
        raise NotFound(f"没有包 {path} (no such package)")
    with _private_folder(stage_in) as work:
        if path.is_file() and not path.is_symlink():
            try:
                zf = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as e:
                raise PackageError(f"{path}: 不是目录也不是有效的 zip 文件 (neither a folder nor a valid zip: {e})") from e
            with zf:
                problems = check_zip(zf, settings)
                if problems:
                    raise IntegrityError(problems, f"包路径不安全，已拒绝 (unsafe package refused): {path}")
                root = work / "x"
                root.mkdir(mode=0o700)
                try:
                    _extract_zip(zf, root)
                except (zipfile.BadZipFile, OSError, RuntimeError) as e:
                    raise PackageError(f"{path}: zip 无法解压 (cannot extract: {e})") from e
                yield _checked(_bag_root(root, path), path)
            return
        if stage_in is None:
            yield _checked(path, path)
            return
        source = _checked(path, path)
        copy = work / "x"
        try:
            copy_files(source.path, copy, source.files)
        except OSError as e:
            raise PackageError(f"{path}: 复制到暂存目录时出错，包在导入过程中被改动？ (the package changed while being copied: {e})") from e
        yield _checked(copy, path)


@contextlib.contextmanager
def _private_folder(stage_in: Path | None) -> Iterator[Path]:
    if stage_in is None:
        with tempfile.TemporaryDirectory(prefix="outsafe-pkg-") as tmp:
            yield Path(tmp)
        return
    make_private_dir(stage_in)
    work = Path(stage_in) / f"import-{secrets.token_hex(6)}"
    with staging.claim(stage_in, work):
        work.mkdir(mode=0o700)
        yield work


def copy_files(src: Path, dst: Path, files: dict[str, int]) -> None:
    """Copy the regular files ``files`` (relative names, as found by :func:`check_tree`) from
    ``src`` to a new folder ``dst``, opening every path component with O_NOFOLLOW: a file or
    folder swapped for a link after the check is an error, never followed."""
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    root_fd = os.open(src, os.O_RDONLY | os.O_DIRECTORY | nofollow)
    try:
        for rel in sorted(files):
            parts = rel.split("/")
            fd = root_fd
            opened = []
            try:
                for part in parts[:-1]:
                    fd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | nofollow, dir_fd=fd)
                    opened.append(fd)
                src_fd = os.open(parts[-1], os.O_RDONLY | nofollow, dir_fd=fd)
            finally:
                for f in opened:
                    os.close(f)
            with os.fdopen(src_fd, "rb") as fin:
                if not stat.S_ISREG(os.fstat(fin.fileno()).st_mode):
                    raise OSError(f"{rel}: 不是普通文件 (not a regular file)")
                target = dst.joinpath(*parts)
                target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                out_fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | nofollow, 0o600)
                with os.fdopen(out_fd, "wb") as fout:
                    shutil.copyfileobj(fin, fout, 1 << 20)
    finally:
        os.close(root_fd)


def _checked(bag_dir: Path, shown: Path) -> Opened:
    files, problems = check_tree(bag_dir)
    problems += _manifest_problems(bag_dir) if not problems else []
    if problems:
        raise IntegrityError(problems, f"包路径不安全，已拒绝 (unsafe package refused): {shown}")
    return Opened(bag_dir, files)


def _bag_root(root: Path, shown: Path) -> Path:
    if (root / "bagit.txt").is_file():
        return root
    subs = [p for p in root.iterdir()]
    if len(subs) == 1 and subs[0].is_dir() and (subs[0] / "bagit.txt").is_file():
        return subs[0]
    raise PackageError(f"{shown}: zip 中没有 BagIt 包 (no bagit.txt at the top of the zip)")
