"""The demo seeder builds lists with varied progress and real PDF evidence."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from app.duties import catalog, services
from app.evidence.demo import minimal_pdf
from app.evidence.models import Attachment
from app.duties.models import ProgressRecord
from app.people.models import Person
from app.evidence.storage import sniff
from app.extensions import db
from app.tenancy.models import Tenant
from app.tenancy.session import tenant_context


def test_minimal_pdf_is_a_pdf(tmp_path):
    data = minimal_pdf(["Zeren (demo) \\ evidence"])
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    offset = int(data.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert data[offset:offset + 4] == b"xref"
    path = tmp_path / "x.pdf"
    path.write_bytes(data)
    assert sniff(data[:16], path) == "pdf"


def test_demo_seed_gives_every_bureau_a_list_some_ahead_some_behind(app, monkeypatch):
    monkeypatch.setattr(services, "today", lambda: date(2026, 11, 26))
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--bureaus", "4", "--password", "demo-password-1"])
    assert result.exit_code == 0, result.output
    assert [t.year for t in catalog.published_templates()] == [2026]
    rates = []
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)).all():
        with tenant_context(tenant):
            figures = services.metrics(2026, as_of=date(2026, 11, 26))
            assert figures["list_status"] == "published" and figures["items_total"] >= 25
            assert figures["records"] > 20 and figures["evidence_count"] > 0
            people = db.session.scalars(select(Person)).all()
            assert {"secretary", "member", "organ_committee", "discipline"} <= {p.kind for p in people}
            assert any(p.user_id for p in people)  # the editor account has items of its own
            latest = db.session.scalar(select(func.max(ProgressRecord.occurred_on)))
            assert date(2026, 10, 1) <= latest <= date(2026, 11, 26)
            shas = set(db.session.scalars(select(Attachment.sha256)))
            files = Path(app.config["TENANTS_DIR"]) / tenant.slug / "files"
            # every evidence file is stored (other features keep their own files in the same store)
            assert shas and shas <= {p.name for p in files.rglob("*") if p.is_file()}
            rates.append(figures["completion_rate"])
    assert rates[0] > rates[-1] + 0.2  # the first bureau is ahead, the last behind
    assert any(r < 0.8 for r in rates)
