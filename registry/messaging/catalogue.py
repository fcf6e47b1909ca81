"""Every text message the registry sends, in one catalogue.

A message is a key and a gettext template. :func:`sms_text` renders it in the recipient's language
(Chinese unless told otherwise: texts go to phones, not to the officer's screen) and puts the issuing
body's 【签名】 in front, as Chinese SMS gateways require. Keep texts short: one segment is 70
characters, signature included; longer texts go out as 67-character parts and cost more (see
:func:`segments`, which the catalogue's tests check every entry against).

What goes into a text is somebody's data. A text to a consumer never carries the shop owner's
personal data, a text to a shop never carries the consumer's: name the case by its tracking number
and the shop by its name, and link to the page where the reader signs in or confirms a code.
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from registry.issuer import issuing_body

# One segment of a text in Chinese (UCS-2); a longer text is sent in parts of 67 characters.
SEGMENT = 70
PART = 67

MESSAGES = {
    "verification_code": _l("您的验证码是 %(code)s，%(minutes)d 分钟内有效。如非本人操作请忽略。"),
    # To the owner's own phone while an officer signs the shop up at its door (campaigns.onsite).
    "onsite_signing_code": _l("您正在现场签署诚信经营倡议书，确认码 %(code)s，%(minutes)d 分钟内有效。不是您本人签署请勿告知他人。"),
}


def sms_text(key: str, locale: str = "zh", **params) -> str:
    """The text of message `key` with `params`, signed with the issuing body's short name."""
    with force_locale(locale):
        body = str(MESSAGES[key]) % params
    return issuing_body().sms_signature + body


def segments(text: str) -> int:
    """How many SMS segments `text` costs."""
    return 1 if len(text) <= SEGMENT else -(-len(text) // PART)
