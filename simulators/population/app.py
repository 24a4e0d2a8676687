"""HTTP API of the National Population Database simulator.

- ``GET /api/v1/citizens/<id_number>``: a 12-digit personal ID number, or a 9-digit old ID number
  (found for ``FIXED`` people and for generated people who have one) -> 200 record | 404 | 400.
- ``GET /health``.
"""

from __future__ import annotations

import re

from flask import Flask

from ..common import api_key_from_env, error_response, install, json_response
from . import people

_NUMBER_RE = re.compile(r"\d{12}|\d{9}")


def create_app(size: int = people.DEFAULT_SIZE, api_key: str | None = None) -> Flask:
    if not 1 <= size <= people.MAX_SIZE:
        raise ValueError(f"size must be between 1 and {people.MAX_SIZE:,}")
    app = Flask(__name__)
    app.config["POPULATION_SIZE"] = size
    install(app, api_key=api_key_from_env(api_key))

    @app.get("/api/v1/citizens/<path:id_number>")
    def citizen(id_number: str):
        if not _NUMBER_RE.fullmatch(id_number):
            return error_response(
                400, "invalid_request", "Số định danh cá nhân phải gồm 12 chữ số (hoặc số CMND cũ gồm 9 chữ số)."
            )
        record = people.lookup(id_number, size=size)
        if record is None:
            return error_response(404, "not_found", f"Không tìm thấy công dân có số định danh {id_number}.")
        return json_response(record)

    @app.get("/health")
    def health():
        return json_response({"status": "ok", "population": size})

    return app
