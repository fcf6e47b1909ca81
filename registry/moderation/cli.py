"""`flask moderation …`: the daily expiry job and the default flag rules, through the same services."""

from __future__ import annotations

import click

from registry.extensions import db


@click.group("moderation")
def moderation_group() -> None:
    """Flags, sanctions and appeals."""


@moderation_group.command("expire")
def moderation_expire() -> None:
    """End suspensions and warnings whose end has passed and restore the shops (run daily)."""
    from registry.moderation.sanctions import expire_sanctions

    report = expire_sanctions()
    db.session.commit()
    click.echo(f"Ended {report.sanctions_ended} sanction(s) at {report.shops} shop(s).")


@moderation_group.command("seed-rules")
def moderation_seed_rules() -> None:
    """Store the default flag-rule settings (rules without a row already run with them)."""
    from registry.moderation.flags import seed_rules

    added = seed_rules()
    db.session.commit()
    click.echo(f"Stored {added} default flag rule(s).")
