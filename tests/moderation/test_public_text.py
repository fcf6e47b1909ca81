"""Staff-written text the public or the shop reads (a sanction's public reason, an appeal decision)
is refused when it carries personal data, with a message that says where and shows it masked."""

from __future__ import annotations

import pytest

from registry.errors import DomainError
from registry.extensions import db
from registry.moderation import appeals, sanctions
from registry.moderation.models import Appeal, Sanction
from registry.moderation.sanctions import SanctionInput

from .helpers import count


@pytest.mark.parametrize("reason, shown", [
    ("经核实多次价格欺诈，举报人电话 139-1234-5678", "“139****5678”像是手机号"),
    ("店员 11010519491231002X 多次虚标价格", "“110***********002X”像是身份证号"),
    ("经核实多次价格欺诈，车牌浙A12345的车主举报", "“浙A****5”像是车牌号"),
])
def test_a_public_reason_with_personal_data_is_refused_saying_where(world, reason, shown):
    with pytest.raises(DomainError) as refused:
        sanctions.issue_warning(world.shop, world.staff, SanctionInput("price_fraud", reason))
    db.session.rollback()

    assert refused.value.field == "public_reason"
    assert shown in refused.value.message and "个字起" in refused.value.message
    assert count(Sanction) == 0


def test_an_appeal_decision_with_personal_data_is_refused(world):
    sanction = sanctions.issue_warning(world.shop, world.staff, SanctionInput("price_fraud", "多次价格欺诈。"))
    appeal = appeals.submit_appeal(sanction, world.owner, "我们已经整改，更新了全部价签，请求撤销。", [])
    db.session.commit()

    with pytest.raises(DomainError) as refused:
        appeals.decide_appeal(appeal, world.staff2, False, "维持原决定，如有疑问请发邮件到 wang.fang@163.com", "")
    db.session.rollback()

    assert refused.value.field == "note" and "“w***@163.com”像是电子邮箱" in refused.value.message
    assert db.session.get(Appeal, appeal.id).decided_at is None
