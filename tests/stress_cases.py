"""The stress set of the layout check: the example cases pushed to the sizes real files reach —
the longest names (organizations of 30 characters and more, a rare character in a person's
name), 20 safety measures, 30 findings and order items, 60 workers, long free text — and rendered
with the packaged templates (tests/layout_corpus.py converts them).

Each case starts from an example file and grows; it must still validate (schemas only: there is
no archive behind it), so the stress is on the layout, not on the rules.
"""

from __future__ import annotations

import copy
import itertools
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from schemas import RuleContext, load
from archive.settings import Settings
from tests.layout_corpus import AS_OF, EXAMPLES, Document, attachments, load_file, registry_of

LONG_ORG = {
    "91370100MA3C8K2P9L": "山东省济南市高新技术产业开发区华锐重型机械装备制造股份有限公司",
    "91370112MA3F7R1K8F": "山东恒安设备安装工程有限公司济南市历城区机电设备安装检修分公司",
    "91370105MA3DK8W41C": "济南鲁中建设工程有限公司市政公用与建筑工程施工第三项目管理部",
}
RARE_NAME = "王堃"  # 堃 is outside GB 2312: FandolFang lacks it, the fallback face prints it
LONG_TEXT = ("作业区域与生产区域之间设置硬质隔离和警戒线，专人监护；作业前对作业人员进行安全技术交底并签字确认，"
             "作业过程中每两小时复测一次可燃气体和氧气含量，异常时立即停止作业、撤离人员并报告。")
POINTS = ["1．未办理受限空间安全作业票；", "2．未进行气体检测，未配备四合一气体检测报警仪；",
          "3．井口无监护人员，未设置警戒区和警示标志；", "4．作业人员未佩戴全身式安全带和安全绳，井口未设三脚架"]
FIRST_NAMES = "赵钱孙李周吴郑冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = ["建国", "志强", "海涛", "立新", "德明", "春来", "卫国", "大勇", "玉梅", "红伟", "晓东", "振华"]


def _names(n: int) -> list[str]:
    pool = (f + g for g, f in itertools.product(GIVEN, FIRST_NAMES))
    return [RARE_NAME] + list(itertools.islice(pool, n - 1))


def _raw(path: str) -> dict:
    return yaml.safe_load((EXAMPLES / path).read_text(encoding="utf-8"))


def _ok(raw: dict, name: str) -> object:
    result = load(raw, RuleContext(Settings(), AS_OF, None), file=name)
    errors = [p.line() for p in result.problems if p.severity == "error"]
    if errors:
        raise ValueError(f"stress case {name} does not validate:\n" + "\n".join(errors))
    return result.obj


def _measures(raw: dict, n: int) -> None:
    base = raw["measures"]
    raw["measures"] = [dict(base[i % len(base)], text=f"{base[i % len(base)]['text']}（第{i + 1}项）")
                       for i in range(n)]


def stress_cases() -> dict[str, dict]:
    out: dict[str, dict] = {}

    hot = _raw("cases/ticket-hot-work-DH-2026-0137.yaml")
    _measures(hot, 20)
    hot["workers"] = [{"name": n} for n in _names(60)]
    hot["briefing"]["receivers"] = _names(60)
    hot["risk_identification"] = LONG_TEXT * 3
    hot["other_measures"] = LONG_TEXT
    out["stress-ticket-hot-work"] = hot

    cs = _raw("cases/ticket-confined-space-SX-2026-0021.yaml")
    _measures(cs, 20)
    start = datetime.fromisoformat(str(cs["valid_from"]))
    samples = []
    for i in range(30):
        s = dict(cs["gas_samples"][i % len(cs["gas_samples"])])
        s["taken_at"] = (start - timedelta(minutes=20) + timedelta(minutes=15 * (i // 4))).strftime("%Y-%m-%d %H:%M")
        samples.append(s)
    cs["gas_samples"] = samples
    cs["valid_to"] = (start + timedelta(hours=9)).strftime("%Y-%m-%d %H:%M")
    cs["workers"] = [{"name": n} for n in _names(12)]
    out["stress-ticket-confined-space"] = cs

    power = _raw("cases/ticket-temporary-power-LD-2026-0045.yaml")
    _measures(power, 20)
    power["workers"] = [dict(power["workers"][0], name=n) for n in _names(8)]
    out["stress-ticket-temporary-power"] = power

    order = _raw("bureau/rectification-order-zegai-2026-12.yaml")
    order["items"] = [copy.deepcopy(order["items"][i % len(order["items"])]) for i in range(30)]
    out["stress-rectification-order"] = order

    insp = _raw("bureau/inspection-record-jianji-2026-37.yaml")
    insp["findings"] = [copy.deepcopy(insp["findings"][i % len(insp["findings"])]) for i in range(30)]
    insp["situation"] = LONG_TEXT * 4
    out["stress-inspection-record"] = insp

    review = _raw("bureau/rectification-review-fucha-2026-9.yaml")
    review["items"] = [dict(review["items"][i % len(review["items"])], item=i + 1) for i in range(30)]
    review["opinion"] = LONG_TEXT * 2
    out["stress-rectification-review"] = review

    agr = _raw("cases/agreement-HR-AQXY-2026-044.yaml")
    agr["enterprise_duties"] = [agr["enterprise_duties"][i % len(agr["enterprise_duties"])] for i in range(20)]
    agr["contractor_duties"] = [agr["contractor_duties"][i % len(agr["contractor_duties"])] for i in range(20)]
    out["stress-agreement"] = agr

    contract = _raw("cases/contract-HR-HT-2026-044.yaml")
    contract["scope"] = LONG_TEXT * 4
    out["stress-contract"] = contract

    # the campaign's tables: 40 projects of contractors with the longest names, a ledger whose
    # cells list several inspections, orders and penalties, a self-check annex of 30 problems
    a2 = _raw("cases/campaign-table-WBQK-2026.yaml")
    base = a2["tables"][0]["rows"]
    contractors = [LONG_ORG["91370112MA3F7R1K8F"], LONG_ORG["91370105MA3DK8W41C"]]
    rows = []
    for i in range(40):
        cells = list(base[i % len(base)]["cells"])
        cells[0] = str(i + 1)
        cells[1] = f"二号炼钢厂连铸车间中间包烘烤器及结晶器振动装置年度大修工程（HR-WB-2026-{i + 1:03d}）"
        cells[4] = contractors[i % 2]
        cells[18] = "已于2026年7月28日完工" if i % 3 else "尚未开工"
        rows.append({"cells": cells})
    a2["tables"][0]["rows"] = rows
    a2["author_name"] = LONG_ORG["91370100MA3C8K2P9L"]
    out["stress-campaign-table"] = a2

    ledger = _raw("bureau/campaign-table-JGTZ-2026-1129.yaml")
    busy = ledger["tables"][0]["rows"][1]["cells"]
    rows = []
    for i in range(30):
        cells = list(busy)
        cells[0] = str(i + 1)
        cells[1] = LONG_ORG["91370100MA3C8K2P9L"]
        cells[2] = contractors[i % 2]
        cells[7] = "；".join(f"2026年{m}月1{m}日 （高新）应急检记〔2026〕{30 + m}号" for m in range(6, 10))
        cells[8] = "；".join(f"（高新）应急责改〔2026〕{10 + m}号（{m}项）" for m in range(1, 4))
        cells[10] = "（高新）应急罚〔2026〕1号，罚款30,000元；（高新）应急罚〔2026〕12号，罚款1,250,000元"
        rows.append({"cells": cells})
    ledger["tables"][0]["rows"] = rows
    out["stress-campaign-ledger"] = ledger

    report = _raw("cases/campaign-report-ZCBG-2026.yaml")
    annex = report["tables"][0]["rows"]
    report["tables"][0]["rows"] = [
        {"cells": [str(i + 1)] + list(annex[i % len(annex)]["cells"][1:2]) + [LONG_TEXT]
         + list(annex[i % len(annex)]["cells"][3:])} for i in range(30)]
    out["stress-campaign-report"] = report

    # numbered points typed on lines of their own in a justified text, and a decision whose end
    # (seal, date, copies note) falls at the foot of a page
    entry = _raw("cases/blacklist-entry-HMD-2026-002.yaml")
    entry["facts"] += "，具体如下：\n" + "\n".join(POINTS)
    entry["evidence"] = [f"{e}（第{i + 1}组）" for i, e in zip(range(12), itertools.cycle(entry["evidence"]))]
    entry["measures"] = [f"{entry['measures'][0]}（第{i + 1}项）" for i in range(12)]
    out["stress-blacklist-entry"] = entry

    # measures that run to a page: printed as one paragraph, LibreOffice moved it whole to the
    # second page to keep it with the seal, and the seal went on alone to the third
    many = _raw("cases/blacklist-entry-HMD-2026-001.yaml")
    many["measures"] = [f"第{i + 1}项：3年内不得承接本单位外包工程，不得签订安全生产管理协议、不得办理作业票" for i in range(18)]
    out["stress-blacklist-measures"] = many

    training = _raw("cases/training-004-wu-qiang.yaml")
    training["trainee"]["name"] = RARE_NAME
    for lv in training["levels"]:
        lv["content"] = list(lv["content"]) * 2
    training["site_briefing"] = LONG_TEXT * 2
    out["stress-training"] = training
    return out


def stress_documents(folder: Path | None = None) -> list[Document]:
    """The stress cases as documents to render, with the long organization names in their refs."""
    files = [p for d in ("organizations", "projects") for p in sorted((EXAMPLES / d).glob("*.yaml"))]
    refs = registry_of([load_file(p) for p in files])
    for uscc, name in LONG_ORG.items():
        refs["organizations"][uscc]["name"] = name
    out = []
    for name, raw in stress_cases().items():
        obj = _ok(raw, name)
        folder = EXAMPLES / ("bureau" if getattr(obj, "photos", None) else "cases")
        out.append(Document(name, obj, refs, attachments(obj, folder)))
    return out
