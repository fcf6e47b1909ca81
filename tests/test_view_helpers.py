"""registry.view_helpers: after a form or a button is posted, a success is committed, flashed and
redirected; a refusal rolls back everything the service did (nothing is half-saved) and is shown on the
form or flashed; a stale page (conflict) is sent to the current state."""

from __future__ import annotations

import pytest
from flask import get_flashed_messages
from sqlalchemy import func, select
from wtforms import Form, StringField

from registry.areas.models import District
from registry.errors import Conflict, DomainError, NotPermitted
from registry.extensions import db
from registry.view_helpers import run_action, save_form, show_form_error


class NameForm(Form):
    name = StringField()


def valid_form() -> NameForm:
    """A form as views hand it over: validated (its error lists exist)."""
    form = NameForm()
    assert form.validate()
    return form


@pytest.fixture
def request_context(app):
    with app.test_request_context("/", method="POST"):
        yield


def districts_named(name: str) -> int:
    """What the database holds once the helper has committed or rolled back (the session's own
    transaction is ended afterwards, so nothing pending could hide a missing commit)."""
    count = db.session.scalar(select(func.count()).select_from(District).where(District.name == name))
    db.session.rollback()
    return count


def add_district(name: str) -> District:
    district = District(name=name)
    db.session.add(district)
    db.session.flush()
    return district


def refuse_after_adding(name: str, error: DomainError):
    def action():
        add_district(name)  # the service got halfway before a rule refused
        raise error
    return action


def flashes():
    return get_flashed_messages(with_categories=True)


# --- save_form ------------------------------------------------------------------------------------


def test_save_form_commits_flashes_and_redirects(request_context):
    form = valid_form()
    response = save_form(form, lambda: add_district("测试一区"), then=lambda d: f"/districts/{d.id}",
                         done=lambda d: f"已添加{d.name}。")
    created = db.session.scalar(select(District).where(District.name == "测试一区"))
    assert response.status_code == 302 and response.headers["Location"] == f"/districts/{created.id}"
    assert districts_named("测试一区") == 1
    assert flashes() == [("success", "已添加测试一区。")]


def test_save_form_without_a_message_flashes_nothing(request_context):
    response = save_form(valid_form(), lambda: add_district("测试二区"), then="/districts")
    assert response.headers["Location"] == "/districts"
    assert flashes() == []


def test_a_refusal_rolls_back_and_shows_the_message_on_its_field(request_context):
    form = valid_form()
    response = save_form(form, refuse_after_adding("测试三区", DomainError("这个名称已经有了。", field="name")),
                         then="/districts", done="已添加。")
    assert response is None  # the view renders the form again, with what was typed
    assert form.name.errors == ["这个名称已经有了。"]
    assert districts_named("测试三区") == 0
    assert flashes() == []


def test_a_refusal_about_no_field_shows_at_the_top_of_the_form(request_context):
    form = valid_form()
    save_form(form, refuse_after_adding("测试四区", NotPermitted("您不能添加区县。")), then="/districts")
    assert form.form_errors == ["您不能添加区县。"] and list(form.name.errors) == []
    assert districts_named("测试四区") == 0


def test_a_refusal_naming_an_unknown_field_shows_at_the_top(request_context):
    form = valid_form()
    show_form_error(form, DomainError("请检查。", field="no_such_field"))
    assert form.form_errors == ["请检查。"]


def test_a_stale_page_rolls_back_flashes_and_goes_to_the_current_state(request_context):
    form = valid_form()
    response = save_form(form, refuse_after_adding("测试五区", Conflict("别人刚刚改过，请看最新的内容。")),
                         then="/districts", stale="/districts/5")
    assert response.status_code == 302 and response.headers["Location"] == "/districts/5"
    assert flashes() == [("error", "别人刚刚改过，请看最新的内容。")]
    assert list(form.form_errors) == [] and districts_named("测试五区") == 0


def test_a_conflict_without_a_stale_target_shows_on_the_form(request_context):
    form = valid_form()
    assert save_form(form, refuse_after_adding("测试六区", Conflict("已经变了。")), then="/districts") is None
    assert form.form_errors == ["已经变了。"] and districts_named("测试六区") == 0


# --- run_action -----------------------------------------------------------------------------------


def test_run_action_commits_flashes_and_redirects(request_context):
    response = run_action(lambda: add_district("测试七区"), then="/districts", done=lambda d: f"{d.name}已启用。")
    assert response.status_code == 302 and response.headers["Location"] == "/districts"
    assert districts_named("测试七区") == 1
    assert flashes() == [("success", "测试七区已启用。")]


def test_run_action_refused_rolls_back_and_flashes_the_reason(request_context):
    response = run_action(refuse_after_adding("测试八区", NotPermitted("不能启用。")), then="/districts",
                          done="已启用。")
    assert response.status_code == 302 and response.headers["Location"] == "/districts"
    assert districts_named("测试八区") == 0
    assert flashes() == [("error", "不能启用。")]


def test_run_action_refused_goes_where_it_is_told(request_context):
    response = run_action(refuse_after_adding("测试九区", DomainError("不行。")), then=lambda d: f"/districts/{d.id}",
                          refused="/districts")
    assert response.headers["Location"] == "/districts"
    assert districts_named("测试九区") == 0


def test_run_action_needs_a_refusal_target_when_the_success_target_depends_on_the_result(request_context):
    with pytest.raises(ValueError, match="refused"):
        run_action(refuse_after_adding("测试十区", DomainError("不行。")), then=lambda d: f"/districts/{d.id}")
    assert districts_named("测试十区") == 0
