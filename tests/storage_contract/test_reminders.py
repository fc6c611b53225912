"""ReminderLog: the sent-log of ``outsafe remind --send`` — once per (item, day, recipient), append-only."""

from __future__ import annotations

import pytest


def sent(item: str, day: str = "2026-11-29", to: str = "a@example.com") -> dict:
    return {"item": item, "day": day, "recipient": to, "sent_at": f"{day}T01:00:00Z", "message_id": "<m@x>"}


def test_logged_once_per_item_day_and_recipient(catalog):
    log = catalog.reminders
    with catalog.transaction():
        assert log.log_sent([sent("a"), sent("b")]) == 2
        assert log.log_sent([sent("a"), sent("a", to="b@example.com"), sent("a", day="2026-11-30")]) == 2
    assert log.sent_keys("2026-11-29", "a@example.com") == {"a", "b"}
    assert log.sent_keys("2026-11-29", "b@example.com") == {"a"}
    assert log.sent_keys("2026-11-28", "a@example.com") == set()
    assert [r["item"] for r in log.sent(day="2026-11-29")] == ["a", "b", "a"]
    assert len(log.sent()) == 4 and log.sent(recipient="b@example.com")[0]["message_id"] == "<m@x>"


def test_the_sent_log_is_append_only(backend, catalog):
    with catalog.transaction():
        catalog.reminders.log_sent([sent("a")])
    for sql in ("UPDATE reminders_sent SET day='2026-01-01'", "DELETE FROM reminders_sent"):
        with pytest.raises(backend.refused):
            backend.execute_raw(catalog, sql)
    assert catalog.reminders.sent_keys("2026-11-29", "a@example.com") == {"a"}
