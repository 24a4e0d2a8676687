from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("muc-dich/", views.purpose_page, name="purpose"),
    path("vi-pham/", views.breaches, name="breaches"),
    path("vi-pham/moi/", views.breach_new, name="breach-new"),
    path("vi-pham/<int:pk>/", views.breach_detail, name="breach"),
    path("vi-pham/<int:pk>/thong-bao/", views.breach_notice, name="breach-notice"),
]
