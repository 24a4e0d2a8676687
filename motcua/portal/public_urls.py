"""Public pages of the portal (no login): home, catalog, procedure pages, desk map, tracking."""

from django.urls import path

from . import public

app_name = "public"

urlpatterns = [
    path("", public.home, name="home"),
    path("thu-tuc/", public.catalog, name="catalog"),
    path("thu-tuc/<str:code>/", public.procedure, name="procedure"),
    path("ban-do-mot-cua/", public.desk_map, name="map"),
    path("ban-do-mot-cua/hang-cho.json", public.queue_json, name="queue"),
    path("tra-cuu/", public.tracking, name="tracking"),
    path("tra-cuu/<str:code>/", public.tracking_detail, name="tracking-detail"),
    path("tra-cuu/<str:code>/qr.svg", public.tracking_qr, name="tracking-qr"),
]
