"""The closing letter (complaints.letters): 不予受理告知书 for a refused case, 调解终结书 for a failed
mediation; downloaded by the consumer through the case link and by staff in the district; the parties as a
third person may read them, the paths onward with tap-to-call numbers, the issuing body."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from registry.clock import china_date
from registry.extensions import db
from registry.issuer import issuing_body

from .helpers import MASKED_NAME, NAME, PHONE, file, walk

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def pdf_text(data: bytes) -> tuple[int, str, set[str]]:
    """(pages, text with whitespace removed, link targets) of a PDF. The text as PDFium (Chrome's PDF
    engine) reads it, which is what a reader's copy and search see; pypdf for the link annotations."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    reader = PdfReader(io.BytesIO(data))
    links = set()
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                links.add(str(action["/URI"]))
    return len(reader.pages), "".join(text.split()), links


def case_in(world, variant):
    complaint, token = file(world.shop)
    walk(complaint, world, variant)
    return complaint, token


def _day(moment) -> str:
    day = china_date(moment)
    return f"{day.year}年{day.month}月{day.day}日"


def test_a_refused_case_has_a_refusal_notice(world, client):
    complaint, token = case_in(world, "refused")
    response = client.get(f"/c/{token}/letter.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "refusal-notice-" in response.headers["Content-Disposition"]
    pages, text, links = pdf_text(response.data)
    assert pages == 1
    body = issuing_body()
    for part in ("不予受理告知书", complaint.tracking_number, MASKED_NAME, world.shop.name, "缺少必要信息，无法核实",
                 _day(complaint.filed_at), _day(complaint.decided_at), "12315", "12348", "人民法院", body.name,
                 body.phone.replace(" ", "")):
        assert part in text, part
    assert NAME not in text and PHONE not in text and world.shop.contact_phone not in text
    assert "请补充购物小票后再投诉" not in text  # the officer's own words stay on the case page
    assert {"tel:12315", "tel:12348", body.phone_uri} <= links


def test_a_failed_mediation_has_a_termination_letter(world, client):
    complaint, token = case_in(world, "closed_failed")
    pages, text, _links = pdf_text(client.get(f"/c/{token}/letter.pdf").data)
    assert pages == 1
    for part in ("调解终结书", complaint.tracking_number, MASKED_NAME, "终结调解", _day(complaint.closed_at)):
        assert part in text, part
    assert NAME not in text and PHONE not in text
    assert "双方未能达成一致。" not in text  # the staff's result note is not copied


@pytest.mark.parametrize("variant", ["filed", "accepted", "closed_agreed", "closed_mediated",
                                     "withdrawn_before_acceptance"])
def test_other_cases_have_no_letter(world, client, variant):
    complaint, token = case_in(world, variant)
    assert client.get(f"/c/{token}/letter.pdf").status_code == 404
    assert "letter.pdf" not in client.get(f"/c/{token}").text


def test_the_case_page_offers_the_letter_and_tap_to_call_numbers(world, client):
    _complaint, token = case_in(world, "refused")
    page = client.get(f"/c/{token}").text
    assert f"/c/{token}/letter.pdf" in page and "《不予受理告知书》" in page
    assert 'href="tel:12315"' in page and 'href="tel:12348"' in page


def test_staff_download_the_same_letter_in_their_district(world, client, login_as):
    complaint, token = case_in(world, "closed_failed")
    consumer_copy = client.get(f"/c/{token}/letter.pdf").data
    login_as(client, world.staff)
    assert f"/staff/complaints/{complaint.id}/letter.pdf" in client.get(f"/staff/complaints/{complaint.id}").text
    staff_copy = client.get(f"/staff/complaints/{complaint.id}/letter.pdf")
    assert staff_copy.status_code == 200
    assert pdf_text(staff_copy.data)[1] == pdf_text(consumer_copy)[1]
    login_as(client, world.staff_elsewhere)
    assert client.get(f"/staff/complaints/{complaint.id}/letter.pdf").status_code == 403


def test_a_purged_name_is_said_so(world, client):
    complaint, token = case_in(world, "refused")
    complaint.consumer_name = None
    db.session.commit()
    text = pdf_text(client.get(f"/c/{token}/letter.pdf").data)[1]
    assert "已按保存期限删除" in text
