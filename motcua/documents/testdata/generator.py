"""Deterministic generator of the OCR test set: synthetic 300-dpi scans with known text and fields.

    .venv/bin/python -m motcua.documents.testdata.generator tests/data/ocr

Renders with Pillow (DejaVu fonts, which carry every Vietnamese glyph), with a fixed seed, so two
runs on the same machine give byte-identical files:

* one-page Vietnamese administrative documents (decisions, applications, notices, minutes, reports),
  clean, rotated (90/180/270°), skewed by a few degrees, or degraded (gaussian noise, blur,
  salt-and-pepper specks, JPEG compression); two of them as one multi-page G4 TIFF;
* fictitious chip ID cards (căn cước công dân 2021 and thẻ căn cước 2024, front and back on an A4
  photocopy, or separate phone photos), birth certificates and business registration certificates,
  with known fields; ID numbers and enterprise codes pass ``motcua.identity.ids.validate_id_number``.

Everything is fictitious. ``truth.json`` lists each document: its files (in page order), kind,
condition (clean/rotated/noisy), the transforms applied, the expected text (lines in reading order)
and the expected extracted fields. Clean and rotated pages are stored as bilevel PNG or G4 TIFF (like
a desk scanner in black-and-white mode), degraded ones and card photos as grayscale JPEG, which keeps
the whole set around 10 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import math
import random
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

SEED = 20250701
DPI = 300
A4 = (2480, 3508)
PX_PER_PT = DPI / 72
PX_PER_MM = DPI / 25.4
TRUTH_FILE = "truth.json"

# ---------------------------------------------------------------------------------------------
# Fonts
# ---------------------------------------------------------------------------------------------

FONT_FILES = {
    "serif": ("DejaVuSerif.ttf", "DejaVu Serif:style=Book"),
    "serif-bold": ("DejaVuSerif-Bold.ttf", "DejaVu Serif:style=Bold"),
    "serif-italic": ("DejaVuSerif-Italic.ttf", "DejaVu Serif:style=Italic"),
    "sans": ("DejaVuSans.ttf", "DejaVu Sans:style=Book"),
    "sans-bold": ("DejaVuSans-Bold.ttf", "DejaVu Sans:style=Bold"),
    "sans-italic": ("DejaVuSans-Oblique.ttf", "DejaVu Sans:style=Oblique"),
    "mono": ("DejaVuSansMono-Bold.ttf", "DejaVu Sans Mono:style=Bold"),
}
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"), Path("/usr/local/share/fonts")]


@cache
def font_path(name: str) -> str:
    filename, pattern = FONT_FILES[name]
    for folder in FONT_DIRS:
        if (folder / filename).is_file():
            return str(folder / filename)
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        found = None
    if found and found.stdout.endswith(filename):
        return found.stdout
    raise SystemExit(f"Font {filename} not found: install fonts-dejavu-core.")


@cache
def font(name: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(name), px)


def pt(size: float) -> int:
    return round(size * PX_PER_PT)


# ---------------------------------------------------------------------------------------------
# Fictitious people, places, companies
# ---------------------------------------------------------------------------------------------

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
SURNAMES += ["Dương", "Lý", "Đinh", "Trịnh", "Lương", "Mai", "Tạ", "Kiều"]
MIDDLE_MALE = ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thành", "Công", "Xuân", "Đình", "Quang", "Trọng", "Tiến", "Gia"]
MIDDLE_FEMALE = ["Thị", "Ngọc", "Thu", "Thanh", "Kim", "Bảo", "Mỹ", "Phương", "Hồng", "Thùy", "Diệu", "Khánh"]
GIVEN_MALE = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phúc", "Quân", "Sơn", "Thắng"]
GIVEN_MALE += ["Trung", "Tuấn", "Việt", "Hưng", "Đạt", "Lộc", "Nghĩa", "Vũ", "Khôi", "Thịnh", "Hiếu"]
GIVEN_FEMALE = ["Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Ngân", "Nhung"]
GIVEN_FEMALE += ["Oanh", "Phượng", "Quyên", "Thảo", "Trang", "Uyên", "Yến", "Ngọc", "Thư", "Vân", "Huyền"]
SECOND_MALE = ["Minh", "Gia", "Anh", "Quang", "Bảo", "Đức", "Nhật", "Hoàng"]  # first half of a two-word given name
SECOND_FEMALE = ["Mai", "Ngọc", "Thu", "Phương", "Bảo", "Khánh", "Hải", "Minh"]


@dataclass(frozen=True)
class Province:
    birth_code: str  # personal ID number prefix (Circular 59/2021/TT-BCA)
    tax_prefix: str  # first digits of enterprise codes registered there
    name: str  # as written in addresses ("Hà Nội", "Thành phố Hồ Chí Minh")
    label: str  # with its kind ("thành phố Hà Nội", "tỉnh Thanh Hóa")
    wards: tuple[str, ...]
    streets: tuple[str, ...]
    old_districts: tuple[str, ...]


PROVINCES = [
    Province(
        "001", "01", "Hà Nội", "thành phố Hà Nội",
        ("phường Trung Hòa", "phường Yên Hòa", "phường Láng", "phường Hoàng Liệt", "xã Đông Anh", "phường Kim Liên"),
        ("phố Trần Duy Hưng", "đường Nguyễn Chí Thanh", "đường Giải Phóng", "phố Hoàng Quốc Việt", "phố Kim Mã"),
        ("quận Cầu Giấy", "quận Đống Đa", "quận Hoàng Mai", "huyện Đông Anh", "quận Ba Đình"),
    ),
    Province(
        "079", "03", "Thành phố Hồ Chí Minh", "Thành phố Hồ Chí Minh",
        ("phường Bến Thành", "phường Tân Định", "phường Gia Định", "phường Bình Tây", "xã Bình Chánh"),
        ("đường Lê Lợi", "đường Cách Mạng Tháng Tám", "đường Nguyễn Văn Cừ", "đường Phan Đăng Lưu"),
        ("Quận 1", "Quận 3", "quận Bình Thạnh", "quận Tân Bình", "huyện Bình Chánh"),
    ),
    Province(
        "031", "02", "Hải Phòng", "thành phố Hải Phòng",
        ("phường Lê Chân", "phường Hồng Bàng", "phường Ngô Quyền", "xã An Dương", "phường Hải An"),
        ("đường Lạch Tray", "phố Cầu Đất", "đường Tô Hiệu", "đường Trần Nguyên Hãn"),
        ("quận Lê Chân", "quận Ngô Quyền", "huyện An Dương", "quận Hải An"),
    ),
    Province(
        "048", "04", "Đà Nẵng", "thành phố Đà Nẵng",
        ("phường Hải Châu", "phường Thanh Khê", "phường Sơn Trà", "xã Hòa Vang", "phường Ngũ Hành Sơn"),
        ("đường Bạch Đằng", "đường Nguyễn Văn Linh", "đường Lê Duẩn", "đường Hùng Vương"),
        ("quận Hải Châu", "quận Thanh Khê", "quận Sơn Trà", "huyện Hòa Vang"),
    ),
    Province(
        "038", "28", "Thanh Hóa", "tỉnh Thanh Hóa",
        ("phường Hạc Thành", "xã Đông Sơn", "xã Hoằng Hóa", "phường Sầm Sơn", "xã Thọ Xuân"),
        ("đường Bà Triệu", "đường Trần Phú", "đường Lê Lai", "đường Nguyễn Trãi"),
        ("thành phố Thanh Hóa", "huyện Đông Sơn", "huyện Hoằng Hóa", "huyện Thọ Xuân"),
    ),
    Province(
        "040", "29", "Nghệ An", "tỉnh Nghệ An",
        ("phường Trường Vinh", "xã Nghĩa Đàn", "xã Diễn Châu", "phường Cửa Lò", "xã Đô Lương"),
        ("đường Quang Trung", "đường Lê Hồng Phong", "đường Nguyễn Du", "đường Phan Bội Châu"),
        ("thành phố Vinh", "huyện Nghĩa Đàn", "huyện Diễn Châu", "huyện Đô Lương"),
    ),
    Province(
        "092", "18", "Cần Thơ", "thành phố Cần Thơ",
        ("phường Ninh Kiều", "phường Cái Khế", "phường Bình Thủy", "xã Phong Điền", "phường Cái Răng"),
        ("đường Ba Tháng Hai", "đường Trần Hưng Đạo", "đường Nguyễn Văn Cừ", "đường Mậu Thân"),
        ("quận Ninh Kiều", "quận Bình Thủy", "huyện Phong Điền", "quận Cái Răng"),
    ),
    Province(
        "036", "06", "Ninh Bình", "tỉnh Ninh Bình",
        ("phường Nam Định", "xã Hải Hậu", "phường Hoa Lư", "xã Ý Yên", "phường Tam Điệp"),
        ("đường Trần Hưng Đạo", "đường Hùng Vương", "đường Lê Hồng Phong", "đường Đinh Tiên Hoàng"),
        ("thành phố Nam Định", "huyện Hải Hậu", "huyện Ý Yên", "thành phố Ninh Bình"),
    ),
    Province(
        "075", "36", "Đồng Nai", "tỉnh Đồng Nai",
        ("phường Biên Hòa", "phường Long Bình", "xã Long Thành", "xã Trảng Bom", "phường Trấn Biên"),
        ("đường Phạm Văn Thuận", "đường Đồng Khởi", "đường Võ Thị Sáu", "đường Nguyễn Ái Quốc"),
        ("thành phố Biên Hòa", "huyện Long Thành", "huyện Trảng Bom"),
    ),
]

VILLAGES = ["thôn Đông Hòa", "thôn Phú Xuân", "thôn Tân Lập", "tổ dân phố số 5", "thôn Yên Bình", "tổ dân phố Hòa An"]
VILLAGES += ["thôn Trung Hậu", "ấp Bình Thạnh", "thôn An Phú", "tổ dân phố Quang Trung"]
HOSPITALS = ["Bệnh viện Phụ sản", "Bệnh viện Đa khoa", "Trung tâm Y tế", "Bệnh viện Sản Nhi"]
BUSINESS_WORDS = ["Hoàng Phát", "Minh Khang", "Thành Đạt", "Phú Gia", "An Bình", "Việt Tiến", "Sao Mai", "Hưng Thịnh"]
BUSINESS_WORDS += ["Đại Dương", "Trường Sơn", "Kim Long", "Tân Phong"]
BUSINESS_LINES = [
    ("THƯƠNG MẠI VÀ DỊCH VỤ", "TRADING AND SERVICES"),
    ("XÂY DỰNG VÀ ĐẦU TƯ", "CONSTRUCTION AND INVESTMENT"),
    ("CÔNG NGHỆ PHẦN MỀM", "SOFTWARE TECHNOLOGY"),
    ("VẬN TẢI VÀ LOGISTICS", "TRANSPORT AND LOGISTICS"),
    ("NÔNG SẢN SẠCH", "CLEAN AGRICULTURAL PRODUCTS"),
    ("THIẾT BỊ Y TẾ", "MEDICAL EQUIPMENT"),
]
ENTERPRISE_TYPES = [
    ("CÔNG TY TRÁCH NHIỆM HỮU HẠN MỘT THÀNH VIÊN", "CÔNG TY TNHH", "COMPANY LIMITED", "Tên công ty"),
    ("CÔNG TY TRÁCH NHIỆM HỮU HẠN HAI THÀNH VIÊN TRỞ LÊN", "CÔNG TY TNHH", "COMPANY LIMITED", "Tên công ty"),
    ("CÔNG TY CỔ PHẦN", "CÔNG TY CỔ PHẦN", "JOINT STOCK COMPANY", "Tên công ty"),
]
SUPPLEMENT_DOCUMENTS = [
    "Bản sao có chứng thực Giấy chứng nhận quyền sử dụng đất",
    "Sơ đồ vị trí thửa đất có xác nhận của Trưởng thôn",
    "Tờ khai theo mẫu ban hành kèm theo Thông tư số 04/2020/TT-BTP",
    "Giấy ủy quyền có chứng thực chữ ký của người ủy quyền",
    "Bản chụp Giấy chứng nhận đăng ký kết hôn",
    "Văn bản thỏa thuận phân chia di sản đã được công chứng",
    "Bản vẽ thiết kế mặt bằng, mặt cắt và mặt đứng công trình",
    "Giấy xác nhận của cơ sở y tế về tình trạng sức khỏe",
]
PROCEDURES = [
    "cấp giấy phép xây dựng nhà ở riêng lẻ",
    "đăng ký biến động quyền sử dụng đất",
    "chứng thực hợp đồng tặng cho quyền sử dụng đất",
    "đăng ký khai sinh cho trẻ em",
    "hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội",
    "cấp giấy chứng nhận quyền sử dụng đất lần đầu",
]
WEEKDAYS = ["thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"]


def fold_ascii(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


class Faker:
    """Seeded source of fictitious people, places and numbers."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def choice(self, seq):
        return self.rng.choice(seq)

    def name(self, female: bool | None = None) -> tuple[str, bool]:
        female = self.rng.random() < 0.5 if female is None else female
        middle = self.choice(MIDDLE_FEMALE if female else MIDDLE_MALE)
        given = self.choice(GIVEN_FEMALE if female else GIVEN_MALE)
        if self.rng.random() < 0.35:
            given = f"{self.choice(SECOND_FEMALE if female else SECOND_MALE)} {given}"
        words = [self.choice(SURNAMES), middle, *given.split()]
        if len(set(words)) != len(words):
            return self.name(female)
        return " ".join(words), female

    def date(self, start_year: int, end_year: int) -> dt.date:
        start = dt.date(start_year, 1, 1).toordinal()
        end = dt.date(end_year, 12, 28).toordinal()
        return dt.date.fromordinal(self.rng.randint(start, end))

    def province(self) -> Province:
        return self.choice(PROVINCES)

    def address(self, province: Province, *, old: bool = False, street: bool = True) -> str:
        parts = []
        if street:
            house = self.rng.randint(2, 180)
            if self.rng.random() < 0.4:
                parts.append(f"Số {house} ngõ {self.rng.randint(10, 250)} {self.choice(province.streets)}")
            else:
                parts.append(f"Số {house} {self.choice(province.streets)}")
        else:
            village = self.choice(VILLAGES)
            parts.append(village[0].upper() + village[1:])
        parts.append(self.choice(province.wards))
        if old:
            parts.append(self.choice(province.old_districts))
            parts.append(province.name)
        else:
            parts.append(province.label)
        return ", ".join(parts)

    def personal_id(self, province: Province, birth: dt.date, female: bool) -> str:
        century_sex = 2 * ((birth.year - 1900) // 100) + int(female)
        return f"{province.birth_code}{century_sex}{birth.year % 100:02d}{self.rng.randint(0, 999999):06d}"

    def enterprise_code(self, province: Province) -> str:
        from stdnum.vn import mst

        while True:
            tail = "".join(str(self.rng.randint(0, 9)) for _ in range(9 - len(province.tax_prefix)))
            body = province.tax_prefix + tail
            check = mst.calc_check_digit(body)
            if len(check) == 1 and body[2:9] != "0000000":
                return body + check

    def phone(self) -> str:
        r = self.rng
        return f"0{r.choice([2, 9, 8, 3])}{r.randint(10, 99)} {r.randint(100, 999)} {r.randint(1000, 9999)}"


def vn_date(d: dt.date) -> str:
    """'ngày 05 tháng 3 năm 2025' as written in administrative documents (Decree 30/2020)."""
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


def dmy(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


def money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


# ---------------------------------------------------------------------------------------------
# Page layout
# ---------------------------------------------------------------------------------------------


class Sheet:
    """An A4 page at 300 dpi with a text cursor; records every drawn line as expected text."""

    def __init__(self, *, family: str = "serif", size_pt: float = 13, left_mm: float = 30, right_mm: float = 20):
        self.img = Image.new("L", A4, 255)
        self.draw = ImageDraw.Draw(self.img)
        self.family = family
        self.size = pt(size_pt)
        self.left = round(left_mm * PX_PER_MM)
        self.right = A4[0] - round(right_mm * PX_PER_MM)
        self.y = round(20 * PX_PER_MM)
        self.lines: list[str] = []

    def font(self, style: str = "", size: int | None = None) -> ImageFont.FreeTypeFont:
        return font(f"{self.family}-{style}" if style else self.family, size or self.size)

    def line(self, text: str, *, style: str = "", size: int | None = None, align: str = "left", indent: int = 0,
             center_x: int | None = None, spacing: float = 1.45) -> None:
        f = self.font(style, size)
        width = self.draw.textlength(text, font=f)
        if align == "center":
            cx = center_x if center_x is not None else (self.left + self.right) // 2
            x = cx - width / 2
        elif align == "right":
            x = self.right - width
        else:
            x = self.left + indent
        self.draw.text((x, self.y), text, font=f, fill=0)
        self.lines.append(text)
        self.y += round(f.size * spacing)

    def wrap(self, text: str, f: ImageFont.FreeTypeFont, width: float, first_width: float | None = None) -> list[str]:
        lines, current = [], ""
        limit = first_width if first_width is not None else width
        for word in text.split():
            candidate = f"{current} {word}".strip()
            if current and self.draw.textlength(candidate, font=f) > limit:
                lines.append(current)
                current, limit = word, width
            else:
                current = candidate
        if current:
            lines.append(current)
        return lines

    def para(self, text: str, *, style: str = "", indent_mm: float = 10, size: int | None = None) -> None:
        f = self.font(style, size)
        indent = round(indent_mm * PX_PER_MM)
        width = self.right - self.left
        for i, chunk in enumerate(self.wrap(text, f, width, width - indent)):
            self.line(chunk, style=style, size=size, indent=indent if i == 0 else 0)
        self.y += round(self.size * 0.25)

    def space(self, factor: float = 0.6) -> None:
        self.y += round(self.size * factor)

    def block(self, lines: list[tuple[str, str]], center_x: int) -> None:
        for text, style in lines:
            self.line(text, style=style, align="center", center_x=center_x)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Prose:
    """A one-page administrative document, as content before layout."""

    authority: list[str]  # issuing body, upper case, then "Số: ..." (empty for an application)
    place_date: str
    title: list[str]
    subtitle: list[str]
    body: list[str]  # paragraphs
    signature: list[str]  # right block, the last line is the signer's name
    greeting: str = ""


def render_prose(doc: Prose, *, family: str, size_pt: float) -> Sheet:
    sheet = Sheet(family=family, size_pt=size_pt)
    small = pt(size_pt - 0.5)
    for text in doc.authority:
        sheet.line(text, style="bold" if not text.startswith("Số") else "", size=small, align="center")
    if doc.authority:
        sheet.space(0.4)
    sheet.line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", style="bold", size=small, align="center")
    sheet.line("Độc lập - Tự do - Hạnh phúc", style="bold", size=small, align="center")
    sheet.space(0.5)
    sheet.line(doc.place_date, style="italic", align="right")
    sheet.space(0.8)
    for text in doc.title:
        sheet.line(text, style="bold", size=pt(size_pt + 1), align="center")
    for text in doc.subtitle:
        sheet.line(text, style="bold", align="center")
    sheet.space(0.8)
    if doc.greeting:
        sheet.line(doc.greeting, align="center")
        sheet.space(0.4)
    for paragraph in doc.body:
        sheet.para(paragraph)
    sheet.space(1.0)
    cx = sheet.right - round(45 * PX_PER_MM)
    for text in doc.signature:
        sheet.line(text, style="italic" if text.startswith("(") else "bold", align="center", center_x=cx)
        if text.startswith("("):
            sheet.space(1.6)  # room for the signature
    return sheet


# ----- the ten kinds of prose documents -----


def _person(fk: Faker) -> tuple[str, str, bool]:
    name, female = fk.name()
    return name, ("bà" if female else "ông"), female


def commune_of(fk: Faker, province: Province) -> str:
    return fk.choice(province.wards)


def _upper_commune(commune: str) -> str:
    return commune.upper()


def prose_building_permit(fk: Faker) -> Prose:
    prov = fk.province()
    commune = commune_of(fk, prov)
    name, title, _ = _person(fk)
    signed = fk.date(2025, 2025)
    asked = signed - dt.timedelta(days=fk.rng.randint(8, 20))
    floors = fk.rng.randint(2, 5)
    area = fk.rng.randint(60, 180)
    return Prose(
        authority=[f"ỦY BAN NHÂN DÂN {_upper_commune(commune)}", f"Số: {fk.rng.randint(100, 999)}/QĐ-UBND"],
        place_date=f"{commune.split(' ', 1)[1]}, {vn_date(signed)}",
        title=["QUYẾT ĐỊNH"],
        subtitle=[
            "Về việc cấp giấy phép xây dựng nhà ở riêng lẻ",
            f"CHỦ TỊCH ỦY BAN NHÂN DÂN {_upper_commune(commune)}",
        ],
        body=[
            "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;",
            "Căn cứ Luật Xây dựng ngày 18 tháng 6 năm 2014 và Luật sửa đổi, bổ sung một số điều của Luật Xây dựng"
            " ngày 17 tháng 6 năm 2020;",
            f"Xét đơn đề nghị cấp giấy phép xây dựng của {title} {name} {vn_date(asked)} và hồ sơ kèm theo;"
            " theo đề nghị của Trưởng phòng Kinh tế.",
            f"Điều 1. Cấp giấy phép xây dựng cho {title} {name}, địa chỉ thường trú tại {fk.address(prov)}, được xây"
            f" dựng nhà ở riêng lẻ tại thửa đất số {fk.rng.randint(10, 400)}, tờ bản đồ số {fk.rng.randint(1, 60)},"
            f" diện tích {area} mét vuông. Quy mô công trình gồm {floors} tầng, tổng diện tích sàn"
            f" {area * floors - fk.rng.randint(5, 40)} mét vuông, chiều cao công trình {floors * 3 + 2} mét.",
            "Điều 2. Chủ đầu tư có trách nhiệm thực hiện đúng nội dung giấy phép, bảo đảm an toàn lao động, phòng"
            " cháy chữa cháy và vệ sinh môi trường trong suốt quá trình thi công; thông báo ngày khởi công cho"
            " chính quyền địa phương trước ít nhất bảy ngày làm việc.",
            f"Điều 3. Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng, Trưởng phòng Kinh tế, {title}"
            f" {name} và các cơ quan, đơn vị có liên quan chịu trách nhiệm thi hành Quyết định này.",
        ],
        signature=["CHỦ TỊCH", "(Đã ký)", fk.name()[0]],
    )


def prose_extract_request(fk: Faker) -> Prose:
    prov = fk.province()
    commune = commune_of(fk, prov)
    name, _, female = _person(fk)
    birth = fk.date(1960, 1995)
    child, child_female = fk.name()
    child_birth = fk.date(max(birth.year + 20, 1990), 2020)
    relation = "con gái" if child_female else "con trai"
    purpose = fk.choice(["nhập học", "xin việc làm", "làm thủ tục cấp hộ chiếu", "đăng ký thường trú"])
    return Prose(
        authority=[],
        place_date=f"{commune.split(' ', 1)[1]}, {vn_date(fk.date(2025, 2025))}",
        title=["ĐƠN ĐỀ NGHỊ"],
        subtitle=["Cấp bản sao trích lục hộ tịch"],
        greeting=f"Kính gửi: Ủy ban nhân dân {commune}, {prov.label}.",
        body=[
            f"Tôi tên là: {name}, sinh ngày {dmy(birth)}, số định danh cá nhân {fk.personal_id(prov, birth, female)},"
            f" nơi cư trú: {fk.address(prov)}.",
            f"Tôi làm đơn này đề nghị Ủy ban nhân dân {commune} cấp {fk.rng.randint(2, 4)} bản sao trích lục khai"
            f" sinh của {relation} tôi là {child}, sinh ngày {dmy(child_birth)}, đã được đăng ký khai sinh tại Ủy ban"
            f" nhân dân {commune} theo số {fk.rng.randint(10, 400)}, quyển số"
            f" {fk.rng.randint(1, 9)}/{child_birth.year}.",
            f"Mục đích sử dụng: bổ sung hồ sơ {purpose} cho {relation} tôi.",
            "Tôi xin cam đoan những thông tin nêu trên là đúng sự thật và chịu trách nhiệm trước pháp luật về nội"
            " dung cam đoan của mình. Kính đề nghị quý cơ quan xem xét, giải quyết.",
            "Hình thức nhận kết quả: nhận qua dịch vụ bưu chính công ích tại địa chỉ nơi cư trú nêu trên; lệ phí và"
            " cước phí chuyển phát tôi xin thanh toán khi nhận kết quả.",
        ],
        signature=["Người làm đơn", "(Ký, ghi rõ họ tên)", name],
    )


def prose_supplement_notice(fk: Faker) -> Prose:
    prov = fk.province()
    commune = commune_of(fk, prov)
    name, title, _ = _person(fk)
    received = fk.date(2025, 2025)
    docs = fk.rng.sample(SUPPLEMENT_DOCUMENTS, 3)
    code = f"H{fk.rng.randint(10, 99)}.{fk.rng.randint(10, 99)}-{received:%y%m%d}-{fk.rng.randint(1, 9999):04d}"
    return Prose(
        authority=[f"ỦY BAN NHÂN DÂN {_upper_commune(commune)}", f"Số: {fk.rng.randint(10, 400)}/TB-BPMC"],
        place_date=f"{commune.split(' ', 1)[1]}, {vn_date(received + dt.timedelta(days=2))}",
        title=["THÔNG BÁO"],
        subtitle=["Về việc yêu cầu bổ sung, hoàn thiện hồ sơ"],
        body=[
            f"Bộ phận Một cửa Ủy ban nhân dân {commune} đã tiếp nhận hồ sơ đề nghị {fk.choice(PROCEDURES)} của"
            f" {title} {name}, mã hồ sơ {code}, {vn_date(received)}.",
            f"Qua kiểm tra, hồ sơ chưa đầy đủ thành phần theo quy định. Đề nghị {title} bổ sung các giấy tờ sau đây:",
            f"1. {docs[0]};",
            f"2. {docs[1]};",
            f"3. {docs[2]}.",
            f"Thời hạn bổ sung hồ sơ là {fk.rng.randint(5, 15)} ngày làm việc kể từ ngày nhận được thông báo này."
            " Quá thời hạn trên, nếu không bổ sung đầy đủ, hồ sơ sẽ được trả lại để hoàn thiện và nộp lại từ đầu.",
            "Thời gian giải quyết hồ sơ được tính lại kể từ ngày tiếp nhận đủ hồ sơ hợp lệ. Mọi thắc mắc xin liên hệ"
            f" số điện thoại {fk.phone()} trong giờ hành chính để được hướng dẫn.",
        ],
        signature=["TRƯỞNG BỘ PHẬN MỘT CỬA", "(Đã ký)", fk.name()[0]],
    )


def prose_housing_submission(fk: Faker) -> Prose:
    prov = fk.province()
    commune = commune_of(fk, prov)
    households = fk.rng.randint(12, 48)
    total = households * fk.rng.randint(30, 60) * 1_000_000
    province_share = households * 25_000_000
    signed = fk.date(2025, 2025)
    return Prose(
        authority=["ỦY BAN NHÂN DÂN " + _upper_commune(commune), "PHÒNG VĂN HÓA - XÃ HỘI",
                   f"Số: {fk.rng.randint(10, 200)}/TTr-VHXH"],
        place_date=f"{commune.split(' ', 1)[1]}, {vn_date(signed)}",
        title=["TỜ TRÌNH"],
        subtitle=["Về việc đề nghị phê duyệt danh sách hộ", f"được hỗ trợ sửa chữa nhà ở năm {signed.year}"],
        greeting=f"Kính gửi: Ủy ban nhân dân {commune}.",
        body=[
            f"Căn cứ Quyết định số {fk.rng.randint(100, 3000)}/QĐ-UBND {vn_date(signed - dt.timedelta(days=70))} của"
            " Ủy ban nhân dân tỉnh về việc ban hành kế hoạch hỗ trợ nhà ở cho hộ nghèo, hộ cận nghèo trên địa bàn;",
            "Căn cứ kết quả rà soát, bình xét công khai tại các thôn, tổ dân phố;",
            f"Phòng Văn hóa - Xã hội kính trình Ủy ban nhân dân xã phê duyệt danh sách {households} hộ được hỗ trợ"
            f" sửa chữa nhà ở với tổng kinh phí {money(total)} đồng, trong đó ngân sách tỉnh hỗ trợ"
            f" {money(province_share)} đồng, phần còn lại do các hộ gia đình tự huy động và các tổ chức, cá nhân"
            " ủng hộ.",
            "Việc bình xét được thực hiện dân chủ, công khai, đúng đối tượng; danh sách đã được niêm yết tại nhà văn"
            f" hóa các thôn trong thời gian {fk.rng.randint(5, 10)} ngày và không có ý kiến phản ánh.",
            "Kính trình Ủy ban nhân dân xã xem xét, phê duyệt để triển khai thực hiện trước mùa mưa bão.",
        ],
        signature=["TRƯỞNG PHÒNG", "(Đã ký)", fk.name()[0]],
    )


def prose_land_minutes(fk: Faker) -> Prose:
    prov = fk.province()
    commune = commune_of(fk, prov)
    village = fk.choice(VILLAGES)
    officer = fk.name(female=False)[0]
    head = fk.name(female=True)[0]
    owner = fk.name(female=False)[0]
    day = fk.date(2025, 2025)
    hour = fk.rng.randint(8, 10)
    area = fk.rng.randint(150, 600)
    return Prose(
        authority=[f"ỦY BAN NHÂN DÂN {_upper_commune(commune)}"],
        place_date=f"{commune.split(' ', 1)[1]}, {vn_date(day)}",
        title=["BIÊN BẢN"],
        subtitle=["Kiểm tra hiện trạng sử dụng đất"],
        body=[
            f"Hôm nay, vào hồi {hour} giờ {fk.rng.choice(['00', '15', '30', '45'])} phút {vn_date(day)}, tại thửa đất"
            f" số {fk.rng.randint(10, 500)}, tờ bản đồ số {fk.rng.randint(1, 40)}, {village}, {commune},"
            " chúng tôi gồm:",
            f"1. Ông {officer}, công chức địa chính - xây dựng, đại diện Ủy ban nhân dân xã;",
            f"2. Bà {head}, Trưởng thôn;",
            f"3. Ông {owner}, người sử dụng đất.",
            "Đã tiến hành kiểm tra hiện trạng sử dụng đất để phục vụ việc cấp giấy chứng nhận quyền sử dụng đất."
            f" Kết quả kiểm tra như sau: thửa đất có diện tích khoảng {area} mét vuông, hình dạng tương đối vuông"
            " vức, ranh giới rõ ràng, không có tranh chấp với các hộ liền kề. Trên đất có một nhà cấp bốn xây dựng"
            f" năm {fk.rng.randint(1992, 2015)}, diện tích xây dựng {fk.rng.randint(50, 120)} mét vuông, phần còn"
            " lại là vườn trồng cây lâu năm.",
            f"Biên bản kết thúc vào hồi {hour + 1} giờ cùng ngày, đã được đọc lại cho các thành viên cùng nghe, thống"
            " nhất ký tên. Biên bản được lập thành ba bản có giá trị pháp lý như nhau.",
        ],
        signature=["ĐẠI DIỆN ỦY BAN NHÂN DÂN XÃ", "(Đã ký)", officer],
    )


def prose_online_guidance(fk: Faker) -> Prose:
    prov = fk.province()
    signed = fk.date(2025, 2025)
    return Prose(
        authority=[f"SỞ TƯ PHÁP {prov.label.upper()}", f"Số: {fk.rng.randint(100, 2500)}/STP-HCTP"],
        place_date=f"{prov.name}, {vn_date(signed)}",
        title=["CÔNG VĂN"],
        subtitle=["V/v hướng dẫn tiếp nhận hồ sơ trực tuyến"],
        greeting="Kính gửi: Ủy ban nhân dân các xã, phường trên địa bàn.",
        body=[
            "Thực hiện chỉ đạo của Ủy ban nhân dân tỉnh về đẩy mạnh cung cấp dịch vụ công trực tuyến toàn trình,"
            " Sở Tư pháp hướng dẫn một số nội dung như sau:",
            "Thứ nhất, công chức tư pháp - hộ tịch có trách nhiệm kiểm tra hồ sơ trực tuyến trong ngày làm việc;"
            " trường hợp hồ sơ hợp lệ thì tiếp nhận và gửi thông báo cho người yêu cầu qua thư điện tử hoặc tin nhắn.",
            "Thứ hai, đối với hồ sơ chưa đầy đủ, hướng dẫn một lần, đầy đủ bằng văn bản để người yêu cầu bổ sung,"
            " không yêu cầu nộp thêm giấy tờ ngoài quy định.",
            "Thứ ba, kết quả giải quyết được trả qua dịch vụ bưu chính công ích hoặc trực tiếp tại Bộ phận Một cửa"
            " theo lựa chọn của người dân; bản điện tử được lưu vào kho dữ liệu của tổ chức, cá nhân.",
            "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, đề nghị phản ánh về Sở Tư pháp qua Phòng Hành"
            f" chính tư pháp, số điện thoại {fk.phone()}, để được hướng dẫn kịp thời.",
        ],
        signature=["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "(Đã ký)", fk.name()[0]],
    )


def prose_marital_status(fk: Faker) -> Prose:
    prov = fk.province()
    commune = commune_of(fk, prov)
    name, _, female = _person(fk)
    birth = fk.date(1985, 2000)
    partner, _ = fk.name(female=not female)
    issued = fk.date(2022, 2024)
    return Prose(
        authority=[],
        place_date=f"{commune.split(' ', 1)[1]}, {vn_date(fk.date(2025, 2025))}",
        title=["TỜ KHAI"],
        subtitle=["Cấp giấy xác nhận tình trạng hôn nhân"],
        greeting=f"Kính gửi: Ủy ban nhân dân {commune}.",
        body=[
            f"Họ, chữ đệm, tên người yêu cầu: {name}; nơi cư trú: {fk.address(prov)}; giấy tờ tùy thân: thẻ căn cước"
            f" số {fk.personal_id(prov, birth, female)}, cấp {vn_date(issued)}.",
            "Đề nghị cấp giấy xác nhận tình trạng hôn nhân cho bản thân tôi với các thông tin sau:"
            f" ngày, tháng, năm sinh {dmy(birth)}; giới tính {'nữ' if female else 'nam'}; dân tộc Kinh; quốc tịch"
            " Việt Nam.",
            f"Nơi cư trú trong thời gian từ năm {birth.year + 18} đến nay: {fk.address(prov)}.",
            "Tình trạng hôn nhân: hiện tại chưa đăng ký kết hôn với ai.",
            f"Mục đích sử dụng: để đăng ký kết hôn với {'ông' if female else 'bà'} {partner}, sinh năm"
            f" {birth.year + fk.rng.randint(-3, 3)}, tại Ủy ban nhân dân {commune}.",
            "Tôi cam đoan những nội dung khai trên đây là đúng sự thật và chịu trách nhiệm trước pháp luật về cam"
            " đoan của mình.",
        ],
        signature=["Người yêu cầu", "(Ký, ghi rõ họ tên)", name],
    )


def prose_invitation(fk: Faker) -> Prose:
    prov = fk.province()
    commune = commune_of(fk, prov)
    meeting = fk.date(2025, 2025)
    return Prose(
        authority=[f"ỦY BAN NHÂN DÂN {_upper_commune(commune)}", f"Số: {fk.rng.randint(10, 300)}/GM-UBND"],
        place_date=f"{commune.split(' ', 1)[1]}, {vn_date(meeting - dt.timedelta(days=5))}",
        title=["GIẤY MỜI"],
        subtitle=[f"Họp triển khai công tác chuyển đổi số năm {meeting.year}"],
        body=[
            f"Ủy ban nhân dân {commune} trân trọng kính mời:",
            "- Đại diện lãnh đạo Đảng ủy, Hội đồng nhân dân, Ủy ban Mặt trận Tổ quốc Việt Nam xã;",
            "- Trưởng các phòng chuyên môn, Giám đốc Trung tâm Phục vụ hành chính công xã;",
            "- Bí thư chi bộ, Trưởng thôn, tổ trưởng tổ dân phố.",
            f"Thời gian: 08 giờ 00 phút, {vn_date(meeting)} ({WEEKDAYS[meeting.weekday()]}).",
            "Địa điểm: Hội trường tầng 2, trụ sở Ủy ban nhân dân xã.",
            "Nội dung: đánh giá kết quả triển khai dịch vụ công trực tuyến sáu tháng đầu năm; thống nhất kế hoạch số"
            " hóa hồ sơ, kết quả giải quyết thủ tục hành chính; phân công nhiệm vụ hướng dẫn người dân cài đặt và sử"
            " dụng tài khoản định danh điện tử.",
            "Giao Văn phòng Hội đồng nhân dân và Ủy ban nhân dân xã chuẩn bị tài liệu, hội trường và các điều kiện"
            " phục vụ cuộc họp. Đề nghị các thành phần được mời tham dự đầy đủ, đúng giờ.",
        ],
        signature=["TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG", "(Đã ký)", fk.name()[0]],
    )


def prose_social_allowance(fk: Faker) -> Prose:
    prov = fk.province()
    commune = commune_of(fk, prov)
    name, title, _ = _person(fk)
    signed = fk.date(2025, 2025)
    birth = fk.date(1930, 1944)
    return Prose(
        authority=[f"ỦY BAN NHÂN DÂN {_upper_commune(commune)}", f"Số: {fk.rng.randint(100, 999)}/QĐ-UBND"],
        place_date=f"{commune.split(' ', 1)[1]}, {vn_date(signed)}",
        title=["QUYẾT ĐỊNH"],
        subtitle=["Về việc trợ cấp xã hội hàng tháng", f"CHỦ TỊCH ỦY BAN NHÂN DÂN {_upper_commune(commune)}"],
        body=[
            "Căn cứ Nghị định số 20/2021/NĐ-CP ngày 15 tháng 3 năm 2021 của Chính phủ quy định chính sách trợ giúp"
            " xã hội đối với đối tượng bảo trợ xã hội;",
            "Xét đề nghị của Trưởng phòng Văn hóa - Xã hội.",
            f"Điều 1. Trợ cấp xã hội hàng tháng đối với {title} {name}, sinh ngày {dmy(birth)}, nơi cư trú:"
            f" {fk.address(prov, street=False)}, thuộc diện người cao tuổi từ đủ 80 tuổi trở lên không có lương hưu"
            " hoặc trợ cấp bảo hiểm xã hội hàng tháng. Mức trợ cấp hàng tháng là"
            f" {money(fk.choice([500_000, 650_000, 750_000]))} đồng, được hưởng kể từ tháng {signed.month} năm"
            f" {signed.year}.",
            "Điều 2. Trường hợp đối tượng thay đổi nơi cư trú hoặc không còn đủ điều kiện hưởng, Phòng Văn hóa - Xã"
            " hội có trách nhiệm báo cáo để điều chỉnh hoặc thôi hưởng trợ cấp theo quy định.",
            "Điều 3. Quyết định này có hiệu lực kể từ ngày ký. Văn phòng, Phòng Văn hóa - Xã hội, Trưởng thôn và cá"
            " nhân có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này.",
        ],
        signature=["CHỦ TỊCH", "(Đã ký)", fk.name()[0]],
    )


def prose_quarter_report(fk: Faker) -> Prose:
    prov = fk.province()
    commune = commune_of(fk, prov)
    signed = fk.date(2025, 2025)
    quarter = (signed.month - 1) // 3 + 1
    received = fk.rng.randint(400, 1500)
    online = fk.rng.randint(received // 3, received - 50)
    carried = fk.rng.randint(10, 60)
    solved = received + carried - fk.rng.randint(20, 80)
    late = fk.rng.randint(1, 12)
    rate = f"{100 * (solved - late) / solved:.1f}".replace(".", ",")
    return Prose(
        authority=[f"ỦY BAN NHÂN DÂN {_upper_commune(commune)}", f"Số: {fk.rng.randint(50, 500)}/BC-UBND"],
        place_date=f"{commune.split(' ', 1)[1]}, {vn_date(signed)}",
        title=["BÁO CÁO"],
        subtitle=[f"Kết quả giải quyết thủ tục hành chính quý {'I II III IV'.split()[quarter - 1]} năm {signed.year}"],
        body=[
            f"Thực hiện chế độ báo cáo định kỳ, Ủy ban nhân dân {commune} báo cáo kết quả giải quyết thủ tục hành"
            " chính như sau:",
            f"1. Tổng số hồ sơ tiếp nhận trong kỳ là {received} hồ sơ, trong đó tiếp nhận trực tuyến {online} hồ sơ,"
            f" tiếp nhận trực tiếp và qua dịch vụ bưu chính {received - online} hồ sơ. Số hồ sơ từ kỳ trước chuyển"
            f" sang là {carried} hồ sơ.",
            f"2. Số hồ sơ đã giải quyết là {solved} hồ sơ, trong đó giải quyết trước và đúng hạn {solved - late} hồ"
            f" sơ, đạt tỷ lệ {rate} phần trăm; giải quyết quá hạn {late} hồ sơ do phải xác minh nguồn gốc đất.",
            "3. Đối với các hồ sơ quá hạn, Ủy ban nhân dân xã đã gửi văn bản xin lỗi tổ chức, cá nhân và hẹn lại"
            " thời gian trả kết quả theo quy định.",
            "4. Trong kỳ không có phản ánh, kiến nghị về quy định hành chính. Thời gian tới, Ủy ban nhân dân xã tiếp"
            " tục rà soát, đơn giản hóa thủ tục hành chính, tăng cường số hóa hồ sơ và kết quả giải quyết, nâng cao"
            " chất lượng phục vụ người dân và doanh nghiệp.",
        ],
        signature=["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "(Đã ký)", fk.name()[0]],
    )


PROSE_KINDS: list[Callable[[Faker], Prose]] = [
    prose_building_permit,
    prose_extract_request,
    prose_supplement_notice,
    prose_housing_submission,
    prose_land_minutes,
    prose_online_guidance,
    prose_marital_status,
    prose_invitation,
    prose_social_allowance,
    prose_quarter_report,
]


# ---------------------------------------------------------------------------------------------
# Cards (căn cước công dân 2021, thẻ căn cước 2024)
# ---------------------------------------------------------------------------------------------

CARD_MM = (85.6, 53.98)
CARD_SCALE = 1.5  # an enlarged photocopy, as desks do for small print
CARD_PX = (round(CARD_MM[0] * PX_PER_MM * CARD_SCALE), round(CARD_MM[1] * PX_PER_MM * CARD_SCALE))


@dataclass
class Person:
    name: str
    female: bool
    birth: dt.date
    id_number: str
    origin: str
    residence: str
    birth_place: str
    issued: dt.date

    @property
    def sex(self) -> str:
        return "Nữ" if self.female else "Nam"

    @property
    def expiry(self) -> dt.date:
        for age in (25, 40, 60):
            if self.issued.year < self.birth.year + age - 2:
                return self.birth.replace(year=self.birth.year + age)
        return dt.date(9999, 12, 31)


def make_person(fk: Faker, *, old_address: bool, start: int = 1955, end: int = 2006) -> Person:
    name, female = fk.name()
    birth = fk.date(start, end)
    prov = fk.province()
    home = fk.province()
    return Person(
        name=name,
        female=female,
        birth=birth,
        id_number=fk.personal_id(prov, birth, female),
        origin=f"{fk.choice(prov.wards)}, {prov.name}" if old_address else prov.label,
        residence=fk.address(home, old=old_address),
        birth_place=prov.label,
        issued=fk.date(max(2021, birth.year + 14), 2024) if old_address else fk.date(max(2024, birth.year + 14), 2025),
    )


def _mrz_check(data: str) -> str:
    values = {**{str(d): d for d in range(10)}, "<": 0}
    values.update({chr(ord("A") + i): 10 + i for i in range(26)})
    return str(sum(values[c] * (7, 3, 1)[i % 3] for i, c in enumerate(data)) % 10)


def mrz_lines(p: Person) -> list[str]:
    doc = p.id_number[3:]
    line1 = f"IDVNM{doc}{_mrz_check(doc)}{p.id_number}<<"
    line1 += _mrz_check(line1[5:])
    expiry = "991231" if p.expiry.year == 9999 else p.expiry.strftime("%y%m%d")
    birth = p.birth.strftime("%y%m%d")
    line2 = f"{birth}{_mrz_check(birth)}{'F' if p.female else 'M'}{expiry}{_mrz_check(expiry)}VNM"
    line2 = line2.ljust(29, "<")
    line2 += _mrz_check(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    words = fold_ascii(p.name).upper().split()
    line3 = (words[0] + "<<" + "<".join(words[1:])).ljust(30, "<")[:30]
    return [line1, line2, line3]


class Card:
    """A card drawn at 1.5× scale; coordinates in card millimetres."""

    def __init__(self, rng: random.Random, pattern: bool = True):
        self.img = Image.new("L", CARD_PX, 250)
        self.draw = ImageDraw.Draw(self.img)
        self.lines: list[str] = []
        if pattern:
            self._guilloche(rng)

    @staticmethod
    def px(mm: float) -> int:
        return round(mm * PX_PER_MM * CARD_SCALE)

    def _guilloche(self, rng: random.Random) -> None:
        w, h = CARD_PX
        phase = rng.random() * math.tau
        for k in range(0, h + 60, 18):
            pts = [(x, k + 14 * math.sin(x / 55 + phase + k / 90)) for x in range(0, w + 10, 10)]
            self.draw.line(pts, fill=228, width=2)

    def text(self, x_mm: float, y_mm: float, text: str, size: int, style: str = "sans", fill: int = 20,
             center: bool = False, record: bool = True) -> float:
        f = font(style, size)
        x = self.px(x_mm)
        if center:
            x -= self.draw.textlength(text, font=f) / 2
        self.draw.text((x, self.px(y_mm)), text, font=f, fill=fill)
        if record:
            self.lines.append(text)
        return x + self.draw.textlength(text, font=f)

    def label_value(self, x_mm: float, y_mm: float, label: str, value: str, *, label_size: int = 30,
                    value_size: int = 36, value_style: str = "sans-bold", wrap_mm: float | None = None,
                    line_mm: float = 3.0) -> float:
        """'Label: value' on one line (the value wraps to following lines); returns the next y in mm."""
        f_label = font("sans", label_size)
        f_value = font(value_style, value_size)
        x0 = self.px(x_mm)
        y = self.px(y_mm)
        self.draw.text((x0, y + (value_size - label_size) * 0.75), label + ":", font=f_label, fill=40)
        x = x0 + self.draw.textlength(label + ": ", font=f_label)
        right = self.px(wrap_mm) if wrap_mm else CARD_PX[0] - self.px(3)
        words, current, chunks, limit = value.split(), "", [], right - x
        for word in words:
            candidate = f"{current} {word}".strip()
            if current and self.draw.textlength(candidate, font=f_value) > limit:
                chunks.append(current)
                current, limit = word, right - x0
            else:
                current = candidate
        chunks.append(current)
        self.draw.text((x, y), chunks[0], font=f_value, fill=0)
        self.lines.append(f"{label}: {chunks[0]}")
        for chunk in chunks[1:]:
            y += self.px(line_mm)
            self.draw.text((x0, y), chunk, font=f_value, fill=0)
            self.lines.append(chunk)
        return (y + self.px(line_mm)) / (PX_PER_MM * CARD_SCALE)

    def emblem(self, x_mm: float, y_mm: float, r_mm: float) -> None:
        cx, cy, r = self.px(x_mm), self.px(y_mm), self.px(r_mm)
        self.draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=110, width=4)
        self.draw.ellipse((cx - r * 0.72, cy - r * 0.72, cx + r * 0.72, cy + r * 0.72), fill=150)
        star = [
            (cx + r * 0.55 * math.cos(math.pi / 2 + i * math.pi / 5) * (1 if i % 2 == 0 else 0.4),
             cy - r * 0.55 * math.sin(math.pi / 2 + i * math.pi / 5) * (1 if i % 2 == 0 else 0.4))
            for i in range(10)
        ]
        self.draw.polygon(star, fill=235)

    def photo(self, x_mm: float, y_mm: float, w_mm: float, h_mm: float) -> None:
        x0, y0, x1, y1 = self.px(x_mm), self.px(y_mm), self.px(x_mm + w_mm), self.px(y_mm + h_mm)
        self.draw.rectangle((x0, y0, x1, y1), fill=205, outline=120, width=2)
        cx, w, h = (x0 + x1) / 2, x1 - x0, y1 - y0
        self.draw.ellipse((cx - w * 0.22, y0 + h * 0.15, cx + w * 0.22, y0 + h * 0.55), fill=95)
        self.draw.chord((x0 + w * 0.1, y0 + h * 0.58, x1 - w * 0.1, y1 + h * 0.35), 180, 360, fill=95)

    def header(self) -> None:
        self.emblem(9, 9.5, 6.5)
        self.text(50, 2.2, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 30, "sans-bold", center=True)
        self.text(50, 5.2, "Độc lập - Tự do - Hạnh phúc", 28, "sans-bold", center=True)
        self.text(50, 8.2, "SOCIALIST REPUBLIC OF VIET NAM", 26, center=True)
        self.text(50, 10.9, "Independence - Freedom - Happiness", 26, center=True)

    def rounded(self) -> tuple[Image.Image, Image.Image]:
        mask = Image.new("L", CARD_PX, 0)
        ImageDraw.Draw(mask).rounded_rectangle((0, 0, CARD_PX[0] - 1, CARD_PX[1] - 1), radius=self.px(3), fill=255)
        ImageDraw.Draw(self.img).rounded_rectangle(
            (0, 0, CARD_PX[0] - 1, CARD_PX[1] - 1), radius=self.px(3), outline=150, width=3
        )
        return self.img, mask


def card_2021(p: Person, rng: random.Random, pattern: bool) -> tuple[Card, Card]:
    front = Card(rng, pattern)
    front.header()
    front.text(50, 14.6, "CĂN CƯỚC CÔNG DÂN", 44, "sans-bold", fill=30, center=True)
    front.text(50, 18.6, "Citizen Identity Card", 28, center=True)
    front.photo(3, 23, 20, 26)
    y = front.label_value(26, 21.5, "Số / No.", p.id_number, value_size=44, line_mm=3.5)
    front.text(26, y, "Họ và tên / Full name:", 30, fill=40)
    front.text(26, y + 2.6, p.name.upper(), 40, "sans-bold", fill=0)
    y = front.label_value(26, y + 5.6, "Ngày sinh / Date of birth", dmy(p.birth))
    sex_end = front.label_value(26, y, "Giới tính / Sex", p.sex, wrap_mm=52)
    front.lines[-1] += "   Quốc tịch / Nationality: Việt Nam"
    front.draw.text((front.px(52), front.px(y) + 4), "Quốc tịch / Nationality:", font=font("sans", 30), fill=40)
    front.draw.text((front.px(72.5), front.px(y)), "Việt Nam", font=font("sans-bold", 36), fill=0)
    y = sex_end
    front.text(26, y, "Quê quán / Place of origin:", 30, fill=40)
    front.text(26, y + 2.6, p.origin, 34, "sans-bold", fill=0)
    front.label_value(26, y + 5.8, "Nơi thường trú / Place of residence", p.residence, value_size=32)
    front.text(3, 51.0, f"Có giá trị đến: {dmy(p.expiry)}", 22, fill=40)

    back = Card(rng, pattern)
    for i, finger in enumerate(["Ngón trỏ trái", "Ngón trỏ phải"]):
        x = 48 + i * 19
        x0, y0 = back.px(x), back.px(4)
        back.draw.rectangle((x0, y0, x0 + back.px(16), y0 + back.px(20)), outline=130, width=2)
        for k in range(1, 9):
            rx, ry = back.px(0.8 * k), back.px(1.05 * k)
            cx, cy = x0 + back.px(8), y0 + back.px(10)
            back.draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), outline=150, width=2)
        back.text(x + 8, 25, finger, 24, fill=40, center=True)
    back.text(3, 4, "Đặc điểm nhân dạng / Personal identification:", 26, fill=40)
    back.text(3, 7.2, "Nốt ruồi cách 2 cm trên đuôi mắt trái", 28, fill=0)
    back.text(3, 12, f"Ngày, tháng, năm / Date, month, year: {dmy(p.issued)}", 26, fill=20)
    back.text(3, 15.5, "CỤC TRƯỞNG CỤC CẢNH SÁT", 26, "sans-bold")
    back.text(3, 18.3, "QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI", 26, "sans-bold")
    back.text(3, 25.5, "Nguyễn Văn Thành", 30, "sans-bold")
    for i, line in enumerate(mrz_lines(p)):
        back.text(3, 36 + i * 5, line, 42, "mono", fill=0)
    return front, back


def card_2024(p: Person, rng: random.Random, pattern: bool) -> tuple[Card, Card]:
    import segno

    front = Card(rng, pattern)
    front.header()
    front.text(50, 14.4, "CĂN CƯỚC", 46, "sans-bold", fill=30, center=True)
    front.text(50, 18.6, "IDENTITY CARD", 28, center=True)
    front.photo(3, 23, 20, 26)
    front.text(26, 22.4, "Số định danh cá nhân / Personal identification number", 28, fill=40)
    front.text(26, 25.4, p.id_number, 44, "sans-bold", fill=0)
    front.text(26, 30.0, "Họ, chữ đệm và tên khai sinh / Full name", 28, fill=40)
    front.text(26, 33.0, p.name.upper(), 40, "sans-bold", fill=0)
    y = front.label_value(26, 37.6, "Ngày, tháng, năm sinh / Date of birth", dmy(p.birth), label_size=28)
    front.label_value(26, y + 0.2, "Giới tính / Sex", p.sex, label_size=28, wrap_mm=52)
    front.label_value(52, y + 0.2, "Quốc tịch / Nationality", "Việt Nam", label_size=28)
    qr = segno.make(f"{p.id_number}||{p.name}|{p.birth:%d%m%Y}|{p.sex}|{p.residence}|{p.issued:%d%m%Y}", error="m")
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=4, border=1)
    code = Image.open(buf).convert("L").resize((front.px(13), front.px(13)), Image.Resampling.NEAREST)
    front.img.paste(code, (front.px(71), front.px(1.5)))

    back = Card(rng, pattern)
    chip = (back.px(4), back.px(4), back.px(15), back.px(12))
    back.draw.rounded_rectangle(chip, radius=back.px(1.5), fill=185, outline=110, width=3)
    y = back.label_value(20, 3.5, "Nơi cư trú / Place of residence", p.residence, label_size=28, value_size=34,
                         line_mm=3.0)
    y = back.label_value(20, y + 0.6, "Nơi đăng ký khai sinh / Place of birth", p.birth_place, label_size=28,
                         value_size=34)
    y = back.label_value(20, y + 0.6, "Ngày, tháng, năm cấp / Date of issue", dmy(p.issued), label_size=28,
                         value_size=32)
    back.label_value(20, y + 0.2, "Ngày, tháng, năm hết hạn / Date of expiry", dmy(p.expiry), label_size=28,
                     value_size=32)
    back.text(3, 29.6, "BỘ CÔNG AN", 28, "sans-bold")
    back.text(3, 32.4, "MINISTRY OF PUBLIC SECURITY", 24)
    for i, line in enumerate(mrz_lines(p)):
        back.text(3, 37 + i * 5, line, 42, "mono", fill=0)
    return front, back


def cccd_fields(p: Person) -> dict[str, str]:
    return {
        "id_number": p.id_number,
        "full_name": p.name.upper(),
        "date_of_birth": dmy(p.birth),
        "sex": p.sex,
        "place_of_residence": p.residence,
    }


def photocopy(front: Card, back: Card) -> tuple[Image.Image, str]:
    """Front and back of a card on one A4 page, as a desk photocopy."""
    page = Image.new("L", A4, 255)
    x = (A4[0] - CARD_PX[0]) // 2
    for card, y in ((front, 300), (back, 300 + CARD_PX[1] + 250)):
        img, mask = card.rounded()
        page.paste(img, (x, y), mask)
    return page, "\n".join(front.lines + back.lines)


def phone_photo(card: Card, rng: random.Random, angle: float) -> Image.Image:
    """One side of a card photographed on a desk: dark background, small tilt, some noise."""
    img, mask = card.rounded()
    margin = 160
    canvas = Image.new("L", (CARD_PX[0] + 2 * margin, CARD_PX[1] + 2 * margin), 95)
    canvas.paste(img, (margin, margin), mask)
    canvas = canvas.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=95)
    return gaussian_noise(canvas, rng, 6).filter(ImageFilter.GaussianBlur(0.6))


# ---------------------------------------------------------------------------------------------
# Forms: birth certificate, business registration certificate
# ---------------------------------------------------------------------------------------------


def two_column_header(sheet: Sheet, left: list[tuple[str, str]], right: list[tuple[str, str]]) -> None:
    """Issuing body on the left, the national motto on the right (11 pt); recorded block by block, the order
    in which an OCR engine reads two columns."""
    size = pt(11)
    top = sheet.y
    for text, style in left:
        sheet.line(text, style=style, size=size, align="center", center_x=round(55 * PX_PER_MM))
    bottom = sheet.y
    sheet.y = top
    for text, style in right:
        sheet.line(text, style=style, size=size, align="center", center_x=round(145 * PX_PER_MM))
    sheet.y = max(bottom, sheet.y) + round(sheet.size * 0.8)


def kv(sheet: Sheet, label: str, value: str, *, next_line: bool = False, value_style: str = "bold") -> None:
    """'Label: value' with the value wrapped (or alone on the next lines)."""
    f_label, f_value = sheet.font(), sheet.font(value_style)
    width = sheet.right - sheet.left
    if next_line:
        sheet.line(label + ":")
        for chunk in sheet.wrap(value, f_value, width - 60):
            sheet.line(chunk, style=value_style, indent=60)
        return
    x = sheet.left + sheet.draw.textlength(label + ": ", font=f_label)
    chunks = sheet.wrap(value, f_value, width, sheet.right - x)
    sheet.draw.text((sheet.left, sheet.y), label + ":", font=f_label, fill=0)
    sheet.draw.text((x, sheet.y), chunks[0], font=f_value, fill=0)
    sheet.lines.append(f"{label}: {chunks[0]}")
    sheet.y += round(sheet.size * 1.45)
    for chunk in chunks[1:]:
        sheet.line(chunk, style=value_style)


def kv_row(sheet: Sheet, items: list[tuple[str, str]], columns_mm: list[float]) -> None:
    """Several short 'label: value' pairs on one line."""
    parts = []
    for (label, value), col in zip(items, columns_mm, strict=True):
        x = sheet.left + round(col * PX_PER_MM)
        sheet.draw.text((x, sheet.y), label + ":", font=sheet.font(), fill=0)
        vx = x + sheet.draw.textlength(label + ": ", font=sheet.font())
        sheet.draw.text((vx, sheet.y), value, font=sheet.font("bold"), fill=0)
        parts.append(f"{label}: {value}".strip())
    sheet.lines.append(" ".join(parts))
    sheet.y += round(sheet.size * 1.45)


def number_words(n: int) -> str:
    units = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
    if n < 10:
        return units[n]
    if n < 20:
        return "mười" + ("" if n == 10 else " " + ("lăm" if n % 10 == 5 else units[n % 10]))
    tens, unit = divmod(n, 10)
    tail = "" if unit == 0 else " " + ("mốt" if unit == 1 else "lăm" if unit == 5 else units[unit])
    return f"{units[tens]} mươi{tail}"


def date_words(d: dt.date) -> str:
    months = ["một", "hai", "ba", "tư", "năm", "sáu", "bảy", "tám", "chín", "mười", "mười một", "mười hai"]
    year = d.year
    hundreds = (year % 1000) // 100
    rest = year % 100
    year_words = f"{'hai nghìn' if year >= 2000 else 'một nghìn'} {number_words(hundreds)} trăm"
    if rest:
        year_words += (" linh " if rest < 10 else " ") + number_words(rest)
    day = ("mồng " if d.day <= 10 else "") + number_words(d.day)
    return f"Ngày {day}, tháng {months[d.month - 1]}, năm {year_words}"


def birth_certificate(fk: Faker, variant: int) -> tuple[Sheet, dict[str, str]]:
    prov = fk.province()
    commune = fk.choice(prov.wards)
    child, female = fk.name()
    birth = fk.date(2012, 2024)
    mother = fk.name(female=True)[0]
    father_surname = child.split()[0]
    father = " ".join([father_surname, *fk.name(female=False)[0].split()[1:]])
    registered = birth + dt.timedelta(days=fk.rng.randint(5, 50))
    place = f"{fk.choice(HOSPITALS)} {prov.name}, {commune}, {prov.label}"
    sheet = Sheet(family="serif", size_pt=13, left_mm=22, right_mm=18)
    two_column_header(
        sheet,
        [("ỦY BAN NHÂN DÂN", "bold"), (commune.upper(), "bold"), (prov.label.upper(), "bold")],
        [("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "bold"), ("Độc lập - Tự do - Hạnh phúc", "bold")],
    )
    sheet.line(f"Số: {fk.rng.randint(1, 300)}    Quyển số: {fk.rng.randint(1, 5)}/{registered.year}", indent=0)
    sheet.space(0.6)
    sheet.line("GIẤY KHAI SINH", style="bold", size=pt(18), align="center")
    sheet.space(0.8)
    dob = dmy(birth) if variant != 1 else vn_date(birth)
    kv(sheet, "Họ, chữ đệm, tên", child.upper(), next_line=variant == 2)
    kv(sheet, "Ngày, tháng, năm sinh", dob, next_line=variant == 2)
    sheet.para(f"ghi bằng chữ: {date_words(birth)}", style="italic", indent_mm=0)
    kv_row(sheet, [("Giới tính", "Nữ" if female else "Nam"), ("Dân tộc", "Kinh"), ("Quốc tịch", "Việt Nam")],
           [0, 55, 105])
    kv(sheet, "Nơi sinh", place, next_line=variant == 2)
    kv(sheet, "Quê quán", prov.label)
    kv(sheet, "Số định danh cá nhân", fk.personal_id(prov, birth, female))
    sheet.space(0.6)
    for role, parent, start in (("mẹ", mother, 1980), ("cha", father, 1975)):
        kv(sheet, f"Họ, chữ đệm, tên người {role}", parent.upper(), next_line=variant == 2)
        kv_row(sheet, [("Năm sinh", str(fk.rng.randint(start, 1998))), ("Dân tộc", "Kinh"),
                       ("Quốc tịch", "Việt Nam")], [0, 55, 105])
        kv(sheet, "Nơi cư trú", fk.address(prov, street=fk.rng.random() < 0.5), value_style="")
        sheet.space(0.4)
    kv(sheet, "Người đi khai sinh", father, value_style="")
    kv(sheet, "Nơi đăng ký khai sinh", f"Ủy ban nhân dân {commune}, {prov.label}", value_style="")
    kv(sheet, "Ngày, tháng, năm đăng ký", dmy(registered), value_style="")
    sheet.space(1.0)
    cx = sheet.right - round(45 * PX_PER_MM)
    for text, style in (("NGƯỜI KÝ GIẤY KHAI SINH", "bold"), ("(Đã ký và đóng dấu)", "italic")):
        sheet.line(text, style=style, align="center", center_x=cx)
    sheet.space(1.6)
    sheet.line(fk.name()[0], style="bold", align="center", center_x=cx)
    fields = {
        "full_name": child.upper(),
        "date_of_birth": dmy(birth),
        "place_of_birth": place,
        "father_name": father.upper(),
        "mother_name": mother.upper(),
    }
    return sheet, fields


def business_registration(fk: Faker, variant: int) -> tuple[list[Sheet], dict[str, str]]:
    prov = fk.choice(PROVINCES[:4])
    code = fk.enterprise_code(prov)
    full_type, short_type, english_type, name_label = fk.choice(ENTERPRISE_TYPES)
    line_vi, line_en = fk.choice(BUSINESS_LINES)
    brand = fk.choice(BUSINESS_WORDS)
    name = f"{short_type} {line_vi} {brand.upper()}"
    english = f"{fold_ascii(brand).upper()} {line_en} {english_type}"
    address = fk.address(prov) + ", Việt Nam"
    first = fk.date(2012, 2021)
    changed = fk.date(first.year + 1, 2024)
    sheet = Sheet(family="serif" if variant != 1 else "sans", size_pt=13, left_mm=22, right_mm=18)
    authority = "SỞ KẾ HOẠCH VÀ ĐẦU TƯ" if changed.year < 2025 else "SỞ TÀI CHÍNH"
    two_column_header(
        sheet,
        [(authority, "bold"), (prov.label.upper(), "bold"), ("PHÒNG ĐĂNG KÝ KINH DOANH", "bold")],
        [("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "bold"), ("Độc lập - Tự do - Hạnh phúc", "bold")],
    )
    sheet.line("GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP", style="bold", size=pt(15), align="center")
    sheet.line(full_type, style="bold", align="center")
    sheet.space(0.6)
    kv(sheet, "Mã số doanh nghiệp", code)
    sheet.line(f"Đăng ký lần đầu: {vn_date(first)}")
    sheet.line(f"Đăng ký thay đổi lần thứ: {fk.rng.randint(1, 6)}, {vn_date(changed)}")
    sheet.space(0.4)
    sheet.line(f"1. {name_label}", style="bold")
    kv(sheet, f"{name_label} viết bằng tiếng Việt", name)
    kv(sheet, f"{name_label} viết bằng tiếng nước ngoài", english, value_style="")
    kv(sheet, f"{name_label} viết tắt", f"{fold_ascii(brand).upper()} CO., LTD", value_style="")
    sheet.line("2. Địa chỉ trụ sở chính", style="bold")
    for chunk in sheet.wrap(address, sheet.font(), sheet.right - sheet.left):
        sheet.line(chunk)
    kv_row(sheet, [("Điện thoại", fk.phone()), ("Fax", "")], [0, 95])
    kv_row(sheet, [("Email", f"lienhe@{fold_ascii(brand).lower().replace(' ', '')}.vn"), ("Website", "")], [0, 95])
    capital = fk.rng.choice([1, 2, 3, 5, 10, 20]) * 1_000_000_000
    sheet.line(f"3. Vốn điều lệ: {money(capital)} đồng", style="bold")
    sheet.line("4. Người đại diện theo pháp luật của công ty", style="bold")
    rep, rep_female = fk.name()
    rep_birth = fk.date(1965, 1995)
    kv_row(sheet, [("Họ và tên", rep.upper()), ("Giới tính", "Nữ" if rep_female else "Nam")], [0, 110])
    kv(sheet, "Chức danh", fk.choice(["Giám đốc", "Tổng giám đốc", "Chủ tịch công ty"]), value_style="")
    kv_row(sheet, [("Sinh ngày", dmy(rep_birth)), ("Dân tộc", "Kinh"), ("Quốc tịch", "Việt Nam")], [0, 60, 110])
    rep_prov = fk.province()
    kv(sheet, "Số định danh cá nhân", fk.personal_id(rep_prov, rep_birth, rep_female), value_style="")
    kv(sheet, "Địa chỉ liên lạc", fk.address(rep_prov), value_style="")
    sheet.space(1.0)
    cx = sheet.right - round(45 * PX_PER_MM)
    for text, style in (("TRƯỞNG PHÒNG", "bold"), ("(Đã ký và đóng dấu)", "italic")):
        sheet.line(text, style=style, align="center", center_x=cx)
    sheet.space(1.6)
    sheet.line(fk.name()[0], style="bold", align="center", center_x=cx)
    sheets = [sheet]
    if variant == 2:
        annex = Sheet(family="serif", size_pt=13, left_mm=22, right_mm=18)
        annex.line("DANH SÁCH THÀNH VIÊN CÔNG TY", style="bold", size=pt(14), align="center")
        annex.line(f"(kèm theo Giấy chứng nhận đăng ký doanh nghiệp mã số {code})", style="italic", align="center")
        annex.space(0.8)
        for i in range(1, fk.rng.randint(3, 5) + 1):
            member, _ = fk.name()
            share = fk.rng.randint(10, 40)
            annex.para(
                f"{i}. Thành viên: {member}; địa chỉ liên lạc: {fk.address(fk.province())}; phần vốn góp"
                f" {money(capital * share // 100)} đồng, chiếm {share} phần trăm vốn điều lệ.",
                indent_mm=0,
            )
        sheets.append(annex)
    return sheets, {"enterprise_code": code, "enterprise_name": name, "address": address}


# ---------------------------------------------------------------------------------------------
# Degradations and storage
# ---------------------------------------------------------------------------------------------


def gaussian_noise(img: Image.Image, rng: random.Random, sigma: float) -> Image.Image:
    """Add zero-mean gaussian noise (tiled 512×512 patterns drawn from ``rng``; no numpy needed)."""
    size = 512
    tiles = []
    for _ in range(3):
        data = bytes(max(0, min(255, round(128 + rng.gauss(0, sigma)))) for _ in range(size * size))
        tiles.append(Image.frombytes("L", (size, size), data))
    noise = Image.new("L", img.size)
    for ty in range(0, img.size[1], size):
        for tx in range(0, img.size[0], size):
            tile = tiles[rng.randrange(3)].rotate(90 * rng.randrange(4))
            noise.paste(tile, (tx, ty))
    return ImageChops.add(img, noise, scale=1.0, offset=-128)


def salt_pepper(img: Image.Image, rng: random.Random, density: float) -> Image.Image:
    img = img.copy()
    draw = ImageDraw.Draw(img)
    w, h = img.size
    count = int(w * h * density)
    for colour in (0, 255):
        points = [(rng.randrange(w), rng.randrange(h)) for _ in range(count // 2)]
        draw.point(points, fill=colour)
    for _ in range(count // 40):  # a few bigger specks of dust
        x, y, r = rng.randrange(w), rng.randrange(h), rng.choice([1, 2, 2, 3])
        draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
    return img


def rotate(img: Image.Image, angle: float, fill: int = 255) -> Image.Image:
    if angle % 90 == 0:
        ops = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_270}
        return img.transpose(ops[int(angle) % 360]) if angle % 360 else img
    return img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)


def bilevel(img: Image.Image, threshold: int = 150) -> Image.Image:
    return img.point(lambda v: 255 if v >= threshold else 0).convert("1", dither=Image.Dither.NONE)


def save(img: Image.Image, path: Path, fmt: str, quality: int = 80) -> None:
    if fmt == "png1":
        bilevel(img).save(path, "PNG", optimize=True, dpi=(DPI, DPI))
    elif fmt == "jpeg":
        img.convert("L").save(path, "JPEG", quality=quality, dpi=(DPI, DPI), optimize=True)
    else:
        raise ValueError(fmt)


def save_tiff(pages: list[Image.Image], path: Path) -> None:
    frames = [bilevel(p) for p in pages]
    frames[0].save(path, "TIFF", compression="group4", dpi=(DPI, DPI), save_all=True, append_images=frames[1:])


@dataclass
class Entry:
    id: str
    files: list[str]
    kind: str | None
    condition: str  # clean | rotated | noisy
    transforms: dict
    pages: int
    text: str
    fields: dict[str, str] = field(default_factory=dict)


def degrade(img: Image.Image, rng: random.Random, spec: dict) -> Image.Image:
    if spec.get("skew"):
        img = rotate(img, spec["skew"])
    if spec.get("noise"):
        img = gaussian_noise(img, rng, spec["noise"])
    if spec.get("blur"):  # after the noise: the scanner's optics soften both (and JPEG files stay small)
        img = img.filter(ImageFilter.GaussianBlur(spec["blur"]))
    if spec.get("salt_pepper"):
        img = salt_pepper(img, rng, spec["salt_pepper"])
    if spec.get("rotate"):
        img = rotate(img, spec["rotate"])
    return img


# Prose pages: (transforms, storage format). Twenty pages, two kinds per template.
PROSE_PLAN: list[tuple[dict, str]] = [
    ({}, "png1"),
    ({}, "png1"),
    ({}, "png1"),
    ({}, "jpeg"),
    ({}, "png1"),
    ({}, "png1"),
    ({}, "tiff"),  # pages 7 and 8 go into one two-page TIFF
    ({}, "tiff"),
    ({"rotate": 90}, "png1"),
    ({"rotate": 180}, "png1"),
    ({"rotate": 270}, "png1"),
    ({"skew": 2.5}, "png1"),
    ({"skew": -3.5}, "png1"),
    ({"skew": 1.2, "rotate": 90}, "png1"),
    ({"noise": 28, "blur": 0.9, "jpeg_quality": 65}, "jpeg"),
    ({"salt_pepper": 0.002}, "png1"),
    ({"blur": 1.3, "jpeg_quality": 35}, "jpeg"),
    ({"noise": 22, "blur": 0.8, "skew": -2.0, "jpeg_quality": 65}, "jpeg"),
    ({"salt_pepper": 0.0015, "rotate": 180}, "png1"),
    ({"noise": 35, "blur": 0.7, "jpeg_quality": 60}, "jpeg"),
]


def condition_of(spec: dict) -> str:
    if any(spec.get(k) for k in ("noise", "blur", "salt_pepper", "jpeg_quality")):
        return "noisy"
    if spec.get("rotate") or spec.get("skew"):
        return "rotated"
    return "clean"


def generate(outdir: Path, seed: int = SEED) -> list[Entry]:
    outdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    fk = Faker(rng)
    entries: list[Entry] = []
    families = ["serif", "serif", "sans"]

    tiff_pages: list[tuple[Image.Image, str]] = []
    for i, (spec, fmt) in enumerate(PROSE_PLAN, start=1):
        maker = PROSE_KINDS[(i - 1) % len(PROSE_KINDS)]
        family = families[i % len(families)]
        size_pt = [12, 13, 13, 14][i % 4]
        sheet = render_prose(maker(fk), family=family, size_pt=size_pt)
        if fmt == "tiff":
            tiff_pages.append((sheet.img, sheet.text))
            if len(tiff_pages) == 2:
                name = f"prose-{i - 1:02d}-{i:02d}.tif"
                save_tiff([p for p, _ in tiff_pages], outdir / name)
                entries.append(Entry(name.rsplit(".", 1)[0], [name], None, "clean", {"format": "tiff-g4"}, 2,
                                     "\f".join(t for _, t in tiff_pages)))
            continue
        img = degrade(sheet.img, rng, spec)
        ext = "png" if fmt == "png1" else "jpg"
        name = f"prose-{i:02d}.{ext}"
        save(img, outdir / name, fmt, quality=spec.get("jpeg_quality", 75))
        transforms = {**spec, "format": "png-bilevel" if fmt == "png1" else f"jpeg-q{spec.get('jpeg_quality', 75)}",
                      "font": f"{family} {size_pt}pt"}
        entries.append(Entry(name.rsplit(".", 1)[0], [name], None, condition_of(spec), transforms, 1, sheet.text))

    # ID cards: (card model, presentation, transforms)
    card_plan = [
        (card_2021, "photocopy", {}, "png1"),
        (card_2021, "photocopy", {"noise": 20, "blur": 0.8, "jpeg_quality": 70}, "jpeg"),
        (card_2024, "photocopy", {}, "jpeg"),
        (card_2024, "phone", {"skew": 3.0}, "jpeg"),
        (card_2024, "photocopy", {"rotate": 90}, "png1"),
        (card_2021, "photocopy", {"salt_pepper": 0.0015, "rotate": 180}, "png1"),
    ]
    for i, (model, how, spec, fmt) in enumerate(card_plan, start=1):
        person = make_person(fk, old_address=model is card_2021)
        front, back = model(person, rng, pattern=fmt == "jpeg")
        base = f"cccd-{i:02d}"
        transforms = {**spec, "model": "cccd-2021" if model is card_2021 else "can-cuoc-2024", "layout": how}
        if how == "phone":
            files = []
            for side, card, angle in (("front", front, spec["skew"]), ("back", back, -spec["skew"] / 2)):
                name = f"{base}-{side}.jpg"
                phone_photo(card, rng, angle).save(outdir / name, "JPEG", quality=82, dpi=(DPI, DPI), optimize=True)
                files.append(name)
            text = "\f".join(["\n".join(front.lines), "\n".join(back.lines)])
            entries.append(Entry(base, files, "cccd", "rotated", {**transforms, "format": "jpeg-q82"}, 2, text,
                                 cccd_fields(person)))
            continue
        page, text = photocopy(front, back)
        page = degrade(page, rng, spec)
        name = f"{base}.{'png' if fmt == 'png1' else 'jpg'}"
        save(page, outdir / name, fmt, quality=78)
        transforms["format"] = "png-bilevel" if fmt == "png1" else "jpeg-q78"
        entries.append(Entry(base, [name], "cccd", condition_of(spec), transforms, 1, text, cccd_fields(person)))

    birth_plan = [
        ({}, "png1"),
        ({"skew": 2.0, "noise": 18, "blur": 0.8, "jpeg_quality": 70}, "jpeg"),
        ({"rotate": 90}, "png1"),
    ]
    for i, (spec, fmt) in enumerate(birth_plan, start=1):
        sheet, fields = birth_certificate(fk, variant=i - 1)
        img = degrade(sheet.img, rng, spec)
        name = f"birth-{i:02d}.{'png' if fmt == 'png1' else 'jpg'}"
        save(img, outdir / name, fmt, quality=75)
        transforms = {**spec, "format": "png-bilevel" if fmt == "png1" else "jpeg-q75", "variant": i - 1}
        entries.append(Entry(name.rsplit(".", 1)[0], [name], "birth_certificate", condition_of(spec), transforms, 1,
                             sheet.text, fields))

    business_plan = [({}, "png1"), ({"noise": 24, "blur": 0.8, "jpeg_quality": 70}, "jpeg"), ({"skew": -1.5}, "tiff")]
    for i, (spec, fmt) in enumerate(business_plan, start=1):
        sheets, fields = business_registration(fk, variant=i - 1)
        base = f"business-{i:02d}"
        images = [degrade(s.img, rng, spec) for s in sheets]
        text = "\f".join(s.text for s in sheets)
        if fmt == "tiff":
            name = f"{base}.tif"
            save_tiff(images, outdir / name)
            transforms = {**spec, "format": "tiff-g4"}
        else:
            name = f"{base}.{'png' if fmt == 'png1' else 'jpg'}"
            save(images[0], outdir / name, fmt, quality=75)
            transforms = {**spec, "format": "png-bilevel" if fmt == "png1" else "jpeg-q75"}
        entries.append(Entry(base, [name], "business_registration", condition_of(spec), transforms, len(images),
                             text, fields))
    return entries


CONTENT_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".tif": "image/tiff", ".pdf": "application/pdf"}


def write_truth(outdir: Path, entries: list[Entry], seed: int) -> None:
    documents = []
    for e in entries:
        documents.append({
            "id": e.id,
            "files": [{"name": f, "content_type": CONTENT_TYPES[Path(f).suffix]} for f in e.files],
            "kind": e.kind,
            "condition": e.condition,
            "transforms": e.transforms,
            "pages": e.pages,
            "words": len(e.text.split()),
            "text": e.text,
            "fields": e.fields,
        })
    truth = {
        "generator": "motcua.documents.testdata.generator",
        "seed": seed,
        "dpi": DPI,
        "note": "Synthetic, fictitious documents. Page texts are joined with form feeds.",
        "documents": documents,
    }
    (outdir / TRUTH_FILE).write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def load_truth(folder: Path) -> dict:
    return json.loads((folder / TRUTH_FILE).read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    entries = generate(args.outdir, args.seed)
    write_truth(args.outdir, entries, args.seed)
    pages = sum(e.pages for e in entries)
    size = sum((args.outdir / f).stat().st_size for e in entries for f in e.files)
    print(f"{len(entries)} documents, {pages} pages, {size / 1e6:.1f} MB in {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
