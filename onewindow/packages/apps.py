from django.apps import AppConfig


class PackagesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "onewindow.packages"
    verbose_name = "一件事一次办"

    def ready(self) -> None:
        # The cases app announces decisions after commit; waiting cases of a package start on
        # it (the periodic job packages.start_ready catches up on any it missed).
        from onewindow.cases.signals import case_decided
        from onewindow.packages.receivers import on_case_decided

        case_decided.connect(on_case_decided, dispatch_uid="packages.on_case_decided")
