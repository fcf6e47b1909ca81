"""Human names for moderation codes, translated per request."""

from flask_babel import lazy_gettext as _l

FLAG_KIND_LABELS = {
    "rule": _l("规则触发"),
    "misused_badge": _l("消费者举报冒用"),
    "staff": _l("工作人员标记"),
}

FLAG_STATUS_LABELS = {
    "open": _l("待处理"),
    "dismissed": _l("已排除"),
    "actioned": _l("已处理"),
}

RULE_LABELS = {
    "accepted_in_window": _l("一段时间内受理投诉过多"),
    "counterfeit_accepted": _l("受理了制假售假投诉"),
    "burst_same_phone": _l("同一手机号集中投诉"),
    "reply_overdue": _l("逾期未回复投诉"),
}

RULE_EXPLANATIONS = {
    "accepted_in_window": _l("在设定天数内被受理的投诉达到设定件数时标记。"),
    "counterfeit_accepted": _l("在设定天数内被受理的“制假售假”投诉达到设定件数时标记（默认 1 件即标记）。"),
    "burst_same_phone": _l("同一手机号在设定天数内对同一店铺提交的投诉达到设定件数时标记（提交时即计数，可能是竞争对手恶意投诉，请核实）。"),
    "reply_overdue": _l("在设定天数内有设定件数的投诉超过回复期限仍未回复、转由工作人员处理时标记（默认 1 件即标记）。"),
}

SANCTION_KIND_LABELS = {
    "warning": _l("警示"),
    "suspension": _l("暂停"),
    "revocation": _l("撤销"),
    "reinstatement": _l("恢复"),
}

SANCTION_STATUS_LABELS = {
    "proposed": _l("待审批"),
    "active": _l("生效中"),
    "ended": _l("已结束"),
    "rejected": _l("未批准"),
}

END_REASON_LABELS = {
    "expired": _l("到期结束"),
    "reinstated": _l("整改后恢复"),
    "appeal_granted": _l("申诉成立，已撤销"),
    "repaired": _l("信用修复，提前结束"),
}

REPAIR_STATUS_LABELS = {
    "pending": _l("待处理"),
    "proposed": _l("待第二位工作人员审批"),
    "granted": _l("已准予修复"),
    "refused": _l("不予修复"),
}

APPEAL_STATUS_LABELS = {
    "pending": _l("待处理"),
    "upheld": _l("维持原决定"),
    "granted": _l("申诉成立"),
}
