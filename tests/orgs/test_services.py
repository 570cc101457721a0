"""Rules of the organisation tree and of the branch role."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.audit.models import TenantAuditEvent
from app.errors import NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.orgs import services
from app.orgs.models import OrgUnit
from app.people import services as people
from app.tenancy.session import tenant_context
from sqlalchemy import func, select
from tests.helpers import admin_of, branch_of, editor_of


def _refusal(call) -> dict:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.errors


def test_every_field_error_is_reported_at_once(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        errors = _refusal(lambda: services.create_unit(
            {"name": "", "kind": "cell", "member_count": "-3", "elected_on": "2026-13-40", "term_years": "9",
             "secretary_id": "999"}, actor=admin_of(bureau_a)))
    assert set(errors) == {"name", "kind", "member_count", "elected_on", "term_years", "secretary_id"}


@pytest.mark.parametrize("kind, parent, field", [
    ("branch", "group", "parent_id"),           # a branch never sits under a 党小组
    ("group", None, "parent_id"),               # a 党小组 needs its branch
    ("party_committee", "committee", "parent_id"),  # the committee is the top
    ("general_branch", "first", "parent_id"),   # a 党总支 sits under the committee, not a branch
])
def test_kinds_sit_only_under_their_parents(bureau_a, tree, kind, parent, field):
    parent_id = getattr(tree, parent) if parent else None
    with tenant_context(bureau_a.tenant):
        errors = _refusal(lambda: services.create_unit({"name": "新组织", "kind": kind, "parent_id": parent_id},
                                                       actor=admin_of(bureau_a)))
    assert field in errors


def test_names_are_unique_and_the_deputy_is_not_the_secretary(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        errors = _refusal(lambda: services.create_unit(
            {"name": "办公室党支部", "kind": "branch", "parent_id": tree.committee,
             "secretary_id": tree.people["s2"], "deputy_id": tree.people["s2"]}, actor=admin_of(bureau_a)))
    assert "已有" in errors["name"][0] and "deputy_id" in errors


def test_the_last_election_cannot_be_in_the_future(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        unit = services.get_unit(tree.second, admin_of(bureau_a))
        errors = _refusal(lambda: services.update_unit(
            unit, {**_data(unit), "elected_on": services.today() + timedelta(days=1)}, actor=admin_of(bureau_a),
            version=unit.version))
    assert "elected_on" in errors


def _data(unit: OrgUnit) -> dict:
    return {"name": unit.name, "kind": unit.kind, "parent_id": unit.parent_id, "secretary_id": unit.secretary_id,
            "deputy_id": unit.deputy_id, "organiser_id": unit.organiser_id,
            "committee_ids": [m.person_id for m in unit.committee], "member_count": unit.member_count,
            "elected_on": unit.elected_on, "term_years": unit.term_years}


def test_next_election_and_its_warning(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        first = db.session.get(OrgUnit, tree.first)
        assert services.next_election(first) == date(2025, 3, 1)
        assert services.election_state(first, date(2025, 3, 2)) == "overdue"
        assert services.election_state(first, date(2025, 1, 1)) == "due_soon"
        assert services.election_state(first, date(2024, 1, 1)) == "ok"
        first.elected_on = None
        assert services.election_state(first) == "unknown"
        db.session.rollback()
    assert services.add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)


def test_a_kind_change_must_keep_the_units_below_valid(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        first = services.get_unit(tree.first, admin_of(bureau_a))
        errors = _refusal(lambda: services.update_unit(first, {**_data(first), "kind": "general_branch"},
                                                       actor=admin_of(bureau_a), version=first.version))
    assert "kind" in errors


def test_a_unit_with_units_under_it_is_not_removed(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        first = services.get_unit(tree.first, admin_of(bureau_a))
        with pytest.raises(ValidationError):
            services.delete_unit(first, actor=admin_of(bureau_a), version=first.version)
        group = services.get_unit(tree.group, admin_of(bureau_a))
        services.delete_unit(group, actor=admin_of(bureau_a), version=group.version)
        assert db.session.get(OrgUnit, tree.group) is None
        assert db.session.scalar(select(func.count()).select_from(TenantAuditEvent).where(
            TenantAuditEvent.action == "org_unit.delete")) == 1


def test_a_person_holding_a_post_cannot_be_removed(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        person = people.get_person(tree.people["o2"])
        with pytest.raises(ValidationError):
            people.delete_person(person, actor=admin_of(bureau_a), version=person.version)


def test_every_write_is_audited(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        actions = list(db.session.scalars(select(TenantAuditEvent.action).where(
            TenantAuditEvent.entity_type == "org_unit")))
    assert actions.count("org_unit.create") == 4


# -- the branch role ----------------------------------------------------------------------

def test_a_branch_user_sees_their_branch_and_the_units_below_it_only(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        assert services.led_unit_ids(branch_of(tree.branch1)) == {tree.first, tree.group}
        # the 组织委员 of the second branch leads it like its secretary
        assert services.led_unit_ids(branch_of(tree.branch2)) == {tree.second}
        rows = services.tree(branch_of(tree.branch1)).rows
        assert [r.unit.id for r in rows] == [tree.first, tree.group] and rows[0].depth == 0
        for other in (tree.second, tree.committee):
            with pytest.raises(NotFound):
                services.get_unit(other, branch_of(tree.branch1))
        assert len(services.tree(editor_of(bureau_a)).rows) == 4


def test_a_branch_user_changes_only_the_branch_fields(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        unit = services.get_unit(tree.first, branch_of(tree.branch1))
        services.update_unit(unit, {**_data(unit), "name": "改名党支部", "secretary_id": tree.people["g"],
                                    "member_count": "21"}, actor=branch_of(tree.branch1), version=unit.version)
        unit = db.session.get(OrgUnit, tree.first)
        assert (unit.name, unit.secretary_id, unit.member_count) == ("机关第一党支部", tree.people["s1"], 21)


def test_only_administrators_shape_the_tree(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        for actor in (branch_of(tree.branch1), editor_of(bureau_a)):
            with pytest.raises(PermissionDenied):
                services.create_unit({"name": "第三党支部", "kind": "branch", "parent_id": tree.committee},
                                     actor=actor)
        unit = services.get_unit(tree.second, editor_of(bureau_a))
        with pytest.raises(PermissionDenied):
            services.update_unit(unit, _data(unit), actor=editor_of(bureau_a), version=unit.version)
        with pytest.raises(PermissionDenied):
            services.update_unit(db.session.get(OrgUnit, tree.second), _data(unit), actor=branch_of(tree.branch1),
                                 version=unit.version)


def test_metrics_count_branches_members_and_overdue_elections(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        figures = services.metrics(2026)
    overdue = 1 if services.today() > date(2025, 3, 1) else 0
    assert figures["branches"] == 2 and figures["branch_members"] == 27
    assert figures["elections_overdue"] >= overdue
