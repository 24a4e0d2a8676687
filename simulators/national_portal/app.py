"""National Public Service Portal simulator (Cổng Dịch vụ công quốc gia): the dossier status sync.

Every status change of a dossier (one ``Event`` row of ours) is pushed here, in order, exactly once.

- ``POST /api/v1/dossier-events`` (bearer key, header ``Idempotency-Key`` required, 1–200 characters),
  JSON ``{event_id, seq, dossier_code, procedure_code, agency_code, action, state, national_status,
  at, received_at, due_at, returned_at, result}`` — every key present; ``seq`` 1, 2, 3… per dossier;
  ``national_status`` 1..10; times ISO 8601 with an offset (``received_at``, ``due_at``,
  ``returned_at`` may be null); ``result`` null or ``{code, number, issued_at}``.

  * 201 ``{"received": true, "seq": n}``: stored.
  * 200 ``{"received": true, "seq": n, "duplicate": true}``: this ``Idempotency-Key`` was stored
    before (same dossier and event_id); nothing stored again (counted in ``duplicates``).
  * 409 ``{"error": "out_of_order", "expected": n, "message"}``: ``seq`` is beyond the next one
    (``expected`` = last stored seq + 1); 409 ``"duplicate_seq"`` (also with ``expected``): ``seq`` is
    already taken, under another key; 409 ``"idempotency_conflict"``: the key was used for another
    event.
  * 400 ``{"error": "invalid_request", "message", "fields": {name: message}}``; 400
    ``"missing_idempotency_key"``.
- ``GET /api/v1/dossiers/<code>`` → ``{code, procedure_code, agency_code, last_seq, national_status,
  events: [...]}`` (events in seq order, each with its ``idempotency_key`` and ``stored_at``); 404 if
  unknown. ``GET /api/v1/dossiers?agency_code=`` → ``{"dossiers": [{code, last_seq,
  national_status}]}`` (all dossiers without ``agency_code``).
- ``POST/GET/DELETE /_sim/chaos`` ``{"error_rate", "timeout_rate", "commit_then_error_rate"`` (each
  0..1, their sum at most 1), ``"timeout_ms"`` (default 3000), ``"seed"`` (int or null)``}``: one draw
  per valid event POST — ``error``: 503 and nothing stored; ``timeout``: stored/answered as usual but
  the answer is sent only after ``timeout_ms`` (the client has given up by then: the event WAS
  stored); ``commit_then_error``: stored, then 500 (a retry with the same key gets 200 duplicate).
  Answers ``{"chaos": {...}, "injected": {"error", "timeout", "commit_then_error"}}``; DELETE turns
  it off and resets the counters.
- ``GET /_sim/summary`` → ``{"events", "duplicates", "out_of_order", "dossiers"}`` (``out_of_order``
  counts both seq 409s); ``DELETE /_sim/data`` forgets every event, key and counter.
- Fault injection and stats from ``common.install`` (``/_sim/faults``, ``/_sim/stats``) on ``/api/``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time
from pathlib import Path

from flask import Flask, request

from ..common import BUSY_MESSAGE, api_key_from_env, error_response, install, json_response

VN_TZ = dt.timezone(dt.timedelta(hours=7))
MAX_KEY = 200
MAX_CODE = 60

# (field, label for people, nullable)
TEXT_FIELDS = (
    ("dossier_code", "Mã hồ sơ"),
    ("procedure_code", "Mã thủ tục"),
    ("agency_code", "Mã cơ quan"),
    ("action", "Thao tác"),
    ("state", "Trạng thái"),
)
TIME_FIELDS = (
    ("at", "Thời điểm phát sinh sự kiện", False),
    ("received_at", "Thời điểm tiếp nhận", True),
    ("due_at", "Hạn trả kết quả", True),
    ("returned_at", "Thời điểm trả kết quả", True),
)
FIELDS = (
    "event_id",
    "seq",
    "dossier_code",
    "procedure_code",
    "agency_code",
    "action",
    "state",
    "national_status",
    "at",
    "received_at",
    "due_at",
    "returned_at",
    "result",
)
RATES = ("error_rate", "timeout_rate", "commit_then_error_rate")
FATES = ("error", "timeout", "commit_then_error")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value, limit: int = MAX_CODE) -> bool:
    return isinstance(value, str) and 0 < len(value.strip()) <= limit


def _is_moment(value) -> bool:
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return False
    try:
        return dt.datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def validate(data: dict) -> dict:
    """Field errors (Vietnamese) of an event body; empty when valid."""
    errors: dict[str, str] = {}
    for name in FIELDS:
        if name not in data:
            errors[name] = f"Thiếu trường bắt buộc {name}."
    value = data.get("event_id")
    if "event_id" in data and not (_is_int(value) and value > 0):
        errors["event_id"] = "Mã sự kiện (event_id) phải là số nguyên dương."
    value = data.get("seq")
    if "seq" in data and not (_is_int(value) and value > 0):
        errors["seq"] = "Số thứ tự sự kiện (seq) phải là số nguyên dương (1, 2, 3… theo từng hồ sơ)."
    for name, label in TEXT_FIELDS:
        if name in data and not _is_text(data[name]):
            errors[name] = f"{label} ({name}) phải là chuỗi ký tự khác rỗng, tối đa {MAX_CODE} ký tự."
    value = data.get("national_status")
    if "national_status" in data and not (_is_int(value) and 1 <= value <= 10):
        errors["national_status"] = "Mã trạng thái hồ sơ quốc gia (national_status) phải là số nguyên từ 1 đến 10."
    for name, label, nullable in TIME_FIELDS:
        if name not in data or (nullable and data[name] is None):
            continue
        if not _is_moment(data[name]):
            suffix = " hoặc null" if nullable else ""
            errors[name] = f"{label} ({name}) phải là thời điểm theo ISO 8601 có múi giờ{suffix}."
    result = data.get("result")
    if result is not None:
        if not isinstance(result, dict):
            errors["result"] = "Kết quả giải quyết (result) phải là null hoặc đối tượng {code, number, issued_at}."
        else:
            if not _is_text(result.get("code")):
                errors["result.code"] = (
                    f"Mã kết quả (result.code) phải là chuỗi ký tự khác rỗng, tối đa {MAX_CODE} ký tự."
                )
            if not _is_text(result.get("number"), 100):
                errors["result.number"] = (
                    "Số, ký hiệu kết quả (result.number) phải là chuỗi ký tự khác rỗng, tối đa 100 ký tự."
                )
            if not _is_moment(result.get("issued_at")):
                errors["result.issued_at"] = "Ngày ban hành kết quả (result.issued_at) phải theo ISO 8601 có múi giờ."
    return errors


def _parse_chaos(data) -> tuple[dict | None, str | None]:
    if not isinstance(data, dict):
        return None, "Nội dung yêu cầu phải là một đối tượng JSON."
    chaos: dict = {}
    for name in RATES:
        value = data.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            return None, f"Trường {name} phải là số từ 0 đến 1."
        chaos[name] = float(value)
    if sum(chaos[name] for name in RATES) > 1 + 1e-9:
        return None, "Tổng error_rate, timeout_rate và commit_then_error_rate không được vượt quá 1."
    timeout_ms = data.get("timeout_ms", 3000)
    if not _is_int(timeout_ms) or not 0 <= timeout_ms <= 600_000:
        return None, "Trường timeout_ms phải là số nguyên từ 0 đến 600000."
    seed = data.get("seed")
    if seed is not None and not _is_int(seed):
        return None, "Trường seed phải là số nguyên hoặc null."
    chaos["timeout_ms"], chaos["seed"] = timeout_ms, seed
    return chaos, None


def _no_chaos() -> dict:
    return {"error_rate": 0.0, "timeout_rate": 0.0, "commit_then_error_rate": 0.0, "timeout_ms": 3000, "seed": None}


class PortalState:
    """Stored events per dossier, idempotency keys, counters and the chaos switch; all under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()
        self.set_chaos(None)

    def reset(self) -> None:
        self.dossiers: dict[str, dict] = {}
        self.keys: dict[str, tuple[str, int, int]] = {}  # key → (dossier_code, event_id, seq)
        self.events = 0
        self.duplicates = 0
        self.out_of_order = 0

    def set_chaos(self, chaos: dict | None) -> None:
        self.chaos = chaos or _no_chaos()
        self.active = any(self.chaos[name] > 0 for name in RATES)
        self.rng = random.Random(self.chaos["seed"])
        self.injected = dict.fromkeys(FATES, 0)

    def draw(self) -> str | None:
        """The chaos fate of one event POST (None: behave)."""
        if not self.active:
            return None
        roll = self.rng.random()
        edge = 0.0
        for name, fate in zip(RATES, FATES, strict=True):
            edge += self.chaos[name]
            if roll < edge:
                self.injected[fate] += 1
                return fate
        return None

    def summary(self) -> dict:
        return {
            "events": self.events,
            "duplicates": self.duplicates,
            "out_of_order": self.out_of_order,
            "dossiers": len(self.dossiers),
        }

    def accept(self, key: str, event: dict) -> tuple[int, dict]:
        """Store ``event`` under ``key`` unless it is a duplicate or out of order: ``(status, body)``."""
        code, seq = event["dossier_code"], event["seq"]
        seen = self.keys.get(key)
        if seen is not None:
            if seen[0] != code or seen[1] != event["event_id"]:
                return 409, {
                    "error": "idempotency_conflict",
                    "message": "Khóa chống gửi trùng (Idempotency-Key) đã được dùng cho một sự kiện khác.",
                }
            self.duplicates += 1
            return 200, {"received": True, "seq": seen[2], "duplicate": True}
        dossier = self.dossiers.get(code)
        last = dossier["last_seq"] if dossier else 0
        if seq != last + 1:
            self.out_of_order += 1
            if seq <= last:
                return 409, {
                    "error": "duplicate_seq",
                    "expected": last + 1,
                    "message": f"Hồ sơ {code} đã có sự kiện số {seq}; sự kiện tiếp theo phải là số {last + 1}.",
                }
            return 409, {
                "error": "out_of_order",
                "expected": last + 1,
                "message": f"Sự kiện gửi sai thứ tự: hồ sơ {code} đang chờ sự kiện số {last + 1}, nhận được số {seq}.",
            }
        if dossier is None:
            dossier = self.dossiers[code] = {"code": code, "events": []}
        event["idempotency_key"] = key
        event["stored_at"] = dt.datetime.now(VN_TZ).isoformat(timespec="milliseconds")
        dossier["events"].append(event)
        dossier.update(
            procedure_code=event["procedure_code"],
            agency_code=event["agency_code"],
            last_seq=seq,
            national_status=event["national_status"],
        )
        self.keys[key] = (code, event["event_id"], seq)
        self.events += 1
        return 201, {"received": True, "seq": seq}


CATALOG = Path(__file__).resolve().parents[2] / "motcua" / "catalog" / "fixtures" / "demo_procedures.json"


def national_catalog() -> list[dict]:
    """The demo catalog as the national database publishes it: without the province's own additions
    (e-forms, reuse mappings, internal steps and agencies), one fee amended by a new decision and one
    procedure the province has not published yet."""
    local = ("form_schema", "pay_before_processing", "agencies")
    out = []
    for p in json.loads(CATALOG.read_text(encoding="utf-8"))["procedures"]:
        p = {k: v for k, v in p.items() if k not in local}
        p["components"] = [
            {k: v for k, v in c.items() if k not in ("reuse_from", "data_source")} for c in p["components"]
        ]
        if p["code"] == "2.000815":  # certified copies: the charge per page is raised
            p["fees"] = [{**f, "amount": 3000} for f in p["fees"]]
        out.append(p)
    new = dict(next(p for p in out if p["code"] == "2.000635"))
    new.update(code="2.002165", name="Cấp bản sao trích lục hộ tịch trực tuyến liên thông", effective_from="2026-12-01")
    return out + [new]


def create_app(api_key: str | None = None) -> Flask:
    app = Flask(__name__)
    install(app, api_key=api_key_from_env(api_key))
    state = PortalState()
    app.extensions["national_portal"] = state

    @app.post("/api/v1/dossier-events")
    def push_event():
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return error_response(
                400, "missing_idempotency_key", "Thiếu tiêu đề Idempotency-Key (khóa chống gửi trùng)."
            )
        if len(key) > MAX_KEY:
            return error_response(
                400, "invalid_request", f"Khóa chống gửi trùng (Idempotency-Key) tối đa {MAX_KEY} ký tự."
            )
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return error_response(400, "invalid_request", "Nội dung yêu cầu phải là một đối tượng JSON.")
        errors = validate(data)
        if errors:
            body = {"error": "invalid_request", "message": "Dữ liệu sự kiện hồ sơ không hợp lệ.", "fields": errors}
            return json_response(body, 400)
        event = {name: data[name] for name in FIELDS}
        with state.lock:
            fate = state.draw()
            if fate == "error":
                status, body = 503, None
            else:
                status, body = state.accept(key, event)
            delay = state.chaos["timeout_ms"] / 1000
        if fate == "error":
            return error_response(503, "unavailable", BUSY_MESSAGE)
        if fate == "commit_then_error":
            return error_response(500, "server_error", "Lỗi hệ thống mô phỏng.")
        if fate == "timeout":
            time.sleep(delay)
        return json_response(body, status)

    @app.get("/api/v1/dossiers/<code>")
    def dossier(code: str):
        with state.lock:
            found = state.dossiers.get(code)
            found = {**found, "events": list(found["events"])} if found else None
        if found is None:
            return error_response(404, "not_found", f"Cổng Dịch vụ công quốc gia chưa có hồ sơ {code}.")
        ordered = ("code", "procedure_code", "agency_code", "last_seq", "national_status", "events")
        return json_response({name: found[name] for name in ordered})

    @app.get("/api/v1/dossiers")
    def dossiers():
        agency = (request.args.get("agency_code") or "").strip()
        with state.lock:
            items = [
                {"code": d["code"], "last_seq": d["last_seq"], "national_status": d["national_status"]}
                for d in state.dossiers.values()
                if not agency or d["agency_code"] == agency
            ]
        return json_response({"dossiers": items})

    def chaos():
        if request.method == "POST":
            config, problem = _parse_chaos(request.get_json(silent=True))
            if problem:
                return error_response(400, "invalid_request", problem)
            with state.lock:
                state.set_chaos(config)
        elif request.method == "DELETE":
            with state.lock:
                state.set_chaos(None)
        with state.lock:
            return json_response({"chaos": dict(state.chaos), "injected": dict(state.injected)})

    def summary():
        with state.lock:
            return json_response(state.summary())

    def data():
        with state.lock:
            state.reset()
            return json_response(state.summary())

    @app.get("/api/v1/procedures")
    def procedures():
        """The national procedure database (CSDL quốc gia về TTHC), in our interchange format."""
        return json_response({"format": "motcua.catalog.v1", "procedures": national_catalog()})

    app.add_url_rule("/_sim/chaos", "sim_chaos", chaos, methods=["GET", "POST", "DELETE"])
    app.add_url_rule("/_sim/summary", "sim_summary", summary, methods=["GET"])
    app.add_url_rule("/_sim/data", "sim_data", data, methods=["DELETE"])

    @app.get("/health")
    def health():
        return json_response({"status": "ok"})

    return app
