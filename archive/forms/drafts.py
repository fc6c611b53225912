"""Drafts: forms filled in the browser, kept per account until they are added.

    d = start(archive, who, kind, raw)              # a new draft (raw: {} or an uploaded case file)
    d = open_draft(archive, who, draft_id)          # NotFound for another account's draft, as for none
    save(archive, who, d, raw)                      # what the form holds now
    attach(archive, who, d, "signatures/赵志刚.png", data)
    problems = check(archive, who, d)               # exactly ``outsafe case validate`` (Archive.dry_run)
    pdf = preview(archive, who, d, out)             # the document, rendered, not sealed (``case render``)
    report = add(archive, who, d)                   # sealed (``case add``; registry: ``org add`` …); the draft is deleted

``who`` is the signed-in account (``name``, ``org``, ``scope``; archive.access.signin.Viewer).
A draft is the case file as typed so far (a dict, maybe incomplete or wrong) and the images it
names; it is never a record: nothing of it enters the catalog until :func:`add`. Validation,
preview and add write the case file and its images to a private folder in the archive's tmp/
(claimed: removed even if the process dies) and hand its path to the same calls the command line
makes, so a form is judged exactly as the same YAML file would be.

An enterprise's account files its own enterprise's records only: a case naming another enterprise
is refused at that field.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from archive import ids
from archive.campaign.rectify import case_yaml
from archive.documents.images import MAX_BYTES as IMAGE_MAX_BYTES
from archive.documents.images import ImageProblem, inspect_image
from archive.errors import NotFound, Problem, RuleViolation, ValidationFailed
from archive.forms.model import FormKind, kind_of
from archive.privacy import mask_record
from schemas import FileProblem, class_for, meta_of, parse_text, record_label
from schemas.base import LIMITS
from storage import staging
from storage.home import FILE_MODE, make_private_dir, safe_name

MAX_FILES = 60  # images attached to one draft


@dataclass
class Draft:
    """One draft as loaded: its row, its case file so far and its files (without their bytes)."""

    id: str
    kind: FormKind
    raw: dict
    title: str
    revision: int
    created_at: str
    updated_at: str
    files: list[dict] = field(default_factory=list)  # name, media_type, size, sha256

    @property
    def cls(self) -> type:
        return self.kind.cls

    def as_dict(self) -> dict:
        return {"id": self.id, "type": self.kind.type, "ticket_type": self.kind.subtype, "form": self.kind.label,
                "title": self.title, "revision": self.revision, "created_at": self.created_at, "updated_at": self.updated_at,
                "files": self.files}


def owner_role(archive: Any) -> str:
    return archive.catalog.get_meta("owner_role") or ""


def title_of(kind: FormKind, raw: dict) -> str:
    """What the list of drafts calls it: the document's name and number (a person's or unit's name)."""
    cls = kind.cls
    meta = meta_of(cls)
    value: Any = raw
    for part in (meta.number or "").split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if meta.kind == "registry" and isinstance(raw.get("name"), str):
        value = raw["name"] if meta.type != "project" else f"{raw.get('code') or ''} {raw['name']}".strip()
    shown = str(value).strip() if value not in (None, "") else "（未填编号）"
    return f"{record_label(cls)} {shown}"[:200]


def _encode(raw: dict) -> str:
    return json.dumps(raw, ensure_ascii=False, sort_keys=False, default=str)


def start(archive: Any, who: Any, kind: FormKind, raw: dict | None = None) -> Draft:
    """A new draft of ``kind`` for ``who`` (empty, or holding an uploaded case file)."""
    raw = dict(raw or {})
    raw.pop("type", None)
    if kind.subtype:
        raw["ticket_type"] = kind.subtype
    now = archive.clock.stamp()
    row = {"id": ids.new_id(archive.clock), "owner": who.name, "org": who.org, "type": kind.type, "subtype": kind.subtype,
           "title": title_of(kind, raw), "data": _encode(raw), "revision": 1, "created_at": now, "updated_at": now}
    with archive.catalog.transaction():
        archive.catalog.drafts.add_draft(row)
    return open_draft(archive, who, row["id"])


def not_found(draft_id: str) -> NotFound:
    shown = draft_id if ids.is_id(draft_id) else draft_id[:40]
    return NotFound(f"没有草稿 {shown} (no such draft)")


def open_draft(archive: Any, who: Any, draft_id: str) -> Draft:
    """The draft ``draft_id`` of ``who`` — another account's draft is NotFound, like a missing one."""
    did = (draft_id or "").strip().upper()
    row = archive.catalog.drafts.get_draft(did, who.name) if ids.is_id(did) else None
    kind = kind_of(owner_role(archive), row["type"], row["subtype"]) if row else None
    if row is None or kind is None:
        raise not_found(draft_id)
    files = [{k: f[k] for k in ("name", "media_type", "size", "sha256")} for f in archive.catalog.drafts.draft_files(did, who.name)]
    return Draft(row["id"], kind, json.loads(row["data"]), row["title"], row["revision"], row["created_at"], row["updated_at"], files)


def drafts_of(archive: Any, who: Any) -> list[dict]:
    """The account's drafts, the one saved last first."""
    role = owner_role(archive)
    out = []
    for r in archive.catalog.drafts.drafts(who.name):
        kind = kind_of(role, r["type"], r["subtype"])
        if kind is not None:
            out.append({"id": r["id"], "type": r["type"], "ticket_type": r["subtype"], "form": kind.label, "title": r["title"],
                        "revision": r["revision"], "updated_at": r["updated_at"]})
    return out


def save(archive: Any, who: Any, draft: Draft, raw: dict) -> Draft:
    """Keep what the form holds now."""
    raw = dict(raw)
    raw.pop("type", None)
    if draft.kind.subtype:
        raw["ticket_type"] = draft.kind.subtype
    title = title_of(draft.kind, raw)
    with archive.catalog.transaction():
        revision = archive.catalog.drafts.update_draft(draft.id, who.name, title=title, data=_encode(raw), updated_at=archive.clock.stamp())
    if revision is None:
        raise not_found(draft.id)
    return open_draft(archive, who, draft.id)


def delete(archive: Any, who: Any, draft_id: str) -> None:
    with archive.catalog.transaction():
        if not archive.catalog.drafts.delete_draft((draft_id or "").strip().upper(), who.name):
            raise not_found(draft_id)


# --- images ---------------------------------------------------------------------------------------------


def file_name(name: str, fallback: str) -> str:
    """The name an attached image is kept under: the one the case file gives (``signatures/赵志刚.png``,
    at most one folder deep), each part made safe; else the uploaded file's own name."""
    parts = [p for p in PurePosixPath((name or "").replace("\\", "/")).parts if p not in ("/", ".", "..")]
    parts = [safe_name(p) for p in parts][-2:]
    if not parts:
        parts = [safe_name(PurePosixPath((fallback or "").replace("\\", "/")).name, "image")]
    return "/".join(parts)


def attach(archive: Any, who: Any, draft: Draft, name: str, data: bytes, *, path: str = "") -> tuple[str | None, Problem | None]:
    """Keep an image for the draft under ``name``: (the name kept, None), or (None, the problem at
    ``path``) when it is not a JPEG or PNG of sane size."""
    if len(data) > IMAGE_MAX_BYTES:
        return None, Problem(path, f"图片文件过大（{len(data):,} 字节，至多 {IMAGE_MAX_BYTES:,}） (image file too large)")
    if len(draft.files) >= MAX_FILES and name not in {f["name"] for f in draft.files}:
        return None, Problem(path, f"一份草稿至多 {MAX_FILES} 个图片文件 (at most {MAX_FILES} images per draft)")
    with _private_dir(archive, "upload") as tmp:
        probe = tmp / "image"
        probe.write_bytes(data)
        try:
            info = inspect_image(probe)
        except ImageProblem as e:
            return None, Problem(path, f"{e}: {name}")
    if not name.lower().endswith((".png", ".jpg", ".jpeg")):
        name += ".png" if info.media_type == "image/png" else ".jpg"
    row = {"draft_id": draft.id, "name": name, "media_type": info.media_type, "size": len(data),
           "sha256": hashlib.sha256(data).hexdigest(), "data": data, "created_at": archive.clock.stamp()}
    with archive.catalog.transaction():
        if not archive.catalog.drafts.put_draft_file(row, who.name):
            raise not_found(draft.id)
    draft.files = [f for f in draft.files if f["name"] != name] + [{k: row[k] for k in ("name", "media_type", "size", "sha256")}]
    return name, None


def file_of(archive: Any, who: Any, draft_id: str, name: str) -> dict:
    f = next((f for f in archive.catalog.drafts.draft_files((draft_id or "").upper(), who.name) if f["name"] == name), None)
    if f is None:
        raise NotFound(f"草稿没有这个文件 (no such file): {name[:60]}")
    return f


# --- the case file on disk, for the command line's own calls ---------------------------------------------


@contextmanager
def _private_dir(archive: Any, what: str) -> Iterator[Path]:
    tmp_root = archive.home.tmp_dir
    make_private_dir(tmp_root)
    folder = tmp_root / f"form-{what}-{secrets.token_hex(8)}"
    claim = staging.claim(tmp_root, folder)
    try:
        make_private_dir(folder)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        claim.release()


def yaml_name(draft: Draft) -> str:
    return safe_name(draft.title.replace(" ", "-") + ".yaml", "form.yaml")


def draft_yaml(draft: Draft) -> str:
    """The draft as a case file (what ``case add`` would be given)."""
    body = {"type": draft.kind.type, **{k: v for k, v in draft.raw.items() if k != "type"}}
    return case_yaml(body)


@contextmanager
def case_file(archive: Any, who: Any, draft: Draft) -> Iterator[Path]:
    """The draft written out as ``<private tmp>/<title>.yaml`` with its images beside it."""
    with _private_dir(archive, "case") as folder:
        path = folder / yaml_name(draft)
        path.write_text(draft_yaml(draft), encoding="utf-8")
        path.chmod(FILE_MODE)
        for f in archive.catalog.drafts.draft_files(draft.id, who.name):
            target = folder / f["name"]
            if not target.resolve().is_relative_to(folder.resolve()) or target == path:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f["data"])
        yield path


def _relative(problems: list[Problem], path: Path, name: str) -> list[Problem]:
    """Problems as the page shows them: the draft's name instead of the private path."""
    folder = str(path.parent) + "/"
    return [dataclasses.replace(p, file=name if p.file == str(path) else p.file, message=p.message.replace(folder, ""))
            for p in problems]


def own_enterprise(archive: Any, who: Any, draft: Draft) -> list[Problem]:
    """An enterprise's account files its own enterprise's records only."""
    if owner_role(archive) != "enterprise":
        return []
    at = meta_of(draft.cls).enterprise
    value = draft.raw.get(at) if at else None
    if at and isinstance(value, str) and value.strip() and value.strip().upper() != (who.org or ""):
        return [Problem(at, f"只能填写本单位（{who.org}）的记录，不能替其他单位填写 (you may file your own enterprise's records only)")]
    return []


def check(archive: Any, who: Any, draft: Draft) -> list[Problem]:
    """Every problem ``outsafe case validate`` finds in the draft inside this archive (schema,
    rules, references, cross-record rules, the template filled), and the own-enterprise rule."""
    with case_file(archive, who, draft) as path:
        _, problems = archive.dry_run([path])
        problems = _relative(problems, path, yaml_name(draft))
    return own_enterprise(archive, who, draft) + problems


def preview(archive: Any, who: Any, draft: Draft, out: Path) -> Path:
    """The draft's document as a PDF at ``out`` (``outsafe case render``): nothing is sealed or
    stored. ValidationFailed with every problem when it cannot be rendered."""
    mine = own_enterprise(archive, who, draft)
    if mine:
        raise ValidationFailed(mine)
    with case_file(archive, who, draft) as path:
        try:
            return archive.render_preview(path, out)
        except ValidationFailed as e:
            raise ValidationFailed(_relative(e.problems, path, yaml_name(draft)), e.message) from None


def add(archive: Any, who: Any, draft: Draft, *, force_reason: str | None = None, pdf: bool = True) -> Any:
    """Seal the draft as ``case add`` does (registry entities as ``org add``, ``person add``,
    ``project add`` do: the type is fixed); the draft is deleted once its record is stored.
    ValidationFailed / RuleViolation as for the command line, with every problem."""
    mine = own_enterprise(archive, who, draft)
    if mine:
        raise ValidationFailed(mine)
    with case_file(archive, who, draft) as path:
        try:
            report = archive.add_files([path], expect=draft.kind.type, force_reason=force_reason, pdf=pdf)
        except ValidationFailed as e:
            raise ValidationFailed(_relative(e.problems, path, yaml_name(draft)), e.message) from None
        except RuleViolation as e:
            raise RuleViolation(_relative(e.problems, path, yaml_name(draft)), e.message, hint=e.hint) from None
    if report.added and not report.failed:
        with archive.catalog.transaction():
            archive.catalog.drafts.delete_draft(draft.id, who.name)
    return report


# --- case files in and out --------------------------------------------------------------------------------


def read_upload(data: bytes, name: str) -> dict:
    """An uploaded case file, read as ``outsafe case add`` reads one (size, UTF-8, the hardened
    YAML loader: no aliases, bounded depth and size; JSON by its name); ValidationFailed if not."""
    name = safe_name(name or "upload.yaml", "upload.yaml")
    if len(data) > LIMITS.file_bytes:
        raise ValidationFailed([Problem("", f"文件过大（{len(data):,} 字节，至多 {LIMITS.file_bytes:,}） (file too large)", file=name)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed([Problem("", "文件不是 UTF-8 编码 (not UTF-8; save the file as UTF-8)", file=name)]) from None
    try:
        raw = parse_text(text, name)
    except FileProblem as e:
        raise ValidationFailed([e.problem]) from None
    if not isinstance(raw, dict):
        raise ValidationFailed([Problem("", "文件内容应为一个对象（键: 值） (the file must hold one mapping)", file=name)])
    cls, problems = class_for(raw)
    if cls is None:
        raise ValidationFailed([dataclasses.replace(p, file=name) for p in problems])
    return raw


def upload_kind(archive: Any, raw: dict, name: str) -> FormKind:
    """The form an uploaded case file fills in this archive, or ValidationFailed."""
    kind = kind_of(owner_role(archive), raw.get("type"), raw.get("ticket_type") if raw.get("type") == "work_ticket" else None)
    if kind is None:
        raise ValidationFailed([Problem("type", f"本档案不填写此类文书 (this archive does not file {raw.get('type')} records)", file=name)])
    return kind


def record_yaml(archive: Any, row: dict, *, full: bool) -> tuple[str, str]:
    """(file name, text) of a record as a case file: its sealed data with ``type`` first — what
    ``case add`` takes back (e.g. uploaded into a form to correct it). 身份证号 masked unless
    ``full`` (an account that may file records sees what it would type)."""
    data = json.loads(row["data"])
    if not full:
        data = mask_record(data, archive.record_class(row))
    header = [f"{row['title']} — 记录 {row['id']}，{row['created_at']} 封签 (sealed)",
              "身份证号已遮蔽 (ID numbers masked)" if not full else "含完整身份证号，请妥善保管 (holds ID numbers in full)"]
    return safe_name(f"{row['title'].replace(' ', '-')}.yaml", "record.yaml"), case_yaml({"type": row["type"], **data}, header)


__all__ = [
    "Draft",
    "add",
    "attach",
    "check",
    "delete",
    "draft_yaml",
    "drafts_of",
    "file_name",
    "file_of",
    "open_draft",
    "own_enterprise",
    "owner_role",
    "preview",
    "read_upload",
    "record_yaml",
    "save",
    "start",
    "title_of",
    "upload_kind",
    "yaml_name",
]
