"""The certificate campaign portal: create_app wires extensions, blueprints and commands."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, g, request, session
from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal.config import CONFIGS
from portal.extensions import babel, compress, csrf, db, limiter, login_manager, migrate
from portal.logs import RedactPersonalData

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the portal. `config` overrides values read from the environment."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=os.environ.get("PORTAL_INSTANCE_DIR") or str(ROOT / "instance"),
    )
    env_name = (config or {}).get("ENV_NAME") or os.environ.get("PORTAL_ENV", "production")
    app.config.from_object(CONFIGS.get(env_name, CONFIGS["production"]))
    if config:
        app.config.update(config)
    _finish_config(app)
    from portal.public_url import install_proxy_fix

    install_proxy_fix(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, default_translation_directories=str(
        Path(__file__).parent / "translations"
    ))
    _init_login(app)
    app.logger.addFilter(RedactPersonalData())

    from portal import errors, models, refusals, security, uow  # noqa: F401
    from portal.admin import bp as admin_bp
    from portal.assessments import bp as assessments_bp
    from portal.assessments import workspace_bp
    from portal.audit.views import bp as audit_bp
    from portal.auth import bp as auth_bp
    from portal.batches import bp as batches_bp
    from portal.batches import city_bp as city_batches_bp
    from portal.cadres import bp as cadres_bp
    from portal.campaigns import bp as campaigns_bp
    from portal.cases import bp as cases_bp
    from portal.certificates import bp as certificates_bp
    from portal.certificates import township_bp as handover_bp
    from portal.certificates import verify_bp
    from portal.city import bp as city_bp
    from portal.dashboards import bp as dashboards_bp
    from portal.dashboards import township_bp as township_dashboard_bp
    from portal.doctors import bp as doctors_bp
    from portal.evidence import bp as evidence_bp
    from portal.expiring import bp as expiring_bp
    from portal.guardian import bp as guardian_bp
    from portal.guardian import invites_bp as guardian_invites_bp
    from portal.imports import bp as imports_bp
    from portal.imports import city_bp as city_exports_bp
    from portal.info import admin_bp as info_admin_bp
    from portal.info import bp as info_bp
    from portal.jobs.views import bp as job_files_bp
    from portal.jobs.views import city_bp as city_job_files_bp
    from portal.lifecycle import bp as lifecycle_bp
    from portal.lifecycle import city_bp as city_lifecycle_bp
    from portal.media_nodes import bp as media_nodes_bp
    from portal.notices import bp as notices_bp
    from portal.objections import bp as objections_bp
    from portal.objections import notice_bp
    from portal.observability import bp as observability_bp
    from portal.petitions import bp as petitions_bp
    from portal.petitions import city_bp as city_petitions_bp
    from portal.petitions import guardian_bp as guardian_petitions_bp
    from portal.petitions import public_bp as public_petitions_bp
    from portal.public import bp as public_bp
    from portal.register import bp as register_bp
    from portal.register import city_bp as city_register_bp
    from portal.review import bp as review_bp
    from portal.rosters import bp as rosters_bp
    from portal.scheduling import bp as scheduling_bp
    from portal.supervision import bp as supervision_bp
    from portal.supervision import township_bp as supervision_township_bp
    from portal.training import bp as training_bp
    from portal.transfers import bp as transfers_bp
    from portal.video import bp as video_bp
    from portal.video import join_bp as video_join_bp
    from portal.walkins import bp as walkins_bp

    for bp in (public_bp, auth_bp, admin_bp, audit_bp, city_bp, campaigns_bp, rosters_bp,
               imports_bp, city_exports_bp, cases_bp, review_bp, scheduling_bp, doctors_bp,
               assessments_bp, workspace_bp, evidence_bp, guardian_bp, guardian_invites_bp,
               certificates_bp, handover_bp, verify_bp, dashboards_bp, township_dashboard_bp,
               video_bp, video_join_bp, register_bp, city_register_bp, walkins_bp, notices_bp,
               supervision_bp, supervision_township_bp, observability_bp, objections_bp,
               notice_bp, info_bp, info_admin_bp, lifecycle_bp, city_lifecycle_bp,
               petitions_bp, city_petitions_bp, guardian_petitions_bp, public_petitions_bp,
               transfers_bp, expiring_bp, training_bp, media_nodes_bp, batches_bp,
               city_batches_bp, cadres_bp, job_files_bp, city_job_files_bp):
        app.register_blueprint(bp)
    from portal.cases.workflow import check_registered
    from portal.lifecycle.views import person_section
    from portal.register.views import holder_context
    from portal.transfers.views import transfer_context

    check_registered()  # every guard and effect the workflow table names exists
    # Sections other areas add to a person's page (rosters sits below them).
    app.extensions["person_page_parts"] = (holder_context, person_section, transfer_context)
    errors.register(app)
    refusals.register(app)
    from portal import observability

    observability.register(app)
    security.register(app)
    from portal.auth import sessions

    sessions.register(app)

    from portal.cli import register_cli

    register_cli(app)
    _register_template_helpers(app)
    # Last, so that every view above runs in one unit of work (portal/uow.py).
    uow.wrap_views(app)
    return app


def _finish_config(app: Flask) -> None:
    from portal import clock, public_url

    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set outside development and testing")
    clock.check_settings(app.config)
    public_url.check_settings(app.config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'portal.sqlite3'}"
        )
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[len("postgresql://"):]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # A database error's text never carries the statement's values (names, ID numbers) into
    # logs and error reports.
    options.setdefault("hide_parameters", True)
    if uri.startswith("sqlite"):
        options.pop("pool_pre_ping", None)
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    for key, sub in (("EVIDENCE_DIR", "evidence"), ("IMPORT_DIR", "imports")):
        if not app.config.get(key):
            app.config[key] = str(Path(app.instance_path) / sub)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL for concurrent readers, enforced foreign keys, real transactions on SQLite."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # Let SQLAlchemy emit BEGIN itself so that SAVEPOINT and transactional DDL work
    # (the pysqlite recipe in SQLAlchemy's SQLite dialect documentation).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _request_may_write() else "BEGIN")


def _request_may_write() -> bool:
    """A request that changes data (POST and the like) takes SQLite's write lock when its
    transaction begins. In WAL mode a transaction that reads first and writes later fails at
    once ("database is locked", no busy wait) when another connection wrote in between, as a
    doctor's video offer did while the guardian joined; waiting for the lock at the start
    uses the busy timeout instead. Pages (GET) begin as readers. A background job (whose
    heartbeat writes beside it) says so with `g.writes_first` (portal/jobs/runner.py)."""
    from flask import has_app_context, has_request_context, request

    if has_app_context() and g.get("writes_first"):
        return True
    return has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")


def _select_locale() -> str:
    from flask import current_app, has_request_context

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background import jobs
        return languages[0]
    wanted = session.get("locale")
    if wanted in languages:
        return wanted
    if request.accept_languages.best_match(["zh", "en"]) == "en":
        return "en"
    return languages[0]


def _init_login(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from portal.auth.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_key: str):
        try:
            user_id, version = (int(part) for part in user_key.split(":"))
        except ValueError:
            return None
        user = db.session.get(User, user_id)
        if user is None or user.session_version != version or not user.active:
            return None
        return user


def _register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from portal.auth.roles import ROLE_LABELS, Permission
    from portal.domain.idcard import mask, mask_phone
    from portal.jobs.words import phase_text, state_text
    from portal.labels import LABELS

    app.jinja_env.globals.update(job_state_text=state_text, job_phase_text=phase_text)
    app.jinja_env.filters["mask_id"] = mask
    app.jinja_env.filters["mask_phone"] = mask_phone
    # A family of LABELS translated once, for a table that shows it on every row.
    app.jinja_env.filters["translated"] = lambda family: {k: str(v) for k, v in family.items()}

    @app.context_processor
    def inject():
        from flask_login import current_user

        from portal.auth.roles import CITY_ROLES, Role
        from portal.clock import moved_clock

        roles = current_user.roles if current_user.is_authenticated else set()
        return {
            "nav": {
                "city": bool(roles & CITY_ROLES),
                "users": Role.CITY_ADMIN in roles,
                "audit": bool(roles & {Role.CITY_ADMIN, Role.SUPERVISOR}),
            },
            "Permission": Permission,
            "ROLE_LABELS": ROLE_LABELS,
            "LABELS": LABELS,
            "current_locale": str(get_locale()),
            "access": g.get("access"),
            "township": g.get("township"),
            "moved_clock": moved_clock(),
        }
