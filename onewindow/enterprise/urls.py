from django.urls import URLPattern, path

from onewindow.enterprise import views

app_name = "enterprise"

urlpatterns: list[URLPattern] = [
    path("workbench/enterprise/", views.index, name="index"),
    path("workbench/enterprise/files/<int:pk>/", views.file_detail, name="file"),
    path("workbench/enterprise/files/<int:pk>/visit/", views.visit_new, name="visit_new"),
    path("workbench/enterprise/projects/", views.projects, name="projects"),
    path("workbench/enterprise/concerns/", views.concerns, name="concerns"),
    path("workbench/enterprise/concerns/<str:number>/", views.concern_detail, name="concern"),
    path("workbench/enterprise/figures/", views.figures, name="figures"),
]
