"""Staff: the complaint queue by legal clock, the case page with every action, evidence photos."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.clock import today_in_china
from registry.complaints import handling, letters, queries, replies, timeline
from registry.complaints.forms import (AcceptForm, CallBackForm, HideReplyForm, RecordMediationForm, RefuseForm,
                                       ScheduleMediationForm, StaffNoteForm, to_cents)
from registry.complaints.models import Complaint, ComplaintEvent, EvidencePhoto
from registry.errors import NotPermitted
from registry.extensions import db
from registry.pagination import ID_MAX, bounded_integer, page_number
from registry.uploads import private_image_response
from registry.view_helpers import run_action, save_form
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
    return render_template("complaints/staff_queue.html", view=view, complaints=queries.staff_queue(_staff(), view, page),
                           counts=queries.queue_counts(_staff()), today=today_in_china())


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
    }
    forms.update(submitted)
    return forms


def _case_page(complaint: Complaint, status: int = 200, **submitted):
    return render_template("complaints/staff_case.html", complaint=complaint, today=today_in_china(),
                           events=timeline.visible_events(complaint, "staff"),
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
    return _staff_action(complaint_id, "accept_form", AcceptForm(), lambda c, f: handling.accept_complaint(
        c, _staff(), _version(f), f.public_summary.data), _("已受理，并转交商家在 10 个工作日内答复。"))


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
