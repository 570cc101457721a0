"""The service layer (:mod:`app.core`) holds for every service that writes, found by
introspection so a new service is covered without editing this test.

- Every function decorated with ``@writes`` anywhere in ``app`` refuses, before its body
  runs, a write into an archived bureau.  The year lock is applied to every row those
  services write inside the flush (proven per model by ``test_write_guards.py``).
- Application code cannot write bureau rows outside a unit of work: while testing, it
  raises, so this whole suite proves that every write path it exercises goes through
  ``@writes`` (hence through both guards).
- The unit of work: services flush, the outermost caller commits once; a failure rolls
  back everything the unit did; a request whose commit fails takes back its "saved"
  message.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from unittest import mock

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

import app as app_package
from app.core.actor import Actor
from app.core.unit_of_work import WRITES_MARK, unit_of_work
from app.people import services as people
from app.people.models import Person
from app.errors import Conflict, ValidationError
from app.extensions import db
from app.tenancy import services as tenancy
from app.tenancy.session import BureauArchived, tenant_context
from tests.helpers import PASSWORD, login

SYSTEM = Actor.system()


def _write_services() -> list[tuple[str, object]]:
    """Every ``@writes`` function defined in a module of ``app``."""
    found = {}
    for module_info in pkgutil.walk_packages(app_package.__path__, prefix="app."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if inspect.isfunction(value) and getattr(value, WRITES_MARK, False) and value.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = value
    return sorted(found.items())


WRITE_SERVICES = _write_services()


def test_introspection_finds_the_write_services_of_every_feature():
    names = {name for name, _ in WRITE_SERVICES}
    for expected in ("app.duties.services.add_record", "app.findings.services.add_note",
                     "app.scoring.services.sheets.save_self", "app.years.services.lock_year",
                     "app.accounts.services.create_user", "app.duties.xlsx.import_items"):
        assert expected in names
    assert len(names) >= 50


def _placeholder_arguments(function) -> tuple[list, dict, list[mock.MagicMock]]:
    """A mock for every parameter without a default (positional or keyword-only)."""
    args, kwargs, mocks = [], {}, []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.default is not inspect.Parameter.empty or parameter.kind in (
                inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        placeholder = mock.MagicMock(name=parameter.name)
        mocks.append(placeholder)
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = placeholder
        else:
            args.append(placeholder)
    return args, kwargs, mocks


@pytest.fixture
def archived_bureau(app, bureau_a):
    with app.app_context():
        tenancy.set_status(tenancy.get_tenant(bureau_a.slug), "archived")
    return bureau_a


@pytest.mark.parametrize("name,service", WRITE_SERVICES, ids=[name for name, _ in WRITE_SERVICES])
def test_every_write_service_refuses_an_archived_bureau_before_it_runs(app, archived_bureau, name, service):
    args, kwargs, mocks = _placeholder_arguments(service)
    with app.app_context(), tenant_context(tenancy.get_tenant(archived_bureau.slug)):
        with pytest.raises(BureauArchived):
            service(*args, **kwargs)
    for placeholder in mocks:  # the body never ran: nothing it was given was touched
        assert placeholder.mock_calls == [] and not placeholder.method_calls


def test_application_code_writing_outside_a_unit_of_work_is_refused(app, bureau_a):
    # Code of a module of the application (not a test's own fixture) that adds a bureau
    # row without going through @writes.
    namespace = {"__name__": "app.some_feature.services", "db": db, "Person": Person}
    exec("def sneak():\n    db.session.add(Person(name='未登记', kind='member'))\n    db.session.flush()\n",
         namespace)
    with app.app_context(), tenant_context(tenancy.get_tenant(bureau_a.slug)):
        with pytest.raises(RuntimeError, match="outside a unit of work"):
            namespace["sneak"]()


def _people_count(app, slug: str) -> int:
    with app.app_context(), tenant_context(tenancy.get_tenant(slug)):
        return db.session.scalar(select(func.count(Person.id)))


def test_a_service_called_alone_commits(app, bureau_a):
    with app.app_context(), tenant_context(tenancy.get_tenant(bureau_a.slug)):
        people.save_person(None, {"name": "张三", "kind": "member", "post": "党组成员"}, actor=SYSTEM)
    assert _people_count(app, bureau_a.slug) == 1


def test_one_unit_of_work_commits_all_or_nothing(app, bureau_a):
    with app.app_context(), tenant_context(tenancy.get_tenant(bureau_a.slug)):
        with unit_of_work():
            people.save_person(None, {"name": "张三", "kind": "member", "post": "党组成员"}, actor=SYSTEM)
            people.save_person(None, {"name": "李四", "kind": "member", "post": "党组成员"}, actor=SYSTEM)
            assert _people_count(app, bureau_a.slug) == 0  # flushed, not committed
    assert _people_count(app, bureau_a.slug) == 2
    with app.app_context(), tenant_context(tenancy.get_tenant(bureau_a.slug)):
        with pytest.raises(ValidationError), unit_of_work():
            people.save_person(None, {"name": "王五", "kind": "member", "post": "党组成员"}, actor=SYSTEM)
            people.save_person(None, {"name": "", "kind": "member"}, actor=SYSTEM)
    assert _people_count(app, bureau_a.slug) == 2  # the first of the failed unit is gone too


def test_a_request_whose_commit_fails_saves_nothing_and_says_so(app, client, bureau_a, monkeypatch):
    login(client, bureau_a.admin.username, PASSWORD)
    page = f"/b/{bureau_a.slug}/duties/people"
    assert client.get(page).status_code == 200
    real_commit = db.session.commit

    def concurrent_writer_won():
        raise StaleDataError("UPDATE statement on table 'people' expected to update 1 row(s); 0 were matched.")

    monkeypatch.setattr(db.session, "commit", concurrent_writer_won)
    response = client.post(page, data={"name": "赵六", "kind": "member", "post": "党组成员", "sort_order": "0"})
    monkeypatch.setattr(db.session, "commit", real_commit)
    assert response.status_code == Conflict.http_status
    error_page = response.get_data(as_text=True)
    assert "赵六" not in error_page and "alert-success" not in error_page  # no "has been added"
    assert _people_count(app, bureau_a.slug) == 0
    listing = client.get(page).get_data(as_text=True)
    assert "赵六" not in listing and "alert-success" not in listing
