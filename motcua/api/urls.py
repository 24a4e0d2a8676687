from django.urls import path

from . import views

app_name = "api"
urlpatterns = [
    path("calendar/due-date", views.DueDateView.as_view(), name="due-date"),
    path("procedures/", views.ProcedureListView.as_view(), name="procedures"),
    path("procedures/<str:code>", views.ProcedureDetailView.as_view(), name="procedure-detail"),
    path("me", views.MeView.as_view(), name="me"),
]
