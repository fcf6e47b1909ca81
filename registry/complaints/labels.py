"""Human names for complaint codes, translated per request."""

from flask_babel import lazy_gettext as _l

from registry.pledges.labels import BREACH_LABELS

# The clause a complaint cites, by kind: the pledge's vocabulary, named as a breach.
CLAUSE_LABELS = BREACH_LABELS
# The complaint form's choice for a problem none of the signed clauses covers.
NO_CLAUSE_LABEL = _l("其他问题（不属于以上承诺）")

DEMAND_LABELS = {
    "refund": _l("退款"),
    "exchange": _l("换货"),
    "apology": _l("赔礼道歉"),
    "compensation": _l("赔偿"),
}

STATUS_LABELS = {
    "filed": _l("待受理"),
    "accepted": _l("已受理，待商家回复"),
    "replied": _l("商家已回复"),
    "disputed": _l("待工作人员调解"),
    "mediating": _l("调解中"),
    "closed": _l("已办结"),
    "refused": _l("不予受理"),
    "withdrawn": _l("已撤回"),
    "duplicate": _l("重复投诉，已并案"),
}

CHANNEL_LABELS = {
    "online": _l("网上"),
    "phone": _l("来电"),
    "letter": _l("来信"),
    "visit": _l("来访"),
    "network": _l("网络"),
}

CHANNEL_HINTS = {
    "online": _l("消费者扫码在线投诉"),
    "phone": _l("电话投诉"),
    "letter": _l("信件投诉"),
    "visit": _l("当面投诉"),
    "network": _l("其他网络平台转来的投诉"),
}

CONSENT_LABELS = {
    "online": _l("在线勾选同意"),
    "verbal": _l("口头同意（工作人员记录）"),
    "written": _l("书面同意（来信或签字）"),
}

OUTCOME_LABELS = {
    "agreed": _l("双方和解"),
    "mediated": _l("调解成功"),
    "failed": _l("调解未成功"),
}

REFUSAL_GROUND_LABELS = {
    "not_consumer_dispute": _l("不属于消费者权益争议"),
    "no_jurisdiction": _l("不属于本机构管辖"),
    "already_handled": _l("已由其他机构受理或处理"),
    "court_or_arbitration": _l("法院、仲裁机构已受理或处理"),
    "time_limit": _l("超过投诉时效（知道权益受损之日起三年）"),
    "no_evidence": _l("缺少必要信息，无法核实"),
    "duplicate": _l("重复投诉"),
    "other": _l("其他法定情形"),
}

ACTION_LABELS = {
    "accept": _l("受理"),
    "refuse": _l("不予受理"),
    "merchant_reply": _l("商家回复"),
    "accept_offer": _l("接受处理方案"),
    "reject_offer": _l("不接受处理方案"),
    "schedule_mediation": _l("安排调解"),
    "record_mediated": _l("记录调解成功"),
    "record_failed": _l("记录调解未成功"),
    "reply_overdue": _l("逾期未回复"),
    "withdraw": _l("撤回投诉"),
    "add_information": _l("补充说明"),
    "staff_note": _l("工作备注"),
    "followup": _l("回访"),
    "callback": _l("电话回访"),
    "mark_duplicate": _l("标为重复投诉"),
}

EVENT_LABELS = {
    "filed": _l("消费者提交投诉"),
    "accepted": _l("受理投诉"),
    "forwarded": _l("转交商家处理"),
    "refused": _l("不予受理"),
    "merchant_replied": _l("商家回复"),
    "consumer_accepted": _l("消费者接受处理方案"),
    "consumer_rejected": _l("消费者不接受处理方案"),
    "mediation_scheduled": _l("安排调解"),
    "mediated": _l("调解成功"),
    "mediation_failed": _l("调解未成功"),
    "consumer_added": _l("消费者补充说明"),
    "withdrawn": _l("消费者撤回投诉"),
    "followup": _l("回访"),
    "staff_note": _l("工作备注"),
    "closed": _l("办结"),
    "contact_purged": _l("按保存期限删除消费者联系方式"),
    "reply_overdue": _l("逾期未回复，转由工作人员处理"),
    "callback": _l("工作人员电话回访"),
    "registered": _l("工作人员代为登记投诉"),
    "marked_duplicate": _l("标为重复投诉并案办理"),
    "duplicate_linked": _l("重复投诉并入本案"),
    "business_linked": _l("被投诉经营者已关联名录中的商家"),
}
