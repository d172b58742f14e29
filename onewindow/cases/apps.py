from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "onewindow.cases"
    label = "cases"
    verbose_name = _("办件")

    def ready(self) -> None:
        from onewindow.cases.deadlines import recompute_case_deadlines
        from onewindow.workdays.registry import register_deadline_recomputer

        register_deadline_recomputer(recompute_case_deadlines)
