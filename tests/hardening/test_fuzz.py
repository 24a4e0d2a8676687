"""Fuzz (hypothesis): the identity-number parsers and the upload check never crash — every input is either
accepted or refused with a Vietnamese message — and the real upload endpoints never answer 500.

Inputs tried per run (max_examples, fixed; run time ≈ 30 s on the 2-core machine):
IDs 400 arbitrary + 400 mutated valid; consistency 300; uploads 250 random + 250 mutated valid files;
endpoints 30 intake + 30 online wizard posts. ``FUZZ_SCALE=N`` multiplies every figure (an exploratory run outside the
test command, e.g. ``FUZZ_SCALE=20 .venv/bin/python -m pytest tests/hardening/test_fuzz.py -p no:xdist``)."""

import datetime as dt
import io
import os
import string

import pytest
from django.core.files.base import ContentFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motcua.documents import services
from motcua.dossiers.models import Draft
from motcua.identity.ids import IdError, consistency_errors, validate_id_number

from .conftest import PDF, image, pdf

VIETNAMESE = set("àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ")
VALID_IDS = ["001085012345", "056085012345", "001187012346", "079203000123", "B1234567", "123456789"]
TRIED = {"ids": 0, "consistency": 0, "uploads": 0, "intake": 0, "online": 0}
SCALE = max(1, int(os.environ.get("FUZZ_SCALE", "1")))
FAST = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def vietnamese(message: str) -> bool:
    return bool(message) and bool(VIETNAMESE & set(message.lower()))


def mutate(draw, base: str) -> str:
    chars = list(base)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["replace", "insert", "delete", "swap"]))
        i = draw(st.integers(0, max(len(chars) - 1, 0)))
        c = draw(st.sampled_from(string.digits + string.ascii_letters + " -.\u00a0\u0660٣٤０１"))
        if op == "replace" and chars:
            chars[i] = c
        elif op == "insert":
            chars.insert(i, c)
        elif op == "delete" and chars:
            del chars[i]
        elif op == "swap" and len(chars) > 1:
            j = draw(st.integers(0, len(chars) - 1))
            chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


@st.composite
def mutated_ids(draw):
    return mutate(draw, draw(st.sampled_from(VALID_IDS)))


def check_id(value: str, kind: str):
    TRIED["ids"] += 1
    try:
        out = validate_id_number(value, kind)
    except IdError as exc:
        assert vietnamese(str(exc)), (value, str(exc))
    else:
        assert isinstance(out, str) and out


@settings(max_examples=400 * SCALE, **FAST)
@given(st.text(max_size=40), st.sampled_from(["citizen", "organization"]))
def test_validate_id_number_on_arbitrary_text(value, kind):
    check_id(value, kind)


@settings(max_examples=400 * SCALE, **FAST)
@given(mutated_ids(), st.sampled_from(["citizen", "organization"]))
def test_validate_id_number_on_mutated_valid_ids(value, kind):
    check_id(value, kind)


@settings(max_examples=300 * SCALE, **FAST)
@given(
    st.one_of(mutated_ids(), st.text(alphabet=string.digits, min_size=10, max_size=14)),
    st.one_of(st.none(), st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))),
    st.sampled_from(["", "male", "female", "x"]),
)
def test_consistency_errors_never_crash(number, born, sex):
    TRIED["consistency"] += 1
    try:
        errors = consistency_errors(number, born, sex)
    except IdError as exc:
        assert vietnamese(str(exc))
    else:
        assert all(vietnamese(e) for e in errors)


def check_bytes(data: bytes, name: str):
    TRIED["uploads"] += 1
    try:
        checked = services.check_upload(ContentFile(data, name=name))  # any name, unvalidated
    except services.UploadError as exc:
        assert vietnamese(exc.message) and exc.reason, exc.message
    else:
        assert checked.content_type in services.DIGITIZABLE and len(checked.sha256) == 64


SEEDS = {
    "pdf": PDF,
    "pdf-pikepdf": pdf(pages=2),
    "png": image("PNG", (24, 24)),
    "jpeg": image("JPEG", (48, 32)),
    "tiff": image("TIFF", (16, 16), frames=2),
}
MAGIC = [b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b""]


@settings(max_examples=250 * SCALE, **FAST)
@given(st.sampled_from(MAGIC), st.binary(max_size=4096), st.text(max_size=80))
def test_check_upload_on_random_bytes(magic, body, name):
    check_bytes(magic + body, name)


@st.composite
def mutated_files(draw):
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    how = draw(st.sampled_from(["truncate", "flip", "splice", "both"]))
    if how in ("truncate", "both"):
        data = data[: draw(st.integers(1, len(data)))]
    if how in ("flip", "both"):
        for _ in range(draw(st.integers(1, 16))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= 1 << draw(st.integers(0, 7))
    if how == "splice":
        i = draw(st.integers(0, len(data)))
        data[i:i] = draw(st.binary(min_size=1, max_size=64))
    return bytes(data)


@settings(max_examples=250 * SCALE, **FAST)
@given(mutated_files())
def test_check_upload_on_truncated_and_bit_flipped_files(data):
    check_bytes(data, "scan.pdf")


HOSTILE_NAMES = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "../../../etc/passwd",
            "..\\..\\boot.ini",
            "<script>alert(1)</script>.pdf",
            "a\x00b.pdf",
            "\u202egpj.exe",
            "CON",
            ".htaccess",
            "x" * 1000 + ".pdf",
            "",
            " ",
            "giấy khai sinh (bản sao).PDF",
        ]
    ),
)
HOSTILE_CONTENT = st.one_of(st.binary(max_size=2048), mutated_files(), st.sampled_from(list(SEEDS.values())))


def hostile_file(name: str, content: bytes):
    """A file as a browser may send it: any name (the test client encodes it into the multipart body)."""
    f = io.BytesIO(content)
    f.name = name
    return f


@pytest.mark.django_db
def test_intake_upload_never_500(client, users):
    from tests.intake.test_intake import URL, form

    client.force_login(users["motcua.xa"])

    @settings(max_examples=30 * SCALE, **FAST)
    @given(HOSTILE_NAMES, HOSTILE_CONTENT)
    def post(name, content):
        TRIED["intake"] += 1
        upload = hostile_file(name, content)
        r = client.post(URL, form(provided=["TP01", "TP02"], file_TP01=upload))
        assert r.status_code in (200, 302, 400), r.status_code

    post()


@pytest.mark.django_db
def test_online_wizard_upload_never_500(client, province, citizen):
    client.force_login(citizen)
    assert client.get("/cong-dan/nop-ho-so/1.001193/").status_code == 302
    papers = f"/cong-dan/ho-so-nhap/{Draft.objects.get().key}/giay-to/"

    @settings(max_examples=30 * SCALE, **FAST)
    @given(HOSTILE_NAMES, HOSTILE_CONTENT, st.sampled_from(["TP01", "TP02", "TP99", "../x"]))
    def post(name, content, code):
        TRIED["online"] += 1
        upload = hostile_file(name, content)
        r = client.post(papers, {f"file_{code}": upload, "action": "next"})
        assert r.status_code in (200, 302, 400), r.status_code

    post()


def test_zz_report_inputs_tried(capsys):
    with capsys.disabled():
        print(f"\nfuzz inputs tried: {TRIED}")
