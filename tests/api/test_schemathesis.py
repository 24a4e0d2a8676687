"""Property-based fuzzing of every operation of our OpenAPI schema (schemathesis, in process through
the WSGI application): no input may cause a server error (5xx), for a staff user (desk officer of
MC-99001, DRF token) and for a machine client holding every scope and every agency (client
credentials): one pytest test per operation and caller.

Bounded: the examples and fuzzing phases only (no coverage or stateful phase), valid and invalid
inputs, ``MAX_EXAMPLES`` per operation and caller, a fixed seed (the same cases on every run). Half
of the cases that name a dossier (``code``) or a result document are pointed at real ones, so that
the handlers run past the lookup. ``FUZZ_SCALE=N`` multiplies the examples (an exploratory run outside the test
command)."""

from __future__ import annotations

import datetime as dt
import os
import zlib

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, settings
from oauth2_provider.models import AccessToken, Application
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

from motcua.api.models import ApiClient
from motcua.org.models import Agency

from .conftest import ALL_SCOPES, act, receive, result_document

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

MAX_EXAMPLES = 15 * max(1, int(os.environ.get("FUZZ_SCALE", "1")))
CONFIG = {
    "seed": 20261125,
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    "generation": {
        "mode": "all",  # valid and invalid inputs
        "max-examples": MAX_EXAMPLES,
        "with-security-parameters": False,  # our fixture sends the credentials
        "database": "none",  # no .hypothesis folder: the seed makes runs repeatable
    },
}


@pytest.fixture(scope="module", autouse=True)
def _connections_kept():
    """Calls go straight to the WSGI application: keep Django from closing the (test) database
    connection at the end of each request, as its own test client does."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _load_schema():
    """Our schema, from the application itself (no database needed to build it)."""
    from motcua.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/", application, config=SchemathesisConfig.from_dict(CONFIG))


# Loaded when the module is collected: one pytest test per operation and caller (the lazy
# ``schemathesis.pytest.from_fixture`` does not run on pytest 9).
schema = _load_schema()


@pytest.fixture
def rows(users):
    """A dossier both callers may read (in processing) and a result document of it."""
    dossier = act(users, receive(users), "transfer", "motcua.xa")
    return dossier, result_document(dossier)


@pytest.fixture
def staff_headers(users):
    token = Token.objects.create(user=users["motcua.xa"])
    return {"Authorization": f"Token {token.key}"}


@pytest.fixture
def client_headers(db):
    """A registered machine client with every scope, for every agency."""
    app = Application.objects.create(
        name="LGSP (schemathesis)",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    client = ApiClient.objects.create(application=app, scopes=ALL_SCOPES, rate="100000/min")
    client.agencies.set(Agency.objects.all())
    token = AccessToken.objects.create(
        application=app,
        token=f"schemathesis-{app.pk}",
        scope=ALL_SCOPES,
        expires=timezone.now() + dt.timedelta(hours=1),
    )
    return {"Authorization": f"Bearer {token.token}"}


def _aim_at_real_rows(case, rows) -> None:
    """Every other case that names a dossier (and a result document) names real ones."""
    dossier, document = rows
    params = case.path_parameters or {}
    code = params.get("code")
    if not isinstance(code, str) or not case.path.startswith("/api/v1/dossiers/"):
        return
    if zlib.crc32(code.encode("utf-8", "surrogatepass")) % 2:
        return
    params["code"] = dossier.code
    if "document" in params:
        params["document"] = document.pk


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_a_server_error_for_staff(case, rows, staff_headers):
    _aim_at_real_rows(case, rows)
    case.call_and_validate(headers=staff_headers, checks=[not_a_server_error])


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_a_server_error_for_a_machine_client(case, rows, client_headers):
    _aim_at_real_rows(case, rows)
    case.call_and_validate(headers=client_headers, checks=[not_a_server_error])
