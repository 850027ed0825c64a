from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from connector.schedules import keep_schedule, remove_schedule

from .export import JOBS
from .models import ExportProfile


def export_schedule_name(profile_id: int, job: str) -> str:
    return f"sfcc-export-{profile_id}-{job}"


@receiver(post_save, sender=ExportProfile, dispatch_uid="sfcc-export-schedule-save")
def keep_export_schedules(sender, instance: ExportProfile, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    crons = {
        **(instance.schedules or {}),
        "events": instance.events_cron,
        "reconcile": instance.reconciliation_cron if instance.near_real_time else "",
    }
    for job in JOBS:
        keep_schedule(
            export_schedule_name(instance.pk, job),
            "sfcc_export.tasks.scheduled_export",
            (instance.pk, job),
            crons.get(job, ""),
        )


@receiver(post_delete, sender=ExportProfile, dispatch_uid="sfcc-export-schedule-delete")
def drop_export_schedules(sender, instance: ExportProfile, **kwargs) -> None:
    for job in JOBS:
        remove_schedule(export_schedule_name(instance.pk, job))
