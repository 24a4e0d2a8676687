"""Shared helpers of the resilience tests."""

import io


def pdf_bytes(note: str) -> bytes:
    """A small valid one-page PDF whose bytes depend on ``note``."""
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    pdf.docinfo["/Subject"] = note
    buf = io.BytesIO()
    pdf.save(buf, deterministic_id=True)
    return buf.getvalue()
