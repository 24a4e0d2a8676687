"""Payment gateway simulator (the national portal's payment platform, cổng thanh toán).

- ``POST /api/v1/payments`` (bearer key) ``{order_id, amount, description, return_url, callback_url}``
  → 201 ``{transaction_id, pay_url, status}``; the same ``order_id`` again → 200 with the same
  transaction (409 if the amount differs).
- ``GET /pay/<transaction_id>``: the payer's page "Cổng thanh toán (mô phỏng)" with the amount and
  the buttons "Thanh toán" / "Hủy"; ``POST /pay/<transaction_id>`` (``action`` = ``pay`` | ``cancel``
  | ``fail``) decides, POSTs the signed notification (JSON) to ``callback_url`` server-to-server,
  then redirects the browser (303) to ``return_url`` with the same signed fields in the query.
- ``GET /api/v1/payments/<transaction_id>`` → the transaction (status ``pending`` | ``success`` |
  ``failed`` | ``cancelled``).
- ``GET /api/v1/reconciliation?date=YYYY-MM-DD`` → ``{"date", "transactions": [...]}`` created that
  day (Vietnam time).
- ``GET/POST/DELETE /_sim/callbacks``: how notifications are delivered, ``{"mode": "normal" | "twice"
  | "out_of_order" | "none"}`` (``out_of_order``: the real one, then a stale signed "failed" one),
  and the log of deliveries (payload sent, our answer); DELETE resets both.
- Fault injection and stats from ``common.install`` (``/_sim/faults``, ``/_sim/stats``) on ``/api/``.

Signature: HMAC-SHA256 (hex) with the shared secret over ``key=value`` of ``SIGNED_FIELDS`` in that
order joined by ``&`` (``timestamp`` in Unix seconds, ``paid_at`` ISO 8601 with +07:00 or empty).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import threading
import time
from html import escape
from urllib.parse import urlencode, urlsplit

import requests
from flask import Flask, Response, redirect, request

from ..common import api_key_from_env, error_response, install, json_response

DEFAULT_SECRET = "motcua-payment-demo-secret"
SIGNED_FIELDS = ("transaction_id", "order_id", "amount", "status", "paid_at", "timestamp")
CALLBACK_MODES = ("normal", "twice", "out_of_order", "none")
VN_TZ = dt.timezone(dt.timedelta(hours=7))
ACTIONS = {"pay": "success", "cancel": "cancelled", "fail": "failed"}


def sign(fields: dict, secret: str) -> str:
    message = "&".join(f"{name}={'' if fields.get(name) is None else fields.get(name)}" for name in SIGNED_FIELDS)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _vnd(amount: int) -> str:
    return f"{amount:,} đồng".replace(",", ".")


def _is_url(value) -> bool:
    if not isinstance(value, str) or len(value) > 1000:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class GatewayState:
    """Transactions (in memory), the callback mode and the delivery log; all access under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.transactions: dict[str, dict] = {}
        self.by_order: dict[str, str] = {}
        self.mode = "normal"
        self.deliveries: list[dict] = []


def _public(tx: dict) -> dict:
    keys = ("transaction_id", "order_id", "amount", "currency", "description", "status", "created_at", "paid_at")
    return {k: tx[k] for k in keys}


PAGE = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cổng thanh toán (mô phỏng)</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}}
.amount{{font-size:1.6rem;font-weight:bold}} button{{font-size:1rem;padding:.6rem 1.2rem;margin:.3rem .3rem 0 0}}
.pay{{background:#00a91c;color:#fff;border:0}} .muted{{color:#555;font-size:.9rem}}</style></head>
<body><h1>Cổng thanh toán (mô phỏng)</h1>
<p>{description}</p>
<p>Mã giao dịch: {transaction_id}<br>Mã đơn hàng: {order_id}</p>
<p>Số tiền: <span class="amount">{amount}</span></p>
{body}
<p class="muted">Đây là hệ thống mô phỏng dùng cho thử nghiệm, không có giao dịch tiền thật.</p>
</body></html>"""


def create_app(api_key: str | None = None, secret: str | None = None, public_url: str | None = None) -> Flask:
    secret = secret if secret is not None else os.environ.get("SIM_PAYMENT_SECRET", DEFAULT_SECRET)
    app = Flask(__name__)
    install(app, api_key=api_key_from_env(api_key))
    state = GatewayState()
    app.extensions["payment_gateway"] = state

    def signed_fields(tx: dict, status: str | None = None) -> dict:
        status = status or tx["status"]
        fields = {
            "transaction_id": tx["transaction_id"],
            "order_id": tx["order_id"],
            "amount": str(tx["amount"]),
            "status": status,
            "paid_at": tx["paid_at"] if status == "success" else "",
            "timestamp": str(int(time.time())),
        }
        fields["signature"] = sign(fields, secret)
        return fields

    def deliver(tx: dict, fields: dict) -> None:
        entry: dict = {"url": tx["callback_url"], "payload": fields}
        try:
            # One connection per notification (no keep-alive): like a gateway's webhook worker.
            answer = requests.post(tx["callback_url"], json=fields, timeout=10, headers={"Connection": "close"})
            entry["status_code"] = answer.status_code
            entry["response"] = answer.text[:500]
        except requests.RequestException as exc:
            entry["error"] = exc.__class__.__name__
        with state.lock:
            state.deliveries.append(entry)

    @app.post("/api/v1/payments")
    def create_payment():
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return error_response(400, "invalid_request", "Nội dung yêu cầu phải là một đối tượng JSON.")
        order_id, amount = data.get("order_id"), data.get("amount")
        if not isinstance(order_id, str) or not 1 <= len(order_id) <= 40:
            return error_response(400, "invalid_request", "Mã đơn hàng (order_id) phải có từ 1 đến 40 ký tự.")
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= 10_000_000_000:
            return error_response(400, "invalid_request", "Số tiền (amount) phải là số nguyên dương (đồng).")
        if data.get("currency", "VND") != "VND":
            return error_response(400, "invalid_request", "Cổng thanh toán chỉ nhận đồng Việt Nam (VND).")
        if not _is_url(data.get("return_url")) or not _is_url(data.get("callback_url")):
            return error_response(400, "invalid_request", "return_url và callback_url phải là địa chỉ http(s).")
        with state.lock:
            existing = state.by_order.get(order_id)
            if existing:
                tx = state.transactions[existing]
                if tx["amount"] != amount:
                    return error_response(409, "conflict", "Mã đơn hàng đã được dùng với số tiền khác.")
                return json_response({**_public(tx), "pay_url": tx["pay_url"]}, 200)
            now = dt.datetime.now(VN_TZ)
            txid = f"GD{now:%y%m%d}{secrets.token_hex(6).upper()}"
            base = (public_url or request.host_url).rstrip("/")
            tx = {
                "transaction_id": txid,
                "order_id": order_id,
                "amount": amount,
                "currency": "VND",
                "description": str(data.get("description") or "")[:255],
                "return_url": data["return_url"],
                "callback_url": data["callback_url"],
                "status": "pending",
                "created_at": now.isoformat(timespec="seconds"),
                "paid_at": "",
                "pay_url": f"{base}/pay/{txid}",
            }
            state.transactions[txid] = tx
            state.by_order[order_id] = txid
        return json_response({**_public(tx), "pay_url": tx["pay_url"]}, 201)

    @app.get("/api/v1/payments/<transaction_id>")
    def payment_status(transaction_id: str):
        with state.lock:
            tx = state.transactions.get(transaction_id)
            if tx is None:
                return error_response(404, "not_found", f"Không có giao dịch {transaction_id}.")
            return json_response(_public(tx))

    @app.get("/api/v1/reconciliation")
    def reconciliation():
        try:
            day = dt.date.fromisoformat(request.args.get("date", ""))
        except ValueError:
            return error_response(400, "invalid_request", "Tham số date phải có dạng YYYY-MM-DD.")
        with state.lock:
            items = [
                _public(tx)
                for tx in state.transactions.values()
                if dt.datetime.fromisoformat(tx["created_at"]).astimezone(VN_TZ).date() == day
            ]
        return json_response({"date": day.isoformat(), "transactions": items})

    @app.route("/pay/<transaction_id>", methods=["GET", "POST"])
    def pay_page(transaction_id: str):
        with state.lock:
            tx = state.transactions.get(transaction_id)
            tx = dict(tx) if tx else None
        if tx is None:
            return Response("<h1>Không tìm thấy giao dịch</h1>", 404, content_type="text/html; charset=utf-8")
        if request.method == "POST":
            status = ACTIONS.get(request.form.get("action", ""))
            if status is None:
                return error_response(400, "invalid_request", "Thao tác phải là pay, cancel hoặc fail.")
            with state.lock:
                current = state.transactions[transaction_id]
                if current["status"] == "pending":
                    current["status"] = status
                    if status == "success":
                        current["paid_at"] = dt.datetime.now(VN_TZ).isoformat(timespec="seconds")
                tx, mode = dict(current), state.mode
            fields = signed_fields(tx)
            if mode != "none":
                deliver(tx, fields)
                if mode == "twice":
                    deliver(tx, signed_fields(tx))
                elif mode == "out_of_order":
                    deliver(tx, signed_fields(tx, "failed"))
            separator = "&" if urlsplit(tx["return_url"]).query else "?"
            return redirect(f"{tx['return_url']}{separator}{urlencode(fields)}", code=303)
        fields = {k: escape(str(tx[k])) for k in ("transaction_id", "order_id", "description")}
        if tx["status"] == "pending":
            body = (
                '<form method="post">'
                '<button class="pay" type="submit" name="action" value="pay">Thanh toán</button>'
                '<button type="submit" name="action" value="cancel">Hủy</button>'
                '<button type="submit" name="action" value="fail">Mô phỏng giao dịch lỗi</button>'
                "</form>"
            )
        else:
            labels = {"success": "đã thanh toán", "failed": "không thành công", "cancelled": "đã hủy"}
            body = f"<p>Giao dịch {labels.get(tx['status'], tx['status'])}.</p>"
        html = PAGE.format(amount=_vnd(tx["amount"]), body=body, **fields)
        return Response(html, content_type="text/html; charset=utf-8")

    def callbacks():
        if request.method == "POST":
            data = request.get_json(silent=True)
            mode = data.get("mode") if isinstance(data, dict) else None
            if mode not in CALLBACK_MODES:
                return error_response(400, "invalid_request", "Trường mode phải là: " + ", ".join(CALLBACK_MODES) + ".")
            with state.lock:
                state.mode = mode
        elif request.method == "DELETE":
            with state.lock:
                state.mode = "normal"
                state.deliveries.clear()
        with state.lock:
            return json_response({"mode": state.mode, "deliveries": list(state.deliveries)})

    app.add_url_rule("/_sim/callbacks", "sim_callbacks", callbacks, methods=["GET", "POST", "DELETE"])

    @app.get("/health")
    def health():
        return json_response({"status": "ok"})

    return app
