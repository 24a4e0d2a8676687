"""Citizen accounts: VNeID login (real OIDC code + PKCE flow against the simulator), local accounts
linked to the same person, organizations' representatives from the business registry."""

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client

from motcua.identity import services
from motcua.identity.models import CitizenAccount, Person, Representative

AN = "001085012345"


def browser() -> Client:
    # The simulator accepts redirect URIs on localhost/127.0.0.1 with a port, as a deployment registers its own.
    return Client(HTTP_HOST="localhost:8000")


def vneid_login(client: Client, id_number: str = AN, password: str = "123456", action: str = "login"):
    """Drive the OIDC flow: our redirect → the provider's login form → back to our callback."""
    start = client.get("/cong-dan/dang-nhap/vneid/")
    assert start.status_code == 302, start.content[:500]
    page = requests.get(start["Location"], timeout=5)
    assert page.status_code == 200 and "VNeID" in page.text
    hidden = {
        unescape(n): unescape(v) for n, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
    }
    assert hidden["code_challenge_method"] == "S256" and hidden["code_challenge"] and hidden["nonce"]
    form_url = start["Location"].split("?")[0]
    back = requests.post(
        form_url,
        data={**hidden, "id_number": id_number, "password": password, "action": action},
        allow_redirects=False,
        timeout=5,
    )
    if back.status_code != 302:
        return back
    target = urlsplit(back.headers["Location"])
    return client.get(f"{target.path}?{target.query}")


@pytest.mark.django_db
def test_vneid_login_resolves_to_one_person_and_opens_the_data_store(simulators):
    client = browser()
    r = vneid_login(client)
    assert r.status_code == 302 and r["Location"] == "/cong-dan/kho-du-lieu/"
    person = Person.objects.get(id_number=AN)
    assert person.full_name == "Nguyễn Văn An" and person.verified_at is not None
    page = client.get("/cong-dan/kho-du-lieu/")
    assert page.status_code == 200 and "Kho dữ liệu điện tử của Nguyễn Văn An" in page.content.decode()
    # Logging in again (another browser) is the same user.
    again = browser()
    vneid_login(again)
    assert CitizenAccount.objects.filter(person=person).count() == 1
    assert again.session["_auth_user_id"] == client.session["_auth_user_id"]


@pytest.mark.django_db
def test_cancelled_or_tampered_login_is_refused_with_a_message(simulators):
    client = browser()
    r = vneid_login(client, action="cancel")
    assert r.status_code == 302 and r["Location"] == "/cong-dan/dang-nhap/"
    assert "hủy đăng nhập" in client.get("/cong-dan/dang-nhap/").content.decode()
    # A callback whose state this session never issued.
    r = client.get("/cong-dan/dang-nhap/vneid/ket-qua/?code=abc&state=forged")
    assert r.status_code == 302 and "_auth_user_id" not in client.session
    assert "không thành công" in client.get("/cong-dan/dang-nhap/").content.decode()


@pytest.mark.django_db
def test_wrong_password_stays_on_the_provider(simulators):
    r = vneid_login(browser(), password="sai")
    assert r.status_code == 200 and "login-error" in r.text


@pytest.mark.django_db
def test_provider_down_gives_a_message_not_an_error(simulators, settings):
    settings.VNEID_ISSUER = "http://127.0.0.1:9"  # nothing listens there
    client = browser()
    r = client.get("/cong-dan/dang-nhap/vneid/")
    assert r.status_code == 302 and r["Location"] == "/cong-dan/dang-nhap/"
    assert "không phản hồi" in client.get("/cong-dan/dang-nhap/").content.decode()


@pytest.mark.django_db
def test_local_account_resolves_to_the_person_only_once_linked(simulators):
    local = services.register_local_account(
        email="An.Nguyen@example.vn", password="Mat-khau-2026!", full_name="Nguyễn Văn An", id_number=AN
    )
    client = browser()
    credentials = {"email": "an.nguyen@example.vn", "password": "Mat-khau-2026!"}
    assert client.post("/cong-dan/dang-nhap/", credentials).status_code == 302
    r = client.get("/cong-dan/kho-du-lieu/")
    assert r.status_code == 403 and "chưa được xác thực" in r.content.decode()  # a claim proves nothing
    # From a VNeID session, the citizen proves the local account is theirs.
    vneid = browser()
    vneid_login(vneid)
    r = vneid.post("/cong-dan/tai-khoan/", {"action": "link_local", "email": "an.nguyen@example.vn", "password": "sai"})
    assert r.status_code == 400 and "không đúng" in r.content.decode()
    r = vneid.post(
        "/cong-dan/tai-khoan/", {"action": "link_local", "email": "an.nguyen@example.vn", "password": "Mat-khau-2026!"}
    )
    assert r.status_code == 302
    assert services.person_of(local).id_number == AN
    assert client.get("/cong-dan/kho-du-lieu/").status_code == 200  # the local login now opens the same store


@pytest.mark.django_db
def test_a_local_account_claiming_another_id_cannot_be_linked(simulators):
    services.register_local_account(
        email="khac@example.vn", password="Mat-khau-2026!", full_name="Người Khác", id_number="056085012345"
    )
    vneid = browser()
    vneid_login(vneid)
    r = vneid.post(
        "/cong-dan/tai-khoan/", {"action": "link_local", "email": "khac@example.vn", "password": "Mat-khau-2026!"}
    )
    assert r.status_code == 400 and "khác số định danh" in r.content.decode()


@pytest.mark.django_db
def test_local_account_rules():
    with pytest.raises(services.IdentityError, match="không hợp lệ"):
        services.register_local_account(email="x", password="Mat-khau-2026!", full_name="A", id_number=AN)
    with pytest.raises(services.IdentityError, match="12 chữ số"):
        services.register_local_account(email="a@b.vn", password="Mat-khau-2026!", full_name="A", id_number="123")
    services.register_local_account(email="a@b.vn", password="Mat-khau-2026!", full_name="A", id_number=AN)
    with pytest.raises(services.IdentityError, match="đã được dùng"):
        services.register_local_account(email="A@b.vn", password="Mat-khau-2026!", full_name="A", id_number=AN)


@pytest.mark.django_db
def test_representative_of_an_organization_from_the_business_registry(simulators):
    from simulators.business.enterprises import FIXED_CODE

    client = browser()
    vneid_login(client)
    r = client.post("/cong-dan/tai-khoan/", {"action": "link_org", "code": "0109876531"})
    assert r.status_code == 400 and "sai chữ số kiểm tra" in r.content.decode()
    r = client.post("/cong-dan/tai-khoan/", {"action": "link_org", "code": FIXED_CODE})
    assert r.status_code == 302
    rep = Representative.objects.get()
    assert rep.person.id_number == AN and rep.organization.name == "Công ty TNHH Dịch vụ Tân Lập"
    # Now the citizen may open the organization's store too.
    page = client.get(f"/cong-dan/kho-du-lieu/?chu={FIXED_CODE}").content.decode()
    assert "Kho dữ liệu điện tử của Công ty TNHH Dịch vụ Tân Lập" in page
    # Someone else is not its representative.
    other = Person.objects.create(id_number="056085012345", full_name="Lê Văn Kiểm")
    with pytest.raises(services.IdentityError, match="không ghi nhận"):
        services.link_representative(other, FIXED_CODE)


@pytest.mark.django_db
def test_local_sign_up_needs_a_confirmed_email(mailoutbox, simulators):
    client = browser()
    form = {"full_name": "Nguyễn Văn An", "id_number": AN, "email": "an@example.vn", "password": "Mat-khau-2026!"}
    r = client.post("/cong-dan/dang-ky/", {**form, "password2": "khac"})
    assert r.status_code == 400 and "không khớp" in r.content.decode()
    r = client.post("/cong-dan/dang-ky/", {**form, "id_number": "123", "password2": form["password"]})
    assert r.status_code == 400 and "12 chữ số" in r.content.decode()
    r = client.post("/cong-dan/dang-ky/", {**form, "password2": form["password"]})
    assert r.status_code == 200 and "an@example.vn" in r.content.decode()
    [mail] = mailoutbox
    link = re.search(r"http://localhost:8000(/cong-dan/dang-ky/xac-nhan/\S+/)", mail.body).group(1)
    r = client.post("/cong-dan/dang-nhap/", {"email": "an@example.vn", "password": form["password"]})
    assert r.status_code == 400 and "chưa được kích hoạt" in r.content.decode()
    assert client.get(link).status_code == 302 and "_auth_user_id" in client.session
    assert client.get(link)["Location"] == "/cong-dan/dang-nhap/"  # a used link does nothing
    fresh = browser()
    assert (
        fresh.post("/cong-dan/dang-nhap/", {"email": "an@example.vn", "password": form["password"]}).status_code == 302
    )


@pytest.mark.django_db
def test_notification_preferences_on_the_account_page(simulators):
    from motcua.engagement.models import NotificationPreference

    client = browser()
    vneid_login(client)
    assert 'id="prefs"' in client.get("/cong-dan/tai-khoan/").content.decode()
    assert client.post("/cong-dan/tai-khoan/", {"action": "prefs", "email": "1"}).status_code == 302
    pref = NotificationPreference.objects.get(id_number=AN)
    assert (pref.email_enabled, pref.sms_enabled) == (True, False)
