from django.urls import path

from onewindow.portal import workbench

app_name = "workbench"

urlpatterns = [
    path("", workbench.workbench_home, name="home"),
]
