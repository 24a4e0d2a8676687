"""Account state kept next to Django's user: why and when an account was disabled or re-enabled."""

from django.conf import settings
from django.db import models


class AccountState(models.Model):
    """One row per user that was ever disabled or re-enabled by the account rules (``accounts.services``).

    ``reactivated_at`` counts as activity for the idle rule: an administrator re-enabling an idle account gives
    its owner a fresh 45 days to log in."""

    class Reason(models.TextChoices):
        IDLE = "idle", "Không đăng nhập quá thời hạn cho phép"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="account_state",
        verbose_name="tài khoản",
    )
    disabled_at = models.DateTimeField("bị khóa lúc", null=True, blank=True)
    disabled_reason = models.CharField("lý do khóa", max_length=16, choices=Reason.choices, blank=True)
    reactivated_at = models.DateTimeField("mở lại lúc", null=True, blank=True)

    class Meta:
        verbose_name = "trạng thái tài khoản"
        verbose_name_plural = "trạng thái tài khoản"

    def __str__(self) -> str:
        return str(self.user)
