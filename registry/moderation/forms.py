"""Input shapes of the moderation forms; the rules are in moderation.flags, sanctions and appeals."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import DateInput

from registry.complaints.labels import CLAUSE_LABELS
from registry.forms import RegistryForm
from registry.pagination import ID_MAX, bounded_integer

REASON_HINT = _l("消费者在公示页上会看到这段话。写明事实，不要写消费者姓名、电话等个人信息。最多 200 字。")


def parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _valid_date(_form, field) -> None:
    if (field.data or "").strip() and parse_date(field.data) is None:
        raise ValidationError(_l("请按“2027-01-31”的格式填写日期。"))


def _flag_id(form) -> int | None:
    value = (form.flag_id.data or "").strip()
    return bounded_integer(value, 1, ID_MAX)


class _SanctionForm(RegistryForm):
    clause_kind = SelectField(_l("违反的承诺"), choices=[SelectChoice("", _l("请选择"))]
                              + [SelectChoice(value, label) for value, label in CLAUSE_LABELS.items()],
                              validators=[DataRequired(message=_l("请选择违反的承诺条款。"))])
    public_reason = TextAreaField(_l("公开说明"), description=REASON_HINT, validators=[
        DataRequired(message=_l("请填写公开说明：消费者在公示页上会看到它。")),
        Length(max=200, message=_l("公开说明最多 %(max)d 个字。"))])
    internal_note = TextAreaField(_l("内部备注（仅工作人员可见）"), validators=[
        Length(max=2000, message=_l("最多 %(max)d 个字。"))])
    # The flag this decision answers, when staff came from one.
    flag_id = HiddenField()

    def flag(self) -> int | None:
        return _flag_id(self)


class WarningForm(_SanctionForm):
    submit = SubmitField(_l("发布警示"))


class SuspensionForm(_SanctionForm):
    ends = RadioField(_l("暂停到"), choices=[SelectChoice("date", _l("指定日期（到期自动恢复）")),
                                           SelectChoice("rectified", _l("整改后恢复（由工作人员恢复）"))],
                      default="date", validators=[InputRequired(message=_l("请选择暂停到何时。"))])
    until = StringField(_l("暂停至（含当天）"), widget=DateInput(), validators=[_valid_date],
                        description=_l("选择“指定日期”时必填，这一天结束后自动恢复。"))
    submit = SubmitField(_l("暂停诚信码"))

    def until_date(self) -> date | None:
        return parse_date(self.until.data)


class RevocationForm(_SanctionForm):
    submit = SubmitField(_l("提出撤销（需另一位工作人员批准）"))


class ReinstateForm(RegistryForm):
    public_reason = TextAreaField(_l("公开说明"), description=_l("例如：已完成整改，经复查合格。消费者在公示页上会看到。"),
                                  validators=[DataRequired(message=_l("请填写公开说明：消费者在公示页上会看到它。")),
                                              Length(max=200, message=_l("公开说明最多 %(max)d 个字。"))])
    internal_note = TextAreaField(_l("内部备注（仅工作人员可见）"),
                                  validators=[Length(max=2000, message=_l("最多 %(max)d 个字。"))])
    submit = SubmitField(_l("整改后恢复"))


class RaiseFlagForm(RegistryForm):
    reason = TextAreaField(_l("需要关注的原因"), validators=[
        DataRequired(message=_l("请写明需要关注的原因。")), Length(max=200, message=_l("最多 %(max)d 个字。"))])
    submit = SubmitField(_l("标记这家店铺"))


class DismissFlagForm(RegistryForm):
    note = TextAreaField(_l("排除理由"), description=_l("为什么不需要处理，例如：经核实为同一消费者重复提交。"),
                         validators=[DataRequired(message=_l("请说明为什么不需要处理。")),
                                     Length(max=2000, message=_l("最多 %(max)d 个字。"))])
    submit = SubmitField(_l("排除标记"))


class ApproveForm(RegistryForm):
    """Approving a proposed revocation: only the CSRF token is submitted."""

    submit = SubmitField(_l("批准撤销"))


class RejectForm(RegistryForm):
    note = TextAreaField(_l("不批准的理由"), validators=[
        DataRequired(message=_l("请说明不批准的理由。")), Length(max=2000, message=_l("最多 %(max)d 个字。"))])
    submit = SubmitField(_l("不批准"))


class DecideAppealForm(RegistryForm):
    decision = RadioField(_l("审理结果"), choices=[SelectChoice("uphold", _l("维持原决定")),
                                               SelectChoice("grant", _l("申诉成立，撤销该处理"))],
                          validators=[InputRequired(message=_l("请选择审理结果。"))])
    note = TextAreaField(_l("处理说明"), description=_l("商家会看到这段说明。"), validators=[
        DataRequired(message=_l("请填写处理说明，商家会看到它。")), Length(max=2000, message=_l("最多 %(max)d 个字。"))])
    internal_note = TextAreaField(_l("内部说明（仅工作人员可见）"), validators=[
        Optional(), Length(max=2000, message=_l("最多 %(max)d 个字。"))])
    submit = SubmitField(_l("提交审理结果"))


class AppealForm(RegistryForm):
    text = TextAreaField(_l("申诉理由"), description=_l("说明您认为处理不当的原因，以及已经采取的整改措施。每项处理只能申诉一次。"),
                         validators=[DataRequired(message=_l("请填写申诉理由。")),
                                     Length(max=2000, message=_l("申诉理由最多 %(max)d 个字。"))])
    photos = MultipleFileField(_l("证明照片（可选，最多 3 张）"),
                               description=_l("例如：进货票据、整改后的店面。支持 JPG、PNG、WebP。"))
    submit = SubmitField(_l("提交申诉"))


class ReportForm(RegistryForm):
    """The consumer's report on the QR page that the badge does not belong to this shop."""

    note = StringField(_l("在哪里看到这个诚信码？（可选）"), validators=[
        Optional(), Length(max=200, message=_l("最多 %(max)d 个字。"))])
    serial = HiddenField()
    submit = SubmitField(_l("报告"))


def whole_number(text: str | None) -> int | None:
    value = (text or "").strip()
    return bounded_integer(value, 0, 999_999)


def _whole_number(_form, field) -> None:
    # A text field (not IntegerField) so our own message is shown and a mistyped value stays as typed.
    if whole_number(field.data) is None:
        raise ValidationError(_l("请填写整数。"))


class FlagRuleForm(RegistryForm):
    enabled = BooleanField(_l("启用"))
    threshold = StringField(_l("达到件数"), validators=[_whole_number])
    window_days = StringField(_l("时间范围"), validators=[_whole_number])
    submit = SubmitField(_l("保存"))


class StatementForm(RegistryForm):
    """The shop's public statement beside a sanction (moderation.statements)."""

    body = TextAreaField(_l("您的说明"), description=_l("消费者会在公示页上这项处理旁看到它。最多 200 字；不要写任何人的电话、身份证号等个人信息。"),
                         validators=[DataRequired(message=_l("请填写说明。")),
                                     Length(max=200, message=_l("说明最多 %(max)d 个字。"))])
    version = HiddenField()
    submit = SubmitField(_l("发布说明"))

    def expected_version(self) -> int | None:
        value = (self.version.raw_data or [""])[0].strip()
        return bounded_integer(value, 0, ID_MAX) if value else None


class RepairForm(RegistryForm):
    """A credit repair application (moderation.repairs)."""

    text = TextAreaField(_l("整改情况"), description=_l("说明违反承诺的原因、已经采取的整改措施和今后如何避免。只有工作人员能看到。"),
                         validators=[DataRequired(message=_l("请填写整改情况。")),
                                     Length(max=2000, message=_l("最多 %(max)d 个字。"))])
    photos = MultipleFileField(_l("整改证明照片（1 至 3 张）"),
                               description=_l("例如：整改后的店面、进货票据、培训记录。支持 JPG、PNG、WebP。"))
    submit = SubmitField(_l("提交信用修复申请"))


class DecideRepairForm(RegistryForm):
    decision = RadioField(_l("审核结果"), choices=[SelectChoice("grant", _l("准予修复，提前结束这项处理的公示")),
                                               SelectChoice("refuse", _l("不予修复"))],
                          validators=[InputRequired(message=_l("请选择审核结果。"))])
    note = TextAreaField(_l("处理说明"), description=_l("商家会看到这段说明（短信和店铺页面）。"), validators=[
        DataRequired(message=_l("请填写处理说明，商家会看到它。")), Length(max=2000, message=_l("最多 %(max)d 个字。"))])
    internal_note = TextAreaField(_l("内部备注（仅工作人员可见）"), validators=[
        Optional(), Length(max=2000, message=_l("最多 %(max)d 个字。"))])
    submit = SubmitField(_l("提交审核结果"))


class ApproveRepairForm(RegistryForm):
    """The second officer approves a revoked shop's repair: only the CSRF token is submitted."""

    submit = SubmitField(_l("批准信用修复"))


class ApproveStatementForm(RegistryForm):
    submit = SubmitField(_l("公开这条说明"))


class HideStatementForm(RegistryForm):
    reason = StringField(_l("公开的隐藏原因"), description=_l("消费者会看到这个原因，代替商家的说明。"), validators=[
        DataRequired(message=_l("请填写公开的隐藏原因。")), Length(max=200, message=_l("最多 %(max)d 个字。"))])
    submit = SubmitField(_l("隐藏这条说明"))
