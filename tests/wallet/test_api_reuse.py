"""Composing a dossier through the API (online systems, the portal's wizard): components marked
``reuse`` are checked against the e-data store and the national databases, never uploaded."""

from rest_framework.test import APIClient

from motcua.dossiers.models import Dossier
from motcua.wallet.models import Reuse
from tests.api.conftest import assert_error

from .conftest import AN, issue

URL = "/api/v1/dossiers/"


def staff(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(components):
    return {
        "procedure": "1.000894",
        "channel": "counter",
        "desk": "MC-99001",
        "applicant": AN,
        "components": components,
        "return_channel": "counter",
    }


def test_reuse_by_store_address_and_population_data(users, held):
    r = staff(users["motcua.xa"]).post(
        URL,
        body(["TP01", {"code": "TP02", "reuse": held.uri}, {"code": "TP04", "reuse": "population_db"}]),
        format="json",
    )
    assert r.status_code == 201, r.content
    sources = {c["code"]: c["source"] for c in r.json()["components"] if c["provided"]}
    assert sources == {"TP01": "applicant", "TP02": "data_store", "TP04": "population_db"}
    d = Dossier.objects.get(code=r.json()["code"])
    assert set(Reuse.objects.filter(dossier=d).values_list("component_code", "document_id")) == {
        ("TP02", held.pk),
        ("TP04", None),
    }


def test_a_reuse_the_rule_does_not_offer_is_a_400(users, held):
    client = staff(users["motcua.xa"])
    other = issue(users, owner={"name": "Lê Văn Kiểm", "id_number": "056085012345"})
    for ref, code in [
        (other.uri, "invalid_reuse"),  # someone else's paper
        ("vn.gov.99-1.004873.KQ01-999999", "invalid_reuse"),  # no such document
        ("population_db", "invalid_reuse"),  # TP02 is not population data
    ]:
        r = client.post(URL, body(["TP01", {"code": "TP02", "reuse": ref}]), format="json")
        assert_error(r, 400, code)
    r = client.post(URL, body(["TP01", {"code": "TP02", "reuse": 7}]), format="json")
    assert r.status_code == 400
    assert Dossier.objects.count() == 2  # only the two that issued the certificates
