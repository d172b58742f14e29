"""Pages of the hall: kiosk, ticket pages, online tickets, the clerk's panel, figures — plus
the display screen (urls_screen) and appointments (urls_appointments)."""

from __future__ import annotations

from django.urls import URLPattern, path

from onewindow.hall import urls_appointments, urls_screen, views

app_name = "hall"

urlpatterns: list[URLPattern] = [
    path("hall/", views.centres, name="centres"),
    path("hall/<int:centre_id>/online/", views.online_take, name="online_take"),
    path("hall/<int:centre_id>/kiosk/", views.kiosk, name="kiosk"),
    path("hall/<int:centre_id>/kiosk/check-in/", views.kiosk_check_in, name="kiosk_check_in"),
    path("hall/window/<int:window_id>/", views.window_card, name="window_card"),
    path("hall/t/<str:token>/", views.ticket_page, name="ticket"),
    path("hall/t/<str:token>/print/", views.ticket_print, name="ticket_print"),
    path("hall/t/<str:token>/cancel/", views.ticket_cancel, name="ticket_cancel"),
    path("workbench/hall/", views.panel, name="panel"),
    path("workbench/hall/figures/", views.figures, name="figures"),
]

urlpatterns += urls_appointments.urlpatterns + urls_screen.urlpatterns
