"""Human names for stored codes, translated per request."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

CATEGORY_LABELS = {
    "supermarket": _l("超市/零售"),
    "catering": _l("餐饮"),
    "food": _l("食品"),
    "liquor": _l("酒类"),
    "cosmetics": _l("化妆品"),
    "clothing": _l("服装"),
    "appliances": _l("家电"),
    "services": _l("服务"),
    "other": _l("其他"),
}

STANDING_LABELS = {
    "pending": _l("待签署"),
    "active": _l("有效承诺"),
    "warned": _l("警示"),
    "suspended": _l("暂停"),
    "revoked": _l("已撤销"),
    "lapsed": _l("已过期"),
}

# Plain-words explanation a consumer reads under the coloured standing.
STANDING_EXPLANATIONS = {
    "pending": _l("这家店铺已登记，但尚未签署诚信经营承诺。"),
    "active": _l("这家店铺已签署现行诚信经营倡议书，承诺在有效期内，没有受到处理。"),
    "warned": _l("这家店铺因违反承诺被公开警示，承诺仍然有效。"),
    "suspended": _l("这家店铺的诚信码已被暂停。"),
    "revoked": _l("这家店铺的诚信承诺已被撤销。"),
    "lapsed": _l("这家店铺的承诺已过期，或未按时重新签署新版倡议书。"),
}

# How the association saw the business licence (merchants.models.LICENCE_METHODS).
LICENCE_METHOD_LABELS = {
    "on_site": _l("现场查看原件"),
    "photo": _l("查看执照照片"),
}


def what_was_checked(verified_on, issuer: str) -> str:
    """The one line under the standing that says what the badge means (the API's "checked"; the QR page
    says the same words in templates/lookup/shop.html): `issuer` is the issuing body's short name."""
    if verified_on is None:
        return _("商家自愿承诺；统一社会信用代码已通过格式校验；营业执照尚未经%(issuer)s核验。", issuer=issuer)
    return _("商家自愿承诺；统一社会信用代码已通过格式校验；营业执照已于 %(date)s 经%(issuer)s核验。",
             date=verified_on.isoformat(), issuer=issuer)


def what_was_checked_short(verified_on) -> str:
    """The same, shortened for a line of search results."""
    if verified_on is None:
        return _("自愿承诺 · 营业执照尚未核验")
    return _("自愿承诺 · 营业执照已于 %(date)s 核验", date=verified_on.isoformat())
