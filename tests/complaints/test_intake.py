"""Staff intake (complaints.intake): complaints received by phone, letter, visit or another platform,
against a registered shop or a business not in the registry; linking that business later; marking a
duplicate; turning a consultation into a complaint. Each path asserts what changed; each refusal
asserts its message, its field and that nothing was stored.

The suite's clock is Tuesday 30 September 2025, 10:00 in Beijing, the day before the National Day
holiday (1–8 October; Sunday 28 September and Saturday 11 October are working days).
"""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from registry.audit.models import AuditEntry
from registry.complaints import figures, filing, handling, intake, queries
from registry.complaints.models import Complaint, ComplaintEvent, UnlistedBusiness
from registry.complaints.retention import purge_expired_contact_details
from registry.complaints.timeline import complaint_changed
from registry.consultations.models import Consultation
from registry.errors import DomainError, NotPermitted
from registry.extensions import db
from registry.reports.figures import build_report

from .helpers import DESCRIPTION, NAME, PHONE, SUMMARY, count, events_of, file, walk

pytestmark = pytest.mark.usefixtures("frozen", "seeded", "cheap_password_hashing")

TODAY = date(2025, 9, 30)
ADDRESS = "杭州市西湖区文三路 90 号 3 幢 201 室"


def typed(**overrides) -> intake.IntakeInput:
    """A phone complaint against a registered shop (its credit code), as an officer types it."""
    values = dict(channel="phone", received_on=None, consumer_name=NAME, consumer_phone=PHONE, consumer_address="",
                  consent_kind="verbal", shop="", business=None, clause_kind="price_fraud", description=DESCRIPTION,
                  purchase_date=TODAY - timedelta(days=3), amount_cents=1990, demands=["refund"])
    values.update(overrides)
    return intake.IntakeInput(**values)


def business(**overrides) -> intake.BusinessInput:
    values = dict(name="老王水果摊", address="文三路与学院路交叉口东北角", credit_code="", district="西湖区",
                  township="翠苑街道")
    values.update(overrides)
    return intake.BusinessInput(**values)


def register(staff, data: intake.IntakeInput, consultation=None, photos=()) -> tuple[Complaint, str]:
    complaint, token = intake.register_complaint(staff, data, list(photos), secrets.token_urlsafe(24), consultation)
    db.session.commit()
    return complaint, token


# --- a phone complaint against a registered shop ---------------------------------------------------


def test_a_phone_complaint_enters_the_same_machine_and_clock_without_sms(world):
    heard = []

    def listener(sender, action, actor, **_extra):
        heard.append((sender.id, action, actor.id))

    complaint_changed.connect(listener)
    try:
        complaint, token = register(world.staff, typed(shop=world.shop.credit_code))
    finally:
        complaint_changed.disconnect(listener)

    assert complaint.status == "filed" and complaint.merchant_id == world.shop.id and complaint.business_id is None
    assert (complaint.channel, complaint.received_on, complaint.registered_by_id) == ("phone", TODAY, world.staff.id)
    assert (complaint.consent_kind, complaint.consent_recorded_by_id) == ("verbal", world.staff.id)
    assert (complaint.consumer_name, complaint.consumer_phone, complaint.consumer_address) == (NAME, PHONE, None)
    assert complaint.share_phone_consent_at is None  # staff intake never shares the phone with the shop
    # The 7-working-day decision clock from the day it arrived: 9 Oct (1), 10, 11 (a working Saturday),
    # 13, 14, 15, 16 October.
    assert complaint.due_date == date(2025, 10, 16)
    assert complaint.clause_kind == "price_fraud" and complaint.clause_number is not None
    # The same "complaint filed" signal as the online form: the consumer's SMS hook hears both paths.
    assert heard == [(complaint.id, "file", world.staff.id)]
    # The timeline says who registered it and how it came in.
    (event,) = complaint.events
    assert (event.kind, event.actor_role, event.actor_id, event.is_public) == ("registered", "staff", world.staff.id,
                                                                               False)
    assert json.loads(event.data)["channel"] == "phone" and json.loads(event.data)["consent"] == "verbal"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "complaint.registered"))
    assert (entry.actor_id, entry.subject_id) == (world.staff.id, complaint.id)
    assert json.loads(entry.data)["channel"] == "phone"
    # The consumer's case link works like an online filer's, and it is in the new queue.
    assert filing.complaint_by_token(token).id == complaint.id
    assert [c.id for c in queries.staff_queue(world.staff, "new", 1).items] == [complaint.id]


def test_the_same_form_posted_twice_registers_one_complaint(world):
    key = secrets.token_urlsafe(24)
    first, token = intake.register_complaint(world.staff, typed(shop=world.shop.name), [], key)
    again, token_again = intake.register_complaint(world.staff, typed(shop=world.shop.name), [], key)
    db.session.commit()
    assert (first.id, token) == (again.id, token_again) and count(Complaint) == 1


# --- a letter against a business not in the registry, received days before ---------------------------


def test_a_letter_with_only_an_address_against_an_unlisted_business(world):
    received = date(2025, 9, 27)  # a Saturday: the letter's date
    complaint, _token = register(world.staff, typed(
        channel="letter", received_on=received, consumer_name="", consumer_phone="", consumer_address=ADDRESS,
        consent_kind="written", business=business(credit_code=""), clause_kind="counterfeit"))

    assert complaint.merchant_id is None and complaint.consumer_phone is None and complaint.consumer_name is None
    assert complaint.consumer_address == ADDRESS and complaint.consent_kind == "written"
    shop = db.session.get(UnlistedBusiness, complaint.business_id)
    assert (shop.name, shop.district, shop.township, shop.credit_code, shop.created_by_id) == (
        "老王水果摊", "西湖区", "翠苑街道", None, world.staff.id)
    assert (complaint.district, complaint.business_name) == ("西湖区", "老王水果摊")
    # No shop, no signed pledge: the problem is recorded as "other".
    assert (complaint.clause_kind, complaint.clause_number, complaint.pledge_version_id) == ("other", None, None)
    # The clock starts from the letter's date: 28 Sep (a working Sunday), 29, 30, 9, 10, 11, 13 October.
    assert complaint.received_on == received and complaint.due_date == date(2025, 10, 13)
    assert complaint.events[0].kind == "registered"
    # Staff handle it through the same machine; the shop's figures are not touched (there is no shop).
    handling.accept_complaint(complaint, world.staff, complaint.version, SUMMARY)
    db.session.commit()
    assert complaint.status == "accepted" and complaint.is_public
    # No shop account to forward it to: staff contact the business themselves.
    assert [e[1] for e in events_of(complaint)] == ["registered", "accepted"]


def test_staff_link_the_business_to_a_registered_shop_later(world):
    complaint, _token = register(world.staff, typed(business=business(), clause_kind="other"))
    handling.accept_complaint(complaint, world.staff, complaint.version, SUMMARY)
    db.session.commit()
    unlisted = complaint.business

    with pytest.raises(NotPermitted):
        intake.link_business(unlisted, world.shop.credit_code, world.staff_elsewhere)
    db.session.rollback()
    intake.link_business(unlisted, world.shop.credit_code, world.staff)
    db.session.commit()

    assert complaint.merchant_id == world.shop.id and complaint.business_id == unlisted.id
    assert (unlisted.linked_merchant_id, unlisted.linked_by_id) == (world.shop.id, world.staff.id)
    assert events_of(complaint)[-1][1] == "business_linked"
    assert db.session.scalar(select(AuditEntry.actor_id).where(AuditEntry.action == "complaint.business_linked")) \
        == world.staff.id
    # Now a complaint of the shop: its published figures count it.
    assert figures.compute([world.shop.id])[world.shop.id].accepted == 1
    with pytest.raises(DomainError) as refused:
        intake.link_business(unlisted, world.shop.credit_code, world.staff)
    assert refused.value.field == "shop"


# --- refusals: a clear message on the right field, nothing stored -----------------------------------


@pytest.mark.parametrize(("changes", "field", "words"), [
    (dict(received_on=TODAY + timedelta(days=1)), "received_on", "不能晚于今天"),
    (dict(received_on=TODAY - timedelta(days=31)), "received_on", "30 天前"),
    (dict(received_on=TODAY - timedelta(days=5), purchase_date=TODAY - timedelta(days=2)), "received_on",
     "不能早于购买日期"),
    (dict(consumer_phone="", consumer_address=""), "consumer_phone", "手机号或通信地址"),
    (dict(consumer_phone="1386745"), "consumer_phone", "手机号"),
    (dict(consent_kind="online"), "consent_kind", "同意"),
    (dict(consent_kind=""), "consent_kind", "同意"),
    (dict(channel="online"), "channel", "来电、来信、来访或网络"),
    (dict(shop="没有这家店"), "shop", "不在名录中的经营者"),
    (dict(shop=""), "shop", "请填写被投诉商家"),
    (dict(shop="", business=business(name="")), "business_name", "名称"),
    (dict(shop="", business=business(credit_code="123")), "business_credit_code", "18 位"),
    (dict(shop="", business=business(township="不存在街道")), "business_township", "没有“不存在街道”"),
    (dict(description="太差了"), "description", "至少"),
    (dict(demands=[]), "demands", "诉求"),
    (dict(clause_kind="nonsense"), "clause", "哪一条"),
])
def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(world, changes, field, words):
    data = typed(shop=world.shop.credit_code)
    for key, value in changes.items():
        setattr(data, key, value)
    audited = count(AuditEntry)
    with pytest.raises(DomainError) as refused:
        intake.register_complaint(world.staff, data, [], secrets.token_urlsafe(24))
    db.session.rollback()
    assert refused.value.field == field and words in refused.value.message
    assert count(Complaint) == 0 and count(UnlistedBusiness) == 0 and count(AuditEntry) == audited


def test_a_shop_known_by_another_credit_code_goes_through_the_registry(world):
    with pytest.raises(DomainError) as refused:
        register(world.staff, typed(business=business(credit_code=world.shop.credit_code)))
    assert refused.value.field == "business_credit_code" and "已在名录中" in refused.value.message


# --- district scoping --------------------------------------------------------------------------------


def test_staff_of_another_district_cannot_register_against_this_districts_shop(world):
    with pytest.raises(DomainError) as refused:
        register(world.staff_elsewhere, typed(shop=world.shop.credit_code))
    assert refused.value.field == "shop" and "您负责的区县" in refused.value.message
    # Their unlisted business is always in their own district, whatever the form says.
    complaint, _token = register(world.staff_elsewhere, typed(business=business(district="西湖区", township="")))
    assert complaint.business.district == "滨江区"
    # …and the other district's staff neither see nor act on it.
    with pytest.raises(NotPermitted):
        handling.accept_complaint(complaint, world.staff, complaint.version, SUMMARY)
    db.session.rollback()
    assert queries.staff_queue(world.staff, "new", 1).total == 0
    assert queries.staff_queue(world.staff_elsewhere, "new", 1).total == 1
    assert queries.staff_queue(world.admin, "new", 1).total == 1


def test_only_staff_register(world):
    with pytest.raises(NotPermitted):
        register(world.owner, typed(shop=world.shop.credit_code))


# --- duplicates --------------------------------------------------------------------------------------


def test_a_duplicate_leaves_the_workload_and_the_public_side_counts_one(world):
    online, _token = file(world.shop)
    phoned, phoned_token = register(world.staff, typed(shop=world.shop.credit_code))
    for complaint in (online, phoned):
        walk(complaint, world, "accepted")
    assert figures.compute([world.shop.id])[world.shop.id].accepted == 2

    original = handling.mark_duplicate(phoned, world.staff, phoned.version, f" {online.tracking_number.lower()} ",
                                       "同一消费者先来电，后又扫码投诉")
    db.session.commit()

    assert original.id == online.id
    assert (phoned.status, phoned.duplicate_of_id, phoned.due_date) == ("duplicate", online.id, None)
    assert phoned.closed_at is not None and not phoned.is_public
    assert events_of(phoned)[-1][1] == "marked_duplicate" and events_of(online)[-1][1] == "duplicate_linked"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "complaint.mark_duplicate"))
    assert entry.actor_id == world.staff.id and json.loads(entry.data)["original"] == online.tracking_number
    # Out of the open workload, counted once everywhere.
    assert queries.queue_counts(world.staff) == {"new": 0, "open": 1, "closed": 1}
    shown, _replies = queries.public_complaints_with_replies(world.shop.id)
    assert [c.id for c in shown] == [online.id]
    assert figures.compute([world.shop.id])[world.shop.id].accepted == 1
    report = build_report(date(2025, 9, 1), date(2025, 10, 1))
    assert (report.complaints_received, report.complaints_accepted) == (1, 1)
    assert report.received_by_channel["online"] == 1 and report.received_by_channel["phone"] == 0


@pytest.mark.parametrize(("number", "words"), [
    ("", "编号"), ("TS20000101-0001", "没有编号为"), ("self", "它自己"),
])
def test_a_duplicate_needs_a_real_other_case(world, number, words):
    complaint, _token = register(world.staff, typed(shop=world.shop.credit_code))
    with pytest.raises(DomainError) as refused:
        handling.mark_duplicate(complaint, world.staff, complaint.version,
                                complaint.tracking_number if number == "self" else number, "")
    db.session.rollback()
    assert refused.value.field == "original" and words in refused.value.message
    assert db.session.get(Complaint, complaint.id).status == "filed"


def test_the_case_that_carries_on_cannot_be_a_duplicate_itself(world):
    first, _t = file(world.shop)
    second, _t = file(world.shop)
    third, _t = file(world.shop)
    handling.mark_duplicate(second, world.staff, second.version, first.tracking_number, "")
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        handling.mark_duplicate(third, world.staff, third.version, second.tracking_number, "")
    assert first.tracking_number in refused.value.message


def test_the_duplicates_tracking_page_names_the_case_that_carries_on_and_nothing_else(app, world):
    online, _token = file(world.shop, consumer_name="司马相如", consumer_phone="13912345678")
    phoned, token = register(world.staff, typed(shop=world.shop.credit_code))
    handling.mark_duplicate(phoned, world.staff, phoned.version, online.tracking_number, "内部说明：两次投诉")
    db.session.commit()

    html = app.test_client().get(f"/c/{token}").get_data(as_text=True)
    assert online.tracking_number in html and "已并入该件继续办理" in html
    assert "司马相如" not in html and "13912345678" not in html and "内部说明" not in html


# --- a consultation turned into a complaint ---------------------------------------------------------


def _consultation(staff, outcome="complaint") -> Consultation:
    entry = Consultation(channel="visit", topic="预付卡退费", district="西湖区", township="文新街道",
                         summary="消费者来访反映健身房闭店，预付卡余额 2000 元无法退还。", outcome=outcome,
                         received_at=datetime(2025, 9, 29, 2, 0, tzinfo=timezone.utc),
                         recorded_by_id=staff.id)
    db.session.add(entry)
    db.session.commit()
    return entry


def test_a_consultation_becomes_a_complaint_and_both_link(world):
    consultation = _consultation(world.staff)
    complaint, _token = register(world.staff, typed(channel="visit", shop=world.shop.credit_code),
                                 consultation=consultation)

    assert consultation.complaint_id == complaint.id
    assert intake.complaints_from_consultations([complaint.id]) == {complaint.id: consultation.id}
    assert json.loads(complaint.events[0].data)["consultation"] == consultation.id
    with pytest.raises(DomainError):
        intake.consultation_to_convert(consultation.id, world.staff)
    with pytest.raises(DomainError):
        register(world.staff, typed(shop=world.shop.credit_code), consultation=consultation)
    db.session.rollback()
    with pytest.raises(NotPermitted):
        intake.consultation_to_convert(_consultation(world.staff).id, world.staff_elsewhere)


# --- retention ---------------------------------------------------------------------------------------


def test_the_postal_address_is_purged_with_the_phone(app, world):
    complaint, _token = register(world.staff, typed(channel="letter", consumer_phone="", consumer_address=ADDRESS,
                                                    consent_kind="written", shop=world.shop.credit_code))
    handling.refuse_complaint(complaint, world.staff, complaint.version, "no_evidence", "请补充购物凭证。")
    db.session.commit()
    months = app.config["COMPLAINANT_PHONE_RETENTION_MONTHS"]
    assert purge_expired_contact_details(complaint.closed_at + timedelta(days=months * 31 + 1)) == 1
    db.session.commit()
    assert complaint.consumer_address is None and complaint.consumer_phone is None
    assert db.session.scalar(select(ComplaintEvent.kind).where(ComplaintEvent.complaint_id == complaint.id)
                             .order_by(ComplaintEvent.id.desc())) == "contact_purged"


def test_the_audit_log_of_an_unlisted_business_complaint_belongs_to_its_district(world, make_user):
    from registry.audit.queries import visible_to

    complaint, _token = register(world.staff_elsewhere, typed(business=business(township="")))
    colleague = make_user(role="staff", login="colleague@binjiang.example.cn", district="滨江区")
    about = select(AuditEntry.action).where(AuditEntry.subject_type == "complaint",
                                            AuditEntry.subject_id == complaint.id)
    assert list(db.session.scalars(visible_to(about, colleague))) == ["complaint.registered"]
    assert list(db.session.scalars(visible_to(about, world.staff))) == []


def test_area_wide_staff_name_the_business_district_from_the_list(world):
    with pytest.raises(DomainError) as refused:
        register(world.admin, typed(business=business(district="火星区", township="")))
    assert refused.value.field == "business_district" and "不在名单中" in refused.value.message
    db.session.rollback()
    complaint, _token = register(world.admin, typed(business=business(district="滨江", township="长河")))
    assert (complaint.business.district, complaint.business.township) == ("滨江区", "长河街道")
