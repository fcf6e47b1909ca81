"""The administrators' pledge pages: draft, edit, preview, publish; nobody else may open them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from conftest import LOGIN_REDIRECT, MATRIX_ROLES, assert_answer
from registry.extensions import db
from registry.pledges.models import PledgeClause, PledgeVersion
from registry.pledges.versions import create_draft, current_version, draft_version

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

DRAFT_TITLE = "诚信经营倡议书（2027 年修订）"


@pytest.fixture
def admin(make_user):
    return make_user(role="admin", name="管理员")


@pytest.fixture
def admin_client(client, admin, login_as, pledge):
    return login_as(client, admin)


def make_draft(admin):
    version = create_draft(admin, DRAFT_TITLE, "本店承诺：", [{"kind": "counterfeit", "text": "不卖假货。"}])
    db.session.commit()
    return version


def draft_form(**overrides) -> dict:
    data = {"title": DRAFT_TITLE, "preamble": "为营造放心消费环境，本店承诺：", "preamble_en": "",
            "clauses-0-kind": "counterfeit", "clauses-0-text": "不制假售假。", "clauses-0-text_en": "No fakes.",
            "clauses-1-kind": "after_sales", "clauses-1-text": "七日无理由退货。", "clauses-1-text_en": "",
            "clauses-2-kind": "", "clauses-2-text": "", "clauses-2-text_en": ""}
    data.update(overrides)
    return data


def versions() -> list[tuple]:
    db.session.expire_all()
    return list(db.session.execute(
        select(PledgeVersion.id, PledgeVersion.number, PledgeVersion.title, PledgeVersion.published_at,
               PledgeVersion.resign_deadline).order_by(PledgeVersion.id)).all())


def clause_rows() -> list[tuple]:
    return list(db.session.execute(select(PledgeClause.version_id, PledgeClause.number, PledgeClause.kind,
                                          PledgeClause.text).order_by(PledgeClause.id)).all())


# --- Who may open what ---------------------------------------------------------------------------------

ADMIN_ONLY = {"anonymous": LOGIN_REDIRECT, "merchant": 403, "other_merchant": 403, "staff": 403,
              "staff_elsewhere": 403}
ROUTES = [
    ("GET", "/admin/pledges", 200),
    ("GET", "/admin/pledges/new", 302),  # there is a draft already: on to editing it
    ("POST", "/admin/pledges/new", 302),
    ("GET", "/admin/pledges/{draft}", 200),
    ("GET", "/admin/pledges/{draft}/edit", 200),
    ("POST", "/admin/pledges/{draft}/edit", 200),  # empty form: shown again with errors
    ("POST", "/admin/pledges/{draft}/publish", 400),  # no confirmation: refused
    ("POST", "/admin/pledges/{draft}/discard", 302),
    ("GET", "/admin/pledges/999999", 404),
]


@pytest.mark.parametrize("role", MATRIX_ROLES)
@pytest.mark.parametrize(("method", "path", "admin_answer"), ROUTES)
def test_only_administrators_reach_the_pledge_pages(client, login_as, matrix_people, pledge, method, path,
                                                    admin_answer, role):
    draft = make_draft(matrix_people["admin"])
    url = path.format(draft=draft.id)
    if role != "anonymous":
        login_as(client, matrix_people[role])
    before = (versions(), clause_rows())

    response = client.open(url, method=method)

    assert_answer(response, admin_answer if role == "admin" else ADMIN_ONLY[role], url)
    if role == "admin" and path.endswith("/discard"):
        assert draft_version() is None
    else:
        assert (versions(), clause_rows()) == before
    if response.status_code == 200:
        assert response.headers["Cache-Control"] == "no-store"


def test_the_admin_links_are_shown_to_administrators_only(client, login_as, matrix_people, pledge):
    login_as(client, matrix_people["admin"])
    assert "/admin/pledges" in client.get("/staff/consultations").get_data(as_text=True)

    login_as(client, matrix_people["staff"])
    html = client.get("/staff/consultations").get_data(as_text=True)
    assert "/admin/pledges" not in html and "/admin/users" not in html


# --- Drafting -----------------------------------------------------------------------------------------

def test_a_new_draft_starts_from_the_current_text(admin_client, pledge):
    html = admin_client.get("/admin/pledges/new").get_data(as_text=True)

    assert f'value="{pledge.title}"' in html
    for clause in pledge.clauses:
        assert clause.text in html
    # The current clauses, then two empty rows for new ones.
    assert f'name="clauses-{len(pledge.clauses) + 1}-text"' in html
    assert f'name="clauses-{len(pledge.clauses) + 2}-text"' not in html


def test_saving_a_draft_creates_it_and_shows_the_preview(admin_client, pledge):
    response = admin_client.post("/admin/pledges/new", data=draft_form())

    draft = draft_version()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/pledges/{draft.id}"
    assert (draft.title, draft.published_at) == (DRAFT_TITLE, None)
    assert [(c.number, c.kind, c.text, c.text_en) for c in draft.clauses] == [
        (1, "counterfeit", "不制假售假。", "No fakes."), (2, "after_sales", "七日无理由退货。", None)]
    preview = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "不制假售假。" in preview and "草稿 · 预览" in preview
    # Shops still read and sign the current version.
    assert current_version().id == pledge.id
    public = admin_client.get("/pledge").get_data(as_text=True)
    assert "不制假售假。" not in public and pledge.clauses[0].text in public


def test_more_empty_rows_can_be_added_without_saving(admin_client, pledge):
    response = admin_client.post("/admin/pledges/new", data=draft_form(add_rows="1"))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="clauses-4-text"' in html and 'name="clauses-5-text"' not in html
    assert "七日无理由退货。" in html  # what was typed stays
    assert draft_version() is None


def test_a_mistake_in_a_clause_is_shown_next_to_it_and_nothing_is_saved(admin_client, pledge):
    before = versions()

    response = admin_client.post("/admin/pledges/new", data=draft_form(**{"clauses-1-kind": ""}))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "第 2 条：请选择承诺的类别。" in html
    assert re.search(r'name="clauses-1-kind"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*name="clauses-1-kind"',
                     html)
    assert "七日无理由退货。" in html and f'value="{DRAFT_TITLE}"' in html
    assert versions() == before


def test_a_draft_is_edited_and_a_second_one_is_not_started(admin_client, admin, pledge):
    draft = make_draft(admin)

    assert admin_client.get("/admin/pledges/new").headers["Location"] == f"/admin/pledges/{draft.id}/edit"
    response = admin_client.post(f"/admin/pledges/{draft.id}/edit", data=draft_form(title="改过的标题"))

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(PledgeVersion, draft.id).title == "改过的标题"
    assert len(versions()) == 2


def test_a_published_version_cannot_be_opened_for_editing(admin_client, pledge):
    before = (versions(), clause_rows())

    page = admin_client.get(f"/admin/pledges/{pledge.id}/edit")
    posted = admin_client.post(f"/admin/pledges/{pledge.id}/edit", data=draft_form(title="改过的标题"))

    assert page.status_code == posted.status_code == 302
    assert posted.headers["Location"] == f"/admin/pledges/{pledge.id}"
    assert "发布后的倡议书不能再修改" in admin_client.get(posted.headers["Location"]).get_data(as_text=True)
    assert (versions(), clause_rows()) == before
    assert admin_client.post(f"/admin/pledges/{pledge.id}/discard").status_code == 302
    assert (versions(), clause_rows()) == before


# --- Publishing ---------------------------------------------------------------------------------------

def test_publishing_needs_the_confirmation_and_a_sensible_window(admin_client, admin, pledge):
    draft = make_draft(admin)

    unconfirmed = admin_client.post(f"/admin/pledges/{draft.id}/publish", data={"resign_days": "30"})
    bad_days = admin_client.post(f"/admin/pledges/{draft.id}/publish", data={"resign_days": "三十", "confirm": "y"})

    assert unconfirmed.status_code == bad_days.status_code == 400
    assert "请确认已预览全文。" in unconfirmed.get_data(as_text=True)
    html = bad_days.get_data(as_text=True)
    assert "重新签署期限应为 0 到 365 天的整数。" in html and 'value="三十"' in html
    assert draft_version().id == draft.id
    assert current_version().id == pledge.id


def test_publishing_makes_the_version_current_with_its_deadline(admin_client, admin, pledge):
    draft = make_draft(admin)

    response = admin_client.post(f"/admin/pledges/{draft.id}/publish", data={"resign_days": "14", "confirm": "y"})

    assert response.status_code == 302
    current = current_version()
    assert current.id == draft.id and current.resign_deadline is not None
    assert 13 < (current.resign_deadline - current.published_at).days <= 14
    listing = admin_client.get("/admin/pledges").get_data(as_text=True)
    assert "现行" in listing and "已被取代" in listing
    assert "不卖假货。" in admin_client.get("/pledge").get_data(as_text=True)


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_publishing_without_the_csrf_token_is_refused(admin_client, admin, pledge):
    draft = make_draft(admin)

    response = admin_client.post(f"/admin/pledges/{draft.id}/publish", data={"resign_days": "14", "confirm": "y"})

    assert response.status_code == 400
    assert draft_version().id == draft.id
    assert db.session.scalar(select(func.count(PledgeVersion.id)).where(PledgeVersion.published_at.is_not(None))) == 1
