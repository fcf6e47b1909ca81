"""The one input filter every form uses (registry/forms.py, rules in registry/text.py): typed text is
tidied (NFC, no zero-width characters); control characters and bidi overrides get a message next to the
field and the typed value is kept; line breaks only in multi-line fields (issue 11, item 5)."""

from __future__ import annotations

import importlib
import pkgutil
from html import escape

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import Form, HiddenField, PasswordField, SelectField, StringField, TextAreaField

import registry
from registry.extensions import db
from registry.forms import RegistryForm, RegistrySubform
from registry.merchants.models import Merchant

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

ONE_LINE_MESSAGE = "这一栏只能填写一行，请删除换行或制表符。"


def refused_message(position: int) -> str:
    return f"第 {position} 个字符是看不见的控制符号，请删除后再提交。"


def every_form_class() -> set[type]:
    for module in pkgutil.walk_packages(registry.__path__, "registry."):
        importlib.import_module(module.name)
    found, todo = set(), [FlaskForm, Form]
    while todo:
        for subclass in todo.pop().__subclasses__():
            todo.append(subclass)
            if subclass.__module__.startswith("registry."):
                found.add(subclass)
    return found


def test_every_form_in_the_registry_derives_from_the_base_form():
    forms = every_form_class() - {RegistryForm, RegistrySubform}

    assert len(forms) > 50
    strays = sorted(f"{f.__module__}.{f.__qualname__}" for f in forms
                    if not issubclass(f, (RegistryForm, RegistrySubform)))
    assert strays == []
    # A subform (FormField) carries no CSRF token; every other form is a FlaskForm through the base.
    assert all(issubclass(f, RegistryForm) for f in forms if issubclass(f, FlaskForm))


class Sample(RegistryForm):
    class Meta:
        csrf = False

    name = StringField()
    story = TextAreaField()
    password = PasswordField()
    choice = SelectField(choices=["a", "b"])
    marker = HiddenField()


def posted(app, **fields) -> Sample:
    with app.test_request_context("/", method="POST", data=fields):
        form = Sample(formdata=MultiDict(fields))
        form.validate()
        return form


def test_typed_text_is_normalised_and_zero_width_characters_dropped(app):
    form = posted(app, name="Cafe\u0301\u200b 美\u200d好\u2060\ufeff", story="第一行\r\n\t第二行", choice="a")

    assert form.errors == {}
    assert form.name.data == "Café 美好"
    assert form.story.data == "第一行\r\n\t第二行"  # multi-line text keeps its lines and tabs


@pytest.mark.parametrize(("typed", "position"), [
    ("美好\x00超市", 3), ("\x1b[31m", 1), ("美\x7f", 2), ("美\x85好", 2),  # C0, DEL, C1
    ("超市\u202e市超", 3), ("a\u2066b\u2069", 2), ("\u200f美好", 1),  # bidi override, isolate, mark
])
def test_a_control_or_bidi_character_is_refused_with_its_position_and_the_value_kept(app, typed, position):
    form = posted(app, name=typed, story=typed, choice="a")

    assert form.errors == {"name": [refused_message(position)], "story": [refused_message(position)]}
    assert form.name.data == typed and form.story.data == typed


@pytest.mark.parametrize("typed", ["第一行\n第二行", "美好\t超市", "美好\r"])
def test_line_breaks_and_tabs_are_refused_in_one_line_fields_only(app, typed):
    form = posted(app, name=typed, story=typed, choice="a")

    assert form.errors == {"name": [ONE_LINE_MESSAGE]}
    assert form.name.data == typed


def test_passwords_are_checked_but_never_altered(app):
    assert posted(app, password="e\u0301\u200b", choice="a").password.data == "e\u0301\u200b"
    assert posted(app, password="pass\x00word", choice="a").errors == {"password": [refused_message(5)]}


def test_a_control_character_in_a_field_no_one_types_is_refused_as_a_bad_request(app):
    from werkzeug.exceptions import BadRequest

    for fields in ({"choice": "a\x00"}, {"choice": "a", "marker": "x\x1b"}):
        with pytest.raises(BadRequest):
            posted(app, **fields)


def test_a_form_post_with_a_control_character_shows_the_message_and_keeps_what_was_typed(client):
    """The site-wide guard refused this with a bare 400 page, losing what was typed."""
    response = client.post("/register", data={"display_name": "王\x00美好", "phone": "13800138000"})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert refused_message(2) in html
    assert 'value="13800138000"' in html and 'value="王' in html


def test_a_shop_name_with_a_right_to_left_override_is_refused_and_kept(client, make_user, login_as, shop_form):
    login_as(client, make_user())
    data = shop_form(name="美好\u202e市超活生")

    response = client.post("/my/shops/new", data=data)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert refused_message(3) in html
    assert escape(data["name"]) in html and escape(data["address"]) in html
    assert db.session.scalar(select(Merchant.id)) is None


def test_a_shop_is_stored_tidy(client, make_user, login_as, shop_form):
    login_as(client, make_user())

    response = client.post("/my/shops/new", data=shop_form(name="Cafe\u0301\u200b美好", address="转塘直街\ufeff88号"))

    assert response.status_code == 302
    shop = db.session.scalars(select(Merchant)).one()
    assert (shop.name, shop.address) == ("Café美好", "转塘直街88号")


def test_english_readers_get_the_message_in_english(client):
    client.get("/lang/en")

    response = client.post("/register", data={"display_name": "Wang\u202e", "phone": "13800138000"})

    assert "Character 5 is an invisible control character" in response.get_data(as_text=True)


def test_a_nested_form_row_gets_the_same_filter(app):
    from registry.pledges.forms import PledgeDraftForm

    fields = {"title": "诚信承诺", "preamble": "我承诺：", "clauses-0-kind": "", "clauses-0-text": "明码\u200b标价\u202e",
              "clauses-0-text_en": "Prices\r\nshown"}
    with app.test_request_context("/", method="POST", data=fields):
        form = PledgeDraftForm(formdata=MultiDict(fields), meta={"csrf": False})
        form.validate()

    assert form.errors == {"clauses": [{"text": [refused_message(5)]}]}
    assert form.clauses[0].text.data == "明码标价\u202e" and form.clauses[0].text_en.data == "Prices\r\nshown"
