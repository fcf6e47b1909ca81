"""Input shapes of the complaint forms; the rules are in complaints.filing and complaints.handling."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import (BooleanField, DateField, DateTimeLocalField, DecimalField, HiddenField, RadioField,
                     SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from registry.complaints.labels import (CHANNEL_LABELS, CLAUSE_LABELS, CONSENT_LABELS, DEMAND_LABELS, NO_CLAUSE_LABEL,
                                       REFUSAL_GROUND_LABELS)
from registry.forms import RegistryForm
from registry.pledges.models import OTHER_CLAUSE, PledgeVersion

AMOUNT_MESSAGE = _l("请填写金额（元），最多两位小数，没有可填 0。")


def to_cents(value: Decimal | None) -> int | None:
    return None if value is None else int((value * 100).to_integral_value())


def _choices(pairs) -> list[SelectChoice]:
    # WTForms 3.3 deprecates (value, label) tuples (removed in 3.4); the other forms use SelectChoice too.
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PhoneForm(RegistryForm):
    phone = StringField(_l("手机号"), validators=[DataRequired(message=_l("请填写手机号。"))],
                        description=_l("用于接收验证码和投诉进展，不会公开"))
    send = SubmitField(_l("发送验证码"))


class CodeForm(RegistryForm):
    phone = HiddenField()
    code = StringField(_l("短信验证码"), validators=[DataRequired(message=_l("请填写短信里的 6 位验证码。"))])
    confirm = SubmitField(_l("确认"))


class ComplaintForm(RegistryForm):
    # The choices are the clauses of the pledge the shop signed (offer_clauses), then "other".
    clause = RadioField(_l("商家违反了哪一条承诺？"), choices=[],
                        validators=[InputRequired(message=_l("请选择商家违反了哪一条承诺。"))])
    description = TextAreaField(_l("发生了什么？"), validators=[
        DataRequired(message=_l("请说明发生了什么。")), Length(max=2000, message=_l("最多 2000 个字。"))],
        description=_l("时间、商品或服务、经过。请不要写身份证号等无关的个人信息。"))
    purchase_date = DateField(_l("购买/消费日期"), validators=[InputRequired(message=_l("请填写购买或消费日期。"))])
    amount = DecimalField(_l("涉及金额（元）"), places=2, validators=[
        InputRequired(message=AMOUNT_MESSAGE), NumberRange(min=0, max=100_000_000, message=AMOUNT_MESSAGE)])
    demands = MultiCheckboxField(_l("您的诉求"), choices=_choices(DEMAND_LABELS.items()), validate_choice=False)
    consumer_name = StringField(_l("您的姓名"), validators=[
        DataRequired(message=_l("请填写您的姓名。")), Length(max=64, message=_l("最多 64 个字。"))],
        description=_l("公开页面不会显示您的姓名"))
    photos = MultipleFileField(_l("证据照片（可选，最多 6 张）"),
                               description=_l("小票、商品、标价签等照片，JPEG/PNG/WebP，每张不超过 10 MB；仅工作人员可见"))
    privacy_consent = BooleanField(_l("我已阅读上面的个人信息处理说明，同意为处理本投诉收集和使用我的信息"))
    share_phone_consent = BooleanField(_l("同意把我的手机号告诉商家，方便商家直接联系我（可不选）"))
    submission_key = HiddenField()
    submit = SubmitField(_l("提交投诉"))

    def offer_clauses(self, version: PledgeVersion | None, english: bool) -> None:
        """Offer each clause of `version` by its number (English readers see its English rendering), then
        OTHER_CLAUSE for a problem none of them covers."""
        clauses = version.clauses if version is not None else []
        self.clause.choices = [SelectChoice(str(c.number), c.text_en if english and c.text_en else c.text)
                               for c in clauses] + [SelectChoice(OTHER_CLAUSE, NO_CLAUSE_LABEL)]


class AddInformationForm(RegistryForm):
    body = TextAreaField(_l("补充说明"), validators=[DataRequired(message=_l("请填写补充内容。")), Length(max=2000)])
    submit = SubmitField(_l("提交补充说明"))


class RespondToOfferForm(RegistryForm):
    decision = RadioField(_l("您是否接受商家的处理方案？"), choices=_choices([
        ("accept", _l("接受，问题已解决")), ("reject", _l("不接受，请求消费者协会调解"))]),
        validators=[InputRequired(message=_l("请选择是否接受。"))])
    comment = TextAreaField(_l("说明（可选）"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("提交"))


class WithdrawForm(RegistryForm):
    reason = TextAreaField(_l("撤回原因（可选）"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("撤回投诉"))


class FollowupForm(RegistryForm):
    resolved = RadioField(_l("您的问题解决了吗？"), choices=_choices([("yes", _l("已解决")), ("no", _l("没有解决"))]),
                          validators=[InputRequired(message=_l("请选择问题是否已经解决。"))])
    satisfaction = RadioField(_l("您对处理过程满意吗？"), coerce=int, choices=_choices([
        (5, _l("非常满意")), (4, _l("满意")), (3, _l("一般")), (2, _l("不满意")), (1, _l("非常不满意"))]),
        validators=[InputRequired(message=_l("请选择满意程度。"))])
    comment = TextAreaField(_l("还有什么想说的（可选）"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("提交回访"))


class MerchantReplyForm(RegistryForm):
    body = TextAreaField(_l("公开回复"), validators=[DataRequired(message=_l("请填写回复内容。")), Length(max=2000)],
                         description=_l("回复会显示在店铺的公示页上"))
    offer = TextAreaField(_l("处理方案（可选）"), validators=[Optional(), Length(max=500)],
                          description=_l("例如：全额退款并赔礼道歉；消费者可以选择接受或申请调解"))
    offer_amount = DecimalField(_l("退赔金额（元，可选）"), places=2, validators=[
        Optional(), NumberRange(min=0, max=100_000_000, message=AMOUNT_MESSAGE)])
    submit = SubmitField(_l("提交回复"))


class _StaffForm(RegistryForm):
    # The complaint version the officer saw; a stale one means someone else acted first.
    version = HiddenField()


class AcceptForm(_StaffForm):
    public_summary = TextAreaField(_l("公开摘要"), validators=[
        DataRequired(message=_l("请填写公开摘要（不含消费者姓名、电话等个人信息）。")), Length(max=200)],
        description=_l("由工作人员撰写，显示在店铺公示页和开放接口上。请用自己的话概括发生了什么（公示页已在摘要前写明"
                       "涉及的承诺，不必重复），不要照抄消费者的原话，不要写姓名、电话、证件号、车牌等个人信息。"))
    submit = SubmitField(_l("受理并转交商家"))


class RefuseForm(_StaffForm):
    ground = SelectField(_l("不予受理的依据"), choices=_choices([("", _l("请选择"))] + list(REFUSAL_GROUND_LABELS.items())),
                         validators=[DataRequired(message=_l("请选择不予受理的依据。"))])
    explanation = TextAreaField(_l("给消费者的说明"), validators=[
        DataRequired(message=_l("请向消费者说明不予受理的原因。")), Length(max=2000)])
    submit = SubmitField(_l("不予受理"))


class ScheduleMediationForm(_StaffForm):
    when = DateTimeLocalField(_l("调解时间"), format="%Y-%m-%dT%H:%M",
                              validators=[InputRequired(message=_l("请填写调解时间。"))])
    place = StringField(_l("地点或方式"), validators=[DataRequired(message=_l("请填写调解地点或方式（如：电话调解）。")),
                                                  Length(max=200)])
    note = TextAreaField(_l("备注（仅工作人员可见）"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("安排调解"))


class RecordMediationForm(_StaffForm):
    outcome = RadioField(_l("调解结果"), choices=_choices([("mediated", _l("调解成功")), ("failed", _l("调解未成功"))]),
                         validators=[InputRequired(message=_l("请选择调解结果。"))])
    amount_recovered = DecimalField(_l("挽回经济损失（元）"), places=2, validators=[
        Optional(), NumberRange(min=0, max=100_000_000, message=AMOUNT_MESSAGE)])
    terms = TextAreaField(_l("结果说明"), validators=[DataRequired(message=_l("请填写调解结果说明。")), Length(max=2000)])
    submit = SubmitField(_l("记录结果并办结"))


class StaffNoteForm(_StaffForm):
    body = TextAreaField(_l("工作备注（仅工作人员可见）"), validators=[DataRequired(message=_l("请填写备注内容。")),
                                                                Length(max=2000)])
    submit = SubmitField(_l("添加备注"))


class HideReplyForm(RegistryForm):
    # The page pre-fills 已隐藏：含个人信息; no default here, so an empty post hides nothing.
    reason = StringField(_l("公开的隐藏原因"), validators=[
        DataRequired(message=_l("请填写公开的隐藏原因。")), Length(max=200, message=_l("最多 200 个字。"))])
    submit = SubmitField(_l("对公众隐藏这条回复"))


class LeaveForm(RegistryForm):
    """我的投诉: forget the confirmed phone on this browser."""

    submit = SubmitField(_l("退出"))


class CallBackForm(_StaffForm):
    reached = RadioField(_l("是否联系上消费者"), choices=_choices([("yes", _l("已联系上")), ("no", _l("未接通或无法联系"))]),
                         validators=[InputRequired(message=_l("请选择是否联系上消费者。"))])
    resolved = SelectField(_l("问题是否解决"), choices=_choices([("", _l("（未联系上时不填）")), ("yes", _l("已解决")),
                                                             ("no", _l("没有解决"))]), validators=[Optional()])
    satisfaction = SelectField(_l("满意程度"), choices=_choices([("", _l("（未联系上时不填）")), ("5", _l("5 分 非常满意")),
                                                              ("4", _l("4 分 满意")), ("3", _l("3 分 一般")),
                                                              ("2", _l("2 分 不满意")), ("1", _l("1 分 非常不满意"))]),
                               validators=[Optional()])
    remarks = TextAreaField(_l("回访备注（仅工作人员可见，不会告知消费者或商家）"),
                            validators=[Optional(), Length(max=500, message=_l("最多 500 个字。"))])
    submit = SubmitField(_l("记录回访"))

    def answers(self) -> tuple[bool | None, bool | None, int | None]:
        """(reached, resolved, satisfaction) as the service takes them; None where nothing was chosen."""
        yes_no = {"yes": True, "no": False}
        score = self.satisfaction.data
        return (yes_no.get(self.reached.data), yes_no.get(self.resolved.data),
                int(score) if score and score.isdigit() else None)


class IntakeForm(RegistryForm):
    """Staff register a complaint received by phone, letter, visit or another platform (complaints.intake)."""

    channel = RadioField(_l("收到方式"), choices=[], validators=[InputRequired(message=_l("请选择投诉是怎么收到的。"))])
    received_on = DateField(_l("收到日期"), validators=[Optional()],
                            description=_l("来信可填信上的日期（最早 30 天前），不填为今天；受理期限从这天算起"))
    consumer_name = StringField(_l("消费者姓名（可选）"), validators=[Optional(), Length(max=64, message=_l("最多 64 个字。"))])
    consumer_phone = StringField(_l("消费者手机号（可选）"), validators=[Optional(), Length(max=20)],
                                 description=_l("手机号和通信地址至少填一项；不会公开，也不会告诉商家"))
    consumer_address = StringField(_l("消费者通信地址（可选）"), validators=[Optional(), Length(max=200)],
                                   description=_l("只有地址的来信填这里，用于寄送处理结果；不会公开"))
    consent_kind = RadioField(_l("消费者同意处理其个人信息的方式"), choices=[],
                              validators=[InputRequired(message=_l("请记录消费者同意的方式。"))],
                              description=_l("口头同意请向消费者读过个人信息处理说明后再选；记录人是您"))
    shop_kind = RadioField(_l("是否在名录中"), default="registry", choices=_choices([
        ("registry", _l("名录中的商家")), ("unlisted", _l("不在名录中的经营者"))]),
        validators=[InputRequired(message=_l("请选择被投诉的是名录中的商家还是其他经营者。"))])
    shop = StringField(_l("商家名称、统一社会信用代码或二维码编号"), validators=[Optional(), Length(max=100)])
    business_name = StringField(_l("经营者名称"), validators=[Optional(), Length(max=100)])
    business_address = StringField(_l("经营地址"), validators=[Optional(), Length(max=200)])
    business_credit_code = StringField(_l("统一社会信用代码（知道就填）"), validators=[Optional(), Length(max=30)])
    business_district = StringField(_l("区县"), validators=[Optional(), Length(max=64)])
    business_township = StringField(_l("乡镇（街道，可选）"), validators=[Optional(), Length(max=64)])
    clause = SelectField(_l("违反的承诺"), choices=[], validators=[InputRequired(message=_l("请选择商家违反了哪一条承诺。"))],
                         description=_l("商家没有签署承诺或不在名录中时，按“其他问题”登记"))
    description = TextAreaField(_l("投诉事实"), validators=[
        DataRequired(message=_l("请说明发生了什么。")), Length(max=2000, message=_l("最多 2000 个字。"))])
    purchase_date = DateField(_l("购买/消费日期"), validators=[InputRequired(message=_l("请填写购买或消费日期。"))])
    amount = DecimalField(_l("涉及金额（元）"), places=2, validators=[
        InputRequired(message=AMOUNT_MESSAGE), NumberRange(min=0, max=100_000_000, message=AMOUNT_MESSAGE)])
    demands = MultiCheckboxField(_l("消费者的诉求"), choices=_choices(DEMAND_LABELS.items()), validate_choice=False)
    photos = MultipleFileField(_l("附件：来信扫描件、照片（可选，最多 6 张）"),
                               description=_l("JPEG/PNG/WebP，每张不超过 10 MB；仅工作人员可见"))
    consultation = HiddenField()
    submission_key = HiddenField()
    submit = SubmitField(_l("登记投诉"))

    def offer_choices(self) -> None:
        self.channel.choices = _choices((k, v) for k, v in CHANNEL_LABELS.items() if k != "online")
        self.consent_kind.choices = _choices((k, v) for k, v in CONSENT_LABELS.items() if k != "online")
        self.clause.choices = _choices([("", _l("请选择"))] + [(k, v) for k, v in CLAUSE_LABELS.items() if k != OTHER_CLAUSE]
                                       + [(OTHER_CLAUSE, NO_CLAUSE_LABEL)])


class DuplicateForm(_StaffForm):
    original = StringField(_l("继续办理的投诉编号"), validators=[
        DataRequired(message=_l("请填写继续办理的那件投诉的编号。")), Length(max=24)],
        description=_l("例如 TS20261128-0042；消费者查询本件时会看到这个编号"))
    note = TextAreaField(_l("说明（仅工作人员可见）"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("标为重复投诉"))


class LinkBusinessForm(RegistryForm):
    shop = StringField(_l("名录中的商家（名称、统一社会信用代码或二维码编号）"), validators=[
        DataRequired(message=_l("请填写名录中的商家。")), Length(max=100)])
    submit = SubmitField(_l("关联到这家商家"))
