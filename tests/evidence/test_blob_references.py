"""The blob life-cycle by explicit references (issue 12, item 2): a blob is deleted only
when no registered column (a duty attachment's ``sha256``, a finding evidence's
``blob_key`` …) holds its key, whichever feature's row went last."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.duties import services as duties
from app.duties.models import DutyItem, DutyList, ProgressRecord
from app.evidence import services as evidence
from app.evidence.demo import minimal_pdf
from app.evidence.models import Attachment
from app.evidence.storage import blob_store, put_bytes
from app.extensions import db
from app.findings import services as findings
from app.findings.models import Finding, FindingEvidence, FindingNote
from app.tenancy.session import tenant_context

YEAR = date.today().year
# Every test here runs with the bureau folders and with the S3 store (tests/evidence/conftest.py).
pytestmark = pytest.mark.usefixtures("evidence_store")


def _shared_blob(bureau) -> tuple[int, int, str]:
    """A blob held by one duty attachment and one finding evidence row (same key);
    returns the attachment's id, the evidence's id and the key."""
    with tenant_context(bureau.tenant):
        upload = put_bytes(bureau.slug, minimal_pdf(["shared evidence"]), "共用.pdf")
        key = upload.sha256
        duty_list = DutyList(year=YEAR, title="责任清单", status="published")
        item = DutyItem(duty_list=duty_list, category="party_group", area="political", content="研究部署")
        record = ProgressRecord(item=item, occurred_on=date(YEAR, 1, 2), summary="召开会议")
        attachment = Attachment(sha256=key, size=upload.size, kind=upload.kind, original_name=upload.name)
        record.attachments.append(attachment)
        finding = Finding(year=YEAR, source="self", description="问题", found_on=date(YEAR, 1, 2),
                          due_on=date(YEAR, 12, 31))
        note = FindingNote(finding=finding, occurred_on=date(YEAR, 1, 3), text="整改")
        db.session.add_all([record, note])
        db.session.flush()
        row = FindingEvidence(finding_id=finding.id, sha256=key, blob_key=key, size=upload.size, kind=upload.kind,
                              original_name=upload.name)
        note.evidence.append(row)
        db.session.commit()
        assert blob_store().exists(bureau.slug, key)
        return attachment.id, row.id, key


def test_a_blob_a_finding_holds_survives_the_duty_attachments_deletion(app, bureau_a):
    attachment_id, evidence_id, key = _shared_blob(bureau_a)
    admin = findings.Actor.bureau(bureau_a.admin, "bureau_admin")
    with tenant_context(bureau_a.tenant):
        duties.delete_attachment(duties.get_attachment(attachment_id), actor=duties.Actor.system())
        assert blob_store().exists(bureau_a.slug, key)  # the finding still holds it
        findings.remove_evidence(findings.get_evidence(evidence_id), actor=admin)
        assert not blob_store().exists(bureau_a.slug, key)  # nobody holds it any more


def test_a_blob_a_duty_attachment_holds_survives_the_findings_evidence_deletion(app, bureau_a):
    attachment_id, evidence_id, key = _shared_blob(bureau_a)
    admin = findings.Actor.bureau(bureau_a.admin, "bureau_admin")
    with tenant_context(bureau_a.tenant):
        findings.remove_evidence(findings.get_evidence(evidence_id), actor=admin)
        assert blob_store().exists(bureau_a.slug, key)  # the duty record still holds it
        duties.delete_attachment(duties.get_attachment(attachment_id), actor=duties.Actor.system())
        assert not blob_store().exists(bureau_a.slug, key)


def test_an_unreferenced_blob_is_removed_and_a_referenced_one_kept(app, bureau_a):
    _attachment_id, _evidence_id, held = _shared_blob(bureau_a)
    with tenant_context(bureau_a.tenant):
        loose = put_bytes(bureau_a.slug, minimal_pdf(["nobody's file"]), "孤立.pdf").sha256
        evidence.release_blobs({held, loose})
        assert blob_store().exists(bureau_a.slug, held)
        assert not blob_store().exists(bureau_a.slug, loose)
        assert db.session.scalar(select(Attachment.id).where(Attachment.sha256 == held)) is not None


def test_every_blob_key_column_is_registered(app):
    # A feature that keeps blob keys in a column nobody registered would have its files
    # deleted from under it: the registry names every feature's columns.
    registered = {(column.class_.__name__, column.key) for column in evidence.blob_references()}
    assert registered == {("Attachment", "sha256"), ("FindingEvidence", "blob_key"), ("TaskAnswerFile", "sha256")}


def test_clean_up_refuses_without_registered_references(app, bureau_a):
    # Fail closed: with no reference registered nothing can be proven unused.
    key = _shared_blob(bureau_a)[2]
    app.extensions["zeren.blob_references"] = ()
    with tenant_context(bureau_a.tenant), pytest.raises(RuntimeError):
        evidence.release_blobs({key})
    assert blob_store().exists(bureau_a.slug, key)
