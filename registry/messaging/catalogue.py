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

import re

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from registry.issuer import issuing_body

# One segment of a text in Chinese (UCS-2); a longer text is sent in parts of 67 characters.
SEGMENT = 70
PART = 67

MESSAGES = {
    "verification_code": _l("您的验证码是 %(code)s，%(minutes)d 分钟内有效。如非本人操作请忽略。"),
    # To the consumer, at each step of the case (registry/complaints/notices.py).
    "complaint_filed": _l("您对“%(shop)s”的投诉已提交，编号 %(number)s。查看进展：%(link)s"),
    "complaint_accepted": _l("您的投诉 %(number)s 已受理并转交商家，商家应于 %(date)s 前答复。"),
    "complaint_refused": _l("您的投诉 %(number)s 不予受理，依据：%(ground)s。详情及其他途径见投诉页面。"),
    "complaint_replied": _l("“%(shop)s”已答复您的投诉 %(number)s，请查看：%(link)s"),
    "complaint_offered": _l("“%(shop)s”已答复您的投诉 %(number)s 并提出解决方案，请查看并答复：%(link)s"),
    "mediation_scheduled": _l("您的投诉 %(number)s 已安排调解：%(when)s，%(place)s。如需改期请致电 %(phone)s。"),
    "complaint_agreed": _l("您的投诉 %(number)s 已和解结案。"),
    "complaint_mediated": _l("您的投诉 %(number)s 调解成功，已结案。"),
    "complaint_failed": _l("您的投诉 %(number)s 调解未成功，已结案。可依法起诉或申请仲裁，或拨打 12315。"),
    "complaint_escalated": _l("商家未在期限内答复您的投诉 %(number)s，已转由工作人员跟进。"),
    "followup_invitation": _l("您的投诉 %(number)s 已结案，请用 1 分钟评价处理结果：%(link)s"),
    # To the shop owner (complaints/notices.py, the reminder job).
    "complaint_forwarded": _l("店铺“%(shop)s”收到投诉 %(number)s，请于 %(date)s 前登录答复。"),
    "reply_reminder": _l("提醒：店铺“%(shop)s”的投诉 %(number)s 须于 %(date)s 前答复，逾期将转工作人员处理。"),
    "reply_overdue": _l("店铺“%(shop)s”的投诉 %(number)s 逾期未答复，已转由工作人员处理。"),
    # To the shop owner, moderation decisions (registry/moderation/notices.py).
    "sanction_warning": _l("您的店铺“%(shop)s”被公开警示，原因：%(reason)s。请登录查看详情，如有异议可在线申诉一次。"),
    "sanction_suspended_until_rectified": _l(
        "您的店铺“%(shop)s”的诚信码已被暂停，整改后恢复，原因：%(reason)s。请登录查看详情，如有异议可在线申诉一次。"),
    "sanction_suspended": _l(
        "您的店铺“%(shop)s”的诚信码已被暂停至 %(date)s，原因：%(reason)s。请登录查看详情，如有异议可在线申诉一次。"),
    "sanction_revoked": _l("您的店铺“%(shop)s”的诚信承诺已被撤销，原因：%(reason)s。请登录查看详情，如有异议可在线申诉一次。"),
    "sanction_reinstated": _l("您的店铺“%(shop)s”已整改恢复。请登录重新签署现行倡议书，签署后诚信码即恢复有效。"),
    "sanction_lifted_lapsed": _l("您的店铺“%(shop)s”的处理期限已结束。承诺已过期，请登录重新签署倡议书。"),
    "sanction_lifted": _l("您的店铺“%(shop)s”的处理期限已结束，诚信码已恢复。"),
    "appeal_granted": _l("您对店铺“%(shop)s”处理决定的申诉成立，该处理已撤销。说明：%(note)s。"),
    "appeal_upheld": _l("您对店铺“%(shop)s”处理决定的申诉未获支持，维持原决定。说明：%(note)s。"),
    # To the shop owner, about the pledge (registry/pledges/notices.py).
    "pledge_resign": _l("倡议书已更新为第 %(number)d 版，请于 %(date)s 前登录为“%(shop)s”重新签署，逾期诚信码失效。"),
    "pledge_lapsing": _l("店铺“%(shop)s”的诚信承诺将于 %(date)s 到期，请及时登录续签，逾期诚信码失效。"),
    # Ownership disputes (registry/ownership): to the claimant, and to the shop's previous contact phone.
    "ownership_transferred": _l("您对“%(shop)s”的认领申请已核实通过，店铺已转到您的账户，请登录打印新诚信码。"),
    "ownership_rejected": _l("您对“%(shop)s”的认领申请未通过：%(reason)s。"),
    "ownership_moved_away": _l("“%(shop)s”经核实已转至实际经营者名下，旧诚信码已作废。如有异议请致电%(phone)s。"),
    # Credit repair (moderation.repairs): to the shop's contact phone.
    "repair_granted": _l("“%(shop)s”的信用修复申请已通过，%(kind)s于%(date)s提前结束。"),
    "repair_granted_resign": _l("“%(shop)s”的信用修复申请已通过，请登录重新签署倡议书以恢复诚信码。"),
    "repair_refused": _l("“%(shop)s”的信用修复申请未通过：%(note)s。"),
    # To the owner's own phone while an officer signs the shop up at its door (campaigns.onsite).
    "onsite_signing_code": _l("您正在现场签署诚信经营倡议书，确认码 %(code)s，%(minutes)d 分钟内有效。不是您本人签署请勿告知他人。"),
}

# Punctuation a staff-typed reason may end with; the template supplies its own full stop.
_CLOSING_PUNCTUATION = "。．.！!？?；;，,、 "


# A placeholder the template follows with its own punctuation.
_PLACEHOLDER_BEFORE_PUNCTUATION = re.compile(r"%\((\w+)\)s(?=[" + re.escape(_CLOSING_PUNCTUATION.strip()) + r"])")


def sms_text(key: str, locale: str = "zh", **params) -> str:
    """The text of message `key` with `params`, signed with the issuing body's short name.

    Where the template puts its own punctuation after a value (typed text: a reason, a note, a place),
    the value's closing punctuation is dropped, so no text reads "原因：X。。" whoever typed X."""
    with force_locale(locale):
        template = str(MESSAGES[key])
        for name in _PLACEHOLDER_BEFORE_PUNCTUATION.findall(template):
            if isinstance(params.get(name), str):
                params[name] = sentence_part(params[name])
        body = template % params
    return issuing_body().sms_signature + body


def sentence_part(text: str | None) -> str:
    """Staff-typed text put inside a sentence: its own closing punctuation dropped ("原因：X。。" → "原因：X。")."""
    return (text or "").strip().rstrip(_CLOSING_PUNCTUATION)


def segments(text: str) -> int:
    """How many SMS segments `text` costs."""
    return 1 if len(text) <= SEGMENT else -(-len(text) // PART)
