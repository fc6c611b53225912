"""The forms: 外包合同, 安全生产管理协议, 三级安全教育登记卡, the 作业票 of GB 30871—2022 附录A and
the 爆破作业许可单, the enforcement forms (2017 式样, 应急 prefix), and the record sheets generated
per type.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, get_args, get_origin

from doc_templates.dsl import (
    BODY,
    ENFORCEMENT_PAGE,
    FORM_PAGE,
    TEXT_PAGE,
    C,
    Doc,
    Font,
    Grid,
    L,
    P,
    R,
    U,
    article,
    body,
    clause,
    heading,
    number_line,
    party_block,
    photo_appendix,
    tag,
    title,
)


def build_contract() -> Doc:
    doc = Doc("外包合同", TEXT_PAGE, BODY)
    title(doc, f"{{{{ doc.title|title_lines({doc.page.text_width:.1f}, 22) }}}}", size=22, after=2)
    doc.p(R("（外包合同）", face="kai", size=14), align="center", after=6)
    doc.p(R("合同编号：{{ doc.contract_no }}", face="body", size=12), align="right", after=10)
    party_block(doc, "发包单位（甲方）", "enterprise")
    doc.gap(6)
    party_block(doc, "承包单位（乙方）", "contractor")
    doc.gap(8)
    clause(doc, "根据《中华人民共和国民法典》《中华人民共和国安全生产法》及有关法律法规，甲乙双方遵循平等、自愿、"
                "公平和诚实信用的原则，就{{ project.name }}（项目编号：{{ doc.project }}）外包事宜协商一致，订立本合同。")
    article(doc, "一", "项目概况")
    clause(doc, "（一）作业地点：{{ doc.location }}。")
    clause(doc, "（二）作业内容：{{ doc.work_content|join(\"、\") }}。")
    clause(doc, "（三）承包范围：{{ doc.scope }}")
    article(doc, "二", "工期")
    clause(doc, "本合同约定工期自{{ doc.period.start|cn_date }}起至{{ doc.period.end|cn_date }}止。"
                "甲方不得擅自压缩合同约定的工期；确需调整的，双方应书面变更并同时调整安全措施。")
    article(doc, "三", "合同价款与安全生产费用")
    doc.tag("{%p if doc.price is not none %}")
    clause(doc, "（一）合同价款：人民币{{ doc.price|money }}元（大写：{{ doc.price|rmb_upper }}）。")
    doc.tag("{%p else %}")
    clause(doc, "（一）合同价款：按双方结算确认的金额执行。")
    doc.tag("{%p endif %}")
    doc.tag("{%p if doc.safety_cost is not none %}")
    clause(doc, "（二）安全生产费用：人民币{{ doc.safety_cost|money }}元（大写：{{ doc.safety_cost|rmb_upper }}），"
                "单独列支，专款专用，不得挪作他用。")
    doc.tag("{%p else %}")
    clause(doc, "（二）安全生产费用：按国家有关规定提取和使用，专款专用，不得挪作他用。")
    doc.tag("{%p endif %}")
    clause(doc, "（三）付款方式：{{ doc.payment_terms|default(\"按双方另行书面确认的方式执行。\") }}")
    article(doc, "四", "分包与转包")
    doc.tag("{%p if doc.subcontracting_allowed %}")
    clause(doc, "经甲方书面同意，乙方可将非主体部分分包给具备相应资质和安全生产条件的单位，"
                "乙方对分包单位的安全生产统一协调、管理；乙方不得转包，不得将项目分包给不具备安全生产条件或者相应资质的单位或者个人。")
    doc.tag("{%p else %}")
    clause(doc, "乙方不得将本合同项目转包或者分包给任何第三方。")
    doc.tag("{%p endif %}")
    article(doc, "五", "安全生产管理职责")
    doc.tag("{%p if doc.safety_duty_clause %}")
    clause(doc, "{{ doc.safety_duty_clause }}")
    doc.tag("{%p else %}")
    clause(doc, "甲乙双方另行签订《安全生产管理协议》，约定各自的安全生产管理职责；该协议是本合同不可分割的组成部分。")
    doc.tag("{%p endif %}")
    clause(doc, "甲方对乙方的安全生产工作统一协调、管理，定期进行安全检查，发现安全问题的，及时督促整改。"
                "本合同任何条款均不免除或者减轻双方依法应当承担的安全生产责任。")
    article(doc, "六", "质量与验收")
    clause(doc, "{{ doc.quality_terms|default(\"乙方应按照国家和行业标准以及甲方的技术要求完成作业；作业完成后由甲方组织验收。\") }}")
    article(doc, "七", "争议解决")
    clause(doc, "{{ doc.dispute_resolution|default(\"因本合同引起的争议，双方协商解决；协商不成的，依法向项目所在地人民法院提起诉讼。\") }}")
    doc.tag("{%p if doc.change_orders %}")
    article(doc, "八", "合同变更")
    clause(doc, "本合同履行中经双方确认的变更如下：")
    w = doc.page.text_width
    g = Grid(w, Font("song", 10.5))
    g.row(L("变更编号", 28), L("变更日期", 30), L("变更内容", w - 28 - 30 - 32 - 22), L("变更后完工日期", 32), L("双方签字", 22), header=True)
    g.tag("{%tr for co in doc.change_orders %}")
    g.row(C("{{ co.number }}", 28, align="center"), C("{{ co.date|cn_date }}", 30, align="center"),
          C("{{ co.description }}", w - 28 - 30 - 32 - 22), C("{{ co.new_end|cn_date|default(\"／\") }}", 32, align="center"),
          C("{{ co.signed_by_both|yesno }}", 22, align="center"))
    g.tag("{%tr endfor %}")
    doc.grid(g)
    doc.tag("{%p endif %}")
    article(doc, "{% if doc.change_orders %}九{% else %}八{% endif %}", "其他")
    clause(doc, "本合同自双方签字并盖章之日起生效。本合同未尽事宜，双方可签订补充协议，补充协议与本合同具有同等效力。")
    clause(doc, "（以下无正文）")
    contract_signatures(doc)
    return doc


def contract_signatures(doc: Doc, a: str = "甲方", b: str = "乙方") -> None:
    """Both parties side by side, then the signing date: one block that never splits and keeps
    with the last lines of the text ("（以下无正文）" and the clause before it)."""
    f = Font("body", 12)

    def side(label: str, key: str) -> list[P]:
        return [
            P((R(f"{label}（盖章）："),), line=22),
            P((R(f"{{{{ org.{key}.name }}}}", bold=True),), line=22),
            P((f"{{% if images.{key}_seal %}}{{{{ images.{key}_seal }}}}{{% endif %}}",), align="center", line=None),
            P(("法定代表人或委托代理人（签字）：",), line=22, before=12),
            P((f"{{{{ doc.{key}_signatory.name }}}}{{% if doc.{key}_signatory.title %}}（{{{{ doc.{key}_signatory.title }}}}）{{% endif %}}"
               f"{{% if images.{key}_signature %}}{{{{ images.{key}_signature }}}}{{% endif %}}",), line=22),
            P((f"日期：{{{{ doc.{key}_signatory.signed_on|cn_date|default(doc.signed_on|cn_date) }}}}",), line=22),
        ]

    w = doc.page.text_width
    doc.gap(14, keep_next=True)
    doc.keep_previous(2)
    g = Grid(w, f, borders=False, keep_together=True)
    g.row(C([dataclasses.replace(x, font=f) for x in side(a, "enterprise")], w / 2, valign="top"),
          C([dataclasses.replace(y, font=f) for y in side(b, "contractor")], w / 2, valign="top"))
    g.row(C([P(("签订日期：{{ doc.signed_on|cn_date }}",), line=26, before=8, font=BODY)], w))
    doc.grid(g)


def numbered(doc: Doc, listexpr: str) -> None:
    """A numbered paragraph per item of a list of strings."""
    doc.tag(f"{{%p for item in {listexpr} %}}")
    body(doc, "{{ loop.index }}. {{ item }}")
    doc.tag("{%p endfor %}")


def build_agreement() -> Doc:
    doc = Doc("安全生产管理协议", TEXT_PAGE, Font("body", 14))
    title(doc, "安全生产管理协议", size=22, after=6)
    doc.p(R("协议编号：{{ doc.agreement_no }}", size=12), align="right")
    doc.tag("{%p if doc.contract_no %}")
    doc.p(R("关联合同编号：{{ doc.contract_no }}", size=12), align="right")
    doc.tag("{%p endif %}")
    doc.gap(8)
    for role, key in (("甲方（发包单位）", "enterprise"), ("乙方（承包单位）", "contractor")):
        doc.p(R(f"{role}："), R(f"{{{{ org.{key}.name }}}}", bold=True), line=26)
        doc.p(f"统一社会信用代码：{{{{ doc.{key} }}}}", line=26, indent=2)
        doc.p(f"地址：{{{{ org.{key}.address|default(\"／\") }}}}", line=26, indent=2)
        doc.p(f"法定代表人：{{{{ org.{key}.legal_representative|default(\"／\") }}}}", line=26, indent=2)
        doc.p(f"联系电话：{{{{ org.{key}.phone|default(\"／\") }}}}", line=26, indent=2)
    doc.gap(6)
    body(doc, "为落实安全生产主体责任，明确双方的安全生产管理职责，防止和减少生产安全事故，依据"
              "{{ doc.basis|join(\"\") }}等法律法规和标准，甲乙双方本着平等、自愿、协商一致的原则，"
              "就{{ project.name }}的安全生产管理事项签订本协议。")
    heading(doc, "一、项目概况")
    body(doc, "（一）项目名称：{{ project.name }}（项目编号：{{ doc.project }}）。")
    body(doc, "（二）作业地点：{{ project.location }}。")
    body(doc, "（三）作业内容与范围：{{ doc.project_overview }}")
    body(doc, "（四）作业期限：自{{ project.period.start|cn_date }}至{{ project.period.end|cn_date }}。")
    heading(doc, "二、甲方安全责任")
    numbered(doc, "doc.enterprise_duties")
    heading(doc, "三、乙方安全责任")
    numbered(doc, "doc.contractor_duties")
    heading(doc, "四、安全投入")
    doc.tag("{%p if doc.safety_cost is not none %}")
    body(doc, "（一）本项目安全生产投入为人民币{{ doc.safety_cost|money }}元（大写：{{ doc.safety_cost|rmb_upper }}），"
              "专款专用，用于安全防护设施、个体防护装备、安全教育培训和应急救援等。")
    doc.tag("{%p else %}")
    body(doc, "（一）乙方应按国家有关规定提取和使用安全生产费用，专款专用，保证本项目安全生产条件所必需的资金投入。")
    doc.tag("{%p endif %}")
    doc.tag("{%p if doc.safety_deposit is not none %}")
    body(doc, "（二）乙方向甲方交纳安全保证金人民币{{ doc.safety_deposit|money }}元（大写：{{ doc.safety_deposit|rmb_upper }}），"
              "项目完工且未发生违约情形的，甲方如数退还。")
    doc.tag("{%p else %}")
    body(doc, "（二）本协议不设安全保证金。")
    doc.tag("{%p endif %}")
    heading(doc, "五、违约责任与奖惩")
    doc.tag("{%p if doc.penalties %}")
    numbered(doc, "doc.penalties")
    doc.tag("{%p else %}")
    body(doc, "任何一方违反本协议约定的，依照法律法规和合同约定承担相应责任。")
    doc.tag("{%p endif %}")
    heading(doc, "六、事故处理与责任")
    body(doc, "{{ doc.accident_handling }}")
    heading(doc, "七、协议期限与份数")
    body(doc, "（一）本协议期限自{{ doc.term.start|cn_date }}起至{{ doc.term.end|cn_date }}止；"
              "项目工期延长的，本协议期限相应顺延至项目完工验收。")
    body(doc, "（二）本协议一式{{ doc.copies|cn_num }}份，"
              "{% if doc.copies is divisibleby 2 %}甲乙双方各执{{ (doc.copies // 2)|cn_num }}份{% else %}由甲乙双方分别留存{% endif %}，"
              "具有同等法律效力。{% if doc.contract_no %}本协议是合同（编号：{{ doc.contract_no }}）的组成部分。{% endif %}")
    body(doc, "（三）本协议不免除或者减轻任何一方依法应当承担的安全生产责任；本协议未尽事宜，双方可签订补充协议。")
    body(doc, "（以下无正文）")
    contract_signatures(doc)
    return doc


# --- 三级安全教育登记卡 -----------------------------------------------------------------------------------------


def signature_cell(expr: str, name: str | None = None) -> list[P]:
    """A signature cell: the captured signature (PNG) when the record has one, else room to sign
    on paper; the printed name, when given, stays under it."""
    out = [P((f"{{% if {expr} %}}{{{{ {expr}.image }}}}{{% endif %}}",), align="center")]
    if name:
        out.append(P((f"（{name}）",), align="center"))
    return out


def build_training() -> Doc:
    """三级安全教育登记卡: trainee, then per level (公司级/车间级/班组级) the time, hours, content,
    assessment and the signatures of trainer and trainee, then the conclusion confirmed and signed
    by the 安全管理部门 — the record 安全生产法 第二十八条 asks for (time, content, participants,
    assessment), signed."""
    doc = Doc("三级安全教育登记卡", FORM_PAGE, Font("song", 10.5))
    title(doc, "三级安全教育登记卡", size=20, after=4)
    number_line(doc, "编号", "{{ doc.record_no }}")
    w = doc.page.text_width  # 172
    a = 26
    b = (w - 3 * a) / 3
    g = Grid(w)
    g.row(L("姓名", a), C("{{ doc.trainee.name }}", b, align="center"), L("性别", a),
          C("{{ calc.trainee_sex|default(\"／\") }}", b, align="center"), L("出生日期", a),
          C("{{ calc.trainee_birth|cn_date|default(\"／\") }}", b, align="center"), height=9)
    g.row(L("身份证号", a), C("{{ doc.trainee.id_number }}", a + 2 * b, align="center"), L("文化程度", a),
          C("{{ doc.trainee.education|default(\"／\") }}", b, align="center"), height=9)
    g.row(L("工种", a), C("{{ doc.trainee.trade }}", w - a - 44 - 20 - 34, align="center"), L("用工形式", 22),
          C("{{ doc.trainee.labour_type }}", 20, align="center"), L("入场日期", 22),
          C("{{ doc.trainee.entry_date|cn_date }}", 34, align="center"), height=9)
    dw = 56
    g.row(L("所在单位", a), C("{{ org.contractor.name }}", w - 2 * a - dw), L("车间/班组", a),
          C("{{ doc.trainee.department|default(\"／\") }}", dw, align="center"), height=9)
    pw = 38
    g.row(L("发包单位", a), C("{{ org.enterprise.name }}", w - 2 * a - pw), L("项目编号", a),
          C("{{ doc.project|default(\"／\") }}", pw, align="center"), height=9)
    lvw, lab, dates, hours_l, hours, exam_l = 16, 14, 50, 14, 12, 14
    exam = w - lvw - lab - dates - hours_l - hours - exam_l
    sig_l, trainer, trainee_l = 22, 44, 26
    trainee = w - lvw - sig_l - trainer - trainee_l
    g.tag("{%tr for lv in doc.levels %}")
    g.row(
        C(R("{{ lv.level }}", face="hei"), lvw, align="center", vmerge="restart"),
        L("时间", lab),
        C("{{ lv.start|cn_date }}{% if lv.end %}至{{ lv.end|cn_short_date }}{% endif %}", dates, align="center"),
        L("学时", hours_l), C("{{ lv.hours|num }}", hours, align="center"),
        L("考核", exam_l),
        C("{{ lv.score|num }}分，{{ '合格' if lv.passed else '不合格' }}{% if lv.exam_date %}（{{ lv.exam_date|cn_short_date }}）{% endif %}",
          exam, align="center"),
        height=8, keep=True,
    )
    g.row(C("", lvw, vmerge="continue"), L("内容", lab),
          C([P(("{{ lv.content|join('；') }}。",), align="both"),
             # an exam taken on a phone: what stands behind the score (the sealed record keeps every answer)
             tag("{%p if lv.exam %}"),
             P((R("在线考试：答对{{ lv.exam.correct }}/{{ lv.exam.questions }}道（{{ lv.exam.pass_score|num }}分合格），"
                  "{{ lv.exam.started_at|cn_time }}—{{ lv.exam.submitted_at|cn_time }}，编号{{ lv.exam.attempt }}", size=8),),
               keep_lines=True),
             tag("{%p endif %}")],
            w - lvw - lab), height=14, keep=True)
    g.row(C("", lvw, vmerge="continue"), L("培训人签字", sig_l),
          C(signature_cell("lv.trainer_signature", "{{ lv.trainer }}"), trainer, valign="bottom"),
          L("受教育人签字", trainee_l), C(signature_cell("lv.trainee_signature", "{{ doc.trainee.name }}"), trainee, valign="bottom"),
          height=15)
    g.tag("{%tr endfor %}")
    g.row(L("合计学时", a), C("{{ calc.total_hours|num }} 学时", w - a), height=8, keep=True)
    g.row(L("入场安全交底", a), C("{{ doc.site_briefing|default(\"／\") }}", w - a), height=12, keep=True)
    g.row(
        L("教育结论", a),
        C([P(("{{ ('合格' if doc.conclusion.passed else '不合格')|choices('合格', '不合格') }}"
              "　　　{{ ('准予上岗' if doc.conclusion.may_take_post else '不准上岗')|choices('准予上岗', '不准上岗') }}",))],
          w - a),
        height=9, keep=True,
    )
    conf_l = 30
    g.row(
        L("安全管理部门确认", a),
        C([P(("安全管理部门（盖章）",)), P(("确认人（签字）：",), before=4)], conf_l + 20, valign="top"),
        C([*signature_cell("doc.conclusion.confirmer_signature", "{{ doc.conclusion.confirmed_by }}"),
           P(("确认日期：{{ doc.conclusion.confirmed_on|cn_date }}",), align="right")], w - a - conf_l - 20, valign="bottom"),
        height=24,
    )
    doc.grid(g)
    doc.keep_previous(1)
    doc.p(R("注：依据《中华人民共和国安全生产法》第二十八条建立，记录教育培训的时间、内容、参加人员以及考核结果，"
            "培训人和受教育人逐级签字；承包单位劳务派遣、劳务分包和临时用工人员同等适用。", size=9), before=4, align="both")
    return doc


# --- 作业票 (GB 30871—2022 附录A) and 爆破作业许可单 ---------------------------------------------------------------


BOX_LABELS = {
    "监护人": "监护人签字",
    "当班班长验票": "动火前，岗位当班班长验票情况",
    "会签单位": "有关水、电、汽、工艺、设备、消防、安全等部门会签意见",
    "消防安全管理部门": "消防、安全管理部门意见",
    "公安机关": "公安机关意见",
}
LW = 28  # label width in the ticket tables


class Ticket:
    """One GB 30871 App. A form: bordered tables stacked without a gap — the header rows, the gas
    analysis (its own table, whose heading rows repeat on every page it runs onto), the safety
    measures (likewise), and the signed boxes from 安全交底 to 完工验收, kept together and with the
    last measure rows. Label cells fit their text (broken only between words); times sit under
    their dates in narrow columns."""

    def __init__(self, title_text: str, grade: str | None = None) -> None:
        self.doc = Doc(title_text, FORM_PAGE, Font("song", 10.5))
        self.w = self.doc.page.text_width
        title(self.doc, title_text, size=20, after=2)
        mark = f"【{{{{ doc.{grade} }}}}】" if grade else None
        number_line(self.doc, "编号", "{{ doc.ticket_no }}", left=mark)
        self.g = Grid(self.w)
        self.tables = 0

    def flush(self, keep: bool = False) -> None:
        """Emit the table built so far and start the next one right under it."""
        if self.g.rows:
            if self.tables:
                self.doc.add(P(("",), line=1, font=Font("song", 1), keep_next=keep))
            self.doc.grid(self.g)
            self.tables += 1
        self.g = Grid(self.w)

    # -- header rows
    def pair(self, l1: str, v1: str, l2: str, v2: str, height: float = 8) -> None:
        half = (self.w - 2 * LW) / 2
        self.g.row(L(l1, LW), C(v1, half), L(l2, LW), C(v2, half), height=height)

    def line(self, label: str, value: Any, height: float = 8, label_w: float = LW) -> None:
        self.g.row(L(label, label_w), C(value, self.w - label_w), height=height)

    def triple(self, cells: list[tuple[str, str]], height: float = 8) -> None:
        lw = 26
        vw = (self.w - 3 * lw) / 3
        out: list[C] = []
        for lab, val in cells:
            out += [L(lab, lw), C(val, vw)]
        self.g.row(*out, height=height)

    @staticmethod
    def names(expr: str, width: float) -> str:
        """A list of names for a cell ``width`` mm wide: lines end between names (the ``names`` filter)."""
        return f"{{{{ {expr}|names({width:.1f}) }}}}"

    def common_top(self) -> None:
        self.line("所在单位", "{{ org.enterprise.name }}")
        self.pair("作业单位", "{{ org.contractor.name }}", "项目编号", "{{ doc.project }}")

    def people(self, guardian: bool = True, workers: bool = True) -> None:
        if workers:
            self.line("作业人", self.names("doc.workers|map(attribute='name')", self.w - LW))
        if guardian:
            self.pair("作业负责人", "{{ doc.leader.name }}", "监护人", "{{ doc.guardian.name }}")

    def linked_and_risk(self) -> None:
        self.line("关联的其他特殊作业及安全作业票编号", "{{ doc.linked_tickets|join('、')|default('无', true) }}", label_w=LW * 2)
        self.line("风险辨识结果", "{{ doc.risk_identification|default('') }}", height=12)

    def period(self, label: str = "作业实施时间") -> None:
        self.line(label, "自{{ doc.valid_from|cn_datetime }}至{{ doc.valid_to|cn_datetime }}止"
                         "{% set st = doc.steps|signed('start') %}{% if st %}；{{ st.signed_at|cn_time }}开始作业，"
                         "{{ st.person.name }}{{ st.signature.small }}{% endif %}")

    def gas(self, standard: str | None = None, heading: str = "气体分析", condition: str | None = None) -> None:
        """The gas analysis as a table of its own: its heading rows repeat on a new page."""
        self.flush()
        if condition:
            self.doc.tag(f"{{%p if {condition} %}}")
        w = self.w
        small = Font("song", 9.5)
        cols = [("取样分析时间", 26), ("气体类别", 24), ("代表性气体", 28), ("分析部位", w - 26 - 24 - 28 - 32 - 18),
                ("分析结果", 32), ("分析人", 18)]
        self.g.row(L(heading, w), height=7, header=True)
        self.g.row(*[L(n, x, font=small) for n, x in cols], height=7, header=True)
        self.g.tag("{%tr for s in doc.gas_samples %}")
        self.g.row(
            C([P(("{{ s.taken_at|cn_short_date }}",), align="center"), P(("{{ s.taken_at|cn_time }}",), align="center")], 26,
              align="center", font=small),
            C("{{ s.kind }}", 24, align="center", font=small),
            C("{{ s.gas }}", 28, align="center", font=small),
            C("{{ s.location|default('／') }}", cols[3][1], align="center", font=small),
            C("{{ s.result|num }}{{ s.unit|unit }}{% if s.limit is not none %}（≤{{ s.limit|num }}）{% endif %}", 32,
              align="center", font=small),
            C("{% set sg = doc.steps|signed('gas', name=s.analyst, after=s.taken_at) %}{% if sg %}{{ sg.signature.small }}{% endif %}"
              "{{ s.analyst }}", 18, align="center", font=small),
        )
        self.g.tag("{%tr endfor %}")
        if standard:
            self.line("合格标准", standard)
        self.flush()
        if condition:
            self.doc.tag("{%p endif %}")

    def measures(self) -> None:
        self.flush()
        w = self.w
        n, who, inv = 12, 26, 20
        text = w - n - who - inv
        self.g.row(L("序号", n), L("安全措施", text), L("是否涉及", inv), L("确认人", who), height=7, header=True)
        self.g.tag("{%tr for m in doc.measures %}")
        self.g.row(C("{{ loop.index }}", n, align="center"), C("{{ m.text }}", text),
                   C("{{ m.involved|yesno }}", inv, align="center"), C("{{ m.confirmed_by|default('／') }}", who, align="center"))
        self.g.tag("{%tr endfor %}")
        self.g.row(C("{{ doc.measures|length + 1 }}", n, align="center"),
                   C("其他安全措施：{{ doc.other_measures|default('无') }}", text + inv + who), keep=True)

    def briefing(self, guardian_row: bool = False, keep: bool = False) -> None:
        half = (self.w - 2 * LW) / 2
        by = ("{% set sb = doc.steps|signed('measures') %}{% if sb %}{{ sb.signature.image }}{% endif %}"
              "{{ doc.briefing.by|default('') }}")
        # a ticket signed on a phone: each receiver's name with the signature he gave
        receivers = ("{% if doc.steps %}{% for r in doc.briefing.receivers %}{{ r }}"
                     "{% set sr = doc.steps|signed('briefed', name=r) %}{% if sr %}{{ sr.signature.small }}{% endif %}"
                     "{% if not loop.last %}、{% endif %}{% endfor %}{% else %}" + self.names("doc.briefing.receivers", half)
                     + "{% endif %}")
        self.g.row(L("安全交底人", LW), C(by, half), L("接受交底人", LW), C(receivers, half), height=8, keep=keep)
        if guardian_row:
            self.line("监护人", "{{ doc.guardian.name }}")

    def box(self, name: str) -> None:
        label = BOX_LABELS.get(name, f"{name}意见")
        var = "a"
        d = "|default('')"  # a ticket signed step by step prints its boxes before they are signed
        content = [
            P((f"{{% set {var} = doc.approvals|box('{name}') %}}{{{{ {var}.opinion|default('') }}}}",)),
            P((f"签字：{{% set sx = doc.steps|signed(box='{name}') %}}{{% if sx %}}{{{{ sx.signature.image }}}}{{% endif %}}"
               f"{{{{ {var}.name{d} }}}}　　{{{{ {var}.signed_at|cn_datetime|default('　　年　　月　　日　　时　　分') }}}}",),
              align="right"),
        ]
        self.g.row(L(label, LW), C(content, self.w - LW, valign="top"), height=14, keep=True)

    def completion(self) -> None:
        content = [
            P(("{{ doc.completion.opinion|default('') }}",)),
            P(("签字：{% set sc = doc.steps|signed('close') %}{% if sc %}{{ sc.signature.image }}{% endif %}"
               "{{ doc.completion.by|default('　　　　') }}　　"
               "{{ doc.completion.at|cn_datetime|default('　　年　　月　　日　　时　　分') }}",), align="right"),
        ]
        self.g.row(L("完工验收", LW), C(content, self.w - LW, valign="top"), height=14, keep=True)

    def sign_off(self, ticket_type: str, note: str, *, optional: tuple[str, ...] = (), lead: str | None = None) -> Doc:
        """The common end of every ticket: measures, briefing, one signature box per box the ticket's
        schema requires (``REQUIRED_BOXES``, so form and validation cannot drift apart), optional
        boxes, 完工验收 and the footnote — the boxes one block, kept with the last measures."""
        from schemas.tickets import TICKET_CLASSES

        self.flush()
        self.measures()  # the boxes go on in the same table: its last measure row keeps with them
        self.briefing(keep=True)
        for b in TICKET_CLASSES[ticket_type].REQUIRED_BOXES:
            self.box(b)
        for b in optional:
            self.box(b)
        self.completion()
        return self.finish(note) if lead is None else self.finish(note, lead=lead)

    def finish(self, note: str = "", lead: str = "注：本票一式三联，不得涂改，至少保存一年。") -> Doc:
        self.flush(keep=True)
        text = lead + note
        self.doc.p(R(text, size=9), before=3)
        step_photos(self.doc)
        return self.doc


def step_photos(doc: Doc) -> None:
    """The photos taken at the steps of a ticket signed on a phone, after a page break: one per
    row, the picture beside the step, who signed it, the camera's time and place (EXIF) and the
    server's time of the step. A paper ticket, or one whose steps took none, prints nothing."""
    photo_appendix(doc, "作业现场照片", when="doc.steps|selectattr('photos')|list", loops=("st in doc.steps", "ph in st.photos"),
                   notes=[
                       P(("{{ ph.caption }}",)),
                       P(("{{ st.step|step_name }}{% if st.box %}（{{ st.box }}）{% endif %}：{{ st.person.name }}签字",)),
                       P(("签字时间：{{ st.signed_at|cn_datetime }}",)),
                       P(("拍摄时间：{{ ph.taken_at|cn_datetime|default(\"／\") }}",)),
                       P(("{% if ph.latitude is not none and ph.longitude is not none %}拍摄位置：北纬{{ '%.5f'|format(ph.latitude) }}°，"
                          "东经{{ '%.5f'|format(ph.longitude) }}°{% else %}拍摄位置：／{% endif %}",)),
                   ])


#: the applicant's signature after the time of application (a ticket signed on a phone)
APPLIED_AT = ("{{ doc.applied_at|cn_datetime }}{% set sa = doc.steps|signed('apply') %}"
              "{% if sa %}　申请人：{{ sa.signature.small }}{% endif %}")


def numbered_people(listexpr: str, number_label: str) -> list[P]:
    """One line per person with the number the form exists to show, printed in full."""
    return [P((f"{{%p for p in {listexpr} %}}",)),
            P((f"{{{{ p.name }}}}　{number_label}：{{{{ p.certificate_no }}}}"
               "{% set sp = doc.steps|signed('briefed', name=p.name) %}{% if sp %}　{{ sp.signature.small }}{% endif %}",)),
            P(("{%p endfor %}",))]


def build_hot_work() -> Doc:
    t = Ticket("动火安全作业票", grade="grade")
    t.common_top()
    t.pair("作业申请单位", "{{ doc.applicant_unit }}", "作业申请时间", APPLIED_AT)
    t.line("作业内容", "{{ doc.content }}")
    t.line("动火地点及动火部位", "{{ doc.location }}；{{ doc.hot_spot }}", label_w=LW + 8)
    t.pair("动火作业级别", "{{ doc.grade|choices('特级', '一级', '二级') }}", "动火方式", "{{ doc.method }}")
    t.line("动火人及证书编号", numbered_people("doc.hot_workers", "证书编号"), label_w=LW + 8)
    t.pair("作业负责人", "{{ doc.leader.name }}", "监护人", "{{ doc.guardian.name }}")
    t.line("作业人", t.names("doc.workers|map(attribute='name')", t.w - LW))
    t.line("作业条件", "节假日/公休日：{{ doc.conditions.holiday|yesno }}　夜间：{{ doc.conditions.night|yesno }}　"
                     "风力：{% if doc.conditions.wind_force is not none %}{{ doc.conditions.wind_force }}级{% else %}／{% endif %}　"
                     "全程视频记录：{{ doc.video_recorded|yesno|default('／') }}")
    t.gas()
    t.linked_and_risk()
    t.period("动火作业实施时间")
    return t.sign_off("hot_work", "遇节假日、公休日、夜间或五级以上风，动火作业升级管理（GB 30871—2022 5.1.1）。")


def build_confined_space() -> Doc:
    t = Ticket("受限空间安全作业票")
    t.common_top()
    t.pair("作业申请单位", "{{ doc.applicant_unit }}", "作业申请时间", APPLIED_AT)
    t.line("受限空间名称", "{{ doc.space_name }}")
    t.line("受限空间内原有介质名称", "{{ doc.original_medium }}", label_w=LW + 8)
    t.pair("作业地点", "{{ doc.location }}", "作业内容", "{{ doc.content }}")
    t.pair("作业负责人", "{{ doc.leader.name }}", "监护人", "{{ doc.guardian.name }}")
    t.line("作业人", t.names("doc.workers|map(attribute='name')", t.w - LW))
    t.pair("通风措施", "{{ doc.ventilation }}", "照明电压",
           "{% if doc.lamp_voltage is not none %}{{ doc.lamp_voltage|num }} V{% else %}／{% endif %}"
           "{% if doc.wet_or_narrow %}（潮湿/狭小容器）{% endif %}")
    t.linked_and_risk()
    t.gas(standard="氧气含量 {{ settings.oxygen_min_pct|num }}%～{{ settings.oxygen_max_pct|num }}%（体积分数）；"
                   "可燃气体按 GB 30871—2022 5.3.2；有毒有害气体按 GBZ 2.1")
    t.period()
    return t.sign_off("confined_space", "作业前{{ settings.gas_sample_max_minutes|num }}分钟内检测，先通风、再检测、后作业；作业中每2小时记录一次。")


def drawing(t: Ticket, label: str, field: str, notes: list[str], by: str | None = None) -> None:
    """A drawing the form calls for, printed in place under its notes; without the picture the
    cell says so (validation warns)."""
    t.line(label, [
        *[P((x,)) for x in notes],
        P((f"{{% if doc.{field} %}}{{{{ doc.{field}.image }}}}{{% else %}}（未附图）{{% endif %}}",), align="center"),
        P((f"{{% if doc.{field} %}}图：{{{{ doc.{field}.caption }}}}{{% endif %}}",), align="center"),
        *([P((by,), align="right")] if by else []),
    ], height=20, label_w=LW)


def build_blind_plate() -> Doc:
    t = Ticket("盲板抽堵安全作业票")
    t.common_top()
    t.pair("申请单位", "{{ doc.applicant_unit }}", "作业申请时间", APPLIED_AT)
    t.line("作业类别", "{{ (doc.action ~ '盲板')|choices('堵盲板', '抽盲板') }}")
    t.pair("作业地点", "{{ doc.location }}", "作业内容", "{{ doc.content }}")
    w = t.w
    start_w = 26
    cols = [("设备、管道名称", 30), ("介质", 20), ("温度/℃", 18), ("压力/MPa", 20), ("盲板材质", 20), ("规格", 18),
            ("编号", w - 30 - 20 - 18 - 20 - 20 - 18 - start_w)]
    t.g.row(L("设备、管道名称", 30, vmerge="restart"), L("管道参数", 58), L("盲板参数", w - 30 - 58 - start_w),
            L("实际作业开始时间", start_w, vmerge="restart"), height=7)
    t.g.row(L("", 30, vmerge="continue"), L("介质", 20), L("温度/℃", 18), L("压力/MPa", 20), L("材质", 20), L("规格", 18),
            L("编号", cols[6][1]), L("", start_w, vmerge="continue"), height=7)
    t.g.row(C("{{ doc.equipment }}", 30, align="center"), C("{{ doc.medium }}", 20, align="center"),
            C("{{ doc.temperature_c|num }}", 18, align="center"), C("{{ doc.pressure_mpa|num }}", 20, align="center"),
            C("{{ doc.plate_material }}", 20, align="center"), C("{{ doc.plate_spec }}", 18, align="center"),
            C("{{ doc.plate_no }}", cols[6][1], align="center"),
            C([P(("{% if doc.actual_start %}{{ doc.actual_start|cn_short_date }}{% else %}　月　日{% endif %}",), align="center"),
               P(("{% if doc.actual_start %}{{ doc.actual_start|cn_time }}{% else %}　时　分{% endif %}",), align="center")],
              start_w, align="center"), height=10)
    drawing(t, "盲板位置图及编号", "diagram", ["盲板编号：{{ doc.plate_no }}"], by="编制人：{{ doc.diagram_by }}")
    t.pair("作业负责人", "{{ doc.leader.name }}", "监护人", "{{ doc.guardian.name }}")
    t.line("作业人", t.names("doc.workers|map(attribute='name')", t.w - LW))
    t.linked_and_risk()
    t.period()
    return t.sign_off("blind_plate", "同一盲板的抽、堵作业应分别办理作业票，一张作业票只能进行一块盲板的一项作业。")


def build_work_at_height() -> Doc:
    t = Ticket("高处安全作业票", grade="grade")
    t.common_top()
    t.pair("作业申请单位", "{{ doc.applicant_unit }}", "作业申请时间", APPLIED_AT)
    t.pair("作业地点", "{{ doc.location }}", "作业内容", "{{ doc.content }}")
    t.pair("作业高度", "{{ doc.height_m|num }} m", "高处作业级别", "{{ doc.grade|choices('Ⅰ级', 'Ⅱ级', 'Ⅲ级', 'Ⅳ级') }}")
    t.line("客观危险因素", "{{ doc.objective_hazards|join('；')|default('无', true) }}")
    t.pair("作业负责人", "{{ doc.leader.name }}", "监护人", "{{ doc.guardian.name }}")
    t.line("作业人", t.names("doc.workers|map(attribute='name')", t.w - LW))
    t.linked_and_risk()
    t.period()
    return t.sign_off("work_at_height", "高处作业票有效期最长7天；作业中断后再次作业前应重新确认环境条件和安全措施。")


def build_lifting() -> Doc:
    t = Ticket("吊装安全作业票", grade="grade")
    t.common_top()
    t.pair("作业申请单位", "{{ doc.applicant_unit }}", "作业申请时间", APPLIED_AT)
    t.triple([("吊装地点", "{{ doc.location }}"), ("吊具名称", "{{ doc.rigging }}"), ("吊物内容", "{{ doc.load_description }}")], height=10)
    t.line("吊装作业人", t.names("doc.workers|map(attribute='name')", t.w - LW))
    t.pair("司索人", t.names("doc.riggers|map(attribute='name')", (t.w - 2 * LW) / 2), "监护人", "{{ doc.guardian.name }}")
    t.pair("指挥人员", "{{ doc.commander.name }}", "吊物质量(t)及作业级别",
           "{{ doc.load_t|num }} t；{{ doc.grade|choices('一级', '二级', '三级') }}")
    t.pair("作业内容", "{{ doc.content }}", "作业负责人", "{{ doc.leader.name }}")
    t.line("吊装作业方案", "{{ doc.plan_ref|default('／') }}")
    t.linked_and_risk()
    t.period()
    return t.sign_off("lifting", "大雪、暴雨、大雾、六级及以上大风时不应露天吊装（GB 30871—2022 9.2.4）。")


def build_temporary_power() -> Doc:
    t = Ticket("临时用电安全作业票")
    t.common_top()
    t.pair("申请单位", "{{ doc.applicant_unit }}", "作业申请时间", APPLIED_AT)
    t.pair("作业地点", "{{ doc.location }}", "作业内容", "{{ doc.content }}")
    t.pair("电源接入点及许可用电功率", "{{ doc.access_point }}；{{ doc.permitted_kw|num }} kW", "工作电压", "{{ doc.voltage_v|num }} V")
    t.pair("用电设备名称及额定功率", "{{ doc.equipment }}", "监护人", "{{ doc.guardian.name }}")
    t.line("火灾爆炸危险场所", "{{ doc.in_fire_area|yesno }}{% if doc.special_period %}（特殊情况延长用电期限）{% endif %}")
    t.line("作业人及电工证号", numbered_people("doc.workers", "电工证号"), label_w=LW + 8)
    t.pair("作业负责人", "{{ doc.leader.name }}", "电工证号", "{{ doc.leader.certificate_no }}")
    t.linked_and_risk()
    t.gas(heading="可燃气体分析（运行的生产装置、罐区和具有火灾爆炸危险场所）", condition="doc.gas_samples")
    t.period()
    return t.sign_off("temporary_power", "临时用电时间一般不超过{{ settings.temporary_power_max_days|num }}天，"
                      "特殊情况不应超过{{ settings.temporary_power_max_days_special|num }}天（GB 30871—2022 10.8）。")


def build_excavation() -> Doc:
    t = Ticket("动土安全作业票")
    t.common_top()
    t.pair("申请单位", "{{ doc.applicant_unit }}", "作业申请时间", APPLIED_AT)
    t.pair("作业地点", "{{ doc.location }}", "作业内容", "{{ doc.content }}")
    t.pair("作业负责人", "{{ doc.leader.name }}", "监护人", "{{ doc.guardian.name }}")
    t.line("作业人", t.names("doc.workers|map(attribute='name')", t.w - LW))
    t.linked_and_risk()
    drawing(t, "作业范围、内容、方式（包括深度、面积，并附简图）", "sketch", [
        "作业方式：{{ doc.method }}；深度：{{ doc.depth_m|num }} m；面积：{{ doc.area_m2|num }} m²。",
        "地下管线/电缆：{{ doc.underground_lines|yesno }}；有毒有害/易燃介质管线：{{ doc.toxic_or_flammable_lines|yesno }}。",
        "简图说明：{{ doc.sketch_note }}",
    ])
    t.period()
    return t.sign_off("excavation", "挖掘深度超过1.2 m且有易燃易爆、有毒有害介质管线的，还应执行受限空间作业规定（GB 30871—2022 11.10）。")


def build_road_closure() -> Doc:
    t = Ticket("断路安全作业票")
    t.common_top()
    t.pair("申请单位", "{{ doc.applicant_unit }}", "作业申请时间", APPLIED_AT)
    t.line("涉及相关单位（部门）", "{{ doc.related_units|join('、')|default('无', true) }}", label_w=LW + 8)
    t.pair("作业负责人", "{{ doc.leader.name }}", "监护人", "{{ doc.guardian.name }}")
    t.line("作业人", t.names("doc.workers|map(attribute='name')", t.w - LW))
    t.pair("作业地点", "{{ doc.location }}", "作业内容", "{{ doc.content }}")
    t.line("断路原因", "{{ doc.reason }}")
    t.linked_and_risk()
    drawing(t, "断路地段示意图及相关说明", "diagram", ["断路地段：{{ doc.section }}", "说明：{{ doc.diagram_note }}"])
    t.period()
    return t.sign_off("road_closure", "断路作业应保证消防车和其他重要车辆的通行（GB 30871—2022 12.1）。")


def build_blasting() -> Doc:
    t = Ticket("爆破作业许可单")
    t.common_top()
    t.pair("申请单位", "{{ doc.applicant_unit }}", "申请时间", APPLIED_AT)
    t.line("爆破作业单位许可证", "{{ doc.unit_licence_no }}（有效期至{{ doc.unit_licence_valid_to|cn_date }}）", label_w=LW + 8)
    t.pair("作业地点", "{{ doc.location }}", "作业内容", "{{ doc.content }}")
    t.pair("爆破设计/方案编号", "{{ doc.design_ref }}", "安全评估报告编号", "{{ doc.safety_assessment_ref|default('／') }}")
    t.line("公安机关审批文号", "{{ doc.approval_no|default('不涉及（非城市、风景名胜区和重要工程设施附近）') }}")
    t.triple([("炸药用量", "{{ doc.explosive_kg|num }} kg"), ("雷管数量", "{{ doc.detonators }} 发"),
              ("警戒范围", "{{ doc.warning_radius_m|num }} m")])
    t.line("爆破作业人员及许可证编号", numbered_people("doc.blasters", "许可证编号"), label_w=LW + 8)
    t.pair("作业负责人", "{{ doc.leader.name }}", "安全员/监护人", "{{ doc.guardian.name }}")
    t.line("作业人", t.names("doc.workers|map(attribute='name')", t.w - LW))
    t.linked_and_risk()
    t.period("爆破作业时间")
    t.pair("起爆时间", "{% if doc.detonation_at %}{{ doc.detonation_at|cn_datetime }}{% else %}／{% endif %}",
           "解除警戒时间", "{% if doc.all_clear_at %}{{ doc.all_clear_at|cn_datetime }}{% else %}／{% endif %}")
    t.line("爆后检查及盲炮处理", "{{ doc.post_blast_check|default('／') }}")
    return t.sign_off("blasting", "依据《民用爆炸物品安全管理条例》第三十一条至第三十五条和 GB 6722《爆破安全规程》；"
                                  "爆破作业单位和爆破作业人员须持公安机关核发的许可证。",
                      optional=("公安机关",), lead="注：本许可单不得涂改，与爆破设计、安全评估报告一并存档。")


# --- 执法文书 (2017 式样, 应急 prefix) ------------------------------------------------------------------------------


ENF = Font("body", 14)


def enf_head(doc: Doc, authority: str, name: str, number: str = "{{ doc.doc_no }}", size: float = 24) -> None:
    """Authority, document name (title face) and the document number on the right."""
    doc.p(R(authority, face="title", size=18), align="center", line=30)
    doc.p(R(name, face="title", size=size), align="center", line=36, after=4)
    doc.p(number, align="right", line=28, after=10)


def enf_body(doc: Doc, *parts: R | str, **kw: Any) -> None:
    kw.setdefault("first_line", 2)
    kw.setdefault("align", "both")
    doc.p(*parts, line=27, **kw)


def _zone(doc: Doc) -> Grid:
    """The signature zone of an enforcement form (officers, the unit's signer, seal and date): one
    borderless table whose rows keep together and with the last lines of the text above."""
    zone = getattr(doc, "zone", None)
    if zone is None:
        doc.keep_previous(2)
        zone = doc.zone = Grid(doc.page.text_width, doc.font, borders=False)
    return zone


def _end_zone(doc: Doc) -> None:
    zone = getattr(doc, "zone", None)
    if zone is not None:
        doc.grid(zone)
        doc.zone = None


def inspectors_sign(doc: Doc, label: str = "应急管理行政执法人员（签名）：") -> None:
    """One line per officer: name and 执法证号, the label on the first line only."""
    w = doc.page.text_width
    g = _zone(doc)
    g.tag("{%tr for i in doc.inspectors %}")
    g.row(C("{% if loop.first %}" + label + "{% endif %}", 78), C([P((U("　{{ i.name }}　"),))], 28, align="center"),
          C([P(("证号：", U("{{ i.cert_no }}")))], w - 106), height=9, keep=True)
    g.tag("{%tr endfor %}")


def signer_line(doc: Doc, label: str, expr: str, with_date: bool = True) -> None:
    """``被检查单位负责人（签名）：____   年  月  日`` (the date is written by hand on receipt)."""
    w = doc.page.text_width
    _zone(doc).row(C(label, 78), C([P((U("　" + expr + "　"),))], 30, align="center"),
                   C("　　年　　月　　日" if with_date else "", w - 108, align="right"), height=9, keep=True)


def zone_date(doc: Doc, date_expr: str, copies: str) -> None:
    """The date at the right under the signatures (a record without a seal), then the copies note
    (``copies``, see copies_note) as the zone's last row."""
    _zone(doc).row(C([P((date_expr,), align="right", line=28, right_indent=2, before=10)], doc.page.text_width), keep=True)
    _copies_row(doc, copies)
    _end_zone(doc)


def seal_block(doc: Doc, authority: str, date_expr: str, copies: str, lines: tuple[P, ...] = ()) -> None:
    """Seal, authority and date at the right, in the signature zone (kept with what is above),
    then ``lines`` (a notice's address and contact person) and the copies note (``copies``, see
    copies_note), each a row of the zone: the rows keep together, so nothing of the end of the
    form is left alone on a page."""
    zone = _zone(doc)
    w = doc.page.text_width
    zone.row(C([P(("{% if images.authority_seal %}{{ images.authority_seal }}{% endif %}",), align="right", right_indent=4),
                P((f"{authority}（印章）",), align="right", line=28, right_indent=2, before=6),
                P((date_expr,), align="right", line=28, right_indent=2)], w), keep=True)
    for line in lines:
        zone.row(C([line], w), keep=True)
    _copies_row(doc, copies)
    _end_zone(doc)


def copies_note(who: str) -> str:
    """The copies note of an enforcement form (the last row of its signature zone)."""
    return f"本文书一式两份：一份由应急管理部门备案，一份交{who}。"


def _copies_row(doc: Doc, text: str) -> None:
    """The copies note under a rule, as the last row of the signature zone: a paragraph after the
    zone's table was left alone on a new page when it did not fit (LibreOffice keeps a table's
    rows together, not a table with the paragraph after it)."""
    _zone(doc).row(C([P((R(text, size=12),), border_top=True, before=12, line=22)], doc.page.text_width))


def build_order() -> Doc:
    doc = Doc("责令限期整改指令书", ENFORCEMENT_PAGE, ENF)
    enf_head(doc, "{{ doc.authority_name }}", "责令限期整改指令书")
    doc.p(U("{{ org.unit.name }}"), "：", line=28)
    enf_body(doc, "经{{ doc.inspected_on|cn_date }}现场检查"
                  "{% if doc.inspection_ref %}（现场检查记录{{ doc.inspection_ref }}）{% endif %}，你单位存在下列问题：")
    doc.tag("{%p for it in doc.items %}")
    enf_body(doc, "{{ loop.index }}．", U("{{ it.text|strip_period }}{% if it.basis %}（{{ it.basis|breach }}）{% endif %}"
                                           "{% if it.major_hazard and it.criterion %}（依据{{ it.criterion|strip_period }}判定为重大事故隐患）{% endif %}"
                                           "{% if calc.item_contractors[loop.index0] %}（涉及承包单位："
                                           "{{ calc.item_contractors[loop.index0] }}）{% endif %}。"),
             "{% if it.requirement %}整改要求：{{ it.requirement|ensure_period }}{% endif %}")
    doc.tag("{%p endfor %}")
    doc.tag("{%p if calc.major_items %}")
    enf_body(doc, "其中第{{ calc.major_items }}项属于重大事故隐患。")
    doc.tag("{%p endif %}")
    doc.tag("{%p if doc.contractor %}")
    enf_body(doc, "上述问题涉及承包单位{{ org.contractor.name|default(doc.contractor) }}{% if doc.project %}（项目编号：{{ doc.project }}）{% endif %}。")
    doc.tag("{%p endif %}")
    enf_body(doc, "依据{{ doc.legal_basis }}的规定，现责令你单位"
                  "{% for g in calc.deadline_groups %}对上述第", U("{{ g.items }}"), "项问题于", U("{{ g.deadline|cn_date }}"),
             "前整改完毕{% if not loop.last %}；{% endif %}{% endfor %}，达到有关法律法规规章和标准规定的要求。"
             "由此造成事故的，依法追究有关人员的责任。")
    enf_body(doc, "整改期间，你单位应当采取措施，确保安全生产。对安全生产违法行为，将依法予以行政处罚。")
    enf_body(doc, "如果不服本指令，可以依法在{{ settings.review_days|cn_num }}日内向", U("{{ calc.review_authority }}"),
             "申请行政复议，或者在{{ settings.litigation_months|cn_num }}个月内依法向人民法院提起行政诉讼，"
             "但本指令不停止执行，法律另有规定的除外。")
    doc.gap(10)
    inspectors_sign(doc)
    signer_line(doc, "被检查单位负责人（签名）：", "{{ doc.unit_head|default('　　　　') }}")
    seal_block(doc, "{{ doc.authority_name }}", "{{ doc.issued_on|cn_date }}", copies_note("被检查单位"))
    photo_appendix(doc, "隐患照片")
    return doc


def build_review() -> Doc:
    doc = Doc("整改复查意见书", ENFORCEMENT_PAGE, ENF)
    enf_head(doc, "{{ doc.authority_name }}", "整改复查意见书")
    doc.p(U("{{ org.unit.name }}"), "：", line=28)
    enf_body(doc, "本机关于", U("{{ doc.order_issued_on|cn_date }}"), "作出了责令限期整改的决定（", U("{{ doc.order_doc_no }}"),
             "），经于", U("{{ doc.reviewed_on|cn_date }}"), "对你单位整改情况进行复查，提出如下意见：")
    doc.tag("{%p for it in doc.items %}")
    enf_body(doc, "原指令书第{{ it.item }}项：", U("{{ it.result }}{% if it.note %}，{{ it.note|strip_period }}{% endif %}。"))
    doc.tag("{%p endfor %}")
    enf_body(doc, U("{{ doc.opinion|ensure_period }}"))
    doc.tag("{%p if doc.contractor %}")
    enf_body(doc, "（涉及承包单位：{{ org.contractor.name|default(doc.contractor) }}{% if doc.project %}，项目编号：{{ doc.project }}{% endif %}）")
    doc.tag("{%p endif %}")
    doc.gap(10)
    signer_line(doc, "被复查单位负责人（签名）：", "{{ doc.unit_head|default('　　　　') }}")
    inspectors_sign(doc)
    seal_block(doc, "{{ doc.authority_name }}", "{{ doc.reviewed_on|cn_date }}", copies_note("被复查单位"))
    photo_appendix(doc, "复查照片")
    return doc


def build_inspection() -> Doc:
    doc = Doc("现场检查记录", ENFORCEMENT_PAGE, ENF)
    enf_head(doc, "{{ org.bureau.name }}", "现场检查记录")
    doc.p("被检查单位：", U("{{ org.unit.name }}"), line=28)
    doc.p("地址：", U("{{ doc.unit_address }}"), line=28)
    doc.p("法定代表人（负责人）：", U("{{ doc.unit_head.name }}"), "　职务：", U("{{ doc.unit_head.title }}"), line=28)
    doc.p("联系电话：", U("{{ doc.unit_head.phone|default('／') }}"), line=28)
    doc.p("检查场所：", U("{{ doc.place }}"), line=28)
    doc.tag("{%p if doc.contractor or doc.project %}")
    doc.p("涉及承包单位/项目：", U("{% if doc.contractor %}{{ org.contractor.name|default(doc.contractor) }}{% endif %}"
                              "{% if doc.project %}（项目编号：{{ doc.project }}）{% endif %}"), line=28)
    doc.tag("{%p endif %}")
    doc.p("检查时间：", U("{{ doc.time_from|cn_datetime }}"), "至", U("{{ doc.time_to|cn_short }}"), line=28)
    enf_body(doc, "我们是", U("{{ org.bureau.name }}"), "行政执法人员",
             U("{{ doc.inspectors|map(attribute='name')|join('、') }}"), "，证件号码为",
             U("{{ doc.inspectors|map(attribute='cert_no')|join('、') }}"),
             "，这是我们的证件（出示证件）。现依法对你单位进行现场检查，请予以配合。")
    enf_body(doc, "检查情况：", U("{{ doc.situation|ensure_period }}"), first_line=0)
    doc.tag("{%p if doc.findings %}")
    enf_body(doc, "发现的问题：", first_line=0)
    doc.tag("{%p endif %}")
    doc.tag("{%p for f in doc.findings %}")
    enf_body(doc, "{{ loop.index }}．", U("{{ f.text|strip_period }}{% if f.basis %}（{{ f.basis|breach }}）{% endif %}"
                                         "{% if f.major_hazard %}【重大事故隐患{% if f.criterion %}，判定依据：{{ f.criterion }}{% endif %}】{% endif %}。"))
    doc.tag("{%p endfor %}")
    doc.gap(10)
    inspectors_sign(doc, "检查人员（签名）：")
    signer_line(doc, "被检查单位现场负责人（签名）：", "{{ doc.unit_signer|default('　　　　') }}")
    zone_date(doc, "{{ doc.time_to|cn_date }}", copies_note("被检查单位"))
    photo_appendix(doc, "现场照片")
    return doc


# --- record sheets (campaign data and registry entities): one layout, generated per type ----------------------------


SHEET_SKIP = {"public_key"}  # a PEM block is no use on paper; the fingerprint is shown
LONG_HINTS = ("描述", "经过", "措施", "内容", "问题", "情况", "说明", "概况", "范围", "地址", "指纹", "账户", "名称")


def _value_expr(cls: type, name: str, info: Any) -> str:
    from archive.documents.context import org_fields
    from archive.documents.filters import CODE_LABELS

    target = info.item if info.is_list else info.type
    if get_origin(target) is Literal and set(get_args(target)) & set(CODE_LABELS):
        return f"{{{{ doc.{name}|cn_label }}}}"
    if name in org_fields(cls):
        return f"{{% if org.{name} %}}{{{{ org.{name}.name }}}}（{{{{ doc.{name} }}}}）{{% else %}}{{{{ doc.{name}|show }}}}{{% endif %}}"
    return f"{{{{ doc.{name}|show }}}}"


def _column_width(info: Any) -> float | None:
    """A sub-table column wide enough for what it holds (mm at 9 pt), None = share the rest."""
    from datetime import date, datetime

    label = info.spec.label or ""
    t = info.type
    if t is datetime:
        return 34
    if t is date:
        return 27
    if t is bool:
        return 14
    if t in (int, float):
        return 16
    if t is str and (label.endswith(("编号", "证号", "号码")) or info.spec.sensitive):
        return 38
    return None


def _sub_widths(subs: list[Any], w: float, size: float) -> list[float]:
    """Column widths of a sub-table: each at least its longest label word and what its values
    need (dates, numbers), the rest shared by the text columns, the whole scaled to ``w``."""
    from archive.documents.layout import jieba_for_forms
    from doc_templates.dsl import CELL_PADDING_MM, text_width_mm

    jieba = jieba_for_forms()

    need = []
    for s in subs:
        words = list(jieba.cut(s.spec.label or s.name, HMM=False))
        need.append(max(_column_width(s) or 0, max(text_width_mm(x, size) for x in words) + CELL_PADDING_MM + 0.5, 12))
    free = [i for i, s in enumerate(subs) if _column_width(s) is None]
    spare = w - sum(need)
    if spare > 0:
        share = free or list(range(len(subs)))
        for i in share:
            need[i] += spare / len(share)
    total = sum(need)
    return [x * w / total for x in need]


def build_sheet(cls: type, sheet_title: str) -> Doc:
    """The record sheet of a type without a designed form: label/value rows in two columns, long
    values across the page, each list of records as a sub-table with its heading row, and the
    recorder's and reviewer's signature row at the foot, kept with the last rows."""
    from schemas.base import field_infos
    from schemas.common import IMAGE_CLASSES, Photo

    doc = Doc(sheet_title, FORM_PAGE, Font("song", 10.5))
    title(doc, sheet_title, size=20, after=2)
    number_field = cls.__case__.number
    number_label = next((i.spec.label for i in field_infos(cls) if i.name == number_field), "") or "编号"
    number_line(doc, number_label, "{{ calc.doc_no }}")
    w = doc.page.text_width
    lw = 30
    half = (w - 2 * lw) / 2
    g = Grid(w)
    pending: list[tuple[str, str]] = []
    tables: list[Any] = []

    def flush() -> None:
        while pending:
            (l1, v1), rest = pending[0], pending[1:]
            if rest:
                (l2, v2) = rest[0]
                g.row(L(l1, lw), C(v1, half), L(l2, lw), C(v2, half), height=8)
                del pending[:2]
            else:
                g.row(L(l1, lw), C(v1, w - lw), height=8)
                del pending[:1]

    for info in field_infos(cls):
        if info.name in SHEET_SKIP:
            continue
        label = info.spec.label or info.name
        target = info.item if info.is_list else info.type
        if info.is_list and dataclasses.is_dataclass(target):
            tables.append((info, target, label))
            continue
        long = (
            (target is str and any(h in label for h in LONG_HINTS))
            or info.is_list
            or dataclasses.is_dataclass(target)
        )
        value = _value_expr(cls, info.name, info)
        if long:
            flush()
            g.row(L(label, lw), C(value, w - lw), height=10)
        else:
            pending.append((label, value))
    flush()
    small = Font("song", 9)
    for info, item_cls, label in tables:
        if item_cls in IMAGE_CLASSES:
            continue
        doc.grid(g)
        doc.add(P(("",), line=1, font=Font("song", 1)))
        g = Grid(w)
        subs = list(field_infos(item_cls))
        if len(subs) <= 4:  # a narrow record: one row per item under a heading row
            widths = _sub_widths(subs, w, small.size)
            g.row(L(label, w, font=Font("hei", 10.5)), height=7, header=True)
            g.row(*[L(s.spec.label or s.name, cw, font=small) for s, cw in zip(subs, widths)], height=7, header=True)
            g.tag(f"{{%tr for x in doc.{info.name} %}}")
            g.row(*[C(f"{{{{ x.{s.name}|show }}}}", cw, align="center", font=small) for s, cw in zip(subs, widths)], height=7,
                  keep="loop.last")
            g.tag("{%tr endfor %}")
        else:  # a wide record: each item a block of label/value rows, so that no value is squeezed
            g.row(L(label, w, font=Font("hei", 10.5)), height=7, header=True)
            g.tag(f"{{%tr for x in doc.{info.name} %}}")
            g.row(C(f"{label}（{{{{ loop.index }}}}）", w, font=Font("hei", 10.5)), height=7, keep=True)
            rows = [subs[i:i + 2] for i in range(0, len(subs), 2)]
            for k, pair in enumerate(rows):
                last = k == len(rows) - 1
                cells: list[C] = []
                for s in pair:
                    vw = half if len(pair) == 2 else w - lw
                    cells += [L(s.spec.label or s.name, lw), C(f"{{{{ x.{s.name}|show }}}}", vw)]
                g.row(*cells, height=8, keep="loop.last" if last else True)
            g.tag("{%tr endfor %}")
        g.tag(f"{{%tr if not doc.{info.name} %}}")
        g.row(C("无", w, align="center"), height=7, keep=True)
        g.tag("{%tr endif %}")
    doc.grid(g)
    doc.add(P(("",), line=1, font=Font("song", 1), keep_next=True))
    doc.keep_previous(1)
    s = Grid(w, keep_together=True)
    s.row(L("记录人（签字）", 30), C("", 34), L("审核人（签字）", 30), C("", 34), L("日期", 14), C("　年　月　日", w - 142, align="right"),
          height=12)
    doc.grid(s)
    if any(i.item is Photo for i, _, _ in tables):
        photo_appendix(doc, "照片")
    return doc
