"""Appointment pages, included in :mod:`onewindow.hall.urls` (namespace ``hall``): every route
is named ``appt_…`` (``reverse("hall:appt_start")``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from onewindow.hall import views_appointments as views

urlpatterns: list[URLPattern] = [
    path("hall/appointments/", views.start, name="appt_start"),
    path("hall/appointments/c/<int:category_id>/", views.category, name="appt_category"),
    path("hall/appointments/book/<int:slot_id>/", views.book, name="appt_book"),
    path("hall/appointments/mine/", views.mine, name="appt_mine"),
    path("hall/appointments/mine/<str:token>/", views.detail, name="appt_detail"),
    path("hall/appointments/mine/<str:token>/cancel/", views.cancel, name="appt_cancel"),
    path("hall/appointments/t/<str:token>/", views.follow, name="appt_follow"),
]
