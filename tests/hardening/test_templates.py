"""Templates carry no inline script and no event-handler attribute (the CSP refuses both): behaviour lives in
motcua/static/js/ (js/motcua.js on every page, js/desk-map.js for the map)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']|\shx-on[:-]|javascript:""", re.I)


def test_no_inline_scripts_or_handlers_in_templates():
    templates = list((ROOT / "motcua").rglob("templates/**/*.html"))
    assert len(templates) > 50
    found = [
        f"{t.relative_to(ROOT)}:{n}: {line.strip()[:80]}"
        for t in templates
        for n, line in enumerate(t.read_text(encoding="utf-8").splitlines(), 1)
        if INLINE_SCRIPT.search(line) or HANDLER.search(line)
    ]
    assert not found, "\n".join(found)


def test_the_checker_finds_them():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>") and INLINE_SCRIPT.search('<script nonce="x">')
    assert not INLINE_SCRIPT.search('<script src="/static/js/motcua.js" defer></script>')
    assert HANDLER.search('<button onclick="window.print()">') and HANDLER.search('<div hx-on:click="x">')
    assert not HANDLER.search('<button data-print type="button">')
