from django.contrib.auth import views as auth_views
from django.urls import path

from onewindow.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.staff_login, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("applicant/login/", views.applicant_login, name="applicant_login"),
    path("applicant/profile/", views.applicant_profile, name="applicant_profile"),
    path("demo-sms/", views.demo_sms, name="demo_sms"),
]
