from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("cong-dan/thanh-toan/", views.my_payments, name="mine"),
    path("cong-dan/thanh-toan/ket-qua/", views.pay_return, name="return"),
    path("cong-dan/thanh-toan/<int:pk>/bien-lai.pdf", views.receipt, name="receipt"),
    path("cong-dan/thanh-toan/<str:code>/", views.pay, name="pay"),
    path("thanh-toan/callback/", views.callback, name="callback"),
]
