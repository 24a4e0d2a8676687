"""The base of every API view (``ApiView``, or ``ApiMixin`` on a generic view): each request made with a
client-credentials token is written to ``ApiCall`` (one INSERT once the response is ready; a failure
to log never fails the call)."""

from __future__ import annotations

import ipaddress
import logging
import time

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.views import APIView

from motcua.dossiers.tracking import client_address

from .models import ApiCall

log = logging.getLogger(__name__)


def record_call(request, response, started: float, dossier_code: str = "") -> None:
    """Log a machine client's call (nothing for staff, anonymous callers or unauthenticated requests)."""
    token = getattr(request, "_auth", None)  # set only once authentication ran; never re-run it here
    application = getattr(token, "application", None)
    if application is None or getattr(token, "user_id", None) is not None:
        return
    address = client_address(request)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        address = None
    try:
        ApiCall(
            at=timezone.now(),
            client_id=application.client_id[:100],
            application_id=application.pk,
            method=request.method[:10],
            path=request.path[:300],
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            remote_addr=address,
            dossier_code=(dossier_code or "")[:40],
        ).save()
    except Exception:  # the call itself succeeded or failed on its own: never turn it into a 500
        log.exception("Could not log the API call of client %s", application.client_id)


class ApiMixin:
    """Every API view: the machine client's call is logged (``dossier_kwarg``: the URL argument naming
    the dossier the call is about; a view may also set ``self.audit_dossier_code``, a created dossier).
    On a ``public`` view (public data) a bad or expired token is ignored: the call is served as to anyone."""

    dossier_kwarg: str | None = None
    audit_dossier_code = ""
    public = False

    def perform_authentication(self, request):
        if not self.public:
            return super().perform_authentication(request)
        try:
            request.user  # noqa: B018  (authenticates)
        except exceptions.APIException:
            pass  # the request is left anonymous (DRF sets it so before raising)

    def dispatch(self, request, *args, **kwargs):
        started = time.perf_counter()
        response = super().dispatch(request, *args, **kwargs)
        code = self.audit_dossier_code or (kwargs.get(self.dossier_kwarg, "") if self.dossier_kwarg else "")
        record_call(self.request, response, started, str(code))
        return response


class ApiView(ApiMixin, APIView):
    pass
