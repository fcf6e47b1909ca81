"""The badge poster as a PDF, A4 or A5: what templates/badges/poster.html prints from a browser, for
phones and WeChat, where there is no print dialog but a file can be sent to a print shop or a chat.

One drawing for every poster the registry makes: the owner's own (shop desk) and the campaigns' bulk
run (campaigns/pdf.py), which draws one page per shop with `draw_poster`. The font and the text
drawing are the kernel's (registry.pdf); fpdf2 draws the QR PNGs from badges.qr directly.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from dataclasses import dataclass


from registry.badges.models import Badge
from registry.badges.qr import qr_png
from registry.badges.services import badge_url, current_badge
from registry.clock import local_date
from registry.issuer import IssuingBody, issuing_body, logo_image
from registry.merchants.models import Merchant
from registry.pdf import GREY, RED, document, draw_text, fitting_size, mm, text_height
from registry.pledges.models import PledgeVersion, Signature
from registry.pledges.signing import latest_signature
from registry.pledges.versions import current_version
from registry.web import public_base_url

# A5 is A4 halved: every length and type size of the A4 drawing times 1/√2 (148 / 210).
PAGE_SIZES = {"A4": (210.0, 297.0), "A5": (148.0, 210.0)}


@dataclass(frozen=True)
class PosterItem:
    """What one poster shows: the same facts as templates/badges/poster.html."""

    shop: Merchant
    badge: Badge
    signature: Signature | None
    version: PledgeVersion
    url: str


def poster_item(shop: Merchant) -> PosterItem | None:
    """The poster of `shop`'s current badge, or None when it has none (not signed yet)."""
    badge = current_badge(shop)
    if badge is None:
        return None
    signature = latest_signature(shop)
    version = signature.pledge_version if signature else current_version()
    return PosterItem(shop, badge, signature, version, badge_url(shop, badge))


def draw_qr(pdf, url: str, x: float, y: float, size: float) -> None:
    pdf.image(io.BytesIO(qr_png(url)), x=x, y=y, w=size, h=size)


def draw_logo(pdf, issuer: IssuingBody, x: float, y: float, size: float) -> bool:
    """The issuing body's logo in a `size` square at (x, y), when one is configured (False otherwise)."""
    found = logo_image(issuer)
    if found is None:
        return False
    pdf.image(io.BytesIO(found[0]), x=x, y=y, w=size, h=size, keep_aspect_ratio=True)
    return True


def issuer_line(issuer: IssuingBody) -> str:
    """Who issued the badge and how to reach them, on every printed page."""
    line = f"签发单位：{issuer.name} · 咨询电话 {issuer.phone}"
    return line + (f" · {issuer.website}" if issuer.website else "")


def draw_poster(pdf, item: PosterItem, base_url: str, issuer: IssuingBody, size: str = "A4") -> None:
    """One poster page with the content of templates/badges/poster.html, A4 or A5 (the A4 layout scaled)."""
    width, height = PAGE_SIZES[size]
    k = width / 210.0  # every A4 measure below is multiplied by this

    def text(x, y, w, words, points, **style):
        return draw_text(pdf, x, y, w, words, points * k, **style)

    pdf.add_page(format=(width, height))
    # The red frame, 5 mm wide (A4) and as far in from the edge, where office printers still reach.
    pdf.set_draw_color(*RED)
    pdf.set_line_width(5 * k)
    pdf.rect(7.5 * k, 7.5 * k, width - 15 * k, height - 15 * k)
    left = 18.0 * k
    inner = width - 2 * left
    draw_logo(pdf, issuer, width - left - 16 * k, 16 * k, 16 * k)

    y = text(left, 20 * k, inner, "诚信经营 · 放心消费", 16, bold=True, color=RED, spacing=2 * k)
    name_size = fitting_size(pdf, item.shop.name, inner, 34 * k, 22 * k)
    y = draw_text(pdf, left, y + 3 * k, inner, item.shop.name, name_size, bold=True, leading=1.2)
    y = text(left, y + k, inner, f"已签署《{item.version.title}》（第 {item.version.number} 版）", 13, color=GREY)

    # The QR, its codes and the clauses sit in the middle of the space left, like the HTML poster.
    foot_top = height - (19 + 29) * k
    qr_size = 95.0 * k
    clause_width = inner - 17 * k
    clauses_height = sum(text_height(pdf, clause.text, clause_width, 12.5 * k, leading=1.55)
                         for clause in item.version.clauses)
    body_height = qr_size + k + mm(18 * k) * 1.35 + mm(10 * k) * 1.35 + 5 * k + clauses_height
    qr_top = y + max(6.0 * k, (foot_top - y - body_height) / 2)
    draw_qr(pdf, item.url, (width - qr_size) / 2, qr_top, qr_size)
    code = item.badge.verification_code
    y = text(left, qr_top + qr_size + k, inner, f"验证码 {code[:4]}-{code[4:]}", 18, bold=True, spacing=0.6 * k)
    y = text(left, y, inner, f"编号 {item.badge.serial}", 10, color=GREY)

    y += 5 * k
    for clause in item.version.clauses:
        text(left + 4 * k, y, 8 * k, f"{clause.number}.", 12.5, align="R", leading=1.55)
        y = text(left + 13 * k, y, clause_width, clause.text, 12.5, align="L", leading=1.55)

    # Footer pinned to the bottom of the frame.
    pdf.set_draw_color(204, 204, 204)
    pdf.set_line_width(0.3)
    pdf.line(left, foot_top, width - left, foot_top)
    y = text(left, foot_top + 3 * k, inner, "扫码查看本店承诺、信用状态和投诉处理情况；", 10)
    y = text(left, y, inner, f"无法扫码时，访问 {base_url}/verify 输入验证码。", 10)
    facts = f"统一社会信用代码 {item.shop.credit_code}"
    if item.signature is not None:
        facts += (f" · 签署日期 {local_date(item.signature.signed_at)}"
                  f" · 有效期至 {local_date(item.signature.expires_at)}")
    y = text(left, y + k, inner, facts, 10)
    text(left, y + k, inner, issuer_line(issuer), 10, bold=True)


# Drawing a poster takes seconds of CPU (fpdf2 subsets the CJK font), and owners download the same one
# again (A4 then A5, phone then computer): the last few are kept, keyed by everything printed on them.
_DRAWN: OrderedDict[tuple, bytes] = OrderedDict()
_DRAWN_KEPT = 32


def _printed_facts(item: PosterItem, size: str, base_url: str, issuer: IssuingBody) -> tuple:
    signature = item.signature
    return (size, base_url, issuer, item.url, item.shop.name, item.shop.credit_code, item.badge.serial,
            item.badge.verification_code, item.version.id,
            (signature.signed_at, signature.expires_at) if signature is not None else None)


def poster_pdf(item: PosterItem, size: str = "A4") -> bytes:
    """One shop's poster as a one-page PDF of paper `size` (A4 or A5)."""
    base_url, issuer = public_base_url(), issuing_body()
    key = _printed_facts(item, size, base_url, issuer)
    drawn = _DRAWN.get(key)
    if drawn is None:
        pdf = document(f"诚信码海报 · {item.shop.name}")
        draw_poster(pdf, item, base_url, issuer, size)
        drawn = _DRAWN[key] = bytes(pdf.output())
        while len(_DRAWN) > _DRAWN_KEPT:
            _DRAWN.popitem(last=False)
    return drawn
