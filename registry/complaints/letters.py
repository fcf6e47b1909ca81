"""The closing letter a consumer downloads when the association cannot resolve the case: 不予受理告知书
(the complaint was refused) or 调解终结书 (mediation failed). One A4 page, in Chinese (it is an official
document whatever language the page is read in).

What it holds and why: the case number and its dates; the parties as a third person may read them
(the consumer's name masked with phones.mask_name, since the letter is often handed on to a regulator
or a court clerk; the shop's registered name in full; nobody's phone); the outcome and the statutory
ground by their labels only (never the officer's free text); where to go next, with 12315 and 12348
as tap-to-call links; and the issuing body with the date of the decision, so every download of the
same case is the same letter.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort
from flask_babel import force_locale

from registry.clock import china_date
from registry.complaints import states
from registry.complaints.labels import REFUSAL_GROUND_LABELS
from registry.complaints.models import Complaint
from registry.downloads import PDF, download
from registry.issuer import issuing_body
from registry.pdf import GREY, RED, document, draw_text, mm
from registry.phones import mask_name

REFUSAL, TERMINATION = "refusal", "termination"
TITLES = {REFUSAL: "不予受理告知书", TERMINATION: "调解终结书"}
FILE_STEMS = {REFUSAL: "refusal-notice", TERMINATION: "mediation-termination"}

# Where a consumer turns next (the same paths as templates/complaints/_next_steps.html). A number
# after the text makes the line a tap-to-call link.
NEXT_STEPS = (
    ("拨打 12315 市场监管投诉举报热线，或登录全国 12315 平台（www.12315.cn），向市场监督管理部门投诉举报。", "12315"),
    ("拨打 12348 公共法律服务热线，咨询是否符合法律援助条件。", "12348"),
    ("您与商家约定了仲裁的，可以向仲裁委员会申请仲裁。", None),
    ("向人民法院提起诉讼；小额消费纠纷可以适用小额诉讼程序，费用低、审理快。", None),
)


def letter_kind(complaint: Complaint) -> str | None:
    """Which closing letter the case has: refused → REFUSAL, mediation failed → TERMINATION, else None."""
    if complaint.status == states.REFUSED:
        return REFUSAL
    if complaint.status == states.CLOSED and complaint.outcome == states.FAILED:
        return TERMINATION
    return None


def _day(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    day = china_date(moment)
    return f"{day.year}年{day.month}月{day.day}日"


def _decided_at(complaint: Complaint, kind: str) -> datetime | None:
    return complaint.decided_at if kind == REFUSAL else complaint.closed_at


def letter_facts(complaint: Complaint, kind: str) -> list[tuple[str, str]]:
    """The letter's table: label → value, parties masked as a third person may read them."""
    shop = complaint.merchant
    consumer = mask_name(complaint.consumer_name) if complaint.consumer_name else "（已按保存期限删除）"
    decided_label = "不予受理决定日期" if kind == REFUSAL else "终结调解日期"
    return [
        ("投诉编号", complaint.tracking_number),
        ("投诉人", consumer),
        ("被投诉人", shop.name),
        ("被投诉人地址", f"{shop.district}{shop.township} {shop.address}"),
        ("收到投诉日期", _day(complaint.filed_at)),
        (decided_label, _day(_decided_at(complaint, kind))),
    ]


def letter_body(complaint: Complaint, kind: str) -> str:
    """The decision in words, from labels only."""
    if kind == REFUSAL:
        with force_locale("zh"):
            ground = str(REFUSAL_GROUND_LABELS.get(complaint.refusal_ground or "other", complaint.refusal_ground))
        return (f"您于{_day(complaint.filed_at)}提出的投诉，经审查不符合受理条件，本会决定不予受理。"
                f"不予受理的依据：{ground}。")
    return (f"本会于{_day(complaint.decided_at)}受理您的投诉，并组织双方进行调解。经调解，双方未能达成一致意见，"
            f"本会决定终结调解。")


def closing_letter(complaint: Complaint) -> bytes:
    """The one-page PDF of the case's closing letter (ValueError when the case has none)."""
    kind = letter_kind(complaint)
    if kind is None:
        raise ValueError("this complaint has no closing letter")
    body = issuing_body()
    title = TITLES[kind]
    pdf = document(title)
    pdf.add_page()
    left, inner = 20.0, 170.0
    pdf.set_fill_color(*RED)
    pdf.rect(0, 0, 210, 6, style="F")
    y = draw_text(pdf, left, 16, inner, body.name, 13, bold=True, color=RED)
    y = draw_text(pdf, left, y + 4, inner, title, 24, bold=True)
    y = draw_text(pdf, left, y + 1, inner, f"编号：{complaint.tracking_number}", 11, color=GREY)

    y += 6
    pdf.set_draw_color(221, 226, 232)
    pdf.set_line_width(0.3)
    for label, value in letter_facts(complaint, kind):
        draw_text(pdf, left, y, 38, label, 11, color=GREY, align="L")
        bottom = draw_text(pdf, left + 40, y, inner - 40, value, 11, bold=True, align="L")
        y = max(bottom, y + mm(11) * 1.35) + 1.5
        pdf.line(left, y - 0.8, left + inner, y - 0.8)

    y = draw_text(pdf, left, y + 5, inner, letter_body(complaint, kind), 12, align="L", leading=1.7)
    y = draw_text(pdf, left, y + 6, inner, "您还可以通过以下途径维护自身权益：", 13, bold=True, align="L")
    for number, (step, phone) in enumerate(NEXT_STEPS, start=1):
        top = y + 1.5
        draw_text(pdf, left, top, 8, f"{number}.", 12, align="R", leading=1.6)
        y = draw_text(pdf, left + 10, top, inner - 10, step, 12, align="L", leading=1.6)
        if phone:
            pdf.link(left + 10, top, inner - 10, y - top, f"tel:{phone}")
    y = draw_text(pdf, left, y + 4, inner, "请妥善保存购物凭证、聊天记录、商品和照片等证据，以及本告知书。", 11, color=GREY,
                  align="L")

    # The issuing body and the date of the decision, at the foot like a seal line.
    foot = 297 - 62
    pdf.set_draw_color(204, 204, 204)
    pdf.line(left, foot, left + inner, foot)
    y = draw_text(pdf, left, foot + 4, inner, body.name, 13, bold=True, align="R")
    y = draw_text(pdf, left, y + 1, inner, _day(_decided_at(complaint, kind)), 12, align="R")
    contact = [f"联系电话：{body.phone}"]
    if body.address:
        contact.insert(0, f"地址：{body.address}")
    if body.website:
        contact.append(f"网站：{body.website}")
    y = y + 4
    for line in contact:
        top = y
        y = draw_text(pdf, left, top, inner, line, 10, color=GREY, align="L")
        if line.startswith("联系电话"):
            pdf.link(left, top, inner, y - top, body.phone_uri)
    draw_text(pdf, left, y + 2, inner, "本告知书由诚信码平台按投诉记录生成，可凭投诉编号向本会核对。", 9, color=GREY, align="L")
    return bytes(pdf.output())


def letter_response(complaint: Complaint):
    """The letter as a download (404 when the case has none); the same bytes for consumer and staff."""
    kind = letter_kind(complaint)
    if kind is None:
        abort(404)
    return download(closing_letter(complaint), PDF, f"{FILE_STEMS[kind]}-{complaint.tracking_number}.pdf",
                    f"{TITLES[kind]}_{complaint.tracking_number}.pdf")
