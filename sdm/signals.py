from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from connector.schedules import keep_schedule, remove_schedule

from .models import Workflow


def workflow_schedule_name(workflow_id: int) -> str:
    return f"sdm-workflow-sync-{workflow_id}"


@receiver(post_save, sender=Workflow, dispatch_uid="sdm-workflow-schedule-save")
def keep_workflow_schedule(sender, instance: Workflow, raw: bool = False, **kwargs) -> None:
    if not raw:
        cron = instance.sync_cron if instance.active else ""
        keep_schedule(
            workflow_schedule_name(instance.pk), "sdm.tasks.scheduled_workflow_sync", (instance.pk,), cron
        )


@receiver(post_delete, sender=Workflow, dispatch_uid="sdm-workflow-schedule-delete")
def drop_workflow_schedule(sender, instance: Workflow, **kwargs) -> None:
    remove_schedule(workflow_schedule_name(instance.pk))
