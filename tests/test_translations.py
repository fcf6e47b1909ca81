"""The English catalog: complete, in step with the code, compiled; and the UI really switches language.

Msgids are Simplified Chinese, so "zh" needs no catalog (Flask-Babel falls back to the msgid).
When a test here fails because strings were added or changed, refresh the catalog:

    make translations          # extract -> update -> compile (see the Makefile / babel.cfg)
    # translate the new empty / fuzzy entries in registry/translations/en/LC_MESSAGES/messages.po
    make translations          # again, to compile the .mo that is committed with the .po
"""

from __future__ import annotations

import functools
import io
import re
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from registry.issuer import issuing_body

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "registry" / "translations"
PO_FILE = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO_FILE = PO_FILE.with_suffix(".mo")

# Same options as the `translations` make target (and the comment in babel.cfg).
EXTRACT_OPTIONS = [
    "-F", "babel.cfg",
    "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "lazy_pgettext:1c,2",
    "--ignore-dirs=.* ._ tests bench migrations static instance",
]
REFRESH_HINT = ("refresh the catalog: `make translations`, translate the new entries in "
                "registry/translations/en/LC_MESSAGES/messages.po, then `make translations` again "
                "(commands are also listed in tests/test_translations.py and babel.cfg)")

# A printf conversion: "%%", "%(name)s", or a positional "%d"/"%s"...
_CONVERSION = re.compile(r"%(?:%|\([^)]*\)[#0 +\-]*\d*(?:\.\d+)?[a-zA-Z]|[#0 +\-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa])")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _load_po():
    with PO_FILE.open("rb") as f:
        return read_po(f, locale="en")


def _conversions(text: str) -> Counter:
    return Counter(_CONVERSION.findall(text))


def _messages(catalog):
    return [m for m in catalog if m.id]


def _label(message) -> str:
    where = ", ".join(f"{path}:{line}" if line else path for path, line in message.locations[:3])
    return f"{message.id!r} ({where})" if where else repr(message.id)


# (a) complete, nothing fuzzy, placeholders kept ------------------------------------------------

def test_en_catalog_is_fully_translated_and_not_fuzzy():
    catalog = _load_po()
    assert not catalog.fuzzy, "the header of the en catalog is marked fuzzy; pybabel compile would skip it"
    messages = _messages(catalog)
    assert messages, "the en catalog is empty"
    untranslated = [_label(m) for m in messages
                    if not (all(m.string) if m.pluralizable else m.string)]
    fuzzy = [_label(m) for m in messages if m.fuzzy]
    assert not (untranslated or fuzzy), (
        f"{len(untranslated)} untranslated entries:\n" + "\n".join(untranslated)
        + f"\n{len(fuzzy)} fuzzy entries (review the translation, then drop the fuzzy flag):\n" + "\n".join(fuzzy)
    )


def test_en_translations_keep_the_placeholders_of_their_msgid():
    catalog = _load_po()
    problems = []
    for m in _messages(catalog):
        if m.pluralizable:
            # A singular form may leave the number out ("one shop"), but never invent a placeholder.
            allowed = set(_conversions(m.id[0])) | set(_conversions(m.id[1]))
            for form in m.string:
                extra = set(_conversions(form)) - allowed
                if extra:
                    problems.append(f"{_label(m)}: unknown placeholders {sorted(extra)} in {form!r}")
        elif _conversions(m.string) != _conversions(m.id):
            problems.append(f"{_label(m)}: msgid has {sorted(_conversions(m.id).elements())}, "
                            f"msgstr {m.string!r} has {sorted(_conversions(m.string).elements())}")
    # Babel's own python-format checks (what `pybabel compile` would complain about).
    for message, errors in catalog.check():
        problems.extend(f"{_label(message)}: {error}" for error in errors)
    assert not problems, "placeholder mismatches (keep every %(name)s and %%):\n" + "\n".join(problems)


# (b) in step with the code --------------------------------------------------------------------

def _pybabel() -> list[str]:
    script = Path(sys.executable).with_name("pybabel")
    return [str(script)] if script.exists() else [sys.executable, "-m", "babel.messages.frontend"]


def test_every_extracted_message_is_in_the_en_catalog(tmp_path):
    pot = tmp_path / "messages.pot"
    result = subprocess.run([*_pybabel(), "extract", *EXTRACT_OPTIONS, "-o", str(pot), "."],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"pybabel extract failed:\n{result.stderr[-4000:]}"
    with pot.open("rb") as f:
        extracted = _messages(read_po(f))
    assert extracted, "extraction found no messages; is babel.cfg right?"

    known = {m.id for m in _messages(_load_po())}
    missing = [_label(m) for m in extracted if m.id not in known]
    assert not missing, (f"{len(missing)} msgids in the code are not in the en catalog; {REFRESH_HINT}:\n"
                         + "\n".join(missing))


# (c) the committed .mo is compiled from the committed .po ------------------------------------

def _mo_contents(data: bytes):
    catalog = read_mo(io.BytesIO(data))
    messages = {m.id: m.string for m in catalog if m.id}
    return catalog.plural_forms, messages


def test_compiled_mo_matches_the_po():
    assert MO_FILE.exists(), f"{MO_FILE.relative_to(ROOT)} is missing; {REFRESH_HINT}"
    compiled = io.BytesIO()
    write_mo(compiled, _load_po())  # what `pybabel compile` writes (fuzzy entries left out)
    if MO_FILE.read_bytes() == compiled.getvalue():
        return
    expected_plural, expected = _mo_contents(compiled.getvalue())
    actual_plural, actual = _mo_contents(MO_FILE.read_bytes())
    stale = sorted(set(expected) ^ set(actual) | {k for k in set(expected) & set(actual) if expected[k] != actual[k]},
                   key=str)
    assert expected_plural == actual_plural and not stale, (
        f"messages.mo is out of date with messages.po ({len(stale)} entries differ, e.g. "
        f"{[str(k) for k in stale[:5]]}); run `.venv/bin/pybabel compile -d registry/translations`")


# (d) the pages switch language ----------------------------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _VisibleText(HTMLParser):
    """Text a reader sees or hears (text nodes, aria-label, alt, button values), minus parts
    deliberately in Chinese (lang="zh-*", e.g. the signed pledge text) or hidden (aria-hidden)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hidden_stack: list[bool] = []
        self.chunks: list[str] = []
        self.nav: list[str] = []
        self._nav_depth = 0

    def _hidden(self) -> bool:
        return bool(self.hidden_stack and self.hidden_stack[-1])

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        zh_part = tag != "html" and a.get("lang", "").lower().startswith("zh")
        hidden = self._hidden() or zh_part or a.get("aria-hidden") == "true" or tag in {"script", "style", "head"}
        if not hidden:
            self._add(*(a[k] for k in ("aria-label", "alt") if k in a))
            if tag in {"input", "button"} and a.get("type") in {"submit", "button"} and a.get("value"):
                self._add(a["value"])
        if tag == "nav" and "site-nav" in a.get("class", "").split():
            self._nav_depth = 1
        elif tag == "nav" and self._nav_depth:
            self._nav_depth += 1
        if tag not in _VOID:
            self.hidden_stack.append(hidden)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.hidden_stack:
            self.hidden_stack.pop()

    def handle_endtag(self, tag):
        if tag not in _VOID and self.hidden_stack:
            self.hidden_stack.pop()
        if tag == "nav" and self._nav_depth:
            self._nav_depth -= 1

    def handle_data(self, data):
        if not self._hidden():
            self._add(data)

    def _add(self, *texts):
        for text in texts:
            text = " ".join(text.split())
            if text:
                self.chunks.append(text)
                if self._nav_depth:
                    self.nav.append(text)


def _visible(html: str) -> _VisibleText:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser


# Per page, msgids whose translation must show (English) or which must show as such (Chinese).
PAGES = {
    "/": ["这家店承诺诚信经营了吗？", "搜索", "输入验证码"],
    "/search?q=超市": ["搜索商户", "搜索", "店铺没有登记，也可以投诉", "全国 12315 平台："],
    "/verify": ["输入验证码", "8 位验证码", "查询"],
    "/login": ["商户登录", "手机号或邮箱", "密码", "登录"],
    "/register": ["商户注册", "您的姓名", "手机号", "获取验证码"],
    "/password/forgot": ["忘记密码", "手机号", "获取验证码"],
    "/pledge": ["第 %(number)d 版 · %(date)s 发布"],
}
EN_ONLY = {"/pledge": ["签署的是中文文本；英文仅供参考。"]}  # shown to English readers only
NAV_MSGIDS = ["查询", "验证码", "商户登录"]


@pytest.fixture(scope="module")
def en():
    """msgid -> English, from the catalog the app loads."""
    return {m.id: m.string for m in _messages(_load_po())}


def _static_part(msgid: str) -> str:
    """The longest stretch of a msgid/msgstr without placeholders (what must appear verbatim)."""
    return max(_CONVERSION.split(msgid), key=len).strip()


@pytest.mark.parametrize("url", list(PAGES))
def test_pages_are_english_with_the_language_cookie(client, pledge, en, url):
    client.set_cookie("lang", "en")
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    page = _visible(html)
    text = " ".join(page.chunks)

    for msgid in PAGES[url] + EN_ONLY.get(url, []):
        assert _static_part(en[msgid]) in text, f"{en[msgid]!r} (for {msgid!r}) missing from {url}"
        if len(msgid) > 2:  # short ones like 密码 can occur inside data
            assert _static_part(msgid) not in text, f"untranslated {msgid!r} on {url}"
    if url in ("/", "/search?q=超市"):
        assert "Search" in text

    nav = " ".join(page.nav)
    for msgid in NAV_MSGIDS:
        assert en[msgid] in nav
    assert not _CJK.search(nav), f"Chinese left in the English navigation: {nav!r}"
    assert "搜索" not in text

    # Nothing else Chinese, except data that has no English form: the pledge's title, the issuing body's
    # name and address (the empty search says whom to call), and what was typed into the search box.
    issuer = issuing_body(client.application.config)
    data = [pledge.title, issuer.name, issuer.address or "", "“超市”"]
    leftover = [chunk for chunk in page.chunks
                if _CJK.search(functools.reduce(lambda text, datum: text.replace(datum, ""), data, chunk))]
    assert not leftover, f"Chinese text on the English {url}: {leftover}"


@pytest.mark.parametrize("url", list(PAGES))
def test_pages_are_chinese_without_a_language_choice(client, pledge, en, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    page = _visible(html)
    text = " ".join(page.chunks)

    for msgid in PAGES[url]:
        assert _static_part(msgid) in text, f"{msgid!r} missing from Chinese {url}"
        assert _static_part(en[msgid]) not in text, f"English {en[msgid]!r} on Chinese {url}"
    nav = " ".join(page.nav)
    for msgid in NAV_MSGIDS:
        assert msgid in nav
    assert not re.search(r"[A-Za-z]", nav), f"English in the Chinese navigation: {nav!r}"
