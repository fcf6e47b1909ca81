"""Input shapes for login and registration, and for the administrators' account pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    login = StringField(_l("手机号或邮箱"), validators=[DataRequired(message=_l("请输入手机号或邮箱。"))])
    password = PasswordField(_l("密码"), validators=[DataRequired(message=_l("请输入密码。"))])
    submit = SubmitField(_l("登录"))


class RegisterForm(FlaskForm):
    display_name = StringField(
        _l("您的姓名"),
        validators=[DataRequired(message=_l("请填写姓名。")), Length(max=64, message=_l("姓名最多 64 个字符。"))],
    )
    login = StringField(
        _l("手机号或邮箱"),
        description=_l("用于登录，例如 13800138000。"),
        validators=[DataRequired(message=_l("请输入手机号或邮箱。")), Length(max=254)],
    )
    password = PasswordField(
        _l("密码"),
        description=_l("至少 8 个字符，可用一句容易记住的话。"),
        validators=[DataRequired(message=_l("请输入密码。")), Length(max=128, message=_l("密码最多 128 个字符。"))],
    )
    password_again = PasswordField(
        _l("再次输入密码"),
        validators=[DataRequired(message=_l("请再次输入密码。")), EqualTo("password", message=_l("两次输入的密码不一致。"))],
    )
    submit = SubmitField(_l("注册"))


ROLE_LABELS = {"merchant": _l("商户"), "staff": _l("工作人员"), "admin": _l("管理员")}


class UserSearchForm(FlaskForm):
    """The filters above the account list (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("登录名或姓名"))
    role = SelectField(_l("角色"), choices=[SelectChoice("", _l("全部角色"))]
                       + [SelectChoice(value, label) for value, label in ROLE_LABELS.items()], validate_choice=False)
    district = SelectField(_l("区县"), validate_choice=False)
    enabled = SelectField(_l("状态"), choices=[SelectChoice("", _l("全部")), SelectChoice("yes", _l("正常")),
                                               SelectChoice("no", _l("已停用"))], validate_choice=False)


class StaffForm(FlaskForm):
    display_name = StringField(_l("姓名"), validators=[
        DataRequired(message=_l("请填写姓名。")), Length(max=64, message=_l("姓名最多 64 个字符。"))])
    login = StringField(_l("登录名（手机号或邮箱）"),
                        validators=[DataRequired(message=_l("请输入手机号或邮箱。")), Length(max=254)])
    role = SelectField(_l("角色"), choices=[SelectChoice("staff", ROLE_LABELS["staff"]),
                                            SelectChoice("admin", ROLE_LABELS["admin"])],
                       validators=[DataRequired(message=_l("请选择角色。"))], validate_choice=False)
    district = SelectField(_l("负责区县（可选）"), validate_choice=False,
                           description=_l("选择后，该工作人员只能处理这个区县的投诉和咨询；不选表示负责全部区县。"))
    password = PasswordField(_l("初始密码"), description=_l("至少 8 个字符。请当面或电话告知本人，并提醒其登录后妥善保管。"),
                             validators=[DataRequired(message=_l("请输入密码。")),
                                         Length(max=128, message=_l("密码最多 128 个字符。"))])
    submit = SubmitField(_l("创建账户"))


class RoleForm(FlaskForm):
    role = SelectField(_l("角色"), choices=[SelectChoice(value, label) for value, label in ROLE_LABELS.items()],
                       validators=[DataRequired(message=_l("请选择角色。"))], validate_choice=False)
    district = SelectField(_l("负责区县（可选）"), validate_choice=False,
                           description=_l("只对工作人员和管理员有效；不选表示负责全部区县。"))
    submit = SubmitField(_l("保存角色和区县"))


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token is submitted."""

    submit = SubmitField(_l("确定"))
