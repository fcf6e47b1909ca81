"""What every view does after a form or a button is posted, written once.

A view checks the form, calls one service, and then either commits and moves on, or shows the
service's refusal and keeps what the person typed. Services flush and raise `DomainError`; they
never commit. These helpers own the rest of that idiom, so a refusal always rolls back everything
the service did (nothing is half-saved) and a success is always committed before the redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from registry.errors import DomainError, InvalidFields
from registry.extensions import db

T = TypeVar("T")

# A conflict means the page is out of date (someone else acted first): the form cannot be fixed by
# retyping, so the person is sent to the current state with the reason instead.
CONFLICT = 409


def show_form_error(form, error: DomainError) -> None:
    """Put a service's refusal next to the field it is about (each field's, for InvalidFields), or at the
    top of the form."""
    problems = error.errors if isinstance(error, InvalidFields) else {error.field: error.message}
    show_field_errors(form, problems)


def show_field_errors(form, problems: dict[str | None, str]) -> None:
    """Each message next to its field, unless the field already shows one (the form's own check said it
    first); a message for no field, or one the form lacks, goes at the top."""
    for field, message in problems.items():
        if field and field in form and form[field] is not None:
            if not form[field].errors:
                form[field].errors.append(message)
        elif message not in form.form_errors:
            form.form_errors.append(message)


def ask_for_photos_again(field) -> None:
    """A form shown again cannot hold the files chosen in it (browsers never send them back): when some were
    chosen, say so next to `field` (a file field), unless it shows a message already; when none were, say nothing."""
    if field.errors or not any(upload and upload.filename for upload in request.files.getlist(field.name)):
        return
    field.errors.append(_("出于安全原因，浏览器不会保留已选的照片，请重新选择。"))


def _target(then: str | Callable[[Any], str], result: Any) -> str:
    return then(result) if callable(then) else then


def save_form(form, action: Callable[[], T], *, then: str | Callable[[T], str], done: str | Callable[[T], str] | None = None,
              stale: str | None = None, after: Callable[[T], None] | None = None) -> Response | None:
    """Run `action` (one service call) for a valid `form`.

    Success: commit, call `after(result)` (what only a committed change may do: sign the person in,
    forget a session step), flash `done` (text, or a function of the result) and redirect to `then`
    (a URL, or a function of the result). Refusal: roll back, show the message on the form and return
    None, so the view renders the form again with what was typed. With `stale`, a conflict (the
    record changed meanwhile) is flashed and redirects there instead.
    """
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        if stale is not None and error.status_code == CONFLICT:
            flash(error.message, "error")
            return redirect(stale)
        show_form_error(form, error)
        return None
    db.session.commit()
    if after is not None:
        after(result)
    if done:
        flash(_target(done, result), "success")
    return redirect(_target(then, result))


def run_action(action: Callable[[], T], *, then: str | Callable[[T], str], done: str | Callable[[T], str] | None = None,
               refused: str | None = None) -> Response:
    """Run `action` for a button with nothing to retype (enable, withdraw, import…).

    Success: commit, flash `done`, redirect to `then`. Refusal: roll back, flash the reason and
    redirect to `refused` (default: `then`, when it is a plain URL).
    """
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        if refused is None and callable(then):
            raise ValueError("run_action needs `refused` when `then` depends on the result") from error
        return redirect(refused if refused is not None else then)
    db.session.commit()
    if done:
        flash(_target(done, result), "success")
    return redirect(_target(then, result))
