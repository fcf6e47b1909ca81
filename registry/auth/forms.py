"""Input shapes for login and registration."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
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
