"""Receiving an uploaded package: multipart/form-data streamed to a file in the archive's tmp/,
never held in memory whole, with the CSRF token checked before any file byte is written and the
size limited as for zips (``package_max_bytes``).

The form's fields come in order: ``csrf_token`` first (a hidden input before the file input), then
``package`` (the .zip). A file part before a valid token, a second file, a name not ending in
``.zip`` or too many bytes stop the upload and remove what was written.
"""

from __future__ import annotations

from archive.text import whole_number
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header

from storage.home import FILE_MODE, make_private_dir


class UploadRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _Part:
    headers: dict[str, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    value: bytearray = field(default_factory=bytearray)


@dataclass
class Upload:
    path: Path
    filename: str
    size: int
    fields: dict[str, str]


class _Receiver:
    def __init__(self, folder: Path, max_bytes: int, csrf_ok: Any, field_name: str) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.csrf_ok = csrf_ok
        self.field_name = field_name
        self.fields: dict[str, str] = {}
        self.part: _Part | None = None
        self._hname = bytearray()
        self._hvalue = bytearray()
        self.fd: int | None = None
        self.path: Path | None = None
        self.filename = ""
        self.size = 0
        self.error: UploadRefused | None = None

    # the parser's callbacks -------------------------------------------------------------------------

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
        if part.filename is not None:
            if part.name != self.field_name or self.fd is not None:
                raise UploadRefused(400, "只能上传一个包文件 (one package file per upload)")
            if not self.csrf_ok(self.fields.get("csrf_token")):
                raise UploadRefused(403, "表单已失效，请刷新页面后重试 (the form expired or was not sent by this site)")
            name = os.path.basename(part.filename.replace("\\", "/"))
            if not name.lower().endswith(".zip"):
                raise UploadRefused(400, "请上传 .zip 格式的报送包 (upload the submission package as a .zip file)")
            self.filename = name
            make_private_dir(self.folder)
            self.path = self.folder / f"upload-{secrets.token_hex(8)}.zip"
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        assert part is not None
        if part.filename is None:
            if len(part.value) + (end - start) > 4096:
                raise UploadRefused(400, "表单字段过长 (form field too long)")
            part.value += data[start:end]
            return
        self.size += end - start
        if self.size > self.max_bytes:
            raise UploadRefused(413, f"文件超过上限 {self.max_bytes:,} 字节 (file too large; setting package_max_bytes)")
        assert self.fd is not None
        view = memoryview(data)[start:end]
        while view:
            n = os.write(self.fd, view)
            view = view[n:]

    def on_part_end(self) -> None:
        part = self.part
        if part is not None and part.filename is None and part.name:
            if len(self.fields) > 20:
                raise UploadRefused(400, "表单字段过多 (too many form fields)")
            self.fields[part.name] = part.value.decode("utf-8", "replace")
        self.part = None

    def close(self, *, keep: bool) -> None:
        if self.fd is not None:
            if keep:
                os.fsync(self.fd)
            os.close(self.fd)
            self.fd = None
        if not keep and self.path is not None:
            self.path.unlink(missing_ok=True)


async def receive_upload(request: Any, folder: Path, *, max_bytes: int, csrf_ok: Any, field_name: str = "package") -> Upload:
    """Stream the multipart body of ``request`` (a Starlette request) into ``folder``; the file's
    path, name and size, and the other fields. Raises :class:`UploadRefused` (status, message)."""
    ctype, opts = parse_options_header(request.headers.get("content-type", ""))
    boundary = opts.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise UploadRefused(400, "请用表单上传文件 (expected multipart/form-data)")
    length = request.headers.get("content-length")
    if length is not None and whole_number(length, default=max_bytes + 65537) > max_bytes + 65536:
        raise UploadRefused(413, f"文件超过上限 {max_bytes:,} 字节 (file too large; setting package_max_bytes)")
    rx = _Receiver(folder, max_bytes, csrf_ok, field_name)
    parser = MultipartParser(boundary, {
        "on_part_begin": rx.on_part_begin, "on_part_data": rx.on_part_data, "on_part_end": rx.on_part_end,
        "on_header_field": rx.on_header_field, "on_header_value": rx.on_header_value, "on_header_end": rx.on_header_end,
        "on_headers_finished": rx.on_headers_finished,
    }, max_size=max_bytes + 65536)
    keep = False
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
        if rx.path is None:
            raise UploadRefused(400, "没有选择文件 (no file chosen)")
        keep = True
    except UploadRefused:
        raise
    except Exception as e:  # noqa: BLE001 — a malformed body from the client is its error, not ours
        raise UploadRefused(400, f"上传内容无法解析 (malformed upload: {type(e).__name__})") from e
    finally:
        rx.close(keep=keep)
    assert rx.path is not None
    return Upload(rx.path, rx.filename, rx.size, rx.fields)
