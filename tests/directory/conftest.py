"""Fixtures of the directory tests: a real slapd, a local OpenID Connect provider, and an
application configured for them."""
from __future__ import annotations

import json
import os

import pytest

from app.extensions import db
from tests.helpers import make_app
from tests.support import slapd as slapd_support
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, RunningProvider
from tests.support.settings import cleared


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    """Debian's slapd with the test city's directory, for the whole session."""
    if not (slapd_support.SLAPD and slapd_support.SLAPADD):
        pytest.skip("slapd is not installed (apt-get install slapd ldap-utils)")
    server = slapd_support.start_slapd(tmp_path_factory.mktemp("slapd"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def oidc_provider():
    """The local identity service, for the whole session."""
    running = RunningProvider()
    yield running.provider
    running.stop()


def ldap_settings(url: str, **overrides) -> dict:
    """The ``LDAP_*`` settings for the test directory at ``url``."""
    settings = {
        "LDAP_URL": url,
        "LDAP_BIND_DN": slapd_support.SERVICE_DN,
        "LDAP_BIND_PASSWORD": slapd_support.SERVICE_PASSWORD,
        "LDAP_USER_BASE": f"ou=people,{slapd_support.BASE}",
        "LDAP_GROUP_BASE": f"ou=groups,{slapd_support.BASE}",
        "LDAP_TIMEOUT": 2,
        "LDAP_ROLE_MAP": json.dumps({
            slapd_support.group_dn("city-admins"): "city_admin",
            slapd_support.group_dn("jgswj-editors"): "bureau_editor@bureau-a",
            # spelled differently from the directory: DNs compare without case or spaces
            "CN=jgswj-admins, OU=groups, DC=city, DC=gov": "bureau_admin@bureau-a",
        }),
    }
    settings.update(overrides)
    return settings


@pytest.fixture
def app(request, tmp_path, postgres_database, catalog_template, monkeypatch):
    """The application configured for what the test module names in ``DIRECTORY``: the
    test directory (``"ldap"``), the local identity service (``"oidc"``), or both."""
    for name in list(os.environ):
        if cleared(name):
            monkeypatch.delenv(name)
    kinds = getattr(request.module, "DIRECTORY", "ldap")
    settings: dict = {}
    if "ldap" in kinds:
        settings.update(ldap_settings(request.getfixturevalue("slapd").url))
    if "oidc" in kinds:
        provider = request.getfixturevalue("oidc_provider")
        provider.tamper.clear()
        settings.update(OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET,
                        OIDC_ROLE_CLAIM="groups", OIDC_ROLE_MAP=json.dumps(
                            {"city-admins": "city_admin", "jgswj-editors": "bureau_editor@bureau-a"}))
    settings.update(getattr(request, "param", None) or {})
    application = make_app(tmp_path, postgres_database, catalog_template, **settings)
    with application.app_context():
        yield application
        db.session.remove()
        application.extensions["zeren.tenant_store"].dispose_all()
        db.engine.dispose()
