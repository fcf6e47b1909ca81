"""Badge images for everyone: the QR of a live badge as PNG (with the shop's name and code under it) or SVG,
and the shop's share card; each cached by what it shows."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from blinker import Namespace
from flask import Blueprint, Response, abort, request
from flask_babel import force_locale

from registry.badges import cards, qr, services
from registry.clock import utcnow
from registry.extensions import no_rate_limit
from registry.issuer import issuing_body
from registry.merchants import standing as standing_rule
from registry.merchants.labels import STANDING_EXPLANATIONS, STANDING_LABELS
from registry.merchants.services import merchant_by_public_code
from registry.pdf import FontMissing, cjk_font
from registry.pledges.queries import current_version_terms
from registry.pledges.signing import latest_signature, pledge_facts

log = logging.getLogger(__name__)

bp = Blueprint("badges", __name__)

_signals = Namespace()
# Sent while a share card is drawn, with sender=shop and now=...; a receiver returns the standing the QR page
# shows (moderation counts the sanctions in force), so badges never imports the packages above it.
public_standing = _signals.signal("badge-public-standing")

# The share card says the standing, which can change at any moment: caches keep it briefly and then ask
# again (a 304 while the ETag still matches).
CARD_MAX_AGE = 300


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def _image_response(etag: str, draw: Callable[[], bytes], mimetype: str, filename: str | None,
                    max_age: int = 86400) -> Response:
    # A client that already has the picture gets a 304 without it being drawn again.
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(draw(), mimetype=mimetype)
        if filename and request.args.get("download"):
            response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.set_etag(etag)
    return response


def _live_badge_or_404(serial: str) -> services.LiveBadge:
    """A void or unknown serial has no image (and so no 304 either)."""
    badge = services.live_badge(serial[:24])
    if badge is None:
        abort(404)
    return badge


def _proof_mark(url: str) -> str:
    # A badge signed later (`flask badges sign-missing`) draws another QR under the same serial.
    return "v" if "&v=" in url else "u"


def _has_cjk_font() -> bool:
    try:
        cjk_font()
    except FontMissing:
        log.warning("no CJK font (fonts-noto-cjk): badge PNGs are drawn without the shop name and code")
        return False
    return True


@bp.route("/badge/<serial>.png")
@no_rate_limit  # drawn once per serial and name, then answered 304 or from caches; nothing to protect
def badge_png(serial: str):
    badge = _live_badge_or_404(serial)
    if not _has_cjk_font():
        # The QR is what a badge cannot do without: a server missing the font still serves it, bare.
        return _image_response(f"{serial}-{_proof_mark(badge.url)}-bare-png", lambda: qr.qr_png(badge.url),
                               "image/png", f"chengxinma-{serial}.png")
    # The shop's name is drawn under the QR: a renamed shop's picture is a new one.
    etag = f"{serial}-{_proof_mark(badge.url)}-{_fingerprint(badge.shop_name)}-png"
    return _image_response(etag, lambda: cards.labelled_badge_png(badge.url, badge.shop_name, badge.code),
                           "image/png", f"chengxinma-{serial}.png")


@bp.route("/badge/<serial>.svg")
@no_rate_limit
def badge_svg(serial: str):
    """The bare QR, scalable, for print shops and the printable poster (which prints the code under it)."""
    badge = _live_badge_or_404(serial)
    return _image_response(f"{serial}-{_proof_mark(badge.url)}-svg", lambda: qr.qr_svg(badge.url), "image/svg+xml",
                           f"chengxinma-{serial}.svg")


def _shown_standing(shop, now) -> str:
    """The standing the QR page shows: moderation's answer, or (without it) the pledge rule alone."""
    answers = [answer for _receiver, answer in public_standing.send(shop, now=now) if answer]
    if answers:
        return answers[-1]
    pledge = pledge_facts(latest_signature(shop))
    return standing_rule.assess(shop.standing, pledge, current_version_terms(), (), now).standing


@bp.route("/m/<code>/card.png")
@no_rate_limit  # answered 304 while nothing on it changed; drawn pictures are kept by content
def share_card(code: str):
    """The picture a chat app shows for a shared shop link (the QR page's og:image)."""
    shop = merchant_by_public_code(code)
    badge = services.current_badge(shop) if shop is not None else None
    if badge is None:
        abort(404)
    standing = _shown_standing(shop, utcnow())
    with force_locale("zh"):  # one picture for every reader, in the posters' language
        label, words = str(STANDING_LABELS[standing]), str(STANDING_EXPLANATIONS[standing])
    facts = cards.CardFacts(url=services.badge_url(shop, badge), shop_name=shop.name, code=badge.verification_code,
                            standing=standing, standing_label=label, standing_words=words,
                            issuer_name=issuing_body().name)
    etag = f"card-{_fingerprint(*map(str, vars(facts).values()))}"
    return _image_response(etag, lambda: cards.share_card_png(facts), "image/png", f"chengxinma-{shop.public_code}.png",
                           max_age=CARD_MAX_AGE)
