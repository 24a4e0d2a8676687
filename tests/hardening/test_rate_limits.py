"""Rate limits on submission: a citizen's online submissions (per person) and dossier creation through the
API (per staff user / machine client), fixed windows in the shared cache. (Public tracking's limit is
covered by tests/api/test_public_tracking.py and tests/portal/test_public.py; staff login by the auth tests.)"""

import pytest
from django.core.cache import cache

from motcua.dossiers.models import Dossier, Draft
from motcua.identity import services as identity
from tests.api.test_dossiers_create import URL, body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cold_cache():
    cache.clear()
    yield
    cache.clear()


def review_url(client, code="1.001193") -> str:
    r = client.get(f"/cong-dan/nop-ho-so/{code}/")
    assert r.status_code == 302
    return f"/cong-dan/ho-so-nhap/{Draft.objects.latest('pk').key}/xem-lai/"


def test_citizen_submissions_are_limited_per_person(client, province, citizen, settings):
    settings.CITIZEN_SUBMIT_RATE = "2/hour"
    client.force_login(citizen)
    url = review_url(client)
    for _ in range(2):  # an incomplete draft is refused on its merits (400), each attempt counts
        r = client.post(url)
        assert r.status_code == 400 and "quá nhiều" not in r.content.decode()
    r = client.post(url)
    assert r.status_code == 429
    page = r.content.decode()
    assert "Bạn đã nộp quá nhiều hồ sơ trong thời gian ngắn. Vui lòng thử lại sau" in page
    assert "phút" in page or "giây" in page  # the fixed window may be about to end
    assert not Dossier.objects.exists()
    # Another citizen has a window of their own.
    other = identity.login_vneid({"sub": "kiem", "citizen_id": "056085012345", "name": "Lê Văn Kiểm"})
    client.force_login(other)
    assert client.post(review_url(client)).status_code == 400


def test_api_dossier_creation_is_limited_per_user(client_for, settings):
    settings.API_DOSSIER_CREATE_RATE = "2/min"
    api = client_for("motcua.xa")
    assert api.post(URL, body(), format="json").status_code == 201
    assert api.post(URL, {"procedure": ""}, format="json").status_code == 400  # counted too
    r = api.post(URL, body(), format="json")
    assert r.status_code == 429
    error = r.json()["error"]
    assert error["code"] == "throttled" and "quá nhiều yêu cầu" in error["message"]
    assert 1 <= error["details"]["retry_after"] <= 61 and int(r["Retry-After"]) >= 1
    assert Dossier.objects.count() == 1
    # Another officer is not affected; reading is not limited by it.
    assert client_for("motcua.huyen").post(URL, body(desk=None), format="json").status_code != 429
    assert api.get(URL).status_code == 200
