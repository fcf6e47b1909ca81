"""Which phone a text about a shop goes to.

The owner's verified login phone: the number the owner confirmed with an SMS code when the account
was made, the one they sign in with. A shop whose owner has no such phone (an e-mail login, a number
never confirmed, a disabled account, no account at all) still has to learn of a complaint with a
reply deadline or of a sanction; those texts then go to the shop's contact phone, the number the owner
gave for the shop at registration (and where decisions were texted before owners' phones were
verified). The texts name the shop and the case, never anything about the consumer.
"""

from __future__ import annotations

from registry.merchants.models import Merchant
from registry.phones import InvalidIdentifier, validate_mobile


def verified_owner_phone(merchant: Merchant) -> str | None:
    """The owner account's confirmed mobile login, or None."""
    owner = merchant.owner
    if owner is None or not owner.is_enabled or owner.phone_verified_at is None:
        return None
    try:
        return validate_mobile(owner.login)
    except InvalidIdentifier:
        return None  # an e-mail login


def shop_sms_phone(merchant: Merchant) -> str | None:
    """Where texts about `merchant` go: the owner's verified phone, else the shop's contact phone."""
    phone = verified_owner_phone(merchant)
    if phone is not None:
        return phone
    try:
        return validate_mobile(merchant.contact_phone or "")
    except InvalidIdentifier:
        return None
