"""Human names for ownership claim codes, translated per request."""

from flask_babel import lazy_gettext as _l

CLAIM_STATUS_LABELS = {
    "pending": _l("待核实"),
    "transferred": _l("已核实，店铺已转移"),
    "rejected": _l("未通过"),
}
