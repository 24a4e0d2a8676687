"""Hardening tests reuse the citizen (wallet) and API fixtures."""

import io

import pytest
from PIL import Image

from tests.api.conftest import client_for  # noqa: F401
from tests.wallet.conftest import citizen  # noqa: F401

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def image(fmt: str, size=(16, 16), frames: int = 1) -> bytes:
    out = io.BytesIO()
    imgs = [Image.new("RGB", size, (i * 40 % 255, 120, 200)) for i in range(frames)]
    if frames > 1:
        imgs[0].save(out, fmt, save_all=True, append_images=imgs[1:])
    else:
        imgs[0].save(out, fmt)
    return out.getvalue()


def pdf(pages: int = 1, **catalog) -> bytes:
    """A real PDF made by pikepdf: ``pages`` blank pages, extra catalog entries (e.g. an OpenAction)."""
    import pikepdf

    doc = pikepdf.new()
    for _ in range(pages):
        doc.add_blank_page()
    for key, value in catalog.items():
        doc.Root[f"/{key}"] = value
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


@pytest.fixture
def staff_client(client, users):
    client.force_login(users["motcua.xa"])
    return client
