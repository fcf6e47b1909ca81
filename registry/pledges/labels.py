"""Human names for the kinds of pledge clause, translated per request."""

from flask_babel import lazy_gettext as _l

CLAUSE_KIND_LABELS = {
    "counterfeit": _l("不制假售假"),
    "inferior": _l("不以次充好"),
    "false_advertising": _l("不虚假宣传"),
    "price_fraud": _l("不价格欺诈"),
    "forced_sale": _l("不强买强卖"),
    "after_sales": _l("售后服务"),
    "other": _l("其他"),
}
