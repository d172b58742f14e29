from django.urls import URLPattern, path

from onewindow.supervision import views

app_name = "supervision"

urlpatterns: list[URLPattern] = [
    path("workbench/supervision/", views.alerts, name="alerts"),
    path("workbench/supervision/notices/", views.notices, name="notices"),
]
