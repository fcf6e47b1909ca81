"""Language choice: Simplified Chinese first, English on request."""

from flask import current_app, g, has_request_context, request
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l

LANGUAGE_COOKIE = "lang"
LOGIN_REQUIRED_MESSAGE = _l("请先登录。")


def select_locale() -> str:
    """An explicit choice (cookie) wins; otherwise the browser's preference, else Chinese."""
    if not has_request_context():
        # CLI commands (and services they call) have no request to choose by.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return language_of(request, current_app.config["LANGUAGES"])


def language_of(request, languages) -> str:
    """The language a request asks for (any werkzeug request: the page cache's fast path asks too)."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(list(languages), default="zh") or "zh"


def join_list(items) -> str:
    """Join short items the way the reader's language does: 1、2、3 in Chinese, 1, 2, 3 in English."""
    from flask_babel import get_locale

    locale = get_locale()
    separator = ", " if locale is not None and locale.language == "en" else "、"
    return separator.join(str(item) for item in items)


def _request_translations():
    """Flask-Babel's get_translations(), kept for the rest of the request.

    Flask-Babel looks up the domain, the locale and its cache key on every call (about thirty calls
    per page). The answer is remembered next to Flask-Babel's own per-request state, tied to the
    locale object it was made for: force_locale() installs a different locale object, so a page
    part rendered in another language still gets the right catalog.
    """
    state = getattr(g, "_flask_babel", None)
    locale = getattr(state, "babel_locale", None)
    cached = getattr(state, "cxm_translations", None)
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    state = getattr(g, "_flask_babel", None)
    if state is not None and getattr(state, "babel_locale", None) is not None:
        state.cxm_translations = (state.babel_locale, translations)
    return translations


def install_fast_template_gettext(app) -> None:
    """The same callables Flask-Babel gives Jinja, through _request_translations."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
