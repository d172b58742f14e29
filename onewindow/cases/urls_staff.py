"""Staff pages of cases in the workbench: window, case screen, reviewer inbox, search."""

from django.urls import URLPattern, path

from onewindow.cases import views_staff as views

app_name = "cases_staff"

urlpatterns: list[URLPattern] = [
    path("", views.search, name="search"),
    path("window/", views.window, name="window"),
    path("window/new/", views.new_case, name="new_case"),
    path("inbox/", views.inbox, name="inbox"),
    path("<str:case_no>/", views.case_detail, name="case"),
    path("<str:case_no>/act/<str:action>/", views.case_action, name="action"),
    path("<str:case_no>/materials/<int:material_id>/file/", views.material_file,
         name="material_file"),
    path("<str:case_no>/notices/<int:notice_id>.pdf", views.notice_pdf, name="notice_pdf"),
]
