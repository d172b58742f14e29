"""Dashboard pages (统计分析) and the hall wall (大屏)."""

from django.urls import URLPattern, path

from onewindow.stats import views

app_name = "stats"

urlpatterns: list[URLPattern] = [
    path("workbench/stats/", views.dashboard, name="dashboard"),
    path("stats/wall/", views.wall, name="wall"),
    path("stats/wall/<int:centre_id>/", views.wall_centre, name="wall_centre"),
]
