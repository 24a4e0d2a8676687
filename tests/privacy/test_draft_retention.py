"""Retention of abandoned online drafts: never submitted and unchanged for DRAFT_RETENTION_DAYS → deleted
with the uploaded bytes nothing else refers to; recent drafts, submitted ones, and bytes shared with a
document or another draft stay."""

import datetime as dt
import uuid

from django.core.files.storage import default_storage
from django.utils import timezone

from motcua.audit import retention
from motcua.catalog.services import version_in_force
from motcua.documents.models import Blob
from motcua.documents.services import checked_bytes, store_blob
from motcua.dossiers.models import Draft
from motcua.dossiers.online import purge_stale_drafts
from tests.api.conftest import receive, result_document


def _draft(user, version, *blobs, days_old=0, dossier=None):
    draft = Draft.objects.create(
        key=uuid.uuid4(),
        user=user,
        applicant_id_number="001085012345",
        version=version,
        dossier=dossier,
        form_data={"declarant_name": "Nguyễn Văn An"},
        components={"TP02": {"files": [{"sha256": b.sha256, "name": "a.pdf", "size": b.size} for b in blobs]}},
    )
    Draft.objects.filter(pk=draft.pk).update(updated_at=timezone.now() - dt.timedelta(days=days_old))
    return draft


def _blob(text: str) -> Blob:
    return store_blob(checked_bytes(b"%PDF-1.7\n% " + text.encode() + b"\n", "a.pdf"))


def test_stale_drafts_and_their_own_files_are_purged_nothing_else(users, settings, django_capture_on_commit_callbacks):
    settings.DRAFT_RETENTION_DAYS = 90
    user = users["motcua.xa"]
    version = version_in_force("1.001193", dt.date.today())
    dossier = receive(users)
    shared_with_document = result_document(dossier).current.blob
    own, shared_with_recent = _blob("only in the stale draft"), _blob("also in a recent draft")
    stale = _draft(user, version, own, shared_with_recent, shared_with_document, days_old=120)
    recent = _draft(user, version, shared_with_recent, days_old=10)
    submitted = _draft(user, version, own, days_old=400, dossier=dossier)
    own_file = own.file.name

    with django_capture_on_commit_callbacks(execute=True):
        assert purge_stale_drafts() == {"drafts": 1, "draft_files": 0}  # "own" is still in the submitted draft
    assert not Draft.objects.filter(pk=stale.pk).exists()
    assert set(Draft.objects.values_list("pk", flat=True)) == {recent.pk, submitted.pk}

    Draft.objects.filter(pk=submitted.pk).update(dossier=None)  # now an abandoned draft too
    with django_capture_on_commit_callbacks(execute=True):
        assert purge_stale_drafts() == {"drafts": 1, "draft_files": 1}
    assert not Blob.objects.filter(pk=own.pk).exists() and not default_storage.exists(own_file)
    assert Blob.objects.filter(pk__in=[shared_with_recent.pk, shared_with_document.pk]).count() == 2
    assert Draft.objects.filter(pk=recent.pk).exists()


def test_the_daily_retention_job_purges_drafts(users, settings):
    settings.DRAFT_RETENTION_DAYS = 30
    _draft(users["motcua.xa"], version_in_force("1.001193", dt.date.today()), _blob("x"), days_old=31)
    assert retention.purge_all()["drafts"] == 1
