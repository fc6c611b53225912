"""Document numbers (文书号) of the bureau's forms: ``（高新）应急责改〔2026〕12号``. The next
number of a year is one more than the highest archived one for that code.
"""

from __future__ import annotations

import re
from typing import Any

from schemas.identifiers import make_doc_no

CODES = {
    "rectification_order": "责改",
    "rectification_review": "复查",
    "penalty_notice": "罚告",
    "penalty_decision": "罚",
    "inspection_record": "检记",
}


# --- numbering ---------------------------------------------------------------------------------------


def next_doc_no(archive: Any, record_type: str, year: int, *, region: str | None = None, code: str | None = None) -> str:
    """The next free 文书号 of ``record_type`` for ``year`` in this archive."""
    region = region or archive.settings.region_abbr
    code = code or CODES[record_type]
    pattern = re.compile(rf"^（{re.escape(region)}）应急{re.escape(code)}〔{year}〕([1-9]\d*)号$")
    serials = [0]
    for row in archive.catalog.list_records(types=[record_type]):
        m = pattern.match(row["doc_no"] or "")
        if m:
            serials.append(int(m.group(1)))
    return make_doc_no(region, code, year, max(serials) + 1)
