"""The whole one-stop journey in a real browser, one citizen's marriage registration (1.000894,
commune level, with the commune police consulted):

ticket → call → intake with the required component missing → supplement request (slip 02) →
the citizen comes back: supplement + accept → receipt and appointment slip (slip 01, PDF) →
specialist step → consultation of a second agency (commune police) → specialist forwards → leader
approves → return desk → returned. Screenshots of each screen go to
``test-results/screenshots/journey-*.png`` (1366×768), the slips beside them as PDF."""

import os
import re

import pytest

from motcua.catalog.models import Field
from motcua.dossiers.models import Dossier, StepStatus
from motcua.dossiers.states import State
from motcua.engagement import services as queue
from motcua.engagement.models import ServiceGroup, Ticket
from motcua.engagement.states import Status as TicketStatus
from motcua.org.models import Desk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "test-results", "screenshots")
DESK = "MC-99001"
MARRIAGE = "1.000894"


def shot(page, name: str) -> None:
    page.screenshot(path=os.path.join(SHOTS, f"journey-{name}.png"), full_page=True)


def log_in(page, base: str, username: str, password: str, next_url: str) -> None:
    page.goto(f"{base}/dang-nhap/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_url}")


def log_out(page) -> None:
    page.click("button:has-text('Đăng xuất')")
    page.wait_for_url("**/dang-nhap/")


def save_pdf(page, url: str, name: str) -> bytes:
    """Fetch a slip with the page's session (as the officer's browser would) and keep it."""
    r = page.request.get(url)
    assert r.status == 200 and r.headers["content-type"] == "application/pdf", (url, r.status)
    body = r.body()
    assert body.startswith(b"%PDF-")
    with open(os.path.join(SHOTS, f"journey-{name}.pdf"), "wb") as f:
        f.write(body)
    return body


def act_on_page(page, action: str, done_label: str, fill=None) -> None:
    """Open an action's form on the dossier page, fill it, submit, wait for the confirmation."""
    page.click(f"#act-{action} summary")
    if fill:
        fill()
    page.click(f"#act-{action} button[type=submit]")
    page.wait_for_selector(f"text=Đã thực hiện “{done_label}”")


def test_ticket_to_returned_result(live_server, page, province, demo_password):
    os.makedirs(SHOTS, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    base = live_server.url
    desk = Desk.objects.get(code=DESK)
    civil = ServiceGroup.objects.create(desk=desk, letter="A", name="Hộ tịch, chứng thực", order=1)
    civil.fields.set(Field.objects.filter(code__in=["HO_TICH", "CHUNG_THUC"]))
    ticket = queue.issue_ticket(desk, civil)

    # 1. The desk officer calls the number and starts serving it.
    log_in(page, base, "motcua.xa", demo_password, "/can-bo/quay/")
    page.select_option("#counter-select", label="Quầy 1 – Hộ tịch")
    page.click("button:has-text('Chọn quầy')")
    page.click("button:has-text('Gọi số tiếp theo')")
    page.wait_for_selector("#current-code")
    assert page.inner_text("#current-code") == ticket.code
    shot(page, "01-counter-called")
    page.click("button:has-text('Bắt đầu tiếp nhận')")  # straight to the intake screen with the ticket
    page.wait_for_selector("h1:has-text('Tiếp nhận hồ sơ')")
    assert ticket.code in page.inner_text(".mc-ticket")

    # 2. Intake: find the procedure as you type (no diacritics), identify the applicant.
    page.fill("#proc-q", "dang ky ket hon")
    page.wait_for_selector(f"#procedure-pick >> text={MARRIAGE}")
    shot(page, "02-procedure-search")
    page.click("#procedure-pick a:has-text('Đăng ký kết hôn')")
    page.wait_for_selector("h2:has-text('Thành phần hồ sơ')")
    page.fill("#id_number", "001085012345")
    page.fill("#name", "Nguyễn Văn An")
    page.fill("#phone", "0912345678")
    # The required declaration (TP01) is not handed in: receiving is refused next to the list…
    page.click("button:has-text('Tiếp nhận hồ sơ')")
    page.wait_for_selector("text=Nếu người nộp chưa có, hãy")
    assert page.locator("tr.mc-missing").count() == 1
    shot(page, "03-intake-missing")
    assert not Dossier.objects.exists()
    # …so the officer issues the supplement request (slip 02) in one click.
    page.fill("#supplement_reason", "Thiếu Tờ khai đăng ký kết hôn có đủ chữ ký của hai bên.")
    page.click("button:has-text('Lập phiếu yêu cầu bổ sung')")
    page.wait_for_selector("h1:has-text('Đã lập phiếu yêu cầu bổ sung')")
    code = page.inner_text("#dossier-code")
    shot(page, "04-supplement-requested")
    slip02 = save_pdf(page, f"{base}/api/v1/dossiers/{code}/slips/02", "05-slip-02")
    assert len(slip02) > 1000
    d = Dossier.objects.get(code=code)
    assert d.state == State.SUPPLEMENT_REQUESTED and d.version.procedure.code == MARRIAGE
    ticket.refresh_from_db()
    assert ticket.dossier_id == d.pk and ticket.intake_seconds is not None  # intake duration recorded

    # 3. The citizen comes back with the declaration: supplement, then accept → received.
    page.click("a:has-text('Mở hồ sơ')")
    page.wait_for_selector(f"h1:has-text('{code}')")
    act_on_page(page, "supplement", "Bổ sung hồ sơ", lambda: page.check("label[for=supplement-comp-TP01]"))
    act_on_page(page, "accept", "Tiếp nhận hồ sơ")
    d.refresh_from_db()
    assert d.state == State.RECEIVED and d.due_at is not None
    shot(page, "06-received")
    slip01 = save_pdf(page, f"{base}/api/v1/dossiers/{code}/slips/01", "07-slip-01-receipt")
    assert len(slip01) > 1000
    # The desk hands the dossier over to the commune's specialist.
    act_on_page(page, "transfer", "Chuyển hồ sơ đến cơ quan giải quyết")
    log_out(page)

    # 4. The specialist finds it in the inbox, acknowledges it and consults the commune police.
    log_in(page, base, "chuyenvien.xa", demo_password, "/can-bo/hop-viec/")
    page.wait_for_selector(f"tr[data-code='{code}']")
    shot(page, "08-specialist-inbox")
    page.click(f"a:has-text('{code}')")
    page.wait_for_selector("h2:has-text('Tiến trình xử lý')")
    act_on_page(page, "acknowledge", "Xác nhận đã nhận hồ sơ")
    act_on_page(page, "consult", "Lấy ý kiến cơ quan liên quan")  # the process's own police step
    assert page.locator("#act-answer_consultation").count() == 0  # only the police answer
    shot(page, "09-consulting")
    log_out(page)

    # 5. The second agency (Công an xã) answers from its own inbox.
    log_in(page, base, "congan.xa", demo_password, "/can-bo/hop-viec/")
    page.wait_for_selector(f"tr[data-code='{code}']")
    shot(page, "10-police-inbox")
    page.click(f"a:has-text('{code}')")
    act_on_page(
        page,
        "answer_consultation",
        "Trả lời xin ý kiến",
        lambda: page.fill("#answer_consultation-opinion", "Hai bên đều đang không có vợ, chồng; cư trú đúng."),
    )
    log_out(page)

    # 6. The specialist forwards to the leader; the leader approves (issues the result).
    log_in(page, base, "chuyenvien.xa", demo_password, f"/can-bo/ho-so/{code}/")
    act_on_page(page, "forward", "Chuyển bước xử lý tiếp theo", lambda: page.fill("#forward-reason", "Đủ điều kiện."))
    log_out(page)
    log_in(page, base, "lanhdao.xa", demo_password, "/can-bo/hop-viec/")
    page.click(f"a:has-text('{code}')")
    page.wait_for_selector("#act-issue_result")
    shot(page, "11-leader-dossier")
    number = lambda: page.fill("#issue_result-result_number", "15/GCNKH")  # noqa: E731
    act_on_page(page, "issue_result", "Ban hành kết quả giải quyết", number)
    log_out(page)

    # 7. The return desk hands the certificate to the citizen.
    log_in(page, base, "motcua.xa", demo_password, "/can-bo/tra-ket-qua/")
    page.fill("#q", code)
    page.click("button:has-text('Tìm kiếm')")
    row = page.locator("tr", has=page.locator(f"a:has-text('{code}')"))
    row.locator("input[name=received_by]").fill("Nguyễn Văn An")
    shot(page, "12-return-desk")
    row.locator("button:has-text('Trả kết quả')").click()
    page.wait_for_selector(f"text=Đã trả kết quả hồ sơ {code} cho Nguyễn Văn An.")
    shot(page, "13-returned")

    d.refresh_from_db()
    assert d.state == State.RETURNED
    actions = [e.action for e in d.events.order_by("id")]
    walked = ("submit", "request_supplement", "supplement", "accept", "transfer", "acknowledge", "consult")
    for expected in (*walked, "answer_consultation"):
        assert expected in actions, (expected, actions)
    assert actions[-3:] == ["forward", "issue_result", "return_result"]
    police = d.steps.get(parallel=True)
    assert police.agency.kind == "police" and police.status == StepStatus.DONE
    assert {e.agency.code for e in d.events.exclude(agency=None)} >= {d.agency.code, police.agency.code}
    assert Ticket.objects.get(pk=ticket.pk).status in (TicketStatus.SERVING, TicketStatus.DONE)
    assert re.fullmatch(r"000\.\d\d\.\d\d\.H99-\d{6}-\d{4}", code)
