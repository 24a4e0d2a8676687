"""SMS gateway simulator (tin nhắn thương hiệu): ``create_app`` in ``app``."""

from .app import create_app

__all__ = ["create_app"]
