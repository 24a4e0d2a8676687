"""Helpers for the simulator tests: real HTTP servers on free ports (no database needed)."""

import contextlib

import requests

from simulators.common import serve_in_thread

API_KEY = "test-key"


@contextlib.contextmanager
def served(app):
    """Serve ``app`` on a free port; yields ``(base_url, app)``."""
    url, stop = serve_in_thread(app)
    try:
        yield url
    finally:
        stop()


def api_session(key: str = API_KEY) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    return session
