"""Human names for stored campaign states, translated per request."""

from flask_babel import lazy_gettext as _l

BATCH_STATUS_LABELS = {
    "validated": _l("待确认"),
    "importing": _l("导入中"),
    "imported": _l("已导入"),
    "discarded": _l("未导入"),
}

# The label of each field in row reports, in the order of the template's columns.
FIELD_LABELS = {
    "name": _l("店铺名称"),
    "credit_code": _l("统一社会信用代码"),
    "category": _l("类别"),
    "district": _l("区/县"),
    "township": _l("乡镇/街道"),
    "address": _l("详细地址"),
    "owner_name": _l("经营者姓名"),
    "contact_phone": _l("联系电话"),
}
