"""Reading shop lists typed up from paper forms: CSV (UTF-8 or GBK, as Excel saves them) or XLSX.

Pure functions over bytes: no database. File-level problems (wrong format, unknown encoding, no
header, missing columns, too many rows) raise DomainError on the "file" field; what is wrong inside
a row is for campaigns.imports to decide.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _

from registry.errors import DomainError
from registry.i18n import join_list
from registry.merchants.models import CATEGORIES
from registry.text import spreadsheet_cell

MAX_ROWS = 5000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# An XLSX is a zip file: refuse one that would unpack to far more than a 5,000-row sheet needs.
_MAX_XLSX_UNPACKED_BYTES = 100 * 1024 * 1024
# Formatting can stretch a sheet to a million empty rows; this many empty rows in a row end it.
_MAX_EMPTY_RUN = 1000
# The header may sit under a title line ("××区诚信经营倡议签署登记表"); look this far down for it.
_HEADER_SEARCH_ROWS = 10

FIELDS = ("name", "credit_code", "category", "district", "township", "address", "owner_name", "contact_phone")
# A list collected in one district often has no 区/县 column: the importer supplies it for the whole file
# (campaigns.imports.check_shop_list).
OPTIONAL_COLUMNS = ("district",)

# Our template's headers, as on the paper form. Not translated: the file is the same in every language.
TEMPLATE_HEADERS = {
    "name": "店铺名称",
    "credit_code": "统一社会信用代码",
    "category": "类别",
    "district": "区/县",
    "township": "乡镇/街道",
    "address": "详细地址",
    "owner_name": "经营者姓名",
    "contact_phone": "联系电话",
}

# What people actually write at the top of the column, in Chinese and English.
_HEADER_ALIASES = {
    "name": ("店铺名称", "店铺名", "店名", "商户名称", "商铺名称", "门店名称", "企业名称", "名称", "字号",
             "name", "shop name", "shop", "store name", "merchant name", "merchant"),
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码", "统一代码", "营业执照号", "营业执照号码",
                    "营业执照代码", "credit code", "unified social credit code", "uscc"),
    "category": ("类别", "店铺类别", "类型", "店铺类型", "经营类别", "行业", "行业类别", "业态",
                 "category", "type", "business type"),
    "district": ("区/县", "区县", "县区", "区", "县", "所在区县", "所属区县", "district", "county"),
    "township": ("乡镇/街道", "街道/乡镇", "乡镇街道", "街道乡镇", "乡镇", "街道", "镇街", "所属街道", "所属乡镇",
                 "township", "town", "street", "subdistrict", "sub-district"),
    "address": ("详细地址", "地址", "经营地址", "店铺地址", "门店地址", "address", "street address"),
    "owner_name": ("经营者姓名", "经营者", "负责人", "负责人姓名", "法定代表人", "法人", "店主", "店主姓名",
                   "联系人", "owner", "owner name", "operator", "contact name", "contact person"),
    "contact_phone": ("联系电话", "手机", "手机号", "手机号码", "电话", "联系方式", "联系手机", "电话号码",
                      "phone", "mobile", "contact phone", "phone number", "mobile phone", "telephone", "tel"),
}

# Category words seen on paper forms, mapped to the stored codes (besides the codes themselves).
_CATEGORY_WORDS = {
    "supermarket": ("超市/零售", "超市", "零售", "便利店", "商超", "小卖部", "百货", "supermarket", "retail"),
    "catering": ("餐饮", "餐馆", "饭店", "餐厅", "饭馆", "小吃", "饮食", "catering", "restaurant"),
    "food": ("食品", "食品店", "副食", "食杂", "food"),
    "liquor": ("酒类", "烟酒", "酒水", "酒", "liquor", "alcohol"),
    "cosmetics": ("化妆品", "美妆", "cosmetics"),
    "clothing": ("服装", "服饰", "鞋帽", "clothing", "clothes", "apparel"),
    "appliances": ("家电", "家用电器", "电器", "appliances", "home appliances"),
    "services": ("服务", "服务业", "生活服务", "services", "service"),
    "other": ("其他", "其它", "other"),
}

_PARENTHESISED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SEPARATORS = re.compile(r"[\s*_\-/\\:、.·,]+")


def _key(text: str) -> str:
    """The comparable form of a header or category: NFKC, no notes in brackets, no separators, lower case.

    "联系电话（手机）*", "区／县" and "Contact_Phone" become "联系电话", "区县" and "contactphone".
    """
    text = unicodedata.normalize("NFKC", text or "")
    text = _PARENTHESISED.sub("", text)
    return _SEPARATORS.sub("", text).lower()


_HEADER_LOOKUP = {_key(alias): name for name, aliases in _HEADER_ALIASES.items() for alias in aliases}
_CATEGORY_LOOKUP = {_key(word): code for code, words in _CATEGORY_WORDS.items() for word in words}
_CATEGORY_LOOKUP.update({code: code for code in CATEGORIES})


def category_code(text: str) -> str | None:
    """The stored category for a label such as 超市/零售 or 餐饮; None when it is not one we know."""
    return _CATEGORY_LOOKUP.get(_key(text))


def category_choices() -> str:
    """The labels a row may use, for messages and the template's instructions."""
    return "、".join(words[0] for words in _CATEGORY_WORDS.values())


@dataclass
class ParsedSheet:
    # (row number as the spreadsheet shows it, {field: text}) for every row that is not empty.
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    # Header cells that matched no field, e.g. 序号 or 备注.
    ignored_columns: list[str] = field(default_factory=list)
    # Fields of OPTIONAL_COLUMNS the file has no column for (their values are then absent from the rows).
    missing_columns: list[str] = field(default_factory=list)


def _file_error(message: str) -> DomainError:
    return DomainError(message, field="file")


def read_shop_list(filename: str, data: bytes) -> ParsedSheet:
    """Read an uploaded shop list, deciding CSV or XLSX from the content (not the name)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise _file_error(_("文件太大（%(size)s MB），每次最多上传 %(max)d MB。请拆分成几个文件。",
                            size=f"{len(data) / 1024 / 1024:.1f}", max=MAX_UPLOAD_BYTES // 1024 // 1024))
    if not data.strip():
        raise _file_error(_("文件是空的。"))
    if data.startswith(b"PK\x03\x04"):
        return _rows_to_sheet(_xlsx_rows(data))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _file_error(_("这是旧版 Excel（.xls）文件。请在 Excel 中“另存为”“Excel 工作簿（.xlsx）”或"
                            "“CSV UTF-8（逗号分隔）”后再上传。"))
    if filename.lower().endswith((".xlsx", ".xls", ".xlsm")):
        raise _file_error(_("无法读取这个 Excel 文件，它可能已损坏。请在 Excel 中重新“另存为” .xlsx 后再上传。"))
    return _rows_to_sheet(_csv_rows(data))


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) when the bytes are valid UTF-8, else GB18030 (a superset of GBK).

    Excel on Chinese Windows saves "CSV (逗号分隔)" in GBK. Chinese text in GBK is practically never
    valid UTF-8, so trying UTF-8 strictly first tells the two apart reliably.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode 文本" is UTF-16 with tabs.
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise _file_error(_("无法识别文件的编码。请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）”或 .xlsx 后再上传。")) \
            from error


def _csv_rows(data: bytes) -> list[list[str]]:
    text = decode_csv(data)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",\t;", key=first_line.count)
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as error:
        raise _file_error(_("CSV 文件格式有误，无法读取。请用模板重新填写，或另存为 .xlsx 后上传。")) from error


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # A phone number typed into a number cell comes back as 13912345678.0.
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise _file_error(_("无法读取这个 Excel 文件，它可能已损坏。请在 Excel 中重新“另存为” .xlsx 后再上传。")) from error
    if unpacked > _MAX_XLSX_UNPACKED_BYTES:
        raise _file_error(_("这个 Excel 文件解压后太大，无法读取。请只保留店铺名单这一张表后再上传。"))
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; none of that matters for the values.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                rows: list[list[str]] = []
                empty_run = 0
                for values in sheet.iter_rows(values_only=True):
                    row = [_cell_text(v) for v in values]
                    empty_run = 0 if any(cell.strip() for cell in row) else empty_run + 1
                    if empty_run > _MAX_EMPTY_RUN:
                        break
                    rows.append(row)
                    if len(rows) > MAX_ROWS + _HEADER_SEARCH_ROWS + _MAX_EMPTY_RUN:
                        break
            finally:
                workbook.close()
    except DomainError:
        raise
    except Exception as error:  # noqa: BLE001 — openpyxl raises many kinds for a damaged file
        raise _file_error(_("无法读取这个 Excel 文件，它可能已损坏。请在 Excel 中重新“另存为” .xlsx 后再上传。")) from error
    return rows


def _header_fields(row: list[str]) -> dict[int, str]:
    """Column index → field for the cells of `row` that name a field."""
    return {index: _HEADER_LOOKUP[_key(cell)] for index, cell in enumerate(row) if _key(cell) in _HEADER_LOOKUP}


def _rows_to_sheet(rows: list[list[str]]) -> ParsedSheet:
    header_index = None
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        if len(set(_header_fields(row).values())) >= 3:
            header_index = index
            break
    if header_index is None:
        raise _file_error(_("没有找到表头。第一行应是列名：%(columns)s。请下载模板，按模板填写。",
                            columns="、".join(TEMPLATE_HEADERS.values())))
    header = rows[header_index]
    columns = _header_fields(header)
    seen: dict[str, int] = {}
    for index, name in columns.items():
        if name in seen:
            raise _file_error(_("“%(first)s”和“%(second)s”两列都是%(field)s，请只保留一列。",
                                first=header[seen[name]].strip(), second=header[index].strip(),
                                field=TEMPLATE_HEADERS[name]))
        seen[name] = index
    missing = [TEMPLATE_HEADERS[name] for name in FIELDS if name not in seen and name not in OPTIONAL_COLUMNS]
    if missing:
        raise _file_error(_("缺少必需的列：%(columns)s。请按模板填写，或把列名改成模板中的写法。",
                            columns=join_list(missing)))
    ignored = [cell.strip() for index, cell in enumerate(header) if index not in columns and cell.strip()]

    sheet = ParsedSheet(ignored_columns=ignored, missing_columns=[name for name in OPTIONAL_COLUMNS if name not in seen])
    for offset, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        values = {name: (row[index] if index < len(row) else "").strip() for name, index in seen.items()}
        if not any(values.values()):
            continue
        sheet.rows.append((offset, values))
        if len(sheet.rows) > MAX_ROWS:
            raise _file_error(_("文件超过 %(max)d 行店铺数据。请拆分成几个文件，每个不超过 %(max)d 行。", max=MAX_ROWS))
    if not sheet.rows:
        raise _file_error(_("文件里只有表头，没有店铺数据。"))
    return sheet


def template_csv() -> bytes:
    """The empty template as CSV: UTF-8 with a BOM, so Excel on Windows opens the Chinese headers correctly."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(spreadsheet_cell(h) for h in TEMPLATE_HEADERS.values())
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    """The empty template as XLSX: text-formatted columns (codes and phones keep their digits), a
    category drop-down, and a second sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "店铺名单"
    sheet.append([spreadsheet_cell(h) for h in TEMPLATE_HEADERS.values()])
    widths = {"name": 24, "credit_code": 24, "category": 12, "district": 12, "township": 14, "address": 36,
              "owner_name": 12, "contact_phone": 16}
    for column, name in enumerate(FIELDS, start=1):
        cell = sheet.cell(row=1, column=column)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FDECEA")
        dimension = sheet.column_dimensions[cell.column_letter]
        dimension.width = widths[name]
        # "@" is Excel's text format: an 18-character code or an 11-digit phone is not turned into 9.1E+17.
        dimension.number_format = "@"
    sheet.freeze_panes = "A2"
    categories = DataValidation(type="list", formula1='"' + ",".join(w[0] for w in _CATEGORY_WORDS.values()) + '"',
                                allow_blank=True)
    categories.add(f"C2:C{MAX_ROWS + 1}")
    sheet.add_data_validation(categories)

    notes = workbook.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 80
    notes.append(["列", "怎么填"])
    for row in (
        ("店铺名称", "与门头招牌一致，例如：美好生活超市"),
        ("统一社会信用代码", "营业执照上的 18 位代码；全角、小写都可以，上传时会自动转换并核对校验位"),
        ("类别", "从下拉列表选择：" + category_choices()),
        ("区/县", "例如：西湖区"),
        ("乡镇/街道", "例如：转塘街道、双浦镇"),
        ("详细地址", "例如：转塘直街 88 号"),
        ("经营者姓名", "店主或负责人姓名"),
        ("联系电话", "11 位手机号；店主认领店铺时要输入它的后 4 位，请务必填写准确。不会公开"),
        ("", ""),
        ("注意", f"每个文件最多 {MAX_ROWS} 行；每一列都必填；同一个统一社会信用代码只能出现一次。"),
    ):
        notes.append([spreadsheet_cell(c) for c in row])
    notes["A1"].font = notes["B1"].font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
