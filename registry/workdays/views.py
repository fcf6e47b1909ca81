"""Staff page for the working-day calendar: which years are entered, and each year's holidays and 调休.

Every officer reads it; only administrators change it (the services refuse anyone else with 403).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.clock import today_in_china
from registry.walls import staff_area
from registry.errors import DomainError, NotPermitted
from registry.extensions import db
from registry.view_helpers import show_form_error
from registry.workdays import services
from registry.workdays.forms import ActionForm, DayForm, parse_day

bp = staff_area(Blueprint("workdays", __name__, url_prefix="/staff/calendar"))


def _user():
    return current_user._get_current_object()


def _chosen_year() -> int:
    year = request.args.get("year", type=int)
    if year is None or not services.FIRST_YEAR <= year <= services.LAST_YEAR:
        return today_in_china().year
    return year


def _render_calendar(year: int, form: DayForm):
    this_year = today_in_china().year
    year_row = services.calendar_year(year)
    return render_template(
        "workdays/calendar.html",
        year=year,
        year_row=year_row,
        years=services.calendar_years(),
        days=services.days_of_year(year),
        # The chosen year, and the years today's clocks run into.
        missing_years=services.unknown_years({year, this_year, this_year + 1}),
        form=form,
        action_form=ActionForm(),
    )


@bp.route("")
def calendar():
    year = _chosen_year()
    form = DayForm(formdata=None)
    # "修改" links prefill the form with the stored day.
    editing = parse_day(request.args.get("edit"))
    if editing is not None:
        year = editing.year
        form.day.data = editing.isoformat()
        form.kind.data = "workday" if services.is_working_day(editing) else "holiday"
        stored = services.stored_day(editing)
        form.name.data = stored.name if stored else ""
    return _render_calendar(year, form)


@bp.route("/days", methods=["POST"])
def set_day():
    form = DayForm()
    day = form.parsed_day()
    if form.validate_on_submit():
        try:
            services.set_day(day, form.is_workday(), form.name.data or "", _user())
        except NotPermitted:
            raise  # the 403 page, not a message on a form the officer may not use
        except DomainError as error:
            # Nothing half-done may be flushed by the queries that render the page again.
            db.session.rollback()
            show_form_error(form, error)
        else:
            db.session.commit()
            flash(_("已保存 %(day)s 的安排。", day=day.isoformat()), "success")
            return redirect(url_for(".calendar", year=day.year))
    year = day.year if day and services.FIRST_YEAR <= day.year <= services.LAST_YEAR else _chosen_year()
    return _render_calendar(year, form)


def _act(action, done: str, year: int):
    """Run a one-button change (CSRF checked), say how it went, and go back to the year's page."""
    if not ActionForm().validate_on_submit():
        flash(_("页面已过期，请重新提交。"), "error")
        return redirect(url_for(".calendar", year=year))
    try:
        action()
    except NotPermitted:
        raise
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for(".calendar", year=year))


@bp.route("/days/<day>/remove", methods=["POST"])
def remove_day(day: str):
    parsed = parse_day(day)
    if parsed is None:
        abort(404)
    return _act(lambda: services.remove_day(parsed, _user()),
                _("%(day)s 已恢复按常规（周一至周五上班）计算。", day=parsed.isoformat()), parsed.year)


@bp.route("/years/<int:year>/confirm", methods=["POST"])
def confirm_year(year: int):
    return _act(lambda: services.confirm_year(year, _user()), _("已确认 %(year)s 年的节假日安排。", year=year), year)
