"""``{% load money %}`` → ``{{ amount|vnd }}``: 50000 → "50.000 đồng"; 0 → "Miễn"."""

from django import template

from motcua.payments.fees import format_vnd

register = template.Library()


@register.filter
def vnd(amount) -> str:
    try:
        value = int(amount)
    except (TypeError, ValueError):
        return ""
    return format_vnd(value) if value else "Miễn"
