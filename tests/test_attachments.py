"""Files a case file names (photos, drawings): inside its folder or --files-root, and real images.

(issue 12 item 6: a relative path climbing out of the case folder to an image of the operating
system was sealed into the archive and the package.)
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import zlib
from pathlib import Path

import pytest
import yaml

from cli import main
from schemas import read_case_file

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CASE = "inspection-record-jianji-2026-37.yaml"


def png(width: int, height: int) -> bytes:
    """A PNG header claiming width × height (a decompression bomb needs no more than this)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))


@pytest.fixture
def folder(tmp_path) -> Path:
    """A case folder holding the inspection record and its photos."""
    d = tmp_path / "cases"
    shutil.copytree(EXAMPLES / "bureau" / "photos", d / "photos")
    shutil.copy(EXAMPLES / "bureau" / CASE, d / CASE)
    return d


def with_photo(folder: Path, file: str) -> Path:
    raw = read_case_file(folder / CASE)
    raw["photos"] = [dict(raw["photos"][0], file=file)]
    out = folder / "case.yaml"
    out.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return out


def photo_problems(runner, case: Path, *extra: str) -> list[str]:
    r = runner.invoke(main, ["case", "validate", str(case), "--json", *extra])
    out = json.loads(r.stdout)
    return [p["message"] for p in out["problems"] if p["path"].startswith("photos[0]")]


def test_the_examples_photos_are_accepted(runner, folder):
    assert photo_problems(runner, folder / CASE) == []


def test_a_path_climbing_out_of_the_case_folder_is_refused(runner, folder, tmp_path):
    outside = tmp_path / "elsewhere.jpg"
    shutil.copy(folder / "photos" / "site-distribution-box.jpg", outside)
    (msg,) = photo_problems(runner, with_photo(folder, "../elsewhere.jpg"))
    assert "outside the case file's folder" in msg


def test_an_absolute_path_elsewhere_is_refused(runner, folder):
    system_png = next((p for p in (Path("/usr/share/gitweb/static/git-logo.png"), Path("/usr/share/doc/python3/_static/file.png"))
                       if p.exists()), None) or (folder.parent / "x.png")
    if not system_png.exists():
        system_png.write_bytes(png(10, 10))
    (msg,) = photo_problems(runner, with_photo(folder, str(system_png)))
    assert "outside" in msg


def test_a_symbolic_link_pointing_outside_is_refused(runner, folder, tmp_path):
    outside = tmp_path / "secret.jpg"
    shutil.copy(folder / "photos" / "site-distribution-box.jpg", outside)
    os.symlink(outside, folder / "photos" / "link.jpg")
    (msg,) = photo_problems(runner, with_photo(folder, "photos/link.jpg"))
    assert "outside" in msg


def test_files_root_admits_a_named_folder(runner, folder, tmp_path):
    shared = tmp_path / "shared-photos"
    shared.mkdir()
    shutil.copy(folder / "photos" / "site-distribution-box.jpg", shared / "p.jpg")
    case = with_photo(folder, str(shared / "p.jpg"))
    assert photo_problems(runner, case)
    assert photo_problems(runner, case, "--files-root", str(shared)) == []


def test_a_text_file_named_jpg_is_refused(runner, folder):
    (folder / "photos" / "fake.jpg").write_text("not an image", encoding="utf-8")
    (msg,) = photo_problems(runner, with_photo(folder, "photos/fake.jpg"))
    assert "judged by content" in msg


def test_a_png_claiming_huge_dimensions_is_refused(runner, folder):
    (folder / "photos" / "bomb.png").write_bytes(png(100_000, 100_000))
    (msg,) = photo_problems(runner, with_photo(folder, "photos/bomb.png"))
    assert "100000×100000" in msg


def test_a_real_png_is_taken_as_png_whatever_its_name(runner, folder):
    (folder / "photos" / "scan.jpg").write_bytes(png(800, 600) + b"\0" * 100)
    assert photo_problems(runner, with_photo(folder, "photos/scan.jpg")) == []


def test_image_inspection_reads_jpeg_sizes():
    from archive.documents.images import inspect_image

    info = inspect_image(EXAMPLES / "bureau" / "photos" / "site-distribution-box.jpg")
    assert info.media_type == "image/jpeg" and info.width > 100 and info.height > 100
