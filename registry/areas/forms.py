"""Input shape of the list's admin forms, and the district/township choices every other form offers."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from registry.areas.services import AreaList
from registry.forms import RegistryForm


class NewAreaForm(RegistryForm):
    """A district or a township to add: its name and the other spellings it answers to."""

    name = StringField(_l("名称"), validators=[DataRequired(message=_l("请填写名称。")),
                                               Length(max=64, message=_l("名称最多 %(max)d 个字。", max=64))])
    aliases = TextAreaField(_l("其他写法（可选）"), render_kw={"rows": 2},
                            description=_l("每行一个，例如旧称或简称。空格、全角半角和“区/县/街道/镇”等后缀不用列出，已自动识别。"))
    submit = SubmitField(_l("添加"))


class AreaForm(NewAreaForm):
    """An entry on the list: also whether it is still offered."""

    is_active = BooleanField(_l("启用（在表单和导入中可以选择）"), default=True)
    submit = SubmitField(_l("保存"))


class DivisionCodeForm(RegistryForm):
    """The district's administrative division code, against which shops' credit codes are checked."""

    division_code = StringField(_l("行政区划代码"), validators=[Length(max=12)],
                                description=_l("6 位数字（GB/T 2260），例如西湖区 330106。填写后，登记店铺时会核对统一社会信用代码"
                                               "第 3–8 位（登记机关所在地）是否属于本市；留空则不核对。"))
    submit = SubmitField(_l("保存代码"))


def district_choices(area_list: AreaList, keep: str | None = None, blank: str | None = None) -> list[tuple[str, str]]:
    """Active districts (plus `keep`, the value already stored, even if retired) for a select."""
    choices = [(d.name, d.name) for d in area_list.districts if d.is_active or d.name == keep]
    return ([("", blank)] if blank is not None else []) + choices


def township_choices(area_list: AreaList, only: str | None = None,
                     keep: tuple[str, str] | None = None) -> dict[str | None, list[tuple[str, str]]]:
    """Townships grouped by district (one <optgroup> each), so a phone shows them under their district
    without JavaScript; `only` limits them to one district, `keep` adds the stored (district, township)."""
    groups: dict[str | None, list[tuple[str, str]]] = {None: [("", _("请选择乡镇/街道"))]}
    for district in area_list.districts:
        if only is not None and district.name != only:
            continue
        if not district.is_active and (keep is None or keep[0] != district.name):
            continue
        names = [t.name for t in district.townships if t.is_active or (keep and keep == (district.name, t.name))]
        if names:
            groups[district.name] = [(name, name) for name in names]
    return groups
