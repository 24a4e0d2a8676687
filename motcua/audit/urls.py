from django.urls import path

from . import views

urlpatterns = [
    path("can-bo/kiem-toan/", views.audit_log, name="audit-log"),
]
