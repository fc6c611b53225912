"""Signing in and sessions, for the web front end.

    token = sign_in(archive, name, password, address="127.0.0.1")     # or SignInRefused / SignInThrottled
    viewer = viewer_for(archive, token)                                # None when absent, expired, ended or disabled
    sign_out(archive, token, address=…)

Sessions are server-side rows (``storage.interfaces.AccountStore``): the browser holds a random
256-bit token in a signed cookie (:func:`sign_token`), the database only its SHA-256, so ending
a session (logout, expiry, ``outsafe user disable`` or ``passwd``) takes effect on the next request.
A session ends after ``web_session_idle_minutes`` without use and ``web_session_hours`` after sign-in.
Each session has its own CSRF token for the forms it shows.

Throttling (GB/T 22239—2019 8.1.4.1): after ``login_max_failures_per_user`` failures of one name
(counted since its last success) or ``login_max_failures_per_address`` failures from one address
within ``login_window_minutes``, sign-in is refused until the oldest counted failure leaves the
window — without even checking the password. Names are counted by keyed hash, whether or not they
exist (the refusal tells nothing about which names exist); a wrong name and a wrong password get
the same message and cost the same time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from archive.access import audit
from archive.access.accounts import check_password, dummy_hash, hash_password, needs_rehash, normalized_name
from archive.access.roles import ROLES, can
from archive.access.scope import Scope
from archive.clock import utc_stamp
from archive.errors import OutsafeError

TOUCH_EVERY = timedelta(seconds=60)  # how stale last_seen_at may get before it is written again


class SignInRefused(OutsafeError):
    """Wrong name or password (which one is not said), or a disabled account."""

    def __init__(self) -> None:
        super().__init__("用户名或密码错误 (wrong user name or password)")


class SignInThrottled(OutsafeError):
    """Too many failures: sign-in paused."""

    def __init__(self, minutes: int) -> None:
        super().__init__(f"登录失败次数过多，请 {minutes} 分钟后再试 (too many failed sign-ins; try again in {minutes} minutes)")
        self.minutes = minutes


@dataclass(frozen=True)
class Viewer:
    """The signed-in account of a request: who, in which role and organization, what it may see
    (:class:`Scope`) and do (:meth:`can`), and its session's CSRF token."""

    name: str
    role: str
    org: str | None
    org_name: str | None
    scope: Scope
    capabilities: frozenset[str]
    csrf_token: str
    token_hash: str
    person: str | None = None  # the registry key of the person the account belongs to (``outsafe user link``)

    @property
    def role_label(self) -> str:
        return ROLES[self.role].label

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    def as_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "role_label": self.role_label, "org": self.org, "org_name": self.org_name,
                "scope": self.scope.enterprise or "all", "capabilities": sorted(self.capabilities)}


def _now(archive: Any) -> datetime:
    return archive.clock.now()


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(timezone.utc)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def username_key(archive: Any, name: str) -> str:
    return hmac.new(archive.secret, b"sign-in:" + normalized_name(name).lower().encode("utf-8"), hashlib.sha256).hexdigest()


def _cookie_key(archive: Any) -> bytes:
    return hmac.new(archive.secret, b"outsafe web session cookie", hashlib.sha256).digest()


def sign_token(archive: Any, token: str) -> str:
    """The cookie value: the token and an HMAC of it with a key derived from the archive's secret."""
    mac = hmac.new(_cookie_key(archive), token.encode("ascii"), hashlib.sha256).digest()[:18]
    return f"{token}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def unsign_token(archive: Any, value: str | None) -> str | None:
    """The token of a cookie value whose signature is right; None otherwise."""
    if not value or value.count(".") != 1 or len(value) > 200:
        return None
    token, _ = value.split(".")
    try:
        token.encode("ascii")
    except UnicodeEncodeError:
        return None
    return token if hmac.compare_digest(sign_token(archive, token), value) else None


def _failures(attempts: list[dict], *, reset_on_success: bool) -> list[dict]:
    out: list[dict] = []
    for a in attempts:
        if a["ok"]:
            if reset_on_success:
                out = []
        else:
            out.append(a)
    return out


def _throttle_minutes(archive: Any, key: str, address: str | None, now: datetime) -> int:
    """Minutes until sign-in is possible again (0: now)."""
    s = archive.settings
    window = timedelta(minutes=s.login_window_minutes)
    since = utc_stamp(now - window)
    store = archive.catalog.accounts
    waits = []
    by_name = _failures(store.login_attempts(since=since, username_key=key), reset_on_success=True)
    if len(by_name) >= s.login_max_failures_per_user:
        waits.append(_parse(by_name[-s.login_max_failures_per_user]["at"]) + window - now)
    if address:
        by_addr = _failures(store.login_attempts(since=since, address=address), reset_on_success=False)
        if len(by_addr) >= s.login_max_failures_per_address:
            waits.append(_parse(by_addr[-s.login_max_failures_per_address]["at"]) + window - now)
    if not waits:
        return 0
    return max(1, math.ceil(max(waits).total_seconds() / 60))


def sign_in(archive: Any, name: str, password: str, *, address: str | None = None) -> str:
    """Check the name and password; a new session's token (for :func:`sign_token`)."""
    name = normalized_name(name)[:200]
    now = _now(archive)
    stamp = utc_stamp(now)
    key = username_key(archive, name)
    store = archive.catalog.accounts
    account = store.get_account(name) if name else None
    wait = _throttle_minutes(archive, key, address, now)
    if wait:
        audit.record(archive, "login_refused", account=account["name"] if account else None, org=account["org"] if account else None,
                     address=address, detail={"wait_minutes": wait})
        raise SignInThrottled(wait)
    ok = check_password(account["password_hash"] if account else dummy_hash(), password or "")
    why = "unknown account" if account is None else ("disabled" if account["disabled"] else ("" if ok else "wrong password"))
    ok = ok and account is not None and not account["disabled"]
    with archive.catalog.transaction():
        store.add_login_attempt({"at": stamp, "username_key": key, "address": address, "ok": ok})
        store.forget_login_attempts(utc_stamp(now - timedelta(days=1)))
    if not ok:
        audit.record(archive, "login_failed", account=account["name"] if account else None, org=account["org"] if account else None,
                     address=address, detail={"reason": why})
        raise SignInRefused()
    s = archive.settings
    token = secrets.token_urlsafe(32)
    with archive.catalog.transaction():
        if needs_rehash(account["password_hash"]):
            store.update_account(account["name"], updated_at=stamp, password_hash=hash_password(password))
        store.end_sessions(expired_before=stamp)
        store.add_session({
            "token_hash": token_hash(token), "account": account["name"], "csrf_token": secrets.token_urlsafe(32),
            "created_at": stamp, "last_seen_at": stamp, "expires_at": utc_stamp(now + timedelta(hours=s.web_session_hours)),
            "address": address,
        })
    audit.record(archive, "login", account=account["name"], org=account["org"], address=address)
    return token


def viewer_for(archive: Any, token: str | None) -> Viewer | None:
    """The viewer of a session token; None (and the session ended) when it expired, its account is
    gone or disabled, or there is no such session."""
    if not token:
        return None
    th = token_hash(token)
    store = archive.catalog.accounts
    row = store.get_session(th)
    if row is None:
        return None
    account = store.get_account(row["account"])
    now = _now(archive)
    idle = timedelta(minutes=archive.settings.web_session_idle_minutes)
    last = _parse(row["last_seen_at"])
    if account is None or account["disabled"] or now >= _parse(row["expires_at"]) or now - last >= idle:
        with archive.catalog.transaction():
            store.end_session(th)
        return None
    if now - last >= TOUCH_EVERY:
        with archive.catalog.transaction():
            store.touch_session(th, utc_stamp(now))
    org_name = None
    if account["org"]:
        reg = archive.catalog.get_registry("organization", account["org"])
        org_name = reg["name"] if reg else None
    owner_role = archive.catalog.get_meta("owner_role") or ""
    caps = frozenset(c for c in ROLES[account["role"]].capabilities
                     if can(account["role"], c, org=account["org"], owner=archive.owner_uscc, owner_role=owner_role))
    return Viewer(account["name"], account["role"], account["org"], org_name, Scope.of(account["role"], account["org"]), caps,
                  row["csrf_token"], th, account.get("person"))


def sign_out(archive: Any, viewer: Viewer, *, address: str | None = None) -> None:
    with archive.catalog.transaction():
        archive.catalog.accounts.end_session(viewer.token_hash)
    audit.record(archive, "logout", account=viewer.name, org=viewer.org, address=address)


def csrf_ok(viewer: Viewer, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(viewer.csrf_token.encode(), str(token).encode("utf-8", "replace"))
