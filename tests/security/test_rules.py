"""The authorization layer (``motcua.common.access``): one queryset rule per model holding personal data."""

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from motcua.common import access
from tests.security.conftest import AN, other_agency_staff

PERSONAL_FIELDS = ("id_number", "phone", "email", "sender_name", "applicant_name", "owner_name", "full_name")


def personal_models():
    for model in apps.get_models():
        if not model.__module__.startswith("motcua"):
            continue
        if any(any(k in f.name for k in PERSONAL_FIELDS) for f in model._meta.concrete_fields):
            yield model


def test_every_model_with_personal_data_has_one_rule():
    missing = sorted(m._meta.label for m in personal_models() if m._meta.label not in access.labels())
    assert not missing, f"models with personal data and no access rule in motcua.common.access: {missing}"


LABELS = [
    "dossiers.Dossier",
    "documents.Document",
    "payments.Payment",
    "identity.Person",
    "wallet.Consent",
    "engagement.Feedback",
    "dossiers.Draft",
]


@pytest.mark.django_db
def test_rules_give_each_their_own(world, users):
    """An's rows: An reads them; commune A's officer reads the staff side; commune B's officer, another
    citizen and an anonymous visitor read none of them."""
    d = world["dossier"]
    from motcua.dossiers.models import Draft
    from motcua.engagement.models import Feedback
    from motcua.identity.models import Person
    from motcua.payments.models import Payment
    from motcua.wallet.models import Consent

    ans = {
        "dossiers.Dossier": {d.pk},
        "documents.Document": set(d.documents.values_list("pk", flat=True)),
        "payments.Payment": set(Payment.objects.filter(dossier=d).values_list("pk", flat=True)),
        "identity.Person": set(Person.objects.filter(id_number=AN["id_number"]).values_list("pk", flat=True)),
        "wallet.Consent": set(Consent.objects.filter(owner_id_number=AN["id_number"]).values_list("pk", flat=True)),
        "engagement.Feedback": set(Feedback.objects.filter(dossier=d).values_list("pk", flat=True)),
        "dossiers.Draft": set(Draft.objects.filter(user=world["an"]).values_list("pk", flat=True)),
    }
    assert all(ans.values()), ans
    b_officer = other_agency_staff("specialist")
    for label in LABELS:
        model = apps.get_model(label)
        for who in (b_officer, world["binh"], AnonymousUser()):
            seen = set(access.readable(who, model).values_list("pk", flat=True))
            assert not (seen & ans[label]), (label, who)
        seen_by_an = set(access.readable(world["an"], model).values_list("pk", flat=True))
        assert ans[label] <= seen_by_an, label
    staff_side = ["dossiers.Dossier", "documents.Document", "payments.Payment", "identity.Person", "wallet.Consent"]
    for label in staff_side + ["engagement.Feedback"]:
        seen = set(access.readable(users["chuyenvien.xa"], apps.get_model(label)).values_list("pk", flat=True))
        assert ans[label] <= seen, label
    # a draft is the citizen's alone, even for the commune that will receive it
    assert not access.readable(users["chuyenvien.xa"], Draft).exists()


@pytest.mark.django_db
def test_oauth_self_service_routes_are_gone(users):
    """Machine clients are registered by administrators: no application self-registration, no
    authorization-code or device flows a logged-in user could use to mint tokens."""
    c = Client()
    c.force_login(users["motcua.xa"])
    for url in ("/o/applications/", "/o/applications/register/", "/o/authorize/", "/o/device/", "/o/register/"):
        assert c.get(url).status_code == 404, url


@pytest.mark.django_db
def test_confidential_procedures_are_read_only_by_the_agencies_handling_them(users):
    """A dossier of a confidential procedure: the commune handling it reads it; the provincial office and
    inspectors, who read every other dossier of the province, do not — page, list, rule or search."""
    from motcua.catalog.models import Procedure
    from motcua.documents.search import search
    from motcua.dossiers.models import Dossier
    from tests.api.conftest import receive, result_document

    open_one = receive(users)
    procedure = Procedure.objects.get(code="1.001193")
    procedure.confidential = True
    procedure.save()  # as in the admin (the catalog cache is refreshed)
    secret = receive(users)
    assert secret.confidential and not open_one.confidential
    result_document(secret)
    result_document(open_one)
    inspector = other_agency_staff("inspector")
    assert set(Dossier.objects.visible_to(inspector).values_list("pk", flat=True)) >= {open_one.pk}
    assert not Dossier.objects.visible_to(inspector).filter(pk=secret.pk).exists()
    assert not access.readable(inspector, apps.get_model("documents.Document")).filter(dossier=secret).exists()
    assert {d.dossier_id for d in search(inspector, "khai sinh")} == {open_one.pk}
    assert Dossier.objects.visible_to(users["chuyenvien.xa"]).filter(pk=secret.pk).exists()
    c = Client()
    c.force_login(inspector)
    assert c.get(f"/can-bo/ho-so/{secret.code}/").status_code == 404
    assert c.get(f"/api/v1/dossiers/{secret.code}").status_code == 404
