from django.urls import URLPattern, path

from onewindow.proxy import views

app_name = "proxy"

urlpatterns: list[URLPattern] = [
    path("workbench/proxy/", views.proxy_list, name="list"),
    path("workbench/proxy/new/", views.proxy_new, name="new"),
    path("workbench/proxy/<int:pk>/", views.proxy_detail, name="detail"),
    path("workbench/proxy/<int:pk>/consent/", views.proxy_consent, name="consent"),
    path("workbench/proxy/<int:pk>/apply/", views.proxy_apply, name="apply"),
    path("workbench/proxy/<int:pk>/files/<str:which>/", views.proxy_file, name="file"),
    path("proxy/items/", views.items_public, name="items"),
]
