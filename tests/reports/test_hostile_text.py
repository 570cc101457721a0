"""Text typed by one bureau never stops a report (defect 6): a finding and its progress
note with an emoji, a CJK Extension B character, a private-use character, a control
character and U+10FFFF render in the bureau's annual report, its ledger and the city
summary; the emoji and the rare character are drawn, the rest printed as 〔U+XXXX〕."""
from __future__ import annotations

import re
from io import BytesIO

import pytest
from pypdf import PdfReader

from app.findings import services
from app.tenancy.session import tenant_context
from tests.helpers import admin_of, login, make_finding

HOSTILE = "整改问题 \U0001F600 \U00020000 \ue000 \x07 \U0010ffff"


def _text(data: bytes) -> str:
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages))


@pytest.mark.parametrize("url", ["/b/bureau-a/reports/2026.pdf", "/b/bureau-a/reports/ledger.pdf?year=2026",
                                 "/city/reports/2026.pdf"])
def test_a_bureau_s_emoji_and_rare_characters_print_in_every_report(app, client, bureau_a, city_admin, people,
                                                                      url, caplog):
    finding_id = make_finding(bureau_a, description=HOSTILE, measures="措施 \U0001F600")
    with tenant_context(bureau_a.tenant):
        services.add_note(services.get_finding(finding_id),
                          {"occurred_on": services.today(), "text": "进展 \U0001F600 \ue000"}, actor=admin_of(bureau_a))
    login(client, city_admin.username)
    with caplog.at_level("WARNING"):
        response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    text = _text(response.data)
    assert "整改问题\U0001F600\U00020000〔U+E000〕〔U+0007〕〔U+10FFFF〕" in text, text[:2000]
    assert "已以其Unicode码位代替" in text  # the note listing what was replaced
    assert "\ue000" not in text
    assert any("U+E000" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
