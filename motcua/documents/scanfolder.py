"""The desk scanner's upload folder (thư mục quét): a network scanner at the counter saves its
files into ``SCAN_INBOX_DIR/<desk code>/``; the intake screen lists them and the officer picks which
ones belong to which component. Picked files go through the same content check as uploads and are
moved to ``done/`` only after the dossier is committed, so a refused intake keeps them."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction

from .services import CheckedFile, UploadError, check_upload

MAX_LISTED = 50


@dataclass(frozen=True)
class ScanFile:
    name: str
    size: int
    modified: dt.datetime


def folder_for(desk) -> Path:
    return Path(settings.SCAN_INBOX_DIR) / desk.code


def list_scans(desk) -> list[ScanFile]:
    """The newest files waiting in the desk's folder (hidden and partial files skipped)."""
    folder = folder_for(desk)
    if not folder.is_dir():
        return []
    found = []
    with os.scandir(folder) as entries:
        for e in entries:
            if not e.is_file(follow_symlinks=False) or e.name.startswith((".", "~")) or e.name.endswith(".part"):
                continue
            st = e.stat(follow_symlinks=False)
            found.append(ScanFile(e.name, st.st_size, dt.datetime.fromtimestamp(st.st_mtime, tz=dt.UTC)))
    found.sort(key=lambda f: (f.modified, f.name), reverse=True)
    return found[:MAX_LISTED]


def _path(desk, name: str) -> Path:
    """The file ``name`` in the desk's folder; only a plain name listed there is accepted."""
    names = {f.name for f in list_scans(desk)}
    if name not in names or os.sep in name or name in (".", ".."):
        raise UploadError(f"Không tìm thấy tệp quét “{name[:80]}” trong thư mục của bộ phận.")
    return folder_for(desk) / name


def check_scan(desk, name: str) -> CheckedFile:
    """Open and check a scanned file (by content) like an upload; the caller attaches it."""
    handle = _path(desk, name).open("rb")
    try:
        return check_upload(File(handle, name=name))
    except UploadError:
        handle.close()
        raise


def consume_on_commit(desk, names: list[str]) -> None:
    """Move the attached scans to ``done/`` once the surrounding transaction commits."""
    folder = folder_for(desk)

    def move():
        done = folder / "done"
        done.mkdir(parents=True, exist_ok=True)
        for name in names:
            src = folder / name
            if src.is_file():
                shutil.move(src, done / name)

    transaction.on_commit(move)
