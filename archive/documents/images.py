"""Images a case file brings along (photos, drawings, signatures): what they really are and how
big they would be once decoded, read from their headers before anything else touches them.

A file named ``photo.jpg`` that is not a JPEG, or a 2 KB PNG that claims 100,000 × 100,000
pixels (a decompression bomb: LibreOffice would try to allocate 40 GB), is refused with one
clear problem. Only JPEG and PNG are accepted: what phones and scanners produce, and what every
PDF viewer shows.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 25 * 2**20  # one image file
MAX_SIDE = 20_000  # pixels, either side
MAX_PIXELS = 80_000_000  # a 12,000 × 6,700 scan; a phone photo is 12–50 megapixels

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
# JPEG start-of-frame markers that carry the image size (not DHT C4, JPG C8, DAC CC)
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


@dataclass(frozen=True)
class ImageInfo:
    media_type: str  # image/jpeg | image/png
    width: int
    height: int


class ImageProblem(ValueError):
    """Why a file cannot be taken as an image (Chinese first, English after)."""


def inspect_image(path: Path) -> ImageInfo:
    """The real type and pixel size of ``path``; :class:`ImageProblem` if it is not an acceptable
    JPEG or PNG or would decode to too many pixels."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ImageProblem(f"图片文件过大（{size:,} 字节，至多 {MAX_BYTES:,}） (image file too large)")
    with path.open("rb") as fh:
        head = fh.read(64 * 1024)
        if head.startswith(PNG_MAGIC):
            info = _png(head)
        elif head.startswith(JPEG_MAGIC):
            fh.seek(0)
            info = _jpeg(fh)
        else:
            raise ImageProblem("不是 JPEG 或 PNG 图片（按文件内容判断，不按扩展名） (not a JPEG or PNG image, judged by content)")
    if info.width <= 0 or info.height <= 0:
        raise ImageProblem("图片尺寸无效 (invalid image size)")
    if info.width > MAX_SIDE or info.height > MAX_SIDE or info.width * info.height > MAX_PIXELS:
        raise ImageProblem(
            f"图片像素过大（{info.width}×{info.height}，至多每边 {MAX_SIDE}、共 {MAX_PIXELS:,} 像素） (image too large when decoded)"
        )
    return info


def _png(head: bytes) -> ImageInfo:
    # signature (8) + IHDR length (4) + "IHDR" (4) + width (4) + height (4)
    if len(head) < 24 or head[12:16] != b"IHDR":
        raise ImageProblem("PNG 文件头损坏 (damaged PNG header)")
    width, height = struct.unpack(">II", head[16:24])
    return ImageInfo("image/png", width, height)


def _jpeg(fh) -> ImageInfo:
    """Walk the JPEG markers to the first start-of-frame (bounded: headers only)."""
    fh.read(2)
    for _ in range(10_000):
        b = fh.read(1)
        while b == b"\xff":
            b = fh.read(1)
        if not b:
            break
        marker = b[0]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue
        if marker == 0xD9 or marker == 0xDA:  # end of image, or scan data before any frame
            break
        length_bytes = fh.read(2)
        if len(length_bytes) < 2:
            break
        (length,) = struct.unpack(">H", length_bytes)
        if length < 2:
            break
        if marker in _SOF:
            seg = fh.read(5)
            if len(seg) < 5:
                break
            height, width = struct.unpack(">HH", seg[1:5])
            return ImageInfo("image/jpeg", width, height)
        fh.seek(length - 2, 1)
    raise ImageProblem("JPEG 文件损坏，找不到图像尺寸 (damaged JPEG: no frame header)")
