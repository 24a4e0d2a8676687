from django.urls import path

from . import dossiers, progress, views

app_name = "api"
urlpatterns = [
    path("calendar/due-date", views.DueDateView.as_view(), name="due-date"),
    path("procedures/", views.ProcedureListView.as_view(), name="procedures"),
    path("procedures/<str:code>", views.ProcedureDetailView.as_view(), name="procedure-detail"),
    path("me", views.MeView.as_view(), name="me"),
    path("dossiers/", dossiers.DossierListCreateView.as_view(), name="dossiers"),
    path("dossiers/bundles/", dossiers.BundleCreateView.as_view(), name="dossier-bundles"),
    path("dossiers/book.<str:fmt>", dossiers.TrackingBookView.as_view(), name="dossier-book"),
    path("dossiers/<str:code>", dossiers.DossierDetailView.as_view(), name="dossier-detail"),
    path("dossiers/<str:code>/actions/<str:action>", dossiers.DossierActionView.as_view(), name="dossier-action"),
    path("dossiers/<str:code>/slips/<str:number>", dossiers.DossierSlipView.as_view(), name="dossier-slip"),
    path("dossiers/<str:code>/status", progress.DossierStatusView.as_view(), name="dossier-status"),
    path("dossiers/<str:code>/results", progress.DossierResultsView.as_view(), name="dossier-results"),
    path(
        "dossiers/<str:code>/results/<int:document>",
        progress.DossierResultFileView.as_view(),
        name="dossier-result-file",
    ),
    path("public/dossiers/<str:code>", dossiers.PublicDossierView.as_view(), name="public-dossier"),
]
