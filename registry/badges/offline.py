"""The QR code's offline proof: an Ed25519 signature any phone can check without reaching us.

A badge's QR encodes `<PUBLIC_BASE_URL>/m/<shop code>?s=<serial>&v=<proof>`. The live page needs only the
code and the serial; `v` lets anyone holding our public keys (published at /verify/keys and in README)
check, without our database or even a network, that the association issued that serial to that shop
on that day over that pledge text. It says nothing about today's standing: the page the QR opens does.

The proof (`v`) is base64url, no padding, of 79 bytes (format 1), kept short so the QR stays a
low version that decodes from a 2 cm sticker:

    offset  size  field
    0       1     format, 1
    1       4     key id: the first 4 bytes of SHA-256(raw 32-byte Ed25519 public key)
    5       2     issue date: days since 2020-01-01 (a Beijing date), unsigned big-endian
    7       8     pledge: the first 8 bytes of the SHA-256 of the pledge text the shop signed
                  (the certificate page shows the whole hash)
    15      64    Ed25519 signature of  b"CXM-BADGE-1\\n" + code + b"\\n" + serial + b"\\n" + bytes 0..14

The code (lower case) and the serial come from the URL, so they are signed without being repeated.
Everything here is a pure function of its arguments: /verify, `flask badges verify` and the standalone
docs/verify_badge.py (the same rules with only `cryptography`) never touch the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.signing import PublishedKey, raw_public

FORMAT = 1
DOMAIN = b"CXM-BADGE-1\n"
EPOCH = date(2020, 1, 1)
_HEAD = struct.Struct(">B4sH8s")  # format, key id, issue day, pledge hash prefix
SIGNATURE_BYTES = 64
PROOF_BYTES = _HEAD.size + SIGNATURE_BYTES  # 79
PROOF_CHARS = 106  # base64url of 79 bytes, without padding


def short_key_id(public) -> bytes:
    """The 4 bytes naming a key inside a proof."""
    return hashlib.sha256(raw_public(public)).digest()[:4]


def _message(code: str, serial: str, head: bytes) -> bytes:
    return DOMAIN + code.lower().encode("ascii") + b"\n" + serial.encode("ascii") + b"\n" + head


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_badge(private: Ed25519PrivateKey, code: str, serial: str, issued_on: date, pledge_sha256: str) -> str:
    """The proof for a badge (the `v` of its QR URL)."""
    head = _HEAD.pack(FORMAT, short_key_id(private.public_key()), (issued_on - EPOCH).days,
                      bytes.fromhex(pledge_sha256)[:8])
    return _b64(head + private.sign(_message(code, serial, head)))


@dataclass(frozen=True)
class OfflineCheck:
    """What a proof says, and `problem` (None when the signature is valid under a trusted key)."""
    problem: str | None
    code: str | None = None
    serial: str | None = None
    issued_on: date | None = None
    pledge_hash: str | None = None  # hex prefix
    key_id: str | None = None  # hex of the 4-byte id

    @property
    def ok(self) -> bool:
        return self.problem is None


# Problems, as stable keys; pages and the CLI word them (badges.offline_labels / the CLI's English).
MALFORMED = "malformed"  # not a badge URL, or no proof in it
FOREIGN_HOST = "foreign_host"  # a badge URL, but not at our address
UNKNOWN_KEY = "unknown_key"  # signed by a key we never published
BAD_SIGNATURE = "bad_signature"  # altered, or signed by someone else
OUTSIDE_VALIDITY = "outside_validity"  # the key was not in service on the issue date


def parse_badge_url(url: str) -> tuple[str, str, str] | None:
    """(code, serial, proof) from a badge URL, or None when it is not one."""
    parts = urlsplit((url or "").strip())
    segments = parts.path.rstrip("/").split("/")
    if len(segments) < 2 or segments[-2] != "m" or not segments[-1]:
        return None
    query = parse_qs(parts.query)
    serial, proof = (query.get("s") or [""])[0], (query.get("v") or [""])[0]
    if not serial or not proof or not serial.isascii() or not segments[-1].isascii():
        return None
    return segments[-1].lower(), serial, proof


def verify_badge_url(url: str, keys: list[PublishedKey], base_url: str | None = None) -> OfflineCheck:
    """Check a scanned badge URL against the published keys (and, when given, our public address)."""
    parsed = parse_badge_url(url)
    if parsed is None:
        return OfflineCheck(MALFORMED)
    code, serial, proof = parsed
    if base_url and not url.strip().startswith(base_url.rstrip("/") + "/m/"):
        return OfflineCheck(FOREIGN_HOST, code, serial)
    try:
        data = base64.urlsafe_b64decode(proof + "=" * (-len(proof) % 4))
    except (binascii.Error, ValueError):
        return OfflineCheck(MALFORMED, code, serial)
    if len(data) != PROOF_BYTES or data[0] != FORMAT:
        return OfflineCheck(MALFORMED, code, serial)
    head, signature = data[:_HEAD.size], data[_HEAD.size:]
    _format, kid, days, pledge = _HEAD.unpack(head)
    facts = dict(code=code, serial=serial, issued_on=EPOCH + timedelta(days=days), pledge_hash=pledge.hex(),
                 key_id=kid.hex())
    key = next((k for k in keys if short_key_id(k.public) == kid), None)
    if key is None:
        return OfflineCheck(UNKNOWN_KEY, **facts)
    try:
        key.public.verify(signature, _message(code, serial, head))
    except InvalidSignature:
        return OfflineCheck(BAD_SIGNATURE, **facts)
    if not key.covers(facts["issued_on"].isoformat()):
        return OfflineCheck(OUTSIDE_VALIDITY, **facts)
    return OfflineCheck(None, **facts)
