"""A record that does not exist is a 404 page, from one place: the services raise
``NotFound`` and the application's error handler answers it (no per-view helpers)."""
from __future__ import annotations

import pytest

from tests.helpers import login


@pytest.mark.parametrize("path", [
    "/b/{slug}/duties/999999", "/b/{slug}/duties/items/999999", "/b/{slug}/duties/records/999999/edit",
    "/b/{slug}/findings/999999", "/b/{slug}/scoring/2099", "/city/scoring/templates/999999",
    "/city/bureaus/nosuch", "/city/findings/nosuch/new", "/city/findings/{slug}/999999",
])
def test_a_missing_record_is_a_404_page(app, client, bureau_a, city_admin, path):
    path = path.format(slug=bureau_a.slug)
    app.url_map.bind("localhost").match(path)  # a real route: the 404 must come from the missing record
    login(client, city_admin.username if path.startswith("/city") else bureau_a.admin.username)
    response = client.get(path)
    assert response.status_code == 404
    assert "<html" in response.get_data(as_text=True).lower()
