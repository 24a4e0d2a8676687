"""Officers' work screens: inbox, dossier page (actions, notes, slips), return desk."""

from django.urls import path

from . import work

app_name = "work"
urlpatterns = [
    path("can-bo/hop-viec/", work.inbox, name="inbox"),
    path("can-bo/hop-viec/thao-tac/", work.bulk, name="bulk"),
    path("can-bo/hop-viec/thao-tac/lua-chon/", work.bulk_options, name="bulk-options"),
    path("can-bo/hop-viec/bo-loc/", work.save_filter, name="save-filter"),
    path("can-bo/hop-viec/bo-loc/<int:pk>/xoa/", work.delete_filter, name="delete-filter"),
    path("can-bo/ho-so/<str:code>/", work.dossier_page, name="dossier"),
    path("can-bo/ho-so/<str:code>/thao-tac/<str:action>/", work.act, name="act"),
    path("can-bo/ho-so/<str:code>/ghi-chu/", work.note, name="note"),
    path("can-bo/ho-so/<str:code>/doi-chieu/", work.verify_identity, name="verify-identity"),
    path("can-bo/ho-so/<str:code>/phieu/<str:number>/", work.slip, name="slip"),
    path("can-bo/tra-ket-qua/", work.returns, name="returns"),
    path("can-bo/tra-ket-qua/<str:code>/", work.return_result, name="return"),
]
