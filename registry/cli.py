"""`flask …` commands. They call the same services as the web views and commit once."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from registry.areas.cli import areas_group
from registry.badges.cli import badges_group
from registry.extensions import db
from registry.web import public_base_url
from registry.workdays.cli import calendar_group
from registry.campaigns.cli import campaigns_group
from registry.jobs.cli import jobs_group
from registry.merchants.cli import merchants_group
from registry.messaging.cli import messaging_group
from registry.moderation.cli import moderation_group
from registry.opendata.cli import opendata_group
from registry.reports.cli import reports_group


def register(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(sweep_uploads_command)
    app.cli.add_command(areas_group)
    app.cli.add_command(audit_group)
    app.cli.add_command(demo_group)
    app.cli.add_command(pledge_group)
    app.cli.add_command(complaints_group)
    app.cli.add_command(calendar_group)
    app.cli.add_command(campaigns_group)
    app.cli.add_command(moderation_group)
    app.cli.add_command(merchants_group)
    app.cli.add_command(messaging_group)
    app.cli.add_command(opendata_group)
    app.cli.add_command(reports_group)
    app.cli.add_command(badges_group)
    app.cli.add_command(jobs_group)


@click.command("create-user")
@click.option("--login", required=True, help="Mobile number or e-mail address.")
@click.option("--name", "display_name", required=True)
@click.option("--role", type=click.Choice(["merchant", "staff", "admin"]), default="staff", show_default=True)
@click.option("--district", default=None, help="Limit a staff account to one district.")
@click.password_option(help="At least 8 characters.")
def create_user_command(login: str, display_name: str, role: str, district: str | None, password: str) -> None:
    """Create an account (administrators and staff are created here, not on the web)."""
    from registry.auth.models import Role
    from registry.auth.services import create_user
    from registry.errors import DomainError

    try:
        user = create_user(login, password, display_name, Role(role), district)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Created {role} {user.login} (id {user.id}).")


@click.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
@click.option("--checkpoint", "checkpoints", multiple=True, type=click.File("r", encoding="utf-8"),
              help="A published checkpoint-YYYY-MM-DD.json: the log must still hold what it recorded (repeatable).")
@click.option("--public-key", "public_keys", multiple=True, type=click.File("r", encoding="utf-8"),
              help="Trust this Ed25519 public key (PEM, e.g. the published audit-key.pub) instead of the configured ones.")
def audit_verify(checkpoints, public_keys) -> None:
    """Check every entry's hash and link; name the first broken entry; compare with signed checkpoints."""
    import json

    from registry.audit import checkpoints as anchoring
    from registry.audit.services import verify_chain

    report = verify_chain()
    if not report.ok:
        raise click.ClickException(
            f"Audit chain BROKEN at entry {report.first_broken_id}: {report.reason} "
            f"({report.checked} entries before it verified)."
        )
    click.echo(f"Audit chain OK: {report.checked} entries verified.")
    if not checkpoints:
        return
    trusted = _trusted_checkpoint_keys(anchoring, public_keys)
    failures = []
    for handle in checkpoints:
        try:
            document = json.load(handle)
            problem = anchoring.check_signature(document, trusted) or anchoring.check_log(document).problem
        except (ValueError, KeyError, TypeError) as error:
            problem = f"not a readable checkpoint ({error})"
        if problem:
            failures.append(f"{handle.name}: {problem}")
        else:
            click.echo(f"Checkpoint {handle.name} OK: the log still holds its {document['entries']} entries "
                       f"(signed {document['created_at']}).")
    if failures:
        raise click.ClickException("Audit log does NOT match its checkpoint(s):\n" + "\n".join(failures))


def _trusted_checkpoint_keys(anchoring, public_keys) -> list:
    if public_keys:
        return [anchoring.PublishedKey(anchoring.load_public_key(handle.read())) for handle in public_keys]
    try:
        current = anchoring.signing_key()
    except anchoring.CheckpointKeyMissing:
        current = None  # production without a key: only the retired public keys can be checked
    return anchoring.published_keys(current)


@click.group("pledge")
def pledge_group() -> None:
    """Pledge texts."""


@pledge_group.command("publish-default")
def pledge_publish_default() -> None:
    """Publish the standard 诚信经营倡议书 if no version exists yet."""
    from registry.pledges.defaults import publish_default_pledge

    version = publish_default_pledge()
    db.session.commit()
    click.echo(f"Current pledge: version {version.number}.")


@pledge_group.command("lapse")
def pledge_lapse() -> None:
    """Mark shops lapsed whose pledge expired or was not re-signed in time (run daily)."""
    from registry.pledges.lapse import lapse_shops

    count = lapse_shops(after_batch=db.session.commit)
    db.session.commit()
    click.echo(f"{count} shop(s) lapsed.")


@click.group("demo")
def demo_group() -> None:
    """Demonstration data."""


@demo_group.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has shops.")
@click.option("--shops", default=120, show_default=True)
def demo_load(if_empty: bool, shops: int) -> None:
    """Load a district's worth of realistic shops, a merchant login and an admin login."""
    from registry.demo import load_demo
    from registry.merchants.models import Merchant

    if if_empty and db.session.scalar(select(func.count(Merchant.id))):
        click.echo("Database already has data; demo not loaded.")
    else:
        count = load_demo(shop_count=shops)
        db.session.commit()
        click.echo(f"Loaded {count} demo shops.")
    print_demo_logins()


@demo_group.command("logins")
def demo_logins() -> None:
    """Print the demo logins and a shop of each standing (`make run` ends with this)."""
    print_demo_logins()


def print_demo_logins() -> None:
    from registry.demo import DEMO_LOGINS, demo_examples

    click.echo("Demo logins (password for all: " + DEMO_LOGINS["password"] + "):")
    for role, login in DEMO_LOGINS["accounts"]:
        click.echo(f"  {role:<9} {login}")
    examples = demo_examples()
    if examples:
        base = public_base_url()  # PUBLIC_BASE_URL, or in development the address `flask run` serves
        click.echo("A shop of each standing (a pending shop is not public: its owner and staff see it):")
        for standing, shop in examples:
            where = f"{base}/staff/shops/{shop.id}" if standing == "pending" else f"{base}/m/{shop.public_code}"
            click.echo(f"  {standing:<9} {shop.name}  {where}")


@click.group("complaints")
def complaints_group() -> None:
    """Complaint housekeeping."""


@complaints_group.command("purge-contacts")
def complaints_purge_contacts() -> None:
    """Delete complainants' phone numbers whose retention period has passed (run daily)."""
    from registry.complaints.retention import purge_expired_contact_details

    count = purge_expired_contact_details()
    db.session.commit()
    click.echo(f"Removed the phone number from {count} closed complaint(s).")


@click.command("sweep-uploads")
@click.option("--all", "whole", is_flag=True, help="Read every stored file, not only the last 7 days'.")
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
def sweep_uploads_command(whole: bool, dry_run: bool) -> None:
    """Delete evidence, appeal, paper-pledge, credit repair and licence photos that no row names (run daily).

    A filing killed mid-request leaves the photos it had written; they hold personal data and nothing
    else would ever delete them. Files younger than an hour are left alone (their request may still be
    running); a daily pass reads the last 7 days, `--all` everything.
    """
    from pathlib import Path

    from registry.uploads import orphaned_files
    from registry.complaints.models import EvidencePhoto
    from registry.moderation.models import AppealPhoto, CreditRepairPhoto
    from registry.moderation.appeals import appeal_directory
    from registry.moderation.repairs import repair_directory
    from registry.ownership.claims import claim_directory
    from registry.ownership.models import OwnershipClaim
    from registry.campaigns.models import PaperPledgePhoto
    from registry.campaigns.onsite import paper_pledge_directory
    from registry.merchants.licences import licence_directory
    from registry.merchants.models import LicencePhoto

    def recorded_in(model):
        return lambda names: set(db.session.scalars(select(model.stored_name).where(model.stored_name.in_(names))))

    removed = 0
    for directory, model in ((Path(current_app.config["EVIDENCE_DIR"]), EvidencePhoto),
                             (Path(appeal_directory()), AppealPhoto), (repair_directory(), CreditRepairPhoto),
                             (claim_directory(), OwnershipClaim), (paper_pledge_directory(), PaperPledgePhoto),
                             (Path(licence_directory()), LicencePhoto)):
        for path in orphaned_files(directory, recorded_in(model), older_than=timedelta(hours=1),
                                   newer_than=None if whole else timedelta(days=7)):
            click.echo(f"{'would delete' if dry_run else 'deleted'} {path}")
            if not dry_run:
                path.unlink(missing_ok=True)
            removed += 1
    db.session.rollback()  # read only
    click.echo(f"{removed} orphaned upload file(s) {'found' if dry_run else 'deleted'}.")


@complaints_group.command("refresh-figures")
def complaints_refresh_figures() -> None:
    """Roll every shop's stored 12-month complaint figures forward to today (run daily)."""
    from registry.complaints.figures import refresh_all

    count = refresh_all()
    click.echo(f"Refreshed the complaint figures of {count} shop(s).")


@complaints_group.command("overdue")
def complaints_overdue() -> None:
    """Send to staff the accepted cases whose reply deadline passed unanswered; flag the shops (run daily)."""
    from registry.complaints.timers import move_overdue_cases

    count = move_overdue_cases(after_each=db.session.commit)
    db.session.commit()
    click.echo(f"{count} overdue case(s) sent to staff.")


@complaints_group.command("remind")
def complaints_remind() -> None:
    """Text reply reminders (two working days before the deadline) and follow-up invitations (run daily)."""
    from registry.complaints.timers import send_followup_invitations, send_reply_reminders

    reminders = send_reply_reminders()
    invitations = send_followup_invitations()
    db.session.commit()
    click.echo(f"{reminders} reply reminder(s) and {invitations} follow-up invitation(s) queued.")


@pledge_group.command("remind")
def pledge_remind() -> None:
    """Text the shops whose pledge lapses within 14 days (run daily; once per signature)."""
    from registry.pledges.notices import warn_lapsing

    count = warn_lapsing()
    db.session.commit()
    click.echo(f"{count} lapse warning(s) queued.")
