from django.apps import AppConfig


class ProxyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "onewindow.proxy"
    verbose_name = "代办服务"
