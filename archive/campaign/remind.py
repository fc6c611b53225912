"""Reminders (``outsafe remind``, the dashboard): what comes due, listed, and e-mailed as a digest.

    items = reminders(archive, as_of=day, days=30)          # [Reminder …], soonest first
    remind_digest(archive, as_of=day)                        # Digest: the text (Chinese) with each item's link
    send_digest(archive, as_of=day)                          # SendReport: one e-mail per recipient, once per item and day

What is reminded of (each with the web page it concerns, ``settings.web_base_url`` + path):

    certificate     a person's certificate expiring, or its review (复审) due, within ``days``
    licence         an organisation's licence or qualification expiring within ``days``
    agreement       a 安全生产管理协议 whose term ends within ``days``
    rectification   an open 整改 item whose deadline falls within ``days``, or is past (overdue)
    campaign        the plan's deliverables (附件2 4-30, 自查报告 6-10, 总结报告 10-20) not yet handed in,
                    due within ``days`` or overdue (archive.campaign.calendar)

Each item has a stable key (kind, subject, due day; no ID number in it): the sent-log
(``catalog.reminders``) keeps which item went to which address in the digest of which day, so a
second ``--send`` on the same day sends nothing twice; the next day's digest names what is still due.

The mail settings live in ``outsafe.toml`` beside ``[settings]`` (unknown keys are an error)::

    [smtp]
    host = "smtp.example.com"
    port = 587
    starttls = true                    # STARTTLS after connecting (ssl = true: TLS from the start)
    user = "outsafe@example.com"       # optional; the password is read from the environment:
    password_env = "OUTSAFE_SMTP_PASSWORD"
    from = "外包作业安全档案 <outsafe@example.com>"

    [[remind.recipients]]              # one table per recipient group; every filter is optional
    name = "安全环保部"
    to = ["anquan@example.com"]
    orgs = ["91370112MA3F7R1K8F"]      # items about these organisations (USCC)
    roles = ["contractor"]             # items about organisations of these roles: enterprise | contractor | bureau
    kinds = ["certificate", "licence"] # these kinds of item
"""

from __future__ import annotations

import hashlib
import json
import os
import smtplib
import socket
import ssl
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from archive.campaign.calendar import CAMPAIGN_TYPES, campaign_status
from archive.checks.snapshot import Snapshot
from archive.errors import MailFailed, Problem, ValidationFailed
from archive.privacy import mask_text

KINDS = {
    "rectification": "整改期限",
    "campaign": "整治报送期限",
    "certificate": "人员证书",
    "licence": "单位证照",
    "agreement": "安全生产管理协议",
}
REMIND_TYPES = (*CAMPAIGN_TYPES, "person", "safety_agreement")
ORG_ROLES = ("enterprise", "contractor", "bureau")


@dataclass(frozen=True)
class Reminder:
    key: str
    kind: str
    due: date
    days_left: int  # negative: overdue
    title: str
    org: str | None  # the organisation it concerns (USCC)
    org_role: str | None
    org_name: str | None
    link: str  # the web page, a path

    @property
    def when(self) -> str:
        if self.days_left < 0:
            return f"已逾期 {-self.days_left} 天"
        return "今天到期" if self.days_left == 0 else f"还剩 {self.days_left} 天"

    def as_dict(self, base_url: str = "") -> dict:
        return {"key": self.key, "kind": self.kind, "kind_name": KINDS[self.kind], "due": self.due.isoformat(),
                "days_left": self.days_left, "when": self.when, "title": self.title, "org": self.org, "org_role": self.org_role,
                "org_name": self.org_name, "link": self.link, "url": base_url.rstrip("/") + self.link if base_url else self.link}


def _hash(*parts: Any) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:16]


def reminders(archive: Any, *, as_of: date | None = None, days: int | None = None, within: str | None = None,
              snap: Snapshot | None = None, campaign: dict | None = None) -> list[Reminder]:
    """Everything coming due within ``days`` of ``as_of`` (and what is overdue), soonest first.
    Read through the facts: the people, organisations and agreements with something due in the
    window (their ``due`` links), the rectification items (kept, home by home), the campaign's
    deliverables. ``snap``: evaluated on that snapshot instead (the whole archive in memory: what
    the tests compare with); ``campaign`` may be handed in by a caller that has it (the dashboard)."""
    as_of = as_of or archive.clock.today()
    days = archive.settings.remind_days if days is None else days
    until = as_of + timedelta(days=days)
    if snap is not None:
        view = snap.upto(as_of)
        orgs = view.of("organization")
        return _collect(as_of, until, people=view.of("person"), orgs=orgs, roles={r.obj.uscc: r.obj.role for r in orgs},
                        org_records={r.obj.uscc: r.id for r in orgs}, agreements=view.of("safety_agreement"),
                        items=_open_items(snap, as_of), campaign=campaign or campaign_status(archive, as_of, snap=snap),
                        org_name=snap.org_name)
    from archive.campaign.rectify import rectification_view
    from archive.checks.world import World

    world = World(archive, within=within)
    registered = world.current_of_type("organization")  # every organisation in scope: its role, its record's page
    people, orgs = (world.registered_on(t, "due", as_of, until, as_of) for t in ("person", "organization"))
    window = [(as_of + timedelta(days=d)).isoformat() for d in range(days + 1)]
    agreements = world.recs(world.linked("due", window, types=["safety_agreement"]), as_of)  # every version: the one of as_of
    items = rectification_view(archive, as_of, within=within)["items"]
    campaign = campaign or campaign_status(archive, as_of, within=within)
    names = world.snapshot([], None).look_up("organization", [
        *(r.obj.employer for r in people), *(r.obj.uscc for r in orgs), *(r.obj.contractor for r in agreements),
        *(i.get("contractor") or i.get("enterprise") for i in items), *(e["enterprise"] for e in campaign["enterprises"])])
    return _collect(as_of, until, people=people, orgs=orgs, roles={r["key"]: json.loads(r["info"] or "{}").get("role") for r in registered},
                    org_records={r["key"]: r["record_id"] for r in registered}, agreements=agreements, items=items, campaign=campaign,
                    org_name=names.org_name)


def _collect(as_of: date, until: date, *, people: Sequence[Any], orgs: Sequence[Any], roles: dict, org_records: dict,
             agreements: Sequence[Any], items: Sequence[dict], campaign: dict, org_name: Any) -> list[Reminder]:
    """The reminders among what the caller read (each list may hold more than comes due)."""
    out: list[Reminder] = []

    def add(key: str, kind: str, due: date, title: str, org: str | None, link: str) -> None:
        out.append(Reminder(key, kind, due, (due - as_of).days, title, org, roles.get(org or ""),
                            org_name(org) if org else None, link))

    def coming(due: Any) -> bool:
        return isinstance(due, date) and as_of <= due <= until

    for r in people:
        p = r.obj
        employer = org_name(p.employer)
        for c in p.certificates or ():
            what = f"{c.kind}{'（' + c.category + '）' if c.category else ''}"
            if coming(c.expires):
                add(f"certificate:{_hash(p.id_number.upper(), c.kind, c.number)}:{c.expires}", "certificate", c.expires,
                    f"{p.name}（{employer}）的{what}（{mask_text(c.number)}）有效期至 {c.expires}", p.employer, f"/records/{r.id}")
            review = getattr(c, "next_review", None)
            if coming(review) and review != c.expires:
                add(f"certificate-review:{_hash(p.id_number.upper(), c.kind, c.number)}:{review}", "certificate", review,
                    f"{p.name}（{employer}）的{what}应于 {review} 前复审", p.employer, f"/records/{r.id}")
    for r in orgs:
        o = r.obj
        link = f"/contractors/{o.uscc}" if o.role == "contractor" else f"/records/{org_records[o.uscc]}"
        for q in o.qualifications or ():
            if coming(q.valid_to):
                add(f"licence:{o.uscc}:{_hash(q.kind, q.number)}:{q.valid_to}", "licence", q.valid_to,
                    f"{o.name}的{q.kind}（{q.number}）有效期至 {q.valid_to}", o.uscc, link)
    for r in agreements:
        a = r.obj
        if coming(a.term.end):
            add(f"agreement:{r.id}:{a.term.end}", "agreement", a.term.end,
                f"安全生产管理协议 {a.agreement_no}（{org_name(a.contractor)}，项目 {a.project}）期限至 {a.term.end}",
                a.contractor, f"/records/{r.id}")
    for i in items:
        due = date.fromisoformat(i["deadline"]) if i.get("deadline") else None
        if i["status"] not in ("open", "overdue"):
            continue
        if due is None or due > until:
            continue
        who = i.get("contractor") or i.get("enterprise")
        add(f"rectification:{i['record']['id']}:{_hash(i['ref'])}:{due}", "rectification", due,
            f"{i['ref']}：{i['text'][:60]}（整改期限 {due}）", who, f"/records/{i['record']['id']}")
    for e in campaign["enterprises"]:
        for d in e["deliverables"]:
            if not d["due"] or d["status"] == "submitted":
                continue
            due = date.fromisoformat(d["due"])
            if due <= until:
                state = "已生成未报送" if d["status"] == "produced" else "未报送"
                add(f"campaign:{e['enterprise']}:{d['key']}:{due}", "campaign", due,
                    f"{e['name']} {d['name']}（{due} 前报区应急管理局）：{state}", e["enterprise"], "/exports" if e["own"] else "/")
    seen: set[str] = set()
    unique = [x for x in out if not (x.key in seen or seen.add(x.key))]
    return sorted(unique, key=lambda x: (x.due, list(KINDS).index(x.kind), x.title))


def _open_items(snap: Snapshot, as_of: date) -> list[dict]:
    from archive.campaign.rectify import rectification_status  # campaign_status holds only the overdue ones

    return rectification_status(snap, as_of)["items"]


# --- the digest ---------------------------------------------------------------------------------------


def digest_lines(items: Sequence[Reminder], *, as_of: date, days: int, base_url: str, owner: str) -> list[str]:
    out = [f"【外包作业安全档案】到期提醒 {as_of.isoformat()}（今后 {days} 天内及已逾期，共 {len(items)} 项）", f"{owner}", ""]
    if not items:
        return out + ["今后没有到期事项。"]
    for n, kind in enumerate((k for k in KINDS if any(i.kind == k for i in items)), 1):
        mine = [i for i in items if i.kind == kind]
        out.append(f"{'一二三四五'[n - 1]}、{KINDS[kind]}（{len(mine)} 项）")
        for j, i in enumerate(mine, 1):
            out.append(f"  {j}. {i.due.isoformat()} {i.when}：{i.title}")
            out.append(f"     {base_url.rstrip('/')}{i.link}")
        out.append("")
    out.append("此邮件由 outsafe 外包作业安全档案按 outsafe.toml 中的收件设置发送；同一事项当天只发送一次。")
    return out


@dataclass
class Digest:
    """``outsafe remind`` (without --send): the digest as it would be mailed."""

    as_of: date
    days: int
    base_url: str
    owner: str
    items: list[Reminder]

    def as_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "days": self.days, "base_url": self.base_url,
                "items": [i.as_dict(self.base_url) for i in self.items]}

    def as_text(self) -> list[str]:
        return digest_lines(self.items, as_of=self.as_of, days=self.days, base_url=self.base_url, owner=self.owner)


def remind_digest(archive: Any, *, as_of: date | None = None, days: int | None = None, within: str | None = None) -> Digest:
    as_of = as_of or archive.clock.today()
    days = archive.settings.remind_days if days is None else days
    return Digest(as_of, days, archive.settings.web_base_url, archive.owner_name,
                  reminders(archive, as_of=as_of, days=days, within=within))


# --- mail settings --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 587
    starttls: bool = True
    ssl: bool = False
    user: str | None = None
    password_env: str = "OUTSAFE_SMTP_PASSWORD"
    sender: str = ""
    timeout: float = 20.0


@dataclass(frozen=True)
class Recipients:
    to: tuple[str, ...]
    name: str = ""
    orgs: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def wants(self, item: Reminder) -> bool:
        return ((not self.orgs or item.org in self.orgs) and (not self.roles or item.org_role in self.roles)
                and (not self.kinds or item.kind in self.kinds))


@dataclass(frozen=True)
class MailSettings:
    smtp: Smtp | None
    recipients: tuple[Recipients, ...] = field(default_factory=tuple)


_SMTP_KEYS = {"host": str, "port": int, "starttls": bool, "ssl": bool, "user": str, "password_env": str, "from": str,
              "timeout_seconds": (int, float)}
_RECIPIENT_KEYS = {"name": str, "to": list, "orgs": list, "roles": list, "kinds": list}


def mail_settings(path: Path) -> MailSettings:
    """``[smtp]`` and ``[[remind.recipients]]`` of ``outsafe.toml``; every problem at once."""
    if not path.exists():
        return MailSettings(None)
    file = str(path)
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise ValidationFailed([Problem("", f"配置文件无法解析 (cannot parse settings): {e}", file=file)]) from e
    problems: list[Problem] = []

    def typed(section: str, table: Any, spec: dict) -> dict:
        if not isinstance(table, dict):
            problems.append(Problem(section, "应为表 (must be a table)", file=file))
            return {}
        for k, v in table.items():
            want = spec.get(k)
            if want is None:
                problems.append(Problem(f"{section}.{k}", "未知的配置项 (unknown setting)", file=file))
            elif isinstance(v, bool) and want is not bool or not isinstance(v, want):
                problems.append(Problem(f"{section}.{k}", "类型不对 (wrong type)", file=file))
        return table

    smtp = None
    if "smtp" in doc:
        t = typed("smtp", doc["smtp"], _SMTP_KEYS)
        if not t.get("host"):
            problems.append(Problem("smtp.host", "缺少邮件服务器地址 (missing host)", file=file))
        if not t.get("from"):
            problems.append(Problem("smtp.from", "缺少发件人 (missing from)", file=file))
        if not problems:
            smtp = Smtp(host=t["host"], port=int(t.get("port", 587)), starttls=bool(t.get("starttls", True)),
                        ssl=bool(t.get("ssl", False)), user=t.get("user"), password_env=t.get("password_env", "OUTSAFE_SMTP_PASSWORD"),
                        sender=t["from"], timeout=float(t.get("timeout_seconds", 20)))
    groups: list[Recipients] = []
    remind = doc.get("remind", {})
    if not isinstance(remind, dict) or set(remind) - {"recipients"}:
        problems.append(Problem("remind", "[remind] 只能有 recipients (only [[remind.recipients]] tables)", file=file))
        remind = {}
    raw = remind.get("recipients", [])
    if not isinstance(raw, list):
        problems.append(Problem("remind.recipients", "应写成 [[remind.recipients]] 表 (must be an array of tables)", file=file))
        raw = []
    for n, r in enumerate(raw):
        at = f"remind.recipients[{n}]"
        t = typed(at, r, _RECIPIENT_KEYS)
        to = tuple(str(x).strip() for x in t.get("to") or () if str(x).strip())
        if not to or any("@" not in x or any(c in x for c in " \r\n,;<>") for x in to):
            problems.append(Problem(f"{at}.to", "收件地址应为 e-mail 地址的列表 (to: a list of e-mail addresses)", file=file))
        bad_roles = [x for x in t.get("roles") or () if x not in ORG_ROLES]
        if bad_roles:
            problems.append(Problem(f"{at}.roles", f"未知的单位角色 {bad_roles}，可用：{'、'.join(ORG_ROLES)} (unknown role)", file=file))
        bad_kinds = [x for x in t.get("kinds") or () if x not in KINDS]
        if bad_kinds:
            problems.append(Problem(f"{at}.kinds", f"未知的提醒类别 {bad_kinds}，可用：{'、'.join(KINDS)} (unknown kind)", file=file))
        groups.append(Recipients(to=to, name=str(t.get("name", "")), orgs=tuple(t.get("orgs") or ()),
                                 roles=tuple(t.get("roles") or ()), kinds=tuple(t.get("kinds") or ())))
    if problems:
        raise ValidationFailed(problems)
    return MailSettings(smtp, tuple(groups))


# --- sending ----------------------------------------------------------------------------------------------


@dataclass
class SendReport:
    """``outsafe remind --send``: per address, how many items were sent (or why none)."""

    as_of: date
    server: str
    rows: list[dict]

    @property
    def exit_code(self) -> int:
        return 1 if any(r["status"] == "refused" for r in self.rows) else 0

    def as_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "server": self.server, "recipients": self.rows}

    def as_text(self) -> list[str]:
        words = {"sent": "已发送", "nothing": "无新事项，未发送", "refused": "被邮件服务器拒绝"}
        out = [f"到期提醒 {self.as_of.isoformat()} → {self.server}"]
        for r in self.rows:
            extra = f"（{r['error']}）" if r.get("error") else (f"，另有 {r['already']} 项今日已发送" if r["already"] else "")
            out.append(f"  {r['to']}：{words[r['status']]} {r['items']} 项{extra}")
        return out


def send_digest(archive: Any, *, as_of: date | None = None, days: int | None = None) -> SendReport:
    """E-mail each recipient the items meant for them that were not sent to them in today's digest
    already; log what was sent. One clear error (MailFailed) when the server cannot be reached."""
    cfg = mail_settings(archive.home.settings_file)
    if cfg.smtp is None or not cfg.recipients:
        raise ValidationFailed([Problem("smtp" if cfg.smtp is None else "remind.recipients",
                                        "outsafe.toml 中没有配置邮件服务器 [smtp] 和收件人 [[remind.recipients]] (no mail settings)",
                                        file=str(archive.home.settings_file))])
    as_of = as_of or archive.clock.today()
    days = archive.settings.remind_days if days is None else days
    items = reminders(archive, as_of=as_of, days=days)
    day = as_of.isoformat()
    plan: list[tuple[str, list[Reminder], int]] = []
    for group in cfg.recipients:
        mine = [i for i in items if group.wants(i)]
        for to in group.to:
            already = archive.catalog.reminders.sent_keys(day, to)
            plan.append((to, [i for i in mine if i.key not in already], sum(1 for i in mine if i.key in already)))
    smtp = cfg.smtp
    server = f"{smtp.host}:{smtp.port}"
    rows = [{"to": to, "items": 0, "already": already, "status": "nothing"} for to, new, already in plan if not new]
    todo = [(to, new, already) for to, new, already in plan if new]
    if not todo:
        return SendReport(as_of, server, rows)
    conn = _connect(smtp)
    try:
        for to, new, already in todo:
            msg = _message(archive, smtp, to, new, as_of=as_of, days=days)
            try:
                conn.send_message(msg)
            except smtplib.SMTPRecipientsRefused as e:
                rows.append({"to": to, "items": len(new), "already": already, "status": "refused", "error": _why(e)})
                continue
            except (smtplib.SMTPException, OSError) as e:
                raise MailFailed(f"发送给 {to} 时邮件服务器 {server} 出错：{_why(e)} (the SMTP server failed while sending)",
                                 hint="已发送的提醒已记录，不会重发；稍后重新运行 outsafe remind --send") from e
            with archive.catalog.transaction():
                archive.catalog.reminders.log_sent([{"item": i.key, "day": day, "recipient": to, "sent_at": archive.clock.stamp(),
                                                     "message_id": msg["Message-ID"]} for i in new])
            rows.append({"to": to, "items": len(new), "already": already, "status": "sent", "message_id": msg["Message-ID"]})
    finally:
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            pass
    order = {to: n for n, (to, _, _) in enumerate(plan)}
    return SendReport(as_of, server, sorted(rows, key=lambda r: order[r["to"]]))


def _why(e: BaseException) -> str:
    if isinstance(e, smtplib.SMTPResponseException):
        text = e.smtp_error.decode(errors="replace") if isinstance(e.smtp_error, bytes) else str(e.smtp_error)
        return f"{e.smtp_code} {text}".strip()
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{k}: {v[0]} {v[1].decode(errors='replace') if isinstance(v[1], bytes) else v[1]}" for k, v in e.recipients.items())
    return (getattr(e, "strerror", None) or str(e) or type(e).__name__).strip()


def _connect(smtp: Smtp) -> smtplib.SMTP:
    where = f"{smtp.host}:{smtp.port}"
    try:
        if smtp.ssl:
            conn: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
            if smtp.starttls:
                conn.starttls(context=ssl.create_default_context())
        if smtp.user:
            password = os.environ.get(smtp.password_env)
            if password is None:
                conn.close()
                raise MailFailed(f"邮件服务器需要口令，但环境变量 {smtp.password_env} 未设置 (SMTP password not set)",
                                 hint=f"export {smtp.password_env}=…")
            conn.login(smtp.user, password)
    except MailFailed:
        raise
    except smtplib.SMTPAuthenticationError as e:
        raise MailFailed(f"邮件服务器 {where} 拒绝登录：{_why(e)} (SMTP login refused)",
                         hint=f"检查 outsafe.toml [smtp] user 和环境变量 {smtp.password_env}") from e
    except (OSError, smtplib.SMTPException, socket.timeout) as e:
        raise MailFailed(f"无法连接邮件服务器 {where}：{_why(e)} (cannot reach the SMTP server)",
                         hint="检查 outsafe.toml 中 [smtp] 的 host、port、starttls，以及邮件服务器是否在运行；没有发送任何提醒") from e
    return conn


def _message(archive: Any, smtp: Smtp, to: str, items: list[Reminder], *, as_of: date, days: int) -> EmailMessage:
    base = archive.settings.web_base_url
    lines = digest_lines(items, as_of=as_of, days=days, base_url=base, owner=archive.owner_name)
    overdue = sum(1 for i in items if i.days_left < 0)
    msg = EmailMessage()
    # no spaces: a mail reader may drop a space between encoded words (RFC 2047)
    msg["Subject"] = f"【外包作业安全档案】到期提醒（{as_of.isoformat()}）：{len(items)}项" + (f"，其中{overdue}项已逾期" if overdue else "")
    msg["From"] = smtp.sender
    msg["To"] = to
    msg["Date"] = format_datetime(archive.clock.now())
    msg["Message-ID"] = make_msgid(domain=smtp.host if "." in smtp.host else "outsafe.local")
    msg.set_content(mask_text("\n".join(lines)) + "\n", charset="utf-8")
    return msg


__all__ = ["Reminder", "reminders", "remind_digest", "send_digest", "mail_settings", "Digest", "SendReport", "KINDS", "REMIND_TYPES"]
