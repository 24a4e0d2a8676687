"""Webhook delivery: a signed POST of one outbox message to a subscriber.

Headers: ``Idempotency-Key`` (the message key: the same event is always the same key),
``X-MotCua-Event`` (the action), ``X-MotCua-Timestamp`` (Unix seconds) and ``X-MotCua-Signature``:
``sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the subscription's secret>``. A receiver
checks the signature and that the timestamp is recent (``verify``), then dedupes by the key.
2xx = delivered; 408/425/429/5xx, timeouts and connection errors are retried; other 4xx are
permanent (dead-letter list).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time

import requests
from django.conf import settings

RETRYABLE_4XX = frozenset({408, 409, 425, 429})
_local = threading.local()


class WebhookRejected(Exception):
    """The subscriber refused the message for good (a 4xx other than the retryable ones)."""


class WebhookRetry(Exception):
    """Try again later."""


def sign(body: bytes, secret: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def verify(body: bytes, secret: str, timestamp: str, signature: str, *, max_age: int = 300, now=None) -> bool:
    """What a subscriber does (and our tests): the signature matches and the timestamp is recent."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now or time.time()) - ts) > max_age:
        return False
    return hmac.compare_digest(sign(body, secret, ts), signature or "")


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def post_signed(url: str, secret: str, key: str, body: dict, name: str, event: str = "") -> None:
    """A signed POST (webhooks and specialized systems); raises ``WebhookRejected`` / ``WebhookRetry``."""
    data = json.dumps(body, ensure_ascii=False).encode()
    ts = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Idempotency-Key": key,
        "X-MotCua-Event": event,
        "X-MotCua-Timestamp": str(ts),
        "X-MotCua-Signature": sign(data, secret, ts),
    }
    timeout = float(getattr(settings, "WEBHOOK_TIMEOUT", 5))
    try:
        response = _session().post(url, data=data, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        raise WebhookRetry(f"Không kết nối được {name}: {exc.__class__.__name__}.") from None
    if 200 <= response.status_code < 300:
        return
    if response.status_code >= 500 or response.status_code in RETRYABLE_4XX:
        raise WebhookRetry(f"{name} trả lời lỗi {response.status_code}; sẽ gửi lại.")
    raise WebhookRejected(f"{name} từ chối thông điệp (HTTP {response.status_code}).")


def send(message) -> None:
    """POST ``message`` to its webhook subscription or specialized system."""
    if message.receiver.startswith("system:"):
        from .models import ExternalSystem

        system = ExternalSystem.objects.filter(code=message.receiver[7:], active=True).first()
        if system is None:
            raise WebhookRejected("Hệ thống chuyên ngành không còn hoạt động.")
        body = {"id": message.key, "seq": message.seq, **message.payload}
        return post_signed(system.url, system.secret, message.key, body, system.name, "handover")
    sub = message.subscription
    if sub is None or not sub.active:
        raise WebhookRejected("Đăng ký nhận sự kiện không còn hoạt động.")
    body = {"id": message.key, "seq": message.seq, **message.payload}
    event = str(message.payload.get("event", {}).get("action", ""))
    return post_signed(sub.url, sub.secret, message.key, body, sub.name, event)
