"""The production configuration in-process, and a test client that submits forms as a browser does.

Most of the suite runs with CSRF off over plain http, where Flask-WTF's strict https referrer check
never runs: a page whose Referrer-Policy stops the browser from sending a Referer on its own forms
(issue 10: `no-referrer` on the complaint pages) broke every consumer POST in production while the
suite stayed green. Here the app runs as deployed (REGISTRY_ENV=production: CSRF with SSL strict,
`__Host-session` secure cookies, HSTS, rate limits, TRUSTED_HOSTS, PROXY_COUNT=1), and `BrowserClient`
talks to it the way nginx passes on a phone's https request: plain http from 127.0.0.1 with
X-Forwarded-For/Proto/Host/Port. It reads the form off the current page (hidden fields, CSRF token,
defaults), and sends the Referer that the page's Referrer-Policy allows a browser to send.

Use it with `@pytest.mark.production` (tests/conftest.py turns the app fixture into this configuration)
or `make_app(database_url, **production_overrides())`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from registry.config import DEMO_ISSUER

PRODUCTION_HOST = "cxm.example.cn"
PRODUCTION_URL = f"https://{PRODUCTION_HOST}"
CLIENT_IP = "203.0.113.7"  # the phone's address, as nginx saw it
# Production refuses to issue a badge without its signing key (registry/badges/keys.py): a fixed test seed.
BADGE_SIGNING_TEST_KEY = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="


def production_overrides(**more) -> dict:
    """Settings of REGISTRY_ENV=production behind the shipped nginx (one proxy), for make_app."""
    settings = {
        "REGISTRY_ENV": "production",  # __Host-session, Secure cookies, HSTS (registry/config.py)
        "PUBLIC_BASE_URL": PRODUCTION_URL,
        # Production names no default issuing body (registry/config.py): the demo one, said explicitly.
        **{name: value for name, value in DEMO_ISSUER.items()},
        "BADGE_SIGNING_KEY": BADGE_SIGNING_TEST_KEY,
        "TRUSTED_HOSTS": [PRODUCTION_HOST],
        "PROXY_COUNT": 1,
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_SSL_STRICT": True,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    settings.update(more)
    return settings


# --- Referrer policy, as browsers apply it (https://www.w3.org/TR/referrer-policy/) ----------------

POLICIES = {"no-referrer", "no-referrer-when-downgrade", "same-origin", "origin", "strict-origin",
            "origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url"}
DEFAULT_POLICY = "strict-origin-when-cross-origin"  # browsers' default when a page names none


def header_policy(value: str | None) -> str | None:
    """The policy a Referrer-Policy header sets: the last token a browser knows wins."""
    known = [token.strip().lower() for token in (value or "").split(",") if token.strip().lower() in POLICIES]
    return known[-1] if known else None


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def referrer_for(policy: str, page_url: str, target_url: str) -> str | None:
    """The Referer a browser sends from `page_url` to `target_url` under `policy` (None: no header)."""
    page = urlsplit(page_url)
    full = urlunsplit((page.scheme, page.netloc.rpartition("@")[2], page.path, page.query, ""))
    origin = urlunsplit((page.scheme, page.netloc.rpartition("@")[2], "/", "", ""))
    same = _origin(page_url) == _origin(target_url)
    downgrade = page.scheme == "https" and urlsplit(target_url).scheme != "https"
    return {
        "no-referrer": None,
        "unsafe-url": full,
        "origin": origin,
        "same-origin": full if same else None,
        "origin-when-cross-origin": full if same else origin,
        "no-referrer-when-downgrade": None if downgrade else full,
        "strict-origin": None if downgrade else origin,
        "strict-origin-when-cross-origin": full if same else (None if downgrade else origin),
    }[policy]


# --- Forms on a page --------------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    rel: str
    fields: list = field(default_factory=list)  # (name, value) pairs a browser would send by default
    buttons: list = field(default_factory=list)  # (name, value, text) of the submit buttons
    text: str = ""


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.meta_policy: str | None = None
        self._form: Form | None = None
        self._textarea: list | None = None
        self._select: dict | None = None
        self._option: dict | None = None
        self._button: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: (value if value is not None else "") for name, value in attrs}
        if tag == "meta" and attrs.get("name", "").lower() == "referrer":
            self.meta_policy = header_policy(attrs.get("content")) or self.meta_policy
        if tag == "form":
            self._form = Form(attrs.get("action", ""), attrs.get("method", "get").lower(),
                              attrs.get("enctype", "application/x-www-form-urlencoded"), attrs.get("rel", ""))
            self.forms.append(self._form)
        if self._form is None or "disabled" in attrs:
            return
        name = attrs.get("name")
        kind = attrs.get("type", "text" if tag == "input" else "submit").lower()
        if tag == "input" and kind in ("submit", "image"):
            self._form.buttons.append((name, attrs.get("value", ""), attrs.get("value", "")))
        elif tag == "input" and kind in ("checkbox", "radio"):
            if name and "checked" in attrs:
                self._form.fields.append((name, attrs.get("value", "on")))
        elif tag == "input" and kind not in ("file", "reset", "button") and name:
            self._form.fields.append((name, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in attrs, "chosen": [], "first": None}
        elif tag == "option" and self._select is not None:
            self._close_option()  # </option> is optional in HTML
            self._option = {"value": attrs.get("value"), "text": "", "selected": "selected" in attrs}
        elif tag == "button" and kind == "submit":
            self._button = {"name": name, "value": attrs.get("value", ""), "text": ""}

    def handle_data(self, data):
        if self._form is not None:
            self._form.text += data
        if self._textarea is not None:
            self._textarea[1] += data
        if self._option is not None:
            self._option["text"] += data
        if self._button is not None:
            self._button["text"] += data

    def _close_option(self):
        if self._option is None:
            return
        value = self._option["value"] if self._option["value"] is not None else self._option["text"].strip()
        if self._select["first"] is None:
            self._select["first"] = value
        if self._option["selected"]:
            self._select["chosen"].append(value)
        self._option = None

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            self._form.fields.append((self._textarea[0], self._textarea[1].removeprefix("\n")))
            self._textarea = None
        elif tag == "option":
            self._close_option()
        elif tag == "select" and self._select is not None:
            self._close_option()
            chosen = self._select["chosen"]
            if not self._select["multiple"]:
                # A single select sends its selected option, or the first one when none is marked.
                chosen = chosen[:1] or ([] if self._select["first"] is None else [self._select["first"]])
            self._form.fields.extend((self._select["name"], value) for value in chosen)
            self._select = None
        elif tag == "button" and self._button is not None:
            self._form.buttons.append((self._button["name"], self._button["value"], self._button["text"].strip()))
            self._button = None


@dataclass
class Page:
    url: str  # as the browser's address bar shows it
    response: object
    forms: list
    policy: str  # the referrer policy in force on this page

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def text(self) -> str:
        return self.response.get_data(as_text=True)


# --- The client -------------------------------------------------------------------------------------


class BrowserClient:
    """A phone's browser reaching the app through nginx over https (see the module docstring).

    get(url) opens a page; submit(...) fills and posts one of its forms with the Referer its policy
    allows and follows the redirect (a 303/302 answer is opened with GET, as a browser does). Both
    return the final Page; `page` is the current one. Cookies a browser would refuse (`__Host-`
    without Secure or Path=/, or with Domain) are dropped, so a broken session cookie shows up.
    """

    def __init__(self, app, origin: str = PRODUCTION_URL, client_ip: str = CLIENT_IP):
        self.client = app.test_client()
        self.origin = origin.rstrip("/")
        self.client_ip = client_ip
        self.page: Page | None = None
        self.requests: list[tuple[str, str, str | None]] = []  # (method, url, Referer sent)

    def url(self, path_or_url: str) -> str:
        return urljoin(self.origin + "/", path_or_url)

    def get(self, path_or_url: str, referrer: str | None = None) -> Page:
        return self._navigate("GET", self.url(path_or_url), referrer)

    def submit(self, data: dict | None = None, files: dict | None = None, *, action: str | None = None,
               button: str | None = None) -> Page:
        """Post the current page's form: the first whose action contains `action` and that has a submit
        button named or labelled `button`; `data` overrides its fields, `files` maps a field to
        [(bytes, filename)]."""
        assert self.page is not None, "open a page first"
        form = self.find_form(action, button)
        target = urljoin(self.page.url, form.action) if form.action else self.page.url.split("#")[0]
        chosen = next((b for b in form.buttons if button in (None, b[0], b[2])), None)
        values: dict[str, list] = {}
        for name, value in form.fields:
            values.setdefault(name, []).append(value)
        if chosen and chosen[0]:
            values[chosen[0]] = [chosen[1]]
        for name, value in (data or {}).items():
            values[name] = list(value) if isinstance(value, (list, tuple)) else [value]
        for name, photos in (files or {}).items():
            values[name] = [(io.BytesIO(content), filename) for content, filename in photos]
        referrer = None if "noreferrer" in form.rel.lower().split() else \
            referrer_for(self.page.policy, self.page.url, target)
        if form.method != "post":  # a GET form puts its fields in the query string
            target = urlunsplit(urlsplit(target)._replace(query=urlencode(values, doseq=True), fragment=""))
            return self._navigate("GET", target, referrer)
        multipart = form.enctype == "multipart/form-data" or bool(files)
        return self._navigate("POST", target, referrer, values, multipart)

    def find_form(self, action: str | None = None, button: str | None = None) -> Form:
        for form in self.page.forms:
            if form.method != "post" and action is None:
                continue
            if action is not None and action not in (form.action or self.page.url):
                continue
            if button is not None and not any(button in (name, text) for name, _value, text in form.buttons):
                continue
            return form
        raise AssertionError(f"no form (action={action!r}, button={button!r}) on {self.page.url}")

    def _forwarded(self, url: str) -> tuple[str, dict]:
        """The request as nginx passes it on: http to the app, the browser's view in X-Forwarded-*."""
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}[parts.scheme]
        inner = urlunsplit(("http", parts.hostname, parts.path, parts.query, ""))
        headers = {"Host": parts.hostname, "X-Forwarded-For": self.client_ip, "X-Forwarded-Proto": parts.scheme,
                   "X-Forwarded-Host": parts.hostname, "X-Forwarded-Port": str(port), "X-Real-IP": self.client_ip,
                   "Accept-Language": "zh-CN,zh;q=0.9"}
        return inner, headers

    def _navigate(self, method: str, url: str, referrer: str | None, data=None, multipart=False) -> Page:
        for _hop in range(10):
            inner, headers = self._forwarded(url)
            if referrer:
                headers["Referer"] = referrer
            self.requests.append((method, url, referrer))
            kwargs = {"data": data, "content_type": "multipart/form-data"} if method == "POST" and multipart \
                else {"data": data} if method == "POST" else {}
            response = self.client.open(inner, method=method, headers=headers,
                                        environ_base={"REMOTE_ADDR": "127.0.0.1"}, **kwargs)
            self._refuse_bad_cookies(response, url)
            if response.status_code in (301, 302, 303, 307, 308) and "Location" in response.headers:
                next_url = urljoin(url, response.headers["Location"])
                if referrer is not None:  # the redirect's own policy may trim what goes on
                    policy = header_policy(response.headers.get("Referrer-Policy")) or DEFAULT_POLICY
                    referrer = referrer_for(policy, referrer, next_url)
                if response.status_code not in (307, 308):
                    method, data, multipart = "GET", None, False
                url = next_url
                continue
            parser = _FormParser()
            if response.mimetype == "text/html":
                parser.feed(response.get_data(as_text=True))
            policy = parser.meta_policy or header_policy(response.headers.get("Referrer-Policy")) or DEFAULT_POLICY
            self.page = Page(url, response, parser.forms, policy)
            return self.page
        raise AssertionError(f"too many redirects from {url}")

    def _refuse_bad_cookies(self, response, url: str) -> None:
        """A browser ignores a __Host- cookie without Secure and Path=/ or with Domain (RFC 6265bis)."""
        for header in response.headers.getlist("Set-Cookie"):
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if name.startswith("__Host-") and (not morsel["secure"] or morsel["path"] != "/" or morsel["domain"]):
                    self.client.delete_cookie(name, domain=urlsplit(url).hostname)
                elif name.startswith("__Secure-") and not morsel["secure"]:
                    self.client.delete_cookie(name, domain=urlsplit(url).hostname)

    def cookie(self, name: str):
        """The cookie as the browser keeps it (None when it has none)."""
        return self.client.get_cookie(name, domain=urlsplit(self.origin).hostname)


# --- The same browser against real servers ---------------------------------------------------------


class RemoteServer:
    """Stands in for the app in `BrowserClient(RemoteServer(port))`: each request the browser makes goes
    over real HTTP (or https, `tls`) to 127.0.0.1:`port` — a gunicorn instance, or nginx in front of
    several — with the headers it was given. `port` may be changed between requests (the browser, and
    its cookies, stay the same): tests/test_two_instances.py sends one browser to each instance in turn."""

    HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}

    def __init__(self, port: int, tls: bool = False):
        self.port, self.tls = port, tls

    def test_client(self):
        from werkzeug.test import Client
        from werkzeug.wrappers import Response

        return Client(self, Response)

    def __call__(self, environ, start_response):
        import http.client
        import ssl
        from urllib.parse import quote

        connection = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30,
                                                 context=ssl._create_unverified_context()) if self.tls \
            else http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        path = quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/:@!$&'()*+,;=-._~")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        headers = {name[5:].replace("_", "-").title(): value for name, value in environ.items()
                   if name.startswith("HTTP_")}
        for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(name):
                headers[name.replace("_", "-").title()] = environ[name]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            connection.request(environ["REQUEST_METHOD"], path, body=body or None, headers=headers)
            answer = connection.getresponse()
            content = answer.read()
        finally:
            connection.close()
        start_response(f"{answer.status} {answer.reason}",
                       [(name, value) for name, value in answer.getheaders() if name.lower() not in self.HOP_BY_HOP])
        return [content]
