from django.apps import AppConfig


class HallConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "onewindow.hall"
    verbose_name = "大厅排队与预约"

    def ready(self) -> None:
        from onewindow.hall import signals  # noqa: F401 - registers the cache invalidation
