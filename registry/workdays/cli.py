"""`flask calendar …`: the working-day calendar, through the same services as the staff page."""

from __future__ import annotations

import click
from sqlalchemy import func, select

from registry.extensions import db


@click.group("calendar")
def calendar_group() -> None:
    """Holidays and make-up working days (调休) for the legal clocks."""


@calendar_group.command("seed")
@click.option("--year", "years", type=int, multiple=True, help="Only this year (repeatable); default: every year.")
def calendar_seed(years: tuple[int, ...]) -> None:
    """Copy chinesecalendar's schedules into the database; staff entries are kept."""
    from registry.errors import DomainError
    from registry.workdays.models import CalendarDay, CalendarYear
    from registry.clock import today_in_china
    from registry.workdays.calendar import unknown_years
    from registry.workdays.seeding import library_years, seed_from_library

    try:
        changed = seed_from_library(list(years) or None)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    supported = library_years()
    click.echo(f"Seeded {changed} days from chinesecalendar "
               f"(it knows {len(supported)} years: {supported[0]}–{supported[-1]})." if supported
               else "chinesecalendar knows no years; nothing seeded.")
    day_count = db.session.scalar(select(func.count()).select_from(CalendarDay))
    year_count = db.session.scalar(select(func.count()).select_from(CalendarYear))
    click.echo(f"Calendar now holds {day_count} days in {year_count} years.")
    next_year = today_in_china().year + 1
    if unknown_years([next_year]):
        click.echo(f"Warning: {next_year} is not entered; clocks running into it count weekends only. "
                   "Enter it on /staff/calendar once the State Council publishes it.")
