"""Public pages: home, search, the QR page and code verification. No login, no JavaScript needed."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from registry.badges.services import badge_by_verification_code
from registry.clock import utcnow
from registry.extensions import limiter
from registry.lookup import queries
from registry.lookup.forms import SearchForm, VerifyForm
from registry.moderation.standings import shop_standings
from registry.pagination import page_number
from registry.pledges.versions import current_version

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
    form = VerifyForm(request.args)
    if request.args and form.validate():
        badge = badge_by_verification_code(form.code.data)
        if badge is not None and badge.merchant.is_public:
            return redirect(url_for("lookup.shop", code=badge.merchant.public_code, s=badge.serial))
        form.code.errors.append(_("没有找到这个验证码。请核对海报上的 8 位字符（不含 0、1、I、L、O）。"))
    return render_template("lookup/verify.html", form=form)
