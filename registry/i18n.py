"""Language choice: Simplified Chinese first, English on request."""

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l

LANGUAGE_COOKIE = "lang"
LOGIN_REQUIRED_MESSAGE = _l("请先登录。")


def select_locale() -> str:
    """An explicit choice (cookie) wins; otherwise the browser's preference, else Chinese."""
    if not has_request_context():
        # CLI commands (and services they call) have no request to choose by.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
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
