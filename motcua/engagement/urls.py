"""Engagement URLs (Vietnamese paths): public ticket, board and kiosk pages; staff counter screen
and statistics; citizen appointments and evaluation; feedback and complaints (public and staff)."""

from django.urls import path

from . import views, views_citizen, views_feedback

app_name = "engagement"
urlpatterns = [
    path("lay-so/<str:desk_code>/", views.take_ticket, name="take"),
    path("lay-so/<str:desk_code>/so/<int:ticket_id>/", views.ticket_slip, name="ticket"),
    path("bang-goi-so/<str:desk_code>/", views.board, name="board"),
    path("bang-goi-so/<str:desk_code>/cap-nhat/", views.board_partial, name="board-partial"),
    path("ki-ot/<str:desk_code>/", views.kiosk, name="kiosk"),
    path("ki-ot/<str:desk_code>/thu-tuc/<str:code>/", views.kiosk_procedure, name="kiosk-procedure"),
    path("ki-ot/<str:desk_code>/thu-tuc/<str:code>/lay-so/", views.kiosk_take, name="kiosk-take"),
    path("ki-ot/<str:desk_code>/lich-hen/", views.kiosk_checkin, name="kiosk-checkin"),
    path("can-bo/quay/", views.counter_screen, name="counter"),
    path("can-bo/quay/hang-cho/", views.counter_waiting, name="counter-waiting"),
    path("can-bo/hang-doi/thong-ke/", views.stats, name="stats"),
    # Appointments (citizen)
    path("cong-dan/lich-hen/", views_citizen.my_appointments, name="appointments"),
    path("cong-dan/lich-hen/dat/", views_citizen.book, name="appointment-book"),
    path("cong-dan/lich-hen/<str:code>/huy/", views_citizen.cancel, name="appointment-cancel"),
    path("cong-dan/lich-hen/<str:code>/doi/", views_citizen.reschedule, name="appointment-reschedule"),
    # Evaluation of a returned dossier (citizen)
    path("cong-dan/danh-gia/<str:code>/", views_citizen.rate, name="rate"),
    # Feedback and complaints: public, then staff
    path("phan-anh-kien-nghi/", views_feedback.public_list, name="feedback-list"),
    path("phan-anh-kien-nghi/gui/", views_feedback.submit, name="feedback-submit"),
    path("phan-anh-kien-nghi/<str:code>/", views_feedback.track, name="feedback-track"),
    path("can-bo/phan-anh-kien-nghi/", views_feedback.inbox, name="feedback-inbox"),
    path("can-bo/phan-anh-kien-nghi/<str:code>/", views_feedback.detail, name="feedback-detail"),
]
