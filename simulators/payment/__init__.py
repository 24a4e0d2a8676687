"""Payment gateway simulator (cổng thanh toán): ``create_app`` in ``app``."""

from .app import create_app

__all__ = ["create_app"]
