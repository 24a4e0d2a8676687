"""Deployment checks (``manage.py check --deploy``): no demo secret in production.

The demo starts with simulator keys, the VNeID simulator's client secret, a default PKCS#12 password and an
auto-generated demo PKI; all fine on a laptop, none acceptable once DEBUG is off in a real deployment.
Registered with the "deploy" tag only, so ``runserver``/``migrate`` of the demo never stop on them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

# Settings whose demo defaults must be replaced (setting → the demo value(s)).
DEMO_SECRETS = {
    "NATIONAL_API_KEY": {"motcua-sim"},
    "NATIONAL_PORTAL_API_KEY": {"motcua-sim"},
    "PAYMENT_GATEWAY_API_KEY": {"motcua-sim"},
    "PAYMENT_GATEWAY_SECRET": {"motcua-payment-demo-secret"},
    "SMS_GATEWAY_API_KEY": {"motcua-sim"},
    "VNEID_CLIENT_SECRET": {"motcua-vneid-secret"},
    "SIGNING_P12_PASSWORD": {"motcua-demo"},
}


@register(Tags.security, deploy=True)
def demo_secrets_check(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    errors = [
        Error(
            f"{name} còn giá trị mặc định của bản trình diễn.",
            hint=f"Đặt biến môi trường {name} bằng khóa/mật khẩu thật của hệ thống triển khai.",
            id="motcua.E001",
        )
        for name, demo in DEMO_SECRETS.items()
        if getattr(settings, name, None) in demo
    ]
    if getattr(settings, "SIGNING_DEMO_PKI", False):
        errors.append(
            Error(
                "SIGNING_DEMO_PKI đang bật: cơ quan chưa có chứng thư số sẽ ký bằng chứng thư của CA trình diễn.",
                hint="Đặt SIGNING_DEMO_PKI=false và cấu hình chứng thư số (PKCS#12) thật cho từng cơ quan.",
                id="motcua.E002",
            )
        )
    return errors
