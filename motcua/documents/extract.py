"""Field extraction from the OCR text of identity and civil-status papers, with a confidence per field.

    detect_kind(text) -> "cccd" | "birth_certificate" | "business_registration" | None
    extract(kind, text) -> [ExtractedField(name, label, value, confidence), ...]

Pure functions, no Django. Labels are matched word by word on accent-folded text
(``motcua.common.text.fold``) with one typo allowed in words of four letters or more, so OCR noise
in diacritics, case, spacing and punctuation does not matter; the bilingual labels of the chip ID
cards ("Họ, chữ đệm và tên khai sinh / Full name") are one label. A value is what follows the label
on its line (after ':' or '/') or, when that is empty, the next non-empty line; addresses and names
may continue on following lines until the next label. Dates are normalised to dd/mm/yyyy, names are
kept as printed (upper case on the cards). ``extract`` always returns every field of the kind, in a
fixed order; a field not found has an empty value and confidence 0.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from motcua.common.text import fold

KINDS = ("cccd", "birth_certificate", "business_registration")


@dataclass(frozen=True)
class ExtractedField:
    name: str
    label: str  # Vietnamese, for the form the officer checks
    value: str
    confidence: float  # 0..1


FIELDS: dict[str, list[tuple[str, str]]] = {
    "cccd": [
        ("id_number", "Số định danh cá nhân"),
        ("full_name", "Họ, chữ đệm và tên"),
        ("date_of_birth", "Ngày, tháng, năm sinh"),
        ("sex", "Giới tính"),
        ("place_of_residence", "Nơi cư trú"),
    ],
    "birth_certificate": [
        ("full_name", "Họ, chữ đệm, tên"),
        ("date_of_birth", "Ngày, tháng, năm sinh"),
        ("place_of_birth", "Nơi sinh"),
        ("father_name", "Họ, chữ đệm, tên người cha"),
        ("mother_name", "Họ, chữ đệm, tên người mẹ"),
    ],
    "business_registration": [
        ("enterprise_code", "Mã số doanh nghiệp"),
        ("enterprise_name", "Tên doanh nghiệp"),
        ("address", "Địa chỉ trụ sở chính"),
    ],
}


def _words(*variants: str) -> list[tuple[str, ...]]:
    return [tuple(v.split()) for v in variants]


# Labels as folded words; the longest variant is tried first. English labels of the chip cards are
# variants of the same field, so "Vietnamese / English" is consumed as one label.
LABELS: dict[str, list[tuple[str, ...]]] = {
    "id_number": _words(
        "so dinh danh ca nhan", "personal identification number", "so can cuoc cong dan", "so cccd", "so no"
    ),
    "full_name": _words("ho chu dem va ten khai sinh", "ho chu dem va ten", "ho va ten", "full name"),
    "date_of_birth": _words("ngay thang nam sinh", "ngay sinh", "sinh ngay", "date of birth"),
    "sex": _words("gioi tinh", "sex"),
    "place_of_residence": _words("noi thuong tru", "noi cu tru", "place of residence"),
    "child_name": _words("ho chu dem ten", "ho chu dem va ten", "ho va ten"),
    "place_of_birth": _words("noi sinh"),
    "mother_name": _words(
        "ho chu dem ten nguoi me", "ho chu dem va ten nguoi me", "ho va ten nguoi me", "ho va ten me", "ho ten me"
    ),
    "father_name": _words(
        "ho chu dem ten nguoi cha", "ho chu dem va ten nguoi cha", "ho va ten nguoi cha", "ho va ten cha", "ho ten cha"
    ),
    "enterprise_code": _words("ma so doanh nghiep", "ma so thue", "ma so chi nhanh"),
    "enterprise_name": _words(
        "ten cong ty viet bang tieng viet",
        "ten doanh nghiep viet bang tieng viet",
        "ten chi nhanh viet bang tieng viet",
    ),
    "address": _words("dia chi tru so chinh", "dia chi tru so", "dia chi chi nhanh"),
}
# Other labels of these papers: they end a value that runs on.
STOP_LABELS: list[tuple[str, ...]] = _words(
    "quoc tich", "nationality", "que quan", "place of origin", "co gia tri den", "date of expiry",
    "ngay thang nam cap", "date of issue", "ngay thang nam het han", "noi dang ky khai sinh", "place of birth",
    "dac diem nhan dang", "personal identification", "dan toc", "nam sinh", "ngay thang nam dang ky",
    "nguoi di khai sinh", "giay to tuy than", "ghi bang chu", "dien thoai", "fax", "email", "website",
    "von dieu le", "ten cong ty viet bang tieng nuoc ngoai", "ten cong ty viet tat",
    "ten doanh nghiep viet bang tieng nuoc ngoai", "ten doanh nghiep viet tat", "nguoi dai dien theo phap luat",
    "chuc danh", "bo cong an", "ministry of public security", "cuc truong", "ngay thang nam", "so dinh danh",
    "dang ky lan dau", "dang ky thay doi",
)
ADDRESS_WORDS = {
    "so", "ngo", "ngach", "hem", "kiet", "duong", "pho", "thon", "xom", "ap", "ban", "to", "khu", "phuong", "xa",
    "quan", "huyen", "thi", "tran", "tinh", "thanh", "tp", "viet", "nam", "khom", "lo", "toa", "tang",
}
NAME_PREFIXES = ("cong ty", "doanh nghiep", "hop tac xa", "chi nhanh", "van phong dai dien")

_TOKEN = re.compile(r"[^\W_]+")
_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "Q": "0", "D": "0", "I": "1", "l": "1", "|": "1", "i": "1",
                            "!": "1", "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "G": "6", "b": "6"})
_ENGLISH_TWIN = re.compile(r"\s*/\s*[A-Za-z][A-Za-z .,']{0,40}?(?::|$)")
_MRZ = re.compile(r"[IT1l][DO0]VNM\s*([0-9OIl]{9})[0-9OIl<]([0-9OIl]{12})")


# ---------------------------------------------------------------------------------------------
# Lines and labels
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    text: str  # NFC, whitespace collapsed
    tokens: tuple[tuple[str, int, int], ...]  # (folded word, start, end) in ``text``


def _line(raw: str) -> Line:
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", raw)).strip()
    tokens = []
    for m in _TOKEN.finditer(text):
        folded = fold(m.group()).replace(" ", "")
        if folded:
            tokens.append((folded, m.start(), m.end()))
    return Line(text, tuple(tokens))


def _lines(text: str) -> list[Line]:
    return [_line(raw) for raw in (text or "").replace("\f", "\n").splitlines()]


def _close(word: str, label: str) -> bool:
    """Equal, or one edit away for words of five letters or more with the same first letter (shorter
    Vietnamese syllables differ by one letter too often: "sinh"/"dinh", "nam"/"nan")."""
    if word == label:
        return True
    if len(label) < 5 or abs(len(word) - len(label)) > 1 or word[:1] != label[:1]:
        return False
    # one edit (substitution, insertion or deletion)
    if len(word) == len(label):
        return sum(a != b for a, b in zip(word, label, strict=True)) <= 1
    short, long_ = sorted((word, label), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _match_at(line: Line, i: int, variants: list[tuple[str, ...]]) -> int | None:
    """Number of tokens of the longest label variant that starts at token ``i``."""
    best = None
    for words in variants:
        n = len(words)
        if i + n <= len(line.tokens) and all(_close(line.tokens[i + k][0], w) for k, w in enumerate(words)):
            best = max(best or 0, n)
    return best


@dataclass(frozen=True)
class Hit:
    row: int
    start: int  # char offset of the label in the line
    end: int  # char offset after the label (and its English twin)


def _find(lines: list[Line], field: str, *, start_row: int = 0, anywhere: bool = True) -> list[Hit]:
    """Occurrences of a field label; by default anywhere in a line, else only at its start."""
    variants = LABELS[field]
    hits = []
    for row in range(start_row, len(lines)):
        line = lines[row]
        limit = len(line.tokens) if anywhere else min(3, len(line.tokens))
        i = 0
        while i < limit:
            n = _match_at(line, i, variants)
            if n:
                j = i + n
                extra = _match_at(line, j, variants)  # "Họ và tên / Full name"
                if extra:
                    j += extra
                end = line.tokens[j - 1][2]
                twin = _ENGLISH_TWIN.match(line.text, end)  # "/ Full narne:" that OCR garbled
                if twin and not extra:
                    end = twin.end()
                hits.append(Hit(row, line.tokens[i][1], end))
                i = j
            else:
                i += 1
    return hits


def _is_label_line(line: Line, fields: list[str]) -> bool:
    for i in range(min(3, len(line.tokens))):
        if _match_at(line, i, STOP_LABELS) or any(_match_at(line, i, LABELS[f]) for f in fields):
            return True
    return False


def _cut_at_next_label(line: Line, begin: int, fields: list[str]) -> str:
    """The text of ``line`` from ``begin`` up to the next label on the same line."""
    end = len(line.text)
    for i, (_, start, _) in enumerate(line.tokens):
        if start < begin:
            continue
        if _match_at(line, i, STOP_LABELS) or any(_match_at(line, i, LABELS[f]) for f in fields):
            end = start
            break
    return line.text[begin:end]


def _strip(value: str) -> str:
    """Separators and spaces around one piece of a value; a trailing comma is kept (it says the value
    goes on, and belongs there when the pieces are joined)."""
    value = re.sub(r"^[\s:;/|.,\-–_*]+", "", value)
    return re.sub(r"[\s:;/|\-–_*]+$", "", value).strip()


def _clean(value: str) -> str:
    value = re.sub(r"^[\s:;/|.,\-–_*]+", "", value)
    value = re.sub(r"[\s:;/|,\-–_*]+$", "", value)
    return re.sub(r"\s+", " ", value).strip()


def _value(lines: list[Line], hit: Hit, fields: list[str], *, multiline: bool = False, max_lines: int = 3,
           lookahead: int = 3) -> tuple[str, int]:
    """The value after a label: rest of the line, or the next non-empty line; with ``multiline``,
    following lines that continue it. Returns (value, number of lines used)."""
    rest = _strip(_cut_at_next_label(lines[hit.row], hit.end, fields))
    row = hit.row
    parts = []
    if re.search(r"[^\W_]", rest):
        parts.append(rest)
    else:
        for k in range(1, lookahead + 1):
            if hit.row + k >= len(lines):
                break
            nxt = lines[hit.row + k]
            if not nxt.tokens:
                continue
            if _is_label_line(nxt, fields):
                break
            parts.append(_strip(_cut_at_next_label(nxt, 0, fields)))
            row = hit.row + k
            break
    if multiline and parts:
        row = _continue(lines, row, parts, fields, max_lines)
    return _clean(" ".join(parts)), len(parts)


def _continue(lines: list[Line], row: int, parts: list[str], fields: list[str], max_lines: int) -> int:
    """Append to ``parts`` the lines after ``row`` that carry on an address or a long name."""
    k = row + 1
    while len(parts) < max_lines and k < len(lines):
        nxt = lines[k]
        if not nxt.tokens:
            k += 1
            continue
        if _is_label_line(nxt, fields) or _looks_like_mrz(nxt.text):
            break
        prev = parts[-1]
        prev_last = fold(prev.split()[-1]) if prev.split() else ""
        first = nxt.tokens[0][0]
        words = nxt.text.split()
        carries_on = (
            prev.endswith((",", "-"))
            or prev_last in ADDRESS_WORDS
            or first in ADDRESS_WORDS
            or nxt.text[:1].islower()
            or ("," in nxt.text and not prev.endswith("."))  # "Trung, phường Trường Vinh, ..."
            or (prev.isupper() and nxt.text.isupper() and len(words) <= 4)
            or (
                len(words) <= 3
                and len(nxt.text) <= 24
                and all(w[:1].isupper() and w.isalpha() and len(w) >= 2 for w in words)
                and "." not in prev
            )
        )
        if not carries_on:
            break
        parts.append(_strip(_cut_at_next_label(nxt, 0, fields)))
        row = k
        k += 1
    return row


def _looks_like_mrz(text: str) -> bool:
    return text.count("<") >= 3


# ---------------------------------------------------------------------------------------------
# Value parsers
# ---------------------------------------------------------------------------------------------


def _digits(text: str, lengths: tuple[int, ...]) -> str | None:
    """A run of digits of one of ``lengths`` (spaces, dots and hyphens between groups allowed;
    O/I/l/S/B read for 0/1/5/8 inside a long number)."""
    for m in re.finditer(r"[0-9OoQDIl|iZzSsBGb][0-9OoQDIl|iZzSsBGb .\-]{7,20}[0-9OoQDIl|iZzSsBGb]", text):
        chunk = m.group()
        if sum(c.isdigit() for c in chunk) < 8:
            continue
        digits = re.sub(r"[ .\-]", "", chunk.translate(_DIGIT_FIX))
        if digits.isdigit() and len(digits) in lengths:
            return digits
        # a longer run: the first group of the expected length (e.g. "001085012345 Nam")
        plain = re.match(r"\d+", digits)
        if plain and len(plain.group()) in lengths:
            return plain.group()
    return None


def parse_date(text: str) -> str | None:
    """'12/03/1985', '12-3-1985', '12.03.1985', 'ngày 12 tháng 3 năm 1985' → '12/03/1985' (valid dates only)."""
    if not text:
        return None
    candidates = []
    m = re.search(r"([0-9OoIl]{1,2})\s*[/.\-]\s*([0-9OoIl]{1,2})\s*[/.\-]\s*([0-9OoIlSB]{4})", text)
    if m:
        candidates.append(tuple(g.translate(_DIGIT_FIX) for g in m.groups()))
    folded = fold(text)
    m = re.search(r"(?:ngay\s+)?(?:mong\s+)?(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})", folded)
    if m:
        candidates.append(m.groups())
    for day, month, year in candidates:
        try:
            date = dt.date(int(year), int(month), int(day))
        except ValueError:
            continue
        return date.strftime("%d/%m/%Y")
    return None


def _sex(text: str) -> str | None:
    for word in fold(text).split()[:3]:
        if word in ("nam", "male", "m"):
            return "Nam"
        if word in ("nu", "female", "f", "nua", "nuu"):
            return "Nữ"
    return None


def _name(value: str) -> str:
    """A printed upper-case name without the stray marks OCR reads around it ("ÿ BÙI VĂN NAM")."""
    words = value.split()
    upper = [w for w in words if w.isupper() and w.isalpha()]
    if len(upper) >= 2 and len(upper) < len(words):
        while words and not (words[0].isupper() and words[0].isalpha()):
            words.pop(0)
        while words and not (words[-1].isupper() and words[-1].isalpha()):
            words.pop()
    return " ".join(words)


def _name_score(value: str, *, upper_expected: bool) -> float:
    words = value.split()
    if not 2 <= len(words) <= 6 or any(not w.isalpha() for w in words):
        return 0.35
    score = 0.85
    if upper_expected and not value.isupper():
        score -= 0.15
    return score


def _address_score(value: str) -> float:
    if len(value) < 8:
        return 0.3
    folded = set(fold(value).split())
    return 0.8 if folded & ADDRESS_WORDS else 0.55


# ---------------------------------------------------------------------------------------------
# Kind detection
# ---------------------------------------------------------------------------------------------

TITLES = {
    "cccd": _words("can cuoc cong dan", "citizen identity card", "can cuoc", "identity card", "the can cuoc"),
    "birth_certificate": _words("giay khai sinh", "ban sao giay khai sinh"),
    "business_registration": _words(
        "giay chung nhan dang ky doanh nghiep", "giay chung nhan dang ky hoat dong chi nhanh"
    ),
}
CLUES = {
    "cccd": _words("personal identification number", "full name", "date of birth", "place of residence",
                   "place of origin", "date of expiry", "nationality", "so dinh danh ca nhan", "noi thuong tru"),
    "birth_certificate": _words("nguoi me", "nguoi cha", "noi sinh", "noi dang ky khai sinh", "nguoi di khai sinh",
                                "ghi bang chu", "quyen so"),
    "business_registration": _words("ma so doanh nghiep", "tru so chinh", "von dieu le", "dang ky lan dau",
                                    "nguoi dai dien theo phap luat", "ten cong ty", "phong dang ky kinh doanh"),
}


def _score(lines: list[Line], kind: str) -> int:
    score = 0
    for line in lines:
        if not line.tokens:
            continue
        n = _match_at(line, 0, TITLES[kind])  # a title is a line of its own
        if n and len(line.tokens) <= n + 2:
            score += 4
    found = set()
    for line in lines:
        for i in range(len(line.tokens)):
            for words in CLUES[kind]:
                if words not in found and _match_at(line, i, [words]):
                    found.add(words)
    score += len(found)
    if kind == "cccd" and any(_MRZ.search(line.text.replace(" ", "")) for line in lines):
        score += 2
    return score


DETECT_PAGES, DETECT_LINES = 3, 300


def detect_kind(text: str) -> str | None:
    """The kind of paper this OCR text comes from, or None (needs a title line plus one clue, or
    four clues)."""
    head = "\f".join((text or "").split("\f")[:DETECT_PAGES])
    lines = _lines(head)[:DETECT_LINES]  # the papers are one or two pages: a long file is not read to the end
    scores = {kind: _score(lines, kind) for kind in KINDS}
    kind = max(scores, key=lambda k: scores[k])
    return kind if scores[kind] >= 5 or (scores[kind] >= 4 and list(scores.values()).count(scores[kind]) == 1) else None


# ---------------------------------------------------------------------------------------------
# Extraction
# ---------------------------------------------------------------------------------------------


def _first(hits: list[Hit]) -> Hit | None:
    return hits[0] if hits else None


def _cccd(lines: list[Line]) -> dict[str, tuple[str, float]]:
    from motcua.identity.ids import IdError, validate_id_number

    fields = ["id_number", "full_name", "date_of_birth", "sex", "place_of_residence"]
    out: dict[str, tuple[str, float]] = {}

    number, confidence = None, 0.0
    for hit in _find(lines, "id_number"):
        text = _cut_at_next_label(lines[hit.row], hit.end, fields)
        for k in range(1, 3):
            if _digits(text, (12,)) or hit.row + k >= len(lines):
                break
            text += " " + lines[hit.row + k].text
        number = _digits(text, (12, 9))
        if number:
            confidence = 0.6
            break
    mrz = None
    for line in lines:
        m = _MRZ.search(line.text.replace(" ", ""))
        if m:
            mrz = m.group(2).translate(_DIGIT_FIX)
            break
    if not number:
        loose = [_digits(line.text, (12,)) for line in lines if not _looks_like_mrz(line.text)]
        number = next((n for n in loose if n), None) or mrz
        confidence = 0.45 if number else 0.0
    if number:
        try:
            validate_id_number(number, "citizen")
            confidence += 0.3
        except IdError:
            confidence -= 0.2
        if mrz and mrz == number:
            confidence += 0.05
        out["id_number"] = (number, confidence)

    hit = _first(_find(lines, "full_name"))
    if hit:
        value, _ = _value(lines, hit, fields, multiline=True, max_lines=2)
        value = _name(value)
        out["full_name"] = (value, _name_score(value, upper_expected=True))

    hit = _first(_find(lines, "date_of_birth"))
    if hit:
        value, _ = _value(lines, hit, fields)
        date = parse_date(value)
        if date:
            confidence = 0.85
            if number and len(number) == 12 and number[4:6] == date[-2:]:
                confidence += 0.1
            out["date_of_birth"] = (date, confidence)
        elif value:
            out["date_of_birth"] = (value, 0.2)

    hit = _first(_find(lines, "sex"))
    sex = _sex(_cut_at_next_label(lines[hit.row], hit.end, fields)) if hit else None
    if hit and not sex:
        value, _ = _value(lines, hit, fields)
        sex = _sex(value)
    id_sex = ("Nữ" if int(number[3]) % 2 else "Nam") if number and len(number) == 12 else None
    if sex:
        out["sex"] = (sex, 0.97 if sex == id_sex else 0.8 if id_sex is None else 0.55)
    elif id_sex:
        out["sex"] = (id_sex, 0.5)  # not read, inferred from the ID number

    hit = _first(_find(lines, "place_of_residence"))
    if hit:
        value, _ = _value(lines, hit, fields, multiline=True)
        out["place_of_residence"] = (value, _address_score(value))
    return out


def _birth_certificate(lines: list[Line]) -> dict[str, tuple[str, float]]:
    fields = ["child_name", "date_of_birth", "place_of_birth", "mother_name", "father_name"]
    out: dict[str, tuple[str, float]] = {}
    parents = {}
    for field in ("mother_name", "father_name"):
        hit = _first(_find(lines, field))
        if hit:
            value, _ = _value(lines, hit, fields)
            value = _name(value)
            parents[field] = hit.row
            out[field] = (value, _name_score(value, upper_expected=False))
    first_parent = min(parents.values(), default=len(lines))
    for hit in _find(lines, "child_name"):
        if hit.row in parents.values():
            continue
        value = _name(_value(lines, hit, fields)[0])
        confidence = _name_score(value, upper_expected=False) - (0.2 if hit.row > first_parent else 0)
        out["full_name"] = (value, confidence)
        break
    hit = _first(_find(lines, "date_of_birth"))
    if hit:
        value, _ = _value(lines, hit, fields)
        date = parse_date(value)
        out["date_of_birth"] = (date, 0.9) if date else (value, 0.2)
    hit = _first(_find(lines, "place_of_birth"))
    if hit:
        value, _ = _value(lines, hit, fields, multiline=True)
        out["place_of_birth"] = (value, _address_score(value))
    return out


def _business_registration(lines: list[Line]) -> dict[str, tuple[str, float]]:
    from motcua.identity.ids import IdError, validate_id_number

    fields = ["enterprise_code", "enterprise_name", "address"]
    out: dict[str, tuple[str, float]] = {}

    code, confidence = None, 0.0
    for hit in _find(lines, "enterprise_code"):
        text = _cut_at_next_label(lines[hit.row], hit.end, fields)
        if not _digits(text, (10, 13)) and hit.row + 1 < len(lines):
            text += " " + lines[hit.row + 1].text
        code = _digits(text, (13, 10))
        if code:
            confidence = 0.6
            break
    if not code:
        code = next((c for c in (_digits(line.text, (10, 13)) for line in lines) if c), None)
        confidence = 0.4 if code else 0.0
    if code:
        try:
            code = validate_id_number(code, "organization")
            confidence += 0.35
        except IdError:
            confidence -= 0.2
        out["enterprise_code"] = (code, confidence)

    hit = _first(_find(lines, "enterprise_name"))
    if hit:
        value, _ = _value(lines, hit, fields, multiline=True)
        confidence = 0.9 if fold(value).startswith(NAME_PREFIXES) else 0.6
        out["enterprise_name"] = (value, confidence)
    else:  # the Vietnamese name is the first upper-case line that starts like an enterprise name
        for line in lines:
            if line.text.isupper() and fold(line.text).startswith(NAME_PREFIXES) and len(line.tokens) > 3:
                if fold(line.text).startswith(("cong ty trach nhiem huu han", "cong ty co phan")) and len(
                    line.tokens
                ) <= 9:
                    continue  # the enterprise type under the title
                out["enterprise_name"] = (line.text, 0.5)
                break

    hit = _first(_find(lines, "address"))
    if hit:
        value, _ = _value(lines, hit, fields, multiline=True)
        out["address"] = (value, _address_score(value))
    return out


EXTRACTORS = {"cccd": _cccd, "birth_certificate": _birth_certificate, "business_registration": _business_registration}


def extract(kind: str, text: str) -> list[ExtractedField]:
    """Every field of ``kind`` (see FIELDS), in order; empty value and confidence 0 when not found."""
    if kind not in EXTRACTORS:
        raise ValueError(f"unknown document kind {kind!r}")
    found = EXTRACTORS[kind](_lines(text))
    result = []
    for name, label in FIELDS[kind]:
        value, confidence = found.get(name, ("", 0.0))
        value = value or ""
        confidence = 0.0 if not value else round(min(1.0, max(0.05, confidence)), 2)
        result.append(ExtractedField(name, label, value, confidence))
    return result


def extract_fields(text: str) -> tuple[str | None, list[ExtractedField]]:
    """``detect_kind`` then ``extract``: (kind, fields), or (None, []) for another kind of paper."""
    kind = detect_kind(text)
    return kind, (extract(kind, text) if kind else [])
