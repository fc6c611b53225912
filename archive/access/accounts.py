"""Web accounts (``outsafe user add | list | passwd | disable | enable``).

Passwords are hashed with Argon2id (RFC 9106's second recommended profile: 3 passes, 64 MiB,
4 lanes; argon2-cffi's PHC string keeps the parameters, so they can be raised later and old
hashes still verify and are re-hashed at the next sign-in). A password is never stored, logged or
shown — except a generated one, printed once to the administrator who created it.

An enterprise account belongs to a registered organization of role ``enterprise`` (its scope);
a bureau account to the bureau (default: the archive owner, when the owner is a bureau).
"""

from __future__ import annotations

import re
import secrets
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from archive.access import audit
from archive.access.roles import ROLES
from archive.clock import local_time
from archive.errors import NotFound, Problem, ValidationFailed
from archive.privacy import mask_text
from archive.registry import person_key
from archive.text import Note, Table

PASSWORD_MIN = 10
NAME_RE = re.compile(r"^[\w.@-]{2,64}$")
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read aloud or copied from paper

HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4, hash_len=32, salt_len=16, type=Type.ID)
# Each hash takes 64 MiB for ~0.1 s: twenty sign-ins at once would take 1.3 GB. At most two at a
# time (the others wait their turn): memory stays bounded, and a flood of sign-ins cannot exhaust it.
_HASHING = threading.BoundedSemaphore(2)


def hash_password(password: str) -> str:
    with _HASHING:
        return HASHER.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    with _HASHING:
        try:
            return HASHER.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


@cache
def dummy_hash() -> str:
    """A hash to verify against when the name is unknown, so that a wrong name costs the same time
    as a wrong password (no telling which names exist)."""
    return hash_password(secrets.token_hex(16))


def needs_rehash(password_hash: str) -> bool:
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def generated_password() -> str:
    """Four groups of four from 31 unambiguous characters: ~79 bits, e.g. ``k7mq-2vxd-9hcw-ptr4``."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(4))


def normalized_name(name: str) -> str:
    return unicodedata.normalize("NFC", (name or "").strip())


def _password_problems(password: str) -> list[Problem]:
    if len(password) < PASSWORD_MIN:
        return [Problem("password", f"密码至少 {PASSWORD_MIN} 个字符 (the password needs at least {PASSWORD_MIN} characters)")]
    return []


def _org_name(archive: Any, uscc: str) -> tuple[str | None, str | None]:
    """(name, role) of the registered organization ``uscc``; (None, None) when not registered."""
    reg = archive.catalog.get_registry("organization", uscc)
    if reg is None:
        return None, None
    import json

    data = json.loads(archive.catalog.get_record(reg["record_id"])["data"])
    return data.get("name"), data.get("role")


@dataclass
class UserCreated:
    """``outsafe user add``: the new account, and its password when it was generated (shown once)."""

    name: str
    role: str
    org: str | None
    org_name: str | None
    password: str | None  # only when generated
    person_name: str | None = None  # the person it belongs to (--person)

    def as_dict(self) -> dict:
        out = {"name": self.name, "role": self.role, "org": self.org, "org_name": self.org_name, "person_name": self.person_name}
        if self.password is not None:
            out["password"] = self.password
        return out

    def as_text(self) -> list[str]:
        out = [f"已创建用户 (account created): {self.name}  {ROLES[self.role].label}（{self.role}）"
               + (f"  {self.org_name or ''} {self.org}" if self.org else "") + (f"  人员：{self.person_name}" if self.person_name else "")]
        if self.password is not None:
            out.append(f"初始密码 (password, shown once): {self.password}")
            out.append(Note("请把密码当面或经可靠渠道交给本人；它不会再次显示 (hand it over in person; it is not shown again)"))
        return out


@dataclass
class UserChanged:
    """``outsafe user passwd | disable | enable``: what changed; a generated password, shown once."""

    name: str
    what: str  # "password" | "disabled" | "enabled"
    sessions_ended: int
    password: str | None = None

    def as_dict(self) -> dict:
        out = {"name": self.name, "changed": self.what, "sessions_ended": self.sessions_ended}
        if self.password is not None:
            out["password"] = self.password
        return out

    def as_text(self) -> list[str]:
        label = {"password": "已更改密码 (password changed)", "disabled": "已停用 (account disabled)",
                 "enabled": "已启用 (account enabled)"}[self.what]
        out = [f"{label}: {self.name}" + (f"，已结束 {self.sessions_ended} 个会话 (sessions ended)" if self.sessions_ended else "")]
        if self.password is not None:
            out.append(f"新密码 (password, shown once): {self.password}")
        return out


def add_user(archive: Any, name: str, role: str, *, org: str | None = None, password: str | None = None,
             person: str | None = None) -> UserCreated:
    """Create an account; without ``password`` one is generated and returned (to be shown once);
    ``person``: the 身份证号 of the registered person it belongs to (:func:`link_person`)."""
    name = normalized_name(name)
    problems: list[Problem] = []
    if not NAME_RE.match(name):
        problems.append(Problem("name", "用户名须为 2–64 个字母、数字、汉字或 . _ @ - (2–64 letters, digits, . _ @ -)"))
    r = ROLES.get(role)
    if r is None:
        problems.append(Problem("role", f"未知角色 {role} (unknown role); 可用: {', '.join(ROLES)}"))
    org = org.strip().upper() if org else None
    org_name = None
    if r is not None:
        owner_role = archive.catalog.get_meta("owner_role") or ""
        if org is None and r.kind == "bureau" and owner_role == "bureau":
            org = archive.owner_uscc
        if org is None and r.kind == "enterprise":
            problems.append(Problem("org", "企业用户须用 --org 指明所属企业的统一社会信用代码 (an enterprise account needs --org USCC)"))
        elif org is not None:
            org_name, org_role = _org_name(archive, org)
            if org_name is None:
                problems.append(Problem("org", f"单位 {org} 未登记 (organization not registered); 先 outsafe org add"))
            elif org_role != r.kind:
                problems.append(Problem("org", f"{org_name}（{org}）不是{'企业' if r.kind == 'enterprise' else '应急管理局'} "
                                               f"(the organization's role is {org_role}, the account's is {r.kind})"))
    if password is not None:
        problems.extend(_password_problems(password))
    linked = None
    if person is not None and r is not None and not any(p.path == "org" for p in problems):
        try:
            linked = _person_of(archive, person, org)
        except ValidationFailed as e:
            problems.extend(e.problems)
    if not problems and archive.catalog.accounts.get_account(name) is not None:
        problems.append(Problem("name", f"用户 {name} 已存在 (the account exists)"))
    if problems:
        raise ValidationFailed(problems)
    generated = password is None
    password = generated_password() if generated else password
    now = archive.clock.stamp()
    with archive.catalog.transaction():
        archive.catalog.accounts.add_account({
            "name": name, "role": role, "org": org, "password_hash": hash_password(password), "disabled": False,
            "created_at": now, "updated_at": now, "person": linked[0] if linked else None,
        })
    audit.record(archive, "user_added", target=name, detail={"role": role, "org": org, "by": "command line",
                                                             **({"person": linked[1]} if linked else {})})
    return UserCreated(name, role, org, org_name, password if generated else None, linked[1] if linked else None)


def _person_of(archive: Any, id_number: str, org: str | None) -> tuple[str, str]:
    """The registry key and name of the registered person with ``id_number``, who must work for
    ``org`` (an account of a unit belongs to one of its people)."""
    number = unicodedata.normalize("NFKC", id_number).strip().upper()
    p = archive.registry().person(number)
    if p is None:
        raise ValidationFailed([Problem("person", f"人员 {mask_text(number)} 未登记 (no registered person with this 身份证号); 先 outsafe person add")])
    if org is not None and p.employer != org:
        raise ValidationFailed([Problem("person", f"{p.name}不是该账号所属单位的人员 (the person works for {p.employer}, the account is {org})")])
    return person_key(archive.secret, number), p.name


@dataclass
class PersonLinked:
    """``outsafe user link``: the person an account now belongs to (or none)."""

    name: str
    person_name: str | None

    def as_dict(self) -> dict:
        return {"name": self.name, "person_name": self.person_name, "linked": self.person_name is not None}

    def as_text(self) -> list[str]:
        if self.person_name is None:
            return [f"已解除关联 (unlinked): {self.name} 不再代表任何人员签字"]
        return [f"已关联 (linked): 账号 {self.name} 属于 {self.person_name}；登录后可以本人身份签作业票，无需输入出生日期"]


def link_person(archive: Any, name: str, id_number: str | None) -> PersonLinked:
    """``outsafe user link NAME --person 身份证号`` (``--none`` unlinks): the registered person the
    account belongs to. Signed in with it, that person signs the steps of a 作业票 that are his as
    himself — identified by the account (登录账号) instead of his date of birth."""
    row = _account(archive, name)
    if id_number is None:
        key, person_name = "", None
    else:
        key, person_name = _person_of(archive, id_number, row["org"])
    with archive.catalog.transaction():
        archive.catalog.accounts.update_account(row["name"], updated_at=archive.clock.stamp(), person=key)
    audit.record(archive, "person_linked", target=row["name"], detail={"person": person_name, "by": "command line"})
    return PersonLinked(row["name"], person_name)


def account_person(archive: Any, name: str) -> str | None:
    """The registry key of the person an account belongs to, if any."""
    row = archive.catalog.accounts.get_account(name)
    return row.get("person") if row else None


def _account(archive: Any, name: str) -> dict:
    row = archive.catalog.accounts.get_account(normalized_name(name))
    if row is None:
        raise NotFound(f"没有用户 {name} (no such account)", hint="查看用户 (list them): outsafe user list")
    return row


def set_password(archive: Any, name: str, password: str | None = None) -> UserChanged:
    """``outsafe user passwd``: a new password (generated when not given); the account's sessions end."""
    row = _account(archive, name)
    if password is not None and (problems := _password_problems(password)):
        raise ValidationFailed(problems)
    generated = password is None
    password = generated_password() if generated else password
    with archive.catalog.transaction():
        archive.catalog.accounts.update_account(row["name"], updated_at=archive.clock.stamp(), password_hash=hash_password(password))
        ended = archive.catalog.accounts.end_sessions(account=row["name"])
    audit.record(archive, "password_set", target=row["name"], detail={"by": "command line"})
    return UserChanged(row["name"], "password", ended, password if generated else None)


def set_disabled(archive: Any, name: str, disabled: bool = True) -> UserChanged:
    """``outsafe user disable`` (every session of the account ends at once) / ``enable``."""
    row = _account(archive, name)
    with archive.catalog.transaction():
        archive.catalog.accounts.update_account(row["name"], updated_at=archive.clock.stamp(), disabled=disabled)
        ended = archive.catalog.accounts.end_sessions(account=row["name"]) if disabled else 0
    audit.record(archive, "user_disabled" if disabled else "user_enabled", target=row["name"], detail={"by": "command line"})
    return UserChanged(row["name"], "disabled" if disabled else "enabled", ended)


def list_users(archive: Any) -> Table:
    """``outsafe user list``: every account (never a hash)."""
    rows = []
    for a in archive.catalog.accounts.accounts():
        org_name = _org_name(archive, a["org"])[0] if a["org"] else None
        person_name = None
        if a.get("person"):
            reg = archive.catalog.get_registry("person", a["person"])
            person_name = reg["name"] if reg else None
        rows.append({"person_name": person_name,
                     "name": a["name"], "role": a["role"], "role_label": ROLES[a["role"]].label if a["role"] in ROLES else a["role"],
                     "org": a["org"], "org_name": org_name, "disabled": a["disabled"], "created_at": a["created_at"],
                     "updated_at": a["updated_at"], "state": "已停用" if a["disabled"] else "启用",
                     "created": local_time(a["created_at"])})
    return Table(rows, [("name", "用户名"), ("role_label", "角色"), ("org_name", "单位"), ("org", "统一社会信用代码"),
                        ("person_name", "人员"), ("state", "状态"),
                        ("created", "创建时间")])
