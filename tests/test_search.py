"""archive.search: Chinese full-text search, the same behaviour from both engines.

Most tests run against a catalog filled directly with rows shaped like the real ones (fast, and
the search index only ever reads catalog rows); every engine-facing test runs for Whoosh and for
tantivy.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from archive import ids
from archive.clock import FixedClock
from archive.search import query as q
from archive.search import text as sa
from archive.errors import NotFound
from archive.search.query import SearchError
from archive.search.index import SearchIndexError, open_index
from archive.search.documents import document, record_text
from storage.catalog import open_catalog
from storage.home import ArchiveHome
from storage.lock import write_lock
from tests.factories import id_number, uscc

ENGINES = ["whoosh", "tantivy"]
SECRET = b"0123456789abcdef0123456789abcdef"
ENT = "91370100MA3C8K2P9L"
ENT2 = uscc("370103", "MA3P5Q2K")
CON = uscc("370112", "MA3RK7Q4")
CON2 = uscc("370102", "MA94HT6X")
ORGS = {
    ENT: "济南华锐重型机械有限公司",
    ENT2: "济南泉城特钢有限公司",
    CON: "山东恒安设备安装工程有限公司",
    CON2: "济南鲁中建设工程有限公司",
}
WEI_YI = id_number("37010219900307082")  # 魏怡
NAMES = ["王海军", "李国栋", "孙丽娟", "赵志刚", "周海涛", "吴强", "郑宏伟", "冯涛", "陈刚", "马晓燕"]
MEASURES = [
    "动火点周围10m内已清除易燃可燃物，并采取覆盖、铺沙等隔离措施",
    "乙炔气瓶直立放置，已采取防倾倒措施并安装防回火装置",
    "受限空间严格执行先通风、再检测、后作业",
    "作业人员佩戴安全帽、全身式安全带，安全带高挂低用",
    "临时用电设施装有漏电保护器，一机一闸一保护",
    "盲板已按盲板位置图作业并挂牌编号",
]
PLACES = ["铸造车间2号中频炉操作平台", "原料车间1号皮带通廊", "污水处理站沉淀池", "炼钢车间转炉检修平台", "动力车间3号燃气锅炉"]


class Arch(SimpleNamespace):
    """What archive.search needs of an archive."""

    clock = FixedClock(datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc))


def make_archive(root: Path, engine: str) -> Arch:
    home = ArchiveHome(root)
    home.create_dirs()
    cat = open_catalog(home.catalog_file, create=True)
    cat.migrate()
    with cat.transaction():
        cat.set_meta("search_engine", engine)
        for u, name in ORGS.items():
            role = "enterprise" if u in (ENT, ENT2) else "contractor"
            row = _row("organization", f"单位 {name}", {"uscc": u, "name": name, "role": role}, None, doc_no=u,
                       enterprise=u if role == "enterprise" else None, contractor=u if role == "contractor" else None)
            cat.insert_record(row)
            cat.put_registry("organization", u, row["id"], name)
    return Arch(catalog=cat, secret=SECRET, home=home)


def _row(type_, title, data, when, *, subtype=None, doc_no="", enterprise=ENT, contractor=CON, project="XM-001", supersedes=None, persons=()):
    refs = {"organizations": {u: {"uscc": u, "name": n} for u, n in ORGS.items() if u in (enterprise, contractor)},
            "projects": {}, "persons": {}}
    from archive.registry import person_key

    for name, number in persons:
        refs["persons"][person_key(SECRET, number)] = {"name": name, "id_number": number, "employer": contractor}
    return {"id": ids.new_id(), "type": type_, "subtype": subtype, "doc_no": doc_no, "title": title, "enterprise": enterprise,
            "contractor": contractor, "project": project, "doc_date": when, "data": json.dumps(data, ensure_ascii=False),
            "refs": json.dumps(refs, ensure_ascii=False), "source_name": "x.yaml", "origin": ENT, "supersedes": supersedes,
            "note": None, "created_at": "2026-05-01T00:00:00Z"}


def ticket(n: int, *, tt="hot_work", place=None, workers=None, extra="", enterprise=ENT, contractor=CON, day="2026-04-21", supersedes=None, rnd=None):
    rnd = rnd or random.Random(n)
    names = {"hot_work": "动火", "confined_space": "受限空间", "work_at_height": "高处", "temporary_power": "临时用电"}
    workers = workers or [(rnd.choice(NAMES), None)]
    no = f"{'DH' if tt == 'hot_work' else 'SX'}-2026-{n:04d}"
    data = {
        "ticket_no": no, "ticket_type": tt, "project": "XM-001", "enterprise": enterprise, "contractor": contractor,
        "applicant_unit": "铸造车间", "location": (place or rnd.choice(PLACES)) + extra, "content": "炉壳加强筋补焊，更换冷却水管支架",
        "valid_from": f"{day} 08:30", "valid_to": f"{day} 16:30",
        "leader": {"name": rnd.choice(NAMES)}, "guardian": {"name": rnd.choice(NAMES)},
        "workers": [{"name": w, **({"id_number": i} if i else {})} for w, i in workers],
        "risk_identification": "火灾、灼烫、触电、高处坠落",
        "measures": [{"text": m, "confirmed_by": rnd.choice(NAMES)} for m in rnd.sample(MEASURES, 3)],
        "approvals": [{"box": "作业负责人", "name": rnd.choice(NAMES), "signed_at": f"{day} 08:15", "opinion": "同意作业。"}],
    }
    if tt == "hot_work":
        data.update(grade=rnd.choice(["二级", "一级"]), method="电焊", hot_spot="炉壳东侧加强筋",
                    hot_workers=[{"name": w, "certificate_no": f"T{i}" if i else "T-none"} for w, i in workers])
    title = f"{names.get(tt, tt)}安全作业票 {no}"
    return _row("work_ticket", title, data, f"{day} 08:30", subtype=tt, doc_no=no, enterprise=enterprise, contractor=contractor,
                supersedes=supersedes, persons=[(w, i) for w, i in workers if i])


def training(n: int, name: str, number: str, *, contractor=CON, day="2026-04-14"):
    no = f"SJJY-2026-{n:03d}"
    data = {"record_no": no, "contractor": contractor, "enterprise": ENT, "project": "XM-001",
            "trainee": {"name": name, "id_number": number, "trade": "电焊工", "entry_date": day},
            "levels": [{"level": lv, "start": day, "hours": 8, "content": ["安全生产法律法规", "岗位安全操作规程"], "trainer": "李国栋",
                        "score": 90, "passed": True} for lv in ("公司级", "车间级", "班组级")],
            "conclusion": {"passed": True, "may_take_post": True, "confirmed_by": "王建华", "confirmed_on": day}}
    return _row("training_record", f"三级安全教育登记卡 {no}", data, day, doc_no=no, contractor=contractor, persons=[(name, number)])


def agreement(n: int, *, contractor=CON, enterprise=ENT, day="2026-03-27"):
    no = f"AQXY-2026-{n:03d}"
    data = {"agreement_no": no, "project": "XM-001", "enterprise": enterprise, "contractor": contractor,
            "project_overview": "铸造车间中频炉及行车设备检修工程，涉及动火、高处、吊装等危险作业。",
            "enterprise_duties": ["对乙方的安全生产工作统一协调、管理，定期进行安全检查"],
            "contractor_duties": ["对作业人员进行三级安全教育，考试合格后方可上岗"],
            "accident_handling": "事故纳入甲方事故统计。", "signed_on": day}
    return _row("safety_agreement", f"安全生产管理协议 {no}", data, day, doc_no=no, enterprise=enterprise, contractor=contractor)


def hazard(n: int, text: str, *, contractor=CON, day="2026-05-08"):
    no = f"YH-2026-{n:04d}"
    data = {"hazard_no": no, "enterprise": ENT, "contractor": contractor, "description": text, "grade": "一般", "status": "整改中", "found_on": day}
    return _row("hazard", f"事故隐患 {no}", data, day, doc_no=no, contractor=contractor)


def insert(arch: Arch, rows: list[dict]) -> list[dict]:
    with arch.catalog.transaction():
        for r in rows:
            arch.catalog.insert_record(r)
    return [arch.catalog.get_record(r["id"]) for r in rows]


def corpus() -> list[dict]:
    """Eighty-odd records with known truth: rare terms, phrases and names planted in a few."""
    rnd = random.Random(5)
    rows = []
    for n in range(1, 61):
        extra = ""
        if n in (3, 17, 44):
            extra = "，靠近钯网回收间"  # a rare 2-character term inside a longer run
        if n in (8, 29):
            extra = "，三号氯乙烯储罐检修平台东侧"
        workers = [(rnd.choice(NAMES), None)]
        if n in (11, 12, 50):
            workers = [("魏怡", WEI_YI)]
        tt = "confined_space" if n % 5 == 0 else "hot_work"
        rows.append(ticket(n, tt=tt, extra=extra, workers=workers, contractor=CON if n % 3 else CON2,
                           enterprise=ENT if n % 4 else ENT2, day=f"2026-{1 + n % 9:02d}-1{n % 10}", rnd=rnd))
    for n in range(1, 9):
        rows.append(training(n, rnd.choice(NAMES), id_number(f"3701021988030{n:03d}1")[:18]))
    rows.append(training(9, "魏怡", WEI_YI))
    for n in range(1, 5):
        rows.append(agreement(n, contractor=CON if n % 2 else CON2))
    rows.append(hazard(1, "污水处理站有限空间入口未设置安全警示标志"))
    rows.append(hazard(2, "高空作业平台护栏松动", contractor=CON2))
    rows.append(hazard(3, "外包队伍临时用电配电箱未接地"))
    rows.append(hazard(4, "钯网。回收间通道堵塞"))  # the same characters across a run end: not "钯网回收间"
    return rows


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


@pytest.fixture
def loaded(tmp_path, engine):
    """(archive, index) with the corpus in the catalog and indexed incrementally."""
    arch = make_archive(tmp_path / "a", engine)
    insert(arch, corpus())
    idx = open_index(arch)
    idx.catch_up()
    yield arch, idx
    idx.close()
    arch.catalog.close()


def ids_of(results) -> set[str]:
    return {h.id for h in results}


def truth(arch: Arch, text: str) -> set[str]:
    """Every current record whose composed text holds ``text``: the ground truth."""
    out = set()
    for row in arch.catalog.list_records(current_only=True):
        if sa.normalize(text) in sa.normalize(record_text(row)):
            out.add(row["id"])
    return out


# --- analysis (engine-free) -----------------------------------------------------------------------


def test_bigram_tokens_one_per_character_and_runs_end_at_punctuation():
    assert sa.bigram_tokens("动火。作业") == ["动火", "火", "火", "作业", "业", "业"]
    assert sa.bigram_tokens("A区１号炉") == ["a", "区", "区", "1", "号炉", "炉", "炉"]  # full-width digits fold to ASCII


def test_jieba_words_use_the_domain_dictionary():
    assert "安全生产管理协议" in sa.word_tokens("双方签订安全生产管理协议")
    assert "特种作业操作证" in sa.word_tokens("持特种作业操作证上岗")
    assert "受限空间作业" in sa.word_tokens("进入受限空间作业")
    assert "三级安全教育" in sa.word_tokens("进行三级安全教育")


def test_patterns_cover_words_names_and_mixed_text():
    assert sa.pattern("动火").slots == ((0, "动火", False),)
    assert sa.pattern("受限空间").slots == ((0, "受限", False), (2, "空间", False))  # every other bigram suffices
    assert sa.pattern("安全生产管理协议").slots == ((0, "安全", False), (2, "生产", False), (4, "管理", False), (6, "协议", False))
    assert sa.pattern("先通风再").slots == ((0, "先通", False), (2, "风再", False))
    assert sa.pattern("三级教育").words == ("三级教育",)
    assert sa.pattern("火").slots == ((0, "火", True),)  # 1 character: any token starting with it
    assert sa.pattern("3号炉").slots == ((0, "3", False), (1, "号炉", False))
    assert sa.pattern("1号").slots == ((0, "1", False), (1, "号", True))
    assert sa.pattern("动火A").slots == ((0, "动火", False), (1, "火", False), (3, "a", False))
    assert sa.pattern("先通风、再检测").slots == ((0, "先通", False), (1, "通风", False), (2, "风", False), (4, "再检", False), (5, "检测", False))


def test_every_other_bigram_cannot_match_across_a_run_end():
    """"受限空间" must not match "受限。空间": the doubled run-final token keeps them apart."""
    doc = sa.bigram_tokens("受限。空间")
    starts = [i for i, t in enumerate(doc) if t == "受限"]
    assert all(doc[i + 2] != "空间" for i in starts)
    doc = sa.bigram_tokens("受限空间")
    assert doc[0] == "受限" and doc[2] == "空间"


def test_query_language():
    parsed = q.parse_query('(动火 OR 受限空间) -吊装 "先通风 再检测" type:work_ticket')
    assert parsed == q.And((q.Or((q.Text("动火"), q.Text("受限空间"))), q.Not(q.Text("吊装")),
                        q.Text("先通风再检测", phrase=True), q.Field("type", "work_ticket")))
    assert q.parse_query("动火 OR 吊装 监护") == q.Or((q.Text("动火"), q.And((q.Text("吊装"), q.Text("监护")))))  # AND binds tighter
    assert q.parse_query("") == q.All()
    with pytest.raises(q.QuerySyntaxError):
        q.parse_query("(动火")


def test_synonym_variants():
    assert sa.variants("有限空间作业") == ["有限空间作业", "受限空间作业"]
    assert "高空" in sa.variants("高处")
    assert "承包单位" in sa.variants("外包单位")


def test_snippet_marks_matches_and_keeps_the_text():
    s = sa.snippet("作业票编号：DH-2026-0137\n动火部位：2号中频炉炉体底座，动火方式：电焊", ["动火"])
    assert "«动火»部位" in s and "«动火»方式" in s and "：" in s


def test_text_masks_ids_even_inside_certificate_numbers():
    row = ticket(1, workers=[("魏怡", WEI_YI)])
    row["seq"] = 1
    text = record_text(row)
    doc = document(row, SECRET)
    assert WEI_YI not in text and WEI_YI not in doc["bg"] and WEI_YI not in json.dumps(doc)
    assert WEI_YI[:4] + "*" * 10 + WEI_YI[-4:] in text  # T + ID certificate number, masked
    assert "魏怡" in doc["names"]


def test_jieba_is_quiet_and_warning_free():
    code = "from archive.search.text import analyse; print(analyse('双方签订安全生产管理协议')[1])"
    r = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert "安全生产管理协议" in r.stdout


# --- recall, synonyms, filters -------------------------------------------------------------------


@pytest.mark.parametrize("query", ["钯网", "钯网回收间", "魏怡", "动火", "空间", "盲板位置图", "三号氯乙烯储罐检修平台", "氯乙烯", "安全带高挂低用", "AQXY-2026-003"])
def test_every_record_containing_the_words_is_found(loaded, query):
    arch, idx = loaded
    want = truth(arch, query)
    assert want, query
    got = idx.search(query, limit=1000)
    assert ids_of(got) == want
    assert got.total == len(want)


@pytest.mark.parametrize("query", ["动火", "安全", "受限空间", '"先通风、再检测、后作业"', "动火 OR 钯网"])
def test_total_counts_every_match_even_on_a_short_page(loaded, query):
    arch, idx = loaded
    everything = idx.search(query, limit=1000)
    page = idx.search(query, limit=1)
    assert len(page) == 1 and page.total == everything.total == len(everything) > 1
    assert page[0].id == everything[0].id


def test_phrase_and_boolean_queries(loaded):
    arch, idx = loaded
    phrase = idx.search('"先通风、再检测、后作业"', limit=1000)
    assert ids_of(phrase) == truth(arch, "先通风、再检测、后作业")
    assert not idx.search('"先通风后作业"').total  # not adjacent: no match
    both = ids_of(idx.search("钯网 动火", limit=1000))
    assert both == truth(arch, "钯网") & truth(arch, "动火")
    either = ids_of(idx.search("钯网 OR 魏怡", limit=1000))
    assert either == truth(arch, "钯网") | truth(arch, "魏怡")
    without = ids_of(idx.search("动火 -钯网", limit=1000))
    assert without == truth(arch, "动火") - truth(arch, "钯网")
    assert ids_of(idx.search("NOT 动火", limit=1000)) == {r["id"] for r in arch.catalog.list_records(current_only=True)} - truth(arch, "动火")


def test_single_character_query(loaded):
    arch, idx = loaded
    assert ids_of(idx.search("钯", limit=1000)) == truth(arch, "钯")


def test_synonyms_expand_at_query_time(loaded):
    arch, idx = loaded
    confined = truth(arch, "受限空间") | truth(arch, "有限空间")
    assert ids_of(idx.search("有限空间", limit=1000)) == confined
    assert ids_of(idx.search("受限空间", limit=1000)) == confined
    assert ids_of(idx.search("高处", limit=1000)) == truth(arch, "高处") | truth(arch, "高空")
    assert truth(arch, "外包") <= ids_of(idx.search("承包", limit=1000))


def test_id_number_finds_the_person_by_keyed_hash_only(loaded):
    arch, idx = loaded
    got = idx.search(WEI_YI, limit=100)
    assert ids_of(got) == truth(arch, "魏怡")
    for h in got:
        assert WEI_YI not in json.dumps(h.as_dict(), ensure_ascii=False)


def test_contractor_filter_by_uscc_and_by_name(loaded):
    arch, idx = loaded
    want = {i for i in truth(arch, "动火") if arch.catalog.get_record(i)["contractor"] == CON2}
    assert ids_of(idx.search("动火", contractor=CON2, limit=1000)) == want
    by_name = idx.search("动火", contractor="鲁中", limit=1000)
    assert ids_of(by_name) == want and by_name.orgs == {CON2: ORGS[CON2]}
    with pytest.raises(NotFound):
        idx.search("动火", contractor="不存在的公司")


def test_enterprise_type_ticket_type_and_date_filters(loaded):
    arch, idx = loaded
    rows = {r["id"]: r for r in arch.catalog.list_records(current_only=True)}
    fire = truth(arch, "动火")
    assert ids_of(idx.search("动火", enterprise=ENT2, limit=1000)) == {i for i in fire if rows[i]["enterprise"] == ENT2}
    assert ids_of(idx.search("动火", type="safety_agreement", limit=1000)) == {i for i in fire if rows[i]["type"] == "safety_agreement"}
    assert ids_of(idx.search("安全", ticket_type="受限空间", limit=1000)) == {i for i in truth(arch, "安全") if rows[i]["subtype"] == "confined_space"}
    window = {i for i in fire if rows[i]["doc_date"] and "2026-03-01" <= rows[i]["doc_date"][:10] <= "2026-05-31"}
    assert ids_of(idx.search("动火", since="2026-03-01", until="2026-05-31", limit=1000)) == window
    assert ids_of(idx.search("", contractor=CON2, type="safety_agreement", limit=1000)) == {
        i for i, r in rows.items() if r["contractor"] == CON2 and r["type"] == "safety_agreement"}
    with pytest.raises(SearchError):
        idx.search("动火", ticket_type="飞行")
    with pytest.raises(SearchError):
        idx.search("动火", since="2026-13-01")


def test_field_syntax(loaded):
    arch, idx = loaded
    rows = arch.catalog.list_records(current_only=True)
    assert ids_of(idx.search("ticket_type:confined_space", limit=1000)) == {r["id"] for r in rows if r["subtype"] == "confined_space"}
    assert ids_of(idx.search("name:魏怡", limit=1000)) == truth(arch, "魏怡")
    assert ids_of(idx.search("grade:一级 type:作业票", limit=1000)) == {
        r["id"] for r in rows if r["type"] == "work_ticket" and json.loads(r["data"]).get("grade") == "一级"}


def test_grade_status_and_tags_are_indexed(loaded):
    arch, idx = loaded
    major = hazard(40, "煤气柜活塞油沟有限空间作业未检测")
    major["data"] = major["data"].replace('"一般"', '"重大"')
    insert(arch, [major])
    idx.catch_up()
    assert ids_of(idx.search("tag:major_hazard", limit=100)) == {major["id"]}
    assert ids_of(idx.search("grade:重大", limit=100)) == {major["id"]}
    hazards = {r["id"] for r in arch.catalog.list_records(types=["hazard"], current_only=True)}
    assert ids_of(idx.search("status:整改中", limit=100)) == hazards
    assert ids_of(idx.search("status:整改中 -tag:major_hazard", limit=100)) == hazards - {major["id"]}


def test_superseded_records_are_hidden_unless_asked(loaded):
    arch, idx = loaded
    old = arch.catalog.list_records(types=["hazard"])[0]
    new = hazard(9, "污水处理站有限空间入口警示标志已补设，钯网已清理")
    new["supersedes"] = old["id"]
    insert(arch, [new])
    idx.catch_up()
    got = idx.search("污水处理站", limit=100)
    assert new["id"] in ids_of(got) and old["id"] not in ids_of(got)
    everything = idx.search("污水处理站", limit=100, include_superseded=True)
    assert {new["id"], old["id"]} <= ids_of(everything)
    assert [h.current for h in everything if h.id == old["id"]] == [False]
    assert idx.check() == []


def test_hits_carry_what_a_result_list_shows(loaded):
    _, idx = loaded
    h = next(h for h in idx.search("钯网") if h.type == "work_ticket")
    assert h.title.startswith(("动火安全作业票", "受限空间安全作业票"))
    assert h.contractor in (CON, CON2) and h.contractor_name == ORGS[h.contractor] and h.enterprise_name
    assert "«钯网»" in h.snippet and h.score > 0 and h.date.startswith("2026-")


def test_bad_query_is_a_clear_error(loaded):
    _, idx = loaded
    with pytest.raises(SearchError, match="括号"):
        idx.search("(动火 OR 吊装")


# --- privacy --------------------------------------------------------------------------------------


def test_no_id_number_in_clear_in_any_index_file_or_term(loaded, engine):
    arch, idx = loaded
    numbers = {WEI_YI} | {json.loads(r["data"])["trainee"]["id_number"] for r in arch.catalog.list_records(types=["training_record"])}
    files = [p for p in arch.home.index_dir.rglob("*") if p.is_file()]
    assert files
    for p in files:
        data = p.read_bytes()
        for n in numbers:
            assert n.encode() not in data, p
    eng = idx._open()
    if engine == "tantivy":
        terms = [t for prefix in "0123456789t" for t, _ in eng.searcher().terms_with_prefix("bg", prefix)]
    else:
        terms = [t.decode() for t in eng.searcher().reader().lexicon("bg")]
    assert terms
    assert not any(n in t or n[6:14] in t for t in terms for n in numbers)


# --- consistency ----------------------------------------------------------------------------------


def test_rebuild_equals_incremental(loaded):
    arch, idx = loaded
    queries = ["动火", "钯网", "魏怡", '"先通风、再检测、后作业"', "有限空间", "动火 -钯网", "NOT 安全"]
    before = {q: (ids_of(idx.search(q, limit=1000)), idx.search(q, limit=1000).total) for q in queries}
    stats = idx.stats()
    assert idx.rebuild() == arch.catalog.count_records()
    after = {q: (ids_of(idx.search(q, limit=1000)), idx.search(q, limit=1000).total) for q in queries}
    assert before == after
    assert idx.stats()["records"] == stats["records"] == arch.catalog.count_records()
    assert idx.check() == []


def test_a_parallel_rebuild_reads_the_catalog_in_worker_processes(loaded, monkeypatch):
    """Large rebuilds analyse in worker processes, each opening the catalog read-only by its
    location: the same documents as the incremental index."""
    from archive.search import index as index_module

    arch, idx = loaded
    queries = ["动火", "魏怡", "有限空间", "NOT 安全"]
    before = {q: ids_of(idx.search(q, limit=1000)) for q in queries}
    monkeypatch.setattr(index_module, "PARALLEL_FROM", 1)
    assert idx.rebuild(procs=2) == arch.catalog.count_records()
    assert {q: ids_of(idx.search(q, limit=1000)) for q in queries} == before
    assert idx.check() == []


def test_crash_between_catalog_commit_and_indexing_is_caught_up(loaded):
    arch, idx = loaded
    late = insert(arch, [hazard(20, "铸造车间钯网堆放区消防通道堵塞"), ticket(99, extra="，钯网堆放区")])  # committed, never indexed
    problems = idx.check()
    assert any("behind" in p for p in problems) and any("missing" in p for p in problems)
    assert all("outsafe index rebuild" in p for p in problems)
    assert not ids_of(idx.search("钯网", limit=1000)) >= {r["id"] for r in late}
    assert idx.search("钯网").behind == 2
    assert idx.catch_up() == 2
    assert ids_of(idx.search("钯网", limit=1000)) >= {r["id"] for r in late}
    assert idx.check() == []
    assert idx.catch_up() == 0  # nothing twice


def test_indexing_twice_never_counts_twice(loaded):
    arch, idx = loaded
    row = arch.catalog.list_records(types=["hazard"])[0]
    idx.index_record(row)
    idx.index_record(row)
    idx.catch_up()
    assert idx.stats()["records"] == arch.catalog.count_records()
    assert len([h for h in idx.search("污水处理站", limit=100) if h.id == row["id"]]) == 1


def test_removed_document_is_restored_by_catch_up(loaded):
    arch, idx = loaded
    row = arch.catalog.list_records(types=["hazard"])[0]
    idx.remove(row["id"])
    assert any("missing" in p for p in idx.check())
    assert idx.catch_up() == 1
    assert idx.check() == []


def _writer_process(root: str, engine: str, tag: int, n: int) -> None:
    try:
        _write_some(root, engine, tag, n)
    except BaseException:
        import traceback

        Path(root, f"writer-{tag}.err").write_text(traceback.format_exc(), encoding="utf-8")
        raise


def _write_some(root: str, engine: str, tag: int, n: int) -> None:
    home = ArchiveHome(Path(root))
    cat = open_catalog(home.catalog_file)
    arch = Arch(catalog=cat, secret=SECRET, home=home)
    idx = open_index(arch)
    for i in range(n):
        with write_lock(home.lock_file, what=f"writer {tag}", notify=lambda m: None):
            insert(arch, [hazard(1000 * tag + i, f"第{tag}组隐患{i}：动火点附近有可燃物")])
        idx.catch_up()


def test_two_writer_processes_lose_nothing(tmp_path, engine):
    arch = make_archive(tmp_path / "a", engine)
    open_index(arch).catch_up()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer_process, args=(str(arch.home.root), engine, tag, 6)) for tag in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
    errors = [f.read_text(encoding="utf-8") for f in arch.home.root.glob("writer-*.err")]
    assert not errors, errors[0]
    assert [p.exitcode for p in procs] == [0, 0]
    idx = open_index(arch)
    assert idx.check() == []
    assert idx.stats()["records"] == arch.catalog.count_records() == len(ORGS) + 12
    assert idx.search("可燃物", limit=100).total == 12


def test_a_second_writer_waits_for_the_lock_with_a_message(loaded):
    arch, idx = loaded
    insert(arch, [hazard(30, "行车轨道压板松动")])
    messages: list[str] = []
    other = open_index(arch)
    other.notify = messages.append
    done = threading.Event()

    def write():
        other.catch_up()
        done.set()

    with write_lock(arch.home.index_dir / "lock", what="test holder", notify=lambda m: None):
        t = threading.Thread(target=write)
        t.start()
        time.sleep(1.5)
        assert not done.is_set()
    t.join(30)
    assert done.is_set()
    assert messages and "test holder" in messages[0]
    assert idx.search("行车轨道").total == 1


def test_readers_do_not_wait_for_a_writer(loaded):
    arch, idx = loaded
    with write_lock(arch.home.index_dir / "lock", what="busy", notify=lambda m: None):
        t = time.monotonic()
        assert idx.search("动火").total
        assert time.monotonic() - t < 5


def test_corrupt_index_is_reported_and_never_wiped(loaded, engine):
    arch, idx = loaded
    live = arch.home.index_dir / idx.state()["dir"]
    victim = max((p for p in live.iterdir() if p.is_file() and p.suffix in (".toc", ".json", ".idx", ".seg", ".trm", ".term", ".pst", ".store")),
                 key=lambda p: p.stat().st_size)
    if engine == "tantivy":
        victim = live / "meta.json"
    victim.write_bytes(b"\x00garbage\xff" * 10)
    names = sorted(p.name for p in live.iterdir())
    problems = open_index(arch).check()
    assert problems and "outsafe index rebuild" in problems[-1]
    fresh = open_index(arch)
    with pytest.raises(SearchIndexError) as e:
        fresh.search("动火")
    assert "outsafe index rebuild" in e.value.hint
    with pytest.raises(SearchIndexError):
        fresh.catch_up()
    assert sorted(p.name for p in live.iterdir()) == names  # nothing removed
    assert victim.read_bytes().startswith(b"\x00garbage")
    assert fresh.rebuild() == arch.catalog.count_records()
    assert fresh.check() == [] and fresh.search("钯网").total == 4


def test_corrupt_pointer_is_reported(loaded):
    arch, idx = loaded
    (arch.home.index_dir / "CURRENT").write_text("{not json", encoding="utf-8")
    assert "outsafe index rebuild" in open_index(arch).check()[0]
    with pytest.raises(SearchIndexError):
        open_index(arch).search("动火")


def test_switching_engine_rebuilds_and_records_it(loaded, engine):
    arch, idx = loaded
    other = "tantivy" if engine == "whoosh" else "whoosh"
    before = ids_of(idx.search("钯网 OR 魏怡", limit=100))
    assert idx.rebuild(engine=other) == arch.catalog.count_records()
    assert arch.catalog.get_meta("search_engine") == other
    assert idx.state()["engine"] == other
    assert [p.name.split("-")[0] for p in arch.home.index_dir.iterdir() if p.is_dir()] == [other]
    assert ids_of(open_index(arch).search("钯网 OR 魏怡", limit=100)) == before
    assert open_index(arch).check() == []


def test_engine_mismatch_is_reported(loaded, engine):
    arch, idx = loaded
    other = "tantivy" if engine == "whoosh" else "whoosh"
    with arch.catalog.transaction():
        arch.catalog.set_meta("search_engine", other)
    problems = idx.check()
    assert problems and f"--engine {other}" in problems[0]
    assert idx.search("钯网").total == 4  # still readable meanwhile


def test_empty_archive_has_nothing_to_check(tmp_path, engine):
    arch = make_archive(tmp_path / "a", engine)
    idx = open_index(arch)
    assert idx.check() and "no search index" in idx.check()[0]
    assert idx.search("动火").total == 0 and idx.search("动火").behind == len(ORGS)
    assert idx.catch_up() == len(ORGS)
    assert idx.check() == []
    assert os.listdir(arch.home.index_dir)


@pytest.mark.parametrize("query", ["(" * 5000 + "动火" + ")" * 5000, "(" * 30 + "动火" + ")" * 30, "NOT " * 30 + "动火",
                                   "动火 " * 300, "动" * 2000])
def test_a_hostile_query_is_a_syntax_error_not_a_crash(query):
    with pytest.raises(q.QuerySyntaxError):
        q.parse_query(query)
