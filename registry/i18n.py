"""Language choice: Simplified Chinese first, English on request."""

from flask import current_app, request
from flask_babel import lazy_gettext as _l

LANGUAGE_COOKIE = "lang"
LOGIN_REQUIRED_MESSAGE = _l("请先登录。")


def select_locale() -> str:
    """An explicit choice (cookie) wins; otherwise the browser's preference, else Chinese."""
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(list(languages), default="zh") or "zh"
