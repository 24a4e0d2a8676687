"""HTTP adapter to the payment platform (the national portal's payment gateway).

Our code reaches the gateway only through ``gateway()``:

* ``create_payment`` — ``POST /api/v1/payments`` → ``{transaction_id, pay_url}``. The gateway is
  idempotent by our ``order_id``, so the POST is retried like a GET;
* ``status`` — ``GET /api/v1/payments/<transaction_id>`` (a return without a callback, reconciliation);
* ``transactions`` — ``GET /api/v1/reconciliation?date=YYYY-MM-DD`` (the day's list);
* ``verify`` — a notification's HMAC-SHA256 signature (shared secret ``PAYMENT_GATEWAY_SECRET``) over
  the canonical string of ``SIGNED_FIELDS`` (``key=value`` joined by ``&`` in that order), compared
  in constant time, and its ``timestamp`` inside ``PAYMENT_CALLBACK_MAX_AGE`` seconds of now.

Settings (read with defaults, so a deployment only sets what differs): ``PAYMENT_GATEWAY_URL``,
``PAYMENT_GATEWAY_API_KEY``, ``PAYMENT_GATEWAY_SECRET``, ``PAYMENT_GATEWAY_TIMEOUT``,
``PAYMENT_GATEWAY_RETRIES``, ``PAYMENT_CALLBACK_MAX_AGE``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import time
from collections.abc import Mapping

import requests
from django.conf import settings

from motcua.common.http import SessionPool

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8104"
DEFAULT_API_KEY = "motcua-sim"
DEFAULT_SECRET = "motcua-payment-demo-secret"
SIGNED_FIELDS = ("transaction_id", "order_id", "amount", "status", "paid_at", "timestamp")
GATEWAY_STATUSES = frozenset({"pending", "success", "failed", "cancelled"})
LABEL = "Cổng thanh toán"


def _setting(name: str, default):
    return getattr(settings, name, default)


class GatewayError(Exception):
    """The gateway refused or did not answer usably; ``str()`` is a Vietnamese message."""


class Unavailable(GatewayError):
    """Down, timing out or answering 5xx: try again later."""


class BadSignature(Exception):
    """A notification whose signature, timestamp or fields are not acceptable."""

    def __init__(self, message: str, code: str = "bad_signature"):
        super().__init__(message)
        self.code = code


def canonical(fields: Mapping) -> str:
    """The string the gateway signs: ``SIGNED_FIELDS`` in order, ``key=value``, joined by ``&``."""
    return "&".join(f"{name}={'' if fields.get(name) is None else fields.get(name)}" for name in SIGNED_FIELDS)


def sign(fields: Mapping, secret: str) -> str:
    return hmac.new(secret.encode(), canonical(fields).encode(), hashlib.sha256).hexdigest()


class Gateway:
    """The payment gateway: a pooled HTTP session (one per thread) with retries and timeouts."""

    def __init__(self) -> None:
        self._sessions = SessionPool()

    @property
    def base_url(self) -> str:
        return str(_setting("PAYMENT_GATEWAY_URL", DEFAULT_URL)).rstrip("/")

    @property
    def secret(self) -> str:
        return str(_setting("PAYMENT_GATEWAY_SECRET", DEFAULT_SECRET))

    def _session(self) -> requests.Session:
        retries = int(_setting("PAYMENT_GATEWAY_RETRIES", 2))
        # POST too: creating a payment is idempotent by order_id at the gateway.
        return self._sessions.get((self.base_url, retries), retries=retries, methods=("GET", "POST"))

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {
            "Authorization": f"Bearer {_setting('PAYMENT_GATEWAY_API_KEY', DEFAULT_API_KEY)}",
            "Accept": "application/json",
        }
        try:
            response = self._session().request(
                method,
                f"{self.base_url}{path}",
                headers=headers,
                timeout=float(_setting("PAYMENT_GATEWAY_TIMEOUT", 5.0)),
                **kwargs,
            )
        except requests.RequestException as exc:
            logger.warning("payment gateway unreachable: %s", exc.__class__.__name__)
            raise Unavailable(f"{LABEL} không phản hồi (hết thời gian chờ hoặc mất kết nối).") from None
        if response.status_code >= 500:
            logger.warning("payment gateway answered HTTP %s", response.status_code)
            raise Unavailable(f"{LABEL} đang gặp sự cố (mã lỗi {response.status_code}).")
        return response

    @staticmethod
    def _json(response: requests.Response, kind=dict):
        try:
            body = response.json()
        except ValueError:
            raise GatewayError(f"{LABEL} trả lời không đúng định dạng.") from None
        if not isinstance(body, kind):
            raise GatewayError(f"{LABEL} trả lời không đúng định dạng.")
        return body

    # -- API ---------------------------------------------------------------------------------
    def create_payment(
        self, *, order_id: str, amount: int, description: str, return_url: str, callback_url: str
    ) -> dict:
        """Register a payment; returns ``{"transaction_id", "pay_url"}`` (the same for the same order)."""
        response = self._call(
            "POST",
            "/api/v1/payments",
            json={
                "order_id": order_id,
                "amount": int(amount),
                "currency": "VND",
                "description": description,
                "return_url": return_url,
                "callback_url": callback_url,
            },
        )
        if response.status_code not in (200, 201):
            message = self._message(response)
            raise GatewayError(f"{LABEL} từ chối tạo giao dịch (mã lỗi {response.status_code}). {message}".strip())
        body = self._json(response)
        if not body.get("transaction_id") or not body.get("pay_url"):
            raise GatewayError(f"{LABEL} trả lời không đúng định dạng.")
        return {"transaction_id": str(body["transaction_id"]), "pay_url": str(body["pay_url"])}

    def status(self, transaction_id: str) -> dict | None:
        """The gateway's record of a transaction (``status`` one of ``GATEWAY_STATUSES``), None if unknown."""
        response = self._call("GET", f"/api/v1/payments/{requests.utils.quote(transaction_id, safe='')}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise GatewayError(f"{LABEL} từ chối tra cứu giao dịch (mã lỗi {response.status_code}).")
        return self._json(response)

    def transactions(self, day: dt.date) -> list[dict]:
        """Every transaction the gateway created on ``day`` (Vietnam time)."""
        response = self._call("GET", "/api/v1/reconciliation", params={"date": day.isoformat()})
        if response.status_code != 200:
            raise GatewayError(f"{LABEL} từ chối cung cấp dữ liệu đối soát (mã lỗi {response.status_code}).")
        body = self._json(response)
        items = body.get("transactions")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise GatewayError(f"{LABEL} trả lời không đúng định dạng.")
        return items

    @staticmethod
    def _message(response: requests.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return ""
        return str(body.get("message", "")) if isinstance(body, dict) else ""

    # -- notifications -------------------------------------------------------------------------
    def verify(self, fields: Mapping, *, now: float | None = None) -> dict:
        """Check a notification (callback body or return query); returns its signed fields, typed.

        Raises ``BadSignature`` (Vietnamese message, ``code``): missing fields, a wrong signature,
        a timestamp outside the window, an unknown status, a non-integer amount."""
        missing = [
            name
            for name in ("transaction_id", "order_id", "amount", "status", "timestamp", "signature")
            if not str(fields.get(name) or "").strip()
        ]
        if missing:
            raise BadSignature("Thông báo thanh toán thiếu trường: " + ", ".join(missing) + ".", "missing_fields")
        given = str(fields.get("signature", "")).strip().lower()
        expected = sign(fields, self.secret)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise BadSignature("Chữ ký của thông báo thanh toán không hợp lệ.", "bad_signature")
        try:
            timestamp = int(str(fields["timestamp"]))
            amount = int(str(fields["amount"]))
        except ValueError:
            raise BadSignature("Thông báo thanh toán có trường không đúng định dạng.", "invalid_fields") from None
        window = int(_setting("PAYMENT_CALLBACK_MAX_AGE", 900))
        if abs((now if now is not None else time.time()) - timestamp) > window:
            raise BadSignature("Thông báo thanh toán đã quá thời hạn hiệu lực.", "expired")
        status = str(fields["status"])
        if status not in GATEWAY_STATUSES:
            raise BadSignature("Trạng thái thanh toán không hợp lệ.", "invalid_fields")
        return {
            "transaction_id": str(fields["transaction_id"]),
            "order_id": str(fields["order_id"]),
            "amount": amount,
            "status": status,
            "paid_at": str(fields.get("paid_at") or ""),
            "timestamp": timestamp,
        }


_gateway = Gateway()


def gateway() -> Gateway:
    return _gateway
