"""Change rows for administrative records and auth rows for sign-in/out (connected in ``apps.ready``).

``TRACKED`` is the one registry: model label → (object type, the data subject's ID number or "").
A save writes the names of the changed fields (for a plain ``save()`` of an existing row, compared
with the stored row: one SELECT; administrative records change rarely), never their values.
Bulk operations (``bulk_create``, ``QuerySet.update``) send no signals and are not logged here; the
dossier flow, the hot path, is logged by ``log_events`` from ``save_events``.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from . import context
from .services import _AGENCY_CODES, log_auth, log_change


def _person_id(obj) -> str:
    person_id = getattr(obj, "person_id", None)
    if not person_id:
        return getattr(obj, "claimed_id_number", "") or ""
    return obj.person.id_number


TRACKED: dict[str, tuple[str, object]] = {
    "catalog.Procedure": ("catalog.procedure", None),
    "catalog.ProcedureVersion": ("catalog.procedure_version", None),
    "org.AdministrativeLevel": ("org.level", None),
    "org.AdministrativeUnit": ("org.unit", None),
    "org.Agency": ("org.agency", None),
    "org.AgencyRename": ("org.agency_rename", None),
    "org.Desk": ("org.desk", None),
    "org.Counter": ("org.counter", None),
    "org.StaffMembership": ("org.staff_membership", None),
    "auth.User": ("auth.user", None),
    "auth.Group": ("auth.group", None),
    "identity.Person": ("identity.person", lambda o: o.id_number),
    "identity.Organization": ("identity.organization", lambda o: o.code),
    "identity.Representative": ("identity.representative", _person_id),
    "identity.CitizenAccount": ("identity.citizen_account", _person_id),
    "wallet.Consent": ("wallet.consent", lambda o: getattr(o, "owner_id_number", "")),
    "payments.Payment": ("payments.payment", None),
    "payments.Receipt": ("payments.receipt", None),
    "api.ApiClient": ("api.client", None),
    "integration.Subscription": ("integration.subscription", None),
    "integration.ExternalSystem": ("integration.external_system", None),
    "signing.AgencyCertificate": ("signing.agency_certificate", None),
}
# Saves that are not changes worth a row (the login's own bookkeeping is the auth row).
IGNORED_UPDATES = {"auth.User": {"last_login"}}
_M2M = {
    "auth.User.groups": "groups",
    "auth.User.user_permissions": "user_permissions",
    "auth.Group.permissions": "permissions",
}


def _label(sender) -> str:
    return f"{sender._meta.app_label}.{sender.__name__}"


def _ref(obj) -> str:
    for attr in ("code", "username", "name"):
        value = getattr(obj, attr, None)
        if isinstance(value, str) and value:
            return f"{obj.pk}:{value}" if attr == "name" else value
    return str(obj.pk)


def _dossier(obj) -> str:
    if getattr(obj, "dossier_id", None):
        try:
            return obj.dossier.code
        except Exception:  # noqa: BLE001 — the dossier is gone; the id still tells
            return str(obj.dossier_id)
    return ""


def _subject(label: str, obj) -> str:
    getter = TRACKED[label][1]
    if getter is None:
        return ""
    try:
        return getter(obj) or ""
    except Exception:  # noqa: BLE001 — a half-built object: no subject rather than no row
        return ""


def _snapshot(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or update_fields is not None or instance._state.adding or instance.pk is None:
        return
    fields = [f.attname for f in sender._meta.concrete_fields]
    instance._audit_before = sender._base_manager.filter(pk=instance.pk).values(*fields).first()


def _post_save(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    label = _label(sender)
    if created:
        action, changed = "create", []
    elif update_fields is not None:
        changed = sorted(update_fields)
        if set(changed) <= IGNORED_UPDATES.get(label, set()):
            return
        action = "update"
    else:
        before = getattr(instance, "_audit_before", None) or {}
        now = _snapshot(instance)
        changed = sorted(k for k, v in now.items() if k in before and before[k] != v)
        instance._audit_before = None
        if before and not changed:
            return  # saved without a change
        action = "update"
    if label == "org.StaffMembership":
        context.forget_roles(instance.user_id)
    elif label == "org.Agency":
        _AGENCY_CODES.clear()
    log_change(
        action=action,
        object_type=TRACKED[label][0],
        object_ref=_ref(instance),
        subject=_subject(label, instance),
        dossier=_dossier(instance),
        detail={"fields": changed} if changed else {},
    )


def _post_delete(sender, instance, **kwargs):
    label = _label(sender)
    if label == "auth.User":
        return  # a user with audit rows cannot be deleted (PROTECT); one without: logged by pre_delete
    log_change(
        action="delete",
        object_type=TRACKED[label][0],
        object_ref=_ref(instance),
        subject=_subject(label, instance),
        dossier=_dossier(instance),
    )


def _user_pre_delete(sender, instance, **kwargs):
    # Logged before the delete: the row cannot reference a user being deleted, so it names them.
    log_change(action="delete", object_type="auth.user", object_ref=_ref(instance))


def _m2m(field_name: str, object_type: str):
    def handler(sender, instance, action, reverse, model, pk_set, **kwargs):
        if action not in ("post_add", "post_remove", "post_clear") or reverse:
            return
        log_change(
            action=f"{field_name}.{action.removeprefix('post_')}",
            object_type=object_type,
            object_ref=_ref(instance),
            detail={"field": field_name, "ids": sorted(pk_set or [])},
        )

    return handler


def _logged_in(sender, request, user, **kwargs):
    log_auth(action="login", user=user, request=request)


def _logged_out(sender, request, user, **kwargs):
    log_auth(action="logout", user=user, request=request)


def _login_failed(sender, credentials, request=None, **kwargs):
    username = str((credentials or {}).get("username") or "")
    log_auth(action="login_failed", username=username, request=request)


_handlers: list = []  # strong references (the signals hold weak ones)


def connect() -> None:
    from django.db.models.signals import pre_delete

    for label in TRACKED:
        model = apps.get_model(label)
        uid = f"audit:{label}"
        pre_save.connect(_pre_save, sender=model, dispatch_uid=uid)
        post_save.connect(_post_save, sender=model, dispatch_uid=uid)
        if label == "auth.User":
            pre_delete.connect(_user_pre_delete, sender=model, dispatch_uid=uid)
        else:
            post_delete.connect(_post_delete, sender=model, dispatch_uid=uid)
    for path, field_name in _M2M.items():
        label, _, attr = path.rpartition(".")
        model = apps.get_model(label)
        handler = _m2m(field_name, TRACKED[label][0])
        _handlers.append(handler)
        m2m_changed.connect(handler, sender=getattr(model, attr).through, dispatch_uid=f"audit:{path}")
    user_logged_in.connect(_logged_in, dispatch_uid="audit:login")
    user_logged_out.connect(_logged_out, dispatch_uid="audit:logout")
    user_login_failed.connect(_login_failed, dispatch_uid="audit:login_failed")
