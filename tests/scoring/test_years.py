"""Year locks (app/years): the service API features call, and the city's page."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import CatalogAuditEvent
from app.errors import Locked, NotFound, ValidationError
from app.extensions import db
from app.years import services as years
from app.years.models import YearLock
from tests.helpers import login


def test_lock_and_unlock_with_reasons_are_audited(app, city_admin):
    assert not years.is_locked(2025)
    years.ensure_open(2025)  # no exception while open
    lock = years.lock_year(2025, "2025年度考核结果已公布", actor=city_admin)
    assert years.is_locked(2025) and lock.locked_by == "工委管理员"
    with pytest.raises(Locked) as caught:
        years.ensure_open(2025)
    message = caught.value.message
    assert "2025" in message and "2025年度考核结果已公布" in message and "工委管理员" in message
    assert caught.value.http_status == 423
    assert not years.is_locked(2026)

    years.unlock_year(2025, "更正一处录入错误", actor=city_admin)
    assert not years.is_locked(2025)
    events = db.session.scalars(select(CatalogAuditEvent).where(CatalogAuditEvent.entity_type == "year")
                                .order_by(CatalogAuditEvent.id)).all()
    assert [e.action for e in events] == ["year.lock", "year.unlock"]
    assert events[1].after["unlock_reason"] == "更正一处录入错误"
    assert events[1].before["reason"] == "2025年度考核结果已公布"


def test_lock_rules(app, city_admin):
    with pytest.raises(ValidationError) as caught:
        years.lock_year(1999, "太早", actor=city_admin)
    assert "year" in caught.value.errors
    with pytest.raises(ValidationError) as caught:
        years.lock_year(2026, "   ", actor=city_admin)
    assert "reason" in caught.value.errors
    years.lock_year(2026, "已公布", actor=city_admin)
    with pytest.raises(ValidationError):
        years.lock_year(2026, "再次锁定", actor=city_admin)
    with pytest.raises(NotFound):
        years.unlock_year(2024, "未锁定的年度", actor=city_admin)


def test_the_message_is_chinese(app, city_admin):
    years.lock_year(2026, "考核结果已公布", actor=city_admin)
    with app.test_request_context():
        with pytest.raises(Locked) as caught:
            years.ensure_open(2026)
    assert "已锁定" in caught.value.message


def test_city_page_locks_and_unlocks(app, client, city_admin):
    login(client, "city")
    page = client.get("/city/years/").get_data(as_text=True)
    assert "锁定" in page
    response = client.post("/city/years/lock", data={"year": "2026", "reason": "年度考核结束"})
    assert response.status_code == 302
    assert years.is_locked(2026)
    assert "年度考核结束" in client.get("/city/years/").get_data(as_text=True)
    response = client.post("/city/years/2026/unlock", data={"reason": ""})
    assert response.status_code == 302 and years.is_locked(2026)  # a reason is required
    response = client.post("/city/years/2026/unlock", data={"reason": "补录"})
    db.session.expire_all()
    assert response.status_code == 302 and not years.is_locked(2026)


def test_bad_input_on_the_lock_form_is_a_form_error(app, client, city_admin):
    login(client, "city")
    for data in ({"year": "abcd", "reason": "x"}, {"year": "20266", "reason": "x"}, {"year": "2026", "reason": ""},
                 {"year": "2026", "reason": "长" * 5000}, {"year": "1900", "reason": "太早"}, {}):
        response = client.post("/city/years/lock", data=data)
        assert response.status_code == 200, data
        assert "is-invalid" in response.get_data(as_text=True) or "invalid-feedback" in response.get_data(as_text=True)
    assert db.session.scalar(select(YearLock)) is None
    assert client.post("/city/years/abc/unlock", data={"reason": "x"}).status_code == 404
    assert client.post("/city/years/2030/unlock", data={"reason": "x"}).status_code == 302


def test_only_city_admins_lock_and_others_do_not_see_the_page(app, client, city_viewer, bureau_a):
    login(client, "leader")
    assert client.get("/city/years/").status_code == 200
    assert client.post("/city/years/lock", data={"year": "2026", "reason": "x"}).status_code == 403
    client.post("/logout")
    login(client, bureau_a.admin.username)
    assert client.get("/city/years/").status_code == 404
    assert client.post("/city/years/lock", data={"year": "2026", "reason": "x"}).status_code == 404
    assert not years.is_locked(2026)


def test_the_message_gives_the_local_date_of_the_lock(app, city_admin, monkeypatch):
    """Locked at 21:30 UTC on 1 December is 2 December in Asia/Shanghai (SQLite returns naive UTC)."""
    from datetime import datetime, timezone

    from app.years import services as year_services

    monkeypatch.setattr(year_services, "utcnow", lambda: datetime(2026, 12, 1, 21, 30, tzinfo=timezone.utc))
    years.lock_year(2026, "考核结果已公布", actor=city_admin)
    db.session.expire_all()
    assert "2026-12-02" in years.lock_message(years.get_lock(2026))
