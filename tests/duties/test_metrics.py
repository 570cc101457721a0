"""``services.metrics(year)``: the figures the city roll-up receives."""
from __future__ import annotations

from datetime import date

from app.duties import services
from app.duties.models import DutyItem
from app.extensions import db
from app.tenancy.session import tenant_context
from tests.helpers import SYSTEM


def _record(item, day: str, count: int = 1, files=()):
    return services.add_record(item, {"occurred_on": day, "summary": "履责", "count": str(count)}, files=files,
                               actor=SYSTEM)


def test_metrics_without_a_list(app, bureau_a):
    with tenant_context(bureau_a.tenant):
        figures = services.metrics(2026, as_of=date(2026, 5, 1))
    assert figures["has_list"] is False and figures["items_total"] == 0 and figures["completion_rate"] is None


def test_metrics_follow_the_formula(app, bureau_a):
    with tenant_context(bureau_a.tenant):
        duty_list = services.create_list(2026, actor=SYSTEM)
        add = lambda **kw: services.add_item(duty_list, {"category": "party_group", "area": "political",
                                                         "content": "事项", **kw}, actor=SYSTEM)
        monthly = add(cadence="monthly")                           # 12 a year
        quarterly = add(cadence="quarterly")                       # 4 a year
        once_late = add(cadence="once", due_date="2026-03-31")     # overdue on 1 July
        once_done = add(cadence="once", due_date="2026-06-30")
        add(cadence="yearly")                                      # nothing owed before 2027
        _record(monthly, "2026-01-20", 2)
        _record(monthly, "2026-03-10", 1)                          # 3 of 6 owed by 1 July
        _record(quarterly, "2026-02-01", 3)                        # 3, but only 2 owed: credited 2
        from io import BytesIO

        from tests.helpers import pdf_bytes

        _record(once_done, "2026-06-01", files=[services.Upload(BytesIO(pdf_bytes()), "完成.pdf")])
        figures = services.metrics(2026, as_of=date(2026, 7, 1))
        assert figures["items_total"] == 5
        assert figures["items_done"] == 1 and figures["items_overdue"] == 1
        assert figures["items_in_progress"] == 2 and figures["items_not_started"] == 1
        assert figures["items_behind"] == 1                        # the monthly item: 3 of 6
        # owed: 6 (monthly) + 2 (quarterly) + 1 (late once) + 1 (done once) + 0 (yearly) = 10
        # credited: 3 + 2 + 0 + 1 + 0 = 6
        assert (figures["expected_to_date"], figures["credited_to_date"]) == (10, 6)
        assert figures["completion_rate"] == 0.6
        assert figures["evidence_count"] == 1 and figures["records"] == 4
        assert figures["list_status"] == "draft" and figures["as_of"] == "2026-07-01"
        # the same figures a day earlier: June has not ended, the late item already overdue
        earlier = services.metrics(2026, as_of=date(2026, 6, 30))
        assert earlier["expected_to_date"] == 5 + 1 + 1 + 0  # five months, one quarter, the late item
        # an item marked done with evidence is credited in full
        late = db.session.get(DutyItem, once_late.id)
        _record(late, "2026-07-01", files=[services.Upload(BytesIO(pdf_bytes("late")), "补交.pdf")])
        assert services.metrics(2026, as_of=date(2026, 7, 2))["items_overdue"] == 0
        assert services.metrics(2025)["has_list"] is False


def test_metrics_are_plain_json_values(app, bureau_a, bureau_list):
    import json

    with tenant_context(bureau_a.tenant):
        figures = services.metrics(2026, as_of=date(2026, 11, 1))
    assert json.loads(json.dumps(figures)) == figures
    assert figures["items_total"] == len(bureau_list["item_ids"])
