from django.apps import AppConfig


class JointConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "onewindow.joint"
    verbose_name = "联合踏勘与联席会议"
