"""Helpers of the exam tests: the sample banks installed, a signature PNG, a whole exam answered."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Any

from archive.training import bank, exam
from tests.conftest import EXAMPLES

BANKS = sorted((EXAMPLES / "training").glob("题库-*.yaml"))
LEVELS = ("公司级", "车间级", "班组级")


def signature_png(width: int = 120, height: int = 40, seed: int = 0) -> bytes:
    """A small real PNG (grey stripes), different for each ``seed``."""
    rows = b"".join(b"\x00" + bytes((x * 7 + y * 3 + seed) % 256 for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def install_banks(archive: Any) -> None:
    bank.add_banks(archive, BANKS, by="test")


def right_answers(archive: Any, row: dict) -> dict[str, str]:
    b = bank.bank_by_sha(archive, row["bank_sha256"])
    return {q: b.question(q).answer for q in json.loads(row["questions"])}


def wrong_answers(archive: Any, row: dict) -> dict[str, str]:
    b = bank.bank_by_sha(archive, row["bank_sha256"])
    out = {}
    for q in json.loads(row["questions"]):
        question = b.question(q)
        if question.kind == "judge":
            out[q] = "错误" if question.answer == "正确" else "正确"
        elif question.kind == "multiple":
            out[q] = question.answer[:1]  # one of the right letters only: wrong (all or nothing)
        else:
            out[q] = next(c for c in "ABCDEF"[:len(question.options)] if c not in question.answer)
    return out


def training(archive: Any, level: str, day: Any = None) -> dict:
    return exam.training_facts(archive, level, start=day or archive.clock.today(), hours=8, trainer="孙丽娟",
                               content=["安全生产法律法规", "本岗位安全操作规程"])


def pass_level(archive: Any, key: str, level: str, birth: str, *, sign: bool = True, seed: int = 0) -> dict:
    """Arrange, start, answer every question right, hand in and (by default) sign one level."""
    row = exam.arrange(archive, key, level, training(archive, level), by="test")
    exam.start(archive, row["id"], birth=birth)
    row = exam.submit(archive, row["id"], right_answers(archive, row))
    if sign:
        row = exam.sign(archive, row["id"], signature_png(seed=seed))
    return row


__all__ = ["BANKS", "LEVELS", "signature_png", "install_banks", "right_answers", "wrong_answers", "training", "pass_level", "Path"]
