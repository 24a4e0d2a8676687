"""A ``logging.Filter`` that masks personal IDs and phone numbers in every log record it sees.

Wired on every handler of ``settings.LOGGING`` (section "privacy"), so that nothing logged by our
code, Django or a library (a request path with an ID, an exception message quoting a form value)
reaches a log file or collector with a full personal identifier. The record's message is rendered
once, masked, and its arguments dropped; the exception text is masked as well.
"""

from __future__ import annotations

import logging

from .masking import mask_text


class MaskPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        masked = mask_text(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True
