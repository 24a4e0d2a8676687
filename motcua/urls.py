from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from oauth2_provider import views as oauth2_views

from motcua.integration.pages import sync_status
from motcua.integration.views import ExternalTaskResultView
from motcua.reports import views as report_views

# OAuth2: machine clients use the client-credentials grant only, so only the token endpoints are exposed
# (applications are registered by administrators in the admin: no self-registration, authorization or
# device flows a logged-in user could use to mint clients).
oauth2_patterns = (
    [
        path("token/", oauth2_views.TokenView.as_view(), name="token"),
        path("revoke_token/", oauth2_views.RevokeTokenView.as_view(), name="revoke-token"),
        path("introspect/", oauth2_views.IntrospectTokenView.as_view(), name="introspect"),
    ],
    "oauth2_provider",
)

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
    path("can-bo/bao-ve-du-lieu/", include("motcua.privacy.urls")),
    path("can-bo/bao-cao/", report_views.dashboard, name="reports"),
    path("can-bo/bao-cao/ho-so/", report_views.dossiers, name="report-dossiers"),
    path("can-bo/bao-cao/tre-han/", report_views.late, name="report-late"),
    path("can-bo/bao-cao/chi-so/", report_views.indicators, name="report-indicators"),
    path("can-bo/bao-cao/tep/", report_views.files, name="report-files"),
    path("can-bo/bao-cao/tep/<int:pk>/", report_views.file_download, name="report-file"),
    path("", include("motcua.audit.urls")),
    path("api/v1/", include("motcua.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),  # CSP: script as a file
    path("o/", include(oauth2_patterns)),
    path("", include("motcua.engagement.urls")),
    path("", include("motcua.portal.urls")),
    path("", include("motcua.portal.public_urls")),
    path("", include("motcua.payments.urls")),
    path("", include("motcua.backoffice.work_urls")),
    path("", include("motcua.backoffice.urls")),
]
