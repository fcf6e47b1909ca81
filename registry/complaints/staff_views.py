"""Staff: the complaint queue by legal clock, the case page with every action, evidence photos, and
registering a complaint received by phone, letter, visit or another platform (complaints.intake)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.areas.services import district_names
from registry.clock import china_date, today_in_china
from registry.complaints import filing, handling, intake, letters, queries, replies, timeline
from registry.complaints.forms import (AcceptForm, CallBackForm, DuplicateForm, HideReplyForm, IntakeForm,
                                       LinkBusinessForm, RecordMediationForm, RefuseForm, ScheduleMediationForm,
                                       StaffNoteForm, to_cents)
from registry.complaints.models import Complaint, ComplaintEvent, EvidencePhoto, UnlistedBusiness
from registry.database import slow_work
from registry.errors import DomainError, NotPermitted, sends_photos
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.pagination import ID_MAX, bounded_integer, page_number, record_id
from registry.uploads import ImageRejected, private_image_response, process_image, validate_batch
from registry.view_helpers import ask_for_photos_again, run_action, save_form, show_form_error
from registry.walls import staff_area

bp = staff_area(Blueprint("staff_complaints", __name__, url_prefix="/staff"))

QUEUE_VIEWS = ("new", "open", "closed")


def _staff():
    return current_user._get_current_object()


def _case(complaint_id: int) -> Complaint:
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None:
        abort(404)
    try:
        handling.require_staff_scope(complaint, _staff())
    except NotPermitted:
        abort(403)
    return complaint


@bp.route("/complaints")
def queue():
    view = request.args.get("view", "new")
    if view not in QUEUE_VIEWS:
        view = "new"
    page = page_number()
    # ?shop= keeps one shop's cases (the staff shop page links here); the district scope still applies.
    shop_id = record_id("shop")
    shop = db.session.get(Merchant, shop_id) if shop_id else None
    shop_id = shop.id if shop is not None else None
    return render_template("complaints/staff_queue.html", view=view, shop=shop,
                           complaints=queries.staff_queue(_staff(), view, page, merchant_id=shop_id),
                           counts=queries.queue_counts(_staff(), shop_id), today=today_in_china())


def _forms(complaint: Complaint, **submitted):
    version = str(complaint.version)
    forms = {
        # Empty on purpose: staff write the public summary; it is never drawn from the consumer's words.
        "accept_form": AcceptForm(formdata=None, version=version),
        "refuse_form": RefuseForm(formdata=None, version=version),
        "schedule_form": ScheduleMediationForm(formdata=None, version=version),
        "record_form": RecordMediationForm(formdata=None, version=version),
        "note_form": StaffNoteForm(formdata=None, version=version),
        "callback_form": CallBackForm(formdata=None, version=version),
        "duplicate_form": DuplicateForm(formdata=None, version=version),
        "link_form": LinkBusinessForm(formdata=None),
    }
    forms.update(submitted)
    return forms


def _case_page(complaint: Complaint, status: int = 200, **submitted):
    registered = complaint.registered_by_id is not None
    return render_template("complaints/staff_case.html", complaint=complaint, today=today_in_china(),
                           events=timeline.visible_events(complaint, "staff"),
                           duplicates=queries.duplicates_of(complaint),
                           consultation_id=intake.complaints_from_consultations([complaint.id]).get(complaint.id),
                           # The consumer's case link, for the reply letter or to read out: only for
                           # complaints staff registered (online filers got theirs on filing).
                           case_link=url_for("complaints.case", token=filing.case_token(complaint.submission_key),
                                             _external=True) if registered else None,
                           offer=timeline.latest_offer(complaint), callbacks=queries.callbacks_of(complaint),
                           **_forms(complaint, **submitted)), status


@bp.route("/complaints/<int:complaint_id>")
def case(complaint_id: int):
    return _case_page(_case(complaint_id))


def _version(form) -> int:
    number = bounded_integer(form.version.data, 0, ID_MAX)
    return -1 if number is None else number


def _staff_action(complaint_id: int, form_name: str, form, apply, done_message: str):
    """Run one decision from the case page; a conflict (someone else acted first) is flashed on the fresh
    page, any other refusal is shown on the form, over the case as it is now."""
    complaint = _case(complaint_id)
    here = url_for("staff_complaints.case", complaint_id=complaint_id)
    if form.validate_on_submit():
        saved = save_form(form, lambda: apply(complaint, form), then=here, done=done_message, stale=here)
        if saved is not None:
            return saved
        complaint = _case(complaint_id)
    return _case_page(complaint, 400, **{form_name: form})


@bp.route("/complaints/<int:complaint_id>/accept", methods=["POST"])
def accept(complaint_id: int):
    # A business not in the registry has no account to forward to: staff contact it themselves.
    done = (_("已受理，并转交商家在 10 个工作日内答复。") if _case(complaint_id).merchant_id is not None
            else _("已受理。经营者不在名录中，没有商家账户可转交，请工作人员联系经营者处理。"))
    return _staff_action(complaint_id, "accept_form", AcceptForm(), lambda c, f: handling.accept_complaint(
        c, _staff(), _version(f), f.public_summary.data), done)


@bp.route("/complaints/<int:complaint_id>/refuse", methods=["POST"])
def refuse(complaint_id: int):
    return _staff_action(complaint_id, "refuse_form", RefuseForm(), lambda c, f: handling.refuse_complaint(
        c, _staff(), _version(f), f.ground.data, f.explanation.data), _("已决定不予受理，消费者会看到原因和其他途径。"))


@bp.route("/complaints/<int:complaint_id>/mediation", methods=["POST"])
def schedule(complaint_id: int):
    return _staff_action(complaint_id, "schedule_form", ScheduleMediationForm(),
                         lambda c, f: handling.schedule_mediation(c, _staff(), _version(f), f.when.data,
                                                                  f.place.data, f.note.data),
                         _("已安排调解。"))


@bp.route("/complaints/<int:complaint_id>/outcome", methods=["POST"])
def record(complaint_id: int):
    return _staff_action(complaint_id, "record_form", RecordMediationForm(),
                         lambda c, f: handling.record_mediation(c, _staff(), _version(f), f.outcome.data == "mediated",
                                                                to_cents(f.amount_recovered.data), f.terms.data),
                         _("调解结果已记录，投诉已办结。"))


@bp.route("/complaints/<int:complaint_id>/note", methods=["POST"])
def note(complaint_id: int):
    return _staff_action(complaint_id, "note_form", StaffNoteForm(),
                         lambda c, f: handling.add_staff_note(c, _staff(), f.body.data), _("备注已添加。"))


@bp.route("/complaints/<int:complaint_id>/callback", methods=["POST"])
def callback(complaint_id: int):
    return _staff_action(complaint_id, "callback_form", CallBackForm(),
                         lambda c, f: handling.record_callback(c, _staff(), *f.answers(), f.remarks.data,
                                                                              _version(f)),
                         _("回访已记录。"))


@bp.route("/complaints/<int:complaint_id>/letter.pdf")
def letter(complaint_id: int):
    """The closing letter the consumer can download, as staff print or send it."""
    return letters.letter_response(_case(complaint_id))


@bp.route("/complaints/<int:complaint_id>/duplicate", methods=["POST"])
def duplicate(complaint_id: int):
    return _staff_action(complaint_id, "duplicate_form", DuplicateForm(),
                         lambda c, f: handling.mark_duplicate(c, _staff(), _version(f), f.original.data, f.note.data),
                         _("已标为重复投诉，由另一件继续办理。"))


@bp.route("/complaints/businesses/<int:business_id>/link", methods=["POST"])
def link_business(business_id: int):
    business = db.session.get(UnlistedBusiness, business_id)
    if business is None:
        abort(404)
    back = bounded_integer(request.form.get("back"), 1, ID_MAX)
    here = url_for("staff_complaints.case", complaint_id=back) if back else url_for("staff_complaints.queue")
    form = LinkBusinessForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "error")
        return redirect(here)
    return run_action(lambda: intake.link_business(business, form.shop.data, _staff()), then=here,
                      done=lambda shop: _("已关联到名录中的“%(shop)s”，这家经营者的投诉已转到该商家名下。", shop=shop.name))


def _intake_page(form: IntakeForm, consultation=None, status: int = 200):
    return render_template("complaints/staff_intake.html", form=form, consultation=consultation,
                           districts=district_names(), max_age=intake.MAX_RECEIVED_AGE_DAYS), status


def _intake_input(form: IntakeForm) -> intake.IntakeInput:
    unlisted = form.shop_kind.data == "unlisted"
    return intake.IntakeInput(
        channel=form.channel.data, received_on=form.received_on.data, consumer_name=form.consumer_name.data,
        consumer_phone=form.consumer_phone.data, consumer_address=form.consumer_address.data,
        consent_kind=form.consent_kind.data, shop="" if unlisted else (form.shop.data or ""),
        business=intake.BusinessInput(form.business_name.data, form.business_address.data,
                                      form.business_credit_code.data, form.business_district.data,
                                      form.business_township.data) if unlisted else None,
        clause_kind=form.clause.data, description=form.description.data, purchase_date=form.purchase_date.data,
        amount_cents=to_cents(form.amount.data), demands=form.demands.data or [])


def _converted_consultation(form: IntakeForm):
    """The consultation being turned into this complaint (?consultation= or the posted field), or None."""
    number = bounded_integer(form.consultation.data or request.args.get("consultation"), 1, ID_MAX)
    return intake.consultation_to_convert(number, _staff()) if number else None


@bp.route("/complaints/new", methods=["GET", "POST"])
@sends_photos
def register():
    """Register a complaint received by phone, letter, visit or another platform."""
    form = IntakeForm()
    form.offer_choices()
    try:
        consultation = _converted_consultation(form)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("consultations.index"))
    if not form.is_submitted():
        form.submission_key.data = intake.new_submission_key()
        if consultation is not None:
            # Pre-filled from the consultation: channel, facts, and where the business is.
            form.consultation.data = str(consultation.id)
            form.channel.data = intake.CONSULTATION_CHANNEL.get(consultation.channel)
            form.received_on.data = china_date(consultation.received_at)
            form.description.data = f"{consultation.topic}：{consultation.summary}"
            form.business_district.data, form.business_township.data = consultation.district, consultation.township
        return _intake_page(form, consultation)
    if form.validate_on_submit():
        try:
            uploads = [f for f in request.files.getlist(form.photos.name) if f and f.filename]
            validate_batch(uploads)
            with slow_work():  # seconds of Pillow work must not hold the write lock
                photos = [process_image(f.stream, f.filename) for f in uploads]
        except ImageRejected as error:
            form.photos.errors.append(error.message)
            return _intake_page(form, consultation, 400)
        try:
            complaint, _token = intake.register_complaint(_staff(), _intake_input(form), photos,
                                                          form.submission_key.data, consultation)
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error)
        else:
            complaint_id, number = complaint.id, complaint.tracking_number
            db.session.commit()
            flash(_("已登记投诉，编号 %(number)s，7 个工作日内决定是否受理。", number=number), "success")
            return redirect(url_for("staff_complaints.case", complaint_id=complaint_id))
        ask_for_photos_again(form.photos)
    return _intake_page(form, consultation, 400)


def _reply_event(event_id: int) -> ComplaintEvent:
    event = db.session.get(ComplaintEvent, event_id)
    if event is None or event.kind != "merchant_replied":
        abort(404)
    _case(event.complaint_id)
    return event


@bp.route("/complaints/replies")
def held_replies():
    """The review queue: shop replies held because personal data was found in them."""
    return render_template("complaints/staff_replies.html", replies=queries.held_replies(_staff()))


@bp.route("/complaints/replies/<int:event_id>/approve", methods=["POST"])
def approve_reply(event_id: int):
    event = _reply_event(event_id)
    back = request.form.get("back") == "queue"
    return run_action(lambda: replies.approve_reply(event, _staff()), done=_("回复已公开。"),
                      then=url_for("staff_complaints.held_replies") if back
                      else url_for("staff_complaints.case", complaint_id=event.complaint_id))


@bp.route("/complaints/replies/<int:event_id>/hide", methods=["POST"])
def hide_reply(event_id: int):
    event = _reply_event(event_id)
    here = url_for("staff_complaints.case", complaint_id=event.complaint_id)
    form = HideReplyForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "error")
        return redirect(here)
    return run_action(lambda: replies.hide_reply(event, _staff(), form.reason.data), then=here,
                      done=_("这条回复已对公众隐藏，公众只看到隐藏原因。"))


@bp.route("/evidence/<int:photo_id>")
def evidence(photo_id: int):
    """Evidence photos only through this view: staff in scope, never cached, never sniffed as HTML."""
    photo = db.session.get(EvidencePhoto, photo_id)
    if photo is None:
        abort(404)
    _case(photo.complaint_id)
    return private_image_response(Path(current_app.config["EVIDENCE_DIR"]), photo.stored_name, photo.content_type)
