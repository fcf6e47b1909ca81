"""The gram rows search reads (MerchantNameGram): each holds the shop's name length and whether the shop
is public, kept in step when the shop is named, signs, or is re-indexed after a rolling release."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from registry.extensions import db
from registry.merchants.models import MerchantNameGram
from registry.merchants.services import ShopDetails, refresh_search_index, update_shop

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def grams(shop) -> dict[str, tuple[int, int, bool]]:
    return {row.gram: (row.rank, row.name_length, row.listed)
            for row in db.session.scalars(select(MerchantNameGram).where(MerchantNameGram.merchant_id == shop.id))}


def test_a_registered_shop_is_indexed_unlisted_until_it_signs(make_shop, make_user, pledge):
    from registry.pledges.signing import sign_pledge

    owner = make_user()
    shop = make_shop(owner=owner, name="美好 超市", signed=False)
    assert grams(shop) == {"美": (1, 4, False), "好": (2, 4, False), "超": (2, 4, False), "市": (2, 4, False),
                           "美好": (1, 4, False), "好超": (2, 4, False), "超市": (2, 4, False)}
    sign_pledge(shop, pledge, owner, shop.owner_name, "店主", "127.0.0.1", {c.number for c in pledge.clauses})
    db.session.commit()
    assert {listed for _rank, _length, listed in grams(shop).values()} == {True}


def test_renaming_a_public_shop_keeps_it_listed_with_the_new_length(make_shop):
    shop = make_shop(name="美好超市")
    fields = {name: getattr(shop, name) for name in ("credit_code", "category", "district", "township", "address",
                                                        "contact_phone", "owner_name")}
    update_shop(shop, shop.owner, ShopDetails(name="美好生活超市", **fields), shop.version)
    db.session.commit()
    assert grams(shop)["美好"] == (1, 6, True) and grams(shop)["超市"] == (2, 6, True)


def test_refresh_search_index_repairs_rows_written_by_older_code(runner, make_shop):
    fine, stale = make_shop(name="老杭州面馆"), make_shop(name="美好生活超市")
    # What a host on the previous release wrote: the new columns at their defaults.
    db.session.execute(update(MerchantNameGram).where(MerchantNameGram.merchant_id == stale.id)
                       .values(name_length=0, listed=False))
    db.session.commit()
    result = runner.invoke(args=["merchants", "refresh-search-index"])
    assert result.exit_code == 0, result.output
    assert "Re-indexed the search grams of 1 shop(s)." in result.output
    db.session.expire_all()
    assert grams(stale)["美好"] == (1, 6, True)
    assert grams(fine)["面馆"] == (2, 5, True)
    assert refresh_search_index() == 0


def test_grams_carry_the_district_and_follow_its_rename(client, make_shop, make_user):
    from registry.areas.models import District
    from registry.areas.services import update_district

    shop = make_shop(name="美好超市", district="西湖区")
    make_shop(name="美好面馆", district="上城区")
    assert set(db.session.scalars(select(MerchantNameGram.district)
                                  .where(MerchantNameGram.merchant_id == shop.id))) == {"西湖区"}
    district = db.session.scalar(select(District).where(District.name == "西湖区"))
    update_district(make_user(role="admin"), district, "西湖新区", district.aliases or "", True)
    db.session.commit()
    assert set(db.session.scalars(select(MerchantNameGram.district)
                                  .where(MerchantNameGram.merchant_id == shop.id))) == {"西湖新区"}
    for query in ("美", "美好", "美好超"):
        page = client.get("/search", query_string={"q": query, "district": "西湖新区"}).get_data(as_text=True)
        assert "美好超市" in page and "美好面馆" not in page, query
