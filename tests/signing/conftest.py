"""Fixtures for the signing tests: a throw-away PKI directory and small real PDFs (WeasyPrint)."""

import pytest

AGENCY_CODE = "000.01.31.H99"  # a commune people's committee of the demo province

HTML = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Giấy chứng nhận</title></head>
<body><h1>Giấy chứng nhận</h1><p>Ủy ban nhân dân xã chứng nhận bản sao đúng với bản chính.</p></body></html>"""


@pytest.fixture(scope="session")
def pdf_bytes():
    import weasyprint

    return weasyprint.HTML(string=HTML).write_pdf()


@pytest.fixture(scope="session")
def pdfa_bytes():
    import weasyprint

    return weasyprint.HTML(string=HTML).write_pdf(pdf_variant="pdf/a-3b")


@pytest.fixture(autouse=True)
def pki_dir(settings, tmp_path):
    """Every test gets its own PKI directory; nothing is written to the repository."""
    directory = tmp_path / "pki"
    settings.SIGNING_PKI_DIR = directory
    settings.SIGNING_DEMO_PKI = True
    settings.SIGNING_P12_PASSWORD = "motcua-demo"
    settings.SIGNING_TRUST_ROOTS = ["root-ca.pem"]
    return directory


@pytest.fixture
def agency(demo_org):
    from motcua.org.models import Agency

    return Agency.objects.get(code=AGENCY_CODE)
