"""Pledge versions: a draft is prepared and changed in private, publishing makes it current, and a
published version never changes again."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEntry
from registry.errors import Conflict, DomainError, InvalidTransition
from registry.extensions import db
from registry.pledges.models import PledgeClause, PledgeVersion
from registry.clock import CHINA
from registry.pledges.versions import (create_draft, current_version, discard_draft, draft_version, publish_draft,
                                       publish_version, resign_deadline_for, update_draft)

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

CLAUSES = [
    {"kind": "counterfeit", "text": "不制假售假。", "text_en": "No counterfeits."},
    {"kind": "price_fraud", "text": "明码标价。", "text_en": ""},
    {"kind": "after_sales", "text": "七日无理由退货。", "text_en": None},
]


@pytest.fixture
def admin(make_user):
    return make_user(role="admin", name="管理员")


def draft(admin, clauses=CLAUSES, **overrides):
    values = dict(title="诚信经营倡议书（2027 年修订）", preamble="为营造放心消费环境，本店承诺：",
                  preamble_en="To make shopping safe, this shop pledges:")
    values.update(overrides)
    version = create_draft(admin, values["title"], values["preamble"], clauses, values["preamble_en"])
    db.session.commit()
    return version


def versions_count() -> int:
    return db.session.scalar(select(func.count(PledgeVersion.id)))


def stored_clauses(version) -> list[tuple]:
    db.session.expire_all()
    return list(db.session.execute(
        select(PledgeClause.number, PledgeClause.kind, PledgeClause.text, PledgeClause.text_en)
        .where(PledgeClause.version_id == version.id).order_by(PledgeClause.number)
    ).all())


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_draft_is_the_next_number_and_is_not_current(pledge, admin):
    version = draft(admin)

    assert version.number == pledge.number + 1
    assert version.published_at is None and version.resign_deadline is None
    assert current_version().id == pledge.id
    assert draft_version().id == version.id
    assert stored_clauses(version) == [(1, "counterfeit", "不制假售假。", "No counterfeits."),
                                       (2, "price_fraud", "明码标价。", None),
                                       (3, "after_sales", "七日无理由退货。", None)]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "pledge.draft_created"))
    assert entry.actor_id == admin.id and entry.subject_id == version.id
    assert json.loads(entry.data)["clauses"] == 3


def test_empty_rows_are_left_out_and_the_rest_numbered_in_order(pledge, admin):
    rows = [{"kind": "", "text": "", "text_en": ""}, CLAUSES[0], {"kind": "other", "text": "  ", "text_en": ""},
            CLAUSES[1]]

    version = draft(admin, clauses=rows)

    assert [row[:3] for row in stored_clauses(version)] == [(1, "counterfeit", "不制假售假。"),
                                                            (2, "price_fraud", "明码标价。")]


@pytest.mark.parametrize(("overrides", "clauses", "field", "message"), [
    ({"title": " "}, CLAUSES, "title", "请填写标题。"),
    ({"title": "长" * 101}, CLAUSES, "title", "标题最多 100 个字。"),
    ({"preamble": ""}, CLAUSES, "preamble", "请填写倡议书的开头语。"),
    ({}, [], "clauses", "倡议书至少需要一条承诺。"),
    ({}, [{"kind": "", "text": "", "text_en": ""}], "clauses", "倡议书至少需要一条承诺。"),
    ({}, [CLAUSES[0], {"kind": "other", "text": "", "text_en": "English only"}], "clauses-1-text",
     "第 2 条：请填写中文内容（签署的是中文文本）。"),
    ({}, [{"kind": "", "text": "不搭售。", "text_en": ""}], "clauses-0-kind", "第 1 条：请选择承诺的类别。"),
    ({}, [{"kind": "bribery", "text": "不行贿。", "text_en": ""}], "clauses-0-kind", "第 1 条：请选择承诺的类别。"),
    ({}, [{"kind": "other", "text": "长" * 501, "text_en": ""}], "clauses-0-text", "第 1 条最多 500 个字。"),
])
def test_a_draft_with_a_mistake_is_refused_next_to_the_field_and_nothing_is_saved(
        pledge, admin, overrides, clauses, field, message):
    before = versions_count()

    with pytest.raises(DomainError) as refused:
        draft(admin, clauses=clauses, **overrides)

    db.session.rollback()
    assert (refused.value.field, refused.value.message) == (field, message)
    assert versions_count() == before
    assert draft_version() is None


def test_there_is_only_one_draft_at_a_time(pledge, admin):
    first = draft(admin)

    with pytest.raises(Conflict):
        draft(admin, title="另一份草稿")

    db.session.rollback()
    assert draft_version().id == first.id
    assert versions_count() == 2


def test_editing_a_draft_rewrites_its_text_and_clauses(pledge, admin):
    version = draft(admin)

    update_draft(version, admin, "新标题", "新开头语", [CLAUSES[2], CLAUSES[0]], None)
    db.session.commit()

    db.session.expire_all()
    stored = db.session.get(PledgeVersion, version.id)
    assert (stored.title, stored.preamble, stored.preamble_en) == ("新标题", "新开头语", None)
    assert stored_clauses(version) == [(1, "after_sales", "七日无理由退货。", None),
                                       (2, "counterfeit", "不制假售假。", "No counterfeits.")]
    assert audit_actions()[-1] == "pledge.draft_updated"

    update_draft(version, admin, "新标题", "新开头语", CLAUSES + [{"kind": "other", "text": "第四条。"}], None)
    db.session.commit()
    assert [row[0] for row in stored_clauses(version)] == [1, 2, 3, 4]


def test_publishing_makes_the_draft_current_with_a_resign_deadline(pledge, admin):
    version = draft(admin)
    now = datetime(2027, 3, 3, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing

    publish_draft(version, admin, 7, now=now)
    db.session.commit()

    db.session.expire_all()
    stored = db.session.get(PledgeVersion, version.id)
    assert stored.published_at == now
    assert stored.resign_deadline == datetime(2027, 3, 10, 23, 59, 59, tzinfo=CHINA)
    assert current_version().id == version.id
    assert draft_version() is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "pledge.published",
                                                       AuditEntry.subject_id == version.id))
    assert entry.actor_id == admin.id
    assert json.loads(entry.data)["resign_deadline"] == stored.resign_deadline.isoformat()


def test_the_resign_deadline_is_the_end_of_the_last_day_in_beijing():
    # 23:30 UTC on 2 March is already 3 March in Beijing: the window counts from the Beijing date.
    published = datetime(2027, 3, 2, 23, 30, tzinfo=timezone.utc)

    deadline = resign_deadline_for(published, 7)

    assert deadline.astimezone(CHINA).replace(tzinfo=None) == datetime(2027, 3, 10, 23, 59, 59)
    assert resign_deadline_for(published, 0).astimezone(CHINA).date().isoformat() == "2027-03-03"


@pytest.mark.parametrize("days", [-1, 366])
def test_a_resign_window_out_of_range_is_refused(pledge, admin, days):
    version = draft(admin)

    with pytest.raises(DomainError) as refused:
        publish_draft(version, admin, days)

    db.session.rollback()
    assert refused.value.field == "resign_days"
    assert db.session.get(PledgeVersion, version.id).published_at is None
    assert current_version().id == pledge.id


def test_a_published_version_can_never_be_changed(pledge, admin):
    version = draft(admin)
    publish_draft(version, admin, 30)
    db.session.commit()
    before = stored_clauses(version)
    entries = len(audit_actions())

    with pytest.raises(InvalidTransition) as refused:
        update_draft(version, admin, "改过的标题", "改过的开头语", [CLAUSES[0]], None)
    assert "不能再修改" in refused.value.message
    with pytest.raises(InvalidTransition):
        discard_draft(version, admin)
    with pytest.raises(InvalidTransition):
        publish_draft(version, admin, 30)
    # The text first published with the registry is just as fixed.
    with pytest.raises(InvalidTransition):
        update_draft(pledge, admin, "改过的标题", "改过的开头语", [CLAUSES[0]], None)

    db.session.rollback()
    db.session.expire_all()
    stored = db.session.get(PledgeVersion, version.id)
    assert stored.title == "诚信经营倡议书（2027 年修订）"
    assert stored_clauses(version) == before
    assert len(audit_actions()) == entries


def test_a_draft_can_be_discarded(pledge, admin):
    version = draft(admin)
    version_id = version.id

    discard_draft(version, admin)
    db.session.commit()

    assert db.session.get(PledgeVersion, version_id) is None
    assert db.session.scalar(select(func.count(PledgeClause.id)).where(PledgeClause.version_id == version_id)) == 0
    assert audit_actions()[-1] == "pledge.draft_discarded"
    assert current_version().id == pledge.id


def test_a_draft_overtaken_by_a_newer_published_version_cannot_be_published(pledge, admin):
    stale = draft(admin)
    newer = publish_version("另一版本", "开头语", [CLAUSES[0]], admin)
    db.session.commit()

    with pytest.raises(InvalidTransition):
        publish_draft(stale, admin, 30)

    db.session.rollback()
    assert current_version().id == newer.id
    assert db.session.get(PledgeVersion, stale.id).published_at is None


def test_publish_version_publishes_at_once_with_an_optional_window(pledge, admin):
    version = publish_version("第二版", "开头语", [CLAUSES[0]], admin, resign_window_days=10)
    db.session.commit()

    assert current_version().id == version.id
    assert version.resign_deadline - version.published_at <= timedelta(days=11)
    assert version.resign_deadline - version.published_at > timedelta(days=10)


def test_a_request_looks_up_the_current_terms_once_and_publishing_forgets_them(app, pledge, admin):
    from sqlalchemy import event

    from registry.pledges.queries import current_version_terms

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 — (conn, cursor, statement, ...)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with app.test_request_context("/search"):
            first, second = current_version_terms(), current_version_terms()
            version = draft(admin)
            publish_draft(version, admin, 7)
            third = current_version_terms()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)

    assert first.version_id == second.version_id == pledge.id
    assert third.version_id == version.id and third.resign_deadline == version.resign_deadline
    # The terms query is the one that selects the deadline without the text.
    terms_queries = [s for s in statements if s.startswith("SELECT") and "resign_deadline" in s.split("FROM")[0]
                     and "title" not in s]
    assert len(terms_queries) == 2
