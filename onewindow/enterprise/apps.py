from django.apps import AppConfig


class EnterpriseConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "onewindow.enterprise"
    verbose_name = "重点项目与企业服务"

    def ready(self) -> None:
        # 绿色通道: cases asks a registry it owns whether an applicant gets the green channel;
        # this app answers (cases never imports enterprise).
        from onewindow.cases.green_channel import register_green_channel_resolver
        from onewindow.enterprise.selectors import is_green_channel

        register_green_channel_resolver(is_green_channel)
