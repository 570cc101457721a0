"""The derived status rules: pure functions, ``today`` always passed in."""
from __future__ import annotations

from datetime import date

import pytest

from app.duties import status as rules
from app.duties.status import ItemFacts, derive, expected_to_date


def facts(cadence="once", expected=1, due=None, recorded=0, records=None, evidence=0, marked=False, year=2026):
    return ItemFacts(year=year, cadence=cadence, expected_count=expected, due_date=due, recorded=recorded,
                     records=recorded if records is None else records, evidence=evidence, marked_done=marked)


@pytest.mark.parametrize("cadence,day,owed", [
    ("monthly", date(2026, 1, 31), 0),     # January is owed once it has ended …
    ("monthly", date(2026, 2, 1), 1),      # … i.e. from 1 February
    ("monthly", date(2026, 7, 15), 6),
    ("monthly", date(2027, 1, 2), 12),
    ("quarterly", date(2026, 3, 31), 0),
    ("quarterly", date(2026, 4, 1), 1),
    ("quarterly", date(2026, 12, 31), 3),
    ("half_yearly", date(2026, 6, 30), 0),
    ("half_yearly", date(2026, 7, 1), 1),
    ("yearly", date(2026, 12, 31), 0),
    ("yearly", date(2027, 1, 1), 1),
    ("once", date(2026, 12, 31), 0),
    ("monthly", date(2025, 12, 31), 0),    # before the list's year
])
def test_expected_to_date_per_cadence(cadence, day, owed):
    count = rules.DEFAULT_EXPECTED[cadence]
    assert expected_to_date(cadence, count, 2026, None, day) == owed


def test_a_due_date_inside_the_year_compresses_the_schedule_and_then_owes_everything():
    # quarterly, 2 times, due at the end of June: one per quarter of the first half
    assert expected_to_date("quarterly", 2, 2026, date(2026, 6, 30), date(2026, 4, 15)) == 1
    assert expected_to_date("quarterly", 2, 2026, date(2026, 6, 30), date(2026, 6, 30)) == 1
    assert expected_to_date("quarterly", 2, 2026, date(2026, 6, 30), date(2026, 7, 1)) == 2
    # once: nothing owed until the due date has passed
    assert expected_to_date("once", 1, 2026, date(2026, 3, 31), date(2026, 3, 31)) == 0
    assert expected_to_date("once", 1, 2026, date(2026, 3, 31), date(2026, 4, 1)) == 1


def test_uneven_counts_round_down_until_the_period_ends():
    # 5 times quarterly: 1.25 per quarter → 1 after Q1, 2 after Q2, 3 after Q3
    owed = [expected_to_date("quarterly", 5, 2026, None, date(2026, m, 1)) for m in (4, 7, 10)]
    assert owed == [1, 2, 3]


def test_overdue_across_a_month_boundary():
    item = facts("once", due=date(2026, 3, 31))
    assert derive(item, date(2026, 3, 31)).status == rules.NOT_STARTED
    assert derive(item, date(2026, 4, 1)).status == rules.OVERDUE
    started = facts("once", due=date(2026, 3, 31), recorded=0, records=1)
    assert derive(started, date(2026, 3, 31)).status == rules.IN_PROGRESS
    assert derive(started, date(2026, 4, 1)).status == rules.OVERDUE


def test_no_due_date_means_the_end_of_the_year():
    item = facts("monthly", expected=12, recorded=11)
    assert derive(item, date(2026, 12, 31)).status == rules.IN_PROGRESS
    assert derive(item, date(2027, 1, 1)).status == rules.OVERDUE


@pytest.mark.parametrize("cadence", rules.CADENCES)
def test_each_cadence_goes_from_not_started_to_done(cadence):
    count = rules.DEFAULT_EXPECTED[cadence]
    day = date(2026, 8, 10)
    assert derive(facts(cadence, count), day).status == rules.NOT_STARTED
    if count > 1:
        assert derive(facts(cadence, count, recorded=count - 1), day).status == rules.IN_PROGRESS
    assert derive(facts(cadence, count, recorded=count), day).status == rules.DONE
    assert derive(facts(cadence, count, recorded=count + 3), day).status == rules.DONE


def test_behind_schedule_is_a_flag_not_a_status():
    monthly = facts("monthly", 12, recorded=3, records=3)
    progress = derive(monthly, date(2026, 7, 20))  # six months ended, three recorded
    assert progress.status == rules.IN_PROGRESS and progress.behind
    assert progress.expected_to_date == 6 and progress.credited == 3 and progress.rate == 0.5
    on_time = derive(facts("monthly", 12, recorded=6), date(2026, 7, 20))
    assert not on_time.behind and on_time.rate == 1.0
    ahead = derive(facts("monthly", 12, recorded=9), date(2026, 7, 20))
    assert ahead.credited == 6  # credit is capped at what is owed


def test_marked_done_counts_only_with_evidence():
    day = date(2026, 5, 1)
    assert derive(facts("yearly", 2, recorded=1, marked=True, evidence=0), day).status == rules.IN_PROGRESS
    done = derive(facts("yearly", 2, recorded=1, marked=True, evidence=1), day)
    assert done.status == rules.DONE
    # overdue items marked done with evidence are done, and credited in full
    late = derive(facts("once", 1, due=date(2026, 3, 31), records=1, marked=True, evidence=2), date(2026, 6, 1))
    assert late.status == rules.DONE and late.credited == late.expected_to_date == 1


def test_completion_sums_credited_over_owed():
    day = date(2026, 7, 1)
    progresses = [derive(facts("monthly", 12, recorded=3), day),       # owed 6, credited 3
                  derive(facts("quarterly", 4, recorded=2), day),      # owed 2, credited 2
                  derive(facts("once", 1, due=date(2026, 12, 31)), day)]  # owed 0
    total = rules.completion(progresses)
    assert (total.credited, total.expected) == (5, 8) and total.rate == 5 / 8
    assert rules.completion([derive(facts("monthly", 12), date(2026, 1, 10))]).rate is None
