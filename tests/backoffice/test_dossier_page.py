"""The dossier page: what it shows, the actions it offers per role (one rule with ``act``), acting
through it (errors in Vietnamese next to the form, a stale page → 412), notes, slips, access."""

import re

import pytest

from motcua.audit.models import DataAccess
from motcua.dossiers import actions, services
from motcua.dossiers.models import Dossier, DossierNote
from motcua.dossiers.states import TRANSITIONS, State

from .conftest import act, at_leader, at_specialist, days_ago, receive, with_result


def page(code: str) -> str:
    return f"/can-bo/ho-so/{code}/"


def offered(html: str) -> list[str]:
    """The actions whose forms the page shows, in order."""
    return re.findall(r'<details class="mc-action[^"]*" id="act-(\w+)"', html)


def test_anonymous_is_sent_to_login_and_strangers_get_404(client, users, login, stranger):
    d = at_specialist(users)
    r = client.get(page(d.code))
    assert r.status_code == 302 and "/dang-nhap/" in r["Location"]
    other = login("motcua.khac")
    assert other.get(page(d.code)).status_code == 404
    assert other.post(f"{page(d.code)}thao-tac/forward/", {"expected_version": d.lock_version}).status_code == 404
    assert other.post(f"{page(d.code)}ghi-chu/", {"text": "xem trộm"}).status_code == 404
    assert other.get(f"{page(d.code)}phieu/01/").status_code == 404
    assert login("chuyenvien.stp").get(page(d.code)).status_code == 404  # a provincial department
    assert login("chuyenvien.xa").get(page("000.01.31.H99-000000-9999")).status_code == 404
    assert Dossier.objects.get(pk=d.pk).lock_version == d.lock_version


def test_page_shows_the_dossier_timeline_history_and_logs_the_read(users, login):
    d = at_specialist(users, now=days_ago(21))
    r = login("chuyenvien.xa").get(page(d.code))
    assert r.status_code == 200
    html = r.content.decode()
    for text in (
        d.code,
        "Đăng ký khai sinh",
        "mã 1.001193, phiên bản 1",
        "Nguyễn Văn An",
        "001085012345",
        "Trực tiếp tại bộ phận một cửa",
        "UBND phường Bình Minh",
        "TP01",
        "Giấy chứng sinh",
        "Đã nộp",
        "Tệp đính kèm",
        "Tiến trình xử lý",
        "Thẩm định",
        "Lịch sử xử lý",
        "Tiếp nhận hồ sơ",
        "Chuyển hồ sơ đến cơ quan giải quyết",
        "Cán bộ một cửa",
        "Hồ sơ quá hạn",
    ):
        assert text.lower() in html.lower(), text
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", html)
    # The late step is marked in the timeline (time used vs budget).
    assert re.search(r'<tr class="mc-due--late">\s*<td>2\. Thẩm định', html)
    assert "/ 1 ngày 4 giờ" in html  # budget 1.5 days
    log = DataAccess.objects.get(purpose="xem hồ sơ")
    assert (log.object_ref, log.user.username, log.action) == (d.code, "chuyenvien.xa", "read")


def test_allowed_actions_per_role_and_state(users, login):
    d = at_specialist(users)
    spec = offered(login("chuyenvien.xa").get(page(d.code)).content.decode())
    lead = offered(login("lanhdao.xa").get(page(d.code)).content.decode())
    desk = offered(login("motcua.xa").get(page(d.code)).content.decode())
    assert "forward" in spec and "acknowledge" in spec
    assert "issue_result" not in spec and "assign" not in spec and "stop" not in spec
    assert {"issue_result", "assign", "stop", "forward"} <= set(lead)
    assert "forward" not in desk and "issue_result" not in desk and "withdraw" in desk
    # Only staff actions, only from the dossier's state.
    for names in (spec, lead, desk):
        assert all(d.state in TRANSITIONS[a].sources for a in names)
        assert "start_linked" not in names and "accept" not in names

    # Acknowledged once: no longer offered.
    act(users, d, "acknowledge", "chuyenvien.xa")
    assert "acknowledge" not in offered(login("chuyenvien.xa").get(page(d.code)).content.decode())

    done = with_result(users)
    assert offered(login("motcua.xa").get(page(done.code)).content.decode()) == ["return_result"]
    assert offered(login("chuyenvien.xa").get(page(done.code)).content.decode()) == ["deliver"]


def test_step_bound_actions_are_offered_only_to_the_steps_role(users, login):
    """At the leader's step the specialist of the same agency is not offered "forward", and ``act``
    refuses it with the step's role in the message (one rule: ``services._authorize``)."""
    d = at_leader(users)
    assert "forward" not in offered(login("chuyenvien.xa").get(page(d.code)).content.decode())
    assert "forward" not in {t.action for t in actions.allowed_actions(d, users["chuyenvien.xa"])}
    with pytest.raises(services.NotAllowed, match="do lãnh đạo phê duyệt thực hiện"):
        services.act(d, "forward", user=users["chuyenvien.xa"])
    assert "issue_result" in offered(login("lanhdao.xa").get(page(d.code)).content.decode())


def test_a_consultation_is_answered_by_the_consulted_agency_only(users, login):
    """The marriage process consults the commune police: its specialist answers; the commune's own
    specialist (of the dossier's agency) is neither offered the answer nor allowed it."""
    from motcua.org.models import Agency, StaffMembership
    from motcua.org.roles import Role

    from .conftest import MARRIAGE

    d = receive(users, code=MARRIAGE, components=["TP01"])
    d = act(users, d, "transfer", "motcua.xa")
    d = act(users, d, "consult", "chuyenvien.xa")
    police = d.steps.get(parallel=True).agency
    assert police.kind == "police"
    assert StaffMembership.objects.filter(user=users["congan.xa"], agency=police, role=Role.SPECIALIST).exists()
    assert "answer_consultation" not in offered(login("chuyenvien.xa").get(page(d.code)).content.decode())
    with pytest.raises(services.NotAllowed):
        services.act(d, "answer_consultation", user=users["chuyenvien.xa"], data={"opinion": "Tự trả lời"})
    assert "answer_consultation" in offered(login("congan.xa").get(page(d.code)).content.decode())
    d = services.act(d, "answer_consultation", user=users["congan.xa"], data={"opinion": "Thống nhất"})
    assert d.events.last().agency == police and Agency.objects.filter(pk=police.pk).exists()


def test_allowed_actions_is_the_authorization_rule_of_act(users):
    """Whatever is offered passes ``act``'s role check; whatever is not offered is refused by it."""
    d = at_specialist(users)
    for username in ("motcua.xa", "chuyenvien.xa", "lanhdao.xa", "chuyenvien.stp", "buudien"):
        user = users[username]
        names = {t.action for t in actions.allowed_actions(d, user)}
        for t in TRANSITIONS.values():
            if d.state not in t.sources or t.action == "acknowledge":
                continue
            try:
                services._authorize(user, None, d, t, d.current_step)
                authorized = True
            except services.NotAllowed:
                authorized = False
            staff = bool(t.actors & actions.STAFF_ROLES)
            assert (t.action in names) == (authorized and staff), (username, t.action)
    assert actions.allowed_actions(d, None) == []


def test_forward_through_the_page(users, login):
    d = at_specialist(users)
    c = login("chuyenvien.xa")
    html = c.get(page(d.code)).content.decode()
    assert f'name="expected_version" value="{d.lock_version}"' in html
    r = c.post(f"{page(d.code)}thao-tac/forward/", {"expected_version": d.lock_version, "reason": "Hồ sơ hợp lệ"})
    assert r.status_code == 302 and r["Location"] == page(d.code)
    d.refresh_from_db()
    assert d.current_step.name.startswith("Phê duyệt")
    event = d.events.last()
    assert (event.action, event.actor.username, event.reason) == ("forward", "chuyenvien.xa", "Hồ sơ hợp lệ")
    html = c.get(page(d.code)).content.decode()
    assert "Đã thực hiện “Chuyển bước xử lý tiếp theo” đối với hồ sơ" in html


def test_a_stale_page_gets_the_vietnamese_412_message(users, login):
    d = at_specialist(users)
    seen = d.lock_version
    act(users, d, "acknowledge", "chuyenvien.xa")  # someone else, meanwhile
    r = login("chuyenvien.xa").post(f"{page(d.code)}thao-tac/forward/", {"expected_version": seen})
    assert r.status_code == 412
    html = r.content.decode()
    assert f"Hồ sơ {d.code} vừa được người khác cập nhật; vui lòng tải lại trước khi thao tác." in html
    assert re.search(r'<details class="mc-action mc-action--error" id="act-forward" open>', html)
    assert f'name="expected_version" value="{seen + 1}"' in html  # the page now shows the current data
    assert Dossier.objects.get(pk=d.pk).current_step.order == 2


@pytest.mark.parametrize(
    "action, post, status, field, message",
    [
        ("send_back", {}, 400, "reason", "Vui lòng nhập lý do trả lại."),
        ("apologize", {"new_due": "2026-13-01", "reason": "Chờ xác minh"}, 400, "new_due", "dd/mm/yyyy"),
        ("assign", {}, 400, "assignee", "Vui lòng chọn cán bộ được phân công."),
        ("assign", {"assignee": "lanhdao.stp"}, 400, "assignee", "không thuộc"),
        ("issue_result", {"outcome": "rejected"}, 400, "reason", "Vui lòng nhập lý do không giải quyết."),
        ("request_fee", {"amount": "năm mươi"}, 400, "amount", "Số tiền phải là số nguyên"),
    ],
)
def test_bad_input_is_explained_next_to_the_field(users, login, action, post, status, field, message):
    d = at_specialist(users)
    r = login("lanhdao.xa").post(f"{page(d.code)}thao-tac/{action}/", {"expected_version": d.lock_version, **post})
    assert r.status_code == status
    html = r.content.decode()
    block = html.split(f'id="act-{action}"')[1].split("</details>")[0]
    assert re.search(rf'id="{action}-{field}-error" role="alert">[^<]*{re.escape(message)}', block), block[:2000]
    assert Dossier.objects.get(pk=d.pk).lock_version == d.lock_version


def test_an_action_no_longer_offered_still_shows_its_error(users, login):
    d = at_specialist(users)
    r = login("motcua.xa").post(f"{page(d.code)}thao-tac/transfer/", {"expected_version": d.lock_version})
    assert r.status_code == 409
    assert "Không thể thực hiện “Chuyển hồ sơ đến cơ quan giải quyết” khi hồ sơ" in r.content.decode()
    assert login("motcua.xa").post(f"{page(d.code)}thao-tac/bogus/", {}).status_code == 404


def test_request_supplement_lists_components_and_issue_result_records_the_number(users, login):
    d = at_specialist(users)
    c = login("chuyenvien.xa")
    html = c.get(page(d.code)).content.decode()
    assert 'name="missing" value="TP02"' in html
    r = c.post(
        f"{page(d.code)}thao-tac/request_supplement/",
        {
            "expected_version": d.lock_version,
            "missing": ["TP02"],
            "reason": "Giấy chứng sinh mờ",
            "items": "Bản sao",
        },
    )
    assert r.status_code == 302
    d.refresh_from_db()
    assert d.state == State.SUPPLEMENT_REQUESTED
    assert d.events.last().payload["missing"] == ["TP02"]
    assert d.events.last().payload["items"] == ["Bản sao"]

    other = at_leader(users)
    r = login("lanhdao.xa").post(
        f"{page(other.code)}thao-tac/issue_result/",
        {"expected_version": other.lock_version, "outcome": "approved", "result_number": "15/2026/KS"},
    )
    assert r.status_code == 302
    other.refresh_from_db()
    assert other.state == State.RESULT_ISSUED and other.events.last().payload["result_number"] == "15/2026/KS"


def test_assign_offers_the_staff_of_the_step_agency(users, login):
    d = at_specialist(users)
    c = login("lanhdao.xa")
    html = c.get(page(d.code)).content.decode()
    block = html.split('id="act-assign"')[1].split("</details>")[0]
    assert 'value="chuyenvien.xa"' in block and "chuyenvien.stp" not in block
    r = c.post(f"{page(d.code)}thao-tac/assign/", {"expected_version": d.lock_version, "assignee": "chuyenvien.xa"})
    assert r.status_code == 302
    assert Dossier.objects.get(pk=d.pk).current_step.assignee.username == "chuyenvien.xa"


# ------------------------------------------------------------------------------------------------
# Notes
# ------------------------------------------------------------------------------------------------
def test_notes_between_officers(users, login):
    d = at_specialist(users)
    r = login("chuyenvien.xa").post(f"{page(d.code)}ghi-chu/", {"text": "Đã gọi điện cho người nộp."})
    assert r.status_code == 302 and r["Location"].endswith("#ghi-chu")
    html = login("lanhdao.xa").get(page(d.code)).content.decode()
    assert "Đã gọi điện cho người nộp." in html and "Bùi Thị Mai" in html
    note = DossierNote.objects.get()
    assert note.agency.code == "000.01.31.H99" and note.author.username == "chuyenvien.xa"
    with pytest.raises(ValueError):
        note.save()
    with pytest.raises(ValueError):
        note.delete()

    r = login("chuyenvien.xa").post(f"{page(d.code)}ghi-chu/", {"text": "   "})
    assert r.status_code == 400
    assert 'id="note-error" role="alert">Vui lòng nhập nội dung ghi chú.' in r.content.decode()
    assert DossierNote.objects.count() == 1


def test_add_note_service_checks_visibility(users, stranger):
    d = at_specialist(users)
    with pytest.raises(services.NotFound):
        from motcua.dossiers.notes import add_note

        add_note(d, stranger, "không được")
    assert not DossierNote.objects.exists()


# ------------------------------------------------------------------------------------------------
# Slips
# ------------------------------------------------------------------------------------------------
def test_slip_pdf_and_404_for_a_slip_that_does_not_apply(users, login):
    d = receive(users)
    c = login("motcua.xa")
    html = c.get(page(d.code)).content.decode()
    assert f'href="/can-bo/ho-so/{d.code}/phieu/01/"' in html and "/phieu/02/" not in html
    r = c.get(f"{page(d.code)}phieu/01/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    assert r["Content-Disposition"].startswith("inline;") and r["Cache-Control"] == "no-store"
    log = DataAccess.objects.get(action="print")
    assert (log.purpose, log.object_ref) == ("in mẫu 01", d.code)
    assert c.get(f"{page(d.code)}phieu/02/").status_code == 404  # no supplement was requested
    assert c.get(f"{page(d.code)}phieu/07/").status_code == 404
    assert c.get(f"{page(d.code)}phieu/99/").status_code == 404
