"""Administrators: publish now, besides the daily timer: the open-data files and the stored public figures
(/stats), each as a job. The buttons are on the reports page; the report routes themselves only read."""

from __future__ import annotations

from flask import Blueprint, abort, url_for
from flask_login import current_user

from registry.forms import RegistryForm
from registry.jobs.staff_views import launch
from registry.opendata import services
from registry.reports import snapshots
from registry.walls import staff_area

bp = staff_area(Blueprint("opendata_staff", __name__, url_prefix="/staff/publishing"))


def _checked_form() -> None:
    if not RegistryForm().validate_on_submit():
        abort(400)


@bp.route("/open-data", methods=["POST"])
def start_export():
    _checked_form()
    return launch(lambda: services.start_export(current_user._get_current_object()), refused=url_for("reports.index"))


@bp.route("/figures", methods=["POST"])
def start_snapshot():
    _checked_form()
    return launch(lambda: snapshots.start_snapshot(current_user._get_current_object()),
                  refused=url_for("reports.index"))
