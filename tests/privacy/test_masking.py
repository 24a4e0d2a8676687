"""Masking personal IDs, phones and emails: the functions, the log filter wired in settings.LOGGING,
and the lists that show masked values while the dossier page keeps the full ones."""

import io
import logging

import pytest

from motcua.privacy.logfilter import MaskPersonalData
from motcua.privacy.masking import mask_email, mask_id, mask_phone, mask_text
from tests.api.conftest import CITIZEN


def test_mask_functions():
    assert mask_id("001085012345") == "001******345"
    assert mask_id("123456789") == "123***789"
    assert mask_id("") == "" and mask_id(None) == ""
    assert mask_id("B123") == "****"  # too short to keep anything
    assert mask_phone("0912345678") == "091****678"
    assert mask_phone("0912 345 678") == "091****678"
    assert mask_phone("+84 912 345 678") == "+84912***678"
    assert mask_email("nguyenvan@gmail.com") == "n********@gmail.com"
    assert mask_email("a@b.vn") == "a***@b.vn"
    text = "Hồ sơ 000.00.06.H99-260301-0001 của 001085012345, ĐT 0912.345.678, CMND 123456789, 3 trang"
    masked = mask_text(text)
    assert "001085012345" not in masked and "001******345" in masked
    assert "0912.345.678" not in masked and "091****678" in masked
    assert "123***789" in masked
    assert "000.00.06.H99-260301-0001" in masked and "3 trang" in masked  # codes and counts stay


def _root_handler_with_filter():
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, MaskPersonalData) for f in handler.filters):
            return handler
    return None


def test_the_configured_log_handler_masks_ids_and_phones():
    handler = _root_handler_with_filter()
    assert handler is not None, "settings.LOGGING must put the masking filter on its handlers"
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        logger = logging.getLogger("motcua.test.privacy")
        logger.warning("Tra cứu công dân %s, điện thoại %s", "001085012345", "0912345678")
        try:
            raise ValueError("số định danh 079190000001 không khớp")
        except ValueError:
            logger.exception("Lỗi đối chiếu")
    finally:
        handler.setStream(old)
    out = stream.getvalue()
    assert "001******345" in out and "091****678" in out and "079******001" in out
    assert "001085012345" not in out and "0912345678" not in out and "079190000001" not in out


def test_return_desk_masks_and_dossier_page_shows_full(users, login):
    from tests.backoffice.conftest import with_result

    d = with_result(users)
    c = login("motcua.xa")
    page = c.get("/can-bo/tra-ket-qua/").content.decode()
    page = page[page.index("<tbody") :]  # the rows (the search box's placeholder is an example)
    assert d.code in page
    assert CITIZEN["id_number"] not in page and mask_id(CITIZEN["id_number"]) in page
    assert CITIZEN["phone"] not in page and mask_phone(CITIZEN["phone"]) in page
    full = c.get(f"/can-bo/ho-so/{d.code}/").content.decode()
    assert CITIZEN["id_number"] in full  # the page where the officer needs it


@pytest.mark.parametrize("value", ["<b>001085012345</b>"])
def test_template_filter_escapes(value):
    from django.template import Context, Template

    html = Template("{% load privacy %}{{ v|mask_id }}").render(Context({"v": value}))
    assert "<b>" not in html
