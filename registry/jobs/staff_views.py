"""Staff: follow a job (a progress bar polled from a JSON status), fetch its result, retry a crashed one."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.downloads import download
from registry.errors import DomainError, NotFound, NotPermitted
from registry.extensions import db
from registry.forms import RegistryForm
from registry.jobs import queue, services
from registry.jobs.labels import progress_text
from registry.jobs.models import Job, JobStatus
from registry.walls import staff_area

bp = staff_area(Blueprint("jobs", __name__, url_prefix="/staff/jobs"))

# How often the page asks for the status (the script; the page without scripts refreshes itself slower).
POLL_SECONDS = 1
REFRESH_SECONDS = 3


def _user():
    return current_user._get_current_object()


def _job(job_id: int) -> Job:
    try:
        return services.job_for(job_id, _user())
    except NotFound:
        abort(404)
    except NotPermitted:
        abort(403)


def launch(start: Callable[[], Job], refused: str, then: Callable[[Job], str] | None = None) -> Response:
    """Run a package's start service, commit, hand the job to the queue and show its progress."""
    try:
        job = start()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "info" if error.status_code == 409 else "error")
        return redirect(refused)
    db.session.commit()
    queue.submit(job)
    return redirect(then(job) if then else url_for("jobs.job", job_id=job.id))


@bp.route("")
def index():
    return render_template("jobs/index.html", jobs=services.recent_jobs(_user()))


@bp.route("/<int:job_id>")
def job(job_id: int):
    job = _job(job_id)
    return render_template("jobs/job.html", job=job, stalled=services.is_stalled(job),
                           may_retry=services.may_retry(job), retry_form=RegistryForm(formdata=None),
                           poll_seconds=POLL_SECONDS, refresh_seconds=REFRESH_SECONDS)


@bp.route("/<int:job_id>/status")
def status(job_id: int):
    job = _job(job_id)
    return jsonify({**services.status_of(job), "text": progress_text(job)})


@bp.route("/<int:job_id>/file")
def file(job_id: int):
    job = _job(job_id)
    if job.status != JobStatus.DONE.value or job.file_name is None or job.file_data is None:
        abort(404)
    return download(job.file_data, job.file_type, job.file_name)


@bp.route("/<int:job_id>/retry", methods=["POST"])
def retry(job_id: int):
    job = _job(job_id)
    if not RegistryForm().validate_on_submit():
        flash(_("页面已过期，请重新提交。"), "error")
        return redirect(url_for(".job", job_id=job.id))
    return launch(lambda: services.requeue(job, _user()), refused=url_for(".job", job_id=job.id))
