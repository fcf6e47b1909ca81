"""Input shapes for login, registration and passwords, and for the administrators' account pages."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from registry.forms import RegistryForm


class LoginForm(RegistryForm):
    login = StringField(_l("手机号或邮箱"), validators=[DataRequired(message=_l("请输入手机号或邮箱。"))])
    password = PasswordField(_l("密码"), validators=[DataRequired(message=_l("请输入密码。"))])
    submit = SubmitField(_l("登录"))


_PASSWORD_HINT = _l("至少 8 个字符，可用一句容易记住的话；不能是常见密码，也不能包含手机号或邮箱。")


def _new_password_fields(label):
    """The new password, typed twice (passwords are never sent back to the browser)."""
    return (
        PasswordField(label, description=_PASSWORD_HINT, validators=[
            DataRequired(message=_l("请输入密码。")), Length(max=128, message=_l("密码最多 128 个字符。"))]),
        PasswordField(_l("再次输入密码"), validators=[
            DataRequired(message=_l("请再次输入密码。")), EqualTo("password", message=_l("两次输入的密码不一致。"))]),
    )


def _phone_field(description):
    return StringField(_l("手机号"), description=description,
                       validators=[DataRequired(message=_l("请输入手机号码。")), Length(max=32)])


def _code_field():
    return StringField(_l("短信验证码"), validators=[DataRequired(message=_l("请输入验证码。")), Length(max=16)])


class RegisterForm(RegistryForm):
    """Step 1: who is registering, and the mobile number the code goes to."""

    display_name = StringField(
        _l("您的姓名"),
        validators=[DataRequired(message=_l("请填写姓名。")), Length(max=64, message=_l("姓名最多 64 个字符。"))],
    )
    phone = _phone_field(_l("用于登录和找回密码。我们会发一条短信验证码确认这是您的手机。"))
    submit = SubmitField(_l("获取验证码"))


class RegisterConfirmForm(RegistryForm):
    """Step 2: the code from the SMS and the password."""

    code = _code_field()
    password, password_again = _new_password_fields(_l("密码"))
    submit = SubmitField(_l("注册"))


class ChangePasswordForm(RegistryForm):
    current_password = PasswordField(_l("当前密码"), validators=[DataRequired(message=_l("请输入当前密码。"))])
    password, password_again = _new_password_fields(_l("新密码"))
    submit = SubmitField(_l("修改密码"))


class ForgotPasswordForm(RegistryForm):
    phone = _phone_field(_l("注册时验证过的手机号。"))
    submit = SubmitField(_l("获取验证码"))


class ResetPasswordForm(RegistryForm):
    code = _code_field()
    password, password_again = _new_password_fields(_l("新密码"))
    submit = SubmitField(_l("重设密码"))


ROLE_LABELS = {"merchant": _l("商户"), "staff": _l("工作人员"), "admin": _l("管理员")}


class UserSearchForm(RegistryForm):
    """The filters above the account list (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("登录名或姓名"))
    role = SelectField(_l("角色"), choices=[SelectChoice("", _l("全部角色"))]
                       + [SelectChoice(value, label) for value, label in ROLE_LABELS.items()], validate_choice=False)
    district = SelectField(_l("区县"), validate_choice=False)
    enabled = SelectField(_l("状态"), choices=[SelectChoice("", _l("全部")), SelectChoice("yes", _l("正常")),
                                               SelectChoice("no", _l("已停用"))], validate_choice=False)


class StaffForm(RegistryForm):
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


class RoleForm(RegistryForm):
    role = SelectField(_l("角色"), choices=[SelectChoice(value, label) for value, label in ROLE_LABELS.items()],
                       validators=[DataRequired(message=_l("请选择角色。"))], validate_choice=False)
    district = SelectField(_l("负责区县（可选）"), validate_choice=False,
                           description=_l("只对工作人员和管理员有效；不选表示负责全部区县。"))
    submit = SubmitField(_l("保存角色和区县"))


class TemporaryPasswordForm(RegistryForm):
    password = PasswordField(_l("临时密码"), description=_l("至少 8 个字符。请当面或电话告知本人；本人下次登录时必须改成自己的密码。"),
                             validators=[DataRequired(message=_l("请输入密码。")),
                                         Length(max=128, message=_l("密码最多 128 个字符。"))])
    submit = SubmitField(_l("设置临时密码"))


class ActionForm(RegistryForm):
    """A button that changes something: only the CSRF token is submitted."""

    submit = SubmitField(_l("确定"))
