"""Input shapes of the owner's shop desk; the rules are in badges.services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SubmitField
from wtforms.validators import InputRequired

from registry.forms import RegistryForm


class ReissueForm(RegistryForm):
    """Re-issuing voids every printed poster, so the owner ticks that they understand before it happens."""

    understood = BooleanField(_l("我知道：已经打印、张贴或发出去的旧诚信码会立即作废，需要换上新海报"),
                              validators=[InputRequired(message=_l("请先勾选确认，旧码作废后无法恢复。"))])
    submit = SubmitField(_l("确认重新签发"))
