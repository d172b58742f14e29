from django.urls import URLPattern, path

from onewindow.assessment import views

app_name = "assessment"

urlpatterns: list[URLPattern] = [
    path("workbench/assessment/", views.runs, name="runs"),
    path("workbench/assessment/<int:pk>/", views.run_detail, name="run"),
    path("workbench/assessment/<int:pk>/export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("workbench/assessment/<int:pk>/export.pdf", views.export_pdf, name="export_pdf"),
    path("assessment/", views.public_list, name="public_list"),
    path("assessment/<str:region_code>/<str:month>/", views.public_run, name="public_run"),
]
