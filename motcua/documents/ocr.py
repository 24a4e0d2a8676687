"""Digitization stages for scanned dossier files, Paperless-ngx style: small pure functions, no Django.

    to_pdf([(bytes, content_type), ...]) -> bytes     images/PDFs merged into one PDF, in order
    check_pdf(bytes) -> int                            page count, or OcrError (corrupt, encrypted, ...)
    ocr(pdf_bytes, language="vie") -> OcrResult         PDF/A-2b with a text layer + the text per page

Every failure is an ``OcrError`` with a Vietnamese message for the user and a stable ``code``
("corrupt", "encrypted", "empty", "too_many_pages", "ocr_failed", "timeout"); no raw exception leaks.

OCR runs OCRmyPDF in-process with worker *threads* (Tesseract itself runs as child processes), so it
is safe from several threads of one process and from daemonic worker processes, which may not start
process pools. Each call works in its own temporary directory.

Choices, measured with ``bench/bench_ocr.py`` (see its docstring):

* Geometry before Tesseract, in pure Pillow (``straighten`` and the OCRmyPDF hooks at the end of this
  module): skew and orientation come from the projection profile of the text lines, which is faster
  and steadier than Tesseract's own estimate (psm 2 missed 3.5° skews) and settles most pages without
  Tesseract's orientation detection (OSD, ~0.7 s a page), kept for pages the profiles cannot settle
  (ID cards). OCRmyPDF's own deskew is off, so pages stay lossless: only askew pages get their image
  rotated and re-encoded (JPEG with its original tables), upside-down or sideways pages get /Rotate.
* PDF/A is made by OCRmyPDF's internal (pikepdf) backend, without Ghostscript: faster, and Debian 12's
  Ghostscript 10.0.0 is refused by OCRmyPDF with ``skip_text`` because it corrupts existing text. If
  that backend cannot make PDF/A of some input, the OCR'd PDF is kept as plain PDF (``pdfa=False``).
  No image optimization (``optimize=0``: the scans are stored as they came), no linearization.
* Born-digital pages keep their text (``skip_text``); a digitally signed PDF is returned unchanged
  (rewriting it would invalidate the signature) with its text extracted.
* Parallelism: ``jobs`` pages of a document at once, and OCRmyPDF gives each Tesseract
  ``jobs // pages`` OpenMP threads (at least 1). Most dossier files are one or two pages, so a worker
  gets its throughput from running documents concurrently (2 slots on 2 cores, ``jobs=1`` each), as
  the benchmark does; one long document alone is best run with ``jobs=2``.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


class _QuietDiacritics(logging.Filter):
    """OCRmyPDF warns "lots of diacritics - possibly poor OCR" on every good Vietnamese page."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "lots of diacritics" not in record.getMessage()


_tesseract_log = logging.getLogger("ocrmypdf._exec.tesseract")
if not any(isinstance(f, _QuietDiacritics) for f in _tesseract_log.filters):
    _tesseract_log.addFilter(_QuietDiacritics())

MAX_PAGES = 200
DEFAULT_TIMEOUT = 900.0  # seconds for one document, all pages
PAGE_TIMEOUT = 180.0  # seconds Tesseract may spend on one page
ASSUMED_DPI = 300  # for images that do not state a credible resolution (phone photos say 72 or nothing)
DEFAULT_JOBS = max(1, min(2, os.cpu_count() or 1))

SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
]


class OcrError(Exception):
    """A digitization failure: ``message`` is Vietnamese, for the user; ``code`` is for the program."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code

    def __repr__(self) -> str:
        return f"OcrError({self.code!r}, {self.message!r})"


@dataclass(frozen=True)
class OcrResult:
    pdf: bytes  # PDF/A-2b with an invisible text layer (or the input unchanged when it is signed)
    text: str  # text of each page, pages joined with a form feed ("\f")
    pages: int
    has_text: bool  # False for a blank page or a photo without writing: not an error
    seconds: float
    pdfa: bool = True  # False when the output is plain PDF (signed input kept as is, or PDF/A impossible)
    signed: bool = False  # the input carried a digital signature and was not rewritten

    @property
    def page_texts(self) -> list[str]:
        return self.text.split("\f")


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------


def _err(code: str, **kw) -> OcrError:
    messages = {
        "empty": "Tệp rỗng hoặc không có trang nào.",
        "corrupt": "Tệp bị hỏng hoặc không phải tệp PDF/ảnh hợp lệ (PNG, JPEG, TIFF).",
        "encrypted": "Tệp PDF được đặt mật khẩu hoặc mã hóa; vui lòng nộp bản không đặt mật khẩu.",
        "too_many_pages": "Tệp có {pages} trang, vượt quá giới hạn {limit} trang cho một thành phần hồ sơ.",
        "ocr_failed": "Không nhận dạng được chữ trong tệp do lỗi xử lý; vui lòng thử lại hoặc quét lại tài liệu.",
        "timeout": "Nhận dạng chữ vượt quá thời gian cho phép ({seconds} giây); vui lòng chia nhỏ tệp hoặc thử lại.",
    }
    return OcrError(messages[code].format(**kw), code)


def _nth(index: int, count: int) -> str:
    return f"Tệp thứ {index}: " if count > 1 else ""


# ---------------------------------------------------------------------------------------------
# to_pdf
# ---------------------------------------------------------------------------------------------


def detect_type(head: bytes) -> str | None:
    """Content type by magic number (never by the name or the declared type)."""
    head = head.lstrip(b"\x00\t\r\n ") if head[:1] in b"\x00\t\r\n " else head
    found = next((kind for magic, kind in SIGNATURES if head.startswith(magic)), None)
    if found is None and b"%PDF-" in head[:1024]:
        return "application/pdf"  # PDF readers tolerate junk before the header
    return found


def _layout(width_px: int, height_px: int, ndpi: tuple[float, float]):
    import img2pdf

    dpi = ndpi if min(ndpi) >= 100 else (ASSUMED_DPI, ASSUMED_DPI)
    return img2pdf.default_layout_fun(width_px, height_px, dpi)


def _image_to_pdf(data: bytes) -> bytes:
    """img2pdf (lossless, keeps JPEG/G4 streams as they are); Pillow re-encodes what img2pdf refuses
    (alpha channel, 16-bit, CMYK PNG, odd TIFF compressions)."""
    import img2pdf
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        return img2pdf.convert(data, layout_fun=_layout, rotation=img2pdf.Rotation.ifvalid)
    except Exception as exc:  # img2pdf raises many kinds (AlphaChannelError, ImageOpenError, ValueError...)
        log.debug("img2pdf refused the image (%s); re-encoding with Pillow", exc)
    try:
        frames = []
        with Image.open(io.BytesIO(data)) as img:
            for frame in ImageSequence.Iterator(img):
                dpi = frame.info.get("dpi") or img.info.get("dpi") or (ASSUMED_DPI, ASSUMED_DPI)
                if frame.mode in ("RGBA", "LA", "PA") or (frame.mode == "P" and "transparency" in frame.info):
                    rgba = frame.convert("RGBA")
                    page = Image.new("RGB", rgba.size, "white")
                    page.paste(rgba, mask=rgba.getchannel("A"))
                elif frame.mode in ("1", "L", "RGB"):
                    page = frame.copy()
                elif frame.mode.startswith("I") or frame.mode == "F":
                    page = frame.convert("I").point(lambda v: v / 256).convert("L")
                else:
                    page = frame.convert("RGB")
                buf = io.BytesIO()
                page.save(buf, "PNG", dpi=tuple(round(float(d)) for d in dpi))
                frames.append(buf.getvalue())
        if not frames:
            raise _err("empty")
        return img2pdf.convert(*frames, layout_fun=_layout)
    except OcrError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise _err("corrupt") from exc
    except Exception as exc:  # e.g. img2pdf errors on the re-encoded image: still a bad input
        raise _err("corrupt") from exc


def to_pdf(files: list[tuple[bytes, str]]) -> bytes:
    """Merge images and PDFs, in order, into one PDF.

    ``files`` are (content, content type) pairs; the type is checked against the content's magic number
    (the content wins). A single PDF is returned unchanged, so that a digital signature stays valid.
    Raises OcrError: "empty", "corrupt", "encrypted", "too_many_pages".
    """
    import pikepdf

    if not files:
        raise _err("empty")
    parts: list[tuple[str, bytes]] = []
    for index, (data, declared) in enumerate(files, start=1):
        if not data:
            raise OcrError(_nth(index, len(files)) + "Tệp rỗng.", "empty")
        kind = detect_type(data[:1024])
        if kind is None:
            raise OcrError(
                _nth(index, len(files)) + "Tệp không phải PDF hoặc ảnh (PNG, JPEG, TIFF) hoặc đã bị hỏng.", "corrupt"
            )
        if declared and declared.lower() not in (kind, "image/jpg", "image/tif", "application/octet-stream"):
            log.info("file %d declared as %s but its content is %s", index, declared, kind)
        try:
            parts.append((kind, data if kind == "application/pdf" else _image_to_pdf(data)))
        except OcrError as exc:
            raise OcrError(_nth(index, len(files)) + exc.message, exc.code) from exc
    if len(parts) == 1:
        check_pdf(parts[0][1])
        return parts[0][1]
    merged = pikepdf.new()
    sources = []
    try:
        for index, (_, data) in enumerate(parts, start=1):
            try:
                check_pdf(data)
                src = pikepdf.open(io.BytesIO(data))
            except OcrError as exc:
                raise OcrError(_nth(index, len(parts)) + exc.message, exc.code) from exc
            sources.append(src)
            if len(merged.pages) + len(src.pages) > MAX_PAGES:
                raise _err("too_many_pages", pages=len(merged.pages) + len(src.pages), limit=MAX_PAGES)
            merged.pages.extend(src.pages)
        out = io.BytesIO()
        merged.save(out)
        return out.getvalue()
    except OcrError:
        raise
    except Exception as exc:  # pikepdf.PdfError and friends while copying pages
        raise _err("corrupt") from exc
    finally:
        for src in sources:
            src.close()
        merged.close()


# ---------------------------------------------------------------------------------------------
# check_pdf
# ---------------------------------------------------------------------------------------------


def check_pdf(data: bytes) -> int:
    """Page count of a PDF; OcrError "empty", "corrupt", "encrypted" or "too_many_pages"."""
    import pikepdf

    if not data:
        raise _err("empty")
    if detect_type(data[:1024]) != "application/pdf":
        raise _err("corrupt")
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:  # even with only an owner password: OCRmyPDF does not remove protections
                raise _err("encrypted")
            pages = len(pdf.pages)
    except pikepdf.PasswordError as exc:
        raise _err("encrypted") from exc
    except OcrError:
        raise
    except Exception as exc:  # pikepdf.PdfError, and whatever a damaged page tree makes qpdf raise
        raise _err("corrupt") from exc
    if pages == 0:
        raise _err("empty")
    if pages > MAX_PAGES:
        raise _err("too_many_pages", pages=pages, limit=MAX_PAGES)
    return pages


def is_signed(data: bytes) -> bool:
    """The PDF declares signature fields (AcroForm /SigFlags bit 1), as OCRmyPDF checks."""
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            acroform = pdf.Root.get("/AcroForm")
            return acroform is not None and bool(int(acroform.get("/SigFlags", 0)) & 1)
    except Exception:
        return False


# ---------------------------------------------------------------------------------------------
# Text extraction
# ---------------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]{2,}")


def pdf_text(path: Path) -> list[str]:
    """Text of each page (pdftotext from poppler; pdfminer.six when poppler is missing)."""
    exe = shutil.which("pdftotext")
    if exe:
        done = subprocess.run(
            [exe, "-enc", "UTF-8", "-eol", "unix", str(path), "-"], capture_output=True, timeout=120, check=False
        )
        if done.returncode == 0:
            pages = done.stdout.decode("utf-8", "replace").split("\f")
            if len(pages) > 1 and not pages[-1].strip():
                pages.pop()  # pdftotext ends every page with a form feed
            return [p.strip() for p in pages]
        log.warning("pdftotext failed (%s): %s", done.returncode, done.stderr[:300])
    from pdfminer.high_level import extract_text

    text = extract_text(str(path))
    return [p.strip() for p in text.rstrip("\f").split("\f")]


def text_present(text: str) -> bool:
    """Some real writing: a blank scan gives nothing, noise gives a stray symbol or letter at most."""
    return len(_WORD.findall(text)) >= 2


# ---------------------------------------------------------------------------------------------
# Page geometry: skew and orientation from projection profiles (Pillow only)
# ---------------------------------------------------------------------------------------------
#
# Tesseract's own skew estimate (psm 2) misses skews of 3-5° on some pages and costs a Tesseract
# run; its orientation detection (OSD) is unsure on ID cards and costs ~0.7 s a page. Text lines
# give a sharper horizontal projection profile when level, and Vietnamese (like Latin script) has
# far more ink above the x-height band (diacritics, capitals, ascenders) than below (descenders,
# the dot of nặng): cheap, robust tests that settle most pages before OSD is needed.

MIN_SKEW = 0.5  # degrees; below this a page is left as scanned (Tesseract copes, and JPEGs stay untouched)
MIN_SKEW_GAIN = 1.5  # the levelled profile must be this much sharper: text lines, not a photo's texture


def ink_mask(img, target: int = 900):
    """Downscaled mask (ink 255, paper 0) of the pixels darker than their surroundings, so that a
    grey or dark background (phone photo of a card) is not taken for ink."""
    from PIL import ImageChops, ImageFilter

    gray = img.convert("L")
    factor = max(1, round(max(gray.size) / target))
    if factor > 1:
        gray = gray.reduce(factor)
    local = gray.filter(ImageFilter.BoxBlur(max(4, round(max(gray.size) / 75))))
    return ImageChops.subtract(local, gray).point(lambda v: 255 if v > 30 else 0)


def _sharpness(mask, angle: float) -> float:
    from PIL import Image

    img = mask.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=0) if angle else mask
    rows = img.resize((1, img.height), Image.Resampling.BOX).tobytes()
    return float(sum((a - b) ** 2 for a, b in zip(rows, rows[1:], strict=False)))


def _best_angle(mask, center: float, half_range: float, step: float) -> tuple[float, float]:
    count = round(2 * half_range / step)
    scored = [(_sharpness(mask, round(center - half_range + i * step, 3)), center - half_range + i * step)
              for i in range(count + 1)]
    score, angle = max(scored)
    return round(angle, 2), score


def estimate_skew(img, max_angle: float = 8.0) -> float:
    """Angle (degrees, counter-clockwise, for ``Image.rotate``) that levels the text lines of a page
    image, sideways pages included; 0.0 when the page is level or shows no clear lines."""
    from PIL import Image

    mask = ink_mask(img, 900)
    small = mask.reduce(2)
    level, level_score = _best_angle(small, 0.0, max_angle, 0.5)
    side, side_score = _best_angle(small.transpose(Image.Transpose.ROTATE_90), 0.0, max_angle, 0.5)
    if side_score > level_score:  # rotations commute: levelling the turned mask levels the page
        mask, level = mask.transpose(Image.Transpose.ROTATE_90), side
    angle, score = _best_angle(mask, level, 0.5, 0.1)
    base = _sharpness(mask, 0)
    return angle if base and abs(angle) >= MIN_SKEW and score > MIN_SKEW_GAIN * base else 0.0


def _line_balance(mask) -> tuple[float, int]:
    """Ink above the x-height band over ink below it, summed over the text lines; and line count."""
    from PIL import Image

    rows = mask.resize((1, mask.height), Image.Resampling.BOX).tobytes()
    above = below = 0.0
    lines = 0
    i, n = 0, len(rows)
    while i < n:
        if rows[i] < 3:
            i += 1
            continue
        j = i
        while j < n and rows[j] >= 3:
            j += 1
        seg = rows[i:j]
        if 4 <= len(seg) <= 60:
            peak = max(seg)
            core = [k for k, v in enumerate(seg) if v >= 0.5 * peak]
            above += sum(seg[: core[0]])
            below += sum(seg[core[-1] + 1 :])
            lines += 1
        i = j
    return (above / below if below else (10.0 if above else 1.0)), lines


@dataclass(frozen=True)
class Orientation:
    angle: int  # clockwise rotation of the content, as Tesseract OSD reports it (0, 90, 180, 270)
    sure: bool  # settled by the profile tests; otherwise ``angle`` is only the best guess
    sideways: bool | None  # text lines run vertically (90/270); None when the profiles do not tell


MIN_LINES_SURE = 20  # fewer text lines (an ID card, a photo) and the up/down balance is not trusted


def estimate_orientation(img) -> Orientation:
    """Which way up the page is, from its text lines alone."""
    from PIL import Image

    mask = ink_mask(img, 900)
    small = mask.reduce(2)
    level, level_score = _best_angle(small, 0.0, 6.0, 1.0)
    side, side_score = _best_angle(small.transpose(Image.Transpose.ROTATE_90), 0.0, 6.0, 1.0)
    if side_score > 2 * level_score:
        upright, tilt, sideways = mask.transpose(Image.Transpose.ROTATE_90), side, True
    elif level_score > 2 * side_score:
        upright, tilt, sideways = mask, level, False
    else:
        return Orientation(0, False, None)
    if tilt:
        upright = upright.rotate(tilt, resample=Image.Resampling.BILINEAR, fillcolor=0)
    balance, lines = _line_balance(upright)
    flipped = balance < 1
    # Not sideways: upright, or upside down. Sideways: we turned the content a further 90° counter-clockwise.
    angle = (270 if flipped else 90) if sideways else (180 if flipped else 0)
    sure = lines >= MIN_LINES_SURE and not 0.6 < balance < 1.6
    return Orientation(angle, sure, sideways)


def _single_scan_image(page):
    """The page's only image, when the page is just a scanned image drawn upright over the page (no
    text, no forms); None otherwise."""
    import pikepdf

    resources = page.obj.get("/Resources") or {}
    if "/Font" in resources:
        return None
    xobjects = resources.get("/XObject") or {}
    names = list(xobjects.keys())
    if len(names) != 1:
        return None
    image = xobjects[names[0]]
    if image.get("/Subtype") != pikepdf.Name.Image or image.get("/ImageMask") or "/SMask" in image:
        return None
    if "/Decode" in image or "/Mask" in image:
        return None
    draws = [(ops, op) for ops, op in pikepdf.parse_content_stream(page, "cm Do")]
    placements = [ops for ops, op in draws if str(op) == "cm"]
    if sum(1 for _, op in draws if str(op) == "Do") != 1 or len(placements) != 1:
        return None
    a, b, c, d, _, _ = (float(v) for v in placements[0])
    return image if a > 0 and d > 0 and b == 0 and c == 0 else None


def _jpeg_settings(original) -> dict:
    """Save options that keep a re-encoded JPEG close to the scanner's own: its quantization tables
    and chroma subsampling (a fixed high quality would double the size of a noisy scan)."""
    from PIL import JpegImagePlugin

    tables = getattr(original, "quantization", None)
    if not tables:
        return {"quality": 90}
    settings: dict = {"qtables": tables}
    sampling = JpegImagePlugin.get_sampling(original)
    if sampling != -1:
        settings["subsampling"] = sampling
    return settings


def straighten(data: bytes) -> bytes:
    """Deskew stage: rotate the scanned image of each page whose text lines are askew (≥ MIN_SKEW°),
    in place, keeping the page size; other pages and other content are left byte for byte.

    Only pages that are one upright image (what ``to_pdf`` makes, and most scanners) are touched; a JPEG
    stays JPEG (with the scanner's quantization tables), other images are stored losslessly (Flate).
    Pages turned by 90/180/270° are left to OCRmyPDF's orientation step, which sets /Rotate.
    """
    import zlib

    import pikepdf
    from pikepdf import Name, PdfImage
    from PIL import Image

    changed = 0
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            try:
                raw = _single_scan_image(page)
                if raw is None:
                    continue
                img = PdfImage(raw).as_pil_image()
                if img.mode not in ("1", "L", "RGB"):
                    continue
                angle = estimate_skew(img)
                if not angle:
                    continue
                filters = raw.get("/Filter")
                filters = list(filters) if isinstance(filters, pikepdf.Array) else [filters]
                jpeg = filters[-1] == Name.DCTDecode
                if img.mode == "1":
                    gray = img.convert("L").rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
                    fixed = gray.point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)
                else:
                    white = 255 if img.mode == "L" else (255, 255, 255)
                    fixed = img.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=white)
                if jpeg and fixed.mode != "1":
                    buf = io.BytesIO()
                    fixed.save(buf, "JPEG", optimize=True, **_jpeg_settings(img))
                    raw.write(buf.getvalue(), filter=Name.DCTDecode)
                else:
                    raw.write(zlib.compress(fixed.tobytes(), 6), filter=Name.FlateDecode)
                    raw.BitsPerComponent = 1 if fixed.mode == "1" else 8
                if "/DecodeParms" in raw:
                    del raw["/DecodeParms"]
                if fixed.mode == "1":
                    raw.ColorSpace = Name.DeviceGray
                changed += 1
            except Exception:  # an image we cannot decode or re-encode: OCR it as it is
                log.warning("could not deskew a page image", exc_info=True)
        if not changed:
            return data
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


# ---------------------------------------------------------------------------------------------
# OCRmyPDF plugin: our skew and orientation estimates, Tesseract for the rest
# ---------------------------------------------------------------------------------------------

OSD_THRESHOLD = 4.0  # evidence (Tesseract OSD confidence) needed to rotate a page the profile tests could not settle
GUESS_WEIGHT = 1.5  # weight of the profile tests' guess in that vote


def _osd(path, options):
    from ocrmypdf._exec import tesseract

    return tesseract.get_orientation(
        path,
        engine_mode=None,  # osd.traineddata is a legacy-engine model
        timeout=options.tesseract.non_ocr_timeout,
        omp_thread_limit=options.tesseract.omp_thread_limit,
    )


def _vote(guess: Orientation, first, second_thunk):
    """Orientation of a page the profile tests could not settle: Tesseract OSD on the despeckled
    preview, and if it is unsure, OSD on the preview as rendered too, each weighted by its confidence;
    the profile guess adds a little weight. Sideways pages only choose between 90 and 270, level ones
    between 0 and 180. Below OSD_THRESHOLD of evidence the page is left as it is."""
    from ocrmypdf.pluginspec import OrientationConfidence

    allowed = {None: (0, 90, 180, 270), True: (90, 270), False: (0, 180)}[guess.sideways]
    votes = dict.fromkeys(allowed, 0.0)
    if guess.sideways is not None:
        votes[guess.angle] += GUESS_WEIGHT
    readings = [first]
    if first.confidence < OSD_THRESHOLD:
        readings.append(second_thunk())
    for reading in readings:
        if reading.angle in votes:
            votes[reading.angle] += reading.confidence
    angle = max(votes, key=votes.get)
    runner_up = max((v for a, v in votes.items() if a != angle), default=0.0)
    if votes[angle] - runner_up >= OSD_THRESHOLD:
        return OrientationConfidence(angle=angle, confidence=99.0)
    if guess.sideways:  # surely sideways: a coin toss beats leaving the text vertical
        return OrientationConfidence(angle=angle, confidence=99.0)
    return OrientationConfidence(angle=0, confidence=0.0)


@functools.cache
def _engine_class():
    from ocrmypdf.builtin_plugins.tesseract_ocr import TesseractOcrEngine
    from ocrmypdf.pluginspec import OrientationConfidence
    from PIL import Image, ImageFilter

    class MotcuaTesseract(TesseractOcrEngine):
        @staticmethod
        def get_orientation(input_file, options):
            with Image.open(input_file) as img:
                guess = estimate_orientation(img)
                if guess.sure:
                    return OrientationConfidence(angle=guess.angle, confidence=99.0)
                # Tesseract OSD, on a despeckled copy (salt-and-pepper specks throw it off).
                cleaned = Path(input_file).with_name(Path(input_file).stem + "_osd.png")
                despeckled = img.convert("L").filter(ImageFilter.MedianFilter(3))
                despeckled.save(cleaned, dpi=img.info.get("dpi", (300, 300)), compress_level=1)
            return _vote(guess, _osd(cleaned, options), lambda: _osd(input_file, options))

    return MotcuaTesseract


def get_ocr_engine(options):  # OCRmyPDF hook
    return _engine_class()()


def rasterize_pdf_page(input_file, output_file, raster_device, raster_dpi, pageno, page_dpi, rotation,
                       filter_vector, stop_on_soft_error, options, use_cropbox):  # OCRmyPDF hook
    """The built-in pypdfium2 rasterizer, but writing its PNG with fast zlib settings: a noisy grey or
    colour scan compresses badly, and level 6 cost more than a second a page for a file that lives for
    a few seconds. Returns None (the built-in rasterizers take over) if the private helpers it reuses
    from OCRmyPDF 17 are not there."""
    from contextlib import closing

    try:
        from ocrmypdf.builtin_plugins import pypdfium as builtin

        render, to_pil = builtin._render_page_to_bitmap, builtin._bitmap_to_pil
        finish, lock, open_pdf = builtin._process_image_for_output, builtin._pdfium_lock, builtin._open_pdf_document
    except (ImportError, AttributeError):
        return None
    if builtin.pdfium is None or getattr(options, "rasterizer", "auto") == "ghostscript":
        return None
    if not raster_device.lower().startswith("png"):
        return None
    with lock, closing(open_pdf(input_file)) as pdf, closing(pdf[pageno - 1]) as page:
        bitmap, width, height = render(page, raster_device, raster_dpi, rotation, use_cropbox)
        with closing(bitmap):
            image = to_pil(bitmap, width, height)
    image, fmt = finish(image, raster_device, raster_dpi, page_dpi, stop_on_soft_error, width, height)
    image.save(output_file, format=fmt, dpi=image.info["dpi"], compress_level=1)
    return output_file


try:
    from ocrmypdf import hookimpl as _hookimpl

    get_ocr_engine = _hookimpl(tryfirst=True)(get_ocr_engine)
    rasterize_pdf_page = _hookimpl(tryfirst=True)(rasterize_pdf_page)
except ImportError:  # pragma: no cover - ocrmypdf is a dependency; keep the module importable anyway
    pass


# ---------------------------------------------------------------------------------------------
# ocr
# ---------------------------------------------------------------------------------------------


def _run_ocrmypdf(src: Path, dst: Path, *, language: str, rotate: bool, clean: bool, jobs: int, page_timeout: float,
                  pdfa: bool) -> None:
    import ocrmypdf

    ocrmypdf.ocr(
        src,
        dst,
        language=[lang for lang in language.split("+") if lang],
        output_type="pdfa-2" if pdfa else "pdf",
        pdfa_backend="internal",
        skip_text=True,
        rotate_pages=rotate,
        rotate_pages_threshold=50.0,  # our engine answers 99 (rotate) or 0 (keep)
        deskew=False,  # done by straighten(), only on pages that need it: the others stay lossless
        clean=clean,
        jobs=jobs,
        use_threads=True,
        progress_bar=False,
        optimize=0,
        fast_web_view=999999,  # no linearization: these files are stored, then viewed whole
        tesseract_timeout=page_timeout,
        tesseract_non_ocr_timeout=page_timeout,
        plugins=[__name__],  # the hooks above: our orientation estimate, faster rasterizer output
    )


def _with_deadline(fn, timeout: float):
    """Run ``fn`` in a helper thread and wait at most ``timeout`` seconds. On expiry the caller gets
    OcrError "timeout" at once; the abandoned run finishes in the background (each Tesseract call is
    bounded by PAGE_TIMEOUT) and removes its own temporary files."""
    box: dict = {}
    done = threading.Event()

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc
        finally:
            done.set()

    thread = threading.Thread(target=target, name="motcua-ocr", daemon=True)
    thread.start()
    if not done.wait(timeout):
        raise _err("timeout", seconds=round(timeout))
    if "error" in box:
        raise box["error"]
    return box["value"]


def ocr(
    pdf: bytes,
    *,
    language: str = "vie",
    deskew: bool = True,
    rotate: bool = True,
    clean: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    jobs: int | None = None,
) -> OcrResult:
    """OCR a PDF (from ``to_pdf``) into a searchable PDF/A-2b and its text.

    ``language`` is Tesseract's ("vie", "vie+eng"). ``rotate`` turns pages the right way up (90/180/270°),
    ``deskew`` straightens pages scanned askew, ``clean`` runs unpaper on the image given to Tesseract
    (the output keeps the original image). ``jobs``: pages OCR'd in parallel (default: up to 2 cores).
    Raises OcrError with codes "empty", "corrupt", "encrypted", "too_many_pages", "ocr_failed", "timeout".
    """
    from ocrmypdf import exceptions as ox

    started = time.monotonic()
    pages = check_pdf(pdf)
    jobs = jobs or DEFAULT_JOBS
    page_timeout = max(1.0, min(PAGE_TIMEOUT, timeout))
    options = dict(language=language, rotate=rotate, clean=clean, jobs=jobs, page_timeout=page_timeout)

    def work() -> tuple[bytes, list[str], bool, bool]:
        with tempfile.TemporaryDirectory(prefix="motcua-ocr-") as tmp:
            src, dst = Path(tmp, "in.pdf"), Path(tmp, "out.pdf")
            src.write_bytes(pdf)
            if is_signed(pdf):  # OCRmyPDF would refuse it (DigitalSignatureError) anyway
                return pdf, pdf_text(src), False, True
            if deskew:
                src.write_bytes(straighten(pdf))
            try:
                _run_ocrmypdf(src, dst, pdfa=True, **options)
                made_pdfa = True
            except ox.DigitalSignatureError:
                return pdf, pdf_text(src), False, True
            except ox.PdfaConversionFailedError as exc:
                log.warning("PDF/A conversion impossible, keeping plain PDF: %s", exc)
                dst.unlink(missing_ok=True)
                _run_ocrmypdf(src, dst, pdfa=False, **options)
                made_pdfa = False
            return dst.read_bytes(), pdf_text(dst), made_pdfa, False

    try:
        out, texts, made_pdfa, signed = _with_deadline(work, timeout)
    except OcrError:
        raise
    except ox.EncryptedPdfError as exc:
        raise _err("encrypted") from exc
    except (ox.UnsupportedImageFormatError, ox.DpiError, ox.InputFileError) as exc:
        log.warning("OCR refused the input: %s", exc)
        raise _err("corrupt") from exc
    except subprocess.TimeoutExpired as exc:
        raise _err("timeout", seconds=round(timeout)) from exc
    except Exception as exc:  # SubprocessOutputError, MissingDependencyError, pikepdf errors, OSError...
        log.exception("OCR failed")
        raise _err("ocr_failed") from exc
    text = "\f".join(texts)
    return OcrResult(
        pdf=out,
        text=text,
        pages=pages,
        has_text=text_present(text),
        seconds=round(time.monotonic() - started, 3),
        pdfa=made_pdfa,
        signed=signed,
    )
