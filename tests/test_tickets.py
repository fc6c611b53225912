"""The 作业票 life cycle on a phone, in the library (archive/tickets): a 动火 ticket from application
to 完工验收, each step a sealed version superseding the one before; steps out of order, by the
wrong person, with wrong ID digits, with readings the rules refuse, on an expired ticket — refused
with a clear message and nothing written; every signature PNG's hash in the seal, verified by
``outsafe verify``, a tampered one caught; the final PDF prints every signature in its box."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from archive.access.scope import Scope
from archive.clock import CST
from archive.errors import ValidationFailed
from archive.integrity.verify import verify_archive
from archive.settings import Settings
from archive.tickets import lifecycle as lc
from archive.tickets.capture import exif_time, gps_degrees
from cli import main
from schemas import load
from schemas.base import RuleContext
from tests import factories
from tests import ticket_world as tw

SCOPE = Scope(tw.ENTERPRISE)
MEASURES = [
    {"text": "动火点周围10 m内清除易燃可燃物，孔洞、地沟已覆盖", "involved": True, "confirmed_by": tw.GUARDIAN},
    {"text": "现场配备8 kg干粉灭火器4具、灭火毯2块", "involved": True, "confirmed_by": tw.GUARDIAN},
    {"text": "罐区内储罐未同时进行脱水和取样作业", "involved": False},
]
READINGS = [
    {"kind": "可燃气体", "gas": "甲烷（天然气）", "result": "0.02", "unit": "%", "lel_pct": "5", "location": "动火点（炉体底座）"},
    {"kind": "氧气", "gas": "氧气", "result": "20.9", "unit": "%", "location": "动火点（炉体底座）"},
]
APPROVALS = (("监护人", tw.GUARDIAN), ("作业负责人", tw.LEADER), ("所在单位", tw.WORKSHOP), ("安全管理部门", tw.SAFETY),
             ("动火审批人", tw.WORKSHOP))


class Phone:
    """One enterprise officer's phone on the archive: picks people, draws signatures, takes photos;
    the clock is the archive's (moved by the test)."""

    def __init__(self, home: Path, tmp: Path, at: datetime = tw.START, account: str = "ent_officer") -> None:
        self.archive, self.clock = tw.open_at(home, at)
        self.tmp = tmp
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.account = account

    def key(self, name: str) -> str:
        return lc.key_of(self.archive, self.archive.registry().person(tw.id_of(name)))

    def signer(self, name: str, digits: str | None = None) -> lc.Signer:
        return lc.Signer(self.key(name), digits if digits is not None else tw.id_of(name)[6:14])

    def capture(self, name: str, photos=()) -> lc.Capture:
        return lc.Capture(tw.signature(self.tmp, name), tuple(photos))

    def later(self, minutes: float) -> None:
        self.clock.at = self.clock.at + timedelta(minutes=minutes)

    def apply(self, **kw) -> str:
        hot = kw.get("ticket_type", "hot_work") == "hot_work"
        header = {
            "ticket_type": "hot_work", "ticket_no": lc.next_ticket_no(self.archive, "hot_work"), "project": tw.PROJECT,
            "enterprise": tw.ENTERPRISE, "contractor": tw.CONTRACTOR, "applicant_unit": "济南华锐重型机械有限公司铸造车间",
            "location": "铸造车间熔炼工部 2号中频炉操作平台", "content": "2号中频炉炉壳东侧加强筋补焊（电焊）",
            "valid_from": "2026-05-12 09:00", "valid_to": "2026-05-12 17:00", "grade": "二级", "method": "手工电弧焊",
            "hot_spot": "炉壳东侧加强筋", "leader": self.key(tw.LEADER), "guardian": self.key(tw.GUARDIAN),
            "workers": [self.key(tw.WELDER), self.key(tw.WELDER2)], "hot_workers": [self.key(tw.WELDER), self.key(tw.WELDER2)],
        }
        if not hot:  # the fields of the 动火 form only
            for k in ("grade", "method", "hot_spot", "hot_workers"):
                del header[k]
        header.update(kw)
        return lc.apply_ticket(self.archive, header, self.signer(tw.LEADER), self.capture(tw.LEADER), account=self.account).record_id

    def sign(self, rid: str, step: str, name: str, fields: dict | None = None, *, box: str | None = None, photos=(),
             digits: str | None = None, version: str | None = None) -> str:
        done = lc.sign_step(self.archive, SCOPE, rid, step, fields or {}, self.signer(name, digits), self.capture(name, photos),
                            account=self.account, box=box, version=version)
        return done.record_id

    def prepared(self, rid: str) -> str:
        """measures, both receivers, a gas analysis (08:10–08:35 for a 09:00 start)."""
        self.later(10)
        rid = self.sign(rid, "measures", tw.LEADER, {"risk_identification": "火灾、灼烫、触电、平台临边坠落", "measures": MEASURES,
                                                     "other_measures": "动火结束后监护人留守观察 30 min", "receivers": [tw.WELDER, tw.WELDER2]})
        rid = self.sign(rid, "briefed", tw.WELDER)
        rid = self.sign(rid, "briefed", tw.WELDER2)
        self.later(25)
        return self.sign(rid, "gas", tw.ANALYST[0], {"readings": READINGS}, photos=[tw.photo(self.tmp)])

    def approved(self, rid: str) -> str:
        for box, name in APPROVALS:
            self.later(2)
            rid = self.sign(rid, "approve", name, {"opinion": f"{box}：同意"}, box=box)
        return rid

    def state(self, rid: str) -> lc.TicketState:
        row = lc.latest_row(self.archive, SCOPE, rid)
        return lc.ticket_state(lc.load_ticket(self.archive, row), lc.now_local(self.archive), self.archive.settings)

    def close(self) -> None:
        self.archive.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return tw.build(tmp_path_factory.mktemp("tickets") / "world")


@pytest.fixture
def home(world, tmp_path) -> Path:
    shutil.copytree(world["home"], tmp_path / "archive", symlinks=True)
    return tmp_path / "archive"


@pytest.fixture
def phone(home, tmp_path):
    p = Phone(home, tmp_path / "phone")
    yield p
    p.close()


@pytest.fixture(scope="module")
def cycle(world, tmp_path_factory):
    """A 动火 ticket taken from application to 完工验收 once (with its PDFs): the phone, the record
    id of every version in order."""
    root = tmp_path_factory.mktemp("cycle")
    shutil.copytree(world["home"], root / "archive", symlinks=True)
    p = Phone(root / "archive", root / "phone")
    ids = [p.apply()]
    p.later(10)
    ids.append(p.sign(ids[-1], "measures", tw.LEADER, {"risk_identification": "火灾、灼烫、触电、平台临边坠落", "measures": MEASURES,
                                                       "receivers": [tw.WELDER, tw.WELDER2]}))
    ids.append(p.sign(ids[-1], "briefed", tw.WELDER))
    ids.append(p.sign(ids[-1], "briefed", tw.WELDER2))
    p.later(25)
    ids.append(p.sign(ids[-1], "gas", tw.ANALYST[0], {"readings": READINGS}, photos=[tw.photo(p.tmp)]))
    for box, name in APPROVALS:
        p.later(2)
        ids.append(p.sign(ids[-1], "approve", name, {"opinion": "同意"}, box=box))
    p.later(5)
    ids.append(p.sign(ids[-1], "check", tw.SHIFT[0], {"opinion": "已验票，岗位人员已告知"}))
    p.clock.at = datetime(2026, 5, 12, 9, 2, tzinfo=CST)
    ids.append(p.sign(ids[-1], "start", tw.GUARDIAN, photos=[tw.photo(p.tmp, when="2026:05:12 09:01:10", name="start.jpg")]))
    p.clock.at = datetime(2026, 5, 12, 16, 40, tzinfo=CST)
    ids.append(p.sign(ids[-1], "close", tw.WORKSHOP, {"opinion": "动火结束，现场已清理，无余火"}))
    yield p, ids
    p.close()


# --- the whole life cycle ---------------------------------------------------------------------------------


def test_each_step_is_a_sealed_version_superseding_the_one_before(cycle):
    p, ids = cycle
    a = p.archive
    assert len(ids) == len(set(ids)) == 13
    rows = [a.catalog.get_record(i) for i in ids]
    assert rows[0]["supersedes"] is None
    for older, newer in zip(rows, rows[1:]):
        assert newer["supersedes"] == older["id"] and a.catalog.superseded_by(older["id"]) == newer["id"]
        assert json.loads(older["data"])["steps"] == json.loads(newer["data"])["steps"][: len(json.loads(older["data"])["steps"])]
    assert "作业票办理：完工验收，验收人 李国栋 签字" == rows[-1]["note"]
    leaves = [json.loads(x["entry"]) for x in a.ledger.leaves(kind="record_superseded")]
    assert {x["superseded_by"] for x in leaves} >= set(ids[1:])
    final = a.load_record(rows[-1])
    assert [s.step for s in final.steps] == ["apply", "measures", "briefed", "briefed", "gas", "approve", "approve", "approve",
                                              "approve", "approve", "check", "start", "close"]
    assert [a_.box for a_ in final.approvals] == ["监护人", "作业负责人", "所在单位", "安全管理部门", "动火审批人", "当班班长验票"]
    assert final.completion.by == "李国栋" and final.completion.at == datetime(2026, 5, 12, 16, 40)
    assert all(s.account == "ent_officer" and s.identified_by == "出生日期" for s in final.steps)
    assert final.steps[11].signed_at == datetime(2026, 5, 12, 9, 2)  # the server's clock, not a typed time
    assert final.hot_workers[0].certificate_no == tw.id_of(tw.WELDER)  # from the registered certificate
    assert p.state(ids[0]).status == "closed" and p.state(ids[0]).label == "已完工验收"


def test_photos_keep_their_exif_time_and_place(cycle):
    p, ids = cycle
    final = p.archive.load_record(p.archive.catalog.get_record(ids[-1]))
    gas = next(s for s in final.steps if s.step == "gas")
    start = next(s for s in final.steps if s.step == "start")
    assert gas.photos[0].taken_at == datetime(2026, 5, 12, 8, 5, 30)
    assert (gas.photos[0].latitude, gas.photos[0].longitude) == (pytest.approx(36.670139), pytest.approx(117.125))
    assert start.photos[0].taken_at == datetime(2026, 5, 12, 9, 1, 10)


def test_every_signature_and_photo_is_in_the_seal_and_verifies(cycle):
    p, ids = cycle
    a = p.archive
    row = a.catalog.get_record(ids[-1])
    sealed = {f["name"]: f["sha256"] for f in json.loads(row["seal"])["files"]}
    final = a.load_record(row)
    for s in final.steps:
        assert s.signature.file in sealed
        for ph in s.photos:
            assert ph.file in sealed
    stored = {f["name"]: f["sha256"] for f in a.catalog.record_files(row["id"])}
    assert {k: v for k, v in stored.items() if k.startswith("sig-")} == {k: v for k, v in sealed.items() if k.startswith("sig-")}
    rep = verify_archive(a)
    assert rep.ok, rep.failures


def test_a_tampered_signature_png_is_caught_by_verify(cycle, tmp_path, runner):
    p, ids = cycle
    home = tmp_path / "copy"
    shutil.copytree(p.archive.home.root, home, symlinks=True)
    sig = next(f for f in p.archive.catalog.record_files(ids[-1]) if f["name"] == "sig-07-approve.png")
    blob = home / p.archive.blobs.path_for(sig["sha256"]).relative_to(p.archive.home.root)
    blob.chmod(0o600)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.write_bytes(bytes(data))
    r = runner.invoke(main, ["--home", str(home), "verify"])
    assert r.exit_code == 3, r.output
    assert sig["sha256"][:12] in r.output or "sig-07-approve.png" in r.output
    assert ids[-1] in r.output


def test_the_final_pdf_prints_every_signature_in_its_box(cycle, tmp_path):
    from pypdf import PdfReader

    p, ids = cycle
    pdf = next(f for f in p.archive.catalog.record_files(ids[-1]) if f["role"] == "pdf")
    reader = PdfReader(str(p.archive.blobs.path_for(pdf["sha256"])))
    text = "".join(page.extract_text() for page in reader.pages)
    printed = {hashlib.sha256(im.data).hexdigest() for page in reader.pages for im in page.images}
    drawn = {f["sha256"] for f in p.archive.catalog.record_files(ids[-1]) if f["name"].startswith("sig-")}
    # each distinct drawing once at least (the PDF keeps one copy of an image printed in several boxes):
    # 申请人, 安全交底人, 接受交底人 (also beside the 动火人), 分析人, 5 approval boxes, 验票人, 作业开始, 验收人
    assert len(printed) >= len(drawn) >= 6
    for name in ("赵志刚", "孙丽", "李国栋", "王建华", "田福生", "马晓燕", "周海涛", "吴强"):
        assert name in text
    flat = re.sub(r"\s", "", text)
    assert "9时02分开始作业" in flat and "申请人" in flat
    # the photos of the steps, after the form: each with its step, signer, the camera's time and place
    assert "附件：作业现场照片" in flat
    assert "气体分析：马晓燕签字" in flat and "作业开始：孙丽签字" in flat
    assert "拍摄时间：2026年5月12日8时05分" in flat and "拍摄时间：2026年5月12日9时01分" in flat
    assert flat.count("拍摄位置：北纬36.") == 2 and "东经117.1" in flat
    photos = {f["sha256"] for f in p.archive.catalog.record_files(ids[-1]) if f["name"].endswith(".jpg")}
    assert len(photos) == 2 and len(printed) >= len(drawn) + 1  # the test camera takes the same picture twice (one image in the PDF)
    shutil.copy(p.archive.blobs.path_for(pdf["sha256"]), tmp_path / "ticket.pdf")


def test_every_version_prints_and_a_partial_ticket_shows_blank_boxes(cycle):
    from pypdf import PdfReader

    p, ids = cycle
    pdf = next(f for f in p.archive.catalog.record_files(ids[0]) if f["role"] == "pdf")
    text = "".join(page.extract_text() for page in PdfReader(str(p.archive.blobs.path_for(pdf["sha256"]))).pages)
    assert "动火安全作业票" in text and "年 月 日 时 分" in text.replace("　", " ").replace("  ", " ")


# --- refused: order, person, digits, expiry, stale page -------------------------------------------------------


def test_an_approval_out_of_order_is_refused_and_nothing_is_written(phone):
    rid = phone.prepared(phone.apply())
    before = len(phone.archive.catalog.list_records(types=["work_ticket"], current_only=False))
    with pytest.raises(lc.StepRefused) as e:
        phone.sign(rid, "approve", tw.WORKSHOP, {"opinion": "同意"}, box="所在单位")
    assert "现在应由“监护人”签字，不能先签“所在单位”" in e.value.message
    assert "监护人→作业负责人→所在单位→安全管理部门→动火审批人" in e.value.message
    with pytest.raises(lc.StepRefused, match="现在应签“审批（监护人）”，不能签“作业开始”"):
        phone.sign(rid, "start", tw.GUARDIAN)
    assert phone.archive.catalog.superseded_by(rid) is None
    assert len(phone.archive.catalog.list_records(types=["work_ticket"], current_only=False)) == before


def test_steps_before_the_measures_are_refused(phone):
    rid = phone.apply()
    with pytest.raises(lc.StepRefused, match="现在应签“风险辨识与安全措施”，不能签“气体分析”"):
        phone.sign(rid, "gas", tw.ANALYST[0], {"readings": READINGS})


def test_the_box_of_the_guardian_is_signed_by_the_tickets_guardian_only(phone):
    rid = phone.prepared(phone.apply())
    with pytest.raises(lc.StepRefused, match="不是这一步的签字人"):
        phone.sign(rid, "approve", tw.LEADER, box="监护人")


def test_wrong_id_digits_are_counted_logged_and_pause_identification(phone):
    rid = phone.prepared(phone.apply())
    for _ in range(5):
        with pytest.raises(lc.StepRefused, match="出生日期不符"):
            phone.sign(rid, "approve", tw.GUARDIAN, box="监护人", digits="0000")
    with pytest.raises(lc.StepRefused, match="身份核验失败次数过多，请 15 分钟后再试"):
        phone.sign(rid, "approve", tw.GUARDIAN, box="监护人")  # the right digits, but paused
    log = phone.archive.catalog.access_log.entries(action="ticket_identify_failed")
    assert len(log) == 5 and all(e["account"] == "ent_officer" for e in log)
    assert all(tw.id_of(tw.GUARDIAN) not in json.dumps(dict(e), default=str) for e in log)
    phone.later(16)
    assert phone.sign(rid, "approve", tw.GUARDIAN, box="监护人")


def test_a_stale_page_is_refused(phone):
    rid = phone.apply()
    phone.later(10)
    newer = phone.sign(rid, "measures", tw.LEADER, {"risk_identification": "火灾", "measures": MEASURES, "receivers": [tw.WELDER]})
    with pytest.raises(lc.StepRefused, match="页面已不是最新"):
        phone.sign(newer, "briefed", tw.WELDER, version=rid)


def test_an_expired_ticket_cannot_be_signed(phone):
    rid = phone.prepared(phone.apply(valid_from="2026-05-12 09:00", valid_to="2026-05-12 10:00"))
    phone.clock.at = datetime(2026, 5, 12, 10, 5, tzinfo=CST)
    st = phone.state(rid)
    assert st.status == "expired" and st.label == "过期" and st.next == []
    with pytest.raises(lc.StepRefused, match="作业票已于 2026-05-12 10:00 过期，不能再签"):
        phone.sign(rid, "approve", tw.GUARDIAN, box="监护人")
    lists = lc.ticket_list(phone.archive, SCOPE, which="expired", account="ent_officer")
    assert [r.id for r in lists.rows] == [lc.latest_row(phone.archive, SCOPE, rid)["id"]] and lists.counts["open"] == 0


def test_a_started_ticket_may_still_be_accepted_within_the_grace_after_it_expired(phone):
    rid = phone.approved(phone.prepared(phone.apply(valid_to="2026-05-12 12:00")))
    phone.later(5)
    rid = phone.sign(rid, "check", tw.SHIFT[0])
    phone.clock.at = datetime(2026, 5, 12, 9, 0, tzinfo=CST)
    rid = phone.sign(rid, "start", tw.GUARDIAN)
    phone.clock.at = datetime(2026, 5, 12, 12, 30, tzinfo=CST)
    st = phone.state(rid)
    assert st.label == "过期（待完工验收）" and [n.step for n in st.next] == ["close"]
    with pytest.raises(lc.StepRefused, match="过期"):
        phone.sign(rid, "gas", tw.ANALYST[0], {"readings": READINGS})
    rid = phone.sign(rid, "close", tw.WORKSHOP, {"opinion": "已验收"})
    assert phone.state(rid).status == "closed"


def test_work_cannot_start_before_the_ticket_is_valid(phone):
    rid = phone.approved(phone.prepared(phone.apply()))
    phone.later(2)
    rid = phone.sign(rid, "check", tw.SHIFT[0])
    with pytest.raises(ValidationFailed) as e:
        phone.sign(rid, "start", tw.GUARDIAN)  # 08:49, the ticket is valid from 09:00
    assert "尚未到作业时间" in "\n".join(e.value.lines())


# --- the gas rules at entry ------------------------------------------------------------------------------------


@pytest.mark.parametrize("reading, words", [
    ({"kind": "氧气", "gas": "氧气", "result": "18.6"}, "氧含量 18.6% 不在 19.5%–21% 之间"),
    ({"kind": "可燃气体", "gas": "甲烷", "result": "0.6", "lel_pct": "5"}, "可燃气体浓度 0.6%（体积分数）超过 0.5%"),
    ({"kind": "可燃气体", "gas": "氢气", "result": "0.3", "lel_pct": "4", "unit": "%"}, None),  # 0.3 ≤ 0.5 (LEL ≥ 4 %): passes
    ({"kind": "可燃气体", "gas": "丁烷", "result": "0.3", "lel_pct": "1.9"}, "超过 0.2%（爆炸下限<4%）"),
    ({"kind": "可燃气体", "gas": "甲烷", "result": "0.1", "taken_at": "2026-05-12 08:20"}, "超过 30 分钟"),
])
def test_readings_are_judged_by_the_rules_of_the_schema_at_entry(phone, reading, words):
    rid = phone.apply()
    phone.later(10)
    rid = phone.sign(rid, "measures", tw.LEADER, {"risk_identification": "火灾", "measures": MEASURES, "receivers": [tw.WELDER]})
    rid = phone.sign(rid, "briefed", tw.WELDER)
    phone.clock.at = datetime(2026, 5, 12, 8, 35, tzinfo=CST)
    if words is None:
        assert phone.sign(rid, "gas", tw.ANALYST[0], {"readings": [reading]})
        return
    with pytest.raises(ValidationFailed) as e:
        phone.sign(rid, "gas", tw.ANALYST[0], {"readings": [reading]})
    assert words in "\n".join(e.value.lines())
    assert phone.archive.catalog.superseded_by(rid) is None


def test_the_gas_limits_are_settings(home, tmp_path):
    (home / "outsafe.toml").write_text("[settings]\ngas_sample_max_minutes = 20\n", encoding="utf-8")
    p = Phone(home, tmp_path / "phone")
    try:
        rid = p.apply()
        p.later(10)
        rid = p.sign(rid, "measures", tw.LEADER, {"risk_identification": "火灾", "measures": MEASURES, "receivers": [tw.WELDER]})
        rid = p.sign(rid, "briefed", tw.WELDER)
        p.clock.at = datetime(2026, 5, 12, 8, 35, tzinfo=CST)  # 25 min before the start
        with pytest.raises(ValidationFailed, match="校验未通过") as e:
            p.sign(rid, "gas", tw.ANALYST[0], {"readings": READINGS[:1]})
        assert "超过 20 分钟" in "\n".join(e.value.lines())
    finally:
        p.close()


def test_approvals_wait_for_the_gas_analysis_of_a_hot_work_ticket(phone):
    rid = phone.apply()
    phone.later(10)
    rid = phone.sign(rid, "measures", tw.LEADER, {"risk_identification": "火灾", "measures": MEASURES, "receivers": [tw.WELDER]})
    rid = phone.sign(rid, "briefed", tw.WELDER)
    assert [n.step for n in phone.state(rid).next] == ["gas"]
    with pytest.raises(lc.StepRefused, match="现在应签“气体分析”"):
        phone.sign(rid, "approve", tw.GUARDIAN, box="监护人")


# --- what the phone hands in --------------------------------------------------------------------------------------


def test_a_blank_signature_is_refused(phone):
    with pytest.raises(ValidationFailed) as e:
        lc.apply_ticket(phone.archive, {"ticket_type": "hot_work", "ticket_no": "DH-2026-0900", "project": tw.PROJECT,
                                        "enterprise": tw.ENTERPRISE, "contractor": tw.CONTRACTOR, "applicant_unit": "铸造车间",
                                        "location": "熔炼工部", "content": "补焊", "valid_from": "2026-05-12 09:00",
                                        "valid_to": "2026-05-12 17:00", "grade": "二级", "method": "电焊", "hot_spot": "炉壳",
                                        "leader": phone.key(tw.LEADER), "guardian": phone.key(tw.GUARDIAN),
                                        "workers": [phone.key(tw.WELDER)], "hot_workers": [phone.key(tw.WELDER)]},
                        phone.signer(tw.LEADER), lc.Capture(tw.signature(phone.tmp, blank=True)), account="ent_officer")
    assert "签名为空" in "\n".join(e.value.lines())


def test_a_photo_that_is_not_an_image_is_refused(phone):
    fake = phone.tmp / "fake.jpg"
    fake.write_bytes(b"not a jpeg at all" * 10)
    rid = phone.apply()
    phone.later(10)
    with pytest.raises(ValidationFailed) as e:
        lc.sign_step(phone.archive, SCOPE, rid, "measures", {"risk_identification": "火灾", "measures": MEASURES, "receivers": [tw.WELDER]},
                     phone.signer(tw.LEADER), lc.Capture(tw.signature(phone.tmp, "x"), (fake,)), account="ent_officer")
    assert "不是 JPEG 或 PNG 图片" in "\n".join(e.value.lines())


def test_exif_helpers():
    assert exif_time("2026:05:12 08:05:30") == datetime(2026, 5, 12, 8, 5, 30)
    assert exif_time("2026:05:12 00:05:30", "+00:00") == datetime(2026, 5, 12, 8, 5, 30)
    assert exif_time("garbage") is None and exif_time(None) is None
    assert gps_degrees((36.0, 40.0, 12.5), "N", 90) == pytest.approx(36.670139)
    assert gps_degrees((117.0, 7.0, 30.0), b"W", 180) == pytest.approx(-117.125)
    assert gps_degrees((100.0, 0.0, 0.0), "N", 90) is None and gps_degrees("x", "N", 90) is None


# --- lists, numbers, paper tickets ------------------------------------------------------------------------------------


def test_lists_mine_open_expired_closed(cycle):
    p, ids = cycle
    a = p.archive
    closed = lc.ticket_list(a, SCOPE, which="closed", account="ent_officer")
    assert [r.id for r in closed.rows] == [ids[-1]] and closed.rows[0].label == "已完工验收"
    assert [r.id for r in lc.ticket_list(a, SCOPE, which="mine", account="ent_officer").rows] == [ids[-1]]
    assert lc.ticket_list(a, SCOPE, which="mine", account="somebody_else").rows == []
    assert lc.ticket_list(a, Scope(tw.OTHER), which="closed").rows == []
    with pytest.raises(ValidationFailed):
        lc.ticket_list(a, SCOPE, which="everything")


def test_the_next_ticket_number(cycle):
    p, _ = cycle
    assert lc.next_ticket_no(p.archive, "hot_work") == "DH-2026-0002"
    assert lc.next_ticket_no(p.archive, "confined_space") == "SX-2026-0001"


def test_a_paper_ticket_still_needs_every_part_with_the_same_messages():
    ctx = RuleContext(Settings(), datetime(2026, 11, 29).date(), None)
    raw = factories.hot_work_ticket()
    for k in ("risk_identification", "briefing", "approvals", "measures"):
        raw.pop(k)
    r = load(raw, ctx)
    messages = {(p.path, p.message) for p in r.problems if p.severity == "error"}
    assert ("risk_identification", "风险辨识结果：缺少必填字段 (missing required field)") in messages
    assert ("briefing", "安全交底：缺少必填字段 (missing required field)") in messages
    assert ("approvals", "审批意见：至少需要 1 项 (at least 1 item(s))") in messages
    assert ("measures", "安全措施：至少需要 1 项 (at least 1 item(s))") in messages
    assert not r.ok


def test_a_paper_ticket_is_not_signed_on_a_phone():
    raw = factories.hot_work_ticket()
    st = lc.ticket_state(load(raw, RuleContext(Settings(), datetime(2026, 11, 29).date(), None)).obj,
                         datetime(2026, 5, 6, 10, 0), Settings())
    assert st.next == [] and "纸面" in st.label


def test_steps_in_the_data_are_judged_by_the_schema(cycle):
    p, ids = cycle
    data = json.loads(p.archive.catalog.get_record(ids[-1])["data"])
    ctx = RuleContext(Settings(), datetime(2026, 5, 12).date(), None)
    data["type"] = "work_ticket"  # the sealed data keeps the 身份证号 in full (masked on output only)
    assert load(data, ctx).ok, [p_.line() for p_ in load(data, ctx).problems]
    swapped = json.loads(json.dumps(data))
    swapped["steps"][5], swapped["steps"][6] = swapped["steps"][6], swapped["steps"][5]  # 作业负责人 before 监护人
    msgs = [p_.message for p_ in load(swapped, ctx).problems if p_.severity == "error"]
    assert any("应先由“监护人”签字" in m for m in msgs), msgs
    dropped = json.loads(json.dumps(data))
    dropped["approvals"] = dropped["approvals"][:-1]
    msgs = [p_.message for p_ in load(dropped, ctx).problems if p_.severity == "error"]
    assert any("签署记录中的“当班班长验票”栏不在审批意见中" in m for m in msgs), msgs


# --- the 五查 and a ticket in progress ---------------------------------------------------------------------


def _findings_about(archive, ticket_no: str, as_of) -> list[str]:
    from archive.checks.rules import check_archive

    got = check_archive(archive, as_of=as_of).as_dict()
    return [f["message"] for r in got["rules"] for f in r.get("findings", ()) if ticket_no in f["message"]]


CONFINED = {"ticket_type": "confined_space", "space_name": "2号中频炉冷却水池（地下，深2.5 m）", "original_medium": "冷却水、淤泥",
            "ventilation": "轴流风机强制通风 30 min，作业中持续通风"}


def test_a_ticket_still_being_signed_is_not_judged_as_work_done(phone):
    """A 受限空间 ticket applied for on a phone, not yet gas-tested nor approved, is 办理中 — not
    confined-space work done without approval, ventilation record or gas test (CS-2 would say so of
    a paper ticket with the same gaps): the checks leave it alone until its work starts."""
    rid = phone.apply(**CONFINED, ticket_no=lc.next_ticket_no(phone.archive, "confined_space"))
    ticket = lc.load_ticket(phone.archive, lc.latest_row(phone.archive, SCOPE, rid))
    assert ticket.ticket_type == "confined_space" and len(ticket.steps) == 1
    assert _findings_about(phone.archive, ticket.ticket_no, tw.START.date()) == []


def test_the_checks_see_a_ticket_as_on_the_day_asked(cycle):
    """Judged as of a day before its work started, a ticket signed on a phone is 办理中 then: the
    steps signed later are not known on that day."""
    from archive.checks.snapshot import as_known_on

    p, ids = cycle
    t = lc.load_ticket(p.archive, lc.latest_row(p.archive, SCOPE, ids[-1]))
    from schemas.tickets import work_begun_on

    assert work_begun_on(t.steps) == "2026-05-12"
    earlier = as_known_on(t, tw.START.date() - timedelta(days=1))
    assert work_begun_on(earlier.steps) is None and earlier.completion is None
    assert work_begun_on(()) == ""  # a paper ticket: its work is as old as the ticket


# --- signing as oneself, identified by the signed-in account -----------------------------------------------------


def test_a_person_signs_his_own_step_identified_by_his_account(phone):
    """王建华 (安全管理部门) has the account ent_officer (`outsafe user link`): signed in, he signs the
    安全管理部门 box as himself — no ID digits, ``identified_by`` 登录账号 in the sealed step. He cannot
    sign as another person that way, nor can an account that belongs to nobody."""
    from archive.access.accounts import link_person

    rid = phone.prepared(phone.apply())
    for box, name in APPROVALS[:3]:
        phone.later(2)
        rid = phone.sign(rid, "approve", name, {"opinion": "同意"}, box=box)
    me = lc.Signer(phone.key(tw.SAFETY), "", by_account=True)
    with pytest.raises(lc.StepRefused, match="没有关联人员"):  # not linked yet
        lc.sign_step(phone.archive, SCOPE, rid, "approve", {"opinion": "同意"}, me, phone.capture(tw.SAFETY),
                     account="ent_officer", box="安全管理部门")
    link_person(phone.archive, "ent_officer", tw.id_of(tw.SAFETY))
    with pytest.raises(lc.StepRefused, match="不是这一步的签字人"):  # the account's person is not 李国栋
        lc.sign_step(phone.archive, SCOPE, rid, "approve", {"opinion": "同意"}, lc.Signer(phone.key(tw.WORKSHOP), "", by_account=True),
                     phone.capture(tw.WORKSHOP), account="ent_officer", box="安全管理部门")
    done = lc.sign_step(phone.archive, SCOPE, rid, "approve", {"opinion": "同意"}, me, phone.capture(tw.SAFETY),
                        account="ent_officer", box="安全管理部门")
    t = lc.load_ticket(phone.archive, lc.latest_row(phone.archive, SCOPE, done.record_id))
    last = t.steps[-1]
    assert (last.box, last.person.name, last.identified_by, last.account) == ("安全管理部门", tw.SAFETY, "登录账号", "ent_officer")
    assert all(s.identified_by == "出生日期" for s in t.steps[:-1])
    assert verify_archive(phone.archive).ok


def test_the_list_reads_only_the_tickets_signed_on_a_phone(phone, tmp_path):
    """The 作业票 list is found by the facts (``phone`` links): the tickets filed whole — most of
    an archive's — are never read; what it lists is what going through every current ticket and
    keeping those with steps gives, in the bureau's scope and in an enterprise's."""
    a = phone.archive
    welder = {"name": tw.WELDER, "id_number": tw.id_of(tw.WELDER)}
    paper = [factories.write(tmp_path / "paper", f"paper-{i}.yaml", factories.hot_work_ticket(
        ticket_no=f"DH-2026-{900 + i}", contractor=tw.CONTRACTOR, workers=[welder],
        hot_workers=[{**welder, "certificate_no": welder["id_number"]}], briefing={"by": "马志强", "receivers": [tw.WELDER]}))
        for i in range(6)]
    a.add_files(paper, pdf=False)
    first = phone.apply()
    phone.later(10)
    phone.sign(first, "measures", tw.LEADER, {"risk_identification": "火灾、灼烫", "measures": MEASURES, "receivers": [tw.WELDER]})
    phone.apply()
    for scope in (SCOPE, Scope(None), Scope(tw.OTHER)):
        current = a.catalog.list_records(types=["work_ticket"], current_only=True, belongs_to=scope.enterprise)
        signed = [r["id"] for r in current if json.loads(r["data"]).get("steps")]
        a.sealed.clear()
        before, read = a.sealed.loaded, []
        with pytest.MonkeyPatch.context() as mp:  # every row the list reads, with its sealed data
            linked = a.catalog.facts.linked

            def spy(*p, **k):
                rows = linked(*p, **k)
                read.extend(rows)
                return rows

            mp.setattr(a.catalog.facts, "linked", spy)
            mp.setattr(a.catalog, "list_records", lambda *p, **k: pytest.fail("the list went through every ticket"))
            listed = lc.ticket_list(a, scope, which="open", account="ent_officer")
        assert sorted(r["record_id"] for r in read) == sorted(signed)  # the tickets signed on the phone, no other
        assert a.sealed.loaded - before == len(signed)  # each read once
        every = {k: lc.ticket_list(a, scope, which=k, account="ent_officer") for k in lc.LIST_KINDS}
        assert sorted(r.id for k in ("open", "expired", "closed") for r in every[k].rows) == sorted(signed)
        assert listed.counts == every["open"].counts
    assert len(lc.ticket_list(a, SCOPE, which="open").rows) == 2 and len(paper) == 6
