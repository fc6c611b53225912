"""Settings: every number the law leaves open, or that our sources could not confirm.

domain.md tags facts [C] confirmed, [S] secondary, [M] from practice, [P] proposal. Anything not
[C] — and the GB 30871 numbers, which 工贸 enterprises apply by reference only — is a setting with
the documented default, never a constant in code. An archive overrides them in
``<home>/outsafe.toml``; unknown keys are an error (a typo must not silently keep the default).

Each setting carries its source so that messages can cite it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from archive.errors import ValidationFailed, Problem


def _s(default: Any, source: str, doc: str) -> Any:
    return field(default=default, metadata={"source": source, "doc": doc})


def _addresses(value: tuple) -> str | None:
    """What is wrong with a list of addresses of trusted proxies (each an IP address or network)."""
    import ipaddress

    for v in value:
        try:
            if not isinstance(v, str):
                raise ValueError(v)
            ipaddress.ip_network(v.strip(), strict=False)
        except ValueError:
            return f"“{v}”不是 IP 地址或网段，如 \"127.0.0.1\"、\"10.0.0.0/8\" (not an IP address or network)"
    return None


VALUE_CHECKS = {"web_trusted_proxies": _addresses}  # setting → what is wrong with a value of the right type, or None


@dataclass(frozen=True)
class Settings:
    # --- 三级安全教育 (training) -----------------------------------------------------------
    training_min_hours: float = _s(24, "生产经营单位安全培训规定 第13条 [S]", "新上岗从业人员岗前安全培训最少学时")
    training_min_hours_high_risk: float = _s(
        72, "生产经营单位安全培训规定 第13条 [S]", "高危行业（含金属冶炼）新上岗从业人员岗前培训最少学时"
    )
    high_risk_industries: tuple[str, ...] = _s(
        ("冶金", "有色"), "生产经营单位安全培训规定 第13条 [S]; 工贸行业归类 [M]", "按高危行业（金属冶炼）计学时的行业"
    )
    training_pass_score: float = _s(60, "企业通行做法 [M]", "三级教育考试合格分")
    worker_min_age: int = _s(16, "domain.md §4.2 [P]", "从业人员最低年龄")
    worker_max_age: int = _s(70, "domain.md §4.2 [P]", "从业人员最高年龄")
    special_operator_min_age: int = _s(18, "特种作业人员安全技术培训考核管理规定 第4条 [C]", "特种作业人员最低年龄")
    retraining_absence_months: int = _s(12, "生产经营单位安全培训规定 第17条 [M]", "离岗多久须重新进行车间、班组级教育")
    special_certificate_number_is_id: bool = _s(
        True, "domain.md §4.4 [M]: 现行特种作业操作证以持证人身份证号为证号", "特种作业操作证编号须为身份证号（可带前缀 T）"
    )

    # --- 三级教育考试 (the exam taken on a phone; the pass mark is training_pass_score) -------------
    exam_questions_company: int = _s(15, "[P] 企业通行做法", "公司级考试每次随机抽取的题数")
    exam_questions_workshop: int = _s(15, "[P] 企业通行做法", "车间级考试每次随机抽取的题数")
    exam_questions_team: int = _s(15, "[P] 企业通行做法", "班组级考试每次随机抽取的题数")
    exam_minutes: int = _s(30, "[P] 企业通行做法", "每次考试的答题时限（分钟），以服务器时间计")
    exam_grace_seconds: int = _s(30, "[P] 网络延迟", "时限到后仍按时交卷处理的宽限（秒），超过即按超时计")

    # --- 作业票 (GB 30871—2022 numbers, defaults an enterprise may tighten) ----------------
    hot_work_max_hours_special: float = _s(8, "GB 30871—2022 5.1.5", "特级动火作业票最长有效期（小时）")
    hot_work_max_hours_first: float = _s(8, "GB 30871—2022 5.1.5", "一级动火作业票最长有效期（小时）")
    hot_work_max_hours_second: float = _s(72, "GB 30871—2022 5.1.5", "二级动火作业票最长有效期（小时）")
    confined_space_max_hours: float = _s(24, "GB 30871—2022 6.10", "受限空间作业票最长有效期（小时）")
    height_max_days: float = _s(7, "GB 30871—2022 8.2.11", "高处作业票最长有效期（天）")
    temporary_power_max_days: float = _s(15, "GB 30871—2022 10.8", "临时用电作业票一般最长有效期（天）")
    temporary_power_max_days_special: float = _s(30, "GB 30871—2022 10.8", "临时用电作业票特殊情况最长有效期（天）")
    gas_sample_max_minutes: float = _s(30, "GB 30871—2022 5.3.1 c), 6.3 a)", "气体取样分析距作业开始最长时间（分钟）")
    oxygen_min_pct: float = _s(19.5, "GB 30871—2022 6.4", "氧含量下限（%）")
    oxygen_max_pct: float = _s(21.0, "GB 30871—2022 6.4", "氧含量上限（%）")
    oxygen_max_pct_enriched: float = _s(23.5, "GB 30871—2022 6.4", "富氧环境氧含量上限（%）")
    flammable_max_pct_high_lel: float = _s(0.5, "GB 30871—2022 5.3.2", "爆炸下限≥4%时可燃气体合格标准（%v/v）")
    flammable_max_pct_low_lel: float = _s(0.2, "GB 30871—2022 5.3.2", "爆炸下限<4%时可燃气体合格标准（%v/v）")
    completion_grace_hours: float = _s(24, "domain.md §2.4 rule 6 [P]", "完工验收可晚于作业票截止时间的宽限（小时）")
    lifting_ticket_min_tons: float = _s(10, "GB 30871—2022 表B.1 注3", "吊装作业须办票的最小吊物质量（t）")

    # --- enforcement, rectification, penalties -------------------------------------------------
    region_abbr: str = _s("高新", "本区文书代字 [P]", "文书号中的区划简称，如（高新）应急责改〔2026〕12号")
    report_doc_code: str = _s("济高新应急", "本局发文机关代字 [P]; GB/T 9704—2012 7.2.3",
                              "本局向区政府报送报告的发文字号代字，如 济高新应急〔2026〕15号")
    review_days: int = _s(60, "行政复议法（2023）第20条 [C]", "申请行政复议期限（日）")
    litigation_months: int = _s(6, "行政诉讼法 第46条 [C]", "提起行政诉讼期限（月）")
    recheck_days: int = _s(10, "安全生产违法行为行政处罚办法（原）第17条 [C]; 令第18号未核实", "整改期满后复查期限（日）")
    statement_days: int = _s(
        3, "安全生产违法行为行政处罚办法（原）第18条 [C]; 行政处罚法 第44、45条未定期限; 令第18号未核实", "陈述、申辩期限：收到告知书之日起（日）")
    hearing_request_days: int = _s(5, "行政处罚法 第64条第（一）项 [C]", "当事人要求听证的期限：收到告知书之日起（日）")
    correction_days: int = _s(
        21, "[P] 本局惯例；安全生产法 第97、99、101–104条（责令限期改正）", "告知书草稿：拟责令限期改正的期限，自告知日起（日，须晚于决定日）")
    hearing_fine_threshold: float = _s(20000, "省级规定（示例） [S]", "听证“较大数额罚款”起点（元）")
    blacklist_years: int = _s(3, "应急管理部令第11号 [S]", "严重失信名单管理期限（年）")
    blacklist_early_removal_months: int = _s(12, "应急管理部令第11号 [S]", "可申请提前移出的最短期限（月）")
    inspection_max_gap_days: int = _s(90, "domain.md §1.2 C4/E3 [P]", "发包单位对承包单位检查的最长间隔（日）")
    rectify_days: int = _s(15, "[P] 本局惯例", "责令限期整改指令书草稿：一般问题的整改期限（日）")
    rectify_days_major: int = _s(7, "[P] 安全生产法 第65条第1款第（三）项（重大事故隐患责令立即排除）", "指令书草稿：重大事故隐患的整改期限（日）")
    rectify_days_warning: int = _s(30, "[P] 本局惯例", "指令书草稿：提示性问题的整改期限（日）")
    penalty_payment_days: int = _s(15, "行政处罚法 第67条 [C]", "收到行政处罚决定书后缴纳罚款的期限（日）")
    late_payment_surcharge_pct: float = _s(3, "行政处罚法 第72条 [C]", "逾期不缴纳罚款每日加处罚款的比例（%）")
    hearing_fine_threshold_person: float = _s(5000, "省级规定（示例） [M]", "对个人处以罚款的听证“较大数额”起点（元）")
    blacklist_enterprise_years: int = _s(3, "企业相关方管理制度（示例协议“三年内不得承接”） [P]", "企业承包商黑名单默认管理期限（年）")

    # --- the 五查 checks (archive/checks.py) -------------------------------------------------
    schedule_compression_tolerance_pct: float = _s(
        10, "domain.md §1.2 E2 [P]", "实际完工早于约定完工日期超过约定工期的该百分比、且无双方签字的变更时，提示压缩工期"
    )
    quarterly_assessment_min_days: int = _s(
        30, "[P] 整治方案 发包单位五查之五（季度安全生产考核）；天数无依据", "承包单位在一个已结束的季度内作业满多少日，未见该季度安全生产考核记录时提示"
    )
    training_valid_months: int = _s(
        12, "生产经营单位安全培训规定 第9、13条（每年再培训）[S]", "最近一次合格的安全教育记录距作业日超过该月数，视为须再培训"
    )
    special_equipment_notice_days: int = _s(30, "特种设备安全法 第40条 [C]（定期检验有效期届满前1个月提出检验要求）", "特种设备下次检验日期前多少日提示申请检验")
    maintenance_max_gap_days: int = _s(180, "安全生产法 第36条（经常性维护、保养）；间隔为 [P]", "设备设施维护保养记录的最长间隔（日）")
    metal_smelting_industries: tuple[str, ...] = _s(
        ("冶金", "有色"), "应急管理部令第10号 第3条第3项；行业归类 [M]", "按“金属冶炼企业”判定主要负责人、安全管理人员考核合格的行业"
    )

    # --- campaign (the seed's own dates) -----------------------------------------------------
    campaign_year: int = _s(2026, "整治方案 [C]", "整治年度")

    # --- reminders (outsafe remind, the dashboard) ------------------------------------------------
    remind_days: int = _s(30, "[P]", "提醒列出今后多少天内到期的证照、协议、整改期限和报送期限")
    web_base_url: str = _s("http://127.0.0.1:8080", "[P]", "网页服务对外的地址，提醒邮件中的链接以此开头")
    web_trusted_proxies: tuple[str, ...] = _s(
        (), "[P]", "网页服务前面的反向代理（如 nginx）的地址：只采信来自这些地址的请求所带的 X-Forwarded-For / X-Forwarded-Proto，"
        "作为访客地址（登录限速、访问日志）和协议；空 = 一律不采信（直接对外服务时）")

    # --- privacy and documents ---------------------------------------------------------------
    mask_id_in_documents: bool = _s(True, "domain.md §4.2 Privacy [P]", "生成的文书中身份证号是否打码")

    # --- PDF conversion ----------------------------------------------------------------------
    pdf_workers: int = _s(0, "[P]", "LibreOffice 转换进程数（0 = 每核一个）")
    pdf_recycle_every: int = _s(100, "[P]; measured: bench/render/RECYCLE.md", "每个转换进程处理多少份后重启（0 = 不定期重启）")
    pdf_timeout_seconds: float = _s(90, "[P]", "单份文档转换超时（秒）")

    # --- the views (outsafe check, the dashboard) --------------------------------------------------
    check_workers: int = _s(0, "[P]; measured: bench/views/RESULTS.md", "检查整个档案时并行的进程数（0 = 自动：每核一个，最多 4；1 = 不并行）")
    check_parallel_records: int = _s(
        20_000, "[P]; measured: bench/views/RESULTS.md", "自动并行时，档案记录数达到多少才用多个进程检查整个档案（进程启动约 1 秒）")

    # --- packages: what a zip may expand to (checked before anything is extracted) --------------
    package_max_bytes: int = _s(32 * 2**30, "[P]", "包解压后的总大小上限（字节）")
    package_max_member_bytes: int = _s(2 * 2**30, "[P]", "包内单个文件解压后的大小上限（字节）")
    package_max_members: int = _s(2_000_000, "[P]", "包内条目数上限")
    package_max_ratio: int = _s(100, "[P]；PDF、DOCX、图片已压缩，比例约 1–3，YAML/JSON 约 5–10", "单个文件的解压/压缩比上限（1 MB 以上的文件）")

    # --- the web front end (outsafe serve): sessions and sign-in ----------------------------------
    web_session_idle_minutes: int = _s(
        30, "GB/T 22239—2019 8.1.4.1 c)（登录连接超时自动退出）；时长为 [P]", "网页会话闲置多久自动退出（分钟）")
    web_session_hours: int = _s(12, "[P] 一个工作日", "网页会话最长有效期（小时），期满须重新登录")
    login_max_failures_per_user: int = _s(
        5, "GB/T 22239—2019 8.1.4.1 b)（限制非法登录次数）；次数为 [P]", "同一用户名在时间窗内连续登录失败多少次后暂停登录")
    login_max_failures_per_address: int = _s(20, "GB/T 22239—2019 8.1.4.1 b)；次数为 [P]", "同一地址在时间窗内登录失败多少次后暂停登录")
    login_window_minutes: int = _s(15, "[P]", "登录失败计数的时间窗，也是暂停登录的时长（分钟）")
    access_log_anchor_minutes: int = _s(
        60, "[P]", "网页服务每隔多少分钟把访问日志的链头记入账本并签署检查点（有新条目时；0 = 仅在写入记录和服务停止时）")
    index_follow_seconds: int = _s(
        5, "[P]", "网页服务每隔多少秒把本机的搜索索引追上目录（其他服务器或命令行写入的记录；0 = 仅在每次搜索前）")
    views_prepare_seconds: int = _s(
        300, "[P]", "网页服务每隔多少秒查看日期是否已变、目录是否有新记录，有则在后台预先计算当天的检查、仪表盘和承包单位档案"
                    "（outsafe views prepare；0 = 不预先计算，视图在第一次打开时计算）")
    views_keep_days: int = _s(
        2, "[P]", "视图结果（cache/views）连续多少天无人读取即清除：结果按日期保存，每天预先计算都会新增一批"
                  "（10 万条记录的档案约 280 MB/天）；清除只损失重新计算的时间（0 = 永不清除）")

    # --- 作业票 on a phone (archive/tickets) ------------------------------------------------------
    ticket_identify_max_failures: int = _s(
        5, "[P] 同 login_max_failures_per_user", "交由他人签字时同一账号对同一作业票、开始考试时对同一场考试，输错出生日期多少次后暂停核验")
    ticket_identify_window_minutes: int = _s(15, "[P]", "身份核验失败计数的时间窗，也是暂停核验的时长（分钟）")
    ticket_step_max_bytes: int = _s(64 * 2**20, "[P] 手机照片每张 3–8 MB", "一次签字上传的签名和照片合计上限（字节）")
    ticket_step_max_photos: int = _s(6, "[P]", "一次签字可附的照片张数上限")
    ticket_signature_max_bytes: int = _s(512 * 1024, "[P] 手写签名 PNG 一般 10–60 KB", "手写签名图片（PNG）的大小上限（字节）")

    @classmethod
    def load(cls, path: Path | None) -> "Settings":
        """Defaults, overridden by ``path`` (TOML, section ``[settings]``) when it exists."""
        if path is None or not path.exists():
            return cls()
        try:
            with path.open("rb") as fh:
                doc = tomllib.load(fh)
        except tomllib.TOMLDecodeError as e:
            raise ValidationFailed([Problem("", f"配置文件无法解析 (cannot parse settings): {e}", file=str(path))]) from e
        values = doc.get("settings", {})
        return cls.from_mapping(values, file=str(path))

    @classmethod
    def from_mapping(cls, values: dict, file: str = "") -> "Settings":
        known = {f.name: f for f in fields(cls)}
        problems: list[Problem] = []
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            f = known.get(key)
            if f is None:
                problems.append(Problem(f"settings.{key}", "未知的配置项 (unknown setting)", file=file))
                continue
            default = f.default
            if isinstance(default, tuple):
                if not isinstance(value, list | tuple):
                    problems.append(Problem(f"settings.{key}", "应为列表 (must be a list)", file=file))
                    continue
                value = tuple(value)
            elif isinstance(default, bool):
                if not isinstance(value, bool):
                    problems.append(Problem(f"settings.{key}", "应为 true/false (must be a boolean)", file=file))
                    continue
            elif isinstance(default, int | float):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    problems.append(Problem(f"settings.{key}", "应为数字 (must be a number)", file=file))
                    continue
                if isinstance(default, int) and not isinstance(default, bool) and isinstance(value, float):
                    problems.append(Problem(f"settings.{key}", "应为整数 (must be an integer)", file=file))
                    continue
            elif isinstance(default, str) and not isinstance(value, str):
                problems.append(Problem(f"settings.{key}", "应为文本 (must be text)", file=file))
                continue
            wrong = VALUE_CHECKS[key](value) if key in VALUE_CHECKS else None
            if wrong:
                problems.append(Problem(f"settings.{key}", wrong, file=file))
                continue
            kwargs[key] = value
        if problems:
            raise ValidationFailed(problems)
        return replace(cls(), **kwargs)

    def source(self, name: str) -> str:
        return next(f.metadata["source"] for f in fields(self) if f.name == name)

    def describe(self) -> list[dict]:
        return [
            {"name": f.name, "value": getattr(self, f.name), "default": f.default, "source": f.metadata["source"], "doc": f.metadata["doc"]}
            for f in fields(self)
        ]

    @staticmethod
    def template_toml() -> str:
        lines = [
            "# outsafe archive settings. Uncomment a line to override the default.",
            "# Each value cites its source; [S]/[M]/[P] values are unconfirmed or proposals.",
            "[settings]",
        ]
        for f in fields(Settings):
            d = f.default
            if isinstance(d, bool):
                v = "true" if d else "false"
            elif isinstance(d, str):
                v = f'"{d}"'
            elif isinstance(d, tuple):
                v = "[" + ", ".join(f'"{x}"' for x in d) + "]"
            else:
                v = repr(d)
            lines.append(f"# {f.metadata['doc']} — {f.metadata['source']}")
            lines.append(f"# {f.name} = {v}")
        return "\n".join(lines) + "\n"
