from django.apps import AppConfig


class JointConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "onewindow.joint"
    verbose_name = "联合踏勘与联席会议"

    def ready(self) -> None:
        # The lead may not decide while a joint inspection or meeting of the case is open.
        from onewindow.cases.guards import register_decision_guard
        from onewindow.joint.selectors import open_joint_reason

        register_decision_guard(open_joint_reason)
