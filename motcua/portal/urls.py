from django.urls import path

from . import mydata, views

app_name = "portal"

urlpatterns = [
    path("cong-dan/dang-nhap/", views.login_page, name="login"),
    path("cong-dan/dang-nhap/vneid/", views.vneid_start, name="vneid"),
    path("cong-dan/dang-nhap/vneid/ket-qua/", views.vneid_callback, name="vneid-callback"),
    path("cong-dan/dang-xuat/", views.logout_view, name="logout"),
    path("cong-dan/dang-ky/", views.register_page, name="register"),
    path("cong-dan/dang-ky/xac-nhan/", views.register_confirm_base, name="register-confirm-base"),
    path("cong-dan/dang-ky/xac-nhan/<str:uidb64>/<str:token>/", views.register_confirm, name="register-confirm"),
    path("cong-dan/kho-du-lieu/", views.wallet_page, name="wallet"),
    path("cong-dan/kho-du-lieu/tai-len/", views.wallet_upload, name="wallet-upload"),
    path("cong-dan/kho-du-lieu/<int:pk>/tai-ve/", views.wallet_download, name="wallet-download"),
    path("cong-dan/chia-se/", views.consents_page, name="consents"),
    path("cong-dan/chia-se/<int:pk>/rut-lai/", views.consent_revoke, name="consent-revoke"),
    path("cong-dan/nhat-ky-truy-cap/", views.access_log_page, name="access-log"),
    path("cong-dan/du-lieu-cua-toi/", mydata.my_data, name="my-data"),
    path("cong-dan/tai-khoan/", views.account_page, name="account"),
    path("cong-dan/nop-ho-so/<str:code>/", views.submit_start, name="submit"),
    path("cong-dan/ho-so-nhap/<uuid:key>/to-khai/", views.draft_form, name="draft-form"),
    path("cong-dan/ho-so-nhap/<uuid:key>/giay-to/", views.draft_papers, name="draft-papers"),
    path("cong-dan/ho-so-nhap/<uuid:key>/xem-lai/", views.draft_review, name="draft-review"),
    path("cong-dan/ho-so/", views.my_dossiers, name="my-dossiers"),
    path("cong-dan/ho-so/<str:code>/", views.my_dossier, name="my-dossier"),
]
