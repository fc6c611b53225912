"""``outsafe remind``: the right items for a given day, the digest printed with each item's link,
and the digest e-mailed to a local SMTP server (aiosmtpd on loopback) — each recipient its items,
nothing sent twice for the same item and day, one clear message when the server is unreachable."""

from __future__ import annotations

import email
import json
import socket
from datetime import date
from email import policy

import pytest
from aiosmtpd.controller import Controller

from archive.campaign.remind import mail_settings, reminders
from cli import main
from tests import factories


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for rcpt, m in self.messages if address in rcpt]


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def smtp():
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    yield inbox
    controller.stop()


def configure(home, port: int, extra: str = "") -> None:
    path = home / "outsafe.toml"
    path.write_text(path.read_text(encoding="utf-8") + f'''
[settings]
web_base_url = "https://outsafe.huarui.example"

[smtp]
host = "127.0.0.1"
port = {port}
starttls = false
from = "外包作业安全档案 <outsafe@huarui.example>"
timeout_seconds = 5

[[remind.recipients]]
name = "安全环保部"
to = ["anquan@huarui.example"]

[[remind.recipients]]
name = "合同管理"
to = ["hetong@huarui.example"]
kinds = ["agreement", "licence"]
{extra}''', encoding="utf-8")


@pytest.fixture
def home(arc):
    root = arc.home.root
    text = (root / "outsafe.toml").read_text(encoding="utf-8")
    assert "\n[settings]" in text  # the generated file: every line of it commented out below the table header
    (root / "outsafe.toml").write_text(text.replace("\n[settings]\n", "\n"), encoding="utf-8")
    arc.close()
    return root


def run(runner, home, *args):
    return runner.invoke(main, ["--home", str(home), "remind", *args])


def test_the_right_items_for_a_given_day(arc):
    # the basic archive: agreement HR-AQXY-2026-001 ends 2026-07-31, the contractor's licence 2027-02-28,
    # the welder's certificate 2028-05-31; the plan's deliverables 4-30, 6-10, 10-20 not handed in
    on_0715 = reminders(arc, as_of=date(2026, 7, 15), days=30)
    kinds = [(r.kind, r.due.isoformat(), r.days_left) for r in on_0715]
    assert kinds == [("campaign", "2026-04-30", -76), ("campaign", "2026-06-10", -35), ("agreement", "2026-07-31", 16)]
    assert [r.kind for r in reminders(arc, as_of=date(2026, 7, 15), days=10)] == ["campaign", "campaign"]
    later = reminders(arc, as_of=date(2027, 2, 1), days=30)
    assert [(r.kind, r.due.isoformat()) for r in later] == [
        ("campaign", "2026-04-30"), ("campaign", "2026-06-10"), ("campaign", "2026-10-20"), ("licence", "2027-02-28")]
    assert later[-1].link == f"/contractors/{factories.CONTRACTOR}"
    review = reminders(arc, as_of=date(2028, 5, 1), days=31)
    assert any(r.kind == "certificate" and "王海军" in r.title and factories.WELDER_ID not in r.title for r in review)
    assert len({r.key for r in review}) == len(review)


def test_the_digest_is_printed_with_each_items_link(runner, home):
    r = run(runner, home, "--as-of", "2026-07-15", "--days", "30")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("【外包作业安全档案】到期提醒 2026-07-15（今后 30 天内及已逾期，共 3 项）")
    assert "整治报送期限（2 项）" in r.output and "已逾期 76 天" in r.output and "还剩 16 天" in r.output
    assert "http://127.0.0.1:8080/records/" in r.output  # the default base URL
    r = run(runner, home, "--as-of", "2026-07-15", "--json")
    data = json.loads(r.output)
    assert data["days"] == 30 and [i["kind"] for i in data["items"]] == ["campaign", "campaign", "agreement"]
    assert data["items"][2]["url"].startswith("http://127.0.0.1:8080/records/")
    r = run(runner, home, "--as-of", "2026-07-15", "--send")
    assert r.exit_code == 1 and "没有配置邮件服务器" in r.output


def test_sent_to_the_local_smtp_server_once_per_item_and_day(runner, home, smtp):
    configure(home, smtp.port)
    r = run(runner, home, "--as-of", "2026-07-15", "--days", "30", "--send")
    assert r.exit_code == 0, r.output
    assert "anquan@huarui.example：已发送 3 项" in r.output and "hetong@huarui.example：已发送 1 项" in r.output
    (a,) = smtp.to("anquan@huarui.example")
    (h,) = smtp.to("hetong@huarui.example")
    assert a["Subject"] == "【外包作业安全档案】到期提醒（2026-07-15）：3项，其中2项已逾期"
    body = a.get_content()
    assert "安全生产管理协议 HR-AQXY-2026-001" in body and "https://outsafe.huarui.example/records/" in body
    assert "附件2 外包作业情况表" in body and "整治自查报告" in body and "https://outsafe.huarui.example/exports" in body
    assert "HR-AQXY-2026-001" in h.get_content() and "附件2" not in h.get_content()  # only the kinds asked for
    assert a["From"] == "外包作业安全档案 <outsafe@huarui.example>" and a["Message-ID"]
    # the same day again: nothing new, nothing sent
    r = run(runner, home, "--as-of", "2026-07-15", "--days", "30", "--send", "--json")
    assert r.exit_code == 0 and {x["status"] for x in json.loads(r.output)["recipients"]} == {"nothing"}
    assert len(smtp.messages) == 2
    # a wider window the same day: only the new item goes
    r = run(runner, home, "--as-of", "2026-07-15", "--days", "100", "--send")
    assert "anquan@huarui.example：已发送 1 项，另有 3 项今日已发送" in r.output
    assert "工作总结报告" in smtp.to("anquan@huarui.example")[-1].get_content()
    # the next day: still due, sent again
    r = run(runner, home, "--as-of", "2026-07-16", "--days", "30", "--send")
    assert r.exit_code == 0 and len(smtp.to("anquan@huarui.example")) == 3


def test_one_clear_message_when_the_smtp_server_is_unreachable(runner, home):
    port = free_port()  # nothing listens there
    configure(home, port)
    r = run(runner, home, "--as-of", "2026-07-15", "--send")
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert lines[0].startswith(f"无法连接邮件服务器 127.0.0.1:{port}：") and "(cannot reach the SMTP server)" in lines[0]
    assert lines[1].startswith("→ 检查 outsafe.toml 中 [smtp] 的 host、port") and len(lines) == 2
    assert "Traceback" not in r.output
    from archive.app import Archive

    a = Archive.open(home)
    try:
        assert a.catalog.reminders.sent() == []  # nothing logged as sent
    finally:
        a.close()


def test_mail_settings_are_checked_every_problem_at_once(runner, home):
    path = home / "outsafe.toml"
    path.write_text('[smtp]\nhost = "127.0.0.1"\nport = "25"\nfrom = "a@b"\ntls = true\n\n'
                    '[[remind.recipients]]\nto = ["not an address"]\nroles = ["contractors"]\nkinds = ["tickets"]\n', encoding="utf-8")
    with pytest.raises(Exception) as e:
        mail_settings(path)
    paths = {p.path for p in e.value.problems}
    assert paths == {"smtp.port", "smtp.tls", "remind.recipients[0].to", "remind.recipients[0].roles", "remind.recipients[0].kinds"}
    r = run(runner, home, "--send")
    assert r.exit_code == 1 and "smtp.tls: 未知的配置项" in r.output
