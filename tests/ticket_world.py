"""The work face of the 作业票 tests: the example enterprise (济南华锐重型机械有限公司) with its
contractors, people, projects and three-level training cards from examples/, two more people of its
own (the shift leader and the gas analyst), a second enterprise with an account (for the 404 of a
record out of scope), web accounts — and the helpers that draw a signature and take a photo.

The clock of these tests: 2026-05-12 (China time), inside project P1's period
(HR-WB-2026-001, 2026-04-10…07-31), when its people's training and certificates are valid.

    world = ticket_world.build(root)          # {"home": …}
    png = ticket_world.signature(tmp, "赵")   # a PNG of a few strokes
    jpg = ticket_world.photo(tmp)             # a JPEG with EXIF time and GPS
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from archive.access.accounts import add_user
from archive.app import Archive
from archive.clock import CST, FixedClock
from tests import factories
from tests.conftest import EXAMPLES

ENTERPRISE = "91370100MA3C8K2P9L"  # examples/organizations/enterprise.yaml
CONTRACTOR = "91370112MA3F7R1K8F"  # 山东恒安设备安装工程有限公司
OTHER = factories.uscc("370102", "MA7XY501")  # a second enterprise (an account of it sees none of ours)
PROJECT = "HR-WB-2026-001"
PASSWORD = "ticket-test-password-1"
START = datetime(2026, 5, 12, 8, 0, tzinfo=CST)

# the people who play the roles (names; id_of(name) gives the 身份证号): of the examples, and two added here
LEADER, GUARDIAN, WELDER, WELDER2 = "赵志刚", "孙丽", "周海涛", "吴强"  # 山东恒安: 作业负责人, 监护人, 动火人 ×2
WORKSHOP, SAFETY, ELECTRICIAN = "李国栋", "王建华", "高建"  # 华锐: 铸造车间主任, 安全环保部部长, 维修电工
SHIFT = ("田福生", factories.id_number("37010219750611031"))  # 熔炼工部当班班长 (added here)
ANALYST = ("马晓燕", factories.id_number("37010219900215022"))  # 化验室气体分析工 (added here)

ACCOUNTS = {"ent_officer": ("enterprise_officer", ENTERPRISE), "ent_admin": ("enterprise_admin", ENTERPRISE),
            "ent_viewer": ("enterprise_viewer", ENTERPRISE), "other_officer": ("enterprise_officer", OTHER)}


def id_of(name: str) -> str:
    """The 身份证号 of a person of the examples (or of the two added here), by name."""
    import yaml

    for p in (SHIFT, ANALYST):
        if p[0] == name:
            return p[1]
    for f in (EXAMPLES / "persons").glob("*.yaml"):
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
        if data["name"] == name:
            return data["id_number"]
    raise KeyError(name)


def build(root: Path, *, pdf: bool = False) -> dict[str, Path]:
    os.environ.setdefault("OUTSAFE_PASSPHRASE", "test-passphrase")  # module fixtures run before the per-test environment
    root.mkdir(parents=True, exist_ok=True)
    clock = FixedClock(START)
    inbox = root / "in"
    a = Archive.create(root / "archive", EXAMPLES / "organizations" / "enterprise.yaml", pdf=pdf, clock=clock)
    try:
        orgs = [p for p in sorted((EXAMPLES / "organizations").glob("*.yaml")) if p.name != "enterprise.yaml"]
        orgs.append(factories.write(inbox, "other.yaml", factories.organization(uscc=OTHER, name="济南鑫源轻工机械有限公司", industry="轻工")))
        a.add_files(orgs, pdf=pdf)
        people = sorted((EXAMPLES / "persons").glob("*.yaml")) + [
            factories.write(inbox, "shift.yaml", factories.person(SHIFT[0], SHIFT[1], employer=ENTERPRISE, roles=["作业人员"],
                                                                  trade="熔炼工部当班班长")),
            factories.write(inbox, "analyst.yaml", factories.person(ANALYST[0], ANALYST[1], employer=ENTERPRISE, roles=["其他"],
                                                                    trade="化验室气体分析")),
        ]
        a.add_files(people, pdf=pdf)
        a.add_files(sorted((EXAMPLES / "projects").glob("*.yaml")), pdf=pdf)
        a.add_files(sorted((EXAMPLES / "cases").glob("training-00[1-7]-*.yaml")), pdf=pdf)
        for name, (role, org) in ACCOUNTS.items():
            add_user(a, name, role, org=org, password=PASSWORD)
    finally:
        a.close()
    return {"home": root / "archive"}


def open_at(home: Path, at: datetime) -> tuple[Archive, FixedClock]:
    clock = FixedClock(at)
    return Archive.open(home, clock=clock), clock


def signature(folder: Path, seed: str = "签", *, blank: bool = False) -> Path:
    """A handwritten-looking signature: a few dark strokes on a transparent pad (600×200)."""
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    im = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    if not blank:
        d = ImageDraw.Draw(im)
        k = sum(map(ord, seed)) % 40
        d.line([(40, 150), (120 + k, 40), (180, 160), (260, 50 + k), (330, 150), (420, 60), (520, 140 - k)], fill=(20, 20, 30, 255), width=6)
        d.arc((200, 60, 380, 190), 10, 300, fill=(20, 20, 30, 255), width=5)
    path = folder / f"sig-{abs(hash((seed, blank))) % 10**8}.png"
    im.save(path)
    return path


def photo(folder: Path, *, when: str = "2026:05:12 08:05:30", lat=(36.0, 40.0, 12.5), lon=(117.0, 7.0, 30.0), name: str = "photo.jpg") -> Path:
    """A camera photo (JPEG) with EXIF DateTimeOriginal (+08:00) and a GPS position."""
    from PIL import ExifTags, Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    im = Image.new("RGB", (800, 600), (110, 130, 150))
    ImageDraw.Draw(im).rectangle((200, 150, 600, 450), fill=(190, 70, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "outsafe-test"
    ifd = exif.get_ifd(ExifTags.IFD.Exif)
    ifd[ExifTags.Base.DateTimeOriginal] = when
    ifd[ExifTags.Base.OffsetTimeOriginal] = "+08:00"
    if lat is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps[ExifTags.GPS.GPSLatitude] = lat
        gps[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps[ExifTags.GPS.GPSLongitude] = lon
    path = folder / name
    im.save(path, exif=exif)
    return path
