"""Specialized systems (hệ thống chuyên ngành): the generic adapter that hands the processing of a
dossier to another system (civil status, residence, social insurance, land, tax…) and takes its
decision back.

* Hand-over: when a dossier of a procedure listed in an active ``ExternalSystem.procedures`` is
  transferred for processing (``HANDOVER_ACTIONS``), ``outbox.enqueue`` adds a message for
  ``system:<code>`` and an ``ExternalTask`` with a token, in the event's transaction. The message is
  delivered like a webhook (signed POST, retries, order, idempotency key) with ``handover_payload``:
  the dossier, the applicant and owner, the e-form, the components and where to answer.
* Decision: the system POSTs ``{"outcome": "approved" | "rejected", "result_number", "reason"}`` to
  ``/api/v1/external-tasks/<token>/result``, signed with the same secret (headers
  ``X-MotCua-Timestamp`` and ``X-MotCua-Signature``, as ``webhooks.sign``). ``record_result`` issues the
  result as the system (``act(..., "issue_result", by="system")``), once: a repeated answer returns the
  first outcome. For a linked bundle the next procedure then starts as usual.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .models import ExternalSystem, ExternalTask, TaskStatus

HANDOVER_ACTIONS = frozenset({"transfer"})


class TaskError(Exception):
    def __init__(self, message: str, code: str, status: int = 400):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


def systems_for(event, dossier) -> list[ExternalSystem]:
    if event.action not in HANDOVER_ACTIONS:
        return []
    code = dossier.version.procedure.code
    return [s for s in ExternalSystem.objects.filter(active=True) if code in (s.procedures or [])]


def handover_payload(event, dossier, task: ExternalTask, base_url: str) -> dict:
    def iso(value):
        return timezone.localtime(value).isoformat() if value else None

    return {
        "task": task.token,
        "answer_url": base_url.rstrip("/") + reverse("external-task-result", args=[task.token]),
        "event": {"id": event.pk, "action": event.action, "at": iso(event.at)},
        "dossier": {
            "code": dossier.code,
            "procedure": dossier.version.procedure.code,
            "procedure_name": dossier.version.name,
            "agency": dossier.agency.code,
            "received_at": iso(dossier.received_at),
            "due_at": iso(dossier.due_at),
            "applicant": {
                "type": dossier.applicant_type,
                "name": dossier.applicant_name,
                "id_number": dossier.applicant_id_number,
                "phone": dossier.applicant_phone,
                "address": dossier.applicant_address,
            },
            "owner": {"type": dossier.owner_type, "name": dossier.owner_name, "id_number": dossier.owner_id_number},
            "form_data": dossier.form_data or {},
            "components": [
                {"code": c.code, "name": c.name, "provided": c.provided, "source": c.source}
                for c in dossier.components.all()
            ],
        },
    }


def record_result(token: str, body: dict) -> dict:
    """The specialized system's decision on a task (signature already checked)."""
    from motcua.dossiers import services as dossiers

    if not isinstance(body, dict):
        raise TaskError("Nội dung phải là một đối tượng JSON.", "invalid_body")
    outcome = body.get("outcome")
    if outcome not in ("approved", "rejected"):
        raise TaskError("Trường outcome phải là 'approved' hoặc 'rejected'.", "invalid_outcome")
    reason = str(body.get("reason") or "").strip()[:2000]
    if outcome == "rejected" and not reason:
        raise TaskError("Kết quả từ chối phải có lý do (reason).", "missing_reason")
    with transaction.atomic():
        task = ExternalTask.objects.select_for_update().select_related("system", "dossier").filter(token=token).first()
        if task is None:
            raise TaskError("Không tìm thấy yêu cầu xử lý.", "not_found", 404)
        if task.status == TaskStatus.DONE:
            return {"dossier": task.dossier.code, **task.result, "duplicate": True}
        try:
            d = dossiers.act(
                task.dossier_id,
                "issue_result",
                by="system",
                reason=reason,
                data={
                    "outcome": outcome,
                    "result_number": str(body.get("result_number") or "")[:60],
                    "external_system": task.system.code,
                },
            )
        except dossiers.DossierError as exc:
            raise TaskError(exc.message, exc.code, 409) from None
        task.status, task.completed_at = TaskStatus.DONE, timezone.now()
        task.result = {"outcome": outcome, "result_number": str(body.get("result_number") or "")[:60], "state": d.state}
        task.save(update_fields=["status", "completed_at", "result"])
    return {"dossier": d.code, **task.result, "duplicate": False}
