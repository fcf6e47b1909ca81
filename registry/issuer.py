"""The issuing body: the association that issues the badges, named wherever the registry speaks for it.

Configured once (ISSUER_* in registry/config.py; production refuses to start without a name and a
phone). Posters, letters, the QR page footer, reports and SMS all read it from here, so that a reader
can always tell who vouches for a badge and whom to call about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class IssuingBody:
    name: str
    short_name: str
    phone: str
    address: str | None
    website: str | None
    logo_file: str | None

    @property
    def phone_uri(self) -> str:
        """A tel: link for tap-to-call; separators are for reading, not dialling."""
        return "tel:" + "".join(ch for ch in self.phone if ch.isdigit() or ch == "+")

    @property
    def sms_signature(self) -> str:
        """The 【签名】 Chinese SMS gateways require at the start of every message."""
        return f"【{self.short_name}】"


def issuing_body(config: dict | None = None) -> IssuingBody:
    """The configured issuing body (the app's config unless another mapping is given)."""
    config = current_app.config if config is None else config
    name = config["ISSUER_NAME"]
    return IssuingBody(
        name=name,
        short_name=config.get("ISSUER_SHORT_NAME") or name,
        phone=config["ISSUER_PHONE"],
        address=config.get("ISSUER_ADDRESS") or None,
        website=config.get("ISSUER_WEBSITE") or None,
        logo_file=config.get("ISSUER_LOGO_FILE") or None,
    )


_LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def logo_image(body: IssuingBody) -> tuple[bytes, str] | None:
    """The logo file's bytes and type (PNG or JPEG, decided from the bytes), or None when no logo is
    configured or the file is missing or of another kind: a page or poster then simply shows none."""
    if not body.logo_file:
        return None
    try:
        with open(body.logo_file, "rb") as handle:
            data = handle.read(2 * 1024 * 1024 + 1)
    except OSError:
        return None
    if len(data) > 2 * 1024 * 1024:
        return None
    kind = next((mimetype for magic, mimetype in _LOGO_TYPES.items() if data.startswith(magic)), None)
    return None if kind is None else (data, kind)
