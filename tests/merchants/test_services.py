"""Registering and editing shops: normalisation, uniqueness, ownership, optimistic locking, search index."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import func, select

from conftest import shop_details, valid_credit_code
from registry.audit.models import AuditEntry
from registry.errors import Conflict, DomainError, NotPermitted
from registry.extensions import db
from registry.lookup.queries import search_merchants
from registry.merchants.models import Merchant, MerchantNameGram
from registry.merchants.services import ShopDetails, register_shop, update_shop

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def full_width(text: str) -> str:
    """What a Chinese IME types: every printable ASCII character as its full-width form."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def merchant_count() -> int:
    return db.session.scalar(select(func.count(Merchant.id)))


def details_of(shop: Merchant, **changes) -> ShopDetails:
    """The shop's current details as an owner would submit them, with `changes` applied."""
    values = {field.name: getattr(shop, field.name) for field in dataclasses.fields(ShopDetails)}
    values.update(changes)
    return ShopDetails(**values)


def reload(shop: Merchant) -> Merchant:
    """The row as the database holds it now (nothing from the session's memory)."""
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Merchant, shop.id)


def audit_actions(subject_id: int) -> list[str]:
    return list(db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_type == "merchant", AuditEntry.subject_id == subject_id)
        .order_by(AuditEntry.id)
    ))


def found_names(query: str) -> list[str]:
    return [m.name for m in search_merchants(query, None, 1, 50).items]


def test_register_shop_normalises_a_full_width_lower_case_credit_code(app, make_user):
    code = valid_credit_code()
    typed = full_width(code.lower()[:9]) + " " + code.lower()[9:]

    shop = register_shop(make_user(), shop_details(credit_code=typed, contact_phone="+86 139-1234-5678"))
    db.session.commit()

    stored = reload(shop)
    assert stored.credit_code == code
    assert stored.contact_phone == "13912345678"
    assert stored.standing == "pending"
    assert len(stored.public_code) == 16


@pytest.mark.parametrize("spelling", [str.lower, full_width, lambda code: full_width(code.lower())])
def test_register_shop_refuses_a_credit_code_already_registered_in_another_spelling(app, make_user, spelling):
    code = valid_credit_code()
    register_shop(make_user(), shop_details(credit_code=code))
    db.session.commit()

    with pytest.raises(Conflict) as refused:
        register_shop(make_user(), shop_details(credit_code=spelling(code), name="另一家店"))

    assert refused.value.field == "credit_code"
    assert "已登记过店铺" in refused.value.message
    db.session.rollback()
    assert merchant_count() == 1


def test_register_shop_names_the_phone_field_when_the_phone_is_wrong(app, make_user):
    with pytest.raises(DomainError) as refused:
        register_shop(make_user(), shop_details(contact_phone="12345"))

    assert refused.value.field == "contact_phone"
    assert merchant_count() == 0


def test_register_shop_names_the_credit_code_field_when_the_checksum_is_wrong(app, make_user):
    code = valid_credit_code()
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")

    with pytest.raises(DomainError) as refused:
        register_shop(make_user(), shop_details(credit_code=wrong))

    assert refused.value.field == "credit_code"
    assert merchant_count() == 0


def test_register_shop_refuses_blank_required_fields(app, make_user):
    owner = make_user()
    for field in ("name", "address", "owner_name", "district", "township"):
        with pytest.raises(DomainError) as refused:
            register_shop(owner, shop_details(**{field: " \u3000 "}))
        assert refused.value.field == field

    assert merchant_count() == 0


def test_register_shop_refuses_an_unknown_category(app, make_user):
    with pytest.raises(DomainError) as refused:
        register_shop(make_user(), shop_details(category="casino"))

    assert refused.value.field == "category"


def test_update_shop_by_someone_else_is_not_permitted_and_changes_nothing(app, make_user, make_shop):
    shop = make_shop(signed=False)
    intruder = make_user()
    version = shop.version

    with pytest.raises(NotPermitted):
        update_shop(shop, intruder, details_of(shop, name="被篡改的店"), version)

    stored = reload(shop)
    assert stored.name == "美好生活超市"
    assert stored.version == version
    assert audit_actions(shop.id) == ["merchant.registered"]


def test_update_shop_from_a_stale_form_is_a_conflict_and_changes_nothing(app, make_shop):
    shop = make_shop(signed=False)
    form_version = shop.version
    update_shop(shop, shop.owner, details_of(shop, address="转塘直街 90 号"), expected_version=form_version)
    db.session.commit()
    assert shop.version == form_version + 1

    with pytest.raises(Conflict):
        update_shop(shop, shop.owner, details_of(shop, name="旧表单里的店名"), expected_version=form_version)

    stored = reload(shop)
    assert (stored.name, stored.address, stored.version) == ("美好生活超市", "转塘直街 90 号", form_version + 1)


def test_update_shop_refuses_a_credit_code_of_another_shop(app, make_shop):
    first = make_shop(signed=False)
    second = make_shop(signed=False, name="第二家店")

    with pytest.raises(Conflict) as refused:
        update_shop(second, second.owner, details_of(second, credit_code=first.credit_code.lower()), second.version)

    assert refused.value.field == "credit_code"
    assert reload(second).credit_code != first.credit_code


def test_renaming_a_shop_re_indexes_its_name_for_search(app, make_shop):
    shop = make_shop(name="美好生活超市")
    assert found_names("超市") == ["美好生活超市"]

    update_shop(shop, shop.owner, details_of(shop, name="好邻居便利店"), shop.version)
    db.session.commit()

    assert found_names("便利") == ["好邻居便利店"]
    assert found_names("超市") == []
    assert found_names("生活") == []
    grams = set(db.session.scalars(select(MerchantNameGram.gram).where(MerchantNameGram.merchant_id == shop.id)))
    assert "便利" in grams and "超市" not in grams
    assert reload(shop).search_name == "好邻居便利店"


def test_register_and_update_write_audit_entries(app, make_shop):
    shop = make_shop(signed=False)
    registered = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "merchant.registered"))
    assert registered.subject_id == shop.id and registered.actor_id == shop.owner_id
    assert json.loads(registered.data)["credit_code"] == shop.credit_code

    update_shop(shop, shop.owner, details_of(shop, address="转塘直街 90 号"), shop.version)
    db.session.commit()

    updated = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "merchant.updated"))
    assert updated.subject_id == shop.id and updated.actor_id == shop.owner_id
    assert json.loads(updated.data)["changes"] == {"address": ["转塘直街 88 号", "转塘直街 90 号"]}
    assert audit_actions(shop.id) == ["merchant.registered", "merchant.updated"]


def test_an_update_that_changes_nothing_writes_nothing(app, make_shop):
    shop = make_shop(signed=False)
    version = shop.version

    update_shop(shop, shop.owner, details_of(shop), version)
    db.session.commit()

    assert reload(shop).version == version
    assert audit_actions(shop.id) == ["merchant.registered"]


def test_set_standing_records_a_change_as_data_and_in_the_audit_chain(app, make_shop, make_user):
    from registry.clock import utcnow
    from registry.merchants.models import StandingChange
    from registry.merchants.services import set_standing

    shop, staff = make_shop(), make_user(role="staff")
    now = utcnow()
    set_standing(shop, "warned", "价签不符。", staff, "sanction", "warning issued", now)
    set_standing(shop, "warned", "又一次警示。", staff, "sanction", "warning issued", now)  # no change: reason only
    db.session.commit()

    shop = reload(shop)
    assert (shop.standing, shop.standing_reason, shop.standing_changed_at) == ("warned", "又一次警示。", now)
    changes = db.session.scalars(select(StandingChange).where(StandingChange.merchant_id == shop.id)
                                 .order_by(StandingChange.id)).all()
    assert [(c.old, c.new, c.cause, c.reason, c.actor_id, c.at) for c in changes][-1] == \
        ("active", "warned", "sanction", "价签不符。", staff.id, now)
    assert len([c for c in changes if c.new == "warned"]) == 1
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "merchant.standing_changed",
                                                        AuditEntry.subject_id == shop.id)
                               .order_by(AuditEntry.id.desc())).first()
    assert json.loads(entry.data) == {"old": "active", "new": "warned", "reason": "warning issued"}
