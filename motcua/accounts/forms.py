from django import forms
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.forms import AuthenticationForm

from . import services


class StaffAuthenticationForm(AuthenticationForm):
    """The password step for staff: Vietnamese messages, idle accounts refused with their reason."""

    error_messages = {
        "invalid_login": "Tên đăng nhập hoặc mật khẩu không đúng. Vui lòng thử lại.",
        "inactive": "Tài khoản đã bị vô hiệu hóa. Vui lòng liên hệ quản trị hệ thống.",
    }

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username is not None and password:
            self.user_cache = authenticate(self.request, username=username, password=password)
            if self.user_cache is None:
                self._explain_disabled(username, password)
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def _explain_disabled(self, username, password):
        """A correct password on an account disabled for idleness: say why (the attempt already counted for axes)."""
        if getattr(self.request, "axes_locked_out", False):
            return
        user = get_user_model().objects.filter(username=username, is_active=False).first()
        if user is not None and services.disabled_for_idleness(user) and user.check_password(password):
            raise forms.ValidationError(services.IDLE_MESSAGE.format(days=services.idle_days()), code="idle")

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if services.is_idle(user):
            services.disable(user)
            raise forms.ValidationError(services.IDLE_MESSAGE.format(days=services.idle_days()), code="idle")
