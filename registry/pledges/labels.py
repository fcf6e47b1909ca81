"""Human names for the kinds of pledge clause (pledges.models.CLAUSE_KINDS), translated per request."""

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

# The same kinds named as the breach a complaint or sanction cites ("违反的承诺"), and counted by clause.
BREACH_LABELS = {
    "counterfeit": _l("制假售假"),
    "inferior": _l("以次充好"),
    "false_advertising": _l("虚假宣传"),
    "price_fraud": _l("价格欺诈"),
    "forced_sale": _l("强买强卖"),
    "after_sales": _l("不履行售后义务"),
    "other": _l("其他"),
}

# How a signature was given (pledges.models.SIGNING_METHODS), as the certificate and the QR page say it.
SIGNING_METHOD_LABELS = {
    "online": _l("网上签署"),
    "onsite_sms": _l("现场签署（店主手机验证码确认）"),
    "onsite_paper": _l("现场签署（纸质倡议书，工作人员核实）"),
}
