"""Digitization KPIs on a hand-computed fixture (see documents.kpis for the definitions)."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.documents import kpis, services
from motcua.documents.models import Document, Kind
from tests.api.conftest import act, receive
from tests.dossiers.conftest import vn

PDF = (  # a minimal PDF that opens (uploads are inspected: documents.services.check_upload)
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _file(i):
    return services.check_upload(SimpleUploadedFile(f"{i}.pdf", PDF + f"%{i}\n".encode()))


def test_digitization_rates_hand_computed(users):
    day = vn(2026, 3, 2, 9)
    # Commune (000.01.31.H99), received 02/03/2026: 4 dossiers, each handing in TP01 + TP02.
    full = receive(users, now=day)  # both components scanned at intake → digitized
    services.attach(full, "TP01", _file(1))
    services.attach(full, "TP02", _file(2))
    half = receive(users, now=day)  # only TP01 scanned → not digitized
    services.attach(half, "TP01", _file(3))
    late = receive(users, now=day)  # scanned two days later → not "at intake"
    for code, i in (("TP01", 4), ("TP02", 5)):
        doc = services.attach(late, code, _file(i))
        Document.objects.filter(pk=doc.pk).update(uploaded_at=day + dt.timedelta(days=2))
    receive(users, now=day)  # nothing scanned
    # Scanned during intake (the tests' clock is the real one: place them at receipt).
    Document.objects.filter(dossier__in=[full, half]).update(uploaded_at=day + dt.timedelta(minutes=10))
    receive(users, now=vn(2026, 4, 1, 9))  # outside the period

    # Results: two approved in the period, one with a signed result document.
    for d in (full, half):
        d = act(users, d, "transfer", "motcua.xa", now=day + dt.timedelta(hours=1))
        d = act(users, d, "forward", "chuyenvien.xa", now=day + dt.timedelta(hours=2))
        act(users, d, "issue_result", "lanhdao.xa", now=day + dt.timedelta(hours=3))
    services.register(_file(9), kind=Kind.RESULT, source="issued_result", dossier=full, agency=full.agency, signed=True)
    # An unsigned result document does not count.
    services.register(_file(10), kind=Kind.RESULT, source="issued_result", dossier=half, agency=half.agency)

    rows = kpis.digitization_rates(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert len(rows) == 1
    r = rows[0]
    assert (r.agency_code, r.level, r.target) == ("000.01.31.H99", "commune", 0.55)
    assert (r.received, r.digitized_at_intake, r.intake_rate) == (4, 1, 0.25)
    assert (r.results_issued, r.results_signed, r.result_rate) == (2, 1, 0.5)
    assert kpis.digitization_rates(dt.date(2026, 3, 1), dt.date(2026, 3, 31), level="province") == []
    assert kpis.digitization_rates(dt.date(2026, 3, 1), dt.date(2026, 3, 31), agencies=[r.agency_id])[0].received == 4
