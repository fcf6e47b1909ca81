"""`flask badges …`: check a badge URL's offline proof; sign the badges issued before proofs existed."""

from __future__ import annotations

import json
import sys

import click

from registry.badges import offline, services
from registry.badges.keys import keys_document, published_badge_keys
from registry.extensions import db
from registry.signing import parse_retired_keys
from registry.web import public_base_url

# Plain English for the terminal (the web page words them in the reader's language).
PROBLEMS = {
    offline.MALFORMED: "not a complete badge URL (/m/<code>?s=<serial>&v=<proof>), or the proof is damaged",
    offline.FOREIGN_HOST: "the URL is not at this registry's address (PUBLIC_BASE_URL)",
    offline.UNKNOWN_KEY: "signed by a key that is not among the published keys",
    offline.BAD_SIGNATURE: "the signature does not match: code, serial or date altered, or not signed by us",
    offline.OUTSIDE_VALIDITY: "the key was not in service on the stated issue date",
}


@click.group("badges")
def badges_group() -> None:
    """Badges: the QR codes' offline proofs."""


@badges_group.command("verify")
@click.argument("url")
@click.option("--keys", "keys_file", type=click.File("r", encoding="utf-8"),
              help="A published keys document (JSON from /verify/keys) instead of this server's configuration.")
def verify_command(url: str, keys_file) -> None:
    """Check URL's offline signature without the database; exit 1 when it is not valid."""
    if keys_file is not None:
        keys = parse_retired_keys(json.load(keys_file).get("keys", []))
    else:
        keys = published_badge_keys()
    check = offline.verify_badge_url(url, keys, None if keys_file else public_base_url())
    if not check.ok:
        click.echo(f"INVALID: {PROBLEMS[check.problem]}")
        sys.exit(1)
    click.echo(f"VALID offline signature: shop {check.code}, badge {check.serial}, issued {check.issued_on.isoformat()}, "
               f"pledge text sha256 {check.pledge_hash}…, key {check.key_id}.")
    click.echo("This is the standing as of the issue date; open the URL online for the current standing.")


@badges_group.command("keys")
def keys_command() -> None:
    """Print the published keys document (what /verify/keys serves)."""
    click.echo(json.dumps(keys_document(), ensure_ascii=False, indent=2))


@badges_group.command("sign-missing")
def sign_missing_command() -> None:
    """Sign every live badge issued before offline proofs existed (run once after upgrading)."""
    count = services.sign_missing_proofs()
    db.session.commit()
    click.echo(f"Signed {count} badge(s).")
