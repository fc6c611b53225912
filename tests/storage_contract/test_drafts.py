"""DraftStore: forms being filled in the browser, per account. Another account's draft is not
there (None, False, nothing) — the same as a draft that does not exist."""

from __future__ import annotations

import hashlib

import pytest

from storage.errors import StorageError


def draft(id_: str = "01JDRAFT00000000000000000A", owner: str = "li", **kw) -> dict:
    row = {"id": id_, "owner": owner, "org": "91370100MA3C8K2P9L", "type": "safety_agreement", "subtype": None,
           "title": "安全生产管理协议 HR-AQXY-2026-031", "data": '{"agreement_no":"HR-AQXY-2026-031"}', "revision": 1,
           "created_at": "2026-06-09T02:00:00Z", "updated_at": "2026-06-09T02:00:00Z"}
    row.update(kw)
    return row


def image(draft_id: str = "01JDRAFT00000000000000000A", name: str = "signatures/赵志刚.png", data: bytes = b"\x89PNG\r\n\x1a\nxx") -> dict:
    return {"draft_id": draft_id, "name": name, "media_type": "image/png", "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "data": data, "created_at": "2026-06-09T02:00:00Z"}


def test_a_draft_round_trips_and_only_its_owner_sees_it(catalog, second):
    store = catalog.drafts
    with catalog.transaction():
        store.add_draft(draft())
        store.add_draft(draft("01JDRAFT00000000000000000B", owner="wang", type="work_ticket", subtype="hot_work"))
    assert store.get_draft("01JDRAFT00000000000000000A", "li") == draft()
    assert second.drafts.get_draft("01JDRAFT00000000000000000A", "li") == draft()  # committed: another connection sees it
    assert store.get_draft("01JDRAFT00000000000000000A", "wang") is None
    assert store.get_draft("01JDRAFT00000000000000000B", "li") is None
    assert store.get_draft("01JNOSUCH00000000000000000", "li") is None
    assert [d["id"] for d in store.drafts("li")] == ["01JDRAFT00000000000000000A"]
    assert store.drafts("zhao") == []


def test_drafts_are_listed_the_one_saved_last_first(catalog):
    store = catalog.drafts
    with catalog.transaction():
        store.add_draft(draft("01JDRAFT00000000000000000A", updated_at="2026-06-09T02:00:00Z"))
        store.add_draft(draft("01JDRAFT00000000000000000B", updated_at="2026-06-10T02:00:00Z"))
        store.add_draft(draft("01JDRAFT00000000000000000C", updated_at="2026-06-08T02:00:00Z"))
    assert [d["id"][-1] for d in store.drafts("li")] == ["B", "A", "C"]
    with catalog.transaction():
        store.update_draft("01JDRAFT00000000000000000C", "li", title="t", data="{}", updated_at="2026-06-11T00:00:00Z")
    assert [d["id"][-1] for d in store.drafts("li")] == ["C", "B", "A"]


def test_an_id_already_present_is_refused(catalog):
    with catalog.transaction():
        catalog.drafts.add_draft(draft())
    with pytest.raises(StorageError), catalog.transaction():
        catalog.drafts.add_draft(draft(owner="wang"))
    assert catalog.drafts.get_draft(draft()["id"], "wang") is None


def test_update_counts_revisions_and_refuses_another_owner(catalog):
    store = catalog.drafts
    with catalog.transaction():
        store.add_draft(draft())
        assert store.update_draft(draft()["id"], "li", title="新标题", data='{"a":1}', updated_at="2026-06-10T00:00:00Z") == 2
        assert store.update_draft(draft()["id"], "wang", title="x", data="{}", updated_at="2026-06-10T00:00:00Z") is None
        assert store.update_draft("01JNOSUCH00000000000000000", "li", title="x", data="{}", updated_at="2026-06-10T00:00:00Z") is None
    got = store.get_draft(draft()["id"], "li")
    assert (got["title"], got["data"], got["revision"], got["updated_at"], got["created_at"]) == (
        "新标题", '{"a":1}', 2, "2026-06-10T00:00:00Z", "2026-06-09T02:00:00Z")


def test_files_belong_to_their_draft_and_its_owner(catalog):
    store = catalog.drafts
    with catalog.transaction():
        store.add_draft(draft())
        assert store.put_draft_file(image(), "li") is True
        assert store.put_draft_file(image(name="drawings/盲板位置图.png", data=b"\x89PNG\r\n\x1a\nyy"), "li") is True
        assert store.put_draft_file(image(name="x.png"), "wang") is False  # not wang's draft
        assert store.put_draft_file(image("01JNOSUCH00000000000000000"), "li") is False
    files = store.draft_files(draft()["id"], "li")
    assert [f["name"] for f in files] == ["drawings/盲板位置图.png", "signatures/赵志刚.png"]
    assert files[1] == image() and type(files[1]["data"]) is bytes
    assert store.draft_files(draft()["id"], "wang") == []
    with catalog.transaction():  # the same name again replaces the file
        assert store.put_draft_file(image(data=b"\x89PNG\r\n\x1a\nzzz"), "li") is True
        assert store.delete_draft_file(draft()["id"], "wang", "drawings/盲板位置图.png") is False
        assert store.delete_draft_file(draft()["id"], "li", "drawings/盲板位置图.png") is True
        assert store.delete_draft_file(draft()["id"], "li", "drawings/盲板位置图.png") is False
    files = store.draft_files(draft()["id"], "li")
    assert [(f["name"], f["data"]) for f in files] == [("signatures/赵志刚.png", b"\x89PNG\r\n\x1a\nzzz")]


def test_deleting_a_draft_deletes_its_files_and_only_its_owner_may(catalog):
    store = catalog.drafts
    with catalog.transaction():
        store.add_draft(draft())
        store.put_draft_file(image(), "li")
        assert store.delete_draft(draft()["id"], "wang") is False
    assert store.get_draft(draft()["id"], "li") is not None
    with catalog.transaction():
        assert store.delete_draft(draft()["id"], "li") is True
        assert store.delete_draft(draft()["id"], "li") is False
    assert store.get_draft(draft()["id"], "li") is None and store.draft_files(draft()["id"], "li") == []
    with catalog.transaction():  # the id is free again, and no file of the old draft comes back
        store.add_draft(draft())
    assert store.draft_files(draft()["id"], "li") == []


def test_writes_outside_a_transaction_are_refused(catalog):
    with pytest.raises(RuntimeError):
        catalog.drafts.add_draft(draft())


def test_a_failed_transaction_leaves_no_draft(catalog):
    with pytest.raises(ValueError), catalog.transaction():
        catalog.drafts.add_draft(draft())
        catalog.drafts.put_draft_file(image(), "li")
        raise ValueError("boom")
    assert catalog.drafts.get_draft(draft()["id"], "li") is None
    assert catalog.drafts.draft_files(draft()["id"], "li") == []
