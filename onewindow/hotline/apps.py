from django.apps import AppConfig


class HotlineConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "onewindow.hotline"
    verbose_name = "12345热线与知识库"
