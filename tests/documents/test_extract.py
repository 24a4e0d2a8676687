"""Field extraction on hand-written OCR-like text (no OCR here): noise in diacritics, case, spacing,
digits read as letters, bilingual labels, values on the same or the next line."""

from __future__ import annotations

from pathlib import Path

import pytest

from motcua.documents.extract import FIELDS, ExtractedField, detect_kind, extract, extract_fields, parse_date
from motcua.documents.testdata.generator import load_truth

DATA = Path(__file__).resolve().parent.parent / "data" / "ocr"


def values(fields: list[ExtractedField]) -> dict[str, str]:
    return {f.name: f.value for f in fields}


def conf(fields: list[ExtractedField], name: str) -> float:
    return next(f.confidence for f in fields if f.name == name)


# Old chip card (2021), front and back as Tesseract reads a photocopy: 'l' for '1', English labels
# garbled, value of the name on the next line, address over two lines.
CCCD_2021 = """CONG HOA XA HOI CHU NGHIA VIET NAM
Doc lap - Tu do - Hanh phuc
SOCIAIIST REPUBLIC OF VIET NAM
CĂN CƯỚC CÔNG DÂN
Citizen ldentity Card

Số/No.: 0010850l2345
Họ và tên / Full narne:

NGUYỄN VĂN AN
Ngày sinh / Date of birth: 12-3-1985

Giới tính / Sex: Nam     Quốc tịch / Nationality: Việt Nam
Quê quán / Place of origin:
xã Đông Hòa, Đông Sơn, Thanh Hóa
Nơi thường trú / Place of residence: Số 12 ngõ 34 phố Trần
Duy Hưng, phường Trung Hòa, Cầu Giấy, Hà Nội
Có giá trị đến: 12/03/2045
\f
Đặc điểm nhân dạng / Personal identification:
Nốt ruồi cách 2 cm trên đuôi mắt trái
Ngày, tháng, năm / Date, month, year: 10/08/2021
CỤC TRƯỞNG CỤC CẢNH SÁT
TDVNM0850123459001085012345<<1
8503125M4503124VNM<<<<<<<<<<<2
NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<
"""

# New identity card (2024): front then back (two pages), grouped digits, 'O' for '0', upper-case sex.
CCCD_2024 = """SOCIALIST REPUBLIC OF VIET NAM
CAN CƯỚC
IDENTITY CARD
So dinh danh ca nhan / Personal identifcation number
079 301 004321
Họ, chữ đệm và tên khai sinh / Full name

TRẦN THỊ MAI ANH
Ngày, tháng, năm sinh / Date of birth: 05/O7/2001
Giới tính / Sex: NỮ
Quốc tịch / Nationality: Việt Nam
\fNơi cư trú / Place of residence: Tổ dân phố 5, phường
Bến Thành, Thành phố Hồ Chí Minh
Nơi đăng ký khai sinh / Place of birth: Thành phố Hồ Chí Minh
Ngày, tháng, năm cấp / Date of issue: 15/07/2024
BỘ CÔNG AN
"""


def test_cccd_2021_photocopy():
    fields = extract("cccd", CCCD_2021)
    assert [f.name for f in fields] == [name for name, _ in FIELDS["cccd"]]
    assert values(fields) == {
        "id_number": "001085012345",
        "full_name": "NGUYỄN VĂN AN",
        "date_of_birth": "12/03/1985",
        "sex": "Nam",
        "place_of_residence": "Số 12 ngõ 34 phố Trần Duy Hưng, phường Trung Hòa, Cầu Giấy, Hà Nội",
    }
    assert conf(fields, "id_number") >= 0.9  # valid, and the machine-readable zone agrees
    assert conf(fields, "sex") >= 0.95  # agrees with the century/sex digit of the number
    assert conf(fields, "date_of_birth") >= 0.9  # year agrees with the number
    assert all(0 < f.confidence <= 1 for f in fields)
    assert fields[0].label == "Số định danh cá nhân"


def test_cccd_2024_front_and_back():
    assert values(extract("cccd", CCCD_2024)) == {
        "id_number": "079301004321",
        "full_name": "TRẦN THỊ MAI ANH",
        "date_of_birth": "05/07/2001",
        "sex": "Nữ",
        "place_of_residence": "Tổ dân phố 5, phường Bến Thành, Thành phố Hồ Chí Minh",
    }


def test_cccd_number_from_the_machine_readable_zone_and_sex_from_the_number():
    text = """CĂN CƯỚC CÔNG DÂN
Họ và tên / Full name: NGUYỄN VĂN AN
Ngày sinh / Date of birth: 12/03/1985
IDVNM0850123459001085012345<<1
"""
    fields = extract("cccd", text)
    assert values(fields)["id_number"] == "001085012345"
    assert values(fields)["sex"] == "Nam"  # not printed: inferred from the ID number, low confidence
    assert conf(fields, "sex") <= 0.5
    assert values(fields)["place_of_residence"] == "" and conf(fields, "place_of_residence") == 0.0


def test_cccd_invalid_number_has_low_confidence():
    fields = extract("cccd", "CĂN CƯỚC CÔNG DÂN\nSố / No.: 999085012345\nGiới tính / Sex: Nữ\n")
    assert values(fields)["id_number"] == "999085012345"
    assert conf(fields, "id_number") < 0.5
    assert values(fields)["sex"] == "Nữ" and conf(fields, "sex") < 0.7  # disagrees with the number


BIRTH_SAME_LINE = """ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
PHƯỜNG BẾN THÀNH Độc lập - Tự do - Hạnh phúc
Số: 125 Quyển số: 02/2019
GIẤY KHAI SINH
Ho, chu dem, ten: LÊ MINH KHÔI
Ngay, thang, nam sinh: ngày 5 tháng 9 năm 2019
ghi bằng chữ: Ngày mồng năm, tháng chín, năm hai nghìn không trăm mười chín
Giới tính: Nam   Dân tộc: Kinh   Quốc tịch: Việt Nam
Nơi sinh: Bệnh viện Từ Dũ, phường Cầu Ông Lãnh,
Thành phố Hồ Chí Minh
Quê quán: tỉnh Nghệ An
Số định danh cá nhân: 079219012345

Họ, chữ đệm, tên người mẹ: NGUYỄN THỊ HOA
Năm sinh: 1990   Dân tộc: Kinh   Quốc tịch: Việt Nam
Nơi cư trú: Số 8 đường Lê Lợi, phường Bến Thành, Thành phố Hồ Chí Minh
Họ, chữ đệm, tên người cha: LÊ VĂN HÙNG
Năm sinh: 1988   Dân tộc: Kinh   Quốc tịch: Việt Nam
Nơi đăng ký khai sinh: Ủy ban nhân dân phường Bến Thành
"""

BIRTH_NEXT_LINE = """GIAY KHAI SINH
Họ và tên:

PHẠM THỊ LAN
Sinh ngày:
17.11.2016
Nơi sinh:
Trạm Y tế xã Hải Hậu, tỉnh Ninh Bình
Họ và tên mẹ:
ĐỖ THỊ HẠNH
Họ và tên cha:
PHẠM VĂN TUẤN
Người đi khai sinh: Phạm Văn Tuấn
"""


def test_birth_certificate_values_on_the_same_line():
    fields = extract("birth_certificate", BIRTH_SAME_LINE)
    assert values(fields) == {
        "full_name": "LÊ MINH KHÔI",
        "date_of_birth": "05/09/2019",
        "place_of_birth": "Bệnh viện Từ Dũ, phường Cầu Ông Lãnh, Thành phố Hồ Chí Minh",
        "father_name": "LÊ VĂN HÙNG",
        "mother_name": "NGUYỄN THỊ HOA",
    }
    assert all(f.confidence >= 0.75 for f in fields)
    assert {f.name: f.label for f in fields}["mother_name"] == "Họ, chữ đệm, tên người mẹ"


def test_birth_certificate_values_on_the_next_line_and_older_labels():
    assert values(extract("birth_certificate", BIRTH_NEXT_LINE)) == {
        "full_name": "PHẠM THỊ LAN",
        "date_of_birth": "17/11/2016",
        "place_of_birth": "Trạm Y tế xã Hải Hậu, tỉnh Ninh Bình",
        "father_name": "PHẠM VĂN TUẤN",
        "mother_name": "ĐỖ THỊ HẠNH",
    }


BUSINESS = """SỞ TÀI CHÍNH THÀNH PHỐ HÀ NỘI
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
PHÒNG ĐĂNG KÝ KINH DOANH
GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP
CÔNG TY TRÁCH NHIỆM HỮU HẠN MỘT THÀNH VIÊN
Mã số doanh nghiệp: O101 234 565
Đăng ký lần đầu: ngày 15 tháng 03 năm 2018
1. Tên công ty
Tên công ty viết bằng tiếng Việt: CÔNG TY TNHH THƯƠNG MẠI VÀ
DỊCH VỤ HOÀNG PHÁT

Tên công ty viết bằng tiếng nước ngoài: HOANG PHAT TRADING AND SERVICES COMPANY LIMITED
Tên công ty viết tắt: HOANG PHAT CO., LTD
2. Địa chỉ trụ sở chính

Số 25, ngõ 102 phố Trường Chinh, phường Kim Liên,
Thành phố Hà Nội, Việt Nam
Điện thoại: 024 3868 1234   Fax:
3. Vốn điều lệ: 5.000.000.000 đồng
"""


def test_business_registration():
    fields = extract("business_registration", BUSINESS)
    assert values(fields) == {
        "enterprise_code": "0101234565",
        "enterprise_name": "CÔNG TY TNHH THƯƠNG MẠI VÀ DỊCH VỤ HOÀNG PHÁT",
        "address": "Số 25, ngõ 102 phố Trường Chinh, phường Kim Liên, Thành phố Hà Nội, Việt Nam",
    }
    assert conf(fields, "enterprise_code") >= 0.9  # check digit verified by python-stdnum
    assert conf(fields, "enterprise_name") >= 0.85


def test_business_branch_code_and_bad_check_digit():
    branch = "GIẤY CHỨNG NHẬN ĐĂNG KÝ HOẠT ĐỘNG CHI NHÁNH\nMã số chi nhánh: 0101234565-001\n"
    assert values(extract("business_registration", branch))["enterprise_code"] == "0101234565-001"
    wrong = extract("business_registration", "Mã số doanh nghiệp: 0101234566\n")
    assert values(wrong)["enterprise_code"] == "0101234566"
    assert conf(wrong, "enterprise_code") < 0.5


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (CCCD_2021, "cccd"),
        (CCCD_2024, "cccd"),
        (BIRTH_SAME_LINE, "birth_certificate"),
        (BIRTH_NEXT_LINE, "birth_certificate"),
        (BUSINESS, "business_registration"),
        ("", None),
        ("Kính gửi: Ủy ban nhân dân xã. Tôi đề nghị cấp bản sao giấy khai sinh cho con tôi.", None),
        ("QUYẾT ĐỊNH\nVề việc cấp giấy phép xây dựng\nCăn cứ Luật Xây dựng năm 2014;", None),
    ],
)
def test_detect_kind(text, kind):
    assert detect_kind(text) == kind


def test_generated_set_ground_truth():
    """On the exact text of the synthetic documents: every kind right, no prose page taken for a
    card or certificate, every field right."""
    for doc in load_truth(DATA)["documents"]:
        kind, fields = extract_fields(doc["text"])
        assert kind == doc["kind"], doc["id"]
        assert {f.name: f.value for f in fields if f.name in doc["fields"]} == doc["fields"], doc["id"]


@pytest.mark.parametrize(
    ("raw", "date"),
    [
        ("12/03/1985", "12/03/1985"),
        ("1-2-2003", "01/02/2003"),
        ("05.O7.2001", "05/07/2001"),
        ("ngày 05 tháng 9 năm 2019", "05/09/2019"),
        ("Ngay mong 5 thang 10 nam 2020", "05/10/2020"),
        ("31/02/2020", None),
        ("không rõ", None),
    ],
)
def test_parse_date(raw, date):
    assert parse_date(raw) == date


def test_unknown_kind_and_empty_text():
    with pytest.raises(ValueError):
        extract("passport", "")
    fields = extract("cccd", "")
    assert [f.value for f in fields] == [""] * 5 and all(f.confidence == 0 for f in fields)
