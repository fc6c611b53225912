"""Excel rosters in and out: safety offices keep contractors, people and projects in workbooks.

    write_template("persons", Path("人员名册.xlsx"))          # headers = the schema's labels, an example row,
                                                            # drop-down lists for every choice field
    result = import_xlsx(archive, Path("人员名册.xlsx"), "persons")            # all rows or nothing
    result = import_xlsx(archive, path, "persons", skip_bad_rows=True)         # the good rows; bad ones reported

Every row is validated by the same schemas and rules as a YAML case file (``schemas.load``) and its
references are resolved against the archive (an employer must be registered before its people, a
project's people before the project), so a row is good in Excel exactly when it would be good as a
file. Each problem names the sheet, the Excel row, the column (letter and header) and the message.
Nothing is imported when any row is wrong, unless ``skip_bad_rows`` — then the good rows go in and
the skipped ones are listed. Good rows go through the normal registry path (``Archive.add_files``:
sealed, ledgered, a changed row becomes a new version).

Layout of a workbook: one main sheet (one row per contractor / person / project) and, for the list
fields, one sheet per list keyed by the main sheet's key column (资质与许可 by 统一社会信用代码,
证书 by 身份证号, 作业人员名册 by 项目编号). Row 1 holds the headers (a ``*`` marks a required
column), row 2 the example (its 序号 cell says 示例; it is never imported). Several values in one
cell (岗位角色, 作业内容, 涉及的危险作业) are separated by 、 or a comma. Dates are Excel dates or
YYYY-MM-DD text; 身份证号 and codes must be text (the template formats those columns as text).
"""

from __future__ import annotations

import dataclasses
import io
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from archive.errors import Problem, ValidationFailed
from archive.packages.paths import check_zip_sizes
from archive.settings import Settings
from archive.text import Note
from schemas import dump_yaml
from schemas.base import field_infos
from schemas.common import TICKET_TYPE_NAMES
from schemas.registry import Organization, Person, Project
from storage.home import output_folder, write_output

EXAMPLE_MARK = "示例"
SEP = re.compile(r"\s*[、,，;；]\s*")
TICKET_CODES = {v: k for k, v in TICKET_TYPE_NAMES.items()}


@dataclass(frozen=True)
class ChildSpec:
    field: str  # list field of the main record, e.g. "qualifications"
    sheet: str
    key_header: str  # the column naming the main record, e.g. 统一社会信用代码


@dataclass(frozen=True)
class KindSpec:
    kind: str
    cls: type
    sheet: str
    key: str  # field path of the main record's key
    fixed: tuple[tuple[str, Any], ...] = ()  # values set for every row (e.g. role: contractor)
    skip: tuple[str, ...] = ()  # fields not offered in the workbook
    children: tuple[ChildSpec, ...] = ()
    example: dict = field(default_factory=dict)
    child_examples: dict = field(default_factory=dict)


KINDS: dict[str, KindSpec] = {
    "contractors": KindSpec(
        "contractors", Organization, "承包单位", "uscc", fixed=(("role", "contractor"),),
        skip=("role", "public_key", "key_fingerprint", "region_abbr", "bank_account", "industry"),
        children=(ChildSpec("qualifications", "资质与许可", "统一社会信用代码"),),
        example={"uscc": "91370112MA3F7R1K8F", "name": "山东恒安设备安装工程有限公司", "short_name": "恒安安装",
                 "address": "山东省济南市历城区工业北路207号", "postcode": "250100", "legal_representative": "马立群",
                 "principal_person": "马立群", "safety_manager": "孙丽", "phone": "0531-88021735", "headcount": 146,
                 "safety_department": True, "full_time_safety_staff": 4, "work_injury_insurance": True},
        child_examples={"qualifications": {"kind": "安全生产许可证", "number": "（鲁）JZ安许证字〔2024〕010583",
                                           "issuer": "山东省住房和城乡建设厅", "scope": "建筑施工",
                                           "valid_from": date(2024, 6, 12), "valid_to": date(2027, 6, 11)}},
    ),
    "persons": KindSpec(
        "persons", Person, "人员", "id_number",
        children=(ChildSpec("certificates", "证书", "身份证号"),),
        example={"name": "周海涛", "id_number": "370124198401300511", "employer": "91370112MA3F7R1K8F", "roles": ["特种作业人员"],
                 "trade": "电焊工", "education": "初中", "entry_date": date(2026, 4, 10), "labour_type": "正式员工",
                 "phone": "13053175528", "work_injury_insurance": True},
        child_examples={"certificates": {"kind": "特种作业操作证", "category": "焊接与热切割作业（熔化焊接与热切割作业）",
                                         "number": "370124198401300511", "issuer": "济南市应急管理局", "issued": date(2024, 11, 6),
                                         "expires": date(2030, 11, 5), "next_review": date(2027, 11, 5)}},
    ),
    "projects": KindSpec(
        "projects", Project, "外包项目", "code",
        children=(ChildSpec("workers", "作业人员名册", "项目编号"),),
        example={"code": "HR-WB-2026-001", "name": "铸造车间中频炉及行车设备检修工程", "enterprise": "91370100MA3C8K2P9L",
                 "contractor": "91370112MA3F7R1K8F", "category": "外包", "work_content": ["检修"],
                 "location": "铸造车间熔炼工部", "period": {"start": date(2026, 4, 10), "end": date(2026, 7, 31)},
                 "has_project_department": True, "manager": {"name": "赵志刚", "id_number": "371102198006210359", "title": "项目经理"},
                 "safety_officer": {"name": "孙丽", "id_number": "370105198804090265", "title": "专职安全员"},
                 "dangerous_work": ["hot_work", "lifting"], "status": "施工中"},
        child_examples={"workers": {"name": "周海涛", "id_number": "370124198401300511", "title": "电焊工"}},
    ),
}


# --- columns from the schema ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    path: str  # field path in the record, e.g. "period.start"
    header: str  # e.g. 约定工期·开始日期
    required: bool
    kind: str  # "text" | "date" | "datetime" | "int" | "float" | "bool" | "choice" | "multi"
    choices: tuple[str, ...] = ()
    help: str = ""

    @property
    def title(self) -> str:
        return self.header + ("*" if self.required else "")


def _choices(t: Any) -> tuple[str, ...]:
    return tuple(str(x) for x in get_args(t)) if get_origin(t) is Literal else ()


def _scalar_kind(t: Any) -> str:
    if get_origin(t) is Literal:
        return "choice"
    return {str: "text", date: "date", datetime: "datetime", int: "int", float: "float", bool: "bool"}.get(t, "text")


def columns_of(cls: type, *, skip: tuple[str, ...] = (), prefix: str = "", label_prefix: str = "", required: bool = True) -> list[Column]:
    """The flat columns of ``cls`` (nested records as 标签·子标签); list-of-record fields are left out."""
    out: list[Column] = []
    for info in field_infos(cls):
        if info.name in skip:
            continue
        path = f"{prefix}{info.name}"
        label = info.spec.label or info.name
        req = required and info.required
        if info.is_list:
            if dataclasses.is_dataclass(info.item):
                continue
            ch = _choices(info.item)
            if info.name == "dangerous_work":
                ch = tuple(TICKET_TYPE_NAMES[c] for c in ch)
            out.append(Column(path, f"{label_prefix}{label}", req and info.spec.min_items > 0, "multi", ch,
                              "多个值用“、”分隔" + ("：" + "、".join(ch) if ch else "")))
        elif dataclasses.is_dataclass(info.type):
            out += columns_of(info.type, prefix=f"{path}.", label_prefix=f"{label_prefix}{label}·", required=req)
        else:
            out.append(Column(path, f"{label_prefix}{label}", req, _scalar_kind(info.type), _choices(info.type), info.spec.help))
    return out


def child_columns(spec: KindSpec, child: ChildSpec) -> list[Column]:
    info = next(i for i in field_infos(spec.cls) if i.name == child.field)
    key_col = Column("__key__", child.key_header, True, "text")
    return [key_col] + columns_of(info.item)


def main_columns(spec: KindSpec) -> list[Column]:
    return columns_of(spec.cls, skip=spec.skip)


# --- the template ------------------------------------------------------------------------------------


def _example_value(col: Column, example: dict) -> Any:
    v: Any = example
    for part in col.path.split("."):
        v = v.get(part) if isinstance(v, dict) else None
    if v is None:
        return None
    if col.kind == "multi":
        if col.path == "dangerous_work":
            v = [TICKET_TYPE_NAMES.get(x, x) for x in v]
        return "、".join(v)
    if col.kind == "bool":
        return "是" if v else "否"
    return v


def write_template(kind: str, path: Path) -> Path:
    """A workbook to fill in: headers from the schema's labels, an example row, drop-down lists."""
    # lazy: openpyxl (~90 ms to import) only where a workbook is written or read
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    spec = _spec(kind)
    wb = Workbook()
    wb.remove(wb.active)
    sheets = [(spec.sheet, main_columns(spec), spec.example)]
    sheets += [(c.sheet, child_columns(spec, c), {**spec.child_examples.get(c.field, {}), "__key__": _key_of(spec.example, spec.key)})
               for c in spec.children]
    for name, cols, example in sheets:
        ws = wb.create_sheet(name)
        ws.append(["序号"] + [c.title for c in cols])
        ws.append([EXAMPLE_MARK] + [_example_value(c, example) for c in cols])
        for cell in ws[1]:
            cell.font = Font(bold=True, name="宋体")
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        for cell in ws[2]:
            cell.font = Font(italic=True, color="808080", name="宋体")
        ws["A2"].comment = Comment("示例行：导入时忽略。从第3行起填写。", "outsafe")
        ws.column_dimensions["A"].width = 6
        for i, c in enumerate(cols, 2):
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = max(10, min(36, len(c.title) * 2 + 4))
            if c.help:
                ws.cell(row=1, column=i).comment = Comment(c.help, "outsafe")
            if c.kind in ("text", "choice", "multi"):
                for row in range(2, 502):
                    ws.cell(row=row, column=i).number_format = "@"
            elif c.kind == "date":
                for row in range(2, 502):
                    ws.cell(row=row, column=i).number_format = "yyyy-mm-dd"
            options = c.choices if c.kind == "choice" else ("是", "否") if c.kind == "bool" else ()
            if options:
                dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=not c.required,
                                    showErrorMessage=True, errorTitle="取值无效", error="请从下拉列表中选择：" + "、".join(options))
                ws.add_data_validation(dv)
                dv.add(f"{letter}3:{letter}500")
        ws.freeze_panes = "B2"
    guide = wb.create_sheet("填写说明")
    guide.append(["工作表", "列", "必填", "说明"])
    for name, cols, _ in sheets:
        for c in cols:
            what = c.help or {"date": "日期，如 2026-04-30", "datetime": "日期时间，如 2026-04-30 08:00", "bool": "是 / 否",
                              "int": "整数", "float": "数字"}.get(c.kind, "")
            if c.kind == "choice":
                what = "可选：" + "、".join(c.choices)
            guide.append([name, c.header, "是" if c.required else "", what])
    guide.append([])
    guide.append(["", "第1行为列名（*为必填），第2行为示例（导入时忽略），从第3行起每行一条。", "", ""])
    guide.column_dimensions["A"].width = 14
    guide.column_dimensions["B"].width = 30
    guide.column_dimensions["D"].width = 60
    wb.properties.creator = "outsafe"
    buf = io.BytesIO()
    wb.save(buf)
    path = Path(path)
    output_folder(path.parent)
    return write_output(path, buf.getvalue(), mode=0o644)


def _key_of(example: dict, key: str) -> Any:
    return example.get(key)


def _spec(kind: str) -> KindSpec:
    spec = KINDS.get(kind)
    if spec is None:
        raise ValidationFailed([Problem("kind", "导入类别应为 contractors / persons / projects (unknown kind)")])
    return spec


# --- reading ---------------------------------------------------------------------------------------------


@dataclass
class RowProblem:
    sheet: str
    row: int
    column: str  # Excel letter, "" for the whole row
    header: str
    message: str
    source: str = ""
    severity: str = "error"

    @property
    def where(self) -> str:
        cell = f" {self.column}列（{self.header}）" if self.column else (f"（{self.header}）" if self.header else "")
        return f"[{self.sheet}]第{self.row}行{cell}"

    def line(self) -> str:
        where = self.where
        tag = "警告/warning: " if self.severity == "warning" else ""
        return f"{where}: {tag}{self.message}" + (f" [{self.source}]" if self.source else "")

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "header": self.header,
                "message": self.message, "source": self.source, "severity": self.severity}

    def problem(self, file: str) -> Problem:
        return Problem(self.where, self.message, file=file, source=self.source, severity=self.severity)


@dataclass
class Parsed:
    """One main-sheet row turned into a case-file dict, with where each field came from."""

    row: int
    raw: dict
    cells: dict[str, tuple[str, int, str, str]]  # field path → (sheet, row, letter, header)
    problems: list[RowProblem] = field(default_factory=list)
    key: str = ""
    unread: set[tuple[str, int, str]] = field(default_factory=set)  # (sheet, row, letter) of cells whose value could not be read


@dataclass
class ImportResult:
    kind: str
    rows: int
    imported: list[dict]  # {row, id, title, status}
    skipped: list[int]
    problems: list[RowProblem]
    check_only: bool = False

    def as_dict(self) -> dict:
        return {"kind": self.kind, "rows": self.rows, "imported": self.imported, "skipped": self.skipped,
                "problems": [p.as_dict() for p in self.problems]}

    def as_text(self) -> list[str]:
        out = [Note(p.line()) for p in self.problems]
        if self.skipped:
            out.append(Note(f"跳过有问题的行 (skipped rows): {', '.join(map(str, self.skipped))}"))
        if self.check_only:
            out.append(f"校验通过 (valid): {self.rows - len(self.skipped)} 行")
        return out + [f"第{x['row']}行  {x['id']}  {x['title']}  [{x['status']}]" for x in self.imported]


class _Uncomputed:
    """A formula cell whose result the file does not keep (see :func:`_uncomputed_formulas`)."""


UNCOMPUTED = _Uncomputed()
UNCOMPUTED_MESSAGE = ("公式单元格没有保存计算结果：请在 Excel 或 WPS 中打开本文件、保存后再导入，或把公式换成数值 "
                      "(a formula whose result the file does not hold: open and save the workbook in Excel or WPS, or type the value)")


def _convert(col: Column, value: Any) -> tuple[Any, str | None]:
    """A cell value as the schema expects it, or an error message."""
    if value is UNCOMPUTED:
        return None, UNCOMPUTED_MESSAGE
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None, None
    if col.kind == "date":
        if isinstance(value, datetime):
            return value.date().isoformat(), None
        if isinstance(value, date):
            return value.isoformat(), None
        return value, None
    if col.kind == "datetime":
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M"), None
        return value, None
    if col.kind == "bool":
        if isinstance(value, bool):
            return value, None
        return value, None  # 是/否 are read by the schema's Flag field
    if col.kind == "multi":
        items = [x for x in SEP.split(str(value)) if x]
        if col.path == "dangerous_work":
            items = [TICKET_CODES.get(x, x) for x in items]
        return items, None
    if col.kind == "text" and isinstance(value, float):
        if col.path.endswith("id_number") or "身份证" in col.header:
            return None, "身份证号须以文本格式录入（Excel 按数字保存会丢失末位）(enter ID numbers as text)"
        return (str(int(value)) if value.is_integer() else str(value)), None
    if col.kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value), None
    if col.kind == "int" and isinstance(value, str) and value.isdigit():
        return int(value), None
    if col.kind == "float" and isinstance(value, str):
        try:
            return float(value), None
        except ValueError:
            return value, None
    return value, None


def _set(raw: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    d = raw
    for part in parts[:-1]:
        d = d.setdefault(part, {})
    d[parts[-1]] = value


def _read_sheet(ws: Any, cols: list[Column], sheet: str, problems: list[RowProblem],
                uncomputed: frozenset[tuple[int, int]] = frozenset()) -> tuple[dict[int, Column], list[tuple[int, dict[int, Any]]]]:
    """(column index → Column, [(excel row, {column index: value})]) of a sheet; header problems
    reported. A cell of ``uncomputed`` (row, column) without a value reads as :data:`UNCOMPUTED`."""
    from openpyxl.utils import get_column_letter  # lazy: openpyxl, as in write_template

    by_title = {}
    for c in cols:
        by_title[c.title] = c
        by_title[c.header] = c
    header = [ws.cell(row=1, column=i).value for i in range(1, ws.max_column + 1)]
    mapping: dict[int, Column] = {}
    for i, h in enumerate(header, 1):
        if h is None or str(h).strip() in ("", "序号"):
            continue
        name = str(h).strip()
        col = by_title.get(name) or by_title.get(name.rstrip("*").strip())
        if col is None:
            problems.append(RowProblem(sheet, 1, get_column_letter(i), name, "未知的列：与模板不符 (unknown column; use `outsafe import template`)"))
            continue
        mapping[i] = col
    present = {c.path for c in mapping.values()}
    for c in cols:
        if c.required and c.path not in present:
            problems.append(RowProblem(sheet, 1, "", c.header, f"缺少必填列“{c.header}” (required column missing)"))
    rows = []
    if ws.max_row > MAX_ROWS + 1:
        problems.append(RowProblem(sheet, MAX_ROWS + 2, "", "", f"行数过多：至多 {MAX_ROWS:,} 行，实为 {ws.max_row - 1:,} 行 (too many rows)"))
        return mapping, rows
    for r in range(2, ws.max_row + 1):
        first = ws.cell(row=r, column=1).value
        if isinstance(first, str) and first.strip() == EXAMPLE_MARK:
            continue
        values = {i: ws.cell(row=r, column=i).value for i in mapping}
        for i in mapping:
            if values[i] is None and (r, i) in uncomputed:
                values[i] = UNCOMPUTED
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        rows.append((r, values))
    return mapping, rows


MAX_WORKBOOK_BYTES = 20 * 2**20  # a roster of thousands of people is well under 1 MB
MAX_EXPANDED_BYTES = 200 * 2**20  # what its XML may expand to
MAX_ROWS = 20_000
# cells of all its worksheets: a full roster (MAX_ROWS rows of the widest sheet, 27 columns, and its
# list sheet) is ~800,000; openpyxl holds every cell as an object (~400 bytes), so 200 MB of small
# cells (<c><v>1</v></c>) would take gigabytes and minutes — counted in the XML before it loads
MAX_CELLS = 1_000_000
CELL = re.compile(rb"<c[ >/]")


def _check_workbook_size(path: Path) -> bool:
    """A workbook is a zip of XML: refuse one that is too large, or would expand too far (an
    "xlsx bomb"), before openpyxl reads any of it. Whether a worksheet holds a formula (read in the
    same pass over its XML as the cells are counted)."""
    import zipfile

    problem = None
    formulas = False
    try:
        size = path.stat().st_size
        if size > MAX_WORKBOOK_BYTES:
            problem = f"Excel 文件过大（{size:,} 字节，至多 {MAX_WORKBOOK_BYTES:,}） (workbook too large)"
        else:
            with zipfile.ZipFile(path) as zf:
                limits = dataclasses.replace(Settings(), package_max_bytes=MAX_EXPANDED_BYTES, package_max_members=10_000)
                found = check_zip_sizes(zf, limits)
                if found:
                    problem = "Excel 文件解压后过大，已拒绝 (workbook expands too far): " + found[0]
                else:
                    cells, formulas = _scan(zf)
                    if cells > MAX_CELLS:
                        problem = f"Excel 文件单元格过多（{cells:,} 个以上，至多 {MAX_CELLS:,}） (too many cells)"
    except (OSError, zipfile.BadZipFile) as e:
        problem = f"无法读取 Excel 文件 (cannot read workbook): {type(e).__name__}: {e}"
    if problem:
        raise ValidationFailed([Problem("", problem, file=str(path))])
    return formulas


FORMULA = re.compile(rb"<f[ >/]")


def _scan(zf: Any) -> tuple[int, bool]:
    """(the cells of the workbook's worksheets, whether any holds a formula), read in their XML a
    megabyte at a time, once (the count stops once past :data:`MAX_CELLS`)."""
    count, formulas = 0, False
    for name in zf.namelist():
        if not name.startswith("xl/worksheets/"):
            continue
        with zf.open(name) as fh:
            tail = b""
            while count <= MAX_CELLS and (chunk := fh.read(2**20)):
                buf = tail + chunk
                count += len(CELL.findall(buf))
                formulas = formulas or FORMULA.search(buf) is not None
                tail = buf[-2:]  # "<c" then the next byte: a cell cut by the chunk's end is found once, in the next
    return count, formulas


def _uncomputed_formulas(path: Path, sheets: list[str]) -> dict[str, frozenset[tuple[int, int]]]:
    """sheet → (row, column) of its cells holding a formula: read as values (``data_only``), those
    whose result the file does not keep read as empty — a workbook written by a program that does
    not calculate and never opened and saved in Excel or WPS. A second, streaming read of the
    formulas, asked only when a worksheet holds any (:func:`_check_workbook_size` found them)."""
    from openpyxl import load_workbook  # lazy: openpyxl, as in write_template

    wb = load_workbook(path, data_only=False, read_only=True)
    try:
        return {name: frozenset((c.row, c.column) for row in wb[name].iter_rows() for c in row if getattr(c, "data_type", None) == "f")
                for name in sheets if name in wb.sheetnames}
    finally:
        wb.close()


def parse_workbook(path: Path, kind: str) -> tuple[list[Parsed], list[RowProblem]]:
    """Rows of the workbook as case-file dicts (not yet validated) and the problems of the layout."""
    from openpyxl import load_workbook  # lazy: openpyxl, as in write_template
    from openpyxl.utils import get_column_letter

    spec = _spec(kind)
    has_formulas = _check_workbook_size(path)
    try:
        wb = load_workbook(path, data_only=True, read_only=False)
    except Exception as e:  # zipfile.BadZipFile, KeyError, InvalidFileException
        raise ValidationFailed([Problem("", f"无法读取 Excel 文件 (cannot read workbook): {type(e).__name__}: {e}", file=str(path))]) from e
    problems: list[RowProblem] = []
    if spec.sheet not in wb.sheetnames:
        raise ValidationFailed([Problem("", f"缺少工作表“{spec.sheet}” (sheet missing); 用 outsafe import template {kind} 生成模板", file=str(path))])
    ws = wb[spec.sheet]
    cols = main_columns(spec)
    try:
        formulas = _uncomputed_formulas(path, [spec.sheet, *(c.sheet for c in spec.children)]) if has_formulas else {}
    except Exception as e:  # as the first read: zipfile.BadZipFile, KeyError …
        raise ValidationFailed([Problem("", f"无法读取 Excel 文件 (cannot read workbook): {type(e).__name__}: {e}", file=str(path))]) from e
    mapping, rows = _read_sheet(ws, cols, spec.sheet, problems, formulas.get(spec.sheet, frozenset()))
    parsed: list[Parsed] = []
    seen: dict[str, int] = {}
    key_col = next((i for i, c in mapping.items() if c.path == spec.key), None)
    for r, values in rows:
        item = Parsed(r, dict(spec.fixed), {})
        for i, value in values.items():
            col = mapping[i]
            letter = get_column_letter(i)
            item.cells[col.path] = (spec.sheet, r, letter, col.header)
            v, msg = _convert(col, value)
            if msg:
                item.problems.append(RowProblem(spec.sheet, r, letter, col.header, msg))
                item.unread.add((spec.sheet, r, letter))
            elif v is not None:
                _set(item.raw, col.path, v)
        item.raw = {"type": spec.cls.__case__.type, **item.raw}
        key = item.raw.get(spec.key)
        item.key = str(key).strip().upper() if key else ""
        if item.key:
            if item.key in seen:
                letter = get_column_letter(key_col) if key_col else ""
                item.problems.append(RowProblem(spec.sheet, r, letter, mapping[key_col].header if key_col else spec.key,
                                                f"与第{seen[item.key]}行重复 (duplicate of row {seen[item.key]})"))
            else:
                seen[item.key] = r
        parsed.append(item)
    by_key = {p.key: p for p in parsed if p.key}
    for child in spec.children:
        if child.sheet not in wb.sheetnames:
            continue
        ccols = child_columns(spec, child)
        cmap, crows = _read_sheet(wb[child.sheet], ccols, child.sheet, problems, formulas.get(child.sheet, frozenset()))
        for r, values in crows:
            entry: dict = {}
            cells: dict[str, tuple] = {}
            key, key_cell, row_problems = None, None, []
            for i, value in values.items():
                col = cmap[i]
                letter = get_column_letter(i)
                v, msg = _convert(col, value)
                if msg:
                    row_problems.append(RowProblem(child.sheet, r, letter, col.header, msg))
                    continue
                if col.path == "__key__":
                    key, key_cell = (str(v).strip().upper() if v is not None else None), (child.sheet, r, letter, col.header)
                    continue
                cells[col.path] = (child.sheet, r, letter, col.header)
                if v is not None:
                    _set(entry, col.path, v)
            owner = by_key.get(key or "")
            if owner is None:
                sheet, row, letter, header = key_cell or (child.sheet, r, "", child.key_header)
                problems.append(RowProblem(sheet, row, letter, header,
                                           f"“{key or ''}”在工作表“{spec.sheet}”中没有对应的行 (no such {child.key_header} in {spec.sheet})"))
                problems.extend(row_problems)
                continue
            owner.problems.extend(row_problems)
            owner.unread |= {(p.sheet, p.row, p.column) for p in row_problems}
            index = len(owner.raw.setdefault(child.field, []))
            owner.raw[child.field].append(entry)
            for p, c in cells.items():
                owner.cells[f"{child.field}[{index}].{p}"] = c
            owner.cells[f"{child.field}[{index}]"] = key_cell or (child.sheet, r, "", child.key_header)
    return parsed, problems


def _locate(item: Parsed, path: str, spec: KindSpec) -> tuple[str, int, str, str]:
    """The cell a problem's field path points at (the nearest known one)."""
    p = path
    while p:
        if p in item.cells:
            return item.cells[p]
        if p.endswith("]"):
            p = p[: p.rfind("[")] if p.rfind("[") > 0 else ""
            continue
        p = p.rsplit(".", 1)[0] if "." in p else ""
    for c in main_columns(spec):
        if c.path == path or c.path.startswith(path + "."):
            return (spec.sheet, item.row, "", c.header)
    root = re.split(r"[.\[]", path, maxsplit=1)[0]
    for child in spec.children:
        if child.field == root:
            info = next(i for i in field_infos(spec.cls) if i.name == child.field)
            return (spec.sheet, item.row, "", f"{info.spec.label}，见工作表“{child.sheet}”")
    return (spec.sheet, item.row, "", "")


def import_xlsx(archive: Any, path: Path, kind: str, *, skip_bad_rows: bool = False, check_only: bool = False,
                today: date | None = None, pdf: bool = True) -> ImportResult:
    """Validate every row; import all of them (or, with ``skip_bad_rows``, the good ones)."""
    spec = _spec(kind)
    path = Path(path)
    parsed, problems = parse_workbook(path, kind)
    layout_errors = [p for p in problems if p.row == 1]
    if layout_errors:
        raise ImportFailed(problems, str(path))
    with tempfile.TemporaryDirectory(prefix="outsafe-xlsx-") as tmp:
        files: dict[str, Parsed] = {}
        for item in parsed:
            name = f"{path.stem}-{spec.sheet}-第{item.row}行.yaml"
            f = Path(tmp) / name
            f.write_text(dump_yaml(item.raw), encoding="utf-8")
            files[str(f)] = item
        if files:
            _, found = archive.validate_files([Path(x) for x in files], expect=spec.cls, today=today)
        else:
            found = []
        for p in found:
            item = files.get(p.file)
            if item is None:
                problems.append(RowProblem(spec.sheet, 0, "", "", p.message, p.source, p.severity))
                continue
            sheet, row, letter, header = _locate(item, p.path, spec)
            if letter and (sheet, row, letter) in item.unread:
                continue  # the cell's own problem is said (a value that cannot be read, a formula without its result)
            msg = p.message
            item.problems.append(RowProblem(sheet, row, letter, header, msg, p.source, p.severity))
        bad = [i for i in parsed if any(x.severity == "error" for x in i.problems)]
        for i in parsed:
            problems.extend(i.problems)
        problems.sort(key=lambda p: (p.sheet != spec.sheet, p.sheet, p.row, p.column))
        if any(p.severity == "error" and p.row == 0 for p in problems) or (bad and not skip_bad_rows) or (
                not skip_bad_rows and any(p.severity == "error" for p in problems)):
            raise ImportFailed(problems, str(path))
        good = [i for i in parsed if i not in bad]
        result = ImportResult(kind, len(parsed), [], sorted(i.row for i in bad), problems, check_only)
        if check_only or not good:
            return result
        by_file = {str(Path(tmp) / f"{path.stem}-{spec.sheet}-第{i.row}行.yaml"): i for i in good}
        try:
            # whole: a row whose document cannot be made (a character no font has) stores no row
            report = archive.add_files([Path(x) for x in by_file], expect=spec.cls, today=today, pdf=pdf, whole=True)
        except ValidationFailed as e:
            failed = [RowProblem(spec.sheet, by_file[p.file].row if p.file in by_file else 0, "", "", p.message, p.source, "error")
                      for p in e.problems]
            if not skip_bad_rows or any(p.row == 0 for p in failed):
                raise ImportFailed(sorted([*problems, *failed], key=lambda p: (p.row, p.column)), str(path)) from None
            # --skip-bad-rows: those rows are skipped too, the others imported
            rows = {p.row for p in failed}
            result.skipped = sorted({*result.skipped, *rows})
            result.problems = sorted([*problems, *failed], key=lambda p: (p.sheet != spec.sheet, p.sheet, p.row, p.column))
            rest = {x: i for x, i in by_file.items() if i.row not in rows}
            if not rest:
                return result
            by_file = rest
            report = archive.add_files([Path(x) for x in by_file], expect=spec.cls, today=today, pdf=pdf, whole=True)
        rows_by_name = {Path(x).name: i.row for x, i in by_file.items()}
        for a in report.added:
            result.imported.append({"row": rows_by_name.get(a.source), "id": a.id, "title": a.title, "status": a.status})
        result.imported.sort(key=lambda x: x["row"] or 0)
        return result


class ImportFailed(ValidationFailed):
    """A workbook with problems: nothing was imported. Each problem names sheet, row and column."""

    def __init__(self, problems: list[RowProblem], file: str) -> None:
        self.row_problems = problems
        errors = [p for p in problems if p.severity == "error"]
        rows = sorted({(p.sheet, p.row) for p in errors})
        super().__init__([p.problem(file) for p in problems],
                         f"Excel 校验未通过：{len(errors)} 个问题，涉及 {len(rows)} 行；未导入任何数据"
                         f" (workbook rejected: {len(errors)} problem(s) in {len(rows)} row(s); nothing imported)")
        self.hint = "改正后重新导入，或用 --skip-bad-rows 只导入无误的行"


__all__ = ["write_template", "import_xlsx", "parse_workbook", "ImportResult", "RowProblem", "ImportFailed", "KINDS", "main_columns"]
