"""Input shape of the shop form; the rules are in merchants.services."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, DateField, HiddenField, RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from registry.forms import RegistryForm
from registry.merchants.labels import CATEGORY_LABELS
from registry.merchants.models import LICENCE_ON_SITE, LICENCE_PHOTO
from registry.merchants.services import ShopDetails


def _required(label):
    return [DataRequired(message=_l("请填写%(label)s。", label=label))]


class ShopForm(RegistryForm):
    name = StringField(_l("店铺名称"), validators=_required(_l("店铺名称")) + [Length(max=100)],
                       description=_l("与门头招牌一致，例如：美好生活超市"))
    credit_code = StringField(_l("统一社会信用代码"), validators=_required(_l("统一社会信用代码")),
                              description=_l("营业执照上的 18 位代码，字母大小写、全角半角都可以"))
    category = SelectField(_l("类别"), choices=[SelectChoice("", _l("请选择"))]
                           + [SelectChoice(value, label) for value, label in CATEGORY_LABELS.items()],
                           validators=[DataRequired(message=_l("请选择店铺类别。"))])
    # Choices come from the managed list (areas.forms); the service checks the pair.
    district = SelectField(_l("区/县"), validators=[DataRequired(message=_l("请选择区/县。"))], validate_choice=False)
    township = SelectField(_l("乡镇/街道"), validators=[DataRequired(message=_l("请选择乡镇/街道。"))],
                           validate_choice=False, description=_l("按所选区县分组，请在该区县下选择"))
    address = StringField(_l("详细地址"), validators=_required(_l("详细地址")) + [Length(max=200)])
    owner_name = StringField(_l("经营者姓名"), validators=_required(_l("经营者姓名")) + [Length(max=64)])
    contact_phone = StringField(_l("联系电话（手机）"), validators=_required(_l("联系电话")),
                                description=_l("11 位手机号，用于消费者协会联系您，不会公开"))
    version = HiddenField()
    submit = SubmitField(_l("保存"))

    def details(self) -> ShopDetails:
        return ShopDetails(
            name=self.name.data or "", credit_code=self.credit_code.data or "", category=self.category.data or "",
            district=(self.district.data if "district" in self else None) or "", township=self.township.data or "",
            address=self.address.data or "",
            contact_phone=self.contact_phone.data or "", owner_name=self.owner_name.data or "",
        )


class OwnerShopForm(ShopForm):
    """The owner's edit form: the district is fixed once registered (staff move shops), so it has no field."""

    district = None


class MoveShopForm(RegistryForm):
    """Staff move a shop to another district or township."""

    district = SelectField(_l("区/县"), validators=[DataRequired(message=_l("请选择区/县。"))], validate_choice=False)
    township = SelectField(_l("乡镇/街道"), validators=[DataRequired(message=_l("请选择乡镇/街道。"))],
                           validate_choice=False, description=_l("按所选区县分组，请在该区县下选择"))
    version = HiddenField()
    submit = SubmitField(_l("保存所在区县和乡镇"))


class LicenceCheckForm(RegistryForm):
    """An officer records that the business licence was seen and matches (merchants.licences)."""

    method = RadioField(_l("怎样看到的营业执照"), choices=[
        SelectChoice(LICENCE_ON_SITE, _l("上门时现场查看原件")), SelectChoice(LICENCE_PHOTO, _l("查看营业执照照片（请上传）"))],
        validators=[InputRequired(message=_l("请选择核验方式。"))])
    checked_on = DateField(_l("查看执照的日期"), validators=[InputRequired(message=_l("请填写查看执照的日期。"))])
    name_matches = BooleanField(_l("执照上的名称与登记的店铺名称一致"))
    code_matches = BooleanField(_l("执照上的统一社会信用代码与登记的一致"))
    photos = MultipleFileField(_l("营业执照照片（最多 2 张，仅工作人员可见）"))
    note = StringField(_l("内部备注（可选，不公开）"), validators=[Length(max=200)])
    submit = SubmitField(_l("标记为已核验"))


class WithdrawLicenceForm(RegistryForm):
    reason = StringField(_l("撤回原因（内部记录）"), validators=[
        DataRequired(message=_l("请写明撤回原因。")), Length(max=200)])
    submit = SubmitField(_l("撤回核验"))
