from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "onewindow.assessment"
    verbose_name = "窗口考核"
