"""Password rules (AUTH_PASSWORD_VALIDATORS), with Vietnamese messages that do not depend on translations.

At least 12 characters, at least three of the four kinds (lower case, upper case, digits, symbols), not a
common password (Django's list of 20,000 plus Vietnamese favourites, compared without diacritics), not
similar to the user's name / username / email, not only digits.
"""

from __future__ import annotations

from django.contrib.auth import password_validation as django_validation
from django.core.exceptions import ValidationError

from motcua.common.text import fold

# Passwords Vietnamese users pick often (folded: lower case, no diacritics, no spaces).
VIETNAMESE_COMMON = {
    "matkhau",
    "matkhau123",
    "matkhau@123",
    "matkhau123456",
    "anhyeuem",
    "anhyeuem123",
    "emyeuanh",
    "emyeuanh123",
    "vietnam",
    "vietnam123",
    "vietnam@123",
    "hanoi123",
    "saigon123",
    "motcua",
    "motcua123",
    "motcua@123",
    "motcua@2026",
    "admin@123",
    "quantri",
    "quantri123",
    "canbo123",
    "123456789abc",
    "abc123456789",
    "qwerty123456",
}


_COMMON_FOLDED = {fold(p).replace(" ", "") for p in VIETNAMESE_COMMON}


class MinimumLengthValidator(django_validation.MinimumLengthValidator):
    def __init__(self, min_length: int = 12):
        super().__init__(min_length)

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(
                f"Mật khẩu quá ngắn: cần ít nhất {self.min_length} ký tự.",
                code="password_too_short",
                params={"min_length": self.min_length},
            )

    def get_help_text(self):
        return f"Mật khẩu có ít nhất {self.min_length} ký tự."


class CharacterClassesValidator:
    """At least ``min_classes`` of: lower case, upper case, digits, symbols (Vietnamese letters count as letters)."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        kinds = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(kinds) < self.min_classes:
            raise ValidationError(
                f"Mật khẩu cần có ít nhất {self.min_classes} trong 4 loại ký tự: chữ thường, chữ hoa, chữ số, "
                "ký hiệu (ví dụ ! @ # -).",
                code="password_too_simple",
            )

    def get_help_text(self):
        return f"Mật khẩu gồm ít nhất {self.min_classes} trong 4 loại: chữ thường, chữ hoa, chữ số, ký hiệu."


class CommonPasswordValidator(django_validation.CommonPasswordValidator):
    def validate(self, password, user=None):
        folded = fold(password).replace(" ", "")
        if password.lower().strip() in self.passwords or folded in _COMMON_FOLDED:
            raise ValidationError("Mật khẩu này quá phổ biến, dễ bị đoán.", code="password_too_common")

    def get_help_text(self):
        return "Mật khẩu không được là mật khẩu phổ biến."


class UserAttributeSimilarityValidator(django_validation.UserAttributeSimilarityValidator):
    LABELS = {"username": "tên đăng nhập", "first_name": "tên", "last_name": "họ", "email": "thư điện tử"}

    def validate(self, password, user=None):
        try:
            super().validate(password, user)
        except ValidationError:
            label = "thông tin tài khoản"
            for attribute in self.user_attributes:
                try:
                    django_validation.UserAttributeSimilarityValidator((attribute,), self.max_similarity).validate(
                        password, user
                    )
                except ValidationError:
                    label = self.LABELS.get(attribute, label)
                    break
            raise ValidationError(f"Mật khẩu quá giống {label} của bạn.", code="password_too_similar") from None

    def get_help_text(self):
        return "Mật khẩu không được giống tên, tên đăng nhập hay thư điện tử."


class NumericPasswordValidator:
    def validate(self, password, user=None):
        if password.isdigit():
            raise ValidationError("Mật khẩu không được chỉ gồm chữ số.", code="password_entirely_numeric")

    def get_help_text(self):
        return "Mật khẩu không được chỉ gồm chữ số."
