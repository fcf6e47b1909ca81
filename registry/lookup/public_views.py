"""Public pages: home, search, the QR page and code verification. No login, no JavaScript needed."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from registry.badges.keys import keys_document, published_badge_keys
from registry.badges.offline import verify_badge_url
from registry.badges.services import badge_by_verification_code
from registry.clock import utcnow
from registry.extensions import limiter
from registry.issuer import issuing_body, logo_image
from registry.lookup import queries
from registry.lookup.forms import SearchForm, VerifyForm, VerifyLinkForm
from registry.moderation.standings import shop_standings
from registry.pagination import page_number
from registry.pledges.versions import current_version
from registry.web import public_base_url

bp = Blueprint("lookup", __name__)


@bp.route("/")
def home():
    form = SearchForm(request.args)
    form.district.choices = [("", _("全部区县"))] + [(d, d) for d in queries.public_districts()]
    return render_template("lookup/home.html", form=form, version=current_version())


@bp.route("/search")
def search():
    form = SearchForm(request.args)
    form.district.choices = [("", _("全部区县"))] + [(d, d) for d in queries.public_districts()]
    page = page_number()
    results = queries.search_merchants(form.q.data or "", form.district.data or None, max(page, 1),
                                       current_app.config["SEARCH_PAGE_SIZE"])
    standings = shop_standings(results.items, utcnow())
    rows = [(m, standings[m.id].standing, standings[m.id].repaired_at) for m in results.items]
    return render_template("lookup/search.html", form=form, results=results, rows=rows)


@bp.route("/m/<code>")
def shop(code: str):
    now = utcnow()
    page = queries.load_shop_page(code, request.args.get("s"), now)
    if page is None:
        return render_template("lookup/unknown_code.html", code=code[:32]), 404
    response = current_app.make_response(render_template(
        "lookup/shop.html", page=page, checked_at=now, complaints=page.complaints, replies=page.replies,
        figures=page.figures, scanned_serial=(request.args.get("s") or "")[:24],
    ))
    # Standing can change at any moment (a sanction, a lapse): caches must ask again every time
    # (the nginx micro-cache in deploy/ holds a page for one second at most).
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/verify")
@limiter.limit("30 per minute")
def verify():
    form, link_form = VerifyForm(request.args), VerifyLinkForm(request.args)
    check = None
    if request.args.get("url") is not None:
        # The offline proof: a pure function of the URL and the published keys, no database.
        if link_form.validate():
            check = verify_badge_url(link_form.url.data, published_badge_keys(), public_base_url())
        form = VerifyForm(formdata=None)
    elif request.args and form.validate():
        badge = badge_by_verification_code(form.code.data)
        if badge is not None and badge.merchant.is_public:
            return redirect(url_for("lookup.shop", code=badge.merchant.public_code, s=badge.serial))
        form.code.errors.append(_("没有找到这个验证码。请核对海报上的 8 位字符（不含 0、1、I、L、O）。"))
    return render_template("lookup/verify.html", form=form, link_form=link_form, check=check,
                           live_url=(link_form.url.data or "").strip() if check is not None and check.ok else None)


@bp.route("/verify/keys")
@limiter.exempt
def verify_keys():
    """The public keys that sign the badges' offline proofs, current and retired (JSON, stable URL)."""
    response = jsonify(keys_document())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/favicon.ico")
@limiter.exempt
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; answered, not a 404 in every console."""
    # Read whole (4 KB) rather than streamed: nothing is left open when a client does not read it.
    icon = Path(current_app.static_folder, "favicon.ico").read_bytes()
    response = Response(icon, mimetype="image/vnd.microsoft.icon")
    response.headers["Cache-Control"] = "public, max-age=604800"
    return response


@bp.route("/issuer/logo")
@limiter.exempt
def issuer_logo():
    """The issuing body's logo (ISSUER_LOGO_FILE), at a stable address for pages and print."""
    found = logo_image(issuing_body())
    if found is None:
        abort(404)
    response = Response(found[0], mimetype=found[1])
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
