import datetime as dt

from django.template.loader import render_to_string

from motcua.signing.services import SUMMARY_OK, SUMMARY_UNTRUSTED, SignatureReport


def _report(**overrides):
    values = dict(
        field_name="Signature1",
        signer_name="UBND phường Bình Minh",
        signer_org="UBND phường Bình Minh",
        serial="000.01.31.H99",
        signing_time=dt.datetime(2025, 7, 1, 17, 30, tzinfo=dt.UTC),
        intact=True,
        valid=True,
        trusted=True,
        covers_whole_document=True,
        modified_after_signing=False,
        summary=SUMMARY_OK,
        verdict="ok",
    )
    values.update(overrides)
    return SignatureReport(**values)


def test_report_table():
    html = render_to_string(
        "signing/_report.html",
        {"reports": [_report(), _report(trusted=False, verdict="untrusted", summary=SUMMARY_UNTRUSTED)]},
    )
    assert "Người ký" in html and "Đơn vị" in html and "Thời điểm ký" in html
    assert "UBND phường Bình Minh" in html and "000.01.31.H99" in html
    assert "02/07/2025 00:30" in html  # 17:30 UTC is 00:30 the next day in Asia/Ho_Chi_Minh
    assert SUMMARY_OK in html and "usa-alert--success" in html
    assert SUMMARY_UNTRUSTED in html and "usa-alert--warning" in html
    assert "Không tin cậy" in html and "Chưa kiểm tra tình trạng thu hồi" in html


def test_report_empty_and_without_time():
    assert "Tài liệu không có chữ ký số." in render_to_string("signing/_report.html", {"reports": []})
    html = render_to_string("signing/_report.html", {"reports": [_report(signing_time=None, signer_name="")]})
    assert "Không xác định" in html and "—" in html
