from django.urls import path

from onewindow.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("site/", views.site_switch, name="site"),
    path("elderly/", views.elderly_toggle, name="elderly"),
]
