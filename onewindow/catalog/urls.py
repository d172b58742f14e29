from django.urls import path

from onewindow.catalog import views

app_name = "catalog"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("items/", views.browse, name="browse"),
    path("items/<str:implementation_code>/", views.item_detail, name="item_detail"),
    path(
        "items/<str:implementation_code>/versions/<int:number>/",
        views.item_version,
        name="item_version",
    ),
    path(
        "items/<str:implementation_code>/materials/<int:material_id>/blank.pdf",
        views.material_blank,
        name="material_blank",
    ),
    path(
        "items/<str:implementation_code>/materials/<int:material_id>/sample.pdf",
        views.material_sample,
        name="material_sample",
    ),
    path("departments/<int:department_id>/", views.department_detail, name="department"),
    path("chief-representatives/", views.chief_representatives, name="chief_representatives"),
]
