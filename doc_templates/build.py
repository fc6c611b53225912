"""Build the .docx templates and ``templates.yaml`` from code.

    .venv/bin/python -m doc_templates.build          # writes doc_templates/*.docx and templates.yaml

The templates are generated, never edited by hand, so that every run carries its fonts (the East
Asian face *and* a Latin face for digits), every table has the same borders, and a change to a
form is a reviewable diff of this file. The output is deterministic (fixed zip timestamps and
document properties): rebuilding without a change gives the same bytes, hence the same template
hashes in sealed records.

Faces are the official names Chinese templates use — 方正小标宋简体 (titles), 仿宋_GB2312 (body),
黑体 (headings), 楷体_GB2312, 宋体 (tables) — with Times New Roman for Latin letters and digits;
the PDF converter maps them to free faces (FandolFang for 仿宋; doc_templates/FONTS.md).

Pagination rules every template follows (doc_templates/dsl.py; archive/documents/layout.py checks
the PDFs): a signature, seal or date block never splits and keeps with the last lines above it
(``Doc.keep_previous``, grids with ``keep_together``); table rows never split and heading rows
repeat; label cells fit their text or break between words (``fit_label``); codes keep whole.

What a template may name (``doc``, ``org``, ``project``, ``calc``, ``settings``, ``images`` and
the filters) is documented in ``archive/render.py``; ``outsafe templates check`` verifies it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from doc_templates.dsl import HERE, Spec
from doc_templates.forms import (
    build_agreement,
    build_blasting,
    build_blind_plate,
    build_confined_space,
    build_contract,
    build_excavation,
    build_hot_work,
    build_inspection,
    build_lifting,
    build_order,
    build_review,
    build_road_closure,
    build_sheet,
    build_temporary_power,
    build_training,
    build_work_at_height,
)

TICKET_NOTE = {
    "ticket_type": "作业类别由票种本身（模板）体现 (the form itself is the ticket type)",
    "steps[].identified_by": "身份确认方式记在封存的签署记录中，表上不印 (how the signer was identified: in the sealed record)",
    "steps[].account": "经手账号记在封存的签署记录中，表上不印 (the account of the phone: in the sealed record)",
}


def specs() -> list[Spec]:
    from schemas.campaign import Accident, ConfinedSpaceRegister, ContractorInspection, Equipment, Hazard, QuarterlyAssessment
    from schemas.registry import Organization, Person, Project

    out = [
        Spec("outsourcing_contract", "outsourcing_contract", "外包合同", build_contract),
        Spec("safety_agreement", "safety_agreement", "安全生产管理协议", build_agreement),
        Spec("training_record", "training_record", "三级安全教育登记卡", build_training, version="1.1.0", not_shown={
            "levels[].exam.bank": "题库名称和版本在电子记录中",
            "levels[].exam.bank_sha256": "题库的 SHA-256 在电子记录中",
            "levels[].exam.minutes": "答题时限在电子记录中（印出开始和交卷时间）",
            "levels[].exam.seed": "抽题种子在电子记录中（同一种子抽出同样的题）",
            "levels[].exam.answers": "逐题答题情况在电子记录中（outsafe case show）",
        }),
    ]
    tickets = [
        ("hot_work", "动火安全作业票", build_hot_work),
        ("confined_space", "受限空间安全作业票", build_confined_space),
        ("blind_plate", "盲板抽堵安全作业票", build_blind_plate),
        ("work_at_height", "高处安全作业票", build_work_at_height),
        ("lifting", "吊装安全作业票", build_lifting),
        ("temporary_power", "临时用电安全作业票", build_temporary_power),
        ("excavation", "动土安全作业票", build_excavation),
        ("road_closure", "断路安全作业票", build_road_closure),
        ("blasting", "爆破作业许可单", build_blasting),
    ]
    out += [Spec(f"ticket_{tt}", "work_ticket", name, fn, ticket_type=tt, not_shown=TICKET_NOTE, version="1.1.0")  # 1.1: step photos
            for tt, name, fn in tickets]
    bureau_note = {"bureau": "执法机关以文书首行的执法机关名称（authority_name）和印章体现"}
    out += [
        Spec("rectification_order", "rectification_order", "责令限期整改指令书", build_order, not_shown=bureau_note),
        Spec("rectification_review", "rectification_review", "整改复查意见书", build_review, not_shown=bureau_note),
        Spec("inspection_record", "inspection_record", "现场检查记录", build_inspection),
    ]
    sheets = [
        (QuarterlyAssessment, "承包单位季度安全生产考核记录"),
        (Hazard, "事故隐患登记表"),
        (Accident, "生产安全事故登记表"),
        (Equipment, "设备设施登记表"),
        (ContractorInspection, "承包单位安全检查记录"),
        (ConfinedSpaceRegister, "有限空间管理台账"),
        (Organization, "单位登记表"),
        (Person, "人员登记表"),
        (Project, "外包项目登记表"),
    ]
    for cls, name in sheets:
        t = cls.__case__.type
        out.append(Spec(t, t, name, (lambda c=cls, n=name: build_sheet(c, n))))
    from doc_templates.forms_campaign import specs as campaign_specs

    out += campaign_specs()
    # Any record type added to schemas/ without a designed form gets the record sheet, so that
    # every type renders (and `templates check` holds it to its schema) until its form is drawn.
    from schemas import all_classes

    covered = {s.type for s in out}
    for cls in all_classes():
        t = cls.__case__.type
        if t not in covered:
            label = cls.__case__.label
            out.append(Spec(t, t, label, (lambda c=cls, n=label: build_sheet(c, n)), generic=True))
    return out


def build_all(out_dir: Path = HERE) -> list[Path]:
    written = []
    entries = []
    for spec in specs():
        path = out_dir / f"{spec.id}.docx"
        spec.build().save(path)
        written.append(path)
        entry: dict[str, Any] = {"id": spec.id, "file": path.name, "type": spec.type}
        if spec.ticket_type:
            entry["ticket_type"] = spec.ticket_type
        entry["version"] = spec.version
        entry["title"] = spec.title
        if spec.not_shown:
            entry["not_shown"] = dict(spec.not_shown)
        if spec.generic:
            entry["generic"] = True
        entries.append(entry)
    header = ("# Generated by `python -m doc_templates.build` — do not edit by hand.\n"
              "# Which record type each template serves, and its version (sealed with every document).\n"
              "# not_shown: required fields a form omits on purpose (the templates check accepts them).\n")
    (out_dir / "templates.yaml").write_text(
        header + yaml.safe_dump({"templates": entries}, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    return written


def main() -> None:
    for p in build_all():
        print(p.relative_to(HERE.parent))
    print("doc_templates/templates.yaml")


if __name__ == "__main__":
    main()
