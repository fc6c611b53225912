"""`outsafe user add | list | passwd | disable | enable` and `outsafe audit list` through CliRunner."""

from __future__ import annotations

import json

import pytest

from archive.access.signin import SignInRefused, sign_in, viewer_for
from cli import main
from tests.factories import BUREAU, ENTERPRISE


@pytest.fixture
def h(arc):
    """The basic archive's home, closed for the command line."""
    root = str(arc.home.root)
    arc.close()
    return root


def run(runner, h, *args, input=None):
    return runner.invoke(main, ["--home", h, *args], input=input)


def test_add_generates_a_password_shown_once(runner, h):
    r = run(runner, h, "user", "add", "zhang", "--role", "bureau_officer", "--org", BUREAU, "--json")
    assert r.exit_code == 0, r.output
    made = json.loads(r.stdout)
    assert made["name"] == "zhang" and made["org_name"] == "济南高新区应急管理局" and len(made["password"]) == 19
    listed = run(runner, h, "user", "list", "--json")
    assert made["password"] not in listed.output and "argon2" not in listed.output
    assert [u["name"] for u in json.loads(listed.stdout)] == ["zhang"]
    text = run(runner, h, "user", "list")
    assert "应急管理局执法人员" in text.output and "启用" in text.output


def test_add_with_a_password_from_stdin_then_sign_in(runner, h, tmp_path):
    r = run(runner, h, "user", "add", "li", "--role", "enterprise_officer", "--org", ENTERPRISE, "--password-stdin",
            input="a long enough secret\n")
    assert r.exit_code == 0 and "a long enough secret" not in r.output and "初始密码" not in r.output
    from archive.app import Archive

    a = Archive.open(h)
    try:
        assert viewer_for(a, sign_in(a, "li", "a long enough secret")).org == ENTERPRISE
    finally:
        a.close()


def test_add_refuses_bad_input_with_exit_1(runner, h):
    r = run(runner, h, "user", "add", "li", "--role", "enterprise_officer")
    assert r.exit_code == 1 and "--org" in r.output
    r = run(runner, h, "user", "add", "li", "--role", "chief")
    assert r.exit_code == 2
    r = run(runner, h, "user", "add", "li", "--role", "bureau_officer", "--org", BUREAU, "--password-stdin", input="short\n")
    assert r.exit_code == 1 and "至少 10 个字符" in r.output


def test_passwd_disable_enable(runner, h):
    run(runner, h, "user", "add", "li", "--role", "enterprise_viewer", "--org", ENTERPRISE, "--password-stdin", input="first password 1\n")
    r = run(runner, h, "user", "passwd", "li", "--json")
    new = json.loads(r.stdout)["password"]
    from archive.app import Archive

    a = Archive.open(h)
    try:
        with pytest.raises(SignInRefused):
            sign_in(a, "li", "first password 1")
        token = sign_in(a, "li", new)
        r = run(runner, h, "user", "disable", "li")
        assert r.exit_code == 0 and "已停用" in r.output and "已结束 1 个会话" in r.output
        assert viewer_for(a, token) is None
        with pytest.raises(SignInRefused):
            sign_in(a, "li", new)
        assert run(runner, h, "user", "enable", "li").exit_code == 0
        assert viewer_for(a, sign_in(a, "li", new)) is not None
    finally:
        a.close()
    r = run(runner, h, "user", "passwd", "nobody")
    assert r.exit_code == 1 and "没有用户 nobody" in r.output


def test_audit_list_shows_who_did_what(runner, h):
    run(runner, h, "user", "add", "li", "--role", "enterprise_officer", "--org", ENTERPRISE, "--password-stdin", input="a long enough secret\n")
    from archive.app import Archive

    a = Archive.open(h)
    try:
        sign_in(a, "li", "a long enough secret", address="10.1.2.3")
        with pytest.raises(SignInRefused):
            sign_in(a, "li", "wrong one, really")
    finally:
        a.close()
    r = run(runner, h, "audit", "list", "--json")
    data = json.loads(r.stdout)
    assert [e["action"] for e in data["entries"]] == ["login_failed", "login", "user_added"]
    assert data["entries"][1]["address"] == "10.1.2.3" and data["total"] == 3
    r = run(runner, h, "audit", "list", "--user", "li", "--action", "login")
    assert r.exit_code == 0 and "登录" in r.output and "10.1.2.3" in r.output and "登录失败" not in r.output
    r = run(runner, h, "audit", "list", "--since", "2026-11-30")
    assert r.exit_code == 0 and "共 0 条" in r.output
    assert "a long enough secret" not in run(runner, h, "audit", "list", "--json").output
    r = run(runner, h, "verify")
    assert r.exit_code == 0 and "3 条访问日志" in r.output


def test_link_an_account_to_its_person(runner, arc, tmp_path):
    """`user link NAME --person 身份证号`: the account belongs to a registered person of its own
    organization (`user add --person` too); a contractor's worker or an unknown number is refused
    with one clear message (the number masked), `--none` unlinks, `user list` shows the person."""
    from tests import factories

    officer = factories.id_number("37010219800101123")
    arc.add_files([factories.write(tmp_path / "in", "officer.yaml",
                                   factories.person("刘海涛", officer, employer=ENTERPRISE, roles=["专职安全生产管理人员"]))], pdf=False)
    h = str(arc.home.root)
    arc.close()
    assert run(runner, h, "user", "add", "li", "--role", "enterprise_officer", "--org", ENTERPRISE, "--password-stdin",
               input="a long enough secret\n").exit_code == 0
    r = run(runner, h, "user", "link", "li", "--person", officer, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"name": "li", "person_name": "刘海涛", "linked": True}
    listed = json.loads(run(runner, h, "user", "list", "--json").stdout)
    assert listed[0]["person_name"] == "刘海涛" and officer not in json.dumps(listed, ensure_ascii=False)
    assert "刘海涛" in run(runner, h, "user", "list").output
    # the contractor's welder is not the enterprise's; an unknown number is nobody
    other = run(runner, h, "user", "link", "li", "--person", factories.WELDER_ID)
    assert other.exit_code == 1 and "不是该账号所属单位的人员" in other.output
    unknown = factories.id_number("11010519491231002")
    nobody = run(runner, h, "user", "link", "li", "--person", unknown)
    assert nobody.exit_code == 1 and "未登记" in nobody.output and unknown not in nobody.output
    assert run(runner, h, "user", "link", "li").exit_code == 2  # neither --person nor --none
    r = run(runner, h, "user", "link", "li", "--none", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["linked"] is False
    made = run(runner, h, "user", "add", "wang", "--role", "enterprise_viewer", "--org", ENTERPRISE, "--person", officer, "--json")
    assert made.exit_code == 0 and json.loads(made.stdout)["person_name"] == "刘海涛"
    log = json.loads(run(runner, h, "audit", "list", "--action", "person_linked", "--json").stdout)
    assert len(log["entries"] if isinstance(log, dict) else log) == 2
    bad = run(runner, h, "audit", "list", "--action", "no_such_thing")
    assert bad.exit_code == 2 and "exam_signed" in bad.output
