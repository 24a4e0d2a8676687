"""Session clocks at login; an administrator re-enabling an account gives it a fresh idle period."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from .middleware import stamp_session
from .models import AccountState


@receiver(user_logged_in, dispatch_uid="accounts.stamp_session")
def _on_login(sender, request, user, **kwargs):
    if request is not None:
        stamp_session(request, user)


@receiver(pre_save, sender=get_user_model(), dispatch_uid="accounts.note_reactivation")
def _note_reactivation(sender, instance, update_fields=None, raw=False, **kwargs):
    instance._acct_reactivated = False
    if raw or not instance.pk or not instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    was_active = sender.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    instance._acct_reactivated = was_active is False


@receiver(post_save, sender=get_user_model(), dispatch_uid="accounts.record_reactivation")
def _record_reactivation(sender, instance, raw=False, **kwargs):
    if getattr(instance, "_acct_reactivated", False):
        AccountState.objects.update_or_create(
            user_id=instance.pk, defaults={"reactivated_at": timezone.now(), "disabled_at": None, "disabled_reason": ""}
        )
        instance._acct_reactivated = False
