"""Applicants' pages of cases (网上办事大厅): apply, my cases, lookup, document verification."""

from django.urls import URLPattern, path

from onewindow.cases import views_public as views

app_name = "cases"

urlpatterns: list[URLPattern] = [
    path("verify/<str:code>/", views.verify, name="verify"),
    path("items/<str:implementation_code>/apply/", views.apply_start, name="apply"),
    path("my/cases/", views.my_cases, name="my_cases"),
    path("my/cases/<str:case_no>/", views.case_detail, name="detail"),
    path("my/cases/<str:case_no>/edit/", views.case_edit, name="edit"),
    path("my/cases/<str:case_no>/submitted/", views.case_submitted, name="submitted"),
    path("my/cases/<str:case_no>/notices/<int:notice_id>.pdf", views.notice_pdf,
         name="notice_pdf"),
    path("my/cases/<str:case_no>/certificate.pdf", views.certificate_pdf,
         name="certificate_pdf"),
    path("my/messages/", views.my_messages, name="my_messages"),
    path("cases/lookup/", views.lookup, name="lookup"),
]
