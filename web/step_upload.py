"""Receiving a 作业票 step from a phone: a multipart/form-data body with the step's fields, the
signature drawn on the pad (``signature``, a PNG) and photos from the camera (``photos``),
streamed into a private folder of the archive's tmp/ (claimed while it lives: photos and the
form hold personal data; :mod:`storage.staging`) — never held in memory whole.

The form token is checked before any file byte is written: the ``X-CSRF-Token`` header (what the
page's script sends), or a ``csrf_token`` field before the first file. Limits: the whole body
(``ticket_step_max_bytes``), the signature (``ticket_signature_max_bytes``), the number of photos
(``ticket_step_max_photos``), fields (count and length). An empty file part (a file input left
empty) is ignored.
"""

from __future__ import annotations

from archive.text import whole_number
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header

from storage import staging
from storage.home import FILE_MODE, make_private_dir
from web.uploads import UploadRefused

FIELD_MAX = 32 * 1024  # bytes of one text field (a long 风险辨识结果)
FIELDS_MAX = 400


@dataclass
class StepUpload:
    """The received step: its fields (every value of each name), the signature and photo files."""

    folder: Path
    claim: staging.Claim
    fields: dict[str, list[str]] = field(default_factory=dict)
    signature: Path | None = None
    photos: list[Path] = field(default_factory=list)

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else default

    def all(self, name: str) -> list[str]:
        return list(self.fields.get(name, []))

    def close(self) -> None:
        """Remove what was received (the step is sealed, or refused)."""
        self.claim.release()


@dataclass
class _Part:
    headers: dict[str, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    value: bytearray = field(default_factory=bytearray)
    fd: int | None = None
    path: Path | None = None
    size: int = 0


class _Receiver:
    def __init__(self, up: StepUpload, *, max_signature: int, max_photos: int, csrf_ok: Any, header_ok: bool) -> None:
        self.up = up
        self.max_signature = max_signature
        self.max_photos = max_photos
        self.csrf_ok = csrf_ok
        self.trusted = header_ok
        self.part: _Part | None = None
        self._hname = bytearray()
        self._hvalue = bytearray()
        self.n = 0

    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._hname += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._hvalue += data[start:end]

    def on_header_end(self) -> None:
        assert self.part is not None
        self.part.headers[bytes(self._hname).decode("latin-1").lower()] = bytes(self._hvalue)
        self._hname.clear()
        self._hvalue.clear()

    def on_headers_finished(self) -> None:
        part = self.part
        assert part is not None
        _, opts = parse_options_header(part.headers.get("content-disposition", b""))
        part.name = opts.get(b"name", b"").decode("utf-8", "replace")
        fn = opts.get(b"filename")
        part.filename = fn.decode("utf-8", "replace") if fn is not None else None
        if part.filename is None or part.filename == "":
            return  # a field, or a file input left empty (its bytes are ignored)
        if not self.trusted:
            if not self.csrf_ok(self.up.get("csrf_token")):
                raise UploadRefused(403, "表单已失效，请刷新页面后重试 (the form expired or was not sent by this site)")
            self.trusted = True
        if part.name == "signature":
            if self.up.signature is not None:
                raise UploadRefused(400, "只能有一个签名 (one signature per step)")
        elif part.name == "photos":
            if len(self.up.photos) >= self.max_photos:
                raise UploadRefused(400, f"照片至多 {self.max_photos} 张 (at most {self.max_photos} photos)")
        else:
            raise UploadRefused(400, f"不认识的文件字段 {part.name[:30]} (unknown file field)")
        self.n += 1
        part.path = self.up.folder / f"{part.name}-{self.n:02d}"
        part.fd = os.open(part.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        assert part is not None
        if part.filename is None:
            if len(part.value) + (end - start) > FIELD_MAX:
                raise UploadRefused(400, "表单字段过长 (form field too long)")
            part.value += data[start:end]
            return
        if part.fd is None:
            return
        part.size += end - start
        if part.name == "signature" and part.size > self.max_signature:
            raise UploadRefused(413, f"签名图片超过 {self.max_signature:,} 字节 (signature too large; setting ticket_signature_max_bytes)")
        view = memoryview(data)[start:end]
        while view:
            n = os.write(part.fd, view)
            view = view[n:]

    def on_part_end(self) -> None:
        part = self.part
        self.part = None
        if part is None:
            return
        if part.fd is not None:
            os.close(part.fd)
            part.fd = None
            assert part.path is not None
            if part.size == 0:
                part.path.unlink(missing_ok=True)
            elif part.name == "signature":
                self.up.signature = part.path
            else:
                self.up.photos.append(part.path)
            return
        if part.filename is None and part.name:
            if sum(len(v) for v in self.up.fields.values()) >= FIELDS_MAX:
                raise UploadRefused(400, "表单字段过多 (too many form fields)")
            self.up.fields.setdefault(part.name, []).append(part.value.decode("utf-8", "replace"))

    def abort(self) -> None:
        if self.part is not None and self.part.fd is not None:
            os.close(self.part.fd)
            self.part.fd = None


async def receive_step(request: Any, tmp_dir: Path, *, max_bytes: int, max_signature: int, max_photos: int, csrf_ok: Any) -> StepUpload:
    """Stream the multipart body of ``request`` into a claimed folder of ``tmp_dir``. Raises
    :class:`~web.uploads.UploadRefused` (status, message); nothing is left behind then."""
    ctype, opts = parse_options_header(request.headers.get("content-type", ""))
    boundary = opts.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise UploadRefused(400, "请用表单提交 (expected multipart/form-data)")
    length = request.headers.get("content-length")
    if length is not None and whole_number(length, default=max_bytes + 1) > max_bytes:
        raise UploadRefused(413, f"签名和照片合计超过 {max_bytes:,} 字节 (too large; setting ticket_step_max_bytes)")
    header = request.headers.get("x-csrf-token")
    if header is not None and not csrf_ok(header):
        raise UploadRefused(403, "表单已失效，请刷新页面后重试 (the form expired or was not sent by this site)")
    folder = Path(tmp_dir) / f"ticket-upload-{secrets.token_hex(8)}"
    claim = staging.claim(Path(tmp_dir), folder)
    make_private_dir(folder)
    up = StepUpload(folder, claim)
    rx = _Receiver(up, max_signature=max_signature, max_photos=max_photos, csrf_ok=csrf_ok, header_ok=header is not None)
    parser = MultipartParser(boundary, {
        "on_part_begin": rx.on_part_begin, "on_part_data": rx.on_part_data, "on_part_end": rx.on_part_end,
        "on_header_field": rx.on_header_field, "on_header_value": rx.on_header_value, "on_header_end": rx.on_header_end,
        "on_headers_finished": rx.on_headers_finished,
    }, max_size=max_bytes)
    ok = False
    try:
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > max_bytes:
                raise UploadRefused(413, f"签名和照片合计超过 {max_bytes:,} 字节 (too large; setting ticket_step_max_bytes)")
            parser.write(chunk)
        parser.finalize()
        if not rx.trusted and not csrf_ok(up.get("csrf_token")):
            raise UploadRefused(403, "表单已失效，请刷新页面后重试 (the form expired or was not sent by this site)")
        ok = True
    except UploadRefused:
        raise
    except Exception as e:  # noqa: BLE001 — a malformed body from the client is its error, not ours
        raise UploadRefused(400, f"提交内容无法解析 (malformed form: {type(e).__name__})") from e
    finally:
        rx.abort()
        if not ok:
            up.close()
    return up
