"""People, organizations and the accounts that resolve to them.

* ``person_from_record`` keeps a ``Person`` in step with what the population DB (or VNeID) said.
* ``login_vneid`` turns verified VNeID claims into a Django user resolving to one person: the same
  person whichever way they log in.
* ``register_local_account`` / ``link_local_account``: a local account (email + password) claims a
  personal ID but resolves to nobody until linked from a VNeID session (proof of both).
* ``link_representative``: a person becomes an organization's representative when the business
  registry names them as its legal representative.
"""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import adapters
from .ids import IdError, parse_personal_id, validate_id_number
from .models import CitizenAccount, LinkMethod, Organization, Person, Representative, RepresentativeRole


class IdentityError(ValueError):
    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message, self.code = message, code


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def person_from_record(record: dict, *, verified: bool = True) -> Person:
    """Create or refresh the person a population-DB record (or VNeID claims mapped to one) describes."""
    id_number = str(record.get("id_number") or "")
    parse_personal_id(id_number)
    values = {
        "full_name": str(record.get("full_name") or "")[:255],
        "date_of_birth": _date(record.get("date_of_birth")),
        "sex": record.get("sex") if record.get("sex") in ("male", "female") else "",
    }
    if record.get("phone"):
        values["phone"] = str(record["phone"])[:30]
    if verified:
        values["verified_at"] = timezone.now()
    if "permanent_residence" in record:
        values["record"] = record
    person, _ = Person.objects.update_or_create(id_number=id_number, defaults=values)
    return person


def claims_to_record(claims: dict) -> dict:
    address = claims.get("address") or {}
    return {
        "id_number": claims.get("citizen_id", ""),
        "full_name": claims.get("name", ""),
        "date_of_birth": claims.get("birthdate"),
        "sex": claims.get("gender", ""),
        "phone": claims.get("phone_number", ""),
        "address": address.get("formatted", "") if isinstance(address, dict) else "",
    }


def login_vneid(claims: dict):
    """The user for verified VNeID ID-token claims (signature, issuer, audience, nonce already
    checked by the OIDC client): found by VNeID subject, else by the person, else created."""
    sub = str(claims.get("sub") or "")
    citizen_id = str(claims.get("citizen_id") or "")
    if not sub:
        raise IdentityError("VNeID không trả về mã định danh tài khoản.", "invalid_claims")
    try:
        parse_personal_id(citizen_id)
    except IdError:
        raise IdentityError("VNeID không trả về số định danh cá nhân hợp lệ.", "invalid_claims") from None
    User = get_user_model()
    with transaction.atomic():
        person = person_from_record(claims_to_record(claims))
        account = CitizenAccount.objects.select_for_update().filter(vneid_sub=sub).select_related("user").first()
        if account is None:
            account = (
                CitizenAccount.objects.select_for_update()
                .filter(person=person, linked_via=LinkMethod.VNEID)
                .select_related("user")
                .first()
            )
        if account is None:
            user = User.objects.create_user(username=f"vneid-{sub[:40]}", first_name=person.full_name[:150])
            user.set_unusable_password()
            user.save()
            account = CitizenAccount.objects.create(
                user=user, person=person, vneid_sub=sub, linked_via=LinkMethod.VNEID, linked_at=timezone.now()
            )
        elif account.person_id != person.pk:
            # The same VNeID subject now carries another personal ID: never merge silently.
            raise IdentityError("Tài khoản VNeID không khớp với công dân đã liên kết.", "subject_mismatch")
        if account.vneid_sub is None:
            account.vneid_sub = sub
            account.save(update_fields=["vneid_sub"])
    return account.user


def register_local_account(*, email: str, password: str, full_name: str, id_number: str, verify_email: bool = False):
    """A local citizen account (email + password) claiming a personal ID; resolves to nobody until
    linked from a VNeID session. With ``verify_email`` the account stays inactive (cannot log in)
    until the link sent by ``send_email_verification`` is opened."""
    email = (email or "").strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise IdentityError("Địa chỉ thư điện tử không hợp lệ.", "invalid_email")
    try:
        id_number = parse_personal_id(id_number).number
    except IdError as exc:
        raise IdentityError(str(exc), "invalid_id_number") from None
    User = get_user_model()
    try:
        validate_password(password)
    except ValidationError as exc:
        raise IdentityError(" ".join(exc.messages), "weak_password") from None
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=email,
                email=email,
                password=password,
                first_name=(full_name or "").strip()[:150],
                is_active=not verify_email,
            )
            CitizenAccount.objects.create(user=user, claimed_id_number=id_number)
    except IntegrityError:
        raise IdentityError("Thư điện tử này đã được dùng cho một tài khoản khác.", "email_taken") from None
    return user


def link_local_account(vneid_user, email: str, password: str, request=None) -> CitizenAccount:
    """From a VNeID session, prove a local account is the same citizen's (its password) and make it
    resolve to the same person."""
    person = person_of(vneid_user)
    if person is None:
        raise IdentityError("Vui lòng đăng nhập bằng VNeID trước khi liên kết tài khoản.", "not_verified")
    local = authenticate(request, username=(email or "").strip().lower(), password=password)
    account = CitizenAccount.objects.filter(user=local).first() if local is not None else None
    if account is None or account.vneid_sub:
        raise IdentityError("Thư điện tử hoặc mật khẩu của tài khoản cần liên kết không đúng.", "invalid_credentials")
    if account.person_id and account.person_id != person.pk:
        raise IdentityError("Tài khoản này đã liên kết với một công dân khác.", "linked_elsewhere")
    if account.claimed_id_number and account.claimed_id_number != person.id_number:
        raise IdentityError(
            "Số định danh khai báo khi đăng ký tài khoản khác số định danh trên VNeID; không thể liên kết.",
            "id_mismatch",
        )
    account.person, account.linked_via, account.linked_at = person, LinkMethod.LINKED, timezone.now()
    account.claimed_id_number = person.id_number
    account.save(update_fields=["person", "linked_via", "linked_at", "claimed_id_number"])
    return account


def person_of(user) -> Person | None:
    """The person a logged-in citizen resolves to (None: staff, anonymous, or not yet verified)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    account = CitizenAccount.objects.filter(user=user, person__isnull=False).select_related("person").first()
    return account.person if account else None


def organizations_of(person: Person) -> list[Organization]:
    return list(
        Organization.objects.filter(representatives__person=person, representatives__revoked_at__isnull=True)
        .distinct()
        .order_by("name")
    )


def link_representative(person: Person, code: str) -> Representative:
    """The business registry names ``person`` as the legal representative of enterprise ``code``."""
    try:
        code = validate_id_number(code, "organization")
    except IdError as exc:
        raise IdentityError(str(exc), "invalid_code") from None
    try:
        record = adapters.business_registry().lookup(code)
    except adapters.Unavailable as exc:
        raise IdentityError(f"{exc} Vui lòng thử lại sau.", "unavailable") from None
    if record is None:
        raise IdentityError("Không tìm thấy doanh nghiệp trong Cơ sở dữ liệu quốc gia.", "not_found")
    rep = record.get("legal_representative") or {}
    if rep.get("id_number") != person.id_number:
        raise IdentityError(
            "Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp không ghi nhận bạn là người đại diện theo pháp luật "
            "của doanh nghiệp này.",
            "not_representative",
        )
    now = timezone.now()
    with transaction.atomic():
        org, _ = Organization.objects.update_or_create(
            code=code,
            defaults={
                "name": record.get("name", "")[:500],
                "status": record.get("status", ""),
                "record": record,
                "verified_at": now,
            },
        )
        representative, _ = Representative.objects.update_or_create(
            organization=org,
            person=person,
            role=RepresentativeRole.LEGAL,
            defaults={"source": "business_registry", "verified_at": now, "revoked_at": None},
        )
    return representative


def send_email_verification(user, link_base: str) -> None:
    """Mail the link that activates a local account (``link_base`` + uid/token/)."""
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import send_mail
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = f"{link_base.rstrip('/')}/{uid}/{token}/"
    send_mail(
        "Xác nhận địa chỉ thư điện tử – Cổng dịch vụ công",
        f"Chào {user.first_name or user.email},\n\nVui lòng mở liên kết sau để kích hoạt tài khoản của bạn "
        f"trên Cổng dịch vụ công:\n{link}\n\nNếu bạn không đăng ký tài khoản, hãy bỏ qua thư này.",
        None,
        [user.email],
    )


def confirm_email(uidb64: str, token: str):
    """The account whose link this is, activated; None when the link is wrong or used/expired."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.http import urlsafe_base64_decode

    User = get_user_model()
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64).decode()))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        return None
    if user.is_active or not CitizenAccount.objects.filter(user=user).exists():
        return None
    if not default_token_generator.check_token(user, token):
        return None
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user
