"""The roles of web accounts and what each may do.

    can(role, "import", org=…, owner=…, owner_role=…)     # True / False

Capabilities:

    read               dashboard, search, dossiers, records and their documents, checks,
                       rectification, blacklists — within the account's scope (archive.access.scope)
    export_submission  build and download a submission package (报送包) of this archive: the
                       enterprise's admin and safety officer, in the enterprise's own archive (the
                       package is signed with the archive owner's key)
    export_evidence    build and download an evidence package (证据包): bureau accounts, in a bureau archive
    import             upload a submission package for import: bureau accounts, in a bureau archive
    audit              read the access log: admins (an enterprise admin sees its own organization's entries)
    training           arrange and supervise the three-level training exams (a worker takes his on the
                       officer's phone or tablet), write the results into 登记卡: the enterprise's admin and
                       safety officer, in their own organization's archive
    ticket             apply for a 作业票 and carry the phone through its steps (archive.tickets): the
                       enterprise's admin and safety officer, in the enterprise's own archive
    write              fill forms, keep drafts and add records (sealed), import Excel rosters: the
                       enterprise's admin and safety officer in the enterprise's own archive (its own
                       enterprise's records only); bureau admins and officers in a bureau archive
                       (enforcement documents for the bureau's archive). Viewers never.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    name: str
    label: str  # Chinese, as shown
    kind: str  # "enterprise" | "bureau"
    capabilities: frozenset[str]


CAPABILITIES = ("read", "export_submission", "export_evidence", "import", "audit", "training", "ticket", "write")

ROLES: dict[str, Role] = {r.name: r for r in (
    Role("enterprise_admin", "企业管理员", "enterprise", frozenset({"read", "export_submission", "audit", "training", "ticket", "write"})),
    Role("enterprise_officer", "企业安全员", "enterprise", frozenset({"read", "export_submission", "training", "ticket", "write"})),
    Role("enterprise_viewer", "企业查阅人员", "enterprise", frozenset({"read"})),
    Role("bureau_admin", "应急管理局管理员", "bureau", frozenset({"read", "export_evidence", "import", "audit", "write"})),
    Role("bureau_officer", "应急管理局执法人员", "bureau", frozenset({"read", "export_evidence", "import", "write"})),
)}


def can(role: str, capability: str, *, org: str | None, owner: str, owner_role: str) -> bool:
    """May an account of ``role`` (of organization ``org``) use ``capability`` in the archive owned
    by ``owner`` (whose role is ``owner_role``)?"""
    r = ROLES.get(role)
    if r is None or capability not in r.capabilities:
        return False
    if capability in ("export_submission", "ticket"):
        return org == owner and owner_role == "enterprise"
    if capability in ("export_evidence", "import"):
        return owner_role == "bureau"
    if capability == "training":
        return org == owner and owner_role in ("enterprise", "contractor")
    if capability == "write":
        return owner_role == "bureau" if r.kind == "bureau" else (org == owner and owner_role == "enterprise")
    return True
