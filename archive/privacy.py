"""身份证号 never leaves the archive in clear: every output passes through :func:`mask_record`."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from schemas.base import field_infos
from schemas.identifiers import id_birth_date, mask_id
from schemas.registry import Organization, Person, Project

# An 18-character 身份证号 anywhere in text, also glued to letters (a 特种作业操作证 number may be
# "T" + the holder's ID number), also written in its groups (110101 19900307 7571: a space or a
# dash after the region and after the date of birth), but not inside a longer run of digits.
ID_PATTERN = re.compile(r"(?<!\d)\d{6}[ -]?(?:1[89]|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[ -]?\d{3}[\dXx](?!\d)")


def mask_record(data: Any, cls: type) -> Any:
    """A copy of JSON ``data`` (shaped by dataclass ``cls``) with sensitive fields masked, and any
    other text that looks like a 身份证号 (a certificate number is often the holder's ID) too."""
    return mask_json(_mask_fields(data, cls))


def mask_json(data: Any) -> Any:
    """Mask ID-shaped text anywhere in a JSON value."""
    if isinstance(data, str):
        return mask_text(data)
    if isinstance(data, list):
        return [mask_json(x) for x in data]
    if isinstance(data, dict):
        return {k: mask_json(v) for k, v in data.items()}
    return data


def _mask_fields(data: Any, cls: type) -> Any:
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for info in field_infos(cls):
        if info.name not in out or out[info.name] is None:
            continue
        v = out[info.name]
        target = info.item if info.is_list else info.type
        if info.spec.sensitive == "id_number":
            out[info.name] = [mask_id(x) for x in v] if info.is_list else mask_id(v)
        elif isinstance(target, type) and dataclasses.is_dataclass(target):
            out[info.name] = [_mask_fields(x, target) for x in v] if info.is_list else _mask_fields(v, target)
    return out


def mask_refs(refs: dict) -> dict:
    """The referenced-entity snapshot of a record, masked (people, project rosters, everything)."""
    out = dict(refs)
    out["persons"] = {k: mask_record(v, Person) for k, v in refs.get("persons", {}).items()}
    out["projects"] = {k: mask_record(v, Project) for k, v in refs.get("projects", {}).items()}
    out["organizations"] = {k: mask_record(v, Organization) for k, v in refs.get("organizations", {}).items()}
    return mask_json(out)


def born_on(id_number: str, typed: str | None) -> bool:
    """Whether ``typed`` is the date of birth an 18-character 身份证号 holds (its 7th–14th
    characters, YYYYMMDD; spaces, dashes, dots, slashes and 年月日 between them are ignored).
    What a worker confirms who he is with on a phone handed to him. Not the last four characters:
    every masked number shows those (3701**********1213), the date of birth it hides."""
    digits = re.sub(r"[\s\-./年月日]", "", typed or "")
    born = id_birth_date(id_number) if len(id_number) == 18 else None
    return born is not None and digits == born.strftime("%Y%m%d")


def mask_text(text: str) -> str:
    """Mask anything in free text that looks like an 18-digit 身份证号."""
    return ID_PATTERN.sub(lambda m: mask_id(m.group(0)), text)
