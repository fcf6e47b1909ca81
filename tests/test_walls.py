"""registry.walls: a wall around a whole blueprint, by role. Anonymous visitors go to the login page,
accounts the wall refuses get 403, nothing behind a wall is cached, and staff walls show the staff
navigation. (tests/test_access.py checks every real route for every role.)"""

from __future__ import annotations

import pytest
from flask import Blueprint, g

from conftest import LOGIN_REDIRECT, assert_answer
from registry.walls import admin_area, owner_area, staff_area

pytestmark = [pytest.mark.own_app, pytest.mark.usefixtures("fresh_request_globals")]  # adds blueprints

WALLS = {"owner": owner_area, "staff": staff_area, "admin": admin_area}

# who → the answer behind each wall
EXPECTED = {
    "anonymous": {"owner": LOGIN_REDIRECT, "staff": LOGIN_REDIRECT, "admin": LOGIN_REDIRECT},
    "merchant": {"owner": 200, "staff": 403, "admin": 403},
    "staff": {"owner": 200, "staff": 200, "admin": 403},
    "admin": {"owner": 200, "staff": 200, "admin": 200},
}


@pytest.fixture
def app(app):
    for name, wall in WALLS.items():
        bp = wall(Blueprint(f"wall_test_{name}", __name__, url_prefix=f"/wall-test/{name}"))
        bp.add_url_rule("/", "page", lambda: {"staff_layout": g.get("in_staff_area")})
        app.register_blueprint(bp)
    return app


@pytest.fixture
def people(make_user):
    return {"merchant": make_user(), "staff": make_user(role="staff", district="西湖区"),
            "admin": make_user(role="admin")}


@pytest.mark.parametrize("who", EXPECTED)
def test_each_wall_lets_in_only_its_roles_and_nothing_behind_it_is_cached(client, login_as, people, who):
    if who != "anonymous":
        login_as(client, people[who])
    for wall in WALLS:
        url = f"/wall-test/{wall}/"
        response = client.get(url)
        assert_answer(response, EXPECTED[who][wall], url)
        assert response.headers["Cache-Control"] == "no-store", wall
        if response.status_code == 200:
            assert response.get_json() == {"staff_layout": wall != "owner"}, wall
