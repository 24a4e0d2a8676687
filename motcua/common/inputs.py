"""Input no text column can hold: the NUL character.

PostgreSQL text cannot contain U+0000 (``DataError``: a 500 wherever a raw query parameter, a path
segment or a form field reaches a filter or a row), and no legitimate browser or client sends it in a
URL or a form. Django and DRF form fields already refuse it; this closes the gap for every value a view
reads directly (``request.GET``, path converters, ``request.POST`` of forms). Files are not inspected:
their bytes go through ``documents.services.check_upload``. JSON bodies are parsed by DRF serializers,
whose ``CharField`` refuses NUL."""

from __future__ import annotations

from .views import NUL_MESSAGE, refusal

MAX_DIGITS = 18  # a 64-bit column holds any 18-digit number; SQLite overflows (a 500) beyond it


def as_int(value, *, default=None, minimum: int | None = None, maximum: int | None = None):
    """A whole number typed in a URL, a form or a cursor: ASCII digits only (``"²".isdigit()`` is true
    but ``int("²")`` fails), at most ``MAX_DIGITS`` of them, within ``minimum``/``maximum``; else ``default``.
    The one parser for ids, page cursors and counts read from a request."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS):
        return default
    number = int(text)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        return default
    return number


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())


def has_nul(request) -> bool:
    if "\x00" in request.path_info or _has_nul(request.GET):
        return True
    if request.method == "POST" and request.content_type in FORM_TYPES:
        return _has_nul(request.POST)
    return False


class RefuseNulMiddleware:
    """``process_view``: runs after the other middleware's request phase, so the refusal still passes
    through theirs on the way out (CSP nonce, security headers, session)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if has_nul(request):
            return refusal(request, code="invalid_characters", message=NUL_MESSAGE, status=400)
        return None
