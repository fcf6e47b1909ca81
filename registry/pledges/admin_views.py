"""Administrators: draft a new pledge version, edit and preview the draft, publish it with a re-sign window."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from registry.errors import DomainError
from registry.extensions import db
from registry.pledges import versions
from registry.pledges.forms import ActionForm, PledgeDraftForm, PublishForm
from registry.pledges.labels import CLAUSE_KIND_LABELS
from registry.pledges.models import PledgeVersion, Signature
from registry.view_helpers import run_action, save_form, show_form_error
from registry.walls import admin_area

bp = admin_area(Blueprint("pledge_admin", __name__, url_prefix="/admin/pledges"))

SPARE_ROWS = 2  # empty clause rows offered under the text, so a clause can be added without JavaScript


def _admin():
    return current_user._get_current_object()


def _version(version_id: int) -> PledgeVersion:
    version = db.session.get(PledgeVersion, version_id)
    if version is None:
        abort(404)
    return version


def _show_error(form: PledgeDraftForm, error: DomainError) -> None:
    """Errors about one clause go next to that clause's field (`clauses-<row>-<field>`)."""
    if error.field == "clauses":
        form.form_errors.append(error.message)
    elif error.field and error.field.startswith("clauses-"):
        _prefix, row, name = error.field.split("-", 2)
        subfield = form.clauses.entries[int(row)][name]
        subfield.errors = [*subfield.errors, error.message]
    else:
        show_form_error(form, error)


def _prefill(form: PledgeDraftForm, version: PledgeVersion | None) -> None:
    """Fill an unsubmitted form with a version's text (the draft's own, or the current one to start from)."""
    if version is not None:
        form.title.data, form.preamble.data, form.preamble_en.data = version.title, version.preamble, version.preamble_en
        for clause in version.clauses:
            form.clauses.append_entry({"kind": clause.kind, "text": clause.text, "text_en": clause.text_en})
    for _row in range(SPARE_ROWS):
        form.clauses.append_entry()


def _save(form: PledgeDraftForm, save, template_args: dict):
    """Handle the draft form: more rows, or save through `save(form)` and go to the preview.

    Not save_form: a refusal about one clause is shown beside that clause's row (`_show_error`)."""
    if form.is_submitted() and form.add_rows.data:
        for _row in range(SPARE_ROWS):
            form.clauses.append_entry()
        return render_template("pledges/admin_form.html", form=form, **template_args)
    if form.validate_on_submit():
        try:
            version = save(form)
        except DomainError as error:
            db.session.rollback()
            if error.status_code == 409:
                flash(error.message, "error")
                return redirect(url_for(".index"))
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("草稿已保存。请预览全文，确认无误后发布。"), "success")
            return redirect(url_for(".version", version_id=version.id))
    return render_template("pledges/admin_form.html", form=form, **template_args)


@bp.route("")
def index():
    counts = dict(db.session.execute(
        select(Signature.pledge_version_id, func.count(func.distinct(Signature.merchant_id)))
        .group_by(Signature.pledge_version_id)
    ).all())
    return render_template("pledges/admin_list.html", versions=versions.all_versions(),
                           current=versions.current_version(), draft=versions.draft_version(), counts=counts)


@bp.route("/new", methods=["GET", "POST"])
def new():
    draft = versions.draft_version()
    if draft is not None:
        flash(_("已经有一份草稿，请继续编辑它。"), "info")
        return redirect(url_for(".edit", version_id=draft.id))
    form = PledgeDraftForm()
    if not form.is_submitted():
        _prefill(form, versions.current_version())
    return _save(form, lambda f: versions.create_draft(_admin(), f.title.data, f.preamble.data, f.clause_rows(),
                                                       f.preamble_en.data),
                 {"version": None, "based_on": versions.current_version()})


@bp.route("/<int:version_id>/edit", methods=["GET", "POST"])
def edit(version_id: int):
    version = _version(version_id)
    if version.is_published:
        flash(_("第 %(number)d 版已经发布，发布后的倡议书不能再修改。请起草新版本。", number=version.number), "error")
        return redirect(url_for(".version", version_id=version.id))
    form = PledgeDraftForm()
    if not form.is_submitted():
        _prefill(form, version)
    return _save(form, lambda f: versions.update_draft(version, _admin(), f.title.data, f.preamble.data,
                                                       f.clause_rows(), f.preamble_en.data),
                 {"version": version, "based_on": None})


def _version_page(version: PledgeVersion, publish_form: PublishForm | None = None, status: int = 200):
    signed = db.session.scalar(select(func.count(func.distinct(Signature.merchant_id)))
                               .where(Signature.pledge_version_id == version.id))
    return render_template("pledges/admin_version.html", version=version, current=versions.current_version(),
                           publish_form=publish_form or PublishForm(formdata=None), action_form=ActionForm(),
                           signed=signed, kind_labels=CLAUSE_KIND_LABELS), status


@bp.route("/<int:version_id>")
def version(version_id: int):
    return _version_page(_version(version_id))


@bp.route("/<int:version_id>/publish", methods=["POST"])
def publish(version_id: int):
    version = _version(version_id)
    form = PublishForm()
    if form.validate_on_submit():
        page = url_for(".version", version_id=version_id)
        saved = save_form(form, lambda: versions.publish_draft(version, _admin(), form.days()), then=page, stale=page,
                          done=_("第 %(number)d 版已发布，现在是现行倡议书。", number=version.number))
        if saved:
            return saved
    return _version_page(_version(version_id), form, 400)


@bp.route("/<int:version_id>/discard", methods=["POST"])
def discard(version_id: int):
    version = _version(version_id)
    page = url_for(".version", version_id=version_id)
    if not ActionForm().validate_on_submit():
        flash(_("页面已过期，请重新提交。"), "error")
        return redirect(page)
    return run_action(lambda: versions.discard_draft(version, _admin()), then=url_for(".index"),
                      done=_("草稿已删除。"), refused=page)
