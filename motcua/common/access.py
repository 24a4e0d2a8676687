"""The authorization layer: one queryset rule per model that holds personal data.

``readable(user, Model)`` is the rows of ``Model`` that ``user`` may read, filtered in SQL. Pages, the
API, exports and search read personal data through it (or through the model's own ``visible_to``,
which it delegates to); ``tests/security`` walks every route as every role of another agency, as
another citizen and anonymously, and ``test_rules`` checks that every model with personal-data fields
has a rule here.

Who reads what (the rules):

* Staff read what their work needs: the dossiers received at their desk, handled by their agency or
  with a step there (``Dossier.objects.visible_to``), and what hangs off those dossiers (documents,
  payments, receipts, ratings), the people and organizations who are applicants or owners of them,
  the appointments at their agencies' desks, the feedback about their agencies, and the consents
  given to their agencies. The provincial office and inspectors (``READ_ALL_ROLES``) read province-
  wide, except dossiers of confidential procedures, which only the agencies handling them read
  (their reads outside a dossier they handle carry a stated purpose: ``motcua.privacy.purpose``).
* A citizen reads what is theirs or their organizations': the person record, dossiers, drafts,
  documents, payments, appointments, ratings, consents, notification choices, and the log of who read
  their data.
* Anonymous visitors read nothing here (the public pages show no personal data).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q, QuerySet

from motcua.dossiers.models import Dossier, access_scope


def _citizen_ids(user) -> set[str] | None:
    """The ID numbers a logged-in citizen speaks for (their own and their organizations'), or None
    for a user who is not a citizen."""
    from motcua.identity.services import organizations_of, person_of

    person = person_of(user)
    if person is None:
        return None
    return {person.id_number} | {o.code for o in organizations_of(person)}


def _staff_agencies(user) -> set[int] | None:
    """Agencies whose data ``user`` reads as staff; None = province-wide."""
    scope = access_scope(user)
    return None if scope is None else scope[0]


def dossiers(user) -> QuerySet:
    ids = _citizen_ids(user)
    if ids is not None:
        return Dossier.objects.filter(Q(applicant_id_number__in=ids) | Q(owner_id_number__in=ids))
    return Dossier.objects.visible_to(user)


def documents(user) -> QuerySet:
    from motcua.documents.models import Document

    ids = _citizen_ids(user)
    if ids is not None:  # their e-data store and the papers of their dossiers
        return Document.objects.filter(Q(owner_id_number__in=ids) | Q(dossier__in=dossiers(user).values("pk")))
    return Document.objects.visible_to(user)


def feedback(user) -> QuerySet:
    from motcua.engagement.models import Feedback

    ids = _citizen_ids(user)
    if ids is not None:
        return Feedback.objects.filter(id_number__in=ids)
    return Feedback.objects.visible_to(user)


def _by_visible_dossier(model, user, citizen_field: str) -> QuerySet:
    ids = _citizen_ids(user)
    if ids is not None:
        return model.objects.filter(**{f"{citizen_field}__in": ids})
    return model.objects.filter(dossier__in=Dossier.objects.visible_to(user).values("pk"))


def payments(user) -> QuerySet:
    from motcua.payments.models import Payment

    return _by_visible_dossier(Payment, user, "payer_id_number")


def receipts(user) -> QuerySet:
    from motcua.payments.models import Receipt

    return Receipt.objects.filter(payment__in=payments(user).values("pk"))


def ratings(user) -> QuerySet:
    from motcua.engagement.models import Rating

    return _by_visible_dossier(Rating, user, "id_number")


def persons(user) -> QuerySet:
    from motcua.identity.models import Person

    ids = _citizen_ids(user)
    if ids is not None:
        return Person.objects.filter(id_number__in=ids)
    if not getattr(user, "is_authenticated", False):
        return Person.objects.none()
    if _staff_agencies(user) is None:
        return Person.objects.all()
    theirs = Dossier.objects.visible_to(user).filter(
        Q(applicant_id_number=OuterRef("id_number")) | Q(owner_id_number=OuterRef("id_number"))
    )
    return Person.objects.filter(Exists(theirs))


def organizations(user) -> QuerySet:
    from motcua.identity.models import Organization

    ids = _citizen_ids(user)
    if ids is not None:
        return Organization.objects.filter(code__in=ids)
    if not getattr(user, "is_authenticated", False):
        return Organization.objects.none()
    if _staff_agencies(user) is None:
        return Organization.objects.all()
    theirs = Dossier.objects.visible_to(user).filter(
        Q(applicant_id_number=OuterRef("code")) | Q(owner_id_number=OuterRef("code"))
    )
    return Organization.objects.filter(Exists(theirs))


def representatives(user) -> QuerySet:
    from motcua.identity.models import Representative

    return Representative.objects.filter(organization__in=organizations(user).values("pk"))


def citizen_accounts(user) -> QuerySet:
    """Login accounts: one's own (administrators manage the rest in the admin)."""
    from motcua.identity.models import CitizenAccount

    if not getattr(user, "is_authenticated", False):
        return CitizenAccount.objects.none()
    if user.is_superuser:
        return CitizenAccount.objects.all()
    return CitizenAccount.objects.filter(user=user)


def drafts(user) -> QuerySet:
    """Online drafts: only the citizen composing one (staff see the dossier once it is submitted)."""
    from motcua.dossiers.models import Draft

    if not getattr(user, "is_authenticated", False):
        return Draft.objects.none()
    return Draft.objects.filter(user=user)


def consents(user) -> QuerySet:
    from motcua.wallet.models import Consent

    ids = _citizen_ids(user)
    if ids is not None:
        return Consent.objects.filter(owner_id_number__in=ids)
    if not getattr(user, "is_authenticated", False):
        return Consent.objects.none()
    agencies = _staff_agencies(user)
    return Consent.objects.all() if agencies is None else Consent.objects.filter(agency_id__in=agencies)


def appointments(user) -> QuerySet:
    from motcua.engagement.models import Appointment

    ids = _citizen_ids(user)
    if ids is not None:
        return Appointment.objects.filter(id_number__in=ids)
    if not getattr(user, "is_authenticated", False):
        return Appointment.objects.none()
    agencies = _staff_agencies(user)
    return Appointment.objects.all() if agencies is None else Appointment.objects.filter(desk__agency_id__in=agencies)


def notification_preferences(user) -> QuerySet:
    from motcua.engagement.models import NotificationPreference

    ids = _citizen_ids(user)
    return NotificationPreference.objects.filter(id_number__in=ids or ())


def _audit_rows(model):
    def rule(user) -> QuerySet:
        ids = _citizen_ids(user)
        if ids is not None:  # who read my data
            return model.objects.filter(subject_id_number__in=ids)
        if not getattr(user, "is_authenticated", False):
            return model.objects.none()
        if user.is_superuser or user.has_perm("audit.view_dataaccess"):
            return model.objects.all()
        return model.objects.filter(user=user)  # one's own trail

    return rule


def _public(model):
    """Organizational data published on the portal (agency and desk contacts)."""
    return lambda user: model.objects.all()


def _rules() -> dict[str, Callable]:
    from django.apps import apps

    rules: dict[str, Callable] = {
        "dossiers.Dossier": dossiers,
        "dossiers.Draft": drafts,
        "documents.Document": documents,
        "engagement.Feedback": feedback,
        "engagement.Rating": ratings,
        "engagement.Appointment": appointments,
        "engagement.NotificationPreference": notification_preferences,
        "payments.Payment": payments,
        "payments.Receipt": receipts,
        "identity.Person": persons,
        "identity.Organization": organizations,
        "identity.Representative": representatives,
        "identity.CitizenAccount": citizen_accounts,
        "wallet.Consent": consents,
        "org.Agency": _public(apps.get_model("org", "Agency")),
        "org.Desk": _public(apps.get_model("org", "Desk")),
    }
    for label in ("audit.DataAccess", "audit.AuditEntry"):
        try:
            rules[label] = _audit_rows(apps.get_model(label))
        except LookupError:
            pass
    return rules


def rule_for(model) -> Callable:
    return _rules()[model._meta.label]


def readable(user, model) -> QuerySet:
    """The rows of ``model`` that ``user`` may read (the one rule of that model)."""
    return rule_for(model)(user)


def labels() -> set[str]:
    return set(_rules())
