"""Pages of the hall: kiosk, display screen, ticket follow page, appointments, clerk panel."""

from django.urls import URLPattern

app_name = "hall"

urlpatterns: list[URLPattern] = []
