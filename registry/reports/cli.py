"""`flask reports snapshot`: store this year's and last year's public figures (run daily, DEPLOY.md)."""

from __future__ import annotations

import time

import click

from registry.database import slow_work
from registry.extensions import db
from registry.reports import snapshots
from registry.clock import today_in_china


@click.group("reports")
def reports_group() -> None:
    """Reports: the stored public figures behind /stats and the statistics API."""


@reports_group.command("snapshot")
def snapshot_command() -> None:
    """Recount this year (to today) and last year for the whole area and store them."""
    started = time.monotonic()
    with slow_work():  # ≈15 s at 10⁶ shops on SQLite: counted from a snapshot, the write lock stays free
        reports = snapshots.count_public_years(today_in_china())
    snapshots.store(reports)
    db.session.commit()
    for report in reports:
        click.echo(f"{report.start.isoformat()} – {report.end.isoformat()}: {report.complaints_received} complaints "
                   f"received, {report.complaints_mediated} mediated")
    click.echo(f"Stored {len(reports)} report(s) in {time.monotonic() - started:.1f} s.")
