"""Pages of 一件事: the public guide, applying, my packages, and the workbench list."""

from django.urls import URLPattern, path

from onewindow.packages import views, views_staff

app_name = "packages"

urlpatterns: list[URLPattern] = [
    path("packages/", views.package_list, name="list"),
    path("packages/<str:code>/", views.package_guide, name="guide"),
    path("packages/<str:code>/apply/", views.apply_start, name="apply"),
    path("packages/<str:code>/apply/<str:number>/", views.apply_wizard, name="wizard"),
    path("my/packages/", views.my_packages, name="mine"),
    path("my/packages/<str:number>/", views.tracking, name="tracking"),
    path("workbench/packages/", views_staff.applications, name="staff_list"),
    path("workbench/packages/<str:number>/", views_staff.application_detail,
         name="staff_detail"),
]
