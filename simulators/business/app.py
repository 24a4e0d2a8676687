"""HTTP API of the National Business Registration simulator.

- ``GET /api/v1/enterprises/<code>``: 10 digits (enterprise), or 13 digits / ``10-3`` (branch; only the fixed
  branch exists) -> 200 record | 404 | 400 (malformed).
- ``GET /health``.
"""

from __future__ import annotations

from flask import Flask

from ..common import api_key_from_env, error_response, install, json_response
from . import enterprises


def create_app(count: int = enterprises.DEFAULT_COUNT, api_key: str | None = None) -> Flask:
    if not 1 <= count <= enterprises.MAX_COUNT:
        raise ValueError(f"count must be between 1 and {enterprises.MAX_COUNT:,}")
    app = Flask(__name__)
    app.config["ENTERPRISE_COUNT"] = count
    install(app, api_key=api_key_from_env(api_key))

    @app.get("/api/v1/enterprises/<path:code>")
    def enterprise(code: str):
        if enterprises.normalize(code) is None:
            return error_response(
                400,
                "invalid_request",
                "Mã số doanh nghiệp phải gồm 10 chữ số (hoặc 13 chữ số, dạng 0123456789-001, với chi nhánh).",
            )
        record = enterprises.lookup(code, count=count)
        if record is None:
            return error_response(404, "not_found", f"Không tìm thấy doanh nghiệp có mã số {code}.")
        return json_response(record)

    @app.get("/health")
    def health():
        return json_response({"status": "ok", "enterprises": count})

    return app
