from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "onewindow.evaluation"
    verbose_name = "好差评与投诉"
