"""The city summary's first paragraphs: totals over figures being recounted say so."""
from __future__ import annotations

from datetime import date

from flask_babel import force_locale

from app.reports.services import overview_text

TILES = {"bureaus": 8, "average_completion": 0.662, "overdue_items": 72, "open_findings": 51,
         "overdue_findings": 16, "average_score": 93.11, "scored": 5, "stale": 0}


def test_the_overview_says_when_its_totals_are_provisional(app):
    with app.test_request_context(), force_locale("zh_Hans"):
        final = "".join(overview_text(2026, date(2026, 12, 4), TILES, [("好", 2)]))
        provisional = "".join(overview_text(2026, date(2026, 12, 4), {**TILES, "stale": 2}, [("好", 2)]))
    assert "暂计" not in final and "72" in final
    assert "另有2个单位的数据正在更新，以上合计为暂计数" in provisional
