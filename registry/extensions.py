"""Unbound extension objects; create_app binds them to the application."""

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from registry.replica import RoutingSession

# Named constraints keep Alembic migrations identical on SQLite (batch mode) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# RoutingSession sends the reads of @replica_reads views to the standby (registry/replica.py).
db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def no_rate_limit(view):
    """A public read with no limit of its own (badge images, the QR page, keys, the logo): exempt, and
    the limiter skips it before resolving any limit (the request filter below), as the bench measured
    ~50 µs per request otherwise. Use instead of `limiter.exempt`."""
    view.no_rate_limit = True
    return limiter.exempt(view)


@limiter.request_filter
def _view_without_rate_limit() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "no_rate_limit", False)
