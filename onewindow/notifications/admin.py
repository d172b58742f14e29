from django.contrib import admin

from onewindow.core.masking import mask_phone
from onewindow.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "masked_phone", "status", "attempts"]
    list_filter = ["channel", "status"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    @admin.display(description="手机号码")
    def masked_phone(self, obj: Notification) -> str:
        return mask_phone(obj.phone)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_module_permission(self, request):  # type: ignore[no-untyped-def]
        return request.user.is_superuser
