"""`flask opendata export`: the daily open-data files (run by a timer, see deploy/DEPLOY.md)."""

from __future__ import annotations


import click

from registry.audit.checkpoints import CheckpointKeyInvalid, CheckpointKeyMissing
from registry.opendata import services


@click.group("opendata")
def opendata_group() -> None:
    """Open data: the daily export of public standings and sanctions."""


@opendata_group.command("export")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date in the file names (default: today, Beijing time). The data is always as of now.")
def export_command(day) -> None:
    """Write standings-/sanctions- CSV and JSON files under instance/opendata and delete old ones."""
    try:
        report = services.export(day.date() if day is not None else None)
    except (services.ExportRunning, CheckpointKeyMissing, CheckpointKeyInvalid) as error:
        raise click.ClickException(str(error)) from error
    for entry in report.files:
        click.echo(f"{entry.name}: {entry.rows} rows, {entry.bytes} bytes, sha256 {entry.sha256}")
    if report.pruned:
        click.echo(f"Deleted {len(report.pruned)} file(s) older than {services.KEEP_DAYS} days.")
    checkpoint = report.checkpoint
    click.echo(f"Audit checkpoint: {checkpoint['entries']} entries, head {checkpoint['head_hash']}, "
               f"key {checkpoint['key_id'][:16]}…")
    if checkpoint["development_key"]:
        click.echo("WARNING: signed with a DEVELOPMENT key (AUDIT_CHECKPOINT_KEY is not set); "
                   "such checkpoints prove nothing to the public.", err=True)
    click.echo(f"Exported {report.shops} shops and {report.sanctions} sanctions for {report.day.isoformat()}.")
