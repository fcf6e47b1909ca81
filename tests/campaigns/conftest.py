"""Shop lists as staff upload them, and helpers to read the PDFs the campaign pages print."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from conftest import unique_mobile, valid_credit_code
from registry.audit.models import AuditEntry
from registry.campaigns import imports
from registry.campaigns.models import ImportBatch, ShopInvitation
from registry.errors import Conflict
from registry.jobs import runner
from registry.jobs.models import Job
from registry.extensions import db
from registry.merchants.models import Merchant

HEADER = ["店铺名称", "统一社会信用代码", "类别", "区/县", "乡镇/街道", "详细地址", "经营者姓名", "联系电话"]
_FULL_WIDTH = str.maketrans("0123456789ABCDEFGHJKLMNPQRTUWXY", "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹ")


def full_width(text: str) -> str:
    return text.translate(_FULL_WIDTH)


def with_wrong_check_character(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def shop_row(**fields) -> list[str]:
    values = dict(name="老街小吃", credit_code=valid_credit_code(), category="餐饮", district="西湖区",
                  township="转塘街道", address="转塘直街 8 号", owner_name="王美好", contact_phone=unique_mobile())
    values.update(fields)
    return [values[k] for k in ("name", "credit_code", "category", "district", "township", "address", "owner_name",
                                "contact_phone")]


def csv_text(rows: list[list[str]], header: list[str] = HEADER) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def xlsx_bytes(rows: list[list], header: list[str] = HEADER, title: str | None = None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class MixedFile:
    """The file the issue describes: good rows, full-width digits, a bad check character, a code three times
    in the file (the first row kept, the later two refused), a code already registered, missing fields and a
    bad phone. Lines are spreadsheet rows."""

    def __init__(self, existing_code: str):
        self.good_code = valid_credit_code()
        self.full_width_code = valid_credit_code()
        self.bad_check_code = with_wrong_check_character(valid_credit_code())
        self.existing_code = existing_code
        self.label_code = valid_credit_code()
        self.full_width_phone = "139" + f"{len(self.good_code):08d}"
        self.rows = [
            shop_row(name="美好生活超市", credit_code=self.good_code, category="超市"),               # 2 ok
            shop_row(name="好味餐馆", credit_code=full_width(self.full_width_code),                      # 3 ok
                     contact_phone=full_width("139 1234 5678")),
            shop_row(name="校验位错店", credit_code=self.bad_check_code),                               # 4
            shop_row(name="重复一号", credit_code=self.good_code),                                      # 5 = line 2
            shop_row(name="重复二号", credit_code=self.good_code.lower()),                              # 6 = line 2
            shop_row(name="已登记店", credit_code=self.existing_code),                                  # 7
            shop_row(name="", township="", credit_code=valid_credit_code()),                            # 8
            shop_row(name="电话错店", contact_phone="1391234567"),                                      # 9
            shop_row(name="烟酒行", credit_code=self.label_code, category="超市/零售"),                 # 10 ok
        ]
        self.valid_lines = [2, 3, 10]
        self.valid_codes = {self.good_code, self.full_width_code, self.label_code}

    def csv(self, encoding: str = "utf-8") -> bytes:
        return csv_text(self.rows).encode(encoding)

    def xlsx(self) -> bytes:
        return xlsx_bytes(self.rows)


@pytest.fixture
def mixed_file(make_shop):
    existing = make_shop(signed=False)
    return MixedFile(existing.credit_code)


def pdf_pages(data: bytes):
    """The pages as pypdf reads them (structure: size, fonts)."""
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data)).pages


def assert_a4_with_embedded_fonts(data: bytes) -> None:
    """Every page is A4 portrait and every font it uses travels inside the file."""
    for page in pdf_pages(data):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (595, 842)  # 210 × 297 mm in points
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), f"font {font['/BaseFont']} not embedded"


def page_texts(data: bytes) -> list[str]:
    """Each page's text as PDFium (Chrome's PDF engine) extracts it, whitespace removed."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        return ["".join(page.get_textpage().get_text_range().split()) for page in document]
    finally:
        document.close()


def qr_texts(data: bytes) -> list[list[str]]:
    """Every page rendered to an image (pypdfium2, 150 dpi), and the QR codes zxing-cpp reads on it."""
    import pypdfium2 as pdfium
    import zxingcpp

    document = pdfium.PdfDocument(data)
    try:
        pages = []
        for page in document:
            image = page.render(scale=150 / 72).to_pil()
            pages.append([barcode.text for barcode in zxingcpp.read_barcodes(image)
                          if barcode.format == zxingcpp.BarcodeFormat.QRCode])
        return pages
    finally:
        document.close()


@pytest.fixture
def staff(make_user):
    return make_user(role="staff", name="张工作")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def actions(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def upload(staff, data: bytes, filename: str = "名单.csv") -> ImportBatch:
    batch = imports.upload_batch(filename, data, staff)
    db.session.commit()
    return batch


def errors_by_line(batch: ImportBatch) -> dict[int, dict[str, list[str]]]:
    db.session.expire_all()
    return {row["line"]: row["errors"] for row in db.session.get(ImportBatch, batch.id).rows}


def import_valid(batch: ImportBatch, staff) -> list[Merchant]:
    """What 只导入正确的行 does where no queue is configured: decide (start_import), commit, run the job
    here. The shops the batch imported, in order; the job's refusal is raised as the Conflict it was."""
    job = imports.start_import(batch, staff)
    db.session.commit()
    runner.perform(job.id)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    if job.status == "failed":
        raise Conflict(job.message)
    return list(db.session.scalars(select(Merchant).join(ShopInvitation, ShopInvitation.merchant_id == Merchant.id)
                                   .where(ShopInvitation.batch_id == batch.id).order_by(Merchant.id)))


def imported(staff, rows: list[list[str]]) -> list[Merchant]:
    return import_valid(upload(staff, csv_text(rows).encode()), staff)
