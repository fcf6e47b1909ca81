"""Human names for consultation codes, translated per request."""

from flask_babel import lazy_gettext as _l

CHANNEL_LABELS = {
    "visit": _l("来访"),
    "phone": _l("来电"),
    "letter": _l("来信"),
    "online": _l("网络"),
}

OUTCOME_LABELS = {
    "answered": _l("已解答"),
    "referred": _l("已告知其他途径"),
    "complaint": _l("转为投诉"),
    "other": _l("其他"),
}

# Offered while typing the topic; any other topic may be typed.
COMMON_TOPICS = (
    "预付卡退费", "商品质量", "售后服务", "价格问题", "食品安全", "网络购物", "虚假宣传", "装修服务",
    "教育培训", "美容美发", "餐饮服务", "家用电器", "汽车消费", "通信服务", "其他",
)
