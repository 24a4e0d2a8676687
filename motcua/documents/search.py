"""Full-text search over documents (OCR text + metadata), diacritics-insensitive (đ → d too), behind
one function. The indexed text is ``Document.search_text``, folded in Python by
``common.text.fold`` (the same folding as the catalog search; it does what PostgreSQL's
``unaccent`` does, and đ → d on every database).

* PostgreSQL: a stored generated ``search_vector`` column = ``to_tsvector('simple', search_text)``
  with a GIN index (migration 0005); the query is a prefix ``tsquery`` of the folded words (AND).
* SQLite: an FTS5 table ``documents_fts`` (rowid = document id) kept in step by ``index``.

Results are what the searcher may see (``Document.objects.visible_to``), newest first, keyset
paginated by id.
"""

from __future__ import annotations

import re

from django.db import connection

from motcua.common.text import fold

from .models import Document

_SAFE = re.compile(r"[^0-9a-z.]")
MAX_WORDS = 8


def query_words(q: str) -> list[str]:
    words = [_SAFE.sub("", w) for w in fold(q or "").split()]
    return [w for w in words if w][:MAX_WORDS]


def index(doc: Document) -> None:
    """Keep the engine's index in step with ``doc.search_text`` (PostgreSQL indexes the column itself)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as c:
        c.execute("DELETE FROM documents_fts WHERE rowid = %s", [doc.pk])
        c.execute("INSERT INTO documents_fts (rowid, body) VALUES (%s, %s)", [doc.pk, doc.search_text])


def unindex(pk: int) -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute("DELETE FROM documents_fts WHERE rowid = %s", [pk])


def matching(qs, q: str):
    """``qs`` narrowed to documents matching every word of ``q`` (prefixes allowed)."""
    words = query_words(q)
    if not words:
        return qs.none()
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{w}:*" for w in words)
        return qs.extra(
            where=["documents_document.search_vector @@ to_tsquery('simple', %s)"],
            params=[tsquery],
        )
    if connection.vendor == "sqlite":
        match = " AND ".join(f'"{w}"*' for w in words)
        return qs.extra(
            where=["documents_document.id IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH %s)"],
            params=[match],
        )
    for w in words:  # any other database: plain substring match on the folded text
        qs = qs.filter(search_text__contains=w)
    return qs


SMALL_SCOPE = 5000  # dossiers: below this a search starts from the user's dossiers, not from the index


def search(user, q: str, *, limit: int = 20, before_id: int | None = None, kind: str | None = None) -> list[Document]:
    """The documents ``user`` may see that match ``q``, newest first; ``before_id`` = keyset cursor.

    For an officer whose scope is small (a commune desk), the candidate documents are those of
    their dossiers (ids read first, ``Dossier.objects.visible_ids`` — the same access rule), so a
    common word does not walk the whole index; otherwise the access rule filters the match."""
    from motcua.dossiers.models import Dossier

    limit = max(1, min(limit, 100))
    ids = Dossier.objects.visible_ids(user, SMALL_SCOPE)
    if ids is None:
        scoped = [Document.objects.visible_to(user)]
    else:
        scoped = [
            Document.objects.filter(dossier_id__in=ids),
            Document.objects.without_dossier_visible_to(user),
        ]
    found: list[Document] = []
    for qs in scoped:
        qs = matching(qs, q)
        if kind:
            qs = qs.filter(kind=kind)
        if before_id:
            qs = qs.filter(pk__lt=before_id)
        found += qs.select_related("dossier", "current__blob").order_by("-pk")[:limit]
    return sorted(found, key=lambda d: d.pk, reverse=True)[:limit]
