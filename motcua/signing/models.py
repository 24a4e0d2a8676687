"""Per-agency signing certificate configuration.

The password of a PKCS#12 file is never stored in the database: ``password_env`` names an
environment variable that holds it (blank = the shared ``SIGNING_P12_PASSWORD``).
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from . import pki
from .errors import SigningError

ENV_NAME_VALIDATOR = RegexValidator(
    r"^[A-Za-z_][A-Za-z0-9_]*$", "Tên biến môi trường chỉ gồm chữ cái không dấu, chữ số và dấu gạch dưới."
)


class AgencyCertificate(models.Model):
    """The certificate an agency signs its results with (PKCS#12 file on the server)."""

    agency = models.OneToOneField(
        "org.Agency", on_delete=models.CASCADE, related_name="signing_certificate", verbose_name="cơ quan"
    )
    p12_path = models.CharField(
        "tệp chứng thư số (.p12)",
        max_length=500,
        help_text="Đường dẫn tuyệt đối, hoặc tương đối so với thư mục SIGNING_PKI_DIR.",
    )
    password_env = models.CharField(
        "biến môi trường chứa mật khẩu",
        max_length=100,
        blank=True,
        validators=[ENV_NAME_VALIDATOR],
        help_text="Để trống để dùng mật khẩu chung SIGNING_P12_PASSWORD. Mật khẩu không lưu trong cơ sở dữ liệu.",
    )
    active = models.BooleanField("đang sử dụng", default=True)
    subject = models.CharField("chủ thể chứng thư", max_length=500, blank=True, editable=False)
    serial = models.CharField("số hiệu chứng thư", max_length=100, blank=True, editable=False)
    not_after = models.DateTimeField("hiệu lực đến", null=True, blank=True, editable=False)
    updated_at = models.DateTimeField("cập nhật lúc", auto_now=True)

    class Meta:
        ordering = ["agency__code"]
        verbose_name = "chứng thư số của cơ quan"
        verbose_name_plural = "chứng thư số của cơ quan"

    def __str__(self) -> str:
        return f"Chứng thư số – {self.agency}"

    def save(self, *args, **kwargs):
        """Refresh the cached subject/serial/expiry; a file that cannot be opened leaves them blank.

        Saving never fails because of the file (it may be installed later); ``clean()`` (admin
        forms) reports the problem and ``signer_for`` refuses to sign with it.
        """
        try:
            info = pki.describe(self.load().cert)
        except SigningError:
            info = {"subject": "", "serial": "", "not_after": None}
        for name, value in info.items():
            setattr(self, name, value)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], *info}
        super().save(*args, **kwargs)

    @property
    def owner(self) -> str:
        return f"cơ quan {self.agency.name}"

    def resolved_path(self):
        return pki.resolve_path(self.p12_path)

    def password(self) -> str:
        if not self.password_env:
            return str(settings.SIGNING_P12_PASSWORD)
        value = os.environ.get(self.password_env)
        if value is None:
            raise SigningError(
                f"Chưa đặt biến môi trường {self.password_env} chứa mật khẩu chứng thư số của {self.owner}.",
                "no_password",
            )
        return value

    def load(self) -> pki.P12Bundle:
        """Open the PKCS#12 file (SigningError with a Vietnamese message on any problem)."""
        return pki.load_p12(self.resolved_path(), self.password(), owner=self.owner)

    def clean(self):
        super().clean()
        if not self.p12_path or not self.agency_id:
            return
        try:
            bundle = self.load()
            pki.check_validity(bundle.cert, owner=self.owner)
        except SigningError as exc:
            field = "password_env" if exc.code == "no_password" else "p12_path"
            raise ValidationError({field: exc.message}) from exc
