"""The base of every form in the registry: one input filter for all typed text (rules in registry/text.py).

Typed fields (one-line, multi-line, passwords) are checked as they validate: a control character, a bidi
override or isolate — or a line break outside a multi-line field — gets a message next to the field, and
the field keeps what was typed, so nothing is lost. Their text is tidied first (NFC, zero-width characters
dropped), except passwords, which are compared as typed. Fields no one types (hidden fields, choices,
dates, numbers) carrying such characters come from tools, not people: the request is refused with the
usual 400 page, as the site-wide guard in registry/web.py refuses them in query strings.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form
from wtforms.fields import FileField, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.meta import DefaultMeta
from wtforms.validators import ValidationError

from registry.text import first_refused, is_line_break, tidy
from registry.web import UnusableText

ONE_LINE_MESSAGE = _l("这一栏只能填写一行，请删除换行或制表符。")


def _tidy(value):
    return tidy(value) if isinstance(value, str) else value


def is_typed(field) -> bool:
    return isinstance(field, StringField) and not isinstance(field, HiddenField)


class RefuseInvisibleCharacters:
    """Added to every field's validators: names the first refused character of what was sent."""

    def __init__(self, multi_line: bool):
        self.multi_line = multi_line

    def __call__(self, form, field) -> None:
        values = [field.data] if isinstance(field.data, str) else []
        values += [v for v in field.raw_data or () if isinstance(v, str)]
        for value in values:
            index = first_refused(value, multi_line=self.multi_line)
            if index is None:
                continue
            if not is_typed(field):
                raise UnusableText(field.name)
            if is_line_break(value[index]):
                raise ValidationError(ONE_LINE_MESSAGE)
            raise ValidationError(_l("第 %(position)d 个字符是看不见的控制符号，请删除后再提交。", position=index + 1))


class FilteredTextMeta(DefaultMeta):
    """Installs the filter on each field as the form binds it."""

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        if isinstance(field, FileField):
            return field  # file names are cleaned where shown (complaints/evidence.py)
        if is_typed(field) and not isinstance(field, PasswordField):
            field.filters = (*field.filters, _tidy)
        field.validators = [*field.validators, RefuseInvisibleCharacters(isinstance(field, TextAreaField))]
        return field


class RegistryForm(FlaskForm):
    """Every form of the app derives from this one (tests/test_forms.py checks)."""

    class Meta(FilteredTextMeta):
        pass


class RegistrySubform(Form):
    """A form nested inside a RegistryForm (FormField): the same filter, no CSRF token of its own."""

    Meta = FilteredTextMeta
