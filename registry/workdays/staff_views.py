"""Staff page for the working-day calendar: which years are entered, and each year's holidays and 调休.

Every officer reads it; only administrators change it: the posts check that first, so anyone else
gets the 403 page rather than a message on a form they may not use (the services refuse them too).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.clock import today_in_china
from registry.view_helpers import run_action, save_form
from registry.walls import staff_area
from registry.workdays import calendar as working_days, editing
from registry.workdays.calendar import unknown_years
from registry.workdays.editing import FIRST_YEAR, LAST_YEAR
from registry.workdays.forms import ActionForm, DayForm, parse_day

bp = staff_area(Blueprint("workdays", __name__, url_prefix="/staff/calendar"))


def _user():
    return current_user._get_current_object()


def _editor():
    """The signed-in administrator; anyone else gets the 403 page (NotPermitted)."""
    user = _user()
    editing.require_calendar_editor(user)
    return user


def _chosen_year() -> int:
    year = request.args.get("year", type=int)
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        return today_in_china().year
    return year


def _render_calendar(year: int, form: DayForm):
    this_year = today_in_china().year
    year_row = editing.calendar_year(year)
    return render_template(
        "workdays/calendar.html",
        year=year,
        year_row=year_row,
        years=editing.calendar_years(),
        days=editing.days_of_year(year),
        # The chosen year, and the years today's clocks run into.
        missing_years=unknown_years({year, this_year, this_year + 1}),
        form=form,
        action_form=ActionForm(),
    )


@bp.route("")
def calendar():
    year = _chosen_year()
    form = DayForm(formdata=None)
    # "修改" links prefill the form with the stored day.
    chosen = parse_day(request.args.get("edit"))
    if chosen is not None:
        year = chosen.year
        form.day.data = chosen.isoformat()
        form.kind.data = "workday" if working_days.is_working_day(chosen) else "holiday"
        stored = editing.stored_day(chosen)
        form.name.data = stored.name if stored else ""
    return _render_calendar(year, form)


@bp.route("/days", methods=["POST"])
def set_day():
    user = _editor()
    form = DayForm()
    day = form.parsed_day()
    if form.validate_on_submit():
        saved = save_form(form, lambda: editing.set_day(day, form.is_workday(), form.name.data or "", user),
                          then=url_for(".calendar", year=day.year),
                          done=_("已保存 %(day)s 的安排。", day=day.isoformat()))
        if saved:
            return saved
    year = day.year if day and FIRST_YEAR <= day.year <= LAST_YEAR else _chosen_year()
    return _render_calendar(year, form)


def _act(action, done: str, year: int):
    """Run a one-button change (CSRF checked), say how it went, and go back to the year's page."""
    back = url_for(".calendar", year=year)
    if not ActionForm().validate_on_submit():
        flash(_("页面已过期，请重新提交。"), "error")
        return redirect(back)
    return run_action(action, then=back, done=done)


@bp.route("/days/<day>/remove", methods=["POST"])
def remove_day(day: str):
    user = _editor()
    parsed = parse_day(day)
    if parsed is None:
        abort(404)
    return _act(lambda: editing.remove_day(parsed, user),
                _("%(day)s 已恢复按常规（周一至周五上班）计算。", day=parsed.isoformat()), parsed.year)


@bp.route("/years/<int:year>/confirm", methods=["POST"])
def confirm_year(year: int):
    user = _editor()
    return _act(lambda: editing.confirm_year(year, user), _("已确认 %(year)s 年的节假日安排。", year=year), year)
