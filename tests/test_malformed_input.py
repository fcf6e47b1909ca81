"""No malformed input answers 5xx (issue 10, item 8): every route of the app, as every role, with
arbitrary text in every path variable, every GET parameter the code reads and every form field.

Property-based (hypothesis): for each route of `app.url_map` and each method, the values are drawn
from control characters (NUL, CRLF…), huge and negative numbers, any Unicode and very long strings.
A fixed set of nasty values is tried first on every route as the role that can see it (explicit
examples: the bugs found so far — `page ≥ 2⁶³`, NUL on PostgreSQL, CRLF in `next` — are among them),
then a few random examples per route as any role. Runs on SQLite, and on PostgreSQL when
TEST_DATABASE_URL is set; the data is seeded once (the demo loader, a smaller history).

Field names: a route gets the GET parameters its view's module (and the registry modules it uses)
reads — `request.args.get("…")`, `params._…(args, "…")` — plus the fields of the GET forms that submit to
it on the pages rendered while crawling, plus `page`, `next` and `lang`. A POST route gets the fields of
the forms that post to it on those pages (their option and hidden values are among the values drawn),
or, when no page shows its form, every field of the WTForms form classes its view module uses.
The campaign PDFs' drawing is stubbed (seconds per request, and it reads no request text).

Every form is also posted as a person would fill it with hostile text (issue 11, item 5): the values its
page offers in choices, hidden fields and buttons, and in every typed field one of HOSTILE_TEXT (formula
prefixes, bidi overrides, zero-width and control characters). Afterwards every page and every export
(report CSV/XLSX, campaign templates, the open-data files) is read again: whatever was stored, no 5xx.
"""

from __future__ import annotations

import re
import sys
import time
import types
from collections import defaultdict
from datetime import date
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from registry.extensions import db

ROLES = ("anonymous", "merchant", "staff", "admin")
REGISTRY = Path(__file__).resolve().parents[1] / "registry"

# Tried first on every route: each value in every parameter and field at once.
NASTY = [
    "\x00",
    "/\r\nSet-Cookie: stolen=1",
    str(2**63),
    "²³",  # digits to str.isdigit(), not to int()
    "\x01\x08\x0b\x1b\x7f\u0085\u2028",
    "诚信😀\u202e\ufeff\u0301" * 700,  # any script, and long
]
HUGE_INTEGERS = [2**31, 2**63, 10**30]
# Typed into every text field of every form, with the page's own values in the other fields.
HOSTILE_TEXT = [
    '=HYPERLINK("http://evil.example","x")',
    "@SUM(A1:A9)+\t-1",
    "+86 -2 美好\u202e超市\u200b\u2066",
    "第一行\r\n=1+1\x01\x00",
]
RANDOM_EXAMPLES = 3  # per route and method, after the explicit ones


def texts():
    """Arbitrary text: nasty values, numbers of any size, any Unicode (controls included), long runs."""
    return st.one_of(
        st.sampled_from(NASTY),
        st.integers(min_value=-(2**80), max_value=2**80).map(str),
        st.text(max_size=20),
        st.text(st.characters(max_codepoint=0x20), max_size=6),
        st.builds(lambda chunk, times: chunk * times, st.text(min_size=1, max_size=3), st.integers(100, 2000)),
    )


# --- The seeded world ------------------------------------------------------------------------------


def seed(monkeypatch) -> dict:
    """Demo data (shops, complaints at every stage), plus what the demo lacks; returns path values by name."""
    from registry import demo
    from registry.areas.models import District, Township
    from registry.auth.models import Role, User
    from registry.auth.services import create_user, user_by_login
    from registry.badges.services import current_badge
    from registry.complaints.models import ComplaintEvent
    from registry.consultations.services import ConsultationInput, record_consultation
    from registry.merchants.models import Merchant
    from registry.moderation.models import Flag
    from registry.moderation.flags import raise_staff_flag, seed_rules
    from registry.moderation.sanctions import SanctionInput, issue_warning
    from registry.health import known_revisions
    from registry.pledges.signing import latest_signature
    from registry.pledges.versions import current_version
    from tests.complaints.helpers import file

    from registry.demo import cases as demo_cases

    monkeypatch.setattr(demo_cases, "load_demo_history", lambda world: (0, 0))
    demo.load_demo(shop_count=4)
    seed_rules()
    staff = user_by_login("staff@demo.cxm")
    owner = user_by_login("13800138000")
    shop = db.session.scalars(db.select(Merchant).where(Merchant.owner_id == owner.id).order_by(Merchant.id)).first()
    complaint, token = file(shop, commit=False)
    sanction = issue_warning(shop, staff, SanctionInput("price_fraud", "标价与结账价格不一致。"))
    flag = raise_staff_flag(shop, staff, "巡查发现问题。")
    consultation = record_consultation(staff, ConsultationInput("phone", "other", "西湖区", None, "咨询退货。",
                                                                "answered", None))
    victim = create_user("victim@example.cn", "correct horse battery", "被操作的账户", Role.STAFF, "西湖区")
    # As `flask db upgrade` leaves it, so that /healthz answers 200 like the rest.
    db.session.execute(db.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
    for head in known_revisions()[0]:
        db.session.execute(db.text("INSERT INTO alembic_version VALUES (:head)"), {"head": head})
    db.session.commit()
    people = {"merchant": owner.id, "staff": staff.id, "admin": user_by_login("admin@demo.cxm").id}
    assert all(db.session.get(User, i) for i in people.values())
    rule_code = db.session.scalars(db.select(Flag.rule_code).where(Flag.rule_code.is_not(None))).first()
    return {
        "people": people,
        "ints": {"shop_id": shop.id, "complaint_id": complaint.id, "version_id": current_version().id,
                 "user_id": victim.id, "sanction_id": sanction.id, "appeal_id": 1, "photo_id": 1,
                 "flag_id": flag.id, "consultation_id": consultation.id, "batch_id": 1,
                 "claim_id": 1, "repair_id": 1, "statement_id": 1, "job_id": 1,
                 "business_id": 1,  # the demo's complaint by letter is about a business not in the registry
                 "district_id": db.session.scalar(db.select(District.id).order_by(District.id)),
                 "township_id": db.session.scalar(db.select(Township.id).order_by(Township.id)),
                 "year": date.today().year,
                 "event_id": db.session.scalar(db.select(ComplaintEvent.id).where(ComplaintEvent.kind == "merchant_replied")
                                               .order_by(ComplaintEvent.id))},
        "strings": {"code": shop.public_code, "token": token, "serial": current_badge(shop).serial,
                    "day": f"{date.today().year}-10-01", "key": "summary", "filename": "css/app.css"},
        "by_endpoint": {
            ("auth.set_language", "code"): "en",
            ("pledges.certificate", "code"): latest_signature(shop).certificate_code,
            ("pledges.certificate_text", "code"): latest_signature(shop).certificate_code,
            ("moderation_admin.update_rule", "code"): rule_code or "burst",
            ("opendata.download", "filename"): "standings-2026-01-01.csv",
        },
    }


# --- What the routes read --------------------------------------------------------------------------

_ARG_PATTERNS = [
    r"args\.get\(\s*[\"'](\w+)[\"']",
    r"args\[\s*[\"'](\w+)[\"']\s*\]",
    r"values\.get\(\s*[\"'](\w+)[\"']",
    r"\(args, [\"'](\w+)[\"']",
]


@cache
def _names_in_source(path: str) -> frozenset[str]:
    text = Path(path).read_text(encoding="utf-8")
    names = set()
    for pattern in _ARG_PATTERNS:
        names.update(re.findall(pattern, text))
    # request.args[name] for name in ("q", "district", …)
    for group in re.findall(r"request\.args\[name\] for name in \(([^)]*)\)", text):
        names.update(re.findall(r"[\"'](\w+)[\"']", group))
    return frozenset(names)


def form_fields(form) -> set[str]:
    from wtforms.fields.core import UnboundField

    return {name for name in dir(form) if isinstance(getattr(form, name, None), UnboundField)}


def read_by(view) -> tuple[set[str], set[str]]:
    """(GET parameters, WTForms fields) that a view's module, and the registry modules it uses, read."""
    from flask_wtf import FlaskForm

    module = sys.modules[view.__module__]
    used = {module}
    forms = set()
    for value in vars(module).values():
        owner = value if isinstance(value, types.ModuleType) else sys.modules.get(getattr(value, "__module__", None) or "")
        if owner is not None and owner.__name__.startswith("registry."):
            used.add(owner)
        if isinstance(value, type) and issubclass(value, FlaskForm) and value is not FlaskForm:
            forms |= form_fields(value)
    parameters = set().union(*(_names_in_source(m.__file__) for m in used if getattr(m, "__file__", None)))
    return parameters | {"page", "next", "lang"}, forms


class FormFinder(HTMLParser):
    """The forms of a page: (method, action path) → {field name: values the page offers}."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path = page_path
        self.forms: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.current = None
        self.select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            action = urlsplit(attrs.get("action") or self.page_path).path or self.page_path
            self.current = self.forms[((attrs.get("method") or "get").upper(), action)]
        elif self.current is None or not attrs.get("name"):
            return
        elif tag in ("input", "button", "textarea"):
            values = self.current[attrs["name"]]
            if attrs.get("value"):
                values.add(attrs["value"])
        elif tag == "select":
            self.select = attrs["name"]
            self.current[self.select]
        if tag == "option" and self.current is not None and self.select and attrs.get("value") is not None:
            self.current[self.select].add(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None


# --- The test --------------------------------------------------------------------------------------


def main_role(rule) -> str:
    for prefix, role in (("/admin", "admin"), ("/staff", "staff"), ("/my", "merchant")):
        if rule.rule.startswith(prefix):
            return role
    return "anonymous"


def test_no_input_on_any_route_answers_5xx(app, monkeypatch, caplog, tmp_path):
    from registry.auth.models import User

    monkeypatch.setitem(app.config, "OPENDATA_DIR", str(tmp_path / "opendata"))

    world = seed(monkeypatch)
    # The posters' and letters' PDFs take seconds per request and read only stored shops, no request
    # text: their views still run whole, the drawing is skipped.
    monkeypatch.setattr("registry.campaigns.pdf.badge_posters", lambda items: b"%PDF-1.4 " + bytes(len(list(items))))
    monkeypatch.setattr("registry.campaigns.pdf.invitation_letters",
                        lambda invitations: b"%PDF-1.4 " + bytes(len(list(invitations))))
    adapter = app.url_map.bind("cxm.example.cn", url_scheme="https")
    routes = [(rule, method) for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
              for method in sorted(rule.methods & {"GET", "POST"})]
    sent = {"count": 0}

    def valid_path(rule) -> dict:
        values = {}
        for name in rule.arguments:
            if (rule.endpoint, name) in world["by_endpoint"]:
                values[name] = world["by_endpoint"][(rule.endpoint, name)]
            elif name in world["ints"]:
                values[name] = world["ints"][name]
            else:
                values[name] = world["strings"].get(name, "x")
        return values

    def is_int(rule, name) -> bool:
        return isinstance(rule._converters[name], IntegerConverter)

    def send(rule, method, role, path, args, form):
        client = app.test_client()
        if role != "anonymous":
            user = db.session.get(User, world["people"][role])  # the session version may have moved (logout)
            with client.session_transaction() as session:
                session["_user_id"], session["_fresh"] = user.get_id(), True
        db.session.remove()
        url = adapter.build(rule.endpoint, path, method=method)
        response = client.open(url, method=method, query_string=args, data=form if method == "POST" else None)
        # End the request's transaction, as the end of a real request would (the test client shares
        # the test's session).
        db.session.remove()
        sent["count"] += 1
        html = response.get_data(as_text=True) if response.mimetype == "text/html" else None
        response.close()  # static files and downloads hold an open file until closed
        return url, response.status_code, html

    # Crawl: every page as the role that can see it, to learn the forms and the GET fields they show.
    forms: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for rule, method in routes:
        if method != "GET" or rule.endpoint == "static":
            continue
        url, _status, html = send(rule, "GET", main_role(rule), valid_path(rule), {}, {})
        if html is not None:
            finder = FormFinder(urlsplit(url).path)
            finder.feed(html)
            for key, fields in finder.forms.items():
                for name, values in fields.items():
                    forms[key][name] |= values

    failures = []

    def check_route(rule, method):
        path_only = urlsplit(adapter.build(rule.endpoint, valid_path(rule), method=method)).path
        parameters, wtforms = read_by(app.view_functions[rule.endpoint])
        arg_names = sorted(parameters | set(forms.get(("GET", path_only), ())))
        # The fields of the forms that post here, with the values their page offers; else the view's forms.
        shown = forms.get((method, path_only)) if method == "POST" else None
        fields = {name: sorted(values) for name, values in shown.items()} if shown else dict.fromkeys(wtforms, [])
        fields.pop("csrf_token", None)
        form_fields = fields if method == "POST" else {}

        def value(good):
            return st.one_of(st.sampled_from(good), texts()) if good else texts()

        def path_strategy(name):
            good = valid_path(rule)[name]
            if is_int(rule, name):
                return st.one_of(st.just(good), st.sampled_from(HUGE_INTEGERS), st.integers(0, 2**70))
            return st.one_of(st.just(good), texts().filter(bool))

        @settings(max_examples=RANDOM_EXAMPLES, database=None, derandomize=True, deadline=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(role=st.sampled_from(ROLES),
               path=st.fixed_dictionaries({name: path_strategy(name) for name in rule.arguments}),
               args=st.fixed_dictionaries({name: texts() for name in arg_names}),
               form=st.fixed_dictionaries({name: value(good) for name, good in form_fields.items()}))
        def probe(role, path, args, form):
            caplog.clear()
            url, status, _html = send(rule, method, role, path, args, form if method == "POST" else {})
            if status >= 500:
                errors = [f"{r.exc_info[0].__name__}: {str(r.exc_info[1])[:160]}" for r in caplog.records
                          if r.exc_info]
                raise AssertionError(f"{method} {url[:120]!r} as {role}: {status} {errors[-1:]}")

        for nasty in NASTY:
            probe = example(role=main_role(rule), path=valid_path(rule), args=dict.fromkeys(arg_names, nasty),
                            form=dict.fromkeys(form_fields, nasty))(probe)
        if form_fields:
            for hostile in HOSTILE_TEXT:
                filled = {name: (good[0] if good else hostile) for name, good in form_fields.items()}
                probe = example(role=main_role(rule), path=valid_path(rule), args={}, form=filled)(probe)
        if rule.arguments:
            odd = {name: (2**63 if is_int(rule, name) else "a\x00b") for name in rule.arguments}
            probe = example(role=main_role(rule), path=odd, args={}, form={})(probe)
        probe()

    started = time.monotonic()
    for rule, method in routes:
        try:
            check_route(rule, method)
        except Exception as error:  # noqa: BLE001 — collect every route's failure, then report them all
            while isinstance(error, BaseExceptionGroup):  # several failing examples: show the first
                error = error.exceptions[0]
            failures.append(f"{rule.endpoint} {method}: {str(error).splitlines()[0][:400]}")
    # Whatever the forms stored: every page and every export read again, the open-data files too.
    from registry.opendata import services as opendata

    world["by_endpoint"][("opendata.download", "filename")] = next(
        f.name for f in opendata.export().files if f.name.endswith(".csv"))
    for rule, method in routes:
        if method == "GET" and rule.endpoint != "static":
            url, status, _html = send(rule, "GET", main_role(rule), valid_path(rule), {}, {})
            if status >= 500:
                failures.append(f"{rule.endpoint} read afterwards: GET {url[:120]!r} answered {status}")
    print(f"{len(routes)} routes and methods, {sent['count']} requests in {time.monotonic() - started:.1f} s")
    assert not failures, "\n".join(failures)
