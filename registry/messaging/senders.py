"""Sending SMS through whichever sender the settings name.

``SMS_SENDER`` is ``"outbox"`` (the default: messages are stored in ``outbox_messages`` and logged,
nothing leaves the machine) or a dotted path ``"package.module:ClassName"`` to a production sender,
instantiated with ``SMS_SENDER_OPTIONS`` (a dict) as keyword arguments for every message sent.

A production sender implements :class:`SmsSender`; when the provider refuses or cannot be reached it
should raise :class:`SmsDeliveryError`, which callers turn into a message for the user.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Mapping
from typing import Protocol

from flask import current_app
from sqlalchemy import select

from registry.config import ConfigurationError
from registry.clock import utcnow
from registry.extensions import db
from registry.phones import mask_mobile, normalize_mobile
from registry.messaging.models import OutboxMessage

__all__ = [
    "ConsoleSender",
    "OutboxSender",
    "SmsDeliveryError",
    "SmsSender",
    "get_sender",
    "latest_message_to",
    "resolve_sender_class",
    "sender_name",
]

log = logging.getLogger(__name__)

DEFAULT_SENDER = "outbox"
_BUILTIN_NAMES = frozenset({"outbox", "console"})


class SmsSender(Protocol):
    """Anything that can deliver a text message to a mainland mobile number."""

    def send(self, phone: str, body: str, purpose: str) -> None:
        """Deliver `body` to the 11-digit `phone`; raise SmsDeliveryError when it cannot."""


class SmsDeliveryError(RuntimeError):
    """The SMS provider refused the message or could not be reached."""


class OutboxSender:
    """Development and test sender: keeps the message in ``outbox_messages`` and logs it.

    The log line names the phone masked (138****1234), never the full number. Flushes, never commits:
    the message is kept only if the caller's transaction is.
    Messages queued with registry.messaging.outbox are already such rows: after the commit they are
    only announced (``announce``), not stored twice.
    """

    name = "outbox"

    def send(self, phone: str, body: str, purpose: str) -> None:
        db.session.add(OutboxMessage(phone=phone, body=body, purpose=purpose, created_at=utcnow(),
                                     sender=self.name))
        db.session.flush()
        self.announce(phone, body)

    def announce(self, phone: str, body: str) -> None:
        """Log a stored message (and print it in development): the outbox's way of delivering it."""
        masked = mask_mobile(phone)
        env = current_app.config.get("REGISTRY_ENV")
        if env == "production":
            # The outbox delivers nothing; say so loudly, and keep message bodies (codes) out of logs.
            log.warning("SMS to %s was not delivered: SMS_SENDER is %r in production", masked, self.name)
            return
        log.info("SMS to %s: %s", masked, body)
        if env == "development":
            print(f"[SMS] {masked}: {body}", file=sys.stderr, flush=True)


# Messages "sent to the console" are the same thing: kept in the outbox and printed in development.
ConsoleSender = OutboxSender


def resolve_sender_class(spec: str) -> type:
    """The class a ``"package.module:ClassName"`` setting names, or ConfigurationError."""
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise ConfigurationError(
            f"Unknown SMS_SENDER {spec!r}: use \"outbox\" (development and tests) or the dotted path of a "
            "sender class, \"package.module:ClassName\"."
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ConfigurationError(f"SMS_SENDER {spec!r}: cannot import {module_name!r} ({error}).") from error
    sender_class = getattr(module, attribute, None)
    if not isinstance(sender_class, type):
        raise ConfigurationError(f"SMS_SENDER {spec!r}: {module_name!r} has no class {attribute!r}.")
    if not callable(getattr(sender_class, "send", None)):
        raise ConfigurationError(f"SMS_SENDER {spec!r}: {attribute} has no send(phone, body, purpose) method.")
    return sender_class


def get_sender() -> SmsSender:
    """The sender the current app's settings name (a new instance on each call)."""
    spec = current_app.config.get("SMS_SENDER") or DEFAULT_SENDER
    if not isinstance(spec, str):
        raise ConfigurationError(f"SMS_SENDER must be a string, not {type(spec).__name__}.")
    spec = spec.strip()
    if spec.lower() in _BUILTIN_NAMES:
        return OutboxSender()
    sender_class = resolve_sender_class(spec)
    options = current_app.config.get("SMS_SENDER_OPTIONS") or {}
    if not isinstance(options, Mapping):
        raise ConfigurationError("SMS_SENDER_OPTIONS must be a mapping of keyword arguments for the sender.")
    return sender_class(**options)


def sender_name() -> str:
    """What outbox rows record as their sender: "outbox", or the class SMS_SENDER names (32 characters)."""
    spec = current_app.config.get("SMS_SENDER") or DEFAULT_SENDER
    spec = spec.strip() if isinstance(spec, str) else type(spec).__name__
    return OutboxSender.name if spec.lower() in _BUILTIN_NAMES else spec.rpartition(":")[2][:32]


def latest_message_to(phone: str, purpose: str | None = None) -> OutboxMessage | None:
    """The newest outbox message to `phone` (optionally of one purpose), for tests and development."""
    query = select(OutboxMessage).where(OutboxMessage.phone == normalize_mobile(phone))
    if purpose is not None:
        query = query.where(OutboxMessage.purpose == purpose)
    return db.session.scalar(query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(1))
