"""Staff: upload shop lists, decide what to import, print letters and posters."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.walls import staff_area
from registry.campaigns import claims, imports, pdf, poster_jobs, printing, spreadsheets
from registry.campaigns.forms import ActionForm, DecisionForm, PosterForm, UploadForm
from registry.campaigns.models import BatchStatus
from registry.database import slow_work
from registry.downloads import CSV, PDF, XLSX, download
from registry.clock import utcnow
from registry.errors import DomainError, NotPermitted
from registry.extensions import db
from registry.view_helpers import show_form_error
from registry.pagination import page_number
from registry.jobs import services as jobs
from registry.jobs.staff_views import launch

bp = staff_area(Blueprint("campaigns", __name__, url_prefix="/staff/campaigns"))

ROW_FILTERS = ("all", "errors", "ok")
ROWS_PER_PAGE = 500
# The codes are printed on the letters; the page lists the first ones so staff can check a few.
INVITATIONS_SHOWN = 200


def _user():
    return current_user._get_current_object()


def _batch(batch_id: int):
    try:
        return imports.batch_for_staff(batch_id, _user())
    except NotPermitted:
        abort(403)


def _pdf_response(data: bytes, filename: str) -> Response:
    return download(data, PDF, filename)


# --- Upload --------------------------------------------------------------------------------------

def _upload_form(posted: bool) -> UploadForm:
    """The upload form; area-wide staff choose a district for files without a 区/县 column."""
    form = UploadForm() if posted else UploadForm(formdata=None)
    form.district.choices = [("", _("（文件里有“区/县”列）"))] + [(name, name) for name in imports.whole_file_districts()]
    return form


def _index(form: UploadForm, status: int = 200):
    return render_template("campaigns/index.html", form=form, batches=imports.batches_for(_user()),
                           headers=spreadsheets.TEMPLATE_HEADERS, categories=spreadsheets.category_choices(),
                           max_rows=spreadsheets.MAX_ROWS), status


@bp.route("")
def index():
    return _index(_upload_form(posted=False))


@bp.route("/upload", methods=["POST"])
def upload():
    form = _upload_form(posted=True)
    if form.validate_on_submit():
        upload_file = form.file.data
        # Read one byte past the limit: enough to say "too large" without holding a huge file.
        data = upload_file.stream.read(spreadsheets.MAX_UPLOAD_BYTES + 1)
        filename = upload_file.filename or ""
        try:
            with slow_work():  # reading and checking 5,000 rows takes seconds: no write lock meanwhile
                checked = imports.check_shop_list(filename, data, _user(), form.district.data or "")
            batch = imports.store_checked_list(filename, checked, _user())
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error)
        else:
            db.session.commit()
            return redirect(url_for(".batch", batch_id=batch.id))
    return _index(form, 400)


TEMPLATE_NAME = "店铺名单模板"


@bp.route("/template.csv")
def template_csv():
    return download(spreadsheets.template_csv(), CSV, "shops-template.csv", f"{TEMPLATE_NAME}.csv")


@bp.route("/template.xlsx")
def template_xlsx():
    return download(spreadsheets.template_xlsx(), XLSX, "shops-template.xlsx", f"{TEMPLATE_NAME}.xlsx")


# --- One batch: the check report, the decision, the letters -------------------------------------

@bp.route("/batches/<int:batch_id>")
def batch(batch_id: int):
    batch = _batch(batch_id)
    shown = request.args.get("show", "all")
    if shown not in ROW_FILTERS:
        shown = "all"
    rows = batch.rows
    counts = {"all": batch.row_count, "errors": batch.error_count, "ok": batch.valid_count}
    if shown == "errors":
        rows = [row for row in rows if row["errors"]]
    elif shown == "ok":
        rows = [row for row in rows if not row["errors"]]
    page = page_number()
    pages = max((len(rows) + ROWS_PER_PAGE - 1) // ROWS_PER_PAGE, 1)
    page = min(page, pages)
    imported = batch.status == BatchStatus.IMPORTED.value
    job = imports.import_job(batch)
    invitations = claims.invitations_of(batch, limit=INVITATIONS_SHOWN) if imported else []
    invitation_counts = claims.invitation_counts(batch) if imported else {}
    return render_template(
        "campaigns/batch.html", batch=batch, rows=rows[(page - 1) * ROWS_PER_PAGE:page * ROWS_PER_PAGE],
        shown=shown, page=page, pages=pages, filtered_count=len(rows), counts=counts,
        decision_form=DecisionForm(formdata=None), action_form=ActionForm(formdata=None), invitations=invitations,
        invitation_counts=invitation_counts, invitations_shown=INVITATIONS_SHOWN,
        letter_parts=printing.letter_parts(invitation_counts.get("waiting", 0)),
        now=utcnow(), invitation_days=claims.invitation_validity_days(), job=job,
        job_stalled=job is not None and jobs.is_stalled(job), job_may_retry=job is not None and jobs.may_retry(job),
    )


@bp.route("/batches/<int:batch_id>/decision", methods=["POST"])
def decide(batch_id: int):
    batch = _batch(batch_id)
    form = DecisionForm()
    if not form.validate_on_submit() or not (form.import_valid.data or form.import_none.data):
        flash(_("页面已过期，请重新提交。"), "error")
        return redirect(url_for(".batch", batch_id=batch_id))
    back = url_for(".batch", batch_id=batch_id)
    if form.import_valid.data:
        # Thousands of rows take longer than a request may: a job imports them, the batch page follows it.
        return launch(lambda: imports.start_import(batch, _user()), refused=back, then=lambda _job: back)
    try:
        imports.discard_batch(batch, _user())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "info" if error.status_code == 409 else "error")
        return redirect(back)
    db.session.commit()
    flash(_("这批名单没有导入任何店铺。"), "success")
    return redirect(back)


@bp.route("/batches/<int:batch_id>/letters.pdf", methods=["POST"])
def letters(batch_id: int):
    batch = _batch(batch_id)
    part = request.form.get("part", 1, type=int) or 1
    try:
        with slow_work():  # a PDF of up to 500 letters takes seconds: no write lock meanwhile
            invitations = printing.letters_of_part(batch, _user(), part)
            merchant_ids = [invitation.merchant_id for invitation in invitations]
            data = pdf.invitation_letters(invitations)
        printing.record_letters_printed(batch, _user(), part, merchant_ids)
    except DomainError as error:
        db.session.rollback()
        if error.status_code >= 500:
            raise
        flash(error.message, "error")
        return redirect(url_for(".batch", batch_id=batch_id))
    db.session.commit()
    return _pdf_response(data, f"invitations-batch-{batch_id}-part-{request.form.get('part', 1, type=int)}.pdf")


# --- Posters -------------------------------------------------------------------------------------

def _poster_form() -> tuple[PosterForm, printing.PosterSelection]:
    staff = _user()
    form = PosterForm(request.args if request.method == "GET" else request.form)
    districts = printing.districts_for(staff)
    form.district.choices = ([] if staff.district else [("", _("全部区县"))]) + [(d, d) for d in districts]
    district = staff.district or (form.district.data if form.district.data in districts else "")
    townships = printing.townships_for(staff, district)
    form.township.choices = [("", _("全部乡镇/街道"))] + [(t, t) for t in townships]
    batches = [b for b in imports.batches_for(staff) if b.status == BatchStatus.IMPORTED.value]
    form.batch.choices = [("", _("不限批次"))] + [
        (str(b.id), _("第 %(id)d 批 · %(name)s · %(count)d 家", id=b.id, name=b.filename, count=b.imported_count))
        for b in batches]
    batch_ids = {str(b.id) for b in batches}
    selection = printing.PosterSelection(
        district=district,
        township=form.township.data if form.township.data in townships else "",
        batch_id=int(form.batch.data) if form.batch.data in batch_ids else None,
    )
    form.district.data, form.township.data = selection.district, selection.township
    form.batch.data = str(selection.batch_id) if selection.batch_id else ""
    return form, selection


@bp.route("/posters")
def posters():
    form, selection = _poster_form()
    items = printing.poster_items(selection, _user())
    return render_template("campaigns/posters.html", form=form, selection=selection, items=items,
                           action_form=ActionForm(formdata=None), limit=printing.MAX_POSTERS_PER_PDF)


@bp.route("/posters", methods=["POST"])
def print_posters():
    _form, selection = _poster_form()
    # Up to 500 pages take longer than a request may: a job draws them, its page hands over the PDF.
    return launch(lambda: poster_jobs.start_posters(selection, _user()),
                  refused=url_for(".posters", district=selection.district, township=selection.township,
                                  batch=selection.batch_id or ""))
