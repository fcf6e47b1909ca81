"""Administrators tune the automatic flag rules."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.moderation import flags
from registry.moderation.forms import FlagRuleForm, whole_number
from registry.moderation.models import RULE_CODES
from registry.view_helpers import save_form
from registry.walls import admin_area

admin = admin_area(Blueprint("moderation_admin", __name__, url_prefix="/admin/flag-rules"))


def _rules_page(submitted: dict | None = None, status: int = 200):
    rules = flags.all_rules()
    forms = {rule.code: (submitted or {}).get(rule.code) or FlagRuleForm(
        formdata=None, prefix=rule.code, enabled=rule.enabled, threshold=str(rule.threshold),
        window_days=str(rule.window_days)) for rule in rules}
    return render_template("moderation/rules.html", rules=rules, forms=forms), status


@admin.route("")
def rules():
    return _rules_page()


@admin.route("/<code>", methods=["POST"])
def update_rule(code: str):
    if code not in RULE_CODES:
        abort(404)
    form = FlagRuleForm(prefix=code)
    if form.validate_on_submit():
        saved = save_form(form, lambda: flags.update_rule(code, current_user._get_current_object(), form.enabled.data,
                                                          whole_number(form.threshold.data),
                                                          whole_number(form.window_days.data)),
                          done=_("标记规则已保存，新提交和新受理的投诉将按新规则判断。"), then=url_for(".rules"))
        if saved:
            return saved
    return _rules_page({code: form}, 400)
