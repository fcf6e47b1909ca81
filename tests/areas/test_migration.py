"""The migration that creates the list puts the names already in use on it, merging their spellings."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from registry.extensions import db
from tests.conftest import make_app

BEFORE = "f740e6c67947"  # the revision before the list existed


@pytest.fixture
def empty_app(empty_database_url):
    app = make_app(empty_database_url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _shop(connection, number: int, district: str, township: str) -> None:
    connection.execute(text(
        "INSERT INTO merchants (name, search_name, credit_code, category, district, township, address, contact_phone,"
        " owner_name, public_code, standing, created_at, updated_at, version) VALUES (:name, :name, :code, 'food',"
        " :district, :township, '路 1 号', '13900000000', '王', :public, 'active', CURRENT_TIMESTAMP,"
        " CURRENT_TIMESTAMP, 1)"),
        {"name": f"店{number}", "code": f"91330106MA{number:08d}", "public": f"code{number:012d}",
         "district": district, "township": township})


def test_names_in_use_are_put_on_the_list_with_their_spellings_merged(empty_app):
    upgrade(revision=BEFORE)
    with db.engine.begin() as connection:
        for number, (district, township) in enumerate([("西湖区", "转塘街道"), ("西湖 区", "转塘 街道"), ("西湖区", "转塘"),
                                                       ("西湖", "双浦镇"), ("滨江区", "长河街道"), ("余杭区", "")]):
            _shop(connection, number, district, township)
        connection.execute(text(
            "INSERT INTO users (login, display_name, password_hash, role, district, is_enabled, session_version,"
            " created_at) VALUES ('li@example.cn', '李', 'x', 'staff', '滨江 区', true, 1, CURRENT_TIMESTAMP)"))

    upgrade()

    with db.engine.connect() as connection:
        districts = dict(connection.execute(text("SELECT name, id FROM districts ORDER BY id")).all())
        townships = connection.execute(text(
            "SELECT d.name, t.name FROM townships t JOIN districts d ON d.id = t.district_id ORDER BY d.id, t.name"
        )).all()
        shops = connection.execute(text("SELECT district, township, version FROM merchants ORDER BY id")).all()
        staff = connection.execute(text("SELECT district FROM users")).scalar_one()
    assert list(districts) == ["西湖区", "滨江区", "余杭区"]  # by use: 4 shops, 1 shop and 1 officer, 1 shop
    assert [tuple(t) for t in townships] == [("西湖区", "双浦镇"), ("西湖区", "转塘街道"), ("滨江区", "长河街道")]
    # Rewritten rows get a new version (once per rewritten column), so stale forms cannot write them back.
    assert [tuple(s) for s in shops] == [("西湖区", "转塘街道", 1), ("西湖区", "转塘街道", 3), ("西湖区", "转塘街道", 2),
                                         ("西湖区", "双浦镇", 2), ("滨江区", "长河街道", 1), ("余杭区", "", 1)]
    assert staff == "滨江区"

    downgrade(revision=BEFORE)
    assert not {"districts", "townships"} & set(inspect(db.engine).get_table_names())
