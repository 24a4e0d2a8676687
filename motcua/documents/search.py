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
BATCH = 200  # candidates read per round when a large scope is checked after the index
MAX_SCAN = 20_000  # candidates checked at most for one page (the page may then be short)


def search(user, q: str, *, limit: int = 20, before_id: int | None = None, kind: str | None = None) -> list[Document]:
    """The documents ``user`` may see that match ``q``, newest first; ``before_id`` = keyset cursor.

    Three plans, one access rule (``Dossier.objects.visible_to`` and its UNION form ``visible_ids``):

    * the user reads everything (provincial office, inspectors): the index alone;
    * a small scope (a commune desk): the documents of the user's dossiers, ids read first;
    * a large scope: candidates newest first from the index, in rounds of ``BATCH``, kept when the
      access rule allows them — a page costs a few index reads instead of computing the scope.
    """
    from motcua.dossiers.models import Dossier, access_scope

    limit = max(1, min(limit, 100))

    def narrowed(qs):
        qs = matching(qs, q)
        if kind:
            qs = qs.filter(kind=kind)
        return qs.filter(pk__lt=before_id) if before_id else qs

    def page(qs) -> list[Document]:
        return list(narrowed(qs).select_related("dossier", "current__blob").order_by("-pk")[:limit])

    scope = access_scope(user)
    if scope is None:  # province-wide: not the papers of confidential procedures' dossiers
        everything = Document.objects.all()
        return page(everything if user.is_superuser else everything.exclude(dossier__confidential=True))
    if not scope[0]:
        return []
    ids = Dossier.objects.visible_ids(user, SMALL_SCOPE)
    if ids is not None:
        found = page(Document.objects.filter(dossier_id__in=ids))
        found += page(Document.objects.without_dossier_visible_to(user))
        return sorted(found, key=lambda d: d.pk, reverse=True)[:limit]
    agencies = scope[0]
    kept: list[int] = []
    cursor, scanned = before_id, 0
    while len(kept) < limit and scanned < MAX_SCAN:
        qs = narrowed(Document.objects.all())
        if cursor:
            qs = qs.filter(pk__lt=cursor)
        batch = list(qs.order_by("-pk").values_list("pk", "dossier_id", "agency_id")[:BATCH])
        if not batch:
            break
        dossiers = {d for _, d, _ in batch if d}
        readable = set(Dossier.objects.visible_to(user).filter(pk__in=dossiers).values_list("pk", flat=True))
        kept += [pk for pk, d, a in batch if (d in readable if d else a in agencies)]
        cursor, scanned = batch[-1][0], scanned + len(batch)
    kept = kept[:limit]
    docs = Document.objects.filter(pk__in=kept).select_related("dossier", "current__blob").in_bulk()
    return [docs[pk] for pk in kept]
