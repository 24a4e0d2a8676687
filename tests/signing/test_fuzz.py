"""validate_pdf on arbitrary bytes returns reports or raises SigningError, never anything else."""

import random

import pytest

from motcua.signing.services import SignatureReport, SigningError, validate_pdf


def _check(data: bytes) -> None:
    try:
        reports = validate_pdf(data)
    except SigningError as exc:
        assert exc.message and exc.code
        return
    assert isinstance(reports, list) and all(isinstance(r, SignatureReport) for r in reports)


@pytest.fixture
def signed_pdf(agency, pdf_bytes):
    from motcua.signing.services import sign_pdf

    return sign_pdf(pdf_bytes, agency=agency)


def test_random_bytes():
    rng = random.Random(20250701)
    for size in (0, 1, 5, 64, 1024, 8192):
        for _ in range(5):
            _check(rng.randbytes(size))
            _check(b"%PDF-1.7\n" + rng.randbytes(size))


@pytest.mark.django_db
def test_truncated_signed_pdf(signed_pdf):
    rng = random.Random(7)
    cuts = {len(signed_pdf) - 1, len(signed_pdf) - 30, len(signed_pdf) // 2, 10}
    cuts |= {rng.randrange(1, len(signed_pdf)) for _ in range(40)}
    for cut in sorted(cuts):
        _check(signed_pdf[:cut])


@pytest.mark.django_db
def test_mutated_signed_pdf(signed_pdf):
    rng = random.Random(99)
    for _ in range(60):
        data = bytearray(signed_pdf)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        _check(bytes(data))


@pytest.mark.django_db
def test_mutated_structure_keywords(signed_pdf):
    """Break the keywords the parser relies on (xref, trailer, ByteRange, Contents)."""
    for needle in (b"startxref", b"trailer", b"/ByteRange", b"/Contents", b"/AcroForm", b"obj", b"endstream"):
        position = signed_pdf.rfind(needle)
        if position >= 0:
            _check(signed_pdf[:position] + b"X" * len(needle) + signed_pdf[position + len(needle) :])
            _check(signed_pdf[:position] + signed_pdf[position + len(needle) :])


def test_non_bytes_input():
    for value in (None, "%PDF-1.7", 42):
        with pytest.raises(SigningError):
            validate_pdf(value)
