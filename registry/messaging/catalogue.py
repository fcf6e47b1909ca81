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
    # Ownership disputes (registry/ownership): to the claimant, and to the shop's previous contact phone.
    "ownership_transferred": _l("您对“%(shop)s”的认领申请已核实通过，店铺已转到您的账户，请登录打印新诚信码。"),
    "ownership_rejected": _l("您对“%(shop)s”的认领申请未通过：%(reason)s"),
    "ownership_moved_away": _l("“%(shop)s”经核实已转至实际经营者名下，旧诚信码已作废。如有异议请致电%(phone)s。"),
    # Credit repair (moderation.repairs): to the shop's contact phone.
    "repair_granted": _l("“%(shop)s”的信用修复申请已通过，%(kind)s于%(date)s提前结束。"),
    "repair_granted_resign": _l("“%(shop)s”的信用修复申请已通过，请登录重新签署倡议书以恢复诚信码。"),
    "repair_refused": _l("“%(shop)s”的信用修复申请未通过：%(note)s"),
}


def sms_text(key: str, locale: str = "zh", **params) -> str:
    """The text of message `key` with `params`, signed with the issuing body's short name."""
    with force_locale(locale):
        body = str(MESSAGES[key]) % params
    return issuing_body().sms_signature + body


def segments(text: str) -> int:
    """How many SMS segments `text` costs."""
    return 1 if len(text) <= SEGMENT else -(-len(text) // PART)
