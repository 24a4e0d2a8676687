"""Pieces shared by the simulators: JSON responses, API-key check, fault injection, request stats, serving.

``install(app, ...)`` wires a Flask app with:

- ``Authorization: Bearer <key>`` on ``/api/`` routes (401 JSON otherwise);
- fault injection on the affected routes, driven by ``POST/GET/DELETE /_sim/faults``;
- per-route request counters at ``GET/DELETE /_sim/stats`` (``/_sim/`` requests are not counted);
- JSON error bodies for 400/404/405/500.
"""

from __future__ import annotations

import hmac
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler, make_server

DEFAULT_API_KEY = "motcua-sim"
BUSY_MESSAGE = "Hệ thống đang bận, vui lòng thử lại sau."


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON response with ``ensure_ascii=False`` and ``application/json; charset=utf-8``."""
    body = json.dumps(payload, ensure_ascii=False)
    response = Response(body, status=status, headers=headers)
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response


def error_response(status: int, error: str, message: str, headers: dict | None = None) -> Response:
    return json_response({"error": error, "message": message}, status, headers)


def api_key_from_env(api_key: str | None) -> str:
    return api_key if api_key is not None else os.environ.get("SIM_API_KEY", DEFAULT_API_KEY)


class SimState:
    """The fault switch and request counters of one app; all access under one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fault: dict | None = None
        self._counts: Counter[str] = Counter()

    def count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def stats(self) -> dict:
        with self._lock:
            return {"requests": dict(self._counts), "total": sum(self._counts.values())}

    def reset_stats(self) -> None:
        with self._lock:
            self._counts.clear()

    def set_fault(self, fault: dict | None) -> None:
        with self._lock:
            self._fault = dict(fault) if fault else None

    def fault(self) -> dict | None:
        with self._lock:
            return dict(self._fault) if self._fault else None

    def take_fault(self) -> dict | None:
        """The active fault for one request, consuming one of its ``remaining`` uses."""
        with self._lock:
            fault = self._fault
            if fault is None:
                return None
            if fault["remaining"] is not None:
                fault["remaining"] -= 1
                if fault["remaining"] <= 0:
                    self._fault = None
            return dict(fault)


def _parse_fault(data) -> tuple[dict | None, str | None]:
    if not isinstance(data, dict):
        return None, "Nội dung yêu cầu phải là một đối tượng JSON."
    mode = data.get("mode")
    if mode not in ("error", "timeout"):
        return None, 'Trường mode phải là "error" hoặc "timeout".'
    status = data.get("status", 503)
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        return None, "Trường status phải là mã lỗi HTTP từ 400 đến 599."
    delay_ms = data.get("delay_ms", 3000)
    if isinstance(delay_ms, bool) or not isinstance(delay_ms, int) or not 0 <= delay_ms <= 600_000:
        return None, "Trường delay_ms phải là số nguyên từ 0 đến 600000."
    remaining = data.get("remaining")
    if remaining is not None and (isinstance(remaining, bool) or not isinstance(remaining, int) or remaining < 1):
        return None, "Trường remaining phải là số nguyên dương hoặc null."
    return {"mode": mode, "status": status, "delay_ms": delay_ms, "remaining": remaining}, None


def install(
    app: Flask,
    *,
    api_key: str,
    fault_prefixes: Iterable[str] = ("/api/",),
    fault_paths: Iterable[str] = (),
) -> SimState:
    """Add API-key auth, fault injection, stats and JSON errors to ``app``; returns its ``SimState``."""
    state = SimState()
    app.extensions["simulator"] = state
    prefixes = tuple(fault_prefixes)
    paths = frozenset(fault_paths)
    expected = f"Bearer {api_key}".encode()

    @app.before_request
    def _simulate():
        path = request.path
        if path.startswith("/_sim/"):
            return None
        state.count(request.endpoint or "unknown")
        if path.startswith(prefixes) or path in paths:
            fault = state.take_fault()
            if fault is not None:
                if fault["mode"] == "error":
                    return error_response(fault["status"], "unavailable", BUSY_MESSAGE)
                time.sleep(fault["delay_ms"] / 1000)
        if path.startswith("/api/"):
            given = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return error_response(
                    401,
                    "unauthorized",
                    "Thiếu hoặc sai khóa truy cập (Authorization: Bearer <khóa>).",
                    {"WWW-Authenticate": 'Bearer realm="simulator"'},
                )
        return None

    def faults():
        if request.method == "POST":
            fault, problem = _parse_fault(request.get_json(silent=True))
            if problem:
                return error_response(400, "invalid_request", problem)
            state.set_fault(fault)
        elif request.method == "DELETE":
            state.set_fault(None)
        return json_response({"fault": state.fault()})

    def stats():
        if request.method == "DELETE":
            state.reset_stats()
        return json_response(state.stats())

    app.add_url_rule("/_sim/faults", "sim_faults", faults, methods=["GET", "POST", "DELETE"])
    app.add_url_rule("/_sim/stats", "sim_stats", stats, methods=["GET", "DELETE"])

    messages = {
        400: ("invalid_request", "Yêu cầu không hợp lệ."),
        404: ("not_found", "Không tìm thấy tài nguyên được yêu cầu."),
        405: ("method_not_allowed", "Phương thức không được hỗ trợ."),
    }

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        error, message = messages.get(exc.code, ("error", "Đã xảy ra lỗi."))
        response = error_response(exc.code or 500, error, message)
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _server_error(exc: Exception):
        app.logger.exception("Unhandled error in simulator")
        return error_response(500, "server_error", "Lỗi hệ thống mô phỏng.")

    return state


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:
        pass


def serve_in_thread(
    app, host: str = "127.0.0.1", port: int = 0, *, log_requests: bool = False
) -> tuple[str, Callable[[], None]]:
    """Serve ``app`` with a threaded werkzeug server in a daemon thread.

    Returns ``(base_url, stop)``; port 0 picks a free port. ``stop()`` shuts the server down and joins the thread.
    """
    handler = WSGIRequestHandler if log_requests else _QuietHandler
    server = make_server(host, port, app, threaded=True, request_handler=handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sim-{server.server_port}", daemon=True
    )
    thread.start()
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://{host}:{server.server_port}", stop
