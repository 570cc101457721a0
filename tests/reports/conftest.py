"""Fixtures of the report tests: an application that only renders, and a seeded demo city."""
from __future__ import annotations

import os

import pytest

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.tenancy.migrations import upgrade_catalog
from tests.helpers import make_app
from tests.reports.samples import BUREAUS, PASSWORD
from tests.support.settings import SUITE_SETTINGS


@pytest.fixture(scope="module")
def render_app(tmp_path_factory):
    """An application for rendering only (no database is touched)."""
    config = type("ComposeConfig", (TestConfig,), {"TENANTS_DIR": str(tmp_path_factory.mktemp("compose"))})
    application = create_app(config)
    with application.app_context():
        yield application


@pytest.fixture(scope="module")
def demo_city(tmp_path_factory, postgres_database):
    """The demo city of ``flask demo seed --bureaus 6``, its roll-up computed."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("ZEREN_") and name not in SUITE_SETTINGS:
                patch.delenv(name)
        application = make_app(tmp_path_factory.mktemp("print-layout"), postgres_database)
        with application.app_context():
            upgrade_catalog(db.engine, application.config["MIGRATIONS_DIR"])
            runner = application.test_cli_runner()
            result = runner.invoke(args=["demo", "seed", "--bureaus", str(BUREAUS), "--password", PASSWORD])
            assert result.exit_code == 0, result.output
            result = runner.invoke(args=["rollup", "refresh"])
            assert result.exit_code == 0, result.output
            yield application
            db.session.remove()
            application.extensions["zeren.tenant_store"].dispose_all()
            db.engine.dispose()
