"""What a phone hands in at a step: the handwritten signature (a PNG drawn on a canvas) and photos
(JPEG or PNG from the camera), checked before anything is stored.

    sig = take_signature(path, settings)     # SignatureProblem if not a PNG, too big, or blank
    ph = take_photo(path)                    # PhotoFacts(media_type, taken_at, latitude, longitude)

Both go through :func:`archive.documents.images.inspect_image` first (real type by content, pixel
limits before any decoding: a decompression bomb is refused from its header). A signature must be
a PNG of sane size that carries ink — a blank pad is refused. A photo's EXIF time
(DateTimeOriginal, converted to China time when the camera recorded its offset) and GPS position
are read with Pillow (a dependency of pdfplumber), which parses the header and EXIF block only;
the pixels are never decoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from archive.clock import CST
from archive.documents.images import ImageProblem, inspect_image

SIGNATURE_MAX_SIDE = 4000  # pixels: a 360 px-wide pad on a 3x screen is ~1,000 px
SIGNATURE_MIN_INK = 60  # dark pixels: a dot or an accidental tap is not a signature


class CaptureProblem(ValueError):
    """Why a signature or photo was refused (Chinese first, English after)."""


@dataclass(frozen=True)
class PhotoFacts:
    media_type: str
    width: int
    height: int
    taken_at: datetime | None  # China time, naive (as every time in a record)
    latitude: float | None
    longitude: float | None


def take_signature(path: Path, max_bytes: int) -> tuple[int, int]:
    """Check a drawn signature; its (width, height) in pixels."""
    size = path.stat().st_size
    if size > max_bytes:
        raise CaptureProblem(f"签名图片过大（{size:,} 字节，至多 {max_bytes:,}） (signature image too large)")
    try:
        info = inspect_image(path)
    except ImageProblem as e:
        raise CaptureProblem(f"签名：{e}") from e
    if info.media_type != "image/png":
        raise CaptureProblem("签名须为 PNG 图片 (the signature must be a PNG)")
    if info.width > SIGNATURE_MAX_SIDE or info.height > SIGNATURE_MAX_SIDE:
        raise CaptureProblem(f"签名图片尺寸过大（{info.width}×{info.height}） (signature image too large)")
    if _ink(path) < SIGNATURE_MIN_INK:
        raise CaptureProblem("签名为空，请在签字框内手写签名 (the signature pad is empty)")
    return info.width, info.height


def _ink(path: Path) -> int:
    """Dark, visible pixels of a PNG (strokes on a transparent or white pad)."""
    from PIL import Image, UnidentifiedImageError  # lazy: only a signing step needs it

    try:
        with Image.open(path) as im:
            im.load()
            rgba = im.convert("RGBA")
    except (OSError, UnidentifiedImageError, ValueError) as e:
        raise CaptureProblem(f"签名图片无法读取 (cannot read the signature: {type(e).__name__})") from e
    alpha = rgba.getchannel("A").point(lambda a: 255 if a > 64 else 0)
    dark = rgba.convert("L").point(lambda v: 255 if v < 160 else 0)
    from PIL import ImageChops

    return ImageChops.multiply(alpha, dark).histogram()[255]


def take_photo(path: Path) -> PhotoFacts:
    """Check a photo and read its EXIF time and place (when the camera recorded them)."""
    try:
        info = inspect_image(path)
    except ImageProblem as e:
        raise CaptureProblem(f"照片：{e}") from e
    taken_at, lat, lon = _exif(path)
    return PhotoFacts(info.media_type, info.width, info.height, taken_at, lat, lon)


def _exif(path: Path) -> tuple[datetime | None, float | None, float | None]:
    from PIL import ExifTags, Image, UnidentifiedImageError  # lazy: only a signing step needs it

    try:
        with Image.open(path) as im:  # reads the header and the EXIF block, not the pixels
            exif = im.getexif()
            base = dict(exif)
            ifd = dict(exif.get_ifd(ExifTags.IFD.Exif))
            gps = dict(exif.get_ifd(ExifTags.IFD.GPSInfo))
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return None, None, None
    when = exif_time(ifd.get(ExifTags.Base.DateTimeOriginal) or base.get(ExifTags.Base.DateTime),
                     ifd.get(ExifTags.Base.OffsetTimeOriginal) or ifd.get(ExifTags.Base.OffsetTime))
    lat = gps_degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), 90)
    lon = gps_degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), 180)
    return when, lat, lon


def exif_time(value: Any, offset: Any = None) -> datetime | None:
    """EXIF ``YYYY:MM:DD HH:MM:SS`` (camera time) as China time; with the camera's offset
    (``+08:00``) converted, without it taken as China time."""
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.strptime(value.strip().rstrip("\x00")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if isinstance(offset, str):
        off = offset.strip().rstrip("\x00")
        try:
            sign = -1 if off.startswith("-") else 1
            h, m = off.lstrip("+-").split(":")
            tz = timezone(sign * timedelta(hours=int(h), minutes=int(m)))
            dt = dt.replace(tzinfo=tz).astimezone(CST).replace(tzinfo=None)
        except (ValueError, TypeError):
            pass
    return dt


def gps_degrees(dms: Any, ref: Any, limit: float) -> float | None:
    """EXIF degrees/minutes/seconds (three rationals) and N/S or E/W as signed decimal degrees."""
    try:
        d, m, s = (float(x) for x in dms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if isinstance(ref, str) and ref.strip().upper() in ("S", "W"):
        value = -value
    if not -limit <= value <= limit or value != value:
        return None
    return round(value, 6)
