"""Pooled HTTP sessions for the adapters to other systems: one ``requests`` session per thread
(sessions are not thread-safe), with urllib3 retries on connection errors and 5xx, rebuilt when its
settings change (tests point adapters at simulators on other ports)."""

from __future__ import annotations

import threading

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


def retrying_session(retries: int, *, methods=("GET",), backoff: float = 0.1, pool: int = 16) -> requests.Session:
    """A session retrying ``retries`` times (0: never — the caller's outbox retries) on connection
    errors and 500/502/503/504, for ``methods`` only (POST only where the receiver dedupes)."""
    retry: Retry | int = 0
    if retries:
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=frozenset(methods),
            backoff_factor=backoff,
            raise_on_status=False,
        )
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=pool))
    session.mount("https://", HTTPAdapter(max_retries=retry, pool_maxsize=pool))
    return session


class SessionPool:
    """One session per thread for one adapter; ``get(key, **options)`` rebuilds it when ``key``
    (the settings it was built from) changes."""

    def __init__(self) -> None:
        self._local = threading.local()

    def get(self, key, **options) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None or self._local.key != key:
            if session is not None:
                session.close()
            session = retrying_session(**options)
            self._local.session, self._local.key = session, key
        return session
