"""Reading uploaded shop lists: encodings Excel produces, header variants, XLSX, and file-level refusals."""

from __future__ import annotations

import codecs
import io
import zipfile

import pytest

from registry.campaigns import spreadsheets
from registry.campaigns.spreadsheets import MAX_ROWS, read_shop_list
from registry.errors import DomainError
from tests.campaigns.conftest import HEADER, csv_text, xlsx_bytes

pytestmark = pytest.mark.usefixtures("app")

ROW = ["美好生活超市", "91330106MA2B3C4D5E", "超市", "西湖区", "转塘街道", "转塘直街 88 号", "王美好", "13912345678"]
EXPECTED = dict(zip(spreadsheets.FIELDS, ROW))


def refusal(filename: str, data: bytes) -> str:
    with pytest.raises(DomainError) as caught:
        read_shop_list(filename, data)
    assert caught.value.field == "file"
    return caught.value.message


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_a_csv_is_read_in_the_encodings_excel_saves(encoding):
    sheet = read_shop_list("名单.csv", csv_text([ROW]).encode(encoding))

    assert sheet.rows == [(2, EXPECTED)]


def test_gbk_bytes_are_not_mistaken_for_utf8_and_utf8_is_not_read_as_gbk():
    text = csv_text([ROW])

    assert spreadsheets.decode_csv(text.encode("gbk")) == text
    assert spreadsheets.decode_csv(text.encode("utf-8")) == text
    assert spreadsheets.decode_csv(codecs.BOM_UTF8 + text.encode("utf-8")) == text


def test_bytes_that_are_neither_utf8_nor_gb18030_are_refused_with_advice():
    assert "编码" in refusal("名单.csv", csv_text([ROW]).encode("utf-8") + b"\x80\xff\xfe")


@pytest.mark.parametrize("header", [
    ["店名", "信用代码", "行业", "区县", "街道", "地址", "负责人", "手机号码"],
    ["Shop name", "Credit code", "Category", "District", "Township", "Address", "Owner name", "Phone"],
    ["店铺名称*", "统一社会信用代码（18位）", "类别", "区／县", "乡镇／街道", "详细地址", "经营者姓名", "联系电话(手机)"],
])
def test_common_header_variants_and_english_headers_are_recognised(header):
    sheet = read_shop_list("list.csv", csv_text([ROW], header=header).encode())

    assert sheet.rows == [(2, EXPECTED)]


def test_columns_may_come_in_any_order_and_unknown_columns_are_reported_as_ignored():
    header = ["序号", "联系电话", *HEADER[:-1], "备注"]
    row = ["1", ROW[-1], *ROW[:-1], "周一休息"]

    sheet = read_shop_list("list.csv", csv_text([row], header=header).encode())

    assert sheet.rows == [(2, EXPECTED)]
    assert sheet.ignored_columns == ["序号", "备注"]


def test_a_title_line_above_the_header_and_blank_lines_are_skipped_and_line_numbers_stay_true():
    text = "西湖区诚信经营倡议签署登记表\r\n\r\n" + csv_text([ROW, [""] * 8, ROW])

    sheet = read_shop_list("list.csv", text.encode())

    assert [line for line, _values in sheet.rows] == [4, 6]


def test_tab_separated_text_is_read():
    text = "\t".join(HEADER) + "\n" + "\t".join(ROW) + "\n"

    assert read_shop_list("list.txt", text.encode("utf-16")).rows == [(2, EXPECTED)]


def test_missing_columns_are_named():
    header = [h for h in HEADER if h not in ("统一社会信用代码", "联系电话")]
    row = [v for h, v in zip(HEADER, ROW) if h in header]

    message = refusal("list.csv", csv_text([row], header=header).encode())

    assert "统一社会信用代码" in message and "联系电话" in message


def test_two_columns_for_one_field_are_refused():
    message = refusal("list.csv", csv_text([ROW + ["13900000000"]], header=HEADER + ["手机"]).encode())

    assert "联系电话" in message and "手机" in message


def test_a_file_without_a_recognisable_header_is_refused():
    assert "表头" in refusal("list.csv", "a,b,c\n1,2,3\n".encode())


def test_a_header_without_rows_and_an_empty_file_are_refused():
    assert "没有店铺数据" in refusal("list.csv", csv_text([]).encode())
    assert "空" in refusal("list.csv", b"  \r\n")


def test_more_rows_than_the_limit_are_refused_before_anything_is_checked():
    text = csv_text([ROW] * (MAX_ROWS + 1))

    assert str(MAX_ROWS) in refusal("list.csv", text.encode())
    assert len(read_shop_list("list.csv", csv_text([ROW] * MAX_ROWS).encode()).rows) == MAX_ROWS


def test_a_file_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_UPLOAD_BYTES", 1024)

    assert "太大" in refusal("list.csv", csv_text([ROW] * 20).encode())


def test_xlsx_is_read_from_the_first_sheet_with_numbers_as_typed():
    row = list(ROW)
    row[-1] = 13912345678  # a phone typed into a number cell

    sheet = read_shop_list("名单.xlsx", xlsx_bytes([row], title="转塘街道走访登记表"))

    assert sheet.rows == [(3, EXPECTED)]


def test_an_xlsx_that_is_not_a_workbook_and_an_old_xls_are_refused():
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")

    assert "损坏" in refusal("名单.xlsx", broken.getvalue())
    assert ".xls" in refusal("名单.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert "损坏" in refusal("名单.xlsx", b"garbage that is not a zip")


@pytest.mark.parametrize(("text", "code"), [
    ("超市/零售", "supermarket"), ("超市", "supermarket"), ("便利店", "supermarket"), ("餐饮", "catering"),
    ("饭店", "catering"), ("食品", "food"), ("烟酒", "liquor"), ("化妆品", "cosmetics"), ("服饰", "clothing"),
    ("家用电器", "appliances"), ("服务", "services"), ("其它", "other"), ("catering", "catering"),
    (" 超市／零售 ", "supermarket"), ("火锅", None), ("", None),
])
def test_category_labels_map_to_codes(text, code):
    assert spreadsheets.category_code(text) == code


def test_the_csv_template_is_utf8_with_bom_and_its_header_is_recognised():
    data = spreadsheets.template_csv()

    assert data.startswith(codecs.BOM_UTF8)
    assert data.decode("utf-8-sig").strip() == ",".join(HEADER)
    assert "没有店铺数据" in refusal("template.csv", data)
    filled = data + ",".join(ROW).encode() + b"\r\n"
    assert read_shop_list("template.csv", filled).rows == [(2, EXPECTED)]


def test_the_xlsx_template_has_the_header_text_columns_and_reads_back():
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(spreadsheets.template_xlsx()))
    sheet = workbook.worksheets[0]
    sheet.append(ROW)
    assert [cell.value for cell in sheet[1]] == HEADER
    assert sheet.column_dimensions["B"].number_format == "@"
    assert "填写说明" in workbook.sheetnames
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert read_shop_list("template.xlsx", buffer.getvalue()).rows == [(2, EXPECTED)]

