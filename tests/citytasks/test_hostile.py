"""The hostile-input crawl reaches the city-task and notification forms, and they hold."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.test_hostile_input import _crawl, _endpoint, _login, _post_hostile, world  # noqa: F401 - fixture


@pytest.mark.parametrize("role, endpoints", [
    ("city", {"city.citytasks.new", "city.citytasks.urge"}),
    ("bureau-a-editor", {"bureau.citytasks.answer"}),
])
def test_the_crawl_reaches_and_survives_the_task_forms(app, world, role, endpoints):  # noqa: F811 - fixture
    client = app.test_client()
    _login(client, role)
    found = {_endpoint(app, urlsplit(form.action).path) for form in _crawl(app, client)}
    assert endpoints <= found, sorted(found)
    for endpoint in sorted(endpoints):
        problems = _post_hostile(app, world, role, only=endpoint)
        assert not problems, "\n".join(problems)
