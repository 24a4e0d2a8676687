"""E-data-store sharing really needs an unexpired, unrevoked consent of the right scope (the wallet
tests cover purpose, expiry input and revocation; these cover expiry in time and the scope)."""

import datetime as dt

from django.utils import timezone

from motcua.documents.models import Document
from motcua.org.models import Agency
from motcua.wallet import services as wallet

from .conftest import AN, issue


def test_an_expired_or_single_document_consent_shares_nothing_more(users, held, citizen):
    stp = Agency.objects.get(code="000.00.06.H99")  # no dossier of An's there
    specialist = users["chuyenvien.stp"]
    second = issue(users, title="Giấy tờ thứ hai")
    owner = wallet.Owner(AN["id_number"], AN["name"])
    consent = wallet.grant_consent(
        owner,
        agency=stp,
        purpose="Xét cấp phiếu lý lịch tư pháp",
        expires_on=dt.date.today() + dt.timedelta(days=5),
        document=held,
        user=citizen,
    )
    visible = Document.objects.visible_to(specialist)
    assert visible.filter(pk=held.pk).exists() and not visible.filter(pk=second.pk).exists()  # scope: one paper
    consent.expires_at = timezone.now() - dt.timedelta(seconds=1)  # the expiry passed
    consent.save(update_fields=["expires_at"])
    assert not Document.objects.visible_to(specialist).filter(pk=held.pk).exists()
    assert not consent.is_active()
