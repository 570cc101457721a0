"""Zeren (责任): the application factory.

``create_app`` reads configuration, initialises the extensions, registers blueprints and
CLI commands.  It does no database work: the catalog is created by ``flask catalog
upgrade`` and bureaus by ``flask tenants create`` (or the city's pages).
"""
from __future__ import annotations

import os

from flask import Flask, session

from . import config as config_module
from .extensions import babel, bootstrap, csrf, db, limiter, login_manager


def create_app(config: type | dict | None = None) -> Flask:
    """Build the application.

    ``config`` is a configuration class or a dict of overrides; by default
    ``ProductionConfig`` when ``ZEREN_ENV=production`` else ``Config``.  ``ZEREN_*``
    environment variables override the class, and a dict overrides both.
    """
    from .web_shell import ZerenFlask

    app = ZerenFlask(__name__)
    base = config if isinstance(config, type) else (
        config_module.ProductionConfig if os.environ.get("ZEREN_ENV") == "production" else config_module.Config)
    app.config.from_object(base)
    app.config["ENV_NAME"] = "production" if base is config_module.ProductionConfig else "development"
    config_module.apply_environment(app.config)
    if isinstance(config, dict):
        app.config.update(config)
    config_module.finalise(app.config)

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    _register_demo_seeders(app)
    _register_references(app)
    _register_audit_labels(app)

    from .ops import init_app as init_ops
    from .web_shell import init_app as init_shell

    from .jobs import init_app as init_jobs

    init_shell(app)
    init_ops(app)
    init_jobs(app)
    return app


def _select_locale() -> str:
    """The language chosen in the session (language switcher), else Simplified Chinese."""
    from flask import current_app, has_request_context

    code = session.get("lang") if has_request_context() else None
    return code if code in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def _init_extensions(app: Flask) -> None:
    from .tenancy.store import TenantStore, parse_servers

    db.init_app(app)
    if app.config["DATABASE_URL"].startswith("sqlite"):
        from sqlalchemy import event

        from .tenancy.store import sqlite_pragmas

        with app.app_context():  # creates the engine object only; no connection is made
            event.listen(db.engine, "connect", sqlite_pragmas(app.config["SQLITE_BUSY_TIMEOUT_MS"]))
    app.extensions["zeren.tenant_store"] = TenantStore(
        tenants_dir=app.config["TENANTS_DIR"],
        catalog_url=app.config["DATABASE_URL"],
        servers=parse_servers(app.config["TENANT_SERVERS"], app.config["DATABASE_URL"]),
        capacity=app.config["TENANT_ENGINE_CACHE"],
        busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
        engine_options={"connect_args": app.config["PG_CONNECT_ARGS"]} if app.config["PG_CONNECT_ARGS"] else None,
        default_server=app.config["DEFAULT_TENANT_SERVER"],
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, default_translation_directories="translations")
    bootstrap.init_app(app)
    # Defining CatalogStorage registers the ``catalogdb://`` scheme with ``limits``.
    from .accounts.ratelimit import CatalogStorage  # noqa: F401

    limiter.init_app(app)

    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")

    from .accounts.services import load_user

    login_manager.user_loader(load_user)

    from .city import tasks as rollup_tasks
    from .tenancy import routing

    routing.init_app(app)
    rollup_tasks.init_app(app)


def _register_blueprints(app: Flask) -> None:
    """Every page's blueprint, under the parent that gives it its scope.

    ``/b/<slug>/…``: the ``bureau`` parent resolves the bureau, checks membership and
    binds the session (:func:`app.tenancy.routing.bureau_scope`) for every page of its
    children, whatever their URL variables are called.  ``/city/…``: the ``city`` parent;
    each view says which city role it needs.  Endpoints are ``bureau.<feature>.<view>``
    and ``city.<feature>.<view>``.  The parents are built here, once per application:
    a blueprint cannot gain children after it was registered.
    """
    from flask import Blueprint

    from . import accounts, audit, bureau, city, deadlines, duties, findings, jobs, meetings, orgs, reports, years
    from .scoring import views as scoring_views
    from .tenancy.routing import bureau_scope

    bureau_pages = bureau_scope(Blueprint("bureau", __name__, url_prefix="/b/<slug>"))
    for child in (bureau.bp, duties.bp, scoring_views.bureau_bp, findings.bp, findings.reminders_bp, reports.bp,
                  audit.bureau_bp, orgs.bp, meetings.bp):
        bureau_pages.register_blueprint(child)
    city_pages = Blueprint("city", __name__, url_prefix="/city")
    for child in (city.bp, duties.city_bp, scoring_views.city_bp, findings.city_bp, reports.city_bp, years.bp,
                  audit.city_bp, jobs.city_bp, deadlines.city_bp):
        city_pages.register_blueprint(child)
    from . import citytasks, notifications

    bureau_pages.register_blueprint(citytasks.bp)
    city_pages.register_blueprint(citytasks.city_bp)
    for blueprint in (accounts.bp, bureau_pages, city_pages, notifications.bp):
        app.register_blueprint(blueprint)
    from . import directory
    from .directory import oidc

    app.register_blueprint(directory.bp)
    oidc.init_app(app)
    # The log-in's first factor asks the directory when one is configured (LDAP_URL);
    # the accounts package knows it only through this entry, so neither imports the other.
    from .directory.services import authenticate as directory_first_factor

    app.extensions["zeren.directory_first_factor"] = directory_first_factor


def _register_demo_seeders(app: Flask) -> None:
    """What each feature adds to the demo city, in order (duty lists first: findings and
    score sheets link to their items and evidence)."""
    from .duties.demo import seed as duties_seed
    from .findings.demo import seed as findings_seed
    from .meetings.demo import seed as meetings_seed
    from .orgs.demo import seed as orgs_seed
    from .scoring.demo import seed_bureau as scoring_seed
    from .audit.demo import seed as audit_seed

    from .deadlines.demo import seed as deadlines_seed
    from .duties.demo import seed_review as duties_review_seed

    app.extensions["zeren.demo_seeders"] = (deadlines_seed, duties_seed, findings_seed, scoring_seed,
                                            duties_review_seed, orgs_seed, meetings_seed, audit_seed)
    from .citytasks.demo import seed as citytasks_seed

    app.extensions["zeren.demo_city_seeders"] = (citytasks_seed,)


def _register_audit_labels(app: Flask) -> None:
    """What the codes in the audit trail's snapshots mean, from each feature's labels, so
    that the log reads "周期：每季度" rather than "cadence: quarterly" (the audit package
    imports no feature)."""
    from .accounts.roles import ROLE_LABELS
    from .audit.labels import register_values
    from .duties import labels as duties
    from .findings import labels as findings
    from .orgs.labels import KIND_LABELS as ORG_KIND_LABELS
    from .people.labels import PERSON_KIND_LABELS
    from .scoring import labels as scoring
    from .tenancy.models import BUREAU_CATEGORIES

    with app.app_context():
        register_values("category", {**duties.CATEGORIES, **BUREAU_CATEGORIES})
        register_values("area", {**duties.DEFAULT_AREAS, **findings.AREAS})
        register_values("cadence", duties.CADENCE_LABELS)
        register_values("status", {**duties.LIST_STATUS_LABELS, **findings.STATUS_LABELS, **scoring.STATUS_LABELS})
        register_values("kind", {**PERSON_KIND_LABELS, **scoring.KIND_LABELS, **ORG_KIND_LABELS})
        from .directory.labels import SOURCE_LABELS

        register_values("source", {**findings.SOURCES, **SOURCE_LABELS})
        register_values("severity", findings.SEVERITIES)
        register_values("roles", ROLE_LABELS)


def _register_references(app: Flask) -> None:
    """The columns of each feature that hold shared things, so that the shared packages
    never guess from names: blob keys (a blob is deleted only when none of these holds
    its key, :func:`app.evidence.services.release_blobs`) and people who still own rows
    (such a person cannot be removed, :func:`app.people.services.delete_person`)."""
    from .duties.models import DutyItem
    from .evidence.models import Attachment
    from .findings.models import FindingEvidence
    from .citytasks.models import TaskAnswer, TaskAnswerFile
    from .meetings.models import Meeting
    from .orgs.models import OrgCommitteeMember, OrgUnit

    app.extensions["zeren.blob_references"] = (Attachment.sha256, FindingEvidence.blob_key, TaskAnswerFile.sha256)
    app.extensions["zeren.person_holders"] = (DutyItem.owner_id, OrgUnit.secretary_id, OrgUnit.deputy_id,
                                              OrgUnit.organiser_id, OrgCommitteeMember.person_id)
    # Rows that keep an organisation from being removed (app.orgs.services.delete_unit).
    app.extensions["zeren.unit_holders"] = (Meeting.unit_id, TaskAnswer.org_id, DutyItem.meeting_unit_id)
    # What fills a unit's figures on the bureau's dashboard (app.orgs.services.refresh_figures).
    from .meetings.services import branch_figures

    app.extensions["zeren.branch_figure_sources"] = (branch_figures,)


def _register_cli(app: Flask) -> None:
    """The ``flask`` command groups of the infrastructure and of each feature."""
    from .accounts.cli import accounts_cli
    from .audit.cli import audit_cli
    from .city.cli import rollup_cli
    from .demo.cli import demo_cli
    from .directory.cli import directory_cli
    from .duties.cli import duties_cli
    from .evidence.cli import evidence_cli
    from .findings.cli import findings_cli, reminders_cli
    from .jobs.cli import jobs_cli
    from .meetings.cli import meetings_cli
    from .orgs.cli import orgs_cli
    from .reports.cli import reports_cli
    from .scoring.cli import scoring_cli
    from .tenancy.cli import catalog_cli, tenants_cli

    for group in (catalog_cli, tenants_cli, demo_cli, rollup_cli, duties_cli, scoring_cli, findings_cli,
                  reminders_cli, reports_cli, jobs_cli, evidence_cli, orgs_cli,
                  meetings_cli, accounts_cli, directory_cli, audit_cli):
        app.cli.add_command(group)
