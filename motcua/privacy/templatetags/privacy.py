"""``{% load privacy %}``: ``{{ value|mask_id }}``, ``{{ value|mask_phone }}``, ``{{ value|mask_email }}``
for lists that only need to tell people apart (the dossier page keeps the full values)."""

from django import template

from motcua.privacy import masking

register = template.Library()

register.filter("mask_id", masking.mask_id, is_safe=True)
register.filter("mask_phone", masking.mask_phone, is_safe=True)
register.filter("mask_email", masking.mask_email, is_safe=True)
