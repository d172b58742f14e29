from celery import shared_task

from onewindow.notifications.services import notifications_deliver_pending


@shared_task(name="notifications.deliver_pending")
def deliver_pending() -> int:
    return notifications_deliver_pending()
