"""A specialized system processes a procedure: the dossier is handed to it through the outbox
(signed, with a task token) and its decision comes back through the API, issuing the result;
in a linked bundle the next procedure then starts."""

import json
import threading
import time

import pytest
from flask import Flask, request

from motcua.dossiers import services
from motcua.dossiers.models import Dossier
from motcua.integration import outbox
from motcua.integration.models import ExternalSystem, ExternalTask
from motcua.integration.webhooks import sign, verify
from simulators.common import serve_in_thread

AN = {"name": "Nguyễn Văn An", "id_number": "001085012345"}


@pytest.fixture
def residence_system(settings):
    """The residence system of the Ministry of Public Security (simulated): stores what it is handed."""
    app = Flask(__name__)
    got = {"tasks": [], "lock": threading.Lock(), "secret": ""}

    @app.post("/tasks")
    def tasks():
        body = request.get_data()
        ts, signature = request.headers["X-MotCua-Timestamp"], request.headers["X-MotCua-Signature"]
        if not verify(body, got["secret"], ts, signature):
            return "bad signature", 401
        with got["lock"]:
            got["tasks"].append(json.loads(body))
        return {"accepted": True}, 202

    url, stop = serve_in_thread(app, "127.0.0.1", 0)
    settings.NATIONAL_PORTAL_SYNC = False
    system = ExternalSystem.objects.create(
        code="cu-tru", name="Hệ thống quản lý cư trú", url=url + "/tasks", procedures=["1.004222"]
    )
    got["secret"], got["system"] = system.secret, system
    yield got
    stop()


def answer(client, task: dict, secret: str, body: dict, *, tamper=False):
    raw = json.dumps(body).encode()
    ts = int(time.time())
    signature = sign(raw + (b" " if tamper else b""), secret, ts)
    path = task["answer_url"].split("://", 1)[1].split("/", 1)[1]
    return client.post(
        "/" + path,
        raw,
        content_type="application/json",
        HTTP_X_MOTCUA_TIMESTAMP=str(ts),
        HTTP_X_MOTCUA_SIGNATURE=signature,
    )


def test_handover_and_decision_through_the_api(users, residence_system, client):
    d, _ = services.create_dossier(
        user=users["motcua.xa"],
        procedure_code="1.004222",
        channel="counter",
        applicant=AN,
        components=["TP01", "TP02"],
        identity={"status": "verified"},
        fee_paid=True,
    )
    assert not ExternalTask.objects.exists()  # received: not handed over yet
    services.act(d, "transfer", user=users["motcua.xa"])
    task = ExternalTask.objects.get(dossier=d)
    assert outbox.drain()["delivered"] == 1
    (handed,) = residence_system["tasks"]
    assert handed["task"] == task.token and handed["dossier"]["code"] == d.code
    assert handed["dossier"]["applicant"]["id_number"] == AN["id_number"]
    assert [c["code"] for c in handed["dossier"]["components"]][:2] == ["TP01", "TP02"]

    secret = residence_system["secret"]
    assert answer(client, handed, secret, {"outcome": "approved"}, tamper=True).status_code == 401
    assert answer(client, handed, "wrong", {"outcome": "approved"}).status_code == 401
    bad = answer(client, handed, secret, {"outcome": "maybe"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    assert answer(client, handed, secret, {"outcome": "rejected"}).json()["error"]["code"] == "missing_reason"

    r = answer(client, handed, secret, {"outcome": "approved", "result_number": "125/XNTT"})
    assert r.status_code == 200, r.content
    assert r.json() == {
        "dossier": d.code,
        "outcome": "approved",
        "result_number": "125/XNTT",
        "state": "result_issued",
        "duplicate": False,
    }
    after = Dossier.objects.get(pk=d.pk)
    assert after.state == "result_issued" and after.outcome == "approved"
    event = after.events.get(action="issue_result")
    assert event.actor_role == "system" and event.payload["external_system"] == "cu-tru"
    again = answer(client, handed, secret, {"outcome": "approved", "result_number": "125/XNTT"})
    assert again.json()["duplicate"] is True and after.events.filter(action="issue_result").count() == 1
    assert client.post("/api/v1/external-tasks/khong-co/result", {}, content_type="application/json").status_code == 404


def test_inactive_system_is_not_handed_anything(users, residence_system):
    ExternalSystem.objects.update(active=False)
    d, _ = services.create_dossier(
        user=users["motcua.xa"],
        procedure_code="1.004222",
        channel="counter",
        applicant=AN,
        components=["TP01", "TP02"],
        identity={"status": "verified"},
        fee_paid=True,
    )
    services.act(d, "transfer", user=users["motcua.xa"])
    assert not ExternalTask.objects.exists() and outbox.drain()["claimed"] == 0
