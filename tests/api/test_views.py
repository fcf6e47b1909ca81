"""The public JSON API /api/v1: every endpoint answered as documented, strict parameters (400 naming the
parameter), 404 for unknown shops, ETag/304, CORS, no cookies, and no personal data anywhere in it.

The registry is seeded with shops in every public standing, a complaint carrying a consumer's name, phone
and own words, and shop owners with names and phones: none of those may appear in any answer.
The OpenAPI document is validated and every endpoint is fuzzed against it (tests/api/test_openapi.py).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pytest
from openapi_spec_validator import validate
from sqlalchemy import update

from registry.complaints import filing, handling
from registry.extensions import db
from registry.moderation import sanctions
from registry.pledges.models import Signature
from registry.clock import today_in_china
from tests.complaints.helpers import CLAUSE_OF

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

# Distinctive on purpose: a leak is found by looking for them.
CONSUMER_NAME = "上官婉清"
CONSUMER_PHONE = "13712340987"
DESCRIPTION = "收银员把标价 8.80 元的酱油按 18.80 元结算，我当场指出后仍不退差价。"
OWNER_NAME = "司马光明"
OWNER_PHONE = "13598761234"
SUMMARY = "消费者反映酱油结账价格高于标价，商家未退差价。"
REPLY = "已核实，向消费者退还差价并道歉。"
WARNING_REASON = "销售过期食品，经查属实。"
SUSPENSION_REASON = "以次充好，拒不整改。"
PERSONAL = (CONSUMER_NAME, CONSUMER_PHONE, "1371234", "0987", DESCRIPTION, OWNER_NAME, OWNER_PHONE, "1359876")


# Fixed public codes (from the real alphabet), so the schema fuzzing can offer them as examples.
SEEDED_CODES = {"active": "apiactive2345678", "warned": "apiwarned2345678", "suspended": "apisuspended2345",
                "lapsed": "apilapsed2345678"}


@dataclass
class Registry:
    active: object
    warned: object
    suspended: object
    lapsed: object
    pending: object
    staff: object
    complaint: object


def seed_registry(make_shop, make_user) -> Registry:
    """Shops in every public standing (and a pending one), a published complaint with a reply."""
    owner = make_user(name=OWNER_NAME, login=OWNER_PHONE)
    staff = make_user(role="staff", name="张科长", login="staff@xihu.example.cn")
    details = dict(owner_name=OWNER_NAME, contact_phone=OWNER_PHONE, district="西湖区", township="转塘街道")
    active = make_shop(owner=owner, name="美好生活超市", category="supermarket", **details)
    warned = make_shop(owner=owner, name="老杭州面馆", category="catering", **details)
    suspended = make_shop(owner=owner, name="好邻居便利店", category="supermarket",
                          **{**details, "district": "滨江区", "township": "长河街道"})
    lapsed = make_shop(owner=owner, name="西溪酒行", category="liquor", **details)
    pending = make_shop(owner=owner, signed=False, name="未签署超市", **details)

    for standing, shop in (("active", active), ("warned", warned), ("suspended", suspended), ("lapsed", lapsed)):
        shop.public_code = SEEDED_CODES[standing]
    db.session.commit()
    sanctions.issue_warning(warned, staff, sanctions.SanctionInput("inferior", WARNING_REASON))
    sanctions.suspend(suspended, staff, sanctions.SanctionInput("inferior", SUSPENSION_REASON),
                       today_in_china() + timedelta(days=30), False)
    db.session.commit()
    # A signature that ran out a month ago: the shop shows as lapsed at once.
    signature = db.session.scalars(db.select(Signature).where(Signature.merchant_id == lapsed.id)).one()
    db.session.execute(update(Signature).where(Signature.id == signature.id).values(
        signed_at=signature.signed_at - timedelta(days=400), expires_at=signature.signed_at - timedelta(days=35)))
    db.session.commit()

    data = filing.ComplaintInput(
        clause=CLAUSE_OF["price_fraud"], description=DESCRIPTION, purchase_date=today_in_china() - timedelta(days=2),
        amount_cents=1880, demands=["refund"], consumer_name=CONSUMER_NAME, consumer_phone=CONSUMER_PHONE,
        privacy_consent=True, share_phone_consent=True)
    complaint, _token = filing.file_complaint(active, data, [], CONSUMER_PHONE, secrets.token_urlsafe(24))
    db.session.commit()
    handling.accept_complaint(complaint, staff, complaint.version, SUMMARY)
    db.session.commit()
    handling.merchant_reply(complaint, owner, REPLY, "退还差价 10 元", 1000)
    db.session.commit()
    return Registry(active, warned, suspended, lapsed, pending, staff, complaint)


@pytest.fixture
def registry(app, make_shop, make_user, tmp_path):
    app.config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    return seed_registry(make_shop, make_user)


def get_json(client, url, status=200, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def assert_no_personal_data(text: str) -> None:
    for value in PERSONAL:
        assert value not in text, f"{value!r} leaked"


# --- The document ----------------------------------------------------------------------------------

def test_the_openapi_document_is_valid_openapi_3_1(client):
    document = get_json(client, "/api/v1/openapi.json")

    validate(document)
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {"/shops", "/shops/{code}", "/shops/{code}/complaints", "/statistics"}
    assert {"Shop", "ShopDetail", "Complaint", "Statistics", "Error", "Page"} <= set(document["components"]["schemas"])


def test_the_openapi_document_is_in_english_on_request(client):
    chinese = get_json(client, "/api/v1/openapi.json")
    english = get_json(client, "/api/v1/openapi.json?lang=en")

    assert chinese["info"]["title"] == "诚信码公开数据接口"
    assert english["info"]["title"] != chinese["info"]["title"]
    assert re.fullmatch(r"[ -~]+", english["info"]["title"])


def test_the_api_page_links_the_document_and_shows_examples(client):
    response = client.get("/api")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'href="/api/v1/openapi.json"' in html
    assert html.count("<pre") == 3  # each example runs as printed: tests/api/test_examples.py


# --- Search ----------------------------------------------------------------------------------------

def codes(body) -> list[str]:
    return [item["code"] for item in body["items"]]


def test_search_lists_public_shops_with_their_standing_now(client, registry):
    body = get_json(client, "/api/v1/shops")

    by_code = {item["code"]: item for item in body["items"]}
    assert registry.pending.public_code not in by_code
    assert {by_code[r.public_code]["standing"] for r in (registry.active, registry.warned, registry.suspended,
                                                          registry.lapsed)} == {"active", "warned", "suspended",
                                                                                "lapsed"}
    assert by_code[registry.lapsed.public_code]["standing"] == "lapsed"
    active = by_code[registry.active.public_code]
    assert active["name"] == "美好生活超市"
    assert active["credit_code"] == registry.active.credit_code
    assert active["category_label"] == "超市/零售"
    assert active["standing_label"] == "有效承诺"
    assert active["page_url"] == f"https://cxm.example.cn/m/{registry.active.public_code}"
    assert active["api_url"] == f"/api/v1/shops/{registry.active.public_code}"
    assert body["total"] == 4 and body["total_capped"] is False and body["pages"] == 1


def test_search_by_name_credit_code_district_category_and_standing(client, registry):
    assert codes(get_json(client, "/api/v1/shops", query_string={"q": "面馆"})) == [registry.warned.public_code]
    assert codes(get_json(client, "/api/v1/shops", query_string={"q": registry.suspended.credit_code.lower()})) \
        == [registry.suspended.public_code]
    assert codes(get_json(client, "/api/v1/shops", query_string={"district": "滨江区"})) \
        == [registry.suspended.public_code]
    assert set(codes(get_json(client, "/api/v1/shops", query_string={"category": "supermarket"}))) \
        == {registry.active.public_code, registry.suspended.public_code}
    assert codes(get_json(client, "/api/v1/shops", query_string={"standing": "warned"})) \
        == [registry.warned.public_code]
    assert codes(get_json(client, "/api/v1/shops", query_string={"q": "超市", "category": "supermarket",
                                                                  "district": "西湖区"})) \
        == [registry.active.public_code]
    assert codes(get_json(client, "/api/v1/shops", query_string={"q": "没有这家店"})) == []


def test_search_pages_and_links(client, registry):
    whole = get_json(client, "/api/v1/shops", query_string={"per_page": 3, "district": "西湖区"})
    assert (whole["page"], whole["per_page"], whole["total"], whole["pages"]) == (1, 3, 3, 1)
    assert whole["links"]["next"] is None and whole["links"]["prev"] is None

    first = get_json(client, "/api/v1/shops", query_string={"per_page": 2})
    second = get_json(client, first["links"]["next"])
    assert len(first["items"]) == 2 and len(second["items"]) == 2
    assert set(codes(first)).isdisjoint(codes(second))
    assert "per_page=2" in first["links"]["next"] and "page=2" in first["links"]["next"]
    assert second["links"]["prev"] is not None and second["links"]["next"] is None
    assert get_json(client, "/api/v1/shops", query_string={"page": 50})["items"] == []


# --- One shop --------------------------------------------------------------------------------------

def test_shop_detail_shows_the_qr_page(client, registry):
    shop = registry.active
    body = get_json(client, f"/api/v1/shops/{shop.public_code}")

    assert body["standing"] == "active" and body["standing_reason"] is None
    assert body["standing_explanation"].startswith("这家店铺已签署")
    assert body["pledge"]["version"] == 1 and len(body["pledge"]["clauses"]) >= 5
    assert body["pledge"]["certificate_url"].startswith("/certificate/")
    assert body["badge"]["serial"]
    assert body["sanctions"] == []
    # The one case is still open: nothing concluded, so no share resolved (not "0 %").
    assert body["figures"] == {"period_days": 365, "accepted": 1, "resolved": 0, "concluded": 0,
                               "resolved_percent": None,
                               "median_reply_days": body["figures"]["median_reply_days"],
                               "by_clause": {"price_fraud": 1}}
    assert body["complaints_url"] == f"/api/v1/shops/{shop.public_code}/complaints"


def test_shop_detail_gives_the_reason_and_dates_of_a_sanction(client, registry):
    warned = get_json(client, f"/api/v1/shops/{registry.warned.public_code}")
    suspended = get_json(client, f"/api/v1/shops/{registry.suspended.public_code}")

    today = today_in_china().isoformat()
    assert (warned["standing"], warned["standing_reason"], warned["standing_since"]) == ("warned", WARNING_REASON,
                                                                                         today)
    assert warned["sanctions"][0]["kind"] == "warning" and warned["sanctions"][0]["in_force"] is True
    assert warned["sanctions"][0]["clause"] == "inferior"
    assert suspended["standing"] == "suspended"
    assert suspended["standing_reason"] == SUSPENSION_REASON
    assert suspended["standing_until"] == (today_in_china() + timedelta(days=30)).isoformat()
    assert suspended["standing_until_rectified"] is False
    assert suspended["sanctions"][0]["until"] == suspended["standing_until"]


def test_a_lapsed_shop_says_why(client, registry):
    body = get_json(client, f"/api/v1/shops/{registry.lapsed.public_code}")

    assert body["standing"] == "lapsed"
    assert "到期" in body["standing_reason"]
    assert body["standing_since"] is not None


@pytest.mark.parametrize("suffix", ["", "/complaints"])
def test_unknown_and_pending_shops_are_404_json(client, registry, suffix):
    for code in ("nosuchshop", registry.pending.public_code, "x" * 40):
        body = get_json(client, f"/api/v1/shops/{code}{suffix}", status=404)
        assert body["error"]["code"] == "not_found"
        assert body["error"]["message"]


def test_published_complaints_show_summary_and_reply_only(client, registry):
    body = get_json(client, f"/api/v1/shops/{registry.active.public_code}/complaints")

    assert body["shop"] == registry.active.public_code and body["limit"] == 20
    [item] = body["items"]
    assert item["summary"] == SUMMARY
    assert item["clause"] == "price_fraud" and item["clause_label"] == "价格欺诈"
    assert item["status"] == "replied"
    assert [r["text"] for r in item["replies"]] == [REPLY]
    assert get_json(client, f"/api/v1/shops/{registry.warned.public_code}/complaints")["items"] == []


def test_an_unpublished_complaint_is_not_listed(client, registry, make_user):
    data = filing.ComplaintInput(
        clause=CLAUSE_OF["counterfeit"], description="还没受理的投诉：买到的白酒疑似假货。", purchase_date=today_in_china(),
        amount_cents=100, demands=["refund"], consumer_name="王五", consumer_phone="13600001111",
        privacy_consent=True, share_phone_consent=False)
    filing.file_complaint(registry.warned, data, [], "13600001111", secrets.token_urlsafe(24))
    db.session.commit()

    assert get_json(client, f"/api/v1/shops/{registry.warned.public_code}/complaints")["items"] == []


# --- Statistics ------------------------------------------------------------------------------------

def test_statistics_of_this_year_a_given_year_and_a_period(client, registry):
    this_year = get_json(client, "/api/v1/statistics")
    year = get_json(client, "/api/v1/statistics", query_string={"year": 2025})
    start = today_in_china().replace(day=1)
    period = get_json(client, "/api/v1/statistics",
                      query_string={"start": start.isoformat(), "end": (start + timedelta(days=40)).isoformat(),
                                    "district": "西湖区"})

    assert this_year["period_start"] == f"{today_in_china().year}-01-01"
    assert this_year["complaints_received"] == 1 and this_year["complaints_accepted"] == 1
    assert (year["period_start"], year["period_end"], year["complaints_received"]) == ("2025-01-01", "2026-01-01", 0)
    assert period["district"] == "西湖区" and period["complaints_received"] == 1
    assert period["period_start"] == start.isoformat()
    assert get_json(client, "/api/v1/statistics", query_string={"district": "滨江区"})["complaints_received"] == 0


def test_statistics_are_cached_longer(client):
    response = client.get("/api/v1/statistics")

    assert response.headers["Cache-Control"] == "public, max-age=300"


# --- Bad parameters --------------------------------------------------------------------------------

BAD_PARAMETERS = [
    ("/api/v1/shops?per_page=0", "per_page"),
    ("/api/v1/shops?per_page=51", "per_page"),
    ("/api/v1/shops?per_page=ten", "per_page"),
    ("/api/v1/shops?page=0", "page"),
    ("/api/v1/shops?page=-1", "page"),
    ("/api/v1/shops?page=1.5", "page"),
    ("/api/v1/shops?page=%EF%BC%91", "page"),  # a full-width digit
    ("/api/v1/shops?page=1&page=2", "page"),
    ("/api/v1/shops?category=bakery", "category"),
    ("/api/v1/shops?category=", "category"),
    ("/api/v1/shops?standing=pending", "standing"),
    ("/api/v1/shops?q=" + "超" * 51, "q"),
    ("/api/v1/shops?q=%00", "q"),
    ("/api/v1/shops?district=" + "区" * 65, "district"),
    ("/api/v1/shops?lang=fr", "lang"),
    ("/api/v1/shops/abc?lang=de", "lang"),
    ("/api/v1/statistics?year=1999", "year"),
    ("/api/v1/statistics?year=twenty", "year"),
    ("/api/v1/statistics?year=2026&start=2026-01-01&end=2026-02-01", "year"),
    ("/api/v1/statistics?start=2026-01-01", "end"),
    ("/api/v1/statistics?end=2026-01-01", "start"),
    ("/api/v1/statistics?start=2026-02-30&end=2026-03-01", "start"),
    ("/api/v1/statistics?start=20260101&end=2026-03-01", "start"),
    ("/api/v1/statistics?start=2026-03-01&end=2026-03-01", "end"),
    ("/api/v1/statistics?start=2010-01-01&end=2026-01-01", "end"),
    ("/api/v1/statistics?start=0001-01-01&end=2026-01-01", "start"),
]


@pytest.mark.parametrize(("url", "parameter"), BAD_PARAMETERS)
def test_a_bad_parameter_is_a_400_that_names_it(client, url, parameter):
    body = get_json(client, url, status=400)

    assert body["error"]["code"] == "invalid_parameter"
    assert body["error"]["parameter"] == parameter
    assert body["error"]["message"]
    assert re.search(r"[\u4e00-\u9fff]", body["error"]["message"])  # Chinese by default


def test_a_control_character_in_a_parameter_without_a_name_is_named_unnamed(client):
    body = get_json(client, "/api/v1/shops?=%1F", status=400)

    assert body["error"]["code"] == "invalid_parameter"
    assert body["error"]["parameter"] == "(unnamed)"
    assert "(unnamed)" in body["error"]["message"]


def test_the_error_message_follows_lang_or_accept_language(client):
    by_parameter = get_json(client, "/api/v1/shops?per_page=0&lang=en", status=400)["error"]["message"]
    by_header = get_json(client, "/api/v1/shops?per_page=0", status=400,
                         headers={"Accept-Language": "en-GB,en;q=0.9"})["error"]["message"]

    assert by_parameter == by_header
    assert "per_page" in by_parameter and not re.search(r"[\u4e00-\u9fff]", by_parameter)


def test_unknown_parameters_are_ignored(client, registry):
    assert get_json(client, "/api/v1/shops?utm_source=weibo")["total"] == 4


def test_labels_follow_the_language(client, registry):
    body = get_json(client, f"/api/v1/shops/{registry.active.public_code}?lang=en")

    assert body["category"] == "supermarket" and not re.search(r"[\u4e00-\u9fff]", body["category_label"])
    assert not re.search(r"[\u4e00-\u9fff]", body["standing_label"])


# --- HTTP behaviour --------------------------------------------------------------------------------

ENDPOINTS = ["/api/v1/shops", "/api/v1/shops/{code}", "/api/v1/shops/{code}/complaints", "/api/v1/statistics",
             "/api/v1/openapi.json"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_etag_and_304(client, registry, endpoint):
    url = endpoint.format(code=registry.active.public_code)
    first = client.get(url)
    etag = first.headers["ETag"]

    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    same = client.get(url, headers={"If-None-Match": etag})
    weak = client.get(url, headers={"If-None-Match": f'"other", W/{etag}'})
    star = client.get(url, headers={"If-None-Match": "*"})
    other = client.get(url, headers={"If-None-Match": '"0123456789abcdef0123456789abcdef"'})
    for not_modified in (same, weak, star):
        assert not_modified.status_code == 304
        assert not_modified.data == b""
        assert not_modified.headers["ETag"] == etag
    assert other.status_code == 200 and other.data == first.data
    assert client.get(url).headers["ETag"] == etag  # the same data gives the same tag


def test_the_etag_changes_when_the_shop_changes(client, registry):
    url = f"/api/v1/shops/{registry.active.public_code}"
    before = client.get(url).headers["ETag"]
    sanctions.issue_warning(registry.active, registry.staff, sanctions.SanctionInput("counterfeit", "售假。"))
    db.session.commit()

    after = client.get(url, headers={"If-None-Match": before})
    assert after.status_code == 200
    assert after.get_json()["standing"] == "warned"
    assert after.headers["ETag"] != before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_public_headers_and_no_cookies(client, registry, endpoint):
    url = endpoint.format(code=registry.active.public_code)
    client.set_cookie("lang", "en")  # even a visitor's language cookie changes nothing here
    for response in (client.get(url), client.get(url + "?per_page=0&year=1"), client.get("/api/v1/shops/nope")):
        assert "Set-Cookie" not in response.headers
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Accept-Language" in response.headers.get("Vary", "")
    ok = client.get(url)
    assert ok.headers["Cache-Control"] in ("public, max-age=60", "public, max-age=300")


def test_a_cors_preflight_may_send_if_none_match(client):
    response = client.options("/api/v1/shops", headers={"Origin": "https://news.example.com",
                                                         "Access-Control-Request-Method": "GET",
                                                         "Access-Control-Request-Headers": "if-none-match"})

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]


def test_writes_are_refused_as_json(client, registry):
    response = client.post("/api/v1/shops", json={"name": "x"})

    assert response.status_code == 405
    assert response.mimetype == "application/json"
    assert response.get_json()["error"] == {"status": 405, "code": "method_not_allowed",
                                            "message": "此接口只读，只接受 GET 请求。"}
    assert "GET" in response.headers["Allow"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_unknown_api_paths_are_404_json(client):
    response = client.get("/api/v1/merchants")

    assert response.status_code == 404 and response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == "not_found"


def test_an_unexpected_error_is_a_json_500_with_a_request_id(client, monkeypatch):
    import registry.api.public_views

    def broken(*_args, **_kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(registry.api.public_views.snapshots, "report_for", broken)
    response = client.get("/api/v1/statistics")

    assert response.status_code == 500
    error = response.get_json()["error"]
    assert error["code"] == "internal_error" and error["request_id"] == response.headers["X-Request-Id"]
    assert "database went away" not in response.get_data(as_text=True)


# --- No personal data ------------------------------------------------------------------------------

def test_no_consumer_or_owner_personal_data_in_any_answer(client, registry):
    code = registry.active.public_code
    urls = [f"/api/v1/shops/{code}", f"/api/v1/shops/{code}/complaints", "/api/v1/shops",
            f"/api/v1/shops?q={registry.active.credit_code}", "/api/v1/statistics", "/api/v1/openapi.json",
            f"/api/v1/shops/{code}?lang=en", f"/api/v1/shops/{registry.warned.public_code}",
            f"/api/v1/shops/{registry.suspended.public_code}", f"/api/v1/shops/{registry.lapsed.public_code}",
            "/api/v1/shops?per_page=0", "/api"]
    texts = [client.get(url).get_data(as_text=True) for url in urls]

    # The seeding worked: the complaint really carries the data that must not leak.
    assert (registry.complaint.consumer_name, registry.complaint.consumer_phone) == (CONSUMER_NAME, CONSUMER_PHONE)
    assert SUMMARY in texts[1]
    for text in texts:
        assert_no_personal_data(text)


# --- Rate limit ------------------------------------------------------------------------------------

class TestRateLimit:
    @pytest.fixture
    def app_overrides(self):
        return {"RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "3 per minute"}

    def test_the_api_is_rate_limited_per_address_with_a_json_429(self, client):
        answers = [client.get("/api/v1/statistics", environ_base={"REMOTE_ADDR": "10.0.0.1"}) for _ in range(4)]
        elsewhere = client.get("/api/v1/statistics", environ_base={"REMOTE_ADDR": "10.0.0.2"})

        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[-1].mimetype == "application/json"
        assert answers[-1].get_json()["error"]["code"] == "rate_limited"
        assert elsewhere.status_code == 200
