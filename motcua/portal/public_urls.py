"""Public pages of the portal (no login): home, catalog, procedure pages, desk map, tracking."""

from django.urls import path  # noqa: F401

app_name = "public"

urlpatterns: list = []
