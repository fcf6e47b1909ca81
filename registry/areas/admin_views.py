"""Administrators keep the list of districts and townships: add, rename, retire, accepted spellings."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.areas import services
from registry.areas.forms import AreaForm, DivisionCodeForm, NewAreaForm
from registry.areas.models import District, Township
from registry.walls import admin_area
from registry.view_helpers import save_form
from registry.extensions import db

bp = admin_area(Blueprint("area_admin", __name__, url_prefix="/admin/areas"))


def _admin():
    return current_user._get_current_object()


def _edit_form(area) -> AreaForm:
    return AreaForm(formdata=None, name=area.name, aliases="\n".join(area.alias_list), is_active=area.is_active)


def _index_page(new_form: NewAreaForm | None = None, status: int = 200):
    return render_template("areas/index.html", districts=services.load_areas().districts,
                           new_form=new_form or NewAreaForm(formdata=None)), status


@bp.route("")
def index():
    return _index_page()


@bp.route("", methods=["POST"])
def add_district():
    form = NewAreaForm()
    if form.validate_on_submit() and (saved := save_form(
            form, lambda: services.add_district(_admin(), form.name.data, form.aliases.data),
            done=_("已添加区县。"), then=url_for(".index"))):
        return saved
    return _index_page(form, 400)


def _district_page(district: District, edit_form: AreaForm | None = None, new_form: NewAreaForm | None = None,
                   status: int = 200, code_form: DivisionCodeForm | None = None):
    return render_template("areas/district.html", district=district,
                           edit_form=edit_form or _edit_form(district),
                           new_form=new_form or NewAreaForm(formdata=None),
                           code_form=code_form or DivisionCodeForm(formdata=None,
                                                                   division_code=district.division_code)), status


@bp.route("/<int:district_id>")
def district(district_id: int):
    return _district_page(db.get_or_404(District, district_id))


@bp.route("/<int:district_id>", methods=["POST"])
def update_district(district_id: int):
    district = db.get_or_404(District, district_id)
    form = AreaForm()
    if form.validate_on_submit() and (saved := save_form(
            form, lambda: services.update_district(_admin(), district, form.name.data, form.aliases.data,
                                                   form.is_active.data),
            done=_("已保存。使用旧名称的店铺、工作人员负责区县和记录已一并更新。"),
            then=url_for(".district", district_id=district_id))):
        return saved
    return _district_page(db.get_or_404(District, district_id), edit_form=form, status=400)


@bp.route("/<int:district_id>/division-code", methods=["POST"])
def set_division_code(district_id: int):
    district = db.get_or_404(District, district_id)
    form = DivisionCodeForm()
    if form.validate_on_submit() and (saved := save_form(
            form, lambda: services.set_division_code(_admin(), district, form.division_code.data),
            done=_("行政区划代码已保存。"), then=url_for(".district", district_id=district_id))):
        return saved
    return _district_page(db.get_or_404(District, district_id), code_form=form, status=400)


@bp.route("/<int:district_id>/townships", methods=["POST"])
def add_township(district_id: int):
    district = db.get_or_404(District, district_id)
    form = NewAreaForm()
    if form.validate_on_submit() and (saved := save_form(
            form, lambda: services.add_township(_admin(), district, form.name.data, form.aliases.data),
            done=_("已添加乡镇（街道）。"), then=url_for(".district", district_id=district_id))):
        return saved
    return _district_page(db.get_or_404(District, district_id), new_form=form, status=400)


@bp.route("/townships/<int:township_id>", methods=["GET", "POST"])
def township(township_id: int):
    township = db.get_or_404(Township, township_id)
    form = AreaForm()
    if not form.is_submitted():
        form = _edit_form(township)
    if form.validate_on_submit() and (saved := save_form(
            form, lambda: services.update_township(_admin(), township, form.name.data, form.aliases.data,
                                                   form.is_active.data),
            done=_("已保存。使用旧名称的店铺和记录已一并更新。"),
            then=url_for(".district", district_id=township.district_id))):
        return saved
    status = 400 if form.is_submitted() else 200
    return render_template("areas/township.html", township=db.get_or_404(Township, township_id), form=form), status
