"""Administrators' corrections to the working-day calendar (days and confirmed years), audited, and
the reads of the staff calendar page."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from registry.audit import services as audit
from registry.auth.models import User
from registry.clock import utcnow
from registry.errors import Conflict, DomainError, NotPermitted
from registry.extensions import db
from registry.workdays.calendar import announce_change, forget_cache
from registry.workdays.models import CalendarDay, CalendarYear, is_weekend
from registry.workdays.seeding import STAFF, library_entry

# Years staff may edit: wide enough for any clock, narrow enough to catch a typed 2207.
FIRST_YEAR, LAST_YEAR = 2000, 2100
NAME_MAX_LENGTH = 64


def calendar_years() -> list[CalendarYear]:
    """Every entered year, newest first."""
    return list(db.session.scalars(select(CalendarYear).order_by(CalendarYear.year.desc())))


def calendar_year(year: int) -> CalendarYear | None:
    return db.session.get(CalendarYear, year)


def days_of_year(year: int) -> list[CalendarDay]:
    """The stored days of `year`, in date order."""
    return list(db.session.scalars(
        select(CalendarDay).where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))).order_by(CalendarDay.day)
    ))


def stored_day(day: date) -> CalendarDay | None:
    return db.session.get(CalendarDay, day)


def check_year(year: int, field: str = "year") -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError(_("请填写 %(first)s 至 %(last)s 年之间的日期。", first=FIRST_YEAR, last=LAST_YEAR), field=field)


def require_calendar_editor(actor: User | None) -> None:
    """Only administrators change the calendar: every district's legal clocks run on it."""
    if actor is None or not actor.is_admin:
        raise NotPermitted(_("只有管理员可以修改工作日历。如发现安排有误，请联系管理员。"))


def _snapshot(row: CalendarDay | None) -> dict | None:
    if row is None:
        return None
    return {"is_workday": row.is_workday, "name": row.name, "source": row.source}


def _flush_or_conflict() -> None:
    try:
        # A savepoint, so two officers saving the same new day (or year) fail this insert alone.
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise Conflict(_("日历刚被其他工作人员修改，请刷新页面后再试。")) from error


def set_day(day: date, is_workday: bool, name: str, actor: User) -> CalendarDay:
    """Decide how `day` counts (source "staff", kept by every later seeding); admins only, audited."""
    require_calendar_editor(actor)
    check_year(day.year, field="day")
    name = " ".join((name or "").split())
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError(_("名称最多 %(max)s 个字。", max=NAME_MAX_LENGTH), field="name")
    if not name and is_workday == is_weekend(day):
        if is_workday:
            message = _("%(day)s 是周末。设为上班日时请填写名称，例如：调休上班（春节）。", day=day.isoformat())
        else:
            message = _("%(day)s 是工作日。设为放假时请填写节假日名称，例如：国庆节。", day=day.isoformat())
        raise DomainError(message, field="name")
    row = db.session.get(CalendarDay, day)
    before = _snapshot(row)
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    elif (row.source, row.is_workday, row.name) == (STAFF, is_workday, name):
        return row
    row.is_workday, row.name, row.source = is_workday, name, STAFF
    row.updated_at, row.updated_by_id = utcnow(), actor.id
    _flush_or_conflict()
    forget_cache()
    counts = announce_change(day, day, actor)
    audit.record("calendar.day_set", row, actor, day=day.isoformat(), is_workday=is_workday, name=name, before=before,
                 **counts)
    return row


def remove_day(day: date, actor: User) -> None:
    """Let `day` count by the weekday rule again; admins only, audited.

    If chinesecalendar lists the day, a staff row restating the rule is kept instead of deleting,
    so that the next seeding does not bring the library's entry back.
    """
    require_calendar_editor(actor)
    row = db.session.get(CalendarDay, day)
    kept = library_entry(day) is not None
    if row is None or (kept and row.source == STAFF and row.matches_weekday_rule):
        raise DomainError(_("%(day)s 没有单独录入的安排，已按常规计算。", day=day.isoformat()), field="day")
    before = _snapshot(row)
    if kept:
        row.is_workday, row.name, row.source = not is_weekend(day), "", STAFF
        row.updated_at, row.updated_by_id = utcnow(), actor.id
        _flush_or_conflict()
    if not kept:
        db.session.delete(row)
        db.session.flush()
    forget_cache()
    counts = announce_change(day, day, actor)
    # The deleted row still names its day (CalendarDay.id is the date) until the commit.
    audit.record("calendar.day_removed", row, actor, day=day.isoformat(), before=before, kept_as_staff_row=kept,
                 **counts)


def confirm_year(year: int, actor: User) -> CalendarYear:
    """Mark `year` as checked against the State Council's schedule, ending the weekend fallback; admins only,
    audited."""
    require_calendar_editor(actor)
    check_year(year)
    has_days = db.session.scalar(
        select(CalendarDay.day).where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))).limit(1)
    )
    if has_days is None:
        raise DomainError(_("%(year)s 年还没有录入任何节假日或调休，请先录入，再确认。", year=year), field="year")
    row = db.session.get(CalendarYear, year)
    if row is not None and row.confirmed:
        return row
    if row is None:
        row = CalendarYear(year=year, source=STAFF)
        db.session.add(row)
    row.confirmed, row.updated_at, row.updated_by_id = True, utcnow(), actor.id
    _flush_or_conflict()
    forget_cache()
    # A year entered by hand becomes known here: clocks crossing it stop counting weekends only.
    counts = announce_change(date(year, 1, 1), date(year, 12, 31), actor)
    audit.record("calendar.year_confirmed", row, actor, year=year, source=row.source, **counts)
    return row
