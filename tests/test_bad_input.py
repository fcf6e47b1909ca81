"""The malformed inputs that answered 500 (issue 10, item 8) now answer with the usual pages:
page numbers beyond any list, ids beyond any column, NUL and other control characters, CR/LF in `next`.
(tests/test_malformed_input.py looks for more of them on every route.)"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

HUGE = str(2**63)
NUL = "\x00"

PAGINATED = [
    ("anonymous", "/search"),
    ("merchant", "/my/complaints/"),
    ("staff", "/staff/complaints"),
    ("staff", "/staff/flags"),
    ("staff", "/staff/sanctions"),
    ("staff", "/staff/appeals"),
    ("staff", "/staff/shops"),
    ("staff", "/staff/audit"),
    ("staff", "/staff/consultations"),
    ("staff", "/staff/campaigns"),
    ("admin", "/admin/users"),
]


@pytest.fixture
def people(make_user, make_shop):
    owner = make_user(name="王美好")
    return {"merchant": owner, "shop": make_shop(owner=owner, district="西湖区"),
            "staff": make_user(role="staff", district="西湖区"), "admin": make_user(role="admin")}


def as_role(client, login_as, people, role):
    return client if role == "anonymous" else login_as(client, people[role])


def usual_page(response, heading: str) -> None:
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert heading in html and "返回首页" in html  # the site's own error page, in its layout


@pytest.mark.parametrize(("role", "path"), PAGINATED)
@pytest.mark.parametrize("page", [HUGE, "9" * 5000, "²"])
def test_a_page_number_beyond_any_list_shows_the_list_page(client, login_as, people, role, path, page):
    response = as_role(client, login_as, people, role).get(path, query_string={"page": page})
    assert response.status_code == 200


def test_page_numbers_are_read_by_one_rule(app):
    from registry.pagination import PAGE_MAX, bounded_integer, page_number

    cases = {None: 1, "": 1, "0": 1, "3": 3, "-2": 1, "²": 1, "٣": 1, " 3": 1, HUGE: PAGE_MAX,
             str(PAGE_MAX + 1): PAGE_MAX, "9" * 5000: PAGE_MAX}
    for given, expected in cases.items():
        with app.test_request_context("/search", query_string={} if given is None else {"page": given}):
            assert page_number() == expected, given
    assert bounded_integer("12", 1, 20) == 12
    assert [bounded_integer(v, 1, 20) for v in (None, "", "0", "21", "²", "1e3", "9" * 5000)] == [None] * 7


@pytest.mark.parametrize("path", [f"/staff/complaints/{HUGE}", f"/staff/shops/{2**31}", f"/admin/users/{HUGE}",
                                  f"/my/shops/{HUGE}/edit", f"/staff/calendar/years/{HUGE}/confirm"])
def test_an_id_no_column_can_hold_is_404(client, login_as, people, path):
    role = "admin" if path.startswith("/admin") else "merchant" if path.startswith("/my") else "staff"
    client = as_role(client, login_as, people, role)
    response = client.post(path) if path.endswith("/confirm") else client.get(path)
    assert response.status_code == 404
    usual_page(response, "")


def test_a_staff_link_naming_a_huge_flag_still_shows_the_shop(client, login_as, people):
    response = login_as(client, people["staff"]).get(f"/staff/shops/{people['shop'].id}", query_string={"flag": HUGE})
    assert response.status_code == 200


def test_nul_anywhere_is_refused_with_the_usual_400_or_404_page_or_the_field_message(client, login_as, people):
    shop = people["shop"]
    # In the path it names nothing: 404.
    for path in (f"/m/{quote(NUL)}", f"/m/{shop.public_code}{quote(NUL)}", f"/certificate/{quote(NUL)}",
                 f"/badge/{quote(NUL)}.png", f"/staff/shops/1{quote(NUL)}"):
        response = client.get(path)
        assert response.status_code == 404, path
        usual_page(response, "返回首页")
    # In a parameter: 400.
    for args in ({"q": f"超市{NUL}"}, {NUL: "1"}):
        response = client.get("/search", query_string=args)
        assert response.status_code == 400
        usual_page(response, "请求有误")
    response = client.get("/verify", query_string={"code": NUL})
    assert response.status_code == 400
    # In a form field: the message next to the field, what was typed kept (tests/test_forms.py).
    for path, form in [("/login", {"login": f"1380013{NUL}", "password": "x"}),
                       ("/register", {"phone": f"1380013{NUL}", "display_name": "王"})]:
        response = client.post(path, data=form)
        assert response.status_code in (200, 400), path
        assert "第 8 个字符是看不见的控制符号" in response.get_data(as_text=True), path
        assert 'value="1380013' in response.get_data(as_text=True), path
    staff = login_as(client, people["staff"])
    response = staff.get("/staff/shops", query_string={"q": f"美好{NUL}"})
    assert response.status_code == 400
    usual_page(response, "请求有误")


def test_other_control_characters_are_refused_tab_and_newlines_are_not(client):
    for character in ("\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f"):
        assert client.get("/search", query_string={"q": f"超{character}市"}).status_code == 400, repr(character)
    assert client.get("/search", query_string={"q": "超\t市\r\n"}).status_code == 200


def test_nul_in_the_api_is_refused_in_the_api_shape(client, people):
    response = client.get("/api/v1/shops", query_string={"q": NUL})
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == "invalid_parameter"
    assert response.get_json()["error"]["parameter"] == "q"
    for path in (f"/api/v1/shops/{quote(NUL)}", f"/api/v1/shops/{people['shop'].public_code}{quote(NUL)}/complaints"):
        response = client.get(path)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found", path


@pytest.mark.parametrize("target", ["/search\r\nSet-Cookie: stolen=1", "/\t/evil.example", "/\n/evil.example",
                                    "/search\x00", "/%0d%0aSet-Cookie:x"])
def test_control_characters_in_next_stay_on_site(client, make_user, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        location = urlsplit(response.headers["Location"])
        assert not location.netloc or location.netloc == "localhost"
        assert "\r" not in response.headers["Location"] and "stolen" not in response.headers.get("Set-Cookie", "")

    user = make_user()
    response = client.post("/login", data={"login": user.login, "password": "correct horse battery", "next": target})
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert urlsplit(response.headers["Location"]).path in ("/my/shops", urlsplit(target).path)
        assert not urlsplit(response.headers["Location"]).netloc.endswith("evil.example")


def test_crlf_in_next_falls_back_to_the_default_target(client, make_user):
    response = client.get("/lang/en", query_string={"next": "/search\r\nSet-Cookie: stolen=1"})
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/"
    user = make_user()
    response = client.post("/login", data={"login": user.login, "password": "correct horse battery",
                                           "next": "/search\r\nX: y"})
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/my/shops"
