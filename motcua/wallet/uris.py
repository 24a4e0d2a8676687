"""Stable addresses of documents in the e-data store: ``vn.gov.<province>-<type>-<id>``.

``<type>`` is the document type with its separator made URI-safe ("1.001193:KQ01" →
"1.001193.KQ01"), or the document's kind when it has no type (an owner's own upload). The
trailing id is what resolves; the rest makes the address readable and is checked on resolve, so a
mistyped or forged address does not silently resolve to another document.
"""

from __future__ import annotations

import re

from django.conf import settings

URI_RE = re.compile(r"vn\.gov\.(?P<province>[0-9A-Za-z]+)-(?P<type>[0-9A-Za-z._]+)-(?P<id>\d{1,18})")


def uri_of(doc) -> str:
    kind = (doc.doc_type or doc.kind).replace(":", ".")
    return f"vn.gov.{settings.MOTCUA_PROVINCE_CODE}-{kind}-{doc.pk}"


def parse(uri: str) -> int | None:
    """The document id an address names, or None when it is not one of this province's addresses."""
    m = URI_RE.fullmatch((uri or "").strip())
    if not m or m["province"] != settings.MOTCUA_PROVINCE_CODE:
        return None
    return int(m["id"])


def resolve(uri: str, queryset):
    """The document at ``uri`` within ``queryset`` (an access-checked one), or None."""
    pk = parse(uri)
    doc = queryset.filter(pk=pk).first() if pk is not None else None
    return doc if doc is not None and uri_of(doc) == uri.strip() else None
