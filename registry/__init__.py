"""诚信码 — merchant integrity-pledge registry. `create_app` reads as a table of contents."""

from __future__ import annotations

from flask import Flask

from registry.config import INSTANCE_DIR, PROJECT_ROOT, build_config


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(build_config(overrides))
    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_commands(app)
    register_errorhandlers(app)
    register_page_cache(app)
    register_web_hardening(app)
    register_template_helpers(app)
    return app


def register_extensions(app: Flask) -> None:
    from registry import i18n, page_versions
    from registry.auth.services import load_user_from_session
    from registry import replica
    from registry.extensions import babel, csrf, db, limiter, login_manager, migrate

    replica.install(app)  # the standby's engine and PgBouncer's settings, before the primary's engine
    db.init_app(app)
    page_versions.install()  # every write to a table the QR page shows bumps its version
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=lambda: "Asia/Shanghai",
                   default_translation_directories=str(PROJECT_ROOT / "registry" / "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = i18n.LOGIN_REQUIRED_MESSAGE
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user_from_session)


def register_url_converters(app: Flask) -> None:
    from registry.web import install_converters

    install_converters(app)


def register_blueprints(app: Flask) -> None:
    from registry.auth.public_views import bp as auth_bp
    from registry.badges.owner_views import desk as shop_desk_bp
    from registry.badges.public_views import bp as badges_bp
    from registry.lookup.public_views import bp as lookup_bp
    from registry.merchants.owner_views import bp as merchants_bp
    from registry.merchants.staff_views import bp as shop_staff_bp
    from registry.areas.admin_views import bp as area_admin_bp
    from registry.pledges.public_views import bp as pledges_bp
    from registry.pledges.owner_views import signing as pledge_signing_bp
    from registry.moderation.admin_views import admin as moderation_admin_bp
    from registry.moderation.owner_views import owner as moderation_owner_bp
    from registry.moderation.public_views import public as moderation_public_bp
    from registry.moderation.staff_views import staff as moderation_staff_bp
    from registry.complaints.owner_views import bp as merchant_complaints_bp
    from registry.complaints.staff_views import bp as staff_complaints_bp
    from registry.complaints.public_views import bp as complaints_bp
    from registry.complaints.my_cases_views import bp as my_complaints_bp
    from registry.workdays.staff_views import bp as workdays_bp
    from registry.campaigns.staff_views import bp as campaigns_bp
    from registry.campaigns.owner_views import bp as campaign_claims_bp
    from registry.campaigns.onsite_views import bp as onsite_bp
    from registry.reports.staff_views import audit_log as audit_log_bp
    from registry.auth.admin_views import bp as user_admin_bp
    from registry.consultations.staff_views import bp as consultations_bp
    from registry.pledges.admin_views import bp as pledge_admin_bp
    from registry.reports.public_views import bp as public_stats_bp
    from registry.reports.staff_views import bp as reports_bp
    from registry.api.public_views import bp as api_bp
    from registry.opendata.public_views import bp as opendata_bp
    from registry.ownership.owner_views import owner as ownership_bp
    from registry.ownership.staff_views import staff as ownership_staff_bp
    from registry.moderation.review_views import review as moderation_review_bp
    from registry.jobs.staff_views import bp as jobs_bp
    from registry.opendata.staff_views import bp as opendata_staff_bp

    for blueprint in (lookup_bp, auth_bp, merchants_bp, pledges_bp, pledge_signing_bp, badges_bp, shop_desk_bp,
                      complaints_bp, merchant_complaints_bp, staff_complaints_bp, workdays_bp,
                      campaigns_bp, campaign_claims_bp, moderation_staff_bp, moderation_owner_bp,
                      moderation_public_bp, moderation_admin_bp,
                      consultations_bp, audit_log_bp, user_admin_bp, pledge_admin_bp, api_bp, opendata_bp,
                      reports_bp, public_stats_bp, shop_staff_bp, area_admin_bp,
                      ownership_bp, ownership_staff_bp, moderation_review_bp, onsite_bp, jobs_bp,
                      opendata_staff_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(my_complaints_bp)  # 我的投诉

    if app.config["REGISTRY_ENV"] == "development":
        # The SMS outbox, for a developer: never registered in production or tests (404 there).
        from registry.messaging.dev_views import bp as dev_outbox_bp

        app.register_blueprint(dev_outbox_bp)

    from registry.health import bp as health_bp

    app.register_blueprint(health_bp)  # /healthz for the load balancer


def register_commands(app: Flask) -> None:
    from registry.cli import register

    register(app)


def register_errorhandlers(app: Flask) -> None:
    from registry.errors import register_errorhandlers as register_handlers

    register_handlers(app)


def register_page_cache(app: Flask) -> None:
    from registry.lookup.page_cache import ServeCachedPages

    # Inside the proxy fix (installed next, around it): the fast path sees the client's host and scheme.
    app.wsgi_app = ServeCachedPages(app, app.wsgi_app)


def register_web_hardening(app: Flask) -> None:
    from registry.web import install

    install(app)


def register_template_helpers(app: Flask) -> None:
    from registry.i18n import install_fast_template_gettext
    from registry.templating import install

    install(app)
    install_fast_template_gettext(app)
