"""archive.access: accounts (Argon2id), sign-in with throttling, sessions, the scope of an account,
and the access log (hash chain, anchors in the ledger, verify)."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import timedelta

import pytest

from archive.access import audit
from archive.access.accounts import add_user, list_users, set_disabled, set_password
from archive.access.roles import ROLES, can
from archive.access.scope import Scope, belongs_to
from archive.access.signin import (
    SignInRefused,
    SignInThrottled,
    sign_in,
    sign_out,
    sign_token,
    unsign_token,
    viewer_for,
)
from archive.clock import Clock
from archive.errors import NotFound, ValidationFailed
from archive.integrity.verify import verify_archive
from tests.conftest import TODAY_AT
from tests.factories import BUREAU, CONTRACTOR, ENTERPRISE

PASSWORD = "correct horse battery"


class MovableClock(Clock):
    def __init__(self) -> None:
        self.at = TODAY_AT

    def now(self):
        return self.at


@pytest.fixture
def clock(arc):
    c = MovableClock()
    arc.clock = c
    return c


def officer(arc, name="li", role="enterprise_officer", org=ENTERPRISE):
    return add_user(arc, name, role, org=org, password=PASSWORD)


# --- accounts ---------------------------------------------------------------------------------------


def test_a_generated_password_is_shown_once_and_stored_only_as_argon2id(arc):
    made = add_user(arc, "zhang", "bureau_officer", org=BUREAU)
    assert made.password and len(made.password) == 19 and made.org_name
    row = arc.catalog.accounts.get_account("zhang")
    assert row["password_hash"].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert made.password not in json.dumps(list_users(arc).as_dict(), ensure_ascii=False)
    assert "password_hash" not in list_users(arc).rows[0]
    assert viewer_for(arc, sign_in(arc, "zhang", made.password)).name == "zhang"


@pytest.mark.parametrize("kw, field", [
    ({"role": "enterprise_officer"}, "org"),  # an enterprise account needs its enterprise
    ({"role": "enterprise_officer", "org": CONTRACTOR}, "org"),  # a contractor is not an enterprise
    ({"role": "bureau_officer", "org": ENTERPRISE}, "org"),
    ({"role": "enterprise_officer", "org": "91370100MA00000000"}, "org"),  # not registered
    ({"role": "chief"}, "role"),
    ({"role": "bureau_officer", "org": BUREAU, "password": "short"}, "password"),
    ({"role": "bureau_officer", "org": BUREAU, "name": "a b"}, "name"),
])
def test_bad_accounts_are_refused_with_the_field_named(arc, kw, field):
    kw = {"name": "wang", **kw}
    with pytest.raises(ValidationFailed) as e:
        add_user(arc, kw.pop("name"), kw.pop("role"), **kw)
    assert [p.path for p in e.value.problems] == [field]
    assert arc.catalog.accounts.accounts() == []


def test_a_name_is_taken_once(arc):
    officer(arc)
    with pytest.raises(ValidationFailed) as e:
        officer(arc)
    assert "已存在" in e.value.problems[0].message


def test_what_each_role_may_do():
    ent = {"org": ENTERPRISE, "owner": ENTERPRISE, "owner_role": "enterprise"}
    bur = {"org": BUREAU, "owner": BUREAU, "owner_role": "bureau"}
    assert can("enterprise_officer", "export_submission", **ent) and not can("enterprise_viewer", "export_submission", **ent)
    assert not can("enterprise_officer", "export_submission", **{**ent, "owner": BUREAU, "owner_role": "bureau"})
    assert can("bureau_officer", "import", **bur) and can("bureau_officer", "export_evidence", **bur)
    assert not can("bureau_officer", "import", **{**bur, "owner_role": "enterprise"})
    assert [r for r in ROLES if can(r, "audit", **bur)] == ["enterprise_admin", "bureau_admin"]  # each its own org's entries
    assert all(can(r, "read", **ent) for r in ROLES)


# --- sign-in and sessions ---------------------------------------------------------------------------


def test_a_wrong_password_an_unknown_name_and_a_disabled_account_read_the_same(arc):
    officer(arc)
    officer(arc, "wu")
    set_disabled(arc, "wu")
    messages = set()
    for name, pw in (("li", "wrong password!"), ("nobody", PASSWORD), ("wu", PASSWORD)):
        with pytest.raises(SignInRefused) as e:
            sign_in(arc, name, pw, address="10.0.0.9")
        messages.add(e.value.message)
    assert messages == {"用户名或密码错误 (wrong user name or password)"}


def test_throttled_per_name_after_repeated_failures_then_free_again(arc, clock):
    officer(arc)
    for _ in range(arc.settings.login_max_failures_per_user):
        with pytest.raises(SignInRefused):
            sign_in(arc, "li", "wrong password!", address="10.0.0.1")
    with pytest.raises(SignInThrottled) as e:  # even the right password is not checked now
        sign_in(arc, "li", PASSWORD, address="10.0.0.2")
    assert e.value.minutes == arc.settings.login_window_minutes and "分钟后再试" in e.value.message
    clock.at += timedelta(minutes=arc.settings.login_window_minutes, seconds=1)
    assert viewer_for(arc, sign_in(arc, "li", PASSWORD, address="10.0.0.2")).name == "li"
    actions = [e["action"] for e in audit.audit_list(arc).rows][::-1]
    assert actions == ["user_added"] + ["login_failed"] * 5 + ["login_refused", "login"]


def test_an_unknown_name_is_throttled_like_a_known_one(arc):
    for _ in range(arc.settings.login_max_failures_per_user):
        with pytest.raises(SignInRefused):
            sign_in(arc, "ghost", "whatever-1234")
    with pytest.raises(SignInThrottled):
        sign_in(arc, "ghost", "whatever-1234")


def test_throttled_per_address_across_names(arc, clock):
    officer(arc)
    n = arc.settings.login_max_failures_per_address
    for i in range(n):
        with pytest.raises(SignInRefused):
            sign_in(arc, f"guess{i}", "wrong password!", address="10.9.9.9")
    with pytest.raises(SignInThrottled):
        sign_in(arc, "li", PASSWORD, address="10.9.9.9")
    assert viewer_for(arc, sign_in(arc, "li", PASSWORD, address="10.0.0.1")) is not None  # another address


def test_a_success_resets_the_count_of_its_name(arc):
    officer(arc)
    for _ in range(3):
        for _ in range(arc.settings.login_max_failures_per_user - 1):
            with pytest.raises(SignInRefused):
                sign_in(arc, "li", "wrong password!")
        sign_in(arc, "li", PASSWORD)


def test_sessions_end_when_idle_when_old_and_when_signed_out(arc, clock):
    officer(arc)
    token = sign_in(arc, "li", PASSWORD)
    v = viewer_for(arc, token)
    assert v.scope == Scope(ENTERPRISE) and v.can("export_submission") and not v.can("audit")
    idle = timedelta(minutes=arc.settings.web_session_idle_minutes)
    for _ in range(3):  # used within the idle limit: goes on
        clock.at += idle - timedelta(minutes=1)
        assert viewer_for(arc, token) is not None
    clock.at += idle
    assert viewer_for(arc, token) is None
    assert arc.catalog.accounts.get_session(v.token_hash) is None  # the row is gone
    token = sign_in(arc, "li", PASSWORD)
    for _ in range(arc.settings.web_session_hours * 60 // 29 + 1):  # used every half hour: ends at the absolute limit
        clock.at += timedelta(minutes=29)
        alive = viewer_for(arc, token)
    assert alive is None
    token = sign_in(arc, "li", PASSWORD)
    sign_out(arc, viewer_for(arc, token))
    assert viewer_for(arc, token) is None


@pytest.mark.parametrize("change", ["disable", "passwd"])
def test_disabling_or_a_new_password_ends_every_session_at_once(arc, change):
    officer(arc)
    tokens = [sign_in(arc, "li", PASSWORD) for _ in range(2)]
    result = set_disabled(arc, "li") if change == "disable" else set_password(arc, "li")
    assert result.sessions_ended == 2
    assert [viewer_for(arc, t) for t in tokens] == [None, None]


def test_cookie_values_are_signed(arc):
    value = sign_token(arc, "abc123")
    assert unsign_token(arc, value) == "abc123"
    for forged in ("abc123", "abc124" + value[6:], value[:-1] + ("A" if value[-1] != "A" else "B"), "", None, "a.b.c", "令牌.x"):
        assert unsign_token(arc, forged) is None


def test_passwords_never_reach_the_database_or_the_logs(arc, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    officer(arc)
    sign_in(arc, "li", PASSWORD)
    with pytest.raises(SignInRefused):
        sign_in(arc, "li", "my-other-secret-pw")
    with pytest.raises(SignInRefused):
        sign_in(arc, "my-typed-secret-in-name", "x")
    arc.catalog.close()
    raw = b"".join(p.read_bytes() for p in arc.home.root.glob("catalog.sqlite3*"))
    for secret in (PASSWORD, "my-other-secret-pw", "my-typed-secret-in-name"):
        assert secret.encode() not in raw
        assert secret not in caplog.text


# --- the scope ----------------------------------------------------------------------------------------


def test_the_scope_rule_and_the_catalog_agree(arc):
    rows = arc.catalog.list_records()
    for uscc in {belongs_to(r) for r in rows} | {BUREAU}:
        scope = Scope(uscc)
        assert [r["id"] for r in rows if scope.allows(r)] == [r["id"] for r in arc.catalog.list_records(belongs_to=uscc)]


def test_a_record_outside_the_scope_reads_exactly_like_a_missing_one(arc):
    row = arc.catalog.list_records(types=["work_ticket"])[0]
    assert Scope(None).record(arc, row["id"])["id"] == row["id"]
    assert Scope(ENTERPRISE).record(arc, row["id"].lower())["id"] == row["id"]
    missing = row["id"][:-1] + ("A" if row["id"][-1] != "A" else "B")
    with pytest.raises(NotFound) as outside:
        Scope("91370100MA00000000").record(arc, row["id"])
    with pytest.raises(NotFound) as absent:
        Scope(None).record(arc, missing)
    assert outside.value.message.replace(row["id"], "ID") == absent.value.message.replace(missing, "ID")
    with pytest.raises(NotFound):
        Scope(None).record(arc, row["id"][:10])  # no prefixes on the web


# --- the access log -------------------------------------------------------------------------------------


def test_the_log_is_a_chain_anchored_in_the_ledger_and_verified(arc):
    officer(arc)
    sign_in(arc, "li", PASSWORD, address="127.0.0.1")
    rep = verify_archive(arc)
    assert rep.ok and rep.access_log == 2 and any("尚未锚定" in w for w in rep.warnings)
    arc.checkpoint()  # what every write, and the server's timer, does
    rep = verify_archive(arc)
    assert rep.ok and not any("尚未锚定" in w for w in rep.warnings)
    assert audit.last_anchor(arc)["upto"] == 2
    assert audit.audit_list(arc).anchored_upto == 2


def _tamper(arc, sql: str) -> None:
    """What someone with the database file does: drop the trigger, then change the table."""
    db = sqlite3.connect(arc.catalog.location)
    db.execute("DROP TRIGGER access_log_append_only_u")
    db.execute("DROP TRIGGER access_log_append_only_d")
    db.execute(sql)
    db.commit()
    db.close()


def test_the_database_refuses_to_change_the_log(arc):
    officer(arc)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        arc.catalog.db.execute("UPDATE access_log SET address='1.2.3.4'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        arc.catalog.db.execute("DELETE FROM access_log")


@pytest.mark.parametrize("sql, says", [
    ("UPDATE access_log SET address='1.2.3.4' WHERE seq=2", "第 2 条: 内容已被改动"),
    ("DELETE FROM access_log WHERE seq=2", "缺失"),
    ("DELETE FROM access_log WHERE seq=3", "只到第 2 条"),
])
def test_a_changed_log_fails_verify_naming_the_entry(arc, sql, says):
    officer(arc)
    sign_in(arc, "li", PASSWORD)
    with pytest.raises(SignInRefused):
        sign_in(arc, "li", "wrong password!")
    arc.checkpoint()
    assert verify_archive(arc).ok
    _tamper(arc, sql)
    rep = verify_archive(arc)
    assert not rep.ok and any(says in f for f in rep.failures), rep.failures
    assert rep.exit_code == 3


def test_a_rewritten_chain_is_caught_by_its_anchor(arc):
    """Whoever recomputes every hash after changing an entry still cannot match the signed anchor."""
    officer(arc)
    sign_in(arc, "li", PASSWORD, address="10.0.0.1")
    arc.checkpoint()
    rows = arc.catalog.access_log.entries()
    _tamper(arc, "DELETE FROM access_log")
    db = sqlite3.connect(arc.catalog.location)
    prev = audit.ZERO
    for r in rows:
        r = dict(r, address="192.0.2.1" if r["address"] else None, prev_hash=prev)
        r["hash"] = audit.entry_hash(prev, r)
        db.execute("INSERT INTO access_log VALUES(?,?,?,?,?,?,?,?,?,?)",
                   (r["seq"], r["at"], r["account"], r["org"], r["action"], r["target"], r["address"], r["detail"], r["prev_hash"], r["hash"]))
        prev = r["hash"]
    db.commit()
    db.close()
    rep = verify_archive(arc)
    assert any("与账本第" in f and "锚定的链头不符" in f for f in rep.failures), rep.failures


def test_audit_list_filters_by_account_action_and_day(arc):
    officer(arc)
    officer(arc, "wu")
    sign_in(arc, "li", PASSWORD, address="10.0.0.1")
    with pytest.raises(SignInRefused):
        sign_in(arc, "wu", "wrong password!")
    assert [r["action"] for r in audit.audit_list(arc, account="li").rows] == ["login"]
    assert [r["account"] for r in audit.audit_list(arc, action="login_failed").rows] == ["wu"]
    assert audit.audit_list(arc, since="2026-11-29").total == 4 and audit.audit_list(arc, until="2026-11-28").total == 0
    assert audit.audit_list(arc, org=ENTERPRISE, action="login").rows[0]["address"] == "10.0.0.1"
