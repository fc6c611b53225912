"""AccessLog: entries numbered without gaps, filtered, and refused a second claim of a number.
(The chain's hashes are computed in archive.access.audit; the store keeps them byte for byte.)"""

from __future__ import annotations

import pytest

from storage.errors import StorageError


def entry(seq: int, **kw) -> dict:
    row = {"seq": seq, "at": f"2026-06-09T02:{seq:02d}:00Z", "account": "zhang", "org": "11370100MB0000000X",
           "action": "record_view", "target": f"R{seq}", "address": "127.0.0.1", "detail": '{"a":1}',
           "prev_hash": bytes([seq - 1]) * 32, "hash": bytes([seq]) * 32}
    row.update(kw)
    return row


def test_append_head_and_entries(catalog, second):
    log = catalog.access_log
    assert log.head() is None and log.count() == 0
    with catalog.transaction():
        log.append(entry(1))
        log.append(entry(2, account="li", org="91370100MA3C8K2P9L", action="login"))
        log.append(entry(3, account=None, org=None, action="login_failed", target=None, detail=None))
    assert second.access_log.head() == entry(3, account=None, org=None, action="login_failed", target=None, detail=None)
    assert type(log.head()["hash"]) is bytes and log.count() == 3
    assert [e["seq"] for e in log.entries()] == [1, 2, 3]
    assert [e["seq"] for e in log.entries(newest_first=True, limit=2)] == [3, 2]
    assert [e["seq"] for e in log.entries(account="zhang")] == [1]
    assert [e["seq"] for e in log.entries(org="91370100MA3C8K2P9L")] == [2]
    assert [e["seq"] for e in log.entries(action="login_failed")] == [3]
    assert [e["seq"] for e in log.entries(target="R1")] == [1]
    assert [e["seq"] for e in log.entries(since="2026-06-09T02:02:00Z")] == [2, 3]
    assert [e["seq"] for e in log.entries(until="2026-06-09T02:02:00Z")] == [1, 2]
    assert [e["seq"] for e in log.entries(after_seq=1)] == [2, 3]


@pytest.mark.parametrize("seq", [1, 3])
def test_a_number_taken_or_skipped_is_refused(catalog, seq):
    with catalog.transaction():
        catalog.access_log.append(entry(1))
    with pytest.raises(StorageError):
        with catalog.transaction():
            catalog.access_log.append(entry(seq))
    assert catalog.access_log.count() == 1


def test_a_first_entry_must_be_number_one(catalog):
    with pytest.raises(StorageError):
        with catalog.transaction():
            catalog.access_log.append(entry(2))
    assert catalog.access_log.head() is None
