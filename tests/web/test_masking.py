"""No 身份证号 leaves the web application in clear: not the numbers of the registry (masked where
they are shown), and not one typed into free text — a hazard's description, an inspection's
problems, a search box, an address — wherever a page or its JSON twin shows it. And what is typed
into a number parameter is a number or a clear 400, never a server error."""

from __future__ import annotations

import re

import pytest

from archive.app import Archive
from tests import factories
from tests.web.conftest import client, login
from tests.web_world import CONTRACTOR, ENTERPRISE

ID_IN_TEXT = "370102197608150036"
MASKED = "3701**********0036"
CLEAR = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


@pytest.fixture(scope="module")
def home(tmp_path_factory, _world_template):
    from tests import web_world
    world = web_world.copy(_world_template, tmp_path_factory.mktemp("masking") / "world")
    folder = tmp_path_factory.mktemp("masking-cases")
    hazard = factories.write(folder, "hazard.yaml", {
        "type": "hazard", "hazard_no": "HR-YH-2026-0901", "enterprise": ENTERPRISE, "contractor": CONTRACTOR,
        "project": "HR-WB-2026-001", "description": f"焊工（身份证 {ID_IN_TEXT}）电焊机二次线破损，未停用",
        "grade": "一般", "found_on": "2026-05-02", "found_by": "安全环保部", "deadline": "2026-05-10",
        "owner": "项目负责人", "measures": "更换二次线", "status": "整改中"})
    a = Archive.open(world["enterprise_a"])
    try:
        report = a.add_files([hazard], pdf=False)
        assert report.exit_code == 0, report.as_text()
    finally:
        a.close()
    return world["enterprise_a"]


@pytest.fixture(scope="module")
def viewer(home):
    with client(home) as c:
        login(c, "ent_viewer")
        yield c


@pytest.mark.parametrize("url", ["/", "/api/dashboard", "/rectification", "/api/rectification", "/rectification?status=overdue"])
def test_an_id_number_in_a_hazards_description_is_masked(viewer, url):
    r = viewer.get(url)
    assert r.status_code == 200, r.text[:300]
    assert ID_IN_TEXT not in r.text
    assert MASKED in r.text  # the item is shown, masked
    assert not CLEAR.findall(r.text)


@pytest.mark.parametrize("url", [
    f"/search?q={ID_IN_TEXT}", f"/search?contractor={ID_IN_TEXT}", f"/search?type={ID_IN_TEXT}", f"/contractors?q={ID_IN_TEXT}",
    f"/rectification?status={ID_IN_TEXT}", f"/checks?rule={ID_IN_TEXT}", f"/tickets?which={ID_IN_TEXT}", f"/blacklist?as_of={ID_IN_TEXT}",
    f"/records/{ID_IN_TEXT}", f"/api/records/{ID_IN_TEXT}", f"/contractors/{ID_IN_TEXT}",
])
def test_a_number_typed_into_the_address_is_never_echoed_in_clear(viewer, url):
    r = viewer.get(url)
    assert r.status_code < 500, (url, r.status_code)
    assert ID_IN_TEXT not in r.text, url


@pytest.mark.parametrize("param", ["page", "cpage", "mpage", "gpage", "limit"])
@pytest.mark.parametrize("value", ["²", "٣", "9" * 5000, "-1", "1e3", " 2"])
def test_a_number_parameter_is_a_number_or_a_clear_refusal(viewer, param, value):
    for path in ("/search", "/contractors", f"/contractors/{CONTRACTOR}", "/rectification", "/blacklist", "/tickets", "/training/results"):
        r = viewer.get(path, params={param: value})
        assert r.status_code in (200, 400), (path, param, value[:8], r.status_code)
        if r.status_code == 400:
            assert "应为数字" in r.text


def test_a_content_length_that_is_no_number_is_refused(home):
    with client(home) as c:
        login(c, "ent_officer")
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/tickets").text)
        for length in ("²".encode("latin-1"), b"9" * 5000):
            r = c.post("/exports/submission", content=b"", headers={"content-length": length, "x-csrf-token": token.group(1)})
            assert r.status_code == 413, (length[:8], r.status_code)


def test_a_records_case_file_in_full_is_for_accounts_that_may_file_records(home):
    """The source file a record was sealed from is the case file as typed: 身份证号 in full. A
    read-only account gets neither it nor a link to it — the masked YAML instead."""
    a = Archive.open(home)
    try:
        row = next(r for r in a.catalog.list_records(belongs_to=ENTERPRISE, types=["person"]))
        source = next(f for f in a.catalog.record_files(row["id"]) if f["role"] == "source")
    finally:
        a.close()
    url = f"/records/{row['id']}/files/{source['sha256']}"
    with client(home) as viewer, client(home) as officer:
        login(viewer, "ent_viewer")
        login(officer, "ent_officer")
        r = viewer.get(url, params={"download": "1"})
        assert r.status_code == 403 and "/yaml" in r.text
        assert not CLEAR.findall(r.text)
        page = viewer.get(f"/records/{row['id']}").text
        assert url not in page and f"/records/{row['id']}/yaml" in page
        assert not CLEAR.findall(viewer.get(f"/records/{row['id']}/yaml").text)
        full = officer.get(url, params={"download": "1"})  # an account that may file records: as it typed it
        assert full.status_code == 200 and CLEAR.findall(full.text)
        assert url in officer.get(f"/records/{row['id']}").text
