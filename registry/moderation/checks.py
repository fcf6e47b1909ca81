"""What every moderation action checks first: the officer's district, and the text typed in."""

from __future__ import annotations

from flask_babel import gettext as _

from registry.auth.access import require_district
from registry.auth.models import User
from registry.errors import DomainError
from registry.merchants.models import Merchant

MAX_PUBLIC_REASON = 200
MAX_NOTE = 2000


def require_scope(merchant: Merchant, staff: User) -> None:
    """Staff act on shops in their district only; the refusal (NotPermitted) names the reason."""
    require_district(staff, merchant.district, _("这家店铺不在您负责的区县。"))


def clean_text(value: str | None, field: str, required_message: str | None, limit: int) -> str:
    """The text trimmed; refused on `field` when required and empty, or longer than `limit`."""
    text = (value or "").strip()
    if required_message and not text:
        raise DomainError(required_message, field=field)
    if len(text) > limit:
        raise DomainError(_("最多 %(count)d 个字。", count=limit), field=field)
    return text
