"""Rules of the meeting ledger: fields, who records, cadence and missed periods."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.audit.models import TenantAuditEvent
from app.errors import NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.meetings import services
from app.meetings.models import Meeting
from app.orgs import services as orgs
from app.tenancy.session import tenant_context
from sqlalchemy import func, select
from tests.helpers import admin_of, branch_of, editor_of


def _meeting(**overrides) -> dict:
    data = {"kind": "committee", "held_on": services.today(), "topic": "研究本月党建工作安排", "expected": "7",
            "present": "5", "absences": "张三 因公出差\n李四：病假", "minutes": "会议由支部书记主持。"}
    data.update(overrides)
    return data


def test_a_branch_secretary_records_a_committee_meeting_with_attendance(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        unit = services.get_unit(tree.first, branch_of(tree.branch1))
        meeting = services.record_meeting(unit, _meeting(), actor=branch_of(tree.branch1))
        assert [(a.name, a.reason) for a in meeting.absences] == [("张三", "因公出差"), ("李四", "病假")]
        assert meeting.year == services.today().year and meeting.recorded_by == "赵一支"
        assert db.session.scalar(select(func.count()).select_from(TenantAuditEvent).where(
            TenantAuditEvent.action == "meeting.create")) == 1


def test_every_field_error_is_reported_at_once(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        unit = services.get_unit(tree.first, admin_of(bureau_a))
        with pytest.raises(ValidationError) as caught:
            services.record_meeting(unit, _meeting(kind="group", held_on=services.today() + timedelta(days=1),
                                                   topic="", expected="x", present="-1", minutes="a\x00"),
                                    actor=admin_of(bureau_a))
    assert set(caught.value.errors) == {"kind", "held_on", "topic", "expected", "present", "minutes"}


def test_attendance_cannot_exceed_the_members_expected(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        unit = services.get_unit(tree.first, admin_of(bureau_a))
        with pytest.raises(ValidationError) as caught:
            services.record_meeting(unit, _meeting(expected="6", present="5"), actor=admin_of(bureau_a))
    assert "present" in caught.value.errors


def test_only_branch_kinds_and_only_led_units(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        with pytest.raises(NotFound):  # the committee keeps no ledger
            services.get_unit(tree.committee, admin_of(bureau_a))
        with pytest.raises(NotFound):  # another branch
            services.get_unit(tree.second, branch_of(tree.branch1))
        group = services.get_unit(tree.group, branch_of(tree.branch1))
        assert services.kinds_for(group) == ("group",)
        second = services.get_unit(tree.second, editor_of(bureau_a))
        with pytest.raises(PermissionDenied):
            services.record_meeting(second, _meeting(), actor=editor_of(bureau_a))


def test_periods_count_held_and_missed_by_the_bureaus_cadence(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        unit = services.get_unit(tree.first, admin_of(bureau_a))
        held = {"committee": [date(2026, 1, 10), date(2026, 3, 5), date(2026, 3, 20)],
                "lecture": [date(2026, 2, 1)]}
        by_kind = {p.kind: p for p in services.periods(unit, 2026, date(2026, 4, 15), held_days=held)}
        committee = by_kind["committee"]
        assert (committee.started, committee.held, committee.missed, committee.current_held) == (4, 2, [1], False)
        lecture = by_kind["lecture"]
        assert (lecture.started, lecture.held, lecture.missed) == (2, 1, [])
        services.set_cadences({"general_assembly": "6", "committee": "3", "group": "1", "lecture": "0",
                               "theme_day": "1"}, actor=admin_of(bureau_a))
        by_kind = {p.kind: p for p in services.periods(unit, 2026, date(2026, 4, 15), held_days=held)}
        assert "lecture" not in by_kind and by_kind["committee"].missed == []
        assert by_kind["general_assembly"].started == 1


def test_cadences_are_the_administrators_and_from_the_list(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        with pytest.raises(PermissionDenied):
            services.set_cadences({}, actor=branch_of(tree.branch1))
        with pytest.raises(ValidationError) as caught:
            services.set_cadences({"committee": "2", "group": "x"}, actor=admin_of(bureau_a))
    assert {"committee", "group", "lecture"} <= set(caught.value.errors)


def test_a_unit_with_meetings_is_not_removed(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        group = services.get_unit(tree.group, admin_of(bureau_a))
        services.record_meeting(group, _meeting(kind="group", expected="", present="6", absences=""),
                                actor=admin_of(bureau_a))
        group = orgs.get_unit(tree.group, admin_of(bureau_a))
        with pytest.raises(ValidationError):
            orgs.delete_unit(group, actor=admin_of(bureau_a), version=group.version)


def test_a_branch_user_removes_their_own_record_only(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        second = services.get_unit(tree.second, admin_of(bureau_a))
        meeting = services.record_meeting(second, _meeting(), actor=admin_of(bureau_a))
        with pytest.raises(NotFound):
            services.get_meeting(meeting.id, branch_of(tree.branch1))
        services.delete_meeting(meeting, actor=branch_of(tree.branch2), version=meeting.version)
        assert db.session.get(Meeting, meeting.id) is None
