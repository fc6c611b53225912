"""Packages from the browser: a submission package built in the background and downloaded; a
package uploaded at the bureau — streamed to tmp/, verified completely, imported; refused when
tampered, too large or sent without the form's token — and an evidence package."""

from __future__ import annotations

import io
import re
import time
import zipfile

import pytest

from archive.app import Archive
from archive.packages.verify import check_package
from tests.web.conftest import client, csrf, login
from tests.web_world import CONTRACTOR


def wait(c, location: str, rounds: int = 900) -> dict:
    """Poll a job until it ends (bounded: at most ``rounds`` polls, 0.2 s apart)."""
    jid = location.rsplit("/", 1)[-1]
    for _ in range(rounds):
        j = c.get(f"/api/jobs/{jid}").json()
        if j["state"] in ("done", "failed"):
            return j
        time.sleep(0.2)
    raise AssertionError(f"job {jid} still {j['state']}")


def counts(home) -> tuple[int, list[str]]:
    a = Archive.open(home)
    try:
        return a.catalog.count_records(), [e["action"] for e in a.catalog.access_log.entries()]
    finally:
        a.close()


def upload(c, data: bytes, *, name: str = "报送包.zip", token: str | None = None, field_first: bool = True):
    files = {"package": (name, data, "application/zip")}
    form = {"csrf_token": token} if token else {}
    return c.post("/imports", data=form, files=files)


def test_a_submission_package_built_in_the_background_and_downloaded(world, tmp_path):
    with client(world["enterprise_a"]) as c:
        login(c, "ent_officer")
        r = c.post("/exports/submission", data={"csrf_token": csrf(c), "since": "2026-01-01"})
        assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
        page = c.get(r.headers["location"])
        assert page.status_code == 200 and ('id="job"' in page.text)
        j = wait(c, r.headers["location"])
        assert j["state"] == "done", j["error"]
        assert j["result"]["records"] >= 3 and j["download"]
        assert str(world["enterprise_a"]) not in str(j)  # no server path reaches the browser
        assert "下载" in c.get(r.headers["location"]).text
        got = c.get(j["download"])
        assert got.status_code == 200 and got.headers["content-disposition"].startswith("attachment")
        out = tmp_path / "pkg.zip"
        out.write_bytes(got.content)
    assert check_package(out).ok
    _, actions = counts(world["enterprise_a"])
    assert actions[-2:] == ["export", "package_download"]


def test_an_uploaded_package_is_verified_then_imported(world):
    before, _ = counts(world["bureau"])
    with client(world["bureau"]) as c:
        login(c, "bureau_officer")
        r = upload(c, world["package_b2"].read_bytes(), name="鑫源-报送包.zip", token=csrf(c))
        assert r.status_code == 303, r.text[:500]
        j = wait(c, r.headers["location"])
        assert j["state"] == "done", j["error"]
        assert j["result"]["records_new"] == 1 and "已导入" in j["lines"][0]
        again = upload(c, world["package_b2"].read_bytes(), token=csrf(c))
        assert "已导入过" in wait(c, again.headers["location"])["lines"][0]
    after, actions = counts(world["bureau"])
    assert after == before + 1 and actions.count("import") == 2
    assert not list((world["bureau"] / "tmp" / "web").rglob("upload-*.zip"))  # the uploads are gone


def _tampered(data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            body = src.read(info)
            if info.filename.endswith("record.json") and b"XY-JY-2026-001" in body:
                body = body.replace(b"XY-JY-2026-001", b"XY-JY-2026-999")
            z.writestr(info, body)
    return out.getvalue()


def test_a_tampered_package_is_refused_and_nothing_is_stored(world):
    before, _ = counts(world["bureau"])
    with client(world["bureau"]) as c:
        login(c, "bureau_officer")
        r = upload(c, _tampered(world["package_b2"].read_bytes()), token=csrf(c))
        j = wait(c, r.headers["location"])
        assert j["state"] == "failed" and any("核验" in e or "拒绝" in e for e in j["error"])
        assert "未完成" in c.get(r.headers["location"]).text
    after, actions = counts(world["bureau"])
    assert after == before and actions[-1] == "import_refused"


def test_an_upload_without_the_forms_token_is_refused_before_any_byte_is_kept(world):
    with client(world["bureau"]) as c:
        login(c, "bureau_officer")
        r = upload(c, world["package_b2"].read_bytes())
        assert r.status_code == 403
        r = upload(c, world["package_b2"].read_bytes(), token="forged-token")
        assert r.status_code == 403
        r = upload(c, b"not a zip", name="x.exe", token=csrf(c))
        assert r.status_code == 400 and ".zip" in r.text
    assert not list((world["bureau"] / "tmp").rglob("upload-*"))


def test_an_upload_over_the_limit_is_refused(world):
    (world["bureau"] / "outsafe.toml").write_text("[settings]\npackage_max_bytes = 4096\n", encoding="utf-8")
    with client(world["bureau"]) as c:
        login(c, "bureau_officer")
        r = upload(c, world["package_b2"].read_bytes(), token=csrf(c))
        assert r.status_code == 413 and "package_max_bytes" in r.text
        # a client that does not say how long its body is gets the same answer while streaming
        token = csrf(c)
        body = (b"--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + token.encode()
                + b"\r\n--b\r\nContent-Disposition: form-data; name=\"package\"; filename=\"p.zip\"\r\n\r\n" + b"0" * 20000
                + b"\r\n--b--\r\n")

        def chunks():
            for i in range(0, len(body), 1000):
                yield body[i:i + 1000]

        r = c.post("/imports", content=chunks(), headers={"content-type": "multipart/form-data; boundary=b"})
        assert r.status_code == 413
    assert not list((world["bureau"] / "tmp").rglob("upload-*"))


@pytest.mark.soffice
@pytest.mark.slow
def test_an_evidence_package_for_a_contractor(world, tmp_path):
    with client(world["bureau"]) as c:
        login(c, "bureau_officer")
        page = c.get("/exports", params={"party": CONTRACTOR})
        assert f'value="{CONTRACTOR}"' in page.text
        # a case with no 告知书/决定书 on file and nothing named: one clear refusal, nothing built
        r = c.post("/exports/evidence", data={"csrf_token": csrf(c), "party": CONTRACTOR, "case_no": "（高新）应急立〔2026〕9号"})
        j = wait(c, r.headers["location"])
        assert j["state"] == "failed" and "没有可列入证据包的记录" in j["error"][0] and not j.get("download")
        # the same case with the records the officer names (the contractor's 动火 ticket)
        ticket = c.get("/api/search", params={"q": "动火", "type": "work_ticket"}).json()["hits"][0]["id"]
        r = c.post("/exports/evidence", data={"csrf_token": csrf(c), "party": CONTRACTOR, "case_no": "（高新）应急立〔2026〕9号",
                                              "records": ticket})
        j = wait(c, r.headers["location"])
        assert j["state"] == "done", j["error"]
        z = zipfile.ZipFile(io.BytesIO(c.get(j["download"]).content))
        assert any(n.endswith("证据材料汇编.pdf") for n in z.namelist())
        r = c.post("/exports/evidence", data={"csrf_token": csrf(c), "party": CONTRACTOR, "case_no": "x",
                                              "records": "01ZZZZZZZZZZZZZZZZZZZZZZZZ"})
        assert r.status_code == 404  # a record it may not see, or that does not exist


_ = re
