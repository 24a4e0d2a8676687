from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from oauth2_provider import urls as oauth2_urls

from motcua.integration.pages import sync_status
from motcua.integration.views import ExternalTaskResultView
from motcua.reports import views as report_views

admin.site.site_header = "MotCua – Quản trị hệ thống"
admin.site.site_title = "MotCua"
admin.site.index_title = "Quản trị danh mục và tổ chức"

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "api/v1/external-tasks/<str:token>/result",
        ExternalTaskResultView.as_view(),
        name="external-task-result",
    ),
    path("can-bo/dong-bo-quoc-gia/", sync_status, name="national-sync"),
    path("can-bo/bao-cao/", report_views.dashboard, name="reports"),
    path("can-bo/bao-cao/ho-so/", report_views.dossiers, name="report-dossiers"),
    path("can-bo/bao-cao/tre-han/", report_views.late, name="report-late"),
    path("can-bo/bao-cao/chi-so/", report_views.indicators, name="report-indicators"),
    path("can-bo/bao-cao/tep/", report_views.files, name="report-files"),
    path("can-bo/bao-cao/tep/<int:pk>/", report_views.file_download, name="report-file"),
    path("api/v1/", include("motcua.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("o/", include(oauth2_urls)),
    path("", include("motcua.engagement.urls")),
    path("", include("motcua.portal.urls")),
    path("", include("motcua.portal.public_urls")),
    path("", include("motcua.payments.urls")),
    path("", include("motcua.backoffice.work_urls")),
    path("", include("motcua.backoffice.urls")),
]
