"""Human names for audit actions, subjects and data keys, translated per request.

Actions not listed here (a new package's) are shown by their code, which is readable enough.
"""

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "user.created": _l("创建账户"),
    "user.role_changed": _l("修改角色"),
    "user.district_changed": _l("修改负责区县"),
    "user.disabled": _l("停用账户"),
    "user.enabled": _l("恢复账户"),
    "user.registered": _l("注册账户（手机号已验证）"),
    "user.password_changed": _l("修改密码"),
    "user.password_reset": _l("重设密码"),
    "merchant.registered": _l("登记店铺"),
    "merchant.updated": _l("修改店铺信息"),
    "merchant.standing_changed": _l("店铺状态变更"),
    "pledge.draft_created": _l("起草倡议书"),
    "pledge.draft_updated": _l("修改倡议书草稿"),
    "pledge.draft_discarded": _l("删除倡议书草稿"),
    "pledge.published": _l("发布倡议书"),
    "pledge.signed": _l("签署倡议书"),
    "badge.issued": _l("签发诚信码"),
    "badge.voided": _l("作废诚信码"),
    "complaint.filed": _l("提交投诉"),
    "complaint.accept": _l("受理投诉"),
    "complaint.refuse": _l("不予受理"),
    "complaint.schedule_mediation": _l("安排调解"),
    "complaint.record_mediated": _l("记录调解成功"),
    "complaint.record_failed": _l("记录调解未成功"),
    "complaint.staff_note": _l("工作备注"),
    "complaint.followup": _l("回访"),
    "consultation.recorded": _l("登记咨询"),
    "consultation.updated": _l("修改咨询记录"),
    "calendar.day_set": _l("设置节假日或调休"),
    "calendar.day_removed": _l("恢复常规工作日"),
    "calendar.year_confirmed": _l("确认全年节假日"),
}

# The prefixes offered in the filter: a prefix selects every action of one area.
ACTION_PREFIXES = {
    "user.": _l("账户"),
    "merchant.": _l("店铺"),
    "pledge.": _l("倡议书"),
    "badge.": _l("诚信码"),
    "complaint.": _l("投诉"),
    "consultation.": _l("咨询"),
    "calendar.": _l("工作日历"),
    "flag": _l("风险提示"),
    "sanction.": _l("处理决定"),
    "appeal.": _l("申诉"),
    "campaign": _l("集中登记"),
}

SUBJECT_LABELS = {
    "user": _l("账户"),
    "merchant": _l("店铺"),
    "pledgeversion": _l("倡议书版本"),
    "signature": _l("签署记录"),
    "badge": _l("诚信码"),
    "complaint": _l("投诉"),
    "consultation": _l("咨询"),
    "calendarday": _l("日历日"),
    "calendaryear": _l("日历年"),
}

KEY_LABELS = {
    "old": _l("原值"),
    "new": _l("新值"),
    "reason": _l("原因"),
    "since": _l("起始时间"),
    "number": _l("版本"),
    "version": _l("版本"),
    "title": _l("标题"),
    "clauses": _l("条款数"),
    "resign_deadline": _l("重新签署截止"),
    "merchant_id": _l("店铺编号"),
    "name": _l("名称"),
    "credit_code": _l("统一社会信用代码"),
    "changes": _l("修改内容"),
    "serial": _l("诚信码编号"),
    "replaced_by": _l("替换为"),
    "sha256": _l("文本哈希"),
    "signer_name": _l("签署人"),
    "signer_title": _l("职务"),
    "tracking_number": _l("投诉编号"),
    "clause": _l("违反的承诺"),
    "role": _l("角色"),
    "district": _l("区县"),
    "display_name": _l("姓名"),
    "channel": _l("渠道"),
    "outcome": _l("结果"),
    "fields": _l("修改的项目"),
    "day": _l("日期"),
    "is_workday": _l("上班"),
    "year": _l("年份"),
    "method": _l("方式"),
}

CHAIN_PROBLEMS = {
    "link to the previous entry is broken": _l("与前一条记录的链接断开：前一条记录被改动、删除或插入了记录。"),
    "content does not match its hash": _l("内容与哈希值不符：这条记录被改动过。"),
}
