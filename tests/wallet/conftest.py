import datetime as dt

import pytest

from motcua.documents import services as documents
from motcua.documents.models import Kind, Source
from motcua.dossiers import services
from motcua.identity import services as identity

AN = {"name": "Nguyễn Văn An", "id_number": "001085012345", "phone": "0912345678", "address": "Thôn 3, xã Tân Lập"}
PDF = (  # a minimal PDF that opens (uploads are inspected: documents.services.check_upload)
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def issue(users, *, procedure="1.004873", result="KQ01", owner=AN, valid_days=180, title=None):
    """A result the commune issued to ``owner``: a real dossier, and its result document in the store."""
    d, _ = services.create_dossier(
        user=users["motcua.xa"],
        procedure_code=procedure,
        channel="counter",
        desk_code="MC-99001",
        applicant=owner,
        components=["TP01"],
        identity={"status": "verified"},
    )
    today = dt.date.today()
    return documents.register(
        documents.checked_bytes(PDF, f"{result}-{d.code}.pdf"),
        kind=Kind.RESULT,
        source=Source.ISSUED_RESULT,
        dossier=d,
        agency=d.agency,
        result_code=result,
        doc_type=documents.doc_type_of(d, result),
        title=title or "Giấy xác nhận tình trạng hôn nhân",
        owner_type="citizen",
        owner_id_number=owner["id_number"],
        owner_name=owner["name"],
        doc_number=f"{d.code}/{result}",
        issuer=d.agency.name,
        issue_date=today,
        valid_until=today + dt.timedelta(days=valid_days) if valid_days is not None else None,
        signed=True,
    )


@pytest.fixture
def held(users):
    """Nguyễn Văn An holds a valid certificate of marital status (1.004873:KQ01)."""
    return issue(users)


@pytest.fixture
def citizen(db, simulators):
    """Nguyễn Văn An logged in through VNeID (the claims the provider would send)."""
    return identity.login_vneid(
        {
            "sub": "an-sub",
            "citizen_id": AN["id_number"],
            "name": AN["name"],
            "birthdate": "1985-03-12",
            "gender": "male",
        }
    )
