"""Keep django-q schedules in step with the cron expressions on our models."""

from __future__ import annotations

from django_q.models import Schedule

from .models import AkeneoConnection

SCHEDULED_SYNC_FUNC = "connector.tasks.scheduled_structure_sync"


def keep_schedule(name: str, func: str, args: tuple, cron: str) -> Schedule | None:
    """Create, update or (for an empty cron) remove the schedule called ``name``."""
    if not cron:
        Schedule.objects.filter(name=name).delete()
        return None
    schedule, _ = Schedule.objects.update_or_create(
        name=name,
        defaults={
            "func": func,
            "args": repr(args),
            "schedule_type": Schedule.CRON,
            "cron": cron,
            "repeats": -1,
        },
    )
    return schedule


def remove_schedule(name: str) -> None:
    Schedule.objects.filter(name=name).delete()


def schedule_name(connection_id: int) -> str:
    return f"akeneo-structure-sync-{connection_id}"


def ensure_sync_schedule(connection: AkeneoConnection) -> Schedule | None:
    return keep_schedule(
        schedule_name(connection.pk), SCHEDULED_SYNC_FUNC, (connection.pk,), connection.sync_cron
    )


def remove_sync_schedule(connection_id: int) -> None:
    remove_schedule(schedule_name(connection_id))
