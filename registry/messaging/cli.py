"""`flask messaging …`: text messages whose request ended before the gateway took them."""

from __future__ import annotations

import click


@click.group("messaging")
def messaging_group() -> None:
    """Outgoing SMS."""


@messaging_group.command("deliver")
@click.option("--limit", default=1000, show_default=True, help="At most this many messages per run.")
def messaging_deliver(limit: int) -> None:
    """Send the SMS still pending (run every few minutes); codes past their lifetime are not sent."""
    from registry.messaging.outbox import deliver_pending

    report = deliver_pending(limit=limit)
    click.echo(f"Sent {report.sent} message(s); {report.failed} refused (tried again next run); "
               f"{report.expired} expired unsent.")


@messaging_group.command("forget")
def messaging_forget() -> None:
    """Blank the words and mask the phone of texts settled more than OUTBOX_RETENTION_DAYS ago (daily)."""
    from registry.messaging.outbox import forget_old_messages

    click.echo(f"Forgot {forget_old_messages()} old text message(s).")
