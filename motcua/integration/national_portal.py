"""HTTP adapter to the National Public Service Portal (Cổng Dịch vụ công quốc gia): every status
change of a dossier (one ``Event``) is pushed there, in order, exactly once.

Our code reaches the portal only through ``national_portal()``:

* ``push(payload, idempotency_key)`` — ``POST /api/v1/dossier-events`` with the header
  ``Idempotency-Key``. One attempt, no retries here: the caller's outbox retries, always with the
  same key, so a retry after a lost answer is answered "duplicate" and stored once. Outcomes:

  - ``PushResult(status_code, duplicate)``: 201 stored now, or 200 stored before (duplicate);
  - ``Retryable``: connection error, timeout, 5xx, 429, 408, a redirect or an unreadable success
    answer — try again later with the same key (the event may already be stored);
  - ``OutOfOrder(expected)``: 409 ``out_of_order`` — the portal waits for the event with seq
    ``expected`` of this dossier first;
  - ``Rejected``: any other 4xx (invalid body, seq already taken under another key, key reused for
    another event, wrong API key) — permanent, for the dead-letter list.

  Every exception's ``str()`` is a Vietnamese message (shown on an admin page).
* ``dossier_events(code)`` — ``GET /api/v1/dossiers/<code>``: what the portal holds (``[]`` if unknown).
* ``payload_for(event, dossier, seq)`` — the request body for one of our events (pure: no writes).

Settings (read at call time, with defaults): ``NATIONAL_PORTAL_URL`` (http://127.0.0.1:8106, the
simulator), ``NATIONAL_PORTAL_API_KEY`` (motcua-sim), ``NATIONAL_PORTAL_TIMEOUT`` (5 s per attempt).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import requests
from django.conf import settings
from django.utils import timezone

from motcua.common.http import SessionPool
from motcua.dossiers.states import NATIONAL_STATUS
from motcua.workcalendar.engine import VN_TZ

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8106"
DEFAULT_API_KEY = "motcua-sim"  # simulators.common.DEFAULT_API_KEY
DEFAULT_TIMEOUT = 5.0
LABEL = "Cổng Dịch vụ công quốc gia"
EVENTS_PATH = "/api/v1/dossier-events"


def _setting(name: str, default):
    return getattr(settings, name, default)


@dataclass(frozen=True)
class PushResult:
    status_code: int  # 201 stored now, 200 stored before
    duplicate: bool


class PortalError(Exception):
    """The push did not succeed; ``str()`` is a Vietnamese message."""

    def __init__(self, message: str, *, status_code: int | None = None, code: str = ""):
        super().__init__(message)
        self.message = message
        self.status_code = status_code  # None: no HTTP answer
        self.code = code  # the portal's ``error`` field, when it gave one


class Retryable(PortalError):
    """Down, timing out, overloaded or a 5xx answer: try again later with the same key."""


class OutOfOrder(PortalError):
    """The portal waits for the event with seq ``expected`` of this dossier first."""

    def __init__(self, expected: int, message: str | None = None):
        super().__init__(
            message or f"{LABEL} đang chờ sự kiện số {expected} của hồ sơ; sự kiện này được gửi sai thứ tự.",
            status_code=409,
            code="out_of_order",
        )
        self.expected = expected


class Rejected(PortalError):
    """The portal refused the event (4xx): sending it again will not help."""


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value, VN_TZ).isoformat(timespec="seconds") if value else None


def payload_for(event, dossier, seq: int) -> dict:
    """The ``POST /api/v1/dossier-events`` body for ``event`` of ``dossier`` as the ``seq``-th event
    of that dossier pushed to the portal (1, 2, 3…). Times in Vietnam time (+07:00), seconds.

    ``result`` is given for an approved ``issue_result`` event: the procedure version's first result
    type and the number the leader entered (else ``<dossier code>/<result code>``, as on the signed
    e-result, ``documents.results``); null otherwise. Reads ``dossier.version.procedure``,
    ``dossier.agency`` and ``dossier.version.results`` (select/prefetch them for a batch)."""
    result = None
    details = event.payload or {}
    if event.action == "issue_result" and details.get("outcome", "approved") == "approved":
        types = sorted(dossier.version.results.all(), key=lambda r: r.pk)
        code = types[0].code if types else "KQ"
        result = {
            "code": code,
            "number": str(details.get("result_number") or f"{dossier.code}/{code}"),
            "issued_at": _iso(event.at),
        }
    return {
        "event_id": event.pk,
        "seq": int(seq),
        "dossier_code": dossier.code,
        "procedure_code": dossier.version.procedure.code,
        "agency_code": dossier.agency.code,
        "action": event.action,
        "state": str(event.to_state),
        "national_status": NATIONAL_STATUS[event.to_state],
        "at": _iso(event.at),
        "received_at": _iso(dossier.received_at),
        "due_at": _iso(dossier.due_at),
        "returned_at": _iso(dossier.returned_at),
        "result": result,
    }


def _body(response: requests.Response):
    try:
        return response.json()
    except ValueError:
        return None


class NationalPortal:
    """The portal's dossier sync API: one pooled keep-alive session per thread, one attempt per call."""

    def __init__(self) -> None:
        self._sessions = SessionPool()

    @property
    def base_url(self) -> str:
        return str(_setting("NATIONAL_PORTAL_URL", DEFAULT_URL)).rstrip("/")

    def _session(self) -> requests.Session:
        # No retries: the outbox owns retrying, always with the same key.
        session = self._sessions.get(self.base_url, retries=0, pool=4)
        session.headers["Accept"] = "application/json"
        return session

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {_setting('NATIONAL_PORTAL_API_KEY', DEFAULT_API_KEY)}"}
        headers.update(kwargs.pop("headers", {}))
        try:
            return self._session().request(
                method,
                f"{self.base_url}{path}",
                headers=headers,
                timeout=float(_setting("NATIONAL_PORTAL_TIMEOUT", DEFAULT_TIMEOUT)),
                allow_redirects=False,
                **kwargs,
            )
        except requests.Timeout:
            logger.warning("national portal timed out: %s %s", method, path)
            raise Retryable(f"{LABEL} không phản hồi trong thời gian chờ.") from None
        except requests.RequestException as exc:
            logger.warning("national portal unreachable: %s", exc.__class__.__name__)
            raise Retryable(f"Không kết nối được {LABEL} (mất kết nối hoặc máy chủ không hoạt động).") from None

    @staticmethod
    def _failure(response: requests.Response, body) -> PortalError:
        """The exception for a non-success answer."""
        status = response.status_code
        code = str(body.get("error", "")) if isinstance(body, dict) else ""
        detail = str(body.get("message", "")).strip() if isinstance(body, dict) else ""
        detail = f" {detail}" if detail else ""
        if status >= 500:
            return Retryable(f"{LABEL} đang gặp sự cố (mã lỗi {status}).{detail}", status_code=status, code=code)
        if status in (408, 429):
            return Retryable(
                f"{LABEL} đang quá tải, tạm thời từ chối (mã lỗi {status}).{detail}", status_code=status, code=code
            )
        if status < 400:
            return Retryable(f"{LABEL} trả lời không đúng định dạng (mã {status}).", status_code=status, code=code)
        if status in (401, 403):
            return Rejected(
                f"{LABEL} từ chối khóa truy cập (mã lỗi {status}); kiểm tra cấu hình NATIONAL_PORTAL_API_KEY.",
                status_code=status,
                code=code,
            )
        return Rejected(f"{LABEL} từ chối dữ liệu (mã lỗi {status}).{detail}", status_code=status, code=code)

    # -- API ---------------------------------------------------------------------------------
    def push(self, payload: dict, idempotency_key: str) -> PushResult:
        """Send one event (see the module docstring for the outcomes)."""
        response = self._call("POST", EVENTS_PATH, json=payload, headers={"Idempotency-Key": idempotency_key})
        body = _body(response)
        status = response.status_code
        if status in (200, 201):
            if not isinstance(body, dict) or body.get("received") is not True:
                # Probably stored: asking again with the same key is safe and settles it.
                raise Retryable(f"{LABEL} trả lời không đúng định dạng.", status_code=status)
            return PushResult(status, duplicate=status == 200)
        if status == 409 and isinstance(body, dict) and body.get("error") == "out_of_order":
            expected = body.get("expected")
            if isinstance(expected, int) and not isinstance(expected, bool) and expected > 0:
                raise OutOfOrder(expected)
        raise self._failure(response, body)

    def dossier_events(self, code: str) -> list[dict]:
        """The events the portal holds for dossier ``code``, in seq order (``[]`` if it has none)."""
        response = self._call("GET", f"/api/v1/dossiers/{requests.utils.quote(code, safe='')}")
        if response.status_code == 404:
            return []
        body = _body(response)
        if response.status_code != 200:
            raise self._failure(response, body)
        events = body.get("events") if isinstance(body, dict) else None
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise Retryable(f"{LABEL} trả lời không đúng định dạng.", status_code=200)
        return events


_portal = NationalPortal()


def national_portal() -> NationalPortal:
    return _portal
