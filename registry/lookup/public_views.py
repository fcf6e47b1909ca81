"""Public pages: home, search, the QR page and code verification. No login, no JavaScript needed."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from registry.badges.keys import keys_document, published_badge_keys
from registry.badges.offline import verify_badge_url
from registry.badges.services import badge_by_verification_code
from registry.clock import utcnow
from registry.extensions import limiter, no_rate_limit
from registry.issuer import issuing_body, logo_image
from registry.lookup import page_cache, queries
from registry.lookup.forms import SearchForm, VerifyForm, VerifyLinkForm
from registry.pagination import page_number
from registry.pledges.versions import current_version
from registry.replica import replica_reads
from registry.web import public_base_url

bp = Blueprint("lookup", __name__)


@bp.route("/")
@replica_reads
def home():
    form = SearchForm(request.args)
    form.district.choices = [("", _("全部区县"))] + [(d, d) for d in queries.public_districts()]
    return render_template("lookup/home.html", form=form, version=current_version())


@bp.route("/search")
@replica_reads
def search():
    form = SearchForm(request.args)
    form.district.choices = [("", _("全部区县"))] + [(d, d) for d in queries.public_districts()]
    page_size = current_app.config["SEARCH_PAGE_SIZE"]
    if not form.validate():  # a query longer than the box allows: said next to the box, nothing searched
        results = queries.ResultPage([], 1, page_size, 0, False, False)
    else:
        results = queries.search_merchants(form.q.data or "", form.district.data or None, page_number(), page_size)
    standings = queries.result_standings(results, utcnow())
    rows = [(m, standings[m.id].standing, standings[m.id].repaired_at) for m in results.items]
    return render_template("lookup/search.html", form=form, results=results, rows=rows)


@bp.route("/m/<code>")
@replica_reads
@no_rate_limit
def shop(code: str):
    now = utcnow()
    key, missed = page_cache.shop_page_key(code)
    cached = page_cache.cached_page(key, now) if key and not missed else None
    if cached is not None:
        body, layer = cached
    else:
        page = queries.load_shop_page(code, request.args.get("s"), now)
        if page is None:
            return render_template("lookup/unknown_code.html", code=code[:32]), 404
        body = render_template(
            "lookup/shop.html", page=page, checked_at=now, checked_at_slot=page_cache.CHECKED_AT_SLOT,
            complaints=page.complaints, replies=page.replies, figures=page.figures,
            scanned_serial=(request.args.get("s") or "")[:24],
        ).encode()
        layer = page_cache.UNCACHED
        if key:
            page_cache.keep(key, body, page.valid_until, now)
            layer = page_cache.RENDERED
    response = current_app.make_response(page_cache.with_checked_at(body, now))
    # Standing can change at any moment (a sanction, a lapse): caches must ask again every time
    # (the nginx micro-cache in deploy/ holds a page for one second at most).
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Page-Cache"] = layer
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
@no_rate_limit
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
@no_rate_limit
def issuer_logo():
    """The issuing body's logo (ISSUER_LOGO_FILE), at a stable address for pages and print."""
    found = logo_image(issuing_body())
    if found is None:
        abort(404)
    response = Response(found[0], mimetype=found[1])
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
