"""A progress record says what was done: it cannot be dated after today."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.duties import services
from app.errors import ValidationError
from app.tenancy.session import tenant_context
from tests.helpers import SYSTEM


def test_records_dated_in_the_future_are_refused(app, bureau_a):
    today = services.today()
    with tenant_context(bureau_a.tenant):
        duty_list = services.create_list(today.year, actor=SYSTEM)
        item = services.add_item(duty_list, {"category": "party_group", "area": "political", "content": "学习",
                                             "cadence": "monthly"}, actor=SYSTEM)
        with pytest.raises(ValidationError) as error:
            services.add_record(item, {"occurred_on": (today + timedelta(days=1)).isoformat(), "summary": "计划中",
                                       "count": "1"}, actor=SYSTEM)
        assert "occurred_on" in error.value.errors
        assert services.add_record(item, {"occurred_on": today.isoformat(), "summary": "已完成", "count": "1"},
                                   actor=SYSTEM).id
