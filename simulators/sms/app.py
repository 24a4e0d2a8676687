"""SMS gateway simulator (a brandname SMS provider, nhà cung cấp dịch vụ tin nhắn thương hiệu).

- ``POST /api/v1/messages`` (bearer key) ``{to, text, idempotency_key}`` → 202 ``{id, status, to,
  created_at}``; the same ``idempotency_key`` again → 200 with the same message (no second SMS; 409
  if ``to`` or ``text`` differ). ``to``: a Vietnamese mobile number (``0`` or ``+84``/``84`` and 9
  digits); ``text``: 1 to 1,000 characters.
- ``GET /api/v1/messages?to=<phone>`` → ``{"messages": [...]}`` (all of them without ``to``), oldest
  first — what a test reads back.
- ``GET /_sim/messages?to=`` the same list without a key and never faulted (tests read back through
  it while a fault is on); ``DELETE /_sim/messages`` clears the outbox (between tests).
- Fault injection and stats from ``common.install`` (``/_sim/faults``, ``/_sim/stats``) on ``/api/``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import threading

from flask import Flask, request

from ..common import api_key_from_env, error_response, install, json_response

VN_TZ = dt.timezone(dt.timedelta(hours=7))
PHONE = re.compile(r"(?:\+?84|0)\d{9}")


def _segments(text: str) -> int:
    """SMS segments: GSM-7 text 160/153 characters, anything else (Vietnamese diacritics) UCS-2 70/67."""
    gsm = all(ord(ch) < 128 for ch in text)
    single, multi = (160, 153) if gsm else (70, 67)
    return 1 if len(text) <= single else -(-len(text) // multi)


def create_app(api_key: str | None = None) -> Flask:
    app = Flask(__name__)
    install(app, api_key=api_key_from_env(api_key))
    lock = threading.Lock()
    messages: list[dict] = []
    by_key: dict[str, dict] = {}
    numbers = itertools.count(1)
    app.extensions["sms_gateway"] = messages

    @app.post("/api/v1/messages")
    def send():
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return error_response(400, "invalid_request", "Nội dung yêu cầu phải là một đối tượng JSON.")
        to, text, key = data.get("to"), data.get("text"), data.get("idempotency_key")
        if not isinstance(to, str) or not PHONE.fullmatch(to.strip()):
            return error_response(400, "invalid_phone", "Số điện thoại người nhận (to) không hợp lệ.")
        if not isinstance(text, str) or not 1 <= len(text) <= 1000:
            return error_response(400, "invalid_request", "Nội dung tin nhắn (text) phải có từ 1 đến 1.000 ký tự.")
        if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 100):
            return error_response(400, "invalid_request", "Khóa chống gửi trùng (idempotency_key) tối đa 100 ký tự.")
        to = to.strip()
        with lock:
            if key and key in by_key:
                existing = by_key[key]
                if existing["to"] != to or existing["text"] != text:
                    return error_response(409, "conflict", "Khóa chống gửi trùng đã được dùng cho tin nhắn khác.")
                return json_response(existing, 200)
            now = dt.datetime.now(VN_TZ)
            message = {
                "id": f"SMS{now:%y%m%d}{next(numbers):06d}",
                "to": to,
                "text": text,
                "idempotency_key": key or "",
                "segments": _segments(text),
                "status": "accepted",
                "created_at": now.isoformat(timespec="seconds"),
            }
            messages.append(message)
            if key:
                by_key[key] = message
        return json_response(message, 202)

    @app.get("/api/v1/messages")
    def listing():
        to = (request.args.get("to") or "").strip()
        with lock:
            items = [dict(m) for m in messages if not to or m["to"] == to]
        return json_response({"messages": items})

    def outbox():
        if request.method == "DELETE":
            with lock:
                messages.clear()
                by_key.clear()
        return listing()

    app.add_url_rule("/_sim/messages", "sim_messages", outbox, methods=["GET", "DELETE"])

    @app.get("/health")
    def health():
        return json_response({"status": "ok"})

    return app
