"""Printable PDFs for a campaign: invitation letters and badge posters, A4, one page per shop.

The font and the text drawing are the kernel's (registry.pdf); the poster, the QR and the issuer's logo and
line are drawn as badges/posters.py draws the owner's own poster.
"""

from __future__ import annotations

from collections.abc import Callable


from registry.badges.posters import PosterItem, draw_logo as _logo, draw_poster, draw_qr as _qr
from registry.badges.posters import issuer_line as _issuer_line
from registry.campaigns.models import ShopInvitation
from registry.campaigns.claims import claim_url
from registry.clock import local_date
from registry.clock import utcnow
from registry.issuer import IssuingBody, issuing_body
from registry.merchants.labels import CATEGORY_LABELS
# The shared PDF helpers live in the kernel (complaints' closing letters use them too); FontMissing and
# cjk_font are named here as well, where the campaign pages and tests look for them.
from registry.pdf import GREY, LIGHT, RED, FontMissing, cjk_font
from registry.pdf import document as _document
from registry.pdf import draw_text as _text, text_height as _text_height
from registry.web import public_base_url

__all__ = ["FontMissing", "badge_posters", "cjk_font", "invitation_letters"]


def badge_posters(items: list[PosterItem], drawn: Callable[[int], None] | None = None) -> bytes:
    """One PDF, one A4 poster per shop, in the order given (each drawn as the owner's own poster is);
    `drawn(count)` after each page (a job's progress)."""
    base_url = public_base_url()
    pdf = _document("诚信码海报")
    issuer = issuing_body()
    for number, item in enumerate(items, start=1):
        draw_poster(pdf, item, base_url, issuer)
        if drawn is not None:
            drawn(number)
    return bytes(pdf.output())


# --- Invitation letters --------------------------------------------------------------------------

def _letter_page(pdf, invitation: ShopInvitation, base_url: str, issuer: IssuingBody) -> None:
    shop = invitation.merchant
    pdf.add_page()
    left, inner, width = 20.0, 170.0, 210.0
    pdf.set_fill_color(*RED)
    pdf.rect(0, 0, width, 6, style="F")

    # The letterhead names the sender: an invitation must be easy to tell from a scam.
    head_left = left + 18 if _logo(pdf, issuer, left, 12, 15) else left
    y = _text(pdf, head_left, 12, inner - (head_left - left), issuer.name, 15, bold=True, color=RED, align="L")
    y = _text(pdf, head_left, y, inner - (head_left - left), "诚信码 · 商户诚信经营承诺公示平台", 10, color=GREY,
              align="L")
    y = _text(pdf, left, y + 4, inner, "店铺认领邀请函", 24, bold=True)
    y = _text(pdf, left, y + 6, inner, f"{shop.owner_name}：", 12, align="L")
    y = _text(pdf, left, y + 1, inner,
              "您好！工作人员上门走访时，已为贵店在“诚信码”平台登记了下列信息。请用手机认领店铺、核对信息，"
              "并在线签署《诚信经营倡议书》。签署后即可下载诚信码海报，张贴在店门口，顾客扫码就能看到本店的诚信承诺。",
              12, align="L", leading=1.6)

    # The shop as registered, so the owner can spot a mistake before claiming.
    box_top = y + 4
    rows = [("店铺名称", shop.name), ("统一社会信用代码", shop.credit_code),
            ("类别", str(CATEGORY_LABELS.get(shop.category, shop.category))),
            ("地址", f"{shop.district}{shop.township} {shop.address}")]
    row_heights = [max(9.0, _text_height(pdf, value, inner - 50, 11, bold=True) + 2) for _label, value in rows]
    box_height = 8 + sum(row_heights)
    pdf.set_fill_color(*LIGHT)
    pdf.set_draw_color(221, 226, 232)
    pdf.set_line_width(0.3)
    pdf.rect(left, box_top, inner, box_height, style="DF")
    y = box_top + 4
    for (label, value), row_height in zip(rows, row_heights):
        _text(pdf, left + 5, y, 38, label, 11, color=GREY, align="L")
        _text(pdf, left + 45, y, inner - 50, value, 11, bold=True, align="L")
        y += row_height

    # The code, big, and the QR that opens the claim page with the code filled in.
    code_top = box_top + box_height + 8
    qr_size = 48.0
    _qr(pdf, claim_url(invitation), left + inner - qr_size, code_top - 3, qr_size)
    y = _text(pdf, left, code_top, inner - qr_size - 5, "邀请码", 12, color=GREY, align="L")
    y = _text(pdf, left, y + 1, inner - qr_size - 5, invitation.display_code, 34, bold=True, color=RED, align="L",
              spacing=2)
    y = _text(pdf, left, y + 2, inner - qr_size - 5, f"有效期至 {local_date(invitation.expires_at)}，只能使用一次",
              11, color=GREY, align="L")
    y = _text(pdf, left, y + 1, inner - qr_size - 5, f"认领网址：{base_url}/my/claim", 11, align="L")

    y = max(y, code_top - 3 + qr_size) + 8
    y = _text(pdf, left, y, inner, "怎么认领", 14, bold=True, align="L")
    steps = [
        "用手机扫描上方二维码，或在浏览器打开认领网址。",
        "注册账号（手机号 + 密码）；已有账号的直接登录。",
        "输入邀请码，以及工作人员登记的联系电话的后 4 位数字。",
        "核对店铺信息，阅读并签署《诚信经营倡议书》。",
        "下载或打印诚信码海报，张贴在店门口显眼位置。",
    ]
    for number, step in enumerate(steps, start=1):
        _text(pdf, left, y + 1, 8, f"{number}.", 12, align="R", leading=1.6)
        y = _text(pdf, left + 10, y + 1, inner - 10, step, 12, align="L", leading=1.6)

    _text(pdf, left, y + 6, inner, f"{issuer.name}    {local_date(utcnow())}", 12, align="R")

    foot_top = 297 - 38
    pdf.set_draw_color(204, 204, 204)
    pdf.line(left, foot_top, left + inner, foot_top)
    y = _text(pdf, left, foot_top + 3, inner,
              "邀请码相当于店铺的钥匙，请妥善保管本函，不要拍照发给他人。店铺信息有误、已停业或没有收到过上门走访的，"
              f"或对本函真伪有疑问，请致电{issuer.name} {issuer.phone} 核实。", 10, color=GREY, align="L",
              leading=1.5)
    y = _text(pdf, left, y + 1, inner, _issuer_line(issuer) + (f" · {issuer.address}" if issuer.address else ""),
              9, color=GREY, align="L")
    _text(pdf, left, y + 1, inner, f"批次 {invitation.batch_id} · 打印于 {local_date(utcnow())}", 9, color=GREY,
          align="L")


def invitation_letters(invitations: list[ShopInvitation]) -> bytes:
    """One PDF, one A4 letter per invitation."""
    base_url = public_base_url()
    pdf = _document("店铺认领邀请函")
    issuer = issuing_body()
    for invitation in invitations:
        _letter_page(pdf, invitation, base_url, issuer)
    return bytes(pdf.output())
