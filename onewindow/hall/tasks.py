"""Periodic jobs of the hall: thin, idempotent wrappers around services.

Beat schedule (settings.CELERY_BEAT_SCHEDULE): ``hall.generate_slots`` early every morning
(and hourly as a catch-up, it adds nothing twice), ``hall.remind_appointments`` in the
afternoon for tomorrow's bookings, ``hall.mark_no_shows`` every quarter of an hour,
``hall.close_days`` just after midnight.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from onewindow.hall import appointments, services


@shared_task(name="hall.generate_slots")
def generate_slots() -> dict[str, int]:
    """Make the bookable slots of the coming days from the weekly schedules."""
    result = appointments.slots_generate()
    return {"created": result.created, "closed": result.closed}


@shared_task(name="hall.remind_appointments")
def remind_appointments() -> int:
    """SMS the day before to every booking of tomorrow (each booking once)."""
    return appointments.appointments_remind()


@shared_task(name="hall.mark_no_shows")
def mark_no_shows() -> int:
    """Bookings not checked in by slot end + late grace become no-shows (爽约)."""
    return appointments.appointments_mark_no_shows()


@shared_task(name="hall.close_days")
def close_days() -> dict[str, Any]:
    """Close what past days left open in the queue (void tickets, windows still signed in)."""
    return services.hall_close_days()
