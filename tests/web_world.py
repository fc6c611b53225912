"""A small district for the web tests: two enterprises' archives and the bureau's, which imported
both enterprises' submission packages; a web account of every role.

    enterprise A  济南华锐重型机械有限公司 (tests.factories.ENTERPRISE): the basic archive (PDFs rendered)
    enterprise B  a second enterprise hiring the same contractor; its texts carry markup, script and
                  template syntax (XSS), which every page must show literally
    bureau        济南高新区应急管理局: A's and B's packages imported; ``package_b2`` (B's later
                  submission, one more record) is left for the tests to upload

Built once per test process (see tests/web/conftest.py); tests get private copies.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from archive.access.accounts import add_user
from archive.app import Archive
from archive.integrity import keys
from archive.integrity.trust import trust_organization
from archive.packages.export import export_package
from archive.packages.importer import import_package
from tests import factories
from tests.factories import BUREAU, CONTRACTOR, ENTERPRISE, uscc

ENTERPRISE_B = uscc("370102", "MA7XY501")
XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>{{ 7*7 }}{% if 1 %}'
PASSWORD = "web-test-password-1"

# name → (role, organization)
ACCOUNTS = {
    "ent_admin": ("enterprise_admin", ENTERPRISE),
    "ent_officer": ("enterprise_officer", ENTERPRISE),
    "ent_viewer": ("enterprise_viewer", ENTERPRISE),
    "b_officer": ("enterprise_officer", ENTERPRISE_B),
    "bureau_admin": ("bureau_admin", BUREAU),
    "bureau_officer": ("bureau_officer", BUREAU),
}


def b_files(folder: Path) -> dict[str, Path]:
    w = factories.write
    return {
        "enterprise": w(folder, "enterprise-b.yaml", factories.organization(
            uscc=ENTERPRISE_B, name="济南鑫源轻工机械有限公司", address=f"济南市历下区 {XSS}", industry="轻工")),
        "bureau": w(folder, "bureau.yaml", factories.bureau()),
        "contractor": w(folder, "contractor.yaml", factories.contractor()),
        "welder": w(folder, "welder.yaml", factories.welder()),
        "project": w(folder, "project-b.yaml", factories.project(
            enterprise=ENTERPRISE_B, code="XY-WB-2026-001", name=f"储罐区管线改造工程{XSS}")),
        "agreement": w(folder, "agreement-b.yaml", factories.agreement(
            enterprise=ENTERPRISE_B, project="XY-WB-2026-001", agreement_no="XY-AQXY-2026-007", contract_no="XY-HT-2026-007",
            project_overview=f"储罐区管线改造，{XSS}", contractor_duties=[f"设立项目部{XSS}", "特种作业人员持证上岗", "执行作业票制度"])),
    }


def build(root: Path, basic_template: Path) -> dict[str, Path]:
    """The three archives under ``root``; returns their homes."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(basic_template / "archive", root / "enterprise-a", symlinks=True)
    a = Archive.open(root / "enterprise-a")
    files = b_files(root / "in-b")
    b = Archive.create(root / "enterprise-b", files["enterprise"], pdf=False)
    b.add_files([files["bureau"], files["contractor"]], pdf=False)
    b.add_files([files["welder"]], pdf=False)
    b.add_files([files["project"]], pdf=False)
    b.add_files([files["agreement"]], pdf=False)
    pkg_a = export_package(a, root / "package-a.zip", as_zip=True).path
    pkg_b = export_package(b, root / "package-b.zip", as_zip=True).path
    basic = factories.basic_set(root / "in-a")
    bur = Archive.create(root / "bureau", basic["bureau"], pdf=False)
    bur.add_files([basic["enterprise"], files["enterprise"]], pdf=False)
    for ent, code in ((a, ENTERPRISE), (b, ENTERPRISE_B)):
        public = ent.public_key()
        trust_organization(bur, code, keys.public_pem(public).encode(), keys.fingerprint(public))
    import_package(bur, pkg_a)
    import_package(bur, pkg_b)
    # a later submission of B, not imported yet: what an officer uploads in the tests
    b.add_files([factories.write(root / "in-b", "training-b.yaml", factories.training_card(
        enterprise=ENTERPRISE_B, project="XY-WB-2026-001", record_no="XY-JY-2026-001"))], pdf=False)
    pkg_b2 = export_package(b, root / "package-b2.zip", as_zip=True).path
    for home_archive, names in ((a, ("ent_admin", "ent_officer", "ent_viewer")), (b, ("b_officer",)), (bur, tuple(ACCOUNTS))):
        for name in names:
            role, org = ACCOUNTS[name]
            add_user(home_archive, name, role, org=org, password=PASSWORD)
    for x in (a, b, bur):
        x.close()
    return {"enterprise_a": root / "enterprise-a", "enterprise_b": root / "enterprise-b", "bureau": root / "bureau",
            "package_a": pkg_a, "package_b": pkg_b, "package_b2": pkg_b2}


def copy(world: dict[str, Path], dest: Path) -> dict[str, Path]:
    """A private copy of a built world."""
    src_root = world["bureau"].parent
    shutil.copytree(src_root, dest, symlinks=True)
    return {k: dest / v.relative_to(src_root) for k, v in world.items()}


__all__ = ["ACCOUNTS", "ENTERPRISE", "ENTERPRISE_B", "BUREAU", "CONTRACTOR", "PASSWORD", "XSS", "build", "copy"]
