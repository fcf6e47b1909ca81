"""`flask campaigns …`: import a shop list from the command line, through the same services as the staff pages."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from registry.database import slow_work
from registry.extensions import db


@click.group("campaigns")
def campaigns_group() -> None:
    """Door-to-door campaigns: bulk import of shops collected on paper."""


@campaigns_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--staff", "staff_login", required=True, help="Login of the staff account the import is recorded under.")
@click.option("--import-valid", is_flag=True, help="Import the rows that pass every check (default: check only).")
@click.option("--district", default="", help="District of every row when the file has no 区/县 column "
                                             "(staff bound to a district use their own).")
def campaigns_import(path: Path, staff_login: str, import_valid: bool, district: str) -> None:
    """Check a CSV/XLSX shop list row by row; with --import-valid, import its valid rows with invitation codes."""
    from registry.auth.models import User
    from registry.auth.services import normalize_login
    from registry.campaigns import imports, spreadsheets
    from registry.errors import DomainError

    staff = db.session.scalar(select(User).where(User.login == normalize_login(staff_login)))
    if staff is None or not staff.is_staff:
        raise click.ClickException(f"No staff account with login {staff_login}.")
    if path.stat().st_size > spreadsheets.MAX_UPLOAD_BYTES:
        raise click.ClickException(f"{path.name} is larger than {spreadsheets.MAX_UPLOAD_BYTES // 1024 // 1024} MB.")
    try:
        with slow_work():  # reading and checking 5,000 rows takes seconds: the write lock stays free
            checked = imports.check_shop_list(path.name, path.read_bytes(), staff, district)
        batch = imports.store_checked_list(path.name, checked, staff)
        for row in batch.rows:
            for field, messages in row["errors"].items():
                for message in messages:
                    click.echo(f"line {row['line']}: {field}: {message}")
        click.echo(f"Batch {batch.id}: {batch.row_count} rows, {batch.valid_count} valid, {batch.error_count} with problems.")
        job = imports.start_import(batch, staff) if import_valid else None
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    if job is not None:
        # Here, not on the queue: the command waits for its own import (a chunk per commit, like the worker).
        from registry.jobs import runner
        from registry.jobs.models import Job

        runner.perform(job.id, reraise=False)
        job = db.session.get(Job, job.id)
        if job.status != "done":
            raise click.ClickException(job.message or f"Import job {job.id} failed; see the log, then retry it "
                                                      f"from its page (/staff/jobs/{job.id}).")
        click.echo(f"Imported {job.result['imported']} shops with invitation codes.")
