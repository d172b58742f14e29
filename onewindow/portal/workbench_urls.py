from django.urls import path

from onewindow.portal import views

app_name = "workbench"

urlpatterns = [
    path("", views.workbench_home, name="home"),
]
