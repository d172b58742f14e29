"""Routes of the hall's display screen (大厅显示屏), included in :mod:`onewindow.hall.urls`."""

from django.urls import URLPattern, path

from onewindow.hall import stream

urlpatterns: list[URLPattern] = [
    path("hall/<int:centre_id>/screen/", stream.screen, name="screen"),
    path("hall/<int:centre_id>/stream/", stream.screen_stream, name="screen_stream"),
    path("hall/<int:centre_id>/screen.json", stream.screen_json, name="screen_json"),
]
