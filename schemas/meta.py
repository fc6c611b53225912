"""What the catalog needs to know about each record type: its name, label and key fields."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CaseMeta:
    type: str  # registry name, e.g. "safety_agreement"
    label: str  # Chinese document name, e.g. "安全生产管理协议"
    number: str  # field holding the document number (合同编号, 文书号 …)
    date: str | None  # field (dotted path allowed) holding the document's own date
    enterprise: str | None = "enterprise"  # field holding the enterprise USCC
    contractor: str | None = "contractor"  # field holding the contractor USCC
    project: str | None = "project"  # field holding the project code
    kind: str = "case"  # "case" | "registry" | "campaign"
