"""Staff: the consultations log — a quick-entry form above a filtered, paged list; corrections within a day."""

from __future__ import annotations

from flask import Blueprint, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.walls import staff_area
from registry.consultations import queries, services
from registry.consultations.forms import ConsultationFilterForm, ConsultationForm, local_text
from registry.consultations.labels import CHANNEL_LABELS, COMMON_TOPICS, OUTCOME_LABELS
from registry.consultations.models import CHANNELS, Consultation
from registry.clock import utcnow
from registry.errors import NotPermitted
from registry.extensions import db
from registry.view_helpers import save_form
from registry.pagination import page_number

bp = staff_area(Blueprint("consultations", __name__, url_prefix="/staff/consultations"))

PAGE_SIZE = 30
_LAST_CHANNEL = "consultation_channel"  # the channel of the last entry: a phone shift logs many calls in a row


def _staff():
    return current_user._get_current_object()


def _blank_form() -> ConsultationForm:
    form = ConsultationForm(formdata=None)
    form.received_at.data = local_text(utcnow())
    form.channel.data = session.get(_LAST_CHANNEL) if session.get(_LAST_CHANNEL) in CHANNELS else None
    form.outcome.data = "answered"
    if _staff().district:
        form.district.data = _staff().district
    return form


def _list_page(form: ConsultationForm):
    staff = _staff()
    filters = ConsultationFilterForm(request.args)
    districts = queries.known_districts()
    filters.district.choices = [("", _("全部区县"))] + [(d, d) for d in districts]
    month = filters.month.data if queries.month_range(filters.month.data) else None
    page = page_number()
    consultations = db.paginate(
        queries.consultations_for(staff, filters.channel.data or None, filters.district.data or None, month),
        page=page, per_page=PAGE_SIZE, error_out=False,
    )
    now = utcnow()
    span = queries.month_range(month or local_text(now)[:7])
    totals = queries.count_by_channel(*span, district=staff.district or filters.district.data or None)
    return render_template(
        "consultations/index.html", form=form, filters=filters, consultations=consultations,
        districts=districts, topics=COMMON_TOPICS, channel_labels=CHANNEL_LABELS, outcome_labels=OUTCOME_LABELS,
        editable={c.id for c in consultations.items if services.can_edit(c, staff, now)},
        totals=totals, totals_month=month or local_text(now)[:7], filtered=bool(request.args.get("channel")
                                                                                 or request.args.get("district") or month),
    )


@bp.route("")
def index():
    return _list_page(_blank_form())


@bp.route("", methods=["POST"])
def record():
    form = ConsultationForm()
    if form.validate_on_submit():
        saved = save_form(form, lambda: services.record_consultation(_staff(), form.data_input()),
                          then=url_for(".index", **request.args),
                          done=_("已登记一条%(channel)s咨询。", channel=CHANNEL_LABELS[form.channel.data]))
        if saved is not None:
            session[_LAST_CHANNEL] = form.channel.data
            return saved
    return _list_page(form)


@bp.route("/<int:consultation_id>/edit", methods=["GET", "POST"])
def edit(consultation_id: int):
    staff = _staff()
    consultation = services.consultation_for(consultation_id, staff)
    if not services.can_edit(consultation, staff):
        raise NotPermitted(_("只能修改自己在 24 小时内登记的记录。"))
    form = ConsultationForm(obj=None if request.method == "POST" else consultation)
    if request.method == "GET":
        form.received_at.data = local_text(consultation.received_at)
    if form.validate_on_submit():
        saved = save_form(form, lambda: services.update_consultation(consultation, staff, form.data_input()),
                          then=url_for(".index"), done=_("咨询记录已修改。"))
        if saved is not None:
            return saved
        consultation = db.session.get(Consultation, consultation_id)
    return render_template("consultations/edit.html", form=form, consultation=consultation,
                           districts=queries.known_districts(), topics=COMMON_TOPICS)
