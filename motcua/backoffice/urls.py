from django.contrib.auth import views as auth_views
from django.urls import path

from motcua.accounts import views as accounts_views

from . import catalog_sync, documents, intake, system, views

app_name = "backoffice"
urlpatterns = [
    path("can-bo/", views.home, name="home"),
    path("dang-nhap/", accounts_views.StaffLoginView.as_view(), name="login"),
    path("dang-nhap/xac-thuc/", accounts_views.otp_verify, name="otp-verify"),
    path("dang-nhap/thiet-lap-xac-thuc/", accounts_views.otp_setup, name="otp-setup"),
    path("dang-nhap/ma-du-phong/", accounts_views.otp_backup_codes, name="otp-backup-codes"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("can-bo/thu-tuc/", views.catalog_search, name="catalog"),
    path("can-bo/thu-tuc/nhap/", views.catalog_import, name="catalog-import"),
    path("can-bo/thu-tuc/dong-bo/", catalog_sync.catalog_sync, name="catalog-sync"),
    path("can-bo/thu-tuc/xuat.<str:fmt>", views.catalog_export, name="catalog-export"),
    path("can-bo/thu-tuc/<str:code>/", views.procedure_detail, name="procedure"),
    path("can-bo/tiep-nhan/", intake.intake, name="intake"),
    path("can-bo/tiep-nhan/thu-tuc/", intake.procedure_search, name="intake-procedures"),
    path("can-bo/tiep-nhan/may-quet/<str:desk>/<str:name>", intake.scan_preview, name="intake-scan"),
    path("can-bo/tiep-nhan/xong/<str:code>/", intake.intake_done, name="intake-done"),
    path("can-bo/tai-lieu/", documents.search_page, name="document-search"),
    path("can-bo/tai-lieu/<int:pk>/", documents.file, name="document"),
    path("can-bo/tai-lieu/<int:pk>/trang-thai/", documents.status, name="document-status"),
    path("can-bo/tai-lieu/<int:pk>/thong-tin/", documents.detail, name="document-detail"),
    path("can-bo/tai-lieu/<int:pk>/so-hoa-lai/", documents.retry, name="document-retry"),
    path("can-bo/tai-lieu/<int:pk>/phien-ban/", documents.new_version, name="document-version"),
    path("can-bo/tai-lieu/<int:pk>/chung-thuc/", documents.certify, name="document-certify"),
    path("can-bo/tai-lieu/<int:pk>/thu-hoi/", documents.revoke, name="document-revoke"),
    path("can-bo/he-thong/", system.system_status, name="system"),
]
