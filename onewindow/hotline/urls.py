"""Pages of the hotline and its knowledge base (public robot, staff knowledge base)."""

from django.urls import URLPattern

app_name = "hotline"

urlpatterns: list[URLPattern] = []
