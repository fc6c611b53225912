"""The web forms on a PostgreSQL catalog and S3 blobs: a draft with an image is saved, read back
by its owner only, dropped and given again, and added as a sealed record whose image is in the
bucket; the draft is gone afterwards (tests/web/test_forms.py runs the same on SQLite)."""

from __future__ import annotations

from click.testing import CliRunner

from archive.app import Archive
from cli import main
from tests import factories
from tests.web.conftest import client, login
from tests.web.formfill import Page, as_data, fill
from tests.web.test_forms import EXAMPLES, NO_FILE


def test_a_draft_with_an_image_on_postgresql_and_s3(world, pg_cluster, s3_env):
    home = world["enterprise_a"]
    r = CliRunner().invoke(main, ["--home", str(home), "migrate", "--to", pg_cluster.new_schema("web"),
                                  "--blobs", f"s3://{s3_env.new_bucket()}/ent"])
    assert r.exit_code == 0, r.output
    signature = (EXAMPLES / "cases" / "signatures" / "赵志刚.png").read_bytes()
    path = "conclusion.confirmer_signature.file"
    with client(home) as c, client(home) as other:
        login(c, "ent_officer")
        login(other, "ent_admin")
        card = {k: v for k, v in factories.training_card(record_no="HA-JY-2026-019").items() if k != "type"}
        card["conclusion"]["confirmer_signature"] = {"file": "sig/王海军.png"}
        posted, _ = fill(Page(c.get("/forms/new/training_record").text), card)
        r = c.post("/forms/new/training_record", data=as_data(posted + [("_action", "save")]),
                   files={f"{path}:upload": ("whatever.png", signature, "image/png")})
        assert r.status_code == 303, r.text[:2000]
        url = r.headers["location"].split("?")[0]
        draft_id = url.rsplit("/", 1)[1]
        assert c.get(f"{url}/files/sig/王海军.png").content == signature
        assert other.get(f"{url}/files/sig/王海军.png").status_code == 404 and other.get(url).status_code == 404
        a = Archive.open(home)
        try:
            assert a.catalog.location.startswith("postgresql://")
            assert [d["id"] for d in a.catalog.drafts.drafts("ent_officer")].count(draft_id) == 1
            assert [f["data"] for f in a.catalog.drafts.draft_files(draft_id, "ent_officer")] == [signature]
        finally:
            a.close()
        r = c.post(url, data=as_data(Page(c.get(url).text).submission() + [("_action", "add")]), files=NO_FILE)
        assert r.status_code == 303, r.text[:3000]
        rec = c.get("/api" + r.headers["location"].split("?")[0]).json()
        assert rec["seal_check"]["ok"] is True
        photo = next(f for f in rec["files"] if f["role"] == "photo" and f["name"] == "王海军.png")
        assert c.get(url).status_code == 404
    a = Archive.open(home)
    try:
        assert a.catalog.drafts.get_draft(draft_id, "ent_officer") is None
        assert a.blobs.location.startswith("s3://") and a.blobs.has(photo["sha256"])
    finally:
        a.close()
    assert CliRunner().invoke(main, ["--home", str(home), "verify"]).exit_code == 0
