"""Input shapes of the public look-up forms (GET forms carry no CSRF token: they change nothing)."""

from flask_babel import lazy_gettext as _l
from wtforms import SearchField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from registry.forms import RegistryForm


class SearchForm(RegistryForm):
    class Meta:
        csrf = False

    q = SearchField(_l("店名或统一社会信用代码"), validators=[
        Length(max=50, message=_l("最多输入 50 个字，现在有 %(length)d 个。店名中的两三个字就能找到店铺。"))])
    district = SelectField(_l("区/县"), choices=[], validate_choice=False)


class VerifyForm(RegistryForm):
    class Meta:
        csrf = False

    code = StringField(_l("8 位验证码"), validators=[DataRequired(message=_l("请输入海报二维码下方的 8 位验证码。"))],
                       description=_l("印在诚信码下方，例如 K7M2-Q9TX，不区分大小写"))


class VerifyLinkForm(RegistryForm):
    """A scanned badge URL, checked offline against the published keys (badges.offline)."""

    class Meta:
        csrf = False

    url = StringField(_l("扫码得到的链接"), validators=[
        DataRequired(message=_l("请粘贴扫描诚信码得到的完整链接。")), Length(max=400)],
        description=_l("以 /m/ 开头的链接，含 s= 和 v= 两部分"))
