"""The views' kept results are authenticated (archive/facts/cache.py): a file under cache/views
edited on disk — a finding deleted from a kept check, a file cut short, another view's result
copied over it — is never shown. The view is computed again and shows the true findings; the file
is set aside under cache/views/altered/, and ``outsafe verify`` names it (exit 3) until it is
removed. A file an earlier version wrote without a MAC is never read either (a warning, not a
failure). Real catalog, the CLI through CliRunner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.app import Archive
from archive.campaign.prepare import scopes
from archive.facts import cache
from cli import main
from tests.test_prepare import DAY, district_fixture, home_fixture, kept_files  # noqa: F401 (the fixtures district, home)


def run(home: Path, *args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, ["--home", str(home), *args])
    assert "Traceback" not in r.output
    return r.exit_code, r.stdout, r.stderr


def check_json(home: Path, *args: str) -> dict:
    code, out, _ = run(home, "check", "--as-of", DAY.isoformat(), "--json", *args)
    assert code in (0, 1), out
    data = json.loads(out)
    return {"rules": [(r["id"], r["status"], r["findings"]) for r in data["rules"]]}


def verified(home: Path) -> tuple[list[str], list[str]]:
    """``outsafe verify``'s (failures, warnings) about the kept views (the generated district's
    records are signed by origins whose keys it never registered: those failures are not ours)."""
    code, out, _ = run(home, "verify", "--json")
    data = json.loads(out)
    assert code == (0 if data["ok"] else 3)
    return [f for f in data["failures"] if "视图结果" in f], [w for w in data["warnings"] if "视图结果" in w]


def body_of(f: Path) -> dict:
    head, _, body = f.read_bytes().partition(b"\n")
    assert head.startswith(cache.MAGIC)
    return json.loads(body)


def whole_checks(folder: Path) -> list[Path]:
    """The kept whole-archive checks with findings (the result an official reads first)."""
    out = []
    for f in kept_files(folder):
        value = body_of(f)["value"]
        if isinstance(value, dict) and value.get("scope") == {"enterprise": None, "contractor": None} \
                and any(r["findings"] for r in value.get("rules", ())):
            out.append(f)
    return out


def hide_findings(f: Path) -> None:
    """What someone hiding a problem would do: delete the findings, keep the file's first line."""
    head, _, body = f.read_bytes().partition(b"\n")
    data = json.loads(body)
    for r in data["value"]["rules"]:
        r["findings"], r["status"] = [], "pass"
    f.write_bytes(head + b"\n" + json.dumps(data, ensure_ascii=False).encode())


def test_a_kept_check_with_its_findings_deleted_on_disk_is_not_shown_and_verify_names_it(home):
    truth = check_json(home)
    assert any(findings for _, _, findings in truth["rules"])
    folder = home / "cache" / "views"
    [kept] = whole_checks(folder)
    hide_findings(kept)

    code, out, err = run(home, "check", "--as-of", DAY.isoformat(), "--json")
    assert {"rules": [(r["id"], r["status"], r["findings"]) for r in json.loads(out)["rules"]]} == truth
    assert "被改动" in err and kept.name in err  # said where the user sees it
    aside = list((folder / cache.ALTERED).iterdir())
    assert len(aside) == 1 and aside[0].name.startswith(kept.stem)
    code, out, _ = run(home, "audit", "list", "--json")  # a trace that outlives the file: the hash-chained access log
    [entry] = [e for e in json.loads(out)["entries"] if e["action"] == "view_result_altered"]
    assert entry["target"] == kept.name and entry["detail"]["set_aside"] == f"cache/views/{cache.ALTERED}/{aside[0].name}"
    assert whole_checks(folder) and body_of(whole_checks(folder)[0])["value"]["rules"]  # written again, true

    failures, _ = verified(home)
    assert any(f"cache/views/{cache.ALTERED}/{aside[0].name}" in f and "写入后被改动" in f for f in failures)
    code, out, err = run(home, "verify")  # the text too
    assert code == 3 and f"cache/views/{cache.ALTERED}/{aside[0].name}" in out + err

    shutil.rmtree(folder / cache.ALTERED)  # looked into, removed: verified again
    assert verified(home) == ([], [])


def test_an_altered_file_not_yet_read_is_named_by_verify(home):
    check_json(home)
    folder = home / "cache" / "views"
    [kept] = whole_checks(folder)
    hide_findings(kept)
    failures, _ = verified(home)
    assert any(f"cache/views/{kept.name}" in f for f in failures)


@pytest.mark.parametrize("how", ["cut short", "one byte changed", "first line removed and content changed", "emptied"])
def test_a_damaged_kept_file_is_computed_again(home, how):
    truth = check_json(home)
    folder = home / "cache" / "views"
    [kept] = whole_checks(folder)
    raw = kept.read_bytes()
    if how == "cut short":
        kept.write_bytes(raw[: len(raw) // 2])
    elif how == "one byte changed":
        i = raw.index(b'"findings":[{') + 2
        kept.write_bytes(raw[:i] + b"F" + raw[i + 1:])
    elif how == "emptied":
        kept.write_bytes(b"")
    else:
        data = body_of(kept)
        for r in data["value"]["rules"]:
            r["findings"], r["status"] = [], "pass"
        kept.write_bytes(json.dumps(data).encode())
    assert check_json(home) == truth
    failures, _ = verified(home)
    assert len([f for f in failures if "写入后被改动" in f]) == 1  # set aside, named (the MAC line removed too)


def test_another_views_result_copied_over_a_file_is_refused(home):
    """Each MAC covers the key: a true result of one view is not accepted as another's."""
    folder = home / "cache" / "views"
    a = Archive.open(home)
    try:
        enterprises, _ = scopes(a)
    finally:
        a.close()
    first, second = enterprises[:2]
    check_json(home, "--enterprise", first)
    truth = check_json(home, "--enterprise", second)
    assert truth != check_json(home, "--enterprise", first)
    files = {}
    for f in kept_files(folder):
        value = body_of(f)["value"]
        if isinstance(value, dict) and value.get("scope") == {"enterprise": first, "contractor": None} and "rules" in value:
            files["first"] = f
        if isinstance(value, dict) and value.get("scope") == {"enterprise": second, "contractor": None} and "rules" in value:
            files["second"] = f
    shutil.copyfile(files["first"], files["second"])
    assert check_json(home, "--enterprise", second) == truth
    assert any(p.name.startswith(files["second"].stem) for p in (folder / cache.ALTERED).iterdir())


def test_a_file_of_an_earlier_version_is_never_read_and_verify_only_warns(home):
    """Earlier versions wrote results without a MAC, under keys of their own program (its digest
    is in the key): such a file is never read, a warning until swept. The same file under a key
    this version asks for can only be an edit — the MAC line removed — and is set aside."""
    truth = check_json(home)
    folder = home / "cache" / "views"
    [kept] = whole_checks(folder)
    data = body_of(kept)
    for r in data["value"]["rules"]:
        r["findings"], r["status"] = [], "pass"
    old = folder / ("0" * 32 + ".json")  # a key of another program
    old.write_text(json.dumps(data), encoding="utf-8")  # as versions before the MAC wrote them
    a = Archive.open(home)
    try:
        assert cache.audit(a)[:2] == ([], 1)
    finally:
        a.close()
    failures, warnings = verified(home)
    assert failures == [] and len(warnings) == 1 and "校验码" in warnings[0]
    assert check_json(home) == truth and old.exists()
    assert not (folder / cache.ALTERED).exists()


def test_without_the_archives_secret_nothing_is_read_from_or_written_to_files(home):
    check_json(home)
    folder = home / "cache" / "views"
    before = {f.name: f.read_bytes() for f in kept_files(folder)}
    secret = home / "keys" / "id-hash.key"
    moved = secret.with_name("id-hash.key.away")
    secret.rename(moved)
    a = Archive.open(home)
    try:
        k = next(iter(before))[: -len(".json")]
        assert cache.load(a, k) is None
        cache.save(a, k, cache.Kept(1, cache.Deps(), {"x": 1}), memory=False)
        assert {f.name: f.read_bytes() for f in kept_files(folder)} == before
        assert cache.audit(a)[2] is False
    finally:
        moved.rename(secret)
        a.close()


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=300), at=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_bit_flipped_in_a_kept_file_is_refused(body, at, bit):
    key = b"k" * 32
    raw = cache._wrap(key, "view-key", body)
    assert cache._unwrap(key, "view-key", raw) == ("ok", body)
    assert cache._unwrap(key, "other-key", raw)[0] == "altered"
    i = at % len(raw)
    flipped = raw[:i] + bytes([raw[i] ^ (1 << bit)]) + raw[i + 1:]
    assert cache._unwrap(key, "view-key", flipped)[0] != "ok"
