"""Background jobs of the catalogue: thin, idempotent wrappers around services.

Schedule ``catalog.activate_due_versions`` once a day shortly after midnight (Celery beat),
e.g. ``{"task": "catalog.activate_due_versions", "schedule": crontab(minute=5, hour=0)}``.
"""

from __future__ import annotations

from celery import shared_task

from onewindow.catalog import services


@shared_task(name="catalog.activate_due_versions")
def activate_due_versions() -> int:
    """Switch items to versions whose effective date has come (safe to run any number of times)."""
    return services.catalog_activate_due_versions()


@shared_task(name="catalog.run_import_job")
def run_import_job(job_id: int) -> str:
    """Process one :class:`~onewindow.catalog.models.ImportJob` (a no-op unless it is pending)."""
    return services.import_job_run(job_id=job_id)
