"""AccountStore: web accounts, sessions and sign-in attempts (the rows only; hashing, tokens and
the throttle's arithmetic are archive.access's)."""

from __future__ import annotations

import pytest

from storage.errors import StorageError


def account(name: str = "zhang", **kw) -> dict:
    row = {"name": name, "role": "bureau_officer", "org": "11370100MB0000000X", "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$x$y",
           "disabled": False, "created_at": "2026-06-09T02:00:00Z", "updated_at": "2026-06-09T02:00:00Z", "person": None}
    row.update(kw)
    return row


def session(token: str = "t1", name: str = "zhang", **kw) -> dict:
    row = {"token_hash": token, "account": name, "csrf_token": "c" + token, "created_at": "2026-06-09T02:00:00Z",
           "last_seen_at": "2026-06-09T02:00:00Z", "expires_at": "2026-06-09T14:00:00Z", "address": "127.0.0.1"}
    row.update(kw)
    return row


def test_accounts_round_trip_and_list_by_name(catalog):
    store = catalog.accounts
    with catalog.transaction():
        store.add_account(account("zhang"))
        store.add_account(account("li", role="enterprise_officer", org="91370100MA3C8K2P9L", disabled=True))
    assert store.get_account("zhang") == account("zhang")
    assert store.get_account("li")["disabled"] is True and type(store.get_account("zhang")["disabled"]) is bool
    assert [a["name"] for a in store.accounts()] == ["li", "zhang"]
    assert store.get_account("wang") is None


def test_a_name_already_taken_is_refused(catalog):
    with catalog.transaction():
        catalog.accounts.add_account(account("zhang"))
    with pytest.raises(StorageError):
        with catalog.transaction():
            catalog.accounts.add_account(account("zhang", role="bureau_admin"))
    assert catalog.accounts.get_account("zhang")["role"] == "bureau_officer"


def test_update_changes_only_what_is_given(catalog):
    store = catalog.accounts
    with catalog.transaction():
        store.add_account(account("zhang"))
        assert store.update_account("zhang", updated_at="2026-06-10T00:00:00Z", disabled=True) is True
        assert store.update_account("nobody", updated_at="2026-06-10T00:00:00Z", disabled=True) is False
    got = store.get_account("zhang")
    assert got["disabled"] is True and got["password_hash"] == account()["password_hash"] and got["updated_at"] == "2026-06-10T00:00:00Z"
    with catalog.transaction():
        store.update_account("zhang", updated_at="2026-06-11T00:00:00Z", password_hash="$argon2id$new", disabled=False)
    got = store.get_account("zhang")
    assert got["disabled"] is False and got["password_hash"] == "$argon2id$new"


def test_an_account_is_linked_to_a_person_and_unlinked(catalog):
    store = catalog.accounts
    key = "ab" * 32
    with catalog.transaction():
        store.add_account(account("zhang"))
        store.add_account(account("li", person=key))
    assert store.get_account("li")["person"] == key and store.get_account("zhang")["person"] is None
    with catalog.transaction():
        assert store.update_account("zhang", updated_at="2026-06-10T02:00:00Z", person=key)
        assert store.update_account("li", updated_at="2026-06-10T02:00:00Z", password_hash="$argon2id$new")
    assert store.get_account("zhang")["person"] == key and store.get_account("li")["person"] == key  # None leaves it
    with catalog.transaction():
        assert store.update_account("zhang", updated_at="2026-06-11T02:00:00Z", person="")
    assert store.get_account("zhang")["person"] is None


def test_sessions_are_found_touched_and_ended(catalog, second):
    store = catalog.accounts
    with catalog.transaction():
        store.add_account(account("zhang"))
        store.add_account(account("li"))
        store.add_session(session("t1"))
        store.add_session(session("t2"))
        store.add_session(session("t3", "li", expires_at="2026-06-09T03:00:00Z"))
    assert second.accounts.get_session("t1") == session("t1")
    with catalog.transaction():
        store.touch_session("t1", "2026-06-09T02:30:00Z")
    assert second.accounts.get_session("t1")["last_seen_at"] == "2026-06-09T02:30:00Z"
    with catalog.transaction():
        assert store.end_session("t1") is True
        assert store.end_session("t1") is False
    assert second.accounts.get_session("t1") is None  # logout takes effect for every connection at once
    with catalog.transaction():
        assert store.end_sessions(expired_before="2026-06-09T05:00:00Z") == 1
        assert store.end_sessions(account="zhang") == 1
    assert store.get_session("t2") is None and store.get_session("t3") is None


def test_login_attempts_by_window_name_and_address(catalog):
    store = catalog.accounts
    rows = [
        {"at": "2026-06-09T02:00:00Z", "username_key": "k1", "address": "10.0.0.1", "ok": False},
        {"at": "2026-06-09T02:05:00Z", "username_key": "k1", "address": "10.0.0.2", "ok": False},
        {"at": "2026-06-09T02:06:00Z", "username_key": "k2", "address": "10.0.0.1", "ok": True},
    ]
    with catalog.transaction():
        for r in rows:
            store.add_login_attempt(r)
    assert store.login_attempts(since="2026-06-09T00:00:00Z") == rows
    assert store.login_attempts(since="2026-06-09T02:01:00Z", username_key="k1") == [rows[1]]
    assert store.login_attempts(since="2026-06-09T00:00:00Z", address="10.0.0.1") == [rows[0], rows[2]]
    with catalog.transaction():
        assert store.forget_login_attempts("2026-06-09T02:05:00Z") == 1
    assert store.login_attempts(since="2026-06-09T00:00:00Z") == rows[1:]
