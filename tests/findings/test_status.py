"""The pure rules of the workflow and of overdue (no Flask, no database)."""
from __future__ import annotations

from datetime import date

import pytest

from app.findings import status as rules
from app.findings.status import Who

ADMIN = Who(side="bureau", role="bureau_admin")
RESPONSIBLE = Who(side="bureau", role="bureau_editor", responsible=True)
OTHER_EDITOR = Who(side="bureau", role="bureau_editor", responsible=False)
VIEWER = Who(side="bureau", role="bureau_viewer", responsible=True)
READER = Who(side="bureau", role="reader")
CITY_ADMIN = Who(side="city", role="city_admin")
CITY_VIEWER = Who(side="city", role="city_viewer")


def test_the_happy_path_takes_one_step_at_a_time():
    status = rules.OPEN
    for action, expected in (("start", rules.RECTIFYING), ("submit", rules.AWAITING), ("close", rules.CLOSED)):
        status = rules.check(action, status, ADMIN, raised_by_city=False)
        assert status == expected


@pytest.mark.parametrize("action,status", [
    ("submit", rules.OPEN), ("close", rules.OPEN), ("close", rules.RECTIFYING), ("return", rules.RECTIFYING),
    ("reopen", rules.RECTIFYING), ("reopen", rules.AWAITING), ("reopen", rules.OPEN), ("start", rules.RECTIFYING),
    ("start", rules.CLOSED), ("submit", rules.CLOSED), ("return", rules.CLOSED), ("close", rules.CLOSED),
])
def test_no_skipping_and_no_move_from_the_wrong_state(action, status):
    with pytest.raises(rules.TransitionRefused) as refused:
        rules.check(action, status, ADMIN, raised_by_city=False)
    assert refused.value.reason == "state"


def test_unknown_actions_are_refused():
    with pytest.raises(rules.TransitionRefused) as refused:
        rules.check("skip", rules.OPEN, ADMIN, raised_by_city=False)
    assert refused.value.reason == "unknown"


def test_every_state_is_reachable_and_every_transition_is_one_step():
    assert set(rules.TRANSITIONS) == {"start", "submit", "return", "close", "reopen"}
    assert {dest for _src, dest in rules.TRANSITIONS.values()} | {rules.OPEN} == set(rules.STATUSES)


def test_the_responsible_editor_works_but_does_not_verify():
    assert rules.check("start", rules.OPEN, RESPONSIBLE, raised_by_city=False) == rules.RECTIFYING
    assert rules.check("submit", rules.RECTIFYING, RESPONSIBLE, raised_by_city=True) == rules.AWAITING
    for action in ("close", "return"):
        with pytest.raises(rules.TransitionRefused) as refused:
            rules.check(action, rules.AWAITING, RESPONSIBLE, raised_by_city=False)
        assert refused.value.reason == "role"


@pytest.mark.parametrize("who", [OTHER_EDITOR, VIEWER, READER, CITY_VIEWER, CITY_ADMIN])
def test_others_cannot_do_the_bureaus_work(who):
    assert not rules.may("start", who, raised_by_city=True)
    assert not rules.may("submit", who, raised_by_city=False)
    assert not rules.can_work_on(rules.RECTIFYING, who)


def test_city_findings_are_verified_only_by_the_city():
    assert rules.is_verifier(CITY_ADMIN, raised_by_city=True)
    assert not rules.is_verifier(ADMIN, raised_by_city=True)
    assert not rules.is_verifier(CITY_VIEWER, raised_by_city=True)
    with pytest.raises(rules.TransitionRefused):
        rules.check("close", rules.AWAITING, ADMIN, raised_by_city=True)
    assert rules.check("close", rules.AWAITING, CITY_ADMIN, raised_by_city=True) == rules.CLOSED
    assert rules.check("return", rules.AWAITING, CITY_ADMIN, raised_by_city=True) == rules.RECTIFYING


def test_bureau_findings_are_verified_by_the_bureau_not_the_city():
    assert rules.check("close", rules.AWAITING, ADMIN, raised_by_city=False) == rules.CLOSED
    assert not rules.may("close", CITY_ADMIN, raised_by_city=False)


def test_reopen_only_from_closed_and_only_for_configured_roles():
    assert rules.check("reopen", rules.CLOSED, CITY_ADMIN, raised_by_city=True) == rules.RECTIFYING
    assert rules.check("reopen", rules.CLOSED, ADMIN, raised_by_city=False) == rules.RECTIFYING
    # a bureau admin never reopens what the city closed
    assert not rules.may("reopen", ADMIN, raised_by_city=True)
    assert not rules.may("reopen", RESPONSIBLE, raised_by_city=False)
    # configuration: only the city
    assert not rules.may("reopen", ADMIN, raised_by_city=False, reopen_roles=("city_admin",))
    assert rules.may("reopen", CITY_ADMIN, raised_by_city=False, reopen_roles=("city_admin",))
    # configuration: nobody
    assert not rules.may("reopen", CITY_ADMIN, raised_by_city=True, reopen_roles=())


def test_available_actions_match_the_buttons():
    assert rules.available(rules.OPEN, RESPONSIBLE, raised_by_city=True) == ["start"]
    assert rules.available(rules.AWAITING, RESPONSIBLE, raised_by_city=True) == []
    assert rules.available(rules.AWAITING, CITY_ADMIN, raised_by_city=True) == ["return", "close"]
    assert rules.available(rules.CLOSED, ADMIN, raised_by_city=False) == ["reopen"]
    assert rules.available(rules.CLOSED, ADMIN, raised_by_city=True) == []


DUE = date(2026, 6, 30)


@pytest.mark.parametrize("status,today,submitted,expected", [
    (rules.OPEN, date(2026, 6, 30), None, False),          # the deadline day itself is not late
    (rules.OPEN, date(2026, 7, 1), None, True),
    (rules.RECTIFYING, date(2026, 7, 1), None, True),
    (rules.RECTIFYING, date(2026, 5, 1), None, False),
    (rules.AWAITING, date(2026, 9, 1), date(2026, 6, 30), False),  # submitted in time: waiting is not late
    (rules.AWAITING, date(2026, 9, 1), date(2026, 7, 2), True),    # submitted late
    (rules.AWAITING, date(2026, 9, 1), None, False),
    (rules.CLOSED, date(2027, 1, 1), None, False),
])
def test_overdue_is_derived_from_the_state_and_the_day(status, today, submitted, expected):
    assert rules.is_overdue(status, DUE, today, submitted) is expected


def test_no_due_date_is_never_overdue():
    assert rules.is_overdue(rules.OPEN, None, date(2030, 1, 1)) is False


@pytest.mark.parametrize("status,today,expected", [
    (rules.OPEN, date(2026, 6, 23), True),     # 7 days left
    (rules.OPEN, date(2026, 6, 22), False),    # 8 days left
    (rules.RECTIFYING, date(2026, 8, 1), True),  # overdue counts
    (rules.AWAITING, date(2026, 6, 29), False),  # the bureau's part is done
    (rules.CLOSED, date(2026, 6, 29), False),
])
def test_due_soon(status, today, expected):
    assert rules.is_due_soon(status, DUE, today) is expected


def test_days_left_and_to_close():
    assert rules.days_left(DUE, date(2026, 6, 25)) == 5
    assert rules.days_left(DUE, date(2026, 7, 2)) == -2
    assert rules.days_to_close(date(2026, 1, 1), date(2026, 1, 31)) == 30
    assert rules.days_to_close(date(2026, 1, 1), None) is None


def test_median():
    assert rules.median([]) is None
    assert rules.median([5]) == 5
    assert rules.median([9, 1, 5]) == 5
    assert rules.median([1, 2, 3, 10]) == 2.5
