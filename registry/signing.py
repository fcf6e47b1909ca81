"""Ed25519 signing keys taken from the environment, shared by every signature the registry makes.

Two things are signed: the audit log's checkpoints (registry/audit/checkpoints.py) and the offline
proof on every badge's QR code (registry/badges/offline.py). Both read their private key the same way:
PEM, or the base64 of the 32-byte seed, from one setting (AUDIT_CHECKPOINT_KEY, BADGE_SIGNING_KEY).
Production without it refuses to sign; development and tests sign with a development key created once
under instance/ (or at the *_DEV_KEY_FILE path), so a missing key is never silently a weaker one in
production. Retired public keys are published with the days they signed, so what was signed with them
(an old checkpoint, a poster on a door) stays verifiable after a rotation (deploy/DEPLOY.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class SigningKeyMissing(RuntimeError):
    """Production without the key setting: nothing can be signed."""


class SigningKeyInvalid(RuntimeError):
    """The key setting is set but is not an Ed25519 private key."""


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    development: bool

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()


@dataclass(frozen=True)
class PublishedKey:
    """A public key a verifier trusts, and the days (Beijing dates, inclusive; None = open) it signed."""
    public: Ed25519PublicKey
    valid_from: str | None = None
    valid_until: str | None = None

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    def as_dict(self) -> dict:
        return {"key_id": self.key_id, "public_key": public_pem(self.public).strip(),
                "valid_from": self.valid_from, "valid_until": self.valid_until}

    def covers(self, day: str) -> bool:
        """Whether `day` (YYYY-MM-DD) falls inside the key's validity."""
        return not ((self.valid_from and day < self.valid_from) or (self.valid_until and day > self.valid_until))


def raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    """The SHA-256 of the raw public key, in hex: names the key wherever it signed."""
    return hashlib.sha256(raw_public(public)).hexdigest()


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_private_key(text: str, setting: str = "the key", invalid: type[Exception] = SigningKeyInvalid
                     ) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM (PKCS#8) or from the base64 of its 32-byte seed."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error) as error:
        raise invalid(f"{setting} is not an Ed25519 private key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise invalid(f"{setting} is not an Ed25519 private key.")
    return key


def load_public_key(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM or from the base64 of its 32 raw bytes."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
    else:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def development_key(path: Path) -> Ed25519PrivateKey:
    """The development key at `path`, created (mode 0600, never overwritten) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
    return load_private_key(path.read_text(), str(path))


def configured_key(config, setting: str, dev_file: Path, missing_message: str, *,
                   missing: type[Exception] = SigningKeyMissing,
                   invalid: type[Exception] = SigningKeyInvalid) -> SigningKey:
    """The key in `config[setting]`; without it, production raises `missing` and other environments use
    the development key at `dev_file`."""
    configured = config.get(setting)
    if configured:
        return SigningKey(load_private_key(configured, setting, invalid), development=False)
    if config.get("REGISTRY_ENV") == "production":
        raise missing(missing_message)
    return SigningKey(development_key(dev_file), development=True)


def parse_retired_keys(raw) -> list[PublishedKey]:
    """A JSON list (or the list itself) of {"public_key", "valid_from", "valid_until"}."""
    entries = json.loads(raw or "[]") if isinstance(raw, str) else (raw or [])
    return [PublishedKey(load_public_key(entry["public_key"]), entry.get("valid_from"), entry.get("valid_until"))
            for entry in entries]
