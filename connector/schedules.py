"""Keep one django-q schedule per connection in step with its ``sync_cron``."""

from __future__ import annotations

from django_q.models import Schedule

from .models import AkeneoConnection

SCHEDULED_SYNC_FUNC = "connector.tasks.scheduled_structure_sync"


def schedule_name(connection_id: int) -> str:
    return f"akeneo-structure-sync-{connection_id}"


def ensure_sync_schedule(connection: AkeneoConnection) -> Schedule | None:
    name = schedule_name(connection.pk)
    if not connection.sync_cron:
        Schedule.objects.filter(name=name).delete()
        return None
    schedule, _ = Schedule.objects.update_or_create(
        name=name,
        defaults={
            "func": SCHEDULED_SYNC_FUNC,
            "args": repr((connection.pk,)),
            "schedule_type": Schedule.CRON,
            "cron": connection.sync_cron,
            "repeats": -1,
        },
    )
    return schedule


def remove_sync_schedule(connection_id: int) -> None:
    Schedule.objects.filter(name=schedule_name(connection_id)).delete()
