"""Queue and kiosk URLs (Vietnamese paths): public ticket, board and kiosk pages; staff counter
screen and statistics."""

from django.urls import path

from . import views

app_name = "engagement"
urlpatterns = [
    path("lay-so/<str:desk_code>/", views.take_ticket, name="take"),
    path("lay-so/<str:desk_code>/so/<int:ticket_id>/", views.ticket_slip, name="ticket"),
    path("bang-goi-so/<str:desk_code>/", views.board, name="board"),
    path("bang-goi-so/<str:desk_code>/cap-nhat/", views.board_partial, name="board-partial"),
    path("ki-ot/<str:desk_code>/", views.kiosk, name="kiosk"),
    path("ki-ot/<str:desk_code>/thu-tuc/<str:code>/", views.kiosk_procedure, name="kiosk-procedure"),
    path("ki-ot/<str:desk_code>/thu-tuc/<str:code>/lay-so/", views.kiosk_take, name="kiosk-take"),
    path("can-bo/quay/", views.counter_screen, name="counter"),
    path("can-bo/quay/hang-cho/", views.counter_waiting, name="counter-waiting"),
    path("can-bo/hang-doi/thong-ke/", views.stats, name="stats"),
]
