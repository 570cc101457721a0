"""The pure rules of warnings and closing entry (app.deadlines.status)."""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.deadlines import status as rules

DUE = date(2026, 6, 30)


def test_levels_on_the_days_around_a_due_date():
    level = lambda day, **kw: rules.warning_level(DUE, day, done=False, blue_days=15, yellow_days=5, **kw)
    assert level(date(2026, 6, 1)) == rules.NONE
    assert level(date(2026, 6, 15)) == rules.BLUE       # 15 days left
    assert level(date(2026, 6, 25)) == rules.YELLOW     # 5 days left
    assert level(DUE) == rules.YELLOW
    assert level(date(2026, 7, 1)) == rules.RED
    assert level(date(2026, 6, 1), behind=True) == rules.YELLOW
    assert rules.warning_level(DUE, date(2026, 7, 9), done=True) == rules.NONE


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)), st.integers(0, 60), st.integers(0, 60),
       st.booleans(), st.booleans())
def test_the_level_only_rises_as_the_due_date_nears(day, blue, yellow, behind, done):
    yellow = min(yellow, blue)
    levels = [rules.warning_level(DUE, day + timedelta(days=n), done=done, behind=behind, blue_days=blue,
                                  yellow_days=yellow) for n in range(3)]
    ranks = [rules.RANK[level] for level in levels]
    assert ranks == sorted(ranks, reverse=True)
    if done:
        assert set(levels) == {rules.NONE}
    elif day > DUE:
        assert levels[0] == rules.RED
    elif behind:
        assert levels[0] == rules.YELLOW


def test_a_periods_deadline():
    assert rules.period_deadline("monthly", date(2026, 12, 31), date(2026, 3, 10)) == date(2026, 3, 31)
    assert rules.period_deadline("quarterly", date(2026, 12, 31), date(2026, 5, 2)) == date(2026, 6, 30)
    assert rules.period_deadline("half_yearly", date(2026, 12, 31), date(2026, 2, 2)) == date(2026, 6, 30)
    # a due date inside the period comes first
    assert rules.period_deadline("monthly", date(2026, 3, 20), date(2026, 3, 10)) == date(2026, 3, 20)
    assert rules.period_deadline("once", date(2026, 6, 30), date(2026, 3, 10)) == date(2026, 6, 30)
    assert rules.period_deadline("yearly", date(2026, 12, 31), date(2026, 3, 10)) == date(2026, 12, 31)


def test_entry_closes_after_the_grace_days():
    march = date(2026, 3, 10)
    assert not rules.is_closed("monthly", date(2026, 12, 31), march, date(2026, 4, 10), 10)
    assert rules.is_closed("monthly", date(2026, 12, 31), march, date(2026, 4, 11), 10)
    assert not rules.is_closed("monthly", date(2026, 12, 31), march, date(2027, 4, 11), None)
    assert rules.closes_on("monthly", date(2026, 12, 31), march, None) is None


@given(st.sampled_from(["once", "monthly", "quarterly", "half_yearly", "yearly"]),
       st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)), st.integers(0, 40))
def test_a_record_is_never_closed_before_its_period_ends(cadence, day, grace):
    last = rules.period_deadline(cadence, date(2026, 12, 31), day)
    assert last >= day or cadence in ("once", "yearly")
    assert not rules.is_closed(cadence, date(2026, 12, 31), day, last + timedelta(days=grace), grace)
    assert rules.is_closed(cadence, date(2026, 12, 31), day, last + timedelta(days=grace + 1), grace)
