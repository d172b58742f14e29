"""OneWindow (一窗通): an integrated government service platform."""

from onewindow.celery import app as celery_app

__all__ = ["celery_app"]
