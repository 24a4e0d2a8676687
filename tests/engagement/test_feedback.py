"""Feedback and complaints: submission (anonymous needs a contact), due date in working days, the
lifecycle received → assigned → answered → published with its history, staff scoping (another
agency's officer gets 404), the public list and the tracking page; never a 500 on bad input."""

import pytest

from motcua.engagement import feedback
from motcua.engagement.feedback import FeedbackError
from motcua.engagement.models import Feedback, FeedbackEvent
from motcua.engagement.states import FEEDBACK_HANDLING_DAYS, FEEDBACK_TRANSITIONS, FeedbackStatus
from motcua.identity.models import Person
from motcua.identity.services import login_vneid
from motcua.org.models import Desk

from .conftest import vn

CLAIMS = {
    "sub": "x",
    "citizen_id": "001085012345",
    "name": "Nguyễn Văn An",
    "birthdate": "1985-03-12",
    "gender": "male",
}
CONTENT = "Cán bộ hẹn trả kết quả nhưng đến ngày hẹn vẫn chưa có kết quả."


@pytest.fixture
def agency(users):
    return Desk.objects.get(code="MC-99001").agency


def send(target, now=vn(2026, 3, 3, 8, 0), **kwargs):
    values = {
        "kind": "phan_anh",
        "agency": target.pk,
        "subject": "Trả kết quả chậm",
        "content": CONTENT,
        "sender_name": "Lê Văn Cường",
        "phone": "0912 345 678",
        "now": now,
    }
    values.update(kwargs)
    return feedback.submit(**values)


def test_due_date_counts_working_days(agency):
    assert FEEDBACK_HANDLING_DAYS["phan_anh"] == 10
    item = send(agency)
    assert item.due_at == vn(2026, 3, 17, 8, 0)  # two working weeks
    # Across the Reunification day and Labour day (30/04, 01/05) and a weekend.
    item = send(agency, now=vn(2026, 4, 28, 9, 0), kind="kien_nghi")
    assert item.due_at == vn(2026, 5, 14, 9, 0)
    assert item.code.startswith("KN260428-") and item.status == FeedbackStatus.RECEIVED
    assert item.phone == "0912345678"


def test_anonymous_submission_needs_a_contact(agency):
    with pytest.raises(FeedbackError) as exc:
        send(agency, phone="", email="")
    assert "số điện thoại hoặc thư điện tử" in exc.value.errors["contact"]
    with pytest.raises(FeedbackError) as exc:
        send(agency, phone="12ab", email="khong-phai-email", sender_name="", subject="", content="ngắn")
    errors = exc.value.errors
    assert set(errors) == {"phone", "email", "sender_name", "subject", "content"}
    assert errors["phone"].startswith("Số điện thoại không hợp lệ")
    with pytest.raises(FeedbackError) as exc:
        send(agency, agency="abc")
    assert exc.value.errors["agency"] == "Cơ quan được chọn không tồn tại."
    with pytest.raises(FeedbackError) as exc:
        send(agency, dossier_code="000.00.00.H00-260303-9999")
    assert "Không tìm thấy hồ sơ" in exc.value.errors["dossier_code"]
    assert not Feedback.objects.exists()
    # Anonymous with an e-mail only is fine; a logged-in citizen needs no contact.
    assert send(agency, phone="", email="cuong@example.vn").id_number == ""
    person = Person.objects.create(id_number="001085012345", full_name="Nguyễn Văn An")
    item = send(agency, phone="", sender_name="", person=person)
    assert (item.id_number, item.sender_name) == ("001085012345", "Nguyễn Văn An")


def test_lifecycle_with_history(users, stranger, agency):
    officer, specialist = users["motcua.xa"], users["chuyenvien.xa"]
    item = send(agency)
    with pytest.raises(FeedbackError, match="Không thể công khai"):
        feedback.publish(item, officer, now=vn(2026, 3, 3, 9))
    with pytest.raises(FeedbackError) as exc:
        feedback.assign(item, officer, stranger)  # not a member of the agency
    assert "assignee" in exc.value.errors
    item = feedback.assign(item, officer, specialist, note="Đề nghị kiểm tra", now=vn(2026, 3, 3, 9))
    assert (item.status, item.assignee) == (FeedbackStatus.ASSIGNED, specialist)
    with pytest.raises(FeedbackError) as exc:
        feedback.answer(item, specialist, "  ", now=vn(2026, 3, 4, 9))
    assert "answer" in exc.value.errors
    item = feedback.answer(item, specialist, "Hồ sơ đã được trả kết quả ngày 04/03/2026.", now=vn(2026, 3, 4, 9))
    assert item.status == FeedbackStatus.ANSWERED and not item.is_late()
    with pytest.raises(FeedbackError, match="Không thể phân công"):
        feedback.assign(item, officer, specialist)
    item = feedback.publish(item, officer, now=vn(2026, 3, 4, 10))
    assert item.published and item.status == FeedbackStatus.PUBLISHED
    events = list(FeedbackEvent.objects.filter(feedback=item).values_list("action", "from_status", "to_status"))
    assert events == [
        ("submit", "", "received"),
        ("assign", "received", "assigned"),
        ("answer", "assigned", "answered"),
        ("publish", "answered", "published"),
    ]
    assert set(FEEDBACK_TRANSITIONS) == {"assign", "answer", "publish"}


def test_late_answer_is_recorded(users, agency):
    item = send(agency)
    item = feedback.answer(item, users["motcua.xa"], "Trả lời sau hạn mười ngày.", now=vn(2026, 3, 18, 9))
    assert item.is_late() and item.events.last().payload == {"late": True}


def test_staff_of_another_agency_get_404(client, users, stranger, agency):
    item = send(agency)
    with pytest.raises(FeedbackError, match="Không tìm thấy"):
        feedback.answer(item, stranger, "Không phải việc của cơ quan tôi.")
    client.force_login(stranger)
    assert client.get(f"/can-bo/phan-anh-kien-nghi/{item.code}/").status_code == 404
    response = client.post(f"/can-bo/phan-anh-kien-nghi/{item.code}/", {"action": "publish"})
    assert response.status_code == 404
    assert item.code not in client.get("/can-bo/phan-anh-kien-nghi/").content.decode()
    # A citizen account is no staff at all.
    client.force_login(login_vneid(CLAIMS))
    assert client.get("/can-bo/phan-anh-kien-nghi/").status_code == 403
    client.logout()
    response = client.get("/can-bo/phan-anh-kien-nghi/")
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]


def test_staff_pages(client, users, agency):
    late = send(agency, now=vn(2025, 3, 3, 8, 0))  # long overdue by now
    client.force_login(users["motcua.xa"])
    html = client.get("/can-bo/phan-anh-kien-nghi/").content.decode()
    assert late.code in html and "mc-row-late" in html and "quá hạn" in html
    assert late.code in client.get("/can-bo/phan-anh-kien-nghi/?qua_han=1").content.decode()
    assert late.code not in client.get("/can-bo/phan-anh-kien-nghi/?trang_thai=answered").content.decode()

    url = f"/can-bo/phan-anh-kien-nghi/{late.code}/"
    assert client.get(url).status_code == 200
    specialist = users["chuyenvien.xa"]
    assert client.post(url, {"action": "assign", "assignee": "x"}).status_code == 400
    assert client.post(url, {"action": "nonsense"}).status_code == 400
    assert client.post(url, {"action": "assign", "assignee": specialist.pk}).status_code == 302
    response = client.post(url, {"action": "answer", "answer": ""})
    assert response.status_code == 400 and "Nội dung trả lời cần ít nhất" in response.content.decode()
    answer = "Cơ quan đã kiểm tra và trả kết quả cho công dân."
    assert client.post(url, {"action": "answer", "answer": answer}).status_code == 302
    assert client.post(url, {"action": "publish"}).status_code == 302
    late.refresh_from_db()
    assert late.status == FeedbackStatus.PUBLISHED and late.answered_by == users["motcua.xa"]
    assert late.assignee == specialist

    # Published: on the public list, without the sender's name or phone.
    html = client.get("/phan-anh-kien-nghi/").content.decode()
    assert answer in html and "Trả kết quả chậm" in html
    assert "Lê Văn Cường" not in html and "0912345678" not in html


def test_public_pages_anonymous(client, users, agency):
    html = client.get("/phan-anh-kien-nghi/gui/").content.decode()
    assert 'name="agency"' in html and "Họ và tên" in html and "Phản ánh" in html
    form = {"kind": "phan_anh", "agency": agency.pk, "subject": "Thái độ cán bộ", "content": CONTENT}
    response = client.post("/phan-anh-kien-nghi/gui/", {**form, "sender_name": "Lê Văn Cường"})
    assert response.status_code == 400
    assert "để lại số điện thoại hoặc thư điện tử" in response.content.decode()
    for bad in [{"agency": "9999999"}, {"kind": "xyz"}, {"agency": "<script>"}]:
        assert client.post("/phan-anh-kien-nghi/gui/", {**form, **bad}).status_code == 400
    response = client.post("/phan-anh-kien-nghi/gui/", {**form, "sender_name": "Lê Văn Cường", "phone": "0912345678"})
    assert response.status_code == 302
    item = Feedback.objects.get()
    assert response["Location"] == f"/phan-anh-kien-nghi/{item.code}/"
    html = client.get(response["Location"]).content.decode()
    assert item.code in html and "Đã tiếp nhận" in html and "Thái độ cán bộ" in html
    assert client.get(f"/phan-anh-kien-nghi/{item.code.lower()}/").status_code == 200
    assert client.get("/phan-anh-kien-nghi/PA000000-XXXXXX/").status_code == 404
    response = client.get(f"/phan-anh-kien-nghi/?ma={item.code}")
    assert response.status_code == 302 and response["Location"] == f"/phan-anh-kien-nghi/{item.code}/"
    for typo in ["31/02/2026", "<script>", "PA?x"]:  # not a code: said so on the list, never a 500
        response = client.get("/phan-anh-kien-nghi/", {"ma": typo})
        assert response.status_code == 400 and "Mã tra cứu không đúng định dạng" in response.content.decode()
    # Not yet published: not on the public list.
    assert item.code not in client.get("/phan-anh-kien-nghi/").content.decode()
    assert "Thái độ cán bộ" not in client.get("/phan-anh-kien-nghi/").content.decode()


def test_logged_in_citizen_submits_without_contact(client, users, agency):
    client.force_login(login_vneid(CLAIMS))
    form = {"kind": "kien_nghi", "agency": agency.pk, "subject": "Thêm quầy", "content": CONTENT}
    response = client.post("/phan-anh-kien-nghi/gui/", form)
    assert response.status_code == 302
    assert Feedback.objects.get().id_number == CLAIMS["citizen_id"]
