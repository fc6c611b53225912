"""The access log: every sign-in (and failure), record view, document download, export and import —
who, what, when, from where — append-only and tamper-evident (``outsafe audit list``, the web's
访问日志 page, and ``outsafe verify``).

Tamper evidence, in two layers:

1. a hash chain: entry *n* carries ``hash_n = SHA-256(hash_{n-1} ‖ canonical JSON of entry n)``
   (``hash_0`` = 32 zero bytes; RFC 8785 JSON of seq, at, account, org, action, target, address,
   detail). Changing, removing or inserting an entry breaks every later link. The database also
   refuses UPDATE and DELETE (storage).
2. anchors in the ledger: the chain's head (seq and hash) becomes an ``access_log_anchored`` leaf
   of the owner's Merkle ledger whenever a checkpoint is signed and the log grew — after every
   write, and by ``outsafe serve`` every ``access_log_anchor_minutes`` and when it stops. A signed
   checkpoint covers the leaf, so rewriting the log up to an anchor (even recomputing the whole
   chain) is caught by ``verify``; only the entries after the last anchor rest on the chain
   alone, and ``verify`` says how many there are.

Nothing secret goes in: never a password, never the name typed at a failed sign-in unless it is an
existing account (a password typed into the name field must not be logged); 身份证号 never appear
in the targets (record ids, package digests, account names).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from archive.clock import day_start_stamp, local_time
from archive.integrity import canonical as jcs
from archive.text import Note, Table

ZERO = b"\0" * 32
ANCHOR = "access_log_anchored"

ACTIONS = {
    "login": "登录",
    "login_failed": "登录失败",
    "login_refused": "登录被暂停（失败过多）",
    "logout": "退出",
    "record_view": "查看记录",
    "document_download": "下载文书",
    "export": "导出包",
    "package_download": "下载包",
    "import": "导入包",
    "import_refused": "导入被拒绝",
    "user_added": "创建用户",
    "password_set": "更改密码",
    "user_disabled": "停用用户",
    "user_enabled": "启用用户",
    "person_linked": "账号关联人员",
    "ticket_step": "作业票签字",
    "ticket_identify_failed": "作业票签字人身份核验失败",
    "record_added": "填表入档",
    "exam_arranged": "安排三级教育考试",
    "exam_started": "开始考试（核验身份）",
    "exam_start_refused": "考试身份核验未通过",
    "exam_submitted": "交卷",
    "exam_signed": "考生签字确认成绩",
    "exam_cancelled": "取消考试",
    "card_written": "考试成绩写入登记卡",
    "view_result_altered": "视图结果文件被改动（未采用，已重新计算）",
}


def _content(row: dict) -> bytes:
    return jcs.dumps({k: row[k] for k in ("seq", "at", "account", "org", "action", "target", "address", "detail")})


def entry_hash(prev_hash: bytes, row: dict) -> bytes:
    """``SHA-256(prev_hash ‖ RFC 8785 JSON of the entry)``."""
    return hashlib.sha256(bytes(prev_hash) + _content(row)).digest()


def record(archive: Any, action: str, *, account: str | None = None, org: str | None = None, target: str | None = None,
           address: str | None = None, detail: dict | None = None) -> int:
    """Append one entry (its own transaction, or the caller's); return its seq."""
    if action not in ACTIONS:
        raise ValueError(action)
    log = archive.catalog.access_log
    with archive.catalog.transaction():
        head = log.head()
        row: dict[str, Any] = {
            "seq": (head["seq"] if head else 0) + 1,
            "at": archive.clock.stamp(),
            "account": account,
            "org": org,
            "action": action,
            "target": target,
            "address": address,
            "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
            "prev_hash": head["hash"] if head else ZERO,
        }
        row["hash"] = entry_hash(row["prev_hash"], row)
        log.append(row)  # type: ignore[arg-type]
    return row["seq"]


# --- anchors in the ledger -----------------------------------------------------------------------------


def last_anchor(archive: Any) -> dict | None:
    """The latest ``access_log_anchored`` leaf's entry (``upto``, ``head``)."""
    leaves = archive.ledger.leaves(kind=ANCHOR)
    return json.loads(leaves[-1]["entry"]) if leaves else None


def anchor_leaf(archive: Any) -> bool:
    """Append an anchor leaf for the log's head if the log grew since the last anchor (the caller
    holds the archive write lock and signs a checkpoint next: :meth:`Archive.checkpoint`)."""
    head = archive.catalog.access_log.head()
    if head is None:
        return False
    last = last_anchor(archive)
    if last is not None and int(last.get("upto", 0)) >= head["seq"]:
        return False
    with archive.catalog.transaction():
        archive.ledger.append(ANCHOR, {"upto": head["seq"], "head": bytes(head["hash"]).hex()}, archive.clock.stamp())
    return True


def anchor(archive: Any, notify: Any = None) -> bool:
    """Anchor the log's head now (under the write lock) and sign a checkpoint over it; True when a
    new anchor was written. Needs the signing key (``outsafe serve`` asks for it at start)."""
    with archive.writing("access log anchor", notify):
        before = last_anchor(archive)
        archive.checkpoint()
        return last_anchor(archive) != before


# --- verification ------------------------------------------------------------------------------------


def verify_log(archive: Any) -> tuple[list[str], list[str], int]:
    """(failures, warnings, entries) of the access log: the chain, and every anchor in the ledger."""
    failures: list[str] = []
    warnings: list[str] = []
    by_seq: dict[int, bytes] = {}
    prev = ZERO
    expected = 1
    n = 0
    for row in archive.catalog.access_log.entries():
        n += 1
        seq = row["seq"]
        if seq != expected:
            failures.append(f"访问日志第 {expected}–{seq - 1} 条缺失 (access log entries {expected}–{seq - 1} missing)")
            prev = bytes(row["prev_hash"])  # judge the rest on their own links
        expected = seq + 1
        if bytes(row["prev_hash"]) != prev:
            failures.append(f"访问日志第 {seq} 条: 与前一条的链接断开 (access log entry {seq}: chain broken)")
        if entry_hash(row["prev_hash"], row) != bytes(row["hash"]):
            failures.append(f"访问日志第 {seq} 条: 内容已被改动 (access log entry {seq}: altered)")
        by_seq[seq] = bytes(row["hash"])
        prev = bytes(row["hash"])
    top = 0
    for leaf in archive.ledger.leaves(kind=ANCHOR):
        try:
            e = json.loads(leaf["entry"])
            upto, head = int(e["upto"]), bytes.fromhex(e["head"])
        except (ValueError, KeyError, TypeError):
            failures.append(f"账本第 {leaf['idx']} 条: 访问日志锚点无法解析 (access log anchor unreadable)")
            continue
        top = max(top, upto)
        if upto not in by_seq:
            failures.append(f"访问日志只到第 {n} 条，账本第 {leaf['idx']} 条锚定了第 {upto} 条 (access log shorter than its anchor: entries deleted)")
        elif by_seq[upto] != head:
            failures.append(f"访问日志第 {upto} 条: 与账本第 {leaf['idx']} 条锚定的链头不符 (access log rewritten before its anchor)")
    if n > top:
        warnings.append(f"访问日志末尾 {n - top} 条尚未锚定到签名检查点，仅由哈希链保护 ({n - top} access log entries after the last anchor)")
    return failures, warnings, n


# --- listing -------------------------------------------------------------------------------------------


def _bound(value: str | date | None, *, end: bool = False) -> str | None:
    if value is None or value == "":
        return None
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if end:
        from datetime import timedelta

        return day_start_stamp(day + timedelta(days=1))[:-1] + "\uffff"  # before the next day starts
    return day_start_stamp(day)


@dataclass
class AuditList:
    """``outsafe audit list`` and the web's 访问日志: entries, newest first."""

    rows: list[dict]
    total: int
    anchored_upto: int

    def as_dict(self) -> dict:
        return {"total": self.total, "anchored_upto": self.anchored_upto, "entries": self.rows}

    def as_text(self) -> list[str]:
        out = Table(self.rows, [("seq", "序号"), ("time", "时间"), ("account", "用户"), ("action_label", "操作"), ("target", "对象"),
                                ("address", "地址"), ("detail_text", "说明")]).as_text()
        return out + [Note(f"共 {self.total} 条；已锚定到账本的至第 {self.anchored_upto} 条 (entries; anchored up to)")]


def audit_list(
    archive: Any,
    *,
    account: str | None = None,
    org: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: str | date | None = None,
    until: str | date | None = None,
    limit: int = 100,
    before_seq: int | None = None,
) -> AuditList:
    """Entries (newest first) by ``account``, of accounts of ``org``, of ``action``, about
    ``target``, on or after the day ``since`` and on or before the day ``until`` (China time)."""
    log = archive.catalog.access_log
    rows = log.entries(account=account, org=org, action=action, target=target, since=_bound(since),
                       until=_bound(until, end=True), newest_first=True)
    if before_seq is not None:
        rows = [r for r in rows if r["seq"] < before_seq]
    total = len(rows)
    out = []
    for r in rows[: max(1, limit)]:
        detail = json.loads(r["detail"]) if r["detail"] else None
        out.append({"seq": r["seq"], "at": r["at"], "time": local_time(r["at"]), "account": r["account"], "org": r["org"],
                    "action": r["action"], "action_label": ACTIONS.get(r["action"], r["action"]), "target": r["target"],
                    "address": r["address"], "detail": detail,
                    "detail_text": "；".join(f"{k}={v}" for k, v in detail.items()) if isinstance(detail, dict) else "",
                    "hash": bytes(r["hash"]).hex()})
    last = last_anchor(archive)
    return AuditList(out, total, int(last["upto"]) if last else 0)
