"""The badges' signing key and the public keys a verifier trusts (settings: BADGE_SIGNING_*).

Loaded the way the audit checkpoints load theirs (registry/signing.py): BADGE_SIGNING_KEY (PEM or the
base64 of the 32-byte seed) in production, which refuses to start without it (registry/config.py) and
to issue a badge should it be unset later; a development key
under instance/ elsewhere. BADGE_SIGNING_KEY_SINCE dates the current key; BADGE_SIGNING_RETIRED_KEYS (a
JSON list of {"public_key", "valid_from", "valid_until"}) keeps old posters verifiable after a rotation.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from registry import signing
from registry.badges.offline import short_key_id
from registry.signing import PublishedKey, SigningKey

FORMAT = "cxm-badge-keys-1"


class BadgeKeyMissing(signing.SigningKeyMissing):
    """Production without BADGE_SIGNING_KEY: no badge can be issued."""


def badge_signing_key() -> SigningKey:
    """The key new badges are signed with (the development key outside production)."""
    config = current_app.config
    path = Path(config.get("BADGE_SIGNING_DEV_KEY_FILE") or Path(current_app.instance_path) / "badge-signing-dev-key.pem")
    return signing.configured_key(
        config, "BADGE_SIGNING_KEY", path,
        "BADGE_SIGNING_KEY is not set: refusing to issue a badge whose QR cannot be verified offline. "
        "Generate a key as deploy/DEPLOY.md describes (\"Badge signing key\") and set it in the environment.",
        missing=BadgeKeyMissing)


def published_badge_keys() -> list[PublishedKey]:
    """The current public key first (when one can be loaded), then the retired ones."""
    keys = []
    try:
        current = badge_signing_key()
    except signing.SigningKeyMissing:
        current = None
    if current is not None:
        keys.append(PublishedKey(current.public, current_app.config.get("BADGE_SIGNING_KEY_SINCE"), None))
    return keys + signing.parse_retired_keys(current_app.config.get("BADGE_SIGNING_RETIRED_KEYS"))


def keys_document() -> dict:
    """What /verify/keys publishes: every trusted key with its short id (the one inside a proof)."""
    development = not current_app.config.get("BADGE_SIGNING_KEY")
    rows = []
    for index, key in enumerate(published_badge_keys()):
        row = key.as_dict()
        row["short_id"] = short_key_id(key.public).hex()
        row["current"] = index == 0 and key.valid_until is None
        row["development_key"] = development and index == 0
        rows.append(row)
    return {"format": FORMAT, "proof_format": 1, "keys": rows}
