"""HTTP adapters to the national databases: the National Population DB (CSDL quốc gia về dân cư)
and the business registry (CSDL quốc gia về đăng ký doanh nghiệp).

Our code reaches them only through ``population()`` and ``business_registry()``. Each call has a
timeout per attempt, a bounded number of retries on connection errors and 5xx answers (with a
short backoff), and a short cache: the national database stays the source of truth, the cache
only spares it the same question asked again within minutes (an intake, then its receipt).
Endpoints, key, timeout, retries and cache time are settings (``POPULATION_DB_URL`` …).

Failures are typed: ``Unavailable`` (down, timing out, answering 5xx — intake goes on and the
dossier is marked "identity not verified" with a retry), ``None`` for "no such person/enterprise".
"""

from __future__ import annotations

import logging
import re

import requests
from django.conf import settings
from django.core.cache import cache

from motcua.common.http import SessionPool

logger = logging.getLogger(__name__)

_MISSING = "__missing__"  # a cached "not found" (kept for a shorter time)


class Unavailable(Exception):
    """The national system did not answer usably; ``str()`` is a Vietnamese message."""


class _Client:
    """One national system: a pooled HTTP session with retries, and a cache in front of it."""

    def __init__(self, name: str, label: str, url_setting: str, path: str):
        self.name, self.label, self.url_setting, self.path = name, label, url_setting, path
        self._sessions = SessionPool()

    def _session(self) -> requests.Session:
        key = (getattr(settings, self.url_setting), settings.NATIONAL_RETRIES)
        return self._sessions.get(key, retries=settings.NATIONAL_RETRIES)

    def cache_key(self, ident: str) -> str:
        return f"national:{self.name}:{ident}"

    def get(self, ident: str) -> dict | None:
        """The record for ``ident``, or None when the system says there is none."""
        cached = cache.get(self.cache_key(ident))
        if cached is not None:
            return None if cached == _MISSING else cached
        url = f"{getattr(settings, self.url_setting).rstrip('/')}{self.path}{ident}"
        try:
            response = self._session().get(
                url,
                headers={"Authorization": f"Bearer {settings.NATIONAL_API_KEY}", "Accept": "application/json"},
                timeout=settings.NATIONAL_TIMEOUT,
            )
        except requests.RequestException as exc:
            logger.warning("%s unreachable: %s", self.name, exc.__class__.__name__)
            raise Unavailable(f"{self.label} không phản hồi (hết thời gian chờ hoặc mất kết nối).") from None
        if response.status_code == 404:
            cache.set(self.cache_key(ident), _MISSING, min(60, settings.NATIONAL_CACHE_SECONDS))
            return None
        if response.status_code != 200:
            logger.warning("%s answered HTTP %s", self.name, response.status_code)
            raise Unavailable(f"{self.label} đang gặp sự cố (mã lỗi {response.status_code}).")
        try:
            record = response.json()
        except ValueError:
            raise Unavailable(f"{self.label} trả lời không đúng định dạng.") from None
        if not isinstance(record, dict):
            raise Unavailable(f"{self.label} trả lời không đúng định dạng.")
        cache.set(self.cache_key(ident), record, settings.NATIONAL_CACHE_SECONDS)
        return record

    def forget(self, ident: str) -> None:
        """Drop the cached answer (an officer's explicit "check again" asks the source)."""
        cache.delete(self.cache_key(ident))


class PopulationDb(_Client):
    def __init__(self):
        super().__init__("population", "Cơ sở dữ liệu quốc gia về dân cư", "POPULATION_DB_URL", "/api/v1/citizens/")

    def lookup(self, id_number: str) -> dict | None:
        """A person's record by 12-digit personal ID (or 9-digit old ID)."""
        if not re.fullmatch(r"\d{9}|\d{12}", id_number or ""):
            return None
        return self.get(id_number)


class BusinessRegistry(_Client):
    def __init__(self):
        super().__init__(
            "business",
            "Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp",
            "BUSINESS_REGISTRY_URL",
            "/api/v1/enterprises/",
        )

    def lookup(self, code: str) -> dict | None:
        """An enterprise's record by its 10-digit code (or 13-digit branch code)."""
        compact = (code or "").replace("-", "")
        if not re.fullmatch(r"\d{10}|\d{13}", compact):
            return None
        return self.get(code)


_population = PopulationDb()
_business = BusinessRegistry()


def population() -> PopulationDb:
    return _population


def business_registry() -> BusinessRegistry:
    return _business
