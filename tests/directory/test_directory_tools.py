"""The directory's settings, command-line tools and the demo city's directory."""
from __future__ import annotations

import json
import subprocess

import pytest

from app.directory import demo
from tests.helpers import make_app
from tests.support import slapd as directory

DIRECTORY = "ldap"


@pytest.mark.parametrize("value", ["not json", "[1, 2]", '{"cn=x": 3}'])
def test_a_malformed_role_map_stops_the_application_at_start(tmp_path, value):
    with pytest.raises(RuntimeError, match="ZEREN_LDAP_ROLE_MAP"):
        make_app(tmp_path, None, None, LDAP_ROLE_MAP=value)


def test_a_directory_without_a_way_to_find_people_stops_the_application(tmp_path):
    with pytest.raises(RuntimeError, match="ZEREN_LDAP_USER_BASE"):
        make_app(tmp_path, None, None, LDAP_URL="ldap://x")


def test_check_prints_the_entry_groups_and_roles_and_writes_nothing(app, bureau_a):
    from sqlalchemy import func, select

    from app.accounts.models import User
    from app.extensions import db

    users = db.session.scalar(select(func.count()).select_from(User))
    result = app.test_cli_runner().invoke(args=["directory", "check", "wangfang", "--password",
                                                directory.PEOPLE["wangfang"][1]])
    assert result.exit_code == 0, result.output
    assert "accepted" in result.output and "王芳" in result.output
    assert "bureau_admin@bureau-a" in result.output and "bureau_editor@bureau-a" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == users
    wrong = app.test_cli_runner().invoke(args=["directory", "check", "wangfang", "--password", "nope-nope-1"])
    assert wrong.exit_code == 1 and "refused" in wrong.output


def test_the_demo_directory_loads_into_slapd_and_maps_every_bureau(tmp_path, slapd):
    text, role_map = demo.demo_directory(bureaus=3)
    path = tmp_path / "demo.ldif"
    path.write_text(text, encoding="utf-8")
    # A dry run of slapadd against the test directory's configuration checks every entry
    # against the schema.
    subprocess.run([directory.SLAPADD, "-u", "-f", str(slapd.folder / "slapd.conf"), "-l", str(path)],
                   check=True, capture_output=True)
    assert len(role_map) == 2 + 3 * 3
    assert set(role_map.values()) >= {"city_admin", "city_viewer", "bureau_admin@jgswj"}
    for group in role_map:
        assert f"dn: {group}\n" in text
    json.loads(demo.role_map_json(role_map))


def test_templates_render_outside_a_request(app):
    # Reports render their templates in jobs, where there is no request.
    from flask import render_template_string

    assert render_template_string("{{ 1 + 1 }}") == "2"
