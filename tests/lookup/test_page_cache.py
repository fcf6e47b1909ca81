"""The QR page's exact cache (lookup/page_cache.py, page_versions.py): every change the page shows is
on the next page served, whoever made it; the clock's boundaries end an entry; the check time is live;
a signed-in user's page is never shared."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

import pytest
from sqlalchemy import delete, select

from registry.badges.services import current_badge, reissue_badge
from registry.clock import CHINA, utcnow
from registry.complaints import figures, handling
from registry.complaints.models import ComplaintEvent, ShopComplaintFigures
from registry.complaints.replies import hide_reply
from registry.extensions import db
from registry.merchants import licences
from registry.merchants.models import Merchant
from registry.merchants.services import ShopDetails, set_standing, update_shop
from registry.moderation import repairs, sanctions, statements
from registry.moderation.models import Sanction
from registry.page_versions import FEEDS_EVERY_PAGE, FEEDS_SHOP_PAGE
from registry.pledges.defaults import DEFAULT_CLAUSES, DEFAULT_PREAMBLE
from registry.pledges.signing import sign_pledge
from registry.pledges.versions import current_version, publish_version
from registry.uploads import process_image
from tests.moderation.conftest import evidence_dir, frozen, world  # noqa: F401 — the moderation world
from tests.moderation.helpers import accept, file, jpeg_bytes, reason

pytestmark = pytest.mark.usefixtures("fresh_request_globals")

REPLY = "已核实情况，同意退货退款并赔礼道歉。"
STATEMENT = "本店已下架涉事商品并更换供货商。"


def page(client, shop_or_code, **query):
    code = shop_or_code if isinstance(shop_or_code, str) else shop_or_code.public_code
    response = client.get(f"/m/{code}", query_string=query)
    assert response.status_code == 200
    return response


def words(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def shop_of(w) -> Merchant:
    db.session.expire_all()
    return db.session.get(Merchant, w.shop.id)


def accepted_complaint(w):
    return accept(file(shop_of(w)), w.staff)


def reply_to(complaint, w) -> ComplaintEvent:
    event = handling.merchant_reply(complaint, w.owner, REPLY, None, None)
    db.session.commit()
    return event


def warning(w) -> Sanction:
    sanction = sanctions.issue_warning(shop_of(w), w.staff, reason())
    db.session.commit()
    return sanction


def details_of(shop: Merchant, **changes) -> ShopDetails:
    values = {name: getattr(shop, name) for name in ShopDetails.__dataclass_fields__}
    return ShopDetails(**{**values, **changes})


@dataclass
class Change:
    """Something the QR page shows, changed through its service: `before` sets the scene (and the page
    is then cached), `change` makes the change; the next page shows `shows` and no longer `hides`."""

    change: Callable
    shows: str | None = None
    hides: str | None = None
    before: Callable | None = None


def _sign_new_version(w, state):
    shop = shop_of(w)
    version = current_version()
    sign_pledge(shop, version, w.owner, "王美好", "店主", "127.0.0.1", {c.number for c in version.clauses})


def _publish_second_version(w, state):
    publish_version("诚信经营倡议书（修订版）", DEFAULT_PREAMBLE, DEFAULT_CLAUSES)


def _reissue(w, state):
    state["serial"] = reissue_badge(shop_of(w), w.owner).serial


def _suspend(w, state):
    sanctions.suspend(shop_of(w), w.staff, reason(text="经查实以次充好。"), until=None, until_rectified=True)


def _revoke(w, state):
    proposal = sanctions.propose_revocation(shop_of(w), w.staff, reason(text="多次销售假冒商品。"))
    db.session.commit()
    sanctions.approve_proposal(proposal, w.staff2)


def _repair_prepared(w, state):
    state["sanction"] = warning(w)
    w_frozen = state["clock"]
    w_frozen.advance(days=6 * 31 + 1)
    state["repair"] = repairs.apply_for_repair(db.session.get(Sanction, state["sanction"].id), w.owner,
                                               "已下架全部涉事商品，更换了供货商，并组织店员学习诚信经营倡议书。",
                                               [process_image(io.BytesIO(jpeg_bytes()), "整改.jpg")])
    db.session.commit()


def _grant_repair(w, state):
    repairs.grant_repair(state["repair"], w.staff, "整改到位，准予修复。", "")


def _set_standing(w, state):
    set_standing(shop_of(w), "suspended", "停业整顿期间暂停。", w.staff, "sanction", "test", utcnow())


def _complaint_with_reply(w, state):
    state["complaint"] = accepted_complaint(w)
    state["reply"] = reply_to(state["complaint"], w)


def _hide_reply(w, state):
    hide_reply(db.session.get(ComplaintEvent, state["reply"].id), w.staff, "回复内容与投诉无关。")


def _reply(w, state):
    handling.merchant_reply(state["complaint"], w.owner, REPLY, None, None)


def _statement_written(w, state):
    state["statement"] = statements.write_statement(warning(w), w.owner, STATEMENT)
    db.session.commit()


def _hide_statement(w, state):
    statements.hide_statement(state["statement"], w.staff, "说明与处理无关。")


def _figures_dropped(w, state):
    accepted_complaint(w)
    db.session.execute(delete(ShopComplaintFigures).where(ShopComplaintFigures.merchant_id == w.shop.id))
    db.session.commit()


def _verify_licence(w, state):
    licences.verify_licence(shop_of(w), w.staff, method="on_site", checked_on=utcnow().astimezone(CHINA).date(),
                            name_matches=True, code_matches=True, photos=[])


def _edit_details(w, state):
    shop = shop_of(w)
    update_shop(shop, w.owner, details_of(shop, address="文三路 77 号"), shop.version)


def _rename_district(w, state):
    from registry.areas.models import District
    from registry.areas.services import update_district

    district = db.session.scalar(select(District).where(District.name == "西湖区"))
    update_district(w.admin, district, "西子湖区", district.aliases or "", True)


CHANGES = {
    "signature of a new pledge version": Change(_sign_new_version, shows="修订版", before=_publish_second_version),
    "badge reissued": Change(_reissue, shows="{serial}"),
    "warning imposed": Change(lambda w, s: sanctions.issue_warning(shop_of(w), w.staff, reason()),
                              shows="经查实销售假冒品牌羊毛衫。"),
    "suspension imposed": Change(_suspend, shows="暂停，整改后恢复"),
    "revocation approved": Change(_revoke, shows="这家店铺的诚信承诺已被撤销。", before=None),
    "sanction repaired": Change(_grant_repair, shows="经信用修复", before=_repair_prepared),
    "standing changed": Change(_set_standing, shows="停业整顿期间暂停。"),
    "complaint accepted (published)": Change(lambda w, s: accepted_complaint(w),
                                             shows="消费者反映商品与宣传不符，商家拒绝退换。"),
    "shop's reply": Change(_reply, shows=REPLY, before=lambda w, s: s.update(complaint=accepted_complaint(w))),
    "shop's reply hidden": Change(_hide_reply, hides=REPLY, before=_complaint_with_reply),
    "shop's statement": Change(lambda w, s: statements.write_statement(s["sanction"], w.owner, STATEMENT),
                               shows=STATEMENT, before=lambda w, s: s.update(sanction=warning(w))),
    "shop's statement hidden": Change(_hide_statement, shows="说明与处理无关。", hides=STATEMENT,
                                      before=_statement_written),
    "stored figures (bulk upsert)": Change(lambda w, s: figures.refresh([w.shop.id]),
                                           hides="近 12 个月没有被受理的投诉", before=_figures_dropped),
    "stored figures (bulk delete)": Change(
        lambda w, s: db.session.execute(delete(ShopComplaintFigures)
                                        .where(ShopComplaintFigures.merchant_id == w.shop.id)),
        shows="近 12 个月没有被受理的投诉", before=lambda w, s: accepted_complaint(w)),
    "licence checked": Change(_verify_licence, shows="营业执照已于"),
    "shop details edited": Change(_edit_details, shows="文三路 77 号"),
    "district renamed (bulk update)": Change(_rename_district, shows="西子湖区"),
}


@pytest.mark.parametrize("name", CHANGES)
def test_each_change_is_on_the_next_page(client, world, frozen, name):
    change = CHANGES[name]
    state = {"clock": frozen}
    if change.before is not None:
        change.before(world, state)
        db.session.commit()
    code = world.shop.public_code
    first = page(client, code)
    assert page(client, code).headers["X-Page-Cache"] == "local", "the page is cached before the change"
    if change.hides:
        assert change.hides in words(first)

    change.change(world, state)
    db.session.commit()

    after = page(client, code)
    assert after.headers["X-Page-Cache"] == "miss"
    if change.shows:
        assert change.shows.format(**state) in words(after)
    if change.hides:
        assert change.hides not in words(after)
    assert page(client, code).headers["X-Page-Cache"] == "local"


def test_a_new_pledge_version_reaches_every_page_with_its_deadline(client, world, frozen):
    """Publishing a version changes no shop's rows, but every page's standing depends on its re-sign
    deadline: a page cached before it must not outlive the deadline."""
    frozen.set(datetime(2026, 3, 2, 23, 58, tzinfo=CHINA).astimezone(timezone.utc))
    code = world.shop.public_code
    page(client, code)
    assert page(client, code).headers["X-Page-Cache"] == "local"
    publish_version("诚信经营倡议书（第二版）", DEFAULT_PREAMBLE, DEFAULT_CLAUSES, resign_window_days=0)
    db.session.commit()  # the deadline: today 23:59:59 Beijing time
    assert page(client, code).headers["X-Page-Cache"] == "miss"
    frozen.set(datetime(2026, 3, 2, 23, 59, 59, 500000, tzinfo=CHINA).astimezone(timezone.utc))
    assert "这家店铺的承诺已过期，或未按时重新签署新版倡议书。" in words(page(client, code))


def test_a_page_is_not_served_past_the_end_of_a_suspension(client, world, frozen):
    today = frozen.now.astimezone(CHINA).date()
    sanctions.suspend(shop_of(world), world.staff, reason(text="经查实以次充好。"), until=today + timedelta(days=2),
                      until_rectified=False)
    db.session.commit()
    code = world.shop.public_code
    assert "暂停至" in words(page(client, code))
    frozen.set(datetime.combine(today + timedelta(days=2), datetime.max.time(), CHINA).astimezone(timezone.utc)
               - timedelta(seconds=1))  # the last second of the last day
    still = page(client, code)
    assert "暂停至" in words(still)
    assert page(client, code).headers["X-Page-Cache"] == "local"
    frozen.advance(seconds=1, microseconds=1)  # the suspension's end: no entry outlives it
    after = page(client, code)
    assert after.headers["X-Page-Cache"] == "miss"
    assert "这家店铺已签署现行诚信经营倡议书" in words(after)


def test_the_next_beijing_midnight_ends_every_entry(client, world, frozen):
    code = world.shop.public_code
    page(client, code)
    frozen.set(datetime(2026, 3, 2, 23, 59, 59, tzinfo=CHINA).astimezone(timezone.utc))
    assert page(client, code).headers["X-Page-Cache"] == "local"
    frozen.advance(seconds=1)
    assert page(client, code).headers["X-Page-Cache"] == "miss"


def test_the_check_time_is_the_time_of_each_request(client, world, frozen):
    code = world.shop.public_code
    page(client, code)
    frozen.advance(minutes=7, seconds=3)
    cached = page(client, code)
    assert cached.headers["X-Page-Cache"] == "local"
    shown = frozen.now.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
    assert f'<span class="nowrap">{shown}</span>' in words(cached)
    assert "checked-at-->" not in words(cached)


def test_languages_scanned_serials_and_other_query_strings_are_pages_of_their_own(client, world, frozen):
    code = world.shop.public_code
    old_serial = current_badge(shop_of(world)).serial
    chinese = page(client, code)
    client.set_cookie("lang", "en")
    english = page(client, code)
    assert english.headers["X-Page-Cache"] == "miss" and "Address" in words(english)
    assert page(client, code).headers["X-Page-Cache"] == "local"
    client.delete_cookie("lang")
    assert page(client, code).get_data() .startswith(chinese.get_data()[:200])

    reissue_badge(shop_of(world), world.owner)
    db.session.commit()
    void = page(client, code, s=old_serial)
    assert void.headers["X-Page-Cache"] == "miss" and "此二维码已作废" in words(void)
    assert "此二维码已作废" not in words(page(client, code))
    tagged = page(client, code, s=old_serial, utm_source="poster")
    assert tagged.headers["X-Page-Cache"] == "miss" and "utm_source%3Dposter" in words(tagged)


def test_a_signed_in_users_page_is_never_shared(client, world, login_as):
    code = world.shop.public_code
    page(client, code)
    assert page(client, code).headers["X-Page-Cache"] == "local"
    login_as(client, world.owner)
    mine = page(client, code)
    assert mine.headers["X-Page-Cache"] == "off"
    assert "退出" in words(mine)  # the sign-out button of a signed-in page
    assert page(client, code).headers["X-Page-Cache"] == "off"
    client.post("/logout")
    anonymous = client.__class__(client.application, client.response_wrapper, use_cookies=False)
    shared = page(anonymous, code)
    assert shared.headers["X-Page-Cache"] == "local" and "退出" not in words(shared)


def test_every_table_the_page_reads_is_watched(client, world, frozen):
    """A new table or column on the QR page must be listed in page_versions (or its changes would not
    reach the cache): the tables of every statement a page rendered issues are all watched."""
    from sqlalchemy import event

    warning(world)
    reply_to(accepted_complaint(world), world)
    statements.write_statement(db.session.scalar(select(Sanction)), world.owner, STATEMENT)
    db.session.commit()
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert page(client, world.shop.public_code).headers["X-Page-Cache"] == "miss"
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    tables = {name for statement in seen for name in re.findall(r"(?:FROM|JOIN)\s+\"?(\w+)", statement)}
    assert tables, seen
    assert tables <= set(FEEDS_SHOP_PAGE) | FEEDS_EVERY_PAGE | {"page_generation"}, tables
